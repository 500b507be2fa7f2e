"""Figures for the course: every plot the notebooks and ``scripts/make_figures.py`` draw.

Each function takes numbers and returns a ``matplotlib.figure.Figure`` (it never calls
``plt.show``), so tests can inspect what was drawn without a browser. Colours are chosen to
stay distinct in grey (dark / mid / light), and every line also differs by style or marker.
"""

from __future__ import annotations

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
    "chapter": {"color": CHAPTER, "linestyle": ":", "marker": "^", "label": "chapter's normalisation"},
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
        labels = [lab + ("\n(dissent)" if bad else "") for lab, bad in zip(labels, disagreeing)]
    ax.set_xticks(x, labels)
    ax.set_xlabel("task")
    ax.set_ylabel("weight w_i (unitless)")
    ax.set_title(title)
    ax.legend(loc="best")


__all__ = [
    "AGREE",
    "CHAPTER",
    "COSINE",
    "DISSENT",
    "UNIFORM",
    "WEIGHTING_STYLE",
    "bar_weights",
    "close",
    "new_figure",
    "setup_style",
    "smooth",
]
