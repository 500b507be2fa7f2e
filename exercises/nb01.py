"""Exercises of notebook 1 (tasks): sample a batch in the stacked layout; split one task.

Exercise 1.1 ``sample_sine_batch(rng, n_tasks, k_shot, q_query)``: n sine tasks stacked as
``(X_train, y_train, X_test, y_test)``, the same numbers as ``gt.sample_sine_tasks``.
Exercise 1.2 ``split_task(rng, X, y, k_shot)``: one task's m points, shuffled by
``rng.permutation(m)``, the first k to the support set and the rest to the query set.

The cases vary every argument (the seed, n, k, q, m and the number of features d), none of
them equal to the numbers of the notebook's cells, and include the cases where a wrong answer
could be right by accident (k = q, where swapped sets have the right shapes; one task; one
support point). A wrong answer is diagnosed in this order: its structure (four arrays, their
shapes), what its numbers show by themselves (inputs out of range, points of one task not on
one wave, sets that lose or mislabel points), whether it uses the generator it is given
(the same seed twice, then two seeds), the ranges it draws from (on a large batch), and only
then the order of the draws.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Case,
    attempt,
    check,
    exercise_decorator,
    four_arrays,
    run_check,
    same_arrays,
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


# --- Shared helpers ------------------------------------------------------------------------------


def _four(got: Any) -> tuple[Any, ...] | str:
    """The four returned arrays, or a diagnosis (:func:`exercises.four_arrays`)."""
    return four_arrays(
        got,
        "your function returned None: return (X_train, y_train, X_test, y_test)",
        "return four arrays, in the order (X_train, y_train, X_test, y_test)",
    )


def _same(a: Any, b: Any) -> bool:
    """Two returned splits hold the same four arrays."""
    return same_arrays(_four(a), _four(b))


def _arrays(
    four: tuple[Any, ...], shapes: Sequence[tuple[int, ...]], shape_message: Callable[..., str]
) -> tuple[np.ndarray, ...] | str:
    """The four returned values as arrays of floats of the given shapes, or the first problem:
    not numbers, ``shape_message(name, array, shape)`` for a wrong shape, NaN or inf."""
    arrays = []
    for name, value, shape in zip(NAMES, four, shapes, strict=True):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{name} should be an array of numbers"
        if arr.shape != shape:
            return shape_message(name, arr, shape)
        if not np.isfinite(arr).all():
            return f"{name} contains NaN or inf"
        arrays.append(arr)
    return tuple(arrays)


def _equal(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> bool:
    return all(
        g.shape == w.shape and np.allclose(g, w, rtol=0, atol=1e-12)
        for g, w in zip(got, want, strict=True)
    )


def _rng_problem(
    fn: Callable[..., Any], seed: int, rest: tuple[Any, ...], what: str, varies: bool = True
) -> str | None:
    """Does ``fn`` draw from the generator it is given? Same seed twice: same result; another
    seed (only if ``varies``): another result. None if it does (or if it fails, which the case
    reports)."""
    runs = [attempt(fn, (np.random.default_rng(s), *rest)) for s in (seed, seed, seed + 1000)]
    if any(status != "ok" for status, _ in runs):
        return None
    (_, first), (_, again), (_, other) = runs
    if not _same(first, again):
        return (
            f"two generators with the same seed gave two different {what}: draw every random "
            "number from the `rng` you are given (np.random.uniform, np.random.permutation or "
            "np.random.default_rng() draw from other generators)"
        )
    if varies and _same(first, other):
        return (
            f"your {what} do not change with the generator passed in: draw from the `rng` "
            "argument, not from a generator of your own (np.random.default_rng(seed) inside "
            "the function?)"
        )
    return None


# --- Exercise 1.1 --------------------------------------------------------------------------------

# (seed, n tasks, k shots, q queries): the first case differs from every number of the notebook's
# cells; k = q hides swapped sets from the shapes; n = 1 and k = q = 1 are the edges.
SINE_CASES = ((11, 6, 4, 7), (12, 1, 5, 3), (13, 3, 1, 1), (14, 2, 9, 25), (15, 4, 8, 8))
RANGE_BATCH = (2000, 2, 2)  # n, k, q of the large batch whose amplitudes and phases are fitted


def _fit_waves(x: np.ndarray, y: np.ndarray, offset: bool = False) -> tuple[np.ndarray, bool]:
    """Least-squares a·sin x + b·cos x (+ c) through every task's points: the coefficients
    (n, 2 or 3) and whether every task's points lie exactly on its curve."""
    columns = [np.sin(x), np.cos(x), *([np.ones_like(x)] if offset else [])]
    basis = np.stack(columns, axis=-1)  # (n, m, 2 or 3)
    coef = np.stack([np.linalg.lstsq(b, t, rcond=None)[0] for b, t in zip(basis, y, strict=True)])
    fitted = np.einsum("nmc,nc->nm", basis, coef)
    scale = max(1.0, float(np.abs(y).max(initial=0.0)))
    return coef, bool(np.allclose(fitted, y, rtol=0, atol=1e-8 * scale))


def _amplitude_phase(coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a·sin x + b·cos x = A·sin(x + φ): A = √(a² + b²), φ in [0, 2π)."""
    phase = np.mod(np.arctan2(coef[:, 1], coef[:, 0]) + 1e-9, 2 * np.pi) - 1e-9
    return np.hypot(coef[:, 0], coef[:, 1]), phase


def _sine_shape_message(name: str, got: np.ndarray, want: np.ndarray, k: int, q: int) -> str:
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
    if got.ndim == want.ndim and got.ndim >= 2:
        if got.shape[0] != want.shape[0]:
            return (
                f"{name} holds {got.shape[0]} tasks instead of n_tasks = {want.shape[0]}: size "
                "every draw with the arguments, not with numbers of your own"
            )
        if got.shape[1] != want.shape[1]:
            arg, value = ("k_shot", k) if name.endswith("train") else ("q_query", q)
            return (
                f"{name} has {got.shape[1]} points per task instead of {arg} = {value}: split "
                "the k + q points at k_shot, with the arguments, not numbers of your own"
            )
    return shape_problem(got, want, name) or ""


def _sine_variants(seed: int, n: int, k: int, q: int) -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """The batches that other draw orders give from the same seed, with their diagnoses."""

    def stack(amp, phase, x):
        y = amp[:, None] * np.sin(x[..., 0] + phase[:, None])
        return x[:, :k], y[:, :k], x[:, k:], y[:, k:]

    def amp(r):
        return r.uniform(0.1, 5.0, n)

    def phase(r):
        return r.uniform(0.0, np.pi, n)

    def x(r, m=k + q):
        return r.uniform(-5.0, 5.0, (n, m, 1))

    out = []
    r = np.random.default_rng(seed)
    p, a = phase(r), amp(r)
    out.append(("you drew the phases before the amplitudes", stack(a, p, x(r))))
    r = np.random.default_rng(seed)
    xs = x(r)
    a = amp(r)
    out.append(("you drew the inputs before the amplitudes and phases", stack(a, phase(r), xs)))
    r = np.random.default_rng(seed)
    a, p = amp(r), phase(r)
    two = np.concatenate([x(r, k), x(r, q)], axis=1)
    out.append((
        "you drew the support and the query inputs in two calls; draw all k + q inputs of "
        "every task in one call, shape (n, k + q, 1), then split at k", stack(a, p, two),
    ))  # fmt: skip
    r = np.random.default_rng(seed)
    per_task = [(r.uniform(0.1, 5.0), r.uniform(0.0, np.pi), r.uniform(-5, 5, (k + q, 1)))
                for _ in range(n)]  # fmt: skip
    a, p = np.array([t[0] for t in per_task]), np.array([t[1] for t in per_task])
    out.append((
        "you drew task by task (one task's amplitude, phase and inputs, then the next's); "
        "draw all n amplitudes in one call, then all n phases",
        stack(a, p, np.stack([t[2] for t in per_task])),
    ))  # fmt: skip
    r = np.random.default_rng(seed)
    a, p = amp(r), phase(r)
    out.append((
        "you sorted each task's inputs: keep them in the order drawn, so that the first k "
        "are a random support set", stack(a, p, np.sort(x(r), axis=1)),
    ))  # fmt: skip
    return out


def _range_problem(fn: Callable[..., Any], seed: int) -> str | None:
    """Fit amplitude and phase to every task of a large batch: do they (and the inputs) cover
    the ranges of the text? Independent of the order of the draws."""
    n, k, q = RANGE_BATCH
    status, got = attempt(fn, (np.random.default_rng(seed + 5000), n, k, q))
    arrays = _four(got) if status == "ok" else "failed"
    if isinstance(arrays, str):
        return None
    try:
        Xs, ys, Xq, yq = (np.asarray(a, dtype=np.float64) for a in arrays)
        x = np.concatenate([Xs, Xq], axis=1)[..., 0]
        y = np.concatenate([ys, yq], axis=1)
    except (TypeError, ValueError, IndexError):
        return None
    if x.shape != (n, k + q) or y.shape != x.shape or not np.isfinite(y).all():
        return None
    coef, exact = _fit_waves(x, y)
    if not exact:
        return None
    amplitude, phase = _amplitude_phase(coef)
    lo, hi = float(amplitude.min()), float(amplitude.max())
    if not (0.1 - 1e-6 <= lo <= 0.2 and 4.9 <= hi <= 5.0 + 1e-6):
        return (
            f"over {n} tasks your amplitudes run from {lo:.2f} to {hi:.2f}, not over [0.1, 5]: "
            "a ~ U[0.1, 5], rng.uniform(0.1, 5.0, size=n_tasks)"
        )
    lo, hi = float(phase.min()), float(phase.max())
    if not (-1e-6 <= lo <= 0.1 and math.pi - 0.1 <= hi <= math.pi + 1e-6):
        return (
            f"over {n} tasks your phases run from {lo:.2f} to {hi:.2f}, not over [0, π] "
            "(π ≈ 3.14): φ ~ U[0, π], rng.uniform(0.0, np.pi, size=n_tasks)"
        )
    lo, hi = float(x.min()), float(x.max())
    if not (lo <= -4.9 and hi >= 4.9):
        return f"over {n} tasks your inputs run from {lo:.2f} to {hi:.2f}, not over [−5, 5]"
    return None


def _diagnose_batch(
    fn: Callable[..., Any], got: Any, seed: int, n: int, k: int, q: int
) -> str | None:
    four = _four(got)
    if isinstance(four, str):
        return four
    want = tuple(gt.sample_sine_tasks(np.random.default_rng(seed), n, k, q))
    shapes = [np.shape(v) if isinstance(v, np.ndarray) else None for v in four]
    if k != q and shapes[0] == want[2].shape and shapes[2] == want[0].shape:
        return (
            "X_train has the query set's shape and X_test the support set's: support and query "
            "are swapped, the first k_shot points of each task are the support set"
        )
    arrays = _arrays(
        four,
        [w.shape for w in want],
        lambda name, arr, shape: _sine_shape_message(name, arr, want[NAMES.index(name)], k, q),
    )
    if isinstance(arrays, str):
        return arrays
    if _equal(arrays, want):
        return None
    Xs, ys, Xq, yq = arrays
    x_want = np.concatenate([want[0], want[2]], axis=1)
    if k == q and _equal(arrays, (want[2], want[3], want[0], want[1])):
        return "support and query are swapped: the first k points of each task are the support"
    y_want = np.concatenate([want[1], want[3]], axis=1)
    if _equal((Xs, ys, Xq, yq), (x_want[:, q:], y_want[:, q:], x_want[:, :q], y_want[:, :q])):
        return (
            "your support set is the last k points of each task: the first k_shot points are "
            "the support set, the rest the query set"
        )
    x_all, y_all = np.concatenate([Xs, Xq], axis=1), np.concatenate([ys, yq], axis=1)
    if np.abs(x_all).max() > 5.0:
        return "inputs must lie in [−5, 5]"
    ref_rng = np.random.default_rng(seed)
    amp, phase = ref_rng.uniform(0.1, 5.0, n), ref_rng.uniform(0.0, np.pi, n)
    if np.allclose(y_all, amp[:, None] * np.sin(x_all[..., 0]) + phase[:, None]):
        return "the phase goes inside the sine: y = a·sin(x + φ), not a·sin(x) + φ"
    if np.allclose(y_all, amp[:, None] * np.cos(x_all[..., 0] + phase[:, None])):
        return "you used the cosine: y = a·sin(x + φ)"
    m = k + q
    coef, on_waves = _fit_waves(x_all[..., 0], y_all)
    if not on_waves:
        if m >= 4 and _fit_waves(x_all[..., 0], y_all, offset=True)[1]:
            return (
                "each task's points lie on a sine wave shifted up or down (a constant added): "
                "the phase goes inside the sine, y = a·sin(x + φ)"
            )
        if k >= 3 and q >= 3 and _fit_waves(Xs[..., 0], ys)[1] and _fit_waves(Xq[..., 0], yq)[1]:
            return (
                "a task's support points lie on one sine wave and its query points on another: "
                "draw one amplitude and one phase per task and use them for all its k + q points"
            )
        return (
            "a task's points do not lie on one sine wave A·sin(x + φ) of period 2π: the "
            "amplitude multiplies the sine and the phase is added inside it, y = a·sin(x + φ)"
        )
    if n > 1 and m >= 3:
        amplitudes, phases = _amplitude_phase(coef)
        if np.allclose(amplitudes, amplitudes[0]) and np.allclose(phases, phases[0]):
            return (
                "every task is the same wave: draw n_tasks amplitudes and n_tasks phases "
                "(size=n_tasks), one of each per task"
            )
    if message := _rng_problem(fn, seed, (n, k, q), "batches"):
        return message
    if message := _range_problem(fn, seed):
        return message
    for message, variant in _sine_variants(seed, n, k, q):
        if _equal(arrays, variant):
            return message
    return (
        "a plausible batch, but not the numbers gt.sample_sine_tasks draws from the same seed: "
        "draw the n amplitudes, then the n phases, then all inputs at once, shape (n, k + q, 1)"
    )


@check
def check_sample_sine_batch(fn) -> bool:
    """Compare ``fn(rng, n, k, q)`` with ``gt.sample_sine_tasks`` on the same seed."""
    cases = [
        Case(f"n={n} tasks, k={k}, q={q}", (np.random.default_rng(seed), n, k, q), None,
             diagnose=lambda got, s=seed, n=n, k=k, q=q: _diagnose_batch(fn, got, s, n, k, q))
        for seed, n, k, q in SINE_CASES
    ]  # fmt: skip
    success = (
        f"your batches match gt.sample_sine_tasks, seed for seed, in {len(cases)} layouts "
        "(one task, one shot, k = q, k < q and k > q)"
    )
    return run_check(fn, cases, (), success)


# --- Exercise 1.2 --------------------------------------------------------------------------------

# (seed, m points, k shots, d features): the first case differs from the notebook's numbers;
# m = 2k hides swapped sets from the shapes; k = 1 and k = m − 1 are the edges.
SPLIT_CASES = ((21, 9, 3, 2), (22, 12, 1, 1), (23, 12, 11, 3), (24, 10, 5, 1), (25, 20, 10, 1))


def _task(seed: int, m: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """m points with d features, stored sorted by the first feature, and distinct targets."""
    rng = np.random.default_rng(100 + seed)
    X = rng.uniform(-5.0, 5.0, size=(m, d))
    X = X[np.argsort(X[:, 0])]
    return X, np.sin(X).sum(axis=1) + 0.01 * rng.normal(size=m)


def _rows(X: np.ndarray, y: np.ndarray) -> list[tuple[float, ...]]:
    return [(*np.round(x, 12).tolist(), round(float(t), 12)) for x, t in zip(X, y, strict=True)]


def _split_shape_message(name: str, arr: np.ndarray, shape: tuple[int, ...], k: int, m: int) -> str:
    if name.startswith("X") and arr.ndim == 1 and arr.shape == shape[:1]:
        return (
            f"{name} has shape {arr.shape} instead of {shape}: keep X's feature axis, "
            "X[indices] keeps every row whole"
        )
    if arr.ndim == len(shape) and arr.shape[1:] == shape[1:]:
        diff = arr.shape[0] - shape[0]
        if name.endswith("train"):
            return (
                f"your support set has {arr.shape[0]} points instead of k = {k} "
                f"({diff:+d}): order[:k] holds exactly k indices, order[k:] the rest"
            )
        return (
            f"your query set has {arr.shape[0]} points instead of m − k = {m - k} ({diff:+d}): "
            "order[k:] holds every point not in the support set"
        )
    return shape_problem(arr, np.zeros(shape), name) or ""


def _diagnose_split(
    fn: Callable[..., Any], got: Any, X: np.ndarray, y: np.ndarray, k: int, seed: int
) -> str | None:
    four = _four(got)
    if isinstance(four, str):
        return four
    m, d = X.shape
    shapes = ((k, d), (k,), (m - k, d), (m - k,))
    sizes = [np.shape(v)[:1] if hasattr(v, "__len__") else None for v in four]
    if k != m - k and sizes[0] == (m - k,) and sizes[2] == (k,):
        return (
            f"your support set has m − k = {m - k} points and your query set k = {k}: support "
            "and query are swapped, the first k_shot shuffled points are the support set"
        )
    arrays = _arrays(
        four, shapes, lambda name, arr, shape: _split_shape_message(name, arr, shape, k, m)
    )
    if isinstance(arrays, str):
        return arrays
    Xs, ys, Xq, yq = arrays
    original = set(_rows(X, y))
    support, query = _rows(Xs, ys), _rows(Xq, yq)
    if not set(support) | set(query) <= original:
        return (
            "some inputs no longer carry their own labels: shuffle X and y with the same "
            "index array"
        )
    if len(set(support) | set(query)) != m or set(support) & set(query):
        return "every point must land in exactly one of the two sets, none twice, none lost"
    want = split_task(np.random.default_rng(seed), X, y, k)
    if all(np.array_equal(a, b) for a, b in zip(arrays, want, strict=True)):
        return None
    # Reproducibility first: a split from another generator can match by chance in one case.
    if message := _rng_problem(fn, seed, (X, y, k), "splits", varies=False):
        return message
    want_support, want_query = _rows(want[0], want[1]), _rows(want[2], want[3])
    if support == want_query and query == want_support:
        return (
            "support and query are swapped: the first k_shot shuffled points are the support "
            "set, order[:k], the rest the query set"
        )
    if set(support) == set(want_support):
        return (
            "each set holds the right points, but not in the shuffled order: index with "
            "order[:k] and order[k:] as they are (no sorting, no boolean mask)"
        )
    if np.array_equal(Xs, X[:k]):
        return "your support set is the first k points in their stored order: shuffle first"
    if message := _rng_problem(fn, seed, (X, y, k), "splits"):
        return message
    order = np.random.default_rng(seed).permutation(m)
    if support == _rows(X[order[m - k :]], y[order[m - k :]]):
        return (
            "your support set is the last k of the shuffled points: take the first k_shot, "
            "order[:k_shot], and the rest, order[k_shot:], as the query set"
        )
    picked = np.random.default_rng(seed).choice(m, size=k, replace=False)
    if set(support) == set(_rows(X[picked], y[picked])):
        return (
            "you drew the support set with rng.choice: shuffle all m points with one call, "
            "order = rng.permutation(m), and split the order at k"
        )
    return (
        "a valid random split, but not the one this seed gives: shuffle with "
        "order = rng.permutation(m), one call, so that your split can be reproduced"
    )


@check
def check_split_task(fn) -> bool:
    """Compare ``fn(rng, X, y, k)`` with the reference split on 5 tasks (k = 1 to m − 1)."""
    cases = []
    for seed, m, k, d in SPLIT_CASES:
        X, y = _task(seed, m, d)
        diagnose = lambda got, X=X, y=y, k=k, s=seed: _diagnose_split(fn, got, X, y, k, s)  # noqa: E731
        args = (np.random.default_rng(seed), X, y, k)
        cases.append(Case(f"m={m} points of {d} feature(s), k={k}", args, None, diagnose=diagnose))
    success = (
        "every point lands in one set with its own label, split as rng.permutation, for "
        "k = 1 to m − 1 and 1 to 3 features"
    )
    return run_check(fn, cases, (), success)
