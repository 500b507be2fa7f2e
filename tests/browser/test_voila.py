"""The classroom notebooks render in Voilà without code or errors, and their demos respond."""

from __future__ import annotations

import contextlib

import harness
import pytest

pytestmark = pytest.mark.browser

NOTEBOOKS = harness.classroom_notebooks()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[harness.notebook_id(p) for p in NOTEBOOKS])
def test_voila_page_renders_and_demos_respond(notebook, voila_server, browser_page):
    page = browser_page
    with voila_server(notebook) as server:
        try:
            harness.open_voila(page, f"{server.url}/")

            text = page.locator("body").inner_text()
            errors = harness.page_error_texts(text)
            assert not errors, "error text on the Voilà page:\n" + "\n---\n".join(errors)

            visible_code = {
                sel: n for sel in harness.VOILA_CODE_SELECTORS if (n := page.locator(sel).count())
            }
            assert not visible_code, f"code visible on the Voilà page: {visible_code}"

            demos = page.locator(".gaml-demo")
            with contextlib.suppress(Exception):  # widget views render after the page loads
                demos.first.wait_for(timeout=harness.REDRAW_TIMEOUT_MS)
            assert demos.count() >= 1, "no .gaml-demo on the Voilà page"

            for result in harness.exercise_all_demos(
                page, page.locator("body"), f"voila-{notebook.stem}"
            ):
                print(result.describe())

            text = page.locator("body").inner_text()
            errors = harness.page_error_texts(text)
            assert not errors, "error text after moving sliders:\n" + "\n---\n".join(errors)
        except BaseException:
            saved = harness.save_artifacts(page, f"voila-{notebook.stem}")
            print(f"artifacts: {[str(p) for p in saved]}")
            print(f"--- voila log tail ---\n{server.log_tail(3000)}")
            if page.gaml_console_errors:
                print("browser console errors:\n" + "\n".join(page.gaml_console_errors[-20:]))
            raise
