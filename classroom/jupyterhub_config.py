"""JupyterHub for a class on one machine: each student gets a server and a copy of the course.

The README's section "Teaching a large class" starts it (as root, for the student accounts)::

    sudo GAML_HUB_PASSWORD='a long room password' .venv/bin/jupyterhub \\
        -f classroom/jupyterhub_config.py

Students open http://<this computer>:8000/, type a name of their own and the room password,
and land in JupyterLab on their own copy of the course (``~/gaml-course``: notebooks/,
classroom/, figures/, README.md); the classroom page is at
``/user/<name>/voila/render/classroom/ga_demos.ipynb``. Everything is set with environment
variables, so that this file needs no edits:

================================  ==========================================================
``GAML_HUB_PASSWORD``             the room's shared password (8 characters or more).
                                  Required: without it (or ``GAML_HUB_AUTHENTICATOR``) the
                                  hub refuses to start, so it is never open.
``GAML_HUB_AUTHENTICATOR``        instead of the password: an authenticator you configure
                                  yourself (e.g. ``pam``, or an OAuth one in a config file of
                                  yours that loads this one). ``dummy`` and ``null`` are
                                  refused.
``GAML_HUB_USERS``                optional, comma-separated: the only names allowed to log in
                                  (default: any name that matches ``USERNAME_PATTERN``).
``GAML_HUB_IP``, ``GAML_HUB_PORT``  where students connect: 127.0.0.1 and 8000 by default,
                                  i.e. this computer only. For a room: ``GAML_HUB_IP=0.0.0.0``.
``GAML_HUB_SSL_CERT``/``_KEY``    HTTPS certificate and key (recommended off loopback: the
                                  password otherwise crosses the room's network in clear).
``GAML_HUB_ISOLATION``            ``accounts`` (default) or ``folders``, see below.
``GAML_HUB_HOMES``                where the students' home folders go (``/home``; for
                                  ``folders``: ``<state dir>/homes``).
``GAML_HUB_STATE_DIR``            the hub's database, cookie secret and pid files
                                  (``~/.local/state/gaml-hub``).
``GAML_HUB_PYTHON``               the Python that runs the students' servers and kernels
                                  (default: the one running the hub, i.e. the course's .venv).
``GAML_HUB_PROXY``                configurable-http-proxy (default: .ci/node's copy if
                                  ``npm install --prefix .ci/node`` made one, else on PATH).
``GAML_HUB_CULL_TIMEOUT``         seconds without activity before a student's server is
                                  stopped (1200), checked every ``GAML_HUB_CULL_EVERY`` (60).
``GAML_HUB_MAX_SERVERS``          most servers running at once (0: no limit); a student
                                  beyond it is asked to try again later.
``GAML_HUB_NPROC``                most processes and threads per student account (512).
================================  ==========================================================

**Isolation.** ``accounts`` (the default, needs root): every student gets a Unix account of
their own, ``gaml-<name>``, created on first login (``useradd``, no password, so nobody can
log into it except through the hub), with a home folder of mode 700. Their server and kernels
run as that account, so the operating system keeps students' files apart: one student's code
cannot read or change another's, nor the teacher's. The Python in ``GAML_HUB_PYTHON`` and the
repository must be readable by those accounts (a .venv under /root is not: the hub checks this
when it starts and says so). ``folders``: for a teacher without root. Each student gets a
folder of their own under ``GAML_HUB_HOMES``, but every server runs as the teacher's account,
so a student's code can read and change every other student's folder and the teacher's own
files: only for a room where everybody is trusted. It refuses to run as root.

**Authentication.** JupyterHub's SharedPasswordAuthenticator: anyone who has the room
password can log in under any name that fits the pattern, *including a name that another
student already uses*, and then sees that student's files. Account isolation protects
students from each other's mistakes and code, not from a classmate who types their name with
the room password. Use a real authenticator (``GAML_HUB_AUTHENTICATOR``) where that matters.

**Limits.** JupyterHub's local spawners do not enforce ``mem_limit`` or ``cpu_limit`` (only
container or Kubernetes spawners do). Here each student account has a limit on its number of
processes and threads (``GAML_HUB_NPROC``, against runaway forks), and memory is bounded by
the number of servers (``GAML_HUB_MAX_SERVERS``) times the measured memory per student (the
README gives it). Idle servers are stopped by jupyterhub-idle-culler (a service the hub
starts, with only the scopes it needs), and inside each server a kernel whose tab is gone is
shut down after ``KERNEL_CULL_IDLE_S``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import pwd
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner, set_user_setuid

COURSE_ROOT = Path(__file__).resolve().parents[1]
# What each student gets a copy of (the course's modules stay shared and read-only: the
# kernels import them from the repository through the course's editable install).
COURSE_ITEMS = ("README.md", "notebooks", "classroom", "figures")
COURSE_DIR = "gaml-course"  # in each student's home
DEFAULT_URL = "/lab/tree/notebooks/01_tasks.ipynb"

ACCOUNT_PREFIX = "gaml-"
ACCOUNT_COMMENT = "gaml-hub student"  # marks the accounts this hub made (and may use)
# Hub user names: lower case (JupyterHub lowercases what students type), at most 27
# characters so that gaml-<name> fits the 32 that useradd allows.
USERNAME_PATTERN = r"^[a-z][a-z0-9_-]{0,26}$"
# Authenticators that let anybody in: refused (entry-point names and class names).
REFUSED_AUTHENTICATORS = {"dummy", "null", "DummyAuthenticator", "NullAuthenticator"}
MIN_PASSWORD_LENGTH = 8  # SharedPasswordAuthenticator's own minimum

KERNEL_CULL_IDLE_S = 20 * 60
KERNEL_CULL_INTERVAL_S = 2 * 60


class HubConfigError(SystemExit):
    """Stops the hub before it starts, with a message and no traceback."""

    def __init__(self, message: str):
        super().__init__(f"\ngaml hub: NOT STARTED. {message}\n")


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_int(name: str, default: int) -> int:
    text = env(name, str(default))
    try:
        return int(text)
    except ValueError:
        raise HubConfigError(f"{name}={text!r} is not a whole number.") from None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def running_as_root() -> bool:
    return os.geteuid() == 0


def account_name(hub_name: str) -> str:
    return ACCOUNT_PREFIX + hub_name


def default_proxy() -> str:
    local = COURSE_ROOT / ".ci" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else "configurable-http-proxy"


# ------------------------------------------------------------------------------------------
# Students' accounts or folders, and their copy of the course
# ------------------------------------------------------------------------------------------


async def run(cmd: list[str], what: str, **kwargs) -> None:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): {out.decode(errors='replace')}")


async def ensure_account(hub_name: str, homes: Path) -> pwd.struct_passwd:
    """The student's Unix account, made on first login; never an account this hub did not
    make (which could be a real person's, or a system account)."""
    name = account_name(hub_name)
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        homes.mkdir(parents=True, exist_ok=True)
        home = homes / name
        cmd = ["useradd", "--create-home", "--home-dir", str(home), "--user-group"]
        cmd += ["--shell", "/bin/bash", "--comment", ACCOUNT_COMMENT, name]
        await run(cmd, f"useradd {name}")
        home.chmod(0o700)
        account = pwd.getpwnam(name)
    if account.pw_gecos.split(",")[0] != ACCOUNT_COMMENT:
        raise RuntimeError(f"account {name} exists but was not made by this hub: not used")
    return account


def copy_course_command(dest: Path) -> list[str]:
    """A shell command that copies the course to ``dest`` unless it is there already.

    The copy goes to a side folder first and is renamed when complete, so that a copy cut
    short is made again at the next start; a student's own copy is never touched again.
    """
    script = (
        'dest="$1"; shift; [ -e "$dest" ] && exit 0; '
        'rm -rf "$dest.partial" && mkdir -p "$dest.partial" && '
        'cp -R -- "$@" "$dest.partial/" && mv "$dest.partial" "$dest"'
    )
    sources = [str(COURSE_ROOT / item) for item in COURSE_ITEMS]
    return ["/bin/sh", "-c", script, "copy-course", str(dest), *sources]


class StudentAccountSpawner(LocalProcessSpawner):
    """LocalProcessSpawner that runs hub user NAME as the Unix account gaml-NAME (made on
    first login), with a limit on that account's processes and threads."""

    def make_preexec_fn(self, name):
        become_student = set_user_setuid(account_name(self.user.name))
        nproc = NPROC_LIMIT

        def preexec():
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            become_student()

        return preexec

    def user_env(self, env):
        account = pwd.getpwnam(account_name(self.user.name))
        env.update(USER=account.pw_name, LOGNAME=account.pw_name, HOME=account.pw_dir)
        env["SHELL"] = account.pw_shell or "/bin/bash"
        return env

    async def prepare_student(self) -> Path:
        account = await ensure_account(self.user.name, HOMES)
        dest = Path(account.pw_dir) / COURSE_DIR
        # The copy runs as the student: nothing is written into their home as root.
        await run(
            copy_course_command(dest),
            f"copying the course for {account.pw_name}",
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=[],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": account.pw_dir},
        )
        return dest


class StudentFolderSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner (one folder per student, no isolation between them)."""

    async def prepare_student(self) -> Path:
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        dest = home / COURSE_DIR
        await run(copy_course_command(dest), f"copying the course for {self.user.name}")
        return dest


async def prepare_student(spawner) -> None:
    """pre_spawn_hook: the student's account or folder and copy of the course; the server's
    root folder is that copy, so the course's URLs work in it unchanged."""
    dest = await spawner.prepare_student()
    spawner.notebook_dir = str(dest)


# ------------------------------------------------------------------------------------------
# Checks before starting
# ------------------------------------------------------------------------------------------

STUDENT_CAN_RUN = """
import importlib.util, os, sys
import gaml_core
for name in ("jupyterhub", "jupyter_server", "jupyterlab", "voila", "ipykernel"):
    if importlib.util.find_spec(name) is None:
        raise ImportError("no module named " + name)
root = sys.argv[1]
for item in sys.argv[2:]:
    path = os.path.join(root, item)
    os.listdir(path) if os.path.isdir(path) else open(path).close()
"""


def check_students_can_run(python: str) -> None:
    """As the unprivileged 'nobody', start that Python, import the course's module, find the
    packages a student's server needs and read the course: this fails when the Python or the
    repository is where student accounts cannot go."""
    nobody = pwd.getpwnam("nobody")
    cmd = [python, "-c", STUDENT_CAN_RUN, str(COURSE_ROOT), *COURSE_ITEMS]
    try:
        out = subprocess.run(
            cmd,
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            extra_groups=[],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        problem = out.stderr.strip().splitlines()[-1:] if out.returncode else None
    except OSError as exc:
        problem = [str(exc)]
    if problem:
        raise HubConfigError(
            f"student accounts cannot run {python} with the course ({problem[0]}).\n"
            "Every folder on the way to that Python, its packages and the repository must be\n"
            "readable by other users (a Python or .venv under /root or a private home is\n"
            "not). Install the course where they can, e.g. clone it to /opt/gaml-course and\n"
            "run setup_course.py there with the system's python3, or set GAML_HUB_PYTHON."
        )


def warm_data_cache(python: str) -> None:
    """Decode the Omniglot zips once, as the hub's own user, into the course's
    ``data/omniglot/.cache`` (readable by all): students' kernels cannot write there, and would
    otherwise decode the zips at every load of notebook 8 or the classroom page (3 s, with a
    warning). A missing or altered zip stops the hub with the loader's message."""
    cmd = [python, "-c", "import gaml_omniglot; gaml_omniglot.load_omniglot()"]
    out = subprocess.run(cmd, cwd=COURSE_ROOT, capture_output=True, text=True, timeout=300,
                         check=False)  # fmt: skip
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        raise HubConfigError(f"the course's Omniglot data could not be loaded: {last}")


# ------------------------------------------------------------------------------------------
# The configuration
# ------------------------------------------------------------------------------------------

c = get_config()  # noqa: F821  (defined by traitlets when it loads this file)

ISOLATION = env("GAML_HUB_ISOLATION", "accounts")
STATE_DIR = Path(env("GAML_HUB_STATE_DIR", "~/.local/state/gaml-hub")).expanduser()
PYTHON = env("GAML_HUB_PYTHON", sys.executable)
NPROC_LIMIT = env_int("GAML_HUB_NPROC", 512)
CULL_TIMEOUT_S = env_int("GAML_HUB_CULL_TIMEOUT", 1200)
CULL_EVERY_S = env_int("GAML_HUB_CULL_EVERY", 60)

# Who may log in: never an open hub.
password = os.environ.get("GAML_HUB_PASSWORD", "")
authenticator = env("GAML_HUB_AUTHENTICATOR")
if authenticator:
    if authenticator.rsplit(".", 1)[-1] in REFUSED_AUTHENTICATORS:
        raise HubConfigError(f"GAML_HUB_AUTHENTICATOR={authenticator} lets anybody in.")
    c.JupyterHub.authenticator_class = authenticator
elif len(password) >= MIN_PASSWORD_LENGTH:
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = password
else:
    raise HubConfigError(
        "set GAML_HUB_PASSWORD to the room's password "
        f"({MIN_PASSWORD_LENGTH} characters or more; it was "
        f"{'too short' if password else 'not set'}), or GAML_HUB_AUTHENTICATOR to an "
        "authenticator you configured. Without one the hub would be open to anybody."
    )
c.Authenticator.username_pattern = USERNAME_PATTERN
users = {name.strip().lower() for name in env("GAML_HUB_USERS").split(",") if name.strip()}
if users:
    c.Authenticator.allowed_users = users
elif not authenticator:
    c.Authenticator.allow_all = True  # anyone with the password, under a fitting name

# Where: this computer only unless told otherwise.
c.JupyterHub.ip = env("GAML_HUB_IP", "127.0.0.1")
c.JupyterHub.port = env_int("GAML_HUB_PORT", 8000)
c.JupyterHub.hub_ip = "127.0.0.1"  # the hub's own API: never off this computer
ssl_cert, ssl_key = env("GAML_HUB_SSL_CERT"), env("GAML_HUB_SSL_KEY")
if bool(ssl_cert) != bool(ssl_key):
    raise HubConfigError("set both GAML_HUB_SSL_CERT and GAML_HUB_SSL_KEY, or neither.")
if ssl_cert:
    c.JupyterHub.ssl_cert, c.JupyterHub.ssl_key = ssl_cert, ssl_key
elif not is_loopback(c.JupyterHub.ip):
    print(
        f"gaml hub: WARNING: listening on {c.JupyterHub.ip} without HTTPS: the room password "
        "crosses the network in clear (set GAML_HUB_SSL_CERT and GAML_HUB_SSL_KEY).",
        file=sys.stderr,
    )

# The hub's own files.
STATE_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
c.JupyterHub.db_url = f"sqlite:///{STATE_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE_DIR / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE_DIR / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [env("GAML_HUB_PROXY", default_proxy())]
c.ConfigurableHTTPProxy.pid_file = str(STATE_DIR / "proxy.pid")
if shutil.which(c.ConfigurableHTTPProxy.command[0]) is None:
    raise HubConfigError(
        f"configurable-http-proxy not found ({c.ConfigurableHTTPProxy.command[0]}): install "
        "it with  npm install --prefix .ci/node configurable-http-proxy@5.3.0  (or -g), or "
        "set GAML_HUB_PROXY."
    )

# Students' servers.
if ISOLATION == "accounts":
    if not running_as_root():
        raise HubConfigError(
            "GAML_HUB_ISOLATION=accounts (the default) makes a Unix account per student and "
            "needs root: start the hub with sudo, or see GAML_HUB_ISOLATION=folders."
        )
    HOMES = Path(env("GAML_HUB_HOMES", "/home"))
    check_students_can_run(PYTHON)
    warm_data_cache(PYTHON)
    c.JupyterHub.spawner_class = StudentAccountSpawner
elif ISOLATION == "folders":
    if running_as_root():
        raise HubConfigError(
            "GAML_HUB_ISOLATION=folders runs every student's code as the hub's own user: "
            "never as root. Run it as an ordinary user, or use accounts."
        )
    HOMES = Path(env("GAML_HUB_HOMES", str(STATE_DIR / "homes")))
    c.JupyterHub.spawner_class = StudentFolderSpawner
    c.StudentFolderSpawner.home_dir_template = str(HOMES / "{username}")
else:
    raise HubConfigError(f"GAML_HUB_ISOLATION={ISOLATION!r}: use accounts or folders.")

c.Spawner.cmd = [PYTHON, "-m", "jupyterhub.singleuser"]
c.Spawner.pre_spawn_hook = prepare_student
c.Spawner.default_url = DEFAULT_URL
c.Spawner.environment = {
    "PATH": os.pathsep.join([str(Path(PYTHON).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
}
c.Spawner.args = [
    # A kernel whose tab was closed without shutting it down is freed after a while.
    f"--MappingKernelManager.cull_idle_timeout={KERNEL_CULL_IDLE_S}",
    f"--MappingKernelManager.cull_interval={KERNEL_CULL_INTERVAL_S}",
    "--MappingKernelManager.cull_connected=False",
]
# Many students logging in at once on 2 cores: servers take longer than the defaults allow.
c.Spawner.http_timeout = 90
c.Spawner.start_timeout = 180
c.JupyterHub.active_server_limit = env_int("GAML_HUB_MAX_SERVERS", 0)

# Idle servers are stopped by jupyterhub-idle-culler, run by the hub as a service with only
# the scopes it needs (its README). The hub updates activity every minute.
c.JupyterHub.last_activity_interval = 60
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={CULL_TIMEOUT_S}",
            f"--cull-every={CULL_EVERY_S}",
        ],
        "cwd": str(STATE_DIR),
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "description": "Stop students' servers that have been idle too long",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
