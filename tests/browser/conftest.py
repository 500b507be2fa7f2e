"""Fixtures for the browser tests (JupyterLab and Voilà driven by Playwright + Chromium).

Root folder: $GAML_BROWSER_ROOT if set (for developing the harness against toy notebooks),
else the repository root. It must hold notebooks/*.ipynb and/or classroom/*.ipynb.

Set GAML_REQUIRE_BROWSER=1 to turn "Chromium/Playwright missing" skips into failures.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # works with any --import-mode

import pages
import servers

CHROMIUM_PATH = servers.CHROMIUM_PATH
CHROMIUM_ARGS = servers.CHROMIUM_ARGS

BROWSER_MARKER = "browser: tests that drive JupyterLab/Voilà in headless Chromium (Playwright)"
LOAD_MARKER = "load: the classroom server's load test (about 3 minutes; -m 'not load' skips it)"


def pytest_configure(config):
    config.addinivalue_line("markers", BROWSER_MARKER)
    config.addinivalue_line("markers", LOAD_MARKER)


def _missing(message: str):
    """Skip, or fail when GAML_REQUIRE_BROWSER=1."""
    if os.environ.get("GAML_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (GAML_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
    pytest.skip(f"{message}: browser tests skipped (set GAML_REQUIRE_BROWSER=1 to fail instead)")


def require_module(name: str, what: str) -> None:
    if importlib.util.find_spec(name) is None:
        _missing(f"{what} is not installed (cannot import {name!r})")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Check the browser prerequisites before any server is started."""
    require_module("playwright", "The Python package 'playwright'")
    path = CHROMIUM_PATH
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _missing(f"Chromium not found at {path}")
    return path


@pytest.fixture(scope="session")
def voila_installed() -> None:
    require_module("voila", "Voilà")


@pytest.fixture(scope="session")
def gaml_browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            with contextlib.suppress(Exception):
                browser.close()


@pytest.fixture
def browser_page(gaml_browser):
    """A fresh browser context and page per test, closed afterwards."""
    context = gaml_browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(pages.PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.gaml_console_errors = []
    page.on(
        "console",
        lambda msg: page.gaml_console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: page.gaml_console_errors.append(f"pageerror: {exc}"))
    try:
        yield page
    finally:
        with contextlib.suppress(Exception):
            context.close()


@pytest.fixture(scope="session")
def gaml_root() -> Path:
    root = servers.project_root()
    if not root.is_dir():
        pytest.fail(f"browser test root {root} does not exist (GAML_BROWSER_ROOT?)")
    return root


@pytest.fixture(scope="session")
def lab_server(chromium_executable, gaml_root, tmp_path_factory):
    """One JupyterLab server for the whole session; kernels and server stopped at the end."""
    require_module("jupyterlab", "JupyterLab")
    tmp = tmp_path_factory.mktemp("jupyterlab")
    env = servers.base_env(tmp)
    servers.write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    port = servers.free_port()
    server = servers.ServerProcess(
        name="jupyter lab",
        cmd=servers.lab_command(gaml_root, port, tmp / "checkpoints"),
        cwd=gaml_root,
        env=env,
        log_path=tmp / "jupyterlab.log",
        port=port,
    )
    with servers.started(
        server,
        "/api/status",
        require_ok=True,
        before_terminate=lambda s: servers.shutdown_lab_kernels(s, None),
    ):
        yield server


@pytest.fixture
def voila_server(chromium_executable, voila_installed, gaml_root, tmp_path):
    """Factory: ``with voila_server(notebook_path) as server:`` runs Voilà on that notebook.

    The command is the classroom one (``servers.voila_command``: the classroom's settings,
    so a page gets a pre-started kernel), run from the root, on 127.0.0.1 and a free port,
    with a pool of one kernel instead of the classroom's few (one page is opened here).
    The server and its kernels are stopped on exit.
    """

    @contextlib.contextmanager
    def start(notebook: Path):
        rel = notebook.resolve().relative_to(gaml_root).as_posix()
        port = servers.free_port()
        env = servers.base_env(tmp_path / "voila")
        server = servers.ServerProcess(
            name=f"voila {rel}",
            cmd=servers.voila_command(
                rel, port, Path(env["JUPYTER_RUNTIME_DIR"]), ["--pool_size=1"]
            ),
            cwd=gaml_root,
            env=env,
            log_path=tmp_path / "voila.log",
            port=port,
        )
        # Probe a cheap URL (GET / would start a kernel and execute the notebook). Without the
        # cookie set by the page, Voilà answers it with a redirect: any answer means "up".
        with servers.started(server, "/api/kernels", require_ok=False):
            yield server

    return start
