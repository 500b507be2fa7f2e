"""Evidence for notebook 06: does gradient agreement help, and when? Its tables and numbers.

Everything here reads the stored results (:func:`gaml_runs.load_results`) and never reruns
anything: Markdown tables (numbers to 3 decimals, mean ± 95% CI over seeds, differences paired
over seeds by :mod:`gaml_stats`), the few numbers the notebook's text quotes, and the results
section that ``scripts/run_experiments.py`` writes to ``results/summary.md`` and README.md
(:func:`write_evidence`, which also draws the figures of :mod:`gaml_evidence_figures`).

Names of weightings, algorithms and kinds of disagreeing task come from
:data:`gaml_plots.STYLE`, as in every figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gaml_evidence_figures as gf
import gaml_omniglot_runs as gor
import gaml_results as gres
import gaml_runs as gr
import gaml_stats as gs
from gaml_plots import STYLE, method_label

__all__ = [
    "README_END",
    "README_START",
    "baseline_table",
    "curve_endpoints_table",
    "difference_range",
    "fomaml_trace_table",
    "logistic_beta_table",
    "logistic_extremes",
    "logistic_settings",
    "logistic_table",
    "logistic_weight_table",
    "magnitude_table",
    "omniglot_anchor_table",
    "omniglot_grid_table",
    "omniglot_intro",
    "omniglot_noise_table",
    "omniglot_scratch",
    "omniglot_table",
    "outcome_counts",
    "output_scale_table",
    "overhead_table",
    "results_markdown",
    "sine_comparison",
    "sine_grid_heading",
    "sine_grid_table",
    "sine_intro",
    "sine_relative_table",
    "sine_step_table",
    "sine_tuned",
    "sine_tuned_table",
    "update_readme",
    "write_evidence",
]

CELL = ("disagreement", "disagree_frac", "algorithm")  # one cell of the logistic experiment


def _fmt(mean: float, half: float, digits: int = 3) -> str:
    """'0.823 ± 0.001' (a value that rounds to zero is printed without a minus sign)."""
    if not math.isfinite(mean):
        return "n/a"
    mean = round(mean, digits) + 0.0  # -0.0 + 0.0 == +0.0
    if not math.isfinite(half):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {half:.{digits}f}"


def _fmt_signed(mean: float, half: float) -> str:
    """'+0.025 ± 0.088'; a difference that rounds to zero is written +0.000."""
    if not math.isfinite(mean):
        return "n/a"
    return f"{round(mean, 3) + 0.0:+.3f} ± {half:.3f}"


def _fmt_metrics(records: Sequence[dict], metrics: Sequence[str]) -> list[str]:
    """One table cell per metric: its mean ± 95% CI over ``records``."""
    return [_fmt(*gs.mean_ci(r[m] for r in records)[:2]) for m in metrics]


def _versus(weighting: str) -> str:
    """'GA − uniform', 'cosine − uniform (not in paper)': a column of paired differences."""
    style = STYLE[weighting]
    text = f"{style.short} − {STYLE['uniform'].name}"
    return f"{text} ({style.note})" if style.note else text


def _kind_label(kind: str, fraction: float, meta_batch: int) -> str:
    """'flipped labels, 2 of 8'."""
    return f"{STYLE[kind].name}, {round(fraction * meta_batch)} of {meta_batch}"


def _by_key(rows: Sequence[dict], by: Sequence[str]) -> dict[tuple, dict]:
    return {tuple(r[k] for k in by): r for r in rows}


# ---------------------------------------------------------------------------------------------
# Structured logistic tasks
# ---------------------------------------------------------------------------------------------


def logistic_settings(records: Sequence[dict]) -> list[tuple[str, float]]:
    """The (disagreement, fraction) settings present, clean first, in a fixed order."""
    present = {(r["disagreement"], r["disagree_frac"]) for r in records}
    order = [("none", 0.0)] + [
        (k, f) for k in gr.LOGISTIC_KINDS for f in gr.LOGISTIC_FRACTIONS if f
    ]
    return [s for s in order if s in present]


def logistic_table(results: dict, metric: str = "acc_after") -> str:
    """Markdown: per setting and algorithm, uniform accuracy and the GA / cosine differences.

    Differences are paired over seeds (same tasks), mean ± 95% CI; positive = better than
    uniform weighting.
    """
    records = results["records"]
    uniform = [r for r in records if r["weighting"] == "uniform"]
    base = _by_key(gs.summarize(uniform, CELL, metric), CELL)
    treatments = ("agreement", "cosine")
    diffs = {w: _by_key(gs.paired_difference(records, CELL, metric, w), CELL) for w in treatments}
    meta_batch = results["meta"]["config"]["meta_batch"]
    lines = [
        f"| disagreeing tasks | algorithm | uniform | {_versus('agreement')} | "
        f"{_versus('cosine')} |",
        "|---|---|---|---|---|",
    ]
    for kind, frac in logistic_settings(records):
        where = "none" if kind == "none" else _kind_label(kind, frac, meta_batch)
        for alg in gr.LOGISTIC_ALGORITHMS:
            key = (kind, frac, alg)
            if key not in base:
                continue
            u = base[key]
            cells = [
                _fmt_signed(diffs[w][key]["mean"], diffs[w][key]["ci"])
                if key in diffs[w]
                else "n/a"
                for w in treatments
            ]
            lines.append(
                f"| {where} | {STYLE[alg].name} | {_fmt(u['mean'], u['ci'])} | "
                f"{cells[0]} | {cells[1]} |"
            )
    return "\n".join(lines)


def baseline_table(results: dict) -> str:
    """Markdown: does meta-learning matter? Clean-task accuracy of inits, mean ± 95% CI."""
    clean = [r for r in results["records"] if r["disagreement"] == "none"]
    baselines = results["baselines"]
    rows = [
        ("θ = 0 (no meta-learning)", gs.mean_ci(b["zero_init_acc"] for b in baselines)),
        ("random θ (no meta-learning)", gs.mean_ci(b["random_init_acc"] for b in baselines)),
    ]
    for alg in gr.LOGISTIC_ALGORITHMS:
        values = (
            r["acc_after"] for r in clean if r["algorithm"] == alg and r["weighting"] == "uniform"
        )
        name = f"{STYLE[alg].name}, {STYLE['uniform'].name}, clean batches"
        rows.append((name, gs.mean_ci(values)))
    lines = ["| starting point | accuracy after adaptation |", "|---|---|"]
    lines += [f"| {name} | {_fmt(m, h)} |" for name, (m, h, _) in rows]
    return "\n".join(lines)


def logistic_weight_table(results: dict) -> str:
    """Markdown: mean weight of a disagreeing vs an agreeing task (uniform = 1/8 = 0.125)."""
    records = [r for r in results["records"] if r["disagreement"] != "none"]
    by = ("disagreement", "disagree_frac", "weighting")
    bad = _by_key(gs.summarize(records, by, "weight_disagreeing"), by)
    good = _by_key(gs.summarize(records, by, "weight_agreeing"), by)
    meta_batch = results["meta"]["config"]["meta_batch"]
    lines = [
        "| disagreeing tasks | weighting | weight of a disagreeing task | "
        "weight of an agreeing task |",
        "|---|---|---|---|",
    ]
    for kind, frac in logistic_settings(records):
        for w in ("agreement", "cosine"):
            key = (kind, frac, w)
            if key in bad:
                lines.append(
                    f"| {_kind_label(kind, frac, meta_batch)} | {STYLE[w].label} | "
                    f"{_fmt(bad[key]['mean'], bad[key]['ci'])} | "
                    f"{_fmt(good[key]['mean'], good[key]['ci'])} |"
                )
    return "\n".join(lines)


def outcome_counts(results: dict, weighting: str, metric: str = "acc_after") -> dict[str, int]:
    """How many logistic cells (setting × algorithm) ``weighting`` wins, loses or ties.

    A cell is a win if the whole 95% CI of the paired difference to uniform is above 0, a loss
    if it is below 0, and a tie otherwise. Cells without disagreeing tasks count separately.
    """
    rows = gs.paired_difference(results["records"], CELL, metric, weighting)
    out = {"win": 0, "loss": 0, "tie": 0, "clean_win": 0, "clean_loss": 0, "clean_tie": 0}
    for r in rows:
        lo, hi = r["mean"] - r["ci"], r["mean"] + r["ci"]
        outcome = "win" if lo > 0 else "loss" if hi < 0 else "tie"
        out[("clean_" if r["disagreement"] == "none" else "") + outcome] += 1
    return out


def _kind_rows(
    records: Sequence[dict], weightings: Sequence[str], cells: Callable[[list[dict]], list[str]]
) -> list[str]:
    """Table rows '| kind | weighting | cells... |' for every kind and weighting present."""
    lines = []
    for kind in gr.LOGISTIC_KINDS:
        for w in weightings:
            chosen = [r for r in records if r["disagreement"] == kind and r["weighting"] == w]
            if chosen:
                row = [STYLE[kind].name, STYLE[w].label, *cells(chosen)]
                lines.append("| " + " | ".join(row) + " |")
    return lines


def _cell_records(results: dict, fraction: float, algorithm: str) -> list[dict]:
    return [
        r
        for r in results["records"]
        if r["disagree_frac"] == fraction and r["algorithm"] == algorithm
    ]


def magnitude_table(results: dict, fraction: float = 0.25, algorithm: str = "maml") -> str:
    """Markdown: update length ‖g_i‖ and weight of disagreeing vs agreeing tasks, per kind.

    Shows the magnitude effect: where disagreeing tasks have the longer updates, gradient
    agreement gives them the larger weight.
    """
    metrics = (
        "update_len_disagreeing",
        "update_len_agreeing",
        "weight_disagreeing",
        "weight_agreeing",
    )
    lines = [
        "| disagreeing tasks | weighting | ‖g‖ disagreeing | ‖g‖ agreeing | "
        "w disagreeing | w agreeing |",
        "|---|---|---|---|---|---|",
    ]
    records = _cell_records(results, fraction, algorithm)
    lines += _kind_rows(records, gr.LOGISTIC_WEIGHTINGS, lambda c: _fmt_metrics(c, metrics))
    return "\n".join(lines)


def curve_endpoints_table(results: dict, fraction: float = 0.25, algorithm: str = "maml") -> str:
    """Markdown: mean weight of a disagreeing / agreeing task early vs late in meta-training.

    "early" is the first chunk of the stored weight curves, "late" the last one.
    """
    records = [
        r
        for r in _cell_records(results, fraction, algorithm)
        if isinstance(r.get("curve_weight_disagreeing"), list)
    ]
    if not records:
        raise ValueError(f"no weight curves stored for fraction {fraction}")
    bins = len(records[0]["curve_weight_disagreeing"])
    span = records[0]["iterations"] // bins
    lines = [
        f"| disagreeing tasks | weighting | disagreeing, first {span} iterations | "
        f"agreeing, first {span} | disagreeing, last {span} | agreeing, last {span} |",
        "|---|---|---|---|---|---|",
    ]

    def cells(chosen: list[dict]) -> list[str]:
        return [
            _fmt(*gs.mean_ci(r[key][b] for r in chosen)[:2])
            for b in (0, -1)
            for key in ("curve_weight_disagreeing", "curve_weight_agreeing")
        ]

    lines += _kind_rows(records, ("agreement", "cosine"), cells)
    return "\n".join(lines)


def difference_range(results: dict, weighting: str) -> tuple[float, float]:
    """Smallest and largest mean paired difference to uniform over cells with dissenters."""
    rows = gs.paired_difference(results["records"], CELL, "acc_after", weighting)
    means = [r["mean"] for r in rows if r["disagreement"] != "none"]
    return min(means), max(means)


def logistic_extremes(results: dict, weighting: str = "agreement") -> dict[str, dict]:
    """The settings with the largest gain and the largest loss of ``weighting`` vs uniform."""
    rows = gs.paired_difference(results["records"], CELL, "acc_after", weighting)
    rows = [r for r in rows if math.isfinite(r["mean"])]
    return {"gain": max(rows, key=lambda r: r["mean"]), "loss": min(rows, key=lambda r: r["mean"])}


# ---------------------------------------------------------------------------------------------
# Sine regression
# ---------------------------------------------------------------------------------------------


def _study(results: dict, regime: str = "minibatch") -> gr.SineStudy:
    """The settings of one regime of the sine study, as stored."""
    return gr.SineStudy.from_stored(results["meta"]["studies"][regime])


def _regime_label(regime: str) -> str:
    """'minibatch regime' / 'k-shot regime'."""
    return f"{regime} regime"


def _training(study: gr.SineStudy) -> str:
    """'minibatch 10 of 50, 30000 iterations': what one inner step saw, and how long."""
    return f"{study.inner_data}, {study.iterations} iterations"


def _mse_cell(values: Sequence[float], study: gr.SineStudy) -> str:
    """A sine cell's MSE over seeds, as :meth:`gaml_runs.SineStudy.summary` gives it: mean ± CI,
    or the median and how many seeds blew up; a median that blew up is not printed."""
    centre, half, blown = study.summary([float(v) for v in values])
    if not blown:
        return _fmt(centre, half)
    if blown == len(values):
        return f"all {blown} blew up"
    if not math.isfinite(centre):
        return f"{blown}/{len(values)} blew up, the median too"
    return f"median {centre:.3f}, {blown}/{len(values)} blew up"


def _blew_up(runs: Sequence[dict], metric: str, study: gr.SineStudy) -> bool:
    return any(not study.learned(r[metric]) for r in runs)


def sine_tuned(results: dict) -> tuple[dict[tuple, float], list[dict]]:
    """Each sine method's β0 chosen on the validation tasks (lowest mean MSE after 5 steps,
    no diverged seed), keyed (regime, algorithm, weighting), and the test-task records of every
    method at its own β0."""
    records = results["records"]
    betas = gr.tuned_sine_betas(records)
    chosen = [r for r in records if betas.get(_method(r)) == r["beta0"]]
    return betas, chosen


def sine_comparison(
    results: dict, regime: str, algorithm: str, weighting: str, metric: str = "mse_5"
) -> dict:
    """``weighting`` − uniform for one algorithm in one regime, each at its own tuned β0 (test
    tasks, paired over seeds): mean, ci, n, the uniform mean, the relative change with its CI,
    and the count of seeds where the weighting did better."""
    _, chosen = sine_tuned(results)
    mine = [r for r in chosen if (r["regime"], r["algorithm"]) == (regime, algorithm)]
    diff = gs.paired_difference(mine, ("algorithm",), metric, weighting)[0]
    base = gs.mean_ci(r[metric] for r in mine if r["weighting"] == "uniform")[0]
    by_seed: dict[int, dict[str, float]] = {}
    for r in mine:
        by_seed.setdefault(r["seed"], {})[r["weighting"]] = r[metric]
    better = sum(p[weighting] < p["uniform"] for p in by_seed.values() if len(p) > 1)
    lo, hi = (diff["mean"] - diff["ci"]) / base, (diff["mean"] + diff["ci"]) / base
    return {**diff, "base": base, "relative": diff["mean"] / base, "relative_ci": (lo, hi),
            "better": better, "seeds": len(by_seed)}  # fmt: skip


def _method(record: dict) -> tuple[str, str, str]:
    """(regime, algorithm, weighting) of a sine record."""
    return record["regime"], record["algorithm"], record["weighting"]


def _compared(betas: dict[tuple, float]) -> list[tuple[str, str, str]]:
    """The tuned methods of the groups that are compared (:data:`gaml_runs.SINE_COMPARED`)."""
    return [key for key in betas if key[:2] in gr.SINE_COMPARED]


def sine_tuned_table(results: dict) -> str:
    """Markdown: every compared method at its own tuned β0, in the regime it trains in, MSE on
    the test tasks after 5, 10 and 32 steps (mean ± 95% CI over seeds), the paired difference to
    uniform and the paper."""
    betas, chosen = sine_tuned(results)
    steps = _study(results).eval_steps
    lines = [
        "| method | trained on (inner step) | tuned β0 | "
        + " | ".join(f"MSE after {t} steps" for t in steps)
        + " | − uniform after 5 steps (paired) | seeds better than uniform | paper |",
        "|---|---|---|" + "---|" * len(steps) + "---|---|---|",
    ]  # fmt: skip
    for regime, alg, w in _compared(betas):
        beta, study = betas[(regime, alg, w)], _study(results, regime)
        runs = [r for r in chosen if _method(r) == (regime, alg, w)]
        cells = [_mse_cell([r[f"mse_{t}"] for r in runs], study) for t in steps]
        diff, better = "—", "—"
        base = [r for r in chosen if _method(r) == (regime, alg, "uniform")]
        if w != "uniform" and base and not _blew_up(runs + base, "mse_5", study):
            c = sine_comparison(results, regime, alg, w)
            diff, better = _fmt_signed(c["mean"], c["ci"]), f"{c['better']} of {c['seeds']}"
        paper = gr.PAPER_SINE_MSE.get((alg, w))
        lines.append(
            f"| {method_label(alg, w)} | {_training(study)} | {beta:g} | " + " | ".join(cells)
            + f" | {diff} | {better} | {'—' if paper is None else f'{paper:.2f}'} |"
        )  # fmt: skip
    return "\n".join(lines)


def sine_relative_table(results: dict) -> str:
    """Markdown: GA − uniform at tuned β0, absolute and as % of uniform, beside the paper.

    The % interval divides the paired CI by the uniform mean (a first-order approximation).
    """
    lines = [
        f"| comparison (each at its tuned β0) | {_versus('agreement')} (MSE after 5 steps) | "
        "relative to uniform | 95% CI of the relative change |",
        "|---|---|---|---|",
    ]
    betas, chosen = sine_tuned(results)
    for regime, alg in gr.SINE_COMPARED:
        pair = [r for r in chosen if (r["regime"], r["algorithm"]) == (regime, alg)
                and r["weighting"] != "cosine"]  # fmt: skip
        if {(regime, alg, "uniform"), (regime, alg, "agreement")} <= betas.keys() and not _blew_up(
            pair, "mse_5", _study(results, regime)
        ):
            c = sine_comparison(results, regime, alg, "agreement")
            lo, hi = c["relative_ci"]
            lines.append(
                f"| ours: {method_label(alg, 'agreement')} vs {method_label(alg, 'uniform')} "
                f"({_regime_label(regime)}) | {_fmt_signed(c['mean'], c['ci'])} | "
                f"{100 * c['relative']:+.1f}% | {100 * lo:+.1f}% to {100 * hi:+.1f}% |"
            )
    paper_u = gr.PAPER_SINE_MSE[("reptile", "uniform")]
    paper_a = gr.PAPER_SINE_MSE[("reptile", "agreement")]
    lines.append(
        f"| paper: {method_label('reptile', 'agreement')} vs {method_label('reptile', 'uniform')}"
        f" | {paper_a - paper_u:+.3f} | {100 * (paper_a - paper_u) / paper_u:+.1f}% | "
        "not reported |"
    )
    return "\n".join(lines)


def sine_step_table(results: dict) -> str:
    """Markdown: each compared method's tuned β0, its mean Σ_i w_i over training and the
    product, the effective initial step (uniform: Σ_i w_i = 1; GA's signed weights sum to
    less)."""
    betas, chosen = sine_tuned(results)
    lines = [
        "| method | regime | tuned β0 | mean Σ_i w_i during training | effective β0 · Σ_i w_i |",
        "|---|---|---|---|---|",
    ]
    for key in _compared(betas):
        (regime, alg, w), beta = key, betas[key]
        runs = [r for r in chosen if _method(r) == key]
        total = gs.mean_ci(r["mean_weight_sum"] for r in runs)[0]
        lines.append(f"| {method_label(alg, w)} | {regime} | {beta:g} | {total:.3f} | "
                     f"{beta * total:.3g} |")  # fmt: skip
    return "\n".join(lines)


def logistic_beta_table(results: dict) -> str:
    """Markdown: per algorithm and weighting, how often each β of the grid was chosen on the
    validation tasks (over the settings), and the mean Σ_i w_i at the chosen β."""
    tuned = results["tuned_beta"]
    grid = sorted({beta for beta in tuned.values()} | set(results["meta"].get("betas", [])))
    lines = [
        "| algorithm | weighting | " + " | ".join(f"β = {b:g}" for b in grid)
        + " | mean Σ_i w_i at the chosen β |",
        "|---|---|" + "---|" * len(grid) + "---|",
    ]  # fmt: skip
    for alg in gr.LOGISTIC_ALGORITHMS:
        for w in gr.LOGISTIC_WEIGHTINGS:
            chosen = [b for key, b in tuned.items() if key[2:] == (alg, w)]
            counts = [str(sum(b == g for b in chosen)) for g in grid]
            runs = [r for r in results["records"] if (r["algorithm"], r["weighting"]) == (alg, w)]
            total = gs.finite_mean(r["weight_sum"] for r in runs)
            lines.append(f"| {STYLE[alg].name} | {STYLE[w].short} | " + " | ".join(counts)
                         + f" | {total:.3f} |")  # fmt: skip
    return "\n".join(lines)


def sine_grid_table(results: dict, algorithm: str, regime: str = "minibatch") -> str:
    """Markdown: every β0 of the grid for one algorithm in one regime: each weighting's test MSE
    after 5 steps (mean ± 95% CI, or the median where seeds blew up), the paired differences to
    uniform at the same β0 (where no seed of either blew up) and the seeds where the weighting
    did better."""
    records = [r for r in results["records"]
               if (r["regime"], r["algorithm"]) == (regime, algorithm)]  # fmt: skip
    study = _study(results, regime)
    weightings = [w for w in gr.SINE_WEIGHTINGS if any(r["weighting"] == w for r in records)]
    others = [w for w in weightings if w != "uniform"]
    header = [STYLE[w].short for w in weightings]
    header += [f"{_versus(w)} (seeds better)" for w in others]
    lines = ["| β0 | " + " | ".join(header) + " |", "|---|" + "---|" * len(header)]
    for beta in sorted({r["beta0"] for r in records}):
        at = [r for r in records if r["beta0"] == beta]
        cells = [_mse_cell([r["mse_5"] for r in at if r["weighting"] == w], study)
                 for w in weightings]  # fmt: skip
        for w in others:
            pair = [r for r in at if r["weighting"] in (w, "uniform")]
            if _blew_up(pair, "mse_5", study):
                cells.append("—")
                continue
            diff = gs.paired_difference(at, ("algorithm",), "mse_5", w)
            pairs = {}
            for r in at:
                pairs.setdefault(r["seed"], {})[r["weighting"]] = r["mse_5"]
            better = sum(p.get(w, math.inf) < p.get("uniform", math.inf) for p in pairs.values())
            cells.append(f"{_fmt_signed(diff[0]['mean'], diff[0]['ci'])} ({better})"
                         if diff and diff[0]["n"] > 1 else "—")  # fmt: skip
        lines.append(f"| {beta:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fomaml_trace_table(
    results: dict, iterations: Sequence[int] = (0, 250, 500, 750, 1000, 1500, 2000)
) -> str:
    """Markdown: the instrument readings of :func:`gaml_runs.trace_fomaml` (seed 0 of each traced
    FOMAML cell) at a few meta-iterations: query MSE at θ before and after the inner loop, the
    cosine between FOMAML's and the exact meta-gradient and the ratio of their lengths, α·λ of
    the first inner batch's Hessian (median over the probe tasks; stable SGD needs 0 < αλ < 2),
    ‖W3‖, the length of the output weights, and how fast a descent step along each meta-gradient
    changes it (positive: W3 grows); and the iteration at which seed 0 blew up."""
    lines = [
        "| regime, β0 | iteration | MSE before inner loop | MSE after | cos(FOMAML, exact) | "
        "‖exact‖ / ‖FOMAML‖ | α·λ | ‖W3‖ | ‖W3‖ per unit step: FOMAML, exact |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for tr in results["records"]:
        name = f"{tr['regime']}, {tr['beta0']:g}"
        for it in iterations:
            if it not in tr["iteration"]:
                continue
            i = tr["iteration"].index(it)
            lines.append(
                f"| {name} | {it} | {tr['loss_before'][i]:.3g} | {tr['loss_after'][i]:.3g} | "
                f"{tr['cos_fo_exact'][i]:.2f} | {tr['norm_exact'][i] / tr['norm_fo'][i]:.2g} | "
                f"{tr['alpha_lambda'][i]:.2g} | {tr['norm_W3'][i]:.2g} | "
                f"{tr['w3_push_fo'][i]:+.2g}, {tr['w3_push_exact'][i]:+.2g} |"
            )
        if (blown := tr["blowup_iteration"][tr["seed"]]) >= 0:
            lines.append(f"| {name} | {blown} | blew up: ‖θ‖ > 1000 | | | | | | |")
    return "\n".join(lines)


def output_scale_table(results: dict) -> str:
    """Markdown: the output-scale scan of each trace (:func:`gaml_runs.trace_fomaml`): query MSE
    after the inner loop with the output weights W3 scaled by each factor, at one iteration."""
    traced = [tr for tr in results["records"] if "scan_factors" in tr]
    if not traced:
        return ""
    factors = traced[0]["scan_factors"]
    lines = [
        "| regime, β0 (iteration) | " + " | ".join(f"W3 × {c:g}" for c in factors) + " |",
        "|---|" + "---|" * len(factors),
    ]
    for tr in traced:
        cells = [f"{b:.3g} → {a:.3g}" for b, a in zip(tr["scan_before"], tr["scan_after"],
                                                      strict=True)]  # fmt: skip
        lines.append(f"| {tr['regime']}, {tr['beta0']:g} ({tr['scan_at']}) | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Cost, and the results section of README.md
# ---------------------------------------------------------------------------------------------


def overhead_table(results: dict) -> str:
    """Markdown: time per meta-step per weighting, the overhead vs uniform, the weights alone.

    "weights alone" times only the weight computation on that step's update vectors.
    """
    columns = [f"{STYLE['uniform'].name} (ms/step)"]
    for w in ("agreement", "cosine"):
        short = STYLE[w].short
        columns += [f"{short} (ms/step)", f"{short} overhead", f"{short} weights alone (µs)"]
    lines = [
        "| setup | algorithm | parameters | " + " | ".join(columns) + " |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    recs = results["records"]
    keys = list(dict.fromkeys((r["setup"], r["algorithm"]) for r in recs))
    for setup, alg in keys:
        by_w = {r["weighting"]: r for r in recs if (r["setup"], r["algorithm"]) == (setup, alg)}
        u, a, c = by_w["uniform"], by_w["agreement"], by_w["cosine"]
        lines.append(
            f"| {setup} | {STYLE[alg].name} | {u['n_params']} | "
            f"{1e3 * u['step_seconds']:.3f} | {1e3 * a['step_seconds']:.3f} | "
            f"{100 * a['overhead_vs_uniform']:+.1f}% | {1e6 * a['weights_seconds']:.1f} | "
            f"{1e3 * c['step_seconds']:.3f} | {100 * c['overhead_vs_uniform']:+.1f}% | "
            f"{1e6 * c['weights_seconds']:.1f} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Few-shot Omniglot (gaml_omniglot_runs)
# ---------------------------------------------------------------------------------------------


def _paired(a: Sequence[dict], b: Sequence[dict], metric: str) -> tuple[float, float, int]:
    """Mean and 95% CI of metric(a) − metric(b) over the seeds both have."""
    other = {r["seed"]: r[metric] for r in b}
    return gs.mean_ci(r[metric] - other[r["seed"]] for r in a if r["seed"] in other)


def omniglot_scratch(results: dict) -> dict[str, Any]:
    """The from-scratch baseline's tuned (α, steps) and its final rows."""
    final = [r for r in results["scratch"] if r["phase"] == "final"]
    if not final:
        return {"rows": []}
    return {"rows": final, "alpha": final[0]["alpha"], "steps": final[0]["steps"]}


def omniglot_table(results: dict, noisy: int = 0) -> str:
    """Markdown: the baselines and every method at its tuned β0 (condition ``noisy``): 5-way
    1-shot test accuracy and Lake's 20-way error, mean ± 95% CI (over test tasks for pixel
    matching, over seeds otherwise), and the difference to pixel matching."""
    meta = results["meta"]
    nn, nn_ci = meta["pixel_nn_test_acc"], meta.get("pixel_nn_test_ci", math.nan)
    lines = [
        "| method | tuned on validation | seeds | 5-way 1-shot test accuracy | − pixel NN | "
        "Lake's 20 runs, error |",
        "|---|---|---|---|---|---|",
        f"| pixel nearest neighbour (cosine; no learning) | — | — | {_fmt(nn, nn_ci)} | — | "
        f"{meta['pixel_nn_lake20_error']:.3f} (runs: sd {meta['pixel_nn_lake20_run_sd']:.3f}) |",
    ]
    scratch = omniglot_scratch(results)
    if scratch["rows"]:
        rows = scratch["rows"]
        acc = gs.mean_ci(r["test_acc"] for r in rows)
        lines.append(
            f"| the same network from scratch on each support set | α = {scratch['alpha']:g}, "
            f"{scratch['steps']} steps | {acc[2]} | {_fmt(*acc[:2])} | "
            f"{_fmt_signed(acc[0] - nn, acc[1])} | "
            f"{_fmt(*gs.mean_ci(r['lake20_error'] for r in rows)[:2])} |"
        )
    for alg, w in gor.final_methods(results):
        rows = gor.final_rows(results, alg, w, noisy)
        if not rows:
            continue
        acc = gs.mean_ci(r["test_acc"] for r in rows)
        lake = gs.mean_ci(r["lake20_error"] for r in rows)
        lines.append(
            f"| {method_label(alg, w)} | β0 = {rows[0]['beta0']:g} | {acc[2]} | "
            f"{_fmt(*acc[:2])} | {_fmt_signed(acc[0] - nn, acc[1])} | {_fmt(*lake[:2])} |"
        )
    return "\n".join(lines)


def omniglot_noise_table(results: dict) -> str:
    """Markdown: per method, test accuracy without and with one noisy task in each meta-batch
    of 5, the change (paired by seed), the paired difference to uniform in each condition, and
    the mean weight the method gave the noisy task and the clean ones (uniform: 1/5)."""
    lines = [
        "| method | clean | 1 noisy task in 5 | noisy − clean | − uniform, clean | "
        "− uniform, noisy | weight of the noisy task | weight of a clean task |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for alg, w in gor.final_methods(results):
        clean, noisy = (gor.final_rows(results, alg, w, n) for n in (0, 1))
        if not (clean and noisy):
            continue
        cells = [_fmt(*gs.mean_ci(r["test_acc"] for r in rows)[:2]) for rows in (clean, noisy)]
        cells.append(_fmt_signed(*_paired(noisy, clean, "test_acc")[:2]))
        for rows, n in ((clean, 0), (noisy, 1)):
            base = gor.final_rows(results, alg, "uniform", n)
            cells.append(
                "—" if w == "uniform" else _fmt_signed(*_paired(rows, base, "test_acc")[:2])
            )
        cells += [_fmt(*gs.mean_ci(r[k] for r in noisy)[:2])
                  for k in ("mean_weight_noisy", "mean_weight_clean")]  # fmt: skip
        lines.append(f"| {method_label(alg, w)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def omniglot_grid_table(results: dict) -> str:
    """Markdown: mean validation accuracy of every β0 of each method's grid (clean), the tuned
    β0 in bold."""
    grid = [r for r in results["records"] if r["phase"] == "grid"]
    lines = ["| method | β0: validation accuracy (mean over seeds; tuned in bold) |", "|---|---|"]
    for alg, w in gor.final_methods(results):
        mine = [r for r in grid if (r["algorithm"], r["weighting"]) == (alg, w)]
        tuned = gor.final_rows(results, alg, w, 0)[0]["beta0"]
        cells = []
        for b in sorted({r["beta0"] for r in mine}):
            v = gs.mean_ci(r["val_acc"] for r in mine if r["beta0"] == b)
            text = f"{b:g}: {v[0]:.3f} ({v[2]})"
            cells.append(f"**{text}**" if b == tuned else text)
        lines.append(f"| {method_label(alg, w)} | " + ", ".join(cells) + " |")
    return "\n".join(lines)


def omniglot_anchor_table(results: dict) -> str:
    """Markdown: this study's best numbers beside the published anchors."""

    def clean_acc(method: tuple[str, str]) -> float:
        return gs.mean_ci(r["test_acc"] for r in gor.final_rows(results, *method, 0))[0]

    best = max(gor.final_methods(results), key=clean_acc, default=None)
    lines = ["| who | task | score |", "|---|---|---|",
             f"| people (Lake et al. 2015) | Lake's 20 runs | "
             f"error {gor.LAKE_PEOPLE_ERROR:.3f} |",
             f"| Bayesian program learning (Lake et al. 2015) | Lake's 20 runs | "
             f"error {gor.LAKE_BPL_ERROR:.3f} |"]  # fmt: skip
    if best is not None:
        rows = gor.final_rows(results, *best, 0)
        lake = gs.mean_ci(r["lake20_error"] for r in rows)
        acc = gs.mean_ci(r["test_acc"] for r in rows)
        lines += [f"| this course's best, {method_label(*best)} | Lake's 20 runs | "
                  f"error {_fmt(*lake[:2])} |",
                  f"| this course's best, {method_label(*best)} | 5-way 1-shot, Lake's images | "
                  f"accuracy {_fmt(*acc[:2])} |"]  # fmt: skip
    for key, name in (("maml", "MAML"), ("reptile", "Reptile"), ("agreement", "GA")):
        lines.append(f"| {name}, as the paper reports it | MiniImageNet 5-way 1-shot | "
                     f"accuracy {gor.PAPER_MINIIMAGENET[key]:.4f} |")  # fmt: skip
    return "\n".join(lines)


def omniglot_intro(results: dict) -> str:
    """The sentence above the Omniglot table: data, network, training, tuning, scoring."""
    st = results["meta"]["settings"]
    return (
        f"**Few-shot Omniglot** (Lake et al.'s two minimal background splits, 242 characters of 8 "
        f"alphabets: 203 of 6 alphabets for meta-training, 39 of the other 2 for validation; "
        f"rotations by 90° as extra classes; "
        f"a 4-layer NumPy convnet, 28,709 parameters, float32; {st['iterations']} "
        f"meta-iterations, meta-batch {st['meta_batch']}, {st['inner_steps']} inner steps of "
        f"α = {st['alpha']:g}, β annealed linearly from β0; each β0 chosen on "
        f"{st['val_tasks']} validation tasks, {st['grid_seeds']} seeds; reported on "
        f"{st['test_tasks']} 5-way 1-shot tasks built from Lake's evaluation images and on his "
        f"20 one-shot runs (20-way), after {st['eval_steps']} steps on the support set; mean ± "
        f"95% CI over seeds):"
    )


def _section(*paragraphs: str) -> list[str]:
    """Markdown paragraphs (text or tables), each followed by an empty line."""
    return [line for paragraph in paragraphs for line in (paragraph, "")]


def sine_intro(results: dict) -> str:
    """The sentence above the tuned sine table: tasks, network, both regimes, tuning, scoring."""
    studies = {regime: _study(results, regime) for regime in results["meta"]["studies"]}
    mini = studies.get("minibatch", next(iter(studies.values())))
    trained = []
    for regime, alg in gr.SINE_COMPARED:
        if regime in studies and any(a == alg for a in studies[regime].betas):
            st = studies[regime]
            if st.batch_size:
                how = (f"a fresh block of {st.batch_size} of a task's {st.support} points per "
                       "inner step (Nichol et al.)")  # fmt: skip
            else:
                how = f"the same {st.support} points at every inner step (the paper's k-shot)"
            trained.append(f"{STYLE[alg].name} on {how}, {st.iterations} meta-iterations")
    return (
        f"**Sine regression** (the paper's tasks, 1 → {mini.hidden} → {mini.hidden} → 1 "
        f"{mini.activation} net, {mini.inner_steps} inner steps of α = {mini.alpha:g}, β "
        f"annealed linearly from β0 to 0; trained: {'; '.join(trained)}; each method's β0 "
        f"chosen on {mini.val_tasks} validation tasks, MSE on {mini.test_tasks} test tasks after "
        f"adapting on k = {mini.k_shot} points, mean ± 95% CI over {mini.seeds} seeds; "
        f"predicting 0 scores {mini.zero_predictor_mse():.2f}; a seed *blew up* when it does "
        "worse than that):"
    )


def sine_grid_heading(results: dict, regime: str, algorithm: str) -> str:
    """The sentence above one group's grid table."""
    name = f"{STYLE[algorithm].name} ({_regime_label(regime)}"
    if (regime, algorithm) not in gr.SINE_COMPARED:
        name += ", where it diverges; not compared"
    return (f"{name}), every β0 of the grid (test MSE after 5 steps; paired differences at the "
            "same β0, seeds better in brackets):")  # fmt: skip


def results_markdown(results: dict[str, dict]) -> str:
    """The results section the script writes to README.md and results/summary.md."""
    parts = []
    if "sine" in results:
        sine = results["sine"]
        parts += _section(sine_intro(sine), sine_tuned_table(sine),
                          "The paper's claim in relative terms (paired over seeds):",
                          sine_relative_table(sine))  # fmt: skip
        for regime, alg in gr.SINE_GROUPS:
            if any((r["regime"], r["algorithm"]) == (regime, alg) for r in sine["records"]):
                parts += _section(sine_grid_heading(sine, regime, alg),
                                  sine_grid_table(sine, alg, regime))  # fmt: skip
    if "logistic" in results:
        meta = results["logistic"]["meta"]
        parts += _section(
            f"**Structured logistic tasks**: query accuracy on clean held-out tasks after "
            f"adaptation (fraction correct), mean ± 95% CI over {meta['n_seeds']} seeds; "
            f"differences are paired (same tasks, same seed), positive = better than uniform:",
            logistic_table(results["logistic"]),
        )
    if "omniglot" in results:
        om = results["omniglot"]
        parts += _section(omniglot_intro(om), omniglot_table(om),
                          "One noisy task in every meta-batch of 5 (FOMAML: its query labels "
                          "permuted against its support; Reptile: its support labels shuffled), "
                          "paired by seed:", omniglot_noise_table(om))  # fmt: skip
    if "overhead" in results:
        parts += _section(
            "**Cost**: best-of-k wall time of one meta-step on the same batch:",
            overhead_table(results["overhead"]),
        )
    return "\n".join(parts).rstrip() + "\n"


README_START, README_END = "<!-- results-table:start -->", "<!-- results-table:end -->"


def update_readme(table: str, readme: Path) -> bool:
    """Put ``table`` between the README's markers; False if the file or a marker is missing."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    if text.index(README_START) > text.index(README_END):
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{table}{README_END}{tail}", encoding="utf-8")
    return True


def write_evidence(
    results_dir: Path = gres.RESULTS_DIR,
    figures_dir: Path = gres.FIGURES_DIR,
    readme: Path | None = None,
) -> list[Path]:
    """Draw every evidence figure and write ``results_dir/summary.md`` from the stored results,
    and the results section into ``readme`` (if given and it has the markers).

    Returns the files written.
    """
    results = gres.load_results(results_dir)
    init_path = results_dir / gres.SINE_INIT_FILE.name
    init = gres.load_sine_init(init_path) if init_path.exists() else None
    written = gf.write_figures(results, figures_dir, init)
    table = results_markdown(results)
    summary = results_dir / "summary.md"
    header = "# Results (generated by scripts/run_experiments.py)\n\n"
    summary.write_text(header + table, encoding="utf-8")
    written.append(summary)
    if readme is not None and update_readme(table, readme):
        written.append(readme)
    return written
