"""Tests of gaml_omniglot_runs: the quick study's CSV and its resume, the noise applied to
exactly one task per meta-batch, the pairing of seeds across methods and the grid rule."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import gaml_omniglot as go
import gaml_omniglot_runs as gor

COLUMNS = {
    "phase", "algorithm", "weighting", "beta0", "seed", "noisy_tasks", "iterations", "val_acc",
    "test_acc", "lake20_error", "diverged", "seconds", "mean_weight_noisy", "mean_weight_clean",
}  # fmt: skip


@pytest.fixture(scope="module")
def characters() -> np.ndarray:
    return go.split_characters(go.load_omniglot().background)[0]


def batches(study: gor.OmniglotStudy, algorithm: str, characters: np.ndarray, seed: int = 3):
    """The clean and the noisy first meta-batch of one seed."""
    out = []
    for noisy in (0, 1):
        rngs = tuple(study.rng(seed, s) for s in (1, 2, 3))
        out.append(study.training_batch(algorithm, characters, rngs, noisy))
    return out


def test_quick_study_writes_every_cell_and_resumes(quick_omniglot: tuple[Path, dict]) -> None:
    study = gor.OmniglotStudy.quick()
    tmp_path, first = quick_omniglot
    path = tmp_path / gor.STUDY_FILE
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert COLUMNS <= set(reader.fieldnames or ())
        rows = list(reader)
    methods = len(study.algorithms) * len(study.weightings)
    assert sum(r["phase"] == "grid" for r in rows) == methods  # one β0, one seed
    assert sum(r["phase"] == "final" for r in rows) == 2 * methods  # clean and noisy
    assert first["cells_run"] == 3 * methods - methods  # the clean finals are copied
    noisy = [r for r in rows if r["noisy_tasks"] == "1"]
    assert all(0.0 <= float(r["val_acc"]) <= 1.0 for r in rows)
    assert all(r["mean_weight_noisy"] not in ("", "nan") for r in noisy)
    uniform = [r for r in noisy if r["weighting"] == "uniform"]
    assert all(float(r["mean_weight_noisy"]) == pytest.approx(0.2) for r in uniform)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["settings"]["iterations"] == study.iterations
    assert 0.0 < meta["pixel_nn_test_acc"] < 1.0 and 0.0 < meta["pixel_nn_lake20_error"] < 1.0
    again = gor.run_omniglot_study(study, tmp_path, workers=1, progress=False)
    assert again["cells_run"] == 0
    assert len(gor.read_rows(path)) == len(rows)


@pytest.mark.parametrize("algorithm", gor.ALGORITHMS)
def test_noise_hits_exactly_one_task_per_batch(algorithm: str, characters: np.ndarray) -> None:
    study = gor.OmniglotStudy()
    clean, noisy = batches(study, algorithm, characters)
    assert clean.disagreeing.sum() == 0 and noisy.disagreeing.sum() == 1
    np.testing.assert_array_equal(clean.X_train, noisy.X_train)
    np.testing.assert_array_equal(clean.X_test, noisy.X_test)
    changed = clean.y_train if algorithm == "reptile" else clean.y_test
    after = noisy.y_train if algorithm == "reptile" else noisy.y_test
    differs = (changed != after).any(axis=1)
    np.testing.assert_array_equal(differs, noisy.disagreeing)
    same = clean.y_test if algorithm == "reptile" else clean.y_train
    np.testing.assert_array_equal(same, noisy.y_test if algorithm == "reptile" else noisy.y_train)
    if algorithm == "reptile":  # 5 images per class: the shuffled task contradicts itself
        bad = noisy.y_train[noisy.disagreeing][0].reshape(study.reptile_shots, study.ways)
        assert bad.shape == (5, 5) and (bad != np.arange(5)).any()
    else:  # every query label of the noisy task is wrong, none of the others
        assert (noisy.y_test[noisy.disagreeing] != clean.y_test[noisy.disagreeing]).all()


def test_seed_is_paired_across_algorithms(characters: np.ndarray) -> None:
    study = gor.OmniglotStudy()
    reptile, fomaml = (
        batches(study, "reptile", characters)[1],
        batches(study, "fomaml", characters)[1],
    )
    np.testing.assert_array_equal(reptile.disagreeing, fomaml.disagreeing)
    np.testing.assert_array_equal(reptile.info["character"], fomaml.info["character"])
    # Reptile's first block is drawing 0 of every class: FOMAML's support set.
    np.testing.assert_array_equal(reptile.X_train[:, :5], fomaml.X_train)
    assert reptile.X_train.shape[1] == 25 and fomaml.X_test.shape[1] == 20
    theta = [study.model().init(study.rng(3, 0)) for _ in range(2)]
    np.testing.assert_array_equal(*theta)


def test_grid_grows_past_an_edge_optimum() -> None:
    study = gor.OmniglotStudy()
    assert gor.grid_betas(study, "reptile", {}) == [0.5, 1.0, 2.0]
    assert gor.grid_betas(study, "reptile", {0.5: 0.6, 1.0: 0.62}) == [0.5, 1.0, 2.0]
    assert gor.grid_betas(study, "reptile", {0.5: 0.6, 1.0: 0.62, 2.0: 0.61}) == [0.5, 1.0, 2.0]
    assert gor.grid_betas(study, "reptile", {0.5: 0.6, 1.0: 0.62, 2.0: 0.64}) == [
        0.5, 1.0, 2.0, 4.0
    ]  # fmt: skip
    assert gor.grid_betas(study, "fomaml", {0.03: 0.7, 0.1: 0.6, 0.3: 0.5, 0.01: 0.71}) == [
        0.003, 0.01, 0.03, 0.1, 0.3
    ]  # fmt: skip
    assert gor.grid_betas(study, "fomaml", {0.03: 0.7, 0.1: 0.6, 0.3: float("-inf")})[0] == 0.01


def test_accuracy_along_one_path_equals_one_run_per_length() -> None:
    study = gor.OmniglotStudy.quick()
    tasks, model = gor._data(study)["val"], study.model()
    theta = model.init(study.rng(0, 0))
    theta[-30:] = study.rng(0, 9).normal(size=30)  # a head that is not zero: step 0 differs
    path = gor.accuracy(study, theta, tasks, model, 0.1, (0, 3, 1))
    for row, k in zip(path, (0, 3, 1), strict=True):
        np.testing.assert_array_equal(row, gor.accuracy(study, theta, tasks, model, 0.1, k))
    before = model.accuracy(theta[None], tasks.X_test, tasks.y_test)
    np.testing.assert_array_equal(gor.accuracy(study, theta, tasks, model, 0.1, 0), before)


def test_scratch_baseline_is_tuned_on_validation_and_resumes(tmp_path: Path) -> None:
    study = gor.OmniglotStudy.quick()
    first = gor.run_scratch_baseline(study, tmp_path, progress=False)
    rows = gor.read_rows(tmp_path / gor.SCRATCH_FILE)
    grid = [r for r in rows if r["phase"] == "grid"]
    assert {r["alpha"] for r in grid} == set(study.scratch_alphas)
    assert all(np.isnan(r["test_acc"]) for r in grid)  # the grid never sees the test tasks
    means: dict[tuple, list] = {}
    for r in grid:
        means.setdefault((r["alpha"], r["steps"]), []).append(r["val_acc"])
    best = max(means, key=lambda key: np.mean(means[key]))
    assert (first["alpha"], first["steps"]) == best
    final = [r for r in rows if r["phase"] == "final"]
    assert len(final) == study.final_seeds
    assert all(0 <= r["test_acc"] <= 1 and 0 <= r["lake20_error"] <= 1 for r in final)
    assert gor.run_scratch_baseline(study, tmp_path, progress=False)["cells_run"] == 0


def test_demo_theta_is_the_study_s_seed_0_run(quick_omniglot: tuple[Path, dict]) -> None:
    study = gor.OmniglotStudy.quick()
    tmp_path, meta = quick_omniglot
    path = gor.save_demo_thetas(study, tmp_path, meta["tuned"])
    rows = gor.read_rows(tmp_path / gor.STUDY_FILE)
    with np.load(path) as saved:
        for alg in study.algorithms:
            want = ("final", alg, "uniform", 0, 0)
            keys = ("phase", "algorithm", "weighting", "seed", "noisy_tasks")
            row = next(r for r in rows if tuple(r[k] for k in keys) == want)
            assert float(saved[f"{alg}_beta0"]) == row["beta0"]
            scores = gor.score(study, saved[alg])
            for key, value in scores.items():
                assert value == pytest.approx(row[key], abs=1e-6)
    mtime = path.stat().st_mtime_ns
    assert gor.save_demo_thetas(study, tmp_path, meta["tuned"]) == path  # kept, not retrained
    assert path.stat().st_mtime_ns == mtime


def test_pixel_baseline_matches_lake_s_protocol() -> None:
    study = gor.OmniglotStudy.quick()
    base = gor.pixel_baseline(study)
    runs = go.load_omniglot().runs
    score = go.lake_error(lambda tr, te: go.nearest_neighbour(tr, np.arange(20), te), runs)
    assert base["pixel_nn_lake20_error"] == pytest.approx(score.error)
    assert base["pixel_nn_lake20_run_sd"] == pytest.approx(score.per_run.std(ddof=1))
    assert 0 < base["pixel_nn_test_ci"] < 0.5
