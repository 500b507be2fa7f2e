"""Statistics for the experiments: 95% t-intervals over seeds, group summaries, paired differences,
and the tuning rule (the best setting per group on validation numbers).

Every function takes plain numbers or result records (dicts, one per run and seed, as
:mod:`gaml_runs` writes them) and returns plain numbers or dicts; nothing here knows which
experiment the records came from. Missing values (None, NaN, ±inf) are left out of every mean,
so a run that diverged does not poison a summary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "T_975",
    "chunk_means",
    "column_ci",
    "finite_mean",
    "mean_ci",
    "paired_difference",
    "summarize",
    "t_quantile",
    "tune",
]

# t_{0.975, df}: the two-sided 95% quantile of Student's t distribution, df = 1..30.
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
}  # fmt: skip


def t_quantile(df: int) -> float:
    """t_{0.975, df}: from the table for df ≤ 30, else the Cornish–Fisher expansion around z."""
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    if df in T_975:
        return T_975[df]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def _finite(values: Iterable[float | None]) -> np.ndarray:
    """The finite numbers among ``values`` (None, NaN and ±inf left out), as a float array."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    return arr[np.isfinite(arr)]


def finite_mean(values: Iterable[float | None]) -> float:
    """Mean of the finite values; NaN when there is none."""
    arr = _finite(values)
    return float(arr.mean()) if arr.size else math.nan


def chunk_means(values: Sequence[float], chunks: int) -> list[float]:
    """:func:`finite_mean` of each of ``chunks`` consecutive, nearly equal chunks of ``values``."""
    return [finite_mean(chunk) for chunk in np.array_split(np.asarray(values, dtype=float), chunks)]


def mean_ci(values: Iterable[float | None]) -> tuple[float, float, int]:
    """Mean, half-width of the 95% t-interval, and count of the finite values.

    half-width = t_{0.975, n−1} · s / √n with s the sample standard deviation (ddof = 1).
    With one value the half-width is NaN; with none, everything is NaN and the count 0.
    """
    arr = _finite(values)
    n = int(arr.size)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(arr.mean())
    if n == 1:
        return mean, math.nan, 1
    half = t_quantile(n - 1) * float(arr.std(ddof=1)) / math.sqrt(n)
    return mean, half, n


def column_ci(values: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean and 95% CI half-width of every column of ``values`` (rows are seeds)."""
    stats = [mean_ci(values[:, j]) for j in range(values.shape[1])]
    return [m for m, _, _ in stats], [h for _, h, _ in stats]


def _row(by: Sequence[str], key: tuple, values: Iterable[float | None]) -> dict[str, Any]:
    mean, half, n = mean_ci(values)
    return {**dict(zip(by, key, strict=True)), "mean": mean, "ci": half, "n": n}


def summarize(records: Sequence[dict], by: Sequence[str], metric: str) -> list[dict[str, Any]]:
    """Group ``records`` by the keys ``by`` and give each group's mean, ``ci`` and ``n``.

    Groups keep the order in which they first appear.
    """
    groups: dict[tuple, list[float]] = {}
    for rec in records:
        groups.setdefault(tuple(rec[k] for k in by), []).append(rec[metric])
    return [_row(by, key, values) for key, values in groups.items()]


def paired_difference(
    records: Sequence[dict],
    by: Sequence[str],
    metric: str,
    treatment: str,
    control: str = "uniform",
) -> list[dict[str, Any]]:
    """Per group, the mean over seeds of metric(treatment) − metric(control), with 95% CI.

    Records are matched on the keys ``by`` and ``seed``; the weighting is the treatment key.
    Pairing removes the variation that both weightings share (same tasks, same seed).
    """
    table: dict[tuple, dict[int, dict[str, float]]] = {}
    for rec in records:
        key = tuple(rec[k] for k in by)
        table.setdefault(key, {}).setdefault(rec["seed"], {})[rec["weighting"]] = rec[metric]
    rows = []
    for key, seeds in table.items():
        diffs = [
            pair[treatment] - pair[control]
            for pair in seeds.values()
            if treatment in pair and control in pair
        ]
        if diffs:
            rows.append(_row(by, key, diffs))
    return rows


def tune(
    records: Sequence[dict],
    by: Sequence[str],
    parameter: str,
    metric: str,
    lower_is_better: bool = True,
) -> dict[tuple, Any]:
    """Per group (the keys ``by``), the value of ``parameter`` whose runs have the best mean
    ``metric`` over seeds: the tuning rule of the experiments, applied to validation numbers.

    A value at which any run failed (its metric is not finite: it diverged) is never chosen.
    Ties go to the value seen first. Returns ``{group key: chosen value}``.
    """
    values: dict[tuple, dict[Any, list[float]]] = {}
    for rec in records:
        group = values.setdefault(tuple(rec[k] for k in by), {})
        group.setdefault(rec[parameter], []).append(float(rec[metric]))
    sign = 1.0 if lower_is_better else -1.0
    chosen = {}
    for key, by_value in values.items():
        finite = {v: float(np.mean(m)) for v, m in by_value.items() if np.isfinite(m).all()}
        if finite:
            chosen[key] = min(finite, key=lambda v: sign * finite[v])
    return chosen
