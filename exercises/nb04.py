"""Exercises of notebook 4 (GA-Reptile): one GA-Reptile meta-step; a training loop around it.

Exercise 4.1 ``ga_reptile_step(theta, tasks, alpha, beta, steps)``: θ ← θ − β Σ_i w_i g_i.
Exercise 4.2 ``train_ga_reptile(theta, sample, rng, iterations, alpha, beta, steps)``: run
``iterations`` GA-Reptile steps, each on a fresh batch ``sample(rng)``, and return the final θ
and the curve of mean query losses after adaptation (the ``loss_after`` of ``gc.train``).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Case,
    check,
    close,
    exercise_decorator,
    run_check,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_ga_reptile_step",
    "check_train_ga_reptile",
    "exercise",
    "ga_reptile_step",
    "train_ga_reptile",
]

exercise = exercise_decorator(sys.modules[__name__])


# --- Reference solutions (shown in the notebook's collapsed blocks) -------------------------------


def ga_reptile_step(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks  # Reptile needs the support sets only
    adapted = np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train, strict=True)]
    )
    updates = theta - adapted  # g_i = θ − θ'_i
    return theta - beta * gc.agreement_weights(updates) @ updates  # towards the θ'_i


def train_ga_reptile(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = []
    for _ in range(iterations):
        batch = sample(rng)  # a fresh batch every iteration
        after = gc.evaluate(theta, batch, alpha, steps)["loss"][-1]  # query loss after adapting
        losses.append(after.mean())
        theta = ga_reptile_step(theta, batch, alpha, beta, steps)
    return theta, np.array(losses)


# --- Exercise 4.1 --------------------------------------------------------------------------------


def _family(seed: int, frac: float = 0.25, dim: int = 6) -> gt.LogisticTaskFamily:
    return gt.LogisticTaskFamily.create(np.random.default_rng(seed), dim, 3.0, 1.0, frac)


def _step_cases() -> list[Case]:
    cases = []
    for label, seed, n, steps, beta in (
        ("8 tasks, 2 flipped, 1 inner step", 0, 8, 1, 0.5),
        ("8 tasks, 2 flipped, 3 inner steps", 1, 8, 3, 0.5),
        ("1 task, 2 inner steps", 2, 1, 2, 0.3),
        ("5 tasks, 4 inner steps, β = 1.5", 3, 5, 4, 1.5),
    ):
        family = _family(seed)
        tasks = tuple(family.sample(np.random.default_rng(seed + 30), n, 10, 20))
        theta = 0.5 * family.mean
        want = gc.meta_step(theta, tasks, 1.0, beta, "reptile", "agreement", steps)[0]
        cases.append(Case(label, (theta, tasks, 1.0, beta, steps), want))
    return cases


def _reptile(theta, tasks, alpha, beta, steps, weighting="agreement", sign=-1.0, what="updates",
             extra=1.0):  # fmt: skip
    X_train, y_train, _, _ = tasks
    adapted = np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train, strict=True)]
    )
    updates = theta - adapted
    if weighting == "uniform":
        weights = np.full(len(updates), 1.0 / len(updates))
    else:
        weights = gc.agreement_weights(updates, "paper" if weighting == "agreement" else weighting)
    moved = adapted if what == "adapted" else updates
    return theta + sign * beta * extra * weights @ moved


REPTILE_MISTAKES = [
    ("every sign is flipped: Reptile moves θ towards the adapted θ'_i, "
     "θ + β Σ_i w_i (θ'_i − θ) = θ − β Σ_i w_i g_i", lambda *a: _reptile(*a, sign=1.0)),
    ("you averaged the updates (plain Reptile): GA weights each g_i by w_i",
     lambda *a: _reptile(*a, weighting="uniform")),
    ("you used the chapter's normalisation; the paper's makes Σ|w| = 1",
     lambda *a: _reptile(*a, weighting="chapter")),
    ("right for one inner step, wrong for three: pass `steps` on to the inner loop",
     lambda th, t, a, b, s: _reptile(th, t, a, b, 1)),
    ("you weighted the adapted parameters θ'_i; weight the updates g_i = θ − θ'_i",
     lambda *a: _reptile(*a, what="adapted")),
    ("your step ignores β: θ − β Σ_i w_i g_i", lambda th, t, a, b, s: _reptile(th, t, a, 1.0, s)),
    ("you divided by n once more: the weights already satisfy Σ|w_i| = 1",
     lambda th, t, a, b, s: _reptile(th, t, a, b, s, extra=1.0 / len(t[0]))),
]  # fmt: skip


@check
def check_ga_reptile_step(fn) -> bool:
    """Compare ``fn(theta, tasks, alpha, beta, steps)`` with ``gc.meta_step(..., "reptile")``."""
    return run_check(
        fn, _step_cases(), REPTILE_MISTAKES,
        "your GA-Reptile step matches gc.meta_step(algorithm='reptile') on 4 batches",
        name="your new θ",
    )  # fmt: skip


# --- Exercise 4.2 --------------------------------------------------------------------------------

TRAIN_CASES = (  # label, seed, iterations, inner steps
    ("15 iterations, 1 inner step", 0, 15, 1),
    ("10 iterations, 3 inner steps", 1, 10, 3),
    ("1 iteration", 2, 1, 2),
)


def _sampler(seed: int):
    family = _family(seed)
    return lambda rng: family.sample(rng, 6, 10, 20)


def _engine_train(theta, sample, rng, iterations, alpha, beta, steps):
    theta, history = gc.train(theta, sample, rng, iterations, alpha, beta, "reptile",
                              "agreement", steps)  # fmt: skip
    return theta, history.loss_after


def _variant(theta, sample, rng, iterations, alpha, beta, steps, when="after", fresh=True,
             record="before_step"):  # fmt: skip
    losses, batch = [], None
    for _ in range(iterations):
        batch = sample(rng) if fresh or batch is None else batch
        before = theta
        theta = ga_reptile_step(theta, batch, alpha, beta, steps)
        at = before if record == "before_step" else theta
        row = -1 if when == "after" else 0
        losses.append(gc.evaluate(at, batch, alpha, steps)["loss"][row].mean())
    return theta, np.array(losses)


TRAIN_MISTAKES = [
    ("your curve is the query loss at θ, before adaptation; record it after adapting each "
     "task (gc.evaluate(...)['loss'][-1]), as gc.train's loss_after does",
     lambda *a: _variant(*a, when="before")),
    ("you train on the same batch every iteration: draw a fresh one with sample(rng) inside "
     "the loop", lambda *a: _variant(*a, fresh=False)),
    ("you record the loss after the meta-step, at the new θ: record it before you step",
     lambda *a: _variant(*a, record="after_step")),
]  # fmt: skip


def _diagnose_training(got: Any, args: tuple[Any, ...], iterations: int) -> str | None:
    if not isinstance(got, tuple | list) or len(got) != 2:
        return "return two things: the final θ and the curve (one loss per iteration)"
    theta, curve = got
    curve = np.asarray(curve, dtype=np.float64).ravel()
    if curve.size != iterations:
        diff = curve.size - iterations
        return (
            f"your curve has {curve.size} points for {iterations} iterations ({diff:+d}): "
            "one loss per meta-step, recorded before the step"
        )
    theta_want, curve_want = _engine_train(*_fresh(args))
    if close(theta, theta_want) and close(curve, curve_want):
        return None
    for message, wrong in TRAIN_MISTAKES:
        _, curve_bad = wrong(*_fresh(args))
        if close(curve, curve_bad) and not close(curve_bad, curve_want):
            return message
    if close(curve, curve_want):
        return "the curve is right but the θ you return is not the final one"
    if close(curve[:1], curve_want[:1]):
        return (
            "the first loss is right, the later ones are not: does your ga_reptile_step pass "
            "exercise 4.1, and do you keep the θ it returns?"
        )
    return (
        "your first loss already differs from gc.train's: evaluate the batch you just drew, at "
        "the current θ, after `steps` inner steps"
    )


def _fresh(args: tuple[Any, ...]) -> tuple[Any, ...]:
    theta, sample, seed, iterations, alpha, beta, steps = args
    return theta.copy(), sample, np.random.default_rng(seed), iterations, alpha, beta, steps


@check
def check_train_ga_reptile(fn) -> bool:
    """Compare ``fn(theta, sample, rng, iterations, alpha, beta, steps)`` with ``gc.train``."""
    cases = []
    for label, seed, iterations, steps in TRAIN_CASES:
        args = (np.zeros(6), _sampler(seed), seed, iterations, 1.0, 0.5, steps)
        diagnose = lambda got, a=args, t=iterations: _diagnose_training(got, a, t)  # noqa: E731
        cases.append(Case(label, _fresh(args), None, diagnose=diagnose))
    success = "your loop retraces gc.train(algorithm='reptile'): same θ, same curve"
    return run_check(fn, cases, (), success)
