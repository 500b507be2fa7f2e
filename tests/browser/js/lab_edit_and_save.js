// Append `text` to the first cell of the notebook `path` (as a student's edit) and save it.
async ([path, text]) => {
  const panel = findPanel(path);
  const cell = panel.content.model.cells.get(0);
  cell.sharedModel.setSource(cell.sharedModel.getSource() + text);
  await panel.context.save();
  return panel.context.model.dirty === false;
}
