"""Running the classroom hub (classroom/jupyterhub_config.py) for the tests, as root.

``students_python`` finds or makes a Python that student accounts can run; ``HubRun`` starts
JupyterHub from the classroom configuration on loopback and free ports (through a small
test configuration that loads it, adding an API token for the test and shorter polling), and
talks to its REST API; ``login`` logs a student in with Chromium; ``account_memory`` adds
up the memory of a student account's processes; ``remove_test_accounts`` deletes the Unix
accounts the hub made.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import servers

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parents[1] / "classroom" / "jupyterhub_config.py"
PROXY = HERE.parents[1] / ".ci" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
ACCOUNT_PREFIX = "gaml-"
ACCOUNT_COMMENT = "gaml-hub student"
TEST_DIR_PREFIX = "gaml-hub-test-"
HUB_START_TIMEOUT_S = 90.0

# The students' lab settings (the test pages need every cell in the DOM and a kernel
# started without a dialog); like servers.LAB_SETTINGS but autosave stays on: the notebooks
# are the students' own copies.
STUDENT_LAB_SETTINGS = {
    key: value
    for key, value in servers.LAB_SETTINGS.items()
    if key != "@jupyterlab/docmanager-extension/plugin"
}


def run_as_nobody(cmd: list[str], env: dict[str, str] | None = None) -> bool:
    nobody = pwd.getpwnam("nobody")
    try:
        out = subprocess.run(
            cmd,
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            extra_groups=[],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", **(env or {})},
            capture_output=True,
            timeout=120,
            check=False,
        )
    except OSError:
        return False
    return out.returncode == 0


def students_python(workdir: Path) -> str:
    """A Python that unprivileged accounts can run, with the course's packages.

    The .venv's own Python when they can run it (a teacher's setup, README). Here it lives
    under /root (mode 700), which no student account can enter, so the test copies that
    Python's installation (interpreter, shared library, standard library; not its
    site-packages, tests or GUI modules: same version, so the .venv's wheels fit) to
    ``workdir`` and makes a venv from it whose site-packages adds the .venv's, with the
    .venv's share/ and etc/ (JupyterLab, Voilà, their server-extension settings). The copied
    interpreter looks for its shared library under /root (its RUNPATH) and would fall back
    to the system's libpython, another 3.11: a small script sets LD_LIBRARY_PATH to the
    copy's and starts it; the servers' kernels inherit that variable.
    """
    probe = "import jupyterhub.singleuser, voila, gaml_core"
    if run_as_nobody([sys.executable, "-c", probe]):
        return sys.executable
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.base_prefix)
    copy = workdir / "python"
    stdlib = base / "lib" / version
    unused = ("site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip")
    skip = {stdlib / name for name in unused} | set(stdlib.glob("config-*"))  # static lib

    def ignore(folder, names):
        return [n for n in names if Path(folder) / n in skip]

    shutil.copytree(base, copy, symlinks=True, ignore=ignore)
    libs = {"LD_LIBRARY_PATH": str(copy / "lib")}
    venv = workdir / "venv"
    subprocess.run(
        [str(copy / "bin" / version), "-m", "venv", "--without-pip", str(venv)],
        env={**os.environ, **libs},
        check=True,
    )
    course_site = Path(sys.prefix) / "lib" / version / "site-packages"
    (venv / "lib" / version / "site-packages" / "gaml_course_venv.pth").write_text(
        f"import site; site.addsitedir({str(course_site)!r})\n"
    )
    for name in ("share", "etc"):
        (venv / name).symlink_to(Path(sys.prefix) / name)
    starter = venv / "bin" / "python-for-students"
    starter.write_text(
        f"#!/bin/sh\nLD_LIBRARY_PATH={libs['LD_LIBRARY_PATH']}; export LD_LIBRARY_PATH\n"
        f'exec {venv / "bin" / "python"} "$@"\n'
    )
    starter.chmod(0o755)
    if not run_as_nobody([str(starter), "-c", probe]):
        raise RuntimeError(f"student accounts cannot run {starter} either")
    return str(starter)


def make_workdir() -> Path:
    """A folder that student accounts may pass through (pytest's tmp_path is mode 700)."""
    path = Path(
        subprocess.check_output(
            ["mktemp", "-d", f"/tmp/{TEST_DIR_PREFIX}XXXXXX"], text=True
        ).strip()
    )
    path.chmod(0o755)
    return path


def test_accounts() -> list[pwd.struct_passwd]:
    """Accounts made by the hub in a test run (home under a test folder)."""
    return [
        p
        for p in pwd.getpwall()
        if p.pw_name.startswith(ACCOUNT_PREFIX)
        and p.pw_gecos.split(",")[0] == ACCOUNT_COMMENT
        and p.pw_dir.startswith(f"/tmp/{TEST_DIR_PREFIX}")
    ]


def remove_test_accounts(names: set[str] | None = None) -> None:
    """userdel the hub-made test accounts: ``names``, or those whose test folder is gone."""
    for account in test_accounts():
        gone = not Path(account.pw_dir).parent.exists()
        if (names is not None and account.pw_name in names) or (names is None and gone):
            subprocess.run(
                ["userdel", "--force", account.pw_name], capture_output=True, check=False
            )


OVERLAY = """\
# Written by tests/browser/hub.py: the classroom hub as a teacher starts it, plus what the
# test needs: its own ports, an API token, shorter polling, JupyterLab exposed to the page.
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.JupyterHub.services.append({{"name": "gaml-test", "api_token": {token!r}}})
c.JupyterHub.load_roles.append(
    {{
        "name": "gaml-test",
        "scopes": ["admin:users", "admin:servers", "list:users", "read:users"],
        "services": ["gaml-test"],
    }}
)
c.Spawner.args = [*c.Spawner.args, "--LabApp.expose_app_in_browser=True"]
c.Spawner.environment = {{**c.Spawner.environment, **{student_env!r}}}
c.Spawner.poll_interval = {poll_interval}
c.JupyterHub.last_activity_interval = {activity_interval}
# Record every activity (default: only when 30 s newer), so that an active student's server
# never looks idle for the short culling timeout.
c.JupyterHub.activity_resolution = 1
"""


@dataclass
class HubRun:
    """JupyterHub from the classroom configuration, as a ``servers.ServerProcess``."""

    workdir: Path
    python: str
    cull_timeout: int
    cull_every: int
    poll_interval: int = 2
    activity_interval: int = 5
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    server: servers.ServerProcess | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def homes(self) -> Path:
        return self.workdir / "homes"

    def start(self) -> None:
        settings = self.workdir / "lab-settings"
        for plugin_id, values in STUDENT_LAB_SETTINGS.items():
            package, plugin = plugin_id.rsplit("/", 1)
            target = settings / package / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        for path in [settings, *settings.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        student_env = {
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            # How often a student's server reports its activity to the hub (default 300 s).
            "JUPYTERHUB_ACTIVITY_INTERVAL": str(self.activity_interval),
        }
        overlay = self.workdir / "test_jupyterhub_config.py"
        overlay.write_text(
            OVERLAY.format(
                config=str(CONFIG),
                hub_port=servers.free_port(),
                proxy_api_port=servers.free_port(),
                token=self.token,
                student_env=student_env,
                poll_interval=self.poll_interval,
                activity_interval=self.activity_interval,
            )
        )
        env = servers.base_env(self.workdir / "hub-jupyter")
        env.update(
            GAML_HUB_PASSWORD=self.password,
            GAML_HUB_PORT=str(port := servers.free_port()),
            GAML_HUB_STATE_DIR=str(self.workdir / "state"),
            GAML_HUB_HOMES=str(self.homes),
            GAML_HUB_PYTHON=self.python,
            GAML_HUB_PROXY=str(PROXY),
            GAML_HUB_CULL_TIMEOUT=str(self.cull_timeout),
            GAML_HUB_CULL_EVERY=str(self.cull_every),
        )
        for var in ("GAML_HUB_IP", "GAML_HUB_AUTHENTICATOR", "GAML_HUB_USERS"):
            env.pop(var, None)  # the defaults are what is tested
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        self.server = servers.ServerProcess(
            name="jupyterhub",
            cmd=[sys.executable, "-m", "jupyterhub", "-f", str(overlay)],
            cwd=self.workdir,
            env=env,
            log_path=self.workdir / "jupyterhub.log",
            port=port,
        )
        self.server.start()
        self.server.wait_ready("/hub/api/", require_ok=True, timeout=HUB_START_TIMEOUT_S)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def log(self) -> str:
        return self.server.log_tail(10**7) if self.server else ""

    # REST API -----------------------------------------------------------------------------

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}/hub/api{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                text = resp.read()
                return resp.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def user(self, name: str) -> dict:
        status, body = self.api("GET", f"/users/{name}")
        assert status == 200, f"GET /users/{name}: {status} {body}"
        return body

    def server_state(self, name: str) -> dict | None:
        """The user's default server as the hub sees it (None: not running)."""
        return self.user(name)["servers"].get("")

    def wait_for(self, what: str, check, timeout: float, interval: float = 1.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := check():
                return value
            time.sleep(interval)
        raise AssertionError(
            f"{what}: not after {timeout:.0f} s\n--- hub log ---\n" + self.log()[-6000:]
        )

    def start_times(self) -> dict[str, list[float]]:
        """Per user, the hub's own "User NAME took T seconds to start" figures, in order."""
        times: dict[str, list[float]] = {}
        for name, secs in re.findall(r"User (\S+) took ([\d.]+) seconds to start", self.log()):
            times.setdefault(name, []).append(float(secs))
        return times


def login(page, hub_url: str, name: str, password: str) -> None:
    """Log in at /hub/login; the hub then starts the student's server and opens it."""
    page.goto(f"{hub_url}/hub/login", wait_until="domcontentloaded")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")


def account_processes(account: str):
    import psutil

    uid = pwd.getpwnam(account).pw_uid
    procs = []
    for proc in psutil.process_iter(["uids", "name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["uids"] and proc.info["uids"].real == uid:
                procs.append(proc)
    return procs


def account_memory(account: str) -> dict:
    """RSS, PSS and USS (MB) of all the account's processes (its server and kernels).

    RSS counts shared libraries in full in every process; PSS shares them out, so the PSS
    of all students adds up to what they use together; USS is what each would free.
    """
    import psutil

    total = {"processes": 0, "rss_mb": 0.0, "pss_mb": 0.0, "uss_mb": 0.0, "kernels": 0}
    for proc in account_processes(account):
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            total["processes"] += 1
            total["rss_mb"] += info.rss / 2**20
            total["pss_mb"] += info.pss / 2**20
            total["uss_mb"] += info.uss / 2**20
            if "ipykernel_launcher" in " ".join(proc.info["cmdline"] or []):
                total["kernels"] += 1
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in total.items()}


def listening_addresses(pid: int) -> set[str]:
    """The addresses the process ``pid`` and its children listen on (ip:port)."""
    import psutil

    root = psutil.Process(pid)
    pids = {root.pid} | {p.pid for p in root.children(recursive=True)}
    found = set()
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            found.add(f"{conn.laddr.ip}:{conn.laddr.port}")
    return found


def root_tree_rss_mb(pid: int) -> float:
    """RSS (MB) of the hub and what it runs as root: the proxy and the idle culler (the
    students' servers, its children too, run as the students)."""
    import psutil

    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            if proc.uids().real == 0:
                total += proc.memory_info().rss
    return round(total / 2**20, 1)
