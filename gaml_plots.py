"""Figures for notebooks 01-05, and the one table of names and styles of the whole course.

:data:`STYLE` says, once for the whole course, how every weighting, algorithm and kind of
disagreeing task is named (in tables, titles, legends and readouts) and drawn (colour, line,
marker, hatching). Every figure and table takes its names and styles from it: the figures here,
the evidence figures of notebook 06 (:mod:`gaml_evidence_figures`), its tables
(:mod:`gaml_evidence`) and the demos' readouts (:mod:`gaml_demos`).

Each plot function takes numbers and returns a ``matplotlib.figure.Figure`` (it never calls
``plt.show``), so tests can inspect what was drawn without a browser. The slider demos' figures,
built once and redrawn in place, are in :mod:`gaml_live`.
Colours are chosen to stay distinct in grey (dark / mid / light), and every line also differs by
style or marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

__all__ = [
    "AGREE",
    "CHAPTER",
    "COSINE",
    "DISSENT",
    "NOISY_HATCH",
    "STYLE",
    "TRUTH",
    "UNIFORM",
    "Style",
    "close",
    "label_axes",
    "method_label",
    "new_figure",
    "plot_gram",
    "plot_heldout_curves",
    "plot_meta_gradient_check",
    "plot_printed_vs_expected",
    "plot_sine_tasks",
    "plot_training",
    "pretty",
    "setup_style",
    "smooth",
]

# Dark, mid and light tones: readable in colour and in grey.
AGREE = "#1b3a6b"  # dark blue: agreeing tasks, the paper's GA weighting
DISSENT = "#e07b00"  # orange (mid grey): disagreeing tasks
UNIFORM = "#a6a6a6"  # light grey: uniform weighting (plain MAML / Reptile)
CHAPTER = "#7b3294"  # purple (dark-mid grey): the chapter's normalisation
COSINE = "#4daf4a"  # green (mid-light grey): the cosine variant (not from the paper)
TRUTH = "#000000"
NOISY_HATCH = "\\\\"  # hatching of a noisy task's marks (with DISSENT; no weighting's hatching)


@dataclass(frozen=True)
class Style:
    """How one weighting, algorithm or kind of disagreeing task is named and drawn."""

    name: str  # in tables, titles and readouts: "gradient agreement", "MAML", "flipped labels"
    short: str = ""  # where room is short, as in "GA − uniform" (empty: the name)
    prefix: str = ""  # a weighting's mark on a method's name: "GA-" + "Reptile"
    note: str = ""  # said wherever it is named: "not in paper"
    legend: str = ""  # the legend entry, "uniform (1/n)" (empty: the label)
    color: str = TRUTH
    linestyle: str = "-"
    marker: str = ""
    hatch: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "short", self.short or self.name)
        object.__setattr__(self, "legend", self.legend or self.label)

    @property
    def label(self) -> str:
        """The name with its note, e.g. 'cosine (not in paper)'."""
        return f"{self.name} ({self.note})" if self.note else self.name

    def line(self, **extra: Any) -> dict[str, Any]:
        """Matplotlib keywords for a line: colour, line style, marker and legend entry."""
        kw = {"color": self.color, "linestyle": self.linestyle, "marker": self.marker}
        return {**kw, "label": self.legend, **extra}

    def bar(self, **extra: Any) -> dict[str, Any]:
        """Matplotlib keywords for a bar: colour, hatching, a black edge and legend entry."""
        kw = {"color": self.color, "hatch": self.hatch, "edgecolor": "black"}
        return {**kw, "label": self.legend, **extra}


STYLE: dict[str, Style] = {
    # weightings (gaml_core.WEIGHTINGS)
    "uniform": Style("uniform", legend="uniform (1/n)",
                     color=UNIFORM, linestyle="--", marker="s", hatch=".."),
    "agreement": Style("gradient agreement", short="GA", prefix="GA-",
                       color=AGREE, linestyle="-", marker="o", hatch=""),
    "chapter": Style("chapter's normalisation", short="chapter", prefix="chapter-",
                     color=CHAPTER, linestyle=":", marker="^", hatch="//"),
    "cosine": Style("cosine", prefix="cosine-", note="not in paper",
                    color=COSINE, linestyle="-.", marker="D", hatch="xx"),
    # algorithms (gaml_core.ALGORITHMS)
    "maml": Style("MAML", linestyle="-", marker="o"),
    "fomaml": Style("FOMAML", linestyle="--", marker="s"),
    "reptile": Style("Reptile", linestyle=":", marker="^"),
    # kinds of disagreeing task (gaml_tasks.DISAGREEMENTS, and none at all)
    "none": Style("no disagreeing tasks"),
    "flip": Style("flipped labels"),
    "random": Style("random labels"),
    "far": Style("unrelated weights"),
}  # fmt: skip


def method_label(algorithm: str, weighting: str, note: bool = True) -> str:
    """'Reptile', 'GA-Reptile', 'cosine-Reptile (not in paper)' (``note=False``: no note)."""
    style = STYLE[weighting]
    label = style.prefix + STYLE[algorithm].name
    return f"{label} ({style.note})" if note and style.note else label


def pretty(name: str) -> str:
    """Display name of an ``<algorithm>_<weighting>`` key: 'reptile_agreement' → 'GA-Reptile'."""
    algorithm, _, weighting = name.partition("_")
    return method_label(algorithm, weighting) if {algorithm, weighting} <= STYLE.keys() else name


def setup_style() -> None:
    """Course-wide matplotlib defaults (called on import)."""
    plt.rcParams.update(
        {
            "figure.dpi": 90,
            "savefig.dpi": 110,
            "figure.figsize": (7.0, 4.0),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "font.size": 10,
        }
    )


setup_style()


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (the first points average over what there is)."""
    values = np.asarray(values, dtype=float)
    if window <= 1:
        return values
    csum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


def close(fig: Figure) -> None:
    plt.close(fig)


def new_figure(ncols: int = 1, width: float = 7.0, height: float = 4.0, **kw) -> tuple:
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), **kw)
    return fig, axes


def label_axes(ax: Axes, xlabel: str, ylabel: str, title: str, **legend: Any) -> None:
    """Name the axes of ``ax`` and its panel, and give it a legend (``legend``: its keywords)."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(**legend)


def plot_sine_tasks(batch, n_show: int = 5) -> Figure:
    """A few sinusoid tasks y = a·sin(x + φ): the true curves and their support points."""
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    x = np.linspace(-5, 5, 200)
    styles = ["-", "--", "-.", ":", (0, (5, 1))]
    greys = ["#000000", "#1b3a6b", "#e07b00", "#7b3294", "#808080"]
    for i in range(min(n_show, batch.n_tasks)):
        a, phi = batch.info["amplitude"][i], batch.info["phase"][i]
        color = greys[i % len(greys)]
        ax.plot(
            x,
            a * np.sin(x + phi),
            linestyle=styles[i % len(styles)],
            color=color,
            label=f"a = {a:.2f}, φ = {phi:.2f}",
        )
        ax.scatter(batch.X_train[i, :, 0], batch.y_train[i], color=color, s=18, zorder=3)
    ax.set_xlabel("input x (unitless)")
    ax.set_ylabel("target y = a·sin(x + φ)")
    ax.set_title("Sine regression tasks: each is one curve; dots are its k support points")
    ax.set_ylim(-5.6, 8.0)
    ax.legend(loc="upper center", fontsize=8, ncol=3)
    fig.tight_layout()
    return fig


def plot_training(
    histories: dict, algorithm: str, disagree_frac: float, kind: str, window: int = 20
) -> Figure:
    """Training curves (uniform vs GA) and the GA weights of disagreeing vs agreeing tasks."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12.0, 4.0))
    for name, hist in histories.items():
        it = np.arange(1, len(hist.loss_after) + 1)
        ax0.plot(
            it, smooth(hist.agreeing_loss_after(), window), **STYLE[name].line(markevery=25), lw=1.8
        )
    label_axes(
        ax0,
        "meta-iteration",
        f"agreeing tasks' adapted query loss\n(nats, mean of {window})",
        f"{STYLE[algorithm].name}: {disagree_frac:.0%} of tasks disagree ({STYLE[kind].name})",
    )
    hist = histories["agreement"]
    it = np.arange(1, len(hist.loss_after) + 1)
    good = smooth(np.nan_to_num(hist.mean_weight(False)), window)
    ax1.plot(it, good, color=AGREE, lw=1.8, marker="o", markevery=25, label="agreeing tasks")
    if hist.disagreeing.any():
        bad = smooth(np.nan_to_num(hist.mean_weight(True)), window)
        ax1.plot(
            it,
            bad,
            color=DISSENT,
            lw=1.8,
            ls="--",
            marker="^",
            markevery=25,
            label="disagreeing tasks",
        )
    ax1.axhline(1 / hist.weights.shape[1], color=UNIFORM, ls=":", lw=1.5, label="uniform 1/n")
    ax1.axhline(0, color="black", lw=0.8)
    label_axes(
        ax1,
        "meta-iteration",
        f"mean GA weight per task (unitless, mean of {window})",
        "Weights that gradient agreement gave",
    )
    fig.tight_layout()
    return fig


def plot_gram(updates: np.ndarray, disagreeing: Sequence[bool] | None = None) -> Figure:
    """The Gram matrix G_ij = g_iᵀg_j as a heat map, its row sums Σ_j G_ij beside it."""
    gram = updates @ updates.T
    n = len(gram)
    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(10.0, 4.0), gridspec_kw={"width_ratios": [1.2, 1]}
    )
    vmax = float(np.abs(gram).max()) or 1.0
    im = ax0.imshow(gram, cmap="PuOr_r", vmin=-vmax, vmax=vmax)
    fig.colorbar(im, ax=ax0, label="g_iᵀg_j (parameter units²)")
    labels = [
        f"T{i + 1}" + ("*" if disagreeing is not None and disagreeing[i] else "") for i in range(n)
    ]
    ax0.set_xticks(range(n), labels)
    ax0.set_yticks(range(n), labels)
    ax0.set_xlabel("task j")
    ax0.set_ylabel("task i")
    ax0.set_title("Gram matrix of the updates (* = disagreeing)")
    sums = gram.sum(axis=1)
    colors = [DISSENT if disagreeing is not None and disagreeing[i] else AGREE for i in range(n)]
    ax1.barh(range(n), sums, color=colors, edgecolor="k", linewidth=0.5)
    ax1.invert_yaxis()
    ax1.set_yticks(range(n), labels)
    ax1.axvline(0, color="k", lw=0.8)
    ax1.set_xlabel("row sum Σ_j g_iᵀg_j (parameter units²)")
    ax1.set_ylabel("task i")
    ax1.set_title("Agreement of each task with the batch")
    fig.tight_layout()
    return fig


def plot_meta_gradient_check(alphas, errors: dict[str, np.ndarray]) -> Figure:
    """Distance between first- or second-order meta-gradients and finite differences."""
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    styles = {"second order (exact)": (AGREE, "-", "o"), "first order": (DISSENT, "--", "^")}
    for name, err in errors.items():
        color, ls, marker = styles[name]
        ax.loglog(alphas, np.maximum(err, 1e-16), color=color, ls=ls, marker=marker, label=name)
    label_axes(
        ax,
        "inner step size α (log scale)",
        "‖meta-gradient − finite difference‖ (log scale)",
        "Which meta-gradient is the true derivative?",
    )
    fig.tight_layout()
    return fig


def plot_printed_vs_expected(
    printed: Sequence[float], mean: Sequence[float], spread: Sequence[float], title: str
) -> Figure:
    """The printed value every epoch against its expectation at the current θ (± 1 s.d.)."""
    fig, ax = new_figure()
    printed = np.asarray(printed)
    epochs = np.arange(len(printed))
    mean = np.asarray(mean)[: len(printed)]
    spread = np.asarray(spread)[: len(printed)]
    ax.fill_between(
        epochs,
        mean - spread,
        mean + spread,
        color=UNIFORM,
        alpha=0.4,
        label="± 1 s.d. of one task's loss",
    )
    ax.plot(
        epochs,
        mean,
        color=AGREE,
        linestyle="-",
        linewidth=2,
        label="mean over 2000 fresh tasks at the same θ",
    )
    ax.plot(
        epochs,
        printed,
        color=DISSENT,
        linestyle=":",
        marker=".",
        markersize=4,
        label="the program's loss, every epoch",
    )
    ax.plot(
        epochs[::10],
        printed[::10],
        color=TRUTH,
        linestyle="none",
        marker="o",
        label="what it prints (every 10th epoch)",
    )
    label_axes(
        ax, "epoch (meta-iteration)", "support-set loss at θ (nats)", title, loc="upper right"
    )
    return fig


def plot_heldout_curves(
    panels: dict[str, dict[str, Sequence[float]]],
    reference: float | None = None,
    title: str = "Held-out query loss: the chapter's program as published and repaired",
) -> Figure:
    """One panel per task family; in each, held-out query loss per epoch for each program.

    ``panels`` maps a panel title to ``{line label: curve}`` (the same labels in every panel).
    Lines take their style, in order, from the chapter / uniform / cosine / agreement entries
    of :data:`STYLE` (so a 4th line, the repaired program, is the dark solid
    one). ``reference`` draws a thin horizontal line (e.g. log 2) in the first panel. The loss
    axis is logarithmic because the published program with large steps jumps to large values;
    one legend below the panels serves both; ``title`` goes above the panels.
    """
    styles = [STYLE[k] for k in ("chapter", "uniform", "cosine", "agreement")]
    fig, axes = new_figure(ncols=len(panels), width=5.2 * len(panels), height=4.6)
    axes = np.atleast_1d(axes)
    for index, (ax, (name, curves)) in enumerate(zip(axes, panels.items(), strict=True)):
        for style, (label, curve) in zip(styles, curves.items(), strict=False):
            curve = np.asarray(curve)
            ax.plot(
                np.arange(len(curve)),
                curve,
                **style.line(label=label, markevery=max(1, len(curve) // 10)),
            )
        if reference is not None and index == 0:
            ax.axhline(
                reference,
                color=TRUTH,
                linewidth=0.8,
                linestyle=(0, (1, 3)),
                label=f"log 2 = {reference:.3f} (coin-flip prediction)",
            )
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        ticks = [t for t in (0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20) if lo <= t <= hi]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("epoch (meta-iteration)")
        ax.set_ylabel("held-out query loss after 1 step (nats, log scale)")
        ax.set_title(name)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
