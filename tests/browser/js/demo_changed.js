// The demo shows exactly one image per plot, and its readout and an image differ from `before`.
([demo, before]) => {
  const now = demoState(demo);
  if (!now.plots || now.imgCounts.some((n) => n !== 1)) return false;
  return now.readout !== before.readout && now.srcs.some((s, i) => s !== before.srcs[i]);
}
