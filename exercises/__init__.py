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

Tools for the checks: :class:`Case` (one call; optional ``precheck`` and ``explain`` hooks add
diagnoses before the shape tests and before the generic "values differ" message),
:func:`run_check`, :func:`diagnosis`, :func:`attempt` (which also reports an array changed in
place inside a tuple, list or TaskBatch argument), and :func:`python_loop` /
:func:`count_steps`, which tell whether a function runs Python code once per task by counting
its Python steps at two sizes (deterministic, unlike timing).
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import functools
import inspect
import os
import sys
import textwrap
import types
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    answer, and optionally a function that diagnoses a wrong answer in this case.

    ``diagnose`` replaces the standard comparison entirely. The two optional hooks keep it and
    add to it: ``precheck(got)`` runs first, on any result (before the shape and NaN tests),
    for mistakes that change the shape or that must be named before the generic tests (one row
    missing, a number instead of an array); ``explain(got)`` runs on a wrong value after the
    listed mistakes did not match it and before the generic "values differ" message. Either
    returns a diagnosis or None.
    """

    label: str
    args: tuple[Any, ...]
    want: Any
    diagnose: Callable[[Any], str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    precheck: Callable[[Any], str | None] | None = None
    explain: Callable[[Any], str | None] | None = None


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
        if _changed(before, after):
            return "mutated", (
                "your function changed an input array in place (e.g. `theta -= ...`): "
                "work on a copy, `theta = theta.copy()` or `theta = theta - ...`"
            )
    return "ok", result


def _arrays(value: Any, depth: int = 0) -> Iterator[Any]:
    """The arrays in an argument: itself, or inside a tuple, list or dataclass (a TaskBatch)."""
    if isinstance(value, np.ndarray):
        yield value
    elif depth < 2 and isinstance(value, tuple | list):
        for item in value:
            yield from _arrays(item, depth + 1)
    elif depth < 2 and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _arrays(getattr(value, f.name, None), depth + 1)


def _changed(before: Any, after: Any) -> bool:
    """True if an array in ``before`` (a copy of an argument) differs from ``after``'s."""
    pairs = zip(_arrays(before), _arrays(after), strict=False)
    try:
        return any(
            a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
            for a, b in pairs
        )
    except (TypeError, ValueError):
        return False


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
        if case.precheck is not None and (message := case.precheck(got)):
            print(f"{WRONG}{message} (case: {case.label})")
            return False
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
    if case.explain is not None and (message := case.explain(got)):
        return message
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(case.want, dtype=np.float64)
    rel = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300)
    return (
        f"the values differ from the engine's (relative error {rel:.1e}); "
        "compare your formula with the text above, step by step"
    )


# --- Does a function run Python code once per task? ----------------------------------------------


@dataclass
class Steps:
    """What :func:`count_steps` saw while a function ran once: its ``attempt`` status and
    result, the Python steps (``call`` and ``line`` events) of every code object that ran,
    callees and NumPy's own Python code included, and how many items the builtins ``sum``,
    ``min``, ``max``, ``sorted``, ``any``, ``all``, ``map``, ``filter``, ``zip`` and
    ``enumerate`` took one by one when the function itself called them."""

    status: str
    result: Any
    lines: Counter[types.CodeType]
    fed: Counter[str]


_FED_BUILTINS = ("sum", "min", "max", "sorted", "any", "all", "map", "filter", "zip", "enumerate")


def _counting_builtins(fed: Counter[str]) -> dict[str, Callable[..., Any]]:
    """Stand-ins for the builtins that walk an iterable in C: each feeds its iterables through
    a Python generator, so that every item taken is a Python step (and is tallied in ``fed``)."""

    def feed(iterable: Any, name: str) -> Iterator[Any]:
        for item in iterable:
            fed[name] += 1
            yield item

    def one_iterable(name: str) -> Callable[..., Any]:
        original = getattr(builtins, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) == 1:  # min(a, b) compares two values; min(rows) walks the rows
                args = (feed(args[0], name),)
            return original(*args, **kwargs)

        return call

    def map_(func: Any, *iterables: Any) -> Any:
        return builtins.map(func, *[feed(it, "map") for it in iterables])

    def filter_(func: Any, iterable: Any) -> Any:
        return builtins.filter(func, feed(iterable, "filter"))

    def zip_(*iterables: Any, strict: bool = False) -> Any:
        return builtins.zip(*[feed(it, "zip") for it in iterables], strict=strict)

    def enumerate_(iterable: Any, start: int = 0) -> Any:
        return builtins.enumerate(feed(iterable, "enumerate"), start)

    def sum_(iterable: Any, /, start: Any = 0) -> Any:
        return builtins.sum(feed(iterable, "sum"), start)

    def sorted_(iterable: Any, /, **kwargs: Any) -> Any:
        return builtins.sorted(feed(iterable, "sorted"), **kwargs)

    stand_ins = {name: one_iterable(name) for name in ("min", "max", "any", "all")}
    stand_ins |= {"map": map_, "filter": filter_, "zip": zip_, "enumerate": enumerate_}
    return stand_ins | {"sum": sum_, "sorted": sorted_}


def _with_counting_builtins(fn: Callable[..., Any], fed: Counter[str]) -> Callable[..., Any]:
    """A copy of a plain function whose global namespace maps the builtins of
    :data:`_FED_BUILTINS` (unless the function's module rebinds them) to counting stand-ins."""
    if not isinstance(fn, types.FunctionType):
        return fn
    namespace = dict(fn.__globals__)
    for name, stand_in in _counting_builtins(fed).items():
        namespace.setdefault(name, stand_in)
    copy_ = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    copy_.__kwdefaults__ = fn.__kwdefaults__
    return copy_


def count_steps(fn: Callable[..., Any], args: Sequence[Any]) -> Steps:
    """Run ``fn(*args)`` once (through :func:`attempt`) under ``sys.settrace`` and count its
    Python steps. Deterministic: the count does not depend on the machine's speed or load."""
    lines: Counter[types.CodeType] = Counter()
    fed: Counter[str] = Counter()
    target = _with_counting_builtins(fn, fed)

    def local(frame: types.FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            lines[frame.f_code] += 1
        return local

    def tracer(frame: types.FrameType, event: str, arg: Any) -> Any:
        lines[frame.f_code] += 1  # a call, or a generator resumed
        return local

    def traced(*given: Any) -> Any:
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            return target(*given)
        finally:
            sys.settrace(previous)

    status, result = attempt(traced, args)
    return Steps(status, result, lines, fed)


def _own_codes(fn: Callable[..., Any]) -> set[types.CodeType]:
    """The function's code and the code nested in it (comprehensions, lambdas, inner defs)."""
    code = getattr(inspect.unwrap(fn), "__code__", None)
    found: set[types.CodeType] = set()
    todo = [code] if isinstance(code, types.CodeType) else []
    while todo:
        c = todo.pop()
        found.add(c)
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return found


def python_loop(
    fn: Callable[..., Any],
    make_args: Callable[[int], Sequence[Any]],
    small: int = 4,
    big: int = 64,
    what: str = "tasks",
) -> str | None:
    """Evidence that ``fn`` runs Python code once per item, or None.

    ``make_args(size)`` builds the arguments for ``size`` items (tasks, say). ``fn`` runs once
    at each size under :func:`count_steps`; if its Python steps grow by at least one for every
    two added items, the answer names where they grew, as a phrase: a builtin such as ``sum``
    or ``map`` walking the items, ``np.apply_along_axis``, ``np.vectorize``, a lambda, a loop
    or comprehension of ``fn``'s own, or another Python function it calls (e.g. a loop
    version). A call of ``np.apply_along_axis`` or ``np.vectorize`` counts as a loop whatever
    it calls (both loop over the entries by definition). A loop-free NumPy function takes the
    same number of Python steps at every size, so this never depends on timing. None too if
    ``fn`` fails at either size.
    """
    few, many = count_steps(fn, make_args(small)), count_steps(fn, make_args(big))
    if few.status != "ok" or many.status != "ok":
        return None
    # np.apply_along_axis and np.vectorize are Python loops by definition, whatever they call.
    names = {(c.co_name, getattr(c, "co_qualname", c.co_name)) for c in many.lines}
    if any(name == "apply_along_axis" for name, _ in names):
        return f"np.apply_along_axis loops over the {what} in Python"
    if any(qual.startswith("vectorize.") for _, qual in names):
        return "np.vectorize calls a function for every entry, one at a time (a loop)"
    grown = many.lines - few.lines
    if sum(grown.values()) < max(1, (big - small) // 2):
        return None
    fed = many.fed - few.fed
    if fed and max(fed.values()) >= (big - small) // 2:
        name = fed.most_common(1)[0][0]
        return f"builtin {name}() goes through the {what} one by one"
    own = _own_codes(fn)
    mine = Counter({c: n for c, n in grown.items() if c in own})
    if sum(mine.values()) >= (big - small) // 2:
        if mine.most_common(1)[0][0].co_name == "<lambda>":
            return f"a lambda runs once for each of the {what}"
        return f"a for/while loop or a comprehension runs once for each of the {what}"
    code = (grown - mine).most_common(1)[0][0]
    return f"it calls {code.co_name}, which runs Python code for each of the {what}"


def report(problems: Sequence[str], success: str) -> bool:
    """Print ``correct: success`` or the first problem; True on success."""
    if problems:
        print(WRONG + problems[0])
        return False
    print(CORRECT + success)
    return True


def fmt_shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
