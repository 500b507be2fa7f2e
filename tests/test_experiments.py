"""Fast tests of the experiments (gaml_stats, gaml_runs, gaml_evidence, gaml_evidence_figures):
statistics by hand, determinism, the loader, the tables and the figures.

Expected numbers are computed by hand in the comments, never copied from the module's output.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import gaml_evidence as ge
import gaml_evidence_figures as gf
import gaml_omniglot_runs as gor
import gaml_plots as gp
import gaml_results as gres
import gaml_runs as gr
import gaml_stats as gs

# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------


def test_mean_ci_hand_computed() -> None:
    # values 1..5: mean 3, sample variance (4+1+0+1+4)/4 = 2.5, t_{0.975,4} = 2.776
    # half-width = 2.776 · sqrt(2.5) / sqrt(5) = 2.776 · sqrt(0.5) = 1.962928...
    mean, half, n = gs.mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == pytest.approx(3.0)
    assert half == pytest.approx(2.776 * math.sqrt(0.5), rel=1e-12)
    assert n == 5


def test_mean_ci_two_values_and_edge_cases() -> None:
    # [1, 3]: s = sqrt(2), half = 12.706 · sqrt(2) / sqrt(2) = 12.706
    assert gs.mean_ci([1.0, 3.0]) == pytest.approx((2.0, 12.706, 2))
    mean, half, n = gs.mean_ci([4.0])
    assert (mean, n) == (4.0, 1) and math.isnan(half)
    mean, half, n = gs.mean_ci([])
    assert n == 0 and math.isnan(mean) and math.isnan(half)
    # NaN and None are ignored: the same as [1, 3]
    assert gs.mean_ci([1.0, float("nan"), None, 3.0]) == pytest.approx((2.0, 12.706, 2))


def test_t_quantile_table_and_expansion() -> None:
    assert gs.t_quantile(1) == 12.706
    assert gs.t_quantile(9) == 2.262
    assert gs.t_quantile(30) == 2.042
    # published values: t_{0.975,40} = 2.0211, t_{0.975,120} = 1.9799
    assert gs.t_quantile(40) == pytest.approx(2.0211, abs=2e-3)
    assert gs.t_quantile(120) == pytest.approx(1.9799, abs=1e-3)
    with pytest.raises(ValueError, match="df"):
        gs.t_quantile(0)


def test_summarize_and_paired_difference() -> None:
    records = [
        {"setting": "a", "weighting": "uniform", "seed": 0, "acc": 0.5},
        {"setting": "a", "weighting": "agreement", "seed": 0, "acc": 0.6},
        {"setting": "a", "weighting": "uniform", "seed": 1, "acc": 0.7},
        {"setting": "a", "weighting": "agreement", "seed": 1, "acc": 0.9},
    ]
    rows = gs.summarize(records, ("setting", "weighting"), "acc")
    assert [(r["weighting"], r["n"]) for r in rows] == [("uniform", 2), ("agreement", 2)]
    assert rows[0]["mean"] == pytest.approx(0.6)
    # differences per seed: 0.1 and 0.2 → mean 0.15, s = sqrt(0.005), half = 12.706 · 0.05
    (diff,) = gs.paired_difference(records, ("setting",), "acc", "agreement")
    assert diff["mean"] == pytest.approx(0.15)
    assert diff["ci"] == pytest.approx(12.706 * 0.05)
    assert diff["n"] == 2


# ---------------------------------------------------------------------------------------------
# Tiny configurations, shared by the determinism, loader and figure tests
# ---------------------------------------------------------------------------------------------

TINY_LOGISTIC = {"dim": 5, "iterations": 4, "eval_tasks": 20, "eval_query": 10, "curve_bins": 4}
TINY_LOGISTIC["val_tasks"] = 10
TINY_SINE = gr.SineStudy(
    hidden=6, iterations=6, seeds=2, val_tasks=6, test_tasks=8, eval_query=5,
    betas={"reptile": (0.3, 1.0), "fomaml": (0.003, 1e300)},
)  # fmt: skip
TINY_KSHOT = gr.SineStudy.k_shot_regime(
    hidden=6, iterations=6, seeds=2, val_tasks=6, test_tasks=8, eval_query=5,
    betas={"fomaml": (0.01, 0.1)},
)  # fmt: skip
TINY_STUDIES = (TINY_SINE, TINY_KSHOT)


def tiny_logistic_configs() -> list[gr.LogisticConfig]:
    return [replace(c, **TINY_LOGISTIC) for c in gr.logistic_configs(quick=True)]


def _same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray):
            if not np.array_equal(x, y):
                return False
        elif isinstance(x, float) and math.isnan(x):
            if not (isinstance(y, float) and math.isnan(y)):
                return False
        elif isinstance(x, list):
            if not np.array_equal(np.asarray(x, float), np.asarray(y, float), equal_nan=True):
                return False
        elif x != y:
            return False
    return True


def test_logistic_run_is_deterministic() -> None:
    config = replace(gr.LogisticConfig("maml", "agreement", "flip", 0.25), **TINY_LOGISTIC)
    first, again = gr.run_logistic_seed(config, 3), gr.run_logistic_seed(config, 3)
    assert _same(first, again)
    assert not _same(first, gr.run_logistic_seed(config, 4))
    # the weighting changes the result, but not the tasks: uniform sees the same batches
    uniform = gr.run_logistic_seed(replace(config, weighting="uniform"), 3)
    assert uniform["weight_disagreeing"] == pytest.approx(1 / 8)
    assert uniform["weight_agreeing"] == pytest.approx(1 / 8)


def test_sine_cell_is_deterministic_and_paired() -> None:
    first = gr.run_sine_cell(TINY_SINE, "reptile", "agreement", 0.3)
    again = gr.run_sine_cell(TINY_SINE, "reptile", "agreement", 0.3)
    assert all(_same(a, b) for a, b in zip(first["rows"], again["rows"], strict=True))
    assert [r["seed"] for r in first["rows"]] == [0, 1]
    assert first["theta_seed0"].shape == (6 * 6 + 4 * 6 + 1,)
    assert all(math.isfinite(r["mse_32"]) and not r["diverged"] for r in first["rows"])
    # seed s starts from the same θ in every cell: at β0 = 0 nothing moves, for any weighting
    still = [gr.run_sine_cell(TINY_SINE, "reptile", w, 0.0) for w in ("uniform", "agreement")]
    scores = [{k: v for k, v in c["rows"][1].items() if "mse" in k} for c in still]
    assert scores[0] == scores[1]
    init = TINY_SINE.model.init(np.random.default_rng([gr.SINE_ID, 0, 0]))
    np.testing.assert_array_equal(still[0]["theta_seed0"], init)


def test_a_diverging_sine_cell_is_marked_not_fatal() -> None:
    cell = gr.run_sine_cell(TINY_SINE, "fomaml", "uniform", 1e300)
    assert all(r["diverged"] and r["mse_5"] == math.inf for r in cell["rows"])


def test_k_shot_regime_trains_on_the_whole_support_set() -> None:
    assert (TINY_SINE.regime, TINY_SINE.inner_data) == ("minibatch", "minibatch 10 of 50")
    assert (TINY_KSHOT.regime, TINY_KSHOT.inner_data) == ("k-shot", "full batch of 10")
    batch = TINY_KSHOT.training_batch(np.random.default_rng(0))
    assert batch.X_train.shape == (5, 10, 1) and batch.X_test.shape == (5, 10, 1)
    cell = gr.run_sine_cell(TINY_KSHOT, "fomaml", "agreement", 0.1)
    assert {r["regime"] for r in cell["rows"]} == {"k-shot"}
    assert all(r["inner_data"] == "full batch of 10" for r in cell["rows"])
    # the full study's k-shot grid brackets FOMAML's optimum: it reaches step sizes that diverge
    full = gr.SineStudy.k_shot_regime()
    assert min(full.betas["fomaml"]) <= 0.01 and max(full.betas["fomaml"]) >= 0.3
    assert [st.regime for st in gr.sine_studies()] == ["minibatch", "k-shot"]


def test_a_cell_where_every_seed_diverged_stops_early() -> None:
    study = replace(TINY_KSHOT, iterations=10_000)  # would take far longer than this test
    cell = gr.run_sine_cell(study, "fomaml", "uniform", 1e300)
    assert all(r["diverged"] and r["val_mse_5"] == math.inf for r in cell["rows"])
    assert cell["seconds"] < 5.0


def _rows_of(folder: Path) -> list[str]:
    """The lines of sine_study.csv (as text: a NaN is then equal to itself)."""
    return (folder / "sine_study.csv").read_text(encoding="utf-8").splitlines()


def test_sine_study_writes_each_cell_and_resumes(tmp_path: Path) -> None:
    first = gr.run_sine_study(TINY_STUDIES, tmp_path, workers=1, progress=False)
    cells = len(TINY_SINE.cells()) + len(TINY_KSHOT.cells())
    assert first["cells_run"] == cells
    rows = _rows_of(tmp_path)
    assert len(rows) == 1 + cells * 2
    assert len(list((tmp_path / "sine_thetas").glob("*.npy"))) == cells
    # nothing left to do: a second run trains no cell and changes no number
    again = gr.run_sine_study(TINY_STUDIES, tmp_path, workers=1, progress=False)
    assert again["cells_run"] == 0 and _rows_of(tmp_path) == rows
    # an interrupted run: one cell's rows are missing (and one row of another): only those two
    # cells are trained again, with the same numbers as before
    csv_path = tmp_path / "sine_study.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith("k-shot,fomaml,cosine,0.1,")]
    kept = [ln for ln in kept if not ln.startswith("minibatch,reptile,uniform,0.3,1,")]
    csv_path.write_text("".join(kept), encoding="utf-8")
    resumed = gr.run_sine_study(TINY_STUDIES, tmp_path, workers=1, progress=False)
    assert resumed["cells_run"] == 2
    assert _rows_of(tmp_path) == rows
    # a regime whose settings change is trained again; the other regime's rows stay
    changed = replace(TINY_KSHOT, alpha=0.01)
    out = gr.run_sine_study((TINY_SINE, changed), tmp_path, workers=1, progress=False)
    assert out["cells_run"] == len(TINY_KSHOT.cells())

    def minibatch(lines: list[str]) -> list[str]:
        return [ln for ln in lines if ln.startswith("minibatch,")]

    assert minibatch(_rows_of(tmp_path)) == minibatch(rows)
    # a study of one regime leaves the rows of the other one alone
    out = gr.run_sine_study(changed, tmp_path, workers=1, progress=False)
    assert out["cells_run"] == 0 and len(_rows_of(tmp_path)) == 1 + cells * 2


def test_results_from_before_the_regimes_are_read_as_minibatch(tmp_path: Path) -> None:
    gr.run_sine_study(TINY_SINE, tmp_path, workers=1, progress=False)
    meta = gres.read_sine_meta(tmp_path)
    old_meta = {"study": meta["studies"]["minibatch"], "wall_seconds": 1.0, "workers": 2,
                "train_seconds": {k.removeprefix("minibatch_"): v
                                  for k, v in meta["train_seconds"].items()}}  # fmt: skip
    (tmp_path / "sine_study.json").write_text(json.dumps(old_meta), encoding="utf-8")
    csv_path = tmp_path / "sine_study.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    csv_path.write_text("".join(ln.split(",", 1)[1] for ln in lines), encoding="utf-8")
    rows = gres.read_sine_study(tmp_path)
    assert rows and all(r["regime"] == "minibatch" for r in rows)
    assert gres.read_sine_meta(tmp_path)["studies"]["minibatch"] == old_meta["study"]
    # and resuming from them trains nothing again
    assert gr.run_sine_study(TINY_SINE, tmp_path, workers=1, progress=False)["cells_run"] == 0


def test_a_median_that_blew_up_is_never_printed_as_a_number() -> None:
    study = TINY_SINE  # predicting 0 scores (0.01 + 0.5 + 25) / 6 = 4.2517
    # 5 of 10 seeds blew up (worse than 4.25, one diverged): the median, the mean of the 5th
    # and 6th values, averages in a run that blew up (here (0.5 + 2.5e13) / 2 = 1.25e13)
    mse = [0.1, 0.2, 0.3, 0.4, 0.5, 2.5e13, 3e13, 5e13, 7e20, math.inf]
    centre, half, blown = study.summary(mse)
    assert (centre, blown) == (math.inf, 5) and math.isnan(half)
    assert ge._mse_cell(mse, study) == "5/10 blew up, the median too"
    # 1 of 4 blew up: the median, (0.2 + 0.3) / 2, is a real number and is printed
    assert study.summary([0.1, 0.2, 0.3, math.inf])[::2] == (0.25, 1)
    assert ge._mse_cell([0.1, 0.2, 0.3, math.inf], study) == "median 0.250, 1/4 blew up"
    assert ge._mse_cell([math.inf, 9.0], study) == "all 2 blew up"
    # 2 of 4: the median averages a learned run and one that blew up, (0.3 + 4.3) / 2 = 2.3
    assert ge._mse_cell([0.1, 0.3, 4.3, math.inf], study) == "2/4 blew up, the median too"
    # in a table of the grid, the same: no number larger than predicting 0 in any MSE column
    records = [
        {"regime": "minibatch", "algorithm": "fomaml", "weighting": w, "beta0": 0.03, "seed": s,
         "mse_5": v if w == "agreement" else 0.5 + s / 100}
        for s, v in enumerate(mse) for w in ("uniform", "agreement")
    ]  # fmt: skip
    results = {"meta": {"studies": {"minibatch": dataclasses.asdict(study)}}, "records": records}
    table = ge.sine_grid_table(results, "fomaml", "minibatch")
    assert "5/10 blew up, the median too" in table
    assert "12500000" not in table and "e+" not in table


def test_fd_hessian_vector_product_matches_the_logistic_models() -> None:
    rng = np.random.default_rng(3)
    model = gr.gc.LogisticModel()
    theta, X = rng.normal(size=(2, 4)), rng.normal(size=(2, 7, 4))
    y, v = (rng.random((2, 7)) > 0.5).astype(float), rng.normal(size=(2, 4))
    np.testing.assert_allclose(gr._fd_hvp(model, theta, X, y, v), model.hvp(theta, X, v),
                               rtol=1e-6, atol=1e-9)  # fmt: skip


def test_trace_of_fomaml_probes_the_exact_meta_gradient() -> None:
    trace = gr.trace_fomaml(TINY_SINE, 0.01, iterations=6, every=3, probe_tasks=4, scan_at=3)
    assert trace["iteration"] == [0, 3, 6] and trace["regime"] == "minibatch"
    # the output-scale scan at iteration 3: factor 1 is θ itself
    assert trace["scan_factors"] == list(gr.SCAN_FACTORS)
    one = trace["scan_factors"].index(1.0)
    assert trace["scan_before"][one] == pytest.approx(trace["loss_before"][1])
    assert trace["scan_after"][one] == pytest.approx(trace["loss_after"][1])
    assert all(-1.0 <= c <= 1.0 for c in trace["cos_fo_exact"])
    assert len(trace["blowup_iteration"]) == TINY_SINE.seeds
    # with a tiny inner step the exact meta-gradient is FOMAML's: (I − αH) → I
    tiny = replace(TINY_SINE, alpha=1e-9)
    probe = gr.meta_gradient_probe(tiny, TINY_SINE.model.init(np.random.default_rng(0)),
                                   tiny.training_batch(np.random.default_rng(1)))  # fmt: skip
    assert probe["cos_fo_exact"] == pytest.approx(1.0, abs=1e-9)
    assert probe["norm_exact"] == pytest.approx(probe["norm_fo"], rel=1e-6)


def test_tuning_chooses_on_validation_and_skips_diverged() -> None:
    rows = [
        {"g": "a", "beta": b, "seed": s, "val": v}
        for b, vals in ((0.1, (3.0, 3.0)), (1.0, (1.0, 2.0)), (10.0, (0.1, math.inf)))
        for s, v in enumerate(vals)
    ]
    assert gs.tune(rows, ("g",), "beta", "val") == {("a",): 1.0}
    assert gs.tune(rows, ("g",), "beta", "val", lower_is_better=False) == {("a",): 0.1}


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="none"):
        gr.LogisticConfig("maml", "uniform", "flip", 0.0)


# ---------------------------------------------------------------------------------------------
# Results files: save, load, and every figure drawn from what was loaded
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results_dir(
    tmp_path_factory: pytest.TempPathFactory, quick_omniglot: tuple[Path, dict]
) -> Path:
    folder = tmp_path_factory.mktemp("results")
    configs = tiny_logistic_configs()
    records = [gr.run_logistic_seed(c, s) for s in range(2) for c in configs]
    shared, rest = gres.compact_records(records)
    gres.save_json(
        {
            "meta": {"config": {"meta_batch": 8}, "shared": shared, "n_seeds": 2},
            "records": rest,
            "baselines": [gr.run_baselines_seed(configs[0], s) for s in range(2)],
        },
        folder / "logistic.json",
    )
    gr.run_sine_study(TINY_STUDIES, folder, workers=1, progress=False)
    betas, _ = ge.sine_tuned(gres.load_results(folder)["sine"])
    compared = {k: b for k, b in betas.items() if k[:2] in gr.SINE_COMPARED}
    inits = {f"{a}_{w}": gr.cached_sine_theta(folder / "sine_thetas", g, a, w, b)
             for (g, a, w), b in compared.items()}  # fmt: skip
    tuned = {f"{a}_{w}": b for (_, a, w), b in compared.items()}
    regimes = {f"{a}_{w}": g for (g, a, w) in compared}
    gres.save_sine_init(folder / "sine_init.npz", TINY_SINE, inits, tuned, regimes)
    trace = gr.trace_fomaml(TINY_KSHOT, 0.1, iterations=4, every=2, probe_tasks=3)
    gres.save_json({"meta": {}, "records": [trace]}, folder / "fomaml_trace.json")
    overhead = gr.measure_overhead(repeats=1, number=1, sine_number=1)
    gres.save_json({"meta": {}, "records": overhead}, folder / "overhead.json")
    for name in (gor.STUDY_FILE, gor.SCRATCH_FILE, "omniglot_study.json"):
        shutil.copy(quick_omniglot[0] / name, folder / name)
    return folder


def test_loader_restores_records(results_dir: Path) -> None:
    results = gres.load_results(results_dir)
    assert set(results) == {"logistic", "sine", "overhead", "fomaml_trace", "omniglot"}
    logistic = results["logistic"]["records"]
    # the tables read the runs at each method's β chosen on validation: one β per method
    betas = {c.beta for c in tiny_logistic_configs()}
    assert len(logistic) == 2 * len(tiny_logistic_configs()) // len(betas)
    assert len(results["logistic"]["all_records"]) == 2 * len(tiny_logistic_configs())
    # the shared fields are back in every record, and a missing number is NaN again
    assert all(r["dim"] == 5 and r["meta_batch"] == 8 for r in logistic)
    clean = [r for r in logistic if r["disagreement"] == "none"]
    assert clean and all(math.isnan(r["weight_disagreeing"]) for r in clean)
    cells = len(TINY_SINE.cells()) + len(TINY_KSHOT.cells())
    assert len(results["sine"]["records"]) == cells * TINY_SINE.seeds
    assert {r["regime"] for r in results["sine"]["records"]} == {"minibatch", "k-shot"}
    init = gres.load_sine_init(results_dir / "sine_init.npz")
    assert init["reptile_agreement"].shape == (6 * 6 + 4 * 6 + 1,)
    # FOMAML's initialisations are the k-shot regime's, where it is compared
    assert init["regime_fomaml_uniform"] == "k-shot"
    assert init["regime_reptile_uniform"] == "minibatch"
    # a folder without files gives an empty dict, not an error
    assert gres.load_results(results_dir / "nowhere") == {}


def test_tables_round_to_three_decimals(results_dir: Path) -> None:
    results = gres.load_results(results_dir)
    text = ge.results_markdown(results)
    assert "| GA-Reptile |" in text and "cosine" in text and "not in paper" in text
    assert "0.13" in text and "0.08" in text  # the paper's sine numbers
    body = ge.logistic_table(results["logistic"])
    numbers = [tok for tok in body.replace("|", " ").split() if tok[-1:].isdigit() and "." in tok]
    assert numbers and all(len(tok.split(".")[1]) == 3 for tok in numbers)


def test_trace_tables(results_dir: Path) -> None:
    trace = gres.load_results(results_dir)["fomaml_trace"]
    table = ge.fomaml_trace_table(trace, iterations=(0, 2, 4))
    assert table.count("| k-shot, 0.1 |") == 3  # iterations 0, 2 and 4 were probed
    assert ge.output_scale_table(trace) == ""  # the tiny trace stops before iteration 1000


def _check_figure(fig: object) -> None:
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert axes
    for ax in axes:
        assert ax.get_title(), "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"axis labels missing in {ax.get_title()!r}"
        handles, _ = ax.get_legend_handles_labels()
        if len(handles) > 1:
            assert ax.get_legend() is not None, f"legend missing in {ax.get_title()!r}"


FIGURE_NAMES = [*gf.EVIDENCE_FIGURES, "plot_sine_fits"]


@pytest.mark.parametrize("name", FIGURE_NAMES)
def test_figures_have_title_labels_legend(results_dir: Path, name: str) -> None:
    results = gres.load_results(results_dir)
    if name == "plot_sine_fits":
        fig = gf.plot_sine_fits(gres.load_sine_init(results_dir / "sine_init.npz"), n_tasks=2)
    else:
        experiment, fn = gf.EVIDENCE_FIGURES[name]
        fig = fn(results[experiment])
    try:
        _check_figure(fig)
    finally:
        gp.close(fig)


def test_quick_run_of_the_whole_pipeline(tmp_path: Path, monkeypatch) -> None:
    """scripts/run_experiments.py --quick: every experiment, table and figure, in seconds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "run_experiments", gres.ROOT / "scripts" / "run_experiments.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(gres, "ROOT", tmp_path)  # the quick run writes under ROOT/build/quick
    assert script.main(["--quick"]) == 0
    out = tmp_path / "build" / "quick"
    rows = gres.read_sine_study(out / "results")
    studies = gr.sine_studies(quick=True)
    assert len(rows) == sum(len(st.cells()) * st.seeds for st in studies)
    assert {"regime", "algorithm", "weighting", "beta0", "seed", "mse_5", "val_mse_5",
            "diverged"} <= set(rows[0])  # fmt: skip
    assert (out / "results" / "fomaml_trace.json").exists()
    init = gres.load_sine_init(out / "results" / "sine_init.npz")
    assert str(init["activation"]) == "tanh" and "reptile_uniform" in init
    summary = (out / "results" / "summary.md").read_text(encoding="utf-8")
    assert "tuned β0" in summary and "every β0 of the grid" in summary
    assert "FOMAML (k-shot regime)" in summary and "FOMAML (minibatch regime" in summary
    assert "Few-shot Omniglot" in summary and "1 noisy task in 5" in summary
    assert {gor.STUDY_FILE, gor.SCRATCH_FILE, gor.DEMO_THETA_FILE} <= {
        p.name for p in (out / "results").iterdir()
    }
    assert {p.name for p in (out / "figures").glob("*.png")} >= {
        "evidence_sine_beta_sweep.png",
        "evidence_sine_tuned.png",
        "evidence_logistic_gain.png",
        "evidence_fomaml_trace.png",
        "evidence_omniglot.png",
    }


def test_omniglot_tables_pair_by_seed(results_dir: Path) -> None:
    om = gres.load_results(results_dir)["omniglot"]
    methods = gor.final_methods(om)
    table = ge.omniglot_table(om).splitlines()
    assert len(table) == 2 + 2 + len(methods)  # header, rule, pixel NN, scratch, methods
    assert f"{om['meta']['pixel_nn_test_acc']:.3f}" in table[2]
    noise = ge.omniglot_noise_table(om).splitlines()[2:]
    for (alg, w), line in zip(methods, noise, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        clean, noisy = (gor.final_rows(om, alg, w, n) for n in (0, 1))
        base = {r["seed"]: r["test_acc"] for r in gor.final_rows(om, alg, "uniform", 0)}
        diffs = [r["test_acc"] - base[r["seed"]] for r in clean]
        if w == "uniform":
            assert cells[4] == "—" and cells[6].startswith("0.200")
        else:
            assert cells[4].startswith(f"{np.mean(diffs):+.3f}".replace("-0.000", "+0.000"))
        change = np.mean([b["test_acc"] - a["test_acc"] for a, b in zip(clean, noisy, strict=True)])
        assert cells[3].startswith(f"{round(change, 3) + 0.0:+.3f}")
