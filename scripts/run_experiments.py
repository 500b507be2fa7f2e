"""Run the evidence experiments of notebook 06 and write results, figures and the table.

    python scripts/run_experiments.py                  # everything (hours: see README)
    python scripts/run_experiments.py --only sine      # one experiment; the others' files stay
    python scripts/run_experiments.py --only sine --workers 1   # on one process
    python scripts/run_experiments.py --only omniglot  # the Omniglot study (hours; resumes)
    python scripts/run_experiments.py --quick          # about a minute, a smoke test of the
                                                       # whole pipeline; writes to build/quick/
    python scripts/run_experiments.py --figures-only   # redraw figures and tables only

Outputs (full run):

* ``results/sine_study.csv`` (one row per training regime, algorithm, weighting, β0 and seed),
  ``results/sine_study.json`` (each regime's settings and the timings) and
  ``results/sine_init.npz`` (seed 0's learned initialisations, each compared method at its
  tuned β0) — see :class:`gaml_runs.SineStudy` and :func:`gaml_runs.sine_studies`. The sine
  study writes every cell as it finishes and resumes: run the same command again after an
  interruption and only the missing cells are trained (seed 0's θ of every cell is cached in
  ``build/sine_thetas/``);
* ``results/fomaml_trace.json``: FOMAML's sine runs instrumented, why it diverges in the
  minibatch regime (:func:`gaml_runs.trace_fomaml`);
* ``results/omniglot_study.csv``: the Omniglot study, one row per phase ("grid", "final"),
  algorithm, weighting, β0, seed and noise condition, each appended as it finishes; a rerun
  trains only the missing cells (:mod:`gaml_omniglot_runs`). ``--only omniglot`` leaves the
  figures and README alone;
* ``results/logistic.json`` (every run of the β grid, per seed) and ``results/overhead.json``;
* ``figures/evidence_*.png``;
* ``results/summary.md`` and the table between ``<!-- results-table:start -->`` and
  ``<!-- results-table:end -->`` in README.md (if the file and the markers exist).

A quick run writes the same files under ``build/quick/`` (starting afresh every time) and never
touches README.md.
"""

from __future__ import annotations

import os

# One BLAS thread per process: the work is spread over processes, and the arrays are small.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

from tqdm import tqdm  # noqa: E402

import gaml_evidence as ge  # noqa: E402
import gaml_omniglot_runs as gor  # noqa: E402
import gaml_results as gres  # noqa: E402
import gaml_runs as gr  # noqa: E402

SEEDS = {"logistic": 10}
QUICK_SEEDS = {"logistic": 2}
WORKERS = 2  # processes (this machine has 2 cores)


def pack_results(
    experiment: str, records: list[dict], config: object, varying: tuple[str, ...], **meta
) -> dict:
    """A results file: the records with the fields they all share stored once, the settings
    (``config`` less the ``varying`` fields) and ``meta``."""
    settings = {k: v for k, v in asdict(config).items() if k not in varying}
    shared, records = gres.compact_records(records)
    meta = {"experiment": experiment, "config": settings, "shared": shared, **meta}
    return {"meta": meta, "records": records}


def run_logistic(seeds: int, quick: bool) -> dict:
    """Every logistic cell and β for every seed, on :data:`WORKERS` processes."""
    configs = gr.logistic_configs(quick)
    jobs = [(config, seed) for seed in range(seeds) for config in configs]
    with multiprocessing.get_context("fork").Pool(WORKERS, gr.more_malloc_headroom) as pool:
        records = list(
            tqdm(
                pool.imap(gr.run_logistic_job, jobs, chunksize=20), total=len(jobs), desc="logistic"
            )
        )
    baselines = [gr.run_baselines_seed(configs[0], seed) for seed in range(seeds)]
    data = pack_results(
        "structured logistic tasks (gaml_tasks.LogisticTaskFamily)",
        records,
        configs[0],
        ("algorithm", "weighting", "disagreement", "disagree_frac", "beta"),
        curve_fraction=gr.CURVE_FRACTION,
        fractions=list(gr.LOGISTIC_FRACTIONS),
        kinds=list(gr.LOGISTIC_KINDS),
        algorithms=list(gr.LOGISTIC_ALGORITHMS),
        weightings=list(gr.LOGISTIC_WEIGHTINGS),
        betas=sorted({c.beta for c in configs}),
        n_seeds=seeds,
        seeds=list(range(seeds)),
        note="cosine weighting is NOT from the paper (course variant)",
    )
    return {**data, "baselines": baselines}


def run_sine(quick: bool, results_dir: Path, cache_dir: Path, workers: int = WORKERS) -> dict:
    """The sine study, every regime (:func:`gaml_runs.sine_studies`), resuming where a previous
    run stopped; then seed 0's θ of every compared method at its tuned β0 as sine_init.npz."""
    studies = gr.sine_studies(quick)
    if quick:  # a smoke test starts afresh
        for name in gres.SINE_STUDY_FILES:
            (results_dir / name).unlink(missing_ok=True)
        shutil.rmtree(cache_dir, ignore_errors=True)
    meta = gr.run_sine_study(studies, results_dir, workers, cache_dir=cache_dir)
    betas, _ = ge.sine_tuned(gres.load_results(results_dir)["sine"])
    init_path = results_dir / gres.SINE_INIT_FILE.name
    old = gres.load_sine_init(init_path) if init_path.exists() else {}
    inits, tuned, regimes = {}, {}, {}
    for (regime, alg, w), beta in betas.items():
        if (regime, alg) not in gr.SINE_COMPARED:
            continue
        name = f"{alg}_{w}"
        theta = gr.cached_sine_theta(cache_dir, regime, alg, w, beta)
        if theta is None and (old.get(f"regime_{name}", "minibatch"), old.get(f"beta0_{name}")) == (
            regime, beta
        ):  # fmt: skip
            theta = old[name]  # trained before the cache existed, with the same settings
        if theta is None:
            raise SystemExit(f"no learned θ for {regime} {name} at beta0 = {beta:g}: delete its "
                             f"rows from {gres.SINE_STUDY_FILES[0]} and run again")  # fmt: skip
        inits[name], tuned[name], regimes[name] = theta, beta, regime
    gres.save_sine_init(init_path, studies[0], inits, tuned, regimes)
    return meta


def run_overhead(quick: bool) -> dict:
    kwargs = {"repeats": 2, "number": 5, "sine_number": 2} if quick else {}
    records = gr.measure_overhead(**kwargs)
    meta = {
        "experiment": "wall time of one meta-step per weighting, same batch, best of k",
        "settings": kwargs or {"repeats": 7, "number": 50, "sine_number": 10},
        "note": "machine-dependent; numbers are fixed once stored",
    }
    return {"meta": meta, "records": records}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny run into build/quick/")
    experiments = ("logistic", "sine", "fomaml_trace", "overhead", "omniglot")
    parser.add_argument("--only", choices=experiments, default=None)
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="processes for the sine and Omniglot studies"
    )
    parser.add_argument(
        "--figures-only",
        action="store_true",
        help="run nothing; redraw the figures and tables from the stored results",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    base = gres.ROOT / "build" / "quick" if args.quick else gres.ROOT
    results_dir, figures_dir = base / "results", base / "figures"
    results_dir.mkdir(parents=True, exist_ok=True)
    seeds = QUICK_SEEDS if args.quick else SEEDS
    todo = [args.only] if args.only else list(experiments)
    if args.figures_only:
        todo = []

    if "logistic" in todo:
        t0 = time.perf_counter()
        data = run_logistic(seeds["logistic"], args.quick)
        data["meta"]["run_seconds"] = time.perf_counter() - t0
        gres.save_json(data, results_dir / "logistic.json")
    if "sine" in todo:
        cache_dir = base / "build" / "sine_thetas" if not args.quick else base / "sine_thetas"
        meta = run_sine(args.quick, results_dir, cache_dir, args.workers)
        print(f"sine study: {meta['cells_run']} cells trained in {meta['wall_seconds'] / 60:.1f} "
              f"min on {args.workers} process(es)")  # fmt: skip
    if "fomaml_trace" in todo:
        t0 = time.perf_counter()
        data = gr.run_fomaml_traces(args.quick)
        data["meta"]["run_seconds"] = time.perf_counter() - t0
        gres.save_json(data, results_dir / "fomaml_trace.json")
    if "overhead" in todo:
        gres.save_json(run_overhead(args.quick), results_dir / "overhead.json")
    if "omniglot" in todo:
        study = gor.OmniglotStudy.quick() if args.quick else gor.OmniglotStudy()
        if args.quick:  # a smoke test starts afresh
            (results_dir / gor.STUDY_FILE).unlink(missing_ok=True)
            (results_dir / gor.SCRATCH_FILE).unlink(missing_ok=True)
            (results_dir / gor.DEMO_THETA_FILE).unlink(missing_ok=True)
        meta = gor.run_omniglot_study(study, results_dir, args.workers)
        print(f"omniglot study: {meta['cells_run']} cells trained in "
              f"{meta['wall_seconds'] / 60:.1f} min on {args.workers} process(es)")  # fmt: skip
        t0 = time.perf_counter()
        scratch = gor.run_scratch_baseline(study, results_dir)
        print(
            f"from-scratch baseline: alpha {scratch['alpha']:g}, {scratch['steps']} steps; "
            f"{scratch['cells_run']} cells in {(time.perf_counter() - t0) / 60:.1f} min"
        )
        print(f"wrote {gor.save_demo_thetas(study, results_dir, meta['tuned'])}")
    readme = None if args.quick else gres.ROOT / "README.md"
    written = ge.write_evidence(results_dir, figures_dir, readme)
    for path in written:
        print(f"wrote {path.relative_to(gres.ROOT)}")
    if readme is not None and readme not in written:
        print(
            "README.md is missing or lacks the markers "
            f"{ge.README_START} ... {ge.README_END}: the table is only in results/summary.md"
        )
    elapsed = time.perf_counter() - start
    print(f"total run time: {elapsed:.0f} s ({elapsed / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
