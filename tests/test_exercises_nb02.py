"""Exercises of notebook 02: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_testing import adapted, assert_accepted, assert_rejected

import gaml_core as gc
from exercises import nb02 as ex


def _loop_weights_no_abs(U):
    s = np.array([sum(U[i] @ U[j] for j in range(len(U))) for i in range(len(U))])
    return s / s.sum()


def _vectorised_with_loop(U):
    return np.array([u @ U.sum(0) for u in U]) / np.abs(U @ U.sum(0)).sum()


def _weights_no_fallback(U):
    s = U @ U.sum(0)
    return s / np.abs(s).sum()


WRONG = {
    "update_vectors": [
        (lambda th, t, a, s: adapted(th, t, a, s) - th, "every sign is flipped: g = θ − θ′"),
        (lambda th, t, a, s: adapted(th, t, a, s), "you returned the adapted parameters"),
        (lambda th, t, a, s: th - adapted(th, t, a, s, query=True), "updates of the query sets"),
        (lambda th, t, a, s: th - adapted(th, t, a, 1), "right for one inner step, wrong for"),
        (lambda th, t, a, s: (th - adapted(th, t, a, s)).T, "transposed? one row per task"),
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
    ],
    "weights_vectorised": [
        (_vectorised_with_loop, "there is still a `for` or `while`"),
        (lambda U: (U @ U.sum(0)) / (U @ U.sum(0)).sum(), "your weights sum to 1"),
        (_weights_no_fallback, "return uniform weights 1/n"),
        (lambda U: gc.cosine_agreement_weights(U), "you scaled every update to length 1"),
    ],
    "weights_chapter": [
        (lambda U: gc.agreement_weights(U), "these are the paper's weights"),
        (lambda U: (U @ U.sum(0)) / abs((U @ U.sum(0)).sum()), "the total without absolute values"),
        (lambda U: np.abs(U @ U.T).sum(1) / np.abs(U @ U.T).sum(), "all your weights are ≥ 0"),
    ],
}
# Correct answers written differently from the reference solution: (check name, function).
RIGHT: list = []
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


@pytest.mark.parametrize(("name", "right"), RIGHT, ids=[n for n, _ in RIGHT])
def test_check_accepts_a_correct_alternative(capsys, name, right):
    assert_accepted(capsys, getattr(ex, f"check_{name}"), right)
