// true once "Run All Cells" is done, the kernel idle and no cell prompt shows "*";
// false while running; a string when it can never finish.
(path) => {
  const panel = findPanel(path);
  if (!panel) return 'the notebook panel was closed';
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) return 'the notebook has no kernel any more';
  if (kernel.status === 'dead') return 'the kernel died';
  const state = window.__gamlRunAll;
  if (!state || !state.done) return false;
  if (kernel.status !== 'idle') return false;
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    if (prompt && prompt.textContent.includes('*')) return false;
  }
  return true;
}
