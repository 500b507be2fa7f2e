"""Task families for the course: the chapter's tasks, structured logistic tasks, sinusoids.

Every sampler takes a ``numpy.random.Generator`` and returns a :class:`TaskBatch`, n tasks
stacked on axis 0 in the layout :mod:`gaml_core` expects::

    X_train (n, k, d), y_train (n, k), X_test (n, q, d), y_test (n, q)

(k support points and q query points per task).
``gaml_core.train`` stacks the batches of independent runs on a new leading axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

import gaml_checks as check

__all__ = [
    "DISAGREEMENTS",
    "LogisticTaskFamily",
    "TaskBatch",
    "sample_chapter_tasks",
    "sample_sine_tasks",
]

DISAGREEMENTS = ("flip", "random", "far")


@dataclass(frozen=True)
class TaskBatch:
    """n tasks stacked on axis 0; unpacks as ``X_train, y_train, X_test, y_test = batch``.

    ``disagreeing`` marks the tasks that were made to disagree with the family (for colour
    in plots); ``info`` holds the parameters that generated each task (e.g. true weights,
    amplitudes and phases).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    disagreeing: np.ndarray
    info: dict[str, np.ndarray] = field(default_factory=dict)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    def __len__(self) -> int:
        return 4

    @property
    def n_tasks(self) -> int:
        return self.X_train.shape[-3]


def sample_chapter_tasks(
    rng: np.random.Generator, n_tasks: int, k_shot: int = 10, q_query: int = 10, dim: int = 50
) -> TaskBatch:
    """The chapter's tasks: inputs x ~ U[0, 1]^dim, labels y ~ Bernoulli(1/2).

    The labels are drawn independently of the inputs, so there is nothing to learn: the best
    any θ can do on a new query set is chance (50% accuracy, loss log 2 ≈ 0.693 at θ = 0).
    """
    rng = check.generator(rng)
    n, k, q = check.counts(n_tasks=n_tasks, k_shot=k_shot, q_query=q_query)
    d = check.count(dim, "dim")
    X_train = rng.random((n, k, d))
    y_train = rng.integers(0, 2, size=(n, k)).astype(np.float64)
    X_test = rng.random((n, q, d))
    y_test = rng.integers(0, 2, size=(n, q)).astype(np.float64)
    return TaskBatch(X_train, y_train, X_test, y_test, np.zeros(n, dtype=bool))


@dataclass(frozen=True)
class LogisticTaskFamily:
    """A family of logistic-regression tasks in which meta-learning matters.

    Task i has true weights w_i = w̄ + spread · ε_i, ε_i ~ N(0, I); its inputs are
    x ~ N(0, I_d) and its labels y = 1[xᵀw_i > 0]. A learner that starts near w̄ needs few
    points to fit a new task. A fraction ``disagree_frac`` of every batch (rounded to a whole
    number of tasks, at random positions) disagrees with the family, of one ``disagreement``
    kind:

    * ``"flip"``:   labels flipped, y = 1[xᵀw_i < 0] (the task pulls towards −w̄);
    * ``"random"``: labels a fair coin, independent of x (nothing to learn);
    * ``"far"``:    true weights drawn afresh, w_i ~ N(0, (‖w̄‖²/d) I), unrelated to w̄.

    Build one with :meth:`create`; sample batches with :meth:`sample`.
    """

    mean: np.ndarray
    spread: float = 0.5
    disagree_frac: float = 0.0
    disagreement: str = "flip"

    def __post_init__(self) -> None:
        mean = check.as_array(self.mean, "mean", 1)
        if mean.shape[0] == 0:
            raise ValueError("mean must have at least one entry")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "spread", check.rate(self.spread, "spread"))
        frac = check.rate(self.disagree_frac, "disagree_frac")
        if frac > 1:
            raise ValueError(f"disagree_frac must be in [0, 1], got {frac}")
        object.__setattr__(self, "disagree_frac", frac)
        check.choice(self.disagreement, "disagreement", DISAGREEMENTS)

    @classmethod
    def create(
        cls,
        rng: np.random.Generator,
        dim: int = 20,
        norm: float = 3.0,
        spread: float = 0.5,
        disagree_frac: float = 0.0,
        disagreement: str = "flip",
    ) -> LogisticTaskFamily:
        """A family whose mean weights w̄ point in a random direction with ‖w̄‖ = ``norm``."""
        rng = check.generator(rng)
        d = check.count(dim, "dim")
        norm = check.rate(norm, "norm")
        direction = rng.normal(size=d)
        direction /= np.linalg.norm(direction)
        return cls(direction * norm, spread, disagree_frac, disagreement)

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    def clean(self) -> LogisticTaskFamily:
        """The same family with no disagreeing tasks (for evaluation)."""
        return replace(self, disagree_frac=0.0)

    def n_disagreeing(self, n_tasks: int) -> int:
        """round(disagree_frac · n_tasks), halves rounded up (0.25 of 6 tasks is 2)."""
        return math.floor(self.disagree_frac * n_tasks + 0.5)

    def sample(
        self, rng: np.random.Generator, n_tasks: int, k_shot: int = 10, q_query: int = 20
    ) -> TaskBatch:
        """Draw ``n_tasks`` tasks with ``k_shot`` support and ``q_query`` query points each."""
        rng = check.generator(rng)
        n, k, q = check.counts(n_tasks=n_tasks, k_shot=k_shot, q_query=q_query)
        d = self.dim
        weights = self.mean + self.spread * rng.normal(size=(n, d))
        bad = np.zeros(n, dtype=bool)
        bad[rng.permutation(n)[: self.n_disagreeing(n)]] = True
        if self.disagreement == "far":
            scale = np.linalg.norm(self.mean) / math.sqrt(d)
            weights[bad] = scale * rng.normal(size=(int(bad.sum()), d))
        X = rng.normal(size=(n, k + q, d))
        y = (np.einsum("...kd,...d->...k", X, weights) > 0).astype(np.float64)
        if self.disagreement == "flip":
            y[bad] = 1.0 - y[bad]
        elif self.disagreement == "random":
            y[bad] = rng.integers(0, 2, size=(int(bad.sum()), k + q)).astype(np.float64)
        return TaskBatch(X[:, :k], y[:, :k], X[:, k:], y[:, k:], bad, {"weights": weights})


def sample_sine_tasks(
    rng: np.random.Generator,
    n_tasks: int,
    k_shot: int = 10,
    q_query: int = 10,
    amplitude: tuple[float, float] = (0.1, 5.0),
    phase: tuple[float, float] = (0.0, math.pi),
    x_range: tuple[float, float] = (-5.0, 5.0),
) -> TaskBatch:
    """Sinusoid regression (Finn et al. 2017): y = a · sin(x + φ).

    a ~ U[amplitude], φ ~ U[phase], x ~ U[x_range]. MAML used φ ∈ [0, π]; the gradient
    agreement paper states φ ∈ [0, 2π], pass ``phase=(0, 2*np.pi)`` for it.
    Inputs have shape (n, k, 1); ``info`` holds ``amplitude`` and ``phase`` (n,).
    """
    rng = check.generator(rng)
    n, k, q = check.counts(n_tasks=n_tasks, k_shot=k_shot, q_query=q_query)
    for name, (lo, hi) in (("amplitude", amplitude), ("phase", phase), ("x_range", x_range)):
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise ValueError(f"{name} must be a finite (low, high) pair with low <= high")
    amp = rng.uniform(*amplitude, size=n)
    phi = rng.uniform(*phase, size=n)
    x = rng.uniform(*x_range, size=(n, k + q, 1))
    y = amp[:, None] * np.sin(x[..., 0] + phi[:, None])
    info = {"amplitude": amp, "phase": phi}
    return TaskBatch(x[:, :k], y[:, :k], x[:, k:], y[:, k:], np.zeros(n, dtype=bool), info)
