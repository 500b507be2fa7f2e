"""Exercises of notebook 3 (GA-MAML): the inner loop, a first-order GA-MAML step, the exact
meta-gradient through several inner steps.

Exercise 3.1 ``inner_loop_logistic(theta, X, y, alpha, steps)``: θ' after ``steps`` gradient
steps on one task of the logistic model (the gradient written out).
Exercise 3.2 ``ga_fomaml_step(theta, tasks, alpha, beta, steps)``: one first-order GA-MAML
meta-update on a batch.
Exercise 3.3 ``exact_meta_gradient(theta, X, y, Xq, yq, alpha, steps)``: dL_test(θ')/dθ with
Hessian-vector products, checked against ``gc.maml_meta_gradient`` and finite differences.
"""

from __future__ import annotations

import sys

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import NOT_ATTEMPTED, Case, attempt, check, exercise_decorator, run_check

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


# --- Helpers -------------------------------------------------------------------------------------


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


# --- Exercise 3.1 --------------------------------------------------------------------------------


def _inner_cases() -> list[Case]:
    cases = []
    for label, seed, k, alpha, steps in (
        ("1 step", 0, 10, 1.0, 1),
        ("3 steps", 1, 10, 1.0, 3),
        ("5 steps, α = 0.3", 2, 8, 0.3, 5),
        ("0 steps (θ' = θ)", 3, 10, 1.0, 0),
        ("one support point, 2 steps", 4, 1, 0.5, 2),
    ):
        X, y, _, _ = _task(seed, k)
        theta = _theta(seed)
        cases.append(Case(label, (theta, X, y, alpha, steps), _path(theta, X, y, alpha, steps)[-1]))
    return cases


def _grad(theta, X, y):
    return X.T @ (gc.sigmoid(X @ theta) - y) / len(y)


INNER_MISTAKES = [
    ("right for one inner step, wrong for three: do you recompute the gradient at the "
     "updated θ?", lambda th, X, y, a, s: th - s * a * _grad(th, X, y)),
    ("one step too many: `for _ in range(steps)` runs exactly `steps` times",
     lambda th, X, y, a, s: _path(th, X, y, a, s + 1)[-1]),
    ("one step too few: `for _ in range(steps)` runs exactly `steps` times",
     lambda th, X, y, a, s: _path(th, X, y, a, max(s - 1, 0))[-1]),
    ("you climbed the loss: the step is θ ← θ − α∇L, with a minus (and ∇L = Xᵀ(σ − y)/k)",
     lambda th, X, y, a, s: _path(th, X, y, -a, s)[-1]),
    ("your gradient is k times too large: divide Xᵀ(σ(Xθ) − y) by k, the loss is a mean",
     lambda th, X, y, a, s: _path(th, X, y, a * len(y), s)[-1]),
    ("you used the logits Xθ as predictions; the model predicts σ(Xθ)",
     lambda th, X, y, a, s: _linear_path(th, X, y, a, s)),
]  # fmt: skip


def _linear_path(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta = theta - alpha * X.T @ (X @ theta - y) / len(y)
    return theta


@check
def check_inner_loop_logistic(fn) -> bool:
    """Compare ``fn(theta, X, y, alpha, steps)`` with ``gc.inner_loop`` (0 to 5 steps)."""
    return run_check(
        fn, _inner_cases(), INNER_MISTAKES,
        "your inner loop matches gc.inner_loop for 0 to 5 steps (one support point too)",
        name="your θ'",
    )  # fmt: skip


# --- Exercise 3.2 --------------------------------------------------------------------------------


def _batch_cases() -> list[Case]:
    cases = []
    for label, seed, n, steps, frac in (
        ("8 tasks, 2 flipped, 1 inner step", 0, 8, 1, 0.25),
        ("8 tasks, 2 flipped, 3 inner steps", 1, 8, 3, 0.25),
        ("1 task", 2, 1, 2, 0.0),
        ("5 tasks, 2 inner steps", 3, 5, 2, 0.4),
    ):
        family = gt.LogisticTaskFamily.create(np.random.default_rng(seed), 6, 3.0, 1.0, frac)
        tasks = tuple(family.sample(np.random.default_rng(seed + 20), n, 10, 20))
        theta, alpha, beta = 0.5 * family.mean, 1.0, 0.7
        want = gc.meta_step(theta, tasks, alpha, beta, "fomaml", "agreement", steps)[0]
        cases.append(Case(label, (theta, tasks, alpha, beta, steps), want))
    return cases


def _fomaml(theta, tasks, alpha, beta, steps, weighting="agreement", sign=-1.0,
            grad_at="adapted", grad_on="query", weights_from="updates"):  # fmt: skip
    X_train, y_train, X_test, y_test = tasks
    adapted = np.array(
        [_path(theta, X, y, alpha, steps)[-1] for X, y in zip(X_train, y_train, strict=True)]
    )
    points = adapted if grad_at == "adapted" else np.broadcast_to(theta, adapted.shape)
    Xg, yg = (X_test, y_test) if grad_on == "query" else (X_train, y_train)
    grads = np.array([_grad(p, X, y) for p, X, y in zip(points, Xg, yg, strict=True)])
    vectors = theta - adapted if weights_from == "updates" else grads
    if weighting == "uniform":
        weights = np.full(len(grads), 1.0 / len(grads))
    else:
        weights = gc.agreement_weights(vectors, "paper" if weighting == "agreement" else weighting)
    return theta + sign * beta * weights @ grads


FOMAML_MISTAKES = [
    ("you averaged the meta-gradients (plain first-order MAML): GA weights each one by w_i",
     lambda *a: _fomaml(*a, weighting="uniform")),
    ("your meta-gradients are taken at θ: first-order MAML takes the query gradient at the "
     "adapted θ'_i", lambda *a: _fomaml(*a, grad_at="theta")),
    ("your meta-gradients use the support sets: the meta-gradient is the query set's",
     lambda *a: _fomaml(*a, grad_on="support")),
    ("you stepped uphill: θ ← θ − β Σ_i w_i ∇L_i^test(θ'_i)", lambda *a: _fomaml(*a, sign=1.0)),
    ("your weights come from the meta-gradients; they come from the updates g_i = θ − θ'_i",
     lambda *a: _fomaml(*a, weights_from="grads")),
    ("you used the chapter's normalisation; the paper's makes Σ|w| = 1",
     lambda *a: _fomaml(*a, weighting="chapter")),
    ("right for one inner step, wrong for three: pass `steps` on to the inner loop",
     lambda th, t, a, b, s: _fomaml(th, t, a, b, 1)),
]  # fmt: skip


@check
def check_ga_fomaml_step(fn) -> bool:
    """Compare ``fn(theta, tasks, alpha, beta, steps)`` with ``gc.meta_step(..., "fomaml")``."""
    return run_check(
        fn, _batch_cases(), FOMAML_MISTAKES,
        "your GA-FOMAML step matches gc.meta_step(algorithm='fomaml') on 4 batches",
        name="your new θ",
    )  # fmt: skip


# --- Exercise 3.3 --------------------------------------------------------------------------------


def _meta_cases() -> list[Case]:
    cases = []
    for label, seed, k, alpha, steps in (
        ("1 inner step", 0, 10, 1.0, 1),
        ("3 inner steps", 1, 10, 1.0, 3),
        ("5 inner steps, α = 0.5", 2, 10, 0.5, 5),
        ("2 inner steps, 3 support points", 3, 3, 2.0, 2),
    ):
        X, y, Xq, yq = _task(seed, k)
        theta = _theta(seed)
        args = (theta, X, y, Xq, yq, alpha, steps)
        cases.append(Case(label, args, gc.maml_meta_gradient(*args)))
    return cases


def _hvp(theta, X, v, k):
    s = gc.sigmoid(X @ theta)
    return X.T @ (s * (1 - s) * (X @ v)) / k


def _meta(theta, X, y, Xq, yq, alpha, steps, at="path", order="right", sign=-1.0, on="support",
          scale=1.0):  # fmt: skip
    path = _path(theta, X, y, alpha, steps)
    v = _grad(path[-1], Xq, yq)
    ts = list(reversed(range(steps))) if order == "right" else list(range(steps))
    for t in ts:
        point = {"path": path[t], "start": path[0], "next": path[t + 1]}[at]
        Xh = X if on == "support" else Xq
        v = v + sign * alpha * scale * _hvp(point, Xh, v, len(Xh))
    return v


META_MISTAKES = [
    ("that is the first-order meta-gradient ∇L_test(θ'): multiply by (I − αH(θ^(t))) once "
     "for every inner step",
     lambda th, X, y, Xq, yq, a, s: _grad(_path(th, X, y, a, s)[-1], Xq, yq)),
    ("right for one inner step, wrong for three: each factor's Hessian is taken at θ^(t), "
     "the point where inner step t started, not always at θ",
     lambda *a: _meta(*a, at="start")),
    ("your Hessians are one step late: factor t uses θ^(t), the point before step t, not "
     "θ^(t+1)", lambda *a: _meta(*a, at="next")),
    ("right factors, wrong order: apply them right to left, factor steps−1 first (it is the "
     "one next to ∇L_test(θ'))", lambda *a: _meta(*a, order="left")),
    ("(I + αH): the inner step subtracts α∇L, so dθ^(t+1)/dθ^(t) = I − αH",
     lambda *a: _meta(*a, sign=1.0)),
    ("your Hessians are the query loss's; the factors come from the inner steps, on the "
     "support set", lambda *a: _meta(*a, on="query")),
    ("your Hessian-vector product is k times too large: H = Xᵀ diag(σ(1−σ)) X / k",
     lambda th, X, y, Xq, yq, a, s: _meta(th, X, y, Xq, yq, a, s, scale=len(y))),
]  # fmt: skip


@check
def check_exact_meta_gradient(fn) -> bool:
    """Compare with ``gc.maml_meta_gradient`` (1 to 5 inner steps), then with finite
    differences on the 3-step case."""
    if not run_check(
        fn, _meta_cases(), META_MISTAKES,
        "your meta-gradient matches gc.maml_meta_gradient for 1 to 5 inner steps",
        name="your meta-gradient", rtol=1e-6, atol=1e-10,
    ):  # fmt: skip
        return False
    args = _meta_cases()[1].args
    _, got = attempt(fn, args)
    reference = finite_difference_meta_gradient(*args)
    rel = np.linalg.norm(got - reference) / np.linalg.norm(reference)
    print(f"    and on 3 inner steps it agrees with central finite differences: relative "
          f"error {'below 1e-6' if rel < 1e-6 else f'{rel:.0e} (too large?)'}")  # fmt: skip
    return True
