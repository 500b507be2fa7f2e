"""Driving a notebook in JupyterLab 4 (served with window.jupyterapp exposed).

Open a notebook in a workspace of its own and wait for its kernel, run all cells, wait for
the widget views, report every cell and the problems in it, and shut the page's kernel down.
The JavaScript these run in the page is in js/lab_*.js.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence

from pages import PAGE_TIMEOUT_MS, REDRAW_TIMEOUT_MS, RUN_ALL_TIMEOUT_MS, load_js, text_problems

KERNEL_READY_TIMEOUT_MS = 90_000


def lab_url(server_url: str, notebook_rel: str) -> str:
    # A workspace of its own for every page, so that a notebook opened by an earlier test is
    # not restored (with a second kernel). Note: "?reset" is not usable here: in JupyterLab
    # 4 it re-initialises the shell after the notebook opened and its new kernel is shut down.
    workspace = f"gaml-{uuid.uuid4().hex[:12]}"
    return f"{server_url}/lab/workspaces/{workspace}/tree/{notebook_rel}"


def open_notebook(page, server_url: str, notebook_rel: str) -> None:
    """Open the notebook and wait until its kernel is connected and idle."""
    page.goto(lab_url(server_url, notebook_rel), wait_until="domcontentloaded")
    page.wait_for_function(load_js("lab_app_ready"), timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(load_js("lab_panel_open"), arg=notebook_rel, timeout=PAGE_TIMEOUT_MS)
    try:
        page.wait_for_function(
            load_js("lab_kernel_ready"),
            arg=notebook_rel,
            timeout=KERNEL_READY_TIMEOUT_MS,
            polling=250,
        )
    except Exception as exc:  # Playwright TimeoutError: say what the page shows instead
        dialogs = page.locator(".jp-Dialog")
        shown = dialogs.first.inner_text() if dialogs.count() else "no dialog"
        status = page.locator(".jp-NotebookPanel-toolbar").first.inner_text()
        raise AssertionError(
            f"{notebook_rel}: kernel not ready (connected and idle) after "
            f"{KERNEL_READY_TIMEOUT_MS / 1000:.0f} s; dialog: {shown!r}; toolbar: {status!r}"
        ) from exc


def run_all_cells(page, notebook_rel: str) -> None:
    page.evaluate(load_js("lab_run_all"), notebook_rel)
    handle = page.wait_for_function(
        load_js("lab_run_all_finished"), arg=notebook_rel, timeout=RUN_ALL_TIMEOUT_MS, polling=250
    )
    outcome = handle.json_value()
    if outcome is not True:
        raise AssertionError(f"{notebook_rel}: run all cells did not finish: {outcome}")


def wait_widgets_rendered(page, notebook_rel: str) -> None:
    """Give widget views time to render (they do so asynchronously after the outputs arrive).

    On timeout nothing is raised: ``cell_problems`` then names the views that did not render.
    """
    with contextlib.suppress(Exception):
        page.wait_for_function(
            load_js("lab_widgets_rendered"),
            arg=notebook_rel,
            timeout=REDRAW_TIMEOUT_MS,
            polling=250,
        )


def cell_report(page, notebook_rel: str) -> list[dict]:
    """One dict per cell, as js/lab_cell_report.js describes."""
    return page.evaluate(load_js("lab_cell_report"), notebook_rel)


def cell_problems(cells: Sequence[dict]) -> list[str]:
    """Error outputs, errors on stderr, missing execution counts, broken widget views."""
    problems = []
    for cell in cells:
        if cell["type"] != "code":
            continue
        where = f"cell {cell['index']} ({cell['source'][:60]!r})"
        for err in cell["errors"]:
            problems.append(f"{where}: error output {err}")
        for text in cell["stderr"] + cell["domStderr"]:
            for hit in text_problems(text):
                problems.append(f"{where}: stderr shows an error:\n{hit}")
        if not cell["blank"] and cell["executionCount"] is None:
            problems.append(f"{where}: not executed (prompt {cell['prompt']!r})")
        for view in cell["widgetViews"]:
            if not view["rendered"] or text_problems(view["text"]):
                problems.append(f"{where}: widget view not rendered or failed: {view['text']!r}")
    return problems


def shutdown_page_kernel(page, notebook_rel: str) -> None:
    with contextlib.suppress(Exception):
        page.evaluate(load_js("lab_shutdown_kernel"), notebook_rel)
