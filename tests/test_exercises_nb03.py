"""Exercises of notebook 03: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_testing import assert_accepted, assert_rejected, grad_logistic

import gaml_core as gc
from exercises import nb03 as ex

# --- Exercise 3.1: the inner loop ----------------------------------------------------------------


def _inner(theta, X, y, alpha, steps, grad=grad_logistic):
    for _ in range(steps):
        theta = theta - alpha * grad(theta, X, y)
    return theta


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
    return _inner(theta, X, y, alpha, steps, lambda t, X, y: X.T @ (gc.sigmoid(X @ t) - y))


def _inner_by_d(theta, X, y, alpha, steps):
    return _inner(
        theta, X, y, alpha, steps, lambda t, X, y: grad_logistic(t, X, y) * len(y) / len(t)
    )


def _inner_squared_error(theta, X, y, alpha, steps):
    def grad(t, X, y):
        s = gc.sigmoid(X @ t)
        return X.T @ ((s - y) * s * (1 - s)) / len(y)

    return _inner(theta, X, y, alpha, steps, grad)


def _inner_logits(theta, X, y, alpha, steps):
    return _inner(theta, X, y, alpha, steps, lambda t, X, y: X.T @ (X @ t - y) / len(y))


def _inner_overflowing_sigmoid(theta, X, y, alpha, steps):
    def grad(t, X, y):
        e = np.exp(X @ t)
        return X.T @ (e / (1 + e) - y) / len(y)

    return _inner(theta, X, y, alpha, steps, grad)


def _inner_rounded(theta, X, y, alpha, steps):
    return np.round(_inner(theta, X, y, alpha, steps), 10)  # "clean" digits: wrong at 1e-6


def _inner_wrong_axis(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta = theta - alpha * np.mean(X * (gc.sigmoid(X @ theta) - y)[:, None], axis=1)
    return theta


def _inner_by_ten(theta, X, y, alpha, steps):
    return _inner(theta, X, y, alpha, steps, lambda t, X, y: X.T @ (gc.sigmoid(X @ t) - y) / 10)


def _fomaml_adapted_on_query(theta, tasks, alpha, beta, steps=1):
    _, _, X_test, y_test = tasks
    adapted = [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_test, y_test, strict=True)]
    grads = [gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, X_test, y_test, strict=True)]
    return theta - beta * gc.agreement_weights(theta - np.array(adapted)) @ np.array(grads)


def _fomaml_reptile_step(theta, tasks, alpha, beta, steps=1):
    return gc.meta_step(theta, tasks, alpha, beta, "reptile", "agreement", steps)[0]


def _inner_path(theta, X, y, alpha, steps):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * grad_logistic(path[-1], X, y))
    return path


def _inner_range_from_one(theta, X, y, alpha, steps):
    for _ in range(1, steps):
        theta = theta - alpha * grad_logistic(theta, X, y)
    return theta


# --- Exercise 3.2: a first-order GA-MAML step ----------------------------------------------------


def _paper_weights(U, eps=0.0, by="abs"):
    scores = (U @ U.T).sum(axis=1)
    return scores / ((np.abs(scores).sum() if by == "abs" else scores.sum()) + eps)


def _fomaml(theta, tasks, alpha, beta, steps, uniform=False, at_theta=False, sign=-1.0,
            weights_from="updates", on="query", eps=0.0, by="abs", second_order=False,
            beta_used=None):  # fmt: skip
    X_train, y_train, X_test, y_test = tasks
    new = np.array(
        [_inner(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train, strict=True)]
    )
    points = np.broadcast_to(theta, new.shape) if at_theta else new
    Xg, yg = (X_test, y_test) if on == "query" else (X_train, y_train)
    if second_order:
        grads = np.array([
            gc.maml_meta_gradient(theta, *task, alpha, steps)
            for task in zip(X_train, y_train, X_test, y_test, strict=True)
        ])  # fmt: skip
    else:
        grads = np.array([grad_logistic(p, a, b) for p, a, b in zip(points, Xg, yg, strict=True)])
    vectors = {"updates": theta - new, "grads": grads, "adapted": new}[weights_from]
    w = np.full(len(grads), 1 / len(grads)) if uniform else _paper_weights(vectors, eps, by)
    return theta + sign * (beta if beta_used is None else beta_used) * w @ grads


def _fomaml_indexed(theta, tasks, alpha, beta, steps=1):
    adapted = np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(tasks[0], tasks[1], strict=True)]
    )
    grads = np.array(
        [gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, tasks[2], tasks[3], strict=True)]
    )
    return theta - beta * gc.agreement_weights(theta - adapted) @ grads


def _fomaml_wrong_axis(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks
    adapted = np.array(
        [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train, strict=True)]
    )
    grads = np.array(
        [gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, X_test, y_test, strict=True)]
    )
    w = gc.agreement_weights(theta - adapted)
    return (w[:, None] * grads).sum(axis=1)


# --- Exercise 3.3: the exact meta-gradient -------------------------------------------------------


def _meta(theta, X, y, Xq, yq, alpha, steps, at="path", order="right", sign=-1.0, c="sigma_prime",
          ts=None, start="query", hessian_on="support"):  # fmt: skip
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * grad_logistic(path[-1], X, y))
    v = grad_logistic(path[-1], Xq, yq) if start == "query" else grad_logistic(path[-1], X, y)
    ts = list(range(steps)) if ts is None else ts(steps)
    for t in reversed(ts) if order == "right" else ts:
        point = path[{"path": t, "start": 0, "next": t + 1, "end": -1}[at]]
        Xh, yh = (X, y) if hessian_on == "support" else (Xq, yq)
        s = gc.sigmoid(Xh @ point)
        curvature = {"sigma_prime": s * (1 - s), "residual": s - yh, "sigma": s}[c]
        v = v + sign * alpha * Xh.T @ (curvature * (Xh @ v)) / len(yh)
    return v


def _meta_by_d(theta, X, y, Xq, yq, alpha, steps):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * grad_logistic(path[-1], X, y))
    v = grad_logistic(path[-1], Xq, yq)
    for t in reversed(range(steps)):
        s = gc.sigmoid(X @ path[t])
        v = v - alpha * X.T @ (s * (1 - s) * (X @ v)) / X.shape[1]
    return v


def _fixed(fn, position, value):
    def wrong(*args):
        args = list(args)
        args[position] = value
        return fn(*args)

    return wrong


WRONG = {
    "inner_loop_logistic": [
        (_inner_fixed_gradient, "you reuse the first gradient"),
        (lambda th, X, y, a, s: ex.inner_loop_logistic(th, X, y, a, s + 1), "one step too many"),
        (_inner_range_from_one, "one step too few"),
        (lambda th, X, y, a, s: ex.inner_loop_logistic(th, X, y, -a, s), "you climbed the loss"),
        (_inner_summed, "k times too large"),
        (_inner_by_d, "you divided by d, the number of features"),
        (_inner_squared_error, "squared-error gradient"),
        (_inner_logits, "you used the logits Xθ as predictions"),
        (_inner_in_place, "changed an input array in place"),
        (_fixed(ex.inner_loop_logistic, 3, 1.0), "α = 1, whatever `alpha` is"),
        (_fixed(ex.inner_loop_logistic, 3, 0.1), "α = 0.1, whatever `alpha` is"),
        (_fixed(ex.inner_loop_logistic, 4, 3), "steps = 3, whatever `steps` is"),
        (_inner_overflowing_sigmoid, "NaN or inf: for large |Xθ| a hand-written σ"),
        (_inner_rounded, "wrong for updates of about 1e-6"),
        (_inner_wrong_axis, "a mean or sum over the wrong axis"),
        (_inner_path, "you returned the whole path"),
        (_inner_by_ten, "you divided by 10, the k of the notebook's tasks"),
    ],
    "ga_fomaml_step": [
        (lambda *a: _fomaml(*a, uniform=True), "you averaged the meta-gradients"),
        (lambda *a: _fomaml(*a, at_theta=True), "your meta-gradients are taken at θ"),
        (lambda *a: _fomaml(*a, on="support"), "your meta-gradients use the support sets"),
        (lambda *a: _fomaml(*a, second_order=True), "exact (second-order) meta-gradient"),
        (lambda *a: _fomaml(*a, sign=1.0), "you stepped uphill"),
        (lambda *a: _fomaml(*a, weights_from="grads"), "come from the updates"),
        (lambda *a: _fomaml(*a, weights_from="adapted"), "come from the adapted parameters"),
        (lambda *a: _fomaml(*a, by="sum"), "your weights are divided by their sum"),
        (lambda *a: _fomaml(*a, eps=1e-8), "wrong for updates of about 1e-6"),
        (lambda th, t, a, b, s: _fomaml(th, t, a, b, s, beta_used=1.0), "your step ignores β"),
        (lambda th, t, a, b, s: _fomaml(th, t, a, b, s, beta_used=b * b), "β twice"),
        (lambda th, t, a, b, s: ex.ga_fomaml_step(th, t, a, b, 1), "1 inner step whatever"),
        (_fixed(ex.ga_fomaml_step, 2, 1.0), "α = 1, whatever `alpha` is"),
        (_fixed(ex.ga_fomaml_step, 4, 3), "steps = 3, whatever `steps` is"),
        (_fomaml_indexed, "a TaskBatch cannot be indexed like tasks[0]"),
        (_fomaml_wrong_axis, "one entry per task"),
        (_fomaml_adapted_on_query, "you adapted on the query sets"),
        (_fomaml_reptile_step, "you stepped along the updates g_i, as GA-Reptile does"),
        (
            lambda th, t, a, b, s: th + (ex.ga_fomaml_step(th, t, a, b, s) - th) / t.n_tasks,
            "you divided by n once more",
        ),
    ],
    "exact_meta_gradient": [
        (
            lambda th, X, y, Xq, yq, a, s: grad_logistic(
                ex.inner_loop_logistic(th, X, y, a, s), Xq, yq
            ),
            "that is the first-order meta-gradient",
        ),
        (lambda *a: _meta(*a, at="start"), "every factor's Hessian is taken at θ:"),
        (lambda *a: _meta(*a, at="end"), "every factor's Hessian is taken at θ'"),
        (lambda *a: _meta(*a, at="next"), "one step late"),
        (lambda *a: _meta(*a, order="left"), "right factors, wrong order"),
        (lambda *a: _meta(*a, sign=1.0), "(I + αH)"),
        (lambda *a: _meta(*a, c="residual"), "uses σ − y where σ′ = σ(1 − σ) belongs"),
        (lambda *a: _meta(*a, c="sigma"), "uses σ where σ′ = σ(1 − σ) belongs"),
        (lambda *a: _meta(*a, ts=lambda s: range(1, s)), "t = 0 is missing"),
        (lambda *a: _meta(*a, ts=lambda s: range(s + 1)), "one factor too many"),
        (lambda *a: _meta(*a, start="support"), "you started from the support loss's gradient"),
        (lambda *a: _meta(*a, hessian_on="query"), "your Hessians are the query loss's"),
        (_meta_by_d, "divides by d, the number of features"),
        (_fixed(ex.exact_meta_gradient, 5, 1.0), "α = 1, whatever `alpha` is"),
    ],
}


# --- Correct answers written differently from the reference solution -----------------------------


def _inner_vectorised(theta, X, y, alpha, steps):
    step = 0
    while step < steps:
        p = 1.0 / (1.0 + np.exp(-(X @ theta)))  # a hand-written σ that cannot overflow to NaN
        theta = theta - alpha * np.mean(X * (p - y)[:, None], axis=0)
        step += 1
    return theta


def _inner_copy_then_in_place(theta, X, y, alpha, steps):
    theta = theta.copy()
    for _ in range(steps):
        theta -= alpha * gc.logistic_grad(theta, X, y)
    return theta


def _fomaml_attributes(theta, tasks, alpha, beta, steps=1):
    """Against the notebook's own object: a TaskBatch read by attribute, weights by hand."""
    adapted = np.array([
        ex.inner_loop_logistic(theta, tasks.X_train[i], tasks.y_train[i], alpha, steps)
        for i in range(tasks.n_tasks)
    ])  # fmt: skip
    U = theta - adapted
    weights = _paper_weights(U)
    grads = [gc.logistic_grad(adapted[i], tasks.X_test[i], tasks.y_test[i]) for i in range(len(U))]
    return theta - beta * sum(w * g for w, g in zip(weights, grads, strict=True))


def _fomaml_engine(theta, tasks, alpha, beta, steps=1):
    return gc.meta_step(theta, tasks, alpha, beta, "fomaml", "agreement", steps)[0]


def _meta_full_hessians(theta, X, y, Xq, yq, alpha, steps):
    jacobian, point = np.eye(len(theta)), theta
    for _ in range(steps):  # left to right, as matrices: J = Π_t (I − α H(θ^(t)))
        s = gc.sigmoid(X @ point)
        H = X.T @ (X * (s * (1 - s))[:, None]) / len(y)
        jacobian = jacobian @ (np.eye(len(theta)) - alpha * H)
        point = point - alpha * gc.logistic_grad(point, X, y)
    return jacobian @ gc.logistic_grad(point, Xq, yq)


def _meta_recursive(theta, X, y, Xq, yq, alpha, steps):
    if steps == 0:
        return gc.logistic_grad(theta, Xq, yq)
    v = _meta_recursive(
        theta - alpha * gc.logistic_grad(theta, X, y), X, y, Xq, yq, alpha, steps - 1
    )
    s = gc.sigmoid(X @ theta)
    return v - alpha * X.T @ (s * (1 - s) * (X @ v)) / len(y)


RIGHT = [
    ("inner_loop_logistic", _inner_vectorised),
    ("inner_loop_logistic", _inner_copy_then_in_place),
    ("ga_fomaml_step", _fomaml_attributes),
    ("ga_fomaml_step", _fomaml_engine),
    ("exact_meta_gradient", _meta_full_hessians),
    ("exact_meta_gradient", _meta_recursive),
]
WRONG_CASES = [(name, fn, message) for name, answers in WRONG.items() for fn, message in answers]


def test_every_check_has_at_least_three_wrong_answers():
    checks = {n[len("check_") :] for n in ex.__all__ if n.startswith("check_")}
    assert checks == set(WRONG)
    assert all(len(answers) >= 3 for answers in WRONG.values())
    assert {name for name, _ in RIGHT} == checks
    assert all(sum(n == name for n, _ in RIGHT) >= 2 for name in checks)


@pytest.mark.parametrize(
    ("name", "wrong", "message"),
    WRONG_CASES,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(WRONG_CASES)],
)
def test_check_rejects_a_wrong_answer_with_its_diagnosis(capsys, name, wrong, message):
    assert_rejected(capsys, getattr(ex, f"check_{name}"), wrong, message)


@pytest.mark.parametrize(
    ("name", "right"), RIGHT, ids=[f"{n}-{i}" for i, (n, _) in enumerate(RIGHT)]
)
def test_check_accepts_a_correct_alternative(capsys, name, right):
    assert_accepted(capsys, getattr(ex, f"check_{name}"), right)


# --- The cases themselves: nothing a learner could fix in the code is fixed in them -------------


def test_cases_vary_every_argument_and_avoid_the_notebooks_numbers():
    inner = [c.args for c in ex._inner_cases()]
    batch = [c.args for c in ex._batch_cases()]
    meta = [c.args for c in ex._meta_cases()]
    for args, alpha_at, steps_at in ((inner, 3, 4), (batch, 2, 4), (meta, 5, 6)):
        alphas = [a[alpha_at] for a in args]
        assert len(set(alphas)) == len(alphas) and not set(alphas) & set(ex.NOTEBOOK_ALPHAS)
        assert len({a[steps_at] for a in args}) >= 4
        assert len({a[0].shape[0] for a in args}) >= 3  # dimensions
    betas = [a[3] for a in batch]
    assert len(set(betas)) == len(betas) and not set(betas) & set(ex.NOTEBOOK_BETAS)
    assert len({a[1].n_tasks for a in batch}) >= 4
    for theta, X, *_ in inner + meta:  # points and features never coincide: axes can't hide
        assert X.shape[0] != theta.shape[0]
    for theta, tasks, *_ in batch:
        assert tasks.n_tasks != theta.shape[0] and tasks.X_train.shape[1] != theta.shape[0]


def test_some_batch_has_a_negative_weight():
    """With all weights positive, Σ_i w_i = 1 and normalising by Σ s_k instead of Σ |s_k| would
    go unnoticed."""
    negative = 0
    for case in ex._batch_cases():
        theta, tasks, alpha, _, steps = case.args
        pairs = zip(tasks.X_train, tasks.y_train, strict=True)
        adapted = [gc.adapt(theta, X, y, alpha, steps) for X, y in pairs]
        negative += (gc.agreement_weights(theta - np.array(adapted)) < 0).any()
    assert negative >= 2


def test_scaled_cases_exist_where_the_weights_are_scale_free():
    for cases in (ex._inner_cases(), ex._batch_cases()):
        assert {c.scale for c in cases} >= {"1e-6", "1e6"}
