"""Tests of gaml_core.ConvNetModel against independent computations: finite differences, a
forward pass written with explicit loops over pixels, and stacked tasks and runs against each
one alone. No expected value here is copied from the module's own output."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numeric import numeric_grad

import gaml_core as gc
from gaml_tasks import TaskBatch


def random_tasks(rng, n, k, q, ways):
    """n tasks of random 28×28 'images' (sparse ink in [0, 1]) and labels 0..ways−1."""

    def images(m):
        return rng.random((n, m, 784)) * (rng.random((n, m, 784)) < 0.3)

    def labels(m):
        return rng.integers(0, ways, size=(n, m)).astype(np.float64)

    return TaskBatch(images(k), labels(k), images(q), labels(q), np.zeros(n, dtype=bool))


def conv_by_hand(image, W, b):
    """relu(3×3 convolution, stride 2, zero padding 1) of image (s, s, c_in), one output pixel
    and channel at a time; W row (3i + j)·c_in + c holds tap (i, j) of input channel c."""
    s, _, c_in = image.shape
    side = (s + 1) // 2
    out = np.zeros((side, side, W.shape[1]))
    for r in range(side):
        for col in range(side):
            for o in range(W.shape[1]):
                total = b[o]
                for i in range(3):
                    for j in range(3):
                        y, x = 2 * r + i - 1, 2 * col + j - 1  # padding: outside is 0
                        if 0 <= y < s and 0 <= x < s:
                            for c in range(c_in):
                                total += image[y, x, c] * W[(3 * i + j) * c_in + c, o]
                out[r, col, o] = max(total, 0.0)
    return out


def forward_by_hand(theta, x, ways, channels, layers):
    """Logits of one image x (784,) with θ unpacked in the documented order."""
    h, start = x.reshape(28, 28, 1), 0
    for layer in range(layers):
        fan_in = 9 * (1 if layer == 0 else channels)
        W = theta[start : start + fan_in * channels].reshape(fan_in, channels)
        start += fan_in * channels
        b = theta[start : start + channels]
        start += channels
        h = conv_by_hand(h, W, b)
    feats = h.ravel()  # row, column, channel
    V = theta[start : start + feats.size * ways].reshape(feats.size, ways)
    c = theta[start + feats.size * ways :]
    assert c.size == ways  # θ is used up exactly
    return feats @ V + c


def cross_entropy_by_hand(logits, label):
    return math.log(sum(math.exp(v) for v in logits)) - logits[int(label)]


def test_parameter_count_from_the_architecture():
    # 4 convolutions of 3×3 kernels, 32 channels, biases; 28 → 14 → 7 → 4 → 2; head 2·2·32 → 5
    expected = (9 * 1 * 32 + 32) + 3 * (9 * 32 * 32 + 32) + (2 * 2 * 32 * 5 + 5)
    assert gc.ConvNetModel().n_params(784) == expected == 28709
    # 3 layers: 28 → 14 → 7 → 4 pixels
    assert gc.ConvNetModel(20, 8, 3).n_params() == 80 + 2 * (9 * 8 * 8 + 8) + 4 * 4 * 8 * 20 + 20


@pytest.mark.parametrize("layers", [1, 2, 4])
def test_forward_pass_matches_loops_over_pixels(layers):
    rng = np.random.default_rng(1)
    model = gc.ConvNetModel(ways=3, channels=2, layers=layers)
    theta = model.init(rng) + 0.1 * rng.normal(size=model.n_params())  # nonzero biases too
    b = random_tasks(rng, 1, 3, 1, 3)
    X, y = b.X_train[0], b.y_train[0]
    logits = np.array([forward_by_hand(theta, x, 3, 2, layers) for x in X])
    np.testing.assert_allclose(model._forward(theta, X)[0], logits, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.predict(theta, X), logits.argmax(axis=1))
    by_hand = np.mean([cross_entropy_by_hand(z, t) for z, t in zip(logits, y, strict=True)])
    assert math.isclose(model.loss(theta, X, y), by_hand, rel_tol=1e-12)
    assert math.isclose(model.loss_and_grad(theta, X, y)[0], by_hand, rel_tol=1e-12)
    right = np.mean(logits.argmax(axis=1) == y)
    assert model.accuracy(theta, X, y) == right


@pytest.mark.parametrize("layers", [2, 4])
def test_gradient_matches_finite_differences(layers):
    rng = np.random.default_rng(2)
    model = gc.ConvNetModel(ways=3, channels=3, layers=layers)
    theta = model.init(rng) + 0.05 * rng.normal(size=model.n_params())
    b = random_tasks(rng, 2, 4, 1, 3)
    losses, grads = model.loss_and_grad(np.stack([theta, theta]), b.X_train, b.y_train)
    assert grads.shape == (2, model.n_params()) and grads.dtype == np.float64
    for i in range(2):

        def f(t, i=i):
            return float(model.loss(t, b.X_train[i], b.y_train[i]))

        fd = numeric_grad(f, theta)
        np.testing.assert_allclose(grads[i], fd, rtol=1e-5, atol=1e-8)
        assert math.isclose(losses[i], f(theta), rel_tol=1e-12)


def test_stacked_runs_and_tasks_equal_each_alone():
    rng = np.random.default_rng(3)
    model = gc.ConvNetModel(ways=4, channels=4)
    R, n = 3, 2
    thetas = np.stack([[model.init(rng) for _ in range(n)] for _ in range(R)])  # (R, n, p)
    b = [random_tasks(rng, n, 4, 2, 4) for _ in range(R)]
    X = np.stack([t.X_train for t in b])
    y = np.stack([t.y_train for t in b])
    losses, grads = model.loss_and_grad(thetas, X, y)
    assert losses.shape == (R, n) and grads.shape == (R, n, model.n_params())
    for r in range(R):
        for i in range(n):
            loss, grad = model.loss_and_grad(thetas[r, i], X[r, i], y[r, i])
            np.testing.assert_allclose(losses[r, i], loss, rtol=1e-13)
            np.testing.assert_allclose(grads[r, i], grad, rtol=1e-12, atol=1e-15)
    # one θ for all tasks broadcasts like a θ per task
    one, _ = model.loss_and_grad(thetas[0, 0], X[0], y[0])
    many, _ = model.loss_and_grad(np.broadcast_to(thetas[0, 0], (n, thetas.shape[-1])), X[0], y[0])
    np.testing.assert_allclose(one, many, rtol=1e-14)


@pytest.mark.parametrize("algorithm", ["reptile", "fomaml"])
def test_runs_trained_at_once_equal_runs_alone(algorithm):
    model = gc.ConvNetModel(ways=3, channels=4, layers=3)
    inits = [model.init(np.random.default_rng(s)) for s in range(2)]

    def sampler(r):
        return random_tasks(r, 3, 6, 3, 3)

    together, _ = gc.train(
        np.stack(inits), sampler, [np.random.default_rng(10 + s) for s in range(2)], 4, 0.1,
        [0.5, 1.0] if algorithm == "reptile" else [0.05, 0.1], algorithm, "agreement", 3, model,
        schedule="linear", batch_size=3,
    )  # fmt: skip
    for s in range(2):
        beta = (0.5 if s == 0 else 1.0) if algorithm == "reptile" else 0.05 * (s + 1)
        alone, _ = gc.train(
            inits[s], sampler, np.random.default_rng(10 + s), 4, 0.1, beta, algorithm,
            "agreement", 3, model, schedule="linear", batch_size=3,
        )  # fmt: skip
        np.testing.assert_allclose(together[s], alone, rtol=1e-11, atol=1e-13)


def test_float32_gradients_agree_with_float64():
    rng = np.random.default_rng(4)
    m64, m32 = gc.ConvNetModel(), gc.ConvNetModel(dtype="float32")
    theta = m64.init(rng)
    b = random_tasks(rng, 5, 5, 1, 5)
    thetas = np.broadcast_to(theta, (5, theta.size))
    l64, g64 = m64.loss_and_grad(thetas, b.X_train, b.y_train)
    l32, g32 = m32.loss_and_grad(thetas, b.X_train, b.y_train)
    assert g32.dtype == np.float32 and l32.dtype == np.float64
    rel = np.linalg.norm(g32 - g64, axis=-1) / np.linalg.norm(g64, axis=-1)
    assert rel.max() < 1e-4
    np.testing.assert_allclose(l32, l64, rtol=1e-5)


def test_init_is_he_for_convolutions_with_a_zero_head():
    model = gc.ConvNetModel(ways=5, channels=32)
    theta = model.init(np.random.default_rng(5))
    assert theta.shape == (28709,)
    w1, b1 = theta[:288].reshape(9, 32), theta[288:320]
    w2 = theta[320 : 320 + 9216]
    assert not b1.any() and not theta[-645:].any()  # head V (128×5) and c (5) are 0
    assert abs(w1.std() - math.sqrt(2 / 9)) < 0.1 * math.sqrt(2 / 9)
    assert abs(w2.std() - math.sqrt(2 / 288)) < 0.05 * math.sqrt(2 / 288)
    # a zero head prefers no class: every image gets the loss log N before adaptation
    b = random_tasks(np.random.default_rng(0), 2, 5, 1, 5)
    np.testing.assert_allclose(model.loss(theta, b.X_train, b.y_train), math.log(5), rtol=1e-12)
    again = model.init(np.random.default_rng(5))
    np.testing.assert_array_equal(theta, again)  # from the generator only


@pytest.mark.parametrize("runs", [1, 2])
def test_on_step_can_project_theta_in_place(runs):
    """The zeroing trick through on_step: train equals meta-steps with the head zeroed after
    each one, computed by hand."""
    model = gc.ConvNetModel(ways=3, channels=4, layers=3)
    head = slice(model.n_params() - (4 * 4 * 4 * 3 + 3), None)
    inits = [model.init(np.random.default_rng(s)) + 0.01 for s in range(runs)]  # nonzero head

    def sampler(r):
        return random_tasks(r, 3, 3, 3, 3)

    def zero_head(t, batch, theta, info):
        theta[..., head] = 0.0

    theta, _ = gc.train(
        np.stack(inits) if runs > 1 else inits[0], sampler,
        [np.random.default_rng(9 + s) for s in range(runs)] if runs > 1
        else np.random.default_rng(9), 3, 0.1, 0.05, "fomaml", "uniform", 2, model,
        on_step=zero_head,
    )  # fmt: skip
    theta = np.atleast_2d(theta)
    for s in range(runs):
        rng, by_hand = np.random.default_rng(9 + s), inits[s]
        for _ in range(3):
            by_hand, _ = gc.meta_step(by_hand, sampler(rng), 0.1, 0.05, "fomaml", "uniform", 2,
                                      model)  # fmt: skip
            by_hand[head] = 0.0
        np.testing.assert_allclose(theta[s], by_hand, rtol=1e-11, atol=1e-13)
        assert not theta[s, head].any()


def test_meta_step_and_evaluate_take_the_convnet():
    rng = np.random.default_rng(6)
    model = gc.ConvNetModel(ways=3, channels=4, layers=3)
    theta = model.init(rng)
    b = random_tasks(rng, 4, 6, 3, 3)
    new, info = gc.meta_step(theta, b, 0.1, 1.0, "reptile", "uniform", 3, model, batch_size=3)
    np.testing.assert_allclose(new, theta - info["updates"].mean(axis=0), rtol=1e-12, atol=1e-14)
    assert info["acc_after"].shape == (4,)
    out = gc.evaluate(theta, b, 0.1, 2, model)
    assert out["accuracy"].shape == (3, 4) and out["loss"].shape == (3, 4)
    X, y = b.X_train[0], b.y_train[0]
    path = [theta]
    for _ in range(2):
        path.append(path[-1] - 0.1 * model.loss_and_grad(path[-1], X, y)[1])
    assert math.isclose(out["loss"][2, 0], model.loss(path[2], b.X_test[0], b.y_test[0]))


def test_bad_input_names_the_argument():
    rng = np.random.default_rng(7)
    model = gc.ConvNetModel(ways=3, channels=2, layers=2)
    theta = model.init(rng)
    b = random_tasks(rng, 2, 3, 3, 3)
    bad_labels = b.y_train.copy()
    bad_labels[0, 0] = 3.0  # only 0, 1, 2 for 3 ways
    with pytest.raises(ValueError, match=r"y_train must hold class indices 0\.\.2"):
        gc.meta_step(theta, (b.X_train, bad_labels, b.X_test, b.y_test), 0.1, 1.0, "reptile",
                     model=model)  # fmt: skip
    with pytest.raises(ValueError, match="y_test"):
        gc.meta_step(theta, (b.X_train, b.y_train, b.X_test, b.y_test + 0.5), 0.1, 1.0,
                     "fomaml", model=model)  # fmt: skip
    with pytest.raises(ValueError, match="784"):
        gc.meta_step(theta, (b.X_train[..., :700], b.y_train, b.X_test[..., :700], b.y_test),
                     0.1, 1.0, "reptile", model=model)  # fmt: skip
    with pytest.raises(ValueError, match="fomaml"):
        gc.meta_step(theta, b, 0.1, 1.0, "maml", model=model)
    for kwargs, name in (({"ways": 0}, "ways"), ({"channels": 1.5}, "channels"),
                         ({"layers": 0}, "layers"), ({"dtype": "float16"}, "dtype")):  # fmt: skip
        with pytest.raises(ValueError, match=name):
            gc.ConvNetModel(**kwargs)
    with pytest.raises(ValueError, match="rng"):
        model.init(np.random.RandomState(0))
