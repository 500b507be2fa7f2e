// How large a .gaml-demo's plot is shown: the image's displayed / natural width, and the
// page's body text size in px (the larger of the body's and a rendered paragraph's).
(demo) => {
  const img = demo.querySelector('.gaml-plot img');
  const px = (el) => (el ? parseFloat(getComputedStyle(el).fontSize) : 0);
  const paragraph = document.querySelector('.jp-RenderedMarkdown p, .jp-RenderedHTMLCommon p');
  return {
    scale: img && img.naturalWidth ? img.getBoundingClientRect().width / img.naturalWidth : 0,
    naturalWidth: img ? img.naturalWidth : 0,
    bodyPx: Math.max(px(document.body), px(paragraph)),
  };
}
