"""Running the experiments of notebook 06: configurations, one run per configuration and seed,
and the results files they fill.

Three experiments, all built on :mod:`gaml_core`:

* **logistic** — structured logistic-regression tasks (:class:`gaml_tasks.LogisticTaskFamily`)
  in which a fraction of every meta-batch disagrees with the family ("flip", "random" or
  "far" tasks). Every pairing of {maml, fomaml, reptile} with {uniform, agreement, cosine}
  weighting is meta-trained, and the learned initialisation is scored on *clean* held-out
  tasks (query accuracy after adaptation).
* **sine** — the paper's regression benchmark: a 1 → 64 → 64 → 1 ReLU network, k = 10
  support points, 5 inner steps, mean squared error over 1000 unseen tasks.
* **overhead** — the wall time of one meta-step with each weighting on the same batch.

The module has three parts, so that the notebook never has to rerun anything:

1. configurations: frozen dataclasses with every hyperparameter written out;
2. run functions (pure NumPy): one configuration, one seed → one result dict
   (``scripts/run_experiments.py`` loops over the seeds);
3. the results files: writing and loading them (``results/``).

:mod:`gaml_stats` summarises the records; :mod:`gaml_evidence` and
:mod:`gaml_evidence_figures` turn them into notebook 06's tables and figures.

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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_stats as gs
import gaml_tasks as gt

__all__ = [
    "FIGURES_DIR",
    "LOGISTIC_ALGORITHMS",
    "LOGISTIC_FRACTIONS",
    "LOGISTIC_KINDS",
    "LOGISTIC_WEIGHTINGS",
    "PAPER_SINE_MSE",
    "RESULTS_DIR",
    "ROOT",
    "SINE_ALGORITHMS",
    "SINE_BETA",
    "SINE_INIT_FILE",
    "SINE_LARGE_BETA",
    "SINE_WEIGHTINGS",
    "LogisticConfig",
    "SineConfig",
    "best_time",
    "compact_records",
    "load_results",
    "load_sine_init",
    "logistic_configs",
    "measure_overhead",
    "run_baselines_seed",
    "run_logistic_seed",
    "run_sine_seed",
    "save_json",
    "save_sine_init",
    "sine_configs",
    "sine_large_step_configs",
    "sine_study",
    "zero_predictor_mse",
]

ROOT = Path(__file__).resolve().parent
RESULTS_DIR = ROOT / "results"  # the stored results that notebook 06 reads
FIGURES_DIR = ROOT / "figures"  # every PNG the scripts draw
SINE_INIT_FILE = RESULTS_DIR / "sine_init.npz"  # the learned sine initialisations of seed 0
RESULT_FILES = {"logistic": "logistic.json", "sine": "sine.json", "overhead": "overhead.json"}

LOGISTIC_ID = 1  # experiment ids, the second entry of every seed sequence
SINE_ID = 2
OVERHEAD_ID = 3

LOGISTIC_KINDS = gt.DISAGREEMENTS  # "flip", "random", "far"
LOGISTIC_FRACTIONS = (0.0, 0.1, 0.25, 0.5)
LOGISTIC_ALGORITHMS = ("maml", "fomaml", "reptile")
LOGISTIC_WEIGHTINGS = ("uniform", "agreement", "cosine")
SINE_ALGORITHMS = ("reptile", "fomaml")
SINE_WEIGHTINGS = ("uniform", "agreement", "cosine")

# The sine numbers the brief quotes from Eshratifar et al. (2018): mean L2 loss over 1000 unseen
# tasks after 5 steps. The paper reports them for Reptile; it gives no FOMAML number.
PAPER_SINE_MSE = {("reptile", "uniform"): 0.13, ("reptile", "agreement"): 0.08}


# ---------------------------------------------------------------------------------------------
# 1. Configurations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogisticConfig:
    """One cell of the logistic experiment; every hyperparameter is a field.

    Task family (:class:`gaml_tasks.LogisticTaskFamily`): true weights w_i = w̄ + spread·ε_i with
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

    def held_out_tasks(self, seed: int) -> gt.TaskBatch:
        """The clean held-out tasks of this seed (the same for every setting and method)."""
        return (
            self.family(seed)
            .clean()
            .sample(
                np.random.default_rng([seed, LOGISTIC_ID, 1]),
                self.eval_tasks,
                self.k_shot,
                self.eval_query,
            )
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


def zero_predictor_mse(config: SineConfig | dict) -> float:
    """MSE of predicting 0 everywhere: E[a² sin²(x+φ)] = E[a²]/2 for a ~ U[lo, hi].

    (For φ spread over whole periods, or x over [−5, 5] ≈ 1.6 periods, sin² averages ≈ 1/2.)
    """
    lo, hi = config.amplitude if isinstance(config, SineConfig) else config["amplitude"]
    return (lo * lo + lo * hi + hi * hi) / 3.0 / 2.0


def _setting_index(text: str) -> int:
    """A stable integer for a setting name (CRC-32: the same on every machine and run)."""
    return zlib.crc32(text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# 2. Runs: one configuration, one seed
# ---------------------------------------------------------------------------------------------


def _train(
    config: LogisticConfig | SineConfig,
    theta: np.ndarray,
    sampler: Callable[[np.random.Generator], gt.TaskBatch],
    rng: np.random.Generator,
    model: gc.Model | None = None,
) -> tuple[np.ndarray, gc.History, np.ndarray, list[dict]]:
    """:func:`gaml_core.train` with the configuration's settings.

    Returns θ, the :class:`gaml_core.History`, every task's update length ‖g_i‖ per
    meta-iteration (T, n) and every training batch's ``info`` (amplitudes, true weights, ...).
    """
    lengths, infos = [], []

    def record(t: int, batch: gt.TaskBatch, theta: np.ndarray, info: dict) -> None:
        lengths.append(np.linalg.norm(info["updates"], axis=-1))
        infos.append(batch.info)

    theta, history = gc.train(
        theta,
        sampler,
        rng,
        config.iterations,
        config.alpha,
        config.beta,
        config.algorithm,
        config.weighting,
        config.inner_steps,
        model,
        on_step=record,
    )
    return theta, history, np.stack(lengths), infos


def run_logistic_seed(config: LogisticConfig, seed: int) -> dict[str, Any]:
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

    def sampler(rng: np.random.Generator) -> gt.TaskBatch:
        return family.sample(rng, config.meta_batch, config.k_shot, config.q_query)

    theta, history, lengths, _ = _train(config, np.zeros(config.dim), sampler, train_rng)
    w_bad = history.mean_weight(True)
    w_good = history.mean_weight(False)
    weights, bad = history.weights, history.disagreeing
    scores = gc.evaluate(theta, config.held_out_tasks(seed), config.alpha, config.inner_steps)
    mean = family.mean
    return {
        **asdict(config),
        "seed": int(seed),
        "n_disagreeing": config.n_disagreeing,
        "acc_after": float(scores["accuracy"][-1].mean()),
        "acc_before": float(scores["accuracy"][0].mean()),
        "loss_after": float(scores["loss"][-1].mean()),
        "weight_disagreeing": gs.finite_mean(w_bad),
        "weight_agreeing": gs.finite_mean(w_good),
        "negative_disagreeing": float((weights[bad] < 0).mean()) if bad.any() else math.nan,
        "update_len_disagreeing": float(lengths[bad].mean()) if bad.any() else math.nan,
        "update_len_agreeing": float(lengths[~bad].mean()),
        "weight_sum": float(weights.sum(axis=1).mean()),
        "theta_norm": float(np.linalg.norm(theta)),
        "cos_to_mean": float(theta @ mean / (np.linalg.norm(theta) * np.linalg.norm(mean)))
        if np.linalg.norm(theta) > 0
        else 0.0,
        "curve_weight_disagreeing": gs.chunk_means(w_bad, config.curve_bins),
        "curve_weight_agreeing": gs.chunk_means(w_good, config.curve_bins),
    }


def run_baselines_seed(config: LogisticConfig, seed: int) -> dict[str, Any]:
    """Logistic inits that were not meta-learned, scored like :func:`run_logistic_seed`.

    ``zero_init_acc``: θ = 0; ``random_init_acc``: θ ~ N(0, (‖w̄‖²/d) I), the scale of a task.
    Both are adapted with the same α and inner steps, on the same tasks, before scoring.
    """
    eval_tasks = config.held_out_tasks(seed)
    rng = np.random.default_rng([seed, LOGISTIC_ID, 3])
    random_theta = rng.normal(0.0, config.norm / math.sqrt(config.dim), size=config.dim)
    out: dict[str, Any] = {"seed": int(seed)}
    for name, theta in (("zero_init_acc", np.zeros(config.dim)), ("random_init_acc", random_theta)):
        scores = gc.evaluate(theta, eval_tasks, config.alpha, config.inner_steps)
        out[name] = float(scores["accuracy"][-1].mean())
    return out


def run_sine_seed(config: SineConfig, seed: int) -> dict[str, Any]:
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
    theta0 = model.init(np.random.default_rng([seed, SINE_ID, 0]))
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
            theta, history, lengths, infos = _train(config, theta0, sampler, train_rng, model)
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
    weights = history.weights
    n = weights.shape[1]
    amps = np.stack([info["amplitude"] for info in infos])
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
        "curve_loss_after": gs.chunk_means(history.loss_after, config.curve_bins),
        "weight_by_amplitude": by_amp,
        "weight_sum": float(weights.sum(axis=1).mean()),
        "negative_weights": float((weights < 0).mean()),
        "weight_max": float(weights.max(axis=1).mean()),
        "update_len": float(lengths.mean()),
        "theta": theta,
    }


def best_time(
    fn: Callable[[], object], number: int | None = None, repeats: int = 5, budget: float = 0.3
) -> float:
    """Wall time of one call of ``fn``: the best of ``repeats`` rounds of ``number`` calls each.

    ``number=None``: after a warm-up call, as many calls per round as fill ``budget`` seconds
    over all the rounds (at least one).
    """
    if number is None:
        fn()
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-7)
        number = max(1, int(budget / repeats / once))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def measure_overhead(repeats: int = 7, number: int = 50, sine_number: int = 10) -> list[dict]:
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

                best_step[w] = min(best_step[w], best_time(step, num, repeats=1))
                best_weights[w] = min(best_weights[w], best_time(weigh, 20 * num, repeats=1))
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
# 3. Results files
# ---------------------------------------------------------------------------------------------


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


def sine_study(results: dict, study: str = "main") -> list[dict]:
    """The sine records of one study: "main" (the comparison) or "large_step" (stability)."""
    return [r for r in results["records"] if r.get("study", "main") == study]


def save_sine_init(path: Path, thetas: dict[str, np.ndarray], config: SineConfig) -> None:
    """Store learned sine initialisations ``{"<algorithm>_<weighting>": θ}`` with the settings
    that adapt them (``config`` of the main study; β of both algorithms, seed 0)."""
    np.savez_compressed(
        path,
        **thetas,
        hidden=config.hidden,
        alpha=config.alpha,
        inner_steps=config.inner_steps,
        k_shot=config.k_shot,
        phase=np.array(config.phase),
        amplitude=np.array(config.amplitude),
        beta_reptile=SINE_BETA["reptile"],
        beta_fomaml=SINE_BETA["fomaml"],
        iterations=config.iterations,
        meta_batch=config.meta_batch,
        seed=0,
    )


def load_sine_init(path: Path | str | None = None) -> dict[str, Any]:
    """The learned sine initialisations of one seed: ``{method: theta}`` plus the settings.

    Also ``"activation"`` (the stored one, "relu" for a file that does not name it) and
    ``"model"``: the network the initialisations belong to, ``MLPModel(hidden, activation)``.
    """
    with np.load(SINE_INIT_FILE if path is None else Path(path)) as data:
        init: dict[str, Any] = {key: data[key] for key in data.files}
    init["activation"] = str(init["activation"].item()) if "activation" in init else "relu"
    init["model"] = gc.MLPModel(int(init["hidden"]), init["activation"])
    return init
