// The Voilà page has finished loading: no banner, no pending cell output, no loading widget.
() => {
  const state = voilaState();
  return state.loading === null && !state.pendingOutputs && !state.loadingWidgetTexts;
}
