// One entry per cell of the notebook `path`: source, execution count and prompt, error
// outputs, stderr (from the model and from the page), widget views (see lab.cell_problems).
(path) => {
  const panel = findPanel(path);
  const cells = [];
  panel.content.widgets.forEach((cell, index) => {
    const model = cell.model;
    const source = model.sharedModel.getSource();
    const info = {index, type: model.type, source: source.slice(0, 300)};
    if (model.type === 'code') {
      info.blank = source.trim() === '';
      info.executionCount = model.executionCount;
      const prompt = cell.node.querySelector('.jp-InputPrompt');
      info.prompt = prompt ? prompt.textContent.trim() : '';
      info.errors = [];
      info.stderr = [];
      model.outputs.toJSON().forEach((out) => {
        if (out.output_type === 'error') {
          info.errors.push(out.ename + ': ' + out.evalue);
        } else if (out.output_type === 'stream' && out.name === 'stderr') {
          const text = Array.isArray(out.text) ? out.text.join('') : String(out.text);
          info.stderr.push(text);
        }
      });
      info.widgetViews = widgetViews(cell).map((v) => ({...v, text: v.text.slice(0, 300)}));
      const domErrors = cell.node.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
      info.domStderr = Array.from(domErrors).map((n) => n.innerText.slice(0, 2000));
    }
    cells.push(info);
  });
  return cells;
}
