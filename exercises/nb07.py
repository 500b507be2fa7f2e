"""Exercises of notebook 7 (questions and exercises).

Exercise 7.1 ``weights_from_gram(gram, normalization)``: the weights from the Gram matrix alone.
Exercise 7.2 ``scaling_experiment(updates)``: which rescalings of the updates change the weights.
Exercise 7.3 ``zero_angle()``: the angle (degrees) at which a unit dissenter among three equal
unit updates gets weight 0.
Exercise 7.4 ``ga_reptile_sine(seeds, iterations)``: Reptile vs GA-Reptile on sines, two tasks
per batch, under a fixed protocol (so that the check can recompute it); :func:`full_runs` runs
the learner's function for the notebook's discussion, or the reference while it is unfinished.

Notation as in ``gaml_core``: g_i = θ − θ'_i, G_ij = g_iᵀg_j, the paper's weights
w_i = Σ_j G_ij / Σ_k |Σ_j G_kj| (Eshratifar, Eigen & Pedram 2018, arXiv 1810.08178) and the
chapter's denominator Σ_i Σ_j |G_ij| (S. Ravichandiran, *Hands-On Meta Learning with Python*,
Packt 2018, chapter 8).

Every check varies what a learner could hard-code (sizes, the special rows, the arguments, the
scale of the updates) and diagnoses a wrong answer in order: the specific known mistakes first,
then values copied from the notebook, rounding and scale, and only then the generic message.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Case,
    allclose_same_shape,
    attempt,
    attempted,
    check,
    exercise_decorator,
    ignored_argument,
    is_mistake,
    report,
    rounded,
    run_check,
    scale_note,
    shape_problem,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_ga_reptile_sine",
    "check_scaling_experiment",
    "check_weights_from_gram",
    "check_zero_angle",
    "exercise",
    "full_runs",
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
    return np.degrees(np.arccos(-1.0 / 3.0))


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


# The setup batch of notebook 7 (section 7.0): a learner may compute from it instead of the
# argument, or copy the weights the notebook printed for it (3 or 4 decimals).
NOTEBOOK_G = np.array([[1.0, 0.2], [0.8, 0.4], [1.1, -0.1], [-0.9, 0.3]])


def _copied(got: Any, printed: Sequence[Any]) -> bool:
    """``got`` is (a rounding of) one of the values the notebook prints."""
    return any(allclose_same_shape(got, value, rtol=6e-4, atol=1e-12) for value in printed)


def _scaled(factor: float) -> str:
    return scale_note(f"with every update ×{factor:g}")


# --- Exercise 7.1 --------------------------------------------------------------------------------


def _batch(rng: np.random.Generator, n: int, p: int, dissenters: Sequence[int] = ()) -> np.ndarray:
    """n updates in p dimensions of different lengths around one direction; the rows in
    ``dissenters`` point roughly against it."""
    direction = rng.normal(size=p)
    direction /= np.linalg.norm(direction)
    updates = direction + 0.5 * rng.normal(size=(n, p))
    for row in dissenters:
        updates[row] = -1.2 * direction + 0.3 * rng.normal(size=p)
    return updates * rng.uniform(0.5, 2.0, size=(n, 1))


def _runtime_string(text: str) -> str:
    """An equal string that is not the interned literal (``is`` tells them apart, ``==`` not)."""
    return "".join(list(text))


def _gram_batches() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "4 tasks, 3 parameters, a dissenter in row 2": _batch(rng, 4, 3, (2,)),
        "6 tasks, 5 parameters, a dissenter in row 0": _batch(rng, 6, 5, (0,)),
        "2 tasks pulling apart (120°), lengths 1 and 1.5": np.array(
            [[1.0, 0.0], [-0.75, 1.5 * math.sin(math.radians(120.0))]]
        ),
        "7 tasks, 4 parameters, dissenters in rows 3 and 6": _batch(rng, 7, 4, (3, 6)),
        "1 task": rng.normal(size=(1, 3)),
    }


def _gram_cases() -> list[Case]:
    """The cases, in the order checked: every batch in both normalisations; the first batch
    scaled by 1e-6 and 1e6 (it has passed at scale 1 by then); the default normalisation;
    'paper' as a string built at run time. Each case has its own mistakes, if any, and its
    last resorts before the generic message: copied weights, the scale, rounding."""
    batches = _gram_batches()
    labels = list(batches)
    out: list[Case] = []

    def add(label, updates, norm, mistakes=(), last_resort=None, given=None):
        gram = updates @ updates.T
        args = (gram, norm if given is None else given) if given != "left out" else (gram,)
        want = gc.agreement_weights(updates, norm)
        explain = lambda got: (last_resort and last_resort(got)) or rounded(got, want)  # noqa: E731
        out.append(Case(label, args, want, explain=explain, mistakes=mistakes))

    for label, updates in batches.items():
        for norm in ("paper", "chapter"):
            add(f"{label}, {norm!r}", updates, norm, last_resort=_gram_copied)
    for factor in (1e-6, 1e6):
        for norm in ("paper", "chapter"):
            label = f"{labels[0]}, every update ×{factor:g} (G ×{factor**2:g}), {norm!r}"
            scaled = lambda got, f=factor: _scaled(f)  # noqa: E731
            add(label, factor * batches[labels[0]], norm, last_resort=scaled)
    add(
        f"{labels[1]}, `normalization` left out (the default, 'paper')", batches[labels[1]],
        "paper", given="left out",
        mistakes=[("without a `normalization` argument your function must use 'paper', the "
                   "default in its signature", lambda G: _chapter(G))],
    )  # fmt: skip
    add(
        f"{labels[3]}, 'paper' passed as a string built at run time", batches[labels[3]],
        "paper", given=_runtime_string("paper"),
        mistakes=[("right with the literal 'paper', wrong with an equal string built at run "
                   "time: compare strings with ==, not `is`", lambda G, n: _chapter(G))],
    )  # fmt: skip
    return out


def _rows(G):
    return G.sum(axis=1)


def _paper(G):
    return _rows(G) / np.abs(_rows(G)).sum()


def _chapter(G):
    return _rows(G) / np.abs(G).sum()


def _denominator(G, normalization="paper"):
    return np.abs(_rows(G)).sum() if normalization == "paper" else np.abs(G).sum()


def _off_diagonal(G):
    return G - np.diag(np.diag(G))


def _only(norm: str, wrong: Callable[[np.ndarray], Any]) -> Callable[..., Any]:
    """A mistake that concerns one normalisation only."""
    return lambda G, n="paper": wrong(G) if n == norm else None


def _gram_copied(got):
    if _copied(got, [gc.agreement_weights(NOTEBOOK_G, n) for n in ("paper", "chapter")]):
        return (
            "these are the weights the notebook printed for its own batch `g`: compute them "
            "from the `gram` passed in"
        )
    return None


def _each(message: str, *wrongs: Callable[..., Any]) -> list[tuple[str, Callable[..., Any]]]:
    """One message for several known mistakes (ways to the same wrong turn)."""
    return [(message, wrong) for wrong in wrongs]


GRAM_MISTAKES = [
    # 'paper': the absolute value in the wrong place
    ("your 'paper' weights are the chapter's: you divided by Σ_i Σ_j |G_ij|; the paper takes "
     "the absolute value of each row sum, Σ_k |Σ_j G_kj|", _only("paper", _chapter)),
    ("your 'paper' weights sum to 1: you divided by the total Σ_i Σ_j G_ij (or its absolute "
     "value, the same number); the paper adds the absolute values of the row sums, "
     "Σ_k |Σ_j G_kj|", _only("paper", lambda G: _rows(G) / G.sum())),
    ("you divided by the Euclidean length of the row sums, np.linalg.norm(s); the paper adds "
     "their absolute values, Σ_k |s_k| (np.abs(s).sum())",
     _only("paper", lambda G: _rows(G) / np.linalg.norm(_rows(G)))),
    ("you divided by the mean of |s_k|; the paper divides by their sum, Σ_k |s_k|",
     _only("paper", lambda G: _rows(G) / np.abs(_rows(G)).mean())),
    # 'chapter': every entry's absolute value, every entry once
    ("your 'chapter' weights are the paper's (Σ|w| = 1): the chapter divides by "
     "Σ_i Σ_j |G_ij|, the absolute value of every entry, not of every row sum",
     _only("chapter", _paper)),
    ("your 'chapter' weights sum to 1: you divided by Σ_i Σ_j G_ij without absolute values; "
     "the chapter adds the absolute value of every entry, Σ_i Σ_j |G_ij|",
     _only("chapter", lambda G: _rows(G) / G.sum())),
    ("np.linalg.norm(G, 1) of a matrix is its largest column sum of |G_ij| (the matrix "
     "1-norm), not the sum over every entry: use np.abs(G).sum()",
     _only("chapter", lambda G: _rows(G) / np.linalg.norm(G, 1))),
    ("np.linalg.norm(G) is the Frobenius norm √(Σ G_ij²), not Σ_i Σ_j |G_ij|: use "
     "np.abs(G).sum()", _only("chapter", lambda G: _rows(G) / np.linalg.norm(G))),
    *_each("you counted each pair once (one triangle of G): Σ_i Σ_j |G_ij| runs over every "
           "(i, j), G_ij and G_ji both, the diagonal included",
           _only("chapter", lambda G: _rows(G) / np.abs(np.triu(G)).sum()),
           _only("chapter", lambda G: _rows(G) / np.abs(np.triu(G, 1)).sum())),
    ("you left the diagonal out of the denominator: Σ_i Σ_j |G_ij| includes every |G_ii|",
     _only("chapter", lambda G: _rows(G) / np.abs(_off_diagonal(G)).sum())),
    ("you divided by the mean of |G_ij|, not their sum Σ_i Σ_j |G_ij|",
     _only("chapter", lambda G: _rows(G) / np.abs(G).mean())),
    ("your numerators are row means, n times too small: the score is the row sum Σ_j G_ij",
     _only("chapter", lambda G: G.mean(axis=1) / np.abs(G).sum())),
    # both normalisations
    *_each("all your weights are ≥ 0: the numerator is the signed row sum Σ_j G_ij",
           lambda G, n="paper": np.abs(G).sum(1) / _denominator(G, n),
           lambda G, n="paper": np.abs(G).sum(1) / np.abs(G).sum(),
           lambda G, n="paper": np.abs(_rows(G)) / _denominator(G, n)),
    *_each("you used the diagonal only (‖g_i‖²): the score is the whole row sum Σ_j G_ij",
           lambda G, n="paper": np.diag(G) / np.abs(np.diag(G)).sum(),
           lambda G, n="paper": np.diag(G) / _denominator(G, n)),
    *_each("you left out j = i: the score Σ_j G_ij includes the task's agreement with itself, "
           "G_ii",
           lambda G, n="paper": _rows(_off_diagonal(G)) / _denominator(_off_diagonal(G), n),
           lambda G, n="paper": _rows(_off_diagonal(G)) / _denominator(G, n)),
    ("your scores use one triangle of G: the score Σ_j G_ij sums the whole row",
     lambda G, n="paper": np.triu(G).sum(1) / _denominator(G, n)),
    ("these are the raw scores Σ_j G_ij: divide them by the normalisation's denominator",
     lambda G, n="paper": _rows(G)),
    *_each("gc.agreement_weights wants the update vectors: given the Gram matrix it takes its "
           "rows for updates. Compute the weights from G itself",
           lambda G, n="paper": gc.agreement_weights(G, n),
           lambda G, n="paper": gc.agreement_weights(G)),
    ("these are the weights of the notebook's batch `g` (section 7.0): compute them from the "
     "`gram` passed in", lambda G, n="paper": gc.agreement_weights(NOTEBOOK_G, n)),
]  # fmt: skip


def _swapped_normalisations(fn) -> str | None:
    """A diagnosis if 'paper' gives the chapter's weights and 'chapter' the paper's."""
    paper_case, chapter_case = _gram_cases()[:2]
    results = []
    for case in (paper_case, chapter_case):
        status, got = attempt(fn, case.args)
        if status != "ok":
            return None
        results.append(got)
    gram = paper_case.args[0]
    if is_mistake(results[0], _chapter(gram), _paper(gram)) and allclose_same_shape(
        results[1], _paper(gram)
    ):
        return (
            "your two normalisations are swapped: 'paper' divides by Σ_k |Σ_j G_kj|, "
            "'chapter' by Σ_i Σ_j |G_ij|"
        )
    return None


@check
def check_weights_from_gram(fn) -> bool:
    """Compare ``fn(G, normalization)`` with ``gc.agreement_weights`` on batches of 1 to 7
    tasks, both normalisations, scaled by 1e-6 and 1e6, with the default argument and with
    'paper' built at run time."""
    if message := _swapped_normalisations(fn):
        return report([message], "")
    return run_check(
        fn, _gram_cases(), GRAM_MISTAKES,
        "both normalisations match gc.agreement_weights (1 to 7 tasks, dissenters in any row, "
        "updates scaled by 1e-6 and 1e6)",
        name="your weight vector", shape_hint="one weight per task",
    )  # fmt: skip


# --- Exercise 7.2 --------------------------------------------------------------------------------

SCALING_KEYS = ("original", "task 0 x10", "all x10")


def _scaling_batches() -> list[tuple[str, np.ndarray, float]]:
    """(label, updates, their scale): row 0 is in turn a short dissenter, an ordinary task,
    the longest update with the largest weight (the batch where scaling "the longest" or "the
    heaviest" task is right by accident), a row of a one-parameter batch and a single task."""
    rng = np.random.default_rng(72)
    dissent = np.array([[-0.5, 0.3], [1.0, 0.4], [1.3, -0.2], [0.9, 0.6]])
    return [
        ("4 tasks in 2-D, row 0 a short dissenter", dissent, 1.0),
        ("5 tasks, 3 parameters", _batch(rng, 5, 3, (3,)), 1.0),
        ("2 tasks, 4 parameters", _batch(rng, 2, 4), 1.0),
        ("6 tasks, 2 parameters, row 0 the longest and heaviest",
         np.array([[1.6, 0.3], [0.7, 0.5], [0.9, -0.3], [-0.6, 0.4], [0.5, 0.1], [0.8, 0.2]]),
         1.0),
        *[(f"the first batch with every update ×{factor:g}", factor * dissent, factor)
          for factor in (1e-6, 1e6)],
        ("3 tasks with one parameter each", np.array([[0.5], [1.5], [-0.4]]), 1.0),
        ("1 task", np.array([[0.3, -0.4, 0.2]]), 1.0),
    ]  # fmt: skip


def _scaled_row(updates: np.ndarray, row: int, factor: float = 10.0) -> np.ndarray:
    one = updates.copy()
    one[row] *= factor
    return one


def _renormalised(w: np.ndarray) -> np.ndarray:
    return w / np.abs(w).sum()


def _row_names(updates: np.ndarray) -> dict[int, str]:
    """What makes a row other than row 0 stand out: last, longest, largest weight."""
    names: dict[int, list[str]] = {}
    n = len(updates)
    if n > 1:
        names.setdefault(n - 1, []).append("the last row")
        names.setdefault(int(np.argmax(np.linalg.norm(updates, axis=1))), []).append(
            "the longest update"
        )
        names.setdefault(int(np.argmax(gc.agreement_weights(updates))), []).append(
            "the task with the largest weight"
        )
    return {row: " and ".join(what) for row, what in names.items() if row != 0}


SCALING_GENERIC = {
    "original": "'original' should be gc.agreement_weights(updates), the updates as given",
    "task 0 x10": "'task 0 x10' should be the weights with only row 0 multiplied by 10",
    "all x10": "'all x10' should be the weights with every update multiplied by 10",
}


def _original_problem(got: np.ndarray, updates: np.ndarray, want: dict) -> str | None:
    if is_mistake(got, gc.agreement_weights(updates, "chapter"), want["original"]):
        return (
            "'original' uses the chapter's normalisation: gc.agreement_weights(updates) "
            "(the paper's, its default)"
        )
    if is_mistake(got, want["task 0 x10"], want["original"]):
        return (
            "'original' holds the weights with row 0 scaled: compute it from the updates "
            "as given, before (or without) scaling anything"
        )
    notebook = gc.agreement_weights(NOTEBOOK_G)
    if is_mistake(got, notebook, want["original"]) or _copied(got, [notebook]):
        return (
            "'original' holds the weights of the notebook's batch `g`: use the `updates` passed in"
        )
    return None


def _task0_problem(got: np.ndarray, updates: np.ndarray, want: dict) -> str | None:
    target = want["task 0 x10"]
    if allclose_same_shape(got, want["original"]):
        return (
            "'task 0 x10' equals 'original', but scaling one row changes the weights: did "
            "you scale every row (updates[0:] or updates[:] instead of updates[0]) or "
            "compute the weights of the unscaled updates?"
        )
    for row, what in _row_names(updates).items():
        if is_mistake(got, gc.agreement_weights(_scaled_row(updates, row)), target):
            return (
                f"you scaled row {row}, {what}; task 0 is the first row, updates[0], "
                "whatever its length or weight"
            )
    if updates.shape[1] > 1:
        column = updates.copy()
        column[:, 0] *= 10.0
        if is_mistake(got, gc.agreement_weights(column), target):
            return "'task 0 x10' scaled column 0 (a parameter); scale row 0 (a task)"
    for factor, text in ((100.0, "100 (10 twice?)"), (math.sqrt(10.0), "√10")):
        if is_mistake(got, gc.agreement_weights(_scaled_row(updates, 0, factor)), target):
            return f"you multiplied row 0 by {text}: by 10"
    heavier = want["original"].copy()
    heavier[0] *= 10.0
    if is_mistake(got, heavier, target) or is_mistake(got, _renormalised(heavier), target):
        return (
            "you multiplied task 0's weight by 10: multiply its update, updates[0], by 10 "
            "and compute the weights again"
        )
    if is_mistake(got, gc.agreement_weights(_scaled_row(updates, 0), "chapter"), target):
        return "'task 0 x10' uses the chapter's normalisation: gc.agreement_weights's default"
    return None


def _all_problem(got: np.ndarray, updates: np.ndarray, want: dict) -> str | None:
    target = want["all x10"]
    if is_mistake(got, want["task 0 x10"], target):
        return (
            "'all x10' equals 'task 0 x10': multiply the updates as given by 10 (not the "
            "copy whose row 0 is already ×10)"
        )
    for factor in (10.0, 100.0):
        if is_mistake(got, factor * want["original"], target):
            return (
                f"you multiplied the weights by {factor:g}: multiply the updates by 10, then "
                "compute their weights"
            )
    if is_mistake(got, gc.agreement_weights(10.0 * updates, "chapter"), target):
        return "'all x10' uses the chapter's normalisation: gc.agreement_weights's default"
    return None


SCALING_PROBLEMS = {"original": _original_problem, "task 0 x10": _task0_problem,
                    "all x10": _all_problem}  # fmt: skip


def _scaling_problem(got: Any, updates: np.ndarray, scale: float) -> str | None:
    """None if ``got`` is right for ``updates``; else its first problem, in order: form, keys,
    shapes, swapped keys, then for the first wrong key its known mistakes, rounding, the scale
    (for a rescaled batch) and the generic message."""
    if not isinstance(got, dict):
        return "return a dictionary with the keys " + ", ".join(map(repr, SCALING_KEYS))
    if missing := [key for key in SCALING_KEYS if key not in got]:
        return (
            f"missing key(s) {', '.join(map(repr, missing))} (the keys are "
            f"{', '.join(map(repr, SCALING_KEYS))})"
        )
    want = scaling_experiment(updates)
    values = {}
    for key in SCALING_KEYS:
        if problem := shape_problem(got[key], want[key], f"your {key!r}", "one weight per task"):
            return problem
        values[key] = np.asarray(got[key], dtype=np.float64)
        if not np.isfinite(values[key]).all():
            return f"your {key!r} holds NaN or inf"
    wrong = [key for key in SCALING_KEYS if not allclose_same_shape(values[key], want[key])]
    if not wrong:
        return None
    for first, second in (("original", "task 0 x10"), ("task 0 x10", "all x10")):
        if is_mistake(values[first], want[second], want[first]) and is_mistake(
            values[second], want[first], want[second]
        ):
            return f"your {first!r} and {second!r} are swapped"
    key = wrong[0]
    if message := SCALING_PROBLEMS[key](values[key], updates, want):
        return message
    if message := rounded(values[key], want[key]):
        return f"{key!r}: {message}"
    return _scaled(scale) if scale != 1.0 else SCALING_GENERIC[key]


@check
def check_scaling_experiment(fn) -> bool:
    """``fn(updates)`` must return the three weight vectors of :func:`scaling_experiment`, for
    batches of 1 to 6 tasks in which row 0 plays different parts, scaled by 1e-6 and 1e6."""
    cases = [
        Case(label, (updates,), None,
             diagnose=lambda got, u=updates, s=scale: _scaling_problem(got, u, s))
        for label, updates, scale in _scaling_batches()
    ]  # fmt: skip
    success = (
        "scaling one task changes the weights, scaling all of them does not (1 to 6 tasks, "
        "updates scaled by 1e-6 and 1e6)"
    )
    return run_check(fn, cases, (), success)


# --- Exercise 7.3 --------------------------------------------------------------------------------


def _dissent_weight(angle_deg: float, agreeing: np.ndarray | int = 3) -> float:
    """Weight of a unit update at ``angle_deg`` from (1, 0) joining ``agreeing`` updates (or
    that many identical unit updates (1, 0))."""
    if isinstance(agreeing, int):
        agreeing = np.tile([1.0, 0.0], (agreeing, 1))
    phi = math.radians(angle_deg)
    return float(gc.agreement_weights(np.vstack([agreeing, [math.cos(phi), math.sin(phi)]]))[-1])


def _zero_by_bisection(agreeing: np.ndarray | int, lo: float, hi: float) -> float:
    """The angle in [lo, hi] where the dissenter's weight, > 0 at lo and < 0 at hi, is 0."""
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _dissent_weight(mid, agreeing) > 0 else (lo, mid)
    return 0.5 * (lo + hi)


def zero_weight_angle(n_agree: int = 3) -> dict[str, float]:
    """The closed form arccos(−1/n_agree) and a bisection on the weight itself (degrees)."""
    return {
        "closed form": math.degrees(math.acos(-1.0 / n_agree)),
        "bisection": _zero_by_bisection(n_agree, 0.0, 180.0),  # (for n_agree >= 2)
    }


ANGLE_TOLERANCE = 0.01  # degrees: 109.47 (the angle rounded to two decimals) is accepted
_TABLE_BATCH = np.array([[1.0, 0.2], [0.8, 0.4], [1.1, -0.1]])  # question 6's three updates


_ZERO = math.degrees(math.acos(-1.0 / 3.0))
ANGLE_MISTAKES = [  # (wrong value in degrees, in [0°, 180°], its diagnosis)
    (math.degrees(math.acos(1.0 / 3.0)), "that is 180° minus the answer: the dissenter's "
     "score 3 cos φ + 1 is zero where cos φ = −1/3, an obtuse angle"),
    (90.0, "at 90° the dissenter is perpendicular to the others but still agrees with itself: "
     "its score is 3 cos φ + 1, not 3 cos φ"),
    (math.degrees(math.acos(-1.0 / 4.0)), "you used −1/4: the dissenter's score is "
     "g_4ᵀ(g_1 + g_2 + g_3) + g_4ᵀg_4 = 3 cos φ + 1, so cos φ = −1/3"),
    (120.0, "that is the zero for two agreeing updates (cos φ = −1/2); here there are three"),
    (_zero_by_bisection(_TABLE_BATCH, 90.0, 135.0), "that is the zero for the batch of "
     "question 6 (about 119.6°); this exercise has three identical unit updates (1, 0)"),
    (_ZERO - 90.0, "that is how far the zero lies past 90°; φ is measured from the direction "
     "(1, 0) of the three agreeing updates"),
    (180.0, "at 180° the dissenter's weight is at its most negative: cos φ + 1 = 0 treats the "
     "three agreeing updates as one unit update, but their sum has length 3"),
]  # fmt: skip


def _fold(value: float, period: float = 360.0) -> float:
    """The angle in [0, period/2] that gives the same configuration (θ and period − θ, and θ
    plus whole turns, put the dissenter at the same angle from (1, 0))."""
    value = value % period
    return period - value if value > period / 2 else value


def _one_number(got: Any) -> tuple[float | None, str | None]:
    if got is None:
        return None, "your function returned None: return the angle (did you forget `return`?)"
    if isinstance(got, str | bytes | dict):
        return None, f"return one number (degrees), not a {type(got).__name__}"
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.size != 1 or np.iscomplexobj(got):
        return None, f"return one number (degrees), not a {type(got).__name__}"
    value = float(arr.reshape(()))
    if not math.isfinite(value):
        return None, "your angle is not a finite number"
    return value, None


def _angle_problem(value: float) -> str:
    folded = _fold(value)
    same = f" (the same configuration as {folded:.2f}°)" if abs(folded - value) > 1e-9 else ""
    if abs(value) > 2 * math.pi and abs(math.cos(value) + 1.0 / 3.0) < 1e-4:
        return (
            "cos of your angle read as radians is −1/3: np.cos and math.cos take radians, so "
            "convert degrees with np.radians before taking the cosine"
        )
    if abs(_fold(value, 2 * math.pi) - math.radians(_ZERO)) <= math.radians(ANGLE_TOLERANCE):
        return "that looks like radians; the check wants degrees (np.degrees)"
    if abs(value + 1.0 / 3.0) < 1e-3:
        return "that is cos φ at the zero; return the angle φ itself, in degrees"
    for wrong, message in ANGLE_MISTAKES:
        if abs(folded - wrong) <= 0.05:
            return f"{value:g}°{same}: {message}" if same else message
    if abs(folded - _ZERO) <= 0.05:
        return (
            f"{value:g}° is right to 1 decimal; give more decimals (the check wants the "
            "angle to within 0.01°)"
        )
    if abs(folded - _ZERO) <= 0.5:
        return (
            f"{value:g}° is right to the nearest degree; give more decimals (the check wants "
            "the angle to within 0.01°)"
        )
    if _dissent_weight(folded) > 0:
        side = "positive: the zero is further from the others' direction (1, 0)"
    else:
        side = "negative: the zero is closer to the others' direction (1, 0)"
    return f"at {value:.2f}°{same} the dissenter's weight is still {side}"


@check
def check_zero_angle(fn) -> bool:
    """``fn()`` must return, in degrees, the angle at which the dissenter's weight is zero
    (any angle of the same configuration: θ, 360° − θ, plus whole turns)."""
    ran, got = attempted(fn, ())
    if not ran:
        return False
    value, problem = _one_number(got)
    if problem:
        return report([problem], "")
    folded = _fold(value)
    if abs(folded - _ZERO) <= ANGLE_TOLERANCE:
        same = f" (the same configuration as {folded:.2f}°)" if abs(folded - value) > 1e-9 else ""
        return report([], f"the dissenter's weight is zero at {value:.2f} degrees{same}")
    return report([_angle_problem(value)], "")


# --- Exercise 7.4 --------------------------------------------------------------------------------

# The short runs of the protocol the check compares: seeds of different counts and values (not
# (0, 1), the default a learner may hard-code; a list as well as a tuple) and a few iterations.
# (Most of the time goes into scoring each run on the 200 held-out tasks, about 0.1 s a run.)
CHECK_RUNS: tuple[tuple[Sequence[int], int], ...] = (((3,), 5), ([7, 4], 2))
PROTOCOL = {  # the protocol of the exercise; a variant changes one of these
    "hidden": 20, "query": 50, "offset": 100, "share": None, "order": ("uniform", "agreement"),
    "weighting": "agreement", "algorithm": "reptile", "inner_steps": 5, "eval_steps": 5,
    "eval_row": -1,
}  # fmt: skip


def _protocol(seeds: Sequence[int], iterations: int, **variant: Any) -> dict[str, tuple]:
    """The held-out MSEs of the exercise's protocol, or of a variant of it (one wrong turn):
    ``share="batches"`` (or ``"init"``) the second weighting of a seed goes on with the
    generator of the batches (of θ0) the first one used; ``share="one rng"`` θ0 and the batches
    from one ``default_rng(seed)``; ``offset`` the batches' seed offset; ``eval_row`` the row
    of ``gc.evaluate``'s loss (``"all"``: their mean); the rest as in :data:`PROTOCOL`."""
    v = {**PROTOCOL, **variant}
    results: dict[str, list[float]] = {"uniform": [], "agreement": []}
    for seed in seeds:
        for position, key in enumerate(v["order"]):
            loss = _run_losses(
                int(seed), int(iterations), v["weighting"] if key == "agreement" else key,
                init_skip=position if v["share"] == "init" else 0,
                batch_skip=position * int(iterations) if v["share"] == "batches" else 0,
                offset=v["offset"], one_rng=v["share"] == "one rng", algorithm=v["algorithm"],
                inner_steps=v["inner_steps"], hidden=v["hidden"], query=v["query"],
            )[: v["eval_steps"] + 1]  # fmt: skip
            value = loss.mean() if v["eval_row"] == "all" else loss[v["eval_row"]].mean()
            results[key].append(float(value))
    return {key: tuple(values) for key, values in results.items()}


@functools.cache
def _heldout(query: int) -> gt.TaskBatch:
    return gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, query)


@functools.cache
def _run_losses(
    seed: int, iterations: int, weighting: str, init_skip: int = 0, batch_skip: int = 0,
    offset: int = 100, one_rng: bool = False, algorithm: str = "reptile", inner_steps: int = 5,
    hidden: int = 20, query: int = 50,
) -> np.ndarray:  # fmt: skip
    """One meta-training run and its held-out losses after 0 to 5 adaptation steps (6, 200).
    ``init_skip`` / ``batch_skip``: draws made from the θ0 / batch generator before the run."""
    model = gc.MLPModel(hidden=hidden)
    if one_rng:
        batches = np.random.default_rng(seed)
        theta0 = model.init(batches)
    else:
        init = np.random.default_rng(seed)
        for _ in range(init_skip):
            model.init(init)
        theta0 = model.init(init)
        batches = np.random.default_rng(seed + offset)
        for _ in range(batch_skip):
            gt.sample_sine_tasks(batches, 2)
    theta, _ = gc.train(
        theta0, lambda rng: gt.sample_sine_tasks(rng, 2), batches, iterations, 0.01, 0.5,
        algorithm, weighting, inner_steps=inner_steps, model=model, history=False,
    )  # fmt: skip
    losses = gc.evaluate(theta, _heldout(query), 0.01, 5, model)["loss"]
    losses.flags.writeable = False
    return losses


BOTH = frozenset({"uniform", "agreement"})


def _second(first: str) -> str:
    return "agreement" if first == "uniform" else "uniform"


def _shared(what: str, first: str) -> str:
    second = _second(first)
    if what == "batches":
        return (
            f"your {second!r} runs draw their batches from the generator your {first!r} run of "
            "the seed already used, so they train on other batches: create "
            "np.random.default_rng(seed + 100) afresh for each weighting"
        )
    return (
        f"your {second!r} runs start from another θ0: they draw it from the generator your "
        f"{first!r} run's model.init already used; call model.init(np.random.default_rng(seed)) "
        "for each weighting (or reuse one θ0)"
    )


def _protocol_variants() -> list[tuple[dict[str, Any], frozenset[str], str]]:
    """(variant, the keys whose results it changes, diagnosis), most common first."""
    variants = [
        ({"share": what, "order": (first, _second(first))}, frozenset({_second(first)}),
         _shared(what, first))
        for first in ("uniform", "agreement") for what in ("batches", "init")
    ]  # fmt: skip
    variants += [
        ({"weighting": "chapter"}, frozenset({"agreement"}), "your 'agreement' runs use the "
         "chapter's normalisation (weighting='chapter'); the protocol's is weighting='agreement'"),
        ({"eval_row": 0}, BOTH, "you measured the held-out error before adaptation (row 0 of "
         "gc.evaluate's 'loss'); the protocol measures after 5 steps (row −1)"),
        ({"eval_row": "all"}, BOTH, "you averaged gc.evaluate's 'loss' over every adaptation "
         "step; the protocol takes its last row, after 5 steps ([-1])"),
        ({"eval_steps": 1}, BOTH, "gc.evaluate adapted 1 step (its default); the protocol "
         "adapts 5: gc.evaluate(theta, heldout, 0.01, 5, model)"),
        ({"inner_steps": 1}, BOTH, "you trained with 1 inner step (gc.train's default); the "
         "protocol uses inner_steps=5"),
        ({"offset": 0}, BOTH, "your batches come from np.random.default_rng(seed); the protocol "
         "draws them from np.random.default_rng(seed + 100)"),
        ({"share": "one rng"}, BOTH, "your batches come from the generator that drew θ0; the "
         "protocol draws them from a separate np.random.default_rng(seed + 100)"),
        ({"algorithm": "fomaml"}, BOTH, "you trained with first-order MAML ('fomaml'); the "
         "protocol uses 'reptile'"),
        ({"hidden": 40}, BOTH, "your network has 40 hidden units (MLPModel's default); the "
         "protocol uses gc.MLPModel(hidden=20)"),
        ({"query": 10}, BOTH, "your held-out tasks have 10 query points (sample_sine_tasks's "
         "default); the protocol's are gt.sample_sine_tasks(np.random.default_rng(99), 200, "
         "10, 50)"),
    ]  # fmt: skip
    return variants


def _matches(got: dict[str, Sequence[float]], want: dict[str, Sequence[float]], keys=BOTH) -> bool:
    return all(allclose_same_shape(got[key], want[key], rtol=1e-6) for key in keys)


def _results_problem(got: Any, seeds: Sequence[int]) -> tuple[dict | None, str | None]:
    """The two lists of results as floats, or what is wrong with their form."""
    if not isinstance(got, dict):
        return None, 'return a dictionary {"uniform": [...], "agreement": [...]}'
    values = {}
    for key in ("uniform", "agreement"):
        listed, problem = _values(got, key, len(seeds))
        if problem:
            return None, problem
        values[key] = listed
    return values, None


def _values(got: Any, key: str, n: int) -> tuple[list[float] | None, str | None]:
    values = got.get(key)
    if values is None:
        return None, f"missing key {key!r}"
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        return None, f"{key!r} should be a list of numbers, one per seed"
    if len(values) != n:
        seeds = "seed" if n == 1 else "seeds"
        return None, f"{key!r} has {len(values)} values for {n} {seeds}: one per seed in `seeds`"
    if not all(math.isfinite(v) and v >= 0 for v in values):
        return None, f"{key!r} holds a value that is not a finite mean squared error (≥ 0)"
    return values, None


def _notebook_copy(got: Any) -> str | None:
    """A diagnosis if ``got`` holds the 600-iteration results the notebook prints (3 decimals),
    whatever the seeds the check asked for."""
    digits = 3
    try:
        values = {key: [float(v) for v in got[key]] for key in ("uniform", "agreement")}
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None
    printed = all(abs(v - round(v, digits)) < 1e-9 for listed in values.values() for v in listed)
    if not printed or not all(len(listed) == 2 for listed in values.values()):
        return None  # (only then is the 600-iteration protocol worth running)
    full = _protocol((0, 1), 600)
    if all(np.allclose(values[k], np.round(full[k], digits), rtol=0, atol=1e-9) for k in full):
        return (
            "these are the 600-iteration results the notebook prints for seeds 0 and 1: "
            "compute them for the `seeds` and `iterations` passed in"
        )
    return None


def _other_seeds(got: dict, seeds: Sequence[int], iterations: int) -> str | None:
    n = len(seeds)
    for other, what in (
        (tuple(range(n)), "range(len(seeds))"),
        ((0, 1)[:n], "(0, 1)"),
        (tuple(sorted(seeds)), "the seeds sorted"),
    ):
        if len(other) == n and tuple(other) != tuple(seeds):
            if _matches(got, _protocol(other, iterations)):
                return f"these are the results for seeds {what}: use the seeds passed in, in order"
    return None


def _ignores(fn, seeds: Sequence[int], iterations: int, got: dict) -> str | None:
    """A diagnosis if ``fn`` gives the same numbers for other iterations or other seeds."""
    changes = [
        ((seeds, iterations + 2), "your results do not change with `iterations`: pass it on to "
         "gc.train"),
        (([s + 11 for s in seeds], iterations), "your results do not change with `seeds`: use "
         "each seed of `seeds`, for θ0 and for the batches"),
    ]  # fmt: skip

    def equal(again: Any, got: dict) -> bool:
        values, problem = _results_problem(again, seeds)
        return problem is None and _matches(values, got)

    return ignored_argument(fn, got, changes, equal)


def _reptile_problem(fn, got: dict, seeds: Sequence[int], iterations: int) -> str:
    """What is wrong with ``got``, the results of ``fn(seeds, iterations)``, in order: swapped
    keys, the notebook's numbers copied, one known wrong turn of the protocol (only those that
    change exactly the keys that are wrong), other seeds, arguments ignored."""
    want = _protocol(seeds, iterations)
    if _matches(got, {"uniform": want["agreement"], "agreement": want["uniform"]}):
        return "your 'uniform' and 'agreement' results are swapped"
    if message := _notebook_copy(got):
        return message
    wrong = frozenset(key for key in BOTH if not _matches(got, want, {key}))
    for variant, changes, message in _protocol_variants():
        if changes == wrong and _matches(got, _protocol(seeds, iterations, **variant)):
            return message
    if wrong == BOTH and (message := _other_seeds(got, seeds, iterations)):
        return message
    if message := _ignores(fn, seeds, iterations, got):
        return message
    if wrong != BOTH:
        (bad,) = wrong
        right = _second(bad)
        return (
            f"{right!r} is right, {bad!r} is not: the two runs of a seed must differ only in "
            f"weighting={bad!r} (the same θ0 and the same batches, from generators created "
            "afresh for each run)"
        )
    return (
        "your numbers differ from the protocol's: same start for both weightings "
        "(model.init(default_rng(seed))), batches from default_rng(seed + 100), α = 0.01, "
        "β = 0.5, 5 inner steps, the held-out set given in the text"
    )


@check
def check_ga_reptile_sine(fn) -> bool:
    """Run ``fn(seeds, iterations)`` on short versions of the protocol (1 and 2 seeds, neither
    (0, 1); 5 and 2 iterations) and compare it with the reference."""
    cases = [
        Case(f"seeds={seeds!r}, iterations={iterations}", (seeds, iterations), None,
             diagnose=lambda got, s=seeds, i=iterations: _runs_problem(fn, got, s, i))
        for seeds, iterations in CHECK_RUNS
    ]  # fmt: skip
    success = (
        "your runs reproduce the protocol (other seeds, 1 and 2 of them, and other iteration "
        "counts)"
    )
    return run_check(fn, cases, (), success)


def _runs_problem(fn, got: Any, seeds: Sequence[int], iterations: int) -> str | None:
    """None if ``got`` are the protocol's results for ``seeds`` and ``iterations``."""
    values, problem = _results_problem(got, seeds)
    if problem:
        return _notebook_copy(got) or problem
    if not _matches(values, _protocol(seeds, iterations)):
        return _reptile_problem(fn, values, seeds, iterations)
    return None


def full_runs(fn, seeds=(0, 1), iterations=600) -> tuple[dict[str, list[float]], str]:
    """The results of ``fn(seeds, iterations)`` and "your ga_reptile_sine" if it runs and
    returns one finite loss per seed and weighting; otherwise one line that says what to fix,
    and the results of the reference solution (the module's protocol) and "the reference"."""
    status, got = attempt(fn, (seeds, iterations))
    if status == "ok" and got is None:
        problem = "your ga_reptile_sine returned None (did you forget `return`?)"
    elif status == "ok":
        values, problem = _results_problem(got, seeds)
        if problem is None:
            return values, "your ga_reptile_sine"
        problem = f"your ga_reptile_sine's result: {problem}"
    elif status == "todo":
        problem = "ga_reptile_sine is not written yet"
    else:
        problem = got.replace("your function", "your ga_reptile_sine", 1)
    fix = "" if status == "todo" else " (fix it with the check above)"
    print(
        f"{problem}{fix}: the runs below use the reference solution, ex.ga_reptile_sine", flush=True
    )
    return ga_reptile_sine(seeds, iterations), "the reference"
