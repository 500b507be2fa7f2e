"""Server processes for the browser tests: JupyterLab and Voilà, each in its own process group.

Which notebooks are tested (``project_root`` and the notebook lists), free ports, a private
Jupyter environment, the ``jupyter lab`` and ``voila`` command lines, ``ServerProcess`` (whose
``stop()`` also kills the kernels it started), ``started`` to run one for a ``with`` block, and
deleting JupyterLab sessions and kernels through its REST API.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SERVER_START_TIMEOUT_S = 90.0

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


# The classroom's Voilà settings (kernel pool, culling), relative to the root: the README's
# command passes this folder to Voilà, and so do the tests.
VOILA_CONFIG_DIR = "classroom/voila_config"


def voila_command(
    notebook_rel: str, port: int, connection_dir: Path, extra: Sequence[str] = ()
) -> list[str]:
    """The README's classroom command, run from the root, on 127.0.0.1 and ``port``.

    ``extra`` options come last and override the classroom's settings (e.g. a short
    culling timeout in the load test).
    """
    return [
        sys.executable,
        "-m",
        "voila",
        f"--Voila.config_file_paths={VOILA_CONFIG_DIR}",
        notebook_rel,
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        f"--Voila.connection_dir_root={connection_dir}",
        # Show tracebacks in the page so that a failing cell is diagnosable from a screenshot.
        "--show_tracebacks=True",
        *extra,
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


@contextlib.contextmanager
def started(server: ServerProcess, probe: str, require_ok: bool, before_terminate=None):
    """Start ``server``, wait for it, and stop it whatever happens."""
    try:
        server.start()
        server.wait_ready(probe, require_ok=require_ok, timeout=SERVER_START_TIMEOUT_S)
        yield server
    finally:
        server.stop(before_terminate=before_terminate)
