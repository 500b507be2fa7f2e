"""Helpers shared by the exercise tests: a check's printed verdict, and the assertions that a
wrong answer is rejected with its diagnosis and a correct one accepted."""

from __future__ import annotations

import re

import numpy as np

import gaml_core as gc

LONG_NUMBER_LIST = re.compile(r"\[\s*-?\d+\.\d+(?:[,\s]+-?\d+\.\d+){2,}")


def verdict(capsys, check, fn) -> str:
    """What ``check(fn)`` prints."""
    check(fn)
    return capsys.readouterr().out


def stub(*args, **kwargs):
    raise NotImplementedError("the hint")


def assert_rejected(capsys, check, wrong, message: str) -> None:
    """``check`` rejects ``wrong`` in one line that contains ``message`` and dumps no numbers."""
    out = verdict(capsys, check, wrong)
    assert out.startswith("not yet right: "), out
    assert message in out, out
    assert out.count("\n") == 1, out  # one line, not a dump
    assert not LONG_NUMBER_LIST.search(out), f"the check printed numbers: {out}"


def assert_accepted(capsys, check, right) -> None:
    out = verdict(capsys, check, right)
    assert out.startswith("correct: "), out


def adapted(theta, tasks, alpha, steps, query=False):
    """Every task's adapted parameters, one row per task, by the engine's ``adapt``."""
    X, y = (tasks[2], tasks[3]) if query else (tasks[0], tasks[1])
    return np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y, strict=True)])


def grad_logistic(theta, X, y):
    """The mean logistic-loss gradient, written out independently of the engine."""
    return X.T @ (gc.sigmoid(X @ theta) - y) / len(y)
