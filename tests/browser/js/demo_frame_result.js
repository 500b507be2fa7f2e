// The record of js/demo_frame_watch.js once the new image and readout are both shown, else null.
(demo) => {
  const rec = demo.__gamlFrame;
  if (!rec || rec.key === null || rec.image === null || rec.readout === null) return null;
  return {key: rec.key, readout: rec.readout, image: rec.image, text: rec.text};
}
