"""Exercises of notebook 07: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import math

import numpy as np
import pytest
from exercise_testing import assert_accepted, assert_rejected

import gaml_core as gc
from exercises import nb07 as ex


def _gram_variant(gram, normalization, swap=False, always=None, abs_numerator=False):
    norm = always or normalization
    if swap:
        norm = "chapter" if normalization == "paper" else "paper"
    sums = np.abs(gram).sum(1) if abs_numerator else gram.sum(1)
    denom = np.abs(gram.sum(1)).sum() if norm == "paper" else np.abs(gram).sum()
    return sums / denom


def _scaling_variant(updates, row=0, column=False, unused=False, in_place=False):
    one = updates if in_place else updates.copy()
    if column:
        one[:, 0] *= 10
    else:
        one[row] *= 10
    return {
        "original": gc.agreement_weights(updates if not in_place else updates / 1.0),
        "task 0 x10": gc.agreement_weights(updates if unused else one),
        "all x10": gc.agreement_weights(10 * updates),
    }


def _protocol_dict(eval_row=-1, swap=False):
    def fn(seeds, iterations):
        res = ex._protocol(tuple(seeds), iterations, eval_row)
        res = {k: list(v) for k, v in res.items()}
        return {"uniform": res["agreement"], "agreement": res["uniform"]} if swap else res

    return fn


WRONG = {
    "weights_from_gram": [
        (lambda G, n: _gram_variant(G, n, swap=True), "your two normalisations are swapped"),
        (lambda G, n: _gram_variant(G, n, always="paper"), "you always use the paper's"),
        (lambda G, n: _gram_variant(G, n, always="chapter"), "you always use the chapter's"),
        (lambda G, n: _gram_variant(G, n, abs_numerator=True), "all your weights are ≥ 0"),
        (lambda G, n: G.sum(1) / G.sum(), "your weights sum to 1"),
    ],
    "scaling_experiment": [
        (lambda U: _scaling_variant(U, row=-1), "scaled the last task"),
        (lambda U: _scaling_variant(U, column=True), "scaled column 0"),
        (lambda U: _scaling_variant(U, unused=True), "'task 0 x10' equals 'original'"),
        (lambda U: _scaling_variant(U, in_place=True), "changed an input array in place"),
    ],
    "zero_angle": [
        (lambda: math.acos(-1 / 3), "that looks like radians"),
        (lambda: 70.53, "180° minus the answer"),
        (lambda: 90.0, "still agrees with itself"),
        (lambda: 104.48, "you used −1/4"),
        (lambda: 119.6, "the batch of question 6"),
        (lambda: 100.0, "still positive: turn further"),
        (lambda: "109.47 degrees", "return one number"),
    ],
    "ga_reptile_sine": [
        (lambda s, i: {"uniform": [0.0], "agreement": [123.0]}, "has 1 values for 2 seeds"),
        (
            lambda s, i: {"uniform": [0.0, 0.1], "agreement": [123.0, 1.0]},
            "differ from the protocol",
        ),
        (_protocol_dict(swap=True), "results are swapped"),
        (_protocol_dict(eval_row=0), "before adaptation"),
        (lambda s, i: {"uniform": [1.0, math.nan], "agreement": [1.0, 1.0]}, "not a finite"),
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


def test_zero_angle_accepts_the_rounded_angle(capsys):
    for value in (109.47, 109.4712206, 109.475):
        assert_accepted(capsys, ex.check_zero_angle, lambda v=value: v)
