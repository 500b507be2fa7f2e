"""Every notebook in notebooks/ runs cleanly in JupyterLab and its slider demos respond."""

from __future__ import annotations

import harness
import pytest

pytestmark = pytest.mark.browser

NOTEBOOKS = harness.lab_notebooks()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[harness.notebook_id(p) for p in NOTEBOOKS])
def test_notebook_runs_and_demos_respond(notebook, gaml_root, lab_server, browser_page):
    page = browser_page
    rel = notebook.resolve().relative_to(gaml_root).as_posix()
    try:
        try:
            harness.open_lab_notebook(page, lab_server.url, rel)
            harness.run_all_cells(page, rel)
            harness.wait_lab_widgets_rendered(page, rel)

            cells = harness.lab_cell_report(page, rel)
            problems = harness.lab_problems(cells)
            assert not problems, f"{rel}:\n" + "\n".join(problems)

            # Each .gaml-demo: slider, readout and one-image plot present; moving the first
            # slider with the keyboard changes the readout and the image.
            notebook_area = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
            for result in harness.exercise_all_demos(page, notebook_area, f"lab-{notebook.stem}"):
                print(result.describe())

            # The slider callbacks must not have raised either (errors would land in outputs).
            problems = harness.lab_problems(harness.lab_cell_report(page, rel))
            assert not problems, f"{rel} after moving sliders:\n" + "\n".join(problems)
        except BaseException:
            saved = harness.save_artifacts(page, f"lab-{notebook.stem}")
            print(f"artifacts: {[str(p) for p in saved]}")
            if page.gaml_console_errors:
                print("browser console errors:\n" + "\n".join(page.gaml_console_errors[-20:]))
            raise
    finally:
        # Free the kernel now: the two CPUs are shared with the next notebook's kernel.
        harness.shutdown_page_kernel(page, rel)
        harness.shutdown_lab_kernels(lab_server, rel)
