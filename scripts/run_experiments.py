"""Run the evidence experiments of notebook 06 and write results, figures and the table.

    python scripts/run_experiments.py                  # everything (10-15 min on 2 cores)
    python scripts/run_experiments.py --only sine      # one experiment; the others' files stay
    python scripts/run_experiments.py --quick          # under a minute, for debugging;
                                                       # writes to build/quick/
    python scripts/run_experiments.py --figures-only   # redraw figures and tables only

Outputs (full run):

* ``results/logistic.json``, ``results/sine.json``, ``results/overhead.json``: per-seed
  summary numbers and the configurations that produced them;
* ``results/sine_init.npz``: the learned sine initialisations of the first seed;
* ``figures/evidence_*.png``;
* ``results/summary.md`` and the table between ``<!-- results-table:start -->`` and
  ``<!-- results-table:end -->`` in README.md (if the file and the markers exist).

A quick run writes the same files under ``build/quick/`` and never touches README.md.
"""

from __future__ import annotations

import os

# One BLAS thread: the machine is shared and the arrays are small.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

from tqdm import tqdm  # noqa: E402

import gaml_evidence as ge  # noqa: E402
import gaml_runs as gr  # noqa: E402

SEEDS = {"logistic": 10, "sine": 5}
QUICK_SEEDS = {"logistic": 2, "sine": 2}
# Work units per run, so that the progress bar moves at an even pace.
COST = {"logistic": 1, "sine": 30, "sine_large": 8, "overhead": 40}
LARGE_STEP_SEEDS = 3  # seeds of the sine stability check (larger β)
CURVE_FRACTION = 0.25  # the weight-over-time curves are kept for this fraction only
CURVE_KEYS = ("curve_weight_disagreeing", "curve_weight_agreeing")


def pack_results(
    experiment: str, records: list[dict], config: object, varying: tuple[str, ...], **meta
) -> dict:
    """A results file: the records with the fields they all share stored once, the settings
    (``config`` less the ``varying`` fields) and ``meta``."""
    settings = {k: v for k, v in asdict(config).items() if k not in varying}
    shared, records = gr.compact_records(records)
    meta = {"experiment": experiment, "config": settings, "shared": shared, **meta}
    return {"meta": meta, "records": records}


def run_logistic(seeds: int, quick: bool, bar: tqdm) -> dict:
    """Every logistic cell for every seed; curves kept only at ``CURVE_FRACTION``."""
    configs = gr.logistic_configs(quick)
    records, baselines = [], []
    for seed in range(seeds):
        baselines.append(gr.run_baselines_seed(configs[0], seed))
        for config in configs:
            bar.set_postfix_str(
                f"logistic {config.setting} {config.algorithm}-{config.weighting}", refresh=False
            )
            rec = gr.run_logistic_seed(config, seed)
            if config.disagree_frac != CURVE_FRACTION:
                rec = {k: v for k, v in rec.items() if k not in CURVE_KEYS}
            records.append(rec)
            bar.update(COST["logistic"])
    data = pack_results(
        "structured logistic tasks (gaml_tasks.LogisticTaskFamily)",
        records,
        configs[0],
        ("algorithm", "weighting", "disagreement", "disagree_frac"),
        curve_fraction=CURVE_FRACTION,
        fractions=list(gr.LOGISTIC_FRACTIONS),
        kinds=list(gr.LOGISTIC_KINDS),
        algorithms=list(gr.LOGISTIC_ALGORITHMS),
        weightings=list(gr.LOGISTIC_WEIGHTINGS),
        n_seeds=seeds,
        seeds=list(range(seeds)),
        note="cosine weighting is NOT from the paper (course variant)",
    )
    return {**data, "baselines": baselines}


def run_sine(seeds: int, quick: bool, bar: tqdm, init_path: Path) -> dict:
    """The main sine comparison, then the larger-β stability check; saves seed 0's inits."""
    configs = gr.sine_configs(quick)
    jobs = [(c, seed, COST["sine"]) for seed in range(seeds) for c in configs]
    jobs += [
        (c, seed, COST["sine_large"])
        for seed in range(LARGE_STEP_SEEDS)
        for c in gr.sine_large_step_configs(quick)
    ]
    records, thetas = [], {}
    for config, seed, cost in jobs:
        bar.set_postfix_str(
            f"sine {config.study} seed {seed} {config.algorithm}-{config.weighting}",
            refresh=False,
        )
        rec = gr.run_sine_seed(config, seed)
        keep = config.study == "main" and seed == 0 and config.weighting != "cosine"
        if keep and rec["theta"] is not None:
            thetas[f"{config.algorithm}_{config.weighting}"] = rec["theta"]
        records.append({k: v for k, v in rec.items() if k != "theta"})
        bar.update(cost)
    gr.save_sine_init(init_path, thetas, configs[0])
    return pack_results(
        "sine regression, MLP 1-64-64-1 (paper's setting; learning rates ours)",
        records,
        configs[0],
        ("algorithm", "weighting", "beta", "study"),
        beta=dict(gr.SINE_BETA),
        large_step_beta=dict(gr.SINE_LARGE_BETA),
        large_step_seeds=LARGE_STEP_SEEDS,
        init="U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for every weight and bias",
        n_seeds=seeds,
        seeds=list(range(seeds)),
        paper_mse={f"{a}_{w}": v for (a, w), v in gr.PAPER_SINE_MSE.items()},
        note="cosine weighting is NOT from the paper (course variant)",
    )


def run_overhead(quick: bool, bar: tqdm) -> dict:
    bar.set_postfix_str("overhead", refresh=False)
    kwargs = {"repeats": 2, "number": 5, "sine_number": 2} if quick else {}
    records = gr.measure_overhead(**kwargs)
    bar.update(COST["overhead"])
    meta = {
        "experiment": "wall time of one meta-step per weighting, same batch, best of k",
        "settings": kwargs or {"repeats": 7, "number": 50, "sine_number": 10},
        "note": "machine-dependent; numbers are fixed once stored",
    }
    return {"meta": meta, "records": records}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny run into build/quick/")
    parser.add_argument("--only", choices=("logistic", "sine", "overhead"), default=None)
    parser.add_argument(
        "--figures-only",
        action="store_true",
        help="run nothing; redraw the figures and tables from the stored results",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    base = gr.ROOT / "build" / "quick" if args.quick else gr.ROOT
    results_dir, figures_dir = base / "results", base / "figures"
    results_dir.mkdir(parents=True, exist_ok=True)
    seeds = QUICK_SEEDS if args.quick else SEEDS
    todo = [args.only] if args.only else ["logistic", "sine", "overhead"]
    if args.figures_only:
        todo = []

    total = 0
    if "logistic" in todo:
        total += seeds["logistic"] * len(gr.logistic_configs(args.quick)) * COST["logistic"]
    if "sine" in todo:
        total += seeds["sine"] * len(gr.sine_configs(args.quick)) * COST["sine"]
        total += LARGE_STEP_SEEDS * len(gr.sine_large_step_configs()) * COST["sine_large"]
    if "overhead" in todo:
        total += COST["overhead"]

    with tqdm(total=total, unit="unit", smoothing=0.05, mininterval=1.0, disable=not todo) as bar:
        if "logistic" in todo:
            t0 = time.perf_counter()
            data = run_logistic(seeds["logistic"], args.quick, bar)
            data["meta"]["run_seconds"] = time.perf_counter() - t0
            gr.save_json(data, results_dir / "logistic.json")
        if "sine" in todo:
            t0 = time.perf_counter()
            data = run_sine(seeds["sine"], args.quick, bar, results_dir / gr.SINE_INIT_FILE.name)
            data["meta"]["run_seconds"] = time.perf_counter() - t0
            gr.save_json(data, results_dir / "sine.json")
        if "overhead" in todo:
            data = run_overhead(args.quick, bar)
            gr.save_json(data, results_dir / "overhead.json")

    readme = None if args.quick else gr.ROOT / "README.md"
    written = ge.write_evidence(results_dir, figures_dir, readme)
    for path in written:
        print(f"wrote {path.relative_to(gr.ROOT)}")
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
