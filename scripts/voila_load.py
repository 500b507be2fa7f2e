"""Load test of the classroom page: many students open it at once and move a slider.

    python scripts/voila_load.py                       # 30 pages, 5 at a time, as in CI
    python scripts/voila_load.py --pages 10 --concurrency 1 --gap 6   # one student at a time
    python scripts/voila_load.py --no-preheat ...      # the same without the kernel pool

Starts Voilà on classroom/ga_demos.ipynb the way the README does (from the repository
root, with the settings in classroom/voila_config/voila.py), on 127.0.0.1 and a free port,
and opens ``--pages`` pages in headless Chromium, ``--concurrency`` at a time. On each page
it waits until every demo has rendered (readout and plot), moves one slider with the
keyboard and waits for the demo to redraw, looks for error text, then leaves the page: like
a closed tab (Voilà's page then asks the server to shut its kernel down) or, for every
``--abandon-every``-th page, without that goodbye, like a laptop whose lid was shut, so
that only culling can free that kernel.

Meanwhile it samples the memory (RSS) of the server and all its kernels, and the CPU time
of the server and of the browser. At the end it counts the kernels alive, waits for the
idle culler (its timeouts shortened with ``--cull-idle``/``--cull-interval``, which override
the classroom's settings), and counts them again.

Everything is bounded: each page has ``--page-timeout``, the whole run ``--deadline``, the
wait for culling its own limit; traffic goes to 127.0.0.1 only. ``run()`` is what
tests/browser/test_voila_load.py calls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TESTS = ROOT / "tests" / "browser"
sys.path.insert(0, str(BROWSER_TESTS))

import pages  # noqa: E402  (tests/browser: error detection, JavaScript helpers)
import servers  # noqa: E402  (tests/browser: Voilà command, server process, Chromium)

NOTEBOOK = "classroom/ga_demos.ipynb"
POOL_FILLED = re.compile(r"Kernel pool of .* is filled with (\d+) kernel")
# A log entry starts with "[Voila] ...", "[IPKernelApp] ...", or an access line "403 GET ...".
LOG_ENTRY_START = re.compile(r"^(\[\w+\]|\d{3} (GET|POST|PUT|DELETE|PATCH|HEAD) )")
LOG_ERROR = re.compile(r"Traceback|\bERROR\b|Exception in callback|^[45]\d\d (GET|POST) ")
# jupyter_server's culler looks a kernel up by id after the page's own shutdown request
# already removed it (a race in MappingKernelManager.cull_kernels): logged, harmless.
# Likewise when it meets a kernel still starting (no last_activity yet): skipped this round.
CULL_RACE = re.compile(
    r"checking the idle duration of kernel (\S+): ('\1'.*KeyError: '\1'"
    r"|The 'last_activity' trait of a \w+ instance expected a datetime, not the NoneType)",
    re.DOTALL,
)

# Every demo is rendered: one image per plot, a readout, a slider handle, no pending output.
DEMOS_RENDERED_JS = """
(expected) => {
  const state = voilaState();
  if (state.loading !== null || state.pendingOutputs || state.loadingWidgetTexts) return false;
  const demos = Array.from(document.querySelectorAll('.gaml-demo'));
  if (demos.length < expected) return false;
  return demos.every((d) => {
    const s = demoState(d);
    return s.handles > 0 && s.readouts > 0 && s.plots > 0 && s.imgCounts.every((n) => n === 1);
  });
}
"""


def page_js(snippet: str) -> str:
    """A function expression with tests/browser/js/common.js's helpers in scope."""
    common = (BROWSER_TESTS / "js" / "common.js").read_text()
    return f"(() => {{\n{common}\nreturn (\n{snippet.strip()}\n);\n}})()"


def expected_demos(notebook: Path) -> int:
    """How many demos the notebook shows: its code cells that call a ``*_demo(`` function."""
    nb = json.loads(notebook.read_text())
    return sum(
        1
        for cell in nb["cells"]
        if cell["cell_type"] == "code" and re.search(r"\w+_demo\(", "".join(cell["source"]))
    )


@dataclass
class Options:
    pages: int = 30
    concurrency: int = 5
    gap: float = 0.0  # seconds between one worker's pages (0: back to back)
    abandon_every: int = 3  # every k-th page leaves without unloading (0: none)
    preheat: bool | None = None  # None: as the classroom's settings say
    pool_size: int | None = None  # None: as the classroom's settings say
    fill_delay: float | None = None  # s before a used pool kernel is replaced; None: the settings'
    cull_idle: int | None = 20  # seconds; None: as the settings say
    cull_interval: int | None = 5
    page_timeout: float = 90.0
    deadline: float = 420.0  # the whole run of pages
    cull_wait_limit: float = 90.0
    notebook: str = NOTEBOOK


@dataclass
class PageResult:
    index: int
    start_s: float | None = None  # when the page was opened, from the first page's start
    ok: bool = False
    abandoned: bool = False
    render_s: float | None = None
    slider_s: float | None = None
    demos: int = 0
    problems: list[str] = field(default_factory=list)


def classroom_config(root: Path):
    """The classroom's Voilà settings (a traitlets Config), as the README's command has them."""
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    try:
        return PyFileConfigLoader(
            "voila.py", path=str(root / servers.VOILA_CONFIG_DIR)
        ).load_config()
    except ConfigFileNotFound:
        from traitlets.config import Config

        return Config()


def effective_config(opts: Options, root: Path) -> dict:
    """Preheat, pool size and culling as the server will run them (settings + overrides)."""
    cfg = classroom_config(root)
    vc, km = cfg.VoilaConfiguration, cfg.MappingKernelManager
    preheat = vc.get("preheat_kernel", False) if opts.preheat is None else opts.preheat
    pool = vc.get("default_pool_size", 1) if opts.pool_size is None else opts.pool_size
    return {
        "preheat_kernel": bool(preheat),
        "pool_size": int(pool) if preheat else 0,
        "cull_idle_timeout": km.get("cull_idle_timeout", 0)
        if opts.cull_idle is None
        else opts.cull_idle,
        "cull_interval": km.get("cull_interval", 300)
        if opts.cull_interval is None
        else opts.cull_interval,
        "cull_connected": km.get("cull_connected", False),
    }


def overrides(opts: Options) -> list[str]:
    extra = []
    if opts.preheat is not None:
        extra.append(f"--VoilaConfiguration.preheat_kernel={opts.preheat}")
    if opts.pool_size is not None:
        extra.append(f"--VoilaConfiguration.default_pool_size={opts.pool_size}")
    if opts.fill_delay is not None:
        extra.append(f"--VoilaKernelManager.fill_delay={opts.fill_delay}")
    if opts.cull_idle is not None:
        extra.append(f"--MappingKernelManager.cull_idle_timeout={opts.cull_idle}")
    if opts.cull_interval is not None:
        extra.append(f"--MappingKernelManager.cull_interval={opts.cull_interval}")
    return extra


# --------------------------------------------------------------------------------------
# Memory and kernels of the server's process tree
# --------------------------------------------------------------------------------------


def kernel_pids(server_pid: int) -> list[int]:
    import psutil

    pids = []
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(server_pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "ipykernel" in " ".join(child.cmdline()):
                    pids.append(child.pid)
    return pids


def tree_rss(server_pid: int) -> int:
    """Resident memory of the server and all its descendants, in bytes (RSS, summed)."""
    import psutil

    total = 0
    with contextlib.suppress(psutil.Error):
        proc = psutil.Process(server_pid)
        total += proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
    return total


def wait_quiet(server_pid: int, timeout: float, threshold: float = 15.0) -> bool:
    """Wait until the server and its kernels use < ``threshold`` % of a CPU for 1 s.

    The pool's kernels are "filled" once started; they then run the notebook, and only
    after that is a spare kernel ready to serve a page at once.
    """
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = []
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(server_pid)
            procs = [root, *root.children(recursive=True)]
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.cpu_percent(None)
        time.sleep(1.0)
        busy = 0.0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                busy += proc.cpu_percent(None)
        if busy < threshold:
            return True
    return False


class Sampler(threading.Thread):
    """Samples the tree's RSS and kernel count every ``interval`` s until stopped, and the
    CPU time used by the server and its kernels and by the browser (this process's
    Chromium), including processes that ended in between (their last sample)."""

    def __init__(self, server_pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.interval = interval
        self.peak_rss = 0
        self.peak_kernels = 0
        self.samples: list[tuple[float, int, int]] = []
        self.cpu = {"server": {}, "browser": {}}  # pid -> (cpu at start, last cpu seen)
        self._stop_event = threading.Event()
        self._t0 = time.monotonic()

    def _cpu_sample(self) -> None:
        import psutil

        groups = {"server": [], "browser": []}
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.server_pid)
            groups["server"] = [root, *root.children(recursive=True)]
        with contextlib.suppress(psutil.Error):
            groups["browser"] = [
                p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()
            ]
        for group, procs in groups.items():
            seen = self.cpu[group]
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    total = t.user + t.system
                    first = seen.get(proc.pid, (total, total))[0]
                    seen[proc.pid] = (first, total)

    def cpu_seconds(self, group: str) -> float:
        return sum(last - first for first, last in self.cpu[group].values())

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss, kernels = tree_rss(self.server_pid), len(kernel_pids(self.server_pid))
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_kernels = max(self.peak_kernels, kernels)
            self.samples.append((round(time.monotonic() - self._t0, 2), rss, kernels))
            self._cpu_sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


# --------------------------------------------------------------------------------------
# The pages (Playwright's async API, in a thread of its own)
# --------------------------------------------------------------------------------------


async def visit(
    context, url: str, index: int, opts: Options, n_demos: int, t_start: float
) -> PageResult:
    """Open one page (a tab), wait for every demo, move a slider, check for errors, leave."""
    res = PageResult(
        index=index, abandoned=bool(opts.abandon_every) and index % opts.abandon_every == 0
    )
    timeout_ms = opts.page_timeout * 1000
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(f"pageerror: {exc}"))
    try:
        t0 = time.monotonic()
        res.start_s = round(t0 - t_start, 2)
        await page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
        try:
            await page.wait_for_function(
                page_js(DEMOS_RENDERED_JS), arg=n_demos, timeout=timeout_ms, polling=100
            )
        except Exception as exc:
            state = await page.evaluate(page_js("() => voilaState()"))
            raise AssertionError(f"not rendered within {opts.page_timeout:.0f} s: {state}") from exc
        res.render_s = time.monotonic() - t0
        demos = page.locator(".gaml-demo")
        res.demos = await demos.count()
        if res.demos != n_demos:
            res.problems.append(f"{res.demos} demos on the page, expected {n_demos}")
        res.problems += pages.text_problems(await page.locator("body").inner_text())

        # Move the first slider of one demo (a different demo on consecutive pages).
        demo = demos.nth(index % max(res.demos, 1))
        before = await demo.evaluate(page_js("(d) => demoState(d)"))
        handle = demo.locator(".noUi-handle").first
        now, vmax = (
            await handle.get_attribute("aria-valuenow"),
            await handle.get_attribute("aria-valuemax"),
        )
        key = "ArrowLeft" if now is not None and now == vmax else "ArrowRight"
        await handle.focus()
        t1 = time.monotonic()
        await handle.press(key)
        await page.wait_for_function(
            page_js(
                "([demo, before]) => { const now = demoState(demo);"
                " return now.imgCounts.every((n) => n === 1) && now.readout !== before.readout"
                " && now.srcs.some((s, i) => s !== before.srcs[i]); }"
            ),
            arg=[await demo.element_handle(), before],
            timeout=timeout_ms,
            polling=50,
        )
        res.slider_s = time.monotonic() - t1
        after = await demo.evaluate(page_js("(d) => demoState(d)"))
        res.problems += [f"after the slider: {p}" for p in pages.text_problems(after["text"])]
        res.problems += page_errors
        res.ok = not res.problems
    except Exception as exc:  # Playwright errors and timeouts, failed checks
        res.problems.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
        res.problems += page_errors
    finally:
        with contextlib.suppress(Exception):
            if not res.abandoned:
                # Like closing the tab: the page's unload handler asks Voilà to shut its
                # kernel down (a beacon); about:blank lets it go out before the tab closes.
                await page.goto("about:blank", timeout=10_000)
        with contextlib.suppress(Exception):
            await page.close()  # run_before_unload=False: an abandoned page says nothing
    return res


async def visit_all(chromium: str, url: str, opts: Options, n_demos: int) -> list[PageResult]:
    from playwright.async_api import async_playwright

    results: list[PageResult] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(opts.pages):
        queue.put_nowait(i)

    async def worker(context) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                results.append(
                    await asyncio.wait_for(
                        visit(context, url, i, opts, n_demos, t_start), opts.page_timeout * 2 + 30
                    )
                )
            except TimeoutError:
                results.append(PageResult(index=i, problems=["page visit hung: cancelled"]))
            if opts.gap:
                await asyncio.sleep(opts.gap)

    t_start = time.monotonic()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=servers.CHROMIUM_ARGS, headless=True
        )
        try:
            # One browser profile for all pages: they share its HTTP and code caches, which
            # spares this machine's CPU (students' browsers run on their own computers).
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(opts.page_timeout * 1000)
            workers = [asyncio.create_task(worker(context)) for _ in range(opts.concurrency)]
            try:
                await asyncio.wait_for(asyncio.gather(*workers), opts.deadline)
            except TimeoutError:
                for w in workers:
                    w.cancel()
                done = {r.index for r in results}
                results += [
                    PageResult(index=i, problems=[f"not visited within {opts.deadline:.0f} s"])
                    for i in range(opts.pages)
                    if i not in done
                ]
        finally:
            with contextlib.suppress(Exception):
                await browser.close()
    return sorted(results, key=lambda r: r.index)


def run_in_thread(coro_factory):
    """Run an asyncio coroutine in a thread of its own (a sync Playwright may own this one)."""
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


# --------------------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------------------


def log_problems(log_text: str) -> tuple[list[str], int]:
    """The server log's error entries (with their tracebacks), and how many were the
    culler's harmless race with a page's shutdown request (not in the list)."""
    entries: list[str] = []
    for line in log_text.splitlines():
        if LOG_ENTRY_START.match(line) or not entries:
            entries.append(line)
        else:
            entries[-1] += "\n" + line
    errors = [e for e in entries if LOG_ERROR.search(e)]
    real = [e for e in errors if not CULL_RACE.search(e)]
    return real, len(errors) - len(real)


def wait_for_log(server: servers.ServerProcess, pattern: re.Pattern, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pattern.search(server.log_tail(10**7)):
            return True
        time.sleep(0.25)
    return False


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    values = sorted(values)
    return {
        "n": len(values),
        "median": round(statistics.median(values), 2),
        "p90": round(values[min(len(values) - 1, int(0.9 * len(values)))], 2),
        "max": round(values[-1], 2),
        "min": round(values[0], 2),
    }


def run(
    opts: Options,
    *,
    chromium: str = servers.CHROMIUM_PATH,
    root: Path | None = None,
    workdir: Path | None = None,
    log=print,
) -> dict:
    """Start Voilà, visit the pages, wait for culling, stop Voilà; return the measurements."""
    root = servers.project_root() if root is None else root
    config = effective_config(opts, root)
    n_demos = expected_demos(root / opts.notebook)
    tmp_ctx = tempfile.TemporaryDirectory(prefix="gaml-voila-load-") if workdir is None else None
    work = Path(tmp_ctx.name) if tmp_ctx else workdir
    env = servers.base_env(work)
    port = servers.free_port()
    server = servers.ServerProcess(
        name=f"voila {opts.notebook}",
        cmd=servers.voila_command(
            opts.notebook, port, Path(env["JUPYTER_RUNTIME_DIR"]), overrides(opts)
        ),
        cwd=root,
        env=env,
        log_path=work / "voila-load.log",
        port=port,
    )
    result: dict = {"options": asdict(opts), "config": config, "demos_expected": n_demos}
    started_at = time.monotonic()
    try:
        with servers.started(server, "/api/kernels", require_ok=False):
            sampler = Sampler(server.proc.pid)
            sampler.start()
            try:
                if config["preheat_kernel"] and config["pool_size"] > 0:
                    t = time.monotonic()
                    filled = wait_for_log(server, POOL_FILLED, 180)
                    filled = wait_quiet(server.proc.pid, 180) and filled
                    result["pool_ready_s"] = round(time.monotonic() - t, 1) if filled else None
                    log(f"kernel pool ready: {filled} ({time.monotonic() - t:.1f} s)")
                rss_idle = tree_rss(server.proc.pid)
                result["idle_rss_mb"] = round(rss_idle / 2**20)
                result["idle_kernels"] = len(kernel_pids(server.proc.pid))
                log(
                    f"server up on {server.url}: {result['idle_kernels']} kernel(s), "
                    f"{result['idle_rss_mb']} MB; {opts.pages} pages, {opts.concurrency} at a time"
                )
                t = time.monotonic()
                cpu0 = {g: sampler.cpu_seconds(g) for g in sampler.cpu}
                page_results = run_in_thread(
                    lambda: visit_all(chromium, f"{server.url}/", opts, n_demos)
                )
                result["pages_s"] = round(time.monotonic() - t, 1)
                time.sleep(2 * sampler.interval)
                result["cpu_s"] = {
                    g: round(sampler.cpu_seconds(g) - cpu0[g], 1) for g in sampler.cpu
                }
                time.sleep(3)  # let the last pages' shutdown beacons land
                result["kernels_at_end"] = len(kernel_pids(server.proc.pid))
                result["rss_at_end_mb"] = round(tree_rss(server.proc.pid) / 2**20)

                # Wait for the culler: every kernel beyond the pool's spares must go.
                keep = config["pool_size"]
                cull_limit = min(
                    opts.cull_wait_limit,
                    config["cull_idle_timeout"] + 3 * config["cull_interval"] + 15,
                )
                t = time.monotonic()
                if config["cull_idle_timeout"] > 0:
                    while time.monotonic() - t < cull_limit:
                        if len(kernel_pids(server.proc.pid)) <= keep:
                            break
                        time.sleep(1)
                result["cull_wait_s"] = round(time.monotonic() - t, 1)
                result["kernels_after_cull"] = len(kernel_pids(server.proc.pid))
                result["rss_after_cull_mb"] = round(tree_rss(server.proc.pid) / 2**20)
            finally:
                sampler.stop()
            result["peak_rss_mb"] = round(sampler.peak_rss / 2**20)
            result["peak_kernels"] = sampler.peak_kernels
            log_text = server.log_tail(10**7)
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()
    result["wall_s"] = round(time.monotonic() - started_at, 1)
    result["server_errors"], result["cull_races"] = log_problems(log_text)
    result["culled"] = len(re.findall(r"Culling '", log_text))
    result["pages"] = [asdict(r) for r in page_results]
    result["rendered"] = sum(1 for r in page_results if r.render_s is not None)
    result["ok_pages"] = sum(1 for r in page_results if r.ok)
    result["page_problems"] = [f"page {r.index}: {p}" for r in page_results for p in r.problems]
    result["render_s"] = stats([r.render_s for r in page_results if r.render_s is not None])
    result["slider_s"] = stats([r.slider_s for r in page_results if r.slider_s is not None])
    return result


def summary(res: dict) -> str:
    cfg = res["config"]
    lines = [
        f"Voilà load test: {res['options']['pages']} pages, "
        f"{res['options']['concurrency']} at a time "
        f"(preheat {cfg['preheat_kernel']}, pool {cfg['pool_size']}, "
        f"cull idle > {cfg['cull_idle_timeout']} s every {cfg['cull_interval']} s)",
        f"  pages rendered with all {res['demos_expected']} demos: {res['rendered']}, "
        f"fully ok (slider redrew, no error): {res['ok_pages']}",
        f"  render time (s): {res['render_s']}",
        f"  slider redraw (s): {res['slider_s']}",
        f"  memory (server + kernels, RSS): idle {res.get('idle_rss_mb')} MB, "
        f"peak {res.get('peak_rss_mb')} MB, after culling {res.get('rss_after_cull_mb')} MB",
        f"  kernels: idle {res.get('idle_kernels')}, peak {res.get('peak_kernels')}, "
        f"at the end {res.get('kernels_at_end')}, after culling {res.get('kernels_after_cull')} "
        f"({res.get('culled')} culled, waited {res.get('cull_wait_s')} s)",
        f"  time: pages {res.get('pages_s')} s, whole run {res.get('wall_s')} s; CPU time "
        f"during the pages: server + kernels {res.get('cpu_s', {}).get('server')} s, "
        f"browser {res.get('cpu_s', {}).get('browser')} s",
        f"  page problems: {len(res['page_problems'])}; server log errors: "
        f"{len(res['server_errors'])} (and {res.get('cull_races')} culler/shutdown races)",
    ]
    lines += [f"    {p}" for p in res["page_problems"][:10]]
    lines += [f"    server: {e[:300]}" for e in res["server_errors"][:10]]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Options()
    parser.add_argument("--pages", type=int, default=d.pages)
    parser.add_argument("--concurrency", type=int, default=d.concurrency)
    parser.add_argument("--gap", type=float, default=d.gap, help="s between a worker's pages")
    parser.add_argument("--abandon-every", type=int, default=d.abandon_every)
    parser.add_argument("--preheat", dest="preheat", action="store_true", default=None)
    parser.add_argument("--no-preheat", dest="preheat", action="store_false")
    parser.add_argument("--pool-size", type=int, default=None)
    parser.add_argument("--fill-delay", type=float, default=None)
    parser.add_argument("--cull-idle", type=int, default=d.cull_idle)
    parser.add_argument("--cull-interval", type=int, default=d.cull_interval)
    parser.add_argument("--page-timeout", type=float, default=d.page_timeout)
    parser.add_argument("--deadline", type=float, default=d.deadline)
    parser.add_argument("--json", type=Path, help="write all measurements here")
    parser.add_argument("--workdir", type=Path, help="keep Voilà's log and config here")
    args = parser.parse_args(argv)
    opts = Options(
        pages=args.pages,
        concurrency=args.concurrency,
        gap=args.gap,
        abandon_every=args.abandon_every,
        preheat=args.preheat,
        pool_size=args.pool_size,
        fill_delay=args.fill_delay,
        cull_idle=args.cull_idle,
        cull_interval=args.cull_interval,
        page_timeout=args.page_timeout,
        deadline=args.deadline,
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gaml-voila-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    res = run(opts, workdir=workdir)
    print(summary(res))
    print(f"  Voilà's log: {workdir / 'voila-load.log'}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0 if res["ok_pages"] == opts.pages and not res["server_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
