"""The course's interactive demos: slider callbacks as named plain functions, plus widgets.

Every demo has three layers, so tests can call it without a browser:

* ``<name>_state(...)``: the numbers (pure NumPy, fast, cached where it trains);
* ``<name>_callback(..., plot=None)``: the slider callback. It takes the slider values as
  keyword arguments and returns a :class:`DemoResult` (the state, an HTML readout and the
  demo's :class:`gaml_live.LivePlot` updated to them: ``plot`` is the one to update, a new one
  when None);
* ``<name>_demo()``: builds the ipywidgets sliders and wires them to the callback with
  :class:`Demo`. The container has the CSS class ``gaml-demo``, the readout ``gaml-readout``
  and the plot ``gaml-plot`` (the browser tests look for them).

Live: every slider sends its value while it is dragged (``continuous_update``), and each value
redraws the demo's one figure in place (:class:`gaml_live.LivePlot`: only what moves is drawn,
at the size it is shown). When values come faster than frames, the widgets' front end keeps only
the newest while the kernel is busy (ipywidgets sends one update at a time and merges the ones
that wait), so intermediate values are dropped, never queued.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

import gaml_core as gc
import gaml_live as gl
import gaml_omniglot as go
import gaml_omniglot_runs as gor
import gaml_plots as gp
import gaml_results as gres
import gaml_tasks as gt


@dataclass
class DemoResult:
    """What one slider callback computed and drew."""

    state: Any
    readout: str
    plot: gl.LivePlot

    @property
    def figure(self) -> Figure:
        return self.plot.fig


class Demo:
    """Sliders, a readout and one live plot, redrawn by ``callback(**slider_values)`` on change.

    Displayed, a demo is one output holding the widget view *and* a PNG of its first frame:
    front ends that run widgets (JupyterLab, Voilà) show the widget, the others (GitHub,
    nbconvert, VS Code without a kernel, an untrusted notebook) the picture. Its text form
    names the demo instead of listing widgets.
    """

    def __init__(
        self,
        title: str,
        controls: dict[str, widgets.ValueWidget],
        callback: Callable[..., DemoResult],
        fixed: dict[str, Any] | None = None,
        plot: gl.LivePlot | None = None,
    ) -> None:
        self.title = title
        self.controls = controls
        self.callback = callback
        self.fixed = dict(fixed or {})
        self.readout = widgets.HTML().add_class("gaml-readout")
        # The figure is sent as PNG bytes to an Image widget rather than shown through an Output
        # widget: no output capture, no stacked images, and no Voila hang (voila issue #1428).
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.plot = widgets.Box([self.image]).add_class("gaml-plot")
        header = widgets.HTML(f"<b>{title}</b>")
        self.widget = widgets.VBox(
            [header, widgets.VBox(list(controls.values())), self.readout, self.plot]
        ).add_class("gaml-demo")
        self._live = plot
        self.result: DemoResult | None = None
        for control in controls.values():
            control.observe(self.update, names="value")
        self.update()
        self.first_png = bytes(self.image.value)

    def values(self) -> dict[str, Any]:
        return {**self.fixed, **{name: c.value for name, c in self.controls.items()}}

    def update(self, change: object = None) -> DemoResult:
        """Compute, draw and send one frame: the picture first, then the readout, so that both
        reach the browser together (a few ms apart), after all the work is done."""
        result = self.callback(**self.values(), plot=self._live)
        self._live = result.plot
        png = result.plot.png()
        self.result = result
        self.image.value = png
        self.readout.value = result.readout
        return result

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["image/png"] = base64.b64encode(self.first_png).decode("ascii")
        bundle["text/plain"] = f"{self.title} (interactive: run the notebook to move its sliders)"
        return bundle


def _slider(kind: str, value, lo, hi, step, description: str, fmt: str | None = None):
    style = {"description_width": "initial"}
    layout = widgets.Layout(width="480px")
    if kind == "int":
        return widgets.IntSlider(
            value=value,
            min=lo,
            max=hi,
            step=step,
            description=description,
            style=style,
            layout=layout,
            continuous_update=True,
        )
    return widgets.FloatSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        readout_format=fmt or ".2f",
        style=style,
        layout=layout,
        continuous_update=True,
    )


def _kind_buttons() -> widgets.ToggleButtons:
    """The three kinds of disagreeing task (see gaml_tasks.LogisticTaskFamily)."""
    return widgets.ToggleButtons(
        options=[(gp.STYLE[k].name, k) for k in gt.DISAGREEMENTS],
        value="flip",
        description="disagreement",
    )


# ---------------------------------------------------------------------------------------------
# Demo 1.1: what tasks look like (a 2-D logistic family with disagreeing tasks)
# ---------------------------------------------------------------------------------------------

TASK_DEMO_MEAN = np.array([2.0, 1.0])
TASK_DEMO_N = 6


def tasks_state(
    k_shot: int = 10, spread: float = 0.5, disagree_frac: float = 0.34, kind: str = "flip"
) -> gt.TaskBatch:
    """Six tasks of a 2-D family w_i = w̄ + spread·ε_i (seed fixed, so sliders compare)."""
    family = gt.LogisticTaskFamily(TASK_DEMO_MEAN, spread, disagree_frac, kind)
    return family.sample(np.random.default_rng(1), TASK_DEMO_N, k_shot=k_shot, q_query=1)


def tasks_callback(
    k_shot: int = 10,
    spread: float = 0.5,
    disagree_frac: float = 0.34,
    kind: str = "flip",
    plot: gl.TaskPanelsPlot | None = None,
) -> DemoResult:
    batch = tasks_state(k_shot, spread, disagree_frac, kind)
    plot = plot or gl.TaskPanelsPlot(TASK_DEMO_N, TASK_DEMO_MEAN)
    plot.update(batch)
    bad = [f"T{i + 1}" for i in np.flatnonzero(batch.disagreeing)]
    readout = (
        f"{batch.n_tasks} tasks &middot; k = {k_shot} support points each &middot; "
        f"spread {spread:.2f} &middot; disagreeing ({gp.STYLE[kind].name}): "
        f"{', '.join(bad) if bad else 'none'}"
    )
    return DemoResult(batch, readout, plot)


def tasks_demo() -> Demo:
    return Demo(
        "Demo 1.1 - sampling tasks",
        {
            "k_shot": _slider("int", 10, 2, 40, 1, "shots k per task"),
            "spread": _slider("float", 0.5, 0.0, 2.0, 0.1, "task spread"),
            "disagree_frac": _slider("float", 0.34, 0.0, 0.5, 0.01, "fraction disagreeing"),
            "kind": _kind_buttons(),
        },
        tasks_callback,
    )


# ---------------------------------------------------------------------------------------------
# Demo 2.1: one dissenting task among agreeing ones (the main demo)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DissentState:
    """Update vectors g_i (rows), the dissenter last, and every weighting's weights."""

    updates: np.ndarray
    weights: dict[str, np.ndarray]
    uniform_step: np.ndarray
    ga_step: np.ndarray
    zero_angle: float | None  # degrees where the dissenter's weight crosses 0, if it does
    agree_sum_length: float

    @property
    def dissent_weight(self) -> float:
        return float(self.weights["agreement"][-1])


def agreeing_updates(n_agree: int) -> np.ndarray:
    """n_agree unit update vectors fanned out evenly within ±20° of the x axis."""
    angles = np.radians(np.linspace(-20.0, 20.0, n_agree)) if n_agree > 1 else np.zeros(1)
    return np.column_stack([np.cos(angles), np.sin(angles)])


def dissent_zero_angle(agree_sum: np.ndarray, length: float) -> float | None:
    """Angle φ (degrees from the agreeing sum's direction) where the dissenter's weight is 0.

    With A = Σ_{agreeing} g_j and the dissenter g_d = L·u(φ), its agreement sum is
    g_dᵀ(A + g_d) = L² + L‖A‖cos φ, zero at cos φ = −L/‖A‖. That needs L <= ‖A‖: a dissenter
    longer than the sum of the agreeing updates never gets a negative weight.
    """
    norm = float(np.linalg.norm(agree_sum))
    if length > norm or norm == 0.0:
        return None
    return math.degrees(math.acos(-length / norm))


def dissent_state(angle_deg: float = 150.0, length: float = 1.0, n_agree: int = 3) -> DissentState:
    """Agreeing unit updates near 0°, plus one dissenter of ``length`` at ``angle_deg``."""
    agree = agreeing_updates(n_agree)
    phi = math.radians(angle_deg)
    updates = np.vstack([agree, length * np.array([math.cos(phi), math.sin(phi)])])
    weights = {
        "uniform": np.full(len(updates), 1.0 / len(updates)),
        "agreement": gc.agreement_weights(updates, "paper"),
        "chapter": gc.agreement_weights(updates, "chapter"),
    }
    agree_sum = agree.sum(axis=0)
    return DissentState(
        updates=updates,
        weights=weights,
        uniform_step=updates.mean(axis=0),
        ga_step=weights["agreement"] @ updates,
        zero_angle=dissent_zero_angle(agree_sum, length),
        agree_sum_length=float(np.linalg.norm(agree_sum)),
    )


def dissent_weight_curve(
    length: float, n_agree: int, angles: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The dissenter's weight as a function of its angle, for every weighting (0°..180° in
    steps of 1° by default, cached: moving the angle slider only looks the curve up)."""
    if angles is None:
        return _default_weight_curve(round(float(length), 6), int(n_agree))
    curves: dict[str, list[float]] = {"uniform": [], "agreement": [], "chapter": []}
    for a in angles:
        s = dissent_state(float(a), length, n_agree)
        for name in curves:
            curves[name].append(float(s.weights[name][-1]))
    return angles, {k: np.array(v) for k, v in curves.items()}


@lru_cache(maxsize=512)
def _default_weight_curve(length: float, n_agree: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return dissent_weight_curve(length, n_agree, np.linspace(0.0, 180.0, 181))


@lru_cache(maxsize=16)
def dissent_weight_range(n_agree: int) -> tuple[float, float]:
    """Every weight the demo can show with ``n_agree`` agreeing tasks lies in this range (the
    sliders' whole grid, with a margin): the weight axes stay still while the sliders move."""
    lo, hi = 0.0, 0.0
    for length in np.arange(0.1, 4.05, 0.1):
        for angle in np.arange(0.0, 180.5, 5.0):
            for w in dissent_state(float(angle), float(length), n_agree).weights.values():
                lo, hi = min(lo, float(w.min())), max(hi, float(w.max()))
    margin = 0.08 * (hi - lo)
    return lo - margin, hi + margin


def dissent_callback(
    angle_deg: float = 150.0,
    length: float = 1.0,
    n_agree: int = 3,
    plot: gl.DissentPlot | None = None,
) -> DemoResult:
    state = dissent_state(angle_deg, length, n_agree)
    angles, curves = dissent_weight_curve(length, n_agree)
    plot = plot or gl.DissentPlot()
    plot.update(
        state.updates,
        state.weights,
        state.uniform_step,
        state.ga_step,
        angle_deg,
        angles,
        curves,
        state.zero_angle,
        dissent_weight_range(n_agree),
    )
    w = state.weights
    if state.zero_angle is None:
        crossing = (
            f"never crosses 0: the dissenter (length {length:.2f}) is longer than the sum of "
            f"the agreeing updates ({state.agree_sum_length:.2f})"
        )
    else:
        crossing = f"crosses 0 at {state.zero_angle:.1f}&deg;"
    name = {key: gp.STYLE[key].name for key in w}
    readout = (
        f"dissenter T{n_agree + 1} at {angle_deg:.0f}&deg;, length {length:.2f}: weight "
        f"<b>{w['agreement'][-1]:+.3f}</b> ({name['agreement']}), {w['chapter'][-1]:+.3f} "
        f"({name['chapter']}), {w['uniform'][-1]:.3f} ({name['uniform']}). "
        f"Its {name['agreement']} weight {crossing}."
    )
    return DemoResult(state, readout, plot)


def dissent_demo() -> Demo:
    return Demo(
        "Demo 2.1 - a dissenting task among agreeing ones",
        {
            "angle_deg": _slider("float", 150.0, 0.0, 180.0, 5.0, "dissenter angle (deg)", ".0f"),
            "length": _slider("float", 1.0, 0.1, 4.0, 0.1, "dissenter length"),
            "n_agree": _slider("int", 3, 1, 8, 1, "agreeing tasks"),
        },
        dissent_callback,
    )


# ---------------------------------------------------------------------------------------------
# Demo 3.1 / 4.1: meta-training with uniform vs gradient-agreement weights
# ---------------------------------------------------------------------------------------------

TRAINING_SETUP = {
    "dim": 10,
    "norm": 3.0,
    "spread": 1.0,
    "n_tasks": 8,
    "k_shot": 10,
    "q_query": 20,
    "iterations": 200,
    "alpha": 1.0,
    "beta": {"maml": 1.0, "fomaml": 1.0, "reptile": 0.5},
    "eval_tasks": 500,
}


@dataclass(frozen=True)
class TrainingRuns:
    """Two meta-training runs on the same task stream: uniform and agreement weighting."""

    histories: dict[str, gc.History]
    accuracy: dict[str, float]  # clean held-out query accuracy after one adaptation step
    accuracy_before: float  # the same from θ = 0 (no meta-training)


def training_state(
    disagree_frac: float = 0.25, algorithm: str = "maml", kind: str = "flip", seed: int = 0
) -> TrainingRuns:
    """Meta-train twice from θ = 0 (same seed, same tasks), uniform and agreement weights.

    Cached: each slider position and seed is trained once (about 0.1 s), then redrawn
    instantly (see :func:`training_runs`).
    """
    return training_runs(disagree_frac, algorithm, kind, (seed,))[0]


_TRAINED: dict[tuple[float, str, str, int], TrainingRuns] = {}
training_state.cache_clear = _TRAINED.clear  # type: ignore[attr-defined]

# The seeds whose spread the training demos show; seed s draws from default_rng(s), (s + 1) and
# (s + 1000), so these share no stream.
TRAINING_SEEDS = (0, 10, 20)


def training_runs(
    disagree_frac: float, algorithm: str, kind: str, seeds: tuple[int, ...] = TRAINING_SEEDS
) -> tuple[TrainingRuns, ...]:
    """:func:`training_state` for each seed. The seeds not yet cached are trained together,
    one stacked run per seed (``gc.train`` with many runs: the same numbers as alone, in about
    the time of one)."""
    frac = round(float(disagree_frac), 3)
    missing = [s for s in dict.fromkeys(seeds) if (frac, algorithm, kind, s) not in _TRAINED]
    if missing:
        for seed, runs in zip(missing, _train_seeds(frac, algorithm, kind, missing), strict=True):
            _TRAINED[(frac, algorithm, kind, seed)] = runs
    return tuple(_TRAINED[(frac, algorithm, kind, s)] for s in seeds)


def _train_seeds(
    disagree_frac: float, algorithm: str, kind: str, seeds: list[int]
) -> list[TrainingRuns]:
    s = TRAINING_SETUP
    families = [
        gt.LogisticTaskFamily.create(
            np.random.default_rng(seed), s["dim"], s["norm"], s["spread"], disagree_frac, kind
        )
        for seed in seeds
    ]
    held_out = [
        family.clean().sample(np.random.default_rng(seed + 1000), s["eval_tasks"], s["k_shot"], 20)
        for seed, family in zip(seeds, families, strict=True)
    ]
    histories: list[dict[str, gc.History]] = [{} for _ in seeds]
    accuracy: list[dict[str, float]] = [{} for _ in seeds]
    for weighting in ("uniform", "agreement"):
        rngs = [np.random.default_rng(seed + 1) for seed in seeds]
        family_of = {id(rng): family for rng, family in zip(rngs, families, strict=True)}

        def sampler(rng: np.random.Generator, family_of=family_of) -> gt.TaskBatch:
            # each run samples its own seed's family
            return family_of[id(rng)].sample(rng, s["n_tasks"], s["k_shot"], s["q_query"])

        thetas, hist = gc.train(
            np.zeros((len(seeds), s["dim"])),
            sampler,
            rngs,
            s["iterations"],
            s["alpha"],
            s["beta"][algorithm],
            algorithm,
            weighting,
        )
        for r, theta in enumerate(thetas):
            columns = (hist.loss_before, hist.loss_after, hist.weights, hist.disagreeing)
            histories[r][weighting] = gc.History(
                *(column[:, r] for column in columns), hist.task_loss_after[:, r]
            )
            evaluation = gc.evaluate(theta, held_out[r], s["alpha"], 1)
            accuracy[r][weighting] = float(evaluation["accuracy"][1].mean())
    before = [
        float(gc.evaluate(np.zeros(s["dim"]), tasks, s["alpha"], 1)["accuracy"][1].mean())
        for tasks in held_out
    ]
    return [TrainingRuns(h, a, b) for h, a, b in zip(histories, accuracy, before, strict=True)]


@dataclass(frozen=True)
class TrainingSpread:
    """:func:`training_state` for every seed of :data:`TRAINING_SEEDS`: its spread shows how
    much of a difference between the weightings one seed's noise could make."""

    runs: tuple[TrainingRuns, ...]

    @property
    def histories(self) -> dict[str, tuple[gc.History, ...]]:
        return {w: tuple(r.histories[w] for r in self.runs) for w in self.runs[0].histories}

    @property
    def accuracy(self) -> dict[str, np.ndarray]:
        """Per weighting, the clean held-out accuracy of each seed."""
        return {w: np.array([r.accuracy[w] for r in self.runs]) for w in self.runs[0].accuracy}

    @property
    def accuracy_before(self) -> np.ndarray:
        return np.array([r.accuracy_before for r in self.runs])


def training_spread(
    disagree_frac: float = 0.25, algorithm: str = "maml", kind: str = "flip"
) -> TrainingSpread:
    return TrainingSpread(training_runs(disagree_frac, algorithm, kind, TRAINING_SEEDS))


def _mean_range(values: np.ndarray, fmt: str = ".3f") -> str:
    return f"{values.mean():{fmt}} [{values.min():{fmt}}, {values.max():{fmt}}]"


def training_callback(
    disagree_frac: float = 0.25,
    algorithm: str = "maml",
    kind: str = "flip",
    plot: gl.TrainingPlot | None = None,
) -> DemoResult:
    spread = training_spread(disagree_frac, algorithm, kind)
    plot = plot or gl.TrainingPlot(algorithm)
    plot.update(spread.histories, disagree_frac, kind)
    acc = spread.accuracy
    gain = acc["agreement"] - acc["uniform"]
    ga = spread.histories["agreement"]
    w_good = np.array([np.mean(h.weights[~h.disagreeing]) for h in ga])
    if ga[0].disagreeing.any():
        w_bad = np.array([np.mean(h.weights[h.disagreeing]) for h in ga])
        bad_text = f"disagreeing {_mean_range(w_bad, '+.3f')}"
    else:
        bad_text = "no disagreeing tasks"
    scores = ", ".join(f"{gp.STYLE[w].short} <b>{_mean_range(a)}</b>" for w, a in acc.items())
    readout = (
        f"{gp.STYLE[algorithm].name}, {disagree_frac:.3f} of each batch disagreeing "
        f"({gp.STYLE[kind].name}); mean [min, max] over {len(TRAINING_SEEDS)} seeds. "
        f"Clean held-out accuracy after 1 step: {scores}; GA &minus; uniform "
        f"{_mean_range(gain, '+.3f')}, GA ahead in {int((gain > 0).sum())} of "
        f"{len(gain)} seeds; no meta-training {spread.accuracy_before.mean():.3f}. "
        f"Mean GA weight: agreeing {_mean_range(w_good, '+.3f')}, {bad_text}."
    )
    return DemoResult(spread, readout, plot)


TRAINING_FRACTIONS = (0.0, 0.125, 0.25, 0.375, 0.5)  # the slider's positions


def training_demo(algorithm: str = "maml", number: str = "3.1") -> Demo:
    # Train every slider position and seed now (about 0.1 s each), so that moving a slider only
    # redraws, and fit the plot's axes to all of them, so that they stay still.
    plot = gl.TrainingPlot(algorithm)
    for kind in gt.DISAGREEMENTS:
        for frac in TRAINING_FRACTIONS:
            plot.include(training_spread(frac, algorithm, kind).histories)
    demo = Demo(
        f"Demo {number} - {gp.STYLE[algorithm].name} with uniform vs gradient-agreement weights",
        {
            "disagree_frac": _slider(
                "float",
                0.25,
                TRAINING_FRACTIONS[0],
                TRAINING_FRACTIONS[-1],
                TRAINING_FRACTIONS[1],
                "fraction disagreeing",
                ".3f",
            ),
            "kind": _kind_buttons(),
        },
        training_callback,
        fixed={"algorithm": algorithm},
        plot=plot,
    )
    return demo


# ---------------------------------------------------------------------------------------------
# Demo 4.2: adapting a learned sine initialisation to a new sine, step by step
# ---------------------------------------------------------------------------------------------


SINE_MAX_STEPS = 5  # the steps slider's end: the demo shows the error after 0..5 steps


@dataclass(frozen=True)
class SineFitState:
    x: np.ndarray
    truth: np.ndarray
    support: tuple[np.ndarray, np.ndarray]
    fits: dict[str, np.ndarray]  # name -> prediction on x after `steps` steps
    losses: dict[str, float]  # name -> MSE on the query grid
    mse_by_step: dict[str, np.ndarray]  # name -> MSE after 0, 1, ..., max(steps, 5) steps


@lru_cache(maxsize=2)
def _sine_init(path: Path, mtime_ns: int) -> dict[str, Any]:
    return gres.load_sine_init(path)


def sine_init() -> dict[str, Any]:
    """The stored initialisations (:func:`gaml_runs.load_sine_init`: the network is
    ``["model"]``), read again only when the file changed."""
    path = gres.SINE_INIT_FILE
    return _sine_init(path, path.stat().st_mtime_ns)


def sine_fit_state(
    steps: int = 5, task: int = 0, names: tuple[str, ...] = ("reptile_uniform", "reptile_agreement")
) -> SineFitState:
    """Adapt each initialisation to one new sine from 10 points, ``steps`` SGD steps.

    The initialisations are those ``scripts/run_experiments.py`` stored
    (:func:`gaml_runs.load_sine_init`), adapted in the network they were trained in. Cached
    per task: every number of steps up to the slider's end is computed at once.
    """
    mtime = gres.SINE_INIT_FILE.stat().st_mtime_ns
    total = max(int(steps), SINE_MAX_STEPS)
    x, truth, support, preds, by_step = _sine_adaptation(int(task), tuple(names), total, mtime)
    fits = {name: preds[name][steps] for name in names}
    losses = {name: float(by_step[name][steps]) for name in names}
    return SineFitState(x, truth, support, fits, losses, by_step)


@lru_cache(maxsize=64)
def _sine_adaptation(task: int, names: tuple[str, ...], steps: int, mtime_ns: int) -> tuple:
    inits = sine_init()
    model = inits["model"]
    alpha = float(inits["alpha"])
    batch = gt.sample_sine_tasks(
        np.random.default_rng(10_000 + task),
        1,
        k_shot=10,
        q_query=1,
        amplitude=(float(inits["amplitude"][0]), float(inits["amplitude"][1])),
        phase=(float(inits["phase"][0]), float(inits["phase"][1])),
    )
    x = np.linspace(-5, 5, 200)[:, None]
    amp, phase = batch.info["amplitude"][0], batch.info["phase"][0]
    truth = amp * np.sin(x[:, 0] + phase)
    preds, by_step = {}, {}
    for name in names:
        path = gc.inner_loop(model, inits[name], batch.X_train[0], batch.y_train[0], alpha, steps)
        # one theta at a time: far faster here than NumPy's stacked matmul on (steps, p) views
        preds[name] = np.stack([model.predict(theta, x) for theta in path])
        by_step[name] = np.mean((preds[name] - truth) ** 2, axis=-1)
    support = (batch.X_train[0, :, 0], batch.y_train[0])
    return x[:, 0], truth, support, preds, by_step


def sine_fit_callback(
    steps: int = 5, task: int = 0, plot: gl.SineFitPlot | None = None
) -> DemoResult:
    state = sine_fit_state(steps, task)
    plot = plot or gl.SineFitPlot(list(state.fits), SINE_MAX_STEPS)
    plot.update(state.x, state.truth, state.support, state.fits, state.mse_by_step, steps)
    parts = [f"{gp.pretty(name)} <b>{loss:.3f}</b>" for name, loss in state.losses.items()]
    readout = f"After {steps} step(s) on 10 points, mean squared error on [-5, 5]: " + ", ".join(
        parts
    )
    return DemoResult(state, readout, plot)


SINE_TASKS = 10  # the "which new sine" slider's positions


def sine_fit_demo() -> Demo:
    for task in range(SINE_TASKS):  # adapt to every sine now: moving a slider only redraws
        sine_fit_state(SINE_MAX_STEPS, task)
    return Demo(
        "Demo 4.2 - adapting to a new sine from 10 points",
        {
            "steps": _slider("int", 2, 0, SINE_MAX_STEPS, 1, "inner steps"),
            "task": _slider("int", 0, 0, SINE_TASKS - 1, 1, "which new sine"),
        },
        sine_fit_callback,
    )


# ---------------------------------------------------------------------------------------------
# Demo 8.1: noisy tasks on real characters (the Omniglot study's meta-batches and learned θ)
# ---------------------------------------------------------------------------------------------

OMNIGLOT_STUDY = gor.OmniglotStudy()
OMNIGLOT_THETA_FILE = gres.RESULTS_DIR / gor.DEMO_THETA_FILE
OMNIGLOT_BATCHES = 20  # the "meta-batch" slider's positions
OMNIGLOT_MAX_NOISY = 2  # the "noisy tasks" slider's end
# Meta-batch b draws from the study's random streams of seed 1000 + b (the study's own seeds are
# 0..9): fixed, so the stored outputs never change, and apart from every run of the study.
OMNIGLOT_DEMO_SEED = 1000


@dataclass(frozen=True)
class OmniglotState:
    """One of the study's meta-batches as the learned θ sees it: the tasks (``disagreeing``
    marks the noisy ones), their updates g_i = θ − θ'_i (n, p) and their GA weights (n,)."""

    algorithm: str
    tasks: gt.TaskBatch
    updates: np.ndarray
    weights: np.ndarray

    @property
    def noisy(self) -> np.ndarray:
        return self.tasks.disagreeing


@dataclass(frozen=True)
class OmniglotFrame:
    """What the demo shows of an :class:`OmniglotState` (small: it is kept for every slider
    position). ``images`` (n, ways, 28, 28): one support image per class; ``labels`` (n, ways):
    the text under each (Reptile: the label that image is given; FOMAML: "support → query",
    the label of the class's support image and of its query images); ``wrong``: whether it
    contradicts the class; ``wrong_labels``: of the ``noisy_labels`` labels that the noise
    touched (Reptile: support, FOMAML: query), how many now contradict their class."""

    algorithm: str
    batch: int
    images: np.ndarray
    labels: list[list[str]]
    wrong: np.ndarray
    noisy: np.ndarray
    weights: np.ndarray
    wrong_labels: int
    noisy_labels: int

    def mean_weight(self, noisy: bool) -> float:
        """Mean GA weight of the noisy (or the clean) tasks; NaN if there are none."""
        chosen = self.weights[self.noisy == noisy]
        return float(chosen.mean()) if chosen.size else math.nan


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the BLAS behind NumPy on one thread inside the block (threadpoolctl).

    The convnet's matrices are small and the classroom's cores are shared: with the other core
    busy, two BLAS threads waiting on each other made a demo frame's inner loops take 1.2 s
    instead of 20 ms on this 2-core machine (what ``OPENBLAS_NUM_THREADS=1`` gives the scripts).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@lru_cache(maxsize=2)
def _omniglot_thetas(path: Path, mtime_ns: int) -> dict[str, np.ndarray]:
    with np.load(path) as stored:
        return {alg: stored[alg] for alg in OMNIGLOT_STUDY.algorithms}


def omniglot_thetas() -> dict[str, np.ndarray]:
    """The meta-trained θ of each algorithm (float32, seed 0, clean, uniform weighting; see
    :func:`gaml_omniglot_runs.save_demo_thetas`), read again only when the file changed."""
    path = OMNIGLOT_THETA_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: it holds the meta-trained networks of the Omniglot demo. Make "
            "it with `python scripts/run_experiments.py --only omniglot` (the Omniglot study)."
        )
    return _omniglot_thetas(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=1)
def omniglot_characters() -> np.ndarray:
    """The study's meta-training characters (m, 20, 28, 28), loaded once per process."""
    return go.split_characters(go.load_omniglot().background)[0]


def omniglot_batch(algorithm: str, noisy_tasks: int, batch: int) -> gt.TaskBatch:
    """Meta-batch ``batch`` of the study (:meth:`~gaml_omniglot_runs.OmniglotStudy.training_batch`,
    5 tasks of 5-way) with ``noisy_tasks`` noisy tasks.

    With 0 or 1 it is exactly the study's batch from the streams of seed
    OMNIGLOT_DEMO_SEED + ``batch``; the study has no second noisy task, so the next ones are the
    next tasks of its random order, each made noisy by the study's noise from a stream of its
    own. So the images never depend on ``noisy_tasks``, and a task noisy at 1 is noisy, with
    the same labels, at 2."""
    study, seed = OMNIGLOT_STUDY, OMNIGLOT_DEMO_SEED + batch
    rngs = tuple(study.rng(seed, stream) for stream in (1, 2, 3))
    tasks = study.training_batch(algorithm, omniglot_characters(), rngs, min(noisy_tasks, 1))
    order = study.rng(seed, 2).permutation(study.meta_batch)  # the study's draw of noisy tasks
    for stream, task in enumerate(order[1:noisy_tasks], start=4):
        mask = np.arange(study.meta_batch) == task
        tasks = go.add_label_noise(study.rng(seed, stream), tasks, mask, gor.NOISE_KIND[algorithm])
    return tasks


def omniglot_state(
    algorithm: str = "reptile", noisy_tasks: int = 1, batch: int = 0
) -> OmniglotState:
    """The updates g_i = θ − θ'_i of meta-batch ``batch`` (:func:`omniglot_batch`) from the
    learned θ (:func:`omniglot_thetas`), and their GA weights (the paper's,
    :func:`gaml_core.agreement_weights`). θ'_i is the study's inner loop (α, steps): Reptile on
    blocks of 5 support images (one per class), FOMAML full-batch on its 1-shot support set.
    About 20 ms; not kept (1.5 MB), :func:`omniglot_frame` is."""
    study, theta = OMNIGLOT_STUDY, omniglot_thetas()[algorithm]
    tasks = omniglot_batch(algorithm, noisy_tasks, batch)
    thetas = np.broadcast_to(theta, (tasks.n_tasks, theta.size))
    block = study.ways if algorithm == "reptile" else None
    with one_blas_thread():
        path = gc.inner_loop(study.model(), thetas, tasks.X_train, tasks.y_train, study.alpha,
                             study.inner_steps, block)  # fmt: skip
    updates = thetas - path[-1]
    return OmniglotState(algorithm, tasks, updates, gc.agreement_weights(updates))


@lru_cache(maxsize=64)
def omniglot_images(algorithm: str, batch: int) -> np.ndarray:
    """One support image per class of each task of meta-batch ``batch`` (n, ways, 28, 28),
    float32 (Reptile: block 0, FOMAML: its 1 shot; the same drawings), whatever the noise."""
    tasks, ways = omniglot_batch(algorithm, 0, batch), OMNIGLOT_STUDY.ways
    return tasks.X_train[:, :ways].reshape(tasks.n_tasks, ways, 28, 28).astype(np.float32)


def omniglot_frame(
    algorithm: str = "reptile", noisy_tasks: int = 1, batch: int = 0
) -> OmniglotFrame:
    """:class:`OmniglotFrame` of :func:`omniglot_state`, kept for every slider position: moving
    a slider back computes nothing (a new position costs one inner loop, about 20 ms)."""
    mtime = OMNIGLOT_THETA_FILE.stat().st_mtime_ns if OMNIGLOT_THETA_FILE.exists() else 0
    return _omniglot_frame(algorithm, int(noisy_tasks), int(batch), mtime)


@lru_cache(maxsize=256)
def _omniglot_frame(algorithm: str, noisy_tasks: int, batch: int, mtime_ns: int) -> OmniglotFrame:
    state, ways = omniglot_state(algorithm, noisy_tasks, batch), OMNIGLOT_STUDY.ways
    tasks, n = state.tasks, state.tasks.n_tasks
    support = tasks.y_train[:, :ways].astype(int)
    if algorithm == "reptile":  # support image j is of class j mod N (blocks of N)
        labels = [[str(y) for y in row] for row in support]
        wrong = support != np.arange(ways)
        touched = tasks.y_train[state.noisy]
        truth = np.arange(touched.shape[1]) % ways
    else:  # query images class by class
        query = tasks.y_test.reshape(n, ways, -1)[:, :, 0].astype(int)
        labels = [[f"{s}→{q}" for s, q in zip(*rows, strict=True)]
                  for rows in zip(support, query, strict=True)]  # fmt: skip
        wrong = query != support
        touched = tasks.y_test[state.noisy]
        truth = np.repeat(np.arange(ways), touched.shape[1] // ways)
    return OmniglotFrame(algorithm, batch, omniglot_images(algorithm, batch), labels, wrong,
                         state.noisy, state.weights, int((touched != truth).sum()),
                         touched.size)  # fmt: skip


def omniglot_callback(
    algorithm: str = "reptile",
    noisy_tasks: int = 1,
    batch: int = 0,
    plot: gl.CharacterBatchPlot | None = None,
) -> DemoResult:
    frame = omniglot_frame(algorithm, noisy_tasks, batch)
    plot = plot or gl.CharacterBatchPlot(OMNIGLOT_STUDY.meta_batch, OMNIGLOT_STUDY.ways)
    plot.update(algorithm, frame.images, frame.labels, frame.wrong, frame.noisy, frame.weights)
    n = len(frame.weights)
    noisy = [f"T{i + 1}" for i in np.flatnonzero(frame.noisy)]
    if noisy:
        how = {"reptile": "support labels shuffled across the task",
               "fomaml": "query labels permuted against the support set"}[algorithm]  # fmt: skip
        text = (
            f"{len(noisy)} noisy ({', '.join(noisy)}: {how}, {frame.wrong_labels} of "
            f"{frame.noisy_labels} now wrong). Mean GA weight: noisy "
            f"<b>{frame.mean_weight(True):+.3f}</b>, clean <b>{frame.mean_weight(False):+.3f}</b>"
        )
    else:
        text = f"no noisy task. Mean GA weight <b>{frame.mean_weight(False):+.3f}</b>"
    readout = (
        f"{gp.STYLE[algorithm].name}, meta-batch {batch}: {text}; "
        f"{gp.STYLE['uniform'].name} 1/{n} = {1 / n:.3f}."
    )
    if algorithm == "fomaml":
        readout += (
            " <i>Think:</i> GA weighs g<sub>i</sub> = θ − θ'<sub>i</sub>, which the support set "
            "alone decides. Can it tell which tasks have noisy query labels?"
        )
    return DemoResult(frame, readout, plot)


def omniglot_demo(number: str = "8.1") -> Demo:
    omniglot_thetas()  # a clear error now if the learned networks are missing
    return Demo(
        f"Demo {number} - noisy tasks on real characters (Omniglot)",
        {
            "algorithm": widgets.ToggleButtons(
                options=[(gp.STYLE[a].name, a) for a in OMNIGLOT_STUDY.algorithms],
                value="reptile",
                description="algorithm",
            ),
            "noisy_tasks": _slider("int", 1, 0, OMNIGLOT_MAX_NOISY, 1, "noisy tasks"),
            "batch": _slider("int", 15, 0, OMNIGLOT_BATCHES - 1, 1, "meta-batch"),
        },
        omniglot_callback,
    )


# ---------------------------------------------------------------------------------------------
# Notebook 3: checking meta-gradients against finite differences
# ---------------------------------------------------------------------------------------------


def finite_difference_meta_gradient(
    theta: np.ndarray, task: tuple[np.ndarray, ...], alpha: float, steps: int, eps: float = 1e-6
) -> np.ndarray:
    """Central differences of θ ↦ L_test(adapt(θ)): an independent check, one coordinate at a time.

    ∂L/∂θ_j ≈ [L_test(θ'(θ + ε e_j)) − L_test(θ'(θ − ε e_j))] / (2ε)
    """
    X, y, Xq, yq = task
    grad = np.zeros_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = eps
        plus = gc.logistic_loss(gc.adapt(theta + e, X, y, alpha, steps), Xq, yq)
        minus = gc.logistic_loss(gc.adapt(theta - e, X, y, alpha, steps), Xq, yq)
        grad[j] = (plus - minus) / (2 * eps)
    return grad


def meta_gradient_errors(
    theta: np.ndarray, task: tuple[np.ndarray, ...], alphas: np.ndarray, steps: int
) -> dict[str, np.ndarray]:
    """‖meta-gradient − finite differences‖ for the exact and first-order meta-gradients."""
    errors: dict[str, list[float]] = {"second order (exact)": [], "first order": []}
    for alpha in alphas:
        reference = finite_difference_meta_gradient(theta, task, float(alpha), steps)
        for name, first in (("second order (exact)", False), ("first order", True)):
            g = gc.maml_meta_gradient(theta, *task, float(alpha), steps, first_order=first)
            errors[name].append(float(np.linalg.norm(g - reference)))
    return {k: np.array(v) for k, v in errors.items()}
