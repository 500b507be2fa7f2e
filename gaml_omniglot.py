"""Omniglot for the course: the one module for image data (Lake, Salakhutdinov & Tenenbaum 2015).

The data are the two "minimal" background splits and the 20 one-shot runs of Brenden Lake's
repository, stored in ``data/omniglot/`` (see its README). Images are read straight from the
zips, inverted so that ink = 1 and background = 0, and downsampled 105×105 → 28×28 by an exact
area average; the arrays are cached in ``data/omniglot/.cache/`` (git-ignored).

Public API::

    load_omniglot(data_dir=None, cache_dir=None) -> Omniglot
        Omniglot(background: OmniglotBackground, runs: LakeRuns)
    split_characters(background, validation_alphabets=VALIDATION_ALPHABETS)
        -> (train_images (m, 20, 28, 28), validation_images (v, 20, 28, 28))
    sample_omniglot_tasks(rng, characters, n_tasks, ways=5, shots=1, queries=1,
                          rotations=True) -> TaskBatch
    add_label_noise(rng, tasks, mask, kind) -> TaskBatch      kind in NOISE_KINDS
    validation_tasks(background, n_tasks=1000, ways=5, shots=1, queries=1,
                     seed=VALIDATION_SEED) -> TaskBatch
    sample_run_tasks(rng, runs, n_tasks, ways=5) -> TaskBatch
    test_tasks(runs, n_tasks=2000, ways=5, seed=TEST_SEED) -> TaskBatch
    lake_tasks(runs) -> TaskBatch                             the 20 runs as 20 tasks
    lake_score(predictions, runs) -> LakeScore                predictions (20, 20)
    lake_error(classify, runs) -> LakeScore
    nearest_neighbour(X_train, y_train, X_test, metric="cosine") -> labels (..., q)
    pixel_nn_accuracy(tasks, metric="cosine") -> accuracy per task (n,)

Every task sampler returns a :class:`gaml_tasks.TaskBatch` whose images are flattened to
d = 784 float64 pixels (row-major 28×28) and whose labels are float64 class indices
0, 1, ..., N−1, so :func:`gaml_core.train` and :func:`gaml_core.evaluate` take them unchanged.

Missing, truncated or altered zips raise :class:`OmniglotDataError` (a ``ValueError``) naming
the file and saying how to restore it; bad arguments raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import gaml_checks as check
from gaml_tasks import TaskBatch

__all__ = [
    "DATA_DIR",
    "NOISE_KINDS",
    "SHA256",
    "VALIDATION_ALPHABETS",
    "LakeRuns",
    "LakeScore",
    "Omniglot",
    "OmniglotBackground",
    "OmniglotDataError",
    "add_label_noise",
    "lake_error",
    "lake_score",
    "lake_tasks",
    "load_omniglot",
    "nearest_neighbour",
    "pixel_nn_accuracy",
    "sample_omniglot_tasks",
    "sample_run_tasks",
    "split_characters",
    "test_tasks",
    "validation_tasks",
]

ROOT = Path(__file__).resolve().parent
DATA_DIR = ROOT / "data" / "omniglot"
CACHE_FOLDER = ".cache"  # inside the data folder, git-ignored
CACHE_VERSION = 1  # bump when the preprocessing changes: older caches are then ignored
SHA256 = {
    "images_background_small1.zip": (
        "f38eb80f801274ac2b4dff5b24289016bfaba4a7d5bb50deebf27104ad6cb8a4"
    ),
    "images_background_small2.zip": (
        "3ccaa407515a8778e5d0861875af38b17e418f301ad5bb3b5a6b65d901a41c7f"
    ),
    "all_runs.zip": "437c1eeab0af8484112e1b4cc0f3d541ec727f7c47b9b202da738af9dfd6c325",
}
BACKGROUND_ZIPS = ("images_background_small1.zip", "images_background_small2.zip")
RUNS_ZIP = "all_runs.zip"
SOURCE_URL = "https://github.com/brendenlake/omniglot (folder python/)"

RAW_SIZE = 105  # the PNGs are 105×105, 1 bit, black ink on white
SIZE = 28  # side of the downsampled images
N_PIXELS = SIZE * SIZE
N_DRAWERS = 20  # every character is drawn once by each of 20 people
N_RUNS = 20  # Lake's one-shot runs, each 20-way
RUN_WAYS = 20

# Two background alphabets kept apart for validation (where the study's step sizes are
# chosen): the two smallest, so that meta-training keeps as many characters as possible.
VALIDATION_ALPHABETS = ("Early_Aramaic", "Tagalog")
VALIDATION_SEED = 20151211  # fixed seeds of the validation and test task sets
TEST_SEED = 13321338
NOISE_KINDS = ("permute_query", "shuffle_support")
METRICS = ("cosine", "euclidean")

# rot90(image, r).ravel() == image.ravel()[_ROTATIONS[r]] for a 28×28 image, r = 0..3.
_ROTATIONS = np.stack(
    [np.rot90(np.arange(N_PIXELS).reshape(SIZE, SIZE), r).ravel() for r in range(4)]
)


class OmniglotDataError(ValueError):
    """A data file of ``data/omniglot/`` is missing, truncated or altered (or unreadable).

    The message names the file and says how to restore it. A subclass of ``ValueError``.
    """


# --- The data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OmniglotBackground:
    """The background characters (both minimal splits, Greek and Latin counted once).

    ``images`` (n_chars, 20, 28, 28) float32 in [0, 1], ink = 1, one row per character and
    one image per drawer; ``alphabet`` (n_chars,) index into ``alphabets`` (sorted names);
    ``characters`` (n_chars,) names "Alphabet/characterNN", sorted.
    """

    images: np.ndarray
    alphabet: np.ndarray
    alphabets: tuple[str, ...]
    characters: tuple[str, ...]

    @property
    def n_characters(self) -> int:
        return self.images.shape[0]


@dataclass(frozen=True)
class LakeRuns:
    """Lake's 20 one-shot runs (20-way, each within one evaluation alphabet).

    ``train`` (20, 20, 28, 28): run r's training image of class c (file classCC.png, c + 1 =
    CC); ``test`` (20, 20, 28, 28): run r's test item i (itemII.png); ``answer`` (20, 20) int:
    the class c whose training image matches test item i, from the run's class_labels.txt.
    Float32 in [0, 1], ink = 1.
    """

    train: np.ndarray
    test: np.ndarray
    answer: np.ndarray


@dataclass(frozen=True)
class Omniglot:
    """What :func:`load_omniglot` returns: the background characters and Lake's runs."""

    background: OmniglotBackground
    runs: LakeRuns


def _restore_hint(name: str) -> str:
    return (
        f"Restore it: `git checkout data/omniglot/{name}` in the repository, or copy it from "
        f"../shared/data/omniglot/{name}, or download it again from {SOURCE_URL}."
    )


def _verified_bytes(folder: Path, name: str) -> bytes:
    """The file's bytes, after checking its SHA-256 against :data:`SHA256`."""
    path = folder / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise OmniglotDataError(f"{path} is missing. {_restore_hint(name)}") from None
    except OSError as exc:
        raise OmniglotDataError(f"{path} cannot be read ({exc}). {_restore_hint(name)}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise OmniglotDataError(
            f"{path} is truncated or altered: its SHA-256 is {digest} ({len(data)} bytes), "
            f"expected {SHA256[name]}. {_restore_hint(name)}"
        )
    return data


def _area_matrix(n_in: int = RAW_SIZE, n_out: int = SIZE) -> np.ndarray:
    """A (n_out, n_in): A[i, j] = |[j, j+1) ∩ [i s, (i+1) s)| / s with s = n_in / n_out.

    ``A @ image @ A.T`` is the exact area average: each output pixel is the mean of the input
    over its s×s square, input pixels cut by the square's edge counted by the covered
    fraction (s = 3.75 here). Rows sum to 1, so total ink / s² is preserved.
    """
    s = n_in / n_out
    j = np.arange(n_in)[None, :]
    i = np.arange(n_out)[:, None]
    overlap = np.minimum(j + 1, (i + 1) * s) - np.maximum(j, i * s)
    return np.clip(overlap, 0.0, None) / s


def _decode(pngs: Sequence[bytes], name: str) -> np.ndarray:
    """PNG bytes → ink images (n, 28, 28) float32: invert (ink = 1), then area-average."""
    from PIL import Image  # Pillow comes with matplotlib

    ink = np.empty((len(pngs), RAW_SIZE, RAW_SIZE), dtype=np.float32)
    for m, data in enumerate(pngs):
        with Image.open(io.BytesIO(data)) as img:
            pixels = np.asarray(img.convert("L"))
        if pixels.shape != (RAW_SIZE, RAW_SIZE):
            raise OmniglotDataError(
                f"{name} holds an image of shape {pixels.shape}, expected "
                f"{RAW_SIZE}×{RAW_SIZE}. {_restore_hint(name)}"
            )
        ink[m] = pixels < 128  # black ink on white
    area = _area_matrix().astype(np.float32)
    return np.clip(area @ ink @ area.T, 0.0, 1.0)  # float32 rounding: 1 + 1e-7 → 1


def _read_background(zips: dict[str, bytes]) -> dict[str, np.ndarray]:
    """Both background splits, each character once (Greek and Latin are in both)."""
    drawings: dict[tuple[str, str], list[bytes]] = {}
    for name in BACKGROUND_ZIPS:
        with zipfile.ZipFile(io.BytesIO(zips[name])) as z:
            found: dict[tuple[str, str], list[tuple[str, bytes]]] = {}
            for entry in sorted(z.namelist()):
                parts = entry.split("/")
                if len(parts) == 4 and parts[3].endswith(".png"):
                    found.setdefault((parts[1], parts[2]), []).append((parts[3], z.read(entry)))
        for key, files in found.items():
            pngs = [data for _, data in files]  # sorted by file name: drawers 01..20
            if len(pngs) != N_DRAWERS:
                raise OmniglotDataError(
                    f"{name}: {'/'.join(key)} has {len(pngs)} drawings, "
                    f"expected {N_DRAWERS}. {_restore_hint(name)}"
                )
            if key in drawings and drawings[key] != pngs:
                raise OmniglotDataError(
                    f"{name}: {'/'.join(key)} differs from the same character in "
                    f"{BACKGROUND_ZIPS[0]}. {_restore_hint(name)}"
                )
            drawings.setdefault(key, pngs)
    keys = sorted(drawings)
    alphabets = sorted({a for a, _ in keys})
    images = _decode([png for key in keys for png in drawings[key]], "the background zips")
    return {
        "images": images.reshape(len(keys), N_DRAWERS, SIZE, SIZE),
        "alphabet": np.array([alphabets.index(a) for a, _ in keys], dtype=np.int64),
        "alphabets": np.array(alphabets),
        "characters": np.array([f"{a}/{c}" for a, c in keys]),
    }


_LABEL_LINE = re.compile(r"^run(\d\d)/test/item(\d\d)\.png run(\d\d)/training/class(\d\d)\.png$")


def _read_runs(data: bytes) -> dict[str, np.ndarray]:
    """The 20 runs: training images, test items and the answer key of class_labels.txt."""
    name = RUNS_ZIP
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        train, test = [], []
        answer = np.full((N_RUNS, RUN_WAYS), -1, dtype=np.int64)
        for r in range(N_RUNS):
            run = f"run{r + 1:02d}"
            train += [z.read(f"{run}/training/class{c + 1:02d}.png") for c in range(RUN_WAYS)]
            test += [z.read(f"{run}/test/item{i + 1:02d}.png") for i in range(RUN_WAYS)]
            for line in z.read(f"{run}/class_labels.txt").decode("ascii").splitlines():
                if not line.strip():
                    continue
                match = _LABEL_LINE.match(line.strip())
                if match is None or {match[1], match[3]} != {run[3:]}:
                    raise OmniglotDataError(
                        f"{name}: unexpected line {line!r} in {run}/"
                        f"class_labels.txt. {_restore_hint(name)}"
                    )
                answer[r, int(match[2]) - 1] = int(match[4]) - 1
    if (answer < 0).any():
        raise OmniglotDataError(
            f"{name}: a class_labels.txt misses test items. {_restore_hint(name)}"
        )
    shape = (N_RUNS, RUN_WAYS, SIZE, SIZE)
    return {
        "run_train": _decode(train, name).reshape(shape),
        "run_test": _decode(test, name).reshape(shape),
        "run_answer": answer,
    }


def _cache_file(cache_dir: Path) -> Path:
    key = hashlib.sha256("".join(SHA256[n] for n in sorted(SHA256)).encode()).hexdigest()[:16]
    return cache_dir / f"omniglot{SIZE}_v{CACHE_VERSION}_{key}.npz"


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez to a temporary file in the same folder, then os.replace: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_cache(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None  # absent or unreadable: rebuilt from the zips


def load_omniglot(
    data_dir: Path | str | None = None, cache_dir: Path | str | None = None
) -> Omniglot:
    """Load the background characters and Lake's 20 runs (28×28, ink = 1, float32 in [0, 1]).

    Every call checks the SHA-256 of the three zips in ``data_dir`` (default
    ``data/omniglot/``; about 10 ms) against :data:`SHA256` and raises
    :class:`OmniglotDataError` naming a missing, truncated or altered file. The first call
    decodes the PNGs straight from the zips (no extraction) and writes the arrays to
    ``cache_dir`` (default ``<data_dir>/.cache/``) as an .npz named by the zips' hashes,
    through a temporary file and ``os.replace``, so a failed build leaves no cache file (a
    folder that cannot be written gives a ``RuntimeWarning`` and no cache); later calls read
    that file (about 0.05 s in all, against about 3 s for the first).

    Preprocessing: ink x = 1 where the 105×105 PNG is black, else 0; then the exact area
    average 105 → 28, y_ab = (1/s²) Σ_ij |cell_ij ∩ square_ab| x_ij with s = 105/28 = 3.75
    (a NumPy matrix product, :func:`_area_matrix`). PIL's ``Image.BOX`` is not used: it counts
    each input pixel wholly in or out of a square by its centre and rounds to 8 bits, which is
    not the area average when s is not a whole number (it differs by up to 0.13 here).
    The arrays are read-only (the samplers copy what they return).
    Greek and Latin are in both background zips with identical drawings; each of their
    characters is kept once (an error is raised if the two copies ever differ).
    """
    folder = DATA_DIR if data_dir is None else Path(data_dir)
    cache = folder / CACHE_FOLDER if cache_dir is None else Path(cache_dir)
    zips = {name: _verified_bytes(folder, name) for name in SHA256}
    path = _cache_file(cache)
    arrays = _read_cache(path)
    if arrays is None:
        arrays = {**_read_background(zips), **_read_runs(zips[RUNS_ZIP])}
        try:
            _write_atomically(path, arrays)
        except OSError as exc:  # e.g. a read-only folder: go on without a cache
            warnings.warn(
                f"could not cache the Omniglot arrays in {path.parent} ({exc}); the next load "
                "will decode the zips again",
                RuntimeWarning,
                stacklevel=2,
            )
    for array in arrays.values():
        array.flags.writeable = False
    background = OmniglotBackground(
        images=arrays["images"],
        alphabet=arrays["alphabet"],
        alphabets=tuple(str(a) for a in arrays["alphabets"]),
        characters=tuple(str(c) for c in arrays["characters"]),
    )
    runs = LakeRuns(arrays["run_train"], arrays["run_test"], arrays["run_answer"])
    return Omniglot(background, runs)


def split_characters(
    background: OmniglotBackground, validation_alphabets: Sequence[str] = VALIDATION_ALPHABETS
) -> tuple[np.ndarray, np.ndarray]:
    """(meta-training images, validation images), each (characters, 20, 28, 28), split by
    alphabet: the characters of ``validation_alphabets`` (default Early_Aramaic and Tagalog,
    39 characters) against the other six background alphabets (203 characters)."""
    unknown = [a for a in validation_alphabets if a not in background.alphabets]
    if unknown or not validation_alphabets:
        raise ValueError(
            f"validation_alphabets must name background alphabets "
            f"({', '.join(background.alphabets)}), got {list(validation_alphabets)}"
        )
    held = np.isin(
        background.alphabet, [background.alphabets.index(a) for a in validation_alphabets]
    )
    if held.all():
        raise ValueError("validation_alphabets must leave at least one alphabet for training")
    return background.images[~held], background.images[held]


# --- Task samplers -------------------------------------------------------------------------------


def _characters(characters: object) -> np.ndarray:
    """(m, drawers, 784) C-contiguous float array (a view when ``characters`` already is one)
    from (m, drawers, 28, 28) or (m, drawers, 784).

    The pixel values are not scanned (the sampler runs ~10⁵ times per study): pass arrays
    from :func:`load_omniglot`."""
    arr = np.asarray(characters)
    if (
        arr.dtype.kind != "f"
        or arr.ndim not in (3, 4)
        or arr.shape[2:] not in ((SIZE, SIZE), (N_PIXELS,))
    ):
        raise ValueError(
            f"characters must be a float array (characters, drawers, {SIZE}, {SIZE}) "
            f"or (characters, drawers, {N_PIXELS}), got {arr.dtype} {arr.shape}"
        )
    return np.ascontiguousarray(arr).reshape(*arr.shape[:2], N_PIXELS)


def _random_orders(rng: np.random.Generator, shape: tuple[int, ...], take: int) -> np.ndarray:
    """For each leading index of ``shape``, an ordered sample of ``take`` distinct entries of
    range(shape[-1]), uniform over all such samples.

    Few from many: i.i.d. uniform draws, rows with a repeat redrawn (a row of i.i.d. draws
    conditioned on being distinct is uniform). Otherwise the first ``take`` entries of a
    random permutation (argsort of uniform keys)."""
    pop = shape[-1]
    if take * (take - 1) > pop:  # a repeat in a row is likely
        return np.argsort(rng.random(shape), axis=-1)[..., :take]
    out = rng.integers(0, pop, size=(*shape[:-1], take))
    rows = out.reshape(-1, take)
    todo = np.arange(rows.shape[0])
    while todo.size:
        ordered = np.sort(rows[todo], axis=1)
        todo = todo[(ordered[:, 1:] == ordered[:, :-1]).any(axis=1)]
        rows[todo] = rng.integers(0, pop, size=(todo.size, take))
    return out


def _class_major(images: np.ndarray, ways: int, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """images (n, N, per_class, 784) → X (n, N·per_class, 784) float64 and labels (n, N·per_class)
    float64: class by class, label c for the c-th class of the task."""
    n = images.shape[0]
    X = images.reshape(n, ways * per_class, N_PIXELS).astype(np.float64)
    y = np.broadcast_to(
        np.repeat(np.arange(ways, dtype=np.float64), per_class), (n, ways * per_class)
    )
    return X, y.copy()


def sample_omniglot_tasks(
    rng: np.random.Generator, characters: np.ndarray, n_tasks: int, ways: int = 5,
    shots: int = 1, queries: int = 1, rotations: bool = True,
) -> TaskBatch:  # fmt: skip
    """N-way K-shot tasks (N = ``ways``, K = ``shots``) from ``characters`` (m, drawers, 28, 28).

    The MAML/Reptile protocol: a class is a pair (character, rotation by r·90°, r = 0..3)
    (with ``rotations=False`` a character), so there are 4m classes. Each task draws N
    distinct classes uniformly and gives the j-th the label j, so labels are assigned at random
    per task; each class draws K + Q distinct drawers (Q = ``queries``), K for the support set
    and Q for the query set, and every image of the class is rotated by the class's r.

    Returns a TaskBatch: X_train (n, N·K, 784), y_train (n, N·K), X_test (n, N·Q, 784),
    y_test (n, N·Q), float64, images flattened row by row, labels 0..N−1 (as floats), points
    ordered class by class. ``info``: ``character`` (n, N) index into ``characters``,
    ``rotation`` (n, N) quarter turns r (image = np.rot90(base, r)), ``drawer`` (n, N, K+Q).
    One fancy-indexing gather, no loop over tasks.
    """
    rng = check.generator(rng)
    n, ways, shots, queries = check.counts(n_tasks=n_tasks, ways=ways, shots=shots, queries=queries)
    flat = _characters(characters)
    m, drawers = flat.shape[:2]
    turns = 4 if rotations else 1
    if ways > m * turns:
        raise ValueError(f"ways must be <= the {m * turns} classes of characters, got {ways}")
    if shots + queries > drawers:
        raise ValueError(
            f"shots + queries must be <= the {drawers} drawers per character, "
            f"got {shots} + {queries}"
        )
    char, rot = np.divmod(_random_orders(rng, (n, m * turns), ways), turns)  # (n, N) each
    drawer = _random_orders(rng, (n, ways, drawers), shots + queries)  # (n, N, K+Q)
    # Pixel p of image (task, class, draw) is flat[c, drawer, R_r[p]] with R_r the rot90 map:
    # one gather from the flat array (faster than three broadcast index arrays).
    start = (char[:, :, None] * drawers + drawer) * N_PIXELS  # (n, N, K+Q)
    images = np.take(flat.reshape(-1), start[..., None] + _ROTATIONS[rot][:, :, None, :])
    X_train, y_train = _class_major(images[:, :, :shots], ways, shots)
    X_test, y_test = _class_major(images[:, :, shots:], ways, queries)
    info = {"character": char, "rotation": rot, "drawer": drawer}
    return TaskBatch(X_train, y_train, X_test, y_test, np.zeros(n, dtype=bool), info)


def validation_tasks(
    background: OmniglotBackground, n_tasks: int = 1000, ways: int = 5, shots: int = 1,
    queries: int = 1, seed: int = VALIDATION_SEED,
) -> TaskBatch:  # fmt: skip
    """A fixed set of validation tasks from the held-out background alphabets
    (:data:`VALIDATION_ALPHABETS`): :func:`sample_omniglot_tasks` without rotations (like the
    test tasks), classes drawn across the two alphabets, from ``np.random.default_rng(seed)``."""
    _, held_out = split_characters(background)
    rng = np.random.default_rng(seed)
    return sample_omniglot_tasks(rng, held_out, n_tasks, ways, shots, queries, rotations=False)


def sample_run_tasks(
    rng: np.random.Generator, runs: LakeRuns, n_tasks: int, ways: int = 5
) -> TaskBatch:
    """N-way 1-shot test tasks from Lake's runs (evaluation alphabets only): each task takes one
    run at random and N of its 20 classes (so its classes share one alphabet, as in Lake's
    20-way runs); the support image of a class is its training image, the query image the
    test item that matches it. Labels 0..N−1 at random; X (n, N, 784), y (n, N), float64;
    ``info``: ``run`` (n,), ``run_class`` (n, N)."""
    rng = check.generator(rng)
    n, ways = check.counts(n_tasks=n_tasks, ways=ways)
    if ways > RUN_WAYS:
        raise ValueError(f"ways must be <= {RUN_WAYS} (the classes of a run), got {ways}")
    train = runs.train.reshape(N_RUNS, RUN_WAYS, N_PIXELS)
    test = runs.test.reshape(N_RUNS, RUN_WAYS, N_PIXELS)
    item_of_class = np.argsort(runs.answer, axis=1)  # answer is a permutation per run
    run = rng.integers(0, N_RUNS, size=n)
    cls = _random_orders(rng, (n, RUN_WAYS), ways)
    X_train = train[run[:, None], cls].astype(np.float64)
    X_test = test[run[:, None], item_of_class[run[:, None], cls]].astype(np.float64)
    y = np.broadcast_to(np.arange(ways, dtype=np.float64), (n, ways))
    info = {"run": run, "run_class": cls}
    return TaskBatch(X_train, y.copy(), X_test, y.copy(), np.zeros(n, dtype=bool), info)


def test_tasks(
    runs: LakeRuns, n_tasks: int = 2000, ways: int = 5, seed: int = TEST_SEED
) -> TaskBatch:
    """The fixed test set: :func:`sample_run_tasks` from ``np.random.default_rng(seed)``."""
    return sample_run_tasks(np.random.default_rng(seed), runs, n_tasks, ways)


test_tasks.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def lake_tasks(runs: LakeRuns) -> TaskBatch:
    """Lake's 20 runs as one TaskBatch of 20 tasks, for :func:`gaml_core.evaluate`:
    X_train (20, 20, 784) the training images, y_train (20, 20) = 0..19 (class c),
    X_test (20, 20, 784) the test items, y_test (20, 20) their classes (float64).
    The error of run r is 1 − (accuracy on task r), e.g. ``1 - gaml_core.evaluate(theta,
    lake_tasks(runs), alpha, steps, model)["accuracy"][-1]`` gives the 20 per-run errors of
    :func:`lake_score`, whose mean is Lake's error rate."""
    X_train = runs.train.reshape(N_RUNS, RUN_WAYS, N_PIXELS).astype(np.float64)
    X_test = runs.test.reshape(N_RUNS, RUN_WAYS, N_PIXELS).astype(np.float64)
    y_train = np.tile(np.arange(RUN_WAYS, dtype=np.float64), (N_RUNS, 1))
    y_test = runs.answer.astype(np.float64)
    return TaskBatch(X_train, y_train, X_test, y_test, np.zeros(N_RUNS, dtype=bool))


# --- Label noise for the study -------------------------------------------------------------------


def add_label_noise(
    rng: np.random.Generator, tasks: TaskBatch, mask: np.ndarray, kind: str
) -> TaskBatch:
    """Make the tasks where ``mask`` is True disagree; they are marked in ``disagreeing``.

    * ``"permute_query"`` (noise for first-order MAML, which learns from the query set): draw
      a derangement π of the N class ids (π(c) ≠ c for every c) per masked task and relabel
      its query set y' ← π(y'). The support set is untouched, so every query image carries a
      label that contradicts what the support set teaches, consistently within the task.
    * ``"shuffle_support"`` (noise for Reptile, which sees only the support set): shuffle the
      labels across the support images of each masked task (a uniform random permutation).
      With K ≥ 2 shots, images of one class get different labels; with K = 1 it is only a
      relabelling, which no learner can tell from a clean task.

    Images are never touched. ``info`` gains ``query_permutation`` (n, N) (identity for
    unmasked tasks) for ``"permute_query"``. Labels must be 0..N−1 as the samplers give them.
    """
    rng = check.generator(rng)
    kind = check.choice(kind, "kind", NOISE_KINDS)
    if not isinstance(tasks, TaskBatch) or tasks.X_train.ndim != 3:
        raise ValueError("tasks must be a TaskBatch of n tasks (X_train (n, k, d))")
    n = tasks.n_tasks
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(
            f"mask must be a boolean array of shape ({n},), got {mask.dtype} {mask.shape}"
        )
    y_train, y_test, info = tasks.y_train.copy(), tasks.y_test.copy(), dict(tasks.info)
    rows = np.flatnonzero(mask)
    if kind == "permute_query":
        ways = int(tasks.y_train.max()) + 1
        if ways < 2:
            raise ValueError("tasks must have at least 2 classes to permute their query labels")
        perm = np.tile(np.arange(ways), (n, 1))
        todo = rows
        while todo.size:  # rejection sampling of derangements: ~e tries
            perm[todo] = np.argsort(rng.random((todo.size, ways)), axis=1)
            todo = todo[(perm[todo] == np.arange(ways)).any(axis=1)]
        y_test[rows] = np.take_along_axis(perm[rows], y_test[rows].astype(np.int64), axis=1)
        info["query_permutation"] = perm
    else:
        y_train[rows] = rng.permuted(y_train[rows], axis=1)
    return replace(
        tasks, y_train=y_train, y_test=y_test, disagreeing=tasks.disagreeing | mask, info=info
    )


# --- Lake's protocol and the pixel nearest-neighbour baseline ------------------------------------


@dataclass(frozen=True)
class LakeScore:
    """Lake's one-shot score: ``error`` over the 400 test items, ``per_run`` (20,) each run's
    error (its spread over the runs: ``per_run.std(ddof=1)``, min, max)."""

    error: float
    per_run: np.ndarray


def lake_score(predictions: np.ndarray, runs: LakeRuns) -> LakeScore:
    """Score predicted classes ``predictions`` (20 runs, 20 test items) against the answer key:
    error of run r = (1/20) Σ_i 1[pred_ri ≠ answer_ri]; error = mean over the 20 runs."""
    pred = np.asarray(predictions)
    if pred.shape != (N_RUNS, RUN_WAYS) or not np.isin(pred, np.arange(RUN_WAYS)).all():
        raise ValueError(
            f"predictions must be ({N_RUNS}, {RUN_WAYS}) class indices 0..19, "
            f"got shape {pred.shape}"
        )
    per_run = (pred != runs.answer).mean(axis=1)
    return LakeScore(float(per_run.mean()), per_run)


def lake_error(
    classify: Callable[[np.ndarray, np.ndarray], np.ndarray], runs: LakeRuns
) -> LakeScore:
    """Lake's protocol: in each of the 20 runs, ``classify(train (20, 784), test (20, 784))``
    returns for each test item the index 0..19 of the training image (class) it matches,
    scored by :func:`lake_score`. Images float64, ink = 1."""
    tasks = lake_tasks(runs)
    pred = np.stack(
        [np.asarray(classify(tasks.X_train[r], tasks.X_test[r])) for r in range(N_RUNS)]
    )
    return lake_score(pred, runs)


def nearest_neighbour(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, metric: str = "cosine"
) -> np.ndarray:
    """Label of the nearest support point of every query point, tasks stacked:
    X_train (..., k, d), y_train (..., k), X_test (..., q, d) → (..., q).

    ``"cosine"``: argmax_j x·x_j / (‖x‖ ‖x_j‖) (a blank image has similarity 0 to all);
    ``"euclidean"``: argmin_j ‖x − x_j‖² = ‖x‖² − 2 x·x_j + ‖x_j‖² (‖x‖² dropped).
    Ties go to the first support point."""
    metric = check.choice(metric, "metric", METRICS)
    X_train, X_test = np.asarray(X_train, dtype=np.float64), np.asarray(X_test, dtype=np.float64)
    y_train = np.asarray(y_train)
    if (
        X_train.ndim < 2
        or X_test.shape[:-2] != X_train.shape[:-2]
        or X_test.shape[-1] != X_train.shape[-1]
    ):
        raise ValueError(
            f"X_train (..., k, d) and X_test (..., q, d) must agree, got "
            f"{X_train.shape} and {X_test.shape}"
        )
    if y_train.shape != X_train.shape[:-1]:
        raise ValueError(f"y_train must have shape {X_train.shape[:-1]}, got {y_train.shape}")
    dots = X_test @ np.swapaxes(X_train, -1, -2)  # (..., q, k)
    if metric == "cosine":
        norm_train = np.linalg.norm(X_train, axis=-1)[..., None, :]
        norm_test = np.linalg.norm(X_test, axis=-1)[..., :, None]
        denom = norm_test * norm_train
        score = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
    else:
        score = dots - 0.5 * np.sum(X_train**2, axis=-1)[..., None, :]  # −½‖x − x_j‖² + const
    best = np.argmax(score, axis=-1)
    return np.take_along_axis(y_train, best.reshape(*y_train.shape[:-1], -1), axis=-1)


def pixel_nn_accuracy(
    tasks: TaskBatch | Sequence[np.ndarray], metric: str = "cosine"
) -> np.ndarray:
    """Accuracy per task (n,) of the pixel nearest-neighbour classifier (no learning):
    each query image takes the label of its nearest support image (:func:`nearest_neighbour`)."""
    X_train, y_train, X_test, y_test = tasks
    return np.mean(
        nearest_neighbour(X_train, y_train, X_test, metric) == np.asarray(y_test), axis=-1
    )
