"""The RBM as a density model: exact and AIS log Z, score_samples, the sampler stream."""

import itertools
from functools import cache

import numpy as np
import pytest
from scipy import integrate
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skdbn import RBMTransformer
from skdbn._likelihood import (
    MAX_EXACT_UNITS,
    ais_betas,
    log_partition_ais,
    log_partition_exact,
)

# Fewer intermediate distributions than the default 14,500 keep tests fast; on
# these small models they are already accurate to a few hundredths of a nat.
N_BETAS = 1000


@cache
def _digits():
    return load_digits().data


def binary_digits(n=300):
    return (_digits()[:n] > 8).astype(np.float64)


def standardized_digits(n=300):
    return StandardScaler().fit_transform(_digits()[:n])


def random_rbm(n_hidden, n_visible, seed, scale=0.3):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0, scale, (n_hidden, n_visible)),
        rng.normal(0, 1, n_visible),
        rng.normal(0, 1, n_hidden),
    )


def trained_rbm(visible, seed, n_components=16):
    if visible == "bernoulli":
        X, lr = binary_digits(), 0.1
    else:
        X, lr = standardized_digits(), 0.01
    rbm = RBMTransformer(
        n_components=n_components, n_iter=20, learning_rate=lr, visible=visible,
        random_state=seed,
    ).fit(X)
    return rbm, X


def params_of(rbm):
    return rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_


# ------------------------------------------------------------- exact log Z


def _brute_force_log_z(W, b, c):
    """``log sum_{v, h} exp(b.v + c.h + v W^T h)`` over every joint state."""
    all_v = np.array(list(itertools.product([0.0, 1.0], repeat=W.shape[1])))
    all_h = np.array(list(itertools.product([0.0, 1.0], repeat=W.shape[0])))
    return logsumexp((all_v @ b)[:, None] + (all_h @ c)[None, :] + all_v @ W.T @ all_h.T)


@pytest.mark.parametrize("n_hidden, n_visible", [(3, 7), (7, 3), (5, 5)])
def test_exact_bernoulli_equals_the_sum_over_all_joint_states(n_hidden, n_visible):
    W, b, c = random_rbm(n_hidden, n_visible, seed=n_hidden, scale=1.0)
    assert log_partition_exact(W, b, c) == pytest.approx(_brute_force_log_z(W, b, c), rel=1e-12)


def test_exact_gaussian_equals_numerical_integration():
    # One visible unit: Z = integral over x of sum_h exp(-E(x, h)).
    W, b, c = random_rbm(3, 1, seed=0, scale=1.0)
    all_h = np.array(list(itertools.product([0.0, 1.0], repeat=3)))

    def unnormalised(x):
        return np.exp(-0.5 * (x - b[0]) ** 2 + all_h @ c + x * (all_h @ W[:, 0])).sum()

    z, _ = integrate.quad(unnormalised, -30, 30, limit=200)
    assert log_partition_exact(W, b, c, visible="gaussian") == pytest.approx(np.log(z), rel=1e-9)


def test_exact_is_chunked_and_refuses_too_many_units():
    # 2**16 hidden states against 300 visible units take several chunks of
    # 2**22 // 300 states. Hidden units without weights multiply Z by 1 + e^c.
    W, b, c = random_rbm(16, 300, seed=1, scale=0.05)
    W[8:] = 0
    expected = log_partition_exact(W[:8], b, c[:8]) + np.logaddexp(0, c[8:]).sum()
    assert log_partition_exact(W, b, c) == pytest.approx(expected, rel=1e-12)
    W, b, c = random_rbm(MAX_EXACT_UNITS + 1, MAX_EXACT_UNITS + 1, seed=0)
    with pytest.raises(ValueError, match="at most 20"):
        log_partition_exact(W, b, c)


# ---------------------------------------------------------------- AIS


def test_default_schedule_is_salakhutdinov_murrays():
    betas = ais_betas()
    assert len(betas) == 14_501 and betas[0] == 0 and betas[-1] == 1
    steps = np.diff(betas)
    np.testing.assert_allclose(steps[:500], 1e-3)
    np.testing.assert_allclose(steps[500:4500], 1e-4)
    np.testing.assert_allclose(steps[4500:], 1e-5)
    short = ais_betas(100)
    assert len(short) == 101 and (np.diff(short) > 0).all() and short[-1] == 1
    with pytest.raises(ValueError, match="betas"):
        log_partition_ais(*random_rbm(2, 3, 0), betas=np.array([0.0, 0.7, 0.5, 1.0]))


def _check_ais(W, b, c, visible, base, dtype, seed=0):
    exact = log_partition_exact(W, b, c, visible=visible)
    log_z, (low, high) = log_partition_ais(
        W.astype(dtype), b.astype(dtype), c.astype(dtype), visible=visible,
        base_visible_bias=base, betas=ais_betas(N_BETAS),
        random_state=np.random.default_rng(seed),
    )
    assert abs(log_z - exact) <= 0.01 * abs(exact)
    assert low <= exact <= high
    return log_z, (low, high), exact


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ais_matches_exact_on_random_models(visible, dtype, seed):
    W, b, c = random_rbm(12, 40, seed, scale=0.3 if visible == "bernoulli" else 0.15)
    _check_ais(W, b, c, visible, None, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("seed", [0, 1])
def test_ais_matches_exact_on_trained_models(visible, dtype, seed):
    rbm, _ = trained_rbm(visible, seed)
    _check_ais(*params_of(rbm), visible, rbm._base_visible_bias, dtype)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_two_ais_seeds_agree_within_their_intervals(visible):
    rbm, _ = trained_rbm(visible, seed=0)
    first = _check_ais(*params_of(rbm), visible, rbm._base_visible_bias, np.float64, seed=1)
    second = _check_ais(*params_of(rbm), visible, rbm._base_visible_bias, np.float64, seed=2)
    assert first[0] != second[0]
    # Each interval holds 3 standard errors, so the two overlap.
    assert max(first[1][0], second[1][0]) <= min(first[1][1], second[1][1])
    assert abs(first[0] - second[0]) < 0.1


def test_base_rate_model_beats_a_uniform_start():
    # The base-rate model starts the runs near the data: a narrower interval.
    rbm, _ = trained_rbm("bernoulli", seed=0)
    widths = []
    for base in (rbm._base_visible_bias, None):
        _, (low, high) = log_partition_ais(
            *params_of(rbm), base_visible_bias=base, betas=ais_betas(200),
            random_state=np.random.default_rng(0),
        )
        widths.append(high - low)
    assert widths[0] < widths[1]


# ------------------------------------------------------------ estimator


def test_score_samples_is_a_normalised_log_probability():
    # 6 binary features: the probabilities of all 64 vectors sum to 1.
    X = binary_digits()[:, [20, 21, 27, 28, 35, 36]]
    rbm = RBMTransformer(n_components=30, n_iter=5, random_state=0).fit(X)
    all_v = np.array(list(itertools.product([0.0, 1.0], repeat=6)))
    assert logsumexp(rbm.score_samples(all_v)) == pytest.approx(0, abs=1e-10)
    assert rbm.log_partition_interval_ == (rbm.log_partition_, rbm.log_partition_)
    assert rbm.score(X) == pytest.approx(rbm.score_samples(X).mean(), rel=1e-12)


def test_gaussian_density_is_in_input_units():
    # One Gaussian feature: exp(score_samples) integrates to 1 over X itself.
    X = standardized_digits()[:, [43]] * 5.0 + 3.0
    rbm = RBMTransformer(n_components=4, n_iter=5, learning_rate=0.01, random_state=0).fit(X)
    assert rbm.visible_ == "gaussian"
    total, _ = integrate.quad(
        lambda v: np.exp(rbm.score_samples([[v]])[0]), -80, 80, limit=200
    )
    assert total == pytest.approx(1, abs=1e-6)
    # The same data in twice the units: the same model, densities halved per feature.
    doubled = RBMTransformer(n_components=4, n_iter=5, learning_rate=0.01, random_state=0)
    doubled.fit(2 * X)
    np.testing.assert_allclose(
        doubled.score_samples(2 * X), rbm.score_samples(X) - np.log(2), rtol=1e-10
    )


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_large_models_use_ais_reproducibly_and_cache_it(visible):
    X = binary_digits() if visible == "bernoulli" else standardized_digits()
    params = dict(
        n_components=24, n_iter=3, learning_rate=0.05 if visible == "bernoulli" else 0.01,
        n_ais_runs=20, n_ais_betas=200, random_state=0,
    )
    rbm = RBMTransformer(**params).fit(X)
    log_z = rbm.log_partition_
    low, high = rbm.log_partition_interval_
    assert low < log_z < high  # an estimate, with its uncertainty
    assert RBMTransformer(**params).fit(X).log_partition_ == log_z  # same random_state
    scores = rbm.score_samples(X[:50])
    rbm.gibbs(X[:5])  # the sampling stream does not touch the AIS one
    np.testing.assert_array_equal(rbm.score_samples(X[:50]), scores)
    assert rbm.log_partition_ is log_z  # cached
    rbm.set_params(n_ais_betas=400)
    assert rbm.log_partition_ != log_z  # another setting, another estimate
    rbm.set_params(n_ais_betas=200)
    assert rbm.log_partition_ is log_z
    rbm.partial_fit(X)
    assert rbm.log_partition_ != log_z  # new parameters invalidate the cache


def test_score_samples_lower_for_rows_unlike_the_training_data():
    X = binary_digits()
    rbm = RBMTransformer(n_components=16, n_iter=10, random_state=0).fit(X)
    rng = np.random.default_rng(0)
    shuffled = rng.permuted(X, axis=1)  # each row's pixels in a random order
    inverted = 1 - X
    train = rbm.score_samples(X)
    assert train.max() < 0
    assert np.median(train) > np.percentile(rbm.score_samples(shuffled), 99)
    assert rbm.score(X) > rbm.score(inverted) + 50


def test_bad_ais_settings_are_rejected():
    with pytest.raises(ValueError, match="n_ais_runs"):
        RBMTransformer(n_ais_runs=0).fit(binary_digits(20))


# -------------------------------------------------------- sampler stream


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_gibbs_and_sample_continue_a_reproducible_stream(visible):
    rbm, X = trained_rbm(visible, seed=0, n_components=8)
    before = [a.copy() for a in params_of(rbm)]
    log_z = rbm.log_partition_
    sequence = [rbm.gibbs(X[:20]), rbm.gibbs(X[:20]), rbm.sample(5, n_steps=3),
                rbm.sample(5, n_steps=3)]
    assert not np.array_equal(sequence[0], sequence[1])
    assert not np.array_equal(sequence[2], sequence[3])
    for array, saved in zip(params_of(rbm), before):
        np.testing.assert_array_equal(array, saved)  # sampling learns nothing
    assert rbm.log_partition_ == log_z
    # Refitting with the same random_state starts the same sequence again.
    refit, _ = trained_rbm(visible, seed=0, n_components=8)
    again = [refit.gibbs(X[:20]), refit.gibbs(X[:20]), refit.sample(5, n_steps=3),
             refit.sample(5, n_steps=3)]
    for first, second in zip(sequence, again):
        np.testing.assert_array_equal(first, second)
    # An explicit random_state seeds that call alone and leaves the stream be.
    np.testing.assert_array_equal(
        rbm.gibbs(X[:20], random_state=4), rbm.gibbs(X[:20], random_state=4)
    )
    refit.gibbs(X[:20], random_state=4)
    np.testing.assert_array_equal(rbm.gibbs(X[:20]), refit.gibbs(X[:20]))
