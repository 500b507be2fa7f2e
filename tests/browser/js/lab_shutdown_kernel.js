// Shut down the kernel of the notebook `path` from the page (if it is still open).
async (path) => {
  const panel = findPanel(path);
  if (panel && panel.sessionContext) { await panel.sessionContext.shutdown(); }
  return true;
}
