"""Exercises of notebook 02: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_testing import assert_accepted, assert_rejected, grad_logistic, verdict

import gaml_core as gc
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
]
WRONG_CASES = [(name, fn, message) for name, answers in WRONG.items() for fn, message in answers]


def test_every_check_has_at_least_three_wrong_answers():
    checks = {n[len("check_") :] for n in ex.__all__ if n.startswith("check_")}
    assert checks == set(WRONG)
    assert all(len(answers) >= 3 for answers in WRONG.values())


@pytest.mark.parametrize(
    ("name", "wrong", "message"),
    WRONG_CASES,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(WRONG_CASES)],
)
def test_check_rejects_a_wrong_answer_with_its_diagnosis(capsys, name, wrong, message):
    assert_rejected(capsys, getattr(ex, f"check_{name}"), wrong, message)


@pytest.mark.parametrize(("name", "right"), RIGHT, ids=[f"{n}-{f.__name__}" for n, f in RIGHT])
def test_check_accepts_a_correct_alternative(capsys, name, right):
    assert_accepted(capsys, getattr(ex, f"check_{name}"), right)


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
