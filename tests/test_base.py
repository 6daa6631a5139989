"""Tests of the activations, losses and sampling functions of ``skdbn._base``."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, xlogy
from scipy.special import softmax as scipy_softmax

from skdbn._base import (
    ACTIVATIONS,
    DERIVATIVES,
    logistic,
    logistic_derivative,
    relu,
    relu_derivative,
    sample_bernoulli,
    sample_gaussian,
    softmax,
    softplus,
    tanh,
    tanh_derivative,
)

DTYPES = [np.float32, np.float64]


def grid(dtype=np.float64):
    """Pre-activations from -40 to 40, including 0 and the extremes."""
    return np.concatenate([np.linspace(-40, 40, 801), [-1e4, 1e4, 0.0]]).astype(dtype)


# ---------------------------------------------------------------- activations


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_matches_expit(dtype):
    x = grid(dtype)
    y = logistic(x)
    assert y.dtype == dtype and y.shape == x.shape
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y, expit(x.astype(np.float64)), rtol=0, atol=tolerance)
    assert ((0 <= y) & (y <= 1)).all()
    assert y[-1] == 0.5
    np.testing.assert_array_equal(x, grid(dtype))  # input untouched without out


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_in_place(dtype):
    x = grid(dtype).reshape(-1, 4)
    expected = logistic(x.copy())
    result = logistic(x, out=x)
    assert result is x
    np.testing.assert_array_equal(x, expected)
    # On a non-contiguous view, only that view is overwritten.
    z = np.zeros((6, 4), dtype=dtype)
    logistic(z[:, ::2], out=z[:, ::2])
    np.testing.assert_array_equal(z[:, ::2], 0.5)
    np.testing.assert_array_equal(z[:, 1::2], 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_relu(dtype):
    x = grid(dtype)
    np.testing.assert_allclose(tanh(x), np.tanh(x), rtol=1e-6)
    np.testing.assert_array_equal(relu(x), np.where(x > 0, x, 0))
    assert tanh(x).dtype == relu(x).dtype == dtype
    y = x.copy()
    assert relu(y, out=y) is y and (y >= 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax(dtype):
    x = np.random.default_rng(0).normal(scale=5, size=(20, 7)).astype(dtype)
    x[0] = [1000, 999, -1000, 0, 0, 0, 0]  # would overflow without the shift
    p = softmax(x.copy())
    assert p.dtype == dtype
    expected = scipy_softmax(x.astype(np.float64), axis=1)
    np.testing.assert_allclose(p, expected, atol=1e-6)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)


def test_registries_are_consistent():
    assert set(ACTIVATIONS) == set(DERIVATIVES) == {"logistic", "tanh", "relu"}
    assert ACTIVATIONS["logistic"] is logistic
    assert DERIVATIVES["relu"] is relu_derivative


@pytest.mark.parametrize("name", ["logistic", "tanh", "relu"])
def test_derivatives_match_finite_differences(name):
    z = np.linspace(-4, 4, 41)
    z = z[np.abs(z) > 0.05]  # away from the ReLU kink
    eps = 1e-6
    numeric = (ACTIVATIONS[name](z + eps) - ACTIVATIONS[name](z - eps)) / (2 * eps)
    delta = np.full_like(z, 3.0)
    result = DERIVATIVES[name](ACTIVATIONS[name](z), delta)
    assert result is delta  # in place
    np.testing.assert_allclose(result, 3.0 * numeric, rtol=1e-6, atol=1e-9)


def test_derivatives_by_hand():
    a = np.array([0.0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(logistic_derivative(a, np.ones(4)), a * (1 - a))
    np.testing.assert_allclose(tanh_derivative(a, np.ones(4)), 1 - a**2)
    np.testing.assert_array_equal(
        relu_derivative(np.array([0.0, 2.0, 0.0]), np.array([5.0, 6.0, 7.0])),
        [0.0, 6.0, 0.0],
    )


# --------------------------------------------------------------- losses


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus(dtype):
    x = grid(dtype)
    y = softplus(x)
    assert y.dtype == dtype
    assert np.isfinite(y).all() and (y >= 0).all()
    expected = np.log1p(np.exp(np.clip(x.astype(np.float64), None, 700)))
    expected[x > 700] = x[x > 700]
    np.testing.assert_allclose(y, expected, rtol=1e-6)


def test_cross_entropy_loss():
    # The loss the DBN minimises (it lives in skdbn._network with the network).
    from skdbn._network import cross_entropy

    y = np.eye(3)[[0, 1, 2, 1]]
    proba = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.0, 0.5]]
    )
    per_row = -np.log(np.clip(proba[np.arange(4), [0, 1, 2, 1]], 1e-300, 1))
    assert np.isfinite(cross_entropy(proba, y, None, [], 0.0))  # zero is clipped
    np.testing.assert_allclose(cross_entropy(proba[:3], y[:3], None, [], 0.0),
                               per_row[:3].mean())
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        cross_entropy(proba[:3], y[:3], w, [], 0.0), np.average(per_row[:3], weights=w)
    )
    np.testing.assert_allclose(
        cross_entropy(proba[:3], y[:3], None, [], 0.0), -xlogy(y[:3], proba[:3]).sum() / 3
    )
    W = np.array([[1.0, -2.0]])
    penalty = 0.5 * 0.3 * 5.0 / 3  # alpha / 2 * ||W||^2 / total weight
    np.testing.assert_allclose(
        cross_entropy(proba[:3], y[:3], None, [W], 0.3), per_row[:3].mean() + penalty
    )


# --------------------------------------------------------------- sampling


@pytest.mark.parametrize("dtype", DTYPES)
def test_sample_bernoulli_frequencies(dtype):
    p = np.linspace(0, 1, 11).astype(dtype)
    n = 20000
    proba = np.tile(p, (n, 1))
    states = sample_bernoulli(proba, np.random.default_rng(0))
    assert states.dtype == dtype and states.shape == proba.shape
    assert set(np.unique(states)) <= {0.0, 1.0}
    np.testing.assert_array_equal(proba, np.tile(p, (n, 1)))  # input untouched
    assert not states[:, 0].any()  # p = 0 never fires
    assert states[:, -1].all()  # p = 1 always fires
    frequency = states.mean(axis=0)
    sigma = np.sqrt(p * (1 - p) / n) + 1e-12
    assert (np.abs(frequency - p) < 4 * sigma + 1e-4).all(), frequency
    # Columns are independent: the correlation of two p = 0.5 columns is tiny.
    assert abs(np.corrcoef(states[:, 5], states[:, 4])[0, 1]) < 0.05


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4), (1, 1), (1001,)])
def test_sample_bernoulli_shapes_and_in_place(shape):
    proba = np.random.default_rng(1).random(shape)
    out = proba.copy()
    result = sample_bernoulli(out, np.random.default_rng(2), out=out)
    assert result is out and result.shape == shape
    np.testing.assert_array_equal(
        result, sample_bernoulli(proba, np.random.default_rng(2))
    )
    assert set(np.unique(result)) <= {0.0, 1.0}


def test_sample_bernoulli_reproducible_and_advancing():
    proba = np.full((50, 40), 0.5)
    a = sample_bernoulli(proba, np.random.default_rng(3))
    np.testing.assert_array_equal(a, sample_bernoulli(proba, np.random.default_rng(3)))
    g = np.random.default_rng(3)
    first, second = sample_bernoulli(proba, g), sample_bernoulli(proba, g)
    assert not np.array_equal(first, second)


def test_sample_bernoulli_follows_the_probability_per_element():
    # Each element fires with its own probability, not a shared one.
    rng = np.random.default_rng(4)
    proba = rng.random((400, 300))
    states = sample_bernoulli(proba, rng)
    fired, silent = proba[states == 1], proba[states == 0]
    # For p ~ U(0, 1): E[p | fired] = 2/3 and E[p | silent] = 1/3.
    assert fired.mean() == pytest.approx(2 / 3, abs=0.01)
    assert silent.mean() == pytest.approx(1 / 3, abs=0.01)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sample_gaussian(dtype):
    mean = np.tile(np.array([-2.0, 0.0, 5.0], dtype=dtype), (20000, 1))
    x = sample_gaussian(mean, np.random.default_rng(0))
    assert x.dtype == dtype and x.shape == mean.shape
    np.testing.assert_allclose(x.mean(axis=0), [-2, 0, 5], atol=0.04)
    np.testing.assert_allclose(x.std(axis=0), 1, atol=0.02)
    assert stats.kstest(x[:, 1], "norm").pvalue > 0.01
    assert mean[0, 2] == 5  # input untouched without out
    out = mean.copy()
    assert sample_gaussian(out, np.random.default_rng(0), out=out) is out
    np.testing.assert_array_equal(out, x)
