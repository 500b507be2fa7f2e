"""Helpers for the browser tests: server processes, JupyterLab driving and demo checks.

Everything here is plain Python plus Playwright's sync API; the pytest fixtures that use it
live in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ARTIFACTS_DIR = HERE / "artifacts"
# Debian's chromium; GAML_CHROMIUM may point elsewhere (never `playwright install`: no network).
CHROMIUM_PATH = os.environ.get("GAML_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    # No network here: make every host name fail at once instead of waiting on DNS (Voilà's
    # template links Font Awesome from a CDN). The servers are reached by IP (127.0.0.1).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]

# Timeouts, in milliseconds (Playwright) unless stated otherwise.
PAGE_TIMEOUT_MS = 60_000
KERNEL_READY_TIMEOUT_MS = 90_000
RUN_ALL_TIMEOUT_MS = 180_000
REDRAW_TIMEOUT_MS = 30_000
SERVER_START_TIMEOUT_S = 90.0
SLIDER_KEY_PRESSES = 3
STABLE_MS = 750  # a demo's state must not change for this long before it is judged

# Text that a rendered widget view never contains when it worked.
WIDGET_FAILURE_TEXTS = ("Loading widget", "Error displaying widget", "Failed to load model")

# Page-text patterns that mean a cell failed. "Error" alone is too broad to search for in a
# teaching page (a heading such as "Error analysis" or a readout "error = 0.1" is legitimate),
# so we look for the shapes in which Python and the front ends report failures.
PAGE_ERROR_PATTERNS = (
    re.compile(r"\bTraceback\b"),
    re.compile(r"\b[A-Z]\w*(?:Error|Exception):"),
    re.compile(r"(?m)^\s*Error:"),
    re.compile(r"Error displaying widget"),
    re.compile(r"There was an error when executing cell"),
)


def project_root() -> Path:
    """Folder holding notebooks/ and classroom/: $GAML_BROWSER_ROOT, else the repo root."""
    env = os.environ.get("GAML_BROWSER_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    return HERE.parents[1]


def lab_notebooks(root: Path | None = None) -> list[Path]:
    root = project_root() if root is None else root
    return sorted((root / "notebooks").glob("*.ipynb"))


def classroom_notebooks(root: Path | None = None) -> list[Path]:
    root = project_root() if root is None else root
    return sorted((root / "classroom").glob("*.ipynb"))


def notebook_id(path: Path) -> str:
    return path.stem


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:150] or "test"


def short_hash(text: str | None) -> str:
    if text is None:
        return "None"
    return hashlib.sha1(text.encode()).hexdigest()[:10]


# --------------------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A server started in its own process group, always stopped by ``stop()``."""

    name: str
    cmd: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    port: int
    proc: subprocess.Popen | None = None
    _log: Any = None
    _known_pids: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no log>"

    def wait_ready(self, probe_path: str, *, require_ok: bool, timeout: float) -> None:
        """Poll until the server answers HTTP on ``probe_path`` (no redirects followed)."""
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode} before answering.\n"
                    f"command: {' '.join(self.cmd)}\n--- log tail ---\n{self.log_tail()}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", probe_path)
                status = conn.getresponse().status
                conn.close()
                if not require_ok or status == 200:
                    return
                last_error = f"HTTP {status}"
            except OSError as exc:
                last_error = repr(exc)
            time.sleep(0.3)
        raise RuntimeError(
            f"{self.name} did not answer on {self.url}{probe_path} within {timeout:.0f} s "
            f"({last_error}).\n--- log tail ---\n{self.log_tail()}"
        )

    def _descendants(self) -> set[int]:
        """PIDs of the server's children (kernels run in their own sessions)."""
        if self.proc is None:
            return set()
        try:
            import psutil
        except ImportError:
            return set()
        try:
            return {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.Error:
            return set()

    def remember_children(self) -> None:
        self._known_pids |= self._descendants()

    def stop(self, before_terminate=None) -> None:
        """Shut down, whatever state the server is in: hook, SIGTERM, wait, SIGKILL."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.remember_children()
                if before_terminate is not None:
                    with contextlib.suppress(Exception):
                        before_terminate(self)
                self.remember_children()
                with contextlib.suppress(ProcessLookupError):
                    self.proc.terminate()
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.proc.wait(timeout=10)
            # Anything left from the server's process group, then kernels it had started.
            if self.proc is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
            _kill_survivors(self._known_pids)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None


def _kill_survivors(pids: set[int]) -> None:
    if not pids:
        return
    try:
        import psutil
    except ImportError:
        return
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(pid))
    _, alive = psutil.wait_procs(procs, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def base_env(tmp: Path) -> dict[str, str]:
    """Environment with private Jupyter config/runtime/data dirs under ``tmp``."""
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        path = tmp / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env.pop("JUPYTER_TOKEN", None)
    env.pop("JUPYTER_PATH", None)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("MPLBACKEND", None)  # let ipykernel pick its inline backend
    return env


# JupyterLab user settings for a quiet, deterministic test page.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {
        # Attach every cell to the DOM (JupyterLab 4 otherwise virtualises long notebooks).
        "windowingMode": "none",
        # Start the notebook's kernel without the "Select Kernel" dialog.
        "autoStartDefaultKernel": True,
    },
    # Never write outputs back into the project's notebooks.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # No news/update toasts over the notebook (and no requests to the outside world).
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}


def write_lab_settings(settings_dir: Path) -> None:
    for plugin_id, values in LAB_SETTINGS.items():
        package, plugin = plugin_id.rsplit("/", 1)
        target = settings_dir / package / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(root: Path, port: int, checkpoint_dir: Path) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        # JupyterLab makes a checkpoint of every notebook it opens: keep those out of the repo.
        f"--FileCheckpoints.checkpoint_dir={checkpoint_dir}",
        # Expose window.jupyterapp so the tests can use the command registry and models.
        "--LabApp.expose_app_in_browser=True",
        "--ServerApp.terminals_enabled=False",
    ]
    if running_as_root():
        cmd.append("--allow-root")
    return cmd


def voila_command(notebook_rel: str, port: int, connection_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "voila",
        notebook_rel,
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        f"--Voila.connection_dir_root={connection_dir}",
        # Show tracebacks in the page so that a failing cell is diagnosable from a screenshot.
        "--show_tracebacks=True",
    ]


def http_json(method: str, url: str, timeout: float = 10) -> Any:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = resp.read()
    return json.loads(body) if body else None


def shutdown_lab_kernels(server: ServerProcess, path: str | None = None) -> None:
    """Delete the sessions (and so kernels) for ``path``, or every session and kernel."""
    base = server.url
    with contextlib.suppress(Exception):
        for sess in http_json("GET", f"{base}/api/sessions") or []:
            if path is None or sess.get("path") == path:
                with contextlib.suppress(Exception):
                    http_json("DELETE", f"{base}/api/sessions/{sess['id']}", timeout=30)
    if path is None:
        with contextlib.suppress(Exception):
            for kernel in http_json("GET", f"{base}/api/kernels") or []:
                with contextlib.suppress(Exception):
                    http_json("DELETE", f"{base}/api/kernels/{kernel['id']}", timeout=30)


# --------------------------------------------------------------------------------------
# JupyterLab page driving (JupyterLab 4 with window.jupyterapp exposed)
# --------------------------------------------------------------------------------------

JS_FIND_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of Array.from(app.shell.widgets('main'))) {
    if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
  }
  return null;
}
"""

JS_KERNEL_READY = (
    """
(path) => {
  const find = """
    + JS_FIND_PANEL
    + """;
  const panel = find(path);
  if (!panel || !panel.context.isReady) return false;
  const ctx = panel.sessionContext;
  if (!ctx.isReady) return false;
  const kernel = ctx.session && ctx.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}
"""
)

JS_RUN_ALL = (
    """
(path) => {
  const find = """
    + JS_FIND_PANEL
    + """;
  const app = window.jupyterapp;
  const panel = find(path);
  app.shell.activateById(panel.id);
  window.__gamlRunAll = {done: false};
  app.commands.execute('notebook:run-all-cells').then(
    (ok) => { window.__gamlRunAll = {done: true, ok: ok}; },
    (err) => { window.__gamlRunAll = {done: true, ok: false, error: String(err)}; });
}
"""
)

JS_RUN_ALL_FINISHED = (
    """
(path) => {
  const find = """
    + JS_FIND_PANEL
    + """;
  const panel = find(path);
  if (!panel) return 'the notebook panel was closed';
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) return 'the notebook has no kernel any more';
  if (kernel.status === 'dead') return 'the kernel died';
  const state = window.__gamlRunAll;
  if (!state || !state.done) return false;
  if (kernel.status !== 'idle') return false;
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    if (prompt && prompt.textContent.includes('*')) return false;
  }
  return true;
}
"""
)

JS_CELL_REPORT = (
    """
(path) => {
  const find = """
    + JS_FIND_PANEL
    + """;
  const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
  const panel = find(path);
  const cells = [];
  panel.content.widgets.forEach((cell, index) => {
    const model = cell.model;
    const source = model.sharedModel.getSource();
    const info = {index, type: model.type, source: source.slice(0, 300)};
    if (model.type === 'code') {
      info.blank = source.trim() === '';
      info.executionCount = model.executionCount;
      const prompt = cell.node.querySelector('.jp-InputPrompt');
      info.prompt = prompt ? prompt.textContent.trim() : '';
      info.errors = [];
      info.stderr = [];
      info.widgetViews = [];
      const outputs = model.outputs.toJSON();
      const children = Array.from(
        cell.node.querySelectorAll('.jp-Cell-outputArea > .jp-OutputArea-child'));
      outputs.forEach((out, j) => {
        if (out.output_type === 'error') {
          info.errors.push(out.ename + ': ' + out.evalue);
        } else if (out.output_type === 'stream' && out.name === 'stderr') {
          const text = Array.isArray(out.text) ? out.text.join('') : String(out.text);
          info.stderr.push(text);
        }
        if (out.data && out.data[WIDGET_MIME]) {
          const node = children[j];
          info.widgetViews.push({
            rendered: !!(node && node.querySelector('.jupyter-widgets')),
            text: node ? node.innerText.slice(0, 300) : '<no output node>',
          });
        }
      });
      const domErrors = cell.node.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
      info.domStderr = Array.from(domErrors).map((n) => n.innerText.slice(0, 2000));
    }
    cells.push(info);
  });
  return cells;
}
"""
)

JS_LAB_WIDGETS_RENDERED = (
    """
(path) => {
  const find = """
    + JS_FIND_PANEL
    + """;
  const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
  const panel = find(path);
  if (!panel) return false;
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const children = Array.from(
      cell.node.querySelectorAll('.jp-Cell-outputArea > .jp-OutputArea-child'));
    const outputs = cell.model.outputs.toJSON();
    for (let j = 0; j < outputs.length; j++) {
      if (!(outputs[j].data && outputs[j].data[WIDGET_MIME])) continue;
      const node = children[j];
      if (!node || !node.querySelector('.jupyter-widgets')) return false;
      if (node.innerText.includes('Loading widget')) return false;
    }
  }
  return true;
}
"""
)

JS_SHUTDOWN_KERNEL = (
    """
async (path) => {
  const find = """
    + JS_FIND_PANEL
    + """;
  const panel = find(path);
  if (panel && panel.sessionContext) { await panel.sessionContext.shutdown(); }
  return true;
}
"""
)


def lab_url(server_url: str, notebook_rel: str) -> str:
    # A workspace of its own for every page, so that a notebook opened by an earlier test is
    # not restored (with a second kernel). Note: "?reset" is not usable here: in JupyterLab
    # 4 it re-initialises the shell after the notebook opened and its new kernel is shut down.
    workspace = f"gaml-{uuid.uuid4().hex[:12]}"
    return f"{server_url}/lab/workspaces/{workspace}/tree/{notebook_rel}"


def open_lab_notebook(page, server_url: str, notebook_rel: str) -> None:
    page.goto(lab_url(server_url, notebook_rel), wait_until="domcontentloaded")
    page.wait_for_function(
        "() => !!(window.jupyterapp && window.jupyterapp.shell)", timeout=PAGE_TIMEOUT_MS
    )
    page.wait_for_function(
        f"(path) => !!({JS_FIND_PANEL})(path)", arg=notebook_rel, timeout=PAGE_TIMEOUT_MS
    )
    try:
        page.wait_for_function(
            JS_KERNEL_READY, arg=notebook_rel, timeout=KERNEL_READY_TIMEOUT_MS, polling=250
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
    page.evaluate(JS_RUN_ALL, notebook_rel)
    handle = page.wait_for_function(
        JS_RUN_ALL_FINISHED, arg=notebook_rel, timeout=RUN_ALL_TIMEOUT_MS, polling=250
    )
    outcome = handle.json_value()
    if outcome is not True:
        raise AssertionError(f"{notebook_rel}: run all cells did not finish: {outcome}")


def wait_lab_widgets_rendered(page, notebook_rel: str) -> None:
    """Give widget views time to render (they do so asynchronously after the outputs arrive).

    On timeout nothing is raised: ``lab_problems`` then names the views that did not render.
    """
    with contextlib.suppress(Exception):
        page.wait_for_function(
            JS_LAB_WIDGETS_RENDERED, arg=notebook_rel, timeout=REDRAW_TIMEOUT_MS, polling=250
        )


def lab_cell_report(page, notebook_rel: str) -> list[dict]:
    return page.evaluate(JS_CELL_REPORT, notebook_rel)


def shutdown_page_kernel(page, notebook_rel: str) -> None:
    with contextlib.suppress(Exception):
        page.evaluate(JS_SHUTDOWN_KERNEL, notebook_rel)


def lab_problems(cells: Sequence[dict]) -> list[str]:
    """Error outputs, tracebacks on stderr, missing execution counts, broken widget views."""
    problems = []
    for cell in cells:
        if cell["type"] != "code":
            continue
        where = f"cell {cell['index']} ({cell['source'][:60]!r})"
        for err in cell["errors"]:
            problems.append(f"{where}: error output {err}")
        for text in cell["stderr"] + cell["domStderr"]:
            if "Traceback" in text or re.search(r"(?m)^\w*(?:Error|Exception)\b", text):
                problems.append(f"{where}: stderr shows an error:\n{text[:1500]}")
        if not cell["blank"] and cell["executionCount"] is None:
            problems.append(f"{where}: not executed (prompt {cell['prompt']!r})")
        for view in cell["widgetViews"]:
            if not view["rendered"] or any(t in view["text"] for t in WIDGET_FAILURE_TEXTS):
                problems.append(f"{where}: widget view not rendered: {view['text']!r}")
    return problems


# --------------------------------------------------------------------------------------
# Demo checks (shared by JupyterLab and Voilà pages)
# --------------------------------------------------------------------------------------

JS_DEMO_STATE = """
(demo) => {
  const readouts = Array.from(demo.querySelectorAll('.gaml-readout'));
  const plots = Array.from(demo.querySelectorAll('.gaml-plot'));
  return {
    readout: readouts.map((r) => r.innerText.trim()).join(' | '),
    readouts: readouts.length,
    plots: plots.length,
    imgCounts: plots.map((p) => p.querySelectorAll('img').length),
    srcs: plots.map((p) => {
      const imgs = p.querySelectorAll('img');
      return imgs.length ? imgs[imgs.length - 1].getAttribute('src') : null;
    }),
    handles: demo.querySelectorAll('.noUi-handle').length,
    text: demo.innerText.slice(0, 500),
  };
}
"""

JS_DEMO_CHANGED = """
([demo, before]) => {
  const plots = Array.from(demo.querySelectorAll('.gaml-plot'));
  if (!plots.length) return false;
  const imgCounts = plots.map((p) => p.querySelectorAll('img').length);
  if (imgCounts.some((n) => n !== 1)) return false;
  const srcs = plots.map((p) => p.querySelector('img').getAttribute('src'));
  const readout = Array.from(demo.querySelectorAll('.gaml-readout'))
    .map((r) => r.innerText.trim()).join(' | ');
  return readout !== before.readout && srcs.some((s, i) => s !== before.srcs[i]);
}
"""


@dataclass
class DemoResult:
    index: int
    before: dict
    after: dict
    key: str
    slider_before: str | None
    slider_after: str | None

    def describe(self) -> str:
        return (
            f"demo #{self.index}: pressed {self.key} x{SLIDER_KEY_PRESSES} on the first slider "
            f"(aria-valuenow {self.slider_before} -> {self.slider_after}); "
            f"readout {self.before['readout']!r} -> {self.after['readout']!r}; "
            f"img per .gaml-plot {self.before['imgCounts']} -> {self.after['imgCounts']}; "
            f"img src hash {[short_hash(s) for s in self.before['srcs']]} -> "
            f"{[short_hash(s) for s in self.after['srcs']]}"
        )


def demo_static_problems(index: int, state: dict) -> list[str]:
    problems = []
    where = f"demo #{index}"
    if state["handles"] < 1:
        problems.append(f"{where}: no slider handle (.noUi-handle) inside .gaml-demo")
    if state["readouts"] < 1:
        problems.append(f"{where}: no .gaml-readout inside .gaml-demo")
    if state["plots"] < 1:
        problems.append(f"{where}: no .gaml-plot inside .gaml-demo")
    bad = [n for n in state["imgCounts"] if n != 1]
    if bad:
        problems.append(
            f"{where}: expected exactly one <img> per .gaml-plot, found {state['imgCounts']}"
        )
    if any(t in state["text"] for t in WIDGET_FAILURE_TEXTS):
        problems.append(f"{where}: widget failure text: {state['text'][:200]!r}")
    return problems


def wait_stable(page, demo, *, stable_ms: int = STABLE_MS, timeout_ms: int) -> dict:
    """Poll the demo until its state (readout, images) stays the same for ``stable_ms``.

    Keyboard presses queue several redraws in the kernel; asserting on the state between two
    of them would be flaky. Returns the last state seen when ``timeout_ms`` runs out.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    state = demo.evaluate(JS_DEMO_STATE)
    since = time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        new = demo.evaluate(JS_DEMO_STATE)
        if new != state:
            state, since = new, time.monotonic()
        elif (time.monotonic() - since) * 1000 >= stable_ms:
            break
    return state


def exercise_demo(page, demo, index: int, artifact_prefix: str | None = None) -> DemoResult:
    """Move the demo's first slider with the keyboard; wait for readout and plot to change.

    Raises AssertionError with a description when they do not change in time, or when the
    plot does not end with exactly one <img>.
    """
    demo.scroll_into_view_if_needed()
    before = wait_stable(page, demo, stable_ms=300, timeout_ms=REDRAW_TIMEOUT_MS)
    problems = demo_static_problems(index, before)
    if problems:
        raise AssertionError("\n".join(problems))

    handle = demo.locator(".noUi-handle").first
    now = handle.get_attribute("aria-valuenow")
    vmax = handle.get_attribute("aria-valuemax")
    key = "ArrowRight"
    with contextlib.suppress(TypeError, ValueError):
        if float(now) >= float(vmax):
            key = "ArrowLeft"
    handle.focus()
    for _ in range(SLIDER_KEY_PRESSES):
        handle.press(key)
        page.wait_for_timeout(50)
    slider_after = handle.get_attribute("aria-valuenow")

    changed = True
    try:
        page.wait_for_function(
            JS_DEMO_CHANGED, arg=[demo.element_handle(), before], timeout=REDRAW_TIMEOUT_MS
        )
    except Exception:  # Playwright TimeoutError
        changed = False
    # Let the queued redraws (one per key press) and any late extra output land.
    after = wait_stable(page, demo, timeout_ms=REDRAW_TIMEOUT_MS if changed else 2_000)
    result = DemoResult(index, before, after, key, now, slider_after)

    errors = []
    if slider_after == now:
        errors.append("the slider did not move (keyboard focus on .noUi-handle failed?)")
    if after["readout"] == before["readout"]:
        errors.append("the .gaml-readout text did not change")
    if after["srcs"] == before["srcs"]:
        errors.append("the .gaml-plot image did not change")
    if any(n != 1 for n in after["imgCounts"]):
        errors.append(f"expected exactly one <img> per .gaml-plot, found {after['imgCounts']}")
    if any(t in after["text"] for t in WIDGET_FAILURE_TEXTS):
        errors.append(f"widget failure text in the demo: {after['text'][:200]!r}")
    if not changed and not errors:
        errors.append("readout/plot did not settle to the changed state in time")
    if errors:
        if artifact_prefix:
            ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                path = ARTIFACTS_DIR / f"{safe_name(artifact_prefix)}-demo{index}.png"
                demo.screenshot(path=str(path), timeout=15_000)
        raise AssertionError(f"demo #{index}: " + "; ".join(errors) + "\n" + result.describe())
    return result


def exercise_all_demos(page, root_locator, artifact_prefix=None) -> list[DemoResult]:
    demos = root_locator.locator(".gaml-demo")
    results = []
    failures = []
    for i in range(demos.count()):
        try:
            results.append(exercise_demo(page, demos.nth(i), i, artifact_prefix))
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:
        raise AssertionError("\n\n".join(failures))
    return results


def page_error_texts(text: str) -> list[str]:
    hits = []
    for pattern in PAGE_ERROR_PATTERNS:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 200)
            hits.append(text[start : match.end() + 300])
            break
    return hits


# --------------------------------------------------------------------------------------
# Voilà page
# --------------------------------------------------------------------------------------

JS_VOILA_RENDERED = """
() => {
  if (document.getElementById('loading')) return false;
  const pending = document.querySelectorAll(
    'script[type="application/vnd.voila.cell-output+json"]');
  if (pending.length) return false;
  const text = document.body ? document.body.innerText : '';
  return !text.includes('Loading widget');
}
"""

VOILA_CODE_SELECTORS = (
    ".jp-CodeCell .jp-InputArea",
    ".jp-InputPrompt",
    ".jp-CodeMirrorEditor",
    ".cm-editor",
    ".CodeMirror",
)


JS_VOILA_STATE = """
() => {
  const loading = document.getElementById('loading');
  return {
    loading: loading ? loading.innerText.trim().slice(0, 200) : null,
    pendingOutputs: document.querySelectorAll(
      'script[type="application/vnd.voila.cell-output+json"]').length,
    loadingWidgetTexts: (document.body.innerText.match(/Loading widget/g) || []).length,
    themeLoaded: !!window.themeLoaded,
    cellLoaded: !!window.cellLoaded,
    readyState: document.readyState,
    demos: document.querySelectorAll('.gaml-demo').length,
  };
}
"""


def open_voila(page, url: str) -> None:
    """Load the Voilà page (served once the notebook ran) and wait for the widgets."""
    page.goto(url, wait_until="domcontentloaded", timeout=RUN_ALL_TIMEOUT_MS)
    try:
        page.wait_for_function(JS_VOILA_RENDERED, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
    except Exception as exc:  # Playwright TimeoutError: say what is still pending
        state = page.evaluate(JS_VOILA_STATE)
        raise AssertionError(f"Voilà page did not finish rendering: {state}") from exc


def save_artifacts(page, name: str) -> list[Path]:
    """Screenshot and HTML of ``page`` into tests/browser/artifacts/ (best effort)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    saved = []
    png = ARTIFACTS_DIR / f"{safe_name(name)}.png"
    html = ARTIFACTS_DIR / f"{safe_name(name)}.html"
    with contextlib.suppress(Exception):
        page.screenshot(path=str(png), full_page=True, timeout=15_000)
        saved.append(png)
    with contextlib.suppress(Exception):
        html.write_text(page.content())
        saved.append(html)
    return saved


@contextlib.contextmanager
def started(server: ServerProcess, probe: str, require_ok: bool, before_terminate=None):
    """Start ``server``, wait for it, and stop it whatever happens."""
    try:
        server.start()
        server.wait_ready(probe, require_ok=require_ok, timeout=SERVER_START_TIMEOUT_S)
        yield server
    finally:
        server.stop(before_terminate=before_terminate)
