"""The optimizers' updates and the gradient norms they report on the way."""

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skdbn._optim import SGD, Adam, momentum_step


def _problem(dtype, seed=0):
    """Parameters and two rounds of gradients."""
    rng = np.random.default_rng(seed)
    shapes = [(300, 700), (700,), (5, 3)]
    params = [rng.normal(size=s).astype(dtype) for s in shapes]
    rounds = [[rng.normal(size=s).astype(dtype) for s in shapes] for _ in range(2)]
    return params, rounds


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", ["adam", "sgd", "nesterov"])
def test_updates_match_scikit_learn_and_report_squared_norms(make, dtype):
    params, rounds = _problem(dtype)
    reference = [p.astype(np.float64) for p in params]
    if make == "adam":
        ours = Adam(params, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
        theirs = AdamOptimizer(reference, learning_rate_init=0.01)
    else:
        nesterov = make == "nesterov"
        ours = SGD(params, momentum=0.9, nesterov=nesterov)
        theirs = SGDOptimizer(reference, learning_rate_init=0.01, momentum=0.9,
                              nesterov=nesterov)
    for grads in rounds:
        expected_norms = [float(np.vdot(g, g)) for g in grads]
        theirs.update_params(reference, [g.astype(np.float64) for g in grads])
        norms = ours.step([g.copy() for g in grads], 0.01)
        np.testing.assert_allclose(norms, expected_norms, rtol=1e-5)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    for p, r in zip(params, reference):
        assert p.dtype == dtype
        np.testing.assert_allclose(p, r, rtol=rtol, atol=rtol)


def test_non_contiguous_arrays_are_updated_in_place():
    base = np.zeros((4, 6))
    param = base[:, ::2]  # a strided view: not split into blocks
    norms = SGD([param], momentum=0.0, nesterov=False).step([np.full((4, 3), 2.0)], 0.5)
    assert norms == [48.0]
    assert np.all(base[:, ::2] == -1) and np.all(base[:, 1::2] == 0)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_step_is_the_classic_recursion(nesterov):
    rng = np.random.default_rng(0)
    param, velocity = rng.normal(size=5), rng.normal(size=5)
    increment = rng.normal(size=5)
    expected_v = 0.9 * velocity + increment
    expected_p = param + (0.9 * expected_v + increment if nesterov else expected_v)
    momentum_step(param, velocity, increment.copy(), 0.9, nesterov)
    np.testing.assert_allclose(velocity, expected_v)
    np.testing.assert_allclose(param, expected_p)
