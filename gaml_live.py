"""The slider demos' live figures: each demo keeps one figure for its whole life, drawn at the
size it is shown, and a frame redraws only what moves (blitting) before it is encoded as a PNG.

:class:`LivePlot` is the machinery; :class:`DissentPlot` (demo 2.1), :class:`TrainingPlot`
(3.1, 4.1), :class:`TaskPanelsPlot` (1.1), :class:`SineFitPlot` (4.2) and
:class:`CharacterBatchPlot` (8.1) are the demos' figures.
:func:`min_text_px` and :func:`legends_clear_of_data` check a figure for the projector. Names,
colours and line styles come from :data:`gaml_plots.STYLE`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle
from matplotlib.text import Text
from PIL import Image

from gaml_plots import AGREE, DISSENT, NOISY_HATCH, STYLE, TRUTH, UNIFORM, pretty, smooth

LIVE_DPI = 100
LIVE_WIDTH_PX = 960  # fits a JupyterLab output area (file browser open) at 1400 px, unscaled
LIVE_TEXT_PX = 16  # smallest text; body text is 14 px (still 14 px at 0.88, JupyterLab at 1280)


def _pt(px: float) -> float:
    """A font size in points that is ``px`` pixels high in a figure at LIVE_DPI."""
    return px * 72 / LIVE_DPI


LIVE_RC = {
    "figure.dpi": LIVE_DPI,
    "savefig.dpi": LIVE_DPI,
    "font.size": _pt(LIVE_TEXT_PX),
    "axes.titlesize": _pt(LIVE_TEXT_PX + 2),
    "axes.labelsize": _pt(LIVE_TEXT_PX),
    "xtick.labelsize": _pt(LIVE_TEXT_PX),
    "ytick.labelsize": _pt(LIVE_TEXT_PX),
    "legend.fontsize": _pt(LIVE_TEXT_PX),
    "figure.titlesize": _pt(LIVE_TEXT_PX + 2),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.2,
    "legend.framealpha": 1.0,
}


def png_bytes(rgba: np.ndarray) -> bytes:
    """An RGBA pixel buffer as PNG bytes, compressed fast (zlib level 1: a demo's frame is
    encoded in a few ms; the default level 6 costs several times that for 10 % fewer bytes)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buffer, "png", compress_level=1)
    return buffer.getvalue()


def min_text_px(fig: Figure) -> float:
    """Height in pixels, at the figure's own size, of the smallest visible non-empty text."""
    sizes = [
        t.get_fontsize() * fig.dpi / 72
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and _shown(t)
    ]
    return min(sizes)


def _shown(artist: Artist) -> bool:
    """False for an artist of an invisible axes (findobj finds those too)."""
    return artist.axes is None or artist.axes.get_visible()


def legends_clear_of_data(fig: Figure) -> list[str]:
    """The legends that overlap an axes' plotting area (a legend there may cover data)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    clashes = []
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if ax.get_visible() and box.overlaps(ax.get_window_extent(renderer)):
                texts = [t.get_text() for t in legend.get_texts()]
                clashes.append(f"legend {texts} over the axes {ax.get_title()!r}")
    return clashes


class LivePlot:
    """A demo's figure, built once and redrawn in place at every slider move.

    Building a Matplotlib figure, laying it out and drawing its axes, ticks and legends costs far
    more than drawing a few lines, and PNG at the default compression more again. A live plot
    keeps one figure: its frame (everything that does not move) is drawn once and kept as a
    bitmap; each frame restores that bitmap and draws the *moving* artists on it (blitting:
    :meth:`moving` marks them). A change of the frame itself (axis limits, ticks, number of
    bars) calls :meth:`relayout`, and the next frame draws everything again.

    The figure is drawn at the size it is shown (``width_px`` × ``height_px`` at LIVE_DPI, text at
    least LIVE_TEXT_PX high), so a browser shows its pixels one to one. It is a plain
    ``Figure``, not a pyplot one: the notebook's inline backend never shows it by itself and it
    needs no closing. ``savefig`` draws it whole, moving artists included.
    """

    def __init__(self, width_px: int = LIVE_WIDTH_PX, height_px: int = 440) -> None:
        self.fig = Figure(
            figsize=(width_px / LIVE_DPI, height_px / LIVE_DPI), dpi=LIVE_DPI, layout="constrained"
        )
        FigureCanvasAgg(self.fig)
        self._moving: list[Artist] = []
        self._background = None
        self._sized: set[Axes] = set()  # axes whose y range grow_ylim has set
        self.frames = 0  # frames drawn, and how many of them drew the whole figure
        self.full_frames = 0

    @staticmethod
    @contextmanager
    def style() -> Iterator[None]:
        """Create artists inside this: the demo figures' font sizes and line widths."""
        with plt.rc_context(LIVE_RC):
            yield

    def moving(self, *artists: Artist) -> None:
        """Artists that change from frame to frame: drawn on the kept frame, every frame."""
        for artist in artists:
            artist.set_animated(True)
            self._moving.append(artist)

    def drop(self, *artists: Artist) -> None:
        """Remove moving artists from the figure (before drawing new ones in their place)."""
        for artist in artists:
            self._moving.remove(artist)
            artist.remove()

    def relayout(self) -> None:
        """The frame changed (limits, ticks, texts that are not moving): draw it all next time."""
        self._background = None

    def draw(self) -> None:
        canvas = self.fig.canvas
        with self.style():  # ticks made while drawing take the demo's font size too
            if self._background is None:
                canvas.draw()  # everything but the moving artists
                self._background = canvas.copy_from_bbox(self.fig.bbox)
                self.full_frames += 1
            else:
                canvas.restore_region(self._background)
            for artist in sorted(self._moving, key=lambda a: a.get_zorder()):
                if artist.get_visible():
                    self.fig.draw_artist(artist)
        self.frames += 1

    def png(self) -> bytes:
        """Draw the current state and return it as PNG bytes (what the browser is sent)."""
        self.draw()
        return png_bytes(np.asarray(self.fig.canvas.buffer_rgba()))

    @staticmethod
    def _limits(values: Sequence[float], pad: float = 0.06) -> tuple[float, float]:
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        margin = pad * max(hi - lo, 1e-9)
        return lo - margin, hi + margin

    def grow_ylim(self, ax: Axes, values: Sequence[float] | np.ndarray) -> None:
        """Widen ``ax``'s y range to hold ``values`` (never narrow it: the axes stay still)."""
        lo, hi = self._limits(np.asarray(values, dtype=float).ravel())
        old = ax.get_ylim() if ax in self._sized else (np.inf, -np.inf)
        new = (min(lo, old[0]), max(hi, old[1]))
        if new != tuple(old):
            ax.set_ylim(*new)
            self._sized.add(ax)
            self.relayout()


def _arrow(ax: Axes, color: str, zorder: float, **kw: Any) -> FancyArrow:
    arrow = FancyArrow(0, 0, 1, 0, color=color, zorder=zorder, length_includes_head=True, **kw)
    ax.add_patch(arrow)
    return arrow


class DissentPlot(LivePlot):
    """Demo 2.1: the task updates as arrows, every task's weight as bars, and the dissenter's
    weight as a function of its angle.

    Named as the presenter's script names them: the agreeing tasks dark blue, the dissenter
    orange (its arrow and its bars), the plain average the wide grey arrow, the GA-weighted
    update the black arrow; the dissenter's weight by angle is the right-hand panel, where an
    orange line and dot mark where it is now.
    """

    MAX_AGREE = 8
    # Shaft widths as a share of the axis limit: the averages wide and below, the tasks narrow
    # and on top, so that arrows pointing the same way still show each colour.
    ARROW: ClassVar = {"agree": 0.035, "plain": 0.11, "weighted": 0.065}

    def __init__(self) -> None:
        super().__init__(LIVE_WIDTH_PX, 450)
        with self.style():
            self.ax0, self.ax1, self.ax2 = self.fig.subplots(
                1, 3, gridspec_kw={"width_ratios": [1.0, 1.1, 1.1]}
            )
            ax0, ax1, ax2 = self.ax0, self.ax1, self.ax2
            self.agree_arrows = [_arrow(ax0, AGREE, 5) for _ in range(self.MAX_AGREE)]
            self.dissent_arrow = _arrow(ax0, DISSENT, 5)
            self.plain_arrow = _arrow(ax0, UNIFORM, 3, ec="black", lw=0.8)
            self.weighted_arrow = _arrow(ax0, "black", 4)
            self.rays = [ax0.plot([], [], ":", color=DISSENT, lw=2.0)[0] for _ in range(2)]
            self.moving(*self.agree_arrows, self.dissent_arrow, self.plain_arrow)
            self.moving(self.weighted_arrow, *self.rays)
            ax0.set_aspect("equal")
            ax0.set_xlabel("update component 1")
            ax0.set_ylabel("update component 2")
            ax0.set_title("Task updates g_i = θ − θ'_i")
            self.lim: float | None = None

            self.bars: list = []
            self.n_tasks: int | None = None
            ax1.axhline(0, color="black", lw=0.8)
            ax1.set_xlabel("task")
            ax1.set_ylabel("weight w_i")
            ax1.set_title("Each task's weight")

            names = ("uniform", "agreement", "chapter")
            self.curves = {
                name: ax2.plot([], [], **STYLE[name].line(markevery=30, ms=7))[0] for name in names
            }
            self.now_line = ax2.axvline(0, color=DISSENT, lw=2.0)
            self.now_dot = ax2.plot([], [], "o", color=DISSENT, mec="black", ms=11, zorder=6)[0]
            self.zero_line = ax2.axvline(0, color="black", ls=":", lw=1.8)
            self.moving(*self.curves.values(), self.now_line, self.now_dot, self.zero_line)
            ax2.axhline(0, color="black", lw=0.8)
            ax2.set_xlim(-5, 185)
            ax2.set_xticks([0, 45, 90, 135, 180])
            ax2.set_xlabel("dissenter's angle (degrees)")
            ax2.set_ylabel("dissenter's weight")
            ax2.set_title("Dissenter's weight by angle")

            handles = [
                Patch(color=AGREE, label="agreeing tasks"),
                Patch(color=DISSENT, label="dissenting task (arrow, bars)"),
                Patch(fc=UNIFORM, ec="black", label="plain average (grey arrow)"),
                Patch(color="black", label="GA-weighted update (black arrow)"),
                *(Patch(fc=STYLE[n].color, ec="black", hatch=STYLE[n].hatch, label=STYLE[n].legend)
                  for n in names),
                Line2D([], [], color=DISSENT, ls=":", lw=2.0, label="dissenter's GA weight = 0"),
                Line2D([], [], color=DISSENT, marker="o", mec="black", ms=9,
                       label="dissenter now"),
            ]  # fmt: skip
            self.fig.legend(handles=handles, loc="outside lower center", ncols=3)

    def set_layout(self, n_tasks: int, lim: float, weight_range: tuple[float, float]) -> None:
        """Bars for ``n_tasks`` tasks, arrow panel ±``lim``, weights within ``weight_range``."""
        if n_tasks != self.n_tasks:
            for bar in self.bars:
                self.drop(bar)
            names = ("uniform", "agreement", "chapter")
            width = 0.8 / len(names)
            x = np.arange(n_tasks)
            self.bars = []
            for j, name in enumerate(names):
                style = STYLE[name]
                for i in range(n_tasks):
                    dissenter = i == n_tasks - 1
                    (bar,) = self.ax1.bar(
                        x[i] + (j - 1) * width,
                        0.0,
                        width,
                        **style.bar(
                            color=DISSENT if dissenter else style.color, linewidth=0.6, label=None
                        ),
                    )
                    self.bars.append(bar)
            self.moving(*self.bars)
            self.ax1.set_xticks(x, [f"T{i + 1}" for i in range(n_tasks - 1)] + ["dissent"])
            self.ax1.set_xlim(-0.6, n_tasks - 0.4)
            lo, hi = weight_range
            for ax in (self.ax1, self.ax2):
                ax.set_ylim(lo, hi)
            self.n_tasks = n_tasks
            self.relayout()
        if lim != self.lim:
            self.ax0.set_xlim(-lim, lim)
            self.ax0.set_ylim(-lim, lim)
            self.lim = lim
            self.relayout()

    def update(
        self,
        updates: np.ndarray,
        weights: dict[str, np.ndarray],
        uniform_step: np.ndarray,
        ga_step: np.ndarray,
        angle_deg: float,
        angles: np.ndarray,
        curves: dict[str, np.ndarray],
        zero_angle: float | None,
        weight_range: tuple[float, float] = (-0.55, 1.05),
    ) -> None:
        n = len(updates)
        lim = max(1.5, float(np.ceil(np.abs(updates).max() * 1.15 * 2) / 2))
        self.set_layout(n, lim, weight_range)

        def shaft(kind: str) -> dict[str, float]:
            w = self.ARROW[kind] * lim
            return {"width": w, "head_width": 2.6 * w, "head_length": 2.4 * w}

        for i, arrow in enumerate(self.agree_arrows):
            arrow.set_visible(i < n - 1)
            if i < n - 1:
                arrow.set_data(dx=updates[i, 0], dy=updates[i, 1], **shaft("agree"))
        self.dissent_arrow.set_data(dx=updates[-1, 0], dy=updates[-1, 1], **shaft("agree"))
        self.plain_arrow.set_data(dx=uniform_step[0], dy=uniform_step[1], **shaft("plain"))
        self.weighted_arrow.set_data(dx=ga_step[0], dy=ga_step[1], **shaft("weighted"))
        for sign, ray in zip((1, -1), self.rays, strict=True):
            ray.set_visible(zero_angle is not None)
            if zero_angle is not None:
                t = np.radians(sign * zero_angle)
                ray.set_data([0, 2 * lim * np.cos(t)], [0, 2 * lim * np.sin(t)])

        names = ("uniform", "agreement", "chapter")
        heights = [weights[name][i] for name in names for i in range(n)]
        for bar, h in zip(self.bars, heights, strict=True):
            bar.set_height(h)

        for name, line in self.curves.items():
            line.set_data(angles, curves[name])
        self.now_line.set_xdata([angle_deg, angle_deg])
        self.now_dot.set_data([angle_deg], [weights["agreement"][-1]])
        self.zero_line.set_visible(zero_angle is not None)
        if zero_angle is not None:
            self.zero_line.set_xdata([zero_angle, zero_angle])


class TrainingPlot(LivePlot):
    """Demos 3.1 / 4.1: meta-training curves of uniform vs GA weighting, and the GA weights of
    agreeing and disagreeing tasks, each a line (the mean over seeds) in a band (their range)."""

    def __init__(self, algorithm: str, window: int = 20) -> None:
        super().__init__(LIVE_WIDTH_PX, 420)
        self.algorithm, self.window = algorithm, window
        self.bands: list[Artist] = []
        with self.style():
            self.ax0, self.ax1 = self.fig.subplots(1, 2)
            ax0, ax1 = self.ax0, self.ax1
            self.loss = {
                name: ax0.plot([], [], **STYLE[name].line(markevery=25, ms=7))[0]
                for name in ("uniform", "agreement")
            }
            ax0.set_xlabel("meta-iteration")
            ax0.set_ylabel(f"agreeing tasks' query loss\n(nats, mean of {window} its.)")
            ax0.set_title(" ")
            self.moving(ax0.title, *self.loss.values())
            self.good = ax1.plot([], [], color=AGREE, marker="o", markevery=25, ms=7)[0]
            self.bad = ax1.plot([], [], color=DISSENT, ls="--", marker="^", markevery=25, ms=8)[0]
            self.moving(self.good, self.bad)
            self.uniform_line = ax1.axhline(0, color=UNIFORM, ls=":", lw=2.0)
            ax1.axhline(0, color="black", lw=0.8)
            ax1.set_xlabel("meta-iteration")
            ax1.set_ylabel(f"mean GA weight per task\n(mean of {window} its.)")
            ax1.set_title("Weights that gradient agreement gave")
            handles = [
                Line2D([], [], **STYLE["uniform"].line(ms=7)),
                Line2D([], [], **STYLE["agreement"].line(ms=7)),
                Line2D([], [], color=AGREE, marker="o", label="agreeing tasks' GA weight"),
                Line2D([], [], color=DISSENT, ls="--", marker="^", label="disagreeing tasks' (GA)"),
                Line2D([], [], color=UNIFORM, ls=":", lw=2.0, label="uniform weight 1/n"),
                Patch(color="black", alpha=0.18, label="range over the seeds (band)"),
            ]
            self.fig.legend(handles=handles, loc="outside lower center", ncols=3)

    def _curves(self, histories: dict) -> dict[str, np.ndarray]:
        """Smoothed curves, one row per seed: loss per weighting, GA weights of both groups."""
        w = self.window
        out = {
            name: np.array([smooth(h.agreeing_loss_after(), w) for h in runs])
            for name, runs in histories.items()
        }
        ga = histories["agreement"]
        out["good"] = np.array([smooth(np.nan_to_num(h.mean_weight(False)), w) for h in ga])
        if ga[0].disagreeing.any():
            out["bad"] = np.array([smooth(np.nan_to_num(h.mean_weight(True)), w) for h in ga])
        return out

    def include(self, histories: dict) -> None:
        """Widen the y ranges to hold these runs (the demo shows every slider position first,
        so the axes stay still while the sliders move)."""
        curves = self._curves(histories)
        self.grow_ylim(self.ax0, np.concatenate([curves[k].ravel() for k in histories]))
        n = histories["agreement"][0].weights.shape[-1]
        weights = [curves["good"].ravel(), [0.0, 1.0 / n]]
        if "bad" in curves:
            weights.append(curves["bad"].ravel())
        self.grow_ylim(self.ax1, np.concatenate(weights))
        if self.uniform_line.get_ydata()[0] != 1.0 / n:
            self.uniform_line.set_ydata([1.0 / n, 1.0 / n])
            self.relayout()

    def _band(self, ax: Axes, x: np.ndarray, rows: np.ndarray, color: str) -> Artist:
        band = ax.fill_between(x, rows.min(axis=0), rows.max(axis=0), color=color, alpha=0.22, lw=0)
        self.moving(band)
        return band

    def update(self, histories: dict, disagree_frac: float, kind: str) -> None:
        """``histories``: weighting -> one History per seed."""
        self.include(histories)
        curves = self._curves(histories)
        self.drop(*self.bands)
        self.bands = []
        x = np.arange(1, curves["uniform"].shape[1] + 1)
        for name, line in self.loss.items():
            line.set_data(x, curves[name].mean(axis=0))
            self.bands.append(self._band(self.ax0, x, curves[name], STYLE[name].color))
        self.good.set_data(x, curves["good"].mean(axis=0))
        self.bands.append(self._band(self.ax1, x, curves["good"], AGREE))
        self.bad.set_visible("bad" in curves)
        if "bad" in curves:
            self.bad.set_data(x, curves["bad"].mean(axis=0))
            self.bands.append(self._band(self.ax1, x, curves["bad"], DISSENT))
        for ax in (self.ax0, self.ax1):
            ax.set_xlim(0, len(x) + 1)
        seeds = len(histories["agreement"])
        self.ax0.title.set_text(
            f"{STYLE[self.algorithm].name}, {disagree_frac:.0%} disagree "
            f"({STYLE[kind].name}), {seeds} seeds"
        )


class TaskPanelsPlot(LivePlot):
    """Demo 1.1: one panel per 2-D logistic task, its support points and its true boundary;
    a disagreeing task's panel is framed orange."""

    def __init__(self, n_tasks: int, mean: np.ndarray, cols: int = 3) -> None:
        rows = int(np.ceil(n_tasks / cols))
        super().__init__(LIVE_WIDTH_PX, 90 + 270 * rows)
        self.n_tasks = n_tasks
        grid = np.linspace(-3, 3, 2)
        with self.style():
            axes = self.fig.subplots(rows, cols, sharex=True, sharey=True).ravel()
            self.axes = list(axes[:n_tasks])
            for ax in axes[n_tasks:]:
                ax.set_visible(False)
            self.pos, self.neg, self.boundaries = [], [], []
            for i, ax in enumerate(self.axes):
                self.pos.append(ax.scatter([], [], marker="o", color=AGREE, s=30))
                self.neg.append(ax.scatter([], [], marker="x", color=DISSENT, s=30, lw=1.8))
                self.boundaries.append(ax.plot([], [], "-", color=TRUTH, lw=1.6)[0])
                perp = np.array([-mean[1], mean[0]]) / max(np.linalg.norm(mean), 1e-12)
                ax.plot(grid * perp[0] * 2, grid * perp[1] * 2, ":", color=TRUTH, lw=1.6)
                ax.set_title(" ")
                ax.set_xlim(-3, 3)
                ax.set_ylim(-3, 3)
                ax.set_aspect("equal")
                if i % cols == 0:
                    ax.set_ylabel("feature x₂")
                if i >= n_tasks - cols:
                    ax.set_xlabel("feature x₁")
                self.moving(self.pos[i], self.neg[i], self.boundaries[i], ax.title)
                self.moving(*ax.spines.values())
            handles = [
                Line2D([], [], ls="none", marker="o", color=AGREE, label="y = 1"),
                Line2D([], [], ls="none", marker="x", color=DISSENT, mew=1.8, label="y = 0"),
                Line2D([], [], color=TRUTH, label="task boundary xᵀw_i = 0"),
                Line2D([], [], color=TRUTH, ls=":", label="family mean w̄"),
                Patch(fc="none", ec=DISSENT, lw=2.5, label="disagreeing task"),
            ]
            self.fig.legend(handles=handles, loc="outside lower center", ncols=5)
            self.fig.suptitle("Support sets of a batch of 2-D logistic tasks (y = 1[xᵀw_i > 0])")

    def update(self, batch) -> None:
        grid = np.linspace(-3, 3, 2)
        for i, ax in enumerate(self.axes):
            X, y = batch.X_train[i], batch.y_train[i]
            self.pos[i].set_offsets(X[y == 1] if (y == 1).any() else np.empty((0, 2)))
            self.neg[i].set_offsets(X[y == 0] if (y == 0).any() else np.empty((0, 2)))
            w = batch.info["weights"][i]
            perp = np.array([-w[1], w[0]]) / max(np.linalg.norm(w), 1e-12)
            self.boundaries[i].set_data(grid * perp[0] * 2, grid * perp[1] * 2)
            bad = bool(batch.disagreeing[i])
            ax.title.set_text(f"T{i + 1}" + (" - disagrees" if bad else ""))
            ax.title.set_color(DISSENT if bad else "black")
            for spine in ax.spines.values():
                spine.set_edgecolor(DISSENT if bad else "black")
                spine.set_linewidth(3.0 if bad else 0.8)


class SineFitPlot(LivePlot):
    """Demo 4.2: fits to a new sine after some inner steps from each learned initialisation
    (left), and each fit's mean squared error after 0, 1, ... steps (right)."""

    def __init__(self, names: Sequence[str], max_steps: int, y_range: float = 6.5) -> None:
        super().__init__(LIVE_WIDTH_PX, 420)
        self.names = list(names)
        with self.style():
            self.ax0, self.ax1 = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1]})
            ax0, ax1 = self.ax0, self.ax1
            self.truth = ax0.plot([], [], color=TRUTH, lw=2.4)[0]
            self.support = ax0.scatter([], [], color="k", marker="s", s=40, zorder=4)
            self.fits, self.mse = {}, {}
            for name in self.names:
                style = STYLE[name.rsplit("_", 1)[1]]
                kw = {"color": style.color, "ls": style.linestyle}
                self.fits[name] = ax0.plot([], [], lw=2.4, **kw)[0]
                self.mse[name] = ax1.plot([], [], marker=style.marker, ms=8, **kw)[0]
            self.now = ax1.axvline(0, color=DISSENT, lw=2.0)
            ax0.set_title(" ")
            self.moving(self.truth, self.support, *self.fits.values(), ax0.title)
            self.moving(*self.mse.values(), self.now)
            ax0.set_xlim(-5, 5)
            ax0.set_ylim(-y_range, y_range)
            ax0.set_xlabel("input x")
            ax0.set_ylabel("output y")
            ax1.set_yscale("log")
            ax1.set_xlim(-0.3, max_steps + 0.3)
            ax1.set_xticks(range(max_steps + 1))
            ax1.set_xlabel("inner gradient steps")
            ax1.set_ylabel("MSE on [-5, 5] (log scale)")
            ax1.set_title("Error of each fit by steps")
            handles = [
                Line2D([], [], color=TRUTH, lw=2.4, label="true sine"),
                Line2D([], [], color="k", marker="s", ls="none", label="10 support points"),
                *(Line2D([], [], color=f.get_color(), ls=f.get_linestyle(), label=pretty(n))
                  for n, f in self.fits.items()),
                Line2D([], [], color=DISSENT, lw=2.0, label="steps now"),
            ]  # fmt: skip
            self.fig.legend(handles=handles, loc="outside lower center", ncols=5)

    def update(self, x, truth, support, fits, mse_by_step: dict[str, np.ndarray], steps) -> None:
        self.truth.set_data(x, truth)
        self.support.set_offsets(np.column_stack(support))
        for name in self.names:
            self.fits[name].set_data(x, fits[name])
            curve = mse_by_step[name]
            self.mse[name].set_data(np.arange(len(curve)), curve)
        values = np.concatenate([mse_by_step[n] for n in self.names])
        lo, hi = self.ax1.get_ylim() if self.ax1 in self._sized else (1e9, 0)
        new = (min(lo, 10 ** np.floor(np.log10(values.min()))),
               max(hi, 10 ** np.ceil(np.log10(values.max()))))  # fmt: skip
        if new != (lo, hi):
            self.ax1.set_ylim(*new)
            self._sized.add(self.ax1)
            self.relayout()
        self.now.set_xdata([steps, steps])
        self.ax0.title.set_text(f"A new sine after {steps} gradient step(s)")


class CharacterBatchPlot(LivePlot):
    """Demo 8.1: a meta-batch of N-way character tasks, one row per task (one support image per
    class, the label the learner is given under it) and, beside it, each task's GA weight.

    A noisy task's row is framed, hatched and named "noisy", its wrong labels orange and bold,
    and its bar orange and hatched (all of which reads in grey too). The weights are printed in
    a column at the right; the weight axis holds 0 and the uniform weight 1/n and only ever
    widens. Every frame, toggling the algorithm
    included, draws only the rows, bars and the left title. The drawings, task names and
    labels sit on white cards, one image for all (texts on plain white draw fastest), which
    the hatching of a noisy row shows around.
    """

    CELL_HEIGHT = 46  # a class's cell in the image, in its pixels: the drawing, its label below
    MARGIN = 3  # between a cell's edge and its white card
    NAMES = 1.3  # width of the task names' column left of the drawings (one drawing's cell = 1)
    TITLES: ClassVar = {"reptile": "{}: 1 of each class's 5 images, with its label",
                        "fomaml": "{}: each class's image, support → query label"}  # fmt: skip

    def __init__(self, n_tasks: int, ways: int, weight_range: tuple[float, float] = (-0.1, 0.6)):
        super().__init__(LIVE_WIDTH_PX, 470)
        self.n, self.ways = n_tasks, ways
        rows = np.arange(n_tasks) + 0.5
        text = {"ha": "center", "va": "center", "zorder": 3}
        with self.style():
            self.ax0, self.ax1 = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
            ax0, ax1 = self.ax0, self.ax1
            self.bands = [
                ax0.add_patch(Rectangle((-self.NAMES, r + 0.03), ways + self.NAMES, 0.94,
                                        fc="white", ec=DISSENT, hatch=NOISY_HATCH, lw=2.5))
                for r in range(n_tasks)
            ]  # fmt: skip
            self.image = ax0.imshow(np.zeros((1, 1, 4)), extent=(-self.NAMES, ways, n_tasks, 0),
                                    aspect="auto", zorder=2)  # fmt: skip
            below = (self.MARGIN + 29 + self.CELL_HEIGHT - self.MARGIN) / 2 / self.CELL_HEIGHT
            self.labels = [[ax0.text(c + 0.5, r + below, "", **text) for c in range(ways)]
                           for r in range(n_tasks)]  # fmt: skip
            self.names = [ax0.text(-self.NAMES / 2, r, "", **text) for r in rows]
            ax0.set_title(" ", fontsize=_pt(LIVE_TEXT_PX + 1))
            self.moving(*self.bands, self.image, *(t for row in self.labels for t in row))
            self.moving(*self.names, ax0.title)
            ax0.set_xlim(-self.NAMES, ways)
            ax0.set_ylim(n_tasks, 0)
            ax0.set_xticks([])
            ax0.set_yticks([])
            ax0.grid(False)
            for spine in ax0.spines.values():
                spine.set_visible(False)
            ax0.set_xlabel("orange: a wrong label (noisy tasks)")

            self.bars = list(ax1.barh(rows, np.zeros(n_tasks), 0.62, color=AGREE, ec="black"))
            self.values = [ax1.text(0, r, "", ha="right", va="center") for r in rows]
            self.moving(*self.bars, *self.values)
            ax1.axvline(1 / n_tasks, color=UNIFORM, ls=STYLE["uniform"].linestyle, lw=3)
            ax1.axvline(0, color="black", lw=1)
            ax1.set_ylim(n_tasks, 0)
            ax1.set_yticks(rows, [f"T{i + 1}" for i in range(n_tasks)])
            ax1.set_xlim(*weight_range)
            ax1.set_xlabel("GA weight w_i")
            ax1.set_title("Each task's gradient-agreement weight")
            handles = [
                Patch(fc=AGREE, ec="black", label="clean task"),
                Patch(fc=DISSENT, ec="black", hatch=NOISY_HATCH, label="noisy task"),
                Line2D([], [], color=UNIFORM, ls=STYLE["uniform"].linestyle, lw=3,
                       label=f"{STYLE['uniform'].name} weight 1/{n_tasks}"),
            ]  # fmt: skip
            self.fig.legend(handles=handles, loc="outside lower center", ncols=3)
            # Square drawings: a cell as wide, in the image's pixels, as the axes make it look.
            self.fig.get_layout_engine().execute(self.fig)
            box = ax0.get_position()
            cell = (box.width * self.fig.bbox.width / (ways + self.NAMES),
                    box.height * self.fig.bbox.height / n_tasks)  # fmt: skip
            self.cell_width = cw = round(self.CELL_HEIGHT * cell[0] / cell[1])
            self.names_width = round(self.NAMES * cw)
            self.mosaic = np.zeros((n_tasks * self.CELL_HEIGHT, self.names_width + ways * cw, 4))
            m = self.MARGIN
            for r in range(n_tasks):  # white cards: the names' and every class's
                card = self.mosaic[r * self.CELL_HEIGHT + m : (r + 1) * self.CELL_HEIGHT - m]
                card[:, m : self.names_width - m] = 1.0
                for c in range(ways):
                    card[:, self.names_width + c * cw + m : self.names_width + (c + 1) * cw - m] = 1

    def update(
        self,
        algorithm: str,
        images: np.ndarray,
        labels: Sequence[Sequence[str]],
        wrong: np.ndarray,
        noisy: np.ndarray,
        weights: np.ndarray,
    ) -> None:
        """``images`` (n, ways, 28, 28) ink in [0, 1]; ``labels`` and ``wrong`` (n, ways): the
        text under each image and whether it is wrong; ``noisy`` (n,); ``weights`` (n,)."""
        self.ax0.title.set_text(self.TITLES[algorithm].format(STYLE[algorithm].name))
        ch, cw, top, left = (
            self.CELL_HEIGHT,
            self.cell_width,
            self.MARGIN + 1,
            (self.cell_width - 28) // 2,
        )
        tiles = self.mosaic[:, self.names_width :].reshape(self.n, ch, self.ways, cw, 4)
        tiles[:, top : top + 28, :, left : left + 28, :3] = (
            1.0 - images.transpose(0, 2, 1, 3)[..., None]
        )
        self.image.set_data(self.mosaic)
        lo, hi = self.ax1.get_xlim()
        room = 0.25 * (hi - lo)  # right of the longest bar: the column of values
        least, most = float(weights.min()), float(weights.max())
        new = (min(lo, least - 0.05 * (hi - lo)), max(hi, most + room))
        if new != (lo, hi):
            self.ax1.set_xlim(*new)
            self.relayout()
        right = new[1] - 0.015 * (new[1] - new[0])
        for r in range(self.n):
            bad = bool(noisy[r])
            self.bands[r].set_visible(bad)
            self.names[r].set_text(f"T{r + 1}\nnoisy" if bad else f"T{r + 1}")
            self.names[r].set(color=DISSENT if bad else "black", weight="bold" if bad else "normal")
            for c, text in enumerate(self.labels[r]):
                text.set_text(labels[r][c])
                text.set(color=DISSENT if wrong[r, c] else "black",
                         weight="bold" if wrong[r, c] else "normal")  # fmt: skip
            w = float(weights[r])
            self.bars[r].set(width=w, facecolor=DISSENT if bad else AGREE,
                             hatch=NOISY_HATCH if bad else "")  # fmt: skip
            self.values[r].set(text=f"{w:+.3f}", x=right)
