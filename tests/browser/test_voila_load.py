"""The classroom server holds a class: 30 pages, 5 at a time, on the README's Voilà settings.

Each page must render all its demos and redraw after a slider move, without error text; the
server must log no error (a refused kernel shutdown included); memory must stay bounded
(kernels never one per page); and once the pages are gone, the idle culler (its timeout
shortened to 15 s here) must leave exactly the pool's spare kernels. The numbers (render
times, peak memory, kernels) are printed; ``python scripts/voila_load.py`` runs the same
measurement by hand. Takes about 3 minutes on 2 cores; deselect with ``-m "not load"``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import voila_load

PAGES = 30
CONCURRENCY = 5
# Bounded memory: the 5 open pages, the pool and its refills, and the abandoned pages'
# kernels until culled: about 13 kernels at most were seen, ~1.6 GB (130 MB per kernel).
MAX_PEAK_RSS_MB = 2500
MAX_PEAK_KERNELS = 20  # one kernel per page would be 30 and more
TIME_LIMIT_S = 480  # the whole test, hard (pytest-timeout); the pages alone get 330 s

pytestmark = [pytest.mark.browser, pytest.mark.load]


@pytest.mark.timeout(TIME_LIMIT_S)
def test_classroom_server_holds_a_class(
    chromium_executable, voila_installed, gaml_root, tmp_path, capsys
):
    opts = voila_load.Options(
        pages=PAGES,
        concurrency=CONCURRENCY,
        abandon_every=3,  # 10 pages vanish without closing: only culling frees their kernels
        cull_idle=15,
        cull_interval=3,
        page_timeout=120,
        deadline=330,
        cull_wait_limit=60,
    )
    res = voila_load.run(opts, chromium=chromium_executable, root=gaml_root, workdir=tmp_path)
    with capsys.disabled():  # the numbers belong in the CI log, passed or not
        print("\n" + voila_load.summary(res))
    pool = res["config"]["pool_size"]

    problems = "\n".join(res["page_problems"][:20])
    assert res["rendered"] == PAGES, f"{PAGES - res['rendered']} pages did not render:\n{problems}"
    assert res["ok_pages"] == PAGES, f"pages with problems:\n{problems}"
    assert not res["server_errors"], "Voilà logged errors:\n" + "\n".join(
        e[:1500] for e in res["server_errors"][:5]
    )
    assert res["peak_rss_mb"] < MAX_PEAK_RSS_MB, f"peak memory {res['peak_rss_mb']} MB"
    assert res["peak_kernels"] <= MAX_PEAK_KERNELS, f"{res['peak_kernels']} kernels at once"
    assert res["culled"] >= 1, "the idle culler shut no kernel down"
    assert res["kernels_after_cull"] == pool, (
        f"{res['kernels_after_cull']} kernels after culling, expected the pool's {pool} spares"
    )
