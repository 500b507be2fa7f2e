"""The slider callbacks, called as plain functions (no browser): every slider at both ends of its
range, what was computed, and what was drawn."""

from __future__ import annotations

import math
import time

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import gaml_demos as gd
import gaml_runs as gr
import gaml_tasks as gt

DEMOS = {
    "tasks": gd.tasks_demo,
    "dissent": gd.dissent_demo,
    "training_maml": lambda: gd.training_demo("maml"),
    "training_reptile": lambda: gd.training_demo("reptile", number="4.1"),
}
if gr.SINE_INIT_FILE.exists():
    DEMOS["sine_fit"] = gd.sine_fit_demo


def check_figure(fig) -> None:
    """Every drawn axis has a title and labelled axes; multi-line axes have a legend."""
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert visible
    for ax in visible:
        assert ax.get_title() or fig._suptitle is not None
        assert ax.get_xlabel() or ax.get_ylabel() or fig._suptitle is not None
        lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        if len(lines) > 1:  # its own legend, or one shared legend for identical panels
            assert ax.get_legend() is not None or any(a.get_legend() for a in visible)


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
    hist = r1.state.histories["agreement"]
    assert hist.disagreeing.sum(axis=1).tolist() == [3] * len(hist.loss_after)  # 0.375 of 8


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
