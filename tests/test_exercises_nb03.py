"""Exercises of notebook 03: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_testing import adapted, assert_accepted, assert_rejected, grad_logistic

import gaml_core as gc
from exercises import nb03 as ex


def _inner_fixed_gradient(theta, X, y, alpha, steps):
    grad = grad_logistic(theta, X, y)
    for _ in range(steps):
        theta = theta - alpha * grad
    return theta


def _inner_in_place(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta -= alpha * grad_logistic(theta, X, y)
    return theta


def _inner_summed(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta = theta - alpha * X.T @ (gc.sigmoid(X @ theta) - y)
    return theta


def _meta_variant(theta, X, y, Xq, yq, alpha, steps, at="path", order="right", sign=-1.0):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * grad_logistic(path[-1], X, y))
    v = grad_logistic(path[-1], Xq, yq)
    for t in reversed(range(steps)) if order == "right" else range(steps):
        point = {"path": path[t], "start": path[0], "next": path[t + 1]}[at]
        s = gc.sigmoid(X @ point)
        v = v + sign * alpha * X.T @ (s * (1 - s) * (X @ v)) / len(y)
    return v


def _fomaml_variant(
    theta,
    tasks,
    alpha,
    beta,
    steps,
    uniform=False,
    at_theta=False,
    sign=-1.0,
    weights_from_grads=False,
):
    X_test, y_test = tasks[2], tasks[3]
    new = adapted(theta, tasks, alpha, steps)
    points = np.broadcast_to(theta, new.shape) if at_theta else new
    grads = np.array(
        [grad_logistic(p, a, b) for p, a, b in zip(points, X_test, y_test, strict=True)]
    )
    w = gc.agreement_weights(grads if weights_from_grads else theta - new)
    w = np.full(len(w), 1 / len(w)) if uniform else w
    return theta + sign * beta * w @ grads


WRONG = {
    "inner_loop_logistic": [
        (_inner_fixed_gradient, "right for one inner step, wrong for three: do you recompute"),
        (lambda th, X, y, a, s: ex.inner_loop_logistic(th, X, y, a, s + 1), "one step too many"),
        (lambda th, X, y, a, s: ex.inner_loop_logistic(th, X, y, -a, s), "you climbed the loss"),
        (_inner_summed, "k times too large"),
        (_inner_in_place, "changed an input array in place"),
    ],
    "ga_fomaml_step": [
        (lambda *a: _fomaml_variant(*a, uniform=True), "you averaged the meta-gradients"),
        (lambda *a: _fomaml_variant(*a, at_theta=True), "your meta-gradients are taken at θ"),
        (lambda *a: _fomaml_variant(*a, sign=1.0), "you stepped uphill"),
        (lambda *a: _fomaml_variant(*a, weights_from_grads=True), "come from the updates"),
        (lambda th, t, a, b, s: ex.ga_fomaml_step(th, t, a, b, 1), "right for one inner step"),
    ],
    "exact_meta_gradient": [
        (
            lambda th, X, y, Xq, yq, a, s: grad_logistic(
                ex.inner_loop_logistic(th, X, y, a, s), Xq, yq
            ),
            "that is the first-order meta-gradient",
        ),
        (lambda *a: _meta_variant(*a, at="start"), "right for one inner step, wrong for three"),
        (lambda *a: _meta_variant(*a, order="left"), "right factors, wrong order"),
        (lambda *a: _meta_variant(*a, sign=1.0), "(I + αH)"),
        (lambda *a: _meta_variant(*a, at="next"), "one step late"),
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
