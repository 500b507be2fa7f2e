// JupyterLab has started (its shell exists).
() => !!(window.jupyterapp && window.jupyterapp.shell)
