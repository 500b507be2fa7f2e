"""Exercises of notebook 04: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_testing import adapted, assert_accepted, assert_rejected

import gaml_core as gc
from exercises import nb04 as ex


def _reptile_variant(theta, tasks, alpha, beta, steps, uniform=False, sign=-1.0, scale=1.0):
    g = theta - adapted(theta, tasks, alpha, steps)
    w = np.full(len(g), 1 / len(g)) if uniform else gc.agreement_weights(g)
    return theta + sign * beta * scale * w @ g


def _train_variant(
    theta,
    sample,
    rng,
    iterations,
    alpha,
    beta,
    steps,
    row=-1,
    fresh=True,
    extra=0,
    after_step=False,
):
    losses, batch = [], None
    for _ in range(iterations + extra):
        batch = sample(rng) if fresh or batch is None else batch
        new = ex.ga_reptile_step(theta, batch, alpha, beta, steps)
        at = new if after_step else theta
        losses.append(gc.evaluate(at, batch, alpha, steps)["loss"][row].mean())
        theta = new
    return theta, np.array(losses)


WRONG = {
    "ga_reptile_step": [
        (lambda *a: _reptile_variant(*a, sign=1.0), "every sign is flipped"),
        (lambda *a: _reptile_variant(*a, uniform=True), "you averaged the updates"),
        (lambda th, t, a, b, s: ex.ga_reptile_step(th, t, a, b, 1), "right for one inner step"),
        (
            lambda th, t, a, b, s: _reptile_variant(th, t, a, b, s, scale=1 / len(t[0])),
            "you divided by n once more",
        ),
        (lambda th, t, a, b, s: _reptile_variant(th, t, a, 1.0, s), "your step ignores β"),
    ],
    "train_ga_reptile": [
        (lambda *a: _train_variant(*a, row=0), "before adaptation"),
        (lambda *a: _train_variant(*a, fresh=False), "the same batch every iteration"),
        (lambda *a: _train_variant(*a, extra=1), "your curve has"),
        (lambda *a: _train_variant(*a, after_step=True), "record it before you step"),
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
