"""Behaviour tests of DBNRegressor: the identity output and squared error, targets, API."""

import pickle
import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from skdbn import DBNRegressor, RBMTransformer
from skdbn._network import FeedForward, squared_error


def _quiet_fit(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("weighted", [False, True])
def test_squared_error_backprop_matches_finite_differences(activation, weighted):
    rng = np.random.default_rng(0)
    sizes = (5, 4, 2)
    coefs = [rng.normal(0, 0.7, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    intercepts = [rng.normal(0, 0.3, b) for b in sizes[1:]]
    net = FeedForward(coefs, intercepts, activation, alpha=0.3, batch_size=8,
                      out_activation="identity")
    X, Y = rng.normal(size=(8, 5)), rng.normal(size=(8, 2))
    sw = rng.uniform(0.5, 2.0, 8) if weighted else None
    net.gradients(X, Y, sw)
    eps = 1e-6
    for param, grad in zip(net.coefs + net.intercepts, net.coef_grads + net.intercept_grads):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            up = squared_error(net.predict(X), Y, sw, net.coefs, 0.3)
            param[index] = saved - eps
            down = squared_error(net.predict(X), Y, sw, net.coefs, 0.3)
            param[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_squared_error_by_hand():
    output, Y = np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])
    W = np.array([[2.0]])
    # rows: (1 + 4) / 2 and (1 + 1) / 2; weights 3 and 1; penalty 0.5 * 0.1 * 4
    expected = (3 * 2.5 + 1 * 1.0 + 0.2) / 4
    assert squared_error(output, Y, np.array([3.0, 1.0]), [W], 0.1) == pytest.approx(expected)


def test_prediction_is_the_identity_output_of_the_network(diabetes):
    X, y = diabetes
    reg = _quiet_fit(DBNRegressor((8,), activation="logistic", max_iter=5, random_state=0), X, y)
    expected = expit(X @ reg.coefs_[0] + reg.intercepts_[0]) @ reg.coefs_[1] + reg.intercepts_[1]
    np.testing.assert_allclose(reg.predict(X), expected.ravel(), rtol=1e-10)
    assert reg.out_activation_ == "identity" and reg.n_outputs_ == 1
    # The first epoch's loss at a vanishing step is the documented loss.
    tiny = _quiet_fit(DBNRegressor((8,), pretrain=False, alpha=0.1, max_iter=1,
                                   batch_size=len(y), learning_rate_init=1e-12,
                                   shuffle=False, random_state=0), X, y)
    loss = squared_error(tiny.predict(X)[:, None], y[:, None], None, tiny.coefs_, 0.1)
    assert tiny.loss_curve_[0] == pytest.approx(loss, rel=1e-6)


def test_learns_a_smooth_function_as_well_as_mlp_regressor():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    params = dict(hidden_layer_sizes=(32,), activation="logistic", max_iter=300,
                  learning_rate_init=1e-2, random_state=0)
    mlp = _quiet_fit(MLPRegressor(**params), X, y).score(X, y)
    assert mlp > 0.5
    for pretrain in (True, False):
        reg = _quiet_fit(DBNRegressor(pretrain=pretrain, **params), X, y)
        assert reg.score(X, y) > mlp - 0.02, pretrain
        assert reg.rbms_[0].visible_ == "gaussian" if pretrain else reg.rbms_ == []


@pytest.mark.parametrize("activation, slope", [("relu", 0.25), ("tanh", 1.0)])
def test_hidden_layers_start_from_the_rbms_scaled_by_the_relu_slope(diabetes, activation, slope):
    # Before fine-tuning a logistic network computes the RBMs' transform
    # exactly; a ReLU layer takes the same weights and biases times 1/4, the
    # logistic's slope at 0, so that relu(z / 4) follows sigmoid(z) - 1/2.
    X, y = diabetes
    params = dict(hidden_layer_sizes=(12, 6), max_iter=1, learning_rate_init=1e-12,
                  random_state=0)
    logistic = _quiet_fit(DBNRegressor(activation="logistic", **params), X, y)
    np.testing.assert_allclose(expit(X @ logistic.coefs_[0] + logistic.intercepts_[0]),
                               logistic.rbms_[0].transform(X), rtol=1e-6)
    other = _quiet_fit(DBNRegressor(activation=activation, **params), X, y)
    for layer in range(2):
        # the same RBMs, left unscaled
        np.testing.assert_array_equal(other.rbms_[layer].components_,
                                      logistic.rbms_[layer].components_)
        np.testing.assert_allclose(other.coefs_[layer], slope * logistic.coefs_[layer],
                                   rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(other.intercepts_[layer],
                                   slope * logistic.intercepts_[layer], rtol=1e-6, atol=1e-12)


def test_output_starts_at_the_weighted_mean_of_the_targets():
    # With zero weights the hidden layers output 0, so the prediction is the
    # output bias: the weighted mean, the best constant, not 0.
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(50, 3)), rng.normal([100.0, -5.0], 1.0, size=(50, 2))
    weight = rng.integers(0, 3, 50).astype(float)
    reg = _quiet_fit(DBNRegressor((4,), init="zero", pretrain=False, max_iter=1,
                                  learning_rate_init=1e-12), X, Y, sample_weight=weight)
    np.testing.assert_allclose(reg.predict(X[:2]), [np.average(Y, axis=0, weights=weight)] * 2)
    repeated = _quiet_fit(DBNRegressor((4,), init="zero", pretrain=False, max_iter=1,
                                       learning_rate_init=1e-12),
                          np.repeat(X, weight.astype(int), axis=0),
                          np.repeat(Y, weight.astype(int), axis=0))
    np.testing.assert_allclose(repeated.intercepts_[-1], reg.intercepts_[-1])


def test_multi_output_targets():
    X, Y = make_regression(300, n_features=6, n_targets=3, noise=1.0, random_state=0)
    X, Y = StandardScaler().fit_transform(X), StandardScaler().fit_transform(Y)
    reg = _quiet_fit(DBNRegressor((32,), max_iter=200, learning_rate_init=1e-2,
                                  random_state=0), X, Y)
    assert reg.n_outputs_ == 3 and reg.predict(X).shape == (300, 3)
    assert min(r2_score(Y, reg.predict(X), multioutput="raw_values")) > 0.9
    # A single target column predicts a 1-D array, as MLPRegressor.
    assert _quiet_fit(DBNRegressor((4,), max_iter=2), X, Y[:, :1]).predict(X).shape == (300,)
    with pytest.raises(ValueError, match="target columns"):
        reg.partial_fit(X, Y[:, :2])


def test_early_stopping_scores_r2_and_keeps_the_best(diabetes):
    X, y = diabetes
    reg = _quiet_fit(DBNRegressor((16,), early_stopping=True, max_iter=60,
                                  random_state=0), X, y)
    assert reg.best_loss_ is None
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert 0.2 < reg.best_validation_score_ <= 1


def test_partial_fit_warm_start_and_pickle(diabetes):
    X, y = diabetes
    reg = DBNRegressor((8,), rbm=RBMTransformer(n_iter=2), random_state=0)
    for _ in range(3):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 3 and len(reg.rbms_) == 1
    warm = _quiet_fit(DBNRegressor((8,), max_iter=3, warm_start=True, random_state=0), X, y)
    rbm = warm.rbms_[0]
    _quiet_fit(warm, X, y)
    assert warm.n_iter_ == 6 and warm.rbms_[0] is rbm  # no second pretraining
    restored = pickle.loads(pickle.dumps(warm))
    np.testing.assert_array_equal(restored.predict(X), warm.predict(X))


def test_float32_is_kept(diabetes):
    X, y = diabetes
    reg = _quiet_fit(DBNRegressor((8,), max_iter=3, random_state=0), X.astype(np.float32), y)
    assert reg.coefs_[0].dtype == np.float32
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
