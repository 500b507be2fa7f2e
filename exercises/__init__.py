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

Tools for the checks, one home for each (a notebook's module imports them from here, never from
another notebook's module):

* comparing: :func:`allclose_same_shape`, :func:`same` (displacements, a tolerance relative to
  the answer's size), :func:`shape_problem`, :func:`is_mistake` / :func:`known_mistake` (a wrong
  value that a known mistake gives), :func:`rounded`, :func:`scale_note`,
  :func:`generic_message`, the last resort;
* one check: :class:`Case` (one call; optional ``precheck`` and ``explain`` hooks add diagnoses
  before the shape tests and before the generic "values differ" message, and ``mistakes`` its
  own known mistakes), :func:`run_check`, :func:`diagnosis`, :func:`say`, :func:`attempt`
  (which also reports an array changed in place inside a tuple, list or TaskBatch argument),
  :func:`global_for_argument` (a notebook variable read where an argument belongs, tried by
  :func:`run_check` on every failure) and :func:`ignored_argument` (an argument whose change
  changes nothing);
* task samplers' results: :func:`four_arrays` (a TaskBatch, tuple or list as its four arrays, or
  a diagnosis) and :func:`same_arrays` (did two calls give the same batch?);
* :func:`python_loop` / :func:`count_steps`, which tell whether a function runs Python code once
  per task by counting its Python steps at two sizes (deterministic, unlike timing);
* checks that compare values case by case (exercises 3.1 to 4.1): :class:`Expected`,
  :func:`compare`, :func:`value_check`, :func:`fixed_argument`, :func:`explained`; and what the
  two GA meta-steps share (3.2 and 4.1): :func:`adapted_rows`, :func:`task_weights`,
  :func:`meta_step_mistakes`, :func:`one_entry_per_task`.
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

import gaml_core as gc
import gaml_tasks as gt

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


def allclose_same_shape(got: Any, want: Any, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    """``got`` is an array of numbers of ``want``'s shape, equal to it by ``np.allclose``."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    want = np.asarray(want, dtype=np.float64)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


def same(got: Any, want: Any, origin: Any = None, rtol: float = 1e-7) -> bool:
    """``got`` equals ``want`` to ``rtol``, relative to the size of ``want`` (of ``want − origin``
    when ``origin`` is given: then the displacements from ``origin`` are compared, so that a
    step of 1e-6 is checked to full relative precision)."""
    try:
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != want.shape:
        return False
    if origin is not None:
        got, want = got - origin, want - origin
    size = float(np.max(np.abs(want))) if want.size else 0.0
    with np.errstate(all="ignore"):
        return bool(np.allclose(got, want, rtol=rtol, atol=1e-9 * size + 1e-300))


def relative_error(got: Any, want: Any, origin: Any = None) -> float:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if origin is not None:
        got, want = got - origin, want - origin
    return float(np.linalg.norm(got - want) / max(float(np.linalg.norm(want)), 1e-300))


def generic_message(got: Any, want: Any, origin: Any = None) -> str:
    """The last resort, when no diagnosis holds: how far the values are, and where to look."""
    return (
        f"the values differ from the engine's (relative error "
        f"{relative_error(got, want, origin):.1e}); compare your formula with the text above, "
        "step by step"
    )


def rounded(got: Any, want: Any) -> str | None:
    """A diagnosis if ``got`` is ``want`` rounded to 1 to 8 decimals."""
    for decimals in range(1, 9):
        value = np.round(np.asarray(want, dtype=np.float64), decimals)
        if is_mistake(got, value, want):
            return f"your values are rounded (to {decimals} decimals): return them unrounded"
    return None


def scale_note(scaled: str) -> str:
    """The diagnosis of a case at another scale that fails after the same case at ordinary
    scale passed: ``scaled`` says which scale, e.g. "for updates of about 1e-6"."""
    return (
        f"right at ordinary scale, wrong {scaled}: is there a fixed number in your formula (an "
        "ε added to a denominator, a threshold, a clip, a rounding)?"
    )


# --- One check: cases, known mistakes, one line of verdict ----------------------------------------


Mistake = tuple[str, Callable[..., Any]]  # (message, the wrong answer for a case's args)


@dataclass
class Case:
    """One call of the learner's function: a label for messages, its arguments, the engine's
    answer, and optionally a function that diagnoses a wrong answer in this case.

    ``diagnose`` replaces the standard comparison entirely. The two optional hooks keep it and
    add to it: ``precheck(got)`` runs first, on any result (before the shape and NaN tests),
    for mistakes that change the shape or that must be named before the generic tests (one row
    missing, a number instead of an array); ``explain(got)`` runs on a wrong value after the
    listed mistakes did not match it and before the generic "values differ" message. Either
    returns a diagnosis or None. ``mistakes`` are the case's own known mistakes, tried before
    the check's.
    """

    label: str
    args: tuple[Any, ...]
    want: Any
    diagnose: Callable[[Any], str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    precheck: Callable[[Any], str | None] | None = None
    explain: Callable[[Any], str | None] | None = None
    mistakes: Sequence[Mistake] = ()


def mistake_value(wrong: Callable[..., Any], args: Sequence[Any]) -> Any:
    """What the known mistake ``wrong`` answers for ``args`` (None if it fails there)."""
    try:
        with np.errstate(all="ignore"):
            return wrong(*copy.deepcopy(list(args)))
    except Exception:
        return None


def is_mistake(got: Any, value: Any, want: Any, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    """``got`` is ``value``, a known mistake's answer, and that answer is not ``want``."""
    return (
        value is not None
        and allclose_same_shape(got, value, rtol, atol)
        and not allclose_same_shape(value, want)
    )


def known_mistake(
    got: Any, args: Sequence[Any], want: Any, mistakes: Sequence[Mistake],
    rtol: float = 1e-7, atol: float = 1e-10,
) -> str | None:  # fmt: skip
    """The message of the first mistake whose wrong answer for ``args`` is ``got``."""
    for message, wrong in mistakes:
        if is_mistake(got, mistake_value(wrong, args), want, rtol, atol):
            return message
    return None


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
    for position, (before, after) in enumerate(zip(originals, given, strict=True)):
        if _changed(before, after):
            return "mutated", _mutated_message(fn, position, before)
    return "ok", result


def _parameter_name(fn: Callable[..., Any], position: int) -> str | None:
    """The name of ``fn``'s positional parameter at ``position`` (through ``functools.wraps``
    wrappers), or None if it has no such named parameter (``*args``, a builtin)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if position >= len(parameters):
        return None
    parameter = parameters[position]
    positional = (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    return parameter.name if parameter.kind in positional else None


def _mutated_message(fn: Callable[..., Any], position: int, argument: Any) -> str:
    """The diagnosis of an argument changed in place, naming the argument when ``fn`` names it:
    an array, or an array inside a tuple, list or TaskBatch."""
    name = _parameter_name(fn, position)
    start = "your function changed an input array in place"
    if name is None:
        return (
            f"{start}: work on a copy (`a = a.copy()` before changing `a`) or make new arrays "
            "(`a = a - ...` rather than `a -= ...`)"
        )
    if isinstance(argument, np.ndarray):
        return (
            f"{start}, the argument `{name}`: work on a copy (`{name} = {name}.copy()` first) "
            f"or make new arrays (`{name} = {name} - ...` rather than `{name} -= ...`)"
        )
    return (
        f"{start}, an array inside the argument `{name}`: copy an array before changing it "
        "(`X = X.copy()`) or make new arrays (`X = X - ...` rather than `X -= ...`)"
    )


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
    in this case); the first match names the mistake. Before any of that, a function that fails
    a case with an engine's answer is run again with each global variable it reads that stands
    where an argument belongs (the notebook's ``batch`` for ``tasks``) replaced by that argument:
    if that makes it right, that is the diagnosis. Returns True on success.
    """
    for case in cases:
        status, got = attempt(fn, case.args)
        if status == "todo":
            print(got)
            return False
        if status == "ok":
            message = _verdict(got, case, mistakes, name, rtol, atol, shape_hint)
        else:
            message = got  # an error, or an input changed in place
        if message:
            if case.want is not None:
                message = global_for_argument(fn, case.args, case.want, rtol, atol) or message
            return say(message, case.label)
    print(CORRECT + success)
    return True


def say(message: str, label: str) -> bool:
    """Print the verdict ``not yet right: message (case: label)``; False, for the check."""
    print(f"{WRONG}{message} (case: {label})")
    return False


def _verdict(
    got: Any, case: Case, mistakes: Sequence[Mistake], name: str, rtol: float, atol: float,
    shape_hint: str,
) -> str | None:  # fmt: skip
    """None if ``got`` is right in ``case``, else the diagnosis."""
    if case.diagnose is not None:
        return case.diagnose(got)
    if case.precheck is not None and (message := case.precheck(got)):
        return message
    want = np.asarray(case.want)
    if problem := shape_problem(got, want, name, shape_hint):
        return problem
    if not np.isfinite(np.asarray(got, dtype=np.float64)).all():
        return f"{name} returned NaN or inf{_nan_hint(case)}"
    if allclose_same_shape(got, want, rtol, atol):
        return None
    return diagnosis(got, case, mistakes, rtol, atol)


def _nan_hint(case: Case) -> str:
    return f": {case.extra['nan_hint']}" if "nan_hint" in case.extra else ""


def diagnosis(got: Any, case: Case, mistakes: Sequence[Mistake], rtol: float, atol: float) -> str:
    """The first known mistake (the case's own, then ``mistakes``) that gives ``got``, else the
    case's ``explain``, else the generic message."""
    every = [*case.mistakes, *mistakes]
    if message := known_mistake(got, case.args, case.want, every, rtol, atol):
        return message
    if case.explain is not None and (message := case.explain(got)):
        return message
    return generic_message(got, case.want)


def four_arrays(got: Any, returned_none: str, wrong_form: str) -> tuple[Any, ...] | str:
    """A task sampler's result as its four arrays (a ``TaskBatch`` is four, as is a tuple or a
    list of four), or the diagnosis ``returned_none`` / ``wrong_form``."""
    if got is None:
        return returned_none
    if isinstance(got, gt.TaskBatch):
        return tuple(got)
    if not isinstance(got, tuple | list) or len(got) != 4:
        return wrong_form
    return tuple(got)


def same_arrays(a: Sequence[Any] | str, b: Sequence[Any] | str) -> bool:
    """Two results of :func:`four_arrays` hold arrays of the same shapes and values (False if
    either is a diagnosis or does not convert to arrays): did two calls give the same batch?"""
    if isinstance(a, str) or isinstance(b, str):
        return False
    try:
        pairs = [(np.asarray(u, dtype=float), np.asarray(v, dtype=float))
                 for u, v in zip(a, b, strict=True)]  # fmt: skip
    except (TypeError, ValueError):
        return False
    return all(u.shape == v.shape and np.array_equal(u, v) for u, v in pairs)


def global_for_argument(
    fn: Callable[..., Any], args: Sequence[Any], want: Any, rtol: float = 1e-7,
    atol: float = 1e-10,
) -> str | None:  # fmt: skip
    """A diagnosis if ``fn`` reads a global variable where one of its arguments belongs: some
    global it reads, of the type of an array or TaskBatch argument, makes ``fn`` answer
    ``want`` once it is replaced by that argument. None if no such replacement makes ``fn``
    right. (Numbers and strings are left alone: a number fixed in the code is another
    mistake, and equal strings are equal whatever their variable.)"""
    fn = inspect.unwrap(fn)  # the learner's own function, under explained()
    if not isinstance(fn, types.FunctionType):
        return None
    try:
        parameters = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    names = sorted({name for code in _own_codes(fn) for name in code.co_names})
    for name in names:
        value = fn.__globals__.get(name)
        for position, arg in enumerate(args[: len(parameters)]):
            if value is arg or type(value) is not type(arg) or not _data(arg):
                continue
            status, got = attempt(_with_globals(fn, {name: arg}), args)
            if status == "ok" and allclose_same_shape(got, want, rtol, atol):
                return (
                    f"you used the notebook's `{name}`, not the `{parameters[position]}` "
                    f"argument: with `{name}` replaced by `{parameters[position]}` your function "
                    "gives the right answer"
                )
    return None


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
    stand_ins = _counting_builtins(fed)
    return _with_globals(fn, {k: v for k, v in stand_ins.items() if k not in fn.__globals__})


def ignored_argument(
    fn: Callable[..., Any],
    got: Any,
    changes: Sequence[tuple[Sequence[Any], str]],
    equal: Callable[[Any, Any], bool],
) -> str | None:
    """Does ``fn`` use every argument? ``changes`` pairs arguments with one of them changed and
    the diagnosis if ``fn`` still answers ``got`` (``equal(again, got)``): then that argument is
    ignored or replaced by a number of the learner's own. The first such diagnosis, or None."""
    for args, message in changes:
        status, again = attempt(fn, args)
        if status == "ok" and equal(again, got):
            return message
    return None


def _data(value: Any) -> bool:
    """An array, or a dataclass of them such as a TaskBatch."""
    return isinstance(value, np.ndarray) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _with_globals(fn: types.FunctionType, replaced: dict[str, Any]) -> types.FunctionType:
    """A copy of a plain function that sees the globals ``replaced`` instead of its own."""
    namespace = {**fn.__globals__, **replaced}
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


# --- Checks that compare values case by case (exercises 3.1 to 4.1) ----------------------------

Hint = Callable[[Any, tuple[Any, ...]], str | None]  # (the learner's value, the case's args)


@dataclass
class Expected:
    """One case of a check that compares values: its label, the arguments, the engine's answer
    and how to compare (``origin``: compare displacements from it; ``rtol``; ``hints`` tried on
    a wrong shape; ``scale``: the size of the updates in a scaled case; ``nan_hint``)."""

    label: str
    args: tuple[Any, ...]
    want: Any
    origin: Any = None
    rtol: float = 1e-7
    hints: Sequence[Hint] = ()
    scale: str | None = None
    nan_hint: str = ""


def compare(
    got: Any,
    case: Expected,
    mistakes: Sequence[Mistake],
    name: str,
    others: Callable[[], list[tuple[Expected, Any]]] = list,
    passed: Sequence[Expected] = (),
) -> str | None:
    """None if ``got`` is right in ``case``, else the one diagnosis that was established, in
    this order: a shape hint, the shape, NaN, a known mistake that gives exactly ``got``, the
    scale (in a scaled case, reached after the ordinary ones passed), the generic message.

    A mistake is named only if it also gives the right answer in the cases the learner passed
    (``passed``); when several give ``got`` here, the one that also gives the learner's answers
    in the other cases (``others()``: pairs of case and the learner's value there) is named.
    """
    want = np.asarray(case.want, dtype=np.float64)
    problem = shape_problem(got, want, name)
    if problem:
        for hint in case.hints:
            message = hint(got, case.args)
            if message:
                return message
        return problem
    values = np.asarray(got, dtype=np.float64)
    if not np.isfinite(values).all():
        return f"{name} returned NaN or inf" + (f": {case.nan_hint}" if case.nan_hint else "")
    if same(values, want, case.origin, case.rtol):
        return None
    matches = []
    for message, wrong in mistakes:
        value = mistake_value(wrong, case.args)
        if value is None or same(value, want, case.origin, case.rtol):
            continue  # this mistake gives the right answer in this case: it proves nothing
        if same(values, value, case.origin, case.rtol) and all(
            same(mistake_value(wrong, p.args), p.want, p.origin, p.rtol) for p in passed
        ):
            matches.append((message, wrong))
    if len(matches) > 1:
        learned = others()
        for message, wrong in matches:
            if all(
                same(value, mistake_value(wrong, other.args), other.origin, other.rtol)
                for other, value in learned
            ):
                return message
    if matches:
        return matches[0][0]
    if case.scale:
        return scale_note(f"for updates of about {case.scale}")
    return generic_message(values, want, case.origin)


def value_check(
    fn: Callable[..., Any],
    expected: Sequence[Expected],
    mistakes: Sequence[Mistake],
    success: str,
    name: str,
) -> bool:
    """:func:`run_check` on ``expected``, each case judged by :func:`compare`."""
    learner = explained(fn)

    def others() -> list[tuple[Expected, Any]]:
        pairs = []
        for other in expected:
            status, value = attempt(learner, other.args)
            if status == "ok" and shape_problem(value, np.asarray(other.want), name) is None:
                pairs.append((other, value))
        return pairs

    def judge(i: int) -> Callable[[Any], str | None]:
        # run_check stops at the first failure: the cases before i have passed
        return lambda got: compare(got, expected[i], mistakes, name, others, expected[:i])

    cases = [Case(e.label, e.args, e.want, diagnose=judge(i)) for i, e in enumerate(expected)]
    return run_check(learner, cases, (), success)


def fixed_argument(
    reference: Callable[..., Any],
    position: int,
    name: str,
    symbol: str,
    constants: Sequence[float],
) -> list[Mistake]:
    """The mistakes "argument ``name`` replaced by a fixed number" (from a notebook cell)."""

    def with_constant(value: float) -> Callable[..., Any]:
        def wrong(*args: Any) -> Any:
            args = list(args)
            args[position] = type(args[position])(value)
            return reference(*args)

        return wrong

    return [
        (
            f"your result is the one for {symbol} = {value:g}, whatever `{name}` is: use the "
            f"argument `{name}`, not a fixed number",
            with_constant(value),
        )
        for value in constants
    ]


def explained(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with errors that have a known cause in these exercises explained: a TaskBatch
    indexed like a tuple, an index past a size that the cases vary, arrays that do not fit."""

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except TypeError as exc:
            if "TaskBatch" in str(exc) and "subscriptable" in str(exc):
                raise TypeError(
                    "`tasks` is a TaskBatch, like the notebook's `batch`, and a TaskBatch "
                    "cannot be indexed like tasks[0]: unpack it, "
                    "`X_train, y_train, X_test, y_test = tasks`, or use tasks.X_train"
                ) from None
            raise
        except IndexError as exc:
            raise IndexError(
                f"{exc}; the cases vary the numbers of tasks, points and features: is a size "
                "fixed in your code?"
            ) from None
        except ValueError as exc:
            text = str(exc).strip()
            if "broadcast" in text or "mismatch" in text or "not aligned" in text:
                raise ValueError(
                    f"{text}; two arrays' lengths do not fit: a mean or sum over the wrong "
                    "axis, a missing transpose, or a size fixed in your code?"
                ) from None
            raise

    return call


# --- Shared by the GA meta-step exercises (3.2 GA-FOMAML, 4.1 GA-Reptile) ---------------------


def adapted_rows(theta, tasks, alpha, steps, on="support"):
    """Every task's adapted parameters θ'_i, one row per task, adapted on its support set (or,
    a mistake, on its query set)."""
    X_train, y_train, X_test, y_test = tasks
    X, y = (X_train, y_train) if on == "support" else (X_test, y_test)
    return np.array([gc.adapt(theta, a, b, alpha, steps) for a, b in zip(X, y, strict=True)])


def task_weights(vectors: np.ndarray, normalisation: str = "paper") -> np.ndarray:
    """The agreement weights of the rows of ``vectors`` and their usual wrong normalisations."""
    if normalisation == "uniform":
        return np.full(len(vectors), 1.0 / len(vectors))
    if normalisation in ("paper", "chapter"):
        return gc.agreement_weights(vectors, normalisation)
    scores = vectors @ vectors.sum(axis=0)
    return scores / scores.sum() if normalisation == "sum" else scores  # "sum" or "none"


def meta_step_mistakes(step: Callable[..., Any], formula: str) -> list[Mistake]:
    """The mistakes that any GA meta-step θ ← θ − β Σ_i w_i v_i can make, whatever its vectors
    v_i: the weights' normalisation, n, β and the inner steps. ``step(theta, tasks, alpha,
    beta, steps, weighting=..., extra=...)`` is the step with ``weighting`` one of those of
    :func:`task_weights` and its direction multiplied by ``extra``; ``formula`` the right one."""
    return [
        ("you used the chapter's normalisation; the paper's makes Σ|w| = 1",
         lambda *a: step(*a, weighting="chapter")),
        ("your weights are divided by their sum Σ_k s_k (np.average(..., weights=w) does "
         "that too); the paper divides by Σ_k |s_k|, which differs as soon as a weight is "
         "negative", lambda *a: step(*a, weighting="sum")),
        ("your weights are not normalised: divide s_i = Σ_j g_iᵀg_j by Σ_k |s_k|",
         lambda *a: step(*a, weighting="none")),
        ("you divided by n once more: the weights already satisfy Σ|w_i| = 1",
         lambda th, t, a, b, s: step(th, t, a, b, s, extra=1.0 / t.X_train.shape[0])),
        (f"your step ignores β: {formula}", lambda th, t, a, b, s: step(th, t, a, 1.0, s)),
        (f"you applied β twice (β²): {formula}",
         lambda th, t, a, b, s: step(th, t, a, b * b, s)),
        ("your θ'_i come from 1 inner step whatever `steps` is: pass `steps` on to gc.adapt",
         lambda th, t, a, b, s: step(th, t, a, b, 1)),
    ]  # fmt: skip


def one_entry_per_task(summed: str) -> Hint:
    """The shape hint for a new θ with one entry per task: the weighted ``summed`` vectors were
    added up over the wrong axis."""

    def hint(got: Any, args: tuple[Any, ...]) -> str | None:
        theta, tasks = args[0], args[1]
        n = tasks.X_train.shape[0]
        if np.shape(got) == (n,) and n != theta.shape[0]:
            return (
                f"your new θ has one entry per task (n = {n}) instead of one per feature (d = "
                f"{theta.shape[0]}): sum the weighted {summed} over the tasks, "
                f"`weights @ {summed}`"
            )
        return None

    return hint
