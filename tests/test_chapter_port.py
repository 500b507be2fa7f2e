"""Tests of chapter_port: the port of the chapter's program, its defects and their fixes.

Expected values come from gaml_core (tested on its own) or from the formulas written out
here, never from chapter_port's own output.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chapter_port as cp
import gaml_core as gc
import gaml_plots as gp
import gaml_tasks as gt


def chapter_batch(seed: int, n: int = 2) -> gt.TaskBatch:
    return gt.sample_chapter_tasks(np.random.default_rng(seed), n)


def structured_batch(seed: int, n: int = 4) -> gt.TaskBatch:
    family = gt.LogisticTaskFamily.create(np.random.default_rng(seed), dim=50, disagree_frac=0.25)
    return family.sample(np.random.default_rng(seed + 1), n, 10, 10)


@pytest.mark.parametrize("make", [chapter_batch, structured_batch])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_all_fixes_equal_meta_step(make, seed):
    batch = make(seed)
    theta = np.random.default_rng(seed + 10).normal(size=50)
    for alpha, beta in [(1e-4, 1e-4), (0.3, 0.2)]:
        got, _ = cp.chapter_epoch(theta, batch, alpha, beta, cp.Fixes.all_fixed())
        want, _ = gc.meta_step(theta, batch, alpha, beta, "fomaml", "agreement")
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)


def test_published_step_moves_every_parameter_equally():
    batch = chapter_batch(3)
    theta = np.random.default_rng(4).normal(size=50)
    alpha, beta = 1e-4, 1e-4
    new, info = cp.chapter_epoch(theta, batch, alpha, beta)
    assert np.all(info.step == info.step[0])  # exactly one number, broadcast
    # independent formula: step = −β/n · Σ_i w_i · Σ_d ∇L_i^test(θ'_i)_d
    X, y, Xq, yq = batch
    weights = gc.agreement_weights(
        np.array([alpha * gc.logistic_grad(theta, X[i], y[i]) for i in range(2)]), "chapter"
    )
    total = 0.0
    for i in range(2):
        adapted = theta - alpha * gc.logistic_grad(theta, X[i], y[i])
        total += weights[i] * gc.logistic_grad(adapted, Xq[i], yq[i]).sum()
    assert math.isclose(info.step[0], -beta * total / 2, rel_tol=1e-12)
    np.testing.assert_allclose(new - theta, info.step, atol=1e-15)


def test_fixed_scalar_sum_gives_distinct_entries():
    _, info = cp.chapter_epoch(
        np.ones(50), chapter_batch(5), 1e-4, 1e-4, cp.Fixes(fix_scalar_sum=True)
    )
    assert np.unique(info.step).size > 1


def test_double_division_halves_the_step_for_two_tasks():
    batch, theta = chapter_batch(6), np.random.default_rng(7).normal(size=50)
    once = cp.chapter_epoch(theta, batch, 1e-3, 1e-3, cp.Fixes(True, "paper", True))[1].step
    twice = cp.chapter_epoch(theta, batch, 1e-3, 1e-3, cp.Fixes(True, "paper", False))[1].step
    np.testing.assert_allclose(twice, once / 2, rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_weights_match_gaml_core(seed):
    g = np.random.default_rng(seed).normal(size=(4, 6))
    for norm in ("chapter", "paper"):
        np.testing.assert_allclose(
            cp.chapter_weights(g, norm), gc.agreement_weights(g, norm), rtol=1e-12
        )


def test_chapter_and_paper_normalisations_coincide_when_all_agree():
    g = np.array([[1.0, 0.2], [0.8, 0.4]])  # g1ᵀg2 > 0: every Gram entry positive
    np.testing.assert_allclose(cp.chapter_weights(g, "chapter"), cp.chapter_weights(g, "paper"))
    g = np.array([[1.0, 0.0], [1.0, 0.1], [-1.0, 0.0]])  # a dissenter: chapter is smaller
    chapter, paper = cp.chapter_weights(g, "chapter"), cp.chapter_weights(g, "paper")
    assert np.abs(chapter).sum() < np.abs(paper).sum()
    np.testing.assert_allclose(chapter / chapter[0], paper / paper[0], rtol=1e-12)


def test_verbatim_column_loop_fails_on_current_numpy():
    # NumPy 1.25 deprecated storing a (1, 1) array into a float slot; NumPy 2.4 raises.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with pytest.raises((ValueError, DeprecationWarning)):
            cp.chapter_weight_loop_verbatim(np.ones((2, 5)))


def test_program_draws_in_the_chapters_order_and_prints_last_task_loss():
    prog = cp.ChapterGAMAML(np.random.default_rng(11), epochs=3).train(verbose=False)
    rng = np.random.default_rng(11)
    theta = rng.normal(size=50)
    assert np.array_equal(prog.thetas[0], theta)
    for e in range(3):
        support = [cp.sample_points(rng, 10) for _ in range(2)]
        query = [cp.sample_points(rng, 10) for _ in range(2)]
        assert math.isclose(prog.printed[e], gc.logistic_loss(theta, *support[1]), rel_tol=1e-12)
        batch = (
            np.stack([s[0] for s in support]),
            np.stack([s[1] for s in support]),
            np.stack([q[0] for q in query]),
            np.stack([q[1] for q in query]),
        )
        theta, _ = cp.chapter_epoch(theta, batch, 1e-4, 1e-4)
    np.testing.assert_array_equal(prog.theta, theta)


def test_program_is_reproducible_and_prints_every_tenth_epoch(capsys):
    a = cp.ChapterGAMAML(np.random.default_rng(1), epochs=21).train()
    b = cp.ChapterGAMAML(np.random.default_rng(1), epochs=21).train(verbose=False)
    assert a.printed == b.printed
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Epoch 0", "Epoch 10", "Epoch 20"]


def test_heldout_report_and_curves():
    held = chapter_batch(12, n=20)
    prog = cp.ChapterGAMAML(np.random.default_rng(2), fixes=cp.Fixes.all_fixed(), epochs=4)
    with pytest.raises(ValueError, match="heldout"):
        prog.train(verbose=False)
    prog.train(heldout=held, verbose=False)
    assert prog.printed == prog.heldout[:-1] and len(prog.heldout) == 5
    theta = np.random.default_rng(3).normal(size=50)
    curve = cp.heldout_curve(
        theta,
        lambda r: gt.sample_chapter_tasks(r, 2),
        np.random.default_rng(4),
        3,
        1e-4,
        1e-4,
        held,
        "meta_step",
    )
    assert curve.shape == (4,)
    assert math.isclose(
        curve[0], gc.evaluate(theta, held, 1e-4, 1)["loss"][1].mean(), rel_tol=1e-12
    )


def test_fixes_and_helpers_validate():
    with pytest.raises(ValueError, match="normalization"):
        cp.Fixes(normalization="book")
    with pytest.raises(ValueError, match="report"):
        cp.Fixes(report="nothing")
    with pytest.raises(ValueError, match="method"):
        cp.heldout_curve(np.zeros(50), None, None, 1, 0.1, 0.1, chapter_batch(0), "other")
    assert cp.syntax_error_of(cp.CHAPTER_PRINT_LINE).startswith("SyntaxError: ")
    assert cp.syntax_error_of("print(1)") == "ok"


def test_loss_at_and_expected_curve():
    tasks = chapter_batch(8, n=30)
    theta = np.random.default_rng(9).normal(size=50)
    want = [gc.logistic_loss(theta, tasks.X_train[i], tasks.y_train[i]) for i in range(30)]
    np.testing.assert_allclose(cp.loss_at(theta, tasks), want, rtol=1e-12)
    mean, sd = cp.expected_curve([theta, np.zeros(50)], tasks)
    assert math.isclose(mean[0], np.mean(want), rel_tol=1e-12)
    assert math.isclose(mean[1], math.log(2), rel_tol=1e-12) and sd[1] < 1e-12


def test_figures_have_titles_labels_and_legends():
    import matplotlib.pyplot as plt

    curves = {
        "A": {"one": [3.0, 2.0, 1.0], "two": [3.0, 3.0, 3.0]},
        "B": {"one": [1, 2], "two": [2, 1]},
    }
    fig = gp.plot_heldout_curves(curves, reference=math.log(2), title="overall")
    assert fig._suptitle.get_text() == "overall"
    assert [ax.get_title() for ax in fig.axes] == ["A", "B"]
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert len(fig.legends) == 1
    plt.close(fig)
    fig = gp.plot_printed_vs_expected([3.0, 2.0, 1.0], [2.0, 2.0, 2.0], [0.5, 0.5, 0.5], "t")
    ax = fig.axes[0]
    assert ax.get_title() == "t" and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None
    plt.close(fig)
