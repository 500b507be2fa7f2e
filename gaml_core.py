"""Gradient-agreement meta-learning in NumPy: the engine every notebook imports.

It holds the weights, the three models, one inner loop, one meta-step, the trainer and the
evaluation. The task families live in :mod:`gaml_tasks`.

Notation (the same in every notebook):

* ``theta`` (θ) are the meta-parameters, a vector of length p.
* A batch holds n tasks. Task i has a support (train) set ``(X_i, y_i)`` of k points and a
  query (test) set ``(X'_i, y'_i)`` of q points. Batched arrays stack the tasks on axis 0:
  ``X_train`` (n, k, d), ``y_train`` (n, k), ``X_test`` (n, q, d), ``y_test`` (n, q).
* Inner loop, step size α, ``steps`` steps: θ_i^(0) = θ,
  θ_i^(t+1) = θ_i^(t) − α ∇L_i(θ_i^(t); B_t),  θ'_i = θ_i^(steps),
  where the batch B_t is the whole support set (the literal k-shot regime) or its t-th block
  of ``batch_size`` points (the minibatch regime of Nichol et al. 2018).
* Update vector of task i: g_i = θ − θ'_i.
* Gradient-agreement weights (Eshratifar, Eigen & Pedram 2018):
  w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|, i.e. w_i ∝ g_iᵀ ḡ with ḡ = (1/n) Σ_j g_j.
* Meta-updates, step size β:
  MAML     θ ← θ − β Σ_i w_i ∇_θ L_i^test(θ'_i)
  Reptile  θ ← θ + β Σ_i w_i (θ'_i − θ)
  With uniform weights w_i = 1/n they are plain MAML and plain Reptile.

Independent runs (seeds, step sizes) train at once: θ (R, p), tasks (R, n, k, d), every
formula run by run. Pure NumPy, no global random state; bad input raises ``ValueError``
naming the argument, at the public entry points only (:mod:`gaml_checks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tqdm.auto import tqdm

import gaml_checks as check

ALGORITHMS = ("maml", "fomaml", "reptile")
WEIGHTINGS = ("uniform", "agreement", "chapter", "cosine")
SCHEDULES = ("constant", "linear")
Array = np.ndarray


def _checked_weights(updates: object, weighting: str) -> Array:
    updates = np.asarray(updates, dtype=np.float64)  # NaN/inf: caught on the weights they spoil
    if updates.ndim != 2:
        raise ValueError(f"updates must be 2-D, got an array of shape {updates.shape}")
    if updates.shape[0] == 0:
        raise ValueError("updates must hold at least one task, got 0 rows")
    if not np.isfinite(w := _weights(updates, weighting)).all():
        raise ValueError("updates contains NaN or infinite values")
    return w


# --- Gradient agreement: updates (..., n, p) -> weights (..., n), normalised within each run -----
def _max_abs(g: Array) -> Array:
    """max_ij |g_ij| per run, shape (..., 1, 1); 1 where a run's updates are all zero."""
    m = np.maximum(g.max(axis=(-2, -1), keepdims=True), -g.min(axis=(-2, -1), keepdims=True))
    return np.where(m > 0, m, 1.0)


def _normalise(scores: Array, denom: Array) -> Array:
    """scores / denom, or uniform 1/n where denom is 0 (no task agrees more than another)."""
    zero = denom == 0  # (a NaN denominator stays NaN: the caller reports bad input)
    return np.where(zero, 1.0 / scores.shape[-1], scores / np.where(zero, 1.0, denom))


def _paper_weights(g: Array) -> Array:
    # s_i = g_iᵀ S, S = Σ_j g_j: two passes, no (n, p) temporary. If the sums over- or underflow,
    # again on g / 2^e ≈ g / max|g| (exact; the weights are scale-invariant).
    for again in (False, True):
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            g = g / np.ldexp(1.0, np.frexp(_max_abs(g))[1]) if again else g
            scores = (g @ g.sum(axis=-2)[..., None])[..., 0]
            denom = np.abs(scores).sum(axis=-1, keepdims=True)
        if np.isfinite(denom).all() and not (denom < 2.0**-800).any():
            break
    return _normalise(scores, denom)


def _chapter_weights(g: Array) -> Array:
    # Needs every |g_iᵀg_j|: the Gram matrix of the updates scaled by their largest entry.
    scaled = g / _max_abs(g)
    gram = scaled @ np.swapaxes(scaled, -1, -2)
    return _normalise(gram.sum(axis=-1), np.abs(gram).sum(axis=(-2, -1))[..., None])


def _unit_rows(g: Array) -> Array:
    scaled = g / _max_abs(g)
    norms = np.linalg.norm(scaled, axis=-1, keepdims=True)
    return np.divide(scaled, norms, out=np.zeros_like(scaled), where=norms > 0)


def _weights(updates: Array, weighting: str) -> Array:
    if weighting == "uniform":
        return np.full(updates.shape[:-1], 1.0 / updates.shape[-2])
    if weighting == "chapter":
        return _chapter_weights(updates)
    return _paper_weights(_unit_rows(updates) if weighting == "cosine" else updates)


def agreement_weights(
    updates: Array, normalization: Literal["paper", "chapter"] = "paper"
) -> Array:
    """Gradient-agreement weights of n tasks from their update vectors g_i = θ − θ'_i.

    ``normalization="paper"`` (Eshratifar et al. 2018)::

        w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|

    so the weights are signed, Σ_i |w_i| = 1 and w_i ∝ g_iᵀ ḡ (ḡ the mean update); O(n·p).
    ``normalization="chapter"`` is what the chapter's program computes instead::

        w_i = Σ_j g_iᵀg_j / Σ_i Σ_j |g_iᵀg_j|      (same ratios w_i/w_j, Σ|w_i| <= 1, O(n²·p))

    ``updates`` is (n_tasks, n_params); returns (n_tasks,). Where the denominator is 0 (no task
    agrees more than another) the weights are uniform, 1/n.
    """
    normalization = check.choice(normalization, "normalization", ("paper", "chapter"))
    weighting = "agreement" if normalization == "paper" else "chapter"
    return _checked_weights(updates, weighting)


def cosine_agreement_weights(updates: Array) -> Array:
    """Magnitude-robust variant (NOT from the paper; an exploration of this course): the
    paper's formula on unit-length updates û_i = g_i / ‖g_i‖ (zero updates stay zero)::

        w_i = Σ_j ûᵢᵀû_j / Σ_k |Σ_j û_kᵀû_j|

    so a task's weight depends only on the direction of its update, not on its length.
    """
    return _checked_weights(updates, "cosine")


def gram_matrix(updates: Array) -> Array:
    """The n×n Gram matrix G_ij = g_iᵀ g_j of the update vectors (one BLAS call)."""
    return (g := check.as_array(updates, "updates", 2)) @ g.T


# --- Models: a loss and its gradient on stacked tasks, thetas (..., p), X (..., k, d), y (..., k)
class Model:
    """Interface: ``loss_and_grad(thetas, X, y)`` → losses (...,) and gradients (..., p). With
    ``second_order = True`` also ``hvp(thetas, X, v)``, Hessian times v, for exact MAML."""

    name = "model"
    second_order = False

    def loss_and_grad(self, thetas: Array, X: Array, y: Array) -> tuple[Array, Array]:
        raise NotImplementedError

    def loss(self, thetas: Array, X: Array, y: Array) -> Array:
        return self.loss_and_grad(thetas, X, y)[0]

    def accuracy(self, thetas: Array, X: Array, y: Array) -> Array | None:
        return None  # a model without classes

    def check_targets(self, y: Array, name: str) -> None:
        pass  # raises ValueError naming ``name`` for targets the model cannot take

    def n_params(self, n_inputs: int) -> int:
        raise NotImplementedError

    def hvp(self, thetas: Array, X: Array, v: Array) -> Array:
        raise NotImplementedError


def _unpack(thetas: Array, shapes: Sequence[tuple[int, ...]]) -> list[Array]:  # views of θ
    ends = np.cumsum([math.prod(s) for s in shapes])
    zipped = zip(shapes, ends, strict=True)
    return [thetas[..., e - math.prod(s) : e].reshape(*thetas.shape[:-1], *s) for s, e in zipped]


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), computed as (1 + tanh(z/2)) / 2: no overflow for any z."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def _logits(theta: Array, X: Array) -> Array:
    return np.einsum("...kd,...d->...k", X, theta)


class LogisticModel(Model):
    """The chapter's single-layer network ŷ = σ(Xθ), mean binary cross-entropy::

    L(θ) = (1/k) Σ_m [log(1 + e^{z_m}) − y_m z_m],  z = Xθ
    ∇L(θ) = Xᵀ(σ(z) − y) / k,    H v = Xᵀ diag(σ'(z)) X v / k,  σ' = σ(1 − σ)
    """

    name = "logistic"
    second_order = True

    def loss_and_grad(self, thetas: Array, X: Array, y: Array) -> tuple[Array, Array]:
        z = _logits(thetas, X)
        grad = np.einsum("...kd,...k->...d", X, sigmoid(z) - y) / X.shape[-2]
        return self._bce(z, y), grad

    def loss(self, thetas: Array, X: Array, y: Array) -> Array:
        return self._bce(_logits(thetas, X), y)

    @staticmethod
    def _bce(z: Array, y: Array) -> Array:
        # −y log σ(z) − (1−y) log(1−σ(z)) = log(1+e^z) − y z: finite for logits of any size
        return np.mean(np.logaddexp(0.0, z) - y * z, axis=-1)

    def hvp(self, thetas: Array, X: Array, v: Array) -> Array:
        curvature = 0.25 * (1.0 - np.tanh(0.5 * _logits(thetas, X)) ** 2)  # σ'(z)
        return np.einsum("...kd,...k->...d", X, curvature * _logits(v, X)) / X.shape[-2]

    def accuracy(self, thetas: Array, X: Array, y: Array) -> Array:
        return np.mean((_logits(thetas, X) > 0) == (y > 0.5), axis=-1)

    def check_targets(self, y: Array, name: str) -> None:
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError(f"{name} must hold binary labels, 0 or 1")

    def n_params(self, n_inputs: int) -> int:
        return n_inputs


@dataclass(frozen=True)
class MLPModel(Model):
    """A 1 → h → h → 1 network for regression, activation f = ReLU or tanh, squared error.

    θ is one flat vector holding, in order, W1 (1×h), b1 (h), W2 (h×h), b2 (h), W3 (h×1),
    b3 (1): p = h² + 4h + 1 parameters (1761 for h = 40, 4353 for h = 64)::

        a1 = f(x W1 + b1),  a2 = f(a1 W2 + b2),  ŷ = a2 W3 + b3,  L(θ) = (1/k) Σ_m (ŷ_m − y_m)²

    with f' = 1[h > 0] for ReLU and f' = 1 − a² for tanh; backpropagation by hand.
    """

    hidden: int = 40
    activation: str = "relu"
    name = "mlp"

    def __post_init__(self) -> None:
        check.count(self.hidden, "hidden")
        check.choice(self.activation, "activation", ("relu", "tanh"))

    def n_params(self, n_inputs: int = 1) -> int:
        if n_inputs != 1:
            raise ValueError(f"the MLP takes 1 input feature, got {n_inputs}")
        return self.hidden**2 + 4 * self.hidden + 1

    def init(self, rng: np.random.Generator) -> Array:
        """Every weight and bias ~ U(−1/√fan_in, +1/√fan_in) (PyTorch's default for a linear
        layer). Larger, He-style weights make plain-SGD inner loops diverge on x ∈ [−5, 5]."""
        rng, h, b = check.generator(rng), self.hidden, 1.0 / math.sqrt(self.hidden)
        sizes = [(1.0, h), (1.0, h), (b, h * h), (b, h), (b, h), (b, 1)]  # (bound, size)
        return np.concatenate([rng.uniform(-bound, bound, size=n) for bound, n in sizes])

    def _act(self, h: Array) -> tuple[Array, Array]:
        """f(h) and f'(h)."""
        if self.activation == "tanh":
            return (a := np.tanh(h)), 1.0 - a * a
        return np.maximum(h, 0.0), (h > 0).astype(np.float64)

    def _forward(self, thetas: Array, X: Array) -> tuple[Array, ...]:
        shapes = [(1, h := self.hidden), (h,), (h, h), (h,), (h, 1), (1,)]
        w1, b1, w2, b2, w3, b3 = _unpack(np.asarray(thetas, dtype=np.float64), shapes)
        a1, da1 = self._act(X * w1 + b1[..., None, :])  # (..., k, h); X has 1 feature
        a2, da2 = self._act(a1 @ w2 + b2[..., None, :])
        return (a2 @ w3)[..., 0] + b3, a1, da1, a2, da2, w2, w3  # ŷ (..., k) first

    def predict(self, thetas: Array, X: Array) -> Array:
        """ŷ for inputs X (..., k, 1) → (..., k)."""
        return self._forward(thetas, X)[0]

    def loss(self, thetas: Array, X: Array, y: Array) -> Array:
        return np.mean((self.predict(thetas, X) - y) ** 2, axis=-1)

    def loss_and_grad(self, thetas: Array, X: Array, y: Array) -> tuple[Array, Array]:
        pred, a1, da1, a2, da2, w2, w3 = self._forward(thetas, X)
        err = pred - y  # (..., k)
        d_pred = (2.0 / X.shape[-2]) * err  # dL/dŷ
        d_h2 = d_pred[..., None] * w3[..., None, :, 0] * da2  # (..., k, h)
        d_h1 = (d_h2 @ np.swapaxes(w2, -1, -2)) * da1
        lead = thetas.shape[:-1]
        grad = [
            (X[..., 0][..., None, :] @ d_h1)[..., 0, :],  # W1
            d_h1.sum(axis=-2),  # b1
            (np.swapaxes(a1, -1, -2) @ d_h2).reshape(*lead, -1),  # W2
            d_h2.sum(axis=-2),  # b2
            (d_pred[..., None, :] @ a2)[..., 0, :],  # W3
            d_pred.sum(axis=-1, keepdims=True),  # b3
        ]
        return np.mean(err**2, axis=-1), np.concatenate(grad, axis=-1)


@dataclass(frozen=True)
class ConvNetModel(Model):
    """Few-shot image classifier for 28×28 one-channel images flattened to d = 784: ``layers``
    × [3×3 convolution, stride 2, zero padding 1, ReLU] of ``channels`` channels (28 → 14 → 7
    → 4 → 2 pixels), a linear head to N = ``ways`` classes; y: class indices 0..N−1 (floats)::

        h_0 = x,  h_l = relu(P(h_{l−1}) W_l + b_l),  z = vec(h_L) V + c,
        L(θ) = (1/k) Σ_m [log Σ_c e^{z_mc} − z_{m,y_m}],   ∂L/∂z = (softmax(z) − onehot(y)) / k

    P(h) (im2col): a row per output pixel holding its 3×3 patch (row, column, channel), so a
    layer is ONE matmul for all stacked runs, tasks and images. Backward, with δ_l = ∂L/∂h_l ⊙
    1[h_l > 0]: ∂L/∂W_l = P(h_{l−1})ᵀ δ_l, ∂L/∂b_l = Σ_pixels δ_l, ∂L/∂h_{l−1} = Pᵀ(δ_l W_lᵀ)
    (col2im Pᵀ adds each patch back where it came from). θ = (W_1 (9×C), b_1 (C), W_2 (9C×C),
    b_2, ..., V (4C×N), c (N)), p = 28 709; ``dtype="float32"`` computes in single precision.
    """

    ways: int = 5
    channels: int = 32
    layers: int = 4
    dtype: str = "float64"
    name = "convnet"

    def __post_init__(self) -> None:
        check.counts(ways=self.ways, channels=self.channels, layers=self.layers)
        check.choice(self.dtype, "dtype", ("float64", "float32"))

    def _shapes(self) -> list[tuple[int, ...]]:  # of W_1, b_1, ..., W_L, b_L, V, c in θ
        c, side = self.channels, -(-28 // 2**self.layers)  # ⌈28 / 2^L⌉ pixels after L layers
        weights = [(9 * c if layer else 9, c) for layer in range(self.layers)]
        return [s for w in [*weights, (side * side * c, self.ways)] for s in (w, w[1:])]

    def n_params(self, n_inputs: int = 784) -> int:
        if n_inputs != 784:
            raise ValueError(f"the convnet takes 28×28 images flattened to 784, got {n_inputs}")
        return sum(math.prod(s) for s in self._shapes())

    def init(self, rng: np.random.Generator) -> Array:
        """He-normal convolutions W_l ~ N(0, 2/fan_in), biases 0, and a zero head V = 0, c = 0:
        labels are permuted per task, so θ should prefer no class (measured: better than Glorot)."""
        rng, (*convs, head, bias) = check.generator(rng), self._shapes()
        he = [rng.normal(0, math.sqrt(2 / s[0]), s) if s[1:] else np.zeros(s) for s in convs]
        return np.concatenate([*(w.ravel() for w in he), np.zeros(math.prod(head) + bias[0])])

    def _forward(self, thetas: Array, X: Array) -> tuple[Array, Array, list, list]:
        params = _unpack(thetas.astype(dt := np.dtype(self.dtype), copy=False), self._shapes())
        a, cache = X.astype(dt, copy=False).reshape(*X.shape[:-1], 28, 28, 1), []
        for w, b in zip(params[:-2:2], params[1:-2:2], strict=True):
            *rest, side, _, c = a.shape
            pad = np.zeros((*rest, side + 2, side + 2, c), dt)
            pad[..., 1:-1, 1:-1, :] = a
            win = sliding_window_view(pad, (3, 3, c), axis=(-3, -2, -1))[..., ::2, ::2, 0, :, :, :]
            patches = win.reshape(*rest[:-1], -1, 9 * c)  # im2col (a copy)
            h = np.maximum(np.matmul(patches, w) + b[..., None, :], 0.0)
            cache.append((a.shape, patches, h))
            a = h.reshape(*h.shape[:-2], rest[-1], (side + 1) // 2, (side + 1) // 2, -1)
        feats = a.reshape(*a.shape[:-3], -1)
        return np.matmul(feats, params[-2]) + params[-1][..., None, :], feats, cache, params

    @staticmethod
    def _xent(z: Array, y: Array) -> tuple[Array, Array]:
        """Mean cross-entropy (...,) and its gradient with respect to the logits z (..., k, N)."""
        z = z - z.max(axis=-1, keepdims=True)
        total = (e := np.exp(z)).sum(axis=-1, keepdims=True)
        onehot = np.asarray(y)[..., None] == np.arange(z.shape[-1])
        loss = np.mean(np.log(total[..., 0]) - np.sum(z * onehot, axis=-1), axis=-1)
        return loss.astype(np.float64), (e / total - onehot) / z.shape[-2]

    def predict(self, thetas: Array, X: Array) -> Array:
        """The predicted class argmax_c z_mc of every image X (..., k, 784): (..., k)."""
        return np.argmax(self._forward(thetas, X)[0], axis=-1)

    def accuracy(self, thetas: Array, X: Array, y: Array) -> Array:
        return np.mean(self.predict(thetas, X) == y, axis=-1)

    def loss(self, thetas: Array, X: Array, y: Array) -> Array:
        return self._xent(self._forward(thetas, X)[0], y)[0]

    def loss_and_grad(self, thetas: Array, X: Array, y: Array) -> tuple[Array, Array]:
        z, feats, cache, params = self._forward(thetas, X)
        loss, dz = self._xent(z, y)
        grads = [dz.sum(axis=-2), np.matmul(np.swapaxes(feats, -1, -2), dz)]
        d = np.matmul(dz, np.swapaxes(params[-2], -1, -2))  # ∂L/∂vec(h_L)
        for layer in reversed(range(self.layers)):
            (*rest, side, _, c), patches, h = cache[layer]
            d = d.reshape(h.shape) * (h > 0)  # δ_l
            grads += [d.sum(axis=-2), np.matmul(np.swapaxes(patches, -1, -2), d)]
            if layer == 0:
                break
            out, dp = (side + 1) // 2, np.matmul(d, np.swapaxes(params[2 * layer], -1, -2))
            dp = dp.reshape(*d.shape[:-2], rest[-1], out, out, 3, 3, c)  # ∂L/∂P(h_{l−1})
            dpad = np.zeros((*dp.shape[:-5], side + 2, side + 2, c), dp.dtype)
            for i, j in np.ndindex(3, 3):  # col2im
                dpad[..., i : i + 2 * out : 2, j : j + 2 * out : 2, :] += dp[..., i, j, :]
            d = dpad[..., 1:-1, 1:-1, :]
        return loss, np.concatenate([g.reshape(*dz.shape[:-2], -1) for g in grads[::-1]], axis=-1)

    def check_targets(self, y: Array, name: str) -> None:
        if not np.isin(y, np.arange(self.ways)).all():
            raise ValueError(f"{name} must hold class indices 0..{self.ways - 1}")


# --- The inner loop and the meta-step ------------------------------------------------------------
def _step_batch(X: Array, y: Array, t: int, batch_size: int | None) -> tuple[Array, Array]:
    """B_t: all k points, or block t of ``batch_size`` points (cycling through the k)."""
    if batch_size is None:
        return X, y
    start = (t * batch_size) % X.shape[-2]
    return X[..., start : start + batch_size, :], y[..., start : start + batch_size]


def inner_loop(
    model: Model, thetas: Array, X: Array, y: Array, alpha: float, steps: int,
    batch_size: int | None = None,
) -> list[Array]:  # fmt: skip
    """The one inner loop of the course: θ^(t+1) = θ^(t) − α ∇L(θ^(t); B_t), t < ``steps``.

    ``batch_size=None``: B_t is the whole support set every step (the chapter's and the paper's
    literal k-shot regime). ``batch_size=b``: B_t is the t-th block of b support points,
    cycling (the minibatch regime of Nichol et al.'s sine demo: 50 points, 5 blocks of 10).
    Returns the trajectory [θ^(0), ..., θ^(steps)]; θ' is its last entry. Nothing is checked.
    """
    path = [thetas]
    for t in range(steps):
        step = model.loss_and_grad(path[-1], *_step_batch(X, y, t, batch_size))[1]
        step *= -alpha  # in place: θ − α∇L without another (…, p) temporary
        path.append(step + path[-1])
    return path


def _check_method(algorithm: object, weighting: object, model: Model) -> None:
    check.choice(algorithm, "algorithm", ALGORITHMS)
    check.choice(weighting, "weighting", WEIGHTINGS)
    if algorithm == "maml" and not model.second_order:
        raise ValueError(f"algorithm 'maml' needs Hessian-vector products, which the {model.name} "
                         "model does not provide; use 'fomaml' or 'reptile'")  # fmt: skip


def _meta_step(
    theta: Array, tasks: Sequence[Array], alpha: float, beta: float | Array, algorithm: str,
    weighting: str, inner_steps: int, model: Model, batch_size: int | None, losses: bool = True,
) -> tuple[Array, dict[str, Array]]:  # fmt: skip
    """:func:`meta_step` without checks; a diverged run's θ comes back non-finite.
    The meta-gradient of MAML is dL_test(θ'_i)/dθ = (I − α H(θ^(0))) ⋯ (I − α H(θ^(T−1)))
    ∇L_test(θ'_i), applied right to left (factor T−1 first) by Hessian-vector products.
    """
    X_train, y_train, X_test, y_test = tasks
    thetas = np.broadcast_to(theta[..., None, :], (*X_train.shape[:-2], theta.shape[-1]))
    with np.errstate(over="ignore", invalid="ignore"):
        path = inner_loop(model, thetas, X_train, y_train, alpha, inner_steps, batch_size)
        adapted = path[-1]
        directions = (adapted - thetas if algorithm == "reptile"
                      else model.loss_and_grad(adapted, X_test, y_test)[1])  # fmt: skip
        for t in reversed(range(inner_steps) if algorithm == "maml" else []):
            X_t = _step_batch(X_train, y_train, t, batch_size)[0]
            directions = directions - alpha * model.hvp(path[t], X_t, directions)
        weights = _weights(updates := thetas - adapted, weighting)
        combined = (weights[..., None, :] @ directions)[..., 0, :]
        sign = 1.0 if algorithm == "reptile" else -1.0  # meta-gradients are descended
        theta_new = theta + sign * np.asarray(beta)[..., None] * combined
    info = {"weights": weights, "updates": updates, "directions": directions}
    if losses:
        info["loss_before"] = model.loss(thetas, X_test, y_test)
        info["loss_after"] = model.loss(adapted, X_test, y_test)
        if (acc := model.accuracy(thetas, X_test, y_test)) is not None:
            info["acc_before"], info["acc_after"] = acc, model.accuracy(adapted, X_test, y_test)
    return theta_new, info


def meta_step(
    theta: Array, tasks: Sequence[Array], alpha: float, beta: float, algorithm: str = "maml",
    weighting: str = "agreement", inner_steps: int = 1, model: Model | None = None,
    batch_size: int | None = None,
) -> tuple[Array, dict[str, Array]]:  # fmt: skip
    """One meta-update on a batch of n tasks, all tasks at once (stacked arrays).

    1. Inner loop for every task (:func:`inner_loop`): θ'_i after ``inner_steps`` steps of
       size α on its support set; update vectors g_i = θ − θ'_i.
    2. Weights w_i: ``"uniform"`` 1/n; ``"agreement"`` the paper's
       w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|; ``"chapter"`` the chapter's normalisation;
       ``"cosine"`` the magnitude-robust variant (not from the paper).
    3. Meta-update:
       ``"maml"``    θ ← θ − β Σ_i w_i ∇_θ L_test_i(θ'_i)   (exact second order)
       ``"fomaml"``  θ ← θ − β Σ_i w_i ∇L_test_i(θ'_i)      (first order: Hessians dropped)
       ``"reptile"`` θ ← θ + β Σ_i w_i (θ'_i − θ)

    ``model`` defaults to :class:`LogisticModel`; :class:`MLPModel` and :class:`ConvNetModel`
    have no Hessian-vector product, so they take "fomaml" and "reptile" only. ``tasks`` is a
    ``gaml_tasks.TaskBatch`` or the tuple (X_train, y_train, X_test, y_test).

    Returns ``(theta_new, info)``: ``weights`` (n,), ``updates`` (n, p), ``directions`` (n, p)
    (the weighted per-task vectors: meta-gradients, or θ'_i − θ for Reptile), ``loss_before`` /
    ``loss_after`` (n,) (query loss at θ and θ'_i), ``acc_before`` / ``acc_after`` if classes.
    """
    model = LogisticModel() if model is None else model
    theta, beta = check.as_array(theta, "theta", 1), check.rate(beta, "beta")
    settings = check.settings(alpha, inner_steps, batch_size)
    _check_method(algorithm, weighting, model)
    alpha, inner_steps, batch_size = settings
    tasks = check.tasks(tasks, theta, model)
    args = (algorithm, weighting, inner_steps, model, batch_size)
    theta_new, info = _meta_step(theta, tasks, alpha, beta, *args)
    if not (np.isfinite(info["updates"]).all() and np.isfinite(info["directions"]).all()):
        raise ValueError(f"the inner loop diverged (non-finite parameters after {inner_steps} "
                         f"step(s) of alpha={alpha}); use a smaller alpha")  # fmt: skip
    if not np.isfinite(theta_new).all():
        raise ValueError(f"the meta-update overflowed (beta={beta}); use a smaller beta")
    return theta_new, info


# --- Training and evaluation ---------------------------------------------------------------------
@dataclass
class History:
    """What :func:`train` records, one row per meta-iteration (then a column per run):
    ``loss_before`` / ``loss_after``: mean query loss over the batch at θ and at θ'_i;
    ``weights`` (T, n): each task's weight; ``disagreeing`` (T, n): which tasks disagreed;
    ``task_loss_after`` (T, n): each task's query loss at θ'_i."""

    loss_before: Array
    loss_after: Array
    weights: Array
    disagreeing: Array
    task_loss_after: Array | None = None

    @staticmethod
    def _mean_over(values: Array, mask: Array) -> Array:
        count, total = mask.sum(axis=-1), np.where(mask, values, 0.0).sum(axis=-1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)  # count >= 1: no 0/0

    def agreeing_loss_after(self) -> Array:
        """Per iteration, the mean query loss after adaptation of the agreeing tasks only."""
        if self.task_loss_after is None:
            raise ValueError("this History has no per-task losses (task_loss_after is None)")
        return self._mean_over(self.task_loss_after, ~self.disagreeing)

    def mean_weight(self, disagreeing: bool) -> Array:
        """Per iteration, the mean weight of the (dis)agreeing tasks (NaN where there are none)."""
        return self._mean_over(self.weights, self.disagreeing if disagreeing else ~self.disagreeing)


def train(
    theta: Array, sampler: Callable[[np.random.Generator], Any],
    rng: np.random.Generator | Sequence[np.random.Generator], iterations: int, alpha: float,
    beta: float | Sequence[float], algorithm: str = "maml", weighting: str = "agreement",
    inner_steps: int = 1, model: Model | None = None, progress: bool = False,
    schedule: str = "constant", batch_size: int | None = None,
    on_step: Callable[[int, Any, Array, dict[str, Array]], None] | None = None,
    history: bool = True,
) -> tuple[Array, History | None]:  # fmt: skip
    """Meta-train from θ for ``iterations`` meta-steps, each on a fresh batch ``sampler(rng)``,
    with step size β_t = β (``schedule="constant"``) or β_t = β (1 − t/T), annealed to 0 at
    t = T (``"linear"``, Nichol et al. 2018).

    Many runs at once: θ (R, p), ``rng`` R generators (run r draws its batches from ``rng[r]``
    only), ``beta`` a number or R numbers; the runs' batches are stacked so one NumPy call
    serves them all, with the results of training each run alone. A run whose θ stops being
    finite has diverged: its θ becomes NaN and stays NaN (a single run raises ``ValueError``).

    ``on_step(t, batch, theta, info)`` is called after every meta-step with the sampled batch
    (a list for runs), the new θ (changed in place, it is where the next meta-step starts: a
    projection such as zeroing a classifier's head) and :func:`meta_step`'s info. ``progress``
    shows a tqdm bar. Returns θ and a :class:`History` (None with ``history=False``).
    """
    model = LogisticModel() if model is None else model
    single = np.ndim(theta) != 2
    thetas = np.atleast_2d(check.as_array(theta, "theta", 1 if single else 2)).copy()
    rngs = [check.generator(rng)] if single else [check.generator(r) for r in rng]  # type: ignore[union-attr]
    if len(rngs) != len(thetas):
        raise ValueError(f"rng must hold one generator per run ({len(thetas)}), got {len(rngs)}")
    betas = np.broadcast_to(np.asarray(beta, dtype=np.float64), thetas.shape[:-1])
    for b in betas.tolist():
        check.rate(b, "beta")
    iterations = check.count(iterations, "iterations")
    schedule = check.choice(schedule, "schedule", SCHEDULES)
    settings = check.settings(alpha, inner_steps, batch_size)
    _check_method(algorithm, weighting, model)
    alpha, inner_steps, batch_size = settings
    args = (algorithm, weighting, inner_steps, model, batch_size, history)
    rows: list[tuple[Array, ...]] = []
    for t in tqdm(range(iterations), disable=not progress, mininterval=1.0, leave=False):
        batches = [sampler(r) for r in rngs]
        tasks = tuple(np.stack(part) for part in zip(*batches, strict=True))
        tasks = check.tasks(tasks, thetas, model) if t == 0 else tasks
        beta_t = betas * (1.0 - t / iterations) if schedule == "linear" else betas
        thetas, info = _meta_step(thetas, tasks, alpha, beta_t, *args)
        diverged = ~np.isfinite(thetas).all(axis=-1)
        if single and diverged.any():
            raise ValueError(
                f"training diverged at meta-iteration {t} (non-finite parameters, "
                f"alpha={alpha}, beta={beta}); use a smaller alpha or beta"
            )
        thetas[diverged] = np.nan
        info = {key: value[0] for key, value in info.items()} if single else info
        if history:
            bad = [getattr(b, "disagreeing", np.zeros(tasks[0].shape[1], bool)) for b in batches]
            after, bad = info["loss_after"], np.reshape(bad, info["loss_after"].shape)
            rows.append((info["loss_before"].mean(-1), after.mean(-1), info["weights"], bad, after))
        if on_step is not None:
            on_step(t, batches[0] if single else batches, thetas[0] if single else thetas, info)
    out = History(*(np.stack(column) for column in zip(*rows, strict=True))) if history else None
    return thetas[0] if single else thetas, out


def evaluate(
    theta: Array, tasks: Sequence[Array], alpha: float, steps: int = 1, model: Model | None = None
) -> dict[str, Array]:
    """Adapt θ to each held-out task (:func:`inner_loop` on its whole support set) and
    measure its query set: ``loss`` (steps+1, n) and, for a classifier, ``accuracy``; row t is
    the value after t inner steps of size α."""
    model = LogisticModel() if model is None else model
    theta, alpha = check.as_array(theta, "theta", 1), check.rate(alpha, "alpha")
    steps = check.count(steps, "steps", minimum=0)
    X_train, y_train, X_test, y_test = check.tasks(tasks, theta, model)
    thetas = np.broadcast_to(theta, (X_train.shape[0], theta.shape[0]))
    path = inner_loop(model, thetas, X_train, y_train, alpha, steps)
    out = {"loss": np.stack([model.loss(th, X_test, y_test) for th in path])}
    if model.accuracy(thetas, X_test, y_test) is not None:
        out["accuracy"] = np.stack([model.accuracy(th, X_test, y_test) for th in path])
    return out


# --- One task of the logistic model, for the notebooks' first steps ------------------------------
def logistic_loss(theta: Array, X: Array, y: Array) -> float:
    """Mean binary cross-entropy of ŷ = σ(Xθ) on one task (see :class:`LogisticModel`)."""
    return float(LogisticModel().loss(*check.one_task(theta, X, y)))


def logistic_grad(theta: Array, X: Array, y: Array) -> Array:
    """∇L(θ) = Xᵀ(σ(Xθ) − y) / k on one task."""
    return LogisticModel().loss_and_grad(*check.one_task(theta, X, y))[1]


def adapt(theta: Array, X: Array, y: Array, alpha: float, steps: int = 1) -> Array:
    """θ' after ``steps`` steps θ ← θ − α ∇L(θ) on one task's (X, y) (:func:`inner_loop`)."""
    theta, X, y = check.one_task(theta, X, y)
    alpha, steps = check.rate(alpha, "alpha"), check.count(steps, "steps")
    return inner_loop(LogisticModel(), theta, X, y, alpha, steps)[-1]


def maml_meta_gradient(
    theta: Array, X_train: Array, y_train: Array, X_test: Array, y_test: Array, alpha: float,
    steps: int = 1, first_order: bool = False,
) -> Array:  # fmt: skip
    """dL_test(θ')/dθ for one task of the logistic model, θ' = adapt(θ, X_train, y_train, ...).

    Exact (second order): with θ^(t+1) = θ^(t) − α ∇L_train(θ^(t)), the chain rule gives::

        dL_test(θ')/dθ = (I − α H(θ^(0))) (I − α H(θ^(1))) ⋯ (I − α H(θ^(steps−1))) ∇L_test(θ')

    evaluated right to left with Hessian-vector products (no d×d matrix). ``first_order=True``
    drops the Hessian terms (first-order MAML, as the chapter's code does): ∇L_test(θ').
    """
    theta, X_train, y_train = check.one_task(theta, X_train, y_train)
    _, X_test, y_test = check.one_task(theta, X_test, y_test)
    alpha, steps = check.rate(alpha, "alpha"), check.count(steps, "steps")
    tasks = (X_train[None], y_train[None], X_test[None], y_test[None])
    args = ("fomaml" if first_order else "maml", "uniform", steps, LogisticModel(), None, False)
    return _meta_step(theta, tasks, alpha, 0.0, *args)[1]["directions"][0]
