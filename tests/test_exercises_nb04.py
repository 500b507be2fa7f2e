"""Exercises of notebook 04: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept; the
curve cell's fallback when exercise 4.2 is unfinished."""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
from exercise_testing import answer_tests, stub, verdict

import gaml_core as gc
from exercises import nb04 as ex
from exercises import solution_source

ROOT = Path(__file__).resolve().parents[1]

# --- Exercise 4.1: one GA-Reptile step -----------------------------------------------------------


def _adapted(theta, tasks, alpha, steps, on="support"):
    X_train, y_train, X_test, y_test = tasks
    X, y = (X_train, y_train) if on == "support" else (X_test, y_test)
    return np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y, strict=True)])


def _weights(U, by="abs", eps=0.0):
    scores = U @ U.sum(axis=0)
    if by == "none":
        return scores
    return scores / ((np.abs(scores).sum() if by == "abs" else scores.sum()) + eps)


def _reptile(theta, tasks, alpha, beta, steps, uniform=False, sign=-1.0, scale=1.0, by="abs",
             eps=0.0, on="support", towards_mean=False, move_adapted=False):  # fmt: skip
    new = _adapted(theta, tasks, alpha, steps, on)
    g = theta - new
    w = np.full(len(g), 1 / len(g)) if uniform else _weights(g, by, eps)
    if towards_mean:
        return theta + beta * (w @ new - theta)
    return theta + sign * beta * scale * w @ (new if move_adapted else g)


def _reptile_query_weights(theta, tasks, alpha, beta, steps=1):
    g = theta - _adapted(theta, tasks, alpha, steps)
    w = gc.agreement_weights(theta - _adapted(theta, tasks, alpha, steps, on="query"))
    return theta - beta * w @ g


def _reptile_np_average(theta, tasks, alpha, beta, steps=1):
    g = theta - _adapted(theta, tasks, alpha, steps)
    return theta - beta * np.average(g, axis=0, weights=gc.agreement_weights(g))


def _reptile_fomaml_step(theta, tasks, alpha, beta, steps=1):
    return gc.meta_step(theta, tasks, alpha, beta, "fomaml", "agreement", steps)[0]


def _reptile_indexed(theta, tasks, alpha, beta, steps=1):
    X_train, y_train = tasks[0], tasks[1]
    g = theta - np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train, strict=True)]
    )
    return theta - beta * gc.agreement_weights(g) @ g


def _reptile_eight_tasks(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks
    g = np.array([theta - gc.adapt(theta, X_train[i], y_train[i], alpha, steps) for i in range(8)])
    return theta - beta * gc.agreement_weights(g) @ g


def _reptile_wrong_axis(theta, tasks, alpha, beta, steps=1):
    g = theta - _adapted(theta, tasks, alpha, steps)
    return theta[0] - beta * (gc.agreement_weights(g)[:, None] * g).sum(axis=1)


def _fixed(fn, position, value):
    def wrong(*args):
        args = list(args)
        args[position] = value
        return fn(*args)

    return wrong


# --- Exercise 4.2: the training loop -------------------------------------------------------------


def _train(theta, sample, rng, iterations, alpha, beta, steps, row=-1, fresh=True, extra=0,
           after_step=False, step=None, metric="loss", eval_steps=None, start=None,
           draws=1):  # fmt: skip
    step = step or ex.ga_reptile_step
    theta = np.zeros_like(theta) if start == "zeros" else theta
    losses, batch = [], None
    for _ in range(iterations + extra):
        batch = sample(rng) if fresh or batch is None else batch
        train_batch = sample(rng) if draws == 2 else batch
        new = step(theta, train_batch, alpha, beta, steps)
        at = new if after_step else theta
        values = gc.evaluate(at, batch, alpha, steps if eval_steps is None else eval_steps)
        losses.append(values[metric].mean() if row == "all" else values[metric][row].mean())
        theta = new
    return theta, np.array(losses)


def _train_swapped(*args):
    theta, curve = ex.train_ga_reptile(*args)
    return curve, theta


def _train_reseeded(theta, sample, rng, iterations, alpha, beta, steps=1):
    rng = np.random.default_rng(0)  # "for reproducibility"
    return ex.train_ga_reptile(theta, sample, rng, iterations, alpha, beta, steps)


def _train_reseeded_in_loop(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = []
    for t in range(iterations):
        batch = sample(np.random.default_rng(t))
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][-1].mean())
        theta = ex.ga_reptile_step(theta, batch, alpha, beta, steps)
    return theta, np.array(losses)


def _train_unseeded(theta, sample, rng, iterations, alpha, beta, steps=1):
    return ex.train_ga_reptile(
        theta, sample, np.random.default_rng(), iterations, alpha, beta, steps
    )


def _train_initial_theta(theta, sample, rng, iterations, alpha, beta, steps=1):
    _, curve = ex.train_ga_reptile(theta, sample, rng, iterations, alpha, beta, steps)
    return theta, curve


def _train_drops_the_step(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = []
    for _ in range(iterations):
        batch = sample(rng)
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][-1].mean())
        ex.ga_reptile_step(theta, batch, alpha, beta, steps)  # the new θ is thrown away
    return theta, np.array(losses)


def _train_per_task_losses(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = []
    for _ in range(iterations):
        batch = sample(rng)
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][-1])  # no .mean()
        theta = ex.ga_reptile_step(theta, batch, alpha, beta, steps)
    return theta, np.array(losses)


def _train_with_step(step_source: str):
    """A learner's train_ga_reptile defined in a namespace whose ga_reptile_step is
    ``step_source``, as in the notebook (the loop finds the step among its globals)."""
    namespace = {"np": np, "gc": gc}
    exec(step_source, namespace)
    exec(solution_source(ex.train_ga_reptile), namespace)
    return namespace["train_ga_reptile"]


STEP_IGNORING_BETA = """
def ga_reptile_step(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks
    g = np.array([theta - gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)])
    return theta - 0.5 * gc.agreement_weights(g) @ g
"""
STEP_STUB = """
def ga_reptile_step(theta, tasks, alpha, beta, steps=1):
    raise NotImplementedError("adapt each task, g_i = θ − θ'_i, their weights, θ − β Σ w_i g_i")
"""


# --- Answers of an outside reviewer who read only the notebooks: each cell's code as typed ---


# Notebook 4's ga_reptile_step once exercise 4.1 is done: its Solution block typed into the
# notebook. The reviewer's 4.2 answers call it as a global, as the notebook's cells do.
_notebook: dict = {"np": np, "gc": gc}
exec(solution_source(ex.ga_reptile_step), _notebook)
ga_reptile_step = _notebook["ga_reptile_step"]


# outside reviewer, 4.1-w1: Sign error: θ + β Σ w_i g_i (moves away from the adapted parameters).
def _reviewer_4_1_w1(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks
    updates = theta - np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)]  # noqa: B905
    )
    return theta + beta * gc.agreement_weights(updates) @ updates


# outside reviewer, 4.1-w2: Plain Reptile: uniform average of the updates, no agreement weights.
def _reviewer_4_1_w2(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks
    updates = theta - np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)]  # noqa: B905
    )
    return theta - beta * updates.mean(axis=0)


# outside reviewer, 4.1-w3: Adapts on the query sets instead of the support sets.
def _reviewer_4_1_w3(theta, tasks, alpha, beta, steps=1):
    _, _, X_test, y_test = tasks
    updates = theta - np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_test, y_test)]  # noqa: B905
    )
    return theta - beta * gc.agreement_weights(updates) @ updates


# outside reviewer, 4.1-w4: Ignores steps: one inner step always.
def _reviewer_4_1_w4(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks
    updates = theta - np.array([gc.adapt(theta, X, y, alpha) for X, y in zip(X_train, y_train)])  # noqa: B905
    return theta - beta * gc.agreement_weights(updates) @ updates


# outside reviewer, 4.1-w5: Weights computed from the adapted parameters θ'_i instead of the updates
# g_i.
def _reviewer_4_1_w5(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks
    adapted = np.array([gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)])  # noqa: B905
    return theta - beta * gc.agreement_weights(adapted) @ (theta - adapted)


# outside reviewer, 4.1-r1: Weights and updates from gc.meta_step(beta=0) info, then the notebook's
# by_hand formula.
def _reviewer_4_1_r1(theta, tasks, alpha, beta, steps=1):
    _, info = gc.meta_step(theta, tasks, alpha, 0.0, algorithm="reptile", inner_steps=steps)
    return theta - beta * info["weights"] @ info["updates"]


# outside reviewer, 4.1-r2: θ + β Σ w_i (θ'_i − θ) written with an explicit loop over tasks.
def _reviewer_4_1_r2(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, _, _ = tasks
    adapted = [gc.adapt(theta, X_train[i], y_train[i], alpha, steps) for i in range(len(y_train))]
    w = gc.agreement_weights(np.array([theta - a for a in adapted]))
    new = theta.copy()
    for w_i, a in zip(w, adapted):  # noqa: B905
        new = new + beta * w_i * (a - theta)
    return new


# outside reviewer, 4.2-w1: Records the loss after the meta-step (θ_{t+1} on the batch it just
# learned from).
def _reviewer_4_2_w1(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = []
    for _ in range(iterations):
        batch = sample(rng)
        theta = ga_reptile_step(theta, batch, alpha, beta, steps)
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][-1].mean())
    return theta, np.array(losses)


# outside reviewer, 4.2-w2: Records the query loss before adaptation (row 0) instead of after (row
# -1).
def _reviewer_4_2_w2(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = []
    for _ in range(iterations):
        batch = sample(rng)
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][0].mean())
        theta = ga_reptile_step(theta, batch, alpha, beta, steps)
    return theta, np.array(losses)


# outside reviewer, 4.2-w3: Samples one batch before the loop and trains on it every iteration.
def _reviewer_4_2_w3(theta, sample, rng, iterations, alpha, beta, steps=1):
    batch = sample(rng)
    losses = []
    for _ in range(iterations):
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][-1].mean())
        theta = ga_reptile_step(theta, batch, alpha, beta, steps)
    return theta, np.array(losses)


# outside reviewer, 4.2-w4: Re-seeds: samples from a fresh np.random.default_rng(6) (the notebook's
# seed) instead of rng.
def _reviewer_4_2_w4(theta, sample, rng, iterations, alpha, beta, steps=1):
    gen = np.random.default_rng(6)
    losses = []
    for _ in range(iterations):
        batch = sample(gen)
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][-1].mean())
        theta = ga_reptile_step(theta, batch, alpha, beta, steps)
    return theta, np.array(losses)


# outside reviewer, 4.2-w5: Forgets to pass steps to ga_reptile_step (meta-steps always use one
# inner step).
def _reviewer_4_2_w5(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = []
    for _ in range(iterations):
        batch = sample(rng)
        losses.append(gc.evaluate(theta, batch, alpha, steps)["loss"][-1].mean())
        theta = ga_reptile_step(theta, batch, alpha, beta)
    return theta, np.array(losses)


# outside reviewer, 4.2-r1: Preallocated loss array, row index `steps` of the evaluate output.
def _reviewer_4_2_r1(theta, sample, rng, iterations, alpha, beta, steps=1):
    losses = np.empty(iterations)
    for t in range(iterations):
        batch = sample(rng)
        losses[t] = np.mean(gc.evaluate(theta, batch, alpha, steps)["loss"][steps])
        theta = ga_reptile_step(theta, batch, alpha, beta, steps=steps)
    return theta, losses


# outside reviewer, 4.2-r2: while loop; loss after adaptation computed by hand with gc.adapt and
# gc.logistic_loss.
def _reviewer_4_2_r2(theta, sample, rng, iterations, alpha, beta, steps=1):
    curve = []
    t = 0
    while t < iterations:
        X_train, y_train, X_test, y_test = sample(rng)
        curve.append(
            np.mean(
                [
                    gc.logistic_loss(gc.adapt(theta, X, y, alpha, steps), Xq, yq)
                    for X, y, Xq, yq in zip(X_train, y_train, X_test, y_test)  # noqa: B905
                ]
            )
        )
        theta = ga_reptile_step(theta, (X_train, y_train, X_test, y_test), alpha, beta, steps)
        t += 1
    return theta, np.asarray(curve)


WRONG = {
    "ga_reptile_step": [
        (lambda *a: _reptile(*a, sign=1.0), "every sign is flipped"),
        (lambda *a: _reptile(*a, uniform=True), "you averaged the updates"),
        (lambda th, t, a, b, s: ex.ga_reptile_step(th, t, a, b, 1), "1 inner step whatever"),
        (lambda th, t, a, b, s: _reptile(th, t, a, b, s, scale=1 / len(t.X_train)), "by n once"),
        (lambda th, t, a, b, s: _reptile(th, t, a, 1.0, s), "your step ignores β"),
        (lambda th, t, a, b, s: _reptile(th, t, a, b * b, s), "you applied β twice"),
        (lambda *a: _reptile(*a, towards_mean=True), "only when Σ_i w_i = 1"),
        (lambda *a: _reptile(*a, move_adapted=True), "you weighted the adapted parameters"),
        (_reptile_query_weights, "your weights come from updates on the query sets"),
        (lambda *a: _reptile(*a, on="query"), "you adapted on the query sets"),
        (lambda *a: _reptile(*a, by="sum"), "your weights are divided by their sum"),
        (lambda *a: _reptile(*a, by="none"), "your weights are not normalised"),
        (lambda *a: _reptile(*a, eps=1e-8), "wrong for updates of about 1e-6"),
        (_fixed(ex.ga_reptile_step, 2, 1.0), "α = 1, whatever `alpha` is"),
        (_fixed(ex.ga_reptile_step, 2, 0.1), "α = 0.1, whatever `alpha` is"),
        (_fixed(ex.ga_reptile_step, 3, 0.5), "β = 0.5, whatever `beta` is"),
        (_fixed(ex.ga_reptile_step, 4, 3), "steps = 3, whatever `steps` is"),
        (_reptile_indexed, "a TaskBatch cannot be indexed like tasks[0]"),
        (_reptile_eight_tasks, "is a size fixed in your code?"),
        (_reptile_wrong_axis, "one entry per task"),
        (_reptile_np_average, "np.average(..., weights=w) does that too"),
        (_reptile_fomaml_step, "as GA-FOMAML does (exercise 3.2)"),
        (
            _reviewer_4_1_w1,
            "every sign is flipped: Reptile moves θ towards the adapted θ'_i",
        ),  # outside reviewer, 4.1-w1
        (_reviewer_4_1_w2, "you averaged the updates (plain Reptile)"),  # outside reviewer, 4.1-w2
        (_reviewer_4_1_w3, "you adapted on the query sets"),  # outside reviewer, 4.1-w3
        (
            _reviewer_4_1_w4,
            "your θ'_i come from 1 inner step whatever `steps` is",
        ),  # outside reviewer, 4.1-w4
        (
            _reviewer_4_1_w5,
            "your weights come from the adapted parameters θ'_i",
        ),  # outside reviewer, 4.1-w5
    ],
    "train_ga_reptile": [
        (lambda *a: _train(*a, row=0), "before adaptation"),
        (lambda *a: _train(*a, fresh=False), "the same batch every iteration"),
        (lambda *a: _train(*a, extra=1), "your curve has"),
        (lambda *a: _train(*a, after_step=True), "record it before you step"),
        (lambda *a: _train(*a, draws=2), "you call sample(rng) twice per iteration"),
        (_train_swapped, "you returned (curve, θ)"),
        (_train_reseeded, "does not depend on the rng you are given"),
        (_train_reseeded_in_loop, "a new generator in every iteration"),
        (_train_unseeded, "changes from run to run"),
        (lambda *a: _train(*a, row="all"), "averaged the loss over every inner step"),
        (lambda *a: _train(*a, metric="accuracy"), "your curve is the accuracy"),
        (lambda *a: _train(*a, eval_steps=1), "your losses are after 1 inner step"),
        (
            lambda *a: _train(*a, step=lambda th, b, a, be, s: ex.ga_reptile_step(th, b, a, be)),
            "your meta-steps use 1 inner step",
        ),
        (
            lambda *a: _train(*a, step=lambda th, b, a, be, s: ex.ga_reptile_step(th, b, a, s)),
            "you passed `steps` where β goes",
        ),
        (
            lambda *a: _train(
                *a, step=lambda th, b, a, be, s: ex.ga_reptile_step(th, b, a, 0.5, s)
            ),
            "β = 0.5, whatever `beta` is",
        ),
        (
            lambda *a: _train(
                *a, step=lambda th, b, a, be, s: ex.ga_reptile_step(th, b, a, 1.0, s)
            ),
            "your training ignores β",
        ),
        (lambda *a: _train(*a, start="zeros"), "you start from zeros"),
        (_fixed(ex.train_ga_reptile, 4, 0.1), "α = 0.1, whatever `alpha` is"),
        (_train_initial_theta, "the θ you return is not the final one"),
        (_train_drops_the_step, "the first loss is right, the later ones are not"),
        (_train_per_task_losses, "one number per iteration"),
        (lambda *a: None, "train_ga_reptile returned None"),
        (_train_with_step(STEP_IGNORING_BETA), "does not pass exercise 4.1 yet"),
        (_reviewer_4_2_w1, "you record the loss after the meta-step"),  # outside reviewer, 4.2-w1
        (
            _reviewer_4_2_w2,
            "your curve is the query loss at θ, before adaptation",
        ),  # outside reviewer, 4.2-w2
        (
            _reviewer_4_2_w3,
            "you train on the same batch every iteration",
        ),  # outside reviewer, 4.2-w3
        (
            _reviewer_4_2_w4,
            "your result does not depend on the rng you are given",
        ),  # outside reviewer, 4.2-w4
        (
            _reviewer_4_2_w5,
            "your meta-steps use 1 inner step whatever `steps` is",
        ),  # outside reviewer, 4.2-w5
    ],
}


# --- Correct answers written differently from the reference solution -----------------------------


def _reptile_attributes(theta, tasks, alpha, beta, steps=1):
    """Against the notebook's own object: a TaskBatch read by attribute, the step as a move
    towards every θ'_i."""
    adapted = [
        gc.adapt(theta, X, y, alpha, steps)
        for X, y in zip(tasks.X_train, tasks.y_train, strict=True)
    ]
    w = gc.agreement_weights(np.array([theta - a for a in adapted]))
    return theta + beta * sum(wi * (a - theta) for wi, a in zip(w, adapted, strict=True))


def _reptile_engine(theta, tasks, alpha, beta, steps=1):
    return gc.meta_step(theta, tasks, alpha, beta, "reptile", "agreement", steps)[0]


def _train_engine_steps(theta, sample, rng, iterations, alpha, beta, steps=1):
    curve = np.empty(iterations)
    for t in range(iterations):
        batch = sample(rng)
        theta, info = gc.meta_step(theta, batch, alpha, beta, "reptile", "agreement", steps)
        curve[t] = info["loss_after"].mean()  # recorded by meta_step at θ before its step
    return theta, curve


def _train_attributes(theta, sample, rng, iterations, alpha, beta, steps=1):
    """Against the notebook's objects: the batch is the TaskBatch sample(rng) returns."""
    losses = []
    while len(losses) < iterations:
        batch = sample(rng)
        pairs = zip(batch.X_train, batch.y_train, batch.X_test, batch.y_test, strict=True)
        losses.append(
            np.mean([gc.logistic_loss(gc.adapt(theta, X, y, alpha, steps), Xq, yq)
                     for X, y, Xq, yq in pairs])
        )  # fmt: skip
        theta = _reptile_attributes(theta, batch, alpha, beta, steps)
    return theta, losses


RIGHT = [
    ("ga_reptile_step", _reptile_attributes),
    ("ga_reptile_step", _reptile_engine),
    ("train_ga_reptile", _train_engine_steps),
    ("train_ga_reptile", _train_attributes),
    ("train_ga_reptile", _train_with_step(solution_source(ex.ga_reptile_step))),
    ("ga_reptile_step", _reviewer_4_1_r1),  # outside reviewer, 4.1-r1
    ("ga_reptile_step", _reviewer_4_1_r2),  # outside reviewer, 4.1-r2
    ("train_ga_reptile", _reviewer_4_2_r1),  # outside reviewer, 4.2-r1
    ("train_ga_reptile", _reviewer_4_2_r2),  # outside reviewer, 4.2-r2
]
(
    test_every_check_has_three_wrong_and_two_right_answers,
    test_check_rejects_a_wrong_answer_with_its_diagnosis,
    test_check_accepts_a_correct_alternative,
) = answer_tests(ex, WRONG, RIGHT)


def test_training_with_a_stub_step_says_finish_exercise_4_1_first(capsys):
    out = verdict(capsys, ex.check_train_ga_reptile, _train_with_step(STEP_STUB))
    assert out.startswith("not attempted yet (finish exercise 4.1 first"), out
    assert out.count("\n") == 1
    assert verdict(capsys, ex.check_train_ga_reptile, stub) == "not attempted yet (the hint)\n"


# --- The cases themselves ------------------------------------------------------------------------


def test_cases_vary_every_argument_and_avoid_the_notebooks_numbers():
    steps = [c.args for c in ex._step_cases()]
    runs = [ex._TrainRun(spec) for spec in ex.TRAIN_CASES]
    for alphas, betas in (
        ([a[2] for a in steps], [a[3] for a in steps]),
        ([r.settings[0] for r in runs], [r.settings[1] for r in runs]),
    ):
        assert len(set(alphas)) == len(alphas) and not set(alphas) & {*ex.NOTEBOOK_ALPHAS, 1.0}
        assert len(set(betas)) == len(betas) and not set(betas) & {*ex.NOTEBOOK_BETAS, 1.0}
    assert len({a[4] for a in steps}) >= 4 and len({r.settings[2] for r in runs}) >= 3
    assert len({a[0].shape[0] for a in steps}) >= 4 and len({r.dim for r in runs}) >= 3
    assert len({a[1].n_tasks for a in steps}) >= 4 and len({r.sizes[0] for r in runs}) >= 3
    assert len({r.iterations for r in runs}) == len(runs) and 300 not in {
        r.iterations for r in runs
    }
    assert {r.rng_seed for r in runs}.isdisjoint({0, 6})  # the notebook's and a habitual seed
    assert any(np.any(r.theta0) for r in runs) and not all(np.any(r.theta0) for r in runs)
    for r in runs:  # a swapped (curve, θ) pair is told apart by its shapes
        assert r.iterations != r.dim
    assert {c.scale for c in ex._step_cases()} >= {"1e-6", "1e6"}


# --- The curve cell: it runs whatever state exercise 4.2 is in -----------------------------------


def _curve_namespace(train) -> dict:
    """Notebook 4's cells up to the curve cell, run in a namespace where train_ga_reptile is
    ``train``; returns the namespace after the curve cell ran."""
    matplotlib.use("Agg")
    cells = {
        c.get("id"): c.source
        for c in nbformat.read(ROOT / "notebooks" / "04_ga_reptile.ipynb", as_version=4).cells
    }
    curve_cell = next(src for src in cells.values() if "BETA =" in src)
    namespace: dict = {}
    old = os.getcwd()
    try:
        os.chdir(ROOT / "notebooks")
        exec(next(src for src in cells.values() if "from exercises import nb04" in src), namespace)
        exec(
            next(src for src in cells.values() if "family = gt.LogisticTaskFamily" in src),
            namespace,
        )
        namespace["train_ga_reptile"] = train
        exec(curve_cell, namespace)
    finally:
        os.chdir(old)
        import matplotlib.pyplot as plt

        plt.close("all")
    return namespace


@pytest.mark.parametrize(
    ("train", "reason"),
    [
        (lambda *a: None, "returned None"),
        (stub, "exercise 4.2 not done yet"),
        (lambda *a: 1 / 0, "raised ZeroDivisionError"),
        (_train_with_step(STEP_STUB), "finish exercise 4.1 first"),
        (lambda th, *a: (th, [0.5]), "your curve has 1 point for 300 iterations"),
    ],
    ids=["none", "stub", "raises", "stub-4.1", "short-curve"],
)
def test_curve_cell_falls_back_on_gc_train(capsys, train, reason):
    namespace = _curve_namespace(train)
    line = capsys.readouterr().out.strip().splitlines()[-1]  # the curve cell's line
    assert line.startswith("gc.train"), line
    assert reason in line and "beta = 0.1" in line, line
    assert len(namespace["curve"]) == 300


def test_curve_cell_reflects_beta_and_flags_a_curve_unlike_gc_train():
    def ignores_beta(theta, sample, rng, iterations, alpha, beta, steps=1):
        return ex.train_ga_reptile(theta, sample, rng, iterations, alpha, 0.5, steps)

    curves = {}
    for beta in (0.1, 2.0):
        _, curve_ref = gc.train(np.zeros(3), _tiny_sample, np.random.default_rng(6), 30, 0.1,
                                beta, "reptile", "agreement", 3)  # fmt: skip
        curve, source = ex.training_curve(
            ex.train_ga_reptile,
            np.zeros(3),
            _tiny_sample,
            np.random.default_rng(6),
            30,
            0.1,
            beta,
            3,
        )
        assert source == "your train_ga_reptile"
        np.testing.assert_allclose(curve, curve_ref.loss_after)
        curves[beta] = curve
    assert not np.allclose(curves[0.1], curves[2.0])  # the curve follows β
    _, source = ex.training_curve(
        ignores_beta, np.zeros(3), _tiny_sample, np.random.default_rng(6), 30, 0.1, 0.1, 3
    )
    assert "differs from gc.train's" in source


def _tiny_sample(rng):
    from gaml_tasks import LogisticTaskFamily

    family = LogisticTaskFamily(np.array([2.0, -1.0, 0.5]), 0.5)
    return family.sample(rng, 4, 6, 8)


def test_the_curve_cell_calls_the_helper():
    nb = nbformat.read(ROOT / "notebooks" / "04_ga_reptile.ipynb", as_version=4)
    cell = next(c.source for c in nb.cells if "BETA =" in c.source)
    assert re.search(r"ex\.training_curve\(train_ga_reptile, \*args\)", cell), cell
