"""Running the experiments of notebook 06: configurations, and one run per configuration and
seed (the files the runs fill are :mod:`gaml_results`'s).

Three experiments, all built on :mod:`gaml_core`:

* **logistic** — structured logistic-regression tasks (:class:`gaml_tasks.LogisticTaskFamily`)
  in which a fraction of every meta-batch disagrees with the family ("flip", "random" or
  "far" tasks). Every pairing of {maml, fomaml, reptile} with {uniform, agreement, cosine}
  weighting is meta-trained, and the learned initialisation is scored on *clean* held-out
  tasks (query accuracy after adaptation).
* **sine** — the paper's regression benchmark (:class:`SineStudy`): a 1 → 64 → 64 → 1 tanh
  network, every method's initial β swept over a grid, chosen on validation tasks and reported
  on 1000 test tasks, 10 seeds trained at once per cell. Two training regimes
  (:func:`sine_studies`): Nichol et al.'s minibatch inner loop (Reptile, and FOMAML, which
  diverges there) and the paper's literal k-shot inner loop (FOMAML).
* **overhead** — the wall time of one meta-step with each weighting on the same batch.

The module has three parts, so that the notebook never has to rerun anything:

1. configurations: frozen dataclasses with every hyperparameter written out;
2. run functions (pure NumPy): one configuration, one seed → one result dict
   (``scripts/run_experiments.py`` loops over the seeds); the sine study trains all seeds of
   one cell at once (:func:`run_sine_cell`), spreads the cells over processes and writes each
   finished cell to disk, so that an interrupted study resumes (:func:`run_sine_study`);
3. the results files are :mod:`gaml_results`'s.

:mod:`gaml_stats` summarises the records; :mod:`gaml_evidence` and
:mod:`gaml_evidence_figures` turn them into notebook 06's tables and figures.

Randomness: every run builds its own ``numpy.random.Generator`` from
``np.random.default_rng([seed, experiment_id, stream, ...])`` (the sine study:
``[SINE_ID, seed, stream]``). Within one seed, every
weighting of the same setting sees the same initialisation, the same training batches and the
same evaluation tasks ("common random numbers"), so differences between weightings are paired
and are not blurred by different task draws.

The cosine weighting (:func:`gaml_core.cosine_agreement_weights`) is NOT from the paper; it is
this course's magnitude-robust variant and is labelled so everywhere.
"""

from __future__ import annotations

import csv
import ctypes
import io
import json
import math
import multiprocessing
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

import gaml_core as gc
import gaml_stats as gs
import gaml_tasks as gt
from gaml_results import SINE_STUDY_FILES, read_sine_meta

LOGISTIC_ID = 1  # experiment ids, the second entry of every seed sequence
SINE_ID = 4  # (the untuned sine experiment it replaced used 2)
OVERHEAD_ID = 3

LOGISTIC_KINDS = gt.DISAGREEMENTS  # "flip", "random", "far"
LOGISTIC_FRACTIONS = (0.0, 0.1, 0.25, 0.5)
LOGISTIC_ALGORITHMS = ("maml", "fomaml", "reptile")
LOGISTIC_WEIGHTINGS = ("uniform", "agreement", "cosine")
SINE_ALGORITHMS = ("reptile", "fomaml")
SINE_WEIGHTINGS = ("uniform", "agreement", "cosine")
SINE_REGIMES = ("minibatch", "k-shot")  # SineStudy.regime
# (regime, algorithm): every group the sine study trains, in table order. Each algorithm is
# compared in the regime where it trains (the first two); FOMAML in the minibatch regime
# diverges (notebook 6, section 6.5) and is shown on its grid only.
SINE_GROUPS = (("minibatch", "reptile"), ("k-shot", "fomaml"), ("minibatch", "fomaml"))
SINE_COMPARED = SINE_GROUPS[:2]

# The sine numbers the issue quotes from Eshratifar et al. (2018): mean L2 loss over 1000 unseen
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

    Evaluation: ``eval_tasks`` clean test tasks (``family.clean()``), each adapted with the same
    α and ``inner_steps`` on ``k_shot`` support points, scored on ``eval_query`` query points;
    ``val_tasks`` further clean tasks, scored the same way, choose β (:data:`LOGISTIC_BETAS`)
    per setting and method, so the test tasks never take part in a choice.
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
    val_tasks: int = 300
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

    def held_out_tasks(self, seed: int, split: str = "test") -> gt.TaskBatch:
        """The clean held-out ``"test"`` (or ``"val"``) tasks of this seed (the same for every
        setting and method)."""
        stream, n = (1, self.eval_tasks) if split == "test" else (4, self.val_tasks)
        rng = np.random.default_rng([seed, LOGISTIC_ID, stream])
        return self.family(seed).clean().sample(rng, n, self.k_shot, self.eval_query)


@dataclass(frozen=True)
class SineStudy:
    """One regime of the sine study: the paper's tasks and network, β tuned per method.

    Tasks y = a·sin(x + φ), a ~ U[0.1, 5], φ ~ U[0, 2π], x ~ U[−5, 5]. Network 1 → 64 → 64 → 1
    tanh, :meth:`gaml_core.MLPModel.init`. Meta-training: each task has ``support`` points, the
    inner loop takes ``inner_steps`` = 5 steps of plain SGD with α = 0.02 (:func:`gaml_core.
    inner_loop`), FOMAML's meta-gradient uses ``query`` = 10 further points, ``meta_batch`` tasks
    per meta-step, ``iterations`` meta-steps with β annealed linearly from β0 to 0. The
    :attr:`regime` follows from ``batch_size``:

    * ``"minibatch"`` (the defaults, Nichol et al.'s recipe): ``support`` = 50 points and inner
      step t uses block t of ``batch_size`` = 10;
    * ``"k-shot"`` (:meth:`k_shot_regime`, the paper's literal regime): ``support`` = 10 points,
      ``batch_size=None``: the whole support set at every step.

    Evaluation is the same in both (the paper's literal k-shot regime): ``k_shot`` = 10 points,
    full batch at every step, the same α, MSE on ``eval_query`` points per task after each of
    ``eval_steps``.

    β0 is swept over ``betas[algorithm]`` for every weighting; each method's β0 is chosen on
    ``val_tasks`` validation tasks (MSE after 5 steps) and reported on ``test_tasks`` test tasks
    that no choice sees (the same tasks in both regimes). Seed s starts from the same θ and sees
    the same training-task stream in every cell of a regime, so the differences between its
    cells are paired.
    """

    hidden: int = 64
    activation: str = "tanh"
    alpha: float = 0.02
    inner_steps: int = 5
    support: int = 50
    batch_size: int = 10
    query: int = 10
    meta_batch: int = 5
    iterations: int = 30_000
    schedule: str = "linear"
    k_shot: int = 10
    eval_query: int = 50
    eval_steps: tuple[int, ...] = (5, 10, 32)
    val_tasks: int = 300
    test_tasks: int = 1000
    seeds: int = 10
    betas: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: {
            "reptile": (0.1, 0.3, 1.0, 2.0, 4.0),
            "fomaml": (0.001, 0.003, 0.01, 0.03),
        }
    )
    weightings: tuple[str, ...] = SINE_WEIGHTINGS
    amplitude: tuple[float, float] = (0.1, 5.0)
    phase: tuple[float, float] = (0.0, 2 * math.pi)

    @classmethod
    def quick(cls) -> SineStudy:
        """A smoke test of the whole pipeline in seconds (not evidence)."""
        return cls(
            iterations=100, seeds=2, val_tasks=30, test_tasks=50,
            betas={"reptile": (0.3, 1.0), "fomaml": (0.003, 0.01)},
        )  # fmt: skip

    @classmethod
    def k_shot_regime(cls, **changes: Any) -> SineStudy:
        """The paper's literal k-shot regime: 10 support points, the whole set at every inner
        step, for FOMAML. 10 000 meta-iterations (a third of the minibatch regime's 30 000, to
        fit the grid into an hour on one core) and a β0 grid that brackets FOMAML's optimum and
        reaches the step sizes at which it diverges."""
        settings: dict[str, Any] = {
            "support": 10, "batch_size": None, "iterations": 10_000,
            "betas": {"fomaml": (0.01, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3)},
        }  # fmt: skip
        return cls(**{**settings, **changes})

    @property
    def regime(self) -> str:
        """``"minibatch"`` (a block of ``batch_size`` support points per inner step) or
        ``"k-shot"`` (every support point at every step)."""
        return "k-shot" if self.batch_size is None else "minibatch"

    @property
    def inner_data(self) -> str:
        """What one inner step sees, e.g. 'minibatch 10 of 50' or 'full batch of 10'."""
        if self.batch_size is None:
            return f"full batch of {self.support}"
        return f"minibatch {self.batch_size} of {self.support}"

    @property
    def model(self) -> gc.MLPModel:
        return gc.MLPModel(self.hidden, self.activation)

    def sample(self, rng: np.random.Generator, n: int, k: int, q: int) -> gt.TaskBatch:
        return gt.sample_sine_tasks(rng, n, k, q, amplitude=self.amplitude, phase=self.phase)

    def training_batch(self, rng: np.random.Generator) -> gt.TaskBatch:
        return self.sample(rng, self.meta_batch, self.support, self.query)

    def held_out(self, split: str) -> gt.TaskBatch:
        """``"val"`` tasks choose each method's β0; ``"test"`` tasks report the result."""
        n = self.val_tasks if split == "val" else self.test_tasks
        rng = np.random.default_rng([SINE_ID, 10**6, ("val", "test").index(split)])
        return self.sample(rng, n, self.k_shot, self.eval_query)

    def cells(self) -> list[tuple[str, str, float]]:
        """Every (algorithm, weighting, β0) of the grid."""
        return [(a, w, b) for a, grid in self.betas.items() for w in self.weightings for b in grid]

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> SineStudy:
        """The study whose settings ``sine_study.json`` stored (lists back to tuples)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in stored.items()})

    def learned(self, mse: float) -> bool:
        """A run learned something if its MSE is finite and no worse than predicting 0; one
        that did not has *blown up*, and a mean over seeds would say nothing about the rest."""
        return math.isfinite(mse) and mse <= self.zero_predictor_mse()

    def summary(self, mse: Sequence[float]) -> tuple[float, float, int]:
        """(centre, 95% CI half-width, seeds that blew up) of one cell's MSE over seeds: the
        mean ± CI where every seed :meth:`learned`, else the median and no interval. Where half
        the seeds or more blew up, the median is (or averages in) a run that blew up, not a
        number worth printing: the centre is then inf."""
        blown = sum(not self.learned(v) for v in mse)
        if 2 * blown >= len(mse):
            return math.inf, math.nan, blown
        if blown:
            return float(np.median(mse)), math.nan, blown
        return *gs.mean_ci(mse)[:2], 0

    def zero_predictor_mse(self) -> float:
        """MSE of predicting 0 everywhere: E[a² sin²(x+φ)] = E[a²]/2 for a ~ U[lo, hi]."""
        lo, hi = self.amplitude
        return (lo * lo + lo * hi + hi * hi) / 3.0 / 2.0


SINE_METHOD = ("regime", "algorithm", "weighting")  # one sine method: the keys of its rows


def sine_studies(quick: bool = False) -> tuple[SineStudy, ...]:
    """The sine study's regimes: Reptile and FOMAML in the minibatch regime
    (:class:`SineStudy`), FOMAML in the k-shot regime (:meth:`SineStudy.k_shot_regime`).
    ``quick=True``: the smoke-test versions (:meth:`SineStudy.quick`)."""
    if quick:
        mini = SineStudy.quick()
        return mini, SineStudy.k_shot_regime(**{**asdict(mini), "support": 10, "batch_size": None,
                                         "betas": {"fomaml": (0.03, 0.1)}})  # fmt: skip
    return SineStudy(), SineStudy.k_shot_regime()


def tuned_sine_betas(records: Sequence[dict]) -> dict[tuple[str, str, str], float]:
    """Each sine method's β0 chosen on the validation tasks (:func:`gaml_stats.tune`: lowest
    mean ``val_mse_5``, no diverged seed), keyed (regime, algorithm, weighting), in the order
    of :data:`SINE_GROUPS` × uniform, GA, cosine."""
    found = gs.tune(records, SINE_METHOD, "beta0", "val_mse_5")
    order = [(r, a, w) for r, a in SINE_GROUPS for w in SINE_WEIGHTINGS]
    return {key: found[key] for key in order if key in found}


def more_malloc_headroom() -> None:
    """Let the process keep freed memory (glibc only; elsewhere nothing happens).

    Training allocates arrays of about 1 MB thousands of times a second; by default glibc hands
    each back to the system and the next allocation page-faults on every 4 KB (measured here:
    the gradient of 50 stacked tasks took 2.1 ms instead of 0.64 ms). Results do not change.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    for option, value in ((-1, 1 << 30), (-2, 1 << 28), (-3, 1 << 28)):  # trim, top pad, mmap
        libc.mallopt(option, value)


class _AllDiverged(Exception):
    """Raised from inside :func:`gaml_core.train` once every seed of a cell has diverged."""


def run_sine_cell(study: SineStudy, algorithm: str, weighting: str, beta0: float) -> dict:
    """Train one (algorithm, weighting, β0) cell of ``study``, all seeds at once, and score every
    seed.

    Returns ``rows`` (one dict per seed: the regime and settings, ``diverged``,
    ``mean_weight_sum`` (the mean over training of Σ_i w_i, the factor by which the weighting
    scales the step), ``val_mse_5`` and ``mse_<t>`` for t in ``eval_steps``; inf where the run
    diverged), ``seconds`` (training wall time) and ``theta_seed0`` (the first seed's learned
    initialisation). Training stops early once every seed has diverged (θ no longer finite).
    """
    model, seeds = study.model, range(study.seeds)
    inits = np.stack([model.init(np.random.default_rng([SINE_ID, s, 0])) for s in seeds])
    rngs = [np.random.default_rng([SINE_ID, s, 1]) for s in seeds]
    weight_sums = np.zeros(study.seeds)

    def record(t: int, batch: object, theta: np.ndarray, info: dict) -> None:
        weight_sums[:] += info["weights"].sum(axis=-1) / study.iterations
        if np.isnan(theta).all():
            raise _AllDiverged

    start = time.perf_counter()
    try:
        thetas, _ = gc.train(
            inits, study.training_batch, rngs, study.iterations, study.alpha, beta0, algorithm,
            weighting, study.inner_steps, model, schedule=study.schedule,
            batch_size=study.batch_size, on_step=record, history=False,
        )  # fmt: skip
    except _AllDiverged:
        thetas = np.full_like(inits, np.nan)
    seconds = time.perf_counter() - start
    val, test = study.held_out("val"), study.held_out("test")
    rows = []
    for s, theta in zip(seeds, thetas, strict=True):
        row = {
            "regime": study.regime, "algorithm": algorithm, "weighting": weighting,
            "beta0": beta0, "seed": s, "meta_batch": study.meta_batch,
            "iterations": study.iterations, "activation": study.activation,
            "inner_data": study.inner_data, "diverged": not np.isfinite(theta).all(),
            "mean_weight_sum": float(weight_sums[s]),
        }  # fmt: skip
        if row["diverged"]:
            row["val_mse_5"] = math.inf
            row.update({f"mse_{t}": math.inf for t in study.eval_steps})
        else:
            val_loss = gc.evaluate(theta, val, study.alpha, 5, model)["loss"]
            row["val_mse_5"] = float(val_loss[5].mean())
            loss = gc.evaluate(theta, test, study.alpha, max(study.eval_steps), model)["loss"]
            row.update({f"mse_{t}": float(loss[t].mean()) for t in study.eval_steps})
        rows.append(row)
    return {"rows": rows, "seconds": seconds, "theta_seed0": thetas[0]}


def _run_sine_cell(args: tuple) -> dict:
    return run_sine_cell(*args)


def sine_cell_name(regime: str, algorithm: str, weighting: str, beta0: float) -> str:
    """'k-shot_fomaml_agreement_0.1': the name of a cell in the timings and the θ cache."""
    return f"{regime}_{algorithm}_{weighting}_{beta0:g}"


def _plain(value: Any) -> Any:
    """JSON's view of a value (tuples become lists), to compare stored and current settings."""
    return json.loads(json.dumps(value))


def _study_settings(study: SineStudy) -> dict[str, Any]:
    """Everything that decides a cell's numbers except the β0 grid."""
    return _plain({k: v for k, v in asdict(study).items() if k != "betas"})


def _read_sine_meta(path: Path) -> dict[str, Any]:
    """``sine_study.json`` (:func:`gaml_results.read_sine_meta`), or an empty one."""
    if not path.exists():
        return {"studies": {}, "runs": [], "train_seconds": {}}
    return read_sine_meta(path.parent)


def _read_sine_rows(path: Path) -> list[dict[str, str]]:
    """The rows of ``sine_study.csv`` as written (strings); rows from before the regimes get
    ``regime`` = minibatch."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [{"regime": "minibatch", **row} for row in csv.DictReader(f)]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _write_sine_rows(path: Path, rows: Sequence[dict]) -> None:
    """All rows, sorted by regime, algorithm, weighting, β0 and seed, columns in run order."""
    rows = sorted(rows, key=lambda r: (r["regime"], r["algorithm"], r["weighting"],
                                       float(r["beta0"]), int(r["seed"])))  # fmt: skip
    fields = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(buffer.getvalue().encode("utf-8"))
    tmp.replace(path)


def run_sine_study(
    studies: SineStudy | Sequence[SineStudy], out_dir: Path, workers: int = 2,
    progress: bool = True, cache_dir: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Every cell of ``studies`` (one :class:`SineStudy` per regime) on ``workers`` processes.

    Writes into ``out_dir`` ``sine_study.csv`` (one row per regime, algorithm, weighting, β0 and
    seed) and ``sine_study.json`` (each regime's settings, the training time of every cell and
    the wall time of every invocation), and seed 0's learned θ of every cell as
    ``<cell name>.npy`` into ``cache_dir`` (default ``out_dir/sine_thetas``). Each cell is
    written as soon as it finishes, and a cell whose rows are already there, trained with the
    same settings, is not run again: an interrupted study resumes where it stopped. Rows of a
    regime whose settings changed are dropped and trained again; rows of regimes that are not
    in ``studies`` are kept as they are. Returns the JSON's content, plus ``"wall_seconds"``
    and ``"cells_run"`` of this invocation.
    """
    studies = (studies,) if isinstance(studies, SineStudy) else tuple(studies)
    csv_path, json_path = out_dir / SINE_STUDY_FILES[0], out_dir / SINE_STUDY_FILES[1]
    cache = out_dir / "sine_thetas" if cache_dir is None else Path(cache_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    meta = _read_sine_meta(json_path)
    stored, rows = meta["studies"], _read_sine_rows(csv_path)
    grids = {st.regime: {sine_cell_name(st.regime, *c) for c in st.cells()} for st in studies}
    for st in studies:
        before = stored.get(st.regime)  # (fields it lacks had their present defaults)
        if before is not None and _study_settings(SineStudy.from_stored(before)) != (
            _study_settings(st)
        ):
            rows = [r for r in rows if r["regime"] != st.regime]  # its settings changed
        stored[st.regime] = _plain(asdict(st))

    def name(row: dict) -> str:
        return sine_cell_name(row["regime"], row["algorithm"], row["weighting"],
                              float(row["beta0"]))  # fmt: skip

    rows = [r for r in rows if r["regime"] not in grids or name(r) in grids[r["regime"]]]
    counts: dict[str, int] = {}
    for r in rows:
        counts[name(r)] = counts.get(name(r), 0) + 1
    todo = [(st, *c) for st in studies for c in st.cells()
            if counts.get(sine_cell_name(st.regime, *c)) != st.seeds]  # fmt: skip
    redo = {sine_cell_name(st.regime, *c) for st, *c in todo}
    rows = [r for r in rows if name(r) not in redo]  # a partly written cell is trained again
    kept = {name(r) for r in rows}
    meta["train_seconds"] = {k: v for k, v in meta["train_seconds"].items() if k in kept}

    def save() -> None:
        if rows:
            _write_sine_rows(csv_path, rows)
        _write_atomic(json_path, json.dumps(meta, indent=1))

    save()
    start = time.perf_counter()
    if todo:
        with multiprocessing.get_context("fork").Pool(workers, more_malloc_headroom) as pool:
            jobs = pool.imap_unordered(_run_sine_cell, todo)
            for res in tqdm(jobs, total=len(todo), desc="sine cells", disable=not progress):
                cell = name(res["rows"][0])
                np.save(cache / f"{cell}.npy", res["theta_seed0"])
                rows.extend(res["rows"])
                meta["train_seconds"][cell] = res["seconds"]
                save()
    wall = time.perf_counter() - start
    if todo:
        regimes = sorted({st.regime for st, *_ in todo})
        meta["runs"].append({"regimes": regimes, "cells": len(todo), "wall_seconds": wall,
                             "workers": workers})  # fmt: skip
        save()
    return {**meta, "wall_seconds": wall, "cells_run": len(todo)}


def cached_sine_theta(cache_dir: Path, regime: str, algorithm: str, weighting: str,
                      beta0: float) -> np.ndarray | None:  # fmt: skip
    """Seed 0's learned θ of one cell from :func:`run_sine_study`'s cache, or None."""
    path = Path(cache_dir) / f"{sine_cell_name(regime, algorithm, weighting, beta0)}.npy"
    return np.load(path) if path.exists() else None


# --- Why FOMAML diverges in the minibatch regime: an instrumented run -------------------------


class _Stop(Exception):
    """Raised from inside :func:`gaml_core.train` to end a traced run early."""


def _fd_hvp(model: gc.Model, thetas: np.ndarray, X: np.ndarray, y: np.ndarray,
            v: np.ndarray) -> np.ndarray:  # fmt: skip
    """H(θ) v of the loss on (X, y) by central differences of the gradient (the MLP has no
    Hessian-vector product; the step is ~1e-5 of θ's scale, so the relative error is ~1e-8)."""
    scale = np.maximum(np.abs(thetas).max(axis=-1, keepdims=True), 1.0)
    eps = 1e-5 * scale / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-300)
    plus = model.loss_and_grad(thetas + eps * v, X, y)[1]
    minus = model.loss_and_grad(thetas - eps * v, X, y)[1]
    return (plus - minus) / (2 * eps)


def meta_gradient_probe(study: SineStudy, theta: np.ndarray, tasks: gt.TaskBatch) -> dict:
    """At θ, on probe tasks of ``study``'s training regime: FOMAML's meta-gradient and the exact
    (second-order) one, dL_q(θ')/dθ = (I − αH_0) ⋯ (I − αH_{T−1}) ∇L_q(θ') (the Hessians of each
    inner step's batch, by :func:`_fd_hvp`), averaged over the tasks; and the curvature the inner
    loop meets: α times the largest-magnitude eigenvalue of the first inner batch's Hessian at θ
    (power iteration, 20 products), median over the tasks. α|λ| > 2 makes an inner SGD step
    unstable along that direction; a negative λ makes it grow for any α. ``w3_push_fo`` /
    ``w3_push_exact``: how fast a descent step along each meta-gradient changes ‖W3‖, the length
    of the output weights (−g·W3/‖W3‖; positive: it grows)."""
    model, alpha, steps, bs = study.model, study.alpha, study.inner_steps, study.batch_size
    X_tr, y_tr, X_q, y_q = tasks.X_train, tasks.y_train, tasks.X_test, tasks.y_test
    thetas = np.broadcast_to(theta, (X_tr.shape[0], theta.shape[-1]))
    with np.errstate(all="ignore"):
        path = gc.inner_loop(model, thetas, X_tr, y_tr, alpha, steps, bs)
        first = model.loss_and_grad(path[-1], X_q, y_q)[1]
        exact = first.copy()
        for t in reversed(range(steps)):
            X_t, y_t = gc._step_batch(X_tr, y_tr, t, bs)
            exact = exact - alpha * _fd_hvp(model, path[t], X_t, y_t, exact)
        X_0, y_0 = gc._step_batch(X_tr, y_tr, 0, bs)
        v = np.random.default_rng(0).normal(size=thetas.shape)
        lam = np.zeros(len(v))
        for _ in range(20):
            v = v / np.linalg.norm(v, axis=-1, keepdims=True)
            hv = _fd_hvp(model, thetas, X_0, y_0, v)
            lam, v = np.sum(v * hv, axis=-1), hv
        g_fo, g_ex = first.mean(axis=0), exact.mean(axis=0)
        cos = float(g_fo @ g_ex / (np.linalg.norm(g_fo) * np.linalg.norm(g_ex)))
        h = study.hidden  # W3 is θ[2h + h² + h : 2h + h² + 2h]
        w3 = np.zeros_like(theta)
        w3[3 * h + h * h : 4 * h + h * h] = theta[3 * h + h * h : 4 * h + h * h]
        w3 /= max(float(np.linalg.norm(w3)), 1e-300)
    return {
        "w3_push_fo": float(-g_fo @ w3), "w3_push_exact": float(-g_ex @ w3),
        "loss_before": float(model.loss(thetas, X_q, y_q).mean()),
        "loss_after": float(model.loss(path[-1], X_q, y_q).mean()),
        "cos_fo_exact": cos, "norm_fo": float(np.linalg.norm(g_fo)),
        "norm_exact": float(np.linalg.norm(g_ex)),
        "alpha_lambda": float(np.median(alpha * lam)),
        "alpha_abs_lambda": float(np.median(np.abs(alpha * lam))),
    }  # fmt: skip


SCAN_FACTORS = (0.0, 0.5, 1.0, 1.5, 2.0)


def _output_scale_scan(study: SineStudy, theta: np.ndarray, tasks: gt.TaskBatch, start: int,
                       end: int) -> dict[str, list[float]]:  # fmt: skip
    """Query MSE before and after the inner loop with θ[start:end] (W3) scaled by each of
    :data:`SCAN_FACTORS`."""
    out: dict[str, list[float]] = {"scan_factors": list(SCAN_FACTORS), "scan_before": [],
                                   "scan_after": []}  # fmt: skip
    model, X, y, Xq, yq = study.model, tasks.X_train, tasks.y_train, tasks.X_test, tasks.y_test
    for c in SCAN_FACTORS:
        scaled = theta.copy()
        scaled[start:end] *= c
        thetas = np.broadcast_to(scaled, (X.shape[0], scaled.size))
        with np.errstate(all="ignore"):
            steps = (study.alpha, study.inner_steps, study.batch_size)
            adapted = gc.inner_loop(model, thetas, X, y, *steps)[-1]
            out["scan_before"].append(float(model.loss(thetas, Xq, yq).mean()))
            out["scan_after"].append(float(model.loss(adapted, Xq, yq).mean()))
    return out


FOMAML_TRACES = (("minibatch", 0.03), ("minibatch", 0.1), ("k-shot", 0.1))  # (regime, β0)


def trace_fomaml(
    study: SineStudy, beta0: float, weighting: str = "uniform", seed: int = 0,
    iterations: int = 3000, every: int = 50, probe_tasks: int = 200, scan_at: int = 1000,
) -> dict[str, Any]:  # fmt: skip
    """The first ``iterations`` meta-steps of one FOMAML cell of ``study`` (the very runs of
    :func:`run_sine_cell`: all seeds at once, β annealed over ``study.iterations``), instrumented.

    Every ``every`` iterations, seed ``seed``'s θ is probed (:func:`meta_gradient_probe`) on
    ``probe_tasks`` fixed tasks of the training regime: query MSE before and after the inner
    loop, the cosine and norms of FOMAML's and the exact meta-gradient, α·λ of the first inner
    batch, and ‖θ‖ per layer. ``blowup_iteration``: per seed, the first iteration at which ‖θ‖
    exceeded 1000 or stopped being finite (−1: not within ``iterations``). ``scan``: at
    iteration ``scan_at``, the probe tasks' query MSE before and after the inner loop with the
    output weights W3 scaled by each of ``scan_factors`` (does the meta-objective reward a
    larger output scale, a sharper start for the inner loop?).
    """
    model, seeds = study.model, range(study.seeds)
    inits = np.stack([model.init(np.random.default_rng([SINE_ID, s, 0])) for s in seeds])
    rngs = [np.random.default_rng([SINE_ID, s, 1]) for s in seeds]
    probe = study.sample(np.random.default_rng([SINE_ID, 10**6, 7]), probe_tasks, study.support,
                         study.query)  # fmt: skip
    h = study.hidden
    ends = np.cumsum([h, h, h * h, h, h, 1])
    layers = ("W1", "b1", "W2", "b2", "W3", "b3")
    blowup = np.full(study.seeds, -1)
    trace: dict[str, list] = {"iteration": []}
    scan: dict[str, Any] = {}

    def look(t: int, theta: np.ndarray) -> None:
        if not np.linalg.norm(theta) <= 1e3:  # blown up (or not finite): nothing left to probe
            return
        norms = {f"norm_{n}": float(np.linalg.norm(theta[s:e]))
                 for n, s, e in zip(layers, [0, *ends[:-1]], ends, strict=True)}  # fmt: skip
        row = {**meta_gradient_probe(study, theta, probe), **norms}
        trace["iteration"].append(t)
        for key, value in row.items():
            trace.setdefault(key, []).append(value)
        if t == scan_at:
            scan.update(_output_scale_scan(study, theta, probe, ends[3], ends[4]))

    look(0, inits[seed])

    def step(t: int, batch: object, theta: np.ndarray, info: dict) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~(np.linalg.norm(theta, axis=-1) <= 1e3)
            blowup[(blowup < 0) & bad] = t + 1
            if (t + 1) % every == 0:
                look(t + 1, theta[seed])
        if t + 1 >= iterations or (blowup >= 0).all():
            raise _Stop

    try:
        gc.train(
            inits, study.training_batch, rngs, study.iterations, study.alpha, beta0, "fomaml",
            weighting, study.inner_steps, model, schedule=study.schedule,
            batch_size=study.batch_size, on_step=step, history=False,
        )  # fmt: skip
    except _Stop:
        pass
    return {"regime": study.regime, "inner_data": study.inner_data, "beta0": beta0,
            "weighting": weighting, "seed": seed, "every": every, "probe_tasks": probe_tasks,
            "blowup_iteration": blowup.tolist(), "scan_at": scan_at, **scan,
            **trace}  # fmt: skip


def run_fomaml_traces(quick: bool = False) -> dict[str, Any]:
    """:func:`trace_fomaml` for every (regime, β0) of :data:`FOMAML_TRACES` (quick: 60
    iterations, 20 probe tasks)."""
    studies = {st.regime: st for st in sine_studies(quick)}
    kwargs = {"iterations": 60, "every": 20, "probe_tasks": 20, "scan_at": 40} if quick else {}
    traces = [trace_fomaml(studies[regime], beta0, **kwargs) for regime, beta0 in FOMAML_TRACES]
    return {"meta": {"experiment": "FOMAML on sines, instrumented (gaml_runs.trace_fomaml)",
                     "settings": kwargs or {"iterations": 3000, "every": 50, "probe_tasks": 200,
                                            "scan_at": 1000}},
            "records": traces}  # fmt: skip


LOGISTIC_BETAS = (0.03125, 0.0625, 0.125, 0.25, 0.5, 1.0, 2.0)


def logistic_configs(quick: bool = False) -> list[LogisticConfig]:
    """Every cell of the logistic experiment: 10 settings × 3 algorithms × 3 weightings × the
    β grid :data:`LOGISTIC_BETAS`.

    The clean setting (fraction 0) is run once and shared by the three kinds of disagreement.
    ``quick=True`` keeps every cell, two β, 40 iterations, 50 test and 50 validation tasks.
    """
    extra = {"iterations": 40, "eval_tasks": 50, "val_tasks": 50} if quick else {}
    betas = LOGISTIC_BETAS[3:5] if quick else LOGISTIC_BETAS
    settings = [("none", 0.0)] + [
        (kind, frac) for kind in LOGISTIC_KINDS for frac in LOGISTIC_FRACTIONS if frac > 0
    ]
    return [
        LogisticConfig(alg, w, kind, frac, beta=beta, **extra)
        for kind, frac in settings
        for alg in LOGISTIC_ALGORITHMS
        for w in LOGISTIC_WEIGHTINGS
        for beta in betas
    ]


def _setting_index(text: str) -> int:
    """A stable integer for a setting name (CRC-32: the same on every machine and run)."""
    return zlib.crc32(text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# 2. Runs: one configuration, one seed
# ---------------------------------------------------------------------------------------------


def _train(
    config: LogisticConfig,
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

    * ``val_acc_after``: the same on the validation tasks (it chooses β, nothing else);
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
    val = gc.evaluate(theta, config.held_out_tasks(seed, "val"), config.alpha, config.inner_steps)
    mean = family.mean
    return {
        **asdict(config),
        "seed": int(seed),
        "n_disagreeing": config.n_disagreeing,
        "acc_after": float(scores["accuracy"][-1].mean()),
        "val_acc_after": float(val["accuracy"][-1].mean()),
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


CURVE_FRACTION = 0.25  # the weight-over-time curves are kept for this fraction only
CURVE_KEYS = ("curve_weight_disagreeing", "curve_weight_agreeing")


def run_logistic_job(job: tuple[LogisticConfig, int]) -> dict[str, Any]:
    """:func:`run_logistic_seed` for a process pool: ``job`` is (config, seed); the curves are
    kept only at :data:`CURVE_FRACTION`."""
    config, seed = job
    rec = run_logistic_seed(config, seed)
    if config.disagree_frac != CURVE_FRACTION:
        rec = {k: v for k, v in rec.items() if k not in CURVE_KEYS}
    return rec


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
    Reptile, and the sine study's tanh MLP (4353 parameters, 5 tasks of 10 points, 5 inner
    steps) for FOMAML and Reptile. Each repeat times ``number`` calls of each weighting in
    turn (interleaved, so a slow moment of a shared machine hits all weightings alike); the
    best repeat is kept.
    Also timed: the weight computation alone on that step's update vectors.
    """
    lc, sc = LogisticConfig(), SineStudy()
    rng = np.random.default_rng([0, OVERHEAD_ID])
    fam = gt.LogisticTaskFamily.create(
        rng, lc.dim, lc.norm, lc.spread, disagree_frac=0.25, disagreement="flip"
    )
    log_batch = fam.sample(rng, lc.meta_batch, lc.k_shot, lc.q_query)
    log_theta = 0.3 * fam.mean
    model = sc.model
    sine_batch = sc.sample(rng, sc.meta_batch, sc.k_shot, sc.query)
    sine_theta = model.init(rng)
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
