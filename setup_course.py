"""Set up the course in .venv and open it: the README's first command.

    python3 setup_course.py lab        set up (first time) and open JupyterLab on notebook 1
    python3 setup_course.py            only set up (or repair) .venv
    python3 setup_course.py --dev      set up with the test tools too (the README's test command)

Anything after ``lab`` goes to JupyterLab, e.g. ``python3 setup_course.py lab --no-browser``.

What it does, in order, saying what is wrong in plain words when something is:

1. checks that this Python is 3.11 or newer (and has its ``venv`` module) before it touches
   anything, and otherwise says what to install;
2. checks an existing .venv: one left by a failed or older attempt (a Python that is too old
   or gone, no pip) is removed and made again, so a failed try never breaks the next one;
3. installs requirements.txt (with ``--dev``: requirements-dev.txt) into .venv with pip, and
   remembers what it installed in .venv/gaml-setup.json, so the next run skips pip unless a
   requirements file or pyproject.toml changed;
4. with ``lab``: starts JupyterLab with the repository as its root folder (so classroom/,
   figures/ and README.md are in the file browser) on notebooks/01_tasks.ipynb, adding
   ``--allow-root`` when run as root (JupyterLab refuses to run as root without it).

This file runs under any Python 3 so that it can say which one is needed: keep its syntax
plain (no walrus, no ``match``, no new-style annotations).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

MIN_PYTHON = (3, 11)
ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
MARKER = os.path.join(VENV, "gaml-setup.json")
FIRST_NOTEBOOK = "notebooks/01_tasks.ipynb"
NEWER_PYTHONS = ("python3.14", "python3.13", "python3.12", "python3.11")


def say(text):
    print("setup: " + text.replace("\n", "\n       "), flush=True)


def fail(text, code=1):
    print("\nsetup: STOPPED. " + text.replace("\n", "\n       ") + "\n", file=sys.stderr)
    sys.exit(code)


def version_text(info):
    return ".".join(str(part) for part in tuple(info)[:3])


def working_python(name):
    """The path of ``name`` if it runs and is new enough (a pyenv shim may not), else None."""
    path = shutil.which(name)
    if not path:
        return None
    code = "import sys; print(sys.version_info[:2] >= {})".format(MIN_PYTHON)  # noqa: UP032
    try:
        out = subprocess.run(
            [path, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return path if out.stdout.strip() == b"True" else None


def python_problem(version_info, executable, find=working_python):
    """What to tell the user when ``version_info`` is too old for the course, else None."""
    if tuple(version_info)[:2] >= MIN_PYTHON:
        return None
    need = ".".join(str(n) for n in MIN_PYTHON)
    lines = [
        f"The course needs Python {need} or newer; this is Python "
        f"{version_text(version_info)} ({executable}).",
        "(With an older Python, pip fails with a misleading "
        '"No matching distribution found for numpy==...".)',
        "Nothing was installed or changed.",
    ]
    newer = [name for name in NEWER_PYTHONS if find(name)]
    if newer:
        lines += [
            "A newer Python is already installed here: run",
            f"    {newer[0]} setup_course.py {' '.join(sys.argv[1:])}".rstrip(),
        ]
    else:
        lines += [
            f"Install Python {need} or newer, for example:",
            "    Debian/Ubuntu: sudo apt install python3.11 python3.11-venv",
            "    macOS:         brew install python@3.12",
            "    Windows/macOS: the installer from python.org/downloads",
            "then run this command with it, e.g.  python3.11 setup_course.py lab",
        ]
    return "\n".join(lines)


def venv_module_problem():
    """What to tell the user when this Python cannot make a virtual environment with pip."""
    import importlib.util

    for module in ("venv", "ensurepip"):
        if importlib.util.find_spec(module) is None:
            name = "python{}.{}-venv".format(*sys.version_info[:2])
            return (
                f"This Python ({sys.executable}) has no '{module}' module, so it cannot make"
                f" .venv.\nOn Debian/Ubuntu install it with:  sudo apt install {name}\n"
                "then run this command again. Nothing was installed or changed."
            )
    return None


def venv_python():
    if os.name == "nt":
        return os.path.join(VENV, "Scripts", "python.exe")
    return os.path.join(VENV, "bin", "python")


def venv_tool(name):
    if os.name == "nt":
        return os.path.join(VENV, "Scripts", name + ".exe")
    return os.path.join(VENV, "bin", name)


def probe_venv():
    """The Python version (a tuple) of .venv if it runs and has pip, else the reason why not."""
    python = venv_python()
    if not os.path.exists(python):
        return f"it has no {os.path.relpath(python, ROOT)}"
    code = "import sys, pip; print(*sys.version_info[:3])"
    try:
        out = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"its Python does not run ({exc})"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return f"its Python or pip does not work ({last})"
    version = tuple(int(part) for part in out.stdout.split())
    if version[:2] < MIN_PYTHON:
        return f"it was made with Python {version_text(version)}, too old for the course"
    return version


def remove_venv(reason):
    say(
        f".venv is left from an earlier attempt and would not work: {reason}.\n"
        "Removing it and making it again."
    )
    shutil.rmtree(VENV, ignore_errors=True)
    if os.path.exists(VENV):
        fail(f"Could not remove {VENV}: remove it by hand and run this command again.")


def make_venv():
    say(f"making .venv with Python {version_text(sys.version_info)} ({sys.executable})")
    try:
        done = subprocess.run([sys.executable, "-m", "venv", VENV], check=False).returncode == 0
    except KeyboardInterrupt:
        shutil.rmtree(VENV, ignore_errors=True)
        raise
    problem = None if done else "python -m venv failed"
    if done:
        probed = probe_venv()
        problem = probed if isinstance(probed, str) else None
    if problem:
        shutil.rmtree(VENV, ignore_errors=True)
        minor = "{}.{}".format(*sys.version_info[:2])
        fail(
            f"Could not make .venv ({problem}); nothing is left behind.\n"
            f"On Debian/Ubuntu, install python{minor}-venv and run this command again."
        )


def file_hash(name):
    with open(os.path.join(ROOT, name), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def wanted_state(requirements):
    """What an installed .venv must match: the requirements files it used, and pyproject.toml
    (``-e .`` maps the course's modules when installed: a new module needs a reinstall)."""
    names = [requirements, "requirements.txt", "pyproject.toml"]
    return {name: file_hash(name) for name in sorted(set(names))}


def read_marker():
    try:
        with open(MARKER) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def installed(requirements):
    """True when .venv already holds what ``requirements`` asks for (per the marker)."""
    have = read_marker().get("files", {})
    want = wanted_state(requirements)
    if requirements == "requirements.txt" and "requirements-dev.txt" in have:
        want["requirements-dev.txt"] = file_hash("requirements-dev.txt")  # a superset
    return all(have.get(name) == digest for name, digest in want.items())


def pip_install(requirements):
    say(f"installing {requirements} into .venv (a few minutes the first time)")
    env = dict(os.environ)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for var in ("PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PYTHONHOME"):
        env.pop(var, None)  # a user-level pip setting would install outside .venv
    start = time.monotonic()
    cmd = [venv_python(), "-m", "pip", "install", "-q", "-r", requirements]
    code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    if code != 0:
        if os.path.exists(MARKER):
            os.remove(MARKER)
        fail(
            f"pip could not install {requirements} (exit code {code}; its message is above).\n"
            "Check the internet connection (pip needs pypi.org) and run this command again:\n"
            "it goes on from where it stopped."
        )
    state = {"python": version_text(sys.version_info), "files": wanted_state(requirements)}
    old = read_marker().get("files", {})
    if requirements == "requirements.txt" and "requirements-dev.txt" in old:
        state["files"]["requirements-dev.txt"] = old["requirements-dev.txt"]
    with open(MARKER, "w") as f:
        json.dump(state, f, indent=1)
    say(f"installed in {time.monotonic() - start:.0f} s")


def running_as_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(extra):
    cmd = [venv_tool("jupyter"), "lab", "--ServerApp.root_dir=" + ROOT, FIRST_NOTEBOOK]
    if running_as_root() and "--allow-root" not in extra:
        cmd.append("--allow-root")
    return cmd + list(extra)


def setup(requirements):
    problem = python_problem(sys.version_info, sys.executable) or venv_module_problem()
    if problem:
        fail(problem, code=2)
    if os.path.lexists(VENV):
        probed = probe_venv()
        if isinstance(probed, str):
            remove_venv(probed)
    if not os.path.exists(VENV):
        make_venv()
    if installed(requirements):
        say(f"{requirements} is installed in .venv already")
    else:
        pip_install(requirements)


def main(argv):
    args = list(argv)
    dev = "--dev" in args[:1]
    if dev:
        args = args[1:]
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if args and args[0] != "lab":
        fail(f"unknown command {args[0]!r}: use  python3 setup_course.py [--dev] [lab]")
    os.chdir(ROOT)
    setup("requirements-dev.txt" if dev else "requirements.txt")
    if not args:
        return 0
    cmd = lab_command(args[1:])
    shown = " ".join([os.path.relpath(cmd[0], ROOT), *cmd[1:]]).replace(ROOT, ".")
    say("starting JupyterLab (stop it with Ctrl+C):\n    " + shown)
    if running_as_root():
        say("(--allow-root because you are root: JupyterLab refuses to run as root without it)")
    if os.name == "nt":
        return subprocess.call(cmd)
    os.execv(cmd[0], cmd)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\nsetup: interrupted; run the same command again to go on.", file=sys.stderr)
        sys.exit(130)
