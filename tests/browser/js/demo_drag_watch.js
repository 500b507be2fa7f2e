// Record, from now on, every value a .gaml-demo's slider number `slider` (0: the first) shows
// (aria-valuenow) and every new image of its plot, with their times (performance.now()), in
// demo.__gamlDrag.
(demo, slider) => {
  const handle = demo.querySelectorAll('.noUi-handle')[slider || 0];
  const img = demo.querySelector('.gaml-plot img');
  const rec = {values: [], images: [], released: null};
  demo.__gamlDrag = rec;
  new MutationObserver(() => {
    rec.values.push([performance.now(), handle.getAttribute('aria-valuenow')]);
  }).observe(handle, {attributes: true, attributeFilter: ['aria-valuenow']});
  new MutationObserver(() => {
    rec.images.push([performance.now(), demo.querySelector('.gaml-readout').innerText]);
  }).observe(img, {attributes: true, attributeFilter: ['src']});
  document.addEventListener('mouseup', () => { rec.released = performance.now(); },
    {capture: true, once: true});
  return true;
}
