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
