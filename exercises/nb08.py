"""Exercises of notebook 8 (real characters): few-shot Omniglot tasks, rotations as classes
(8.1), and the baseline every meta-learner must beat, pixel nearest neighbour (8.2).

Exercise 8.1 ``sample_character_tasks(rng, characters, n_tasks, ways, shots, queries)``: n
N-way K-shot tasks from ``characters`` (m, drawers, 28, 28), the protocol of
``go.sample_omniglot_tasks(..., rotations=True)`` (Santoro et al. 2016; Finn et al. 2017): a
class is a pair (character, rotation by r·90°, r = 0..3), so there are 4m classes; every task
draws N distinct classes uniformly (one character may come back in another rotation, as
another class) and gives the j-th the label j; every class draws K + Q distinct drawers, the
first K for the support set, the rest for the query set, all turned by the class's r. Returned
as a TaskBatch with ``disagreeing`` np.zeros(n, dtype=bool) (or the four arrays, a tuple or a
list, which the statement accepts too): X (n, N·K or N·Q, 784) float64, flattened row by row,
y the labels 0..N−1 as float64, points class by class.

The check tests properties, not numbers: any order of draws from ``rng`` is accepted. Every
returned image is identified exactly, as (character, drawer, rotation), among the four turns of
every image of ``characters`` (an integer fingerprint of its float32 bits, then a comparison of
every pixel), so a property is read off the images themselves, not off an ``info`` the learner
would have to return.

The cases vary every argument (the seed, n = 1 to 7, N = 2 to 20, K = 1 to 4, Q = 1 to 5, the
characters), the first case unlike the library's defaults (5-way, 1 shot, 1 query): random
subsets of the training and of the validation characters, and synthetic characters (random
pixels, 5 to 8 drawers, so a fixed 20 fails), among them N = m (3 characters, 3-way) and
N = 4m (2 characters, 8-way: every class in every task, which needs the classes to be
(character, rotation) pairs), K + Q equal to the number of drawers (every drawer once per
class), K = Q (where swapped sets have the right shapes), one task and 20-way.

A wrong answer is diagnosed in this order: its structure (four arrays, their shapes, dtypes,
NaN; a TaskBatch's ``disagreeing``); the labels (values 0..N−1, K and Q of each, class by
class); the images (exact copies of turned images of ``characters``; else taken from another
array, mirrored, or altered); what the images show by themselves (one character and one
rotation per label, the same class under a label in both sets, K + Q distinct drawings per
class, N distinct classes per task, where a repeated class that the rotations explain, e.g. no
image turned, is named by its cause); whether it uses the generator it is given (the same seed
twice, then another seed); and last what only a large batch shows (400 tasks, 6 characters,
3-way: every one of the 24 classes is expected 50 times): new classes in every task, rotations
tied neither to the labels nor to the characters, every rotation about equally often and
independently across the classes of a task, every character and every class, labels not ordered
by character or rotation, a character coming back in another rotation within a task as often as
uniform draws from the 4m classes make it (not never, as with distinct characters; not more, as
when characters pile up), tasks independent of the task before (the classes two consecutive
tasks share), every drawer, drawers drawn per class, support drawers not sorted before the
query's, and the classes of a task sharing drawers as often as independent draws make them.
Those rates are compared with their exact expectations: a correct sampler lies within
``Z_LIMIT`` = 5 standard deviations. An error is explained when its cause is likely (np.rot90
on a flattened image, a fixed number of drawers, more ways than characters), and a hint names a
cause only on evidence (degrees only where just 0° and 180° occur).

Exercise 8.2 ``pixel_nearest_neighbour(X_train, y_train, X_test)``: tasks stacked, X_train
(n, k, d), y_train (n, k), X_test (n, q, d) → a NumPy array (n, q) (a list is rejected), every
query image's label the label y_train[i, j] of the support image of its own task with the
largest cosine similarity x·x_j / (‖x‖ ‖x_j‖); a blank image (length 0) has similarity 0 to
every image, without a NaN among the similarities or a NumPy RuntimeWarning (right labels
that warned are rejected, so np.where(lengths > 0, dots / lengths, 0) and an unguarded blank
query whose NaN row np.argmax happens to resolve are both named; a 0/0 silenced by
np.errstate and replaced, np.nan_to_num, passes); ties go to the first support image
(np.argmax's rule); the labels' values in any numeric dtype (uint8 passes with the check's
labels 0..19); inputs float32 or float64, left unchanged; no Python loop over the tasks or
images. This is ``go.nearest_neighbour(..., metric="cosine")``, which gives the expected
answers.

Its nine cases vary n (1 to 6), k (1 to 25), q (1 to 10) and d (3, 10, 12, 16, 784): real
characters with the support images shuffled (labels out of order, repeated with 2 to 5 shots,
different in every task), the first 4-way 3-shot; synthetic vectors of lengths 0.2 to 5, where
cosine, Euclidean distance and dot product disagree; one support image; q = k (where a
similarity transposed keeps the shape); float32 images; a blank support image (which wins, at
similarity 0, over negative similarities) and a blank query (a tie of all); exact ties, in
numbers exact in any order of the sums (patterns of 4 ones scaled by powers of 2): an image
and a copy twice or half as long, equal images; near ties, n = q = 3: for every query two
support images of different labels 3·10⁻⁴ apart, the less similar first, which rounding to 1,
2 or 3 decimals or a tolerance of 10⁻³ merges (each rounding separates one pair the others
merge, so their answers differ), and where y_train[np.arange(n), best] gives wrong labels
instead of an IndexError. Apart from those, no two differently labelled support images lie
within 10⁻⁴ of the largest similarity, and float32 arithmetic (errors ~10⁻⁷) picks as float64
does in every case. Accepted although not exact: images cast to float32, and lengths clamped
at an ε, np.maximum(lengths, 1e-8) (PyTorch's way); they differ only at ties to ~1e-7 or for
images shorter than 1e-8, which pixel images never make, and the statement promises nothing
there.

A wrong answer is diagnosed in this order: an error, explained where its cause is likely (a
fixed 784, a matrix product without the support images' last two axes swapped, np.nanargmax
on a blank image, an argmax over the query axis, y_train[best], y_train[np.arange(n), best]
without the task index's own axis, a size fixed in the code) or an input changed in place
(``exercises.attempt`` names the argument); the shape (a stray axis, flattened or squeezed, one
label per support image, transposed, a number of tasks or of labels per task fixed in the code,
y_train[best] or y_train[:, best], np.dot of stacked arrays); not a NumPy array; NaN; a known
mistake that gives exactly the answer (:data:`NN_MISTAKES`: indices instead of labels, task 0's
labels, the task index not broadcast (n = q), the support images of all tasks pooled, the
nearest query of each support image, Euclidean distance, no division by ‖x_j‖ (the raw dot
product, or only the query normalised, which changes no argmax; normalising only the support
images is right), squared lengths, every query given the first label (all similarities equal
or NaN), lengths over the wrong axis, argmin, a blank support image winning by NaN or never
winning, lengths clipped at 1, the last of ties, an ε that breaks exact ties); else a cause
only when every wrong label shows it (not the task's labels, blank queries only, the first m
support images only in every case, exact ties only, near ties only (similarities rounded to
1, 2 or 3 decimals named when they give exactly the answer), a support image of negative
similarity chosen (an absolute value or a square), blank support images), else how many
labels are wrong. Whatever the failure, it is blamed instead on a notebook variable read where
an argument belongs (an array, or a TaskBatch such as ``tasks``) if replacing that variable by
the arguments makes the answer right. Right labels computed with a NumPy warning are then
rejected. Last, with every case right, the function's Python steps are counted for 4 and 64
tasks, query images and support images (``exercises.python_loop``; for np.apply_along_axis,
the sizes its steps grow with).
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import gaml_omniglot as go
import gaml_tasks as gt
from exercises import (
    CORRECT,
    NOT_ATTEMPTED,
    Case,
    _own_codes,
    _with_globals,
    attempt,
    check,
    count_steps,
    exercise_decorator,
    fmt_shape,
    four_arrays,
    global_for_argument,
    known_mistake,
    mistake_value,
    python_loop,
    run_check,
    same_arrays,
    say,
    shape_problem,
)

__all__ = [
    "NOT_ATTEMPTED",
    "check_pixel_nearest_neighbour",
    "check_sample_character_tasks",
    "exercise",
    "pixel_nearest_neighbour",
    "sample_character_tasks",
]

exercise = exercise_decorator(sys.modules[__name__])
NAMES = ("X_train", "y_train", "X_test", "y_test")
SIZE, PIXELS = 28, 28 * 28


# --- Reference solution (shown in the notebook's collapsed block) ---------------------------------


def sample_character_tasks(rng, characters, n_tasks, ways, shots, queries):
    m, drawers = characters.shape[:2]
    X_train, X_test = [], []
    for _ in range(n_tasks):
        classes = rng.choice(4 * m, size=ways, replace=False)  # distinct, in random order
        support, query = [], []
        for c in classes:  # class c = (character c // 4, rotation c % 4): label j for the j-th
            character, r = divmod(c, 4)
            who = rng.choice(drawers, size=shots + queries, replace=False)  # distinct drawers
            images = np.rot90(characters[character, who], r, axes=(1, 2))  # (K + Q, 28, 28)
            support.append(images[:shots])
            query.append(images[shots:])
        X_train.append(np.concatenate(support))
        X_test.append(np.concatenate(query))
    X_train = np.array(X_train, dtype=np.float64).reshape(n_tasks, ways * shots, 784)
    X_test = np.array(X_test, dtype=np.float64).reshape(n_tasks, ways * queries, 784)
    y_train = np.tile(np.repeat(np.arange(ways, dtype=np.float64), shots), (n_tasks, 1))
    y_test = np.tile(np.repeat(np.arange(ways, dtype=np.float64), queries), (n_tasks, 1))
    return gt.TaskBatch(X_train, y_train, X_test, y_test, np.zeros(n_tasks, dtype=bool))


# --- The cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One call: the seed, the characters (``source``: "train", "validation" or "synthetic";
    ``m`` of them, each drawn by ``drawers`` people) and the numbers of the tasks."""

    seed: int
    source: str
    m: int
    drawers: int
    n: int
    ways: int
    shots: int
    queries: int

    @property
    def label(self) -> str:
        what = "Omniglot" if self.source != "synthetic" else "synthetic"
        return (
            f"n_tasks={self.n}, ways={self.ways}, shots={self.shots}, queries={self.queries}, "
            f"{self.m} {what} characters of {self.drawers} drawers"
        )


# The first case differs from the library's defaults (5-way, 1 shot, 1 query) and from 5- and
# 20-way; then ways = m (3), ways = 4m (2 characters, 8-way: every class in every task), K + Q =
# drawers (6 and 5), K = Q, one task, 20-way, fewer than 20 drawers.
CASES = (
    Setting(81, "train", 40, 20, 4, 7, 2, 3),
    Setting(82, "synthetic", 9, 6, 7, 3, 1, 5),
    Setting(83, "validation", 30, 20, 1, 20, 1, 1),
    Setting(84, "synthetic", 2, 5, 5, 8, 3, 2),
    Setting(85, "synthetic", 3, 8, 6, 3, 4, 1),
    Setting(86, "train", 12, 20, 2, 2, 4, 4),
)
# The large batch whose statistics are read: 1200 classes, 1200 support and 2400 query images.
BIG = Setting(87, "train", 6, 20, 400, 3, 1, 2)
OTHER_SEED = 1000  # the generator test compares seed s with s + OTHER_SEED


@functools.cache
def _omniglot() -> go.Omniglot:
    return go.load_omniglot()


def _characters(s: Setting) -> np.ndarray:
    """The case's characters (m, drawers, 28, 28) float32, a fresh array for every call."""
    rng = np.random.default_rng(10_000 + s.seed)
    if s.source == "synthetic":
        return rng.random((s.m, s.drawers, SIZE, SIZE), dtype=np.float32)
    train, validation = go.split_characters(_omniglot().background)
    pool = train if s.source == "train" else validation
    return pool[rng.choice(len(pool), size=s.m, replace=False)]  # a random subset, shuffled


def _args(s: Setting, seed: int | None = None) -> tuple[Any, ...]:
    rng = np.random.default_rng(s.seed if seed is None else seed)
    return (rng, _characters(s), s.n, s.ways, s.shots, s.queries)


# --- Identifying an image: which character, drawer and rotation -----------------------------------

_BASE = np.arange(PIXELS).reshape(SIZE, SIZE)
# image.ravel()[TURNS[r]] == np.rot90(image, r).ravel(); MIRRORS: the four reflections.
TURNS = np.stack([np.rot90(_BASE, r).ravel() for r in range(4)])
MIRRORS = np.stack([np.rot90(_BASE.T, r).ravel() for r in range(4)])
_WEIGHTS = np.random.default_rng(8).integers(1, 2**63, size=PIXELS, dtype=np.uint64)


def _fingerprint(images: np.ndarray) -> np.ndarray:
    """(..., 784) float32 → (...) uint64: a weighted sum of the pixels' bits, modulo 2⁶⁴."""
    bits = (images + np.float32(0.0)).view(np.uint32).astype(np.uint64)  # -0.0 counts as 0.0
    return bits @ _WEIGHTS


@dataclass(frozen=True)
class Lookup:
    """Every image of some characters in 4 orientations (turns, or mirror images), sorted by
    fingerprint: ``images`` (m·drawers·4, 784) float32, entry i = (character, drawer, r)."""

    keys: np.ndarray
    order: np.ndarray
    images: np.ndarray
    shape: tuple[int, int, int]


def _lookup(characters: np.ndarray, maps: np.ndarray = TURNS) -> Lookup:
    m, drawers = characters.shape[:2]
    flat = np.asarray(characters, dtype=np.float32).reshape(m, drawers, PIXELS)
    images = flat[:, :, maps].reshape(-1, PIXELS)  # (m·drawers·4, 784)
    keys = _fingerprint(images)
    order = np.argsort(keys, kind="stable")
    return Lookup(keys[order], order, images, (m, drawers, len(maps)))


@functools.cache
def _case_lookup(s: Setting) -> Lookup:
    return _lookup(_characters(s))


@functools.cache
def _omniglot_lookup() -> Lookup:
    return _lookup(_omniglot().background.images)


def _identify(lookup: Lookup, X: np.ndarray) -> tuple[np.ndarray, ...]:
    """For images X (..., 784) float64: found (...) bool and character, drawer, r (...) int
    (meaningless where not found). Found means an exact copy, pixel for pixel."""
    with np.errstate(all="ignore"):  # a huge value overflows float32: then it is not found
        x32 = X.astype(np.float32)
    exact = (x32.astype(np.float64) == X).all(axis=-1)
    keys = _fingerprint(x32)
    pos = np.minimum(np.searchsorted(lookup.keys, keys), len(lookup.keys) - 1)
    index = lookup.order[pos]
    found = exact & (lookup.keys[pos] == keys) & (lookup.images[index] == x32).all(axis=-1)
    character, drawer, r = np.unravel_index(index, lookup.shape)
    return found, character, drawer, r


# --- Diagnoses ------------------------------------------------------------------------------------


def _four(got: Any) -> tuple[Any, ...] | str:
    """The four returned arrays, or a diagnosis (:func:`exercises.four_arrays`)."""
    return four_arrays(
        got,
        "your function returned None: return gt.TaskBatch(X_train, y_train, X_test, ...)",
        (
            "return a gt.TaskBatch (or the four arrays X_train, y_train, X_test, y_test, in "
            "this order)"
        ),
    )


def _same(a: Any, b: Any) -> bool:
    """Two returned batches hold the same four arrays."""
    return same_arrays(_four(a), _four(b))


def _pair_hint(m: int, ways: int) -> str:
    """What to add to a failure when there are more ways than characters."""
    if ways <= m:
        return ""
    return (
        f"; here ways = {ways} is more than the {m} characters, and a task needs {ways} "
        f"distinct classes: draw them from all 4·m = {4 * m} (character, rotation) pairs"
    )


def _explained(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with the errors these tasks make likely explained (the message goes on to say
    how): np.rot90 on a flattened image, an index past the characters or drawers, more ways
    than characters, a sample of all the drawers."""

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            m, drawers = (int(k) for k in np.shape(args[1])[:2])
            ways, per = int(args[3]), int(args[4]) + int(args[5])
        except (IndexError, TypeError, ValueError):
            m, drawers, ways, per = 0, 0, 0, -1
        try:
            return fn(*args)
        except NotImplementedError:
            raise
        except ValueError as exc:
            text = str(exc)
            if "Axes must be different" in text or "out of range for array of ndim" in text:
                raise ValueError(
                    f"{text}: np.rot90 turns the first two axes of an array; turn the 28×28 "
                    "image (or a stack with axes=(-2, -1)) before flattening it"
                ) from None
            if _pair_hint(m, ways):
                raise ValueError(f"{text}{_pair_hint(m, ways)}") from None
            if "larger sample than population" in text and per == drawers:
                raise ValueError(
                    f"{text}; here shots + queries = {per} is every one of the {drawers} "
                    "drawers, characters.shape[1]: each class takes them all, so draw a class's "
                    "drawers from all of them, in one draw"
                ) from None
            raise
        except IndexError as exc:
            raise IndexError(
                f"{exc}: the cases vary the number of characters, characters.shape[0], and of "
                "drawers, characters.shape[1] (not always 20); size every draw with them"
                f"{_pair_hint(m, ways)}"
            ) from None

    return call


def _shape_message(name: str, got: np.ndarray, want: tuple[int, ...], s: Setting) -> str:
    per, arg = (s.shots, "shots") if name.endswith("train") else (s.queries, "queries")
    if name.startswith("X"):
        if got.shape == (*want[:2], SIZE, SIZE):
            return (
                f"{name} has shape {got.shape} instead of {want}: flatten every image to its "
                "784 pixels, row by row (image.reshape(784))"
            )
        if got.shape == (s.n, s.ways, per, PIXELS):
            return (
                f"{name} has shape {got.shape} instead of {want}: one axis for the classes and "
                f"one for their images; merge them class by class, .reshape(n_tasks, ways * "
                f"{arg}, 784)"
            )
    elif got.shape == (*want, s.ways):
        return (
            f"{name} has shape {got.shape} instead of {want}: a label is the class number "
            "0 … ways − 1, one number per image, not a one-hot row"
        )
    if got.ndim == len(want) and got.shape[0] != want[0]:
        return (
            f"{name} holds {got.shape[0]} tasks instead of n_tasks = {s.n}: size every draw "
            "with the arguments, not with numbers of your own"
        )
    if got.ndim == len(want) and got.shape[2:] == want[2:] and got.shape[1] != want[1]:
        why = _pair_hint(s.m, s.ways).removeprefix("; ") or (
            "size every draw with ways, shots and queries, not numbers of your own"
        )
        return (
            f"{name} has {got.shape[1]} images per task instead of ways·{arg} = {s.ways}·{per} "
            f"= {want[1]}: {why}"
        )
    return shape_problem(got, np.zeros(want), name) or f"{name} has the wrong shape"


def _arrays(four: tuple[Any, ...], s: Setting) -> tuple[np.ndarray, ...] | str:
    """The four arrays, or the first problem: swapped sets, a shape, a dtype, NaN."""
    shapes = (
        (s.n, s.ways * s.shots, PIXELS),
        (s.n, s.ways * s.shots),
        (s.n, s.ways * s.queries, PIXELS),
        (s.n, s.ways * s.queries),
    )
    given = [np.shape(v) if isinstance(v, np.ndarray) else None for v in four]
    if s.shots != s.queries and given[0] == shapes[2] and given[2] == shapes[0]:
        return (
            "X_train has the query set's shape and X_test the support set's: `shots` images "
            "of each class go to the support set (X_train), `queries` to the query set (X_test)"
        )
    arrays = []
    for name, value, shape in zip(NAMES, four, shapes, strict=True):
        try:
            arr = np.asarray(value)
            ok = arr.dtype.kind in "biuf"
        except (TypeError, ValueError):
            ok = False
        if not ok:
            return f"{name} should be an array of numbers"
        if arr.shape != shape:
            return _shape_message(name, arr, shape, s)
        if arr.dtype != np.float64:
            what = "images" if name.startswith("X") else "labels 0.0, 1.0, …"
            return (
                f"{name} is {arr.dtype}: return float64 {what} (.astype(np.float64)), like every "
                "task sampler of the course"
            )
        if not np.isfinite(arr).all():
            return f"{name} contains NaN or inf"
        arrays.append(arr)
    return tuple(arrays)


def _disagreeing_problem(flags: Any, s: Setting) -> str | None:
    """A returned TaskBatch's ``disagreeing`` must be np.zeros(n_tasks, dtype=bool)."""
    want = "np.zeros(n_tasks, dtype=bool), one False per task (no task here is made to disagree)"
    if not isinstance(flags, np.ndarray):
        what = "None" if flags is None else f"a {type(flags).__name__}, not an array"
        return f"the TaskBatch's `disagreeing` is {what}: give it {want}"
    if flags.shape != (s.n,):
        return (
            f"the TaskBatch's `disagreeing` has shape {fmt_shape(flags.shape)} instead of "
            f"{fmt_shape((s.n,))}: give it {want}"
        )
    if flags.dtype != np.bool_:
        return f"the TaskBatch's `disagreeing` is {flags.dtype}: give it {want}"
    if flags.any():
        return f"the TaskBatch's `disagreeing` marks some tasks True: give it {want}"
    return None


def _label_problem(y: np.ndarray, name: str, s: Setting) -> str | None:
    per, arg = (s.shots, "shots") if name == "y_train" else (s.queries, "queries")
    values = set(np.unique(y).tolist())
    if not values <= set(range(s.ways)):
        if values == set(range(1, s.ways + 1)):
            return f"{name} counts from 1: the j-th class of a task gets label j, 0 … ways − 1"
        return (
            f"{name} holds labels other than 0, 1, …, ways − 1: the j-th class drawn for a task "
            "gets label j (not its character's number)"
        )
    counts = np.stack([(y == c).sum(axis=1) for c in range(s.ways)], axis=1)
    if (counts != per).any():
        return (
            f"in some task a label has {int(counts[counts != per][0])} images in {name} instead "
            f"of {arg} = {per}: each of the `ways` classes has exactly `{arg}` images there"
        )
    if not (y == np.repeat(np.arange(s.ways), per)).all():
        return (
            f"the points of {name} are not class by class: each task's labels read 0, …, 0, 1, "
            f"…, 1, … (np.repeat(np.arange(ways), {arg})), its images in the same order"
        )
    return None


def _global_arrays(fn: Callable[..., Any]) -> list[str]:
    """The global variables read by ``fn`` (a notebook's function) that hold image arrays."""
    fn = inspect.unwrap(fn)
    if not hasattr(fn, "__globals__"):
        return []
    names = sorted({name for code in _own_codes(fn) for name in code.co_names})
    return [
        name
        for name in names
        if isinstance(value := fn.__globals__.get(name), np.ndarray)
        and value.ndim in (3, 4)
        and value.shape[-1] in (SIZE, PIXELS)
    ]


def _image_problem(
    fn: Callable[..., Any], X: np.ndarray, name: str, characters: np.ndarray, found: np.ndarray
) -> str:
    """Why some images of X (not ``found`` among the turned images of ``characters``) are not."""
    strangers = X[~found]
    if _identify(_omniglot_lookup(), strangers)[0].all():
        names = _global_arrays(fn)
        if names:
            return (
                f"you used the notebook's `{names[0]}`, not the `characters` argument: draw "
                "every image from `characters`, the characters the caller passes"
            )
        return (
            f"{name} holds Omniglot characters that are not in `characters`: draw every image "
            "from the `characters` argument, not from a notebook variable or the whole data set"
        )
    if _identify(_lookup(characters, MIRRORS), strangers)[0].all():
        return (
            f"images of {name} are mirror images of characters (transposed or flipped), not "
            "turned ones: flatten row by row, image.reshape(784) (not image.T, not order='F'), "
            "and turn only with np.rot90"
        )
    return (
        f"an image of {name} is not an image of `characters` turned by a multiple of 90°: copy "
        "the pixels exactly (no interpolation, scaling or noise) and turn a 28×28 image with "
        "np.rot90(image, r) (on a stack np.rot90 turns the first two axes unless axes=(-2, -1))"
    )


def _classes(arrays: tuple[np.ndarray, ...], s: Setting, fn: Callable[..., Any],
             characters: np.ndarray) -> dict[str, np.ndarray] | str:  # fmt: skip
    """Character, drawer and rotation of every image, per class: (n, ways, K) for the support
    set and (n, ways, Q) for the query set; or the diagnosis of images that are no copies."""
    lookup = _case_lookup(s)
    out: dict[str, np.ndarray] = {}
    for name, X, per, part in (
        ("X_train", arrays[0], s.shots, "s"),
        ("X_test", arrays[2], s.queries, "q"),
    ):
        found, character, drawer, r = _identify(lookup, X)
        if not found.all():
            return _image_problem(fn, X, name, characters, found)
        for key, value in (("char", character), ("drawer", drawer), ("rot", r)):
            out[key + part] = value.reshape(s.n, s.ways, per)
    return out


def _class_problem(c: dict[str, np.ndarray]) -> str | None:
    """What the identified images show: one character and rotation per label, the same class
    under a label in both sets, distinct drawings within a class, distinct classes in a task."""
    for part, where in (("s", "support"), ("q", "query")):
        char = c["char" + part]
        if (char != char[..., :1]).any():
            return (
                f"the {where} images of one label show different characters: every image of a "
                "class is a drawing of the class's one character"
            )
    if (c["chars"][..., 0] != c["charq"][..., 0]).any():
        return (
            "a label is one character in the support set and another in the query set: the "
            "query images of label j must be further drawings of the support set's class j"
        )
    rot = np.concatenate([c["rots"], c["rotq"]], axis=-1)
    if (rot != rot[..., :1]).any():
        return (
            "the images of one class are turned by different angles: draw one rotation per "
            "class and turn all its shots + queries images by it"
        )
    support, query = c["drawers"], c["drawerq"]
    if (support[..., :, None] == query[..., None, :]).any():
        return (
            "a query image is the same drawing (the same drawer) as a support image of its "
            "class: draw shots + queries distinct drawers per class and split them"
        )
    for drawers, where in ((support, "support"), (query, "query")):
        ordered = np.sort(drawers, axis=-1)
        if (ordered[..., 1:] == ordered[..., :-1]).any():
            return (
                f"a class's {where} set holds one drawing twice: draw its drawers without "
                "replacement"
            )
    rot = c["rots"][..., 0]  # (n, ways)
    classes = np.sort(c["chars"][..., 0] * 4 + rot, axis=-1)
    if (classes[:, 1:] == classes[:, :-1]).any():
        # A repeated class often comes from the rotations: say so when they show it plainly.
        if message := _rotation_problem(rot, rot.shape[0], plain_only=True):
            return message
        return (
            "two labels of one task are the same class (one character, turned the same way): "
            "draw `ways` distinct (character, rotation) classes, without replacement"
        )
    return None


def _rotation_problem(rot: np.ndarray, n: int, plain_only: bool = False) -> str | None:
    """What the rotations of the classes, ``rot`` (n, ways), show. ``plain_only``: only what
    no correct sampler shows even in a small batch (no turn at all; one rotation per task;
    only 0° and 180°, the turns of np.rot90(image, 90·r)); else also a rotation that never
    occurs, one per task in most tasks, uneven shares (for the large batch)."""
    if plain_only and rot.size < 18:  # too few classes to tell
        return None
    turns = np.bincount(rot.ravel(), minlength=4)
    if turns[1:].sum() == 0:
        return (
            "no image is ever turned: a class is a (character, rotation r) pair, r drawn from "
            "0, 1, 2, 3; turn all its images with np.rot90(image, r)"
        )
    per_task = (rot == rot[:, :1]).all(axis=1)
    if rot.shape[1] > 1 and (per_task.all() or (not plain_only and per_task.mean() > 0.5)):
        return (
            "all classes of a task share one rotation: draw a rotation for every class (the "
            "classes are (character, rotation) pairs), not one per task"
        )
    if (turns == 0).any() and (not plain_only or (turns[1] == turns[3] == 0)):
        missing = ", ".join(f"{90 * r}°" for r in np.flatnonzero(turns == 0))
        return f"over {n} tasks no class is ever turned by {missing}: {_missing_hint(turns)}"
    expected = rot.size / 4
    if not plain_only and (np.abs(turns - expected) > 0.35 * expected).any():
        shares = ", ".join(f"{t / rot.size:.0%}" for t in turns)
        return (
            f"over {n} tasks the rotations 0°, 90°, 180°, 270° come {shares} of the time, "
            "not a quarter each: every class is equally likely"
        )
    return None


def _missing_hint(turns: np.ndarray) -> str:
    """What to say of rotations that never occur, from which ones occur: 0° and 180° only is
    what np.rot90(image, 90·r) gives; 270° alone missing, an upper end left out."""
    if turns[1] == turns[3] == 0:
        return (
            "only 0° and 180° occur, as with np.rot90(image, 90 * r): np.rot90 takes the "
            "number r of quarter turns, not degrees"
        )
    if (turns[:3] > 0).all():
        return (
            "r takes all four values 0, 1, 2, 3 (the upper end of rng.integers and range is "
            "left out: rng.integers(4))"
        )
    if turns[0] == 0:
        return "r = 0, no turn, is one of the four rotations: draw r from 0, 1, 2, 3"
    return "every class is one of the 4·m (character, r) pairs, r = 0, 1, 2 or 3 quarter turns"


def _properties(
    fn: Callable[..., Any], got: Any, s: Setting, characters: np.ndarray
) -> dict[str, np.ndarray] | str:
    """The identified classes of a batch, or the first property it breaks."""
    four = _four(got)
    if isinstance(four, str):
        return four
    arrays = _arrays(four, s)
    if isinstance(arrays, str):
        return arrays
    if isinstance(got, gt.TaskBatch) and (message := _disagreeing_problem(got.disagreeing, s)):
        return message
    for y, name in ((arrays[1], "y_train"), (arrays[3], "y_test")):
        if message := _label_problem(y, name, s):
            return message
    classes = _classes(arrays, s, fn, characters)
    if isinstance(classes, str):
        return classes
    return _class_problem(classes) or classes


def _diagnose(fn: Callable[..., Any], got: Any, s: Setting) -> str | None:
    found = _properties(fn, got, s, _characters(s))
    return found if isinstance(found, str) else None


def _rng_problem(fn: Callable[..., Any], first: Any, s: Setting) -> str | None:
    """Does ``fn`` draw from the generator it is given? ``first`` is its batch for seed
    ``s.seed``; the same seed again must give the same batch, another seed another batch.
    None if it does (or fails, which the cases report)."""
    runs = [attempt(fn, _args(s, seed)) for seed in (s.seed, s.seed + OTHER_SEED)]
    if any(status != "ok" for status, _ in runs):
        return None
    (_, again), (_, other) = runs
    if not _same(first, again):
        return (
            "two generators with the same seed gave two different batches: draw every random "
            "number from the `rng` you are given (np.random.choice, np.random.permutation or "
            "random.sample draw from other generators)"
        )
    if _same(first, other):
        return (
            "your batches do not change with the generator passed in: draw from the `rng` "
            "argument, not from a generator of your own (np.random.default_rng(seed) inside "
            "the function?)"
        )
    return None


# A correct sampler's statistic of the large batch lies within Z_LIMIT standard deviations of its
# exact expectation (checked on hundreds of seeds for the reference and the library); the
# wrong answers it is there for lie 15 to 60 away.
Z_LIMIT = 5.0


@dataclass(frozen=True)
class Rate:
    """A mean over the tasks of the large batch, its exact expectation for a correct sampler
    and the standard deviation of that mean."""

    observed: float
    expected: float
    sd: float

    @property
    def z(self) -> float:
        if self.sd > 0:
            return (self.observed - self.expected) / self.sd
        if self.observed == self.expected:  # a certain outcome, met
            return 0.0
        return math.copysign(math.inf, self.observed - self.expected)

    def off(self) -> int:
        """+1 if the mean is too high, -1 if too low, 0 if within Z_LIMIT."""
        return int(np.sign(self.z)) if abs(self.z) > Z_LIMIT else 0


def _bernoulli(hits: np.ndarray, p: float) -> Rate:
    """The share of tasks with a property that each task has with probability p."""
    return Rate(float(hits.mean()), p, float(np.sqrt(p * (1 - p) / hits.size)))


def _repeated_character(char: np.ndarray, m: int) -> Rate:
    """The share of tasks in which one character is two classes (in two rotations), against
    its probability for ways classes drawn uniformly without replacement from the 4m."""
    ways = char.shape[1]
    distinct = float(np.prod([4 * max(m - i, 0) / (4 * m - i) for i in range(ways)]))
    ordered = np.sort(char, axis=1)
    return _bernoulli((ordered[:, 1:] == ordered[:, :-1]).any(axis=1), 1 - distinct)


def _shared_drawer(every: np.ndarray, drawers: int) -> Rate:
    """The share of tasks in which two classes share a drawer (``every`` (n, ways, K + Q), the
    drawers of each class, distinct within a class), against its probability for drawers drawn
    for every class on its own."""
    n, ways, per = every.shape
    apart = 1.0
    for j in range(ways):  # class j avoids the j·per drawers of the classes before it
        apart *= math.comb(max(drawers - j * per, 0), per) / math.comb(drawers, per)
    ordered = np.sort(every.reshape(n, -1), axis=1)
    return _bernoulli((ordered[:, 1:] == ordered[:, :-1]).any(axis=1), 1 - apart)


def _consecutive_overlap(classes: np.ndarray, m: int) -> Rate:
    """The mean number of classes that task t + 1 shares with task t, against its expectation
    for independent tasks (hypergeometric: ways² / 4m; the n − 1 overlaps are independent)."""
    ways = classes.shape[1]
    total = 4 * m
    shared = (classes[:-1, :, None] == classes[1:, None, :]).sum(axis=(1, 2))
    mean = ways * ways / total
    variance = mean * (1 - ways / total) * (total - ways) / max(total - 1, 1)
    return Rate(float(shared.mean()), mean, float(np.sqrt(variance / shared.size)))


def _ordered_share(values: np.ndarray) -> float:
    """Among the tasks whose labels' values all differ, the share in which they increase along
    the labels (ties say nothing about an order); 0 if fewer than 20 such tasks."""
    ordered = np.sort(values, axis=-1)
    distinct = (ordered[:, 1:] != ordered[:, :-1]).all(axis=-1)
    if distinct.sum() < 20:
        return 0.0
    return float((np.diff(values[distinct], axis=-1) > 0).all(axis=-1).mean())


def _class_statistics(char: np.ndarray, rot: np.ndarray, s: Setting) -> str | None:
    """What the classes of the large batch show: rotations tied to labels or to characters,
    the rotations, every character and class, labels ordered, characters piling up within a
    task or never coming back, consecutive tasks alike."""
    n, ways = char.shape
    if ways > 1 and (rot == rot[:1]).all() and (rot[0] != rot[0, 0]).any():
        return (
            "the rotation of a class follows its label (in every task label j is turned the "
            "same way): draw every class's rotation at random, with its character, whatever "
            "its label"
        )
    seen = np.bincount(char.ravel(), minlength=s.m)
    turns = [np.unique(rot[char == c]).size for c in np.flatnonzero(seen)]
    if len(turns) > 1 and max(turns) == 1 and np.unique(rot).size > 1:
        return (
            f"over {n} tasks every character comes turned one way only: the rotation is drawn "
            "for every class, with its character, so each character comes in all four turns"
        )
    if message := _rotation_problem(rot, n):
        return message
    if absent := int((seen == 0).sum()):
        verb = "never appears" if absent == 1 else "never appear"
        return (
            f"over {n} tasks {absent} of the {s.m} characters {verb}: draw the classes from "
            "all 4·m (character, rotation) pairs, m = len(characters)"
        )
    if (np.abs(seen - char.size / s.m) > 0.5 * char.size / s.m).any():
        return (
            f"over {n} tasks some characters come far more often than others: draw the "
            "classes uniformly from all 4·m (character, rotation) pairs"
        )
    classes = char * 4 + rot
    missing = np.flatnonzero(np.bincount(classes.ravel(), minlength=4 * s.m) == 0)
    if missing.size:
        last = (
            " (the last one, character m − 1 turned by 270°: do you draw from 4·m − 1 numbers?)"
            if missing.tolist() == [4 * s.m - 1]
            else ""
        )
        verb = "never appears" if missing.size == 1 else "never appear"
        return (
            f"over {n} tasks {missing.size} of the {4 * s.m} (character, rotation) classes "
            f"{verb}{last}: every class is equally likely, draw from all 4·m pairs"
        )
    for values, what, first in ((char, "characters", "the lowest number"),
                                (rot, "rotations", "the smallest turn")):  # fmt: skip
        if _ordered_share(values) > 0.9:
            return (
                f"in (almost) every task the labels follow the order of the {what} (label 0 "
                f"{first}): you sorted the classes? keep them in the random order drawn, so "
                "that a label says nothing about the class"
            )
    rate = _repeated_character(char, s.m)
    twice = "hold one character twice (as two classes, in two rotations)"
    uniform = f"where drawing the classes uniformly from all 4·m pairs gives {rate.expected:.0%}"
    if rate.off() > 0:
        return (
            f"{rate.observed:.0%} of your tasks {twice}, {uniform}: the characters pile up "
            "within a task; draw the `ways` classes at once, without replacement, from all "
            "4·m (character, rotation) pairs"
        )
    if rate.off() < 0:
        few = "none" if rate.observed == 0 else f"only {rate.observed:.0%}"
        return (
            f"{few} of your tasks {twice}, {uniform}: a character may come back in another "
            "rotation, as another class (distinct characters are MAML's rule, not this one)"
        )
    overlap = _consecutive_overlap(classes, s.m)
    if overlap.off():
        return (
            f"task t + 1 shares {overlap.observed:.2f} classes with task t on average, where "
            f"independent tasks share {overlap.expected:.2f}: draw every task's classes anew, "
            "independently of the task before"
        )
    return None


def _statistics_problem(c: dict[str, np.ndarray], s: Setting) -> str | None:
    """What only a large batch shows: the distribution of rotations, classes and drawers."""
    char, rot = c["chars"][..., 0], c["rots"][..., 0]  # (n, ways)
    sets = np.sort(char * 4 + rot, axis=1)
    if (sets == sets[:1]).all():
        return "every task holds the same classes: draw the classes anew for every task"
    if message := _class_statistics(char, rot, s):
        return message
    support, query = c["drawers"], c["drawerq"]
    every = np.concatenate([support, query], axis=-1)  # (n, ways, K + Q)
    used = np.unique(every).size
    if used < s.drawers:
        return (
            f"over {s.n} tasks your images come from only {used} of the {s.drawers} drawers: "
            "draw every class's drawers at random from all characters.shape[1]"
        )
    if (every == every[:, :1]).all(axis=(1, 2)).mean() > 0.5:
        return (
            "all classes of a task are drawn by the same people: draw the drawers for every "
            "class, not once per task"
        )
    if abs(float(support.mean()) - float(query.mean())) > 1.5:
        return (
            "the support images come from lower-numbered drawers than the query images (sorted "
            "drawers, or a fixed split?): draw a class's shots + queries drawers in random "
            "order, the first shots for the support set"
        )
    for drawers, where in ((support, "support"), (query, "query")):
        used = np.unique(drawers).size
        if used < s.drawers:
            return (
                f"over {s.n} tasks your {where} images come from only {used} of the "
                f"{s.drawers} drawers: any drawer may give a support or a query image"
            )
    rate = _shared_drawer(every, s.drawers)
    if rate.off():
        share = "none" if rate.observed == 0 else f"{rate.observed:.0%}"
        return (
            f"two classes of a task share a drawer in {share} of your tasks, where drawing "
            f"every class's drawers on its own gives {rate.expected:.0%}: draw each class's "
            "shots + queries drawers independently of the other classes' (one person may "
            "draw several classes of a task)"
        )
    return None


def _big_problem(fn: Callable[..., Any], got: Any) -> str | None:
    found = _properties(fn, got, BIG, _characters(BIG))
    if isinstance(found, str):
        return found
    return _statistics_problem(found, BIG)


@check
def check_sample_character_tasks(fn) -> bool:
    """Run ``fn`` on :data:`CASES`, test the generator on the first, then read the statistics
    of the large batch :data:`BIG`."""
    learner = _explained(fn)
    cases = [
        Case(s.label, _args(s), None, diagnose=lambda got, s=s: _diagnose(fn, got, s))
        for s in CASES
    ]
    first = CASES[0]
    cases.append(
        Case(f"{first.label}; the same seed twice, then another seed", _args(first), None,
             diagnose=lambda got: _rng_problem(learner, got, first))
    )  # fmt: skip
    cases.append(Case(BIG.label, _args(BIG), None, diagnose=lambda got: _big_problem(fn, got)))
    success = (
        f"in {len(CASES)} layouts (2- to 20-way, 1 to 4 shots, 1 to 5 queries, real and "
        "synthetic characters) your tasks are exact turned copies, with distinct drawings and "
        f"classes; the same seed gives the same batch; over {BIG.n} tasks every class, "
        "rotation and drawer occurs as often as uniform draws make it, independently of the "
        "labels and of the task before"
    )
    return run_check(learner, cases, (), success)


# === Exercise 8.2: pixel nearest neighbour ========================================================


def pixel_nearest_neighbour(X_train, y_train, X_test):
    dots = X_test @ np.swapaxes(X_train, -1, -2)  # (n, q, k): each query with each support image
    norm_test = np.linalg.norm(X_test, axis=-1)[:, :, None]  # (n, q, 1): ‖x‖
    norm_train = np.linalg.norm(X_train, axis=-1)[:, None, :]  # (n, 1, k): ‖x_j‖
    lengths = norm_test * norm_train
    similarity = np.divide(dots, lengths, out=np.zeros_like(dots), where=lengths > 0)  # blank: 0
    best = np.argmax(similarity, axis=-1)  # (n, q): the first of the most similar images
    return np.take_along_axis(y_train, best, axis=-1)  # its label, within the query's own task


# --- The cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NNCase:
    """One call ``pixel_nearest_neighbour(X_train, y_train, X_test)`` and what it is about."""

    label: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray

    @property
    def args(self) -> tuple[np.ndarray, ...]:
        return (self.X_train.copy(), self.y_train.copy(), self.X_test.copy())

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """n, k, q, d."""
        n, k, d = self.X_train.shape
        return n, k, self.X_test.shape[1], d


def _shuffled_support(rng: np.random.Generator, batch: gt.TaskBatch) -> tuple[np.ndarray, ...]:
    """A batch's support set in a random order per task (labels unsorted, different in every
    task) and its query set."""
    n, k = batch.y_train.shape
    order = np.argsort(rng.random((n, k)), axis=1)
    X_train = np.take_along_axis(batch.X_train, order[..., None], axis=1)
    return X_train, np.take_along_axis(batch.y_train, order, axis=1), batch.X_test


def _omniglot_case(label: str, seed: int, source: str, n: int, ways: int, shots: int,
                   queries: int, keep: int | None = None,
                   dtype: type = np.float64) -> NNCase:  # fmt: skip
    """Tasks of real characters (rotated classes from the training characters, unrotated from
    the validation ones), support images shuffled; ``keep`` query images per task at random."""
    rng = np.random.default_rng(seed)
    train, validation = go.split_characters(_omniglot().background)
    pool = train if source == "train" else validation
    batch = go.sample_omniglot_tasks(
        rng, pool, n, ways, shots, queries, rotations=source == "train"
    )
    X_train, y_train, X_test = _shuffled_support(rng, batch)
    if keep is not None:
        X_test = X_test[:, np.sort(rng.choice(X_test.shape[1], keep, replace=False))]
    return NNCase(label, X_train.astype(dtype), y_train, X_test.astype(dtype))


def _synthetic_case(label: str, seed: int, n: int, ways: int, shots: int, q: int, d: int,
                    dtype: type = np.float64) -> NNCase:  # fmt: skip
    """Random vectors of very different lengths (0.2 to 5) around a common direction: the
    cosine, the Euclidean distance and the raw dot product pick different neighbours."""
    rng = np.random.default_rng(seed)

    def vectors(m: int) -> np.ndarray:
        X = rng.normal(size=(n, m, d)) + 0.6
        X /= np.linalg.norm(X, axis=-1, keepdims=True)
        return X * rng.uniform(0.2, 5.0, size=(n, m, 1))

    labels = np.repeat(np.arange(ways, dtype=np.float64), shots)
    y_train = np.stack([rng.permutation(labels) for _ in range(n)])
    return NNCase(label, vectors(ways * shots).astype(dtype), y_train, vectors(q).astype(dtype))


def _blank_case() -> NNCase:
    """d = 3, float32. Task 0: a blank support image (label 0, second), a blank query (every
    similarity 0: the first support image wins), a query at negative similarity to every other
    support image (the blank one, at 0, wins). Task 1: random signed vectors, the last support
    image blank."""
    support0 = [[2, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 0.5], [1, 1, 0]]
    query0 = [[-1, -2, -3], [0, 0, 0], [3, 1, 0], [0.1, 1, 0.05], [0, -1, 1], [1, -1, 0]]
    rng = np.random.default_rng(824)
    support1 = np.vstack([rng.normal(size=(4, 3)), np.zeros((1, 3))])
    query1 = rng.normal(size=(6, 3))
    X_train = np.stack([np.array(support0), support1]).astype(np.float32)
    X_test = np.stack([np.array(query0), query1]).astype(np.float32)
    y_train = np.array([[1.0, 0.0, 2.0, 0.0, 2.0], [2.0, 1.0, 0.0, 1.0, 0.0]])
    label = "2 tasks, k=5, q=6, d=3, float32: blank (all-zero) support and query images"
    return NNCase(label, X_train, y_train, X_test)


def _tie_case() -> NNCase:
    """d = 16: patterns of 4 ones (length 2) scaled by powers of 2, so that every similarity is
    exact in any order of the sums. Exact ties: a support image and a copy twice (or half) as
    long, two equal support images, a blank query, a query equally similar to all."""
    ones = np.eye(4).repeat(4, axis=1)  # A, C, E, G: ones at 0-3, 4-7, 8-11, 12-15
    A, C, E, G = ones
    support = [
        [A, 2 * A, C, C, 2 * E, E],
        [2 * G, G, A, 4 * A, C, E],
        [E, 2 * C, 0.5 * G, A + C + E + G, 2 * A, G],
    ]
    query = [
        [4 * A, 0.5 * C, E, 0 * A],
        [G, 0.5 * (A + C + E + G), 2 * A, C],
        [A + C + E + G, 0 * A, 8 * G, 2 * E],
    ]
    y_train = np.array([[0.0, 1, 2, 0, 1, 2], [0.0, 1, 2, 0, 1, 2], [1.0, 0, 2, 1, 0, 2]])
    label = (
        "3 tasks, k=6, q=4, d=16: exact ties (a support image and a copy twice as long, two "
        "equal support images, a blank query)"
    )
    return NNCase(label, np.array(support), y_train, np.array(query))


def _near_tie_case() -> NNCase:
    """n = q = 3, k = 6, d = 12, float64: every query image has two support images of different
    labels whose similarities differ by 3·10⁻⁴ (0.9991 and 0.9994, …), the less similar first,
    and similarity ≈ 0 to the others. A tolerance of 10⁻³ picks the first every time; rounding
    to 3, 2 or 1 decimals too, except for one pair each that the rounding separates (0.8744 and
    0.8747, 0.6449 and 0.6452, 0.5499 and 0.5502), so the four answers differ. float32
    arithmetic (errors of ~10⁻⁷) picks the right one. With n = q, y_train[np.arange(n), best]
    gives labels of the wrong task instead of an IndexError."""
    rng = np.random.default_rng(825)
    lower = [[0.9991, 0.8744, 0.5121], [0.7361, 0.6449, 0.3231], [0.5499, 0.9911, 0.4451]]
    n = q = 3
    d = 12
    X_train, y_train, X_test = [], [], []
    for i in range(n):
        basis = np.linalg.qr(rng.normal(size=(d, d)))[0]  # orthonormal columns
        queries, others = basis[:, :q].T, basis[:, q:].T
        a, b, c = rng.permutation(q)
        slots = [(a, 0), (b, 0), (a, 1), (c, 0), (b, 1), (c, 1)]  # (query, 0 less / 1 more)
        first = rng.permutation(3).astype(np.float64)  # the less similar image's label
        support, labels = [], []
        for j, (p, more) in enumerate(slots):
            cos = lower[i][p] + 3e-4 * more
            support.append(cos * queries[p] + np.sqrt(1 - cos * cos) * others[j])
            labels.append((first[p] + more) % 3)
        X_train.append(np.array(support) * rng.uniform(0.5, 3.0, size=(2 * q, 1)))
        X_test.append(queries * rng.uniform(0.5, 3.0, size=(q, 1)))
        y_train.append(labels)
    label = (
        "3 tasks, k=6, q=3, d=12: near ties (two support images of different labels whose "
        "similarities differ by 0.0003, the less similar first)"
    )
    return NNCase(label, np.array(X_train), np.array(y_train), np.array(X_test))


def _single_case() -> NNCase:
    X_train = np.array([[[0.5, -1.0, 2.0]]])
    X_test = np.array([[[1.0, 0.0, 0.0], [-0.5, 1.0, -2.0], [0.2, 0.3, 0.1]]])
    return NNCase("1 task, 1 support image (label 2), q=3, d=3", X_train, np.array([[2.0]]), X_test)


def _nn_cases() -> list[NNCase]:
    """The cases, in the order they are run (built anew for every check)."""
    return [
        _omniglot_case("4 tasks of 4-way 3-shot Omniglot characters (k=12, support images "
                       "shuffled), q=8, d=784", 821, "train", 4, 4, 3, 2),
        _synthetic_case("3 tasks, 3-way 2-shot (k=6, shuffled), q=5, d=10, vectors of "
                        "different lengths", 822, 3, 3, 2, 5, 10),
        _single_case(),
        _blank_case(),
        _tie_case(),
        _near_tie_case(),
        _synthetic_case("2 tasks, k=q=4, d=10, float32", 826, 2, 4, 1, 4, 10, np.float32),
        _omniglot_case("5 tasks of 20-way 1-shot validation characters (shuffled), q=1, "
                       "d=784, float32", 827, "validation", 5, 20, 1, 1, keep=1,
                       dtype=np.float32),
        _omniglot_case("6 tasks of 5-way 5-shot Omniglot characters (k=25, shuffled), q=10, "
                       "d=784", 828, "train", 6, 5, 5, 2),
    ]  # fmt: skip


def _loop_args(n: int, k: int, q: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(n + 100 * k + 10_000 * q)
    y_train = rng.integers(0, 3, size=(n, k)).astype(np.float64)
    return rng.random((n, k, 6)), y_train, rng.random((n, q, 6))


# --- Known mistakes -------------------------------------------------------------------------------


def _similarity(X_train, X_test, how="cosine"):
    """(n, q, k) similarities, the right ones (``"cosine"``) or a known mistake's."""
    X_train, X_test = np.asarray(X_train, np.float64), np.asarray(X_test, np.float64)
    dots = X_test @ np.swapaxes(X_train, -1, -2)
    if how == "dot":
        return dots
    if how == "euclidean":  # −½‖x − x_j‖² + ½‖x‖²
        return dots - 0.5 * np.sum(X_train**2, axis=-1)[:, None, :]
    if how in ("axis 0", "axis 1"):  # lengths across the tasks or the images, per pixel

        def scaled(X: np.ndarray) -> np.ndarray:  # 0/0 set to 0 (the learner's NaN guard)
            norm = np.linalg.norm(X, axis=int(how[-1]), keepdims=True)
            return np.divide(X, norm, out=np.zeros_like(X), where=norm > 0)

        return scaled(X_test) @ np.swapaxes(scaled(X_train), -1, -2)
    norm_test, norm_train = np.linalg.norm(X_test, axis=-1), np.linalg.norm(X_train, axis=-1)
    if how == "at least 1":  # lengths clipped at 1 to avoid 0/0
        norm_test, norm_train = np.maximum(norm_test, 1.0), np.maximum(norm_train, 1.0)
    lengths = norm_test[:, :, None] * norm_train[:, None, :]
    if how == "squared":
        lengths = lengths**2
    if how == "nan":
        return dots / lengths
    if how == "epsilon":
        return dots / (lengths + 1e-8)
    if how == "-inf":
        return np.where(lengths > 0, dots / np.where(lengths > 0, lengths, 1.0), -np.inf)
    return np.divide(dots, lengths, out=np.zeros_like(dots), where=lengths > 0)


def _pick(y_train, similarity, rule="first"):
    """The label of the support image that ``rule`` picks for every query."""
    if rule == "last":
        best = similarity.shape[-1] - 1 - np.argmax(similarity[..., ::-1], axis=-1)
    else:
        best = (np.argmin if rule == "argmin" else np.argmax)(similarity, axis=-1)
    return np.take_along_axis(np.asarray(y_train), best, axis=-1)


def _across_tasks(X_train, y_train, X_test):
    n, k, d = X_train.shape
    flat = _similarity(X_train.reshape(1, n * k, d), X_test.reshape(1, -1, d))
    return _pick(y_train.reshape(1, n * k), flat).reshape(n, -1)


def _task_index_unbroadcast(X_train, y_train, X_test):
    """y_train[np.arange(n), best]: with n = q the task numbers pair with the query axis."""
    best = np.argmax(_similarity(X_train, X_test), axis=-1)
    try:
        return np.asarray(y_train)[np.arange(len(y_train)), best]
    except IndexError:  # n ≠ q: an error, which _error_hint explains
        return None


def _query_per_support(X_train, y_train, X_test):
    best = np.argmax(_similarity(X_train, X_test), axis=1)  # (n, k): a query for each support
    return np.take_along_axis(y_train, best, axis=-1)


NN_MISTAKES = [
    ("you returned the index j of the nearest support image, not its label: the label is "
     "y_train[i, j], np.take_along_axis(y_train, best, axis=-1)",
     lambda Xs, ys, Xq: np.argmax(_similarity(Xs, Xq), axis=-1)),
    ("every task took its labels from task 0 (y_train[0][best]?): each query image takes the "
     "label of a support image of its own task, np.take_along_axis(y_train, best, axis=-1)",
     lambda Xs, ys, Xq: ys[0][np.argmax(_similarity(Xs, Xq), axis=-1)]),
    ("your query images look for their nearest neighbour among the support images of every "
     "task (arrays flattened to (n·k, d)?): compare each query only with its own task's "
     "support images, X_test @ np.swapaxes(X_train, -1, -2) is (n, q, k)", _across_tasks),
    ("y_train[np.arange(n), best] pairs the task numbers np.arange(n), shape (n,), with the "
     "last axis of best, (n, q): here n = q, so query j of every task took its label from task "
     "j; give the task numbers their own axis, y_train[np.arange(n)[:, None], best], or use "
     "np.take_along_axis(y_train, best, axis=-1)", _task_index_unbroadcast),
    ("you found, for each support image, its nearest query image (argmax over the query "
     "axis): each query image chooses among the support images, the argmax over the last "
     "axis of the (n, q, k) similarities", _query_per_support),
    ("you took the support image at the smallest Euclidean distance: use the cosine "
     "similarity x·x_j / (‖x‖ ‖x_j‖), which ignores how long (how inked) an image is",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "euclidean"))),
    ("your similarity is not divided by the support image's length ‖x_j‖ (a raw dot product "
     "x·x_j, or only the query normalised, which changes no argmax): the support image with "
     "the most ink wins; divide by ‖x‖ ‖x_j‖",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "dot"))),
    ("you divided by the squared lengths ‖x‖² ‖x_j‖² (a sum of squares without the square "
     "root?): divide by ‖x‖ ‖x_j‖, np.linalg.norm(X, axis=-1)",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "squared"))),
    ("every query image got the label of its task's first support image: are your "
     "similarities all equal, or all NaN (0/0, from lengths taken across the images, where a "
     "pixel is blank in every image)? an image's length runs over its own pixels, "
     "np.linalg.norm(X, axis=-1)",
     lambda Xs, ys, Xq: np.repeat(ys[:, :1], Xq.shape[1], axis=1)),
    ("you took the lengths over the wrong axis (across the images or the tasks, one per "
     "pixel): an image's length runs over its own pixels, np.linalg.norm(X, axis=-1)",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "axis 1"))),
    ("you took the lengths over the wrong axis (across the images or the tasks, one per "
     "pixel): an image's length runs over its own pixels, np.linalg.norm(X, axis=-1)",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "axis 0"))),
    ("you took the least similar support image (argmin): the nearest neighbour has the "
     "largest cosine similarity, np.argmax",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq), "argmin")),
    ("a blank support image (all zeros) won: its similarity 0/0 is NaN, and np.argmax returns "
     "the first NaN; a blank image has similarity 0 to every image, np.divide(dots, lengths, "
     "out=np.zeros_like(dots), where=lengths > 0)",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "nan"))),
    ("a blank support image (all zeros) never wins in your answer: its similarity to every "
     "image is 0 (not NaN, not −∞), so it beats support images of negative similarity",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "-inf"))),
    ("you divided by the lengths clipped at 1, max(‖x_j‖, 1): a support image shorter than 1 "
     "keeps its length, so its similarity comes out too small and a longer image wins; divide "
     "by the lengths themselves and guard only the zero ones, np.divide(dots, lengths, "
     "out=np.zeros_like(dots), where=lengths > 0)",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "at least 1"))),
    ("where support images tie for the largest similarity you chose the last one: ties go to "
     "the first (np.argmax's rule)", lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq), "last")),
    ("an ε added to the lengths breaks exact ties: a support image and a copy twice as long "
     "have the same cosine similarity, and the first must win; guard only the zero lengths, "
     "np.divide(dots, lengths, out=np.zeros_like(dots), where=lengths > 0)",
     lambda Xs, ys, Xq: _pick(ys, _similarity(Xs, Xq, "epsilon"))),
]  # fmt: skip


# --- Diagnoses ------------------------------------------------------------------------------------

LABELS = "your array of labels"


def _nn_shape(got: Any, c: NNCase) -> str | None:
    """A diagnosis of a shape that a known mistake gives, else None."""
    n, k, q, _ = c.shape
    try:
        shape = np.shape(got)
    except ValueError:  # ragged
        return None
    if got is None or isinstance(got, gt.TaskBatch) or shape == (n, q):
        return None
    if shape == (n, q, 1):
        return (
            f"{LABELS} has shape {fmt_shape(shape)} instead of {fmt_shape((n, q))}: a stray axis "
            "of length 1 (best[..., None]?); return one label per query image, (n, q)"
        )
    if shape in ((n * q,), (q,)):
        return (
            f"{LABELS} has shape {fmt_shape(shape)} instead of {fmt_shape((n, q))}: keep one "
            "row per task (flattened, or squeezed where there is one task?)"
        )

    def gives(wrong: Callable[..., Any]) -> bool:
        """Is ``got`` what the mistake ``wrong`` answers here?"""
        value = mistake_value(wrong, c.args)
        try:
            return np.shape(value) == shape and np.array_equal(np.asarray(got, float), value)
        except (TypeError, ValueError):
            return False

    if shape == (n, k):
        cause = (
            "you took the argmax over the query axis"
            if gives(_query_per_support)
            else "an argmax over the query axis gives this shape"
        )
        return (
            f"{LABELS} has shape {fmt_shape(shape)}, one label per support image, instead of "
            f"{fmt_shape((n, q))}: {cause}; each query image chooses among the support images, "
            "the argmax over the last axis of the (n, q, k) similarities"
        )
    if shape == (n, q, k):
        if gives(lambda Xs, ys, Xq: ys[np.argmax(_similarity(Xs, Xq), axis=-1)]):
            return (
                f"{LABELS} has shape {fmt_shape(shape)} instead of {fmt_shape((n, q))}: "
                "y_train[best] picks whole rows (tasks) of y_train; pick within each task, "
                "np.take_along_axis(y_train, best, axis=-1)"
            )
        return (
            f"{LABELS} has shape {fmt_shape(shape)} instead of {fmt_shape((n, q))}, one value "
            "per query image and support image (the similarities themselves?): return, for "
            "each query image, the label of the support image with the largest similarity"
        )
    if shape == (n, n, q):
        cause = (
            "y_train[:, best] pairs every task's labels with every task's choices"
            if gives(lambda Xs, ys, Xq: ys[:, np.argmax(_similarity(Xs, Xq), axis=-1)])
            else "two axes of n tasks, every task paired with every task"
        )
        return (
            f"{LABELS} has shape {fmt_shape(shape)} instead of {fmt_shape((n, q))}: {cause}; "
            "pick within each task, np.take_along_axis(y_train, best, axis=-1)"
        )
    if shape == (q, n):
        return (
            f"{LABELS} has shape {fmt_shape(shape)} instead of {fmt_shape((n, q))}: transposed? "
            "one row per task, one column per query image"
        )
    if len(shape) == 2 and shape[0] != n:
        return (
            f"{LABELS} holds {shape[0]} tasks instead of n = {n}: is a size fixed in your code? "
            "one row per task of the arguments"
        )
    if len(shape) == 2:
        return (
            f"{LABELS} has {shape[1]} labels per task instead of q = {q}, one per query image: "
            "is a size fixed in your code? use X_test.shape"
        )
    if shape == (n, q, n):
        return (
            f"{LABELS} has shape {fmt_shape(shape)} instead of {fmt_shape((n, q))}, two axes of "
            "n tasks (np.dot of stacked arrays pairs every task with every task?); X_test @ "
            "np.swapaxes(X_train, -1, -2) (or np.einsum) pairs task i with task i"
        )
    return None


Results = Callable[[], list[tuple[NNCase, Any]]]  # every case and the learner's answer there


def _first_only(m: int, results: Results) -> bool:
    """True if in every case the learner's labels are those of the nearest among the first
    ``m`` support images (all of them where k ≤ m): only the first m are ever chosen."""
    for c, got in results():
        pick = _pick(c.y_train[:, :m], _similarity(c.X_train[:, :m], c.X_test))
        if got is None or np.shape(got) != pick.shape:
            return False
        if not np.array_equal(np.asarray(got, dtype=np.float64), pick):
            return False
    return True


def _nn_explain(got: np.ndarray, c: NNCase, want: np.ndarray, results: Results) -> str:
    """Why labels of the right shape are wrong, when no known mistake gives them: a cause is
    named only when every wrong label shows it, else how many labels are wrong."""
    X_train, y_train, X_test = c.X_train, c.y_train, c.X_test
    got = np.asarray(got, dtype=np.float64)
    carries = got[..., None] == y_train[:, None, :]  # (n, q, k): support images with your label
    if not carries.any(axis=-1).all():
        return (
            "some of your labels are not labels of their task's support images: return the "
            "label y_train[i, j] of the nearest support image j"
        )
    wrong = got != want
    count = f"{int(wrong.sum())} of the {wrong.size} query images"
    blank_query = np.linalg.norm(X_test, axis=-1) == 0
    if not wrong[~blank_query].any():
        return (
            "a blank query image (all zeros) has similarity 0 to every support image: they all "
            "tie, so the first support image's label wins"
        )
    k = X_train.shape[1]
    similarity = _similarity(X_train, X_test)
    for m in range(1, k):
        if np.array_equal(got, _pick(y_train[:, :m], similarity[..., :m])) and _first_only(
            m, results
        ):
            return (
                f"in every case your labels are those of the nearest among the first {m} "
                f"support images only (here k = {k}): is a size fixed in your code? use "
                "X_train.shape"
            )
    top = similarity.max(axis=-1, keepdims=True)
    tied = (similarity == top).sum(axis=-1) > 1
    if not wrong[~tied].any():
        return (
            "where several support images tie for the largest similarity, yours is not the "
            "first of them (np.argmax's rule): no ε added to a length, no rounding"
        )
    near = carries & (similarity < top) & (similarity >= top - 1e-3)
    if near.any(axis=-1)[wrong].all():
        rounded = [
            str(decimals)
            for decimals in (1, 2, 3)
            if np.array_equal(got, _pick(y_train, np.round(similarity, decimals)))
        ]
        if rounded:
            places = " or ".join(
                [", ".join(rounded[:-1]), rounded[-1]] if rounded[:-1] else rounded
            )
            return (
                f"your labels are those that similarities rounded to {places} decimals give: "
                "two support images whose similarities differ by less than 0.001 (in the 4th "
                "decimal) then tie, and the first wins, though it is the less similar; "
                "compare the exact similarities (float32 is precise enough)"
            )
        return (
            f"for {count} your label is that of a support image whose similarity is less than "
            "0.001 below the largest (they differ in the 4th decimal): did you round the "
            "similarities, or compare them with a tolerance (np.isclose, ≥ max − ε)? "
            "np.argmax of the exact similarities picks the most similar"
        )
    negative = carries & (similarity < 0) & (-similarity > top)
    if negative.any(axis=-1)[wrong].all():
        return (
            f"for {count} your label is that of a support image of negative similarity, "
            "further below 0 than the most similar one is above: did you take the absolute "
            "value or the square of the similarities? a negative cosine means unlike, not like"
        )
    blank = np.linalg.norm(X_train, axis=-1) == 0  # (n, k)
    best = np.argmax(similarity, axis=-1)
    blank_best = np.take_along_axis(blank, best, axis=-1)  # the right image is blank
    blank_yours = (carries & blank[:, None, :]).any(axis=-1)  # your label is a blank image's
    if blank.any() and (blank_best | blank_yours)[wrong].all():
        return (
            "a blank support image (all zeros) has similarity 0 to every query image: it wins "
            "over support images of negative similarity, and loses to positive ones"
        )
    return (
        f"for {count} your label is not the label of the most similar support image (the "
        "largest x·x_j / (‖x‖ ‖x_j‖))"
    )


def _nn_verdict(got: Any, c: NNCase, want: np.ndarray, results: Results) -> str | None:
    """None if ``got`` is right in case ``c``; else the diagnosis: shape, not an array, NaN, a
    known mistake, then what the wrong labels have in common."""
    if message := _nn_shape(got, c):
        return message
    if message := shape_problem(got, want, LABELS, "one label per query image, (n, q)"):
        return message
    if not isinstance(got, np.ndarray):
        return (
            f"{LABELS} is a {type(got).__name__}, not a NumPy array: return an array (n, q), as "
            "np.take_along_axis gives it (no .tolist(); np.array(labels) turns a list into one)"
        )
    values = np.asarray(got, dtype=np.float64)
    if not np.isfinite(values).all():
        return (
            f"{LABELS} contains NaN or inf: a label is a number taken from y_train (a blank "
            "image, all zeros, has length 0 and 0/0 is NaN: give it similarity 0)"
        )
    if np.array_equal(values, want):
        return None
    if message := known_mistake(values, c.args, want, NN_MISTAKES, rtol=0.0, atol=0.0):
        return message
    return _nn_explain(values, c, want, results)


def _warning_message(warned: list[str], c: NNCase) -> str:
    """The diagnosis of right labels computed with a NumPy warning (a 0/0, say)."""
    text = warned[0]
    blank = (np.linalg.norm(c.X_train, axis=-1) == 0).any() or (
        np.linalg.norm(c.X_test, axis=-1) == 0
    ).any()
    if blank and ("invalid value" in text or "divide by zero" in text):
        return (
            f"right labels, but NumPy warned while your function ran (RuntimeWarning: {text}): "
            "a blank image (all zeros) has length 0, and a division by it makes NaN or inf "
            "(the notebook shows the warning); give it similarity 0 without dividing, "
            "np.divide(dots, lengths, out=np.zeros_like(dots), where=lengths > 0) "
            "(np.where(lengths > 0, dots / lengths, 0) still divides by every length)"
        )
    return (
        f"right labels, but NumPy warned while your function ran (RuntimeWarning: {text}): "
        "compute the similarities without a warning"
    )


def _error_hint(text: str, X_train: Any, X_test: Any) -> str | None:
    """Why an error that these arrays make likely happened, or None: a fixed 784, NaN from
    blank images in np.nanargmax, a matrix product without its support images transposed (or
    with ``.T`` on a 3-D array), an argmax over the query axis, y_train indexed by support
    images, a task index not broadcast against the choices, a size fixed in the code."""
    n, k, d = np.shape(X_train)
    q = np.shape(X_test)[1]
    if "784" in text and d != PIXELS:
        return (
            "the cases vary d, the number of pixels (3, 10, 12, 16 and 784): size everything "
            "with X_train.shape, not 784"
        )
    if "All-NaN slice" in text:
        return (
            "a blank image (all zeros) has length 0, so 0/0 made a row of NaN; a blank image "
            "has similarity 0 to every image"
        )
    if "matmul" in text and "core dimension" in text:
        return (
            "the matrix product's inner sizes do not fit: X_test (n, q, d) needs the support "
            "images with their last two axes swapped, np.swapaxes(X_train, -1, -2) or "
            "X_train.transpose(0, 2, 1) (X_train.T reverses all three axes of (n, k, d))"
        )
    if f"for axis 1 with size {k}" in text and q > k:
        return (
            "a support image's number ran past k − 1: did you take the argmax over the query "
            "axis? each query image chooses among the support images, the argmax over the last "
            "axis of the (n, q, k) similarities"
        )
    if f"for axis 0 with size {n}" in text:
        return (
            "an index ran past the n tasks on axis 0: y_train[best] indexes the tasks (axis 0) "
            "with numbers of support images; pick within each task, "
            "np.take_along_axis(y_train, best, axis=-1)"
        )
    if "indexing arrays could not be broadcast" in text:
        if f"({n},)" in text and f"({n},{q})" in text:
            return (
                "y_train[np.arange(n), best] lines the task numbers, shape (n,), up with the "
                "last axis of best, (n, q), not with its first: give them their own axis, "
                "y_train[np.arange(n)[:, None], best], or use np.take_along_axis(y_train, "
                "best, axis=-1)"
            )
        return (
            "the index arrays do not broadcast together: a task index next to best (n, q) "
            "needs the shape (n, 1), np.arange(n)[:, None], or use "
            "np.take_along_axis(y_train, best, axis=-1)"
        )
    if "out of bounds" in text or "reshape" in text or "broadcast" in text:
        return (
            "the cases vary the numbers of tasks, support images, query images and pixels "
            "(n, k, q, d): is a size fixed in your code?"
        )
    return None


def _explained_nn(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with the errors of :func:`_error_hint` explained; the NumPy warnings (0/0, a
    division by zero) of its last call are kept in its ``warned`` list."""

    @functools.wraps(fn)
    def call(X_train, y_train, X_test):
        call.warned = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with np.errstate(divide="warn", invalid="warn"):
                    result = fn(X_train, y_train, X_test)
        except (ValueError, IndexError) as exc:
            hint = _error_hint(str(exc), X_train, X_test)
            if hint is None:
                raise
            raise type(exc)(f"{exc}: {hint}") from None
        call.warned = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        return result

    call.warned = []
    return call


def _batch_global(fn: Callable[..., Any], args: tuple[Any, ...], want: np.ndarray) -> str | None:
    """Does ``fn`` read a notebook TaskBatch (``tasks``, ``lake``, ``test``) where its
    arguments belong? It runs again with that global replaced by a TaskBatch of the arguments;
    a right answer then is the diagnosis."""
    raw = inspect.unwrap(fn)
    if not isinstance(raw, types.FunctionType):
        return None
    X_train, y_train, X_test = args
    n, q = np.shape(X_test)[:2]
    stand_in = gt.TaskBatch(X_train, y_train, X_test, np.zeros((n, q)), np.zeros(n, dtype=bool))
    for name in sorted({name for code in _own_codes(raw) for name in code.co_names}):
        if isinstance(raw.__globals__.get(name), gt.TaskBatch):
            status, got = attempt(_with_globals(raw, {name: stand_in}), args)
            if status == "ok" and np.shape(got) == want.shape and np.array_equal(got, want):
                return (
                    f"you used the notebook's `{name}` (its images or labels), not the "
                    f"arguments X_train, y_train, X_test: with `{name}` replaced by them your "
                    "function gives the right answer"
                )
    return None


LOOP_SIZES = (
    ("tasks", lambda m: _loop_args(m, 3, 3)),
    ("query images", lambda m: _loop_args(2, 3, m)),
    ("support images", lambda m: _loop_args(2, m, 3)),
)


def _grows(fn: Callable[..., Any], make: Callable[[int], tuple[np.ndarray, ...]]) -> bool:
    """Do ``fn``'s Python steps grow (by one for every two items at least) from 4 to 64?"""
    few, many = count_steps(fn, make(4)), count_steps(fn, make(64))
    if few.status != "ok" or many.status != "ok":
        return False
    return sum((many.lines - few.lines).values()) >= (64 - 4) // 2


def _nn_loop(fn: Callable[..., Any]) -> str | None:
    """Evidence that ``fn`` runs Python code once per task, query image or support image; for
    np.apply_along_axis, which loops whatever it is given, the sizes its steps grow with."""
    for what, make in LOOP_SIZES:
        if found := python_loop(fn, make, 4, 64, what):
            if found.startswith("np.apply_along_axis"):
                grown = [name for name, sizes in LOOP_SIZES if _grows(fn, sizes)]
                if grown:
                    found = (
                        "np.apply_along_axis calls a function once per row, and your "
                        "function's Python steps grow with the number of "
                        + " and with the number of ".join(grown)
                    )
                else:
                    found = "np.apply_along_axis calls a function once per row (a loop)"
            return (
                f"right labels, but your function loops in Python: {found}; compare every query "
                "image with every support image of every task at once, X_test @ "
                "np.swapaxes(X_train, -1, -2) is (n, q, k)"
            )
    return None


@check
def check_pixel_nearest_neighbour(fn) -> bool:
    """Compare ``fn`` with ``go.nearest_neighbour(..., "cosine")`` on :func:`_nn_cases` (right
    labels computed without a NumPy warning); then count its Python steps for 4 and 64 tasks,
    query images and support images."""
    learner = _explained_nn(fn)
    cases = _nn_cases()
    everywhere: list[tuple[NNCase, Any]] = []

    def results() -> list[tuple[NNCase, Any]]:
        """The learner's answer in every case (None where it fails), computed once."""
        if not everywhere:
            for other in cases:
                status, value = attempt(learner, other.args)
                everywhere.append((other, value if status == "ok" else None))
        return everywhere

    for c in cases:
        want = go.nearest_neighbour(c.X_train, c.y_train, c.X_test, metric="cosine")
        status, got = attempt(learner, c.args)
        if status == "todo":
            print(got)
            return False
        warned = list(learner.warned)
        message = _nn_verdict(got, c, want, results) if status == "ok" else got
        if status == "ok" and message is None and warned:
            message = _warning_message(warned, c)
        if message:
            message = (
                global_for_argument(fn, c.args, want, 0.0, 0.0)
                or _batch_global(fn, c.args, want)
                or message
            )
            return say(message, c.label)
    if message := _nn_loop(fn):
        return say(message, "4 and 64 tasks, query images, support images")
    print(
        CORRECT + f"in {len(cases)} cases (1 to 6 tasks, 1 to 25 support images, 3 to 784 "
        "pixels, float32 and float64, blank images, exact and near ties) every query image "
        "takes the label of its most similar support image, as go.nearest_neighbour does, "
        "without a NumPy warning; no Python loop over the tasks or images"
    )
    return True
