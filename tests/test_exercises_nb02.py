"""Exercises of notebook 02: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_testing import answer_tests, grad_logistic, verdict

import gaml_core as gc
import gaml_tasks as gt
from exercises import count_steps, python_loop
from exercises import nb02 as ex

# --- Exercise 2.1: update vectors (tasks is a TaskBatch, as in the notebook) ---------------------


def adapted(theta, tasks, alpha, steps, query=False):
    """Every task's adapted parameters; ``tasks`` unpacked as the notebook's TaskBatch allows."""
    X_train, y_train, X_test, y_test = tasks
    X, y = (X_test, y_test) if query else (X_train, y_train)
    return np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y, strict=True)])


def _updates_pooled(theta, tasks, alpha, steps):
    X = np.concatenate([tasks.X_train, tasks.X_test], axis=1)
    y = np.concatenate([tasks.y_train, tasks.y_test], axis=1)
    return theta - np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y)])  # noqa: B905


def _updates_chained(theta, tasks, alpha, steps):
    rows = []
    start = theta
    for X, y in zip(tasks.X_train, tasks.y_train, strict=True):
        start = gc.adapt(start, X, y, alpha, steps)
        rows.append(theta - start)
    return np.array(rows)


def _updates_skip_last(theta, tasks, alpha, steps):
    n = len(tasks.X_train)
    return np.array(
        [theta - gc.adapt(theta, tasks.X_train[i], tasks.y_train[i], alpha, steps)
         for i in range(n - 1)]
    )  # fmt: skip


def _updates_len_tasks(theta, tasks, alpha, steps):
    X_train, y_train, _, _ = tasks
    return np.array(
        [theta - gc.adapt(theta, X_train[i], y_train[i], alpha, steps) for i in range(len(tasks))]
    )


def _updates_indexed(theta, tasks, alpha, steps):
    X_train, y_train = tasks[0], tasks[1]  # a TaskBatch cannot be indexed
    return theta - np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X_train, y_train)])  # noqa: B905


def _updates_fixed_count(theta, tasks, alpha, steps):
    return np.array([theta - gc.adapt(theta, tasks.X_train[i], tasks.y_train[i], alpha, steps)
                     for i in range(8)])  # fmt: skip


def _updates_scaling_inputs(theta, tasks, alpha, steps):
    X_train, y_train, _, _ = tasks
    X_train /= np.abs(X_train).max()  # in place: the caller's batch changes too
    return theta - adapted(theta, (X_train, y_train, None, None), alpha, steps)


def _updates_written_out(theta, tasks, alpha, steps, sign=1.0, summed=False):
    X_train, y_train, _, _ = tasks
    out = []
    for X, y in zip(X_train, y_train, strict=True):
        t = theta
        for _ in range(steps):
            grad = X.T @ (gc.sigmoid(X @ t) - y) / (1 if summed else len(y))
            t = t - sign * alpha * grad
        out.append(theta - t)
    return np.array(out)


def _updates_fixed_start(theta, tasks, alpha, steps):
    start = np.full_like(theta, 0.1)
    return start - adapted(start, tasks, alpha, steps)


# --- Exercises 2.2 and 2.3: the paper's weights --------------------------------------------------


def _loop_weights_no_abs(U):
    s = np.array([sum(U[i] @ U[j] for j in range(len(U))) for i in range(len(U))])
    return s / s.sum()


def _vectorised_with_loop(U):
    return np.array([u @ U.sum(0) for u in U]) / np.abs(U @ U.sum(0)).sum()


def _weights_no_fallback(U):
    s = U @ U.sum(0)
    return s / np.abs(s).sum()


def _loops(U, j_range=None, i_range=None, fallback="uniform", zero_test="exact", eps=0.0):
    """The loop solution with one thing changed: the ranges of j and of i, the value returned
    for a zero denominator, how 0 is tested, an ε added to the denominator."""
    n = len(U)
    scores = np.zeros(n)
    for i in (i_range or range)(n):
        for j in (j_range or (lambda n, i: range(n)))(n, i):
            scores[i] += U[i] @ U[j]
    total = 0.0
    for k in range(n):
        total += abs(scores[k])
    zero = {
        "exact": total == 0.0,
        "isclose": np.isclose(total, 0.0),
        "updates": not U.any(),
    }[zero_test]
    if zero:
        return {"uniform": np.full(n, 1.0 / n), "zeros": np.zeros(n), "number": 1.0 / n}[fallback]
    return scores / (total + eps)


def _weights_loop_over_parameters(U):
    S = np.zeros(U.shape[1])
    for d in range(U.shape[1]):
        S[d] = U[:, d].sum()
    s = U @ S
    return s / np.abs(s).sum() if np.abs(s).sum() > 0 else np.full(len(U), 1.0 / len(U))


def _safe(s, n):
    total = np.abs(s).sum()
    return s / total if total > 0 else np.full(n, 1.0 / n)


# --- Answers of an outside reviewer who read only the notebooks: each cell's code as typed ---


# Notebook 2's `batch` (its first code cell after the imports), which an answer may read instead
# of its `tasks` argument, as a learner's cell can.
family = gt.LogisticTaskFamily.create(
    np.random.default_rng(1), dim=10, norm=3.0, spread=1.0, disagree_frac=0.25
)
batch = family.sample(np.random.default_rng(2), n_tasks=8, k_shot=10, q_query=20)


# outside reviewer, 2.1-w1: Sign flipped: returns θ'_i − θ instead of θ − θ'_i.
def _reviewer_2_1_w1(theta, tasks, alpha, steps=1):
    X_train, y_train, _, _ = tasks
    return np.array([gc.adapt(theta, X, y, alpha, steps) - theta for X, y in zip(X_train, y_train)])  # noqa: B905


# outside reviewer, 2.1-w2: Ignores steps: always one inner step (gc.adapt's default).
def _reviewer_2_1_w2(theta, tasks, alpha, steps=1):
    X_train, y_train, _, _ = tasks
    return np.array([theta - gc.adapt(theta, X, y, alpha) for X, y in zip(X_train, y_train)])  # noqa: B905


# outside reviewer, 2.1-w3: Adapts on the query sets (X_test, y_test) instead of the support sets.
def _reviewer_2_1_w3(theta, tasks, alpha, steps=1):
    _, _, X_test, y_test = tasks
    return np.array([theta - gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_test, y_test)])  # noqa: B905


# outside reviewer, 2.1-w4: Uses the notebook's global `batch` instead of the tasks argument.
def _reviewer_2_1_w4(theta, tasks, alpha, steps=1):
    adapted = [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(batch.X_train, batch.y_train)]  # noqa: B905
    return theta - np.array(adapted)


# outside reviewer, 2.1-w5: Chains the tasks: each task starts from the previous task's adapted θ
# (theta overwritten in the loop).
def _reviewer_2_1_w5(theta, tasks, alpha, steps=1):
    X_train, y_train, _, _ = tasks
    rows = []
    for X, y in zip(X_train, y_train):  # noqa: B905
        new = gc.adapt(theta, X, y, alpha, steps)
        rows.append(theta - new)
        theta = new
    return np.array(rows)


# outside reviewer, 2.1-r1: Reads the updates off gc.meta_step with beta = 0, as the notebook's own
# cell does.
def _reviewer_2_1_r1(theta, tasks, alpha, steps=1):
    _, info = gc.meta_step(
        theta, tasks, alpha=alpha, beta=0.0, weighting="uniform", inner_steps=steps
    )
    return info["updates"]


# outside reviewer, 2.1-r2: Vectorised inner loop over all tasks at once with einsum (gradient
# written out).
def _reviewer_2_1_r2(theta, tasks, alpha, steps=1):
    X, y, _, _ = tasks
    thetas = np.tile(theta, (X.shape[0], 1))
    for _ in range(steps):
        p = gc.sigmoid(np.einsum("nkd,nd->nk", X, thetas))
        thetas = thetas - alpha * np.einsum("nkd,nk->nd", X, p - y) / X.shape[1]
    return theta[None, :] - thetas


# outside reviewer, 2.2-w1: Absolute value on every product: denominator Σ_i Σ_j |g_iᵀg_j| (the
# chapter's normalisation).
def _reviewer_2_2_w1(U):
    n = len(U)
    scores = np.zeros(n)
    total = 0.0
    for i in range(n):
        for j in range(n):
            scores[i] += U[i] @ U[j]
            total += abs(U[i] @ U[j])
    if total == 0.0:
        return np.full(n, 1.0 / n)
    return scores / total


# outside reviewer, 2.2-w2: Scale-dependent zero test np.isclose(total, 0): tiny but valid updates
# get uniform weights.
def _reviewer_2_2_w2(U):
    n = len(U)
    scores = np.zeros(n)
    for i in range(n):
        for j in range(n):
            scores[i] += U[i] @ U[j]
    total = 0.0
    for k in range(n):
        total += abs(scores[k])
    if np.isclose(total, 0):
        return np.full(n, 1.0 / n)
    return scores / total


# outside reviewer, 2.2-w3: Forgets the absolute value in the denominator: divides by Σ_k s_k
# (signed).
def _reviewer_2_2_w3(U):
    n = len(U)
    scores = np.zeros(n)
    for i in range(n):
        for j in range(n):
            scores[i] += U[i] @ U[j]
    total = 0.0
    for k in range(n):
        total += scores[k]
    if total == 0.0:
        return np.full(n, 1.0 / n)
    return scores / total


# outside reviewer, 2.2-w4: Leaves out the task's agreement with itself (j ≠ i).
def _reviewer_2_2_w4(U):
    n = len(U)
    scores = np.zeros(n)
    for i in range(n):
        for j in range(n):
            if j != i:
                scores[i] += U[i] @ U[j]
    total = sum(abs(s) for s in scores)
    if total == 0.0:
        return np.full(n, 1.0 / n)
    return scores / total


# outside reviewer, 2.2-w5: No fallback for a zero denominator: all-zero updates give NaN weights.
def _reviewer_2_2_w5(U):
    n = len(U)
    scores = np.zeros(n)
    for i in range(n):
        for j in range(n):
            scores[i] += U[i] @ U[j]
    total = 0.0
    for k in range(n):
        total += abs(scores[k])
    return scores / total


# outside reviewer, 2.2-r1: Pure-Python sums over generator expressions, `if not total` for the zero
# test.
def _reviewer_2_2_r1(U):
    n = len(U)
    scores = [sum(float(U[i] @ U[j]) for j in range(n)) for i in range(n)]
    total = sum(abs(s) for s in scores)
    if not total:
        return np.ones(n) / n
    return np.array([s / total for s in scores])


# outside reviewer, 2.2-r2: One scalar product at a time, coordinate by coordinate (triple loop),
# uniform fallback.
def _reviewer_2_2_r2(U):
    n, p = U.shape
    s = np.zeros(n)
    for i in range(n):
        for j in range(n):
            dot = 0.0
            for c in range(p):
                dot += U[i, c] * U[j, c]
            s[i] += dot
    denominator = 0.0
    for k in range(n):
        denominator += abs(s[k])
    return np.full(n, 1.0 / n) if denominator == 0 else s / denominator


# outside reviewer, 2.3-w1: Sneaky Python loop without the words for/while: map over the rows with a
# lambda.
def _reviewer_2_3_w1(U):
    S = U.sum(axis=0)
    s = np.array(list(map(lambda u: u @ S, U)))
    total = np.abs(s).sum()
    return s / total if total > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.3-w2: Wrong axis: sums each update's own coordinates (axis=1) instead of
# summing over tasks.
def _reviewer_2_3_w2(U):
    s = (U * U.sum(axis=1, keepdims=True)).sum(axis=1)
    total = np.abs(s).sum()
    return s / total if total > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.3-w3: Scale-dependent zero test np.isclose(denominator, 0).
def _reviewer_2_3_w3(U):
    s = U @ U.sum(axis=0)
    total = np.abs(s).sum()
    return np.full(len(U), 1.0 / len(U)) if np.isclose(total, 0) else s / total


# outside reviewer, 2.3-w4: Normalises by the Euclidean norm of the scores (L2) instead of the sum
# of their absolute values.
def _reviewer_2_3_w4(U):
    s = U @ U.sum(axis=0)
    total = np.linalg.norm(s)
    return s / total if total > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.3-w5: Absolute value on the numerator too: weights come out unsigned.
def _reviewer_2_3_w5(U):
    s = np.abs(U @ U.sum(axis=0))
    return s / s.sum() if s.sum() > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.3-r1: Scores against the mean update (same ratios) and a comment mentioning
# 'for' / 'before'.
def _reviewer_2_3_r1(U):
    # agreement score of every task with the mean update, for all tasks at once
    # (normalise before returning; the 1/n factor cancels)
    scores = U @ U.mean(axis=0)
    total = np.abs(scores).sum()
    if total == 0:
        return np.full(U.shape[0], 1 / U.shape[0])
    return scores / total


# outside reviewer, 2.3-r2: einsum for the scores, np.divide with out/where for the zero case.
def _reviewer_2_3_r2(U):
    s = np.einsum("ip,p->i", U, U.sum(axis=0))
    total = np.abs(s).sum()
    return np.divide(s, total, out=np.full_like(s, 1.0 / len(s)), where=total != 0)


# outside reviewer, 2.4-w1: Uses the paper's denominator Σ_k |Σ_j G_kj| instead of Σ_i Σ_j |G_ij|.
def _reviewer_2_4_w1(U):
    G = U @ U.T
    s = G.sum(axis=1)
    total = np.abs(s).sum()
    return s / total if total > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.4-w2: Absolute value of the total, |Σ_i Σ_j G_ij|, instead of the sum of
# absolute entries.
def _reviewer_2_4_w2(U):
    G = U @ U.T
    total = np.abs(G.sum())
    return G.sum(axis=1) / total if total > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.4-w3: Drops the diagonal (self-agreement) from numerator and denominator.
def _reviewer_2_4_w3(U):
    G = U @ U.T
    np.fill_diagonal(G, 0.0)
    total = np.abs(G).sum()
    return G.sum(axis=1) / total if total > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.4-w4: Scale-dependent zero test np.isclose(total, 0).
def _reviewer_2_4_w4(U):
    G = U @ U.T
    total = np.abs(G).sum()
    if np.isclose(total, 0):
        return np.full(len(U), 1.0 / len(U))
    return G.sum(axis=1) / total


# outside reviewer, 2.4-w5: Wrong transpose: U.T @ U (a p × p matrix) instead of the n × n Gram
# matrix U @ U.T.
def _reviewer_2_4_w5(U):
    G = U.T @ U
    total = np.abs(G).sum()
    return G.sum(axis=1) / total if total > 0 else np.full(len(U), 1.0 / len(U))


# outside reviewer, 2.4-r1: gc.gram_matrix (the engine's Gram matrix), `if not total`.
def _reviewer_2_4_r1(U):
    G = gc.gram_matrix(U)
    total = np.sum(np.abs(G))
    if not total:
        return np.ones(len(U)) / len(U)
    return np.sum(G, axis=1) / total


# outside reviewer, 2.4-r2: Numerators in two passes (U @ ΣU), the Gram matrix only for the
# denominator.
def _reviewer_2_4_r2(U):
    scores = U @ U.sum(axis=0)
    denominator = np.abs(U @ U.T).sum()
    if denominator == 0:
        return np.full_like(scores, 1.0 / len(scores))
    return scores / denominator


# outside reviewer, 2.2-x1: Extra probe: loops, returns a plain Python list of floats instead of an
# array.
def _reviewer_2_2_x1(U):
    n = len(U)
    scores = []
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += float(U[i] @ U[j])
        scores.append(s)
    total = sum(abs(s) for s in scores)
    return [1.0 / n] * n if total == 0 else [s / total for s in scores]


# outside reviewer, 2.3-x1: Extra probe: Python loop hidden in np.apply_along_axis (one call per
# row).
def _reviewer_2_3_x1(U):
    S = U.sum(axis=0)
    s = np.apply_along_axis(lambda u: u @ S, 1, U)
    total = np.abs(s).sum()
    return s / total if total > 0 else np.full(len(U), 1.0 / len(U))


WRONG = {
    "update_vectors": [
        (lambda th, t, a, s: adapted(th, t, a, s) - th, "every sign is flipped: g = θ − θ′"),
        (lambda th, t, a, s: adapted(th, t, a, s), "you returned the adapted parameters"),
        (lambda th, t, a, s: th - adapted(th, t, a, s, query=True), "updates of the query sets"),
        (lambda th, t, a, s: th - adapted(th, t, a, 1), "right for one inner step, wrong for"),
        (lambda th, t, a, s: (th - adapted(th, t, a, s)).T, "transposed? one row per task"),
        (_updates_pooled, "you adapted on the support and query points together"),
        (lambda th, t, a, s: th - adapted(th, t, a, s + 1), "one inner step too many"),
        (lambda th, t, a, s: (th - adapted(th, t, a, s)) / a, "you divided the update by α"),
        (lambda th, t, a, s: a * (th - adapted(th, t, a, s)), "you multiplied the update by α"),
        (_updates_chained, "task i started from task i − 1's adapted parameters"),
        (lambda th, t, a, s: (th - adapted(th, t, a, s)).mean(0), "the mean (or sum) of the"),
        (_updates_skip_last, "the loop over the tasks skips the last task"),
        (_updates_len_tasks, "len(tasks) is 4"),
        (lambda th, t, a, s: th - adapted(th, t, 1.0, s), "do not change when `alpha` does"),
        (_updates_fixed_start, "do not change when `theta` does"),
        (_updates_indexed, "cannot be indexed like tasks[0]"),
        (_updates_fixed_count, "is a size fixed in your code?"),
        (lambda th, t, a, s: _updates_written_out(th, t, a, s, sign=-1.0), "you stepped up the"),
        (lambda th, t, a, s: _updates_written_out(th, t, a, s, summed=True), "the sum over the k"),
        (_updates_scaling_inputs, "changed an input array in place"),
        (_reviewer_2_1_w1, "every sign is flipped: g = θ − θ′"),  # outside reviewer, 2.1-w1
        (
            _reviewer_2_1_w2,
            "right for one inner step, wrong for several",
        ),  # outside reviewer, 2.1-w2
        (_reviewer_2_1_w3, "these are the updates of the query sets"),  # outside reviewer, 2.1-w3
        (
            _reviewer_2_1_w4,
            "you used the notebook's `batch`, not the `tasks` argument",
        ),  # outside reviewer, 2.1-w4
        (_reviewer_2_1_w5, "and its update is θ'_(i−1) − θ'_i"),  # outside reviewer, 2.1-w5
    ],
    "weights_loops": [
        (_loop_weights_no_abs, "your weights sum to 1, but the paper normalises so that Σ|w| = 1"),
        (lambda U: (U @ U.sum(0)) / np.abs(U @ U.T).sum(), "the chapter's denominator"),
        (
            lambda U: np.abs(U @ U.sum(0)) / np.abs(U @ U.sum(0)).sum(),
            "no absolute value in the numerator",
        ),
        (_weights_no_fallback, "return uniform weights 1/n"),
        (lambda U: gc.agreement_weights(U)[:, None], "shape (8, 1) instead of (8,)"),
        (lambda U: _loops(U, fallback="zeros"), "return uniform weights 1/n, not zeros"),
        (lambda U: _loops(U, fallback="number"), "not one number"),
        (lambda U: _loops(U, zero_test="updates"), "test total == 0, not whether the updates"),
        (lambda U: _loops(U, zero_test="isclose"), "a zero test with an absolute tolerance"),
        (lambda U: _loops(U, eps=1e-8), "a constant in your denominator (an ε added"),
        (lambda U: _loops(U, j_range=lambda n, i: range(i, n)), "only for j ≥ i (each pair once)"),
        (lambda U: _loops(U, j_range=lambda n, i: range(i + 1, n)), "only for j > i"),
        (lambda U: _loops(U, j_range=lambda n, i: range(n - 1)), "loop over j stops one short"),
        (lambda U: _loops(U, i_range=lambda n: range(n - 1)), "the last task's score stays 0"),
        (lambda U: _loops(U, j_range=lambda n, i: [i]), "your scores are ‖g_i‖² alone"),
        (lambda U: (U @ U.sum(0)) / np.linalg.norm(U @ U.sum(0)), "the Euclidean length"),
        (lambda U: (U @ U.sum(0)) / len(U), "the scores divided by n"),
        (lambda U: np.abs(U @ U.T).sum(1) / np.abs(U @ U.sum(0)).sum(), "of every product"),
        (lambda U: _safe(U @ U.sum(0) + (U * U).sum(1), len(U)), "you counted j = i twice"),
        (lambda U: _safe(U @ U.sum(0), len(U)) ** 2, "is there an absolute value or a square"),
        (
            _reviewer_2_2_w1,
            "you divided by Σ_i Σ_j |g_iᵀg_j|, the chapter's denominator",
        ),  # outside reviewer, 2.2-w1
        (_reviewer_2_2_w2, "a zero test with an absolute tolerance"),  # outside reviewer, 2.2-w2
        (
            _reviewer_2_2_w3,
            "your weights sum to 1, but the paper normalises so that Σ|w| = 1",
        ),  # outside reviewer, 2.2-w3
        (_reviewer_2_2_w4, "you left out j = i"),  # outside reviewer, 2.2-w4
        (
            _reviewer_2_2_w5,
            "returned NaN or inf: these updates add up to zero",
        ),  # outside reviewer, 2.2-w5
    ],
    "weights_vectorised": [
        (_vectorised_with_loop, "still loops in Python: a for/while loop or a comprehension"),
        (lambda U: (U @ U.sum(0)) / (U @ U.sum(0)).sum(), "your weights sum to 1"),
        (_weights_no_fallback, "return uniform weights 1/n"),
        (lambda U: gc.cosine_agreement_weights(U), "you scaled every update to length 1"),
        (lambda U: ex.weights_loops(U), "it calls weights_loops"),
        (lambda U: _safe(np.array(list(map(lambda u: u @ U.sum(0), U))), len(U)), "builtin map()"),
        (lambda U: _safe(U @ sum(U), len(U)), "builtin sum() goes through the tasks"),
        (
            lambda U: _safe(np.apply_along_axis(lambda u: u @ U.sum(0), 1, U), len(U)),
            "np.apply_along_axis loops over the tasks",
        ),
        (lambda U: _safe(np.vectorize(float)(U) @ U.sum(0), len(U)), "np.vectorize"),
        (_weights_loop_over_parameters, "runs once for each of the parameters"),
        (lambda U: _safe(U @ U.sum(axis=1), len(U)), "you summed U over axis 1"),
        (lambda U: _safe(U.T @ U.sum(axis=0), len(U)), "you multiplied U.T by the sum"),
        (
            lambda U: (
                np.full(len(U), 1 / len(U))
                if np.allclose(U @ U.sum(0), 0)
                else _safe(U @ U.sum(0), len(U))
            ),
            "a zero test with an absolute tolerance",
        ),
        (lambda U: (U @ U.sum(0)) / np.abs(U @ U.sum(0)).max(), "the largest |s_k|"),
        (lambda U: _safe((U.T @ U).sum(1), len(U)), "U.T @ U is the p × p matrix"),
        (
            _reviewer_2_3_w1,
            "builtin map() goes through the tasks one by one",
        ),  # outside reviewer, 2.3-w1
        (
            _reviewer_2_3_w2,
            "your scores are (Σ_c g_ic)², each update's own entries summed (over axis 1)",
        ),  # outside reviewer, 2.3-w2
        (_reviewer_2_3_w3, "a zero test with an absolute tolerance"),  # outside reviewer, 2.3-w3
        (_reviewer_2_3_w4, "you divided by the Euclidean length"),  # outside reviewer, 2.3-w4
        (
            _reviewer_2_3_w5,
            "all your weights are ≥ 0: no absolute value in the numerator",
        ),  # outside reviewer, 2.3-w5
        (
            _reviewer_2_3_x1,
            "np.apply_along_axis loops over the tasks in Python",
        ),  # outside reviewer, 2.3-x1
    ],
    "weights_chapter": [
        (lambda U: gc.agreement_weights(U), "these are the paper's weights"),
        (lambda U: (U @ U.sum(0)) / abs((U @ U.sum(0)).sum()), "the total without absolute values"),
        (lambda U: np.abs(U @ U.T).sum(1) / np.abs(U @ U.T).sum(), "all your weights are ≥ 0"),
        (lambda U: (U @ U.T).sum(1) / np.linalg.norm(U @ U.T, 1), "the matrix 1-norm"),
        (lambda U: (U.T @ U).sum(1) / np.abs(U.T @ U).sum(), "U.T @ U is the p × p matrix"),
        (lambda U: (U @ U.T).sum(1) / np.linalg.norm(U @ U.T), "the Frobenius norm"),
        (lambda U: (U @ U.T).sum(1) / np.abs(np.triu(U @ U.T)).sum(), "only for j ≥ i"),
        (
            lambda U: (U @ U.T).sum(1) / (np.abs(U @ U.T).sum() - np.trace(U @ U.T)),
            "leaves out the diagonal",
        ),
        (lambda U: (U @ U.T).sum(1) / np.abs(U @ U.T).sum(1), "by its own row's"),
        (lambda U: (U @ U.T).sum(1) / np.abs(U @ U.T).mean(), "the mean of |g_iᵀg_j|"),
        (
            lambda U: (
                (U @ U.T).sum(1) / np.abs(U @ U.T).sum()
                if (U @ U.T).sum(1).any()
                else np.full(len(U), 1 / len(U))
            ),
            "only a zero denominator calls for uniform weights",
        ),
        (
            lambda U: (
                (U @ U.T).sum(1) / np.abs(U @ U.T).sum()
                if not np.isclose(np.abs(U @ U.T).sum(), 0)
                else np.full(len(U), 1 / len(U))
            ),
            "a zero test with an absolute tolerance",
        ),
        (_reviewer_2_4_w1, "these are the paper's weights"),  # outside reviewer, 2.4-w1
        (_reviewer_2_4_w2, "you divided by |Σ_i Σ_j g_iᵀg_j|"),  # outside reviewer, 2.4-w2
        (
            _reviewer_2_4_w3,
            "you left the diagonal g_iᵀg_i = ‖g_i‖² out of both the row sums and the denominator",
        ),  # outside reviewer, 2.4-w3
        (_reviewer_2_4_w4, "a zero test with an absolute tolerance"),  # outside reviewer, 2.4-w4
        (
            _reviewer_2_4_w5,
            "U.T @ U is the p × p matrix of products between parameters",
        ),  # outside reviewer, 2.4-w5
    ],
}

# --- Correct answers written differently from the reference solution ----------------------------


def _updates_by_attributes(theta, tasks, alpha, steps=1):
    rows = [theta - gc.adapt(theta, tasks.X_train[i], tasks.y_train[i], alpha, steps)
            for i in range(tasks.n_tasks)]  # fmt: skip
    return np.stack(rows)


def _updates_by_hand(theta, tasks, alpha, steps=1):
    X_train, y_train, *_ = tasks
    out = np.empty((len(X_train), len(theta)))
    for i, (X, y) in enumerate(zip(X_train, y_train, strict=True)):
        t = theta.copy()
        for _ in range(steps):
            t -= alpha * grad_logistic(t, X, y)
        out[i] = theta - t
    return out


def _updates_engine(theta, tasks, alpha, steps=1):
    return gc.meta_step(theta, tasks, alpha, 0.0, "reptile", "uniform", steps)[1]["updates"]


def _loops_dot_floats(U):
    n = U.shape[0]
    s = [0.0] * n
    for i in range(n):
        for j in range(n):
            s[i] += float(np.dot(U[i], U[j]))
    total = sum(abs(v) for v in s)
    if not total:
        return np.ones(n) / n
    return np.array(s) / total


def _loops_mean_gram(U):
    G = [[np.dot(a, b) for b in U] for a in U]
    s = np.array([np.mean(row) for row in G])  # the mean instead of the sum: same weights
    return s / np.linalg.norm(s, 1) if np.linalg.norm(s, 1) != 0 else np.full(len(U), 1 / len(U))


def _vectorised_einsum(U):
    U = np.asarray(U, dtype=float)
    s = np.einsum("ij,j->i", U, U.mean(axis=0))
    total = np.linalg.norm(s, 1)
    return np.full(len(U), 1 / len(U)) if total == 0 else s / total


def _vectorised_gram(U):
    s = (U @ U.T).sum(axis=0)
    total = np.sum(np.abs(s))
    return np.divide(s, total, out=np.full_like(s, 1 / len(s)), where=total != 0)


def _chapter_einsum(U):
    G = np.einsum("ik,jk->ij", U, U)
    total = np.linalg.norm(G.ravel(), 1)
    return G.sum(axis=0) / total if total else np.ones(len(U)) / len(U)


def _chapter_loops(U):
    n = len(U)
    num, total = np.zeros(n), 0.0
    for i in range(n):
        for j in range(n):
            num[i] += U[i] @ U[j]
            total += abs(U[i] @ U[j])
    return num / total if total != 0 else np.full(n, 1 / n)


RIGHT = [
    ("update_vectors", _updates_by_attributes),
    ("update_vectors", _updates_by_hand),
    ("update_vectors", _updates_engine),
    ("weights_loops", _loops_dot_floats),
    ("weights_loops", _loops_mean_gram),
    ("weights_loops", ex.weights_vectorised),
    ("weights_vectorised", _vectorised_einsum),
    ("weights_vectorised", _vectorised_gram),
    ("weights_chapter", _chapter_einsum),
    ("weights_chapter", _chapter_loops),
    ("update_vectors", _reviewer_2_1_r1),  # outside reviewer, 2.1-r1
    ("update_vectors", _reviewer_2_1_r2),  # outside reviewer, 2.1-r2
    ("weights_loops", _reviewer_2_2_r1),  # outside reviewer, 2.2-r1
    ("weights_loops", _reviewer_2_2_r2),  # outside reviewer, 2.2-r2
    ("weights_vectorised", _reviewer_2_3_r1),  # outside reviewer, 2.3-r1
    ("weights_vectorised", _reviewer_2_3_r2),  # outside reviewer, 2.3-r2
    ("weights_chapter", _reviewer_2_4_r1),  # outside reviewer, 2.4-r1
    ("weights_chapter", _reviewer_2_4_r2),  # outside reviewer, 2.4-r2
    ("weights_loops", _reviewer_2_2_x1),  # outside reviewer, 2.2-x1
]
(
    test_every_check_has_three_wrong_and_two_right_answers,
    test_check_rejects_a_wrong_answer_with_its_diagnosis,
    test_check_accepts_a_correct_alternative,
) = answer_tests(ex, WRONG, RIGHT)


# --- The cases and the loop test ------------------------------------------------------------------


def test_update_cases_vary_every_argument_and_pass_a_task_batch():
    """Every argument takes several values; the first case differs from the notebook's numbers
    (8 tasks, 10 features, α = 1, 1 step); ``tasks`` is the notebook's type, a TaskBatch."""
    cases = ex._update_cases()
    thetas = [c.args[0] for c in cases]
    assert len({t.shape for t in thetas}) > 1
    for position in (2, 3):
        assert len({c.args[position] for c in cases}) > 1
    assert len({c.args[1].n_tasks for c in cases}) > 1
    assert len({c.args[1].X_train.shape[1] for c in cases}) > 1
    _, _, n, dim, _, alpha, steps = ex.UPDATE_CASES[0]
    assert n not in (8, 4) and dim != 10 and alpha != 1.0 and steps != 1
    assert all(type(c.args[1]).__name__ == "TaskBatch" for c in cases)


def test_weight_cases_scale_and_place_the_dissenter_away_from_row_0():
    """The dissenter (the one negative weight of its batch) is neither the first nor the last
    row; the same batches come again times 1e-6 and 1e6, with the same weights."""
    cases = {c.label: c for c in ex._weight_cases()}
    dissent = cases["4 agreeing updates and a dissenter, the 3rd of 5"]
    assert np.flatnonzero(dissent.want < 0).tolist() == [2]
    sizes = {np.abs(c.args[0]).max() for label, c in cases.items() if "times 1e" in label}
    assert min(sizes) < 1e-5 and max(sizes) > 1e5
    for factor in ("1e-6", "1e6"):
        scaled = cases[f"the dissenting batch times {factor}"]
        np.testing.assert_allclose(scaled.want, dissent.want, rtol=1e-12)
    assert cases["the 8 updates of a logistic batch with 8 parameters"].args[0].shape == (8, 8)


@pytest.mark.parametrize(
    "fn", [ex.weights_vectorised, _vectorised_einsum, _vectorised_gram, gc.agreement_weights]
)
def test_loop_free_functions_take_the_same_python_steps_at_every_size(fn):
    """The loop test counts steps, it does not time them: a loop-free function takes exactly
    the same number of Python steps for 4 and 64 tasks, so a slow machine cannot fail it."""
    steps = [count_steps(fn, (np.ones((n, 3)),)).lines.total() for n in (4, 64)]
    assert steps[0] == steps[1]
    assert python_loop(fn, lambda n: (np.ones((n, 3)) + np.arange(n)[:, None],)) is None


def test_the_loop_test_reads_no_clock(capsys, monkeypatch):
    """The check of 2.3 never times anything, so a slow or loaded machine cannot fail it."""
    import time

    calls = []
    for name in ("perf_counter", "perf_counter_ns", "process_time", "monotonic"):
        original = getattr(time, name)
        monkeypatch.setattr(time, name, lambda f=original: calls.append(f) or f())
    out = verdict(capsys, ex.check_weights_vectorised, ex.weights_vectorised)
    assert out.startswith("correct: "), out
    assert not calls


def test_the_loop_test_restores_a_tracer_already_installed():
    """A debugger's or coverage's tracer is put back after the steps are counted."""
    import sys

    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        assert python_loop(ex.weights_loops, lambda n: (np.ones((n, 2)),)) is not None
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)
