"""The classroom hub's configuration (classroom/jupyterhub_config.py) never opens an unprotected
hub, and the paper deployments (Binder, Zero to JupyterHub) use real settings.

The hub itself, with students in Chromium, is tested in tests/browser/test_hub.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import urllib.parse
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
Z2JH = ROOT / "classroom" / "z2jh" / "config.yaml"
README = ROOT / "README.md"


def load_config(monkeypatch, tmp_path, **env) -> Config:
    """Run the configuration file as JupyterHub does, with ``env`` as its only GAML_HUB_*."""
    for var in list(os.environ):
        if var.startswith("GAML_HUB_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("GAML_HUB_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GAML_HUB_PROXY", "/bin/true")  # found: stands in for the proxy
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(CONFIG), "__name__": "config"}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), namespace)
    return config


@pytest.mark.parametrize(
    "env, says",
    [
        ({}, "GAML_HUB_PASSWORD"),
        ({"GAML_HUB_PASSWORD": "short"}, "too short"),
        ({"GAML_HUB_AUTHENTICATOR": "dummy"}, "lets anybody in"),
        ({"GAML_HUB_AUTHENTICATOR": "null"}, "lets anybody in"),
        ({"GAML_HUB_AUTHENTICATOR": "jupyterhub.auth.DummyAuthenticator"}, "lets anybody in"),
        ({"GAML_HUB_PASSWORD": "a long password", "GAML_HUB_ISOLATION": "none"}, "accounts"),
        ({"GAML_HUB_PASSWORD": "a long password", "GAML_HUB_SSL_CERT": "/x.pem"}, "both"),
    ],
    ids=[
        "no-password",
        "short-password",
        "dummy",
        "null",
        "dummy-class",
        "bad-isolation",
        "half-ssl",
    ],
)
def test_config_refuses_to_start_an_unprotected_hub(monkeypatch, tmp_path, env, says):
    with pytest.raises(SystemExit, match=says):
        load_config(monkeypatch, tmp_path, **env)


def test_config_refuses_the_wrong_isolation_for_its_user(monkeypatch, tmp_path):
    # Accounts need root to make them; folders would run students' code as root.
    wrong = "folders" if os.geteuid() == 0 else "accounts"
    with pytest.raises(SystemExit, match="root"):
        load_config(
            monkeypatch, tmp_path, GAML_HUB_PASSWORD="a long password", GAML_HUB_ISOLATION=wrong
        )


def test_jupyterhub_exits_without_a_password(tmp_path):
    """The real command stops at once, before it listens or writes anything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAML_HUB_")}
    env["GAML_HUB_STATE_DIR"] = str(tmp_path / "state")
    out = subprocess.run(
        [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode != 0
    assert "NOT STARTED" in out.stderr and "GAML_HUB_PASSWORD" in out.stderr, out.stderr
    assert not (tmp_path / "state").exists()
    assert not list(tmp_path.glob("jupyterhub*"))


def test_config_defaults_are_closed(monkeypatch, tmp_path):
    """With a password: loopback only, the shared-password authenticator, the culler with
    only the scopes it needs, the course's URLs. (The check that student accounts can run
    the Python is replaced by a stand-in here: tests/browser/test_hub.py runs the real one.)"""
    if os.geteuid() == 0:
        real_run = subprocess.run

        def fake_run(cmd, *args, **kwargs):
            if kwargs.get("user") is not None:  # the check run as 'nobody'
                return subprocess.CompletedProcess(cmd, 0, "", "")
            return real_run(cmd, *args, **kwargs)

        monkeypatch.setattr(subprocess, "run", fake_run)
        isolation = "accounts"
    else:
        isolation = "folders"
    c = load_config(
        monkeypatch, tmp_path, GAML_HUB_PASSWORD="a long password", GAML_HUB_ISOLATION=isolation
    )
    assert c.JupyterHub.ip == "127.0.0.1"
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SharedPasswordAuthenticator.user_password == "a long password"
    assert re.fullmatch(c.Authenticator.username_pattern, "ada")
    for bad in ("../x", "a" * 30, "ada lovelace", "-x", ""):
        assert not re.fullmatch(c.Authenticator.username_pattern, bad), bad
    assert c.Spawner.default_url == "/lab/tree/notebooks/01_tasks.ipynb"
    assert (ROOT / "notebooks" / "01_tasks.ipynb").exists()
    (culler,) = [s for s in c.JupyterHub.services if s["name"] == "idle-culler"]
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=1200" in culler["command"]
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler"]
    assert role["services"] == ["idle-culler"]
    assert sorted(role["scopes"]) == sorted(
        ["list:users", "read:users:activity", "read:servers", "delete:servers"]
    )


def test_students_names_never_map_to_existing_accounts():
    """A student's Unix account is gaml-<name>, so 'root' logs in as gaml-root: no hub name
    reaches an account the hub did not make."""
    namespace = {"get_config": Config, "__file__": str(CONFIG)}
    source = CONFIG.read_text().split("# The configuration\n")[0]  # definitions only
    exec(compile(source, str(CONFIG), "exec"), namespace)
    assert namespace["account_name"]("root") == "gaml-root"
    assert len(namespace["account_name"]("a" * 27)) <= 32  # useradd's limit


# ------------------------------------------------------------------------------------------
# Binder (repo2docker) and Zero to JupyterHub, on paper
# ------------------------------------------------------------------------------------------

# Keys of the Zero to JupyterHub chart's values that classroom/z2jh/config.yaml may use, from
# the chart's schema (jupyterhub/values.schema.yaml): only the parts this course needs.
Z2JH_KEYS = {
    "": {"hub", "proxy", "singleuser", "cull", "prePuller", "scheduling", "ingress", "custom"},
    "hub": {"config", "extraConfig", "extraEnv", "services", "loadRoles", "db", "image"},
    "singleuser": {
        "image",
        "lifecycleHooks",
        "defaultUrl",
        "memory",
        "cpu",
        "storage",
        "startTimeout",
        "extraEnv",
        "cmd",
        "profileList",
        "extraFiles",
        "networkPolicy",
        "uid",
        "fsGid",
    },
    "singleuser.image": {"name", "tag", "pullPolicy", "pullSecrets"},
    "singleuser.memory": {"limit", "guarantee"},
    "singleuser.cpu": {"limit", "guarantee"},
    "singleuser.storage": {"type", "capacity", "homeMountPath", "dynamic", "static"},
    "singleuser.lifecycleHooks": {"postStart", "preStop"},
    "cull": {
        "enabled",
        "users",
        "adminUsers",
        "removeNamedServers",
        "timeout",
        "every",
        "concurrency",
        "maxAge",
    },
    "prePuller": {"hook", "continuous", "extraImages", "pullProfileListImages", "resources"},
    "prePuller.hook": {"enabled", "pullOnlyOnChanges", "podSchedulingWaitDuration"},
    "prePuller.continuous": {"enabled"},
}


def test_z2jh_values_use_real_keys():
    values = yaml.safe_load(Z2JH.read_text())
    for where, allowed in Z2JH_KEYS.items():
        node = values
        for part in where.split(".") if where else []:
            node = node.get(part, {})
        unknown = set(node) - allowed
        assert not unknown, f"{where or 'top level'}: not Zero to JupyterHub keys: {unknown}"

    su, cull = values["singleuser"], values["cull"]
    assert isinstance(su["memory"]["limit"], str | int) and isinstance(su["cpu"]["limit"], int)
    assert cull["enabled"] is True and isinstance(cull["timeout"], int)
    assert isinstance(cull["every"], int) and cull["timeout"] > cull["every"]
    command = su["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[0] == "gitpuller" and len(command) == 4  # git_url branch repo_dir
    target = command[3]
    assert su["defaultUrl"] == f"/lab/tree/{target}/notebooks/01_tasks.ipynb"

    # hub.config sets real traitlets of JupyterHub and its authenticator.
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator

    known = {"JupyterHub": JupyterHub, "Authenticator": Authenticator}
    for cls_name, settings in values["hub"]["config"].items():
        traits = known[cls_name].class_traits(config=True)
        assert set(settings) <= set(traits), f"hub.config.{cls_name}: {set(settings) - set(traits)}"


def test_binder_builds_the_python_the_course_is_tested_with():
    """repo2docker reads runtime.txt (not .python-version); without it, it picks the newest
    Python that pyproject's requires-python allows, not the one the pins were tested on."""
    runtime = (ROOT / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match, runtime
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">=3.{match.group(1)}"


def test_readme_launch_links_point_at_the_course():
    text = README.read_text()
    section = text.split("## Teaching a large class", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"https://[^\s)`'\"]+", section)
    binder = [u for u in links if u.startswith("https://mybinder.org/v2/")]
    pullers = [u for u in links if "/hub/user-redirect/git-pull?" in u]
    assert binder and pullers, links
    for url in binder:
        urlpath = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["urlpath"][0]
        assert urlpath.startswith(("voila/render/", "lab/tree/")), url
        assert (ROOT / urlpath.split("/", 2)[2]).exists(), url
    for url in pullers:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        target = query["targetpath"][0]
        urlpath = query["urlpath"][0]
        assert urlpath.split("/", 2)[2].startswith(target + "/"), url
        assert (ROOT / urlpath.split("/", 2)[2][len(target) + 1 :]).exists(), url
