"""The classroom notebooks render in Voilà without code or errors, and their demos respond."""

from __future__ import annotations

import contextlib

import pages
import pytest
import servers

pytestmark = pytest.mark.browser

NOTEBOOKS = servers.classroom_notebooks()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[servers.notebook_id(p) for p in NOTEBOOKS])
def test_voila_page_renders_and_demos_respond(notebook, voila_server, browser_page):
    page = browser_page
    with voila_server(notebook) as server:
        try:
            pages.open_voila(page, f"{server.url}/")

            errors = pages.page_text_problems(page)
            assert not errors, "error text on the Voilà page:\n" + "\n---\n".join(errors)

            visible_code = pages.visible_code(page)
            assert not visible_code, f"code visible on the Voilà page: {visible_code}"

            demos = page.locator(".gaml-demo")
            with contextlib.suppress(Exception):  # widget views render after the page loads
                demos.first.wait_for(timeout=pages.REDRAW_TIMEOUT_MS)
            assert demos.count() >= 1, "no .gaml-demo on the Voilà page"

            for outcome in pages.exercise_all_demos(
                page, page.locator("body"), f"voila-{notebook.stem}"
            ):
                print(outcome.describe())

            errors = pages.page_text_problems(page)
            assert not errors, "error text after moving sliders:\n" + "\n---\n".join(errors)
        except BaseException:
            pages.report_failure(page, f"voila-{notebook.stem}")
            print(f"--- voila log tail ---\n{server.log_tail(3000)}")
            raise
