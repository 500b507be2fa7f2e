"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

import gaml_omniglot_runs as gor


@pytest.fixture(scope="session")
def quick_omniglot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The quick Omniglot study and its from-scratch baseline, run once per test session:
    (their folder, what :func:`gaml_omniglot_runs.run_omniglot_study` returned)."""
    folder = tmp_path_factory.mktemp("quick_omniglot")
    study = gor.OmniglotStudy.quick()
    meta = gor.run_omniglot_study(study, folder, workers=1, progress=False)
    gor.run_scratch_baseline(study, folder, progress=False)
    return folder, meta
