"""Exercises of notebook 01: wrong answers each check must reject with the diagnosis
named beside it (one line, no numbers dumped), and correct alternatives it must accept."""

from __future__ import annotations

import numpy as np
from exercise_testing import answer_tests

import gaml_tasks as gt
from exercises import nb01 as ex

# --- Exercise 1.1: wrong batches ------------------------------------------------------------------


def _sine(amp, phase, x, k):
    y = amp[:, None] * np.sin(x[..., 0] + phase[:, None])
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


def _sine_ranges(amplitude=(0.1, 5.0), phase=(0.0, np.pi), inputs=(-5.0, 5.0)):
    def sample(rng, n, k, q):
        a, p = rng.uniform(*amplitude, n), rng.uniform(*phase, n)
        return _sine(a, p, rng.uniform(*inputs, (n, k + q, 1)), k)

    sample.__name__ = f"_sine_ranges_{amplitude}_{phase}_{inputs}".replace(" ", "")
    return sample


def _sine_no_feature_axis(rng, n, k, q):
    X, y, Xq, yq = ex.sample_sine_batch(rng, n, k, q)
    return X[..., 0], y, Xq[..., 0], yq


def _sine_phase_outside(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    x = rng.uniform(-5.0, 5.0, (n, k + q, 1))
    y = amp[:, None] * np.sin(x[..., 0]) + phase[:, None]
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


def _sine_phase_outside_phases_first(rng, n, k, q):
    phase, amp = rng.uniform(0.0, np.pi, n), rng.uniform(0.1, 5.0, n)
    x = rng.uniform(-5.0, 5.0, (n, k + q, 1))
    y = amp[:, None] * np.sin(x[..., 0]) + phase[:, None]
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


def _sine_query_redrawn(rng, n, k, q):
    X, y, Xq, _ = ex.sample_sine_batch(rng, n, k, q)
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    return X, y, Xq, amp[:, None] * np.sin(Xq[..., 0] + phase[:, None])


def _sine_target_axis(rng, n, k, q):
    X, y, Xq, yq = ex.sample_sine_batch(rng, n, k, q)
    return X, y[..., None], Xq, yq[..., None]


def _sine_swapped(rng, n, k, q):
    X, y, Xq, yq = ex.sample_sine_batch(rng, n, k, q)
    return Xq, yq, X, y


def _sine_last_k_support(rng, n, k, q):
    X, y, Xq, yq = ex.sample_sine_batch(rng, n, k, q)
    x, t = np.concatenate([X, Xq], axis=1), np.concatenate([y, yq], axis=1)
    return x[:, q:], t[:, q:], x[:, :q], t[:, :q]


def _sine_own_seed(rng, n, k, q):
    return ex.sample_sine_batch(np.random.default_rng(4), n, k, q)  # the seed of the notebook


def _sine_global_generator(rng, n, k, q):
    return ex.sample_sine_batch(np.random, n, k, q)  # np.random.uniform: the global generator


def _sine_notebook_sizes(rng, n, k, q):
    return ex.sample_sine_batch(rng, 5, 10, 10)  # n_tasks=5, k_shot=10 as in the notebook


def _sine_fixed_q(rng, n, k, q):
    return ex.sample_sine_batch(rng, n, k, 10)


def _sine_one_wave(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0), rng.uniform(0.0, np.pi)
    return _sine(np.full(n, amp), np.full(n, phase), rng.uniform(-5.0, 5.0, (n, k + q, 1)), k)


def _sine_phases_first(rng, n, k, q):
    phase, amp = rng.uniform(0.0, np.pi, n), rng.uniform(0.1, 5.0, n)
    return _sine(amp, phase, rng.uniform(-5.0, 5.0, (n, k + q, 1)), k)


def _sine_inputs_first(rng, n, k, q):
    x = rng.uniform(-5.0, 5.0, (n, k + q, 1))
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    return _sine(amp, phase, x, k)


def _sine_two_input_calls(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    x = np.concatenate([rng.uniform(-5, 5, (n, k, 1)), rng.uniform(-5, 5, (n, q, 1))], axis=1)
    return _sine(amp, phase, x, k)


def _sine_task_by_task(rng, n, k, q):
    parts = [(rng.uniform(0.1, 5.0), rng.uniform(0.0, np.pi), rng.uniform(-5, 5, (k + q, 1)))
             for _ in range(n)]  # fmt: skip
    amp, phase = np.array([p[0] for p in parts]), np.array([p[1] for p in parts])
    return _sine(amp, phase, np.stack([p[2] for p in parts]), k)


def _sine_sorted_inputs(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    return _sine(amp, phase, np.sort(rng.uniform(-5.0, 5.0, (n, k + q, 1)), axis=1), k)


def _sine_cosine(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    x = rng.uniform(-5.0, 5.0, (n, k + q, 1))
    y = amp[:, None] * np.cos(x[..., 0] + phase[:, None])
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


def _sine_frequency(rng, n, k, q):
    amp, phase = rng.uniform(0.1, 5.0, n), rng.uniform(0.0, np.pi, n)
    x = rng.uniform(-5.0, 5.0, (n, k + q, 1))
    y = np.sin(amp[:, None] * x[..., 0] + phase[:, None])
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


# --- Exercise 1.2: wrong splits -------------------------------------------------------------------


def _split_two_shuffles(rng, X, y, k):
    a, b = rng.permutation(len(y)), rng.permutation(len(y))
    return X[a[:k]], y[b[:k]], X[a[k:]], y[b[k:]]


def _split_one_more(rng, X, y, k):
    order = rng.permutation(len(y))
    return X[order[: k + 1]], y[order[: k + 1]], X[order[k + 1 :]], y[order[k + 1 :]]


def _split_query_skips_one(rng, X, y, k):
    order = rng.permutation(len(y))
    return X[order[:k]], y[order[:k]], X[order[k + 1 :]], y[order[k + 1 :]]


def _split_unshuffled(rng, X, y, k):
    return X[:k], y[:k], X[k:], y[k:]


def _split_other_shuffle(rng, X, y, k):
    order = np.argsort(rng.random(len(y)))
    return X[order[:k]], y[order[:k]], X[order[k:]], y[order[k:]]


def _split_swapped(rng, X, y, k):
    order = rng.permutation(len(y))
    return X[order[k:]], y[order[k:]], X[order[:k]], y[order[:k]]


def _split_sorted_indices(rng, X, y, k):
    order = rng.permutation(len(y))
    s, q = np.sort(order[:k]), np.sort(order[k:])
    return X[s], y[s], X[q], y[q]


def _split_mask(rng, X, y, k):
    chosen = np.zeros(len(y), dtype=bool)
    chosen[rng.permutation(len(y))[:k]] = True
    return X[chosen], y[chosen], X[~chosen], y[~chosen]


def _split_global_generator(rng, X, y, k):
    return ex.split_task(np.random, X, y, k)  # np.random.permutation: the global generator


def _split_own_seed(rng, X, y, k):
    return ex.split_task(np.random.default_rng(0), X, y, k)


def _split_last_k(rng, X, y, k):
    order = rng.permutation(len(y))
    m = len(y)
    return X[order[m - k :]], y[order[m - k :]], X[order[: m - k]], y[order[: m - k]]


def _split_choice(rng, X, y, k):
    support = rng.choice(len(y), size=k, replace=False)
    query = np.setdiff1d(np.arange(len(y)), support)
    return X[support], y[support], X[query], y[query]


def _split_first_feature(rng, X, y, k):
    order = rng.permutation(len(y))
    return X[order[:k], 0], y[order[:k]], X[order[k:], 0], y[order[k:]]


# --- Answers of an outside reviewer who read only the notebooks: each cell's code as typed ---


# outside reviewer, 1.1-w1: Phase drawn from [0, 2π] (the GA paper's range quoted in the notebook)
# instead of [0, π].
def _reviewer_1_1_w1(rng, n_tasks, k_shot, q_query):
    amplitude = rng.uniform(0.1, 5.0, size=n_tasks)
    phase = rng.uniform(0.0, 2 * np.pi, size=n_tasks)
    x = rng.uniform(-5.0, 5.0, size=(n_tasks, k_shot + q_query, 1))
    y = amplitude[:, None] * np.sin(x[..., 0] + phase[:, None])
    return x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:]


# outside reviewer, 1.1-w2: Draws the phases before the amplitudes (wrong draw order).
def _reviewer_1_1_w2(rng, n_tasks, k_shot, q_query):
    phase = rng.uniform(0.0, np.pi, size=n_tasks)
    amplitude = rng.uniform(0.1, 5.0, size=n_tasks)
    x = rng.uniform(-5.0, 5.0, size=(n_tasks, k_shot + q_query, 1))
    y = amplitude[:, None] * np.sin(x[..., 0] + phase[:, None])
    return x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:]


# outside reviewer, 1.1-w3: Draws support and query inputs in two separate calls instead of one (n,
# k+q, 1) call.
def _reviewer_1_1_w3(rng, n_tasks, k_shot, q_query):
    amplitude = rng.uniform(0.1, 5.0, size=n_tasks)
    phase = rng.uniform(0.0, np.pi, size=n_tasks)
    X_train = rng.uniform(-5.0, 5.0, size=(n_tasks, k_shot, 1))
    X_test = rng.uniform(-5.0, 5.0, size=(n_tasks, q_query, 1))
    y_train = amplitude[:, None] * np.sin(X_train[..., 0] + phase[:, None])
    y_test = amplitude[:, None] * np.sin(X_test[..., 0] + phase[:, None])
    return X_train, y_train, X_test, y_test


# outside reviewer, 1.1-w4: Re-seeds: creates its own generator np.random.default_rng(0) instead of
# using the rng argument.
def _reviewer_1_1_w4(rng, n_tasks, k_shot, q_query):
    rng = np.random.default_rng(0)  # reproducible!
    amplitude = rng.uniform(0.1, 5.0, size=n_tasks)
    phase = rng.uniform(0.0, np.pi, size=n_tasks)
    x = rng.uniform(-5.0, 5.0, size=(n_tasks, k_shot + q_query, 1))
    y = amplitude[:, None] * np.sin(x[..., 0] + phase[:, None])
    return x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:]


# outside reviewer, 1.1-w5: Targets keep the feature axis: y has shape (n, k, 1) / (n, q, 1) instead
# of (n, k) / (n, q).
def _reviewer_1_1_w5(rng, n_tasks, k_shot, q_query):
    amplitude = rng.uniform(0.1, 5.0, size=n_tasks)
    phase = rng.uniform(0.0, np.pi, size=n_tasks)
    x = rng.uniform(-5.0, 5.0, size=(n_tasks, k_shot + q_query, 1))
    y = amplitude[:, None, None] * np.sin(x + phase[:, None, None])
    return x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:]


# outside reviewer, 1.1-r1: Inputs drawn as (n, k+q) and given the feature axis afterwards; np.split
# at k.
def _reviewer_1_1_r1(rng, n_tasks, k_shot, q_query):
    a = rng.uniform(0.1, 5.0, n_tasks)
    phi = rng.uniform(0.0, np.pi, n_tasks)
    x = rng.uniform(-5.0, 5.0, (n_tasks, k_shot + q_query))
    y = a[:, None] * np.sin(x + phi[:, None])
    X_train, X_test = np.split(x[..., None], [k_shot], axis=1)
    y_train, y_test = np.split(y, [k_shot], axis=1)
    return X_train, y_train, X_test, y_test


# outside reviewer, 1.1-r2: Targets computed task by task in a loop, then stacked; slicing with
# explicit index ranges.
def _reviewer_1_1_r2(rng, n_tasks, k_shot, q_query):
    amplitudes = rng.uniform(low=0.1, high=5.0, size=(n_tasks,))
    phases = rng.uniform(low=0.0, high=np.pi, size=(n_tasks,))
    inputs = rng.uniform(low=-5.0, high=5.0, size=(n_tasks, k_shot + q_query, 1))
    targets = np.stack(
        [a * np.sin(xs[:, 0] + p) for a, p, xs in zip(amplitudes, phases, inputs)]  # noqa: B905
    ).reshape(n_tasks, k_shot + q_query)
    support, query = slice(0, k_shot), slice(k_shot, k_shot + q_query)
    return inputs[:, support], targets[:, support], inputs[:, query], targets[:, query]


# outside reviewer, 1.2-w1: Two separate permutations for X and y (inputs paired with other points'
# labels).
def _reviewer_1_2_w1(rng, X, y, k_shot):
    X = X[rng.permutation(len(X))]
    y = y[rng.permutation(len(y))]
    return X[:k_shot], y[:k_shot], X[k_shot:], y[k_shot:]


# outside reviewer, 1.2-w2: No shuffle at all: ignores rng and takes the first k points as they
# come.
def _reviewer_1_2_w2(rng, X, y, k_shot):
    return X[:k_shot], y[:k_shot], X[k_shot:], y[k_shot:]


# outside reviewer, 1.2-w3: Uses NumPy's global random state np.random.permutation instead of the
# rng argument.
def _reviewer_1_2_w3(rng, X, y, k_shot):
    order = np.random.permutation(len(y))  # noqa: NPY002
    return X[order[:k_shot]], y[order[:k_shot]], X[order[k_shot:]], y[order[k_shot:]]


# outside reviewer, 1.2-w4: Off by one: query set starts at k_shot + 1, so one point is in neither
# set.
def _reviewer_1_2_w4(rng, X, y, k_shot):
    order = rng.permutation(len(y))
    support, query = order[:k_shot], order[k_shot + 1 :]
    return X[support], y[support], X[query], y[query]


# outside reviewer, 1.2-w5: Shuffles the caller's X and y in place (X[:] = X[order]) and returns
# views of them.
def _reviewer_1_2_w5(rng, X, y, k_shot):
    order = rng.permutation(len(y))
    X[:] = X[order]
    y[:] = y[order]
    return X[:k_shot], y[:k_shot], X[k_shot:], y[k_shot:]


# outside reviewer, 1.2-r1: np.arange then rng.shuffle on the index array (same stream as
# rng.permutation(m)).
def _reviewer_1_2_r1(rng, X, y, k_shot):
    idx = np.arange(X.shape[0])
    rng.shuffle(idx)
    return X[idx[:k_shot]], y[idx[:k_shot]], X[idx[k_shot:]], y[idx[k_shot:]]


# outside reviewer, 1.2-r2: Shuffled copies first (np.take), then split both at k with np.split.
def _reviewer_1_2_r2(rng, X, y, k_shot):
    perm = rng.permutation(len(X))
    Xs, ys = np.take(X, perm, axis=0), np.take(y, perm, axis=0)
    X_train, X_test = np.split(Xs, [k_shot])
    y_train, y_test = np.split(ys, [k_shot])
    return X_train, y_train, X_test, y_test


# outside reviewer, 1.2-x1: Extra probe: query set taken as the last k_shot shuffled points (assumes
# q = k).
def _reviewer_1_2_x1(rng, X, y, k_shot):
    order = rng.permutation(len(y))
    support, query = order[:k_shot], order[-k_shot:]
    return X[support], y[support], X[query], y[query]


WRONG = {
    "sample_sine_batch": [
        (_sine_no_feature_axis, "keep a feature axis of length 1"),
        (_sine_phase_outside, "the phase goes inside the sine"),
        (_sine_phase_outside_phases_first, "the phase goes inside the sine"),
        (_sine_query_redrawn, "its query points on another"),
        (_sine_frequency, "do not lie on one sine wave A·sin(x + φ) of period 2π"),
        (_sine_target_axis, "targets have no feature axis"),
        (_sine_cosine, "you used the cosine"),
        (_sine_swapped, "support and query are swapped"),
        (_sine_last_k_support, "your support set is the last k points"),
        (_sine_own_seed, "do not change with the generator passed in"),
        (_sine_global_generator, "two generators with the same seed gave two different"),
        (_sine_notebook_sizes, "holds 5 tasks instead of n_tasks = 6"),
        (_sine_fixed_q, "X_test has 10 points per task instead of q_query = 7"),
        (_sine_one_wave, "every task is the same wave"),
        (_sine_ranges(amplitude=(0.0, 5.0)), "your amplitudes run from 0.00 to"),
        (_sine_ranges(amplitude=(1.0, 5.0)), "your amplitudes run from 1.00 to"),
        (_sine_ranges(phase=(0.0, 2 * np.pi)), "to 6.28, not over [0, π]"),
        (_sine_ranges(phase=(0.0, 1.0)), "your phases run from 0.00 to 1.00"),
        (_sine_ranges(inputs=(-1.0, 1.0)), "your inputs run from -1.00 to 1.00"),
        (_sine_phases_first, "you drew the phases before the amplitudes"),
        (_sine_inputs_first, "you drew the inputs before the amplitudes"),
        (_sine_two_input_calls, "support and the query inputs in two calls"),
        (_sine_task_by_task, "you drew task by task"),
        (_sine_sorted_inputs, "you sorted each task's inputs"),
        (
            _reviewer_1_1_w1,
            "your phases run from 0.01 to 6.28, not over [0, π]",
        ),  # outside reviewer, 1.1-w1
        (_reviewer_1_1_w2, "you drew the phases before the amplitudes"),  # outside reviewer, 1.1-w2
        (
            _reviewer_1_1_w3,
            "you drew the support and the query inputs in two calls",
        ),  # outside reviewer, 1.1-w3
        (
            _reviewer_1_1_w4,
            "your batches do not change with the generator passed in",
        ),  # outside reviewer, 1.1-w4
        (_reviewer_1_1_w5, "targets have no feature axis"),  # outside reviewer, 1.1-w5
    ],
    "split_task": [
        (_split_two_shuffles, "no longer carry their own labels"),
        (_split_one_more, "instead of k ="),
        (_split_query_skips_one, "your query set has 5 points instead of m − k = 6 (-1)"),
        (_split_unshuffled, "in their stored order: shuffle first"),
        (_split_other_shuffle, "not the one this seed gives"),
        (_split_swapped, "support and query are swapped"),
        (_split_sorted_indices, "each set holds the right points, but not in the shuffled order"),
        (_split_mask, "each set holds the right points, but not in the shuffled order"),
        (_split_global_generator, "two generators with the same seed gave two different splits"),
        (_split_own_seed, "do not change with the generator passed in"),
        (_split_last_k, "your support set is the last k of the shuffled points"),
        (_split_choice, "you drew the support set with rng.choice"),
        (_split_first_feature, "keep X's feature axis"),
        (
            _reviewer_1_2_w1,
            "some inputs no longer carry their own labels",
        ),  # outside reviewer, 1.2-w1
        (
            _reviewer_1_2_w2,
            "your support set is the first k points in their stored order",
        ),  # outside reviewer, 1.2-w2
        (
            _reviewer_1_2_w3,
            "two generators with the same seed gave two different splits",
        ),  # outside reviewer, 1.2-w3
        (
            _reviewer_1_2_w4,
            "your query set has 5 points instead of m − k = 6",
        ),  # outside reviewer, 1.2-w4
        (
            _reviewer_1_2_w5,
            "your function changed an input array in place",
        ),  # outside reviewer, 1.2-w5
        (
            _reviewer_1_2_x1,
            "your query set has 3 points instead of m − k = 6",
        ),  # outside reviewer, 1.2-x1
    ],
}

# --- Correct answers written differently from the reference solution ----------------------------


def _sine_engine(rng, n_tasks, k_shot, q_query):
    return gt.sample_sine_tasks(rng, n_tasks, k_shot, q_query)  # a TaskBatch, as in the notebook


def _sine_unpacked_engine(rng, n_tasks, k_shot, q_query):
    batch = gt.sample_sine_tasks(rng, n_tasks, k_shot, q_query)
    return batch.X_train, batch.y_train, batch.X_test, batch.y_test


def _sine_by_hand(rng, n_tasks, k_shot, q_query):
    amp = 0.1 + 4.9 * rng.random((n_tasks, 1))
    phase = np.pi * rng.random((n_tasks, 1))
    x = -5.0 + 10.0 * rng.random((n_tasks, k_shot + q_query))
    y = amp * np.sin(x + phase)
    X = x[..., np.newaxis]
    return X[:, :k_shot], y[:, :k_shot], X[:, k_shot:], y[:, k_shot:]


def _split_shuffled_indices(rng, X, y, k_shot):
    idx = np.arange(len(X))
    rng.shuffle(idx)  # shuffles the index array in place: the same numbers as permutation
    return X[idx[:k_shot]], y[idx[:k_shot]], X[idx[k_shot:]], y[idx[k_shot:]]


def _split_np_split(rng, X, y, k_shot):
    perm = rng.permutation(X.shape[0])
    (Xs, Xq), (ys, yq) = np.split(X[perm], [k_shot]), np.split(y[perm], [k_shot])
    return [Xs, ys, Xq, yq]


RIGHT = [
    ("sample_sine_batch", _sine_engine),
    ("sample_sine_batch", _sine_unpacked_engine),
    ("sample_sine_batch", _sine_by_hand),
    ("sample_sine_batch", ex.sample_sine_batch),
    ("split_task", _split_shuffled_indices),
    ("split_task", _split_np_split),
    ("split_task", ex.split_task),
    ("sample_sine_batch", _reviewer_1_1_r1),  # outside reviewer, 1.1-r1
    ("sample_sine_batch", _reviewer_1_1_r2),  # outside reviewer, 1.1-r2
    ("split_task", _reviewer_1_2_r1),  # outside reviewer, 1.2-r1
    ("split_task", _reviewer_1_2_r2),  # outside reviewer, 1.2-r2
]
(
    test_every_check_has_three_wrong_and_two_right_answers,
    test_check_rejects_a_wrong_answer_with_its_diagnosis,
    test_check_accepts_a_correct_alternative,
) = answer_tests(ex, WRONG, RIGHT)


def test_every_case_varies_the_arguments_and_catches_the_accidents():
    """No argument has one value in every case, the first case differs from the notebook's
    numbers (n = 5, 2, 8; k = 10; q = 10, 20), and the cases include k = q (swapped sets of the
    right shapes), one task, one shot, and m = 2k for the split."""
    seeds, n, k, q = zip(*ex.SINE_CASES, strict=True)
    assert all(len(set(v)) > 1 for v in (seeds, n, k, q))
    assert n[0] not in (5, 2, 8) and k[0] != 10 and q[0] not in (10, 20)
    assert any(a == b for a, b in zip(k, q, strict=True)) and 1 in n and 1 in k
    seeds, m, k, d = zip(*ex.SPLIT_CASES, strict=True)
    assert all(len(set(v)) > 1 for v in (seeds, m, k, d))
    assert k[0] != 10 and d[0] > 1 and any(a == 2 * b for a, b in zip(m, k, strict=True))
