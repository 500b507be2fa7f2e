"""Every notebook in notebooks/ runs cleanly in JupyterLab and its slider demos respond."""

from __future__ import annotations

import lab
import pages
import pytest
import servers

pytestmark = pytest.mark.browser

NOTEBOOKS = servers.lab_notebooks()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[servers.notebook_id(p) for p in NOTEBOOKS])
def test_notebook_runs_and_demos_respond(notebook, gaml_root, lab_server, browser_page):
    page = browser_page
    rel = notebook.resolve().relative_to(gaml_root).as_posix()
    try:
        try:
            lab.open_notebook(page, lab_server.url, rel)
            lab.run_all_cells(page, rel)
            lab.wait_widgets_rendered(page, rel)

            cells = lab.cell_report(page, rel)
            problems = lab.cell_problems(cells)
            assert not problems, f"{rel}:\n" + "\n".join(problems)

            # Each .gaml-demo: slider, readout and one-image plot present; moving the first
            # slider with the keyboard changes the readout and the image.
            notebook_area = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
            for outcome in pages.exercise_all_demos(page, notebook_area, f"lab-{notebook.stem}"):
                print(outcome.describe())

            # The slider callbacks must not have raised either (errors would land in outputs).
            problems = lab.cell_problems(lab.cell_report(page, rel))
            assert not problems, f"{rel} after moving sliders:\n" + "\n".join(problems)
        except BaseException:
            pages.report_failure(page, f"lab-{notebook.stem}")
            raise
    finally:
        # Free the kernel now: the two CPUs are shared with the next notebook's kernel.
        lab.shutdown_page_kernel(page, rel)
        servers.shutdown_lab_kernels(lab_server, rel)
