"""Input checks for the engine (:mod:`gaml_core`) and the task families (:mod:`gaml_tasks`).

Each returns the cleaned value or raises ``ValueError`` naming the argument ("<argument> must
..., got ..."). The public entry points call them once; nothing inside the engine re-checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def as_array(value: object, name: str, ndim: int) -> np.ndarray:
    """A finite float64 array with ``ndim`` dimensions."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers ({exc})") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def rate(value: object, name: str) -> float:
    """A finite real number >= 0 (a step size, a spread, a fraction)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value}")
    return float(value)


def count(value: object, name: str, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (a number of steps, tasks, points)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def choice(value: object, name: str, choices: Sequence[str]) -> str:
    """One of ``choices``."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
    return str(value)


def generator(rng: object) -> np.random.Generator:
    """A ``numpy.random.Generator`` (the course never uses global random state)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}"
        )
    return rng


def counts(**values: object) -> list[int]:
    """Several integers >= 1 at once: ``n, k = counts(n_tasks=n_tasks, k_shot=k_shot)``."""
    return [count(value, name) for name, value in values.items()]


def tasks(tasks: object, theta: np.ndarray, model: Any) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_test, y_test) stacked as :mod:`gaml_core` expects for ``theta`` and
    ``model``: X (runs..., n, k, d), y (runs..., n, k), theta (runs..., p)."""
    try:
        X_train, y_train, X_test, y_test = tasks  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(
            "tasks must be (X_train, y_train, X_test, y_test) or a TaskBatch"
        ) from None
    lead = theta.ndim  # X_train is (runs..., n, k, d) for theta (runs..., p)
    X_train = as_array(X_train, "X_train", lead + 2)
    X_test = as_array(X_test, "X_test", lead + 2)
    y_train = as_array(y_train, "y_train", lead + 1)
    y_test = as_array(y_test, "y_test", lead + 1)
    shape = X_train.shape[:lead]
    if shape[:-1] != theta.shape[:-1]:
        raise ValueError(f"tasks have {shape[:-1]} runs on the leading axes, theta {theta.shape}")
    if shape[-1] == 0:
        raise ValueError("tasks must hold at least one task, got 0")
    for name, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        if X.shape[:lead] != shape or y.shape[:lead] != shape:
            raise ValueError(
                f"X_{name} and y_{name} must have {shape[-1]} tasks on axis "
                f"{lead - 1} like X_train, got {X.shape[:lead]} and {y.shape[:lead]}"
            )
        if y.shape[-1] != X.shape[-2]:
            raise ValueError(
                f"y_{name} has {y.shape[-1]} points per task but X_{name} has {X.shape[-2]}"
            )
        if X.shape[-2] == 0:
            raise ValueError(f"X_{name} must hold at least one point per task")
        model.check_targets(y, f"y_{name}")
    if X_test.shape[-1] != X_train.shape[-1]:
        raise ValueError(
            f"X_test has {X_test.shape[-1]} features but X_train has {X_train.shape[-1]}"
        )
    if theta.shape[-1] != (p := model.n_params(X_train.shape[-1])):
        raise ValueError(
            f"theta has {theta.shape[-1]} entries but the {model.name} model with "
            f"{X_train.shape[-1]} input features needs {p}"
        )
    return X_train, y_train, X_test, y_test


def settings(
    alpha: object, inner_steps: object, batch_size: object
) -> tuple[float, int, int | None]:
    """An inner loop's settings: (alpha, inner_steps, batch_size or None)."""
    batch = None if batch_size is None else count(batch_size, "batch_size")
    return rate(alpha, "alpha"), count(inner_steps, "inner_steps"), batch


def one_task(theta: object, X: object, y: object) -> tuple[np.ndarray, ...]:
    """theta (d,), X (k, d) and binary labels y (k,) of one logistic-regression task."""
    theta, X = as_array(theta, "theta", 1), as_array(X, "X", 2)
    y = as_array(y, "y", 1)
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one point, got 0 rows")
    if X.shape[1] != theta.shape[0]:
        raise ValueError(
            f"X has {X.shape[1]} features per point but theta has {theta.shape[0]} entries"
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} labels but X has {X.shape[0]} points")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must hold binary labels, 0 or 1")
    return theta, X, y
