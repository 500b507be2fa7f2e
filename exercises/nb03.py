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
and 1e6. The checks are :func:`exercises.value_check`'s; the central finite differences of 3.3
are the demos' (``gaml_demos.finite_difference_meta_gradient``, also used by the notebook).
"""

from __future__ import annotations

import sys

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Expected,
    adapted_rows,
    attempt,
    check,
    exercise_decorator,
    fixed_argument,
    meta_step_mistakes,
    one_entry_per_task,
    task_weights,
    value_check,
)
from gaml_demos import finite_difference_meta_gradient

__all__ = [
    "NOT_ATTEMPTED",
    "check_exact_meta_gradient",
    "check_ga_fomaml_step",
    "check_inner_loop_logistic",
    "exact_meta_gradient",
    "exercise",
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
                     hints=(one_entry_per_task("vectors"),))
        )  # fmt: skip
    return cases


def _support_sets(tasks, on: str):
    X_train, y_train, X_test, y_test = tasks
    return (X_train, y_train) if on == "support" else (X_test, y_test)


def _fomaml(theta, tasks, alpha, beta, steps, weighting="paper", sign=-1.0, grad_at="adapted",
            grad_on="query", weights_from="updates", exact=False, extra=1.0,
            adapt_on="support"):  # fmt: skip
    X_train, y_train, X_test, y_test = tasks
    adapted = adapted_rows(theta, tasks, alpha, steps, on=adapt_on)
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
        "query": lambda: theta - adapted_rows(theta, tasks, alpha, steps, on="query"),
    }[weights_from]()
    return theta + sign * beta * extra * task_weights(vectors, weighting) @ grads


def _fomaml_reference(theta, tasks, alpha, beta, steps):
    return _fomaml(theta, tasks, alpha, beta, steps)


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
    *meta_step_mistakes(_fomaml, "θ − β Σ_i w_i ∇L_i^test(θ'_i)"),
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
        k = {"k": len(yh), "d": X.shape[1], "q": len(yq)}[by]
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
    ("your Hessian-vector product divides by the number of query points, len(yq); the "
     "factors are the support loss's Hessians: divide by k = len(y), the number of support "
     "points", lambda *a: _meta(*a, by="q")),
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
    theta, X, y, Xq, yq, alpha, steps = args
    reference = finite_difference_meta_gradient(theta, (X, y, Xq, yq), alpha, steps)
    rel = np.linalg.norm(got - reference) / np.linalg.norm(reference)
    print(f"    and on 3 inner steps it agrees with central finite differences: relative "
          f"error {'below 1e-6' if rel < 1e-6 else f'{rel:.0e} (too large?)'}")  # fmt: skip
    return True
