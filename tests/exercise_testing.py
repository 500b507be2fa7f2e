"""Helpers shared by the exercise tests: a check's printed verdict, the assertions that a
wrong answer is rejected with its diagnosis and a correct one accepted, and the tests that every
notebook's exercise file runs on its WRONG and RIGHT answers (:func:`answer_tests`)."""

from __future__ import annotations

import re
from types import ModuleType

import numpy as np
import pytest

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


def answer_tests(ex: ModuleType, wrong: dict, right: list) -> tuple:
    """The three tests of a notebook's exercise file, for its module ``ex``, its wrong answers
    ``wrong`` ({check name: [(function, expected substring of the diagnosis)]}) and its correct
    alternatives ``right`` ([(check name, function)]). Assign them to module-level names that
    start with ``test_`` so that pytest collects them."""
    checks = {n[len("check_") :] for n in ex.__all__ if n.startswith("check_")}
    cases = [(name, fn, message) for name, answers in wrong.items() for fn, message in answers]

    def test_every_check_has_three_wrong_and_two_right_answers():
        assert checks == set(wrong) == {name for name, _ in right}
        assert all(len(answers) >= 3 for answers in wrong.values())
        assert all(sum(n == name for n, _ in right) >= 2 for name in checks)

    @pytest.mark.parametrize(
        ("name", "wrong", "message"), cases, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(cases)]
    )
    def test_check_rejects_a_wrong_answer_with_its_diagnosis(capsys, name, wrong, message):
        assert_rejected(capsys, getattr(ex, f"check_{name}"), wrong, message)

    @pytest.mark.parametrize(
        ("name", "right"), right, ids=[f"{n}-{i}" for i, (n, _) in enumerate(right)]
    )
    def test_check_accepts_a_correct_alternative(capsys, name, right):
        assert_accepted(capsys, getattr(ex, f"check_{name}"), right)

    return (
        test_every_check_has_three_wrong_and_two_right_answers,
        test_check_rejects_a_wrong_answer_with_its_diagnosis,
        test_check_accepts_a_correct_alternative,
    )


def adapted(theta, tasks, alpha, steps, query=False):
    """Every task's adapted parameters, one row per task, by the engine's ``adapt``."""
    X, y = (tasks[2], tasks[3]) if query else (tasks[0], tasks[1])
    return np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y, strict=True)])


def grad_logistic(theta, X, y):
    """The mean logistic-loss gradient, written out independently of the engine."""
    return X.T @ (gc.sigmoid(X @ theta) - y) / len(y)
