// The notebook `path` is open in a panel.
(path) => !!findPanel(path)
