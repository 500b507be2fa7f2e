"""Evidence for notebook 06: does gradient agreement help, and when?

Three experiments, all built on :mod:`gaml_core`:

* **logistic** — structured logistic-regression tasks (:class:`gaml_core.LogisticTaskFamily`)
  in which a fraction of every meta-batch disagrees with the family ("flip", "random" or
  "far" tasks). Every pairing of {maml, fomaml, reptile} with {uniform, agreement, cosine}
  weighting is meta-trained, and the learned initialisation is scored on *clean* held-out
  tasks (query accuracy after adaptation).
* **sine** — the paper's regression benchmark: a 1 → 64 → 64 → 1 ReLU network, k = 10
  support points, 5 inner steps, mean squared error over 1000 unseen tasks.
* **overhead** — the wall time of one meta-step with each weighting on the same batch.

The module has four layers, so that the notebook never has to rerun anything:

1. configurations: frozen dataclasses with every hyperparameter written out;
2. run functions (pure NumPy): one configuration, one seed → one result dict;
3. aggregation (mean and 95% t-interval over seeds) and loading of the results files;
4. figure and table functions that draw what was loaded.

Randomness: every run builds its own ``numpy.random.Generator`` from
``np.random.default_rng([seed, experiment_id, stream, ...])``. Within one seed, every
weighting of the same setting sees the same initialisation, the same training batches and the
same evaluation tasks ("common random numbers"), so differences between weightings are paired
and are not blurred by different task draws.

The cosine weighting (:func:`gaml_core.cosine_agreement_weights`) is NOT from the paper; it is
this course's magnitude-robust variant and is labelled so everywhere.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt

__all__ = [
    "FIGURES",
    "LOGISTIC_FRACTIONS",
    "LOGISTIC_KINDS",
    "PAPER_SINE_MSE",
    "RESULTS_DIR",
    "SINE_BETA",
    "SINE_LARGE_BETA",
    "T_975",
    "LogisticConfig",
    "SineConfig",
    "baseline_table",
    "compact_records",
    "curve_endpoints_table",
    "difference_range",
    "has_study",
    "load_results",
    "load_sine_init",
    "logistic_configs",
    "logistic_extremes",
    "logistic_table",
    "logistic_weight_table",
    "magnitude_table",
    "mean_ci",
    "method_label",
    "outcome_counts",
    "overhead_table",
    "paired_difference",
    "plot_logistic_accuracy",
    "plot_logistic_gain",
    "plot_logistic_weights",
    "plot_overhead",
    "plot_sine_fits",
    "plot_sine_large_step",
    "plot_sine_mse",
    "plot_sine_training",
    "plot_sine_weights",
    "plot_weight_curves",
    "results_markdown",
    "run_logistic",
    "run_logistic_baselines",
    "run_overhead",
    "run_sine",
    "save_json",
    "sine_configs",
    "sine_large_step_configs",
    "sine_relative_table",
    "sine_table",
    "sine_weight_table",
    "summarize",
    "t_quantile",
    "zero_predictor_mse",
]

ROOT = Path(__file__).resolve().parent
RESULTS_DIR = ROOT / "results"
FIGURES_DIR = ROOT / "figures"

LOGISTIC_ID = 1  # experiment ids, the second entry of every seed sequence
SINE_ID = 2
OVERHEAD_ID = 3

LOGISTIC_KINDS = ("flip", "random", "far")
LOGISTIC_FRACTIONS = (0.0, 0.1, 0.25, 0.5)
LOGISTIC_ALGORITHMS = ("maml", "fomaml", "reptile")
LOGISTIC_WEIGHTINGS = ("uniform", "agreement", "cosine")
SINE_ALGORITHMS = ("reptile", "fomaml")
SINE_WEIGHTINGS = ("uniform", "agreement", "cosine")

# The sine numbers the brief quotes from Eshratifar et al. (2018): mean L2 loss over 1000 unseen
# tasks after 5 steps. The paper reports them for Reptile; it gives no FOMAML number.
PAPER_SINE_MSE = {("reptile", "uniform"): 0.13, ("reptile", "agreement"): 0.08}

ALGORITHM_LABEL = {"maml": "MAML", "fomaml": "FOMAML", "reptile": "Reptile"}
WEIGHTING_PREFIX = {"uniform": "", "agreement": "GA-", "cosine": "cosine-"}
KIND_LABEL = {
    "none": "no disagreeing tasks",
    "flip": "flipped labels",
    "random": "random labels",
    "far": "unrelated weights",
}


def method_label(algorithm: str, weighting: str) -> str:
    """'Reptile', 'GA-Reptile', 'cosine-Reptile (not in paper)', ..."""
    label = WEIGHTING_PREFIX[weighting] + ALGORITHM_LABEL[algorithm]
    return label + " (not in paper)" if weighting == "cosine" else label


# ---------------------------------------------------------------------------------------------
# 1. Configurations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogisticConfig:
    """One cell of the logistic experiment; every hyperparameter is a field.

    Task family (:class:`gaml_core.LogisticTaskFamily`): true weights w_i = w̄ + spread·ε_i with
    ‖w̄‖ = ``norm`` in ``dim`` dimensions, inputs x ~ N(0, I), labels 1[xᵀw_i > 0]. In every
    meta-batch of ``meta_batch`` tasks, round(``disagree_frac`` · ``meta_batch``) tasks
    disagree, of kind ``disagreement`` ("flip", "random", "far"; "none" when the fraction is 0).

    Meta-training: θ starts at 0; ``iterations`` meta-steps; inner loop ``inner_steps`` steps of
    SGD with step α = ``alpha`` on ``k_shot`` support points; meta-step β = ``beta`` on the
    weighted combination (weights with Σ|w_i| = 1, uniform = 1/n); MAML/FOMAML use
    ``q_query`` query points per task.

    Evaluation: ``eval_tasks`` clean tasks (``family.clean()``), each adapted with the same α
    and ``inner_steps`` on ``k_shot`` support points, scored on ``eval_query`` query points.
    """

    algorithm: str = "maml"
    weighting: str = "uniform"
    disagreement: str = "none"
    disagree_frac: float = 0.0
    dim: int = 20
    norm: float = 3.0
    spread: float = 0.5
    k_shot: int = 10
    q_query: int = 20
    meta_batch: int = 8
    inner_steps: int = 3
    alpha: float = 1.0
    beta: float = 0.5
    iterations: int = 500
    eval_tasks: int = 500
    eval_query: int = 50
    curve_bins: int = 25

    def __post_init__(self) -> None:
        if self.algorithm not in gc.ALGORITHMS:
            raise ValueError(f"algorithm must be one of {gc.ALGORITHMS}, got {self.algorithm!r}")
        if self.weighting not in gc.WEIGHTINGS:
            raise ValueError(f"weighting must be one of {gc.WEIGHTINGS}, got {self.weighting!r}")
        kinds = ("none", *LOGISTIC_KINDS)
        if self.disagreement not in kinds:
            raise ValueError(f"disagreement must be one of {kinds}, got {self.disagreement!r}")
        if (self.disagreement == "none") != (self.disagree_frac == 0):
            raise ValueError("disagreement must be 'none' exactly when disagree_frac is 0")

    @property
    def setting(self) -> str:
        """The task setting without the method, e.g. 'flip-0.25' (seeds the training batches)."""
        return f"{self.disagreement}-{self.disagree_frac:g}"

    @property
    def n_disagreeing(self) -> int:
        """How many tasks of each meta-batch disagree (the family rounds to whole tasks)."""
        return round(self.disagree_frac * self.meta_batch)

    def family(self, seed: int) -> gt.LogisticTaskFamily:
        """The task family of this seed; w̄ depends on the seed only, not on the setting."""
        kind = "flip" if self.disagreement == "none" else self.disagreement
        return gt.LogisticTaskFamily.create(
            np.random.default_rng([seed, LOGISTIC_ID, 0]),
            dim=self.dim,
            norm=self.norm,
            spread=self.spread,
            disagree_frac=self.disagree_frac,
            disagreement=kind,
        )


@dataclass(frozen=True)
class SineConfig:
    """One method of the sine experiment (Finn et al. 2017 tasks, the GA paper's setting).

    Tasks y = a·sin(x + φ), a ~ U[0.1, 5], φ ~ U[``phase``] (the GA paper states [0, 2π], the
    default here), x ~ U[−5, 5]. Model :class:`gaml_core.MLPModel` (1 → h → h → 1, ReLU),
    initialised by :meth:`gaml_core.MLPModel.init`. Inner loop: ``inner_steps`` steps of plain
    SGD with step
    α = ``alpha`` on ``k_shot`` points; ``meta_batch`` tasks per meta-step, ``iterations``
    meta-steps of size β = ``beta`` (plain SGD on the weighted direction, no Adam, no
    annealing); FOMAML's query sets have ``q_query`` points. Evaluation: ``eval_tasks`` unseen
    tasks, the same α and ``inner_steps``, MSE on ``eval_query`` points per task.
    ``study`` names the group a run belongs to: "main" (the comparison) or "large_step"
    (the same methods with a larger β, to check stability).
    """

    algorithm: str = "reptile"
    weighting: str = "uniform"
    hidden: int = 64
    k_shot: int = 10
    q_query: int = 10
    inner_steps: int = 5
    alpha: float = 0.01
    beta: float = 0.3
    meta_batch: int = 5
    iterations: int = 4000
    amplitude: tuple[float, float] = (0.1, 5.0)
    phase: tuple[float, float] = (0.0, 2 * math.pi)
    eval_tasks: int = 1000
    eval_query: int = 50
    curve_bins: int = 40
    amplitude_bins: int = 5
    study: str = "main"

    def __post_init__(self) -> None:
        if self.algorithm not in ("fomaml", "reptile"):
            raise ValueError(f"algorithm must be 'fomaml' or 'reptile', got {self.algorithm!r}")
        if self.weighting not in gc.WEIGHTINGS:
            raise ValueError(f"weighting must be one of {gc.WEIGHTINGS}, got {self.weighting!r}")

    def sample(self, rng: np.random.Generator, n_tasks: int, q_query: int) -> gt.TaskBatch:
        return gt.sample_sine_tasks(
            rng, n_tasks, self.k_shot, q_query, amplitude=self.amplitude, phase=self.phase
        )


def logistic_configs(quick: bool = False) -> list[LogisticConfig]:
    """Every cell of the logistic experiment: 10 settings × 3 algorithms × 3 weightings.

    The clean setting (fraction 0) is run once and shared by the three kinds of disagreement.
    ``quick=True`` keeps every cell but trains for 100 iterations and scores 200 tasks.
    """
    extra = {"iterations": 100, "eval_tasks": 200} if quick else {}
    settings = [("none", 0.0)] + [
        (kind, frac) for kind in LOGISTIC_KINDS for frac in LOGISTIC_FRACTIONS if frac > 0
    ]
    return [
        LogisticConfig(alg, w, kind, frac, **extra)
        for kind, frac in settings
        for alg in LOGISTIC_ALGORITHMS
        for w in LOGISTIC_WEIGHTINGS
    ]


# β per algorithm: the same for every weighting of that algorithm (see the notebook).
SINE_BETA = {"reptile": 0.3, "fomaml": 0.005}


# The stability check: β about 3x larger, where uniform weighting still learns (pilot runs).
SINE_LARGE_BETA = {"reptile": 1.0, "fomaml": 0.01}


def sine_configs(quick: bool = False) -> list[SineConfig]:
    """{Reptile, FOMAML} × {uniform, agreement, cosine}; ``quick`` trains 150 iterations."""
    extra = {"iterations": 150, "eval_tasks": 200} if quick else {}
    return [
        SineConfig(alg, w, beta=SINE_BETA[alg], **extra)
        for alg in SINE_ALGORITHMS
        for w in SINE_WEIGHTINGS
    ]


def sine_large_step_configs(quick: bool = False) -> list[SineConfig]:
    """The same methods with the larger β of :data:`SINE_LARGE_BETA`, 1000 iterations."""
    extra = {"iterations": 100, "eval_tasks": 100} if quick else {}
    base = {"iterations": 1000, "eval_tasks": 500, "study": "large_step"}
    return [
        SineConfig(alg, w, beta=SINE_LARGE_BETA[alg], **{**base, **extra})
        for alg in SINE_ALGORITHMS
        for w in SINE_WEIGHTINGS
    ]


def _setting_index(text: str) -> int:
    """A stable integer for a setting name (CRC-32: the same on every machine and run)."""
    return zlib.crc32(text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# 2. Runs: one configuration, one seed
# ---------------------------------------------------------------------------------------------


@dataclass
class _Recording:
    """What :func:`_meta_train` keeps per iteration (beyond :class:`gaml_core.History`)."""

    weights: list[np.ndarray] = field(default_factory=list)
    disagreeing: list[np.ndarray] = field(default_factory=list)
    update_norms: list[np.ndarray] = field(default_factory=list)
    loss_after: list[float] = field(default_factory=list)
    amplitudes: list[np.ndarray] = field(default_factory=list)

    def history(self) -> gc.History:
        return gc.History(
            loss_before=np.full(len(self.loss_after), np.nan),
            loss_after=np.asarray(self.loss_after),
            weights=np.stack(self.weights),
            disagreeing=np.stack(self.disagreeing),
        )


def _meta_train(
    theta: np.ndarray,
    sampler: Callable[[np.random.Generator], gt.TaskBatch],
    rng: np.random.Generator,
    iterations: int,
    alpha: float,
    beta: float,
    algorithm: str,
    weighting: str,
    inner_steps: int,
    model: gc.Model | None = None,
) -> tuple[np.ndarray, _Recording]:
    """:func:`gaml_core.train`'s loop, also recording update lengths ‖g_i‖ and task info.

    It draws the same batches and takes the same meta-steps as ``gaml_core.train``.
    """
    rec = _Recording()
    for _ in range(iterations):
        batch = sampler(rng)
        theta, info = gc.meta_step(
            theta, batch, alpha, beta, algorithm, weighting, inner_steps, model
        )
        rec.weights.append(info["weights"])
        rec.disagreeing.append(np.asarray(batch.disagreeing, dtype=bool))
        rec.update_norms.append(np.linalg.norm(info["updates"], axis=1))
        rec.loss_after.append(float(info["loss_after"].mean()))
        if "amplitude" in batch.info:
            rec.amplitudes.append(batch.info["amplitude"])
    return theta, rec


def _bin_means(values: np.ndarray, bins: int) -> list[float]:
    """Means of ``bins`` consecutive chunks (NaN-aware; a chunk with no number gives NaN)."""
    out = []
    for chunk in np.array_split(np.asarray(values, dtype=float), bins):
        finite = chunk[np.isfinite(chunk)]
        out.append(float(finite.mean()) if finite.size else math.nan)
    return out


def _nanmean(values: np.ndarray) -> float:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else math.nan


def run_logistic(config: LogisticConfig, seed: int) -> dict[str, Any]:
    """Meta-train one configuration from θ = 0 and score it on clean held-out tasks.

    Returns a flat dict: the configuration's fields, ``seed``, and

    * ``acc_after`` / ``acc_before``: mean query accuracy on the clean evaluation tasks after
      ``inner_steps`` adaptation steps / with no adaptation; ``loss_after`` the query loss;
    * ``weight_disagreeing`` / ``weight_agreeing``: the mean weight a disagreeing / agreeing
      task received during meta-training (:meth:`gaml_core.History.mean_weight` averaged over
      iterations; uniform weighting gives 1/n; NaN when there are no disagreeing tasks);
    * ``negative_disagreeing``: the fraction of disagreeing tasks' weights that were negative;
    * ``update_len_disagreeing`` / ``update_len_agreeing``: mean ‖g_i‖ = ‖θ − θ'_i‖;
    * ``weight_sum``: mean Σ_i w_i (the length factor of the meta-step; 1 for uniform);
    * ``theta_norm`` and ``cos_to_mean``: length of θ and cosine between θ and w̄;
    * ``curve_weight_disagreeing`` / ``curve_weight_agreeing``: the mean weights in
      ``curve_bins`` consecutive chunks of training (for the weight-over-time figure).
    """
    family = config.family(seed)
    train_rng = np.random.default_rng([seed, LOGISTIC_ID, 2, _setting_index(config.setting)])
    eval_tasks = family.clean().sample(
        np.random.default_rng([seed, LOGISTIC_ID, 1]),
        config.eval_tasks,
        config.k_shot,
        config.eval_query,
    )

    def sampler(rng: np.random.Generator) -> gt.TaskBatch:
        return family.sample(rng, config.meta_batch, config.k_shot, config.q_query)

    theta, rec = _meta_train(
        np.zeros(config.dim),
        sampler,
        train_rng,
        config.iterations,
        config.alpha,
        config.beta,
        config.algorithm,
        config.weighting,
        config.inner_steps,
    )
    history = rec.history()
    w_bad = history.mean_weight(True)
    w_good = history.mean_weight(False)
    weights, bad = history.weights, history.disagreeing
    norms = np.stack(rec.update_norms)
    scores = gc.evaluate(theta, eval_tasks, config.alpha, config.inner_steps)
    mean = family.mean
    return {
        **asdict(config),
        "seed": int(seed),
        "n_disagreeing": config.n_disagreeing,
        "acc_after": float(scores["accuracy"][-1].mean()),
        "acc_before": float(scores["accuracy"][0].mean()),
        "loss_after": float(scores["loss"][-1].mean()),
        "weight_disagreeing": _nanmean(w_bad),
        "weight_agreeing": _nanmean(w_good),
        "negative_disagreeing": float((weights[bad] < 0).mean()) if bad.any() else math.nan,
        "update_len_disagreeing": float(norms[bad].mean()) if bad.any() else math.nan,
        "update_len_agreeing": float(norms[~bad].mean()),
        "weight_sum": float(weights.sum(axis=1).mean()),
        "theta_norm": float(np.linalg.norm(theta)),
        "cos_to_mean": float(theta @ mean / (np.linalg.norm(theta) * np.linalg.norm(mean)))
        if np.linalg.norm(theta) > 0
        else 0.0,
        "curve_weight_disagreeing": _bin_means(w_bad, config.curve_bins),
        "curve_weight_agreeing": _bin_means(w_good, config.curve_bins),
    }


def run_logistic_baselines(config: LogisticConfig, seed: int) -> dict[str, Any]:
    """Inits that were not meta-learned, scored like :func:`run_logistic` on the same tasks.

    ``zero_init_acc``: θ = 0; ``random_init_acc``: θ ~ N(0, (‖w̄‖²/d) I), the scale of a task.
    Both are adapted with the same α and inner steps before scoring.
    """
    family = config.family(seed)
    eval_tasks = family.clean().sample(
        np.random.default_rng([seed, LOGISTIC_ID, 1]),
        config.eval_tasks,
        config.k_shot,
        config.eval_query,
    )
    rng = np.random.default_rng([seed, LOGISTIC_ID, 3])
    random_theta = rng.normal(0.0, config.norm / math.sqrt(config.dim), size=config.dim)
    out: dict[str, Any] = {"seed": int(seed)}
    for name, theta in (("zero_init_acc", np.zeros(config.dim)), ("random_init_acc", random_theta)):
        scores = gc.evaluate(theta, eval_tasks, config.alpha, config.inner_steps)
        out[name] = float(scores["accuracy"][-1].mean())
    return out


def zero_predictor_mse(config: SineConfig | dict) -> float:
    """MSE of predicting 0 everywhere: E[a² sin²(x+φ)] = E[a²]/2 for a ~ U[lo, hi].

    (For φ spread over whole periods, or x over [−5, 5] ≈ 1.6 periods, sin² averages ≈ 1/2.)
    """
    lo, hi = config.amplitude if isinstance(config, SineConfig) else config["amplitude"]
    return (lo * lo + lo * hi + hi * hi) / 3.0 / 2.0


def run_sine(config: SineConfig, seed: int) -> dict[str, Any]:
    """Meta-train one sine method for one seed; score it on ``eval_tasks`` unseen tasks.

    Returns the configuration's fields, ``seed`` and

    * ``mse_after``: mean query MSE after ``inner_steps`` steps (the paper's number);
      ``mse_steps``: the MSE after 0, 1, ..., ``inner_steps`` steps;
    * ``curve_loss_after``: training query loss after adaptation, ``curve_bins`` chunk means;
    * ``weight_by_amplitude``: mean relative weight n·w_i of training tasks in
      ``amplitude_bins`` equal bins of the amplitude a (1 = a uniform share);
    * ``weight_sum``, ``negative_weights`` (fraction of weights < 0), ``weight_max``
      (mean over iterations of the largest weight), ``update_len`` (mean ‖g_i‖);
    * ``diverged``: True if θ became non-finite (then the MSE fields are NaN);
    * ``theta``: the learned initialisation (a NumPy array; not written to JSON).
    """
    model = gc.MLPModel(config.hidden)
    theta0 = gc.MLPModel(config.hidden).init(np.random.default_rng([seed, SINE_ID, 0]))
    eval_tasks = config.sample(
        np.random.default_rng([seed, SINE_ID, 1]), config.eval_tasks, config.eval_query
    )
    train_rng = np.random.default_rng([seed, SINE_ID, 2])

    def sampler(rng: np.random.Generator) -> gt.TaskBatch:
        return config.sample(rng, config.meta_batch, config.q_query)

    out: dict[str, Any] = {**asdict(config), "seed": int(seed)}
    out["amplitude"] = list(config.amplitude)
    out["phase"] = list(config.phase)
    nan_steps = [math.nan] * (config.inner_steps + 1)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            theta, rec = _meta_train(
                theta0,
                sampler,
                train_rng,
                config.iterations,
                config.alpha,
                config.beta,
                config.algorithm,
                config.weighting,
                config.inner_steps,
                model,
            )
            mse = gc.evaluate(theta, eval_tasks, config.alpha, config.inner_steps, model)["loss"]
        mse_steps = [float(v) for v in mse.mean(axis=1)]
        diverged = not all(math.isfinite(v) for v in mse_steps)
    except ValueError:  # θ became non-finite: gaml_core refuses NaN/inf
        return {
            **out,
            "diverged": True,
            "mse_after": math.nan,
            "mse_steps": nan_steps,
            "curve_loss_after": [math.nan] * config.curve_bins,
            "weight_by_amplitude": [math.nan] * config.amplitude_bins,
            "weight_sum": math.nan,
            "negative_weights": math.nan,
            "weight_max": math.nan,
            "update_len": math.nan,
            "theta": None,
        }
    weights = np.stack(rec.weights)
    n = weights.shape[1]
    amps = np.stack(rec.amplitudes)
    edges = np.linspace(*config.amplitude, config.amplitude_bins + 1)
    which = np.clip(np.searchsorted(edges, amps, side="right") - 1, 0, config.amplitude_bins - 1)
    by_amp = [
        float((n * weights[which == b]).mean()) if (which == b).any() else math.nan
        for b in range(config.amplitude_bins)
    ]
    return {
        **out,
        "diverged": diverged,
        "mse_after": mse_steps[-1] if not diverged else math.nan,
        "mse_steps": mse_steps if not diverged else nan_steps,
        "curve_loss_after": _bin_means(np.asarray(rec.loss_after), config.curve_bins),
        "weight_by_amplitude": by_amp,
        "weight_sum": float(weights.sum(axis=1).mean()),
        "negative_weights": float((weights < 0).mean()),
        "weight_max": float(weights.max(axis=1).mean()),
        "update_len": float(np.stack(rec.update_norms).mean()),
        "theta": theta,
    }


def _best_time(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def run_overhead(repeats: int = 7, number: int = 50, sine_number: int = 10) -> list[dict]:
    """Wall time of one ``meta_step`` per weighting on the same batch (best of ``repeats``).

    Setups: the logistic experiment's (d = 20, 8 tasks, 3 inner steps) for MAML, FOMAML and
    Reptile, and the sine experiment's MLP (4353 parameters, 5 tasks, 5 inner steps) for FOMAML
    and Reptile. Each repeat times ``number`` calls of each weighting in turn (interleaved, so
    a slow moment of a shared machine hits all weightings alike); the best repeat is kept.
    Also timed: the weight computation alone on that step's update vectors.
    """
    lc, sc = LogisticConfig(), SineConfig()
    rng = np.random.default_rng([0, OVERHEAD_ID])
    fam = gt.LogisticTaskFamily.create(
        rng, lc.dim, lc.norm, lc.spread, disagree_frac=0.25, disagreement="flip"
    )
    log_batch = fam.sample(rng, lc.meta_batch, lc.k_shot, lc.q_query)
    log_theta = 0.3 * fam.mean
    model = gc.MLPModel(sc.hidden)
    sine_batch = sc.sample(rng, sc.meta_batch, sc.q_query)
    sine_theta = gc.MLPModel(sc.hidden).init(rng)
    setups = [
        ("logistic", alg, log_theta, log_batch, lc.alpha, lc.inner_steps, None, number)
        for alg in LOGISTIC_ALGORITHMS
    ] + [
        ("sine", alg, sine_theta, sine_batch, sc.alpha, sc.inner_steps, model, sine_number)
        for alg in SINE_ALGORITHMS
    ]
    weight_fns: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "uniform": lambda g: np.full(g.shape[0], 1.0 / g.shape[0]),
        "agreement": gc.agreement_weights,
        "cosine": gc.cosine_agreement_weights,
    }
    records = []
    for setup, alg, theta, batch, alpha, steps, mdl, num in setups:
        _, info = gc.meta_step(theta, batch, alpha, 0.1, alg, "uniform", steps, mdl)
        updates = info["updates"]
        best_step = dict.fromkeys(LOGISTIC_WEIGHTINGS, math.inf)
        best_weights = dict.fromkeys(LOGISTIC_WEIGHTINGS, math.inf)
        for _ in range(repeats):
            for w in LOGISTIC_WEIGHTINGS:

                def step(
                    w: str = w, args: tuple = (theta, batch, alpha, alg, steps, mdl)
                ) -> object:
                    th, b, a, al, st, md = args
                    return gc.meta_step(th, b, a, 0.1, al, w, st, md)

                def weigh(w: str = w, g: np.ndarray = updates) -> object:
                    return weight_fns[w](g)

                best_step[w] = min(best_step[w], _best_time(step, num))
                best_weights[w] = min(best_weights[w], _best_time(weigh, 20 * num))
        for w in LOGISTIC_WEIGHTINGS:
            records.append(
                {
                    "setup": setup,
                    "algorithm": alg,
                    "weighting": w,
                    "n_tasks": int(updates.shape[0]),
                    "n_params": int(updates.shape[1]),
                    "step_seconds": best_step[w],
                    "weights_seconds": best_weights[w],
                    "overhead_vs_uniform": best_step[w] / best_step["uniform"] - 1.0,
                }
            )
    return records


# ---------------------------------------------------------------------------------------------
# 3. Aggregation and loading
# ---------------------------------------------------------------------------------------------

# t_{0.975, df}: the two-sided 95% quantile of Student's t distribution, df = 1..30.
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
}  # fmt: skip


def t_quantile(df: int) -> float:
    """t_{0.975, df}: from the table for df ≤ 30, else the Cornish–Fisher expansion around z."""
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    if df in T_975:
        return T_975[df]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci(values: Iterable[float]) -> tuple[float, float, int]:
    """Mean, half-width of the 95% t-interval, and count of the finite values.

    half-width = t_{0.975, n−1} · s / √n with s the sample standard deviation (ddof = 1).
    With one value the half-width is NaN; with none, everything is NaN and the count 0.
    """
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    n = int(arr.size)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(arr.mean())
    if n == 1:
        return mean, math.nan, 1
    half = t_quantile(n - 1) * float(arr.std(ddof=1)) / math.sqrt(n)
    return mean, half, n


def summarize(records: Sequence[dict], by: Sequence[str], metric: str) -> list[dict[str, Any]]:
    """Group ``records`` by the keys ``by`` and give each group's mean, ``ci`` and ``n``.

    Groups keep the order in which they first appear.
    """
    groups: dict[tuple, list[float]] = {}
    for rec in records:
        groups.setdefault(tuple(rec[k] for k in by), []).append(rec[metric])
    rows = []
    for key, values in groups.items():
        mean, half, n = mean_ci(values)
        rows.append({**dict(zip(by, key, strict=True)), "mean": mean, "ci": half, "n": n})
    return rows


def paired_difference(
    records: Sequence[dict],
    by: Sequence[str],
    metric: str,
    treatment: str,
    control: str = "uniform",
) -> list[dict[str, Any]]:
    """Per group, the mean over seeds of metric(treatment) − metric(control), with 95% CI.

    Records are matched on the keys ``by`` and ``seed``; the weighting is the treatment key.
    Pairing removes the variation that both weightings share (same tasks, same seed).
    """
    table: dict[tuple, dict[int, dict[str, float]]] = {}
    for rec in records:
        key = tuple(rec[k] for k in by)
        table.setdefault(key, {}).setdefault(rec["seed"], {})[rec["weighting"]] = rec[metric]
    rows = []
    for key, seeds in table.items():
        diffs = [
            pair[treatment] - pair[control]
            for pair in seeds.values()
            if treatment in pair and control in pair
        ]
        if not diffs:
            continue
        mean, half, n = mean_ci(diffs)
        rows.append({**dict(zip(by, key, strict=True)), "mean": mean, "ci": half, "n": n})
    return rows


def _clean_json(value: Any) -> Any:
    """JSON-ready copy: NumPy scalars to Python, NaN to None, floats to 6 significant digits."""
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean_json(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return float(f"{value:.6g}") if math.isfinite(value) else None
    return value


def _from_json(value: Any) -> Any:
    """Inverse of the NaN handling of :func:`_clean_json`: None in a number field → NaN."""
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return math.nan if value is None else value


def save_json(data: dict, path: Path) -> None:
    """Write ``data`` as compact, stable JSON (sorted keys, one record per line)."""
    data = _clean_json(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["{"]
    items = sorted(data.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, list) and value and isinstance(value[0], dict):
            body = ",\n".join("  " + json.dumps(v, sort_keys=True) for v in value)
            lines.append(f"  {json.dumps(key)}: [\n{body}\n  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def compact_records(records: Sequence[dict]) -> tuple[dict, list[dict]]:
    """Split off the fields whose value is the same in every record (stored once as "shared")."""
    if not records:
        return {}, []
    first = records[0]
    shared = {
        k: v
        for k, v in first.items()
        if all(k in r and _clean_json(r[k]) == _clean_json(v) for r in records)
    }
    return shared, [{k: v for k, v in r.items() if k not in shared} for r in records]


RESULT_FILES = {"logistic": "logistic.json", "sine": "sine.json", "overhead": "overhead.json"}


def load_results(results_dir: Path | str | None = None) -> dict[str, dict]:
    """Load every results file present: ``{"logistic": ..., "sine": ..., "overhead": ...}``.

    Each value is the file's dict (``meta`` and ``records``, ...) with null numbers read back as
    NaN. The fields every record shares are stored once, in ``meta["shared"]``; they are copied
    back into every record here. A missing file is simply absent from the returned dict.
    """
    folder = RESULTS_DIR if results_dir is None else Path(results_dir)
    out = {}
    for name, filename in RESULT_FILES.items():
        path = folder / filename
        if path.exists():
            data = _from_json(json.loads(path.read_text(encoding="utf-8")))
            shared = data.get("meta", {}).get("shared", {})
            data["records"] = [{**shared, **rec} for rec in data["records"]]
            out[name] = data
    return out


def load_sine_init(path: Path | str | None = None) -> dict[str, Any]:
    """The learned sine initialisations of one seed: ``{method: theta}`` plus the settings."""
    path = RESULTS_DIR / "sine_init.npz" if path is None else Path(path)
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


# ---------------------------------------------------------------------------------------------
# 4. Tables (Markdown, numbers to 3 decimals)
# ---------------------------------------------------------------------------------------------


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


def logistic_settings(records: Sequence[dict]) -> list[tuple[str, float]]:
    """The (disagreement, fraction) settings present, clean first, in a fixed order."""
    present = {(r["disagreement"], r["disagree_frac"]) for r in records}
    order = [("none", 0.0)] + [(k, f) for k in LOGISTIC_KINDS for f in LOGISTIC_FRACTIONS if f]
    return [s for s in order if s in present]


def logistic_table(results: dict, metric: str = "acc_after") -> str:
    """Markdown: per setting and algorithm, uniform accuracy and the GA / cosine differences.

    Differences are paired over seeds (same tasks), mean ± 95% CI; positive = better than
    uniform weighting.
    """
    records = results["records"]
    by = ("disagreement", "disagree_frac", "algorithm")
    base = {
        tuple(r[k] for k in by): r
        for r in summarize([r for r in records if r["weighting"] == "uniform"], by, metric)
    }
    diffs = {
        w: {tuple(r[k] for k in by): r for r in paired_difference(records, by, metric, w)}
        for w in ("agreement", "cosine")
    }
    meta = results["meta"]
    lines = [
        "| disagreeing tasks | algorithm | uniform | GA − uniform | cosine − uniform "
        "(not in paper) |",
        "|---|---|---|---|---|",
    ]
    for kind, frac in logistic_settings(records):
        n_bad = round(frac * meta["config"]["meta_batch"])
        where = "none" if kind == "none" else f"{KIND_LABEL[kind]}, {n_bad} of 8"
        for alg in LOGISTIC_ALGORITHMS:
            key = (kind, frac, alg)
            if key not in base:
                continue
            u = base[key]
            cells = [
                _fmt_signed(diffs[w][key]["mean"], diffs[w][key]["ci"])
                if key in diffs[w]
                else "n/a"
                for w in ("agreement", "cosine")
            ]
            lines.append(
                f"| {where} | {ALGORITHM_LABEL[alg]} | {_fmt(u['mean'], u['ci'])} | "
                f"{cells[0]} | {cells[1]} |"
            )
    return "\n".join(lines)


def baseline_table(results: dict) -> str:
    """Markdown: does meta-learning matter? Clean-task accuracy of inits, mean ± 95% CI."""
    clean = [r for r in results["records"] if r["disagreement"] == "none"]
    rows = [
        ("θ = 0 (no meta-learning)", mean_ci(b["zero_init_acc"] for b in results["baselines"])),
        (
            "random θ (no meta-learning)",
            mean_ci(b["random_init_acc"] for b in results["baselines"]),
        ),
    ]
    for alg in LOGISTIC_ALGORITHMS:
        values = (
            r["acc_after"] for r in clean if r["algorithm"] == alg and r["weighting"] == "uniform"
        )
        rows.append((f"{ALGORITHM_LABEL[alg]}, uniform, clean batches", mean_ci(values)))
    lines = ["| starting point | accuracy after adaptation |", "|---|---|"]
    lines += [f"| {name} | {_fmt(m, h)} |" for name, (m, h, _) in rows]
    return "\n".join(lines)


def logistic_weight_table(results: dict) -> str:
    """Markdown: mean weight of a disagreeing vs an agreeing task (uniform = 1/8 = 0.125)."""
    records = [r for r in results["records"] if r["disagreement"] != "none"]
    by = ("disagreement", "disagree_frac", "weighting")
    bad = {tuple(r[k] for k in by): r for r in summarize(records, by, "weight_disagreeing")}
    good = {tuple(r[k] for k in by): r for r in summarize(records, by, "weight_agreeing")}
    lines = [
        "| disagreeing tasks | weighting | weight of a disagreeing task | "
        "weight of an agreeing task |",
        "|---|---|---|---|",
    ]
    for kind, frac in logistic_settings(records):
        n_bad = round(frac * results["meta"]["config"]["meta_batch"])
        for w in ("agreement", "cosine"):
            key = (kind, frac, w)
            if key in bad:
                label = WEIGHTING_LABEL[w]
                lines.append(
                    f"| {KIND_LABEL[kind]}, {n_bad} of 8 | {label} | "
                    f"{_fmt(bad[key]['mean'], bad[key]['ci'])} | "
                    f"{_fmt(good[key]['mean'], good[key]['ci'])} |"
                )
    return "\n".join(lines)


WEIGHTING_LABEL = {
    "uniform": "uniform",
    "agreement": "gradient agreement",
    "cosine": "cosine (not in paper)",
}


def outcome_counts(results: dict, weighting: str, metric: str = "acc_after") -> dict[str, int]:
    """How many logistic cells (setting × algorithm) ``weighting`` wins, loses or ties.

    A cell is a win if the whole 95% CI of the paired difference to uniform is above 0, a loss
    if it is below 0, and a tie otherwise. Cells without disagreeing tasks count separately.
    """
    by = ("disagreement", "disagree_frac", "algorithm")
    rows = paired_difference(results["records"], by, metric, weighting)
    out = {"win": 0, "loss": 0, "tie": 0, "clean_win": 0, "clean_loss": 0, "clean_tie": 0}
    for r in rows:
        lo, hi = r["mean"] - r["ci"], r["mean"] + r["ci"]
        outcome = "win" if lo > 0 else "loss" if hi < 0 else "tie"
        out[("clean_" if r["disagreement"] == "none" else "") + outcome] += 1
    return out


def magnitude_table(results: dict, fraction: float = 0.25, algorithm: str = "maml") -> str:
    """Markdown: update length ‖g_i‖ and weight of disagreeing vs agreeing tasks, per kind.

    Shows the magnitude effect: where disagreeing tasks have the longer updates, gradient
    agreement gives them the larger weight.
    """
    records = [
        r
        for r in results["records"]
        if r["disagree_frac"] == fraction and r["algorithm"] == algorithm
    ]
    lines = [
        "| disagreeing tasks | weighting | ‖g‖ disagreeing | ‖g‖ agreeing | "
        "w disagreeing | w agreeing |",
        "|---|---|---|---|---|---|",
    ]
    for kind in LOGISTIC_KINDS:
        for w in LOGISTIC_WEIGHTINGS:
            chosen = [r for r in records if r["disagreement"] == kind and r["weighting"] == w]
            if not chosen:
                continue
            cells = [
                _fmt(*mean_ci(r[m] for r in chosen)[:2])
                for m in (
                    "update_len_disagreeing",
                    "update_len_agreeing",
                    "weight_disagreeing",
                    "weight_agreeing",
                )
            ]
            lines.append(
                f"| {KIND_LABEL[kind]} | {WEIGHTING_LABEL[w]} | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines)


def curve_endpoints_table(results: dict, fraction: float = 0.25, algorithm: str = "maml") -> str:
    """Markdown: mean weight of a disagreeing / agreeing task early vs late in meta-training.

    "early" is the first chunk of the stored weight curves, "late" the last one.
    """
    records = [
        r
        for r in results["records"]
        if r["disagree_frac"] == fraction
        and r["algorithm"] == algorithm
        and isinstance(r.get("curve_weight_disagreeing"), list)
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
    for kind in LOGISTIC_KINDS:
        for w in ("agreement", "cosine"):
            chosen = [r for r in records if r["disagreement"] == kind and r["weighting"] == w]
            cells = [
                _fmt(*mean_ci(r[key][b] for r in chosen)[:2])
                for b in (0, -1)
                for key in ("curve_weight_disagreeing", "curve_weight_agreeing")
            ]
            lines.append(
                f"| {KIND_LABEL[kind]} | {WEIGHTING_LABEL[w]} | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines)


def sine_relative_table(results: dict) -> str:
    """Markdown: GA − uniform on the sine tasks, absolute and as % of uniform, beside the paper.

    The % interval divides the paired CI by the uniform mean (a first-order approximation).
    """
    records = _study(results)
    lines = [
        "| comparison | GA − uniform (MSE) | relative to uniform | 95% CI of the relative change |",
        "|---|---|---|---|",
    ]
    for alg in SINE_ALGORITHMS:
        chosen = [r for r in records if r["algorithm"] == alg]
        rows = paired_difference(chosen, ("algorithm",), "mse_after", "agreement")
        if not rows:
            continue
        diff = rows[0]
        base = mean_ci(r["mse_after"] for r in chosen if r["weighting"] == "uniform")[0]
        lo, hi = (diff["mean"] - diff["ci"]) / base, (diff["mean"] + diff["ci"]) / base
        lines.append(
            f"| ours: GA-{ALGORITHM_LABEL[alg]} vs {ALGORITHM_LABEL[alg]} | "
            f"{_fmt_signed(diff['mean'], diff['ci'])} | {100 * diff['mean'] / base:+.1f}% | "
            f"{100 * lo:+.1f}% to {100 * hi:+.1f}% |"
        )
    paper_u = PAPER_SINE_MSE[("reptile", "uniform")]
    paper_a = PAPER_SINE_MSE[("reptile", "agreement")]
    lines.append(
        f"| paper: GA-Reptile vs Reptile | {paper_a - paper_u:+.3f} | "
        f"{100 * (paper_a - paper_u) / paper_u:+.1f}% | not reported |"
    )
    return "\n".join(lines)


def sine_weight_table(results: dict) -> str:
    """Markdown: how the sine weights look per method and study (seed means ± 95% CI).

    Fraction of negative weights, the largest weight of a batch (uniform: 1/n) and Σ_i w_i.
    """
    lines = [
        "| method | β | fraction of weights < 0 | largest weight in a batch | Σ w_i |",
        "|---|---|---|---|---|",
    ]
    for study in ("main", "large_step"):
        records = _study(results, study)
        for alg in SINE_ALGORITHMS:
            for w in SINE_WEIGHTINGS:
                chosen = [r for r in records if (r["algorithm"], r["weighting"]) == (alg, w)]
                if not chosen:
                    continue
                cells = [
                    _fmt(*mean_ci(r[m] for r in chosen)[:2])
                    for m in ("negative_weights", "weight_max", "weight_sum")
                ]
                lines.append(
                    f"| {method_label(alg, w)} | {chosen[0]['beta']:g} | "
                    + " | ".join(cells)
                    + " |"
                )
    return "\n".join(lines)


def difference_range(results: dict, weighting: str) -> tuple[float, float]:
    """Smallest and largest mean paired difference to uniform over cells with dissenters."""
    by = ("disagreement", "disagree_frac", "algorithm")
    rows = paired_difference(results["records"], by, "acc_after", weighting)
    means = [r["mean"] for r in rows if r["disagreement"] != "none"]
    return min(means), max(means)


def logistic_extremes(results: dict, weighting: str = "agreement") -> dict[str, dict]:
    """The settings with the largest gain and the largest loss of ``weighting`` vs uniform."""
    by = ("disagreement", "disagree_frac", "algorithm")
    rows = paired_difference(results["records"], by, "acc_after", weighting)
    rows = [r for r in rows if math.isfinite(r["mean"])]
    return {"gain": max(rows, key=lambda r: r["mean"]), "loss": min(rows, key=lambda r: r["mean"])}


def _study(results: dict, study: str = "main") -> list[dict]:
    return [r for r in results["records"] if r.get("study", "main") == study]


def has_study(results: dict, study: str) -> bool:
    """True if the sine results hold runs of ``study`` ("main" or "large_step")."""
    return bool(_study(results, study))


def sine_table(results: dict, study: str = "main") -> str:
    """Markdown: MSE after 5 steps per method (mean ± 95% CI over seeds) beside the paper.

    ``study="large_step"`` gives the stability check instead (no paper column there).
    """
    records = _study(results, study)
    rows = summarize(records, ("algorithm", "weighting"), "mse_after")
    diffs = {
        (r["algorithm"], w): r
        for w in ("agreement", "cosine")
        for r in paired_difference(records, ("algorithm",), "mse_after", w)
    }
    main = study == "main"
    lines = [
        "| method | β | MSE after 5 steps (ours) | difference vs uniform (paired) |"
        + (" paper |" if main else " runs that diverged |"),
        "|---|---|---|---|---|",
    ]
    for r in rows:
        key = (r["algorithm"], r["weighting"])
        runs = [c for c in records if (c["algorithm"], c["weighting"]) == key]
        diff = _fmt_signed(diffs[key]["mean"], diffs[key]["ci"]) if key in diffs else "—"
        if main:
            paper = PAPER_SINE_MSE.get(key)
            last = "—" if paper is None else f"{paper:.2f}"
        else:
            last = f"{sum(bool(c['diverged']) for c in runs)} of {len(runs)}"
        lines.append(
            f"| {method_label(*key)} | {runs[0]['beta']:g} | {_fmt(r['mean'], r['ci'])} "
            f"(n = {r['n']}) | {diff} | {last} |"
        )
    return "\n".join(lines)


def overhead_table(results: dict) -> str:
    """Markdown: time per meta-step per weighting, the overhead vs uniform, the weights alone.

    "weights alone" times only the weight computation on that step's update vectors.
    """
    lines = [
        "| setup | algorithm | parameters | uniform (ms/step) | GA (ms/step) | GA overhead | "
        "GA weights alone (µs) | cosine (ms/step) | cosine overhead | cosine weights alone (µs) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    recs = results["records"]
    keys = list(dict.fromkeys((r["setup"], r["algorithm"]) for r in recs))
    for setup, alg in keys:
        by_w = {r["weighting"]: r for r in recs if (r["setup"], r["algorithm"]) == (setup, alg)}
        u, a, c = by_w["uniform"], by_w["agreement"], by_w["cosine"]
        lines.append(
            f"| {setup} | {ALGORITHM_LABEL[alg]} | {u['n_params']} | "
            f"{1e3 * u['step_seconds']:.3f} | {1e3 * a['step_seconds']:.3f} | "
            f"{100 * a['overhead_vs_uniform']:+.1f}% | {1e6 * a['weights_seconds']:.1f} | "
            f"{1e3 * c['step_seconds']:.3f} | {100 * c['overhead_vs_uniform']:+.1f}% | "
            f"{1e6 * c['weights_seconds']:.1f} |"
        )
    return "\n".join(lines)


def results_markdown(results: dict[str, dict]) -> str:
    """The results section the script writes to README.md and results/summary.md."""
    parts = []
    if "sine" in results:
        meta = results["sine"]["meta"]
        parts += [
            f"**Sine regression** (1 → 64 → 64 → 1 ReLU net, k = 10, 5 inner steps, mean squared "
            f"error over {meta['config']['eval_tasks']} unseen tasks, {meta['n_seeds']} seeds, "
            f"{meta['config']['iterations']} meta-iterations; the paper's numbers beside ours):",
            "",
            sine_table(results["sine"]),
            "",
            "The claim in relative terms (paired over seeds):",
            "",
            sine_relative_table(results["sine"]),
            "",
        ]
        if _study(results["sine"], "large_step"):
            first = _study(results["sine"], "large_step")[0]
            parts += [
                f"Stability check: the same methods with a larger meta-step β "
                f"({first['iterations']} iterations, {first['eval_tasks']} unseen tasks); "
                f"predicting 0 everywhere scores {zero_predictor_mse(first):.3f}:",
                "",
                sine_table(results["sine"], "large_step"),
                "",
            ]
    if "logistic" in results:
        meta = results["logistic"]["meta"]
        parts += [
            f"**Structured logistic tasks**: query accuracy on clean held-out tasks after "
            f"adaptation (fraction correct), mean ± 95% CI over {meta['n_seeds']} seeds; "
            f"differences are paired (same tasks, same seed), positive = better than uniform:",
            "",
            logistic_table(results["logistic"]),
            "",
        ]
    if "overhead" in results:
        parts += [
            "**Cost**: best-of-k wall time of one meta-step on the same batch:",
            "",
            overhead_table(results["overhead"]),
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------
# 5. Figures (matplotlib is imported only here)
# ---------------------------------------------------------------------------------------------

ALGORITHM_STYLE = {
    "maml": {"marker": "o", "linestyle": "-"},
    "fomaml": {"marker": "s", "linestyle": "--"},
    "reptile": {"marker": "^", "linestyle": ":"},
}


def _column_ci(values: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean and 95% CI half-width of every column of ``values`` (rows are seeds)."""
    stats = [mean_ci(values[:, j]) for j in range(values.shape[1])]
    return [m for m, _, _ in stats], [h for _, h, _ in stats]


def _sine_method_errorbar(ax: Any, x: np.ndarray, values: np.ndarray, alg: str, w: str) -> None:
    """One sine method's mean ± CI over seeds: colour by weighting, line and marker by algorithm."""
    import gaml_plots as gp

    mean, half = _column_ci(values)
    ax.errorbar(
        x + (0.04 if alg == "fomaml" else -0.04),
        mean,
        yerr=half,
        capsize=3,
        color=gp.WEIGHTING_STYLE[w]["color"],
        linestyle="-" if alg == "reptile" else "--",
        marker=ALGORITHM_STYLE[alg]["marker"],
        markeredgecolor="black",
        markeredgewidth=0.5,
        label=method_label(alg, w),
    )


def _plain_log_axis(ax: Any) -> None:
    """Log scale on y with ticks written as plain numbers (0.5, 1, 2, 5 ...), not 2×10⁰."""
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 1.5, 2, 3, 4, 5, 10, 20, 50) if lo <= t <= hi]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _fraction_axis(ax: Any) -> None:
    ax.set_xlabel("fraction of disagreeing tasks per meta-batch")
    ax.set_xticks([0, 0.125, 0.25, 0.5], ["0", "1/8", "2/8", "4/8"])


def _series(
    records: Sequence[dict], kind: str, metric: str, **match: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (real fraction), mean and CI of ``metric`` over seeds for one kind, clean point first."""
    chosen = [
        r
        for r in records
        if r["disagreement"] in ("none", kind) and all(r[k] == v for k, v in match.items())
    ]
    rows = summarize(chosen, ("disagreement", "disagree_frac"), metric)
    rows.sort(key=lambda r: r["disagree_frac"])
    mb = records[0]["meta_batch"]
    x = np.array([round(r["disagree_frac"] * mb) / mb for r in rows])
    return x, np.array([r["mean"] for r in rows]), np.array([r["ci"] for r in rows])


def _diff_series(
    records: Sequence[dict], kind: str, algorithm: str, weighting: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    chosen = [
        r for r in records if r["disagreement"] in ("none", kind) and r["algorithm"] == algorithm
    ]
    rows = paired_difference(chosen, ("disagreement", "disagree_frac"), "acc_after", weighting)
    rows.sort(key=lambda r: r["disagree_frac"])
    mb = records[0]["meta_batch"]
    x = np.array([round(r["disagree_frac"] * mb) / mb for r in rows])
    return x, np.array([r["mean"] for r in rows]), np.array([r["ci"] for r in rows])


def plot_logistic_accuracy(results: dict) -> Any:
    """3 × 3 panels (algorithm × kind): clean-task accuracy vs fraction of disagreeing tasks."""
    import gaml_plots as gp

    records = results["records"]
    base = summarize(results.get("baselines", []), (), "zero_init_acc")
    fig, axes = gp.plt.subplots(3, 3, figsize=(12.0, 9.5), sharex=True, sharey=True)
    for i, alg in enumerate(LOGISTIC_ALGORITHMS):
        for j, kind in enumerate(LOGISTIC_KINDS):
            ax = axes[i, j]
            for k, w in enumerate(LOGISTIC_WEIGHTINGS):
                x, mean, ci = _series(records, kind, "acc_after", algorithm=alg, weighting=w)
                style = gp.WEIGHTING_STYLE[w]
                ax.errorbar(
                    x + (k - 1) * 0.006,
                    mean,
                    yerr=ci,
                    capsize=3,
                    color=style["color"],
                    linestyle=style["linestyle"],
                    marker=style["marker"],
                    label=style["label"],
                    markeredgecolor="black",
                    markeredgewidth=0.5,
                )
            if base and math.isfinite(base[0]["mean"]):
                ax.axhline(
                    base[0]["mean"],
                    color="black",
                    linestyle=(0, (1, 2)),
                    linewidth=1.2,
                    label="θ = 0, no meta-learning",
                )
            ax.set_title(f"{ALGORITHM_LABEL[alg]}, {KIND_LABEL[kind]}")
            ax.set_ylabel("accuracy (fraction correct)")
            _fraction_axis(ax)
            ax.legend(loc="lower left", fontsize=7)
    fig.suptitle("Clean held-out tasks: query accuracy after adaptation (mean ± 95% CI over seeds)")
    fig.tight_layout()
    return fig


def plot_logistic_gain(results: dict) -> Any:
    """2 × 3 panels: paired accuracy difference (GA − uniform, cosine − uniform) per kind."""
    import gaml_plots as gp

    records = results["records"]
    fig, axes = gp.plt.subplots(2, 3, figsize=(12.0, 7.0), sharex=True, sharey=True)
    for i, w in enumerate(("agreement", "cosine")):
        color = gp.WEIGHTING_STYLE[w]["color"]
        for j, kind in enumerate(LOGISTIC_KINDS):
            ax = axes[i, j]
            ax.axhline(0.0, color="black", linewidth=0.8)
            for k, alg in enumerate(LOGISTIC_ALGORITHMS):
                x, mean, ci = _diff_series(records, kind, alg, w)
                ax.errorbar(
                    x + (k - 1) * 0.006,
                    mean,
                    yerr=ci,
                    capsize=3,
                    color=color,
                    markeredgecolor="black",
                    markeredgewidth=0.5,
                    label=method_label(alg, w).replace(" (not in paper)", ""),
                    **ALGORITHM_STYLE[alg],
                )
            name = "GA" if w == "agreement" else "cosine"
            note = "" if w == "agreement" else "\n(cosine weighting: not in paper)"
            ax.set_title(f"{name} − uniform, {KIND_LABEL[kind]}{note}", fontsize=10)
            ax.set_ylabel("accuracy difference (fraction correct)")
            _fraction_axis(ax)
            ax.legend(loc="best", fontsize=7)
    fig.suptitle("Does re-weighting help? Paired difference to uniform weighting (± 95% CI)")
    fig.tight_layout()
    return fig


def plot_logistic_weights(results: dict, algorithm: str = "maml") -> Any:
    """Per kind: mean weight of a disagreeing vs an agreeing task during meta-training."""
    import gaml_plots as gp

    records = [r for r in results["records"] if r["disagreement"] != "none"]
    n = records[0]["meta_batch"]
    fig, axes = gp.plt.subplots(1, 3, figsize=(12.0, 4.2), sharey=True)
    for ax, kind in zip(axes, LOGISTIC_KINDS, strict=True):
        ax.axhline(1.0 / n, color="black", linewidth=1.0, linestyle="--", label="uniform, 1/n")
        for w in ("agreement", "cosine"):
            style = gp.WEIGHTING_STYLE[w]
            short = "GA" if w == "agreement" else "cosine"
            for metric, color, ls, who in (
                ("weight_disagreeing", gp.DISSENT, "-", "disagreeing"),
                ("weight_agreeing", gp.AGREE, "--", "agreeing"),
            ):
                x, mean, ci = _series(records, kind, metric, algorithm=algorithm, weighting=w)
                ax.errorbar(
                    x,
                    mean,
                    yerr=ci,
                    capsize=3,
                    color=color,
                    linestyle=ls if w == "agreement" else ":",
                    marker=style["marker"],
                    markerfacecolor=color if w == "agreement" else "white",
                    markeredgecolor=color,
                    label=f"{short}: {who} task",
                )
        ax.set_title(f"{ALGORITHM_LABEL[algorithm]}, {KIND_LABEL[kind]}")
        ax.set_ylabel("mean weight of one task (Σ|w| = 1)")
        ax.set_xlabel("fraction of disagreeing tasks per meta-batch")
        ax.set_xticks([0.125, 0.25, 0.5], ["1/8", "2/8", "4/8"])
        ax.legend(loc="best", fontsize=7)
    fig.suptitle(
        "Who gets the weight? Mean weight during meta-training (± 95% CI; cosine: not in paper)"
    )
    fig.tight_layout()
    return fig


def plot_weight_curves(results: dict, fraction: float = 0.25, algorithm: str = "maml") -> Any:
    """Per kind: a disagreeing vs an agreeing task's weight over meta-training (seed means)."""
    import gaml_plots as gp

    records = [
        r
        for r in results["records"]
        if r["disagree_frac"] == fraction and r["algorithm"] == algorithm
    ]
    n = records[0]["meta_batch"]
    iterations = records[0]["iterations"]
    fig, axes = gp.plt.subplots(1, 3, figsize=(12.0, 4.2), sharey=True)
    for ax, kind in zip(axes, LOGISTIC_KINDS, strict=True):
        ax.axhline(1.0 / n, color="black", linewidth=1.0, linestyle="--", label="uniform, 1/n")
        for w in ("agreement", "cosine"):
            short = "GA" if w == "agreement" else "cosine"
            chosen = [r for r in records if r["disagreement"] == kind and r["weighting"] == w]
            if not chosen:
                continue
            for key, color, who in (
                ("curve_weight_disagreeing", gp.DISSENT, "disagreeing"),
                ("curve_weight_agreeing", gp.AGREE, "agreeing"),
            ):
                curves = np.array([r[key] for r in chosen], dtype=float)
                bins = curves.shape[1]
                x = (np.arange(bins) + 0.5) * iterations / bins
                mean, half = _column_ci(curves)
                ax.errorbar(
                    x,
                    mean,
                    yerr=half,
                    capsize=2,
                    color=color,
                    linestyle="-" if w == "agreement" else ":",
                    marker=gp.WEIGHTING_STYLE[w]["marker"],
                    markersize=4,
                    markerfacecolor=color if w == "agreement" else "white",
                    markeredgecolor=color,
                    markevery=3,
                    errorevery=3,
                    label=f"{short}: {who} task",
                )
        ax.set_title(f"{ALGORITHM_LABEL[algorithm]}, {KIND_LABEL[kind]}")
        ax.set_xlabel("meta-iteration")
        ax.set_ylabel("mean weight of one task (Σ|w| = 1)")
        ax.legend(loc="best", fontsize=7)
    n_bad = round(fraction * n)
    fig.suptitle(
        f"Weights over meta-training, {n_bad} of {n} tasks disagreeing "
        "(mean ± 95% CI over seeds; cosine: not in paper)"
    )
    fig.tight_layout()
    return fig


def plot_sine_mse(results: dict) -> Any:
    """Left: MSE after 5 steps per method beside the paper. Right: MSE vs adaptation steps."""
    import gaml_plots as gp

    records = _study(results)
    rows = summarize(records, ("algorithm", "weighting"), "mse_after")
    fig, (ax, ax2) = gp.plt.subplots(1, 2, figsize=(12.0, 4.6))
    x = np.arange(len(rows))
    for i, r in enumerate(rows):
        w = r["weighting"]
        style = gp.WEIGHTING_STYLE[w]
        ax.bar(
            i,
            r["mean"],
            0.7,
            yerr=r["ci"],
            capsize=4,
            color=style["color"],
            edgecolor="black",
            linewidth=0.6,
            hatch=gp.HATCH[w],
            label=style["label"] if r["algorithm"] == rows[0]["algorithm"] else None,
        )
    paper_x = [i for i, r in enumerate(rows) if (r["algorithm"], r["weighting"]) in PAPER_SINE_MSE]
    paper_y = [PAPER_SINE_MSE[(rows[i]["algorithm"], rows[i]["weighting"])] for i in paper_x]
    ax.plot(
        paper_x,
        paper_y,
        linestyle="none",
        marker="*",
        markersize=14,
        color="black",
        label="paper (Eshratifar et al. 2018)",
    )
    ax.set_xticks(
        x,
        [method_label(r["algorithm"], r["weighting"]).replace(" (not in paper)", "") for r in rows],
        rotation=20,
    )
    ax.set_xlabel("method")
    ax.set_ylabel("mean squared error after 5 steps")
    ax.set_title("Unseen sine tasks: error after adaptation (± 95% CI)")
    ax.legend(loc="upper left", fontsize=8)
    for r in rows:
        alg, w = r["algorithm"], r["weighting"]
        chosen = [c for c in records if c["algorithm"] == alg and c["weighting"] == w]
        steps = np.array([c["mse_steps"] for c in chosen], dtype=float)
        _sine_method_errorbar(ax2, np.arange(steps.shape[1]), steps, alg, w)
    _plain_log_axis(ax2)
    ax2.set_xlabel("adaptation steps on the 10 support points")
    ax2.set_ylabel("mean squared error (log scale)")
    ax2.set_title("Error vs adaptation steps (± 95% CI)")
    ax2.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    return fig


def plot_sine_training(results: dict) -> Any:
    """Training curves: query loss after adaptation during meta-training (mean over seeds)."""
    import gaml_plots as gp

    records = _study(results)
    fig, axes = gp.plt.subplots(1, 2, figsize=(12.0, 4.2), sharey=True)
    for ax, alg in zip(axes, SINE_ALGORITHMS, strict=True):
        for w in SINE_WEIGHTINGS:
            chosen = [r for r in records if r["algorithm"] == alg and r["weighting"] == w]
            if not chosen:
                continue
            curves = np.array([r["curve_loss_after"] for r in chosen], dtype=float)
            bins = curves.shape[1]
            iters = chosen[0]["iterations"]
            x = (np.arange(bins) + 0.5) * iters / bins
            mean, half = _column_ci(curves)
            style = gp.WEIGHTING_STYLE[w]
            ax.errorbar(
                x,
                mean,
                yerr=half,
                capsize=2,
                color=style["color"],
                linestyle=style["linestyle"],
                marker=style["marker"],
                markersize=4,
                markevery=4,
                errorevery=4,
                label=style["label"],
            )
        _plain_log_axis(ax)
        ax.set_title(f"{ALGORITHM_LABEL[alg]}: meta-training")
        ax.set_xlabel("meta-iteration")
        ax.set_ylabel("query MSE after adaptation (log scale)")
        ax.legend(loc="upper right", fontsize=8)
    fig.suptitle("Sine: training-batch error after 5 inner steps (mean ± 95% CI over seeds)")
    fig.tight_layout()
    return fig


def plot_sine_weights(results: dict) -> Any:
    """Relative weight n·w_i of a training task vs its amplitude a (the magnitude effect)."""
    import gaml_plots as gp

    records = _study(results)
    fig, ax = gp.plt.subplots(1, 1, figsize=(7.0, 4.2))
    ax.axhline(1.0, color="black", linewidth=1.0, linestyle="--", label="uniform share")
    first = records[0]
    edges = np.linspace(*first["amplitude"], first["amplitude_bins"] + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    for alg in SINE_ALGORITHMS:
        for w in ("agreement", "cosine"):
            chosen = [r for r in records if r["algorithm"] == alg and r["weighting"] == w]
            if not chosen:
                continue
            vals = np.array([r["weight_by_amplitude"] for r in chosen], dtype=float)
            _sine_method_errorbar(ax, centres, vals, alg, w)
    ax.set_xlabel("amplitude a of the training task")
    ax.set_ylabel("relative weight n·w_i (1 = uniform)")
    ax.set_title("Sine: which tasks does the weighting favour? (± 95% CI)")
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return fig


def plot_sine_large_step(results: dict) -> Any:
    """Stability check: MSE after 5 steps with the larger β, beside the main β (± 95% CI)."""
    import gaml_plots as gp

    large = _study(results, "large_step")
    if not large:
        raise ValueError("the results hold no 'large_step' runs")
    main = _study(results)
    fig, ax = gp.plt.subplots(1, 1, figsize=(8.0, 4.6))
    width = 0.8 / len(SINE_WEIGHTINGS)
    x = np.arange(len(SINE_ALGORITHMS))
    for j, w in enumerate(SINE_WEIGHTINGS):
        style = gp.WEIGHTING_STYLE[w]
        for study, records in (("large", large), ("main", main)):
            stats = [
                mean_ci(
                    r["mse_after"] for r in records if (r["algorithm"], r["weighting"]) == (a, w)
                )
                for a in SINE_ALGORITHMS
            ]
            pos = x + (j - 1) * width
            if study == "large":
                ax.bar(
                    pos,
                    [st[0] for st in stats],
                    width,
                    yerr=[st[1] for st in stats],
                    capsize=4,
                    color=style["color"],
                    hatch=gp.HATCH[w],
                    edgecolor="black",
                    linewidth=0.6,
                    label=f"{style['label']}, larger β",
                )
            else:
                ax.errorbar(
                    pos,
                    [st[0] for st in stats],
                    yerr=[st[1] for st in stats],
                    capsize=3,
                    linestyle="none",
                    marker=style["marker"],
                    markersize=8,
                    markerfacecolor="white",
                    markeredgecolor="black",
                    ecolor="black",
                    label=f"{style['label']}, main β",
                )
    ax.axhline(
        zero_predictor_mse(large[0]),
        color="black",
        linestyle="--",
        linewidth=1.0,
        label="predict 0 everywhere",
    )
    betas = {r["algorithm"]: r["beta"] for r in large}
    main_betas = {r["algorithm"]: r["beta"] for r in main}
    ax.set_xticks(
        x,
        [
            f"{ALGORITHM_LABEL[a]}\nβ = {betas.get(a, math.nan):g} (main β = "
            f"{main_betas.get(a, math.nan):g})"
            for a in SINE_ALGORITHMS
        ],
    )
    ax.set_xlabel("algorithm and meta-step size")
    ax.set_ylabel("mean squared error after 5 steps")
    ax.set_title(
        f"Sine, larger meta-step ({large[0]['iterations']} iterations): "
        "does the weighting stay stable? (± 95% CI)"
    )
    ax.legend(loc="upper left", fontsize=7, ncol=2)
    ax.set_ylim(0, 1.35 * zero_predictor_mse(large[0]))
    fig.tight_layout()
    return fig


def plot_sine_fits(init: dict[str, Any], n_tasks: int = 3, seed: int = 0) -> Any:
    """Adapted fits of the saved initialisations on a few new sine tasks.

    Each panel is one task: the true curve, its k support points, and each method's
    prediction after ``inner_steps`` SGD steps from its learned initialisation.
    """
    import gaml_plots as gp

    hidden = int(init["hidden"])
    alpha = float(init["alpha"])
    steps = int(init["inner_steps"])
    k = int(init["k_shot"])
    model = gc.MLPModel(hidden)
    rng = np.random.default_rng([seed, SINE_ID, 9])
    tasks = gt.sample_sine_tasks(rng, n_tasks, k, 1, phase=tuple(init["phase"]))
    grid = np.linspace(-5.0, 5.0, 200)
    fig, axes = gp.plt.subplots(1, n_tasks, figsize=(4.0 * n_tasks, 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    methods = [
        (alg, w)
        for alg in SINE_ALGORITHMS
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
                color=gp.WEIGHTING_STYLE[w]["color"],
                linestyle=ALGORITHM_STYLE[alg]["linestyle"],
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


def plot_overhead(results: dict) -> Any:
    """Time per meta-step per weighting and setup (best of k), bars with hatching."""
    import gaml_plots as gp

    recs = results["records"]
    keys = list(dict.fromkeys((r["setup"], r["algorithm"]) for r in recs))
    fig, axes = gp.plt.subplots(1, 2, figsize=(12.0, 4.2))
    width = 0.8 / len(LOGISTIC_WEIGHTINGS)
    for ax, setup in zip(axes, ("logistic", "sine"), strict=True):
        chosen = [k for k in keys if k[0] == setup]
        x = np.arange(len(chosen))
        for j, w in enumerate(LOGISTIC_WEIGHTINGS):
            times = [
                1e3
                * next(
                    r["step_seconds"]
                    for r in recs
                    if (r["setup"], r["algorithm"], r["weighting"]) == (*key, w)
                )
                for key in chosen
            ]
            style = gp.WEIGHTING_STYLE[w]
            ax.bar(
                x + (j - 1) * width,
                times,
                width,
                color=style["color"],
                hatch=gp.HATCH[w],
                edgecolor="black",
                linewidth=0.6,
                label=style["label"],
            )
        ax.set_xticks(x, [ALGORITHM_LABEL[k[1]] for k in chosen])
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


FIGURES: dict[str, tuple[str, Callable[..., Any]]] = {
    "evidence_logistic_accuracy": ("logistic", plot_logistic_accuracy),
    "evidence_logistic_gain": ("logistic", plot_logistic_gain),
    "evidence_logistic_weights": ("logistic", plot_logistic_weights),
    "evidence_weight_curves": ("logistic", plot_weight_curves),
    "evidence_sine_mse": ("sine", plot_sine_mse),
    "evidence_sine_training": ("sine", plot_sine_training),
    "evidence_sine_weights": ("sine", plot_sine_weights),
    "evidence_sine_large_step": ("sine", plot_sine_large_step),
    "evidence_overhead": ("overhead", plot_overhead),
}
