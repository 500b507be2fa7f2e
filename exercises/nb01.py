"""Exercises of notebook 1 (tasks): sample a batch in the stacked layout; split one task.

Exercise 1.1 ``sample_sine_batch(rng, n_tasks, k_shot, q_query)``: n sine tasks stacked as
``(X_train, y_train, X_test, y_test)``, the same numbers as ``gt.sample_sine_tasks``.
Exercise 1.2 ``split_task(rng, X, y, k_shot)``: one task's m points, shuffled by
``rng.permutation(m)``, the first k to the support set and the rest to the query set.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Case,
    check,
    exercise_decorator,
    run_check,
    shape_problem,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_sample_sine_batch",
    "check_split_task",
    "exercise",
    "sample_sine_batch",
    "split_task",
]

exercise = exercise_decorator(sys.modules[__name__])
NAMES = ("X_train", "y_train", "X_test", "y_test")


# --- Reference solutions (shown in the notebook's collapsed blocks) -------------------------------


def sample_sine_batch(rng, n_tasks, k_shot, q_query):
    amplitude = rng.uniform(0.1, 5.0, size=n_tasks)  # one per task
    phase = rng.uniform(0.0, np.pi, size=n_tasks)
    x = rng.uniform(-5.0, 5.0, size=(n_tasks, k_shot + q_query, 1))  # feature axis of length 1
    y = amplitude[:, None] * np.sin(x[..., 0] + phase[:, None])  # (n, k + q)
    return x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:]


def split_task(rng, X, y, k_shot):
    order = rng.permutation(len(y))  # one shuffle for inputs and labels alike
    support, query = order[:k_shot], order[k_shot:]
    return X[support], y[support], X[query], y[query]


# --- Exercise 1.1 --------------------------------------------------------------------------------

SINE_CASES = ((4, 10, 10), (1, 5, 3), (3, 1, 1), (2, 10, 25))


def _four(got: Any) -> str | None:
    if got is None:
        return "your function returned None: return (X_train, y_train, X_test, y_test)"
    if not isinstance(got, tuple | list) or len(got) != 4:
        return "return four arrays, in the order (X_train, y_train, X_test, y_test)"
    return None


def _shape_message(name: str, got: np.ndarray, want: np.ndarray) -> str:
    if name.startswith("X") and got.shape == want.shape[:-1]:
        return (
            f"{name} has shape {got.shape} instead of {want.shape}: keep a feature axis of "
            "length 1 (inputs are (n, k, d) with d = 1)"
        )
    if name.startswith("y") and got.shape == (*want.shape, 1):
        return (
            f"{name} has shape {got.shape} instead of {want.shape}: targets have no feature "
            "axis, one number per point"
        )
    return shape_problem(got, want, name) or ""


def _on_one_sine(x: np.ndarray, y: np.ndarray) -> bool:
    """Every task's points lie on one wave a·sin x + b·cos x (= A sin(x + φ))."""
    for xi, yi in zip(x[..., 0], y, strict=True):
        basis = np.column_stack([np.sin(xi), np.cos(xi)])
        coef = np.linalg.lstsq(basis, yi, rcond=None)[0]
        if not np.allclose(basis @ coef, yi, atol=1e-8):
            return False
    return True


def _diagnose_batch(got: Any, n: int, k: int, q: int, seed: int) -> str | None:
    if message := _four(got):
        return message
    want = tuple(gt.sample_sine_tasks(np.random.default_rng(seed), n, k, q))
    arrays = []
    for name, value, ref in zip(NAMES, got, want, strict=True):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{name} should be an array of numbers"
        if arr.shape != ref.shape:
            return _shape_message(name, arr, ref)
        arrays.append(arr)
    if all(np.allclose(a, r, rtol=0, atol=1e-12) for a, r in zip(arrays, want, strict=True)):
        return None
    Xs, ys, Xq, yq = arrays
    if k == q and np.allclose(Xs, want[2]) and np.allclose(Xq, want[0]):
        return "support and query are swapped: the first k points of each task are the support"
    x_all, y_all = np.concatenate([Xs, Xq], axis=1), np.concatenate([ys, yq], axis=1)
    if np.abs(x_all).max() > 5.0:
        return "inputs must lie in [−5, 5]"
    ref_rng = np.random.default_rng(seed)
    amp, phase = ref_rng.uniform(0.1, 5.0, n), ref_rng.uniform(0.0, np.pi, n)
    if np.allclose(y_all, amp[:, None] * np.sin(x_all[..., 0]) + phase[:, None]):
        return "the phase goes inside the sine: y = a·sin(x + φ), not a·sin(x) + φ"
    if not _on_one_sine(x_all, y_all):
        return (
            "a task's support and query points do not lie on one sine wave: draw one amplitude "
            "and one phase per task and use them for all its k + q points"
        )
    return (
        "a plausible batch, but not the numbers gt.sample_sine_tasks draws from the same seed: "
        "draw the n amplitudes, then the n phases, then all inputs at once, shape (n, k + q, 1)"
    )


@check
def check_sample_sine_batch(fn) -> bool:
    """Compare ``fn(rng, n, k, q)`` with ``gt.sample_sine_tasks`` on the same seed."""
    cases = [
        Case(f"n={n} tasks, k={k}, q={q}", (np.random.default_rng(seed), n, k, q), None,
             diagnose=lambda got, n=n, k=k, q=q, seed=seed: _diagnose_batch(got, n, k, q, seed))
        for seed, (n, k, q) in enumerate(SINE_CASES)
    ]  # fmt: skip
    success = "your batches match gt.sample_sine_tasks, seed for seed, in 4 layouts"
    return run_check(fn, cases, (), success)


# --- Exercise 1.2 --------------------------------------------------------------------------------


def _split_cases() -> list[tuple[int, int, int]]:
    return [(0, 20, 10), (1, 12, 1), (2, 12, 11), (3, 7, 3)]  # seed, m points, k


def _task(seed: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    sines = gt.sample_sine_tasks(np.random.default_rng(100 + seed), 1, m, 1)
    return sines.X_train[0], sines.y_train[0]  # (m, 1) inputs, (m,) distinct targets


def _rows(X: np.ndarray, y: np.ndarray) -> set[tuple[float, ...]]:
    return {(*np.round(x, 12).tolist(), round(float(t), 12)) for x, t in zip(X, y, strict=True)}


def _diagnose_split(got: Any, X: np.ndarray, y: np.ndarray, k: int, seed: int) -> str | None:
    if message := _four(got):
        return message
    m, d = X.shape
    shapes = ((k, d), (k,), (m - k, d), (m - k,))
    arrays = []
    for name, value, shape in zip(NAMES, got, shapes, strict=True):
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != shape:
            if name == "X_train" and arr.shape[:1] != (k,) and arr.ndim == 2:
                diff = arr.shape[0] - k
                return (
                    f"your support set has {arr.shape[0]} points instead of k = {k} "
                    f"({diff:+d}): order[:k] holds exactly k indices, order[k:] the rest"
                )
            return shape_problem(arr, np.zeros(shape), name)
        arrays.append(arr)
    Xs, ys, Xq, yq = arrays
    original = _rows(X, y)
    if not (_rows(Xs, ys) | _rows(Xq, yq)) <= original:
        return (
            "some inputs no longer carry their own labels: shuffle X and y with the same "
            "index array"
        )
    if len(_rows(Xs, ys) | _rows(Xq, yq)) != m or _rows(Xs, ys) & _rows(Xq, yq):
        return "every point must land in exactly one of the two sets, none twice, none lost"
    want = split_task(np.random.default_rng(seed), X, y, k)
    if all(np.array_equal(a, b) for a, b in zip(arrays, want, strict=True)):
        return None
    if np.array_equal(Xs, X[:k]):
        return "your support set is the first k points in their stored order: shuffle first"
    return (
        "a valid random split, but not the one this seed gives: shuffle with "
        "order = rng.permutation(m), one call, so that your split can be reproduced"
    )


@check
def check_split_task(fn) -> bool:
    """Compare ``fn(rng, X, y, k)`` with the reference split on 4 tasks (k = 1 to m − 1)."""
    cases = []
    for seed, m, k in _split_cases():
        X, y = _task(seed, m)
        diagnose = lambda got, X=X, y=y, k=k, seed=seed: _diagnose_split(got, X, y, k, seed)  # noqa: E731
        cases.append(Case(f"m={m} points, k={k}", (np.random.default_rng(seed), X, y, k), None,
                          diagnose=diagnose))  # fmt: skip
    success = "every point lands in one set with its own label, split as rng.permutation"
    return run_check(fn, cases, (), success)
