"""The exercises: every check passes its reference solution, rejects realistic wrong answers
with the intended diagnosis (and without printing the answer), and every notebook with
exercises runs in solutions mode with every check reporting success."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import gaml_core as gc
from exercises import nb01, nb02, nb03, nb04, nb07, solution_source

ROOT = Path(__file__).resolve().parents[1]
MODULES = {
    "01_tasks": nb01,
    "02_weights": nb02,
    "03_ga_maml": nb03,
    "04_ga_reptile": nb04,
    "07_questions": nb07,
}
CHECKS = [
    (mod, name[len("check_") :])
    for mod in MODULES.values()
    for name in mod.__all__
    if name.startswith("check_")
]
LONG_NUMBER_LIST = re.compile(r"\[\s*-?\d+\.\d+(?:[,\s]+-?\d+\.\d+){2,}")


def verdict(capsys, check, fn) -> str:
    check(fn)
    return capsys.readouterr().out


def stub(*args, **kwargs):
    raise NotImplementedError("the hint")


# --- Reference solutions and stubs -------------------------------------------------------------


@pytest.mark.parametrize(("mod", "name"), CHECKS, ids=[n for _, n in CHECKS])
def test_check_passes_the_reference_solution(capsys, mod, name):
    out = verdict(capsys, getattr(mod, f"check_{name}"), getattr(mod, name))
    assert out.startswith("correct: "), out
    assert "not yet right" not in out


@pytest.mark.parametrize(("mod", "name"), CHECKS, ids=[n for _, n in CHECKS])
def test_check_of_a_stub_says_not_attempted(capsys, mod, name):
    out = verdict(capsys, getattr(mod, f"check_{name}"), stub)
    assert out == "not attempted yet (the hint)\n"


def test_every_exercise_has_at_least_two_per_notebook_and_ten_in_all():
    counts = {nb: sum(n.startswith("check_") for n in mod.__all__) for nb, mod in MODULES.items()}
    assert all(c >= 2 for c in counts.values()), counts
    assert sum(c for nb, c in counts.items() if nb != "07_questions") >= 10


# --- Wrong answers, with the diagnosis each must get ----------------------------------------------


def _sine_no_feature_axis(rng, n, k, q):
    X, y, Xq, yq = nb01.sample_sine_batch(rng, n, k, q)
    return X[..., 0], y, Xq[..., 0], yq


def _sine_phase_outside(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    x = rng.uniform(-5.0, 5.0, (n, k + q, 1))
    y = amp[:, None] * np.sin(x[..., 0]) + phase[:, None]
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


def _sine_query_redrawn(rng, n, k, q):
    X, y, Xq, _ = nb01.sample_sine_batch(rng, n, k, q)
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    return X, y, Xq, amp[:, None] * np.sin(Xq[..., 0] + phase[:, None])


def _sine_target_axis(rng, n, k, q):
    X, y, Xq, yq = nb01.sample_sine_batch(rng, n, k, q)
    return X, y[..., None], Xq, yq[..., None]


def _sine_swapped(rng, n, k, q):
    X, y, Xq, yq = nb01.sample_sine_batch(rng, n, k, q)
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


def _adapted(theta, tasks, alpha, steps, query=False):
    X, y = (tasks[2], tasks[3]) if query else (tasks[0], tasks[1])
    return np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y, strict=True)])


def _loop_weights_no_abs(U):
    s = np.array([sum(U[i] @ U[j] for j in range(len(U))) for i in range(len(U))])
    return s / s.sum()


def _vectorised_with_loop(U):
    return np.array([u @ U.sum(0) for u in U]) / np.abs(U @ U.sum(0)).sum()


def _weights_no_fallback(U):
    s = U @ U.sum(0)
    return s / np.abs(s).sum()


def _grad(theta, X, y):
    return X.T @ (gc.sigmoid(X @ theta) - y) / len(y)


def _inner_fixed_gradient(theta, X, y, alpha, steps):
    grad = _grad(theta, X, y)
    for _ in range(steps):
        theta = theta - alpha * grad
    return theta


def _inner_in_place(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta -= alpha * _grad(theta, X, y)
    return theta


def _inner_summed(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta = theta - alpha * X.T @ (gc.sigmoid(X @ theta) - y)
    return theta


def _meta_variant(theta, X, y, Xq, yq, alpha, steps, at="path", order="right", sign=-1.0):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * _grad(path[-1], X, y))
    v = _grad(path[-1], Xq, yq)
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
    adapted = _adapted(theta, tasks, alpha, steps)
    points = np.broadcast_to(theta, adapted.shape) if at_theta else adapted
    grads = np.array([_grad(p, a, b) for p, a, b in zip(points, X_test, y_test, strict=True)])
    w = gc.agreement_weights(grads if weights_from_grads else theta - adapted)
    w = np.full(len(w), 1 / len(w)) if uniform else w
    return theta + sign * beta * w @ grads


def _reptile_variant(theta, tasks, alpha, beta, steps, uniform=False, sign=-1.0, scale=1.0):
    g = theta - _adapted(theta, tasks, alpha, steps)
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
        new = nb04.ga_reptile_step(theta, batch, alpha, beta, steps)
        at = new if after_step else theta
        losses.append(gc.evaluate(at, batch, alpha, steps)["loss"][row].mean())
        theta = new
    return theta, np.array(losses)


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
        res = nb07._protocol(tuple(seeds), iterations, eval_row)
        res = {k: list(v) for k, v in res.items()}
        return {"uniform": res["agreement"], "agreement": res["uniform"]} if swap else res

    return fn


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
    "update_vectors": [
        (lambda th, t, a, s: _adapted(th, t, a, s) - th, "every sign is flipped: g = θ − θ′"),
        (lambda th, t, a, s: _adapted(th, t, a, s), "you returned the adapted parameters"),
        (lambda th, t, a, s: th - _adapted(th, t, a, s, query=True), "updates of the query sets"),
        (lambda th, t, a, s: th - _adapted(th, t, a, 1), "right for one inner step, wrong for"),
        (lambda th, t, a, s: (th - _adapted(th, t, a, s)).T, "transposed? one row per task"),
    ],
    "weights_loops": [
        (_loop_weights_no_abs, "your weights sum to 1, but the paper normalises so that Σ|w| = 1"),
        (lambda U: (U @ U.sum(0)) / np.abs(U @ U.T).sum(), "the chapter's denominator"),
        (
            lambda U: np.abs(U @ U.sum(0)) / np.abs(U @ U.sum(0)).sum(),
            "no absolute value in the numerator",
        ),
        (_weights_no_fallback, "return uniform weights 1/n"),
        (lambda U: gc.agreement_weights(U)[:, None], "shape (8, 1) instead of (8,)"),
    ],
    "weights_vectorised": [
        (_vectorised_with_loop, "there is still a `for` or `while`"),
        (lambda U: (U @ U.sum(0)) / (U @ U.sum(0)).sum(), "your weights sum to 1"),
        (_weights_no_fallback, "return uniform weights 1/n"),
        (lambda U: gc.cosine_agreement_weights(U), "you scaled every update to length 1"),
    ],
    "weights_chapter": [
        (lambda U: gc.agreement_weights(U), "these are the paper's weights"),
        (lambda U: (U @ U.sum(0)) / abs((U @ U.sum(0)).sum()), "the total without absolute values"),
        (lambda U: np.abs(U @ U.T).sum(1) / np.abs(U @ U.T).sum(), "all your weights are ≥ 0"),
    ],
    "inner_loop_logistic": [
        (_inner_fixed_gradient, "right for one inner step, wrong for three: do you recompute"),
        (lambda th, X, y, a, s: nb03.inner_loop_logistic(th, X, y, a, s + 1), "one step too many"),
        (lambda th, X, y, a, s: nb03.inner_loop_logistic(th, X, y, -a, s), "you climbed the loss"),
        (_inner_summed, "k times too large"),
        (_inner_in_place, "changed an input array in place"),
    ],
    "ga_fomaml_step": [
        (lambda *a: _fomaml_variant(*a, uniform=True), "you averaged the meta-gradients"),
        (lambda *a: _fomaml_variant(*a, at_theta=True), "your meta-gradients are taken at θ"),
        (lambda *a: _fomaml_variant(*a, sign=1.0), "you stepped uphill"),
        (lambda *a: _fomaml_variant(*a, weights_from_grads=True), "come from the updates"),
        (lambda th, t, a, b, s: nb03.ga_fomaml_step(th, t, a, b, 1), "right for one inner step"),
    ],
    "exact_meta_gradient": [
        (
            lambda th, X, y, Xq, yq, a, s: _grad(nb03.inner_loop_logistic(th, X, y, a, s), Xq, yq),
            "that is the first-order meta-gradient",
        ),
        (lambda *a: _meta_variant(*a, at="start"), "right for one inner step, wrong for three"),
        (lambda *a: _meta_variant(*a, order="left"), "right factors, wrong order"),
        (lambda *a: _meta_variant(*a, sign=1.0), "(I + αH)"),
        (lambda *a: _meta_variant(*a, at="next"), "one step late"),
    ],
    "ga_reptile_step": [
        (lambda *a: _reptile_variant(*a, sign=1.0), "every sign is flipped"),
        (lambda *a: _reptile_variant(*a, uniform=True), "you averaged the updates"),
        (lambda th, t, a, b, s: nb04.ga_reptile_step(th, t, a, b, 1), "right for one inner step"),
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
WRONG_CASES = [(mod, name, fn, message) for mod, name in CHECKS for fn, message in WRONG[name]]


def test_every_check_has_at_least_three_wrong_answers():
    assert {name for _, name in CHECKS} == set(WRONG)
    assert all(len(answers) >= 3 for answers in WRONG.values())


@pytest.mark.parametrize(
    ("mod", "name", "wrong", "message"),
    WRONG_CASES,
    ids=[f"{name}-{i}" for i, (_, name, _, _) in enumerate(WRONG_CASES)],
)
def test_check_rejects_a_wrong_answer_with_its_diagnosis(capsys, mod, name, wrong, message):
    out = verdict(capsys, getattr(mod, f"check_{name}"), wrong)
    assert out.startswith("not yet right: "), out
    assert message in out, out
    assert out.count("\n") == 1, out  # one line, not a dump
    assert not LONG_NUMBER_LIST.search(out), f"the check printed numbers: {out}"


def test_zero_angle_accepts_the_rounded_angle(capsys):
    for value in (109.47, 109.4712206, 109.475):
        assert verdict(capsys, nb07.check_zero_angle, lambda v=value: v).startswith("correct: ")


def test_checks_survive_exceptions_and_none(capsys):
    def broken(*args):
        return 1 / 0

    for mod, name in CHECKS:
        out = verdict(capsys, getattr(mod, f"check_{name}"), broken)
        assert out.startswith("not yet right: ") and "ZeroDivisionError" in out, (name, out)
        out = verdict(capsys, getattr(mod, f"check_{name}"), lambda *a: None)
        assert out.startswith("not yet right: "), (name, out)


def test_wrong_shape_messages_name_both_shapes(capsys):
    out = verdict(capsys, nb02.check_weights_loops, lambda U: gc.agreement_weights(U)[:, None])
    assert "shape (8, 1) instead of (8,)" in out


# --- The notebooks ------------------------------------------------------------------------------


def notebook(stem: str):
    return nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)


SOLUTION_BLOCK = re.compile(r"<summary><b>Solution</b>.*?```python\n(.*?)```", re.S)


@pytest.mark.parametrize("stem", list(MODULES))
def test_solution_blocks_show_the_module_source(stem):
    """Every <details> solution is exactly the reference solution that the checks test."""
    mod = MODULES[stem]
    shown = [
        m.group(1)
        for cell in notebook(stem).cells
        if cell.cell_type == "markdown"
        for m in SOLUTION_BLOCK.finditer(cell.source)
    ]
    names = [re.match(r"def (\w+)\(", code).group(1) for code in shown]
    assert sorted(names) == sorted(
        n[len("check_") :] for n in mod.__all__ if n.startswith("check_")
    )
    for name, code in zip(names, shown, strict=True):
        assert code == solution_source(getattr(mod, name)), name


@pytest.mark.parametrize("stem", [*MODULES, "05_chapter_program"])
def test_every_question_has_a_collapsed_answer(stem):
    cells = [c.source for c in notebook(stem).cells if c.cell_type == "markdown"]
    text = "\n".join(cells)
    assert "## Questionnaire" in text
    quiz = text[text.index("## Questionnaire") :]
    questions = re.findall(r"^\*\*\d+\.\*\*", quiz, re.M)
    assert 5 <= len(questions) <= 8
    assert quiz.count("<details>") == len(questions)
    for source in cells:  # every "think about it" cell carries its answer, or the next cell does
        if "**Think about it" in source and "Interactive demo" not in source:
            assert "<details>" in source, source[:80]
    stubs = (
        c for c in notebook(stem).cells if c.cell_type == "code" and "@ex.exercise" in c.source
    )
    for stub_cell in stubs:
        assert "raise NotImplementedError(" in stub_cell.source


def _execute(stem: str) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = notebook(stem)
    nb.cells = [c for c in nb.cells if not re.search(r"^gd\.\w+_demo\(", c.source, re.M)]
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    return nb


@pytest.mark.parametrize("stem", list(MODULES))
def test_notebook_in_solutions_mode_passes_every_check(stem, monkeypatch):
    """GAML_SOLUTIONS=1: the notebook runs without error and every check says correct."""
    monkeypatch.setenv("GAML_SOLUTIONS", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nb = _execute(stem)
    checks = [c for c in nb.cells if c.cell_type == "code" and "ex.check_" in c.source]
    assert len(checks) == sum(n.startswith("check_") for n in MODULES[stem].__all__)
    for cell in nb.cells:
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error"], cell.source
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert text.startswith("correct: "), (cell.source[:60], text)
        assert "not yet right" not in text and "not attempted" not in text


def test_solutions_mode_swaps_in_the_reference(monkeypatch):
    monkeypatch.setenv("GAML_SOLUTIONS", "1")

    @nb02.exercise
    def weights_chapter(U):
        raise NotImplementedError

    assert weights_chapter is nb02.weights_chapter
    monkeypatch.delenv("GAML_SOLUTIONS")

    @nb02.exercise
    def weights_loops(U):
        raise NotImplementedError

    assert weights_loops is not nb02.weights_loops


def test_a_check_does_not_change_its_cases(capsys):
    """Cases are rebuilt for every call: a learner's in-place edit cannot poison the next check."""
    first = copy.deepcopy(nb02._update_cases()[0].args[0])
    verdict(capsys, nb02.check_update_vectors, lambda th, t, a, s: th.__isub__(1.0))
    assert np.array_equal(nb02._update_cases()[0].args[0], first)
