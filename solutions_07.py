"""Solutions and checkers for the exercises of notebook 7 ("Questions and exercises").

Each exercise has a ``check_*`` function that takes the learner's function, calls it, and
prints ``not done yet`` (when it returns ``None``), ``correct`` or what is still wrong. The
checkers never raise, so a notebook with unfinished exercises still runs top to bottom.

Notation as in ``gaml_core``: g_i = θ − θ'_i the update vector of task i,
G_ij = g_iᵀg_j the Gram matrix, w_i = Σ_j G_ij / Σ_k |Σ_j G_kj| (the paper, Eshratifar et
al. 2018, arXiv 1810.08178) and Σ_i Σ_j |G_ij| as denominator for the normalisation used in
chapter 8 of *Hands-On Meta Learning with Python* (S. Ravichandiran, Packt 2018).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import gaml_core as gc
import gaml_tasks as gt

__all__ = [
    "check_ga_reptile",
    "check_gram_weights",
    "check_scaling",
    "check_zero_angle",
    "ga_reptile_sine",
    "scaling_experiment",
    "weights_from_gram",
    "zero_weight_angle",
]

NOT_DONE = "not done yet"


def _report(problems: list[str], success: str) -> None:
    print("correct: " + success if not problems else "not yet right: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# Exercise 1: the weights from the Gram matrix
# ---------------------------------------------------------------------------------------------


def weights_from_gram(gram: np.ndarray, normalization: str = "paper") -> np.ndarray:
    """Weights from the Gram matrix alone: row sums s_i = Σ_j G_ij, divided by
    Σ_k |s_k| (paper) or by Σ_i Σ_j |G_ij| (chapter)."""
    gram = np.asarray(gram, dtype=np.float64)
    sums = gram.sum(axis=1)
    denom = np.abs(sums).sum() if normalization == "paper" else np.abs(gram).sum()
    return sums / denom


def _attempt(fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Call a learner's function; say so and return (False, None) if it raised or is a stub."""
    try:
        got = fn(*args)
    except Exception as exc:  # a learner's bug must not stop the notebook
        print(f"not yet right: your function raised {type(exc).__name__}: {exc}")
        return False, None
    if got is None:
        print(NOT_DONE)
        return False, None
    return True, got


def check_gram_weights(fn: Callable[[np.ndarray, str], np.ndarray | None]) -> None:
    """Compare ``fn(G, normalization)`` with ``gaml_core.agreement_weights`` on random updates."""
    rng = np.random.default_rng(7)
    problems = []
    for trial in range(5):
        updates = rng.normal(size=(4, 3))
        updates[3] = -updates[0] + 0.1 * rng.normal(size=3)  # one dissenter, so the two differ
        gram = updates @ updates.T
        for norm in ("paper", "chapter"):
            done, got = _attempt(fn, gram, norm)
            if not done:
                return
            want = gc.agreement_weights(updates, norm)
            if np.shape(got) != want.shape or not np.allclose(got, want, atol=1e-12):
                problems.append(f"trial {trial}, {norm}: expected {np.round(want, 4).tolist()}")
    _report(problems, "both normalisations match agreement_weights on 5 random batches")


# ---------------------------------------------------------------------------------------------
# Exercise 2: which rescalings change the weights
# ---------------------------------------------------------------------------------------------


def scaling_experiment(updates: np.ndarray) -> dict[str, np.ndarray]:
    """Weights of ``updates``; with task 0's update ×10; with every update ×10."""
    updates = np.asarray(updates, dtype=np.float64)
    one = updates.copy()
    one[0] *= 10.0
    return {
        "original": gc.agreement_weights(updates),
        "task 0 x10": gc.agreement_weights(one),
        "all x10": gc.agreement_weights(10.0 * updates),
    }


def check_scaling(fn: Callable[[np.ndarray], dict[str, np.ndarray] | None]) -> None:
    """``fn(updates)`` must return the three weight vectors of :func:`scaling_experiment`."""
    updates = np.array([[1.0, 0.2], [0.7, 0.5], [0.9, -0.3], [-0.6, 0.4]])
    done, got = _attempt(fn, updates)
    if not done:
        return
    want = scaling_experiment(updates)
    problems = []
    for key, value in want.items():
        if key not in got:
            problems.append(f"missing key {key!r}")
        elif not np.allclose(got[key], value, atol=1e-12):
            problems.append(f"{key!r} should be {np.round(value, 4).tolist()}")
    _report(problems, "scaling one task changes the weights, scaling all of them does not")


# ---------------------------------------------------------------------------------------------
# Exercise 3: the angle at which a dissenter's weight is zero
# ---------------------------------------------------------------------------------------------


def _dissent_weight(angle_deg: float, n_agree: int = 3) -> float:
    """Weight of a unit update at ``angle_deg`` from n_agree identical unit updates (1, 0)."""
    phi = math.radians(angle_deg)
    updates = np.vstack([np.tile([1.0, 0.0], (n_agree, 1)), [[math.cos(phi), math.sin(phi)]]])
    return float(gc.agreement_weights(updates)[-1])


def zero_weight_angle(n_agree: int = 3) -> dict[str, float]:
    """The dissenter's weight is ∝ g_dᵀ(Σ_j g_j) = n_agree·cos φ + 1, zero at
    φ* = arccos(−1/n_agree). Returns the closed form and a bisection on the weight itself
    (both in degrees)."""
    closed = math.degrees(math.acos(-1.0 / n_agree))
    lo, hi = 0.0, 180.0  # weight > 0 at 0°, < 0 at 180° (for n_agree >= 2)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _dissent_weight(mid, n_agree) > 0 else (lo, mid)
    return {"closed form": closed, "bisection": 0.5 * (lo + hi)}


def check_zero_angle(fn: Callable[[], float | None]) -> None:
    """``fn()`` must return the angle in degrees (a number) at which the weight is zero."""
    done, got = _attempt(fn)
    if not done:
        return
    want = math.degrees(math.acos(-1.0 / 3.0))
    if abs(float(got) - want) < 1e-3:
        print(f"correct: the dissenter's weight is zero at {want:.2f} degrees")
    elif abs(float(got) - math.acos(-1.0 / 3.0)) < 1e-3:
        print("not yet right: that looks like radians; the checker wants degrees")
    else:
        w = _dissent_weight(float(got))
        print(f"not yet right: at {float(got):.2f} degrees the dissenter's weight is {w:.4f}")


# ---------------------------------------------------------------------------------------------
# Exercise 4: GA-Reptile on sinusoids with two tasks per batch
# ---------------------------------------------------------------------------------------------


def ga_reptile_sine(
    seeds: Sequence[int] = (0, 1),
    iterations: int = 600,
    hidden: int = 20,
    alpha: float = 0.01,
    beta: float = 0.5,
    inner_steps: int = 5,
) -> dict[str, list[float]]:
    """Reptile with uniform and with agreement weights, 2 sine tasks per batch.

    For each seed and weighting: meta-train an MLP from the same initialisation on the same
    stream of batches, then report the held-out query MSE after ``inner_steps`` steps of size
    α, averaged over 200 held-out sine tasks. Returns ``{weighting: [one value per seed]}``.
    """
    model = gc.MLPModel(hidden=hidden)
    heldout = gt.sample_sine_tasks(np.random.default_rng(99), 200, 10, 50)
    results: dict[str, list[float]] = {"uniform": [], "agreement": []}
    for seed in seeds:
        for weighting in results:
            theta0 = model.init(np.random.default_rng(seed))
            theta, _ = gc.train(
                theta0,
                lambda rng: gt.sample_sine_tasks(rng, 2),
                np.random.default_rng(seed + 100),
                iterations,
                alpha,
                beta,
                algorithm="reptile",
                weighting=weighting,
                inner_steps=inner_steps,
                model=model,
            )
            loss = gc.evaluate(theta, heldout, alpha, inner_steps, model)["loss"][-1].mean()
            results[weighting].append(float(loss))
    return results


def check_ga_reptile(fn: Callable[[], dict[str, list[float]] | None]) -> None:
    """``fn()`` must return ``{"uniform": [...], "agreement": [...]}`` of held-out MSEs."""
    done, got = _attempt(fn)
    if not done:
        return
    problems = []
    for key in ("uniform", "agreement"):
        values = got.get(key) if isinstance(got, dict) else None
        if not values or not all(math.isfinite(v) and v >= 0 for v in values):
            problems.append(f"{key!r} should be a non-empty list of finite losses")
    if problems:
        _report(problems, "")
        return
    for key in ("uniform", "agreement"):
        print(f"{key:>9}: held-out MSE per seed {[round(v, 3) for v in got[key]]}")
    print("correct: both weightings trained; now compare them (see the solution's discussion)")
