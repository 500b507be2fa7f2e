"""Exercises of notebook 03: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
from exercise_testing import answer_tests, grad_logistic

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


# --- Answers of an outside reviewer who read only the notebooks: each cell's code as typed ---


# outside reviewer, 3.1-w1: Updates θ in place (theta -= ...), modifying the caller's array.
def _reviewer_3_1_w1(theta, X, y, alpha, steps):
    for _ in range(steps):
        grad = X.T @ (gc.sigmoid(X @ theta) - y) / len(y)
        theta -= alpha * grad
    return theta


# outside reviewer, 3.1-w2: Computes the gradient once, before the loop, and reuses it at every
# step.
def _reviewer_3_1_w2(theta, X, y, alpha, steps):
    grad = X.T @ (gc.sigmoid(X @ theta) - y) / len(y)
    for _ in range(steps):
        theta = theta - alpha * grad
    return theta


# outside reviewer, 3.1-w3: Gradient not divided by k (sum instead of mean over the support points).
def _reviewer_3_1_w3(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta = theta - alpha * X.T @ (gc.sigmoid(X @ theta) - y)
    return theta


# outside reviewer, 3.1-w4: Off by one: range(1, steps) takes steps − 1 steps.
def _reviewer_3_1_w4(theta, X, y, alpha, steps):
    for _ in range(1, steps):
        theta = theta - alpha * X.T @ (gc.sigmoid(X @ theta) - y) / len(y)
    return theta


# outside reviewer, 3.1-w5: Divides by the number of features d (X.shape[1]) instead of the number
# of points k.
def _reviewer_3_1_w5(theta, X, y, alpha, steps):
    for _ in range(steps):
        theta = theta - alpha * X.T @ (gc.sigmoid(X @ theta) - y) / X.shape[1]
    return theta


# outside reviewer, 3.1-r1: Works on a copy with in-place updates; gradient as a mean of per-point
# gradients.
def _reviewer_3_1_r1(theta, X, y, alpha, steps):
    theta = np.array(theta, dtype=float, copy=True)
    for _ in range(steps):
        residual = gc.sigmoid(X @ theta) - y
        theta -= alpha * (residual[:, None] * X).mean(axis=0)
    return theta


# outside reviewer, 3.1-r2: while loop with its own sigmoid 1/(1+e^-z) and np.dot.
def _reviewer_3_1_r2(theta, X, y, alpha, steps):
    k = X.shape[0]
    t = 0
    while t < steps:
        p = 1.0 / (1.0 + np.exp(-np.dot(X, theta)))
        theta = theta - alpha * np.dot(X.T, p - y) / k
        t += 1
    return theta


# outside reviewer, 3.2-w1: Query gradients taken at θ instead of at the adapted θ'_i.
def _reviewer_3_2_w1(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks
    adapted = np.array([gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)])  # noqa: B905
    weights = gc.agreement_weights(theta - adapted)
    grads = np.array([gc.logistic_grad(theta, X, y) for X, y in zip(X_test, y_test)])  # noqa: B905
    return theta - beta * weights @ grads


# outside reviewer, 3.2-w2: Weights computed from the query gradients instead of from the updates θ
# − θ'_i.
def _reviewer_3_2_w2(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks
    adapted = np.array([gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)])  # noqa: B905
    grads = np.array([gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, X_test, y_test)])  # noqa: B905
    return theta - beta * gc.agreement_weights(grads) @ grads


# outside reviewer, 3.2-w3: Meta-gradient on the support set at θ'_i instead of the query set.
def _reviewer_3_2_w3(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks  # noqa: RUF059
    adapted = np.array([gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)])  # noqa: B905
    weights = gc.agreement_weights(theta - adapted)
    grads = np.array([gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, X_train, y_train)])  # noqa: B905
    return theta - beta * weights @ grads


# outside reviewer, 3.2-w4: Forgets the weights: plain first-order MAML average of the query
# gradients.
def _reviewer_3_2_w4(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks
    adapted = [gc.adapt(theta, X, y, alpha, steps) for X, y in zip(X_train, y_train)]  # noqa: B905
    grads = np.array([gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, X_test, y_test)])  # noqa: B905
    return theta - beta * grads.mean(axis=0)


# outside reviewer, 3.2-w5: Ignores steps: adapts with one inner step whatever steps is.
def _reviewer_3_2_w5(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks
    adapted = np.array([gc.adapt(theta, X, y, alpha) for X, y in zip(X_train, y_train)])  # noqa: B905
    weights = gc.agreement_weights(theta - adapted)
    grads = np.array([gc.logistic_grad(a, X, y) for a, X, y in zip(adapted, X_test, y_test)])  # noqa: B905
    return theta - beta * weights @ grads


# outside reviewer, 3.2-r1: Weights from θ'_i − θ (sign-invariant) and an explicit weighted-sum
# loop.
def _reviewer_3_2_r1(theta, tasks, alpha, beta, steps=1):
    X_train, y_train, X_test, y_test = tasks
    adapted = [gc.adapt(theta, X_train[i], y_train[i], alpha, steps) for i in range(len(X_train))]
    w = gc.agreement_weights(np.array(adapted) - theta)
    direction = np.zeros_like(theta)
    for i, a in enumerate(adapted):
        direction = direction + w[i] * gc.logistic_grad(a, X_test[i], y_test[i])
    return theta - beta * direction


# outside reviewer, 3.2-r2: Directions from gc.maml_meta_gradient(first_order=True), combined with
# einsum.
def _reviewer_3_2_r2(theta, tasks, alpha, beta, steps=1):
    Xs, ys, Xq, yq = tasks
    n = len(Xs)
    updates = np.stack([theta - gc.adapt(theta, Xs[i], ys[i], alpha, steps) for i in range(n)])
    directions = np.stack(
        [
            gc.maml_meta_gradient(theta, Xs[i], ys[i], Xq[i], yq[i], alpha, steps, first_order=True)
            for i in range(n)
        ]
    )
    return theta - beta * np.einsum("i,ip->p", gc.agreement_weights(updates), directions)


# outside reviewer, 3.3-w1: Off by one on the trajectory: factor t uses the Hessian at θ^(t+1)
# instead of θ^(t).
def _reviewer_3_3_w1(theta, X, y, Xq, yq, alpha, steps):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * gc.logistic_grad(path[-1], X, y))
    v = gc.logistic_grad(path[-1], Xq, yq)
    for t in reversed(range(steps)):
        s = gc.sigmoid(X @ path[t + 1])
        v = v - alpha * X.T @ (s * (1 - s) * (X @ v)) / len(y)
    return v


# outside reviewer, 3.3-w2: Applies the factors left to right (t = 0 first) instead of right to
# left.
def _reviewer_3_3_w2(theta, X, y, Xq, yq, alpha, steps):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * gc.logistic_grad(path[-1], X, y))
    v = gc.logistic_grad(path[-1], Xq, yq)
    for t in range(steps):
        s = gc.sigmoid(X @ path[t])
        v = v - alpha * X.T @ (s * (1 - s) * (X @ v)) / len(y)
    return v


# outside reviewer, 3.3-w3: Hessian-vector products on the query set instead of the support set.
def _reviewer_3_3_w3(theta, X, y, Xq, yq, alpha, steps):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * gc.logistic_grad(path[-1], X, y))
    v = gc.logistic_grad(path[-1], Xq, yq)
    for t in reversed(range(steps)):
        s = gc.sigmoid(Xq @ path[t])
        v = v - alpha * Xq.T @ (s * (1 - s) * (Xq @ v)) / len(yq)
    return v


# outside reviewer, 3.3-w4: Uses σ instead of σ' = σ(1 − σ) in the Hessian-vector product.
def _reviewer_3_3_w4(theta, X, y, Xq, yq, alpha, steps):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * gc.logistic_grad(path[-1], X, y))
    v = gc.logistic_grad(path[-1], Xq, yq)
    for t in reversed(range(steps)):
        v = v - alpha * X.T @ (gc.sigmoid(X @ path[t]) * (X @ v)) / len(y)
    return v


# outside reviewer, 3.3-w5: First-order shortcut: returns ∇L_test(θ') with no Hessian factors.
def _reviewer_3_3_w5(theta, X, y, Xq, yq, alpha, steps):
    adapted = gc.adapt(theta, X, y, alpha, steps)
    return gc.logistic_grad(adapted, Xq, yq)


# outside reviewer, 3.3-r1: Uses the engine's LogisticModel().hvp for the Hessian-vector products.
def _reviewer_3_3_r1(theta, X, y, Xq, yq, alpha, steps):
    model = gc.LogisticModel()
    points = [np.asarray(theta, dtype=float)]
    for _ in range(steps):
        points.append(points[-1] - alpha * gc.logistic_grad(points[-1], X, y))
    v = gc.logistic_grad(points[-1], Xq, yq)
    for t in range(steps - 1, -1, -1):
        v = v - alpha * model.hvp(points[t], X, v)
    return v


# outside reviewer, 3.3-r2: σ' via tanh, einsum products, trajectory stored in an array, the points
# list reversed.
def _reviewer_3_3_r2(theta, X, y, Xq, yq, alpha, steps):
    k = len(y)
    trajectory = np.empty((steps + 1, len(theta)))
    trajectory[0] = theta
    for t in range(steps):
        z = X @ trajectory[t]
        trajectory[t + 1] = trajectory[t] - alpha * np.einsum("kd,k->d", X, gc.sigmoid(z) - y) / k
    v = np.einsum("qd,q->d", Xq, gc.sigmoid(Xq @ trajectory[-1]) - yq) / len(yq)
    for point in trajectory[:-1][::-1]:
        curvature = 0.25 * (1.0 - np.tanh(0.5 * (X @ point)) ** 2)
        v = v - alpha * np.einsum("kd,k->d", X, curvature * (X @ v)) / k
    return v


# outside reviewer, 3.3-x1: Extra probe: Hessian-vector product divided by the query size len(yq)
# instead of k.
def _reviewer_3_3_x1(theta, X, y, Xq, yq, alpha, steps):
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - alpha * gc.logistic_grad(path[-1], X, y))
    v = gc.logistic_grad(path[-1], Xq, yq)
    for t in reversed(range(steps)):
        s = gc.sigmoid(X @ path[t])
        v = v - alpha * X.T @ (s * (1 - s) * (X @ v)) / len(yq)
    return v


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
        (
            _reviewer_3_1_w1,
            "your function changed an input array in place",
        ),  # outside reviewer, 3.1-w1
        (_reviewer_3_1_w2, "you reuse the first gradient"),  # outside reviewer, 3.1-w2
        (_reviewer_3_1_w3, "your gradient is k times too large"),  # outside reviewer, 3.1-w3
        (_reviewer_3_1_w4, "one step too few"),  # outside reviewer, 3.1-w4
        (_reviewer_3_1_w5, "you divided by d, the number of features"),  # outside reviewer, 3.1-w5
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
        (_reviewer_3_2_w1, "your meta-gradients are taken at θ"),  # outside reviewer, 3.2-w1
        (_reviewer_3_2_w2, "your weights come from the meta-gradients"),  # outside reviewer, 3.2-w2
        (_reviewer_3_2_w3, "your meta-gradients use the support sets"),  # outside reviewer, 3.2-w3
        (
            _reviewer_3_2_w4,
            "you averaged the meta-gradients (plain first-order MAML)",
        ),  # outside reviewer, 3.2-w4
        (
            _reviewer_3_2_w5,
            "your θ'_i come from 1 inner step whatever `steps` is",
        ),  # outside reviewer, 3.2-w5
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
        (_reviewer_3_3_w1, "your Hessians are one step late"),  # outside reviewer, 3.3-w1
        (_reviewer_3_3_w2, "right factors, wrong order"),  # outside reviewer, 3.3-w2
        (_reviewer_3_3_w3, "your Hessians are the query loss's"),  # outside reviewer, 3.3-w3
        (
            _reviewer_3_3_w4,
            "your Hessian-vector product uses σ where σ′ = σ(1 − σ) belongs",
        ),  # outside reviewer, 3.3-w4
        (_reviewer_3_3_w5, "that is the first-order meta-gradient"),  # outside reviewer, 3.3-w5
        (
            _reviewer_3_3_x1,
            "your Hessian-vector product divides by the number of query points, len(yq)",
        ),  # outside reviewer, 3.3-x1
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
    ("inner_loop_logistic", _reviewer_3_1_r1),  # outside reviewer, 3.1-r1
    ("inner_loop_logistic", _reviewer_3_1_r2),  # outside reviewer, 3.1-r2
    ("ga_fomaml_step", _reviewer_3_2_r1),  # outside reviewer, 3.2-r1
    ("ga_fomaml_step", _reviewer_3_2_r2),  # outside reviewer, 3.2-r2
    ("exact_meta_gradient", _reviewer_3_3_r1),  # outside reviewer, 3.3-r1
    ("exact_meta_gradient", _reviewer_3_3_r2),  # outside reviewer, 3.3-r2
]
(
    test_every_check_has_three_wrong_and_two_right_answers,
    test_check_rejects_a_wrong_answer_with_its_diagnosis,
    test_check_accepts_a_correct_alternative,
) = answer_tests(ex, WRONG, RIGHT)


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
