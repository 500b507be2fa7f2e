"""The slider callbacks, called as plain functions (no browser): every slider at both ends of its
range, what was computed, and what was drawn."""

from __future__ import annotations

import base64
import math
import time
from pathlib import Path

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import gaml_core as gc
import gaml_demos as gd
import gaml_live as gl
import gaml_omniglot_runs as gor
import gaml_results as gres
import gaml_tasks as gt

DEMOS = {
    "tasks": gd.tasks_demo,
    "dissent": gd.dissent_demo,
    "training_maml": lambda: gd.training_demo("maml"),
    "training_reptile": lambda: gd.training_demo("reptile", number="4.1"),
}
if gres.SINE_INIT_FILE.exists():
    DEMOS["sine_fit"] = gd.sine_fit_demo
needs_sine = pytest.mark.skipif(not gres.SINE_INIT_FILE.exists(), reason="no results/sine_init.npz")
if gd.OMNIGLOT_THETA_FILE.exists():
    DEMOS["omniglot"] = gd.omniglot_demo
needs_omniglot = pytest.mark.skipif(
    not gd.OMNIGLOT_THETA_FILE.exists(), reason="no results/omniglot_theta.npz"
)


def check_figure(fig) -> None:
    """Every drawn axis has a title and labelled axes; multi-line axes have a legend; text is at
    least as large as the page's body text at the size the figure is shown; no legend lies on
    the data."""
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert visible
    legends = [a.get_legend() for a in visible if a.get_legend()] + list(fig.legends)
    for ax in visible:
        assert ax.get_title().strip() or fig._suptitle is not None
        assert ax.get_xlabel() or ax.get_ylabel() or fig._suptitle is not None
        lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        if len(lines) > 1:  # its own legend, or one shared legend for identical panels
            assert ax.get_legend() is not None or legends
    assert legends, "every demo figure explains its lines and colours"
    assert gl.min_text_px(fig) >= gl.LIVE_TEXT_PX
    assert fig.get_size_inches()[0] * fig.dpi <= gl.LIVE_WIDTH_PX
    assert not gl.legends_clear_of_data(fig)


def slider_items(demo: gd.Demo):
    return [
        (name, control)
        for name, control in demo.controls.items()
        if isinstance(control, (widgets.IntSlider, widgets.FloatSlider))
    ]


@pytest.mark.parametrize("name", list(DEMOS))
def test_every_slider_works_at_both_ends(name):
    demo = DEMOS[name]()
    assert "gaml-demo" in demo.widget._dom_classes
    assert "gaml-readout" in demo.readout._dom_classes
    assert "gaml-plot" in demo.plot._dom_classes
    sliders = slider_items(demo)
    assert sliders, "every demo has at least one slider"
    assert all(control.continuous_update for _, control in sliders), "sliders update live"
    for _, control in sliders:
        readouts = []
        for end in (control.min, control.max):
            control.value = end  # fires the callback as a browser would
            result = demo.result
            assert isinstance(result, gd.DemoResult)
            assert result.readout and "nan" not in result.readout.lower()
            check_figure(result.figure)
            png = bytes(demo.image.value)  # what the browser shows
            assert png.startswith(b"\x89PNG\r\n\x1a\n")
            readouts.append((result.readout, png))
        assert readouts[0][0] != readouts[1][0], "the two ends of a slider show the same thing"
        assert readouts[0][1] != readouts[1][1], "the two ends of a slider draw the same picture"


@pytest.mark.parametrize("name", list(DEMOS))
def test_first_slider_changes_the_readout(name):
    """The browser tests move the first slider: its first step must change what is shown."""
    demo = DEMOS[name]()
    _, control = slider_items(demo)[0]
    before = demo.result.readout
    control.value = min(control.max, control.value + control.step)
    assert demo.result.readout != before


def test_dissent_callback_values():
    # perpendicular dissenter of length 1 among 3 agreeing tasks: positive weight (its own L²)
    r = gd.dissent_callback(angle_deg=90.0, length=1.0, n_agree=3)
    assert r.state.dissent_weight > 0
    # straight against them: negative, and the zero crossing matches arccos(-L/|A|)
    r = gd.dissent_callback(angle_deg=180.0, length=1.0, n_agree=3)
    assert r.state.dissent_weight < 0
    norm_a = np.linalg.norm(gd.agreeing_updates(3).sum(axis=0))
    assert math.isclose(r.state.zero_angle, math.degrees(math.acos(-1 / norm_a)))
    # at the zero-crossing angle the weight really is zero
    s = gd.dissent_state(r.state.zero_angle, 1.0, 3)
    assert abs(s.dissent_weight) < 1e-12
    # longer than the agreeing tasks together: never negative
    r = gd.dissent_callback(angle_deg=180.0, length=4.0, n_agree=3)
    assert r.state.zero_angle is None and r.state.dissent_weight > 0
    assert "never crosses 0" in r.readout
    # the three bar groups: one bar per task per weighting
    bars = [p for p in r.figure.axes[1].patches]
    assert len(bars) == 3 * 4
    # ... and redrawn in place for another number of tasks
    r = gd.dissent_callback(angle_deg=180.0, length=4.0, n_agree=6, plot=r.plot)
    assert len(r.figure.axes[1].patches) == 3 * 7


def test_dissent_curve_matches_states():
    angles, curves = gd.dissent_weight_curve(1.5, 2, np.array([0.0, 90.0, 180.0]))
    for a, w in zip(angles, curves["agreement"], strict=True):
        assert math.isclose(w, gd.dissent_state(float(a), 1.5, 2).dissent_weight)
    np.testing.assert_allclose(curves["uniform"], 1 / 3)


def test_tasks_callback_marks_disagreeing_tasks():
    r = gd.tasks_callback(k_shot=4, spread=0.0, disagree_frac=0.5, kind="flip")
    assert r.state.disagreeing.sum() == 3 and r.state.X_train.shape == (6, 4, 2)
    assert r.readout.count("T") >= 3
    r = gd.tasks_callback(k_shot=4, spread=0.0, disagree_frac=0.0)
    assert "none" in r.readout


def test_training_callback_is_cached_and_fast():
    gd.training_state.cache_clear()
    start = time.perf_counter()
    r1 = gd.training_callback(0.375, "maml", "random")
    first = time.perf_counter() - start
    start = time.perf_counter()
    gd.training_state(0.375, "maml", "random")
    again = time.perf_counter() - start
    assert again < 0.01 < first or first < 0.01
    assert set(r1.state.accuracy) == {"uniform", "agreement"}
    histories = r1.state.histories["agreement"]
    assert len(histories) == len(gd.TRAINING_SEEDS) >= 3  # the spread over seeds is shown
    for hist in histories:
        assert hist.disagreeing.sum(axis=1).tolist() == [3] * len(hist.loss_after)  # 0.375 of 8
    assert all(len(a) == len(gd.TRAINING_SEEDS) for a in r1.state.accuracy.values())
    assert f"{len(gd.TRAINING_SEEDS)} seeds" in r1.readout
    # one band (the range over the seeds) per line: two losses, two groups of GA weights
    bands = [c for ax in r1.figure.axes for c in ax.collections]
    assert len(bands) == 4


def test_training_state_no_disagreement_matches_weighting_theory():
    runs = gd.training_state(0.0, "reptile", "flip")
    h = runs.histories["uniform"]
    np.testing.assert_allclose(h.weights, 1 / h.weights.shape[1])
    ga = runs.histories["agreement"].weights
    np.testing.assert_allclose(np.abs(ga).sum(axis=1), 1.0)


def test_meta_gradient_errors_separate_exact_from_first_order():
    rng = np.random.default_rng(0)
    fam = gt.LogisticTaskFamily.create(rng, dim=4)
    task = tuple(a[0] for a in fam.sample(rng, 1, k_shot=6, q_query=6))
    errors = gd.meta_gradient_errors(0.3 * fam.mean, task, np.array([0.5, 1.0]), steps=2)
    assert (errors["second order (exact)"] < 1e-7).all()
    assert (errors["first order"] > 1e-4).all()


@pytest.mark.parametrize("name", list(DEMOS))
def test_demo_redraws_in_place_and_sends_picture_before_readout(name):
    """One figure for the demo's life; a frame redraws only what moves (the kept frame is drawn
    again only when axes change); the image is sent before the readout, after all the work."""
    demo = DEMOS[name]()
    fig = demo.result.figure
    plot = demo.result.plot
    sent = []
    demo.image.observe(lambda change: sent.append("image"), names="value")
    demo.readout.observe(lambda change: sent.append("readout"), names="value")
    _, control = slider_items(demo)[0]
    moves = 0
    for _ in range(2):
        for value in (control.min, control.max):
            control.value = value
            moves += 1
    assert demo.result.figure is fig
    assert plot.frames == moves + 1
    assert plot.full_frames <= 2, "moving a slider redraws the moving parts only"
    assert sent[:2] == ["image", "readout"]


@pytest.mark.parametrize("name", list(DEMOS))
def test_demo_output_carries_a_picture(name):
    """Displayed, a demo is the widget view plus a PNG of its first frame and a short text."""
    demo = DEMOS[name]()
    first = bytes(demo.image.value)
    _, control = slider_items(demo)[0]
    control.value = control.max
    bundle = demo._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == first == demo.first_png
    assert bundle["text/plain"].startswith(demo.title) and "VBox" not in bundle["text/plain"]


@needs_sine
def test_sine_state_shows_the_error_by_step():
    state = gd.sine_fit_state(2, 3)
    for name, loss in state.losses.items():
        assert len(state.mse_by_step[name]) == gd.SINE_MAX_STEPS + 1
        assert state.mse_by_step[name][2] == loss
        np.testing.assert_allclose(np.mean((state.fits[name] - state.truth) ** 2), loss)
    r = gd.sine_fit_callback(steps=2, task=3)
    assert len(r.figure.axes) == 2 and "Error" in r.figure.axes[1].get_title()


def test_sine_init_builds_its_network(tmp_path: Path):
    """The stored activation (tanh in new files) builds the network; files without it: ReLU."""
    theta = np.zeros(gc.MLPModel(4).n_params())
    plain = tmp_path / "old.npz"
    np.savez(plain, reptile_uniform=theta, reptile_agreement=theta, hidden=4, alpha=0.01)
    init = gres.load_sine_init(plain)
    assert init["model"] == gc.MLPModel(4, "relu") and init["activation"] == "relu"
    assert init["reptile_uniform"].shape == theta.shape
    tanh = tmp_path / "new.npz"
    np.savez(tanh, reptile_uniform=theta, hidden=4, alpha=0.01, activation="tanh")
    init = gres.load_sine_init(tanh)
    assert init["model"] == gc.MLPModel(4, "tanh") and init["activation"] == "tanh"


def independent_updates(algorithm: str, tasks: gt.TaskBatch) -> np.ndarray:
    """g_i = θ − θ'_i task by task, written out: the study's α and steps, Reptile on blocks of
    one image per class, FOMAML on the whole 1-shot support set."""
    study = gor.OmniglotStudy()
    model = gc.ConvNetModel(ways=5, dtype="float32")
    with np.load(gd.OMNIGLOT_THETA_FILE) as stored:
        theta = stored[algorithm]
    updates = []
    for X, y in zip(tasks.X_train, tasks.y_train, strict=True):
        adapted = theta.copy()
        for t in range(study.inner_steps):
            part = slice(5 * t, 5 * t + 5) if algorithm == "reptile" else slice(None)
            adapted = adapted - study.alpha * model.loss_and_grad(adapted, X[part], y[part])[1]
        updates.append(theta - adapted)
    return np.array(updates)


@needs_omniglot
@pytest.mark.parametrize("algorithm", gor.ALGORITHMS)
def test_omniglot_weights_are_the_papers_on_the_studys_inner_loop(algorithm):
    state = gd.omniglot_state(algorithm, 2, 7)
    assert state.updates.shape == (5, gc.ConvNetModel(ways=5).n_params())
    g = independent_updates(algorithm, state.tasks)
    scale = np.abs(g).max()
    np.testing.assert_allclose(state.updates, g, rtol=0, atol=1e-4 * scale)
    sums = (g.astype(np.float64) @ g.T.astype(np.float64)).sum(axis=1)  # Σ_j g_iᵀg_j
    np.testing.assert_allclose(state.weights, sums / np.abs(sums).sum(), atol=1e-5)
    np.testing.assert_allclose(state.weights, gc.agreement_weights(state.updates), atol=1e-12)
    assert math.isclose(np.abs(state.weights).sum(), 1.0)  # the paper's normalisation


@needs_omniglot
@pytest.mark.parametrize("algorithm", gor.ALGORITHMS)
def test_omniglot_noise_is_nested_and_leaves_the_images(algorithm):
    study = gor.OmniglotStudy()
    for batch in (0, 11, 19):
        tasks = [gd.omniglot_batch(algorithm, k, batch) for k in range(gd.OMNIGLOT_MAX_NOISY + 1)]
        masks = [t.disagreeing for t in tasks]
        assert [int(m.sum()) for m in masks] == [0, 1, 2]
        assert not (masks[0] & ~masks[1]).any() and not (masks[1] & ~masks[2]).any()
        for t in tasks[1:]:
            np.testing.assert_array_equal(t.X_train, tasks[0].X_train)
            np.testing.assert_array_equal(t.X_test, tasks[0].X_test)
        first = masks[1]  # noisy at 1, and with the same labels at 2
        np.testing.assert_array_equal(tasks[2].y_train[first], tasks[1].y_train[first])
        np.testing.assert_array_equal(tasks[2].y_test[first], tasks[1].y_test[first])
        np.testing.assert_array_equal(
            gd.omniglot_images(algorithm, batch),
            gd.omniglot_images("reptile" if algorithm == "fomaml" else "fomaml", batch),
        )  # the same drawings for both algorithms
        # 0 and 1 noisy tasks: exactly the study's meta-batch from the demo's streams
        for k in (0, 1):
            seed = gd.OMNIGLOT_DEMO_SEED + batch
            rngs = tuple(study.rng(seed, stream) for stream in (1, 2, 3))
            own = study.training_batch(algorithm, gd.omniglot_characters(), rngs, k)
            for mine, theirs in zip(tasks[k], own, strict=True):
                np.testing.assert_array_equal(mine, theirs)


@needs_omniglot
def test_omniglot_noise_is_the_studys_kind():
    for batch in (2, 13):
        # Reptile: the support labels are shuffled across the task (so each label still
        # appears 5 times, on images of other classes); the query labels are untouched
        clean, noisy = (gd.omniglot_batch("reptile", k, batch) for k in (0, 2))
        bad = noisy.disagreeing
        np.testing.assert_array_equal(np.sort(noisy.y_train, axis=1), np.sort(clean.y_train, 1))
        assert (noisy.y_train[bad] != clean.y_train[bad]).any(axis=1).all()
        np.testing.assert_array_equal(noisy.y_train[~bad], clean.y_train[~bad])
        np.testing.assert_array_equal(noisy.y_test, clean.y_test)
        # FOMAML: the query labels are permuted against the support set, class by class, so
        # that every query label is wrong; the support set is untouched
        clean, noisy = (gd.omniglot_batch("fomaml", k, batch) for k in (0, 2))
        bad = noisy.disagreeing
        np.testing.assert_array_equal(noisy.y_train, clean.y_train)
        np.testing.assert_array_equal(noisy.y_test[~bad], clean.y_test[~bad])
        assert (noisy.y_test[bad] != clean.y_test[bad]).all()
        per_class = noisy.y_test[bad].reshape(2, 5, 4)
        assert (per_class == per_class[..., :1]).all()  # one new label per class
        np.testing.assert_array_equal(np.sort(per_class[..., 0], axis=1), clean.y_train[bad])


@needs_omniglot
def test_omniglot_fomaml_weights_cannot_see_query_noise():
    """What the demo asks the learner to discover: g_i comes from the support set only."""
    frames = [gd.omniglot_frame("fomaml", k, 5) for k in range(gd.OMNIGLOT_MAX_NOISY + 1)]
    for frame in frames[1:]:
        np.testing.assert_array_equal(frame.weights, frames[0].weights)
    reptile = [gd.omniglot_frame("reptile", k, 5).weights for k in (0, 1)]
    assert not np.allclose(*reptile)


@needs_omniglot
def test_omniglot_frames_read_on_a_projector():
    """Every frame, both algorithms and every noise count: the projector checks; what is marked
    wrong is in the noisy rows; the question about FOMAML is asked, not answered."""
    plot = None
    for algorithm in gor.ALGORITHMS:
        for noisy in range(gd.OMNIGLOT_MAX_NOISY + 1):
            for batch in (0, gd.OMNIGLOT_BATCHES - 1):
                result = gd.omniglot_callback(algorithm, noisy, batch, plot=plot)
                plot = result.plot
                png = plot.png()
                assert png.startswith(b"\x89PNG\r\n\x1a\n")
                check_figure(result.figure)
                frame = result.state
                assert frame is gd.omniglot_frame(algorithm, noisy, batch)  # kept, not redone
                assert not frame.wrong[~frame.noisy].any()
                assert frame.wrong[frame.noisy].any(axis=1).all() or algorithm == "reptile"
                assert f"meta-batch {batch}" in result.readout
                assert ("?" in result.readout) == (algorithm == "fomaml")
                if noisy:
                    assert "Mean GA weight: noisy" in result.readout
    assert plot.full_frames == 1, "toggling the algorithm and moving sliders redraws in place"


def test_omniglot_demo_names_the_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(gd, "OMNIGLOT_THETA_FILE", tmp_path / "omniglot_theta.npz")
    with pytest.raises(FileNotFoundError, match=r"run_experiments\.py --only omniglot"):
        gd.omniglot_demo()
