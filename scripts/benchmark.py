"""Speed and memory of gaml_core on this machine (a script, not a timed test).

    python scripts/benchmark.py

1. ``agreement_weights`` against the chapter's double loop of dot products and against one
   pass over the updates (``updates.sum(axis=0)``, the memory-bandwidth floor), for
   n in {2, 8, 32} tasks and p in {50, 1e4, 2e5} parameters: best-of-k wall time and the
   peak of extra memory allocated (tracemalloc sees NumPy's allocations).
2. A batched ``meta_step`` against a per-task Python loop at n = 32 tasks.
3. Many runs at once: the sine study's trainer (1-64-64-1 tanh, 5 tasks x 5 minibatch steps)
   for 10 seeds one after another against all 10 in one ``train`` call, in meta-iterations x
   runs per second, with and without the study's malloc setting; and the largest relative
   difference between the two (they must agree to 1e-12).
4. The Omniglot convnet (28x28 images, 4 x [3x3 conv, stride 2, ReLU], 32 channels, 5-way):
   one Reptile meta-iteration (5 tasks, 5 inner steps on blocks of 5 images) against the
   matmuls it contains, recorded during the step and replayed alone; then R runs stacked.
5. Demo 8.1's frames (callback + PNG, what a slider move costs the kernel): cold (a slider
   position not seen yet: the inner loops of 5 tasks, then the drawing) and warm (seen before:
   the drawing only), a drag over the 20 meta-batches and the noise slider, for each algorithm;
   and a new position's inner loops with NumPy's own BLAS threads against one thread.

Targets: (1) >= 10x faster than the double loop at 32 x 2e5, within 3x of the floor; (2) the
batched meta-step >= 5x the per-task loop; (3) >= 5x the per-seed loop at 10 seeds; (4) the
meta-iteration within 2x of its matmuls; (5) every frame <= 100 ms.
"""

from __future__ import annotations

import contextlib
import statistics
import time
import tracemalloc
from collections.abc import Callable
from unittest import mock

import numpy as np

import gaml_core as gc
import gaml_demos as gd
import gaml_runs as gr
import gaml_tasks as gt
from chapter_port import chapter_weights
from gaml_runs import best_time


def peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def per_task_meta_step(theta, batch, alpha, beta, algorithm, weighting, steps):
    """The same meta-step written task by task with the single-task functions."""
    n = batch.n_tasks
    adapted, grads = [], []
    for i in range(n):
        xs, ys, xq, yq = batch.X_train[i], batch.y_train[i], batch.X_test[i], batch.y_test[i]
        adapted.append(gc.adapt(theta, xs, ys, alpha, steps))
        if algorithm != "reptile":
            grads.append(
                gc.maml_meta_gradient(theta, xs, ys, xq, yq, alpha, steps, algorithm == "fomaml")
            )
    updates = np.array([theta - a for a in adapted])
    w = np.full(n, 1 / n) if weighting == "uniform" else chapter_weights(updates, "paper")
    if algorithm == "reptile":
        return theta - beta * sum(w[i] * updates[i] for i in range(n))
    return theta - beta * sum(w[i] * grads[i] for i in range(n))


def runs_at_once(seeds: int = 10, iterations: int = 200) -> None:
    """Section 3: the sine study's trainer, seeds one after another vs all seeds in one call."""
    study = gr.SineStudy()
    model = study.model
    inits = np.stack([model.init(np.random.default_rng([9, s])) for s in range(seeds)])

    def rngs() -> list[np.random.Generator]:
        return [np.random.default_rng([9, s, 1]) for s in range(seeds)]

    settings = (iterations, study.alpha, 1.0, "reptile", "agreement", study.inner_steps, model)
    options = {"schedule": "linear", "batch_size": study.batch_size, "history": False}

    def one_by_one() -> np.ndarray:
        return np.stack([
            gc.train(inits[s], study.training_batch, r, *settings, **options)[0]
            for s, r in enumerate(rngs())
        ])  # fmt: skip

    def at_once() -> np.ndarray:
        return gc.train(inits, study.training_batch, rngs(), *settings, **options)[0]

    alone, together = one_by_one(), at_once()
    rel = float(np.max(np.abs(together - alone) / np.maximum(np.abs(alone), 1e-300)))
    print(f"{'malloc':>16} | {'one by one':>12} {'at once':>12} | {'speed-up':>8}  "
          "(meta-iterations x runs per second)")  # fmt: skip
    for label in ("system default", "study's setting"):
        if label == "study's setting":
            gr.more_malloc_headroom()
        t_one = best_time(one_by_one, budget=0, repeats=3)
        t_all = best_time(at_once, budget=0, repeats=3)
        rate = seeds * iterations
        print(f"{label:>16} | {rate / t_one:>12.0f} {rate / t_all:>12.0f} | {t_one / t_all:>7.2f}x")
    print(f"largest relative difference, runs at once vs alone: {rel:.1e} (bound 1e-12)")


def convnet_meta_iteration(runs: tuple[int, ...] = (1, 2, 5, 10)) -> None:
    """Section 4: the convnet's meta-iteration against the matmuls it contains."""
    gr.more_malloc_headroom()
    rng = np.random.default_rng(4)
    print(f"{'dtype':>7} {'runs':>4} | {'meta-iteration':>14} {'its matmuls':>11} {'ratio':>5} | "
          f"{'per run':>8}")  # fmt: skip
    for dtype in ("float32", "float64"):
        model = gc.ConvNetModel(ways=5, dtype=dtype)
        for R in runs:
            theta = np.stack([model.init(rng) for _ in range(R)])
            ink = rng.random((R, 5, 15, 784)) * (rng.random((R, 5, 15, 784)) < 0.2)
            labels = np.tile(np.arange(5.0), (R, 5, 3))  # support, then query, of 5 classes
            tasks = (ink[..., :10, :], labels[..., :10], ink[..., 10:, :], labels[..., 10:])

            def step(theta=theta, tasks=tasks, model=model):
                args = ("reptile", "uniform", 5, model, 5, False)  # blocks of 5 images
                return gc._meta_step(theta, tasks, 0.03, 1.0, *args)

            calls, matmul = [], np.matmul

            def record(a, b, calls=calls, matmul=matmul):
                calls.append((a, b))
                return matmul(a, b)

            with mock.patch.object(np, "matmul", record):
                step()

            def replay(calls=calls, matmul=matmul):
                for a, b in calls:
                    matmul(a, b)

            t_step = best_time(step, repeats=7, budget=1.0)
            t_mm = best_time(replay, repeats=7, budget=1.0)
            print(f"{dtype:>7} {R:>4} | {t_step * 1e3:>12.2f}ms {t_mm * 1e3:>9.2f}ms "
                  f"{t_step / t_mm:>5.2f} | {t_step / R * 1e3:>6.2f}ms")  # fmt: skip


def omniglot_demo_frames() -> None:
    """Section 5: demo 8.1's frames, cold then warm, along a presenter's drag: the 20
    meta-batches with 1 noisy task, then the noise slider to 0 and 2."""
    if not gd.OMNIGLOT_THETA_FILE.exists():
        print(f"skipped: no {gd.OMNIGLOT_THETA_FILE}")
        return
    start = time.perf_counter()
    plot = gd.omniglot_demo().result.plot  # loads the characters and θ, draws the first frame
    print(f"building the demo (data, θ, first frame): {(time.perf_counter() - start) * 1e3:.0f} ms")
    drag = [(1, b) for b in range(gd.OMNIGLOT_BATCHES)] + [(0, gd.OMNIGLOT_BATCHES - 1),
            (2, gd.OMNIGLOT_BATCHES - 1)]  # fmt: skip
    print(f"{'algorithm':>9} | {'cold median':>11} {'cold max':>8} | {'warm median':>11} "
          f"{'warm max':>8}   (ms per frame, {len(drag)} frames)")  # fmt: skip
    for algorithm in ("reptile", "fomaml"):
        gd._omniglot_frame.cache_clear()
        gd.omniglot_images.cache_clear()
        times: dict[str, list[float]] = {"cold": [], "warm": []}
        for kind in times:
            for noisy, batch in drag:  # what Demo.update does: the callback, then the PNG
                start = time.perf_counter()
                gd.omniglot_callback(algorithm, noisy, batch, plot=plot).plot.png()
                times[kind].append((time.perf_counter() - start) * 1e3)
        cold, warm = times["cold"], times["warm"]
        print(f"{algorithm:>9} | {statistics.median(cold):>11.1f} {max(cold):>8.1f} | "
              f"{statistics.median(warm):>11.1f} {max(warm):>8.1f}")  # fmt: skip
    print(f"full redraws: {plot.full_frames} of {plot.frames} frames")
    for label, limit in (("NumPy's BLAS threads", contextlib.nullcontext), ("one thread", None)):
        with mock.patch.object(gd, "one_blas_thread", limit or gd.one_blas_thread):
            t = best_time(lambda: gd.omniglot_state("reptile", 1, 3), repeats=3, budget=0)
        print(f"a new position's inner loops, {label}: {t * 1e3:.1f} ms")


def main() -> None:
    rng = np.random.default_rng(0)
    print("1. agreement_weights (paper) vs the chapter's double loop vs one pass (sum)")
    header = (
        f"{'n':>3} {'p':>7} | {'weights':>10} {'double loop':>12} {'one pass':>10} | "
        f"{'speed-up':>8} {'x floor':>7} | {'peak MiB':>8} {'floor MiB':>9} {'input MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for p in (50, 10_000, 200_000):
        for n in (2, 8, 32):
            g = rng.normal(size=(n, p))
            t_w = best_time(lambda g=g: gc.agreement_weights(g))
            np.testing.assert_allclose(gc.agreement_weights(g, "chapter"), chapter_weights(g))
            t_loop = best_time(lambda g=g: chapter_weights(g), repeats=3)
            t_sum = best_time(lambda g=g: g.sum(axis=0))
            m_w = peak_bytes(lambda g=g: gc.agreement_weights(g)) / 2**20
            m_sum = peak_bytes(lambda g=g: g.sum(axis=0)) / 2**20
            print(
                f"{n:>3} {p:>7} | {t_w * 1e6:>8.1f}us {t_loop * 1e6:>10.1f}us "
                f"{t_sum * 1e6:>8.1f}us | {t_loop / t_w:>7.1f}x {t_w / t_sum:>6.2f}x | "
                f"{m_w:>8.3f} {m_sum:>9.3f} {g.nbytes / 2**20:>9.2f}"
            )
    print()
    print("2. meta_step: batched over 32 tasks vs a per-task Python loop (logistic, d = 50)")
    fam = gt.LogisticTaskFamily.create(rng, dim=50, disagree_frac=0.25)
    batch = fam.sample(rng, 32, k_shot=10, q_query=10)
    theta = rng.normal(size=50) * 0.1
    print(f"{'algorithm':>9} {'steps':>5} | {'batched':>10} {'loop':>10} | {'speed-up':>8}")
    for algorithm in ("maml", "fomaml", "reptile"):
        for steps in (1, 5):
            args = (theta, batch, 0.1, 0.1, algorithm, "agreement", steps)
            np.testing.assert_allclose(gc.meta_step(*args)[0], per_task_meta_step(*args))
            t_b = best_time(lambda args=args: gc.meta_step(*args))
            t_l = best_time(lambda args=args: per_task_meta_step(*args), repeats=3)
            print(
                f"{algorithm:>9} {steps:>5} | {t_b * 1e3:>8.3f}ms {t_l * 1e3:>8.3f}ms | "
                f"{t_l / t_b:>7.1f}x"
            )
    model = gc.MLPModel(40)
    sines = gt.sample_sine_tasks(rng, 32)
    theta = model.init(rng)
    t_b = best_time(lambda: gc.meta_step(theta, sines, 0.01, 0.1, "reptile", "agreement", 5, model))
    print(f"MLP 1-40-40-1 Reptile, 32 tasks x 5 steps, batched: {t_b * 1e3:.2f} ms per meta-step")
    print()
    print("3. the sine study's trainer: 10 seeds one by one vs all at once (Reptile, GA weights)")
    runs_at_once()
    print()
    print("4. the Omniglot convnet: one Reptile meta-iteration vs its matmuls, R runs stacked")
    convnet_meta_iteration()
    print()
    print("5. demo 8.1: frames (callback + PNG) at a new slider position (cold) and a seen one")
    omniglot_demo_frames()


if __name__ == "__main__":
    main()
