"""The classroom hub (classroom/jupyterhub_config.py) holds several students on one machine.

JupyterHub starts from the teacher's configuration (through tests/browser/hub.py, which adds
free loopback ports, an API token for the test and shorter activity polling) with
configurable-http-proxy from npm (.ci/node) and the idle culler as a hub-managed service.
Three students log in with the room password in their own Chromium contexts; each gets a
Unix account and a copy of the course; each opens notebook 2 in JupyterLab, runs it and moves
the dissenting-task demo's slider, then opens the classroom page under
/user/<name>/voila/render/classroom/ga_demos.ipynb and moves a slider there. Then:

* isolation: a file a student writes and the notebook they edit and save are in their copy
  only; another student's kernel gets "permission denied" reading or writing them, and nobody
  can write into the repository;
* the hub answers on 127.0.0.1 only;
* one student's server is killed: the hub notices, the others are untouched, and the student
  starts again from the browser and finds their files;
* servers whose pages are closed are stopped by the idle culler (its timeout shortened).

Printed, and kept in artifacts/hub_figures.json: each start's time as the hub logs it (spawn
request to server ready), memory per student (RSS/PSS/USS of the account's processes: server
and kernels), the hub's and the proxy's, and how long culling took. Needs root (it makes
Unix accounts, removed afterwards) and configurable-http-proxy in .ci/node (.ci/run installs
it); 2 to 3 minutes on 2 cores; deselect with ``-m "not hub"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import time
from pathlib import Path

import hub
import lab
import pages
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.hub]

STUDENTS = 3
NOTEBOOK = "notebooks/02_weights.ipynb"
CLASSROOM = "classroom/ga_demos.ipynb"
CULL_TIMEOUT_S = 40  # the idle culler's --timeout here (the classroom default is 1200)
CULL_EVERY_S = 5
SPAWN_TIMEOUT_MS = 120_000
TIME_LIMIT_S = 480
FIGURES = pages.ARTIFACTS_DIR / "hub_figures.json"


def missing(message: str):
    if os.environ.get("GAML_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (GAML_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
    pytest.skip(f"{message}: hub test skipped")


@pytest.fixture
def hub_workdir(chromium_executable):
    if os.geteuid() != 0:
        missing("the hub test makes Unix accounts and must run as root")
    if not shutil.which("useradd"):
        missing("useradd is not installed")
    if not hub.PROXY.exists():
        missing(
            f"configurable-http-proxy not found at {hub.PROXY} "
            "(npm install --prefix .ci/node configurable-http-proxy@5.3.0)"
        )
    hub.remove_test_accounts()  # left by an earlier run that was killed
    workdir = hub.make_workdir()
    try:
        yield workdir
    finally:
        hub.remove_test_accounts(
            {a.pw_name for a in hub.test_accounts() if a.pw_dir.startswith(str(workdir))}
        )
        shutil.rmtree(workdir, ignore_errors=True)


def new_student_context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(pages.PAGE_TIMEOUT_MS)
    return context


def run_in_kernel(page, code: str) -> dict:
    return page.evaluate(pages.load_js("lab_execute"), [NOTEBOOK, code])


def open_classroom(page, url: str) -> None:
    pages.open_voila(page, url)
    problems = pages.page_text_problems(page)
    assert not problems, "error text on the classroom page:\n" + "\n---\n".join(problems)
    assert not pages.visible_code(page), "code visible on the classroom page"


def exercise_first_demo(page, root, prefix: str) -> str:
    demo = root.locator(".gaml-demo").first
    demo.wait_for(timeout=pages.REDRAW_TIMEOUT_MS)
    return pages.exercise_demo(page, demo, 0, prefix).describe()


@pytest.mark.timeout(TIME_LIMIT_S)
def test_classroom_hub_serves_students(gaml_browser, hub_workdir, capsys):
    t_test = time.monotonic()
    tag = secrets.token_hex(3)
    names = [f"{chr(ord('a') + i)}{tag}" for i in range(STUDENTS)]  # fresh names every run
    accounts = {name: hub.ACCOUNT_PREFIX + name for name in names}
    figures: dict = {"students": {}, "phases_s": {}}

    phase = time.monotonic()
    python = hub.students_python(hub_workdir)
    run = hub.HubRun(hub_workdir, python, cull_timeout=CULL_TIMEOUT_S, cull_every=CULL_EVERY_S)
    contexts = {}
    try:
        run.start()
        figures["phases_s"]["python_and_hub_start"] = round(time.monotonic() - phase, 1)
        listening = hub.listening_addresses(run.server.proc.pid)
        assert listening and all(a.startswith("127.0.0.1:") for a in listening), listening

        # One student after the other: log in, notebook 2 in JupyterLab, the classroom page,
        # a file and an edit of their own, and a look at the previous student's files. Then
        # their pages close: from then on their server is idle, for the culler.
        previous = None
        for name in names:
            context = contexts[name] = new_student_context(gaml_browser)
            figures["students"][name] = student_session(
                run, context, name, accounts[name], previous
            )
            if name != names[-1]:
                contexts.pop(name).close()
            previous = name
        check_homes(run, names, accounts)
        loaded = run.log().count("voila.server_extension | extension was successfully loaded")
        assert loaded >= STUDENTS, f"Voilà's server extension loaded in {loaded} servers"

        # Kill the last student's server: the hub notices, the others go on, and the
        # student starts again from the browser and finds their work.
        victim = names[-1]
        phase = time.monotonic()
        running = [n for n in names[:-1] if run.server_state(n)]
        kill_server(accounts[victim])
        run.wait_for(
            f"the hub noticing that {victim}'s server died",
            lambda: run.server_state(victim) is None,
            timeout=30,
            interval=0.5,
        )
        figures["phases_s"]["kill_noticed"] = round(time.monotonic() - phase, 1)
        # The others run on, unless the idle culler stopped them meanwhile (their pages
        # are closed).
        stopped = [n for n in running if not run.server_state(n)]
        culled = set(re.findall(r"Culling server (\S+) ", run.log()))
        assert set(stopped) <= culled, f"killing {victim}'s server stopped {stopped}"
        page = contexts[victim].pages[0]
        page.goto(f"{run.url}/hub/spawn", wait_until="domcontentloaded")
        page.wait_for_url(
            re.compile(f"/user/{victim}/"), timeout=SPAWN_TIMEOUT_MS, wait_until="commit"
        )
        mine = page.request.get(f"{run.url}/user/{victim}/api/contents/mine-{victim}.txt")
        assert mine.ok, f"{victim}'s file is gone after the restart: HTTP {mine.status}"
        figures["phases_s"]["kill_to_server_again"] = round(time.monotonic() - phase, 1)
        contexts.pop(victim).close()

        # The idle culler stops the servers of the students who left.
        phase = time.monotonic()
        run.wait_for(
            "the idle culler stopping the idle servers",
            lambda: all(run.server_state(n) is None for n in names[:-1]),
            timeout=CULL_TIMEOUT_S + 60,
            interval=1,
        )
        figures["phases_s"]["waiting_for_culler"] = round(time.monotonic() - phase, 1)
        # The culler's own words: "Culling server NAME (inactive for 00:00:43)".
        culled = dict(re.findall(r"Culling server (\S+) \(inactive for ([\d:]+)", run.log()))
        figures["culled_after_inactive"] = culled
        assert set(names[:-1]) <= set(culled), f"no culler line for {names[:-1]}: {culled}"

        starts = run.start_times()
        for name in names:
            figures["students"][name]["hub_start_s"] = starts.get(name)
        assert len(starts.get(victim, [])) == 2, f"{victim} should have started twice: {starts}"
        figures["hub_proxy_culler_rss_mb"] = hub.root_tree_rss_mb(run.server.proc.pid)
    except BaseException:
        print("--- hub log tail ---\n" + run.log()[-8000:])
        raise
    finally:
        for context in contexts.values():
            with contextlib.suppress(Exception):
                context.close()
        run.stop()
        figures["phases_s"]["test"] = round(time.monotonic() - t_test, 1)
        # Other work on the machine slows every figure: the 1-minute load at the end.
        figures["load_average_1min"] = round(os.getloadavg()[0], 2)
        figures["cpus"] = os.cpu_count()
        pages.ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        FIGURES.write_text(json.dumps(figures, indent=1))
        with capsys.disabled():  # the figures belong in the CI log, passed or not
            print("\nclassroom hub figures:\n" + json.dumps(figures, indent=1))


def student_session(run, context, name: str, account: str, previous: str | None) -> dict:
    """One student's visit; returns its timings (s) and memory (MB)."""
    steps = {}
    t = time.monotonic()

    def step(label):
        nonlocal t
        now = time.monotonic()
        steps[label] = round(now - t, 1)
        t = now

    page = context.new_page()
    try:
        hub.login(page, run.url, name, run.password)
        page.wait_for_url(
            re.compile(f"/user/{name}/"), timeout=SPAWN_TIMEOUT_MS, wait_until="commit"
        )
        step("login_to_server")
        server_only = hub.account_memory(account)

        base = f"{run.url}/user/{name}"
        lab.open_notebook(page, base, NOTEBOOK)
        step("lab_open_notebook")
        lab.run_all_cells(page, NOTEBOOK)
        lab.wait_widgets_rendered(page, NOTEBOOK)
        problems = lab.cell_problems(lab.cell_report(page, NOTEBOOK))
        assert not problems, f"{name}: {NOTEBOOK}:\n" + "\n".join(problems)
        step("lab_run_all")
        area = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        print(f"{name} lab:", exercise_first_demo(page, area, f"hub-lab-{name}"))
        step("lab_slider")

        # Their own work: a file, and an edit saved in their copy of the notebook.
        out = run_in_kernel(
            page,
            f"import pathlib\n(pathlib.Path.home() / 'gaml-course' / 'mine-{name}.txt')"
            f".write_text('{name}')",
        )
        assert out.get("error") is None, out
        saved = page.evaluate(
            pages.load_js("lab_edit_and_save"), [NOTEBOOK, f"\n\nedited by {name}"]
        )
        assert saved, f"{name}: the edited notebook was not saved"
        if previous:
            probe_neighbour(run, page, name, previous)

        # The classroom page through the one link a teacher gives the whole class: the hub
        # sends each student to the page on their own server.
        voila = context.new_page()
        open_classroom(voila, f"{run.url}/hub/user-redirect/voila/render/{CLASSROOM}")
        assert f"{base}/voila/render/{CLASSROOM}" in voila.url, voila.url
        step("classroom_page")
        print(f"{name} classroom:", exercise_first_demo(voila, voila, f"hub-voila-{name}"))
        step("classroom_slider")
        # Memory with both pages open: the server, notebook 2's kernel, the page's kernel.
        return {
            "steps_s": steps,
            "memory_server_only": server_only,
            "memory_lab_and_classroom": hub.account_memory(account),
        }
    except BaseException:
        pages.report_failure(page, f"hub-{name}")
        raise


def probe_neighbour(run, page, name: str, other: str) -> None:
    """From ``name``'s kernel: ``other``'s home, file and notebook, and the repository, are
    out of reach (PermissionError), for reading and for writing."""
    home = run.homes / (hub.ACCOUNT_PREFIX + other)
    copy = home / "gaml-course"
    repo = Path(hub.CONFIG).parents[1]
    probes = {
        "their home": f"os.listdir({str(home)!r})",
        "their file": f"open({str(copy / f'mine-{other}.txt')!r}).read()",
        "their notebook": f"open({str(copy / NOTEBOOK)!r}).read()",
        "write their copy": f"open({str(copy / f'from-{name}.txt')!r}, 'w').write('x')",
        "write the repository": f"open({str(repo / 'notebooks' / f'from-{name}.txt')!r}, 'w')",
    }
    code = "import os\n" + "".join(
        f"try:\n    {expr}\n    print({what!r}, 'ALLOWED')\n"
        f"except PermissionError:\n    print({what!r}, 'denied')\n"
        for what, expr in probes.items()
    )
    out = run_in_kernel(page, code)
    assert out.get("error") is None, out
    denied = [line for line in out["stdout"].splitlines() if line.endswith("denied")]
    assert len(denied) == len(probes), f"{name} reached {other}'s files or the repo: {out}"


def check_homes(run, names, accounts) -> None:
    """Each student's work is in their copy only; homes are theirs, mode 700; the
    repository's notebook is untouched."""
    repo = Path(hub.CONFIG).parents[1]
    for name in names:
        home = run.homes / accounts[name]
        own = home / "gaml-course"
        assert home.stat().st_uid == pwd.getpwnam(accounts[name]).pw_uid
        assert home.stat().st_mode & 0o777 == 0o700, f"{home}: mode {oct(home.stat().st_mode)}"
        assert [p.name for p in own.glob("mine-*.txt")] == [f"mine-{name}.txt"]
        assert not list(own.glob("from-*.txt")), f"someone wrote into {name}'s copy"
        text = (own / NOTEBOOK).read_text()
        assert f"edited by {name}" in text
        assert not [n for n in names if n != name and f"edited by {n}" in text]
    repository_notebook = (repo / NOTEBOOK).read_text()
    assert not [n for n in names if f"edited by {n}" in repository_notebook]
    assert not list((repo / "notebooks").glob("from-*.txt"))


def kill_server(account: str) -> None:
    for proc in hub.account_processes(account):
        if "jupyterhub.singleuser" in " ".join(proc.info["cmdline"] or []):
            os.kill(proc.pid, signal.SIGKILL)
            return
    raise AssertionError(f"no single-user server running as {account}")
