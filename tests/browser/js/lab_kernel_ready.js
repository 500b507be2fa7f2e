// The notebook `path` is loaded and its kernel is connected and idle.
(path) => {
  const panel = findPanel(path);
  if (!panel || !panel.context.isReady) return false;
  const ctx = panel.sessionContext;
  if (!ctx.isReady) return false;
  const kernel = ctx.session && ctx.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}
