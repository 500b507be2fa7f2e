"""The course's exercises: reference solutions and diagnosing checks, one module per notebook.

A notebook imports its module, ``from exercises import nb02 as ex``, and for every exercise

1. defines the learner's function under ``@ex.exercise``; the stub raises
   ``NotImplementedError`` with a one-line hint;
2. calls ``ex.check_<name>(<name>)``, which runs the function on seeded random cases and edge
   cases, compares it with the engine (``gaml_core``) and prints one line:
   ``not attempted yet (...)``, ``correct: ...`` or ``not yet right: <diagnosis>``.
   A check never raises and never prints the expected answer in full, so a notebook with
   unfinished exercises still runs top to bottom;
3. shows the reference solution in a collapsed ``<details>`` block (the same source as the
   function of that name in the notebook's module; ``tests/test_exercises.py`` keeps them equal).

Solutions mode: with the environment variable ``GAML_SOLUTIONS=1``, ``@ex.exercise`` replaces
the learner's function by the reference solution of the same name, so every check reports
success and later cells run with the solution (the tests execute the notebooks this way).
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

SOLUTIONS_ENV = "GAML_SOLUTIONS"
NOT_ATTEMPTED = "not attempted yet"
CORRECT = "correct: "
WRONG = "not yet right: "


def solutions_mode() -> bool:
    """True when ``GAML_SOLUTIONS=1``: the reference solutions stand in for the learner's."""
    return os.environ.get(SOLUTIONS_ENV, "") == "1"


def exercise_decorator(module: ModuleType) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@exercise`` for one notebook's module: the learner's function, or in solutions mode
    the module's reference solution of the same name."""

    def exercise(fn: Callable[..., Any]) -> Callable[..., Any]:
        if solutions_mode():
            return getattr(module, fn.__name__)
        return fn

    return exercise


def check(fn: Callable[..., Any]) -> Callable[..., None]:
    """Mark a check: it prints its verdict and returns None (no ``True`` echoed in a notebook)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        fn(*args, **kwargs)

    return wrapper


def solution_source(fn: Callable[..., Any]) -> str:
    """The source of a reference solution as the notebook's ``<details>`` block shows it."""
    return textwrap.dedent(inspect.getsource(fn)).strip() + "\n"


# --- Comparing one answer with the engine's ------------------------------------------------------


def shape_problem(got: Any, want: np.ndarray, name: str, what: str = "") -> str | None:
    """A diagnosis if ``got`` is not an array of ``want``'s shape, else None."""
    if got is None:
        return f"{name} returned None: return the result (did you forget `return`?)"
    if isinstance(got, tuple | list | dict) and want.ndim <= 2 and not _is_numeric_sequence(got):
        return f"{name} should return one array, not a {type(got).__name__}"
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{name} should return a NumPy array of numbers, got {type(got).__name__}"
    if arr.shape == want.shape:
        return None
    extra = f" ({what})" if what else ""
    if arr.ndim == 2 and want.ndim == 2 and arr.shape == want.shape[::-1]:
        return (
            f"{name} has shape {arr.shape} instead of {want.shape}{extra}: transposed? "
            "one row per task"
        )
    if arr.size == want.size:
        return (
            f"{name} has shape {arr.shape} instead of {want.shape}{extra}: right numbers of "
            "entries, wrong axes (a stray axis of length 1, or a missing one?)"
        )
    return f"{name} has shape {arr.shape} instead of {want.shape}{extra}"


def _is_numeric_sequence(value: Any) -> bool:
    try:
        np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, dict)


def close(got: Any, want: Any, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    want = np.asarray(want, dtype=np.float64)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


# --- One check: cases, known mistakes, one line of verdict ----------------------------------------


@dataclass
class Case:
    """One call of the learner's function: a label for messages, its arguments, the engine's
    answer, and optionally a function that diagnoses a wrong answer in this case."""

    label: str
    args: tuple[Any, ...]
    want: Any
    diagnose: Callable[[Any], str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Mistake = tuple[str, Callable[..., Any]]  # (message, the wrong answer for a case's args)


def attempt(fn: Callable[..., Any], args: Sequence[Any]) -> tuple[str, Any]:
    """("ok", result) / ("todo", hint) / ("error", message) / ("mutated", message)."""
    originals = copy.deepcopy(list(args))
    given = copy.deepcopy(list(args))
    try:
        with np.errstate(all="ignore"):  # a NaN is diagnosed below, not warned about
            result = fn(*given)
    except NotImplementedError as exc:
        hint = str(exc).strip()
        return "todo", f"{NOT_ATTEMPTED} ({hint})" if hint else NOT_ATTEMPTED
    except Exception as exc:  # a learner's bug must not stop the notebook
        return "error", f"your function raised {type(exc).__name__} ({exc})"
    for before, after in zip(originals, given, strict=True):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            return "mutated", (
                "your function changed an input array in place (e.g. `theta -= ...`): "
                "work on a copy, `theta = theta.copy()` or `theta = theta - ...`"
            )
    return "ok", result


def attempted(fn: Callable[..., Any], args: Sequence[Any]) -> tuple[bool, Any]:
    """``(True, result)`` if ``fn(*args)`` ran cleanly; else print why it did not (not attempted,
    an error, an input changed in place) and return ``(False, None)``."""
    status, got = attempt(fn, args)
    if status == "ok":
        return True, got
    print(got if status == "todo" else WRONG + got)
    return False, None


def run_check(
    fn: Callable[..., Any],
    cases: Iterable[Case],
    mistakes: Sequence[Mistake],
    success: str,
    name: str = "your function",
    rtol: float = 1e-7,
    atol: float = 1e-10,
    shape_hint: str = "",
) -> bool:
    """Run ``fn`` on every case; print the first problem found, or ``correct: success``.

    A wrong value is matched against each known mistake (the wrong answer that mistake gives
    in this case); the first match names the mistake. Returns True on success.
    """
    for case in cases:
        status, got = attempt(fn, case.args)
        if status == "todo":
            print(got)
            return False
        if status != "ok":
            print(f"{WRONG}{got} (case: {case.label})")
            return False
        if case.diagnose is not None:
            message = case.diagnose(got)
            if message:
                print(f"{WRONG}{message} (case: {case.label})")
                return False
            continue
        want = np.asarray(case.want)
        problem = shape_problem(got, want, name, shape_hint)
        if problem:
            print(f"{WRONG}{problem} (case: {case.label})")
            return False
        if not np.isfinite(np.asarray(got, dtype=np.float64)).all():
            print(f"{WRONG}{name} returned NaN or inf (case: {case.label}){_nan_hint(case)}")
            return False
        if close(got, want, rtol, atol):
            continue
        print(f"{WRONG}{diagnosis(got, case, mistakes, rtol, atol)} (case: {case.label})")
        return False
    print(CORRECT + success)
    return True


def _nan_hint(case: Case) -> str:
    return f": {case.extra['nan_hint']}" if "nan_hint" in case.extra else ""


def diagnosis(got: Any, case: Case, mistakes: Sequence[Mistake], rtol: float, atol: float) -> str:
    for message, wrong in mistakes:
        try:
            with np.errstate(all="ignore"):
                value = wrong(*copy.deepcopy(list(case.args)))
        except Exception:
            continue
        if value is not None and close(got, value, rtol, atol) and not close(value, case.want):
            return message
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(case.want, dtype=np.float64)
    rel = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300)
    return (
        f"the values differ from the engine's (relative error {rel:.1e}); "
        "compare your formula with the text above, step by step"
    )


def report(problems: Sequence[str], success: str) -> bool:
    """Print ``correct: success`` or the first problem; True on success."""
    if problems:
        print(WRONG + problems[0])
        return False
    print(CORRECT + success)
    return True


def fmt_shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
