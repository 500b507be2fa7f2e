"""Exercises of notebook 2 (weights): update vectors, the paper's weights twice, the chapter's.

Exercise 2.1 ``update_vectors(theta, tasks, alpha, steps)``: g_i = θ − θ'_i, one row per task.
Exercise 2.2 ``weights_loops(U)``: the paper's weights with explicit loops.
Exercise 2.3 ``weights_vectorised(U)``: the same without a Python loop.
Exercise 2.4 ``weights_chapter(U)``: the chapter's normalisation.
(Both weight functions return uniform weights 1/n when every score is 0, like the engine.)
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import NOT_ATTEMPTED, WRONG, Case, attempt, check, exercise_decorator, run_check

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


# --- Cases ---------------------------------------------------------------------------------------


def _family_batch(seed: int, n: int, dim: int = 6, frac: float = 0.25) -> gt.TaskBatch:
    family = gt.LogisticTaskFamily.create(np.random.default_rng(seed), dim, 3.0, 1.0, frac)
    return family.sample(np.random.default_rng(seed + 50), n, k_shot=10, q_query=20)


def _update_cases() -> list[Case]:
    cases = []
    for label, seed, n, alpha, steps in (
        ("8 tasks, 1 inner step", 0, 8, 1.0, 1),
        ("8 tasks, 3 inner steps", 1, 8, 1.0, 3),
        ("1 task, 2 inner steps", 2, 1, 0.5, 2),
        ("5 tasks, 4 inner steps, α = 0.3", 3, 5, 0.3, 4),
    ):
        batch = _family_batch(seed, n)
        theta = 0.5 * np.random.default_rng(seed + 7).normal(size=batch.X_train.shape[-1])
        tasks = tuple(batch)
        _, info = gc.meta_step(theta, tasks, alpha, 0.0, "reptile", "uniform", steps)
        cases.append(Case(label, (theta, tasks, alpha, steps), info["updates"]))
    return cases


def _adapted(theta, tasks, alpha, steps, on_query=False):
    X, y = (tasks[2], tasks[3]) if on_query else (tasks[0], tasks[1])
    return np.array([gc.adapt(theta, Xi, yi, alpha, steps) for Xi, yi in zip(X, y, strict=True)])


def _linearised(theta, tasks, alpha, steps):
    grads = np.array([gc.logistic_grad(theta, X, y) for X, y in zip(*tasks[:2], strict=True)])
    return steps * alpha * grads


UPDATE_MISTAKES = [
    ("every sign is flipped: g = θ − θ′, not θ′ − θ",
     lambda th, t, a, s: _adapted(th, t, a, s) - th),
    ("you returned the adapted parameters θ'_i themselves; the update is θ − θ'_i",
     lambda th, t, a, s: _adapted(th, t, a, s)),
    ("these are the updates of the query sets: adapt on the support set (X_train, y_train)",
     lambda th, t, a, s: th - _adapted(th, t, a, s, on_query=True)),
    ("right for one inner step, wrong for several: pass `steps` on to gc.adapt",
     lambda th, t, a, s: th - _adapted(th, t, a, 1)),
    ("that is `steps` times the first step's update: the gradient changes along the way, so "
     "run the whole inner loop (gc.adapt with steps)", _linearised),
]  # fmt: skip


@check
def check_update_vectors(fn) -> bool:
    """Compare ``fn(theta, tasks, alpha, steps)`` with the engine's updates (meta_step)."""
    return run_check(
        fn, _update_cases(), UPDATE_MISTAKES,
        "your updates match gc.meta_step's, for 1 to 8 tasks and 1 to 4 inner steps",
        name="your update array", shape_hint="one row g_i per task",
    )  # fmt: skip


def _weight_cases(engine) -> list[Case]:
    rng = np.random.default_rng(21)
    batch = _family_batch(0, 8, dim=10)
    _, info = gc.meta_step(0.5 * batch.info["weights"].mean(axis=0), batch, 1.0, 0.0, "reptile")
    dissent = np.vstack([rng.normal(size=(3, 4)) * 0.3 + [1.0, 0.5, 0.0, 0.2], [[-1, -0.3, 0, 0]]])
    raw = {
        "the 8 updates of a logistic batch": info["updates"],
        "3 agreeing updates and a dissenter": dissent,
        "random updates, 6 tasks": rng.normal(size=(6, 5)),
        "one task": rng.normal(size=(1, 3)),
        "four equal updates": np.tile([0.3, -0.2, 0.5], (4, 1)),
        "every update zero": np.zeros((3, 4)),
    }
    cases = []
    for label, U in raw.items():
        case = Case(label, (U,), engine(U))
        if label == "every update zero":
            case.extra["nan_hint"] = (
                "when every update is zero the denominator is 0; return uniform weights 1/n, "
                "as gc.agreement_weights does"
            )
        cases.append(case)
    return cases


def _scores(U):
    return U @ U.sum(axis=0)


def _unit(U):
    norms = np.linalg.norm(U, axis=1, keepdims=True)
    return np.divide(U, norms, out=np.zeros_like(U), where=norms > 0)


PAPER_MISTAKES = [
    ("your weights sum to 1, but the paper normalises so that Σ|w| = 1: check the absolute "
     "value in the denominator", lambda U: _scores(U) / _scores(U).sum()),
    ("you divided by Σ_i Σ_j |g_iᵀg_j|, the chapter's denominator; the paper divides by "
     "Σ_k |Σ_j g_kᵀg_j|, the absolute values of the row sums",
     lambda U: _scores(U) / np.abs(U @ U.T).sum()),
    ("all your weights are ≥ 0: no absolute value in the numerator, a task that points "
     "against the batch must get a negative weight",
     lambda U: np.abs(_scores(U)) / np.abs(_scores(U)).sum()),
    ("these are the raw scores Σ_j g_iᵀg_j: divide them by Σ_k |Σ_j g_kᵀg_j|", _scores),
    ("you left out j = i: the sum runs over every j, the task's agreement with itself "
     "‖g_i‖² included",
     lambda U: (_scores(U) - (U * U).sum(1)) / np.abs(_scores(U) - (U * U).sum(1)).sum()),
    ("you scaled every update to length 1 first (the course's cosine variant); the paper's "
     "weights use the updates as they are", lambda U: gc.cosine_agreement_weights(U)),
    ("your weights are the scores divided by n: the paper divides by Σ_k |Σ_j g_kᵀg_j|",
     lambda U: _scores(U) / len(U)),
]  # fmt: skip


@check
def check_weights_loops(fn) -> bool:
    """Compare ``fn(U)`` with ``gc.agreement_weights(U)`` on 6 batches, edge cases included."""
    return run_check(
        fn, _weight_cases(gc.agreement_weights), PAPER_MISTAKES,
        "your weights match gc.agreement_weights on 6 batches (one task, equal and zero "
        "updates included)", name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip


def _has_loop(fn) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    loops = (ast.For, ast.While, ast.comprehension)
    return any(isinstance(node, loops) for node in ast.walk(tree))


@check
def check_weights_vectorised(fn) -> bool:
    """As :func:`check_weights_loops`, and the function must not loop in Python."""
    status, _ = attempt(fn, (np.ones((2, 2)),))
    if status == "ok" and _has_loop(fn):
        print(WRONG + "there is still a `for` or `while` in your function: write the scores "
              "as one matrix-vector product, U @ (sum of the rows)")  # fmt: skip
        return False
    return run_check(
        fn, _weight_cases(gc.agreement_weights), PAPER_MISTAKES,
        "loop-free and equal to gc.agreement_weights on 6 batches (edge cases included)",
        name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip


CHAPTER_MISTAKES = [
    ("these are the paper's weights (Σ|w| = 1); the chapter divides by Σ_i Σ_j |g_iᵀg_j|, "
     "the absolute value of every entry of the Gram matrix",
     lambda U: gc.agreement_weights(U, "paper")),
    ("you divided by |Σ_i Σ_j g_iᵀg_j| = ‖Σ_j g_j‖², the total without absolute values; the "
     "chapter adds up the absolute value of every entry",
     lambda U: _scores(U) / abs(_scores(U).sum())),
    ("all your weights are ≥ 0: the numerator is the signed row sum Σ_j g_iᵀg_j",
     lambda U: np.abs(U @ U.T).sum(1) / np.abs(U @ U.T).sum()),
]  # fmt: skip


@check
def check_weights_chapter(fn) -> bool:
    """Compare ``fn(U)`` with ``gc.agreement_weights(U, "chapter")``."""
    return run_check(
        fn, _weight_cases(lambda U: gc.agreement_weights(U, "chapter")), CHAPTER_MISTAKES,
        "your weights match the chapter's normalisation on 6 batches",
        name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip
