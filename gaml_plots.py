"""Figures for the course: every plot the notebooks and ``scripts/make_figures.py`` draw.

Each function takes numbers and returns a ``matplotlib.figure.Figure`` (it never calls
``plt.show``), so tests can inspect what was drawn without a browser. Colours are chosen to
stay distinct in grey (dark / mid / light), and every line also differs by style or marker.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

# Dark, mid and light tones: readable in colour and in grey.
AGREE = "#1b3a6b"  # dark blue: agreeing tasks, the paper's GA weighting
DISSENT = "#e07b00"  # orange (mid grey): disagreeing tasks
UNIFORM = "#a6a6a6"  # light grey: uniform weighting (plain MAML / Reptile)
CHAPTER = "#7b3294"  # purple (dark-mid grey): the chapter's normalisation
COSINE = "#4daf4a"  # green (mid-light grey): the cosine variant (not from the paper)
TRUTH = "#000000"

WEIGHTING_STYLE: dict[str, dict[str, object]] = {
    "uniform": {"color": UNIFORM, "linestyle": "--", "marker": "s", "label": "uniform (1/n)"},
    "agreement": {"color": AGREE, "linestyle": "-", "marker": "o", "label": "gradient agreement"},
    "chapter": {
        "color": CHAPTER,
        "linestyle": ":",
        "marker": "^",
        "label": "chapter's normalisation",
    },
    "cosine": {"color": COSINE, "linestyle": "-.", "marker": "D", "label": "cosine (not in paper)"},
}
HATCH = {"uniform": "..", "agreement": "", "chapter": "//", "cosine": "xx"}


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


def _style(weighting: str, markevery: int | None = None) -> dict[str, object]:
    style = dict(WEIGHTING_STYLE[weighting])
    if markevery is not None:
        style["markevery"] = markevery
    return style


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


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (what the slider demos send to the browser)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def new_figure(ncols: int = 1, width: float = 7.0, height: float = 4.0, **kw) -> tuple:
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), **kw)
    return fig, axes


def bar_weights(
    ax,
    weights: dict[str, np.ndarray],
    disagreeing: Sequence[bool] | None = None,
    title: str = "Each task's weight",
) -> None:
    """Grouped bars: one group per task, one bar per weighting; dissenting tasks labelled."""
    names = list(weights)
    n = len(next(iter(weights.values())))
    width = 0.8 / len(names)
    x = np.arange(n)
    for j, name in enumerate(names):
        style = WEIGHTING_STYLE[name]
        ax.bar(
            x + (j - (len(names) - 1) / 2) * width,
            weights[name],
            width,
            color=style["color"],
            edgecolor="black",
            linewidth=0.5,
            hatch=HATCH[name],
            label=style["label"],
        )
    ax.axhline(0, color="black", linewidth=0.8)
    labels = [f"T{i + 1}" for i in range(n)]
    if disagreeing is not None:
        labels = [
            lab + ("\n(dissent)" if bad else "")
            for lab, bad in zip(labels, disagreeing, strict=True)
        ]
    ax.set_xticks(x, labels)
    ax.set_xlabel("task")
    ax.set_ylabel("weight w_i (unitless)")
    ax.set_title(title)
    ax.legend(loc="best")


PRETTY = {
    "reptile_uniform": "Reptile",
    "reptile_agreement": "GA-Reptile",
    "fomaml_uniform": "FOMAML",
    "fomaml_agreement": "GA-FOMAML",
    "maml_uniform": "MAML",
    "maml_agreement": "GA-MAML",
}


def pretty(name: str) -> str:
    """Display name of an ``<algorithm>_<weighting>`` key."""
    return PRETTY.get(name, name)


def plot_task_panels(batch, mean: np.ndarray) -> Figure:
    """One panel per 2-D logistic task: support points by label and the task's true boundary.

    Disagreeing tasks get an orange frame. Boundaries are the lines xᵀw_i = 0.
    """
    n = batch.n_tasks
    cols = 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(9.0, 3.0 * rows), sharex=True, sharey=True)
    axes = np.atleast_1d(axes).ravel()
    grid = np.linspace(-3, 3, 2)
    for i, ax in enumerate(axes):
        if i >= n:
            ax.set_visible(False)
            continue
        X, y = batch.X_train[i], batch.y_train[i]
        w = batch.info["weights"][i]
        ax.scatter(X[y == 1, 0], X[y == 1, 1], marker="o", color=AGREE, s=22, label="y = 1")
        ax.scatter(X[y == 0, 0], X[y == 0, 1], marker="x", color=DISSENT, s=22, label="y = 0")
        for vec, style, lab in ((w, "-", "task boundary"), (mean, ":", "family mean w̄")):
            # the boundary xᵀvec = 0 is the line through 0 perpendicular to vec
            perp = np.array([-vec[1], vec[0]]) / max(np.linalg.norm(vec), 1e-12)
            ax.plot(grid * perp[0] * 2, grid * perp[1] * 2, style, color=TRUTH, lw=1.2, label=lab)
        bad = bool(batch.disagreeing[i])
        ax.set_title(f"T{i + 1}" + (" - disagrees" if bad else ""), color=DISSENT if bad else "k")
        if bad:
            for spine in ax.spines.values():
                spine.set_edgecolor(DISSENT)
                spine.set_linewidth(2.5)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
        if i % cols == 0:
            ax.set_ylabel("feature x₂ (unitless)")
        if i >= n - cols:
            ax.set_xlabel("feature x₁ (unitless)")
    axes[0].legend(loc="lower left", fontsize=7, framealpha=0.9)
    fig.suptitle("Support sets of a batch of 2-D logistic tasks (labels y = 1[xᵀw_i > 0])")
    fig.tight_layout()
    return fig


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


def plot_dissent(
    updates: np.ndarray,
    weights: dict[str, np.ndarray],
    uniform_step: np.ndarray,
    ga_step: np.ndarray,
    angle_deg: float,
    angles: np.ndarray,
    curves: dict[str, np.ndarray],
    zero_angle: float | None,
) -> Figure:
    """The dissenting-task demo: arrows, every task's weight, the dissenter's weight by angle."""
    fig, (ax0, ax1, ax2) = plt.subplots(
        1, 3, figsize=(13.5, 4.2), gridspec_kw={"width_ratios": [1.1, 1.2, 1.2]}
    )
    n = len(updates)
    agree, dissent = updates[:-1], updates[-1]
    zeros = np.zeros(len(agree))
    kw = {"angles": "xy", "scale_units": "xy", "scale": 1, "width": 0.012}
    ax0.quiver(
        zeros, zeros, agree[:, 0], agree[:, 1], color=AGREE, label="agreeing tasks g_i", **kw
    )
    ax0.quiver(0, 0, dissent[0], dissent[1], color=DISSENT, label="dissenting task", **kw)
    ax0.quiver(
        0,
        0,
        uniform_step[0],
        uniform_step[1],
        color=UNIFORM,
        label="plain average",
        hatch="..",
        edgecolor="k",
        linewidth=0.5,
        **kw,
    )
    ax0.quiver(0, 0, ga_step[0], ga_step[1], color="k", label="GA-weighted Σ w_i g_i", **kw)
    if zero_angle is not None:
        r = max(1.2, float(np.abs(updates).max()) * 1.1)
        for sign in (1, -1):
            t = np.radians(sign * zero_angle)
            ax0.plot(
                [0, r * np.cos(t)],
                [0, r * np.sin(t)],
                ":",
                color=DISSENT,
                lw=1.2,
                label="weight = 0 here" if sign == 1 else None,
            )
    lim = max(1.3, float(np.abs(updates).max()) * 1.15)
    ax0.set_xlim(-lim, lim)
    ax0.set_ylim(-lim, lim)
    ax0.set_aspect("equal")
    ax0.set_xlabel("update component 1 (parameter units)")
    ax0.set_ylabel("update component 2 (parameter units)")
    ax0.set_title("Task updates g_i = θ − θ'_i")
    ax0.legend(loc="lower left", fontsize=7, framealpha=0.9)

    flags = [False] * (n - 1) + [True]
    bar_weights(ax1, weights, flags, title="Each task's weight")
    ax1.legend(loc="upper left", fontsize=7)

    for name, curve in curves.items():
        ax2.plot(angles, curve, **_style(name, markevery=30), lw=1.8)
    ax2.axhline(0, color="black", lw=0.8)
    ax2.axvline(angle_deg, color=DISSENT, lw=1.5, label=f"now: {angle_deg:.0f}°")
    if zero_angle is not None:
        ax2.axvline(zero_angle, color="k", ls=":", lw=1.2, label=f"zero at {zero_angle:.1f}°")
    ax2.set_xlabel("dissenter's angle from the agreeing tasks (degrees)")
    ax2.set_ylabel("dissenter's weight (unitless)")
    ax2.set_title("The dissenter's weight as it turns away")
    ax2.legend(loc="lower left", fontsize=7)
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
            it, smooth(hist.agreeing_loss_after(), window), **_style(name, markevery=25), lw=1.8
        )
    ax0.set_xlabel("meta-iteration")
    ax0.set_ylabel(f"agreeing tasks' adapted query loss\n(nats, mean of {window})")
    ax0.set_title(f"{algorithm.upper()}: {disagree_frac:.0%} of tasks disagree ({kind})")
    ax0.legend()
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
    ax1.set_xlabel("meta-iteration")
    ax1.set_ylabel(f"mean GA weight per task (unitless, mean of {window})")
    ax1.set_title("Weights that gradient agreement gave")
    ax1.legend()
    fig.tight_layout()
    return fig


def plot_sine_fits(x, truth, support, fits: dict[str, np.ndarray], steps: int) -> Figure:
    """Fits to one new sine after ``steps`` inner steps from each learned initialisation."""
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    ax.plot(x, truth, color=TRUTH, lw=2.0, label="true sine")
    ax.scatter(*support, color="k", marker="s", s=30, zorder=4, label="10 support points")
    styles = {"uniform": ("--", UNIFORM), "agreement": ("-", AGREE)}
    for name, pred in fits.items():
        ls, color = styles[name.rsplit("_", 1)[1]]
        if name.startswith("fomaml"):
            ls = "-." if ls == "-" else ":"
        ax.plot(x, pred, ls=ls, color=color, lw=2.0, label=pretty(name))
    ax.set_xlabel("input x (unitless)")
    ax.set_ylabel("output y")
    ax.set_title(f"Adapted to a new sine after {steps} gradient step(s)")
    ax.legend(loc="upper right", fontsize=8)
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
    ax.set_xlabel("inner step size α (log scale)")
    ax.set_ylabel("‖meta-gradient − finite difference‖ (log scale)")
    ax.set_title("Which meta-gradient is the true derivative?")
    ax.legend()
    fig.tight_layout()
    return fig


__all__ = [
    "AGREE",
    "CHAPTER",
    "COSINE",
    "DISSENT",
    "PRETTY",
    "UNIFORM",
    "WEIGHTING_STYLE",
    "bar_weights",
    "close",
    "figure_png",
    "new_figure",
    "plot_dissent",
    "plot_gram",
    "plot_meta_gradient_check",
    "plot_sine_fits",
    "plot_sine_tasks",
    "plot_task_panels",
    "plot_training",
    "pretty",
    "setup_style",
    "smooth",
]
