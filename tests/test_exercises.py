"""The exercises: every check passes its reference solution, rejects realistic wrong answers
with the intended diagnosis (and without printing the answer), and every notebook with
exercises runs in solutions mode with every check reporting success."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from exercise_testing import stub, verdict

import gaml_core as gc
from exercises import nb01, nb02, nb03, nb04, nb07, nb08, solution_source

ROOT = Path(__file__).resolve().parents[1]
MODULES = {
    "01_tasks": nb01,
    "02_weights": nb02,
    "03_ga_maml": nb03,
    "04_ga_reptile": nb04,
    "07_questions": nb07,
    "08_real_characters": nb08,
}
CHECKS = [
    (mod, name[len("check_") :])
    for mod in MODULES.values()
    for name in mod.__all__
    if name.startswith("check_")
]


# --- Reference solutions and stubs -------------------------------------------------------------


@pytest.mark.parametrize(("mod", "name"), CHECKS, ids=[n for _, n in CHECKS])
def test_check_passes_the_reference_solution(capsys, mod, name):
    out = verdict(capsys, getattr(mod, f"check_{name}"), getattr(mod, name))
    assert out.startswith("correct: "), out
    assert "not yet right" not in out


@pytest.mark.parametrize(("mod", "name"), CHECKS, ids=[n for _, n in CHECKS])
def test_check_of_a_stub_says_not_attempted(capsys, mod, name):
    out = verdict(capsys, getattr(mod, f"check_{name}"), stub)
    assert out == "not attempted yet (the hint)\n"


def test_every_exercise_has_at_least_two_per_notebook_and_ten_in_all():
    counts = {nb: sum(n.startswith("check_") for n in mod.__all__) for nb, mod in MODULES.items()}
    assert all(c >= 2 for c in counts.values()), counts
    assert sum(c for nb, c in counts.items() if nb != "07_questions") >= 10


def test_checks_survive_exceptions_and_none(capsys):
    def broken(*args):
        return 1 / 0

    for mod, name in CHECKS:
        out = verdict(capsys, getattr(mod, f"check_{name}"), broken)
        assert out.startswith("not yet right: ") and "ZeroDivisionError" in out, (name, out)
        out = verdict(capsys, getattr(mod, f"check_{name}"), lambda *a: None)
        assert out.startswith("not yet right: "), (name, out)


def test_wrong_shape_messages_name_both_shapes(capsys):
    out = verdict(capsys, nb02.check_weights_loops, lambda U: gc.agreement_weights(U)[:, None])
    assert "shape (8, 1) instead of (8,)" in out


# --- The notebooks ------------------------------------------------------------------------------


def notebook(stem: str):
    return nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)


SOLUTION_BLOCK = re.compile(r"<summary><b>Solution</b>.*?```python\n(.*?)```", re.S)


@pytest.mark.parametrize("stem", list(MODULES))
def test_solution_blocks_show_the_module_source(stem):
    """Every <details> solution is exactly the reference solution that the checks test."""
    mod = MODULES[stem]
    shown = [
        m.group(1)
        for cell in notebook(stem).cells
        if cell.cell_type == "markdown"
        for m in SOLUTION_BLOCK.finditer(cell.source)
    ]
    names = [re.match(r"def (\w+)\(", code).group(1) for code in shown]
    assert sorted(names) == sorted(
        n[len("check_") :] for n in mod.__all__ if n.startswith("check_")
    )
    for name, code in zip(names, shown, strict=True):
        assert code == solution_source(getattr(mod, name)), name


@pytest.mark.parametrize("stem", [*MODULES, "05_chapter_program"])
def test_every_question_has_a_collapsed_answer(stem):
    cells = [c.source for c in notebook(stem).cells if c.cell_type == "markdown"]
    text = "\n".join(cells)
    assert "## Questionnaire" in text
    quiz = text[text.index("## Questionnaire") :]
    questions = re.findall(r"^\*\*\d+\.\*\*", quiz, re.M)
    assert 5 <= len(questions) <= 8
    assert quiz.count("<details>") == len(questions)
    for source in cells:  # every "think about it" cell carries its answer, or the next cell does
        if "**Think about it" in source and "Interactive demo" not in source:
            assert "<details>" in source, source[:80]
    stubs = (
        c for c in notebook(stem).cells if c.cell_type == "code" and "@ex.exercise" in c.source
    )
    for stub_cell in stubs:
        assert "raise NotImplementedError(" in stub_cell.source


def _execute(stem: str, edit=None) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = notebook(stem)
    nb.cells = [c for c in nb.cells if not re.search(r"^gd\.\w+_demo\(", c.source, re.M)]
    if edit is not None:
        assert edit(nb) == sum(n.startswith("check_") for n in MODULES[stem].__all__)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    return nb


@pytest.mark.parametrize("stem", list(MODULES))
def test_notebook_in_solutions_mode_passes_every_check(stem, monkeypatch):
    """GAML_SOLUTIONS=1: the notebook runs without error and every check says correct."""
    monkeypatch.setenv("GAML_SOLUTIONS", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nb = _execute(stem)
    checks = [c for c in nb.cells if c.cell_type == "code" and "ex.check_" in c.source]
    assert len(checks) == sum(n.startswith("check_") for n in MODULES[stem].__all__)
    for cell in nb.cells:
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error"], cell.source
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert text.startswith("correct: "), (cell.source[:60], text)
        assert "not yet right" not in text and "not attempted" not in text


def _paste_shown_solutions(nb: nbformat.NotebookNode) -> int:
    """Replace every exercise stub by the solution its notebook shows in ``<details>``, as a
    learner who copies it would: the cell's ``@ex.exercise`` function is swapped, the rest of
    the cell (the check call) is kept. Returns how many stubs were replaced."""
    shown = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in SOLUTION_BLOCK.finditer(cell.source):
                shown[re.match(r"def (\w+)\(", m.group(1)).group(1)] = m.group(1)
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "@ex.exercise" not in cell.source:
            continue
        lines = cell.source.split("\n")
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) and node.decorator_list:
                start, end = node.decorator_list[0].lineno - 1, node.end_lineno
                solution = "@ex.exercise\n" + shown[node.name].rstrip("\n")
                cell.source = "\n".join([*lines[:start], solution, *lines[end:]])
                replaced += 1
                break
    return replaced


@pytest.mark.parametrize("stem", list(MODULES))
def test_every_shown_solution_runs_in_its_notebook(stem, monkeypatch):
    """Each ``<details>`` solution, pasted into its stub's cell and run in the notebook's own
    namespace (not swapped for the module's function), passes its check, and every later cell
    runs with it."""
    monkeypatch.delenv("GAML_SOLUTIONS", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    n_checks = sum(n.startswith("check_") for n in MODULES[stem].__all__)
    nb = _execute(stem, _paste_shown_solutions)
    checks = [c for c in nb.cells if c.cell_type == "code" and "ex.check_" in c.source]
    assert len(checks) == n_checks
    for cell in nb.cells:
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error"], cell.source
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert text.startswith("correct: "), (cell.source[:60], text)


def test_solutions_mode_swaps_in_the_reference(monkeypatch):
    monkeypatch.setenv("GAML_SOLUTIONS", "1")

    @nb02.exercise
    def weights_chapter(U):
        raise NotImplementedError

    assert weights_chapter is nb02.weights_chapter
    monkeypatch.delenv("GAML_SOLUTIONS")

    @nb02.exercise
    def weights_loops(U):
        raise NotImplementedError

    assert weights_loops is not nb02.weights_loops


def test_a_check_does_not_change_its_cases(capsys):
    """Cases are rebuilt for every call: a learner's in-place edit cannot poison the next check."""
    first = copy.deepcopy(nb02._update_cases()[0].args[0])
    verdict(capsys, nb02.check_update_vectors, lambda th, t, a, s: th.__isub__(1.0))
    assert np.array_equal(nb02._update_cases()[0].args[0], first)
