// Every widget view in the notebook `path` has rendered (no "Loading widget" left).
(path) => {
  const panel = findPanel(path);
  if (!panel) return false;
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    for (const view of widgetViews(cell)) {
      if (!view.rendered || view.text.includes('Loading widget')) return false;
    }
  }
  return true;
}
