"""Exercises of notebook 2 (weights): update vectors, the paper's weights twice, the chapter's.

Exercise 2.1 ``update_vectors(theta, tasks, alpha, steps)``: g_i = θ − θ'_i, one row per task;
``tasks`` is a ``gt.TaskBatch``, the object the notebook passes around as ``batch``.
Exercise 2.2 ``weights_loops(U)``: the paper's weights with explicit loops.
Exercise 2.3 ``weights_vectorised(U)``: the same without a Python loop.
Exercise 2.4 ``weights_chapter(U)``: the chapter's normalisation.
(Both weight functions return uniform weights 1/n when the denominator is 0, like the engine.)

The cases vary every argument (θ, the numbers of tasks, features and support points, α and the
inner steps), none of them all equal to the numbers of the notebook's cells; the weight cases
put the dissenting task in the middle of its batch, include a square batch (n = p, so that a
sum over the wrong axis gives numbers to diagnose rather than an error), updates that add up to
zero (every score 0 although no update is), and updates of size 1e-6 and 1e6, which must give
the same weights as at size 1. Whether 2.3 loops is measured, not read from its source: its
Python steps are counted (``exercises.python_loop``) for 4 and for 64 tasks, and for 3 and 48
parameters; a loop-free function takes the same number at every size.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    WRONG,
    Case,
    adapted_rows,
    allclose_same_shape,
    attempt,
    check,
    exercise_decorator,
    explained,
    ignored_argument,
    python_loop,
    run_check,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_update_vectors",
    "check_weights_chapter",
    "check_weights_loops",
    "check_weights_vectorised",
    "exercise",
    "update_vectors",
    "weights_chapter",
    "weights_loops",
    "weights_vectorised",
]

exercise = exercise_decorator(sys.modules[__name__])


# --- Reference solutions (shown in the notebook's collapsed blocks) -------------------------------


def update_vectors(theta, tasks, alpha, steps=1):
    X_train, y_train, _, _ = tasks  # adapt on the support sets only
    adapted = np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train, strict=True)]
    )
    return theta - adapted  # row i is g_i = θ − θ'_i


def weights_loops(U):
    n = len(U)
    scores = np.zeros(n)
    for i in range(n):
        for j in range(n):
            scores[i] += U[i] @ U[j]  # Σ_j g_iᵀ g_j
    total = 0.0
    for k in range(n):
        total += abs(scores[k])  # Σ_k |Σ_j g_kᵀ g_j|
    if total == 0.0:
        return np.full(n, 1.0 / n)  # nothing to choose between tasks
    return scores / total


def weights_vectorised(U):
    s = U @ U.sum(axis=0)  # s_i = g_iᵀ Σ_j g_j, no n × n matrix
    return s / np.abs(s).sum() if np.abs(s).sum() > 0 else np.full(len(U), 1.0 / len(U))


def weights_chapter(U):
    G = U @ U.T  # every g_iᵀ g_j
    total = np.abs(G).sum()  # Σ_i Σ_j |g_iᵀ g_j|
    return G.sum(axis=1) / total if total > 0 else np.full(len(U), 1.0 / len(U))


# --- Exercise 2.1 --------------------------------------------------------------------------------


def _family_batch(
    seed: int, n: int, dim: int = 6, frac: float = 0.25, k: int = 10, q: int = 20
) -> gt.TaskBatch:
    family = gt.LogisticTaskFamily.create(np.random.default_rng(seed), dim, 3.0, 1.0, frac)
    return family.sample(np.random.default_rng(seed + 50), n, k_shot=k, q_query=q)


# (label, seed, n tasks, features, support points, α, inner steps): the first case differs from
# the notebook's numbers (8 tasks, 10 features, α = 1, one step) in every one of them.
UPDATE_CASES = (
    ("6 tasks of 7 features, 3 inner steps, α = 0.5", 31, 6, 7, 6, 0.5, 3),
    ("8 tasks of 10 features, 1 inner step, α = 1", 32, 8, 10, 10, 1.0, 1),
    ("1 task, 2 inner steps, α = 0.3", 33, 1, 4, 5, 0.3, 2),
    ("5 tasks of 3 features, 4 inner steps, α = 2", 34, 5, 3, 12, 2.0, 4),
    ("3 tasks of 12 features, 5 inner steps, α = 0.05", 35, 3, 12, 8, 0.05, 5),
)


def _theta(seed: int, dim: int) -> np.ndarray:
    return 0.5 * np.random.default_rng(seed + 7).normal(size=dim)


def _chained(theta, tasks, alpha, steps, from_start=True):
    """Every task started from the previous task's adapted parameters; its update measured from
    θ (``from_start``) or from where the task started."""
    X_train, y_train, _, _ = tasks
    rows, current = [], theta
    for X, y in zip(X_train, y_train, strict=True):
        new = gc.adapt(current, X, y, alpha, steps)
        rows.append((theta if from_start else current) - new)
        current = new
    return np.array(rows)


def _pooled(theta, tasks, alpha, steps):
    X_train, y_train, X_test, y_test = tasks
    X, y = np.concatenate([X_train, X_test], axis=1), np.concatenate([y_train, y_test], axis=1)
    return theta - np.array(
        [gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y, strict=True)]
    )


def _by_hand(theta, tasks, alpha, steps, sign=1.0, summed=False):
    """The inner loop written out with a mistake: ascent (sign −1), or the summed gradient."""
    X_train, y_train, _, _ = tasks
    rows = []
    for X, y in zip(X_train, y_train, strict=True):
        t = theta
        for _ in range(steps):
            grad = gc.logistic_grad(t, X, y) * (len(y) if summed else 1)
            t = t - sign * alpha * grad
        rows.append(theta - t)
    return np.array(rows)


def _linearised(theta, tasks, alpha, steps):
    X_train, y_train, _, _ = tasks
    grads = np.array([gc.logistic_grad(theta, X, y) for X, y in zip(X_train, y_train, strict=True)])
    return steps * alpha * grads


UPDATE_MISTAKES = [
    ("every sign is flipped: g = θ − θ′, not θ′ − θ",
     lambda th, t, a, s: adapted_rows(th, t, a, s) - th),
    ("you returned the adapted parameters θ'_i themselves; the update is θ − θ'_i",
     lambda th, t, a, s: adapted_rows(th, t, a, s)),
    ("these are the updates of the query sets: adapt on the support set (X_train, y_train)",
     lambda th, t, a, s: th - adapted_rows(th, t, a, s, on="query")),
    ("you adapted on the support and query points together: adapt on the support set "
     "(X_train, y_train) only; the query set judges the adapted parameters", _pooled),
    ("right for one inner step, wrong for several: pass `steps` on to gc.adapt",
     lambda th, t, a, s: th - adapted_rows(th, t, a, 1)),
    ("you ran one inner step too many (steps + 1): gc.adapt(theta, X, y, alpha, steps) runs "
     "exactly `steps`", lambda th, t, a, s: th - adapted_rows(th, t, a, s + 1)),
    ("you ran one inner step too few (steps − 1): gc.adapt(theta, X, y, alpha, steps) runs "
     "exactly `steps`", lambda th, t, a, s: th - adapted_rows(th, t, a, s - 1)),
    ("you stepped up the gradient, θ + α∇L: the inner loop descends, θ' = θ − α∇L",
     lambda th, t, a, s: _by_hand(th, t, a, s, sign=-1.0)),
    ("your gradient is the sum over the k support points, not their mean: the loss is the "
     "mean over the points, so is its gradient",
     lambda th, t, a, s: _by_hand(th, t, a, s, summed=True)),
    ("that is `steps` times the first step's update: the gradient changes along the way, so "
     "run the whole inner loop (gc.adapt with steps)", _linearised),
    ("you divided the update by α: g_i = θ − θ'_i is the step itself, α times the gradient "
     "after one step, not the gradient",
     lambda th, t, a, s: (th - adapted_rows(th, t, a, s)) / a),
    ("you multiplied the update by α: gc.adapt already steps by α, so g_i = θ − θ'_i as it is",
     lambda th, t, a, s: a * (th - adapted_rows(th, t, a, s))),
    ("task i started from task i − 1's adapted parameters: start every task from the same θ "
     "(do not overwrite `theta` inside the loop)", _chained),
    ("task i started from task i − 1's adapted parameters θ'_(i−1), and its update is "
     "θ'_(i−1) − θ'_i: adapt every task from the θ you are given and subtract from that θ "
     "(is `theta` overwritten inside the loop?)", lambda *a: _chained(*a, from_start=False)),
]  # fmt: skip


def _update_precheck(got: Any, want: np.ndarray) -> str | None:
    """Diagnoses of a result with the wrong number of rows (tasks) or none at all."""
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    n, p = want.shape
    if arr.shape == (p,) and n > 1:
        if any(allclose_same_shape(arr, total) for total in (want.mean(0), want.sum(0))):
            return (
                "you returned the mean (or sum) of the updates over the tasks: return every "
                "task's update, one row g_i per task, shape (n, p)"
            )
        return f"you returned one vector of length {p}: return one row g_i per task, shape (n, p)"
    if arr.ndim == 2 and arr.shape[1] == p and arr.shape[0] != n:
        rows = arr.shape[0]
        if rows == 4 and n > 4 and allclose_same_shape(arr, want[:4]):
            return (
                "you made 4 rows: len(tasks) is 4, the four arrays X_train, y_train, X_test, "
                "y_test, not the number of tasks; loop over the tasks, e.g. len(tasks.X_train)"
            )
        if rows == n - 1 and allclose_same_shape(arr, want[:-1]):
            return "your array has n − 1 rows: the loop over the tasks skips the last task"
        if rows == n - 1 and allclose_same_shape(arr, want[1:]):
            return "your array has n − 1 rows: the loop over the tasks skips the first task"
    return None


def _arguments_explain(fn: Callable[..., Any], args: tuple[Any, ...], got: Any) -> str | None:
    """Does the result change with every argument? ``fn`` runs again with one argument changed
    at a time; a result equal to this one shows the argument is ignored or fixed."""
    theta, tasks, alpha, steps = args
    other = _family_batch(900 + len(theta), tasks.n_tasks, len(theta), k=tasks.X_train.shape[1])
    changes = [
        ((theta, tasks, 0.5 * alpha + 0.07, steps),
         "alpha", "use the argument `alpha`, not a step size of your own"),
        ((theta, tasks, alpha, steps + 2), "steps", "pass the argument `steps` on to gc.adapt"),
        ((theta, other, alpha, steps), "tasks", "adapt on the `tasks` you are given"),
        ((theta + 0.3, tasks, alpha, steps),
         "theta", "adapt from the `theta` you are given, and subtract from it"),
    ]  # fmt: skip
    return ignored_argument(
        fn, got,
        [(changed, f"your updates do not change when `{name}` does: {advice}")
         for changed, name, advice in changes],
        lambda again, got: allclose_same_shape(again, got, rtol=1e-12, atol=0.0),
    )  # fmt: skip


def _update_cases(fn: Callable[..., Any] | None = None) -> list[Case]:
    cases = []
    for label, seed, n, dim, k, alpha, steps in UPDATE_CASES:
        batch = _family_batch(seed, n, dim, k=k)
        theta = _theta(seed, dim)
        _, info = gc.meta_step(theta, batch, alpha, 0.0, "reptile", "uniform", steps)
        args = (theta, batch, alpha, steps)
        want = info["updates"]
        case = Case(label, args, want, precheck=lambda got, w=want: _update_precheck(got, w))
        if fn is not None:
            case.explain = lambda got, a=args: _arguments_explain(fn, a, got)
        cases.append(case)
    return cases


@check
def check_update_vectors(fn) -> bool:
    """Compare ``fn(theta, tasks, alpha, steps)`` with the engine's updates (meta_step), with
    ``tasks`` a TaskBatch as in the notebook."""
    fn = explained(fn)
    return run_check(
        fn, _update_cases(fn), UPDATE_MISTAKES,
        "your updates match gc.meta_step's, for 1 to 8 tasks of 3 to 12 features, α from 0.05 "
        "to 2 and 1 to 5 inner steps", name="your update array", shape_hint="one row g_i per task",
    )  # fmt: skip


# --- Exercises 2.2 to 2.4: the cases -------------------------------------------------------------

ZERO_SUM = np.array([[1.0, 2.0, 0.0, 1.0], [2.0, -1.0, 1.0, 0.0], [-3.0, -1.0, -1.0, -1.0]])


def _weight_batches() -> dict[str, tuple[np.ndarray, float]]:
    """label: (updates, scale). The first batch is square (n = p = 8), so that a sum over the
    wrong axis gives numbers to diagnose; the scaled batches are earlier ones times 1e-6, 1e6."""
    rng = np.random.default_rng(21)
    batch = _family_batch(0, 8, dim=8)
    _, info = gc.meta_step(0.5 * batch.info["weights"].mean(axis=0), batch, 1.0, 0.0, "reptile")
    logistic = info["updates"]
    agree = rng.normal(size=(4, 4)) * 0.3 + np.array([1.0, 0.5, 0.0, 0.2])
    dissent = np.insert(agree, 2, [-1.0, -0.3, 0.0, 0.0], axis=0)  # the dissenter is row 3 of 5
    return {
        "the 8 updates of a logistic batch with 8 parameters": (logistic, 1.0),
        "4 agreeing updates and a dissenter, the 3rd of 5": (dissent, 1.0),
        "random updates, 6 tasks of 5 parameters": (rng.normal(size=(6, 5)), 1.0),
        "random updates, 3 tasks of 7 parameters": (rng.normal(size=(3, 7)) + 0.2, 1.0),
        "one task": (rng.normal(size=(1, 3)), 1.0),
        "four equal updates": (np.tile([0.3, -0.2, 0.5], (4, 1)), 1.0),
        "three updates that add up to zero": (ZERO_SUM, 1.0),
        "every update zero": (np.zeros((3, 4)), 1.0),
        "the logistic batch's updates times 1e-6": (1e-6 * logistic, 1e-6),
        "the dissenting batch times 1e-6": (1e-6 * dissent, 1e-6),
        "the dissenting batch times 1e6": (1e6 * dissent, 1e6),
    }


def _uniform(n: int) -> np.ndarray:
    return np.full(n, 1.0 / n)


def _zero_precheck(got: Any, n: int) -> str | None:
    """A zero denominator: name a fallback other than uniform weights (or one number)."""
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.shape == ():
        return "when the denominator is 0 return n weights 1/n, np.full(n, 1 / n), not one number"
    if arr.shape == (n,) and np.isfinite(arr).all():
        if np.allclose(arr, 0.0):
            return "when the denominator is 0 return uniform weights 1/n, not zeros"
        if np.allclose(arr, 1.0) and n > 1:
            return "when the denominator is 0 return uniform weights 1/n each, not 1"
    return None


def _zero_numerators_precheck(got: Any, n: int) -> str | None:
    """The chapter's weights when every row sum is 0 but the denominator is not: zeros."""
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.shape == (n,) and np.allclose(arr, 1.0 / n):
        return (
            "every row sum is 0 here but the denominator Σ_i Σ_j |g_iᵀg_j| is not, so every "
            "weight is 0 / denominator = 0: only a zero denominator calls for uniform weights"
        )
    return None


def _denominator(U: np.ndarray, normalization: str) -> float:
    if normalization == "chapter":
        return float(np.abs(U @ U.T).sum())
    return float(np.abs(U @ U.sum(axis=0)).sum())


def _weights_explain(
    got: Any, U: np.ndarray, want: np.ndarray, scale: float, normalization: str
) -> str | None:
    """Wrong weights that none of the listed mistakes produced: uniform weights for a non-zero
    denominator (tiny updates: a zero test with an absolute tolerance), or weights that are
    the right ones times a constant (the right numerators, another denominator)."""
    arr = np.asarray(got, dtype=np.float64)
    n = len(U)
    if n > 1 and np.allclose(arr, 1.0 / n) and not np.allclose(want, 1.0 / n):
        if scale < 1.0:
            return (
                f"you returned uniform weights 1/n for updates of size {scale:.0e}, whose "
                f"denominator is not 0 but about {_denominator(U, normalization):.0e}: a zero "
                "test with an absolute tolerance (np.isclose(total, 0) has atol = 1e-8) treats "
                "it as 0; the weights do not depend on scale, so test total == 0"
            )
        return "you returned uniform weights 1/n although the denominator is not 0 here"
    if (arr >= 0).all() and (want < -1e-12).any():
        return (
            "all your weights are ≥ 0, but a task that points against the batch must get a "
            "negative weight: is there an absolute value or a square in your numerator?"
        )
    norm2 = float(want @ want)
    if norm2 == 0.0:
        return None
    factor = float(arr @ want) / norm2
    if allclose_same_shape(arr, factor * want) and not np.isclose(factor, 1.0):
        if scale != 1.0:
            size = "small" if scale < 1.0 else "large"
            return (
                f"for {size} updates (size {scale:.0e}) your weights are the right ones times "
                f"{factor:.2g}: a constant in your denominator (an ε added, a floor) is not "
                "negligible at this scale; the weights do not depend on scale, so divide by the "
                "denominator itself and treat only 0 specially"
            )
        total = "Σ_i Σ_j |g_iᵀg_j|" if normalization == "chapter" else "Σ_k |Σ_j g_kᵀg_j|"
        return (
            f"your weights have the right signs and ratios but are off by a factor "
            f"{factor:.3g}: the numerators are right, the denominator is not; divide by {total}"
        )
    return None


def _weight_cases(normalization: str = "paper") -> list[Case]:
    cases = []
    for label, (U, scale) in _weight_batches().items():
        want = gc.agreement_weights(U, normalization)
        case = Case(label, (U,), want)
        n = len(U)
        zero_denominator = _denominator(U, normalization) == 0.0
        if zero_denominator:
            case.precheck = lambda got, n=n: _zero_precheck(got, n)
            case.extra["nan_hint"] = (
                "when every update is zero the denominator is 0; return uniform weights 1/n, "
                "as gc.agreement_weights does"
                if not U.any()
                else "these updates add up to zero, so every score and the denominator are 0 "
                "although no update is zero: return uniform weights 1/n whenever the "
                "denominator is 0 (test total == 0, not whether the updates are zero)"
            )
        elif not (U @ U.sum(axis=0)).any():
            case.precheck = lambda got, n=n: _zero_numerators_precheck(got, n)
        case.explain = lambda got, U=U, w=want, s=scale: _weights_explain(
            got, U, w, s, normalization
        )
        cases.append(case)
    return cases


def _weight_success(what: str) -> str:
    return (
        f"{what} on {len(_weight_batches())} batches (one task, equal updates, updates that "
        "add up to zero, all zero, and updates of size 1e-6 and 1e6)"
    )


# --- The mistakes of 2.2 and 2.3 ----------------------------------------------------------------


def _scores(U):
    return U @ U.sum(axis=0)


def _paper(s):
    return s / np.abs(s).sum()


def _gram(U):
    return U @ U.T


def _off_diagonal(G):
    return G - np.diag(np.diag(G))


def _skip_last_score(U):
    s = _scores(U)
    s[-1] = 0.0
    return _paper(s)


PAPER_MISTAKES = [
    ("your weights sum to 1, but the paper normalises so that Σ|w| = 1: check the absolute "
     "value in the denominator", lambda U: _scores(U) / _scores(U).sum()),
    ("you divided by Σ_i Σ_j |g_iᵀg_j|, the chapter's denominator; the paper divides by "
     "Σ_k |Σ_j g_kᵀg_j|, the absolute values of the row sums",
     lambda U: _scores(U) / np.abs(_gram(U)).sum()),
    ("all your weights are ≥ 0: no absolute value in the numerator, a task that points "
     "against the batch must get a negative weight",
     lambda U: np.abs(_scores(U)) / np.abs(_scores(U)).sum()),
    ("all your weights are ≥ 0: you took the absolute value of every product g_iᵀg_j; the "
     "numerator is the signed row sum Σ_j g_iᵀg_j",
     lambda U: np.abs(_gram(U)).sum(1) / np.abs(_gram(U)).sum()),
    ("these are the raw scores Σ_j g_iᵀg_j: divide them by Σ_k |Σ_j g_kᵀg_j|", _scores),
    ("all your weights are ≥ 0: you took |g_iᵀg_j| of every product in the numerator; the "
     "score is the signed Σ_j g_iᵀg_j",
     lambda U: np.abs(_gram(U)).sum(1) / np.abs(_scores(U)).sum()),
    ("U.T @ U is the p × p matrix of products between parameters: the products between tasks, "
     "g_iᵀg_j, are U @ U.T (n × n)", lambda U: _paper((U.T @ U).sum(1))),
    ("you left out j = i: the sum runs over every j, the task's agreement with itself "
     "‖g_i‖² included",
     lambda U: _paper(_scores(U) - (U * U).sum(1))),
    ("you counted j = i twice (‖g_i‖² added again): the score sums g_iᵀg_j over every j once",
     lambda U: _paper(_scores(U) + (U * U).sum(1))),
    ("your scores are ‖g_i‖² alone (only j = i): the score sums g_iᵀg_j over every j",
     lambda U: _paper((U * U).sum(1))),
    ("you added g_iᵀg_j only for j ≥ i (each pair once): every task's score sums over every "
     "j, so the pair (i, j) counts in both scores", lambda U: _paper(np.triu(_gram(U)).sum(1))),
    ("you added g_iᵀg_j only for j > i (each pair once, j = i left out): every task's score "
     "sums over every j", lambda U: _paper(np.triu(_gram(U), 1).sum(1))),
    ("you added g_iᵀg_j only for j ≤ i: every task's score sums over every j",
     lambda U: _paper(np.tril(_gram(U)).sum(1))),
    ("your loop over j stops one short (range(n − 1)?): every score misses the last task's "
     "update", lambda U: _paper(_gram(U)[:, :-1].sum(1))),
    ("your loop over j starts at 1 (range(1, n)?): every score misses the first task's update",
     lambda U: _paper(_gram(U)[:, 1:].sum(1))),
    ("your loop over i stops one short (range(n − 1)?): the last task's score stays 0",
     _skip_last_score),
    ("your denominator leaves out the last task (range(n − 1)?): Σ_k |s_k| runs over every k",
     lambda U: _scores(U) / np.abs(_scores(U)[:-1]).sum()),
    ("you summed U over axis 1 (each update's own entries): Σ_j g_j is the sum of the rows, "
     "U.sum(axis=0)", lambda U: _paper(U @ U.sum(axis=1))),
    ("you averaged U over axis 1 (each update's own entries): Σ_j g_j is the sum of the rows, "
     "U.sum(axis=0)", lambda U: _paper(U @ U.mean(axis=1))),
    ("your scores are (Σ_c g_ic)², each update's own entries summed (over axis 1) and "
     "squared: Σ_j g_j adds up the updates over the tasks, U.sum(axis=0), and s_i = "
     "g_iᵀ Σ_j g_j", lambda U: _paper(U.sum(axis=1) ** 2)),
    ("you multiplied U.T by the sum: every score is one row times the sum of the rows, "
     "U @ U.sum(axis=0)", lambda U: _paper(U.T @ U.sum(axis=0))),
    ("you scaled every update to length 1 first (the course's cosine variant); the paper's "
     "weights use the updates as they are", lambda U: gc.cosine_agreement_weights(U)),
    ("your weights are the scores divided by n: the paper divides by Σ_k |Σ_j g_kᵀg_j|",
     lambda U: _scores(U) / len(U)),
    ("you divided by the mean of |s_k| (Σ_k |s_k| / n): the paper divides by the sum",
     lambda U: _scores(U) / np.abs(_scores(U)).mean()),
    ("you divided by the Euclidean length √(Σ_k s_k²): the paper divides by Σ_k |s_k|",
     lambda U: _scores(U) / np.linalg.norm(_scores(U))),
    ("you divided by the largest |s_k|: the paper divides by the sum Σ_k |s_k|",
     lambda U: _scores(U) / np.abs(_scores(U)).max()),
]  # fmt: skip


@check
def check_weights_loops(fn) -> bool:
    """Compare ``fn(U)`` with ``gc.agreement_weights(U)`` on 11 batches, edge cases included."""
    return run_check(
        fn, _weight_cases(), PAPER_MISTAKES,
        _weight_success("your weights match gc.agreement_weights"),
        name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip


def _random_updates(n: int, p: int, seed: int) -> tuple[np.ndarray]:
    return (np.random.default_rng(seed).normal(size=(n, p)) + 0.3,)


def loop_problem(fn: Callable[..., Any]) -> str | None:
    """A diagnosis if ``fn(U)`` runs Python code once per task or once per parameter."""
    per_task = python_loop(fn, lambda n: _random_updates(n, 3, 1), 4, 64, "tasks")
    if per_task:
        return (
            f"your function still loops in Python: {per_task}; write the scores as one "
            "matrix-vector product, U @ (sum of the rows), and sum with NumPy"
        )
    per_parameter = python_loop(fn, lambda p: _random_updates(4, p, 2), 3, 48, "parameters")
    if per_parameter:
        return (
            f"your function still loops in Python: {per_parameter}; U.sum(axis=0) adds up the "
            "rows for every parameter at once"
        )
    return None


@check
def check_weights_vectorised(fn) -> bool:
    """As :func:`check_weights_loops`, and the function must not run Python code once per task
    (or per parameter): its Python steps are counted for 4 and 64 tasks, 3 and 48 parameters."""
    status, _ = attempt(fn, _random_updates(3, 2, 0))
    if status == "ok" and (message := loop_problem(fn)):
        print(WRONG + message)
        return False
    return run_check(
        fn, _weight_cases(), PAPER_MISTAKES,
        _weight_success("loop-free (the same Python steps for 4 or 64 tasks) and equal to "
                        "gc.agreement_weights"),
        name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip


# --- The mistakes of 2.4 -------------------------------------------------------------------------


def _chapter(numerators, U):
    return numerators / np.abs(_gram(U)).sum()


CHAPTER_MISTAKES = [
    ("these are the paper's weights (Σ|w| = 1); the chapter divides by Σ_i Σ_j |g_iᵀg_j|, "
     "the absolute value of every entry of the Gram matrix",
     lambda U: gc.agreement_weights(U, "paper")),
    ("you divided by |Σ_i Σ_j g_iᵀg_j| = ‖Σ_j g_j‖², the total without absolute values; the "
     "chapter adds up the absolute value of every entry",
     lambda U: _scores(U) / abs(_scores(U).sum())),
    ("all your weights are ≥ 0: the numerator is the signed row sum Σ_j g_iᵀg_j",
     lambda U: np.abs(_gram(U)).sum(1) / np.abs(_gram(U)).sum()),
    ("U.T @ U is the p × p matrix of products between parameters: the Gram matrix of the "
     "tasks, every g_iᵀg_j, is U @ U.T (n × n)",
     lambda U: (U.T @ U).sum(1) / np.abs(U.T @ U).sum()),
    ("np.linalg.norm(G, 1) is the matrix 1-norm, the largest column sum of |G|; the chapter "
     "adds up |g_iᵀg_j| over every entry, np.abs(G).sum()",
     lambda U: _scores(U) / np.linalg.norm(_gram(U), 1)),
    ("np.linalg.norm(G) is √(Σ G_ij²), the Frobenius norm; the chapter adds up |g_iᵀg_j| over "
     "every entry, np.abs(G).sum()", lambda U: _scores(U) / np.linalg.norm(_gram(U))),
    ("you divided by the mean of |g_iᵀg_j| (the sum / n²): the chapter divides by the sum",
     lambda U: _scores(U) / np.abs(_gram(U)).mean()),
    ("you divided each row sum by its own row's Σ_j |g_iᵀg_j|: the chapter divides every row "
     "by one total, over all n² entries",
     lambda U: _scores(U) / np.abs(_gram(U)).sum(1)),
    ("your denominator adds |g_iᵀg_j| only for j ≥ i (each pair once): the chapter adds every "
     "entry, both (i, j) and (j, i)", lambda U: _scores(U) / np.abs(np.triu(_gram(U))).sum()),
    ("your denominator adds |g_iᵀg_j| only for j > i (each pair once, no diagonal): the "
     "chapter adds every entry", lambda U: _scores(U) / np.abs(np.triu(_gram(U), 1)).sum()),
    ("your denominator leaves out the diagonal |g_iᵀg_i| = ‖g_i‖²: the chapter adds every "
     "entry", lambda U: _scores(U) / (np.abs(_gram(U)).sum() - (U * U).sum())),
    ("your numerators leave out j = i: the row sum Σ_j g_iᵀg_j includes ‖g_i‖²",
     lambda U: _chapter(_scores(U) - (U * U).sum(1), U)),
    ("you left the diagonal g_iᵀg_i = ‖g_i‖² out of both the row sums and the denominator: "
     "both run over every j, j = i included",
     lambda U: _off_diagonal(_gram(U)).sum(1) / np.abs(_off_diagonal(_gram(U))).sum()),
    ("your numerators add g_iᵀg_j only for j ≥ i: the row sum runs over every j",
     lambda U: _chapter(np.triu(_gram(U)).sum(1), U)),
    ("your numerators are row means (Σ_j g_iᵀg_j / n): the chapter's are row sums",
     lambda U: _chapter(_gram(U).mean(1), U)),
    ("your weights are the row sums divided by n: the chapter divides by Σ_i Σ_j |g_iᵀg_j|",
     lambda U: _scores(U) / len(U)),
]  # fmt: skip


@check
def check_weights_chapter(fn) -> bool:
    """Compare ``fn(U)`` with ``gc.agreement_weights(U, "chapter")``."""
    return run_check(
        fn, _weight_cases("chapter"), CHAPTER_MISTAKES,
        _weight_success("your weights match the chapter's normalisation"),
        name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip
