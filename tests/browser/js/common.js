// Helpers in scope for every other snippet in this folder: load_js() (pages.py) wraps each
// snippet together with this file. A snippet file holds one function expression (no trailing
// semicolon), which Playwright calls with its arguments.

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

// JupyterLab: the notebook panel open on `path` with a session context, else null.
function findPanel(path) {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of Array.from(app.shell.widgets('main'))) {
    if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
  }
  return null;
}

// JupyterLab: the widget-view outputs of a code cell, in order, with their rendered text.
function widgetViews(cell) {
  const children = Array.from(
    cell.node.querySelectorAll('.jp-Cell-outputArea > .jp-OutputArea-child'));
  const views = [];
  cell.model.outputs.toJSON().forEach((out, j) => {
    if (!(out.data && out.data[WIDGET_MIME])) return;
    const node = children[j];
    views.push({
      rendered: !!(node && node.querySelector('.jupyter-widgets')),
      text: node ? node.innerText : '<no output node>',
    });
  });
  return views;
}

// A .gaml-demo element: its readouts, plots (img count and last img src per plot), handles.
function demoState(demo) {
  const readouts = Array.from(demo.querySelectorAll('.gaml-readout'));
  const plots = Array.from(demo.querySelectorAll('.gaml-plot'));
  return {
    readout: readouts.map((r) => r.innerText.trim()).join(' | '),
    readouts: readouts.length,
    plots: plots.length,
    imgCounts: plots.map((p) => p.querySelectorAll('img').length),
    srcs: plots.map((p) => {
      const imgs = p.querySelectorAll('img');
      return imgs.length ? imgs[imgs.length - 1].getAttribute('src') : null;
    }),
    handles: demo.querySelectorAll('.noUi-handle').length,
    text: demo.innerText.slice(0, 500),
  };
}

// Voilà: what the page is still loading (the #loading banner, unrendered cell outputs,
// widget views still saying "Loading widget"), plus a few facts for error messages.
function voilaState() {
  const loading = document.getElementById('loading');
  const text = document.body ? document.body.innerText : '';
  return {
    loading: loading ? loading.innerText.trim().slice(0, 200) : null,
    pendingOutputs: document.querySelectorAll(
      'script[type="application/vnd.voila.cell-output+json"]').length,
    loadingWidgetTexts: (text.match(/Loading widget/g) || []).length,
    themeLoaded: !!window.themeLoaded,
    cellLoaded: !!window.cellLoaded,
    readyState: document.readyState,
    demos: document.querySelectorAll('.gaml-demo').length,
  };
}
