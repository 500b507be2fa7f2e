// Run `code` in the kernel of the notebook `path` (not in a cell); resolves to its stdout,
// and the error's name and value if it raised.
async ([path, code]) => {
  const panel = findPanel(path);
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) return {error: 'no kernel'};
  const out = {stdout: '', error: null};
  const future = kernel.requestExecute({code: code, store_history: false});
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out.stdout += msg.content.text;
    if (msg.header.msg_type === 'error') out.error = msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return out;
}
