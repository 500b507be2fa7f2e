"""Gradient-agreement meta-learning in NumPy: the engine every notebook imports.

Notation (the same in every notebook):

* ``theta`` (θ) are the meta-parameters, a 1-D vector of length p.
* A batch holds n tasks. Task i has a support (train) set ``(X_i, y_i)`` of k points and a
  query (test) set ``(X'_i, y'_i)`` of q points. Batched arrays stack the tasks on axis 0:
  ``X_train`` (n, k, d), ``y_train`` (n, k), ``X_test`` (n, q, d), ``y_test`` (n, q).
* Inner loop, step size α, ``steps`` steps on the support set:
  θ_i^(0) = θ,  θ_i^(t+1) = θ_i^(t) − α ∇L_i^train(θ_i^(t)),  θ'_i = θ_i^(steps).
* Update vector of task i: g_i = θ − θ'_i.
* Gradient-agreement weights (Eshratifar, Eigen & Pedram 2018, eq. for w_i):
  w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|, i.e. w_i ∝ g_iᵀ ḡ with ḡ = (1/n) Σ_j g_j.
* Meta-updates, step size β:
  MAML     θ ← θ − β Σ_i w_i ∇_θ L_i^test(θ'_i)
  Reptile  θ ← θ + β Σ_i w_i (θ'_i − θ)
  With uniform weights w_i = 1/n they are plain MAML and plain Reptile.

The chapter this course follows is chapter 8 of *Hands-On Meta Learning with Python*
(S. Ravichandiran, Packt 2018). Where its program differs from the paper the difference is
kept here only as a named option (``normalization="chapter"``) so notebooks can compare.

Design rules: pure NumPy; no global random state (every sampler takes a
``numpy.random.Generator``); every function is vectorised across tasks; bad input raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

__all__ = [
    "ALGORITHMS",
    "DISAGREEMENTS",
    "WEIGHTINGS",
    "History",
    "LogisticModel",
    "LogisticTaskFamily",
    "MLPModel",
    "Model",
    "TaskBatch",
    "adapt",
    "agreement_weights",
    "cosine_agreement_weights",
    "evaluate",
    "gram_matrix",
    "logistic_grad",
    "logistic_loss",
    "maml_meta_gradient",
    "meta_step",
    "sample_chapter_tasks",
    "sample_sine_tasks",
    "sigmoid",
    "train",
]

ALGORITHMS = ("maml", "fomaml", "reptile")
WEIGHTINGS = ("uniform", "agreement", "chapter", "cosine")
Array = np.ndarray
_TINY = float(np.finfo(np.float64).tiny)


# ---------------------------------------------------------------------------------------------
# Input checks: one place, one message style ("<argument> must ..., got ...").
# ---------------------------------------------------------------------------------------------


def _as_float_array(value: object, name: str, ndim: int | tuple[int, ...]) -> Array:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers ({exc})") from None
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        want = " or ".join(f"{a}-D" for a in allowed)
        raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_rate(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value}")
    return value


def _check_steps(value: object, name: str = "steps", minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
    return str(value)


def _check_generator(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}"
        )
    return rng


def _check_count(value: object, name: str, minimum: int = 1) -> int:
    return _check_steps(value, name, minimum)


# ---------------------------------------------------------------------------------------------
# Gradient agreement
# ---------------------------------------------------------------------------------------------


def _agreement_scores(updates: Array) -> tuple[Array, Array]:
    """Return (s, S) with S = Σ_j g_j and s_i = g_iᵀ S, rescaling if the plain sums overflow.

    Two passes over ``updates`` and no (n, p) temporary. The weights are invariant to a common
    positive scale, so when the plain sums overflow (or underflow to 0) the updates are
    divided by their largest magnitude on the fly: s_i / c² = (g_i · (S / c)) / c.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        total = updates.sum(axis=0)
        if not np.isfinite(total).all():
            if not np.isfinite(updates).all():
                raise ValueError("updates contains NaN or infinite values")
            return _agreement_scores_rescaled(updates)
        scores = updates @ total
    if not np.isfinite(scores).all():
        return _agreement_scores_rescaled(updates)
    denom = np.abs(scores).sum()
    if denom < _TINY * updates.shape[0] and updates.any():
        return _agreement_scores_rescaled(updates)
    return scores, total


def _agreement_scores_rescaled(updates: Array) -> tuple[Array, Array]:
    scale = max(float(updates.max()), -float(updates.min()))
    if scale == 0.0:
        return np.zeros(updates.shape[0]), np.zeros(updates.shape[1])
    total = np.zeros(updates.shape[1])
    for row in updates:  # one row at a time: no (n, p) temporary
        total += row / scale
    scores = (updates @ total) / scale
    return scores, total


def agreement_weights(
    updates: Array, normalization: Literal["paper", "chapter"] = "paper"
) -> Array:
    """Gradient-agreement weights of n tasks from their update vectors g_i = θ − θ'_i.

    ``normalization="paper"`` (Eshratifar et al. 2018)::

        w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|

    so the weights are signed, Σ_i |w_i| = 1 and w_i ∝ g_iᵀ ḡ (ḡ the mean update).
    Cost: O(n·p) time, two passes over ``updates`` (S = Σ_j g_j, then s = G S).

    ``normalization="chapter"`` is what the chapter's program computes instead::

        w_i = Σ_j g_iᵀg_j / Σ_i Σ_j |g_iᵀg_j|

    The numerators are the same, so the ratios w_i / w_j are the same; only the scale differs
    (Σ|w_i| <= 1). It needs the whole Gram matrix G_ij = g_iᵀg_j: O(n²·p) via one BLAS call.

    Parameters
    ----------
    updates : array (n_tasks, n_params) of the update vectors g_i.
    normalization : "paper" or "chapter".

    Returns
    -------
    float64 array (n_tasks,). When the denominator is 0 (all updates zero, or updates whose
    agreement sums cancel exactly) the weights are uniform, 1/n, because no task can be said
    to agree more than another.

    Raises
    ------
    ValueError if ``updates`` is not 2-D, has zero tasks, contains NaN or inf, or
    ``normalization`` is unknown.
    """
    normalization = _check_choice(normalization, "normalization", ("paper", "chapter"))
    updates = np.asarray(updates, dtype=np.float64)
    if updates.ndim != 2:
        raise ValueError(
            f"updates must be 2-D (n_tasks, n_params), got an array of shape {updates.shape}"
        )
    n = updates.shape[0]
    if n == 0:
        raise ValueError("updates must hold at least one task, got 0 rows")
    if normalization == "paper":
        scores, _ = _agreement_scores(updates)
        denom = np.abs(scores).sum()
        return scores / denom if denom > 0 else np.full(n, 1.0 / n)
    # The chapter's normalisation needs every |g_iᵀg_j|: the whole Gram matrix. The updates
    # are divided by their largest magnitude first (the weights do not change) so that no
    # inner product overflows or underflows.
    if not np.isfinite(updates).all():
        raise ValueError("updates contains NaN or infinite values")
    scale = max(float(updates.max()), -float(updates.min()))
    if scale == 0.0:
        return np.full(n, 1.0 / n)
    gram = gram_matrix(updates / scale)
    denom = np.abs(gram).sum()
    return gram.sum(axis=1) / denom if denom > 0 else np.full(n, 1.0 / n)


def cosine_agreement_weights(updates: Array) -> Array:
    """Magnitude-robust variant (NOT from the paper; an exploration of this course).

    Every update is first scaled to unit length, û_i = g_i / ‖g_i‖, then the paper's formula
    is applied to the û_i::

        w_i = Σ_j ûᵢᵀû_j / Σ_k |Σ_j û_kᵀû_j|

    so a task's weight depends only on the direction of its update, not on its length.
    Zero updates stay zero. Same conventions and errors as :func:`agreement_weights`.
    """
    updates = np.asarray(updates, dtype=np.float64)
    if updates.ndim != 2:
        raise ValueError(
            f"updates must be 2-D (n_tasks, n_params), got an array of shape {updates.shape}"
        )
    if updates.shape[0] == 0:
        raise ValueError("updates must hold at least one task, got 0 rows")
    if not np.isfinite(updates).all():
        raise ValueError("updates contains NaN or infinite values")
    scale = max(float(updates.max(initial=0.0)), -float(updates.min(initial=0.0)))
    if scale == 0.0:
        return np.full(updates.shape[0], 1.0 / updates.shape[0])
    norms = np.linalg.norm(updates / scale, axis=1, keepdims=True)
    unit = np.divide(updates / scale, norms, out=np.zeros_like(updates), where=norms > 0)
    return agreement_weights(unit)


def gram_matrix(updates: Array) -> Array:
    """The n×n Gram matrix G_ij = g_iᵀ g_j of the update vectors (one BLAS call)."""
    updates = _as_float_array(updates, "updates", 2)
    return updates @ updates.T


# ---------------------------------------------------------------------------------------------
# The logistic model (the chapter's single-layer network), vectorised with leading task axes
# ---------------------------------------------------------------------------------------------


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), computed as (1 + tanh(z/2)) / 2: no overflow for any z."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def _logits(theta: Array, X: Array) -> Array:
    # theta (..., d), X (..., k, d) -> (..., k)
    return np.einsum("...kd,...d->...k", X, theta)


def _bce_from_logits(z: Array, y: Array) -> Array:
    # mean over the last axis of  −y log σ(z) − (1−y) log(1−σ(z)) = log(1+e^z) − y z
    return np.mean(np.logaddexp(0.0, z) - y * z, axis=-1)


def _logistic_grad(theta: Array, X: Array, y: Array) -> Array:
    residual = sigmoid(_logits(theta, X)) - y
    return np.einsum("...kd,...k->...d", X, residual) / X.shape[-2]


def _logistic_hvp(theta: Array, X: Array, v: Array) -> Array:
    # H v with H = Xᵀ diag(σ'(z)) X / k and σ'(z) = σ(z)(1−σ(z)) = (1 − tanh²(z/2)) / 4
    z = _logits(theta, X)
    curvature = 0.25 * (1.0 - np.tanh(0.5 * z) ** 2)
    return np.einsum("...kd,...k->...d", X, curvature * _logits(v, X)) / X.shape[-2]


def _check_logistic_inputs(theta: object, X: object, y: object) -> tuple[Array, Array, Array]:
    theta = _as_float_array(theta, "theta", 1)
    X = _as_float_array(X, "X", 2)
    y = _as_float_array(y, "y", 1)
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one point, got 0 rows")
    if X.shape[1] != theta.shape[0]:
        raise ValueError(
            f"X has {X.shape[1]} features per point but theta has {theta.shape[0]} entries"
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} labels but X has {X.shape[0]} points")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must hold binary labels, 0 or 1")
    return theta, X, y


def logistic_loss(theta: Array, X: Array, y: Array) -> float:
    """Mean binary cross-entropy of the model ŷ = σ(Xθ)::

        L(θ) = (1/k) Σ_m [ log(1 + e^{z_m}) − y_m z_m ],   z = Xθ

    (the same as −y log ŷ − (1−y) log(1−ŷ), but finite for logits of any size).
    """
    theta, X, y = _check_logistic_inputs(theta, X, y)
    return float(_bce_from_logits(_logits(theta, X), y))


def logistic_grad(theta: Array, X: Array, y: Array) -> Array:
    """∇L(θ) = Xᵀ(σ(Xθ) − y) / k."""
    theta, X, y = _check_logistic_inputs(theta, X, y)
    return _logistic_grad(theta, X, y)


def adapt(theta: Array, X: Array, y: Array, alpha: float, steps: int = 1) -> Array:
    """The inner loop: θ' after ``steps`` gradient steps θ ← θ − α ∇L(θ) on (X, y)."""
    theta, X, y = _check_logistic_inputs(theta, X, y)
    alpha = _check_rate(alpha, "alpha")
    steps = _check_steps(steps)
    for _ in range(steps):
        theta = theta - alpha * _logistic_grad(theta, X, y)
    return theta


def maml_meta_gradient(
    theta: Array,
    X_train: Array,
    y_train: Array,
    X_test: Array,
    y_test: Array,
    alpha: float,
    steps: int = 1,
    first_order: bool = False,
) -> Array:
    """d L_test(θ') / dθ for one task of the logistic model, θ' = adapt(θ, X_train, ...).

    Exact (second order): with θ^(t+1) = θ^(t) − α ∇L_train(θ^(t)), the chain rule gives::

        dL_test(θ')/dθ = Π_{t=steps−1..0} (I − α H_train(θ^(t))) ∇L_test(θ')

    evaluated right to left with Hessian-vector products H v = Xᵀ diag(σ'(Xθ)) X v / k
    (closed form, no finite differences, no d×d matrix).

    ``first_order=True`` drops the Hessian terms (first-order MAML, as the chapter's code
    does): the result is ∇L_test(θ').
    """
    theta, X_train, y_train = _check_logistic_inputs(theta, X_train, y_train)
    _, X_test, y_test = _check_logistic_inputs(theta, X_test, y_test)
    alpha = _check_rate(alpha, "alpha")
    steps = _check_steps(steps)
    _, meta_grads = LogisticModel().meta_gradient(
        theta[None],
        X_train[None],
        y_train[None],
        X_test[None],
        y_test[None],
        alpha,
        steps,
        first_order=bool(first_order),
    )
    return meta_grads[0]


# ---------------------------------------------------------------------------------------------
# Models: what the trainer needs of a model (batched over tasks on axis 0)
# ---------------------------------------------------------------------------------------------


class Model:
    """Interface: a model is a loss and its gradient on stacked tasks.

    ``thetas`` (n, p), ``X`` (n, k, d), ``y`` (n, k) → losses (n,) and gradients (n, p).
    """

    name = "model"
    n_inputs: int | None = None

    def loss_and_grad(self, thetas: Array, X: Array, y: Array) -> tuple[Array, Array]:
        raise NotImplementedError

    def loss(self, thetas: Array, X: Array, y: Array) -> Array:
        return self.loss_and_grad(thetas, X, y)[0]

    def accuracy(self, thetas: Array, X: Array, y: Array) -> Array | None:
        """Per-task accuracy, or None for a model without classes."""
        return None

    def check_targets(self, y: Array, name: str) -> None:
        """Raise ValueError if ``y`` is not a valid target array for this model."""

    def n_params(self, n_inputs: int) -> int:
        raise NotImplementedError

    def meta_gradient(
        self,
        thetas: Array,
        X_train: Array,
        y_train: Array,
        X_test: Array,
        y_test: Array,
        alpha: float,
        steps: int,
        first_order: bool,
    ) -> tuple[Array, Array]:
        """Adapted parameters θ'_i and per-task meta-gradients, both (n, p).

        Only first order unless the model provides Hessian-vector products.
        """
        if not first_order:
            raise ValueError(
                f"algorithm 'maml' (second order) needs Hessian-vector products, which the "
                f"{self.name} model does not provide; use 'fomaml' or 'reptile'"
            )
        adapted = self.adapt(thetas, X_train, y_train, alpha, steps)
        return adapted, self.loss_and_grad(adapted, X_test, y_test)[1]

    def adapt(self, thetas: Array, X: Array, y: Array, alpha: float, steps: int) -> Array:
        for _ in range(steps):
            thetas = thetas - alpha * self.loss_and_grad(thetas, X, y)[1]
        return thetas


class LogisticModel(Model):
    """The chapter's single-layer network ŷ = σ(Xθ) with mean binary cross-entropy."""

    name = "logistic"

    def loss_and_grad(self, thetas: Array, X: Array, y: Array) -> tuple[Array, Array]:
        z = _logits(thetas, X)
        residual = sigmoid(z) - y
        grad = np.einsum("...kd,...k->...d", X, residual) / X.shape[-2]
        return _bce_from_logits(z, y), grad

    def loss(self, thetas: Array, X: Array, y: Array) -> Array:
        return _bce_from_logits(_logits(thetas, X), y)

    def accuracy(self, thetas: Array, X: Array, y: Array) -> Array:
        return np.mean((_logits(thetas, X) > 0) == (y > 0.5), axis=-1)

    def check_targets(self, y: Array, name: str) -> None:
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError(f"{name} must hold binary labels, 0 or 1")

    def n_params(self, n_inputs: int) -> int:
        return n_inputs

    def meta_gradient(
        self,
        thetas: Array,
        X_train: Array,
        y_train: Array,
        X_test: Array,
        y_test: Array,
        alpha: float,
        steps: int,
        first_order: bool,
    ) -> tuple[Array, Array]:
        trajectory = [thetas]
        for _ in range(steps):
            thetas = thetas - alpha * _logistic_grad(thetas, X_train, y_train)
            trajectory.append(thetas)
        v = _logistic_grad(thetas, X_test, y_test)
        if not first_order:
            for theta_t in reversed(trajectory[:-1]):
                v = v - alpha * _logistic_hvp(theta_t, X_train, v)
        return thetas, v


@dataclass(frozen=True)
class MLPModel(Model):
    """A 1 → h → h → 1 ReLU network for regression, trained on mean squared error.

    θ is one flat vector holding, in order, W1 (1×h), b1 (h), W2 (h×h), b2 (h), W3 (h×1),
    b3 (1): p = h² + 4h + 1 parameters (1761 for h = 40, 4353 for h = 64).

        a1 = relu(x W1 + b1),  a2 = relu(a1 W2 + b2),  ŷ = a2 W3 + b3,
        L(θ) = (1/k) Σ_m (ŷ_m − y_m)²

    Backpropagation is written out by hand in :meth:`loss_and_grad`.
    """

    hidden: int = 40
    name = "mlp"

    def __post_init__(self) -> None:
        _check_count(self.hidden, "hidden")

    def n_params(self, n_inputs: int = 1) -> int:
        if n_inputs != 1:
            raise ValueError(f"the MLP takes 1 input feature, got {n_inputs}")
        h = self.hidden
        return h * h + 4 * h + 1

    def _unpack(self, thetas: Array) -> tuple[Array, ...]:
        h = self.hidden
        sizes = [h, h, h * h, h, h, 1]
        shapes = [(1, h), (h,), (h, h), (h,), (h, 1), (1,)]
        parts, start = [], 0
        lead = thetas.shape[:-1]
        for size, shape in zip(sizes, shapes, strict=True):
            parts.append(thetas[..., start : start + size].reshape(*lead, *shape))
            start += size
        return tuple(parts)

    def init(self, rng: np.random.Generator) -> Array:
        """Every weight and bias ~ U(−1/√fan_in, +1/√fan_in) (PyTorch's default for a linear
        layer). Larger, He-style weights make plain-SGD inner loops diverge on x ∈ [−5, 5]."""
        rng = _check_generator(rng)
        h = self.hidden
        bound = 1.0 / math.sqrt(h)
        return np.concatenate(
            [
                rng.uniform(-1.0, 1.0, size=h),  # W1, fan_in 1
                rng.uniform(-1.0, 1.0, size=h),  # b1
                rng.uniform(-bound, bound, size=h * h),  # W2, fan_in h
                rng.uniform(-bound, bound, size=h),  # b2
                rng.uniform(-bound, bound, size=h),  # W3, fan_in h
                rng.uniform(-bound, bound, size=1),  # b3
            ]
        )

    def predict(self, thetas: Array, X: Array) -> Array:
        """ŷ for inputs X (..., k, 1) → (..., k)."""
        w1, b1, w2, b2, w3, b3 = self._unpack(np.asarray(thetas, dtype=np.float64))
        a1 = np.maximum(X @ w1 + b1[..., None, :], 0.0)
        a2 = np.maximum(a1 @ w2 + b2[..., None, :], 0.0)
        return (a2 @ w3)[..., 0] + b3

    def loss_and_grad(self, thetas: Array, X: Array, y: Array) -> tuple[Array, Array]:
        w1, b1, w2, b2, w3, b3 = self._unpack(thetas)
        k = X.shape[-2]
        # forward
        h1 = X @ w1 + b1[..., None, :]  # (..., k, h)
        a1 = np.maximum(h1, 0.0)
        h2 = a1 @ w2 + b2[..., None, :]
        a2 = np.maximum(h2, 0.0)
        pred = (a2 @ w3)[..., 0] + b3  # (..., k)
        err = pred - y
        loss = np.mean(err**2, axis=-1)
        # backward: dL/dpred = 2 err / k
        d_pred = (2.0 / k) * err  # (..., k)
        g_w3 = np.einsum("...kh,...k->...h", a2, d_pred)
        g_b3 = d_pred.sum(axis=-1, keepdims=True)
        d_h2 = d_pred[..., None] * w3[..., None, :, 0] * (h2 > 0)  # (..., k, h)
        g_w2 = np.einsum("...ki,...kj->...ij", a1, d_h2)
        g_b2 = d_h2.sum(axis=-2)
        d_h1 = (d_h2 @ np.swapaxes(w2, -1, -2)) * (h1 > 0)
        g_w1 = np.einsum("...k,...kh->...h", X[..., 0], d_h1)
        g_b1 = d_h1.sum(axis=-2)
        lead = thetas.shape[:-1]
        grad = np.concatenate(
            [
                g_w1.reshape(*lead, -1),
                g_b1,
                g_w2.reshape(*lead, -1),
                g_b2,
                g_w3,
                g_b3,
            ],
            axis=-1,
        )
        return loss, grad


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskBatch:
    """n tasks stacked on axis 0; unpacks as ``X_train, y_train, X_test, y_test = batch``.

    ``disagreeing`` marks the tasks that were made to disagree with the family (for colour
    in plots); ``info`` holds the parameters that generated each task (e.g. true weights,
    amplitudes and phases).
    """

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    disagreeing: Array
    info: dict[str, Array] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Array]:
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    def __len__(self) -> int:
        return 4

    @property
    def n_tasks(self) -> int:
        return self.X_train.shape[0]


def sample_chapter_tasks(
    rng: np.random.Generator, n_tasks: int, k_shot: int = 10, q_query: int = 10, dim: int = 50
) -> TaskBatch:
    """The chapter's tasks: inputs x ~ U[0, 1]^dim, labels y ~ Bernoulli(1/2).

    The labels are drawn independently of the inputs, so there is nothing to learn: the best
    any θ can do on a new query set is chance (50% accuracy, loss log 2 ≈ 0.693 at θ = 0).
    """
    rng = _check_generator(rng)
    n = _check_count(n_tasks, "n_tasks")
    k = _check_count(k_shot, "k_shot")
    q = _check_count(q_query, "q_query")
    d = _check_count(dim, "dim")
    X_train = rng.random((n, k, d))
    y_train = rng.integers(0, 2, size=(n, k)).astype(np.float64)
    X_test = rng.random((n, q, d))
    y_test = rng.integers(0, 2, size=(n, q)).astype(np.float64)
    return TaskBatch(X_train, y_train, X_test, y_test, np.zeros(n, dtype=bool))


DISAGREEMENTS = ("flip", "random", "far")


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

    mean: Array
    spread: float = 0.5
    disagree_frac: float = 0.0
    disagreement: str = "flip"

    def __post_init__(self) -> None:
        mean = _as_float_array(self.mean, "mean", 1)
        if mean.shape[0] == 0:
            raise ValueError("mean must have at least one entry")
        object.__setattr__(self, "mean", mean)
        spread = _check_rate(self.spread, "spread")
        object.__setattr__(self, "spread", spread)
        frac = _check_rate(self.disagree_frac, "disagree_frac")
        if frac > 1:
            raise ValueError(f"disagree_frac must be in [0, 1], got {frac}")
        object.__setattr__(self, "disagree_frac", frac)
        _check_choice(self.disagreement, "disagreement", DISAGREEMENTS)

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
        rng = _check_generator(rng)
        d = _check_count(dim, "dim")
        norm = _check_rate(norm, "norm")
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
        rng = _check_generator(rng)
        n = _check_count(n_tasks, "n_tasks")
        k = _check_count(k_shot, "k_shot")
        q = _check_count(q_query, "q_query")
        d = self.dim
        weights = self.mean + self.spread * rng.normal(size=(n, d))
        bad = np.zeros(n, dtype=bool)
        bad[rng.permutation(n)[: self.n_disagreeing(n)]] = True
        if self.disagreement == "far":
            scale = np.linalg.norm(self.mean) / math.sqrt(d)
            weights[bad] = scale * rng.normal(size=(int(bad.sum()), d))
        X = rng.normal(size=(n, k + q, d))
        y = (_logits(weights, X) > 0).astype(np.float64)
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
    rng = _check_generator(rng)
    n = _check_count(n_tasks, "n_tasks")
    k = _check_count(k_shot, "k_shot")
    q = _check_count(q_query, "q_query")
    for name, (lo, hi) in (("amplitude", amplitude), ("phase", phase), ("x_range", x_range)):
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise ValueError(f"{name} must be a finite (low, high) pair with low <= high")
    amp = rng.uniform(*amplitude, size=n)
    phi = rng.uniform(*phase, size=n)
    x = rng.uniform(*x_range, size=(n, k + q, 1))
    y = amp[:, None] * np.sin(x[..., 0] + phi[:, None])
    return TaskBatch(
        x[:, :k],
        y[:, :k],
        x[:, k:],
        y[:, k:],
        np.zeros(n, dtype=bool),
        {"amplitude": amp, "phase": phi},
    )


# ---------------------------------------------------------------------------------------------
# One meta-step, training, evaluation
# ---------------------------------------------------------------------------------------------


def _check_tasks(tasks: object, theta: Array, model: Model) -> tuple[Array, Array, Array, Array]:
    try:
        X_train, y_train, X_test, y_test = tasks  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(
            "tasks must be (X_train, y_train, X_test, y_test) or a TaskBatch"
        ) from None
    X_train = _as_float_array(X_train, "X_train", 3)
    X_test = _as_float_array(X_test, "X_test", 3)
    y_train = _as_float_array(y_train, "y_train", 2)
    y_test = _as_float_array(y_test, "y_test", 2)
    n = X_train.shape[0]
    if n == 0:
        raise ValueError("tasks must hold at least one task, got 0")
    for name, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        if X.shape[0] != n or y.shape[0] != n:
            raise ValueError(
                f"X_{name} and y_{name} must have {n} tasks on axis 0 like X_train, got "
                f"{X.shape[0]} and {y.shape[0]}"
            )
        if y.shape[1] != X.shape[1]:
            raise ValueError(
                f"y_{name} has {y.shape[1]} points per task but X_{name} has {X.shape[1]}"
            )
        if X.shape[1] == 0:
            raise ValueError(f"X_{name} must hold at least one point per task")
        model.check_targets(y, f"y_{name}")
    if X_test.shape[2] != X_train.shape[2]:
        raise ValueError(
            f"X_test has {X_test.shape[2]} features but X_train has {X_train.shape[2]}"
        )
    p = model.n_params(X_train.shape[2])
    if theta.shape[0] != p:
        raise ValueError(
            f"theta has {theta.shape[0]} entries but the {model.name} model with "
            f"{X_train.shape[2]} input features needs {p}"
        )
    return X_train, y_train, X_test, y_test


def _weights(updates: Array, weighting: str) -> Array:
    if weighting == "uniform":
        return np.full(updates.shape[0], 1.0 / updates.shape[0])
    if weighting == "agreement":
        return agreement_weights(updates, "paper")
    if weighting == "chapter":
        return agreement_weights(updates, "chapter")
    return cosine_agreement_weights(updates)


def meta_step(
    theta: Array,
    tasks: TaskBatch | Sequence[Array],
    alpha: float,
    beta: float,
    algorithm: str = "maml",
    weighting: str = "agreement",
    inner_steps: int = 1,
    model: Model | None = None,
) -> tuple[Array, dict[str, Array]]:
    """One meta-update on a batch of n tasks, all tasks at once (stacked arrays).

    1. Inner loop for every task: θ'_i = θ after ``inner_steps`` steps of size α on
       (X_train_i, y_train_i); update vectors g_i = θ − θ'_i.
    2. Weights w_i: ``"uniform"`` 1/n; ``"agreement"`` the paper's
       w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|; ``"chapter"`` the chapter's normalisation;
       ``"cosine"`` the magnitude-robust variant (not from the paper).
    3. Meta-update:
       ``"maml"``    θ ← θ − β Σ_i w_i ∇_θ L_test_i(θ'_i)   (exact second order)
       ``"fomaml"``  θ ← θ − β Σ_i w_i ∇L_test_i(θ'_i)      (first order: Hessians dropped)
       ``"reptile"`` θ ← θ + β Σ_i w_i (θ'_i − θ)

    ``model`` defaults to :class:`LogisticModel`; pass :class:`MLPModel` for sinusoids
    (first order and Reptile only).

    Returns ``(theta_new, info)``; ``info`` holds ``weights`` (n,), ``updates`` (n, p),
    ``directions`` (n, p) (the per-task vectors that were weighted: meta-gradients, or
    θ'_i − θ for Reptile), ``loss_before`` / ``loss_after`` (n,) (query loss at θ and at
    θ'_i), ``train_loss_before`` (n,) and, for a classifier, ``acc_before`` / ``acc_after``.
    """
    model = LogisticModel() if model is None else model
    theta = _as_float_array(theta, "theta", 1)
    alpha = _check_rate(alpha, "alpha")
    beta = _check_rate(beta, "beta")
    algorithm = _check_choice(algorithm, "algorithm", ALGORITHMS)
    weighting = _check_choice(weighting, "weighting", WEIGHTINGS)
    inner_steps = _check_steps(inner_steps, "inner_steps")
    X_train, y_train, X_test, y_test = _check_tasks(tasks, theta, model)
    n = X_train.shape[0]
    thetas = np.broadcast_to(theta, (n, theta.shape[0]))

    with np.errstate(over="ignore", invalid="ignore"):
        train_loss_before = model.loss(thetas, X_train, y_train)
        if algorithm == "reptile":
            adapted = model.adapt(thetas, X_train, y_train, alpha, inner_steps)
            directions = adapted - theta  # Reptile moves along θ'_i − θ
        else:
            adapted, directions = model.meta_gradient(
                thetas,
                X_train,
                y_train,
                X_test,
                y_test,
                alpha,
                inner_steps,
                first_order=algorithm == "fomaml",
            )
    if not (np.isfinite(adapted).all() and np.isfinite(directions).all()):
        raise ValueError(
            f"the inner loop diverged (non-finite parameters after {inner_steps} step(s) of "
            f"alpha={alpha}); use a smaller alpha"
        )
    updates = theta - adapted
    weights = _weights(updates, weighting)
    combined = weights @ directions
    theta_new = theta + beta * combined if algorithm == "reptile" else theta - beta * combined
    if not np.isfinite(theta_new).all():
        raise ValueError(f"the meta-update overflowed (beta={beta}); use a smaller beta")

    info: dict[str, Array] = {
        "weights": weights,
        "updates": updates,
        "directions": directions,
        "loss_before": model.loss(thetas, X_test, y_test),
        "loss_after": model.loss(adapted, X_test, y_test),
        "train_loss_before": train_loss_before,
    }
    acc_before = model.accuracy(thetas, X_test, y_test)
    if acc_before is not None:
        info["acc_before"] = acc_before
        info["acc_after"] = model.accuracy(adapted, X_test, y_test)
    return theta_new, info


@dataclass
class History:
    """What :func:`train` records, one row per meta-iteration.

    ``loss_before`` / ``loss_after``: mean query loss over the batch at θ and at θ'_i;
    ``weights`` (T, n): each task's weight; ``disagreeing`` (T, n): which tasks disagreed;
    ``task_loss_after`` (T, n): each task's query loss at θ'_i.
    """

    loss_before: Array
    loss_after: Array
    weights: Array
    disagreeing: Array
    task_loss_after: Array | None = None

    def agreeing_loss_after(self) -> Array:
        """Per iteration, the mean query loss after adaptation of the agreeing tasks only."""
        if self.task_loss_after is None:
            raise ValueError("this History has no per-task losses (task_loss_after is None)")
        mask = ~self.disagreeing
        total = np.where(mask, self.task_loss_after, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(mask.any(axis=1), total / np.maximum(mask.sum(axis=1), 1), np.nan)

    def mean_weight(self, disagreeing: bool) -> Array:
        """Per iteration, the mean weight of the (dis)agreeing tasks (NaN where there are none)."""
        mask = self.disagreeing if disagreeing else ~self.disagreeing
        total = np.where(mask, self.weights, 0.0).sum(axis=1)
        count = mask.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def train(
    theta: Array,
    sampler: Callable[[np.random.Generator], TaskBatch],
    rng: np.random.Generator,
    iterations: int,
    alpha: float,
    beta: float,
    algorithm: str = "maml",
    weighting: str = "agreement",
    inner_steps: int = 1,
    model: Model | None = None,
    progress: bool = False,
) -> tuple[Array, History]:
    """Meta-train from θ for ``iterations`` meta-steps, each on a fresh batch ``sampler(rng)``.

    Returns the learned θ and a :class:`History`. ``progress=True`` prints a one-line
    progress bar to stderr (for long runs).
    """
    rng = _check_generator(rng)
    iterations = _check_steps(iterations, "iterations")
    theta = _as_float_array(theta, "theta", 1)
    rows: list[tuple[float, float, Array, Array, Array]] = []
    start = time.perf_counter()
    for it in range(iterations):
        batch = sampler(rng)
        theta, info = meta_step(theta, batch, alpha, beta, algorithm, weighting, inner_steps, model)
        disagreeing = getattr(batch, "disagreeing", np.zeros(len(info["weights"]), bool))
        rows.append(
            (
                float(info["loss_before"].mean()),
                float(info["loss_after"].mean()),
                info["weights"],
                disagreeing,
                info["loss_after"],
            )
        )
        if progress and (it + 1 == iterations or (it + 1) % max(1, iterations // 50) == 0):
            done = (it + 1) / iterations
            bar = "#" * int(30 * done)
            elapsed = time.perf_counter() - start
            sys.stderr.write(f"\r[{bar:<30}] {it + 1}/{iterations}  {elapsed:5.1f}s")
            if it + 1 == iterations:
                sys.stderr.write("\n")
            sys.stderr.flush()
    history = History(
        loss_before=np.array([r[0] for r in rows]),
        loss_after=np.array([r[1] for r in rows]),
        weights=np.stack([r[2] for r in rows]),
        disagreeing=np.stack([r[3] for r in rows]),
        task_loss_after=np.stack([r[4] for r in rows]),
    )
    return theta, history


def evaluate(
    theta: Array,
    tasks: TaskBatch | Sequence[Array],
    alpha: float,
    steps: int = 1,
    model: Model | None = None,
) -> dict[str, Array]:
    """Adapt θ to each held-out task and measure the query set after 0, 1, ..., steps steps.

    Returns ``loss`` (steps+1, n) and, for a classifier, ``accuracy`` (steps+1, n); row t is
    the query-set value after t inner steps of size α on the task's support set.
    """
    model = LogisticModel() if model is None else model
    theta = _as_float_array(theta, "theta", 1)
    alpha = _check_rate(alpha, "alpha")
    steps = _check_steps(steps, "steps", minimum=0)
    X_train, y_train, X_test, y_test = _check_tasks(tasks, theta, model)
    thetas = np.broadcast_to(theta, (X_train.shape[0], theta.shape[0]))
    losses, accs = [], []
    for t in range(steps + 1):
        if t:
            thetas = thetas - alpha * model.loss_and_grad(thetas, X_train, y_train)[1]
        losses.append(model.loss(thetas, X_test, y_test))
        acc = model.accuracy(thetas, X_test, y_test)
        if acc is not None:
            accs.append(acc)
    out = {"loss": np.stack(losses)}
    if accs:
        out["accuracy"] = np.stack(accs)
    return out
