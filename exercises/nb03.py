"""Exercises of notebook 3 (GA-MAML): the inner loop, a first-order GA-MAML step, the exact
meta-gradient through several inner steps.

Exercise 3.1 ``inner_loop_logistic(theta, X, y, alpha, steps)``: θ' after ``steps`` gradient
steps on one task of the logistic model (the gradient written out).
Exercise 3.2 ``ga_fomaml_step(theta, tasks, alpha, beta, steps)``: one first-order GA-MAML
meta-update on a batch (a ``TaskBatch``, as the notebook's ``sample`` returns).
Exercise 3.3 ``exact_meta_gradient(theta, X, y, Xq, yq, alpha, steps)``: dL_test(θ')/dθ with
Hessian-vector products, checked against ``gc.maml_meta_gradient`` and finite differences.

Every check varies each argument a learner could fix in the code (α, β, steps, θ, the numbers
of tasks, points and features) over its cases, none of them equal to a number of the notebook's
cells, and where the answer does not depend on scale it adds cases with updates of about 1e-6
and 1e6. The helpers below (:func:`value_check`, :class:`Expected`, :func:`same`,
:func:`fixed_argument`, :func:`explained`) are shared with ``nb04``.
"""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Case,
    Mistake,
    attempt,
    check,
    exercise_decorator,
    run_check,
    shape_problem,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_exact_meta_gradient",
    "check_ga_fomaml_step",
    "check_inner_loop_logistic",
    "exact_meta_gradient",
    "exercise",
    "finite_difference_meta_gradient",
    "ga_fomaml_step",
    "inner_loop_logistic",
]

exercise = exercise_decorator(sys.modules[__name__])


# --- Reference solutions (shown in the notebook's collapsed blocks) -------------------------------


def inner_loop_logistic(theta, X, y, alpha, steps):
    for _ in range(steps):
        grad = X.T @ (gc.sigmoid(X @ theta) - y) / len(y)  # at the current θ, every step
        theta = theta - alpha * grad  # a new array: the caller's θ is left alone
    return theta


def ga_fomaml_step(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks
    adapted = np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train, strict=True)]
    )
    weights = gc.agreement_weights(theta - adapted)  # from the updates g_i = θ − θ'_i
    grads = np.array(
        [gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, X_test, y_test, strict=True)]
    )
    return theta - beta * weights @ grads  # query gradients at θ'_i, no Hessians


def exact_meta_gradient(theta, X, y, Xq, yq, alpha, steps):
    path = [theta]  # θ^(0), ..., θ^(steps)
    for _ in range(steps):
        path.append(path[-1] - alpha * gc.logistic_grad(path[-1], X, y))
    v = gc.logistic_grad(path[-1], Xq, yq)  # ∇L_test(θ')
    for t in reversed(range(steps)):  # right to left: factor steps−1 first
        s = gc.sigmoid(X @ path[t])
        v = v - alpha * X.T @ (s * (1 - s) * (X @ v)) / len(y)  # (I − α H(θ^(t))) v
    return v


# --- Comparing one answer with the engine's, case by case (shared with nb04) ----------------------
#
# These belong with the shared machinery in ``exercises/__init__.py``: a per-case comparison
# that can compare displacements (``origin``: θ_new − θ rather than θ_new, so a step of 1e-6 is
# checked to full relative precision), a tolerance relative to the answer's own size, shape hints
# tried before the generic shape message, and a scale-specific fallback.

Hint = Callable[[Any, tuple[Any, ...]], str | None]  # (the learner's value, the case's args)


def same(got: Any, want: Any, origin: Any = None, rtol: float = 1e-7) -> bool:
    """``got`` equals ``want`` to ``rtol``, relative to the size of ``want`` (of ``want − origin``
    when ``origin`` is given: then the displacements from ``origin`` are compared)."""
    try:
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != want.shape:
        return False
    if origin is not None:
        got, want = got - origin, want - origin
    size = float(np.max(np.abs(want))) if want.size else 0.0
    with np.errstate(all="ignore"):
        return bool(np.allclose(got, want, rtol=rtol, atol=1e-9 * size + 1e-300))


def relative_error(got: Any, want: Any, origin: Any = None) -> float:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if origin is not None:
        got, want = got - origin, want - origin
    return float(np.linalg.norm(got - want) / max(float(np.linalg.norm(want)), 1e-300))


@dataclass
class Expected:
    """One case of a check that compares values: its label, the arguments, the engine's answer
    and how to compare (``origin``: compare displacements from it; ``rtol``; ``hints`` tried on
    a wrong shape; ``scale``: the size of the updates in a scaled case; ``nan_hint``)."""

    label: str
    args: tuple[Any, ...]
    want: Any
    origin: Any = None
    rtol: float = 1e-7
    hints: Sequence[Hint] = ()
    scale: str | None = None
    nan_hint: str = ""


def _mistake_value(wrong: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    try:
        with np.errstate(all="ignore"):
            return wrong(*copy.deepcopy(list(args)))
    except Exception:
        return None


def compare(
    got: Any,
    case: Expected,
    mistakes: Sequence[Mistake],
    name: str,
    others: Callable[[], list[tuple[Expected, Any]]] = list,
    passed: Sequence[Expected] = (),
) -> str | None:
    """None if ``got`` is right in ``case``, else the one diagnosis that was established, in
    this order: a shape hint, the shape, NaN, a known mistake that gives exactly ``got``, the
    scale (in a scaled case, reached after the ordinary ones passed), the generic message.

    A mistake is named only if it also gives the right answer in the cases the learner passed
    (``passed``); when several give ``got`` here, the one that also gives the learner's answers
    in the other cases (``others()``: pairs of case and the learner's value there) is named.
    """
    want = np.asarray(case.want, dtype=np.float64)
    problem = shape_problem(got, want, name)
    if problem:
        for hint in case.hints:
            message = hint(got, case.args)
            if message:
                return message
        return problem
    values = np.asarray(got, dtype=np.float64)
    if not np.isfinite(values).all():
        return f"{name} returned NaN or inf" + (f": {case.nan_hint}" if case.nan_hint else "")
    if same(values, want, case.origin, case.rtol):
        return None
    matches = []
    for message, wrong in mistakes:
        value = _mistake_value(wrong, case.args)
        if value is None or same(value, want, case.origin, case.rtol):
            continue  # this mistake gives the right answer in this case: it proves nothing
        if same(values, value, case.origin, case.rtol) and all(
            same(_mistake_value(wrong, p.args), p.want, p.origin, p.rtol) for p in passed
        ):
            matches.append((message, wrong))
    if len(matches) > 1:
        learned = others()
        for message, wrong in matches:
            if all(
                same(value, _mistake_value(wrong, other.args), other.origin, other.rtol)
                for other, value in learned
            ):
                return message
    if matches:
        return matches[0][0]
    if case.scale:
        return (
            f"right for updates of ordinary size, wrong for updates of about {case.scale}: is "
            "there a fixed number in your formula (an ε added to a denominator, a threshold, "
            "a rounding)?"
        )
    return (
        f"the values differ from the engine's (relative error "
        f"{relative_error(values, want, case.origin):.1e}); compare your formula with the "
        "text above, step by step"
    )


def value_check(
    fn: Callable[..., Any],
    expected: Sequence[Expected],
    mistakes: Sequence[Mistake],
    success: str,
    name: str,
) -> bool:
    """:func:`run_check` on ``expected``, each case judged by :func:`compare`."""
    learner = explained(fn)

    def others() -> list[tuple[Expected, Any]]:
        pairs = []
        for other in expected:
            status, value = attempt(learner, other.args)
            if status == "ok" and shape_problem(value, np.asarray(other.want), name) is None:
                pairs.append((other, value))
        return pairs

    def judge(i: int) -> Callable[[Any], str | None]:
        # run_check stops at the first failure: the cases before i have passed
        return lambda got: compare(got, expected[i], mistakes, name, others, expected[:i])

    cases = [Case(e.label, e.args, e.want, diagnose=judge(i)) for i, e in enumerate(expected)]
    return run_check(learner, cases, (), success)


def fixed_argument(
    reference: Callable[..., Any],
    position: int,
    name: str,
    symbol: str,
    constants: Sequence[float],
) -> list[Mistake]:
    """The mistakes "argument ``name`` replaced by a fixed number" (from a notebook cell)."""

    def with_constant(value: float) -> Callable[..., Any]:
        def wrong(*args: Any) -> Any:
            args = list(args)
            args[position] = type(args[position])(value)
            return reference(*args)

        return wrong

    return [
        (
            f"your result is the one for {symbol} = {value:g}, whatever `{name}` is: use the "
            f"argument `{name}`, not a fixed number",
            with_constant(value),
        )
        for value in constants
    ]


def explained(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with errors that have a known cause in these exercises explained: a TaskBatch
    indexed like a tuple, an index past a size that the cases vary."""

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except TypeError as exc:
            if "TaskBatch" in str(exc) and "subscriptable" in str(exc):
                raise TypeError(
                    "a TaskBatch cannot be indexed like tasks[0]: unpack it, "
                    "`X_train, y_train, X_test, y_test = tasks`, or use tasks.X_train"
                ) from None
            raise
        except IndexError as exc:
            raise IndexError(
                f"{exc}; the cases vary the numbers of tasks, points and features: is a size "
                "fixed in your code?"
            ) from None
        except ValueError as exc:
            text = str(exc).strip()
            if "broadcast" in text or "mismatch" in text or "not aligned" in text:
                raise ValueError(
                    f"{text}; two arrays' lengths do not fit: a mean or sum over the wrong "
                    "axis, a missing transpose, or a size fixed in your code?"
                ) from None
            raise

    return call


# --- Helpers -------------------------------------------------------------------------------------

# Numbers that appear in notebook 3's cells: an argument fixed to one of them is diagnosed.
NOTEBOOK_ALPHAS = (1.0, 0.1, 0.3, 2.0, 0.01)
NOTEBOOK_BETAS = (1.0,)
NOTEBOOK_STEPS = (1, 2, 3, 5)


def _task(seed: int, k: int = 10, q: int = 20, dim: int = 6) -> tuple[np.ndarray, ...]:
    family = gt.LogisticTaskFamily.create(np.random.default_rng(seed), dim, 3.0, 1.0)
    return tuple(a[0] for a in family.sample(np.random.default_rng(seed + 9), 1, k, q))


def _theta(seed: int, dim: int = 6) -> np.ndarray:
    return 0.7 * np.random.default_rng(seed + 3).normal(size=dim)


def _path(theta, X, y, alpha, steps):
    return gc.inner_loop(gc.LogisticModel(), theta, X, y, alpha, steps)


def finite_difference_meta_gradient(theta, X, y, Xq, yq, alpha, steps, eps=1e-6):
    """Central differences of θ ↦ L_test(θ'(θ)), one coordinate at a time."""
    grad = np.zeros_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = eps
        plus = gc.logistic_loss(_path(theta + e, X, y, alpha, steps)[-1], Xq, yq)
        minus = gc.logistic_loss(_path(theta - e, X, y, alpha, steps)[-1], Xq, yq)
        grad[j] = (plus - minus) / (2 * eps)
    return grad


def _grad(theta, X, y):
    return X.T @ (gc.sigmoid(X @ theta) - y) / len(y)


# --- Exercise 3.1 --------------------------------------------------------------------------------


def _inner_cases() -> list[Expected]:
    cases = []
    for label, seed, dim, k, alpha, steps, size in (
        ("1 step, α = 0.6", 0, 5, 8, 0.6, 1, 1.0),
        ("3 steps, α = 0.45", 1, 7, 12, 0.45, 3, 1.0),
        ("4 steps, α = 1.7, 3 features", 2, 3, 6, 1.7, 4, 1.0),
        ("0 steps (θ' = θ)", 3, 6, 10, 0.8, 0, 1.0),
        ("one support point, 2 steps, α = 0.35", 4, 4, 1, 0.35, 2, 1.0),
        ("6 steps, α = 0.15, 9 features", 5, 9, 5, 0.15, 6, 1.0),
        ("tiny steps: α = 1e-6, θ of size 1e-6, 2 steps", 6, 6, 10, 1e-6, 2, 1e-6),
        ("huge steps: α = 1e6, 3 steps", 7, 5, 9, 1e6, 3, 1.0),
    ):
        X, y, _, _ = _task(seed, k, dim=dim)
        theta = size * _theta(seed, dim)
        want = _path(theta, X, y, alpha, steps)[-1]
        scale = {1e-6: "1e-6", 1e6: "1e6"}.get(alpha)
        cases.append(
            Expected(
                label, (theta, X, y, alpha, steps), want, origin=theta if scale else None,
                scale=scale, hints=INNER_HINTS,
                nan_hint="for large |Xθ| a hand-written σ can overflow (e^z / (1 + e^z) is "
                "inf / inf): use gc.sigmoid",
            )
        )  # fmt: skip
    return cases


def _linear_path(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta = theta - alpha * X.T @ (X @ theta - y) / len(y)
    return theta


def _inner_variant(theta, X, y, alpha, steps, grad="mean", fixed=False):
    first = None
    for _ in range(steps):
        s = gc.sigmoid(X @ theta)
        residual = (s - y) * s * (1 - s) if grad == "squared" else s - y
        g = X.T @ residual / (X.shape[1] if grad == "by_d" else len(y))
        first = g if first is None else first
        theta = theta - alpha * (first if fixed else g)
    return theta


def _inner_reference(theta, X, y, alpha, steps):
    return _path(theta, X, y, alpha, steps)[-1]


INNER_MISTAKES = [
    ("you reuse the first gradient: recompute ∇L at the updated θ in every step (your θ' "
     "is θ − steps·α·∇L(θ), one big step)", lambda *a: _inner_variant(*a, fixed=True)),
    ("one step too many: `for _ in range(steps)` runs exactly `steps` times",
     lambda th, X, y, a, s: _path(th, X, y, a, s + 1)[-1]),
    ("one step too few: `for _ in range(steps)` runs exactly `steps` times",
     lambda th, X, y, a, s: _path(th, X, y, a, max(s - 1, 0))[-1]),
    ("you climbed the loss: the step is θ ← θ − α∇L, with a minus (and ∇L = Xᵀ(σ − y)/k)",
     lambda th, X, y, a, s: _path(th, X, y, -a, s)[-1]),
    ("your gradient is k times too large: divide Xᵀ(σ(Xθ) − y) by k, the loss is a mean",
     lambda th, X, y, a, s: _path(th, X, y, a * len(y), s)[-1]),
    ("you divided by d, the number of features: divide by k = len(y), the number of support "
     "points", lambda *a: _inner_variant(*a, grad="by_d")),
    ("you used the squared-error gradient Xᵀ((σ − y)σ(1 − σ))/k: for the cross-entropy σ′ "
     "cancels, ∇L = Xᵀ(σ(Xθ) − y)/k", lambda *a: _inner_variant(*a, grad="squared")),
    ("you used the logits Xθ as predictions; the model predicts σ(Xθ)",
     lambda th, X, y, a, s: _linear_path(th, X, y, a, s)),
    ("you divided by 10, the k of the notebook's tasks: divide by k = len(y), the number of "
     "support points of the task you are given",
     lambda th, X, y, a, s: _path(th, X, y, a * len(y) / 10, s)[-1]),
    *fixed_argument(_inner_reference, 3, "alpha", "α", NOTEBOOK_ALPHAS),
    *fixed_argument(_inner_reference, 4, "steps", "steps", NOTEBOOK_STEPS),
]  # fmt: skip


def _points_not_features(got, args) -> str | None:
    theta, X = args[0], args[1]
    if np.shape(got) == (X.shape[0],) and X.shape[0] != theta.shape[0]:
        return (
            f"your θ' has one entry per support point (k = {X.shape[0]}) instead of one per "
            f"feature (d = {theta.shape[0]}): sum over the points, Xᵀ(σ(Xθ) − y)/k"
        )
    return None


def _whole_path(got, args) -> str | None:
    theta, steps = args[0], args[4]
    if isinstance(got, list | tuple) and np.shape(got) == (steps + 1, theta.shape[0]):
        return "you returned the whole path θ^(0), ..., θ^(steps): return θ' only, the last one"
    return None


INNER_HINTS = (_points_not_features, _whole_path)


@check
def check_inner_loop_logistic(fn) -> bool:
    """Compare ``fn(theta, X, y, alpha, steps)`` with ``gc.inner_loop`` (0 to 6 steps, several
    α, 1 to 12 points, 3 to 9 features, and steps of about 1e-6 and 1e6)."""
    return value_check(
        fn, _inner_cases(), INNER_MISTAKES,
        "your inner loop matches gc.inner_loop for 0 to 6 steps, α from 1e-6 to 1e6 and 3 "
        "to 9 features (one support point too)",
        name="your θ'",
    )  # fmt: skip


# --- Exercise 3.2 --------------------------------------------------------------------------------


def _batch(seed: int, n: int, k: int, q: int, dim: int, frac: float, kind: str = "flip"):
    family = gt.LogisticTaskFamily.create(np.random.default_rng(seed), dim, 3.0, 1.0, frac, kind)
    tasks = family.sample(np.random.default_rng(seed + 20), n, k, q)
    theta = 0.5 * family.mean + 0.3 * np.random.default_rng(seed + 40).normal(size=dim)
    return theta, tasks


BATCH_CASES = (  # label, seed, n, k, q, d, disagreeing fraction and kind, α, β, steps
    ("6 tasks (2 flipped), d = 5, α = 0.6, β = 0.35, 1 inner step",
     0, 6, 8, 12, 5, 0.34, "flip", 0.6, 0.35, 1),
    ("8 tasks (2 flipped), d = 7, α = 0.45, β = 1.3, 3 inner steps",
     1, 8, 10, 15, 7, 0.25, "flip", 0.45, 1.3, 3),
    ("1 task, d = 4, α = 1.7, β = 0.8, 2 inner steps", 2, 1, 6, 9, 4, 0.0, "flip", 1.7, 0.8, 2),
    ("12 tasks (3 random labels), d = 3, α = 0.25, β = 0.07, 4 inner steps",
     3, 12, 7, 10, 3, 0.25, "random", 0.25, 0.07, 4),
    ("5 tasks, tiny updates (α = 1e-6), β = 0.6, 2 inner steps",
     4, 5, 10, 12, 6, 0.4, "flip", 1e-6, 0.6, 2),
    ("7 tasks, huge updates (α = 1e6), β = 0.9, 2 inner steps",
     5, 7, 9, 11, 4, 0.3, "far", 1e6, 0.9, 2),
)  # fmt: skip


def _batch_cases() -> list[Expected]:
    cases = []
    for label, seed, n, k, q, dim, frac, kind, alpha, beta, steps in BATCH_CASES:
        theta, tasks = _batch(seed, n, k, q, dim, frac, kind)
        want = gc.meta_step(theta, tasks, alpha, beta, "fomaml", "agreement", steps)[0]
        scale = {1e-6: "1e-6", 1e6: "1e6"}.get(alpha)
        cases.append(
            Expected(label, (theta, tasks, alpha, beta, steps), want, origin=theta, scale=scale,
                     hints=(_per_task,))
        )  # fmt: skip
    return cases


def task_weights(vectors: np.ndarray, normalisation: str = "paper") -> np.ndarray:
    """The agreement weights of the rows of ``vectors`` and their usual wrong normalisations."""
    if normalisation == "uniform":
        return np.full(len(vectors), 1.0 / len(vectors))
    if normalisation in ("paper", "chapter"):
        return gc.agreement_weights(vectors, normalisation)
    scores = vectors @ vectors.sum(axis=0)
    return scores / scores.sum() if normalisation == "sum" else scores  # "sum" or "none"


def _support_sets(tasks, on: str):
    X_train, y_train, X_test, y_test = tasks
    return (X_train, y_train) if on == "support" else (X_test, y_test)


def _adapted(theta, tasks, alpha, steps, on="support"):
    X, y = _support_sets(tasks, on)
    return np.array([_path(theta, a, b, alpha, steps)[-1] for a, b in zip(X, y, strict=True)])


def _fomaml(theta, tasks, alpha, beta, steps, weighting="paper", sign=-1.0, grad_at="adapted",
            grad_on="query", weights_from="updates", exact=False, extra=1.0,
            adapt_on="support"):  # fmt: skip
    X_train, y_train, X_test, y_test = tasks
    adapted = _adapted(theta, tasks, alpha, steps, on=adapt_on)
    points = adapted if grad_at == "adapted" else np.broadcast_to(theta, adapted.shape)
    Xg, yg = _support_sets(tasks, "support" if grad_on == "support" else "query")
    if exact:
        grads = np.array([
            gc.maml_meta_gradient(theta, *task, alpha, steps)
            for task in zip(X_train, y_train, X_test, y_test, strict=True)
        ])  # fmt: skip
    elif grad_on == "updates":  # the Reptile step, θ − β Σ_i w_i g_i
        grads = theta - adapted
    else:
        grads = np.array([_grad(p, X, y) for p, X, y in zip(points, Xg, yg, strict=True)])
    vectors = {
        "updates": lambda: theta - adapted,
        "grads": lambda: grads,
        "adapted": lambda: adapted,
        "query": lambda: theta - _adapted(theta, tasks, alpha, steps, on="query"),
    }[weights_from]()
    return theta + sign * beta * extra * task_weights(vectors, weighting) @ grads


def _fomaml_reference(theta, tasks, alpha, beta, steps):
    return _fomaml(theta, tasks, alpha, beta, steps)


def _per_task(got, args) -> str | None:
    theta, tasks = args[0], args[1]
    n = tasks.X_train.shape[0]
    if np.shape(got) == (n,) and n != theta.shape[0]:
        return (
            f"your new θ has one entry per task (n = {n}) instead of one per feature (d = "
            f"{theta.shape[0]}): sum the weighted vectors over the tasks, `weights @ vectors`"
        )
    return None


WEIGHT_NORMALISATION_MISTAKES = [
    ("chapter", "you used the chapter's normalisation; the paper's makes Σ|w| = 1"),
    ("sum", "your weights are divided by their sum Σ_k s_k (np.average(..., weights=w) does "
     "that too); the paper divides by Σ_k |s_k|, which differs as soon as a weight is negative"),
    ("none", "your weights are not normalised: divide s_i = Σ_j g_iᵀg_j by Σ_k |s_k|"),
]  # fmt: skip

FOMAML_MISTAKES = [
    ("you averaged the meta-gradients (plain first-order MAML): GA weights each one by w_i",
     lambda *a: _fomaml(*a, weighting="uniform")),
    ("your meta-gradients are taken at θ: first-order MAML takes the query gradient at the "
     "adapted θ'_i", lambda *a: _fomaml(*a, grad_at="theta")),
    ("your meta-gradients use the support sets: the meta-gradient is the query set's",
     lambda *a: _fomaml(*a, grad_on="support")),
    ("you adapted on the query sets: adapt each task on its support set (X_train, y_train), "
     "then take the query gradient at θ'_i", lambda *a: _fomaml(*a, adapt_on="query")),
    ("you stepped along the updates g_i, as GA-Reptile does: first-order MAML steps along the "
     "query gradients ∇L_i^test(θ'_i)", lambda *a: _fomaml(*a, grad_on="updates")),
    ("you used the exact (second-order) meta-gradient: this step is first order, "
     "∇L_i^test(θ'_i) with no Hessians", lambda *a: _fomaml(*a, exact=True)),
    ("you stepped uphill: θ ← θ − β Σ_i w_i ∇L_i^test(θ'_i)", lambda *a: _fomaml(*a, sign=1.0)),
    ("your weights come from the meta-gradients; they come from the updates g_i = θ − θ'_i",
     lambda *a: _fomaml(*a, weights_from="grads")),
    ("your weights come from the adapted parameters θ'_i; they come from the updates "
     "g_i = θ − θ'_i", lambda *a: _fomaml(*a, weights_from="adapted")),
    ("your weights come from updates on the query sets; adapt on the support sets "
     "(X_train, y_train) for g_i", lambda *a: _fomaml(*a, weights_from="query")),
    *[(message, lambda *a, w=w: _fomaml(*a, weighting=w))
      for w, message in WEIGHT_NORMALISATION_MISTAKES],
    ("you divided by n once more: the weights already satisfy Σ|w_i| = 1",
     lambda th, t, a, b, s: _fomaml(th, t, a, b, s, extra=1.0 / t.X_train.shape[0])),
    ("your step ignores β: θ − β Σ_i w_i ∇L_i^test(θ'_i)",
     lambda th, t, a, b, s: _fomaml(th, t, a, 1.0, s)),
    ("you applied β twice (β²): θ − β Σ_i w_i ∇L_i^test(θ'_i)",
     lambda th, t, a, b, s: _fomaml(th, t, a, b * b, s)),
    ("your θ'_i come from 1 inner step whatever `steps` is: pass `steps` on to gc.adapt",
     lambda th, t, a, b, s: _fomaml(th, t, a, b, 1)),
    *fixed_argument(_fomaml_reference, 2, "alpha", "α", NOTEBOOK_ALPHAS),
    *fixed_argument(_fomaml_reference, 4, "steps", "steps", NOTEBOOK_STEPS[1:]),
]  # fmt: skip


@check
def check_ga_fomaml_step(fn) -> bool:
    """Compare ``fn(theta, tasks, alpha, beta, steps)`` with ``gc.meta_step(..., "fomaml")`` on
    TaskBatches of 1 to 12 tasks."""
    return value_check(
        fn, _batch_cases(), FOMAML_MISTAKES,
        "your GA-FOMAML step matches gc.meta_step(algorithm='fomaml') on 6 batches of 1 to 12 "
        "tasks, several α, β and inner steps, updates from 1e-6 to 1e6",
        name="your new θ",
    )  # fmt: skip


# --- Exercise 3.3 --------------------------------------------------------------------------------

META_CASES = (  # label, seed, d, k, q, α, steps; the 3-step case is also checked by differences
    ("1 inner step, α = 0.7", 0, 5, 9, 14, 0.7, 1),
    ("3 inner steps, α = 0.45", 1, 6, 10, 20, 0.45, 3),
    ("5 inner steps, α = 0.25, 4 features", 2, 4, 7, 11, 0.25, 5),
    ("2 inner steps, 3 support points, α = 1.6", 3, 7, 3, 9, 1.6, 2),
    ("4 inner steps, α = 0.85, 11 features", 4, 11, 15, 8, 0.85, 4),
)


def _meta_cases() -> list[Expected]:
    cases = []
    for label, seed, dim, k, q, alpha, steps in META_CASES:
        X, y, Xq, yq = _task(seed, k, q, dim)
        theta = _theta(seed, dim)
        args = (theta, X, y, Xq, yq, alpha, steps)
        cases.append(Expected(label, args, gc.maml_meta_gradient(*args), rtol=1e-6))
    return cases


def _hvp(theta, X, v, k, curvature="sigma_prime", y=None):
    s = gc.sigmoid(X @ theta)
    c = {"sigma_prime": s * (1 - s), "residual": s - y, "sigma": s}[curvature]
    return X.T @ (c * (X @ v)) / k


def _meta(theta, X, y, Xq, yq, alpha, steps, at="path", order="right", sign=-1.0, on="support",
          scale=1.0, curvature="sigma_prime", factors="all", start="query", by="k"):  # fmt: skip
    path = _path(theta, X, y, alpha, steps)
    v = _grad(path[-1], Xq, yq) if start == "query" else _grad(path[-1], X, y)
    ts = list(range(steps))
    ts = {"all": ts, "skip_first": ts[1:], "skip_last": ts[:-1], "extra": [*ts, steps]}[factors]
    ts = ts[::-1] if order == "right" else ts
    for t in ts:
        point = {"path": path[t], "start": path[0], "next": path[min(t + 1, steps)],
                 "end": path[-1]}[at]  # fmt: skip
        Xh, yh = (X, y) if on == "support" else (Xq, yq)
        k = len(yh) if by == "k" else X.shape[1]
        v = v + sign * alpha * scale * _hvp(point, Xh, v, k, curvature, yh)
    return v


def _meta_reference(theta, X, y, Xq, yq, alpha, steps):
    return _meta(theta, X, y, Xq, yq, alpha, steps)


META_MISTAKES = [
    ("that is the first-order meta-gradient ∇L_test(θ'): multiply by (I − αH(θ^(t))) once "
     "for every inner step",
     lambda th, X, y, Xq, yq, a, s: _grad(_path(th, X, y, a, s)[-1], Xq, yq)),
    ("every factor's Hessian is taken at θ: factor t needs H(θ^(t)), at the point where inner "
     "step t started", lambda *a: _meta(*a, at="start")),
    ("your Hessians are one step late: factor t uses θ^(t), the point before step t, not "
     "θ^(t+1)", lambda *a: _meta(*a, at="next")),
    ("every factor's Hessian is taken at θ': factor t needs H(θ^(t)), at the point where "
     "inner step t started", lambda *a: _meta(*a, at="end")),
    ("right factors, wrong order: apply them right to left, factor steps−1 first (it is the "
     "one next to ∇L_test(θ'))", lambda *a: _meta(*a, order="left")),
    ("(I + αH): the inner step subtracts α∇L, so dθ^(t+1)/dθ^(t) = I − αH",
     lambda *a: _meta(*a, sign=1.0)),
    ("your Hessians are the query loss's; the factors come from the inner steps, on the "
     "support set", lambda *a: _meta(*a, on="query")),
    ("your Hessian-vector product uses σ − y where σ′ = σ(1 − σ) belongs: "
     "Hv = Xᵀ(σ(1 − σ) ⊙ Xv)/k", lambda *a: _meta(*a, curvature="residual")),
    ("your Hessian-vector product uses σ where σ′ = σ(1 − σ) belongs: "
     "Hv = Xᵀ(σ(1 − σ) ⊙ Xv)/k", lambda *a: _meta(*a, curvature="sigma")),
    ("your Hessian-vector product is k times too large: H = Xᵀ diag(σ(1−σ)) X / k",
     lambda th, X, y, Xq, yq, a, s: _meta(th, X, y, Xq, yq, a, s, scale=len(y))),
    ("your Hessian-vector product divides by d, the number of features; divide by k, the "
     "number of support points", lambda *a: _meta(*a, by="d")),
    ("one factor too few: there is one factor per inner step, t = steps−1 down to 0 (t = 0 "
     "is missing)", lambda *a: _meta(*a, factors="skip_first")),
    ("one factor too few: there is one factor per inner step, t = steps−1 down to 0 (t = "
     "steps−1 is missing)", lambda *a: _meta(*a, factors="skip_last")),
    ("one factor too many: there is one factor per inner step, t = steps−1 down to 0, none "
     "at θ'", lambda *a: _meta(*a, factors="extra")),
    ("you started from the support loss's gradient at θ'; start from the query loss's, "
     "v = ∇L_test(θ') on (Xq, yq)", lambda *a: _meta(*a, start="support")),
    *fixed_argument(_meta_reference, 5, "alpha", "α", NOTEBOOK_ALPHAS),
    *fixed_argument(_meta_reference, 6, "steps", "steps", NOTEBOOK_STEPS),
]  # fmt: skip


@check
def check_exact_meta_gradient(fn) -> bool:
    """Compare with ``gc.maml_meta_gradient`` (1 to 5 inner steps), then with finite
    differences on the 3-step case."""
    if not value_check(
        fn, _meta_cases(), META_MISTAKES,
        "your meta-gradient matches gc.maml_meta_gradient for 1 to 5 inner steps, several α, "
        "3 to 15 support points and 4 to 11 features",
        name="your meta-gradient",
    ):  # fmt: skip
        return False
    args = _meta_cases()[1].args
    _, got = attempt(fn, args)
    reference = finite_difference_meta_gradient(*args)
    rel = np.linalg.norm(got - reference) / np.linalg.norm(reference)
    print(f"    and on 3 inner steps it agrees with central finite differences: relative "
          f"error {'below 1e-6' if rel < 1e-6 else f'{rel:.0e} (too large?)'}")  # fmt: skip
    return True
