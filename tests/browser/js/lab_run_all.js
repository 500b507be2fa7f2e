// Start "Run All Cells" on the notebook `path`; the outcome lands in window.__gamlRunAll.
(path) => {
  const app = window.jupyterapp;
  const panel = findPanel(path);
  app.shell.activateById(panel.id);
  window.__gamlRunAll = {done: false};
  app.commands.execute('notebook:run-all-cells').then(
    (ok) => { window.__gamlRunAll = {done: true, ok: ok}; },
    (err) => { window.__gamlRunAll = {done: true, ok: false, error: String(err)}; });
}
