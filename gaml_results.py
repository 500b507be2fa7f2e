"""The experiments' results files (``results/``): where they are, writing and reading them.

* ``logistic.json``, ``overhead.json`` and ``fomaml_trace.json`` (FOMAML's instrumented sine
  runs, :func:`gaml_runs.trace_fomaml`): one record per run, the fields every record shares
  stored once (:func:`save_json`, :func:`compact_records`); :func:`load_results` reads them back,
  with each logistic method at the β chosen on its validation tasks (:func:`tune_logistic`);
* ``sine_study.csv`` / ``sine_study.json``: the sine study's rows (one per regime, algorithm,
  weighting, β0 and seed) and each regime's settings and timings (:func:`read_sine_study`,
  :func:`read_sine_meta`);
* ``sine_init.npz``: learned sine initialisations of one seed (:func:`save_sine_init`,
  :func:`load_sine_init`, the one loader of the course);
* ``omniglot_study.csv`` / ``.json``, ``omniglot_scratch.csv``: the Omniglot study's rows, its
  settings and pixel baseline, the from-scratch baseline's rows (:func:`read_rows`; written by
  :mod:`gaml_omniglot_runs`).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import gaml_core as gc
import gaml_stats as gs

if TYPE_CHECKING:  # the study's settings; gaml_runs imports this module, not the reverse
    from gaml_runs import SineStudy

ROOT = Path(__file__).resolve().parent
RESULTS_DIR = ROOT / "results"  # the stored results that notebook 06 reads
FIGURES_DIR = ROOT / "figures"  # every PNG the scripts draw
SINE_INIT_FILE = RESULTS_DIR / "sine_init.npz"  # the learned sine initialisations of seed 0
RESULT_FILES = {
    "logistic": "logistic.json",
    "overhead": "overhead.json",
    "fomaml_trace": "fomaml_trace.json",
}
SINE_STUDY_FILES = ("sine_study.csv", "sine_study.json")  # rows; settings and timings
# the Omniglot study's rows (settings and baselines in its .json), the from-scratch baseline's
# rows, the demo's meta-trained θ (gaml_omniglot_runs)
OMNIGLOT_FILES = ("omniglot_study.csv", "omniglot_scratch.csv", "omniglot_theta.npz")
_TEXT_COLUMNS = ("phase", "algorithm", "weighting", "source")


def read_sine_study(results_dir: Path | str | None = None) -> list[dict[str, Any]]:
    """The rows of ``sine_study.csv``, numbers as numbers (a diverged run's MSE is inf); a file
    from before the k-shot regime has no ``regime`` column, and all its rows are minibatch."""
    folder = RESULTS_DIR if results_dir is None else Path(results_dir)
    types = {"seed": int, "meta_batch": int, "iterations": int}
    rows = []
    with open(folder / SINE_STUDY_FILES[0], newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out: dict[str, Any] = {"regime": "minibatch", **row}
            for key, value in row.items():
                if key in types:
                    out[key] = types[key](value)
                elif key == "diverged":
                    out[key] = value == "True"
                elif key.startswith(("mse", "val_mse", "beta", "mean_")):
                    out[key] = float(value)
            rows.append(out)
    return rows


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of one of the Omniglot CSVs, numbers as numbers ([] if there is no file)."""
    if not Path(path).exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ints = ("seed", "noisy_tasks", "iterations", "steps")
    for r in rows:
        for k, v in r.items():
            if k in ints:
                r[k] = int(v)
            elif k == "diverged":
                r[k] = v == "True"
            elif k not in _TEXT_COLUMNS:
                r[k] = float(v) if v not in ("", "nan") else math.nan
    return rows


def read_sine_meta(results_dir: Path | str | None = None) -> dict[str, Any]:
    """``sine_study.json``: ``{"studies": {regime: settings}, "train_seconds": {cell: s},
    "runs": [...]}``; a file from before the k-shot regime (one ``"study"``) is read as the
    minibatch regime's."""
    folder = RESULTS_DIR if results_dir is None else Path(results_dir)
    meta = json.loads((folder / SINE_STUDY_FILES[1]).read_text(encoding="utf-8"))
    if "study" in meta:
        meta = {
            "studies": {"minibatch": meta["study"]},
            "runs": [{"regimes": ["minibatch"], "cells": len(meta["train_seconds"]),
                      "wall_seconds": meta["wall_seconds"], "workers": meta["workers"]}],
            "train_seconds": {f"minibatch_{k}": v for k, v in meta["train_seconds"].items()},
        }  # fmt: skip
    return meta


def save_sine_init(
    path: Path, study: SineStudy, thetas: dict[str, np.ndarray], betas: dict[str, float],
    regimes: dict[str, str] | None = None,
) -> None:  # fmt: skip
    """Store learned sine initialisations ``{"<algorithm>_<weighting>": θ}`` (seed 0, each at
    its tuned β0, stored as ``beta0_<algorithm>_<weighting>``, and trained in the regime
    ``regime_<algorithm>_<weighting>``, minibatch where ``regimes`` does not say) with the
    settings that adapt them (``iterations`` is ``study``'s, the minibatch regime's)."""
    regimes = regimes or {}
    np.savez_compressed(
        path, **thetas, **{f"beta0_{name}": beta for name, beta in betas.items()},
        **{f"regime_{name}": regimes.get(name, "minibatch") for name in thetas},
        hidden=study.hidden, activation=study.activation, alpha=study.alpha,
        inner_steps=study.inner_steps, k_shot=study.k_shot, phase=np.array(study.phase),
        amplitude=np.array(study.amplitude), iterations=study.iterations,
        meta_batch=study.meta_batch, seed=0,
    )  # fmt: skip


# The meta-step sizes every logistic method is trained with; each method's own is chosen on the
# validation tasks (:func:`gaml_stats.tune`). The untuned experiment used 0.5 for all.


def _clean_json(value: Any) -> Any:
    """JSON-ready copy: NumPy scalars to Python, NaN to None, floats to 6 significant digits."""
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean_json(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return float(f"{value:.6g}") if math.isfinite(value) else None
    return value


def _from_json(value: Any) -> Any:
    """Inverse of the NaN handling of :func:`_clean_json`: None in a number field → NaN."""
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return math.nan if value is None else value


def save_json(data: dict, path: Path) -> None:
    """Write ``data`` as compact, stable JSON (sorted keys, one record per line)."""
    data = _clean_json(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["{"]
    items = sorted(data.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, list) and value and isinstance(value[0], dict):
            body = ",\n".join("  " + json.dumps(v, sort_keys=True) for v in value)
            lines.append(f"  {json.dumps(key)}: [\n{body}\n  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def compact_records(records: Sequence[dict]) -> tuple[dict, list[dict]]:
    """Split off the fields whose value is the same in every record (stored once as "shared")."""
    if not records:
        return {}, []
    first = records[0]
    shared = {
        k: v
        for k, v in first.items()
        if all(k in r and _clean_json(r[k]) == _clean_json(v) for r in records)
    }
    return shared, [{k: v for k, v in r.items() if k not in shared} for r in records]


LOGISTIC_METHOD = ("disagreement", "disagree_frac", "algorithm", "weighting")


def tune_logistic(records: Sequence[dict]) -> dict[str, Any]:
    """Each logistic method's β per setting, chosen on the validation tasks (best mean
    ``val_acc_after`` over seeds): ``{"records": the runs at the chosen β (what every table
    and figure reads), "all_records": every run of the grid, "tuned_beta": {method: β}}``."""
    tuned = gs.tune(records, LOGISTIC_METHOD, "beta", "val_acc_after", lower_is_better=False)
    chosen = [r for r in records if tuned.get(tuple(r[k] for k in LOGISTIC_METHOD)) == r["beta"]]
    return {"records": chosen, "all_records": list(records), "tuned_beta": tuned}


def load_results(results_dir: Path | str | None = None) -> dict[str, dict]:
    """Load every results file present: ``{"logistic": ..., "sine": ..., "overhead": ...,
    "omniglot": ...}`` (the sine study's ``records`` are the rows of ``sine_study.csv``;
    Omniglot's are ``omniglot_study.csv``'s, with ``"scratch"`` the baseline's rows).

    Each value is the file's dict (``meta`` and ``records``, ...) with null numbers read back as
    NaN. The fields every record shares are stored once, in ``meta["shared"]``; they are copied
    back into every record here. A missing file is simply absent from the returned dict.
    """
    folder = RESULTS_DIR if results_dir is None else Path(results_dir)
    out = {}
    for name, filename in RESULT_FILES.items():
        path = folder / filename
        if path.exists():
            data = _from_json(json.loads(path.read_text(encoding="utf-8")))
            shared = data.get("meta", {}).get("shared", {})
            data["records"] = [{**shared, **rec} for rec in data["records"]]
            if name == "logistic" and "val_acc_after" in data["records"][0]:
                data = {**data, **tune_logistic(data["records"])}
            out[name] = data
    if (folder / SINE_STUDY_FILES[0]).exists():
        out["sine"] = {"meta": read_sine_meta(folder), "records": read_sine_study(folder)}
    study = folder / OMNIGLOT_FILES[0]
    if study.exists():
        meta = json.loads(study.with_suffix(".json").read_text(encoding="utf-8"))
        out["omniglot"] = {"meta": meta, "records": read_rows(study),
                           "scratch": read_rows(folder / OMNIGLOT_FILES[1])}  # fmt: skip
    return out


def load_sine_init(path: Path | str | None = None) -> dict[str, Any]:
    """The learned sine initialisations of one seed: ``{method: theta}`` plus the settings.

    Also ``"activation"`` (the stored one, "relu" for a file that does not name it) and
    ``"model"``: the network the initialisations belong to, ``MLPModel(hidden, activation)``.
    """
    with np.load(SINE_INIT_FILE if path is None else Path(path)) as data:
        init: dict[str, Any] = {key: data[key] for key in data.files}
    init["activation"] = str(init["activation"].item()) if "activation" in init else "relu"
    for key in [k for k in init if k.startswith("regime_")]:
        init[key] = str(init[key].item())
    init["model"] = gc.MLPModel(int(init["hidden"]), init["activation"])
    return init
