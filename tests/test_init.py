"""Tests of the weight initializers and of the random-generator helper."""

import numpy as np
import pytest
from scipy import stats

import skdbn
from skdbn import INITIALIZERS, he_normal, random_normal, xavier_uniform, zero
from skdbn._init import initial_weights, make_generator


def rng(seed=0):
    return np.random.default_rng(seed)


def test_registry_maps_the_documented_names():
    assert INITIALIZERS == {
        "xavier": xavier_uniform,
        "he": he_normal,
        "zero": zero,
        "random": random_normal,
    }
    for name in ("xavier_uniform", "he_normal", "zero", "random_normal"):
        assert name in skdbn.__all__
    assert "INITIALIZERS" in skdbn.__all__


@pytest.mark.parametrize("fan_in, fan_out", [(300, 200), (50, 1000)])
def test_xavier_uniform_distribution(fan_in, fan_out):
    W = xavier_uniform(fan_in, fan_out, rng())
    assert W.shape == (fan_in, fan_out)
    bound = np.sqrt(6 / (fan_in + fan_out))
    assert np.abs(W).max() <= bound
    assert W.min() < -0.99 * bound and W.max() > 0.99 * bound
    assert stats.kstest(W.ravel(), stats.uniform(-bound, 2 * bound).cdf).pvalue > 0.01
    assert W.var() == pytest.approx(bound**2 / 3, rel=0.02)


@pytest.mark.parametrize("fan_in, fan_out", [(300, 200), (50, 1000)])
def test_he_normal_distribution(fan_in, fan_out):
    W = he_normal(fan_in, fan_out, rng())
    assert W.shape == (fan_in, fan_out)
    std = np.sqrt(2 / fan_in)  # depends on fan_in only
    assert W.var() == pytest.approx(2 / fan_in, rel=0.02)
    assert abs(W.mean()) < 4 * std / np.sqrt(W.size)
    assert stats.kstest(W.ravel(), stats.norm(0, std).cdf).pvalue > 0.01


@pytest.mark.parametrize("scale", [0.01, 0.5])
def test_random_normal_distribution(scale):
    W = random_normal(400, 300, rng(), scale=scale)
    assert W.shape == (400, 300)
    assert W.std() == pytest.approx(scale, rel=0.01)
    assert stats.kstest(W.ravel(), stats.norm(0, scale).cdf).pvalue > 0.01
    assert random_normal(400, 300, rng()).std() == pytest.approx(0.01, rel=0.01)


def test_zero():
    W = zero(3, 4)
    assert W.shape == (3, 4)
    assert not W.any()
    assert zero(3, 4, rng(), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("init", [xavier_uniform, he_normal, random_normal, zero])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initializers_keep_dtype_and_reproduce(init, dtype):
    a = init(20, 10, rng(1), dtype=dtype)
    assert a.dtype == dtype
    np.testing.assert_array_equal(a, init(20, 10, rng(1), dtype=dtype))
    if init is not zero:
        assert not np.array_equal(a, init(20, 10, rng(2), dtype=dtype))


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initial_weights_by_name(name, dtype):
    W = initial_weights(name, 30, 20, rng(), init_scale=0.2, dtype=dtype)
    assert W.shape == (30, 20)
    assert W.dtype == dtype
    assert W.flags.c_contiguous
    if name == "random":
        expected = random_normal(30, 20, rng(), scale=0.2, dtype=dtype)
    else:
        expected = INITIALIZERS[name](30, 20, rng(), dtype=dtype)
    np.testing.assert_array_equal(W, expected)


def test_initial_weights_callable():
    seen = []

    def init(fan_in, fan_out, random_state):
        seen.append((fan_in, fan_out, random_state))
        return np.asfortranarray(np.ones((fan_in, fan_out)) * 0.5)

    generator = rng()
    W = initial_weights(init, 4, 3, generator, init_scale=0.01, dtype=np.float32)
    assert seen == [(4, 3, generator)]
    assert W.dtype == np.float32 and W.flags.c_contiguous
    np.testing.assert_array_equal(W, np.full((4, 3), 0.5))
    # A nested list is accepted too.
    W = initial_weights(
        lambda i, o, r: [[1, 2, 3]] * i, 2, 3, rng(), init_scale=0.01, dtype=np.float64
    )
    np.testing.assert_array_equal(W, [[1, 2, 3], [1, 2, 3]])


@pytest.mark.parametrize("shape", [(3, 4), (4,), (4, 3, 1), ()])
def test_initial_weights_callable_wrong_shape(shape):
    with pytest.raises(ValueError, match=r"shape.*expected.*\(4, 3\)"):
        initial_weights(
            lambda i, o, r: np.zeros(shape), 4, 3, rng(), init_scale=0.01,
            dtype=np.float64,
        )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_initial_weights_callable_non_finite(bad):
    def init(fan_in, fan_out, random_state):
        W = np.zeros((fan_in, fan_out))
        W[1, 2] = bad
        return W

    with pytest.raises(ValueError, match="non-finite"):
        initial_weights(init, 4, 3, rng(), init_scale=0.01, dtype=np.float64)


def test_make_generator():
    assert make_generator(5).random() == make_generator(5).random()
    assert make_generator(5).random() != make_generator(6).random()
    g = rng()
    assert make_generator(g) is g
    assert isinstance(make_generator(None), np.random.Generator)
    # A RandomState instance is drawn from: reproducible, yet advancing.
    first = make_generator(np.random.RandomState(0)).random()
    assert first == make_generator(np.random.RandomState(0)).random()
    state = np.random.RandomState(0)
    assert make_generator(state).random() != make_generator(state).random()
    with pytest.raises(ValueError, match="cannot be used to seed"):
        make_generator("seed")
