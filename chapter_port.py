"""The chapter's GA-MAML program, ported to Python 3 (its behaviour, not its text).

Chapter 8 of *Hands-On Meta Learning with Python* (S. Ravichandiran, Packt 2018) ends with a
NumPy program, class ``GradientAgreement_MAML``, that meta-trains a single-layer logistic
network with gradient-agreement weights (Eshratifar, Eigen & Pedram 2018, arXiv 1810.08178).
This module reproduces what that program *does*, step by step, with three changes of form:

* it is Python 3 and uses a ``numpy.random.Generator`` instead of the global ``np.random``;
* parameters are 1-D vectors (length d = 50) instead of (50, 1) columns, so inner products
  are plain floats (the column version no longer runs on current NumPy, see
  :func:`chapter_weight_loop_verbatim`);
* every defect of the program can be switched off one at a time through :class:`Fixes`.

Notation as in ``gaml_core``: θ the meta-parameters, task i has a support (train) set
(X_i, y_i) of k points and a query (test) set (X'_i, y'_i) of q points, α and β the inner and
outer step sizes, θ'_i = θ − α ∇L_i^train(θ), g_i = θ − θ'_i.

With :meth:`Fixes.all_fixed` one epoch of :func:`chapter_epoch` is exactly
``gaml_core.meta_step(..., algorithm="fomaml", weighting="agreement")`` (the chapter's
meta-gradient is first order: it ignores the Hessian of the inner step).

The loops here (the weight double loop, the one inner step of every task, the epoch loop) are
the program's own, written out on purpose to mirror it; :mod:`gaml_core` has the vectorised
versions the rest of the course uses. The figures notebook 05 draws from these numbers are in
:mod:`gaml_plots`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

import gaml_core as gc
import gaml_tasks as gt

__all__ = [
    "CHAPTER_PRINT_LINE",
    "ChapterGAMAML",
    "EpochInfo",
    "Fixes",
    "chapter_epoch",
    "chapter_loss",
    "chapter_weight_loop_verbatim",
    "chapter_weights",
    "compare_programs",
    "expected_curve",
    "heldout_curve",
    "init_theta",
    "loss_at",
    "sample_points",
    "survey_seeds",
    "syntax_error_of",
]

#: One of the chapter's Python 2 print statements (the syntax, not a quotation of its text).
CHAPTER_PRINT_LINE = 'print "Epoch {}: Loss {}".format(e, loss)'


# ---------------------------------------------------------------------------------------------
# Data and model: the chapter's sample_points, its initialisation and its loss
# ---------------------------------------------------------------------------------------------


def sample_points(rng: np.random.Generator, k: int, dim: int = 50) -> tuple[np.ndarray, ...]:
    """Reproduces ``sample_points(k)``: k inputs x ~ U[0, 1]^50 and fair-coin labels.

    The labels are drawn independently of the inputs (a coin with p = 0.5 per point), so a
    task carries no relation between x and y to learn. Returns ``x`` (k, dim), ``y`` (k,).
    """
    x = rng.random((k, dim))
    y = rng.choice([0.0, 1.0], size=k, p=[0.5, 0.5])
    return x, y


def init_theta(rng: np.random.Generator, dim: int = 50) -> np.ndarray:
    """Reproduces the constructor's ``theta ~ N(0, 1)`` of 50 entries (a 1-D vector here)."""
    return rng.normal(size=dim)


def chapter_loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Reproduces the program's cross-entropy ``(−yᵀ log ŷ − (1−y)ᵀ log(1−ŷ)) / k``.

    Computed in the overflow-free form of ``gaml_core.logistic_loss``; the value is the same
    whenever the chapter's literal formula is finite.
    """
    return gc.logistic_loss(theta, X, y)


# ---------------------------------------------------------------------------------------------
# The weights
# ---------------------------------------------------------------------------------------------


def chapter_weights(updates: np.ndarray, normalization: str = "chapter") -> np.ndarray:
    """Reproduces the program's weight double loop (with float inner products).

    ``normalization="chapter"`` (as published)::

        w_i = Σ_j g_iᵀg_j / Σ_i Σ_j |g_iᵀg_j|

    ``normalization="paper"`` (the fix, Eshratifar et al. 2018)::

        w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|

    ``updates`` is (n, p), one g_i per row. Written as loops on purpose, to mirror the
    program; ``gaml_core.agreement_weights`` is the vectorised version.
    """
    if normalization not in ("chapter", "paper"):
        raise ValueError(f"normalization must be 'chapter' or 'paper', got {normalization!r}")
    g = np.asarray(updates, dtype=np.float64)
    n = g.shape[0]
    sums = np.zeros(n)
    for i in range(n):
        for j in range(n):
            sums[i] += float(np.dot(g[i], g[j]))
    if normalization == "chapter":
        normalization_factor = sum(
            abs(float(np.dot(g[i], g[j]))) for i in range(n) for j in range(n)
        )
    else:
        normalization_factor = float(np.abs(sums).sum())
    return sums / normalization_factor


def chapter_weight_loop_verbatim(updates: np.ndarray) -> np.ndarray:
    """Reproduces the weight loop on (p, 1) column vectors, the way the program stores g_i.

    There ``np.dot(g[i].T, g[j])`` is a (1, 1) array, not a number, and it is added into the
    float slot ``w[i]`` of ``w = np.zeros(n)``. Old NumPy converted the (1, 1) array silently;
    NumPy 1.25 deprecated that conversion and the NumPy 2.4 this course pins refuses it
    (``ValueError: setting an array element with a sequence.``). This function does what the
    program does, so it raises there.
    """
    g = [np.asarray(row, dtype=np.float64).reshape(-1, 1) for row in updates]
    n = len(g)
    normalization_factor = 0
    for i in range(n):
        for j in range(n):
            normalization_factor += np.abs(np.dot(g[i].T, g[j]))
    w = np.zeros(n)
    for i in range(n):
        for j in range(n):
            w[i] += np.dot(g[i].T, g[j])
        w[i] = w[i] / normalization_factor
    return w


# ---------------------------------------------------------------------------------------------
# One epoch with switchable fixes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixes:
    """Which of the program's defects to repair (all ``False``/published by default).

    * ``fix_scalar_sum``: the program adds ``np.sum(w_i * meta_gradient)`` — ONE number — to
      every entry of the weighted gradient. Fixed: add the vector w_i ∇L_i^test(θ'_i).
    * ``normalization``: ``"chapter"`` Σ_i Σ_j |g_iᵀg_j| (published) or ``"paper"``
      Σ_k |Σ_j g_kᵀg_j| (fixed).
    * ``fix_double_division``: the program divides the weighted gradient by n although the
      weights are already normalised. Fixed: no second division.
    * ``report``: ``"published"`` prints the last task's training loss at θ before its inner
      step; ``"heldout"`` prints the mean query loss after one inner step on a fixed set of
      held-out tasks (needs ``heldout`` in :meth:`ChapterGAMAML.train`).
    """

    fix_scalar_sum: bool = False
    normalization: str = "chapter"
    fix_double_division: bool = False
    report: str = "published"

    def __post_init__(self) -> None:
        if self.normalization not in ("chapter", "paper"):
            raise ValueError(
                f"normalization must be 'chapter' or 'paper', got {self.normalization!r}"
            )
        if self.report not in ("published", "heldout"):
            raise ValueError(f"report must be 'published' or 'heldout', got {self.report!r}")

    @classmethod
    def all_fixed(cls) -> Fixes:
        return cls(True, "paper", True, "heldout")


@dataclass
class EpochInfo:
    """What one epoch computed: weights w (n,), updates g (n, p), the step added to θ (p,),
    the per-task training losses at θ (n,) and the value the program prints."""

    weights: np.ndarray
    updates: np.ndarray
    step: np.ndarray
    train_losses: np.ndarray
    printed_loss: float


def chapter_epoch(
    theta: np.ndarray,
    tasks: gt.TaskBatch | Sequence[np.ndarray],
    alpha: float,
    beta: float,
    fixes: Fixes | None = None,
) -> tuple[np.ndarray, EpochInfo]:
    """Reproduces one pass of the program's ``for e in range(self.epochs)`` body.

    ``tasks`` is ``(X_train (n,k,d), y_train (n,k), X_test (n,q,d), y_test (n,q))``.

    1. For each task: training loss at θ; gradient ∇L_i^train(θ) = X_iᵀ(σ(X_iθ) − y_i)/k;
       θ'_i = θ − α ∇L_i^train(θ); g_i = θ − θ'_i.
    2. Weights from the double loop (:func:`chapter_weights`).
    3. For each task: meta-gradient ∇L_i^test(θ'_i) = X'_iᵀ(σ(X'_iθ'_i) − y'_i)/q (first
       order; the program divides by ``num_samples``, which equals its hard-coded q = 10),
       accumulated as ``np.sum(w_i * meta_gradient)`` (published) or ``w_i * meta_gradient``.
    4. θ ← θ − β · weighted_gradient / n (published) or θ − β · weighted_gradient (fixed).

    The printed value (published) is the training loss of the LAST task at θ, before its
    inner step: the variable ``loss`` left over from the task loop.
    """
    fixes = Fixes() if fixes is None else fixes
    X_train, y_train, X_test, y_test = (np.asarray(a, dtype=np.float64) for a in tasks)
    n = X_train.shape[0]
    theta = np.asarray(theta, dtype=np.float64)
    adapted, updates, train_losses = [], [], []
    for i in range(n):  # the program's inner loop: one step per task, task by task (on purpose)
        train_losses.append(chapter_loss(theta, X_train[i], y_train[i]))
        gradient = gc.logistic_grad(theta, X_train[i], y_train[i])
        adapted.append(theta - alpha * gradient)
        updates.append(theta - adapted[i])
    weights = chapter_weights(np.array(updates), fixes.normalization)
    weighted_gradient = np.zeros_like(theta)
    for i in range(n):
        meta_gradient = gc.logistic_grad(adapted[i], X_test[i], y_test[i])
        if fixes.fix_scalar_sum:
            weighted_gradient += weights[i] * meta_gradient
        else:
            weighted_gradient += np.sum(weights[i] * meta_gradient)  # one number, broadcast
    divisor = 1 if fixes.fix_double_division else n
    step = -beta * weighted_gradient / divisor
    info = EpochInfo(
        weights=weights,
        updates=np.array(updates),
        step=step,
        train_losses=np.array(train_losses),
        printed_loss=train_losses[-1],
    )
    return theta + step, info


# ---------------------------------------------------------------------------------------------
# The program: class, training loop, printing
# ---------------------------------------------------------------------------------------------


@dataclass
class ChapterGAMAML:
    """Reproduces ``GradientAgreement_MAML``: its settings, initialisation and ``train()``.

    Settings as published: 2 tasks per batch, 10 support points per task, 100 epochs,
    α = β = 1e-4, θ ~ N(0, 1) with 50 entries, query sets of 10 fresh points. Random
    numbers are drawn in the program's order: θ first; then, every epoch, the n support
    sets (one task after the other) and then the n query sets.

    After :meth:`train`, ``printed`` holds the value printed at every epoch (also those not
    shown), ``heldout`` the mean held-out query loss after one inner step at θ before every
    epoch and at the end (when held-out tasks were given), ``thetas`` θ before every epoch
    and at the end, and ``infos`` the :class:`EpochInfo` of every epoch.
    """

    rng: np.random.Generator
    fixes: Fixes = field(default_factory=Fixes)
    num_tasks: int = 2
    num_samples: int = 10
    epochs: int = 100
    alpha: float = 1e-4
    beta: float = 1e-4
    dim: int = 50
    test_size: int = 10
    theta: np.ndarray = field(init=False)
    printed: list[float] = field(init=False, default_factory=list)
    heldout: list[float] = field(init=False, default_factory=list)
    thetas: list[np.ndarray] = field(init=False, default_factory=list)
    infos: list[EpochInfo] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.theta = init_theta(self.rng, self.dim)

    def sample_batch(self) -> gt.TaskBatch:
        """One epoch's tasks, drawn in the program's order (all support sets, then queries)."""
        train = [sample_points(self.rng, self.num_samples, self.dim) for _ in range(self.num_tasks)]
        test = [sample_points(self.rng, self.test_size, self.dim) for _ in range(self.num_tasks)]
        return gt.TaskBatch(
            np.stack([x for x, _ in train]),
            np.stack([y for _, y in train]),
            np.stack([x for x, _ in test]),
            np.stack([y for _, y in test]),
            np.zeros(self.num_tasks, dtype=bool),
        )

    def heldout_loss(self, heldout: gt.TaskBatch) -> float:
        """Mean query loss after one inner step of size α, over the held-out tasks."""
        return float(gc.evaluate(self.theta, heldout, self.alpha, steps=1)["loss"][1].mean())

    def train(self, heldout: gt.TaskBatch | None = None, verbose: bool = True) -> ChapterGAMAML:
        """Reproduces ``train()``; prints ``Epoch e: loss ...`` every 10 epochs if ``verbose``.

        With ``fixes.report == "published"`` the printed loss is the last task's training loss
        at θ before its inner step; with ``"heldout"`` it is :meth:`heldout_loss`.
        """
        if self.fixes.report == "heldout" and heldout is None:
            raise ValueError("report='heldout' needs held-out tasks: train(heldout=...)")
        for e in range(self.epochs):
            self.thetas.append(self.theta.copy())
            if heldout is not None:
                self.heldout.append(self.heldout_loss(heldout))
            batch = self.sample_batch()
            self.theta, info = chapter_epoch(self.theta, batch, self.alpha, self.beta, self.fixes)
            value = info.printed_loss if self.fixes.report == "published" else self.heldout[-1]
            self.printed.append(value)
            self.infos.append(info)
            if verbose and e % 10 == 0:
                print(f"Epoch {e}: loss {value:.4f}")
        self.thetas.append(self.theta.copy())
        if heldout is not None:
            self.heldout.append(self.heldout_loss(heldout))
        return self


# ---------------------------------------------------------------------------------------------
# Measuring what the printed number means
# ---------------------------------------------------------------------------------------------


def loss_at(theta: np.ndarray, tasks: gt.TaskBatch) -> np.ndarray:
    """The quantity the program prints, on many tasks: each task's support-set loss at θ
    (before any inner step). Returns an array (n_tasks,)."""
    thetas = np.broadcast_to(
        np.asarray(theta, dtype=np.float64), (tasks.n_tasks, tasks.X_train.shape[2])
    )
    return gc.LogisticModel().loss(thetas, tasks.X_train, tasks.y_train)


def expected_curve(
    thetas: Sequence[np.ndarray], tasks: gt.TaskBatch
) -> tuple[np.ndarray, np.ndarray]:
    """For each θ in ``thetas``: mean and standard deviation over ``tasks`` of :func:`loss_at`.

    The mean is what the printed number would be on average at that θ; the standard deviation
    is how much a single printed number scatters around it.
    """
    values = np.array([loss_at(theta, tasks) for theta in thetas])
    return values.mean(axis=1), values.std(axis=1)


def survey_seeds(
    seeds: Sequence[int], tasks: gt.TaskBatch, epochs: int = 31
) -> dict[str, np.ndarray]:
    """Run the published program ``epochs`` epochs for each seed and compare, per seed:

    * ``printed_drop``: printed value at epoch 0 minus printed value at the last epoch shown
      (epoch 30 for ``epochs=31``: the last line the book shows);
    * ``true_drop``: the same difference for the mean of :func:`loss_at` over ``tasks``;
    * ``monotone``: whether the values printed at epochs 0, 10, 20, 30, ... all fall.
    """
    printed_drop, true_drop, monotone = [], [], []
    last = 10 * ((epochs - 1) // 10)
    for seed in seeds:
        prog = ChapterGAMAML(np.random.default_rng(seed), epochs=epochs).train(verbose=False)
        shown = np.asarray(prog.printed)[::10]
        printed_drop.append(prog.printed[0] - prog.printed[last])
        true_drop.append(
            loss_at(prog.thetas[0], tasks).mean() - loss_at(prog.thetas[last], tasks).mean()
        )
        monotone.append(bool(np.all(np.diff(shown) < 0)))
    return {
        "printed_drop": np.array(printed_drop),
        "true_drop": np.array(true_drop),
        "monotone": np.array(monotone),
    }


def heldout_curve(
    theta: np.ndarray,
    sampler: Callable[[np.random.Generator], gt.TaskBatch],
    rng: np.random.Generator,
    epochs: int,
    alpha: float,
    beta: float,
    heldout: gt.TaskBatch,
    method: str = "published",
) -> np.ndarray:
    """Meta-train from θ and record the held-out query loss after one inner step of size α
    (mean over ``heldout``) before every epoch and at the end: an array (epochs + 1,).

    ``method="published"``: every epoch is :func:`chapter_epoch` with the published defects.
    ``method="meta_step"``: every epoch is ``gaml_core.meta_step`` with the paper's weights
    and the chapter's first-order meta-gradient (``algorithm="fomaml"``).
    """
    if method not in ("published", "meta_step"):
        raise ValueError(f"method must be 'published' or 'meta_step', got {method!r}")
    theta = np.asarray(theta, dtype=np.float64)
    curve = []
    for _ in range(epochs):
        curve.append(float(gc.evaluate(theta, heldout, alpha, steps=1)["loss"][1].mean()))
        batch = sampler(rng)
        if method == "published":
            theta, _ = chapter_epoch(theta, batch, alpha, beta)
        else:
            theta, _ = gc.meta_step(theta, batch, alpha, beta, "fomaml", "agreement")
    curve.append(float(gc.evaluate(theta, heldout, alpha, steps=1)["loss"][1].mean()))
    return np.array(curve)


def compare_programs(
    theta: np.ndarray,
    families: dict[str, tuple[Callable[[np.random.Generator], gt.TaskBatch], gt.TaskBatch]],
    runs: dict[str, tuple[str, float]],
    epochs: int = 100,
    seed: int = 3,
) -> dict[str, dict[str, np.ndarray]]:
    """:func:`heldout_curve` for every task family and every run, all from the same θ.

    ``families`` maps a name to ``(sampler, heldout tasks)``; ``runs`` maps a label to
    ``(method, rate)`` with α = β = rate. Every run sees the same stream of training batches
    (a fresh ``default_rng(seed)`` each). Returns ``{family: {run label: curve}}``.
    """
    return {
        name: {
            label: heldout_curve(
                theta, sampler, np.random.default_rng(seed), epochs, rate, rate, heldout, method
            )
            for label, (method, rate) in runs.items()
        }
        for name, (sampler, heldout) in families.items()
    }


# ---------------------------------------------------------------------------------------------
# Small helpers for the notebook
# ---------------------------------------------------------------------------------------------


def syntax_error_of(line: str) -> str:
    """Compile ``line`` as Python 3 source; return ``"<ErrorType>: <message>"`` or ``"ok"``."""
    try:
        compile(line, "<chapter>", "exec")
    except SyntaxError as exc:
        return f"{type(exc).__name__}: {exc.msg}"
    return "ok"
