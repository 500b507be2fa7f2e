"""Exercises of notebook 4 (GA-Reptile): one GA-Reptile meta-step; a training loop around it.

Exercise 4.1 ``ga_reptile_step(theta, tasks, alpha, beta, steps)``: θ ← θ − β Σ_i w_i g_i, for a
batch ``tasks`` (a ``TaskBatch``, as the notebook's ``sample`` returns).
Exercise 4.2 ``train_ga_reptile(theta, sample, rng, iterations, alpha, beta, steps)``: run
``iterations`` GA-Reptile steps, each on a fresh batch ``sample(rng)``, and return the final θ
and the curve of mean query losses after adaptation (the ``loss_after`` of ``gc.train``).

:func:`training_curve` is what the notebook's curve cell calls: the learner's loop when it
runs, else ``gc.train``'s curve with one line saying what to fix.
"""

from __future__ import annotations

import copy
import functools
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt
from exercises import (
    NOT_ATTEMPTED,
    Case,
    Expected,
    adapted_rows,
    attempt,
    check,
    compare,
    exercise_decorator,
    explained,
    fixed_argument,
    meta_step_mistakes,
    one_entry_per_task,
    relative_error,
    run_check,
    same,
    shape_problem,
    task_weights,
    value_check,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_ga_reptile_step",
    "check_train_ga_reptile",
    "exercise",
    "ga_reptile_step",
    "train_ga_reptile",
    "training_curve",
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


# Numbers that appear in notebook 4's cells: an argument fixed to one of them is diagnosed.
NOTEBOOK_ALPHAS = (1.0, 0.1, 0.02)
NOTEBOOK_BETAS = (0.5, 0.1)  # and 1, "β ignored"
NOTEBOOK_STEPS = (3, 5)  # and 1, "1 inner step whatever `steps` is"


def _family(seed: int, dim: int, frac: float, kind: str = "flip") -> gt.LogisticTaskFamily:
    return gt.LogisticTaskFamily.create(np.random.default_rng(seed), dim, 3.0, 1.0, frac, kind)


# --- Exercise 4.1 --------------------------------------------------------------------------------

STEP_CASES = (  # label, seed, n, k, q, d, disagreeing fraction and kind, θ, α, β, steps
    ("6 tasks (2 flipped), d = 5, α = 0.6, β = 0.35, 1 inner step",
     0, 6, 8, 12, 5, 0.34, "flip", "half mean", 0.6, 0.35, 1),
    ("8 tasks (2 flipped), d = 7, α = 0.45, β = 1.3, 3 inner steps",
     1, 8, 10, 15, 7, 0.25, "flip", "half mean", 0.45, 1.3, 3),
    ("1 task, d = 4, α = 1.7, β = 0.8, 2 inner steps",
     2, 1, 6, 9, 4, 0.0, "flip", "half mean", 1.7, 0.8, 2),
    ("12 tasks (3 random labels), d = 3, θ = 0, α = 0.25, β = 0.07, 4 inner steps",
     3, 12, 7, 10, 3, 0.25, "random", "zero", 0.25, 0.07, 4),
    ("5 tasks, tiny updates (α = 1e-6), β = 0.6, 2 inner steps",
     4, 5, 10, 12, 6, 0.4, "flip", "half mean", 1e-6, 0.6, 2),
    ("7 tasks, huge updates (α = 1e6), β = 0.9, 2 inner steps",
     5, 7, 9, 11, 4, 0.3, "far", "half mean", 1e6, 0.9, 2),
)  # fmt: skip


def _step_cases() -> list[Expected]:
    cases = []
    for label, seed, n, k, q, dim, frac, kind, start, alpha, beta, steps in STEP_CASES:
        family = _family(seed + 30, dim, frac, kind)
        tasks = family.sample(np.random.default_rng(seed + 60), n, k, q)
        noise = 0.3 * np.random.default_rng(seed + 90).normal(size=dim)
        theta = 0.5 * family.mean + noise if start == "half mean" else np.zeros(dim)
        want = gc.meta_step(theta, tasks, alpha, beta, "reptile", "agreement", steps)[0]
        scale = {1e-6: "1e-6", 1e6: "1e6"}.get(alpha)
        cases.append(
            Expected(label, (theta, tasks, alpha, beta, steps), want, origin=theta, scale=scale,
                     hints=(one_entry_per_task("updates"),))
        )  # fmt: skip
    return cases


def _reptile(theta, tasks, alpha, beta, steps, weighting="paper", sign=-1.0, moved="updates",
             weights_from="updates", on="support", extra=1.0):  # fmt: skip
    adapted = adapted_rows(theta, tasks, alpha, steps, on)
    updates = theta - adapted
    if weights_from == "updates":
        vectors = updates
    elif weights_from == "adapted":
        vectors = adapted
    else:  # updates on the query sets
        vectors = theta - adapted_rows(theta, tasks, alpha, steps, "query")
    weights = task_weights(vectors, weighting)
    if moved == "towards_mean":  # θ + β (Σ_i w_i θ'_i − θ)
        return theta + beta * extra * (weights @ adapted - theta)
    if moved == "query_grads":  # the GA-FOMAML step
        _, _, X_test, y_test = tasks
        pairs = zip(adapted, X_test, y_test, strict=True)
        return theta - beta * weights @ np.array([gc.logistic_grad(a, X, y) for a, X, y in pairs])
    return theta + sign * beta * extra * weights @ (adapted if moved == "adapted" else updates)


def _reptile_reference(theta, tasks, alpha, beta, steps):
    return _reptile(theta, tasks, alpha, beta, steps)


REPTILE_MISTAKES = [
    ("every sign is flipped: Reptile moves θ towards the adapted θ'_i, "
     "θ + β Σ_i w_i (θ'_i − θ) = θ − β Σ_i w_i g_i", lambda *a: _reptile(*a, sign=1.0)),
    ("you averaged the updates (plain Reptile): GA weights each g_i by w_i",
     lambda *a: _reptile(*a, weighting="uniform")),
    ("θ + β(Σ_i w_i θ'_i − θ) is the GA step only when Σ_i w_i = 1, and GA's weights have "
     "Σ_i |w_i| = 1 instead (some are negative): step with the updates, θ − β Σ_i w_i g_i",
     lambda *a: _reptile(*a, moved="towards_mean")),
    ("you weighted the adapted parameters θ'_i; weight the updates g_i = θ − θ'_i",
     lambda *a: _reptile(*a, moved="adapted")),
    ("you stepped along the query gradients ∇L_i^test(θ'_i), as GA-FOMAML does (exercise 3.2): "
     "Reptile steps along the updates, θ − β Σ_i w_i g_i",
     lambda *a: _reptile(*a, moved="query_grads")),
    ("your weights come from the adapted parameters θ'_i; they come from the updates "
     "g_i = θ − θ'_i", lambda *a: _reptile(*a, weights_from="adapted")),
    ("your weights come from updates on the query sets; Reptile adapts on the support sets "
     "(X_train, y_train)", lambda *a: _reptile(*a, weights_from="query")),
    ("you adapted on the query sets; Reptile adapts on the support sets (X_train, y_train) "
     "and never uses the query sets", lambda *a: _reptile(*a, on="query", weights_from="query")),
    *meta_step_mistakes(_reptile, "θ − β Σ_i w_i g_i"),
    *fixed_argument(_reptile_reference, 2, "alpha", "α", NOTEBOOK_ALPHAS),
    *fixed_argument(_reptile_reference, 3, "beta", "β", NOTEBOOK_BETAS),
    *fixed_argument(_reptile_reference, 4, "steps", "steps", NOTEBOOK_STEPS),
]  # fmt: skip


@check
def check_ga_reptile_step(fn) -> bool:
    """Compare ``fn(theta, tasks, alpha, beta, steps)`` with ``gc.meta_step(..., "reptile")`` on
    TaskBatches of 1 to 12 tasks."""
    return value_check(
        fn, _step_cases(), REPTILE_MISTAKES,
        "your GA-Reptile step matches gc.meta_step(algorithm='reptile') on 6 batches of 1 to 12 "
        "tasks, several α, β and inner steps, updates from 1e-6 to 1e6",
        name="your new θ",
    )  # fmt: skip


# --- Exercise 4.2 --------------------------------------------------------------------------------

TRAIN_CASES = (  # label, family seed, d, n, k, q, fraction, kind, θ0 size, α, β, steps, its, rng
    ("12 iterations, 1 inner step, α = 0.7, β = 0.35", 0, 6, 5, 8, 12, 0.2, "flip", 0.4,
     0.7, 0.35, 1, 12, 11),
    ("7 iterations, 3 inner steps, α = 0.25, β = 1.3", 1, 9, 3, 10, 15, 0.34, "flip", 0.3,
     0.25, 1.3, 3, 7, 23),
    ("1 iteration, 2 inner steps, 11 tasks, θ = 0, α = 1.5, β = 0.05", 2, 4, 11, 6, 10, 0.25,
     "far", 0.0, 1.5, 0.05, 2, 1, 37),
    ("20 iterations, 4 inner steps, α = 0.15, β = 0.8", 3, 5, 6, 7, 9, 0.34, "random", 0.5,
     0.15, 0.8, 4, 20, 53),
)  # fmt: skip


def _engine_train(theta, sample, rng, iterations, alpha, beta, steps):
    theta, history = gc.train(theta, sample, rng, iterations, alpha, beta, "reptile",
                              "agreement", steps)  # fmt: skip
    return theta, history.loss_after


def _train_variant(theta, sample, rng, iterations, alpha, beta, steps, row="last",
                   metric="loss", record="before", eval_steps=None, step=None,
                   start=None):  # fmt: skip
    theta = np.zeros_like(theta) if start == "zeros" else theta
    eval_steps = steps if eval_steps is None else eval_steps
    step = step or (lambda th, batch, a, b, s: ga_reptile_step(th, batch, a, b, s))
    losses = []
    for _ in range(iterations):
        batch = sample(rng)
        new = step(theta, batch, alpha, beta, steps)
        values = gc.evaluate(new if record == "after" else theta, batch, alpha, eval_steps)[metric]
        losses.append(values.mean() if row == "all" else values[0 if row == "first" else -1].mean())
        theta = new
    return theta, np.array(losses)


TRAIN_MISTAKES = [
    ("your curve is the query loss at θ, before adaptation; record it after adapting each "
     "task (gc.evaluate(...)['loss'][-1]), as gc.train's loss_after does",
     lambda *a: _train_variant(*a, row="first")),
    ("you record the loss after the meta-step, at the new θ: record it before you step",
     lambda *a: _train_variant(*a, record="after")),
    ("you averaged the loss over every inner step (all rows of gc.evaluate(...)['loss']): "
     "take the last row, ['loss'][-1], and average that over the tasks",
     lambda *a: _train_variant(*a, row="all")),
    ("your curve is the accuracy; record the query loss, gc.evaluate(...)['loss'][-1]",
     lambda *a: _train_variant(*a, metric="accuracy")),
    ("your losses are after 1 inner step whatever `steps` is: pass `steps` to gc.evaluate",
     lambda *a: _train_variant(*a, eval_steps=1)),
    ("your meta-steps use 1 inner step whatever `steps` is: pass `steps` on to "
     "ga_reptile_step(theta, batch, alpha, beta, steps)",
     lambda *a: _train_variant(*a, step=lambda th, b, al, be, s: ga_reptile_step(th, b, al, be))),
    ("you passed `steps` where β goes: call ga_reptile_step(theta, batch, alpha, beta, steps)",
     lambda *a: _train_variant(*a, step=lambda th, b, al, be, s: ga_reptile_step(th, b, al, s))),
    ("your training ignores β (it is the one for β = 1): pass `beta` on to ga_reptile_step, "
     "or the curve cell's BETA changes nothing",
     lambda th, sa, r, i, a, b, s: _train_variant(th, sa, r, i, a, 1.0, s)),
    ("you applied β twice (β²): pass `beta` on to ga_reptile_step as it is",
     lambda th, sa, r, i, a, b, s: _train_variant(th, sa, r, i, a, b * b, s)),
    ("you start from zeros, not from the θ you are given",
     lambda *a: _train_variant(*a, start="zeros")),
    *[
        (message.replace("your result is", "your training is")
         + (" (the curve cell's BETA would change nothing)" if name == "beta" else ""), wrong)
        for position, name, symbol, constants in (
            (4, "alpha", "α", NOTEBOOK_ALPHAS), (5, "beta", "β", NOTEBOOK_BETAS),
            (6, "steps", "steps", NOTEBOOK_STEPS))
        for message, wrong in fixed_argument(_engine_train, position, name, symbol, constants)
    ],
]  # fmt: skip


def structure_problem(got: Any, iterations: int, dim: int) -> str | None:
    """What is wrong with the form of ``train_ga_reptile``'s result, or None: two things, θ
    first and of θ's shape, then one finite loss per iteration."""
    if got is None:
        return "train_ga_reptile returned None: return the final θ and the curve (forgot `return`?)"
    if not isinstance(got, tuple | list) or len(got) != 2:
        return "return two things: the final θ and the curve (one loss per iteration)"
    theta, curve = got
    if np.shape(curve) == (dim,) and np.shape(theta) == (iterations,) and dim != iterations:
        return "you returned (curve, θ): return θ first, then the curve"
    problem = shape_problem(theta, np.zeros(dim), "your θ")
    if problem:
        return problem
    try:
        curve = np.asarray(curve, dtype=np.float64)
    except (TypeError, ValueError):
        return "your curve should be numbers, one loss per iteration (np.array(losses))"
    if curve.ndim == 2 and curve.shape[0] == iterations:
        return (
            f"your curve has shape {curve.shape}: one number per iteration, the mean of the "
            "batch's query losses (`.mean()`)"
        )
    if curve.size != iterations:
        points = f"{curve.size} point" + ("s" if curve.size != 1 else "")
        return (
            f"your curve has {points} for {iterations} iterations ({curve.size - iterations:+d}): "
            "one loss per meta-step, recorded before the step"
        )
    if not (np.isfinite(np.asarray(theta, dtype=np.float64)).all() and np.isfinite(curve).all()):
        return "your θ or your curve holds NaN or inf"
    return None


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _learners_step(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """The ``ga_reptile_step`` that the learner's loop calls (from the notebook's namespace),
    if it calls one by that name."""
    code, names = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    if code is None or "ga_reptile_step" not in _code_names(code):
        return None
    step = names.get("ga_reptile_step")
    return step if callable(step) and step is not ga_reptile_step else None


def _passes(fn: Callable[..., Any], cases: list[Expected]) -> bool:
    """``fn`` is right on every case (silently)."""
    for case in cases:
        status, got = attempt(explained(fn), case.args)
        if status != "ok" or compare(got, case, (), "your new θ"):
            return False
    return True


def _stubs_named(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, except that a NotImplementedError raised by another function it calls (a stub of
    an earlier exercise) says which one: "finish exercise 4.1 first" for ga_reptile_step."""

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except NotImplementedError as exc:
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            code = tb.tb_frame.f_code if tb is not None else None
            if code is None or code is getattr(fn, "__code__", None):
                raise
            if code.co_name == "ga_reptile_step":
                raise NotImplementedError(
                    "finish exercise 4.1 first: your train_ga_reptile calls ga_reptile_step, "
                    "which still raises NotImplementedError"
                ) from None
            raise NotImplementedError(
                f"{code.co_name}, which your function calls, raises NotImplementedError: write "
                "it first"
            ) from None

    return call


def _learner(fn: Callable[..., Any]) -> Callable[..., Any]:
    return explained(_stubs_named(fn))


class _TrainRun:
    """One case of exercise 4.2: a task family, θ0, the settings and the seed of the rng. The
    learner's calls of ``sample(rng)`` are counted."""

    def __init__(self, spec: tuple[Any, ...]) -> None:
        label, seed, dim, n, k, q, frac, kind, size, alpha, beta, steps, iterations, rng_seed = spec
        self.label, self.dim, self.iterations, self.rng_seed = label, dim, iterations, rng_seed
        self.family, self.sizes = _family(seed + 70, dim, frac, kind), (n, k, q)
        self.theta0 = size * np.random.default_rng(seed + 80).normal(size=dim)
        self.settings = (alpha, beta, steps)
        self.calls: list[Any] = []
        calls, family, sizes = self.calls, self.family, self.sizes

        def counted(rng: np.random.Generator) -> gt.TaskBatch:
            # a plain function, not a method: the check's deep copy of the arguments keeps it
            calls.append(rng)
            return family.sample(rng, *sizes)

        self.counted = counted

    def sample(self, rng: np.random.Generator) -> gt.TaskBatch:
        return self.family.sample(rng, *self.sizes)

    def args(self, rng_seed: int | None = None, sampler: Callable[..., Any] | None = None):
        rng = np.random.default_rng(self.rng_seed if rng_seed is None else rng_seed)
        return (self.theta0.copy(), sampler or self.sample, rng, self.iterations, *self.settings)

    def matches(self, got: Any, want: tuple[Any, Any], theta_too: bool = True) -> bool:
        theta, curve = got
        return same(np.ravel(curve), want[1]) and (
            not theta_too or same(theta, want[0], self.theta0)
        )


def _diagnose_training(fn: Callable[..., Any], runs: list[_TrainRun], i: int, got: Any):
    """None if ``got`` is right in run ``i``, else the first established diagnosis: the form
    of the result, how batches are drawn, the learner's own step (exercise 4.1), a known mistake
    (the one that fits the other cases too, if several fit here), then what is right so far."""
    run = runs[i]
    problem = structure_problem(got, run.iterations, run.dim)
    if problem:
        return problem
    got = (np.asarray(got[0], dtype=np.float64), np.asarray(got[1], dtype=np.float64).ravel())
    want = _engine_train(*run.args())
    if run.matches(got, want):
        return None
    message = _sampling_problem(fn, run, got)
    if message:
        return message
    step = _learners_step(fn)
    if step is not None and not _passes(step, _step_cases()):
        return (
            "your train_ga_reptile calls your ga_reptile_step, which does not pass exercise "
            "4.1 yet: fix that first (its check says what is wrong)"
        )
    for theta_too in (True, False):
        matches = []
        for message, wrong in TRAIN_MISTAKES:
            bad = wrong(*run.args())
            if not run.matches(bad, want) and run.matches(got, bad, theta_too):
                if all(p.matches(wrong(*p.args()), _engine_train(*p.args())) for p in runs[:i]):
                    matches.append((message, wrong))  # and right where the learner was right
        if len(matches) > 1:  # name the one that also fits the learner's other results
            others = []
            for other in runs:
                status, value = attempt(_learner(fn), other.args())
                if status == "ok" and structure_problem(value, other.iterations, other.dim) is None:
                    others.append((other, value))
            for message, wrong in matches:
                if all(o.matches(v, wrong(*o.args()), theta_too) for o, v in others):
                    return message
        if matches:
            return matches[0][0]
    if same(got[1], want[1]):
        return "the curve is right but the θ you return is not the final one"
    if same(got[1][:1], want[1][:1]):
        return (
            "the first loss is right, the later ones are not: do you keep the θ that "
            "ga_reptile_step returns (theta = ga_reptile_step(...)) and step on the batch you "
            "just drew?"
        )
    return (
        f"your first loss already differs from gc.train's (relative error "
        f"{relative_error(got[1][:1], want[1][:1]):.0e}): evaluate the batch you just drew, at "
        "the current θ, after `steps` inner steps"
    )


def _sampling_problem(fn: Callable[..., Any], run: _TrainRun, got: Any) -> str | None:
    """How the learner draws batches, if that is what is wrong: the number of sample(rng)
    calls, the generators passed to it, and whether the result follows the rng given."""
    calls, iterations = run.calls, run.iterations
    if not calls:
        return "your function never calls sample(rng): draw a fresh batch in every iteration"
    if len(calls) != iterations:
        if len(calls) == 1:
            return (
                "you train on the same batch every iteration: draw a fresh one with "
                "sample(rng) inside the loop"
            )
        if len(calls) == 2 * iterations:
            return (
                "you call sample(rng) twice per iteration: draw one batch, record its loss "
                "and take the meta-step on that same batch"
            )
        return (
            f"you call sample(rng) {len(calls)} times for {iterations} iterations: exactly "
            "once per iteration"
        )
    if len({id(rng) for rng in calls}) > 1:
        return (
            "you pass sample() a new generator in every iteration: draw every batch with "
            "sample(rng), from the rng you are given"
        )
    learner = _learner(fn)
    status, again = attempt(learner, run.args())
    if status == "ok" and structure_problem(again, iterations, run.dim) is None:
        if not (same(again[0], got[0]) and same(np.ravel(again[1]), got[1])):
            return (
                "your result changes from run to run with the same rng: draw every batch with "
                "sample(rng), from the rng you are given, and no other randomness"
            )
    status, other = attempt(learner, run.args(rng_seed=run.rng_seed + 1000))
    if status == "ok" and structure_problem(other, iterations, run.dim) is None:
        if same(other[0], got[0]) and same(np.ravel(other[1]), got[1]):
            return (
                "your result does not depend on the rng you are given: do you create or "
                "re-seed a generator yourself (np.random.default_rng(...))? Draw every batch "
                "with sample(rng)"
            )
    return None


@check
def check_train_ga_reptile(fn) -> bool:
    """Compare ``fn(theta, sample, rng, iterations, alpha, beta, steps)`` with ``gc.train``."""
    runs = [_TrainRun(spec) for spec in TRAIN_CASES]

    def judge(i: int) -> Callable[[Any], str | None]:
        return lambda got: _diagnose_training(fn, runs, i, got)

    cases = [
        Case(run.label, run.args(sampler=run.counted), None, diagnose=judge(i))
        for i, run in enumerate(runs)
    ]
    success = (
        "your loop retraces gc.train(algorithm='reptile'): same θ, same curve, for 1 to 20 "
        "iterations and several θ0, α, β and inner steps"
    )
    return run_check(_learner(fn), cases, (), success)


# --- The notebook's curve cell -------------------------------------------------------------------


def training_curve(train, theta, sample, rng, iterations, alpha, beta, steps):
    """The training curve for the notebook's cell, and where it comes from.

    The learner's ``train(theta, sample, rng, iterations, alpha, beta, steps)`` when it runs and
    returns θ and one finite loss per iteration; otherwise ``gc.train``'s curve, with the reason
    (not done yet, an error, None, a curve of the wrong form) in the returned source text, so
    that the cell carries on. A learner's curve that differs from ``gc.train``'s says so.
    """
    _, history = gc.train(theta, sample, copy.deepcopy(rng), iterations, alpha, beta,
                          "reptile", "agreement", steps)  # fmt: skip
    engine = history.loss_after
    status, got = attempt(_learner(train), (theta, sample, rng, iterations, alpha, beta, steps))
    if status == "todo":
        if "finish exercise 4.1 first" in got:
            return engine, "gc.train (finish exercise 4.1 first: your loop calls its stub)"
        return engine, "gc.train (exercise 4.2 not done yet)"
    if status != "ok":
        got = got.replace("your function", "your train_ga_reptile", 1)
        return engine, f"gc.train, because {got}; fix exercise 4.2"
    problem = structure_problem(got, iterations, np.shape(theta)[-1])
    if problem:
        return engine, f"gc.train, because of exercise 4.2: {problem}"
    curve = np.asarray(got[1], dtype=np.float64).ravel()
    if same(curve, engine):
        return curve, "your train_ga_reptile"
    return curve, "your train_ga_reptile (its curve differs from gc.train's: see exercise 4.2)"
