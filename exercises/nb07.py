"""Exercises of notebook 7 (questions and exercises).

Exercise 7.1 ``weights_from_gram(gram, normalization)``: the weights from the Gram matrix alone.
Exercise 7.2 ``scaling_experiment(updates)``: which rescalings of the updates change the weights.
Exercise 7.3 ``zero_angle()``: the angle (degrees) at which a unit dissenter among three equal
unit updates gets weight 0.
Exercise 7.4 ``ga_reptile_sine(seeds, iterations)``: Reptile vs GA-Reptile on sines, two tasks
per batch, under a fixed protocol (so that the check can recompute it).

Notation as in ``gaml_core``: g_i = θ − θ'_i, G_ij = g_iᵀg_j, the paper's weights
w_i = Σ_j G_ij / Σ_k |Σ_j G_kj| (Eshratifar, Eigen & Pedram 2018, arXiv 1810.08178) and the
chapter's denominator Σ_i Σ_j |G_ij| (S. Ravichandiran, *Hands-On Meta Learning with Python*,
Packt 2018, chapter 8).
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Case,
    attempt,
    attempted,
    check,
    close,
    exercise_decorator,
    report,
    run_check,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_ga_reptile_sine",
    "check_scaling_experiment",
    "check_weights_from_gram",
    "check_zero_angle",
    "exercise",
    "ga_reptile_sine",
    "scaling_experiment",
    "weights_from_gram",
    "zero_angle",
    "zero_weight_angle",
]

exercise = exercise_decorator(sys.modules[__name__])


# --- Reference solutions (shown in the notebook's collapsed blocks) -------------------------------


def weights_from_gram(gram, normalization="paper"):
    sums = gram.sum(axis=1)  # s_i = Σ_j G_ij
    if normalization == "paper":
        denominator = np.abs(sums).sum()  # Σ_k |s_k|
    else:
        denominator = np.abs(gram).sum()  # Σ_i Σ_j |G_ij|
    return sums / denominator


def scaling_experiment(updates):
    one = updates.copy()
    one[0] *= 10.0  # only task 0's update is ten times longer
    return {
        "original": gc.agreement_weights(updates),
        "task 0 x10": gc.agreement_weights(one),
        "all x10": gc.agreement_weights(10.0 * updates),
    }


def zero_angle():
    # s_4 = g_4ᵀ(g_1 + g_2 + g_3 + g_4) = 3 cos φ + 1 = 0
    return math.degrees(math.acos(-1.0 / 3.0))


def ga_reptile_sine(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in seeds:
        for weighting in results:
            theta0 = model.init(np.random.default_rng(seed))  # the same start for both
            theta, _ = gc.train(
                theta0, lambda rng: gt.sample_sine_tasks(rng, 2), np.random.default_rng(seed + 100),
                iterations, 0.01, 0.5, "reptile", weighting, inner_steps=5, model=model,
            )  # fmt: skip
            loss = gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1].mean()
            results[weighting].append(float(loss))
    return results


# --- Exercise 7.1 --------------------------------------------------------------------------------


def _gram_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    cases = []
    for trial in range(4):
        updates = rng.normal(size=(4, 3))
        updates[3] = -updates[0] + 0.1 * rng.normal(size=3)  # a dissenter: the two differ
        for norm in ("paper", "chapter"):
            label = f"random batch {trial + 1}, {norm!r}"
            cases.append(
                Case(label, (updates @ updates.T, norm), gc.agreement_weights(updates, norm))
            )
    one = rng.normal(size=(1, 3))
    cases.append(Case("one task, 'paper'", (one @ one.T, "paper"), np.ones(1)))
    return cases


def _paper(G):
    return G.sum(1) / np.abs(G.sum(1)).sum()


def _chapter(G):
    return G.sum(1) / np.abs(G).sum()


def _denominator(G, normalization):
    return np.abs(G.sum(1)).sum() if normalization == "paper" else np.abs(G).sum()


GRAM_MISTAKES = [
    ("your weights sum to 1, but Σ|w| must be 1 (paper) or at most 1 (chapter): absolute "
     "values in the denominator", lambda G, n: G.sum(1) / G.sum()),
    ("all your weights are ≥ 0: the numerator is the signed row sum Σ_j G_ij",
     lambda G, n: np.abs(G).sum(1) / _denominator(G, n)),
    ("all your weights are ≥ 0: the numerator is the signed row sum Σ_j G_ij",
     lambda G, n: np.abs(G).sum(1) / np.abs(G).sum()),
    ("you used the diagonal only (‖g_i‖²): the score is the whole row sum Σ_j G_ij",
     lambda G, n: np.diag(G) / np.abs(np.diag(G)).sum()),
]  # fmt: skip


def _which_normalisation(fn) -> str | None:
    """Diagnose a function that ignores or swaps the `normalization` argument."""
    cases = _gram_cases()[:2]  # one batch, "paper" then "chapter"
    results = []
    for case in cases:
        status, got = attempt(fn, case.args)
        if status != "ok":
            return None
        gram = case.args[0]
        matches = [norm for norm, f in (("paper", _paper), ("chapter", _chapter))
                   if close(got, f(gram))]  # fmt: skip
        results.append(matches[0] if matches else None)
    if results == ["chapter", "paper"]:
        return ("your two normalisations are swapped: 'paper' divides by Σ_k |Σ_j G_kj|, "
                "'chapter' by Σ_i Σ_j |G_ij|")  # fmt: skip
    if results == ["paper", "paper"]:
        return "you always use the paper's normalisation: look at the `normalization` argument"
    if results == ["chapter", "chapter"]:
        return "you always use the chapter's normalisation: look at the `normalization` argument"
    return None


@check
def check_weights_from_gram(fn) -> bool:
    """Compare ``fn(G, normalization)`` with ``gc.agreement_weights`` on random batches."""
    if message := _which_normalisation(fn):
        return report([message], "")
    return run_check(
        fn, _gram_cases(), GRAM_MISTAKES,
        "both normalisations match gc.agreement_weights (4 batches with a dissenter, one task)",
        name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip


# --- Exercise 7.2 --------------------------------------------------------------------------------

SCALING_UPDATES = np.array([[1.0, 0.2], [0.7, 0.5], [0.9, -0.3], [-0.6, 0.4]])
SCALING_KEYS = ("original", "task 0 x10", "all x10")


@check
def check_scaling_experiment(fn) -> bool:
    """``fn(updates)`` must return the three weight vectors of :func:`scaling_experiment`."""
    updates = SCALING_UPDATES
    ran, got = attempted(fn, (updates,))
    if not ran:
        return False
    if not isinstance(got, dict):
        return report(["return a dictionary with the keys " + ", ".join(SCALING_KEYS)], "")
    if missing := [key for key in SCALING_KEYS if key not in got]:
        return report([f"missing key(s) {', '.join(map(repr, missing))}"], "")
    want = scaling_experiment(updates)
    scaled_one = updates.copy()
    scaled_one[0] *= 10
    scaled_last = updates.copy()
    scaled_last[-1] *= 10
    problems = []
    if not close(got["original"], want["original"]):
        problems.append("'original' should be gc.agreement_weights of the updates as given")
    elif close(got["task 0 x10"], want["original"]):
        problems.append(
            "'task 0 x10' equals 'original': did you scale a copy and then compute the weights "
            "of the unscaled updates?"
        )
    elif close(got["task 0 x10"], gc.agreement_weights(scaled_last)):
        problems.append("'task 0 x10' scaled the last task; task 0 is the first row, updates[0]")
    elif close(got["task 0 x10"], gc.agreement_weights(updates * [10.0, 1.0])):
        problems.append("'task 0 x10' scaled column 0 (a parameter); scale row 0 (a task)")
    elif not close(got["task 0 x10"], want["task 0 x10"]):
        problems.append("'task 0 x10' should be the weights with only row 0 multiplied by 10")
    elif not close(got["all x10"], want["all x10"]):
        problems.append("'all x10' should be the weights with every update multiplied by 10")
    if not problems and not np.array_equal(updates, SCALING_UPDATES):
        problems.append("your function changed the updates passed in: scale a copy")
    return report(problems, "scaling one task changes the weights, scaling all of them does not")


# --- Exercise 7.3 --------------------------------------------------------------------------------


def _dissent_weight(angle_deg: float, n_agree: int = 3) -> float:
    """Weight of a unit update at ``angle_deg`` from n_agree identical unit updates (1, 0)."""
    phi = math.radians(angle_deg)
    updates = np.vstack([np.tile([1.0, 0.0], (n_agree, 1)), [[math.cos(phi), math.sin(phi)]]])
    return float(gc.agreement_weights(updates)[-1])


def zero_weight_angle(n_agree: int = 3) -> dict[str, float]:
    """The closed form arccos(−1/n_agree) and a bisection on the weight itself (degrees)."""
    closed = math.degrees(math.acos(-1.0 / n_agree))
    lo, hi = 0.0, 180.0  # weight > 0 at 0°, < 0 at 180° (for n_agree >= 2)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _dissent_weight(mid, n_agree) > 0 else (lo, mid)
    return {"closed form": closed, "bisection": 0.5 * (lo + hi)}


ANGLE_TOLERANCE = 0.01  # degrees: 109.47 (the angle rounded to two decimals) is accepted
_TABLE_BATCH = np.array([[1.0, 0.2], [0.8, 0.4], [1.1, -0.1]])


def _table_zero() -> float:
    lo, hi = 90.0, 135.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        phi = math.radians(mid)
        w = gc.agreement_weights(np.vstack([_TABLE_BATCH, [math.cos(phi), math.sin(phi)]]))[-1]
        lo, hi = (mid, hi) if w > 0 else (lo, mid)
    return lo


ANGLE_MISTAKES = [  # (wrong value in degrees, diagnosis)
    (math.degrees(math.acos(1.0 / 3.0)), "that is 180° minus the answer: the dissenter's "
     "score 3 cos φ + 1 is zero where cos φ = −1/3, an obtuse angle"),
    (90.0, "at 90° the dissenter is perpendicular to the others but still agrees with itself: "
     "its score is 3 cos φ + 1, not 3 cos φ"),
    (math.degrees(math.acos(-1.0 / 4.0)), "you used −1/4: the dissenter's score is "
     "g_4ᵀ(g_1 + g_2 + g_3) + g_4ᵀg_4 = 3 cos φ + 1, so cos φ = −1/3"),
    (120.0, "that is the zero for two agreeing updates (cos φ = −1/2); here there are three"),
    (_table_zero(), "that is the zero for the batch of question 6 (about 119.6°); this exercise "
     "has three identical unit updates (1, 0)"),
]  # fmt: skip


@check
def check_zero_angle(fn) -> bool:
    """``fn()`` must return, in degrees, the angle at which the dissenter's weight is zero."""
    want = math.degrees(math.acos(-1.0 / 3.0))
    ran, got = attempted(fn, ())
    if not ran:
        return False
    try:
        value = float(got)
    except (TypeError, ValueError):
        return report([f"return one number (degrees), not a {type(got).__name__}"], "")
    if not math.isfinite(value):
        return report(["your angle is not a finite number"], "")
    if abs(value - want) <= ANGLE_TOLERANCE:
        return report([], f"the dissenter's weight is zero at {value:.2f} degrees")
    if abs(value - math.radians(want)) <= math.radians(ANGLE_TOLERANCE):
        return report(["that looks like radians; the check wants degrees (math.degrees)"], "")
    for wrong, message in ANGLE_MISTAKES:
        if abs(value - wrong) <= 0.05:
            return report([message], "")
    weight = _dissent_weight(value)
    side = "positive: turn further" if weight > 0 else "negative: not so far"
    return report([f"at {value:.2f} degrees the dissenter's weight is still {side}"], "")


# --- Exercise 7.4 --------------------------------------------------------------------------------

CHECK_SEEDS, CHECK_ITERATIONS = (0, 1), 20  # a short run of the protocol, under a second


@functools.cache
def _protocol(seeds: tuple[int, ...], iterations: int, eval_row: int = -1) -> dict[str, tuple]:
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results: dict[str, list[float]] = {"uniform": [], "agreement": []}
    for seed in seeds:
        for weighting in results:
            theta, _ = gc.train(
                model.init(np.random.default_rng(seed)), lambda rng: gt.sample_sine_tasks(rng, 2),
                np.random.default_rng(seed + 100), iterations, 0.01, 0.5, "reptile", weighting,
                inner_steps=5, model=model,
            )  # fmt: skip
            loss = gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][eval_row].mean()
            results[weighting].append(float(loss))
    return {key: tuple(values) for key, values in results.items()}


def _values(got: Any, key: str, n: int) -> tuple[list[float] | None, str | None]:
    values = got.get(key)
    if values is None:
        return None, f"missing key {key!r}"
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        return None, f"{key!r} should be a list of numbers, one per seed"
    if len(values) != n:
        return None, f"{key!r} has {len(values)} values for {n} seeds: one per seed"
    if not all(math.isfinite(v) and v >= 0 for v in values):
        return None, f"{key!r} holds a value that is not a finite mean squared error (≥ 0)"
    return values, None


@check
def check_ga_reptile_sine(fn) -> bool:
    """Run ``fn(seeds, iterations)`` on a short protocol and compare it with the reference."""
    ran, got = attempted(fn, (CHECK_SEEDS, CHECK_ITERATIONS))
    if not ran:
        return False
    if not isinstance(got, dict):
        return report(['return a dictionary {"uniform": [...], "agreement": [...]}'], "")
    got_values = {}
    for key in ("uniform", "agreement"):
        values, problem = _values(got, key, len(CHECK_SEEDS))
        if problem:
            return report([problem], "")
        got_values[key] = values
    want = _protocol(CHECK_SEEDS, CHECK_ITERATIONS)
    same = {key: close(got_values[key], want[key], rtol=1e-6) for key in want}
    if all(same.values()):
        return report([], f"your runs reproduce the protocol ({CHECK_ITERATIONS}-iteration check)")
    if close(got_values["uniform"], want["agreement"], rtol=1e-6) and close(
        got_values["agreement"], want["uniform"], rtol=1e-6
    ):
        return report(["your 'uniform' and 'agreement' results are swapped"], "")
    if same["uniform"] or same["agreement"]:
        right, wrong = ("uniform", "agreement") if same["uniform"] else ("agreement", "uniform")
        return report(
            [f"{right!r} is right, {wrong!r} is not: weighting={wrong!r} in gc.train"], ""
        )
    before = _protocol(CHECK_SEEDS, CHECK_ITERATIONS, eval_row=0)
    if all(close(got_values[k], before[k], rtol=1e-6) for k in want):
        message = (
            "you measured the held-out error before adaptation (row 0 of gc.evaluate's "
            "'loss'); the protocol measures after 5 steps (row −1)"
        )
        return report([message], "")
    message = (
        "your numbers differ from the protocol's: same start for both weightings "
        "(model.init(default_rng(seed))), batches from default_rng(seed + 100), α = 0.01, "
        "β = 0.5, 5 inner steps, the held-out set given in the text"
    )
    return report([message], "")
