"""Tests of gaml_core against independent computations: finite differences, literal formulas,
invariants. No expected value here is copied from the module's own output."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numeric import numeric_grad

import gaml_core as gc
import gaml_tasks as gt

# ---------------------------------------------------------------------------------------------
# Independent reference implementations (plain Python loops, written from the formulas)
# ---------------------------------------------------------------------------------------------


def exact_scores(g: np.ndarray) -> list[Fraction]:
    """s_i = Σ_j g_iᵀg_j in exact rational arithmetic (every float is a rational)."""
    rows = [[Fraction(float(v)) for v in row] for row in g]
    return [sum(sum(a * b for a, b in zip(gi, gj, strict=True)) for gj in rows) for gi in rows]


def literal_paper_weights(g: np.ndarray) -> np.ndarray:
    """w_i = Σ_j g_iᵀg_j / Σ_k |Σ_j g_kᵀg_j|, one product at a time, exactly."""
    sums = exact_scores(g)
    denom = sum(abs(s) for s in sums)
    if denom == 0:
        return np.full(len(g), 1 / len(g))
    return np.array([float(s / denom) for s in sums])


def rounding_bound(g: np.ndarray) -> float:
    """How far a floating-point evaluation of the weights may honestly be from the exact ones.

    Each s_i is a sum of n·p products; its rounding error is at most about n·p·ε times the
    sum of the products' magnitudes. Relative to the exact denominator that is the condition
    number of the problem (large when agreement sums nearly cancel).
    """
    a = np.abs(g)
    magnitude = float((a @ a.sum(axis=0)).sum())
    denom = float(sum(abs(s) for s in exact_scores(g)))
    if denom == 0:
        return math.inf
    n, p = g.shape
    return 1e-13 + 8 * (n * p + 4) * np.finfo(float).eps * magnitude / denom


def chapter_double_loop(g: np.ndarray) -> np.ndarray:
    """The chapter's normalisation as its double loop computes it, in exact arithmetic."""
    rows = [[Fraction(float(v)) for v in row] for row in g]
    n = len(rows)

    def dot(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    normalization_factor = Fraction(0)
    for i in range(n):
        for j in range(n):
            normalization_factor += abs(dot(rows[i], rows[j]))
    w = [Fraction(0)] * n
    for i in range(n):
        for j in range(n):
            w[i] += dot(rows[i], rows[j])
        w[i] = w[i] / normalization_factor
    return np.array([float(v) for v in w])


def bce_naive(theta, X, y):
    p = 1 / (1 + np.exp(-(X @ theta)))
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))


# ---------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
update_arrays = st.tuples(st.integers(1, 6), st.integers(1, 8)).flatmap(
    lambda s: arrays(np.float64, s, elements=finite)
)


@settings(max_examples=200, deadline=None)
@given(update_arrays)
def test_weights_match_literal_formula(g):
    w = gc.agreement_weights(g)
    bound = rounding_bound(g)
    if math.isinf(bound):  # exact agreement sums all 0: the convention is uniform weights
        assert math.isclose(np.abs(w).sum(), 1.0)
        return
    assert np.abs(w - literal_paper_weights(g)).max() <= bound


@settings(max_examples=200, deadline=None)
@given(update_arrays)
def test_weights_abs_sum_to_one_or_uniform(g):
    w = gc.agreement_weights(g)
    assert w.dtype == np.float64 and w.shape == (len(g),)
    assert math.isclose(np.abs(w).sum(), 1.0, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(update_arrays, st.floats(1e-6, 1e6))
def test_weights_scale_invariant(g, c):
    # Only where c·g is g scaled: an entry that under- or overflows is a different input.
    assume(np.array_equal(c * g != 0, g != 0) and np.isfinite(c * g).all())
    np.testing.assert_allclose(gc.agreement_weights(c * g), gc.agreement_weights(g), atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(update_arrays, st.randoms(use_true_random=False))
def test_weights_permutation_equivariant(g, random):
    perm = list(range(len(g)))
    random.shuffle(perm)
    np.testing.assert_allclose(
        gc.agreement_weights(g[perm]), gc.agreement_weights(g)[perm], atol=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(update_arrays)
def test_weight_sign_is_sign_of_agreement(g):
    w = gc.agreement_weights(g)
    exact = literal_paper_weights(g)
    clear = np.abs(exact) > rounding_bound(g)  # signs that rounding cannot flip
    assert np.array_equal(np.sign(w[clear]), np.sign(exact[clear]))


@given(st.integers(1, 10), arrays(np.float64, st.integers(1, 6), elements=finite))
def test_equal_updates_give_uniform_weights(n, row):
    w = gc.agreement_weights(np.tile(row, (n, 1)))
    np.testing.assert_allclose(w, np.full(n, 1 / n), rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(update_arrays)
def test_chapter_variant_equals_double_loop(g):
    got = gc.agreement_weights(g, normalization="chapter")
    if not g.any():
        np.testing.assert_allclose(got, np.full(len(g), 1 / len(g)))
        return
    # each entry of the Gram matrix is computed to ~p·ε of its magnitude
    rows = [[Fraction(float(v)) for v in row] for row in g]
    magnitude = sum(abs(x * y) for gi in rows for gj in rows for x, y in zip(gi, gj, strict=True))
    denom = sum(abs(sum(x * y for x, y in zip(gi, gj, strict=True))) for gi in rows for gj in rows)
    bound = 1e-13 + 8 * (g.shape[1] + 4) * np.finfo(float).eps * float(magnitude / denom)
    assert np.abs(got - chapter_double_loop(g)).max() <= bound


@settings(max_examples=100, deadline=None)
@given(update_arrays)
def test_chapter_and_paper_have_same_ratios(g):
    paper = gc.agreement_weights(g)
    chapter = gc.agreement_weights(g, normalization="chapter")
    if not g.any():
        return
    # chapter = paper * Σ_k|Σ_j G_kj| / Σ_ij|G_ij|, a positive factor <= 1
    big = np.argmax(np.abs(paper))
    if abs(paper[big]) < 1e-12:
        return
    factor = chapter[big] / paper[big]
    assert 0 < factor <= 1 + 1e-12
    np.testing.assert_allclose(chapter, factor * paper, atol=1e-12)


def test_zero_denominator_gives_uniform():
    np.testing.assert_array_equal(gc.agreement_weights(np.zeros((4, 3))), np.full(4, 0.25))
    # two opposite updates: Σ_j g_j = 0 so every agreement sum is 0
    g = np.array([[1.0, 2.0], [-1.0, -2.0]])
    np.testing.assert_array_equal(gc.agreement_weights(g), [0.5, 0.5])
    # the chapter's denominator Σ_ij |g_iᵀg_j| is not 0 here, so its weights are 0: no update
    np.testing.assert_array_equal(gc.agreement_weights(g, "chapter"), [0.0, 0.0])
    np.testing.assert_array_equal(gc.agreement_weights(np.zeros((2, 3)), "chapter"), [0.5, 0.5])


@pytest.mark.parametrize("c", [1e-200, 1e-150, 1e150, 1e200])
def test_weights_survive_extreme_scales(c):
    g = np.array([[1.0, 0.5, -0.2], [0.8, 0.1, 0.3], [-1.0, 0.2, 0.0]])
    for norm in ("paper", "chapter"):
        np.testing.assert_allclose(
            gc.agreement_weights(c * g, norm), gc.agreement_weights(g, norm), rtol=1e-12
        )


def test_dissenter_gets_negative_weight():
    g = np.array([[1.0, 0.0], [1.0, 0.1], [0.9, -0.1], [-1.0, 0.0]])
    w = gc.agreement_weights(g)
    assert w[3] < 0 < min(w[:3])


def test_cosine_weights_ignore_length():
    g = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    longer = g * np.array([[100.0], [1.0], [0.01]])
    np.testing.assert_allclose(
        gc.cosine_agreement_weights(longer), gc.cosine_agreement_weights(g), rtol=1e-12
    )
    unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    np.testing.assert_allclose(gc.cosine_agreement_weights(g), literal_paper_weights(unit))


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros(3), "2-D"),
        (np.zeros((2, 2, 2)), "2-D"),
        (np.zeros((0, 3)), "at least one task"),
        (np.array([[1.0, np.nan]]), "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "NaN or infinite"),
        (np.array([[-np.inf, 1.0]]), "NaN or infinite"),
    ],
)
def test_weights_reject_bad_updates(bad, message):
    for norm in ("paper", "chapter"):
        with pytest.raises(ValueError, match=message):
            gc.agreement_weights(bad, norm)


def test_weights_reject_unknown_normalization():
    with pytest.raises(ValueError, match="normalization"):
        gc.agreement_weights(np.ones((2, 2)), "median")


# ---------------------------------------------------------------------------------------------
# Logistic model
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def task():
    rng = np.random.default_rng(3)
    fam = gt.LogisticTaskFamily.create(rng, dim=6, spread=0.7)
    b = fam.sample(rng, 1, k_shot=9, q_query=7)
    return b.X_train[0], b.y_train[0], b.X_test[0], b.y_test[0], rng.normal(size=6) * 0.5


def test_loss_matches_naive_formula(task):
    X, y, _, _, theta = task
    assert math.isclose(gc.logistic_loss(theta, X, y), bce_naive(theta, X, y), rel_tol=1e-12)


def test_logistic_grad_matches_finite_differences(task):
    X, y, _, _, theta = task
    fd = numeric_grad(lambda t: gc.logistic_loss(t, X, y), theta)
    np.testing.assert_allclose(gc.logistic_grad(theta, X, y), fd, atol=1e-8)


def test_loss_is_stable_for_huge_logits():
    X = np.array([[1.0], [-1.0], [1.0]])
    y = np.array([0.0, 1.0, 1.0])
    theta = np.array([1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = gc.logistic_loss(theta, X, y)
        grad = gc.logistic_grad(theta, X, y)
    # two points are wrong by a margin of 1e4 nats, one is right: (1e4 + 1e4 + 0) / 3
    assert math.isclose(loss, 2e4 / 3, rel_tol=1e-12)
    np.testing.assert_allclose(grad, [(1 + 1 + 0) / 3])
    assert np.isfinite(gc.adapt(theta, X, y, alpha=0.1, steps=3)).all()


def test_adapt_is_repeated_gradient_steps(task):
    X, y, _, _, theta = task
    expected = theta.copy()
    for _ in range(4):
        expected = expected - 0.3 * gc.logistic_grad(expected, X, y)
    np.testing.assert_allclose(gc.adapt(theta, X, y, 0.3, steps=4), expected, rtol=1e-14)


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_second_order_meta_gradient_matches_finite_differences(task, steps):
    X, y, Xt, yt, theta = task
    alpha = 0.8

    def outer(t):
        return gc.logistic_loss(gc.adapt(t, X, y, alpha, steps), Xt, yt)

    fd = numeric_grad(outer, theta)
    exact = gc.maml_meta_gradient(theta, X, y, Xt, yt, alpha, steps)
    np.testing.assert_allclose(exact, fd, atol=1e-8)


def test_first_order_meta_gradient_is_gradient_at_adapted(task):
    X, y, Xt, yt, theta = task
    adapted = gc.adapt(theta, X, y, 0.8, 3)
    fo = gc.maml_meta_gradient(theta, X, y, Xt, yt, 0.8, 3, first_order=True)
    np.testing.assert_allclose(fo, gc.logistic_grad(adapted, Xt, yt), rtol=1e-14)
    so = gc.maml_meta_gradient(theta, X, y, Xt, yt, 0.8, 3)
    assert not np.allclose(fo, so)  # the Hessian terms matter here


def test_alpha_zero_meta_gradient_is_plain_gradient(task):
    X, y, Xt, yt, theta = task
    np.testing.assert_allclose(
        gc.maml_meta_gradient(theta, X, y, Xt, yt, 0.0, 3), gc.logistic_grad(theta, Xt, yt)
    )


# ---------------------------------------------------------------------------------------------
# MLP backprop
# ---------------------------------------------------------------------------------------------


def mlp_loss_by_hand(theta, x, y, h, activation):
    """The MLP's squared error from its formula, one point at a time, θ unpacked in order."""
    f = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0.0))
    w1, b1 = theta[:h], theta[h : 2 * h]
    w2 = theta[2 * h : 2 * h + h * h].reshape(h, h)
    b2, w3, b3 = theta[2 * h + h * h : 3 * h + h * h], theta[3 * h + h * h : -1], theta[-1]
    errors = []
    for xm, ym in zip(x[:, 0], y, strict=True):
        a1 = f(xm * w1 + b1)
        a2 = f(np.array([a1 @ w2[:, j] for j in range(h)]) + b2)
        errors.append((a2 @ w3 + b3 - ym) ** 2)
    return float(np.mean(errors))


@pytest.mark.parametrize("hidden", [3, 8])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_backprop_matches_finite_differences(hidden, activation):
    rng = np.random.default_rng(11)
    model = gc.MLPModel(hidden, activation)
    theta = model.init(rng) + 0.1 * rng.normal(size=model.n_params())
    b = gt.sample_sine_tasks(rng, 2, k_shot=6)
    loss, grad = model.loss_and_grad(np.stack([theta, theta]), b.X_train, b.y_train)
    for i in range(2):

        def f(t, i=i):
            return float(model.loss_and_grad(t, b.X_train[i], b.y_train[i])[0])

        np.testing.assert_allclose(grad[i], numeric_grad(f, theta), atol=1e-6)
        by_hand = mlp_loss_by_hand(theta, b.X_train[i], b.y_train[i], hidden, activation)
        assert math.isclose(loss[i], by_hand, rel_tol=1e-12)
        assert math.isclose(model.loss(theta, b.X_train[i], b.y_train[i]), by_hand, rel_tol=1e-12)


def test_mlp_parameter_count():
    assert gc.MLPModel(40).n_params() == 40 + 40 + 1600 + 40 + 40 + 1
    assert gc.MLPModel(64).n_params() == 64 + 64 + 64 * 64 + 64 + 64 + 1


def test_mlp_rejects_second_order_maml():
    rng = np.random.default_rng(0)
    model = gc.MLPModel(8)
    b = gt.sample_sine_tasks(rng, 3)
    with pytest.raises(ValueError, match="fomaml"):
        gc.meta_step(model.init(rng), b, 0.01, 0.1, "maml", model=model)


# ---------------------------------------------------------------------------------------------
# meta_step: against a per-task loop written from the update equations
# ---------------------------------------------------------------------------------------------


def loop_meta_step(theta, b, alpha, beta, algorithm, weighting, steps):
    n = b.n_tasks
    adapted = [gc.adapt(theta, b.X_train[i], b.y_train[i], alpha, steps) for i in range(n)]
    g = np.array([theta - a for a in adapted])
    if weighting == "uniform":
        w = np.full(n, 1 / n)
    elif weighting == "agreement":
        w = literal_paper_weights(g)
    else:
        w = chapter_double_loop(g)
    if algorithm == "reptile":
        return theta + beta * sum(w[i] * (adapted[i] - theta) for i in range(n)), w
    first = algorithm == "fomaml"
    grads = [
        gc.maml_meta_gradient(
            theta, b.X_train[i], b.y_train[i], b.X_test[i], b.y_test[i], alpha, steps, first
        )
        for i in range(n)
    ]
    return theta - beta * sum(w[i] * grads[i] for i in range(n)), w


@pytest.mark.parametrize("algorithm", gc.ALGORITHMS)
@pytest.mark.parametrize("weighting", ["uniform", "agreement", "chapter"])
def test_meta_step_matches_per_task_loop(algorithm, weighting):
    rng = np.random.default_rng(5)
    fam = gt.LogisticTaskFamily.create(rng, dim=7, disagree_frac=0.25)
    b = fam.sample(rng, 6, k_shot=5, q_query=4)
    theta = rng.normal(size=7)
    new, info = gc.meta_step(theta, b, 0.4, 0.3, algorithm, weighting, inner_steps=2)
    ref, w = loop_meta_step(theta, b, 0.4, 0.3, algorithm, weighting, 2)
    np.testing.assert_allclose(new, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(info["weights"], w, rtol=1e-10)
    assert info["updates"].shape == (6, 7)
    for key in ("loss_before", "loss_after", "acc_before", "acc_after"):
        assert info[key].shape == (6,)
    np.testing.assert_allclose(
        info["loss_before"],
        [gc.logistic_loss(theta, b.X_test[i], b.y_test[i]) for i in range(6)],
    )


def test_uniform_reptile_with_beta_one_moves_to_mean_adapted():
    rng = np.random.default_rng(2)
    b = gt.sample_chapter_tasks(rng, 4, dim=5)
    theta = rng.normal(size=5)
    new, info = gc.meta_step(theta, b, 0.1, 1.0, "reptile", "uniform", inner_steps=3)
    np.testing.assert_allclose(new, (theta - info["updates"]).mean(axis=0))


def test_same_seed_is_bit_identical():
    def run(seed):
        rng = np.random.default_rng(seed)
        fam = gt.LogisticTaskFamily.create(rng, dim=5, disagree_frac=0.5, disagreement="random")
        theta, hist = gc.train(
            np.zeros(5), lambda r: fam.sample(r, 4), rng, 20, 0.5, 0.5, "maml", "agreement"
        )
        return theta, hist

    (a, ha), (b, hb) = run(7), run(7)
    assert np.array_equal(a, b) and np.array_equal(ha.weights, hb.weights)
    assert not np.array_equal(a, run(8)[0])


# ---------------------------------------------------------------------------------------------
# Tasks, training and evaluation
# ---------------------------------------------------------------------------------------------


def test_chapter_tasks_have_uninformative_labels():
    rng = np.random.default_rng(0)
    b = gt.sample_chapter_tasks(rng, 2000, k_shot=10, dim=50)
    assert b.X_train.shape == (2000, 10, 50) and set(np.unique(b.y_train)) == {0.0, 1.0}
    assert 0 <= b.X_train.min() and b.X_train.max() <= 1
    # labels independent of inputs: the label/feature correlation is ~0
    corr = np.corrcoef(b.X_train[..., 0].ravel(), b.y_train.ravel())[0, 1]
    assert abs(corr) < 0.02
    assert abs(b.y_train.mean() - 0.5) < 0.01


@pytest.mark.parametrize("kind", ["flip", "random", "far"])
def test_logistic_family_marks_disagreeing_tasks(kind):
    rng = np.random.default_rng(1)
    fam = gt.LogisticTaskFamily.create(rng, dim=4, spread=0.0, disagree_frac=0.25)
    fam = gt.LogisticTaskFamily(fam.mean, 0.0, 0.25, kind)
    b = fam.sample(rng, 8, k_shot=50, q_query=50)
    assert b.disagreeing.sum() == 2
    agree = np.mean((b.X_train @ fam.mean > 0) == b.y_train, axis=1)
    assert np.all(agree[~b.disagreeing] == 1.0)  # clean tasks follow the mean exactly
    if kind == "flip":
        assert np.all(agree[b.disagreeing] == 0.0)
    else:
        assert np.all(agree[b.disagreeing] < 1.0)


def test_sine_tasks_follow_their_sinusoid():
    rng = np.random.default_rng(4)
    b = gt.sample_sine_tasks(rng, 50, phase=(0, 2 * np.pi))
    a, phi = b.info["amplitude"], b.info["phase"]
    assert (0.1 <= a).all() and (a <= 5).all() and (0 <= phi).all() and (phi <= 2 * np.pi).all()
    np.testing.assert_allclose(b.y_test, a[:, None] * np.sin(b.X_test[..., 0] + phi[:, None]))
    assert (np.abs(b.X_train) <= 5).all()


def test_meta_training_beats_no_meta_training():
    rng = np.random.default_rng(0)
    fam = gt.LogisticTaskFamily.create(rng, dim=10, norm=4.0, spread=0.3)
    theta, hist = gc.train(
        np.zeros(10), lambda r: fam.sample(r, 8, k_shot=5), rng, 150, 0.5, 1.0, "maml", "uniform"
    )
    held_out = fam.sample(np.random.default_rng(99), 300, k_shot=5, q_query=20)
    learned = gc.evaluate(theta, held_out, 0.5, steps=1)["accuracy"][-1].mean()
    scratch = gc.evaluate(np.zeros(10), held_out, 0.5, steps=1)["accuracy"][-1].mean()
    assert learned > scratch + 0.05
    assert hist.loss_after[-30:].mean() < hist.loss_after[:30].mean()


def test_sine_fomaml_and_reptile_train():
    rng = np.random.default_rng(0)
    model = gc.MLPModel(16)
    theta0 = model.init(rng)

    def sampler(r):
        return gt.sample_sine_tasks(r, 5)

    held_out = gt.sample_sine_tasks(np.random.default_rng(1), 100)
    before = gc.evaluate(theta0, held_out, 0.01, 5, model)["loss"][-1].mean()
    for alg, beta in (("fomaml", 0.01), ("reptile", 0.1)):
        theta, _ = gc.train(
            theta0,
            sampler,
            np.random.default_rng(2),
            300,
            0.01,
            beta,
            alg,
            "agreement",
            5,
            model,
        )
        after = gc.evaluate(theta, held_out, 0.01, 5, model)["loss"][-1].mean()
        assert after < before


def test_history_mean_weight():
    h = gc.History(
        np.zeros(2),
        np.zeros(2),
        weights=np.array([[0.5, 0.3, -0.2], [0.2, 0.2, 0.6]]),
        disagreeing=np.array([[False, False, True], [False, False, False]]),
    )
    np.testing.assert_allclose(h.mean_weight(False), [0.4, (0.2 + 0.2 + 0.6) / 3])
    np.testing.assert_allclose(h.mean_weight(True), [-0.2, np.nan])


def test_evaluate_rows_are_steps():
    rng = np.random.default_rng(0)
    fam = gt.LogisticTaskFamily.create(rng, dim=5)
    b = fam.sample(rng, 3)
    theta = rng.normal(size=5)
    out = gc.evaluate(theta, b, 0.5, steps=2)
    assert out["loss"].shape == (3, 3) and out["accuracy"].shape == (3, 3)
    for i in range(3):
        adapted = gc.adapt(theta, b.X_train[i], b.y_train[i], 0.5, 2)
        assert math.isclose(out["loss"][2, i], gc.logistic_loss(adapted, b.X_test[i], b.y_test[i]))


# ---------------------------------------------------------------------------------------------
# Bad input: every argument gets a ValueError that names it
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return gt.LogisticTaskFamily.create(rng, dim=3).sample(rng, 2, k_shot=4, q_query=4)


def test_logistic_bad_inputs():
    X, y, th = np.ones((4, 3)), np.array([0.0, 1.0, 1.0, 0.0]), np.zeros(3)
    cases = [
        ((th, X, np.array([0.0, 2.0, 1.0, 0.0])), "binary"),
        ((th, X, y[:3]), "labels"),
        ((np.zeros(2), X, y), "theta"),
        ((th, X[:, :, None], y), "X must be 2-D"),
        ((np.zeros((3, 1)), X, y), "theta must be 1-D"),
        ((th, X, np.array([0.0, np.nan, 1.0, 0.0])), "y contains NaN"),
        ((th, np.full((4, 3), np.inf), y), "X contains NaN"),
        ((th, np.ones((0, 3)), np.ones(0)), "at least one point"),
    ]
    for args, msg in cases:
        for fn in (gc.logistic_loss, gc.logistic_grad):
            with pytest.raises(ValueError, match=msg):
                fn(*args)
    for alpha in (-0.1, np.nan, np.inf, "0.1", True):
        with pytest.raises(ValueError, match="alpha"):
            gc.adapt(th, X, y, alpha)
    for steps in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="steps"):
            gc.adapt(th, X, y, 0.1, steps)
    with pytest.raises(ValueError, match="binary"):
        gc.maml_meta_gradient(th, X, y, X, y + 3, 0.1)


def test_meta_step_bad_inputs(batch):
    th = np.zeros(3)
    with pytest.raises(ValueError, match="beta"):
        gc.meta_step(th, batch, 0.1, -1.0)
    with pytest.raises(ValueError, match="beta"):
        gc.meta_step(th, batch, 0.1, np.nan)
    with pytest.raises(ValueError, match="alpha"):
        gc.meta_step(th, batch, np.inf, 0.1)
    with pytest.raises(ValueError, match="inner_steps"):
        gc.meta_step(th, batch, 0.1, 0.1, inner_steps=0)
    with pytest.raises(ValueError, match="algorithm"):
        gc.meta_step(th, batch, 0.1, 0.1, algorithm="sgd")
    with pytest.raises(ValueError, match="weighting"):
        gc.meta_step(th, batch, 0.1, 0.1, weighting="softmax")
    with pytest.raises(ValueError, match="theta has 4 entries"):
        gc.meta_step(np.zeros(4), batch, 0.1, 0.1)
    Xtr, ytr, Xte, yte = batch
    with pytest.raises(ValueError, match="y_train"):
        gc.meta_step(th, (Xtr, ytr[:, :3], Xte, yte), 0.1, 0.1)
    with pytest.raises(ValueError, match="y_test must hold binary"):
        gc.meta_step(th, (Xtr, ytr, Xte, yte * 0.5), 0.1, 0.1)
    with pytest.raises(ValueError, match="X_test has 2 features"):
        gc.meta_step(th, (Xtr, ytr, Xte[..., :2], yte), 0.1, 0.1)
    with pytest.raises(ValueError, match="tasks on axis 0"):
        gc.meta_step(th, (Xtr, ytr, Xte[:1], yte[:1]), 0.1, 0.1)
    with pytest.raises(ValueError, match="X_train must be 3-D"):
        gc.meta_step(th, (Xtr[0], ytr, Xte, yte), 0.1, 0.1)
    with pytest.raises(ValueError, match="tasks must be"):
        gc.meta_step(th, (Xtr, ytr), 0.1, 0.1)
    with pytest.raises(ValueError, match="at least one task"):
        gc.meta_step(th, (Xtr[:0], ytr[:0], Xte[:0], yte[:0]), 0.1, 0.1)


def test_samplers_reject_bad_input():
    with pytest.raises(ValueError, match="rng"):
        gt.sample_chapter_tasks(np.random.RandomState(0), 2)
    with pytest.raises(ValueError, match="n_tasks"):
        gt.sample_sine_tasks(np.random.default_rng(0), 0)
    with pytest.raises(ValueError, match="disagree_frac"):
        gt.LogisticTaskFamily(np.ones(3), 0.5, 1.5)
    with pytest.raises(ValueError, match="disagreement"):
        gt.LogisticTaskFamily(np.ones(3), 0.5, 0.1, "upside-down")
    with pytest.raises(ValueError, match="amplitude"):
        gt.sample_sine_tasks(np.random.default_rng(0), 2, amplitude=(5, 0.1))
    with pytest.raises(ValueError, match="hidden"):
        gc.MLPModel(0)


def test_divergence_is_reported_not_silent():
    rng = np.random.default_rng(0)
    model = gc.MLPModel(8)
    theta = model.init(rng) * 50
    b = gt.sample_sine_tasks(rng, 3)
    with pytest.raises(ValueError, match="diverged"):
        gc.meta_step(theta, b, 1e3, 0.1, "reptile", inner_steps=20, model=model)


def test_agreeing_loss_after_ignores_disagreeing_tasks():
    h = gc.History(
        np.zeros(2),
        np.zeros(2),
        weights=np.full((2, 3), 1 / 3),
        disagreeing=np.array([[False, True, False], [True, True, True]]),
        task_loss_after=np.array([[1.0, 100.0, 3.0], [5.0, 5.0, 5.0]]),
    )
    np.testing.assert_allclose(h.agreeing_loss_after(), [2.0, np.nan])


# ---------------------------------------------------------------------------------------------
# The minibatch inner loop, the step-size schedule, the hook, and many runs at once
# ---------------------------------------------------------------------------------------------


def test_minibatch_inner_loop_uses_block_t_at_step_t():
    rng = np.random.default_rng(3)
    model = gc.MLPModel(5, "tanh")
    theta = model.init(rng)
    b = gt.sample_sine_tasks(rng, 1, k_shot=12)
    X, y = b.X_train[0], b.y_train[0]
    path = gc.inner_loop(model, theta, X, y, 0.05, 5, batch_size=4)
    by_hand = theta
    for t in range(5):
        block = slice(4 * (t % 3), 4 * (t % 3) + 4)  # 12 points: blocks 0, 1, 2, 0, 1
        by_hand = by_hand - 0.05 * model.loss_and_grad(by_hand, X[block], y[block])[1]
        np.testing.assert_allclose(path[t + 1], by_hand, rtol=1e-13, atol=1e-15)
    full = gc.inner_loop(model, theta, X, y, 0.05, 2)[-1]
    assert not np.allclose(full, path[2])


def _sine_sampler(r):
    return gt.sample_sine_tasks(r, 4, k_shot=20, q_query=5, phase=(0, 2 * np.pi))


def test_linear_schedule_and_hook_see_every_step():
    model = gc.MLPModel(6, "tanh")
    theta0 = model.init(np.random.default_rng(0))
    seen = []

    def hook(t, batch, theta, info):
        seen.append((t, batch.n_tasks, theta.copy(), info["weights"], info["directions"]))

    theta, hist = gc.train(
        theta0, _sine_sampler, np.random.default_rng(1), 4, 0.02, 0.8, "reptile", "uniform",
        3, model, schedule="linear", batch_size=5, on_step=hook,
    )  # fmt: skip
    assert [s[0] for s in seen] == [0, 1, 2, 3] and all(s[1] == 4 for s in seen)
    previous = theta0
    for t, _, th, w, directions in seen:
        beta_t = 0.8 * (1 - t / 4)  # annealed linearly to 0
        np.testing.assert_allclose(th, previous + beta_t * (w @ directions), rtol=1e-12)
        previous = th
    np.testing.assert_array_equal(theta, seen[-1][2])
    assert hist.weights.shape == (4, 4)


@pytest.mark.parametrize(
    "algorithm, weighting", [("reptile", "agreement"), ("fomaml", "cosine"), ("maml", "chapter")]
)
def test_runs_at_once_equal_runs_alone(algorithm, weighting):
    """R runs stacked in one call give each run's result alone, to rounding (<= 1e-12)."""
    if algorithm == "maml":
        fam = gt.LogisticTaskFamily.create(np.random.default_rng(0), dim=6, disagree_frac=0.25)
        model, sampler = gc.LogisticModel(), (lambda r: fam.sample(r, 4, k_shot=6))
        inits = [np.random.default_rng(s).normal(size=6) for s in range(3)]
        alpha, betas, batch = 0.5, [0.2, 0.5, 1.0], None
    else:
        model, sampler = gc.MLPModel(8, "tanh"), _sine_sampler
        inits = [model.init(np.random.default_rng(s)) for s in range(3)]
        alpha, betas, batch = 0.02, [0.05, 0.1, 0.3], 5
    settings = (alpha, betas, algorithm, weighting, 4, model)
    together, hist = gc.train(
        np.stack(inits), sampler, [np.random.default_rng(10 + s) for s in range(3)], 25,
        *settings, schedule="linear", batch_size=batch,
    )  # fmt: skip
    assert hist.weights.shape == (25, 3, 4) and hist.loss_after.shape == (25, 3)
    for s in range(3):
        alone, hist_alone = gc.train(
            inits[s], sampler, np.random.default_rng(10 + s), 25, alpha, betas[s], algorithm,
            weighting, 4, model, schedule="linear", batch_size=batch,
        )  # fmt: skip
        np.testing.assert_allclose(together[s], alone, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(hist.weights[:, s], hist_alone.weights, rtol=1e-12, atol=1e-14)


def test_a_diverging_run_becomes_nan_and_spares_the_others():
    model = gc.MLPModel(6, "tanh")
    inits = np.stack([model.init(np.random.default_rng(s)) for s in range(2)])
    rngs = [np.random.default_rng(s) for s in (5, 6)]
    theta, _ = gc.train(inits, _sine_sampler, rngs, 30, 0.02, [0.1, 1e200], "fomaml",
                        "uniform", 2, model, history=False)  # fmt: skip
    assert np.isnan(theta[1]).all() and np.isfinite(theta[0]).all()
    alone, _ = gc.train(inits[0], _sine_sampler, np.random.default_rng(5), 30, 0.02, 0.1,
                        "fomaml", "uniform", 2, model, history=False)  # fmt: skip
    np.testing.assert_allclose(theta[0], alone, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="diverged"):
        gc.train(inits[1], _sine_sampler, np.random.default_rng(6), 30, 0.02, 1e200, "fomaml",
                 "uniform", 2, model)  # fmt: skip


def test_train_rejects_bad_runs_and_schedules():
    model = gc.MLPModel(4)
    inits = np.stack([model.init(np.random.default_rng(s)) for s in range(2)])
    with pytest.raises(ValueError, match="one generator per run"):
        gc.train(inits, _sine_sampler, [np.random.default_rng(0)], 2, 0.01, 0.1, "reptile",
                 model=model)  # fmt: skip
    with pytest.raises(ValueError, match="schedule"):
        gc.train(inits[0], _sine_sampler, np.random.default_rng(0), 2, 0.01, 0.1, "reptile",
                 model=model, schedule="cosine")  # fmt: skip
    with pytest.raises(ValueError, match="beta"):
        gc.train(inits, _sine_sampler, [np.random.default_rng(s) for s in range(2)], 2, 0.01,
                 [0.1, -1.0], "reptile", model=model)  # fmt: skip
    with pytest.raises(ValueError, match="activation"):
        gc.MLPModel(4, "sigmoid")
