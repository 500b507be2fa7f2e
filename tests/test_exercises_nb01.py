"""Exercises of notebook 01: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_testing import assert_accepted, assert_rejected

from exercises import nb01 as ex


def _sine_no_feature_axis(rng, n, k, q):
    X, y, Xq, yq = ex.sample_sine_batch(rng, n, k, q)
    return X[..., 0], y, Xq[..., 0], yq


def _sine_phase_outside(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    x = rng.uniform(-5.0, 5.0, (n, k + q, 1))
    y = amp[:, None] * np.sin(x[..., 0]) + phase[:, None]
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


def _sine_query_redrawn(rng, n, k, q):
    X, y, Xq, _ = ex.sample_sine_batch(rng, n, k, q)
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    return X, y, Xq, amp[:, None] * np.sin(Xq[..., 0] + phase[:, None])


def _sine_target_axis(rng, n, k, q):
    X, y, Xq, yq = ex.sample_sine_batch(rng, n, k, q)
    return X, y[..., None], Xq, yq[..., None]


def _sine_swapped(rng, n, k, q):
    X, y, Xq, yq = ex.sample_sine_batch(rng, n, k, q)
    return Xq, yq, X, y


def _split_two_shuffles(rng, X, y, k):
    a, b = rng.permutation(len(y)), rng.permutation(len(y))
    return X[a[:k]], y[b[:k]], X[a[k:]], y[b[k:]]


def _split_one_more(rng, X, y, k):
    order = rng.permutation(len(y))
    return X[order[: k + 1]], y[order[: k + 1]], X[order[k + 1 :]], y[order[k + 1 :]]


def _split_unshuffled(rng, X, y, k):
    return X[:k], y[:k], X[k:], y[k:]


def _split_other_shuffle(rng, X, y, k):
    order = np.argsort(rng.random(len(y)))
    return X[order[:k]], y[order[:k]], X[order[k:]], y[order[k:]]


WRONG = {
    "sample_sine_batch": [
        (_sine_no_feature_axis, "keep a feature axis of length 1"),
        (_sine_phase_outside, "the phase goes inside the sine"),
        (_sine_query_redrawn, "do not lie on one sine wave"),
        (_sine_target_axis, "targets have no feature axis"),
        (_sine_swapped, "support and query are swapped"),
    ],
    "split_task": [
        (_split_two_shuffles, "no longer carry their own labels"),
        (_split_one_more, "instead of k ="),
        (_split_unshuffled, "in their stored order: shuffle first"),
        (_split_other_shuffle, "not the one this seed gives"),
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
