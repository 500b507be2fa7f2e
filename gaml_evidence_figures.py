"""Evidence for notebook 06: its figures, drawn from the stored results.

Every function takes what :func:`gaml_runs.load_results` (or :func:`gaml_runs.load_sine_init`)
returned and returns a ``matplotlib.figure.Figure``; names, colours, line styles, markers and
hatching come from :data:`gaml_plots.STYLE`, as in every figure of the course. Error bars are
95% t-intervals over seeds (:mod:`gaml_stats`). :data:`EVIDENCE_FIGURES` names every figure
and :func:`write_figures` saves them as ``figures/evidence_*.png``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

import gaml_core as gc
import gaml_omniglot_runs as gor
import gaml_plots as gp
import gaml_runs as gr
import gaml_stats as gs
import gaml_tasks as gt
from gaml_plots import STYLE, method_label

__all__ = [
    "EVIDENCE_FIGURES",
    "plot_fomaml_trace",
    "plot_logistic_accuracy",
    "plot_logistic_gain",
    "plot_logistic_weights",
    "plot_omniglot",
    "plot_overhead",
    "plot_sine_beta_sweep",
    "plot_sine_fits",
    "plot_sine_tuned",
    "plot_weight_curves",
    "write_figures",
]

TASK_GROUPS = (("disagreeing", gp.DISSENT), ("agreeing", gp.AGREE))  # the tasks of a batch
WEIGHT_BARS = (("mean_weight_noisy", gp.DISSENT, "noisy task"),
               ("mean_weight_clean", gp.AGREE, "clean task"))  # fmt: skip
COSINE_NOTE = f"{STYLE['cosine'].short}: {STYLE['cosine'].note}"  # "cosine: not in paper"


def _plain_log_axis(ax: Axes) -> None:
    """Log scale on y with ticks written as plain numbers (0.5, 1, 2, 5 ...), not 2×10⁰."""
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    ticks = [
        t for t in (0.02, 0.05, 0.1, 0.2, 0.5, 1, 1.5, 2, 3, 4, 5, 10, 20, 50) if lo <= t <= hi
    ]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _fraction_axis(ax: Axes) -> None:
    ax.set_xlabel("fraction of disagreeing tasks per meta-batch")
    ax.set_xticks([0, 0.125, 0.25, 0.5], ["0", "1/8", "2/8", "4/8"])


def _by_fraction(
    records: Sequence[dict],
    kind: str,
    metric: str,
    algorithm: str,
    weighting: str,
    paired: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (the real fraction), mean and CI over seeds for one kind and algorithm, clean first:
    of ``metric`` under ``weighting``, or (``paired``) of its paired difference to uniform."""
    by = ("disagreement", "disagree_frac")
    chosen = [
        r for r in records if r["disagreement"] in ("none", kind) and r["algorithm"] == algorithm
    ]
    if paired:
        rows = gs.paired_difference(chosen, by, metric, weighting)
    else:
        rows = gs.summarize([r for r in chosen if r["weighting"] == weighting], by, metric)
    rows.sort(key=lambda r: r["disagree_frac"])
    mb = records[0]["meta_batch"]
    x = np.array([round(r["disagree_frac"] * mb) / mb for r in rows])
    return x, np.array([r["mean"] for r in rows]), np.array([r["ci"] for r in rows])


def _curve_x(curves: np.ndarray, iterations: int) -> np.ndarray:
    """The meta-iteration at the middle of each chunk of a stored training curve."""
    bins = curves.shape[1]
    return (np.arange(bins) + 0.5) * iterations / bins


# ---------------------------------------------------------------------------------------------
# Structured logistic tasks
# ---------------------------------------------------------------------------------------------


def plot_logistic_accuracy(results: dict) -> Figure:
    """3 × 3 panels (algorithm × kind): clean-task accuracy vs fraction of disagreeing tasks."""
    records = results["records"]
    base = gs.summarize(results.get("baselines", []), (), "zero_init_acc")
    fig, axes = plt.subplots(3, 3, figsize=(12.0, 9.5), sharex=True, sharey=True)
    for i, alg in enumerate(gr.LOGISTIC_ALGORITHMS):
        for j, kind in enumerate(gr.LOGISTIC_KINDS):
            ax = axes[i, j]
            for k, w in enumerate(gr.LOGISTIC_WEIGHTINGS):
                x, mean, ci = _by_fraction(records, kind, "acc_after", alg, w)
                ax.errorbar(
                    x + (k - 1) * 0.006,
                    mean,
                    yerr=ci,
                    capsize=3,
                    **STYLE[w].line(markeredgecolor="black", markeredgewidth=0.5),
                )
            if base and math.isfinite(base[0]["mean"]):
                ax.axhline(
                    base[0]["mean"],
                    color="black",
                    linestyle=(0, (1, 2)),
                    linewidth=1.2,
                    label="θ = 0, no meta-learning",
                )
            ax.set_title(f"{STYLE[alg].name}, {STYLE[kind].name}")
            ax.set_ylabel("accuracy (fraction correct)")
            _fraction_axis(ax)
            ax.legend(loc="lower left", fontsize=7)
    fig.suptitle("Clean held-out tasks: query accuracy after adaptation (mean ± 95% CI over seeds)")
    fig.tight_layout()
    return fig


def plot_logistic_gain(results: dict) -> Figure:
    """2 × 3 panels: paired accuracy difference (GA − uniform, cosine − uniform) per kind."""
    records = results["records"]
    fig, axes = plt.subplots(2, 3, figsize=(12.0, 7.0), sharex=True, sharey=True)
    for i, w in enumerate(("agreement", "cosine")):
        style = STYLE[w]
        for j, kind in enumerate(gr.LOGISTIC_KINDS):
            ax = axes[i, j]
            ax.axhline(0.0, color="black", linewidth=0.8)
            for k, alg in enumerate(gr.LOGISTIC_ALGORITHMS):
                x, mean, ci = _by_fraction(records, kind, "acc_after", alg, w, paired=True)
                ax.errorbar(
                    x + (k - 1) * 0.006,
                    mean,
                    yerr=ci,
                    capsize=3,
                    **STYLE[alg].line(
                        color=style.color,
                        markeredgecolor="black",
                        markeredgewidth=0.5,
                        label=method_label(alg, w, note=False),
                    ),
                )
            note = f"\n({style.short} weighting: {style.note})" if style.note else ""
            ax.set_title(f"{style.short} − uniform, {STYLE[kind].name}{note}", fontsize=10)
            ax.set_ylabel("accuracy difference (fraction correct)")
            _fraction_axis(ax)
            ax.legend(loc="best", fontsize=7)
    fig.suptitle("Does re-weighting help? Paired difference to uniform weighting (± 95% CI)")
    fig.tight_layout()
    return fig


def _weight_panels(
    records: Sequence[dict],
    algorithm: str,
    draw: Callable[[Axes, str, str, str, dict[str, Any]], None],
    x_axis: Callable[[Axes], object],
) -> Figure:
    """One panel per kind of disagreeing task: the uniform weight 1/n, and for GA and cosine
    one line per task group (disagreeing, agreeing), drawn by ``draw(ax, kind, weighting,
    group, style)`` with ``style`` the line's colour, marker and legend entry; ``x_axis(ax)``
    labels the x axis."""
    n = records[0]["meta_batch"]
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 4.2), sharey=True)
    for ax, kind in zip(axes, gr.LOGISTIC_KINDS, strict=True):
        ax.axhline(1.0 / n, color="black", linewidth=1.0, linestyle="--", label="uniform, 1/n")
        for w in ("agreement", "cosine"):
            for who, color in TASK_GROUPS:
                style = {
                    "color": color,
                    "marker": STYLE[w].marker,
                    "markerfacecolor": color if w == "agreement" else "white",
                    "markeredgecolor": color,
                    "label": f"{STYLE[w].short}: {who} task",
                }
                draw(ax, kind, w, who, style)
        ax.set_title(f"{STYLE[algorithm].name}, {STYLE[kind].name}")
        ax.set_ylabel("mean weight of one task (Σ|w| = 1)")
        x_axis(ax)
        ax.legend(loc="best", fontsize=7)
    return fig


def plot_logistic_weights(results: dict, algorithm: str = "maml") -> Figure:
    """Per kind: mean weight of a disagreeing vs an agreeing task during meta-training."""
    records = [r for r in results["records"] if r["disagreement"] != "none"]

    def draw(ax: Axes, kind: str, w: str, who: str, style: dict[str, Any]) -> None:
        x, mean, ci = _by_fraction(records, kind, f"weight_{who}", algorithm, w)
        solid = "-" if who == "disagreeing" else "--"
        ax.errorbar(
            x, mean, yerr=ci, capsize=3, linestyle=solid if w == "agreement" else ":", **style
        )

    def x_axis(ax: Axes) -> None:
        ax.set_xlabel("fraction of disagreeing tasks per meta-batch")
        ax.set_xticks([0.125, 0.25, 0.5], ["1/8", "2/8", "4/8"])

    fig = _weight_panels(records, algorithm, draw, x_axis)
    fig.suptitle(f"Who gets the weight? Mean weight during meta-training (± 95% CI; {COSINE_NOTE})")
    fig.tight_layout()
    return fig


def plot_weight_curves(results: dict, fraction: float = 0.25, algorithm: str = "maml") -> Figure:
    """Per kind: a disagreeing vs an agreeing task's weight over meta-training (seed means)."""
    records = [
        r
        for r in results["records"]
        if r["disagree_frac"] == fraction and r["algorithm"] == algorithm
    ]

    def draw(ax: Axes, kind: str, w: str, who: str, style: dict[str, Any]) -> None:
        chosen = [r for r in records if r["disagreement"] == kind and r["weighting"] == w]
        if not chosen:
            return
        curves = np.array([r[f"curve_weight_{who}"] for r in chosen], dtype=float)
        mean, half = gs.column_ci(curves)
        ax.errorbar(
            _curve_x(curves, chosen[0]["iterations"]),
            mean,
            yerr=half,
            capsize=2,
            linestyle="-" if w == "agreement" else ":",
            markersize=4,
            markevery=3,
            errorevery=3,
            **style,
        )

    fig = _weight_panels(records, algorithm, draw, lambda ax: ax.set_xlabel("meta-iteration"))
    n = records[0]["meta_batch"]
    fig.suptitle(
        f"Weights over meta-training, {round(fraction * n)} of {n} tasks disagreeing "
        f"(mean ± 95% CI over seeds; {COSINE_NOTE})"
    )
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Sine regression
# ---------------------------------------------------------------------------------------------


def _sine_study(results: dict, regime: str) -> gr.SineStudy:
    return gr.SineStudy.from_stored(results["meta"]["studies"][regime])


def _sine_method(record: dict) -> tuple[str, str, str]:
    return record["regime"], record["algorithm"], record["weighting"]


def plot_sine_beta_sweep(results: dict) -> Figure:
    """Test MSE after 5 steps against the initial meta-step β0, one panel per algorithm and
    training regime (:data:`gaml_runs.SINE_GROUPS`), one line per weighting.

    Filled markers: mean ± 95% CI over seeds; open markers: the median, where some seeds blew up
    (worse than predicting 0); crosses at the top: every seed blew up, or so many that the median
    did. Rings mark each method's β0 chosen on the validation tasks; the paper's two Reptile
    numbers are black lines.
    """
    records = results["records"]
    tuned = gr.tuned_sine_betas(records)
    groups = [g for g in gr.SINE_GROUPS if any(_sine_method(r)[:2] == g for r in records)]
    weightings = [w for w in gr.SINE_WEIGHTINGS if any(r["weighting"] == w for r in records)]
    fig, axes = plt.subplots(1, len(groups), figsize=(5.0 * len(groups), 6.2), sharey=True,
                             squeeze=False)  # fmt: skip
    top = 8.0
    for ax, (regime, alg) in zip(axes[0], groups, strict=True):
        study = _sine_study(results, regime)
        mine = [r for r in records if _sine_method(r)[:2] == (regime, alg)]
        grid = sorted({r["beta0"] for r in mine})
        for j, w in enumerate(weightings):
            shift = 1.08 ** (j - (len(weightings) - 1) / 2)  # side by side on the log axis
            cell = {b: [r["mse_5"] for r in mine if (r["weighting"], r["beta0"]) == (w, b)]
                    for b in grid}  # fmt: skip
            stats = {b: study.summary(values) for b, values in cell.items() if values}
            some = [b for b in stats if math.isfinite(stats[b][0])]
            ax.plot([b * shift for b in some], [stats[b][0] for b in some], color=STYLE[w].color,
                    linestyle=STYLE[w].linestyle, linewidth=1.2)  # fmt: skip
            good = [b for b in some if stats[b][2] == 0]
            ax.errorbar([b * shift for b in good], [stats[b][0] for b in good],
                        yerr=[stats[b][1] for b in good], capsize=3,
                        **{**STYLE[w].line(markeredgecolor="black", markeredgewidth=0.5),
                           "linestyle": "none", "label": method_label(alg, w)})  # fmt: skip
            part = [b for b in some if stats[b][2] > 0]
            ax.plot([b * shift for b in part], [stats[b][0] for b in part], linestyle="none",
                    marker=STYLE[w].marker, markerfacecolor="white", markersize=8,
                    markeredgecolor=STYLE[w].color, markeredgewidth=1.5)  # fmt: skip
            gone = [b * shift for b in stats if not math.isfinite(stats[b][0])]
            ax.plot(gone, [0.8 * top] * len(gone), linestyle="none", marker="x", markersize=10,
                    markeredgewidth=2, color=STYLE[w].color)  # fmt: skip
            b = tuned.get((regime, alg, w))
            if b is not None and math.isfinite(stats[b][0]):
                ax.plot(b * shift, stats[b][0], marker="o", markersize=16, markerfacecolor="none",
                        markeredgecolor=STYLE[w].color, markeredgewidth=2,
                        linestyle="none")  # fmt: skip
        if alg == "reptile":
            for w, ls in (("uniform", "--"), ("agreement", ":")):
                paper = gr.PAPER_SINE_MSE[("reptile", w)]
                ax.axhline(paper, color="black", linestyle=ls, linewidth=1.2,
                           label=f"paper: {method_label('reptile', w)} {paper:.2f}")  # fmt: skip
        for marker, face, text in (("o", "white", "median: some seeds blew up"),
                                   ("x", "black", "all seeds, or the median, blew up"),
                                   ("o", "none", "β0 chosen on validation tasks")):  # fmt: skip
            ax.plot([], [], linestyle="none", marker=marker, color="black", markerfacecolor=face,
                    markersize=12 if face == "none" else 8, label=text)  # fmt: skip
        ax.set_xscale("log")
        ax.set_xticks(grid, [f"{b:g}" for b in grid])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0.01, top)
        _plain_log_axis(ax)
        title = f"{STYLE[alg].name}, {regime} regime\n({study.inner_data} per inner step)"
        gp.label_axes(ax, "initial meta-step β0 (log scale; annealed linearly to 0)",
                      "test MSE after 5 steps (log scale)", title, loc="upper center",
                      bbox_to_anchor=(0.5, -0.15), ncol=1, fontsize=8)  # fmt: skip
    fig.suptitle("Sine regression: error against the meta-step, per method (± 95% CI over seeds)")
    fig.tight_layout()
    return fig


def plot_sine_tuned(results: dict) -> Figure:
    """Left: every method at its own tuned β0, test MSE after 5, 10 and 32 steps (mean ± 95% CI;
    open markers: the median where seeds blew up). Right: the paired differences to uniform at
    5 steps, one dot per seed, with the mean ± 95% CI, for the methods where no seed blew up."""
    records = results["records"]
    tuned = {k: b for k, b in gr.tuned_sine_betas(records).items() if k[:2] in gr.SINE_COMPARED}
    chosen = [r for r in records if tuned.get(_sine_method(r)) == r["beta0"]]
    study = _sine_study(results, "minibatch")  # the evaluation is the same in every regime
    steps = study.eval_steps
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12.0, 5.8))
    methods = list(tuned)
    x = np.arange(len(steps), dtype=float)
    for k, (regime, alg, w) in enumerate(methods):
        runs = [r for r in chosen if _sine_method(r) == (regime, alg, w)]
        stats = [study.summary([r[f"mse_{t}"] for r in runs]) for t in steps]
        xs = x + 0.06 * (k - (len(methods) - 1) / 2)
        label = f"{method_label(alg, w)} ({regime}), β0 = {tuned[(regime, alg, w)]:g}"
        ax.errorbar(xs, [c for c, _, _ in stats], yerr=[h for _, h, _ in stats], capsize=3,
                    color=STYLE[w].color, linestyle=STYLE[alg].linestyle,
                    marker=STYLE[alg].marker, markeredgecolor="black", markeredgewidth=0.5,
                    label=label)  # fmt: skip
        part = [i for i, (_, _, bad) in enumerate(stats) if bad and math.isfinite(stats[i][0])]
        ax.plot(xs[part], [stats[i][0] for i in part], linestyle="none", markersize=9,
                marker=STYLE[alg].marker, markerfacecolor="white",
                markeredgecolor=STYLE[w].color)  # fmt: skip
    ax.set_xticks(x, [str(t) for t in steps])
    ax.set_ylim(0.005, 2 * study.zero_predictor_mse())
    _plain_log_axis(ax)
    gp.label_axes(ax, "adaptation steps on the 10 support points", "test MSE (log scale)",
                  "Each method at its tuned β0 (± 95% CI; open: median, seeds blew up)",
                  loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2,
                  fontsize=8)  # fmt: skip
    pairs = [(g, a, w) for g, a, w in methods if w != "uniform" and (g, a, "uniform") in tuned]
    shown = []
    for regime, alg, w in pairs:
        per_seed: dict[int, dict[str, float]] = {}
        for r in chosen:
            if _sine_method(r)[:2] == (regime, alg) and r["weighting"] in (w, "uniform"):
                per_seed.setdefault(r["seed"], {})[r["weighting"]] = r["mse_5"]
        if all(study.learned(v) for p in per_seed.values() for v in p.values()):
            shown.append(((alg, w), [p[w] - p["uniform"] for p in per_seed.values()]))
    for k, ((_, w), diffs) in enumerate(shown):
        mean, half, _ = gs.mean_ci(diffs)
        ax2.plot(np.full(len(diffs), k) + np.linspace(-0.15, 0.15, len(diffs)), diffs,
                 linestyle="none", marker=STYLE[w].marker, color=STYLE[w].color, alpha=0.7,
                 markeredgecolor="black", markeredgewidth=0.4)  # fmt: skip
        ax2.errorbar(k + 0.3, mean, yerr=half, capsize=5, color="black", marker="_",
                     markersize=14)  # fmt: skip
    paper = gr.PAPER_SINE_MSE[("reptile", "agreement")] - gr.PAPER_SINE_MSE[("reptile", "uniform")]
    names = [key for key, _ in shown]
    if ("reptile", "agreement") in names:
        ax2.plot(names.index(("reptile", "agreement")) + 0.3, paper, marker="*", markersize=15,
                 color="black", linestyle="none",
                 label=f"paper: GA-Reptile − Reptile = {paper:+.2f}")  # fmt: skip
    ax2.axhline(0.0, color="black", linewidth=1.0)
    ax2.set_xticks(np.arange(len(names)), [method_label(*p, note=False) for p in names])
    ax2.set_xlim(-0.6, len(names) - 0.2)
    ax2.plot([], [], color="black", marker="_", markersize=14, label="mean ± 95% CI")
    gp.label_axes(ax2, "method (each at its tuned β0, minus uniform at its tuned β0)",
                  "difference in test MSE after 5 steps",
                  "Paired over seeds, no seed blew up: below 0 = better",
                  loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2,
                  fontsize=8)  # fmt: skip
    fig.tight_layout()
    return fig


TRACE_COLORS = {("minibatch", 0.03): gp.DISSENT, ("minibatch", 0.1): gp.CHAPTER,
                ("k-shot", 0.1): gp.AGREE}  # fmt: skip


def plot_fomaml_trace(results: dict) -> Figure:
    """Why FOMAML diverges in the minibatch regime (:func:`gaml_runs.trace_fomaml`): for seed 0
    of each traced cell, over the first meta-iterations, (a) the query MSE at θ before and after
    the 5 inner steps, (b) how fast a descent step along FOMAML's and along the exact
    meta-gradient changes ‖W3‖, the output scale, (c) the cosine between the two meta-gradients,
    (d) α·|λ| of the first inner batch's Hessian at θ, where 2 is the stability limit of an SGD
    step. One legend below the panels names the runs."""
    fig, grid = plt.subplots(2, 2, figsize=(13.0, 9.6))
    axes = grid.ravel()
    zero = gr.SineStudy().zero_predictor_mse()
    handles = []
    for k, tr in enumerate(results["records"]):
        color = TRACE_COLORS.get((tr["regime"], tr["beta0"]), f"C{k}")
        blown = tr["blowup_iteration"][tr["seed"]]
        end = (f"; blew up at iteration {blown}" if blown >= 0
               else f"; stable for all {tr['iteration'][-1]} iterations")  # fmt: skip
        label = f"{tr['regime']} regime ({tr['inner_data']}), β0 = {tr['beta0']:g}{end}"
        it = np.asarray(tr["iteration"])
        (line,) = axes[0].plot(it, tr["loss_after"], color=color, linestyle="-", label=label)
        axes[0].plot(it, tr["loss_before"], color=color, linestyle="--", label="_before")
        axes[1].plot(it, tr["w3_push_exact"], color=color, linestyle="-", label="_exact")
        axes[1].plot(it, tr["w3_push_fo"], color=color, linestyle="--", marker=".",
                     label="_fomaml")  # fmt: skip
        axes[2].plot(it, tr["cos_fo_exact"], color=color, marker=".", label="_run")
        axes[3].plot(it, tr["alpha_abs_lambda"], color=color, label="_run")
        handles.append(line)
    black = {"color": "black", "linewidth": 1.0}
    handles += [
        plt.Line2D([], [], linestyle="-", label="(a) after the 5 inner steps; (b) exact", **black),
        plt.Line2D([], [], linestyle="--", label="(a) before, at θ; (b) FOMAML", **black),
    ]
    axes[0].axhline(zero, linestyle=":", label=f"predicting 0 ({zero:.2f})", **black)
    axes[0].set_yscale("log")
    axes[1].axhline(0.0, linestyle="-", label="above 0: the step lengthens W3", **black)
    axes[1].set_yscale("symlog", linthresh=0.1)
    axes[1].set_ylim(-50.0, 5.0)  # the last probes before a blow-up reach −10⁴
    axes[2].axhline(0.0, label="0: orthogonal", **black)
    axes[2].set_ylim(-1.05, 1.05)
    axes[3].axhline(2.0, linestyle=":", label="2: an SGD step is unstable above", **black)
    axes[3].set_yscale("log")
    panels = (
        ("query MSE (log scale)", "(a) Error at θ, before and after the inner loop",
         "lower left"),
        ("change of ‖W3‖ per unit step (symlog)",
         "(b) Where a meta-step moves the output scale ‖W3‖", "upper right"),
        ("cosine (1: same direction)", "(c) FOMAML's meta-gradient vs the exact one",
         "lower left"),
        ("α·|λ_max| (log scale)", "(d) Curvature the inner loop meets at θ", "upper left"),
    )  # fmt: skip
    for ax, (ylabel, title, where) in zip(axes, panels, strict=True):
        ax.set_xlabel("meta-iteration")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(handles=ax.get_lines()[-1:], loc=where, fontsize=8)  # its reference line
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8.5, frameon=True)
    fig.suptitle("FOMAML on sines, seed 0 probed on 200 tasks every 50 meta-iterations: in the "
                 "minibatch regime the start drifts\nto large outputs that the exact "
                 "meta-gradient would pull back, the curvature passes the SGD limit, and the run "
                 "blows up")  # fmt: skip
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_sine_fits(init: dict[str, Any], n_tasks: int = 3, seed: int = 0) -> Figure:
    """Adapted fits of the saved initialisations on a few new sine tasks.

    Each panel is one task: the true curve, its k support points, and each method's
    prediction after ``inner_steps`` SGD steps from its learned initialisation.
    """
    alpha = float(init["alpha"])
    steps = int(init["inner_steps"])
    k = int(init["k_shot"])
    model = init["model"]  # the network the initialisations belong to
    rng = np.random.default_rng([seed, gr.SINE_ID, 9])
    tasks = gt.sample_sine_tasks(rng, n_tasks, k, 1, phase=tuple(init["phase"]))
    grid = np.linspace(-5.0, 5.0, 200)
    fig, axes = plt.subplots(1, n_tasks, figsize=(4.0 * n_tasks, 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    methods = [
        (alg, w)
        for alg in gr.SINE_ALGORITHMS
        for w in ("uniform", "agreement")
        if f"{alg}_{w}" in init
    ]
    for t, ax in enumerate(axes):
        amp, phi = tasks.info["amplitude"][t], tasks.info["phase"][t]
        ax.plot(grid, amp * np.sin(grid + phi), color=gp.TRUTH, linewidth=1.5, label="true sine")
        ax.plot(
            tasks.X_train[t, :, 0],
            tasks.y_train[t],
            linestyle="none",
            marker="o",
            color=gp.DISSENT,
            markeredgecolor="black",
            label=f"{k} support points",
        )
        for alg, w in methods:
            theta = gc.inner_loop(
                model,
                init[f"{alg}_{w}"][None],
                tasks.X_train[t : t + 1],
                tasks.y_train[t : t + 1],
                alpha,
                steps,
            )[-1]
            ax.plot(
                grid,
                model.predict(theta, grid[None, :, None])[0],
                color=STYLE[w].color,
                linestyle=STYLE[alg].linestyle,
                linewidth=2 if alg == "reptile" else 1.5,
                label=method_label(alg, w),
            )
        ax.set_title(f"task a = {amp:.2f}, φ = {phi:.2f}")
        ax.set_xlabel("x (input)")
        ax.set_ylabel("y (output)")
        ax.set_ylim(-7.5, 7.5)
        ax.legend(loc="upper center", fontsize=7, ncol=3, framealpha=0.9)
    fig.suptitle("Fits after adaptation from the learned initialisations (one seed)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Cost, and every figure at once
# ---------------------------------------------------------------------------------------------


def plot_overhead(results: dict) -> Figure:
    """Time per meta-step per weighting and setup (best of k), bars with hatching."""
    recs = results["records"]
    keys = list(dict.fromkeys((r["setup"], r["algorithm"]) for r in recs))
    fig, axes = plt.subplots(1, 2, figsize=(12.0, 4.2))
    width = 0.8 / len(gr.LOGISTIC_WEIGHTINGS)
    for ax, setup in zip(axes, ("logistic", "sine"), strict=True):
        chosen = [k for k in keys if k[0] == setup]
        x = np.arange(len(chosen))
        for j, w in enumerate(gr.LOGISTIC_WEIGHTINGS):
            times = [
                1e3
                * next(
                    r["step_seconds"]
                    for r in recs
                    if (r["setup"], r["algorithm"], r["weighting"]) == (*key, w)
                )
                for key in chosen
            ]
            ax.bar(x + (j - 1) * width, times, width, **STYLE[w].bar(linewidth=0.6))
        ax.set_xticks(x, [STYLE[k[1]].name for k in chosen])
        ax.set_xlabel("algorithm")
        ax.set_ylabel("time per meta-step (ms)")
        p = next(r["n_params"] for r in recs if r["setup"] == setup)
        n = next(r["n_tasks"] for r in recs if r["setup"] == setup)
        ax.set_title(f"{setup}: {p} parameters, {n} tasks per batch")
        ax.set_ylim(0, 1.35 * ax.get_ylim()[1])
        ax.legend(loc="upper center", fontsize=8, ncol=3)
    fig.suptitle("Cost of the weighting: wall time of one meta-step (best of k)")
    fig.tight_layout()
    return fig


def plot_omniglot(results: dict) -> Figure:
    """Left: 5-way 1-shot test accuracy of every method at its tuned β0, clean (filled) and with
    one noisy task in 5 (open), mean ± 95% CI over seeds, beside pixel matching and the same
    network trained from scratch. Right: in the noisy condition, the mean weight each weighting
    gave the noisy task and a clean one (uniform: 1/5), ± 95% CI over seeds."""
    meta, methods = results["meta"], gor.final_methods(results)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12.0, 5.4), width_ratios=(3, 2))
    x = np.arange(len(methods), dtype=float)
    for noisy, dx, face in ((0, -0.12, None), (1, 0.12, "white")):
        for k, (alg, w) in enumerate(methods):
            rows = gor.final_rows(results, alg, w, noisy)
            if not rows:
                continue
            mean, half, _ = gs.mean_ci(r["test_acc"] for r in rows)
            ax.errorbar(x[k] + dx, mean, yerr=half, capsize=4, color=STYLE[w].color,
                        marker=STYLE[alg].marker, markersize=8, markeredgecolor="black",
                        markerfacecolor=face or STYLE[w].color, linestyle="none")  # fmt: skip
    nn, nn_ci = meta["pixel_nn_test_acc"], meta.get("pixel_nn_test_ci", 0.0)
    ax.axhspan(nn - nn_ci, nn + nn_ci, color=gp.UNIFORM, alpha=0.5, linewidth=0,
               label="pixel NN (± 95% CI)")  # fmt: skip
    scratch = [r["test_acc"] for r in results["scratch"] if r["phase"] == "final"]
    if scratch:
        ax.axhline(np.mean(scratch), color="black", linestyle="-.", label="from scratch")
    ax.axhline(0.2, color="black", linewidth=0.8, label="chance (1/5)")
    ax.plot([], [], "ko", label="clean")
    ax.plot([], [], "o", color="black", markerfacecolor="white", label="1 noisy task in 5")
    ax.set_xticks(x, [method_label(a, w, note=False) for a, w in methods], rotation=20)
    ax.set_ylim(0.0, 1.0)
    gp.label_axes(ax, "method (each at its tuned β0)", "5-way 1-shot test accuracy",
                  "Omniglot, Lake's images (± 95% CI over seeds)", loc="lower right",
                  ncol=2, fontsize=8)  # fmt: skip
    weighted = [(a, w) for a, w in methods if w != "uniform" and gor.final_rows(results, a, w, 1)]
    width = 0.38
    for k, (alg, w) in enumerate(weighted):
        rows = gor.final_rows(results, alg, w, 1)
        for j, (key, color, name) in enumerate(WEIGHT_BARS):
            mean, half, _ = gs.mean_ci(r[key] for r in rows)
            ax2.bar(k + (j - 0.5) * width, mean, width, yerr=half, capsize=3, color=color,
                    edgecolor="black", hatch="//" if j == 0 else "",
                    label=name if k == 0 else None)  # fmt: skip
    ax2.axhline(0.2, color="black", linestyle="--", linewidth=1.0, label="uniform 1/5")
    ax2.set_xticks(np.arange(len(weighted)), [method_label(a, w, note=False) for a, w in weighted],
                   rotation=20)  # fmt: skip
    ax2.set_ylim(0.0, 0.32)
    gp.label_axes(ax2, "weighting", "mean weight during training",
                  f"Weights with 1 noisy task in 5 ({COSINE_NOTE})", loc="upper center",
                  ncol=3, fontsize=8)  # fmt: skip
    fig.tight_layout()
    return fig


# Every evidence figure drawn from a results file: name → (results file, function).
EVIDENCE_FIGURES: dict[str, tuple[str, Callable[[dict], Figure]]] = {
    "evidence_logistic_accuracy": ("logistic", plot_logistic_accuracy),
    "evidence_logistic_gain": ("logistic", plot_logistic_gain),
    "evidence_logistic_weights": ("logistic", plot_logistic_weights),
    "evidence_weight_curves": ("logistic", plot_weight_curves),
    "evidence_sine_beta_sweep": ("sine", plot_sine_beta_sweep),
    "evidence_sine_tuned": ("sine", plot_sine_tuned),
    "evidence_overhead": ("overhead", plot_overhead),
    "evidence_fomaml_trace": ("fomaml_trace", plot_fomaml_trace),
    "evidence_omniglot": ("omniglot", plot_omniglot),
}


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    gp.close(fig)
    return path


def write_figures(
    results: dict[str, dict], figures_dir: Path, sine_init: dict[str, Any] | None = None
) -> list[Path]:
    """Save every figure the results allow as ``figures_dir/<name>.png``; return the paths.

    ``sine_init`` (the learned initialisations) adds ``evidence_sine_fits.png``.
    """
    figures_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (experiment, fn) in EVIDENCE_FIGURES.items():
        if experiment not in results:
            continue
        written.append(_save(fn(results[experiment]), figures_dir / f"{name}.png"))
    if sine_init is not None:
        written.append(_save(plot_sine_fits(sine_init), figures_dir / "evidence_sine_fits.png"))
    return written
