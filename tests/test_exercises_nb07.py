"""Exercises of notebook 07: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import nbformat
import numpy as np
from exercise_testing import answer_tests, assert_accepted, stub, verdict

import gaml_core as gc
import gaml_tasks as gt
from exercises import nb07 as ex

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "07_questions.ipynb"
# Notebook 7's `g` (cell 7.0), which an answer may read instead of its argument, as a learner's
# cell can.
g = np.array([[1.0, 0.2], [0.8, 0.4], [1.1, -0.1], [-0.9, 0.3]])  # row i is g_i = θ − θ'_i
PAPER = "paper"  # an interned string: `is PAPER` works for literals only


# --- 7.1 ----------------------------------------------------------------------------------------


def _gram(gram, normalization="paper", paper=None, chapter=None, numerator=None):
    """The weights with the 'paper' and/or 'chapter' denominator (or the numerator) replaced."""
    sums = gram.sum(1) if numerator is None else numerator(gram)
    if normalization == "paper":
        return sums / (np.abs(gram.sum(1)).sum() if paper is None else paper(gram))
    return sums / (np.abs(gram).sum() if chapter is None else chapter(gram))


def _swapped(G, n):
    return _gram(G, "chapter" if n == "paper" else "paper")


def _is_comparison(gram, normalization="paper"):
    if normalization is PAPER:  # right for a literal, wrong for an equal string built at run time
        return _gram(gram, "paper")
    return _gram(gram, "chapter")


def _default_chapter(gram, normalization="chapter"):
    return _gram(gram, normalization)


def _in_place(gram, normalization="paper"):
    gram /= np.abs(gram.sum(1)).sum() if normalization == "paper" else np.abs(gram).sum()
    return gram.sum(1)


def _hard_coded_four(gram, normalization="paper"):
    sums = gram @ np.ones(4)
    return _gram(gram, normalization, numerator=lambda G: sums)


# --- 7.2 ----------------------------------------------------------------------------------------


def _scaling(updates, row=0, column=False, unused=False, in_place=False, factor=10.0):
    one = updates if in_place else updates.copy()
    if column:
        one[:, 0] *= 10
    elif row is not None:
        one[row] *= factor
    return {
        "original": gc.agreement_weights(updates if not in_place else updates / 1.0),
        "task 0 x10": gc.agreement_weights(updates if unused else one),
        "all x10": gc.agreement_weights(10 * updates),
    }


def _scale_row(which):
    def fn(updates):
        pick = {
            "longest": np.argmax(np.linalg.norm(updates, axis=1)),
            "heaviest": np.argmax(gc.agreement_weights(updates)),
        }[which]
        return _scaling(updates, row=pick)

    return fn


def _all_rows(updates):
    one = updates.copy()
    one[0:] *= 10  # a slice: every row
    return {**_scaling(updates), "task 0 x10": gc.agreement_weights(one)}


def _hard_coded_rows(updates):
    scaled = updates * np.array([[10.0], [1.0], [1.0], [1.0]])  # four tasks only
    return {**_scaling(updates), "task 0 x10": gc.agreement_weights(scaled)}


def _weight_times_ten(updates):
    w = gc.agreement_weights(updates)
    w[0] *= 10
    return {**_scaling(updates), "task 0 x10": w}


def _all_from_copy(updates):
    one = updates.copy()
    one[0] *= 10
    return {**_scaling(updates), "all x10": gc.agreement_weights(10 * one)}


def _own_weights_eps(updates):
    s = updates @ updates.sum(0)
    return s / (np.abs(s).sum() + 1e-8)


def _scaling_eps(updates):
    one = updates.copy()
    one[0] *= 10
    return {
        "original": _own_weights_eps(updates),
        "task 0 x10": _own_weights_eps(one),
        "all x10": _own_weights_eps(10 * updates),
    }


def _scaling_rounded(updates):
    return {k: np.round(v, 3) for k, v in ex.scaling_experiment(updates).items()}


def _scaling_swapped(updates):
    right = ex.scaling_experiment(updates)
    return {**right, "original": right["task 0 x10"], "task 0 x10": right["original"]}


# --- 7.4 ----------------------------------------------------------------------------------------


def _protocol_dict(swap=False, **variant):
    def fn(seeds, iterations):
        res = {k: list(v) for k, v in ex._protocol(tuple(seeds), iterations, **variant).items()}
        return {"uniform": res["agreement"], "agreement": res["uniform"]} if swap else res

    return fn


def _reptile(seeds, iterations, order=("uniform", "agreement"), share_batches=False):
    """The protocol written out, optionally with one batch generator shared by both weightings."""
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in seeds:
        shared = np.random.default_rng(seed + 100)
        for weighting in order:
            rng = shared if share_batches else np.random.default_rng(seed + 100)
            theta, _ = gc.train(
                model.init(np.random.default_rng(seed)), lambda r: gt.sample_sine_tasks(r, 2),
                rng, iterations, 0.01, 0.5, "reptile", weighting, inner_steps=5, model=model,
            )  # fmt: skip
            loss = gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1].mean()
            results[weighting].append(float(loss))
    return results


def _ignores_iterations(seeds, iterations):
    return _protocol_dict()(seeds, 3)


def _ignores_seeds(seeds, iterations):
    return _protocol_dict()([5] * len(seeds), iterations)


def _range_seeds(seeds, iterations):
    return _protocol_dict()(range(len(seeds)), iterations)


def _notebook_numbers(seeds, iterations):
    full = ex._protocol((0, 1), 600)
    return {k: [round(v, 3) for v in values] for k, values in full.items()}


# --- Answers of an outside reviewer who read only the notebooks: each cell's code as typed ---


# outside reviewer, 7.1-w1: Ignores the normalization argument: always the paper's denominator.
def _reviewer_7_1_w1(gram, normalization="paper"):
    sums = gram.sum(axis=1)
    return sums / np.abs(sums).sum()


# outside reviewer, 7.1-w2: Chapter denominator as |Σ_ij G_ij| (abs of the total) instead of Σ_ij
# |G_ij|.
def _reviewer_7_1_w2(gram, normalization="paper"):
    sums = gram.sum(axis=1)
    if normalization == "paper":
        return sums / np.abs(sums).sum()
    return sums / np.abs(gram.sum())


# outside reviewer, 7.1-w3: Paper denominator without the absolute values: Σ_k s_k.
def _reviewer_7_1_w3(gram, normalization="paper"):
    sums = gram.sum(axis=1)
    if normalization == "paper":
        return sums / sums.sum()
    return sums / np.abs(gram).sum()


# outside reviewer, 7.1-w4: Uses the notebook's global updates g (gc.gram_matrix(g)) instead of the
# gram argument.
def _reviewer_7_1_w4(gram, normalization="paper"):
    G = gc.gram_matrix(g)
    sums = G.sum(axis=1)
    if normalization == "paper":
        return sums / np.abs(sums).sum()
    return sums / np.abs(G).sum()


# outside reviewer, 7.1-w5: Swapped branches: 'paper' gets the chapter's denominator and vice versa.
def _reviewer_7_1_w5(gram, normalization="paper"):
    sums = gram.sum(axis=1)
    if normalization == "chapter":
        return sums / np.abs(sums).sum()
    return sums / np.abs(gram).sum()


# outside reviewer, 7.1-r1: Dictionary of denominators indexed by the normalisation, uniform
# fallback.
def _reviewer_7_1_r1(gram, normalization="paper"):
    scores = gram.sum(axis=1)
    denominator = {"paper": np.abs(scores).sum(), "chapter": np.abs(gram).sum()}[normalization]
    if denominator == 0:
        return np.full(len(scores), 1.0 / len(scores))
    return scores / denominator


# outside reviewer, 7.1-r2: Row sums via gram @ ones, L1 norm via np.linalg.norm(ord=1), column sums
# (G symmetric).
def _reviewer_7_1_r2(gram, normalization="paper"):
    s = gram @ np.ones(gram.shape[0])
    if normalization == "chapter":
        return s / np.abs(gram).sum(axis=0).sum()
    return s / np.linalg.norm(s, ord=1)


# outside reviewer, 7.2-w1: Aliases instead of copying: one = updates; one[0] *= 10 modifies the
# caller's array.
def _reviewer_7_2_w1(updates):
    original = gc.agreement_weights(updates)
    one = updates
    one[0] *= 10
    return {
        "original": original,
        "task 0 x10": gc.agreement_weights(one),
        "all x10": gc.agreement_weights(10 * updates),
    }


# outside reviewer, 7.2-w2: Wrong axis: scales column 0 (the first coordinate of every update)
# instead of row 0.
def _reviewer_7_2_w2(updates):
    one = updates.copy()
    one[:, 0] *= 10
    return {
        "original": gc.agreement_weights(updates),
        "task 0 x10": gc.agreement_weights(one),
        "all x10": gc.agreement_weights(10 * updates),
    }


# outside reviewer, 7.2-w3: 'all x10' scales the already-modified copy (task 0 ends up ×100).
def _reviewer_7_2_w3(updates):
    scaled = updates.copy()
    scaled[0] *= 10
    one = gc.agreement_weights(scaled)
    scaled *= 10
    return {
        "original": gc.agreement_weights(updates),
        "task 0 x10": one,
        "all x10": gc.agreement_weights(scaled),
    }


# outside reviewer, 7.2-w4: Uses the notebook's global g for the three versions instead of the
# argument.
def _reviewer_7_2_w4(updates):
    one = g.copy()
    one[0] *= 10
    return {
        "original": gc.agreement_weights(g),
        "task 0 x10": gc.agreement_weights(one),
        "all x10": gc.agreement_weights(10 * g),
    }


# outside reviewer, 7.2-w5: Swapped outputs: the 'task 0 x10' and 'all x10' entries are exchanged.
def _reviewer_7_2_w5(updates):
    one = updates.copy()
    one[0] *= 10
    return {
        "original": gc.agreement_weights(updates),
        "all x10": gc.agreement_weights(one),
        "task 0 x10": gc.agreement_weights(10 * updates),
    }


# outside reviewer, 7.2-r1: Row scaling with a broadcast scale vector.
def _reviewer_7_2_r1(updates):
    scale = np.ones(len(updates))
    scale[0] = 10.0
    return {
        "original": gc.agreement_weights(updates),
        "task 0 x10": gc.agreement_weights(updates * scale[:, None]),
        "all x10": gc.agreement_weights(updates * 10.0),
    }


# outside reviewer, 7.2-r2: np.vstack of the scaled first row and the rest; dict built key by key in
# another order.
def _reviewer_7_2_r2(updates):
    result = {}
    result["all x10"] = gc.agreement_weights(np.multiply(updates, 10))
    result["task 0 x10"] = gc.agreement_weights(np.vstack([10 * updates[:1], updates[1:]]))
    result["original"] = gc.agreement_weights(updates)
    return result


# outside reviewer, 7.3-w1: Answers 90°: forgets the dissenter's agreement with itself.
def _reviewer_7_3_w1():
    return 90.0


# outside reviewer, 7.3-w2: Returns radians (np.arccos(-1/3)) instead of degrees.
def _reviewer_7_3_w2():
    return np.arccos(-1 / 3)


# outside reviewer, 7.3-w3: Counts four tasks in the majority: arccos(−1/4) ≈ 104.48°.
def _reviewer_7_3_w3():
    return np.degrees(np.arccos(-1 / 4))


# outside reviewer, 7.3-w4: Hard-codes the value from the Q6 cell just above (119.6°, a different
# batch).
def _reviewer_7_3_w4():
    return 119.6


# outside reviewer, 7.3-w5: Grid search in 0.1° steps with gc.agreement_weights: first negative
# angle, 109.5 (0.03° off).
def _reviewer_7_3_w5():
    for deg in np.arange(0, 180.001, 0.1):
        phi = np.radians(deg)
        batch4 = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [np.cos(phi), np.sin(phi)]])
        if gc.agreement_weights(batch4)[3] < 0:
            return float(deg)


# outside reviewer, 7.3-r1: Closed form with NumPy (no math import): np.degrees(np.arccos(-1/3)).
def _reviewer_7_3_r1():
    # s_4 = 3 cos(phi) + 1 = 0
    return float(np.degrees(np.arccos(-1.0 / 3.0)))


# outside reviewer, 7.3-r2: Bisection on gc.agreement_weights down to 1e-10 degrees.
def _reviewer_7_3_r2():
    def w4(deg):
        phi = np.radians(deg)
        return gc.agreement_weights(np.array([[1.0, 0.0]] * 3 + [[np.cos(phi), np.sin(phi)]]))[3]

    lo, hi = 90.0, 180.0
    while hi - lo > 1e-10:
        mid = (lo + hi) / 2
        if w4(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# outside reviewer, 7.4-w1: One batch generator per seed shared by both weightings: they see
# different batch streams.
def _reviewer_7_4_w1(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in seeds:
        rng = np.random.default_rng(seed + 100)
        theta0 = model.init(np.random.default_rng(seed))
        for weighting in results:
            theta, _ = gc.train(
                theta0,
                lambda r: gt.sample_sine_tasks(r, 2),
                rng,
                iterations,
                0.01,
                0.5,
                "reptile",
                weighting,
                inner_steps=5,
                model=model,
            )
            results[weighting].append(
                float(gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1].mean())
            )
    return results


# outside reviewer, 7.4-w2: Uses gc.MLPModel() with its default 40 hidden units instead of
# hidden=20.
def _reviewer_7_4_w2(seeds=(0, 1), iterations=600):
    model = gc.MLPModel()
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in seeds:
        for weighting in results:
            theta, _ = gc.train(
                model.init(np.random.default_rng(seed)),
                lambda r: gt.sample_sine_tasks(r, 2),
                np.random.default_rng(seed + 100),
                iterations,
                0.01,
                0.5,
                "reptile",
                weighting,
                inner_steps=5,
                model=model,
            )
            results[weighting].append(
                float(gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1].mean())
            )
    return results


# outside reviewer, 7.4-w3: Scores the held-out set after one adaptation step (gc.evaluate's
# default) instead of 5.
def _reviewer_7_4_w3(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in seeds:
        for weighting in results:
            theta, _ = gc.train(
                model.init(np.random.default_rng(seed)),
                lambda r: gt.sample_sine_tasks(r, 2),
                np.random.default_rng(seed + 100),
                iterations,
                0.01,
                0.5,
                "reptile",
                weighting,
                inner_steps=5,
                model=model,
            )
            results[weighting].append(
                float(gc.evaluate(theta, heldout, 0.01, model=model)["loss"][-1].mean())
            )
    return results


# outside reviewer, 7.4-w4: Ignores the iterations argument: hard-codes 600 meta-iterations.
def _reviewer_7_4_w4(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in seeds:
        for weighting in results:
            theta, _ = gc.train(
                model.init(np.random.default_rng(seed)),
                lambda r: gt.sample_sine_tasks(r, 2),
                np.random.default_rng(seed + 100),
                600,
                0.01,
                0.5,
                "reptile",
                weighting,
                inner_steps=5,
                model=model,
            )
            results[weighting].append(
                float(gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1].mean())
            )
    return results


# outside reviewer, 7.4-w5: Ignores the seeds argument: always seeds (0, 1).
def _reviewer_7_4_w5(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in (0, 1):
        for weighting in results:
            theta, _ = gc.train(
                model.init(np.random.default_rng(seed)),
                lambda r: gt.sample_sine_tasks(r, 2),
                np.random.default_rng(seed + 100),
                iterations,
                0.01,
                0.5,
                "reptile",
                weighting,
                inner_steps=5,
                model=model,
            )
            results[weighting].append(
                float(gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1].mean())
            )
    return results


# outside reviewer, 7.4-r1: Weighting as the outer loop, seed inner; init once per seed kept in a
# dict; helper function.
def _reviewer_7_4_r1(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    starts = {seed: model.init(np.random.default_rng(seed)) for seed in seeds}

    def sampler(rng):
        return gt.sample_sine_tasks(rng, 2)

    def run(seed, weighting):
        theta, _ = gc.train(
            starts[seed],
            sampler,
            np.random.default_rng(seed + 100),
            iterations,
            alpha=0.01,
            beta=0.5,
            algorithm="reptile",
            weighting=weighting,
            inner_steps=5,
            model=model,
        )
        return float(np.mean(gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1]))

    return {w: [run(seed, w) for seed in seeds] for w in ("uniform", "agreement")}


# outside reviewer, 7.4-r2: gc.train's many-runs mode: all seeds trained at once per weighting (θ of
# shape (R, p)).
def _reviewer_7_4_r2(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {}
    for weighting in ("uniform", "agreement"):
        thetas = np.stack([model.init(np.random.default_rng(s)) for s in seeds])
        rngs = [np.random.default_rng(s + 100) for s in seeds]
        final, _ = gc.train(
            thetas,
            lambda r: gt.sample_sine_tasks(r, 2),
            rngs,
            iterations,
            0.01,
            0.5,
            "reptile",
            weighting,
            inner_steps=5,
            model=model,
        )
        results[weighting] = [
            float(gc.evaluate(th, heldout, 0.01, 5, model)["loss"][-1].mean()) for th in final
        ]
    return results


# outside reviewer, 7.4-x1: Extra probe: the two weightings' results stored under swapped keys.
def _reviewer_7_4_x1(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results = {"uniform": [], "agreement": []}
    for seed in seeds:
        for key, weighting in (("uniform", "agreement"), ("agreement", "uniform")):
            theta, _ = gc.train(
                model.init(np.random.default_rng(seed)),
                lambda r: gt.sample_sine_tasks(r, 2),
                np.random.default_rng(seed + 100),
                iterations,
                0.01,
                0.5,
                "reptile",
                weighting,
                inner_steps=5,
                model=model,
            )
            results[key].append(
                float(gc.evaluate(theta, heldout, 0.01, 5, model)["loss"][-1].mean())
            )
    return results


WRONG = {
    "weights_from_gram": [
        (_swapped, "your two normalisations are swapped"),
        (lambda G, n: _gram(G, "paper"), "your 'chapter' weights are the paper's"),
        (lambda G, n: _gram(G, "chapter"), "your 'paper' weights are the chapter's"),
        # the 'paper' branch with the absolute value in the wrong place (not "always chapter")
        (lambda G, n: _gram(G, n, paper=lambda G: np.abs(G).sum()),
         "your 'paper' weights are the chapter's: you divided by Σ_i Σ_j |G_ij|"),
        (lambda G, n: _gram(G, n, paper=lambda G: np.abs(np.abs(G).sum(1)).sum()),
         "your 'paper' weights are the chapter's"),
        (lambda G, n: _gram(G, n, paper=lambda G: np.abs(G.sum())), "'paper' weights sum to 1"),
        (lambda G, n: _gram(G, n, paper=lambda G: np.linalg.norm(G.sum(1))),
         "Euclidean length of the row sums"),
        (lambda G, n: _gram(G, n, paper=lambda G: np.abs(G.sum(1)).mean()), "mean of |s_k|"),
        (lambda G, n: _gram(G, n, chapter=lambda G: np.abs(G.sum(1)).sum()),
         "your 'chapter' weights are the paper's"),
        (lambda G, n: _gram(G, n, chapter=lambda G: G.sum()), "'chapter' weights sum to 1"),
        (lambda G, n: _gram(G, n, chapter=lambda G: np.linalg.norm(G, 1)), "matrix 1-norm"),
        (lambda G, n: _gram(G, n, chapter=np.linalg.norm), "Frobenius"),
        (lambda G, n: _gram(G, n, chapter=lambda G: np.abs(np.triu(G)).sum()), "each pair once"),
        (lambda G, n: _gram(G, n, chapter=lambda G: np.abs(np.triu(G, 1)).sum()),
         "each pair once"),
        (lambda G, n: _gram(G, n, chapter=lambda G: np.abs(G).sum() - np.trace(G)),
         "left the diagonal out of the denominator"),
        (lambda G, n: _gram(G, n, chapter=lambda G: np.abs(G).mean()), "mean of |G_ij|"),
        (lambda G, n: _gram(G, n, numerator=lambda G: G.mean(1)) if n == "chapter"
         else _gram(G, n), "row means"),
        (lambda G, n: _gram(G, n, numerator=lambda G: np.abs(G).sum(1)), "all your weights"),
        (lambda G, n: G.sum(1) / G.sum(), "weights sum to 1"),
        (lambda G, n: np.diag(G) / np.abs(np.diag(G)).sum(), "the diagonal only"),
        (lambda G, n: _gram(G, n, numerator=lambda G: G.sum(1) - np.diag(G)), "left out j = i"),
        (lambda G, n: G.sum(1), "raw scores"),
        (lambda G, n: gc.agreement_weights(G, n), "wants the update vectors"),
        (lambda G, n: gc.agreement_weights(g, n), "notebook's batch `g`"),
        (lambda G, n: np.array([0.2784, 0.2474, 0.2732, -0.201]), "printed for its own batch"),
        (_hard_coded_four, "raised ValueError"),
        (lambda G, n: _gram(G, n) * np.abs(G).sum() / (np.abs(G).sum() + 1e-8),
         "wrong with every update ×1e-06"),
        (lambda G, n: np.round(_gram(G, n), 4), "rounded (to 4 decimals)"),
        (_is_comparison, "compare strings with ==, not `is`"),
        (_default_chapter, "without a `normalization` argument"),
        (lambda G, n: _gram(G, n)[:, None], "shape (4, 1) instead of (4,)"),
        (_in_place, "changed an input array in place"),
        (_reviewer_7_1_w1, "your 'chapter' weights are the paper's"),  # outside reviewer, 7.1-w1
        (_reviewer_7_1_w2, "your 'chapter' weights sum to 1"),  # outside reviewer, 7.1-w2
        (_reviewer_7_1_w3, "your 'paper' weights sum to 1"),  # outside reviewer, 7.1-w3
        (_reviewer_7_1_w4,  # outside reviewer, 7.1-w4
         "these are the weights of the notebook's batch `g`"),
        (_reviewer_7_1_w5, "your two normalisations are swapped"),  # outside reviewer, 7.1-w5
    ],
    "scaling_experiment": [
        (lambda U: _scaling(U, row=-1), "you scaled row 3, the last row"),
        (_scale_row("longest"), "the longest update"),
        (_scale_row("heaviest"), "the task with the largest weight"),
        (lambda U: _scaling(U, column=True), "scaled column 0"),
        (lambda U: _scaling(U, unused=True), "'task 0 x10' equals 'original'"),
        (_all_rows, "'task 0 x10' equals 'original'"),
        (lambda U: _scaling(U, in_place=True), "changed an input array in place"),
        (_hard_coded_rows, "raised ValueError"),
        (lambda U: _scaling(U, factor=100.0), "multiplied row 0 by 100"),
        (_weight_times_ten, "multiplied task 0's weight by 10"),
        (lambda U: {k: gc.agreement_weights(10 ** (k != "original") * U, "chapter")
                    for k in ex.SCALING_KEYS}, "'original' uses the chapter's normalisation"),
        (_all_from_copy, "'all x10' equals 'task 0 x10'"),
        (lambda U: {**_scaling(U), "all x10": 10 * gc.agreement_weights(U)},
         "you multiplied the weights by 10"),
        (_scaling_swapped, "'original' and 'task 0 x10' are swapped"),
        (lambda U: {**_scaling(U), "original": gc.agreement_weights(g)},
         "the notebook's batch `g`"),
        (_scaling_rounded, "'original': your values are rounded (to 3 decimals)"),
        (_scaling_eps, "wrong with every update ×1e-06"),
        (lambda U: list(_scaling(U).values()), "return a dictionary"),
        (lambda U: {k: v for k, v in _scaling(U).items() if k != "all x10"},
         "missing key(s) 'all x10'"),
        (lambda U: {k: v[:, None] for k, v in _scaling(U).items()}, "instead of (4,)"),
        (_reviewer_7_2_w1,  # outside reviewer, 7.2-w1
         "your function changed an input array in place"),
        (_reviewer_7_2_w2,  # outside reviewer, 7.2-w2
         "'task 0 x10' scaled column 0 (a parameter)"),
        (_reviewer_7_2_w3, "'all x10' equals 'task 0 x10'"),  # outside reviewer, 7.2-w3
        (_reviewer_7_2_w4,  # outside reviewer, 7.2-w4
         "'original' holds the weights of the notebook's batch `g`"),
        (_reviewer_7_2_w5,  # outside reviewer, 7.2-w5
         "your 'task 0 x10' and 'all x10' are swapped"),
    ],
    "zero_angle": [
        (lambda: math.acos(-1 / 3), "that looks like radians"),
        (lambda: 70.53, "180° minus the answer"),
        (lambda: 289.47, "289.47° (the same configuration as 70.53°): that is 180° minus"),
        (lambda: 90.0, "still agrees with itself"),
        (lambda: 104.48, "you used −1/4"),
        (lambda: 119.6, "the batch of question 6"),
        (lambda: 120.0, "two agreeing updates"),
        (lambda: 19.47, "past 90°"),
        (lambda: 180.0, "most negative"),
        (lambda: -1 / 3, "that is cos φ"),
        (lambda: 109.5, "109.5° is right to 1 decimal; give more decimals"),
        (lambda: 109, "109° is right to the nearest degree; give more decimals"),
        (lambda: -math.acos(-1 / 3), "that looks like radians"),
        (lambda: 30 * math.pi + math.acos(-1 / 3), "np.cos and math.cos take radians"),
        (lambda: 100.0, "still positive: the zero is further"),
        (lambda: 115.0, "still negative: the zero is closer"),
        (lambda: 245.0, "(the same configuration as 115.00°) the dissenter's weight is still neg"),
        (lambda: "109.47 degrees", "return one number"),
        (lambda: "109.47", "return one number"),
        (lambda: np.array([109.47, 70.53]), "return one number"),
        (lambda: None, "returned None"),
        (_reviewer_7_3_w1,  # outside reviewer, 7.3-w1
         "at 90° the dissenter is perpendicular to the others but still agrees with itself"),
        (_reviewer_7_3_w2, "that looks like radians"),  # outside reviewer, 7.3-w2
        (_reviewer_7_3_w3, "you used −1/4"),  # outside reviewer, 7.3-w3
        (_reviewer_7_3_w4,  # outside reviewer, 7.3-w4
         "that is the zero for the batch of question 6"),
        (_reviewer_7_3_w5, "109.5° is right to 1 decimal"),  # outside reviewer, 7.3-w5
    ],
    "ga_reptile_sine": [
        (lambda s, i: {"uniform": [0.0, 0.1], "agreement": [123.0, 1.0]},
         "has 2 values for 1 seed: one per seed"),
        (lambda s, i: {"uniform": [0.0] * len(s), "agreement": [123.0] * len(s)},
         "do not change with `iterations`"),
        (lambda s, i: {"uniform": [x + i for x in s], "agreement": [2.0 * x + i for x in s]},
         "differ from the protocol"),
        (_protocol_dict(swap=True), "results are swapped"),
        (lambda s, i: {"uniform": [math.nan, 1.0][: len(s)], "agreement": [1.0] * len(s)},
         "not a finite"),
        (lambda s, i: _reptile(s, i, share_batches=True),
         "your 'agreement' runs draw their batches from the generator your 'uniform' run"),
        (lambda s, i: _reptile(s, i, ("agreement", "uniform"), share_batches=True),
         "your 'uniform' runs draw their batches from the generator your 'agreement' run"),
        (_protocol_dict(share="init"), "your 'agreement' runs start from another θ0"),
        (_protocol_dict(weighting="chapter"), "weighting='chapter'"),
        (_protocol_dict(eval_row=0), "before adaptation"),
        (_protocol_dict(eval_row="all"), "over every adaptation step"),
        (_protocol_dict(eval_steps=1), "gc.evaluate adapted 1 step"),
        (_protocol_dict(inner_steps=1), "1 inner step"),
        (_protocol_dict(offset=0), "your batches come from np.random.default_rng(seed);"),
        (_protocol_dict(share="one rng"), "the generator that drew θ0"),
        (_protocol_dict(algorithm="fomaml"), "first-order MAML"),
        (_protocol_dict(hidden=40), "40 hidden units"),
        (_protocol_dict(query=10), "10 query points"),
        (_ignores_iterations, "do not change with `iterations`"),
        (_ignores_seeds, "do not change with `seeds`"),
        (_range_seeds, "range(len(seeds))"),
        (_notebook_numbers, "the notebook prints for seeds 0 and 1"),
        (_reviewer_7_4_w1,  # outside reviewer, 7.4-w1
         "your 'agreement' runs draw their batches from the generator your 'uniform' run"),
        (_reviewer_7_4_w2, "your network has 40 hidden units"),  # outside reviewer, 7.4-w2
        (_reviewer_7_4_w3, "gc.evaluate adapted 1 step (its default)"),  # outside reviewer, 7.4-w3
        (_reviewer_7_4_w4,  # outside reviewer, 7.4-w4
         "your results do not change with `iterations`"),
        (_reviewer_7_4_w5, "'uniform' has 2 values for 1 seed"),  # outside reviewer, 7.4-w5
        (_reviewer_7_4_x1,  # outside reviewer, 7.4-x1
         "your 'uniform' and 'agreement' results are swapped"),
    ],
}  # fmt: skip


# Correct answers written differently from the reference solution: (check name, function).
def _gram_dispatch(gram, normalization="paper"):
    scores = np.einsum("ij->i", gram)
    denominators = {"paper": np.linalg.norm(scores, 1), "chapter": np.linalg.norm(gram.ravel(), 1)}
    return scores / denominators[normalization]


def _gram_ones(gram, normalization="paper"):
    n = gram.shape[0]
    scores = gram @ np.ones(n)
    if normalization == "chapter":
        return scores / np.sum(np.abs(gram))
    return scores / np.sum(np.abs(scores))


def _scaling_diag(updates):
    factors = np.ones(len(updates))
    factors[0] = 10.0
    versions = {"original": updates, "task 0 x10": np.diag(factors) @ updates,
                "all x10": updates * 10}  # fmt: skip
    return {key: gc.agreement_weights(u) for key, u in versions.items()}


def _scaling_stack(updates):
    return {
        "original": gc.agreement_weights(updates.copy()),
        "task 0 x10": gc.agreement_weights(np.vstack([10 * updates[:1], updates[1:]])),
        "all x10": gc.agreement_weights(updates) + 0.0,  # scale-free: the prediction itself
    }


def _zero_bisection():
    lo, hi = 90.0, 180.0
    for _ in range(50):
        mid = (lo + hi) / 2
        phi = np.radians(mid)
        u = np.array([[1, 0], [1, 0], [1, 0], [np.cos(phi), np.sin(phi)]])
        lo, hi = (mid, hi) if gc.agreement_weights(u)[-1] > 0 else (lo, mid)
    return lo


def _reptile_deepcopy(seeds=(0, 1), iterations=600):
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    out = {"agreement": [], "uniform": []}
    for seed in seeds:
        theta0 = model.init(np.random.default_rng(seed))
        batches = np.random.default_rng(seed + 100)
        for weighting in ("agreement", "uniform"):  # the other order, one generator copied
            theta, _ = gc.train(
                theta0, lambda r: gt.sample_sine_tasks(r, 2), copy.deepcopy(batches),
                iterations, 0.01, 0.5, "reptile", weighting, inner_steps=5, model=model,
            )  # fmt: skip
            loss = gc.evaluate(theta, heldout, 0.01, 5, model)["loss"]
            out[weighting].append(np.mean(loss[5]))
    return out


def _reptile_stacked(seeds=(0, 1), iterations=600):
    """All seeds of a weighting trained at once: θ (R, p) and one generator per run."""
    model = gc.MLPModel(hidden=20)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    thetas0 = np.array([model.init(np.random.default_rng(s)) for s in seeds])

    def run(weighting):
        rngs = [np.random.default_rng(s + 100) for s in seeds]
        thetas, _ = gc.train(
            thetas0, lambda r: gt.sample_sine_tasks(r, 2), rngs, iterations, 0.01, 0.5,
            "reptile", weighting, inner_steps=5, model=model,
        )  # fmt: skip
        return [gc.evaluate(t, heldout, 0.01, 5, model)["loss"][-1].mean() for t in thetas]

    return {weighting: run(weighting) for weighting in ("uniform", "agreement")}


RIGHT: list = [
    ("weights_from_gram", _gram_dispatch),
    ("weights_from_gram", _gram_ones),
    ("scaling_experiment", _scaling_diag),
    ("scaling_experiment", _scaling_stack),
    ("zero_angle", lambda: np.degrees(np.arccos(-1 / 3))),
    ("zero_angle", lambda: 180.0 - math.degrees(math.acos(1 / 3))),
    ("zero_angle", _zero_bisection),
    ("zero_angle", lambda: 360.0 - math.degrees(math.acos(-1 / 3))),  # the same configuration
    ("ga_reptile_sine", _reptile_deepcopy),
    ("ga_reptile_sine", _reptile_stacked),
    ("weights_from_gram", _reviewer_7_1_r1),  # outside reviewer, 7.1-r1
    ("weights_from_gram", _reviewer_7_1_r2),  # outside reviewer, 7.1-r2
    ("scaling_experiment", _reviewer_7_2_r1),  # outside reviewer, 7.2-r1
    ("scaling_experiment", _reviewer_7_2_r2),  # outside reviewer, 7.2-r2
    ("zero_angle", _reviewer_7_3_r1),  # outside reviewer, 7.3-r1
    ("zero_angle", _reviewer_7_3_r2),  # outside reviewer, 7.3-r2
    ("ga_reptile_sine", _reviewer_7_4_r1),  # outside reviewer, 7.4-r1
    ("ga_reptile_sine", _reviewer_7_4_r2),  # outside reviewer, 7.4-r2
]
(
    test_every_check_has_three_wrong_and_two_right_answers,
    test_check_rejects_a_wrong_answer_with_its_diagnosis,
    test_check_accepts_a_correct_alternative,
) = answer_tests(ex, WRONG, RIGHT)


def test_zero_angle_accepts_the_rounded_angle_and_the_same_configuration(capsys):
    for value in (109.47, 109.4712206, 109.475, 250.53, -109.47, 469.47):
        assert_accepted(capsys, ex.check_zero_angle, lambda v=value: v)


def test_the_paper_branch_is_not_blamed_on_the_argument(capsys):
    """The 'paper' branch with Σ|G_ij| reads the argument: no "always ... normalisation"."""

    def wrong(gram, normalization="paper"):
        sums = gram.sum(axis=1)
        if normalization == "paper":
            return sums / np.sum(np.abs(gram))  # |G_ij| where |Σ_j G_ij| is meant
        return sums / np.abs(gram).sum()

    out = verdict(capsys, ex.check_weights_from_gram, wrong)
    assert "always" not in out and "`normalization` argument" not in out, out


def test_a_shared_generator_is_not_blamed_on_the_weighting(capsys):
    out = verdict(capsys, ex.check_ga_reptile_sine, lambda s, i: _reptile(s, i, share_batches=True))
    assert "weighting='agreement' in gc.train" not in out and "generator" in out, out


def test_checks_vary_the_sizes_and_arguments():
    """No fixed input: sizes, normalisations, scales, seeds and iterations vary over the cases."""
    cases = ex._gram_cases()
    assert {len(c.args[0]) for c in cases} >= {1, 2, 4, 6, 7}
    assert {c.args[1] for c in cases if len(c.args) == 2} == {"paper", "chapter"}
    assert any(np.abs(c.args[0]).max() < 1e-9 for c in cases)
    assert any(np.abs(c.args[0]).max() > 1e9 for c in cases)
    batches = [u for _, u, _ in ex._scaling_batches()]
    assert len({u.shape for u in batches}) >= 4
    assert any(np.abs(u).max() < 1e-5 for u in batches) and any(
        np.abs(u).max() > 1e5 for u in batches
    )
    # some batch where row 0 is neither the longest nor the heaviest update, nor the last
    assert any(
        np.argmax(np.linalg.norm(u, axis=1)) != 0 and np.argmax(gc.agreement_weights(u)) != 0
        for u in batches
    )
    seeds = [tuple(s) for s, _ in ex.CHECK_RUNS]
    assert len({len(s) for s in seeds}) >= 2 and (0, 1) not in seeds
    assert len({i for _, i in ex.CHECK_RUNS}) >= 2


def test_full_runs_fall_back_to_the_reference(capsys):
    def broken(seeds, iterations):
        return 1 / 0

    for fn, said in (
        (stub, "ga_reptile_sine is not written yet"),
        (lambda s, i: None, "returned None"),
        (broken, "raised ZeroDivisionError"),
        (lambda s, i: {"uniform": [1.0]}, "missing key 'agreement'"),
    ):
        results, source = ex.full_runs(fn, seeds=(3,), iterations=2)
        out = capsys.readouterr().out
        assert said in out and "reference solution" in out and out.count("\n") == 1, out
        assert source == "the reference"
        assert results == ex.ga_reptile_sine((3,), 2)
    right = ex.full_runs(ex.ga_reptile_sine, seeds=(3,), iterations=2)
    assert right[1] == "your ga_reptile_sine" and capsys.readouterr().out == ""


def test_the_cell_after_7_4_runs_when_7_4_returns_none(capsys):
    """The notebook's cell after exercise 4, with a ga_reptile_sine that returns None: it says
    what to fix and prints the reference's results instead of crashing."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    index = next(i for i, c in enumerate(cells) if "ex.check_ga_reptile_sine(" in c.source)
    after = next(c for c in cells[index + 1 :] if c.cell_type == "code")
    namespace = {"ex": ex, "np": np, "gc": gc, "gt": gt, "ga_reptile_sine": lambda *a, **k: None}
    exec(after.source, namespace)
    out = capsys.readouterr().out
    assert "returned None" in out and "reference solution" in out, out
    assert "the reference:" in out and "agreement: held-out MSE per seed" in out, out


def test_every_solution_runs_in_the_notebook_namespace(capsys):
    """Each <details> solution, executed after the notebook's import cell (not the module's
    function swapped in, as solutions mode does), runs and passes its check."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    imports = next(c.source for c in cells if c.cell_type == "code" and "import" in c.source)
    blocks = re.findall(
        r"<summary><b>Solution</b>.*?```python\n(.*?)```",
        "\n".join(c.source for c in cells if c.cell_type == "markdown"),
        re.S,
    )
    assert len(blocks) == 4
    for block in blocks:
        namespace: dict = {}
        exec(imports, namespace)
        exec(block, namespace)
        name = re.match(r"def (\w+)\(", block).group(1)
        assert namespace[name] is not getattr(ex, name)
        out = verdict(capsys, getattr(ex, f"check_{name}"), namespace[name])
        assert out.startswith("correct: "), (name, out)
