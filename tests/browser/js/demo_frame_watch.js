// Watch the next frame of a .gaml-demo (times from performance.now(), in the page):
//   key: the next keydown on its first slider handle (the input),
//   readout: the first change of its readout text after that,
//   image: the first new image of its plot, decoded and then painted (the next animation frame).
// The record is kept in demo.__gamlFrame; js/demo_frame_result.js reads it.
(demo) => {
  const handle = demo.querySelector('.noUi-handle');
  const img = demo.querySelector('.gaml-plot img');
  const readout = demo.querySelector('.gaml-readout');
  const rec = {key: null, readout: null, image: null, text0: readout.innerText,
    src0: img.getAttribute('src'), text: null};
  demo.__gamlFrame = rec;
  handle.addEventListener('keydown', () => {
    if (rec.key === null) rec.key = performance.now();
  }, {capture: true, once: true});
  const textObserver = new MutationObserver(() => {
    if (rec.readout === null && readout.innerText !== rec.text0) {
      rec.readout = performance.now();
      rec.text = readout.innerText;
      textObserver.disconnect();
    }
  });
  textObserver.observe(readout, {subtree: true, childList: true, characterData: true});
  const imageObserver = new MutationObserver(() => {
    if (img.getAttribute('src') === rec.src0) return;
    imageObserver.disconnect();
    img.decode().catch(() => null).then(() => requestAnimationFrame(() => {
      rec.image = performance.now();
    }));
  });
  imageObserver.observe(img, {attributes: true, attributeFilter: ['src']});
  return true;
}
