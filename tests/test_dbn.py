"""Behaviour tests of DBNClassifier: the math, init strategies, API and failure modes."""

import pickle
import warnings

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdbn import DBNClassifier, RBMTransformer
from skdbn._network import FeedForward, cross_entropy


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def digits_small(digits):
    X, y = digits
    return X[:500], y[:500]


def _quiet_fit(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


# ---------------------------------------------------------------- gradients


def _network(activation, alpha, rng, sizes=(5, 4, 3, 3)):
    coefs = [rng.normal(0, 0.7, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    intercepts = [rng.normal(0, 0.3, b) for b in sizes[1:]]
    return FeedForward(coefs, intercepts, activation, alpha=alpha, batch_size=8)


def _assert_matches_finite_differences(net, loss, analytic, eps=1e-6):
    """Central differences of ``loss()`` in every weight and bias vs ``analytic``."""
    for param, grad in zip(net.coefs + net.intercepts, analytic):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            up = loss()
            param[index] = saved - eps
            down = loss()
            param[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_backprop_matches_finite_differences(activation, alpha, weighted):
    rng = np.random.default_rng(0)
    net = _network(activation, alpha, rng)
    X = rng.normal(size=(8, 5))
    Y = np.eye(3)[rng.integers(0, 3, 8)]
    sw = rng.uniform(0.5, 2.0, 8) if weighted else None

    def loss():
        return cross_entropy(net.predict(X), Y, sw, net.coefs, alpha)

    net.gradients(X, Y, sw)
    analytic = [g.copy() for g in net.coef_grads + net.intercept_grads]
    _assert_matches_finite_differences(net, loss, analytic)


@pytest.mark.parametrize("dropout, input_dropout", [(0.5, 0.0), (0.0, 0.4), (0.3, 0.2)])
def test_backprop_with_dropout_matches_finite_differences(dropout, input_dropout):
    # The same seed gives the same masks, so the loss under fixed masks is a
    # smooth function of the weights whose gradient backward must return.
    rng = np.random.default_rng(0)
    sizes = (6, 5, 4, 3)
    coefs = [rng.normal(0, 0.7, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    intercepts = [rng.normal(0, 0.3, b) for b in sizes[1:]]
    net = FeedForward(coefs, intercepts, "logistic", alpha=0.2, batch_size=8,
                      dropout=dropout, input_dropout=input_dropout)
    X = rng.normal(size=(8, 6))
    X_before = X.copy()
    Y = np.eye(3)[rng.integers(0, 3, 8)]
    sw = rng.uniform(0.5, 2.0, 8)

    def loss():
        acts = net.forward(X, random_state=np.random.default_rng(7))
        return cross_entropy(acts[-1], Y, sw, net.coefs, 0.2)

    net.gradients(X, Y, sw, random_state=np.random.default_rng(7))
    if input_dropout:
        assert 0 < np.mean(net._input_copy[:8] == 0) < 1  # some inputs dropped, not all
    np.testing.assert_array_equal(X, X_before)  # the caller's batch is untouched
    analytic = [g.copy() for g in net.coef_grads + net.intercept_grads]
    _assert_matches_finite_differences(net, loss, analytic)


def test_loss_curve_is_the_documented_loss_at_full_batch():
    # With one full batch and lr -> 0 the epoch loss equals cross_entropy at init.
    X, y = make_blobs(60, n_features=4, centers=3, random_state=0)
    clf = DBNClassifier(
        (5,), pretrain=False, alpha=0.1, max_iter=1, learning_rate_init=1e-12,
        shuffle=False, random_state=0,
    )
    _quiet_fit(clf, X, y)
    Y = np.eye(3)[y]
    expected = cross_entropy(clf.predict_proba(X), Y, None, clf.coefs_, 0.1)
    assert clf.loss_curve_[0] == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------- init


def _initial_network(init, X, y, **params):
    """Fit with a vanishing step so that coefs_ are the initial weights."""
    clf = DBNClassifier(
        (300, 200), init=init, pretrain=False, max_iter=1, learning_rate_init=1e-12,
        random_state=0, **params,
    )
    return _quiet_fit(clf, X, y)


def test_each_init_gives_the_documented_weights(digits):
    X, y = digits[0][:200], digits[1][:200]
    fans = [(64, 300), (300, 200), (200, 10)]
    xavier = _initial_network("xavier", X, y)
    for W, (fan_in, fan_out) in zip(xavier.coefs_, fans):
        bound = np.sqrt(6 / (fan_in + fan_out))
        assert np.abs(W).max() <= bound
        assert np.abs(W).max() > 0.95 * bound
        assert W.var() == pytest.approx(bound**2 / 3, rel=0.05)
    he = _initial_network("he", X, y)
    for W, (fan_in, _) in zip(he.coefs_, fans):
        assert W.mean() == pytest.approx(0, abs=0.01)
        assert W.var() == pytest.approx(2 / fan_in, rel=0.05)
    random = _initial_network("random", X, y, init_scale=0.05)
    for W in random.coefs_:
        assert W.std() == pytest.approx(0.05, rel=0.05)
    zero = _initial_network("zero", X, y)
    for W in zero.coefs_:
        assert np.abs(W).max() < 1e-9  # zero, up to one step of size 1e-12
    for clf in (xavier, he, random, zero):
        assert all(np.all(np.abs(b) < 1e-9) for b in clf.intercepts_)


def test_callable_init_is_used(digits_small):
    X, y = digits_small
    calls = []

    def constant(fan_in, fan_out, random_state):
        calls.append((fan_in, fan_out))
        return np.full((fan_in, fan_out), 0.01)

    clf = _quiet_fit(
        DBNClassifier((7,), init=constant, pretrain=False, max_iter=1,
                      learning_rate_init=1e-12, random_state=0), X, y,
    )
    assert calls == [(64, 7), (7, 10)]
    np.testing.assert_allclose(clf.coefs_[0], 0.01, atol=1e-9)


# --------------------------------------------------------- zero-init symmetry


def _columns_identical(W):
    return np.allclose(W, W[:, :1], atol=1e-10)


def test_zero_init_logistic_units_stay_identical(digits):
    X, y = digits
    clf = _quiet_fit(
        DBNClassifier((16, 16), init="zero", pretrain=False, max_iter=30, random_state=0),
        X, y,
    )
    assert _columns_identical(clf.coefs_[0])
    assert _columns_identical(clf.coefs_[1])
    assert np.allclose(clf.coefs_[1], clf.coefs_[1][:1, :])  # rows too
    assert not np.allclose(clf.coefs_[0], 0)  # they learn, but all alike


def test_zero_init_relu_gets_no_gradient(digits_small):
    X, y = digits_small
    clf = _quiet_fit(
        DBNClassifier((16, 16), init="zero", activation="relu", pretrain=False,
                      max_iter=10, random_state=0), X, y,
    )
    assert np.all(clf.coefs_[0] == 0) and np.all(clf.coefs_[1] == 0)
    assert np.all(clf.gradient_norms_[:, :2] == 0)
    assert np.all(clf.gradient_norms_[:, 2] == 0)  # output weights see zero inputs
    # Only the output biases learn: the prediction is one class for every row.
    assert np.unique(clf.predict(X)).size == 1


@pytest.fixture(scope="module")
def init_runs(digits):
    """Hold-out accuracy and fitted models for the init x pretrain settings."""
    X, y = digits
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    settings = {
        "xavier": dict(init="xavier", pretrain=False),
        "zero": dict(init="zero", pretrain=False),
        "zero+rbm(probabilities)": dict(
            init="zero", pretrain=True,
            rbm=RBMTransformer(n_iter=10, hidden_stats="probabilities"),
        ),
        "zero+default pretraining": dict(init="zero", pretrain=True),
        "zero+dropout": dict(init="zero", pretrain=False, dropout=0.2),
    }
    runs = {}
    for name, params in settings.items():
        clf = DBNClassifier((32,), max_iter=60, learning_rate_init=3e-3, random_state=0, **params)
        _quiet_fit(clf, Xtr, ytr)
        runs[name] = (clf, clf.score(Xte, yte))
    return runs


def test_zero_init_without_pretraining_is_far_below_xavier(init_runs):
    assert init_runs["zero"][1] < init_runs["xavier"][1] - 0.2


def test_pretraining_with_probabilities_keeps_zero_init_symmetric(init_runs):
    clf, score = init_runs["zero+rbm(probabilities)"]
    assert _columns_identical(clf.rbms_[0].components_.T)
    assert _columns_identical(clf.coefs_[0])
    assert score < init_runs["xavier"][1] - 0.2


def test_default_pretraining_breaks_zero_init_symmetry(init_runs):
    # rbm=None pretrains from sampled hidden states (issue 16 item 2).
    clf, score = init_runs["zero+default pretraining"]
    assert not _columns_identical(clf.rbms_[0].components_.T)
    assert not _columns_identical(clf.coefs_[0])
    assert score > init_runs["xavier"][1] - 0.05


def test_dropout_breaks_zero_init_symmetry(init_runs):
    # Each unit gets its own dropout mask, hence its own gradient.
    clf, score = init_runs["zero+dropout"]
    assert not _columns_identical(clf.coefs_[0])
    assert score > init_runs["zero"][1] + 0.2


def test_rbm_none_is_the_documented_template():
    """The call spelled out in the ``rbm`` docstring is the template that None uses."""
    from skdbn import DBNRegressor
    from skdbn._dbn_base import default_rbm

    for estimator in (DBNClassifier, DBNRegressor):
        doc = " ".join(estimator.__doc__.split())
        call = doc.split("None means ``", 1)[1].split("``", 1)[0]
        documented = eval(call, {"RBMTransformer": RBMTransformer})  # noqa: S307
        assert documented.get_params() == default_rbm().get_params(), estimator
    assert default_rbm().hidden_stats == "samples"


def test_large_random_init_saturates_logistic_units(digits):
    X, y = digits
    big = _initial_network("random", X, y, init_scale=5.0)
    hidden = X @ big.coefs_[0] + big.intercepts_[0]
    saturated = np.mean(np.abs(hidden) > 4.6)  # sigmoid < 0.01 or > 0.99
    assert saturated > 0.8
    small = _initial_network("xavier", X, y)
    hidden = X @ small.coefs_[0]
    assert np.mean(np.abs(hidden) > 4.6) < 0.05


# ---------------------------------------------------------------- pretraining


def test_pretrained_weights_are_copied_into_the_network(digits_small):
    X, y = digits_small
    clf = DBNClassifier(
        (20, 12), rbm=RBMTransformer(n_iter=3), max_iter=1, learning_rate_init=1e-12,
        random_state=0,
    )
    _quiet_fit(clf, X, y)
    assert len(clf.rbms_) == 2 and len(clf.pretraining_curves_) == 2
    for W, b, rbm in zip(clf.coefs_, clf.intercepts_, clf.rbms_):
        np.testing.assert_allclose(W, rbm.components_.T, atol=1e-9)
        np.testing.assert_allclose(b, rbm.intercept_hidden_, atol=1e-9)
    assert clf.rbms_[0].n_components == 20 and clf.rbms_[1].n_components == 12
    assert clf.rbms_[1].visible_ == "bernoulli"
    # The second RBM was trained on the first one's hidden probabilities.
    assert clf.rbms_[1].n_features_in_ == 20


class _RecordingRBM(RBMTransformer):
    """An RBMTransformer that records the calls to its public fit."""

    calls = []

    def fit(self, X, y=None, sample_weight=None):
        self.calls.append((X.shape, sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


def test_pretraining_goes_through_the_public_fit_with_sample_weight(digits_small):
    X, y = digits_small
    weight = np.arange(len(y)) % 3
    _RecordingRBM.calls.clear()
    clf = _quiet_fit(DBNClassifier((12, 6), rbm=_RecordingRBM(n_iter=1), max_iter=1),
                     X, y, sample_weight=weight)
    assert [shape for shape, _ in _RecordingRBM.calls] == [(500, 64), (500, 12)]
    for _, passed in _RecordingRBM.calls:
        np.testing.assert_array_equal(passed, weight)
    # The weights live in one layout: W^T is the network's C-ordered
    # (fan_in, fan_out) array, so the hand-off is a single division.
    assert all(rbm.components_.T.flags.c_contiguous for rbm in clf.rbms_)


@pytest.mark.parametrize("rbm", [make_pipeline(StandardScaler(), RBMTransformer()), "rbm"])
def test_rbm_that_is_not_an_rbm_transformer_is_rejected_at_fit(digits_small, rbm):
    X, y = digits_small
    clf = DBNClassifier((4,), rbm=rbm, max_iter=1)  # __init__ only stores it
    with pytest.raises(ValueError, match="'rbm' parameter.*RBMTransformer"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_rbm_template_settings_are_used_and_grid_searchable(digits_small):
    X, y = digits_small
    clf = DBNClassifier((10,), rbm=RBMTransformer(n_iter=2, learning_rate=0.05), max_iter=2)
    assert clf.get_params()["rbm__learning_rate"] == 0.05
    clf.set_params(rbm__n_iter=3)
    _quiet_fit(clf, X, y)
    assert clf.rbms_[0].n_iter_ == 3 and clf.rbms_[0].learning_rate_ == 0.05
    assert clf.rbm.n_iter == 3 and not hasattr(clf.rbm, "components_")


# ------------------------------------------------------------ reproducibility


def test_same_random_state_gives_identical_models(digits_small):
    X, y = digits_small
    params = dict(hidden_layer_sizes=(16,), rbm=RBMTransformer(n_iter=2), max_iter=5)
    a = _quiet_fit(DBNClassifier(random_state=3, **params), X, y)
    b = _quiet_fit(DBNClassifier(random_state=3, **params), X, y)
    c = _quiet_fit(DBNClassifier(random_state=4, **params), X, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(Wa, Wb)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_integer_sample_weight_equals_repeated_rows_full_batch():
    X, y = make_blobs(40, n_features=5, centers=3, random_state=1)
    sw = np.random.default_rng(0).integers(0, 4, len(y))
    params = dict(hidden_layer_sizes=(8,), pretrain=False, batch_size=200, max_iter=30,
                  random_state=0)
    weighted = _quiet_fit(DBNClassifier(**params), X, y, sample_weight=sw)
    repeated = _quiet_fit(DBNClassifier(**params), np.repeat(X, sw, 0), np.repeat(y, sw))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6)


def test_integer_sample_weight_matches_repeated_rows_statistically(digits):
    X, y = digits
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    sw = np.random.default_rng(0).integers(1, 3, len(ytr))
    params = dict(hidden_layer_sizes=(32,), rbm=RBMTransformer(n_iter=3), max_iter=40,
                  random_state=0)
    weighted = _quiet_fit(DBNClassifier(**params), Xtr, ytr, sample_weight=sw)
    repeated = _quiet_fit(DBNClassifier(**params), np.repeat(Xtr, sw, 0), np.repeat(ytr, sw))
    assert abs(weighted.score(Xte, yte) - repeated.score(Xte, yte)) < 0.03
    agreement = np.mean(weighted.predict(Xte) == repeated.predict(Xte))
    assert agreement > 0.93


def test_zero_sample_weight_ignores_rows():
    X, y = make_blobs(60, n_features=4, centers=3, random_state=2)
    sw = np.ones(len(y))
    sw[:20] = 0
    X_noise = X.copy()
    X_noise[:20] = 1e3  # garbage that must not matter
    params = dict(hidden_layer_sizes=(6,), pretrain=False, batch_size=200, max_iter=20,
                  random_state=0, shuffle=False)
    a = _quiet_fit(DBNClassifier(**params), X, y, sample_weight=sw)
    b = _quiet_fit(DBNClassifier(**params), X_noise, y, sample_weight=sw)
    np.testing.assert_allclose(a.predict_proba(X[20:]), b.predict_proba(X[20:]), rtol=1e-6)


# ------------------------------------------------------ training control


def test_early_stopping_keeps_best_validation_model(digits):
    X, y = digits
    clf = DBNClassifier((32,), pretrain=False, early_stopping=True, n_iter_no_change=3,
                        learning_rate_init=1e-2, max_iter=200, random_state=0)
    _quiet_fit(clf, X, y)
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    assert clf.score(X, y) > 0.9


def test_tol_stops_training_and_max_iter_warns(digits_small):
    X, y = digits_small
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        DBNClassifier((8,), pretrain=False, max_iter=3, random_state=0).fit(X, y)
    clf = DBNClassifier((8,), pretrain=False, max_iter=500, tol=1.0, n_iter_no_change=2,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    # scikit-learn's rule: stop once more than n_iter_no_change epochs in a row
    # brought no improvement of at least tol (the first epoch always improves).
    assert clf.n_iter_ == 1 + clf.n_iter_no_change + 1


def test_warm_start_continues_without_pretraining_again(digits_small):
    X, y = digits_small
    clf = DBNClassifier((16,), rbm=RBMTransformer(n_iter=2), max_iter=4, warm_start=True,
                        random_state=0)
    _quiet_fit(clf, X, y)
    first_rbm, first_coefs = clf.rbms_[0], [W.copy() for W in clf.coefs_]
    _quiet_fit(clf, X, y)
    assert clf.n_iter_ == 8 and len(clf.loss_curve_) == 8
    assert clf.rbms_[0] is first_rbm
    assert not np.array_equal(clf.coefs_[0], first_coefs[0])
    assert clf.gradient_norms_.shape == (8, 2)


def test_partial_fit_streams_epochs(digits_small):
    X, y = digits_small
    clf = DBNClassifier((16,), rbm=RBMTransformer(n_iter=2), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    assert clf.partial_fit(X[:250], y[:250], classes=np.arange(10)) is clf
    assert clf.n_iter_ == 1 and len(clf.rbms_) == 1
    clf.partial_fit(X[250:], y[250:])
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert clf.t_ == 500
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:5], np.array([11, 1, 2, 3, 4]))


def test_partial_fit_equals_fit_epoch_by_epoch(digits_small):
    X, y = digits_small
    params = dict(hidden_layer_sizes=(8,), pretrain=False, random_state=0)
    streamed = DBNClassifier(**params)
    for _ in range(3):
        streamed.partial_fit(X, y, classes=np.unique(y))
    batch = _quiet_fit(DBNClassifier(max_iter=3, **params), X, y)
    for Ws, Wb in zip(streamed.coefs_, batch.coefs_):
        np.testing.assert_allclose(Ws, Wb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("schedule", ["constant", "adaptive", "cosine"])
def test_solvers_and_schedules_learn(digits_small, solver, schedule):
    X, y = digits_small
    lr = 0.1 if solver == "sgd" else 1e-2
    clf = DBNClassifier((32,), pretrain=False, solver=solver, learning_rate=schedule,
                        learning_rate_init=lr, max_iter=40, random_state=0)
    _quiet_fit(clf, X, y)
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert clf.score(X, y) > 0.9


def test_dropout_trains_and_predicts_deterministically(digits_small):
    X, y = digits_small
    clf = _quiet_fit(DBNClassifier((64,), pretrain=False, dropout=0.3, max_iter=40,
                                   learning_rate_init=3e-3, random_state=0), X, y)
    assert clf.score(X, y) > 0.9
    # No dropout (and no rescaling) at prediction time: the plain forward pass.
    hidden = expit(X @ clf.coefs_[0] + clf.intercepts_[0])
    expected = softmax(hidden @ clf.coefs_[1] + clf.intercepts_[1], axis=1)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-10)


def test_input_dropout_trains_and_changes_the_fit(digits_small):
    X, y = digits_small
    params = dict(pretrain=False, max_iter=40, learning_rate_init=3e-3, random_state=0)
    plain = _quiet_fit(DBNClassifier((64,), **params), X, y)
    dropped = _quiet_fit(DBNClassifier((64,), input_dropout=0.2, **params), X, y)
    assert dropped.score(X, y) > 0.9
    # Dropping inputs is noise on the training loss, so it ends higher.
    assert dropped.loss_curve_[-1] > plain.loss_curve_[-1]


# ------------------------------------------------------------- data types


def test_string_and_binary_labels(digits_small):
    X, y = digits_small
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven",
                      "eight", "nine"])
    clf = _quiet_fit(DBNClassifier((16,), pretrain=False, max_iter=30, random_state=0),
                     X, names[y])
    assert set(clf.predict(X)) <= set(names)
    assert list(clf.classes_) == sorted(names)
    binary = np.where(y < 5, "low", "high")
    clf = _quiet_fit(DBNClassifier((16,), max_iter=30, learning_rate_init=1e-2,
                                   random_state=0), X, binary)
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert clf.score(X, binary) > 0.85


def test_float32_stays_float32(digits_small):
    X, y = digits_small
    clf = _quiet_fit(DBNClassifier((8,), rbm=RBMTransformer(n_iter=1), max_iter=2),
                     X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in clf.coefs_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.rbms_[0].components_.dtype == np.float32


@pytest.mark.parametrize("pretrain", [False, True])
def test_sparse_equals_dense(digits_small, pretrain):
    X, y = digits_small
    params = dict(hidden_layer_sizes=(8,), pretrain=pretrain, rbm=RBMTransformer(n_iter=2),
                  max_iter=3, random_state=0)
    dense = _quiet_fit(DBNClassifier(**params), X, y)
    sparse = _quiet_fit(DBNClassifier(**params), csr_matrix(X), y)
    for Wd, Ws in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_allclose(Wd, Ws, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dense.predict_proba(X), sparse.predict_proba(csr_matrix(X)),
                               rtol=1e-7, atol=1e-9)


def test_predict_log_proba_and_chunked_prediction(digits_small):
    X, y = digits_small
    clf = _quiet_fit(DBNClassifier((8,), pretrain=False, max_iter=3, random_state=0), X, y)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X))
    import sklearn

    with sklearn.config_context(working_memory=0.01):  # forces many small chunks
        chunked = clf.predict_proba(X)
    np.testing.assert_allclose(chunked, clf.predict_proba(X))


# ------------------------------------------------------- scikit-learn tools


def test_pipeline_grid_search_cross_val_clone_pickle(digits):
    X, y = digits
    X, y = X[:400] * 16, y[:400]  # raw pixels: the scaler is needed
    pipe = make_pipeline(
        MinMaxScaler(),
        DBNClassifier((16,), rbm=RBMTransformer(n_iter=2), max_iter=30,
                      learning_rate_init=1e-2, random_state=0),
    )
    grid = {"dbnclassifier__init": ["zero", "random", "xavier", "he"],
            "dbnclassifier__pretrain": [False, True]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
        scores = cross_val_score(clone(pipe), X, y, cv=3)
    results = search.cv_results_
    assert len(results["params"]) == 8
    by_setting = {
        (p["dbnclassifier__init"], p["dbnclassifier__pretrain"]): s
        for p, s in zip(results["params"], results["mean_test_score"])
    }
    assert by_setting[("xavier", False)] > by_setting[("zero", False)] + 0.2
    assert scores.mean() > 0.7
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(restored.predict(X), search.best_estimator_.predict(X))


def test_standard_scaled_input_pretrains_gaussian_first_layer(digits_small):
    X, y = digits_small
    Xs = StandardScaler().fit_transform(X)
    clf = _quiet_fit(DBNClassifier((16, 8), rbm=RBMTransformer(n_iter=3), max_iter=50,
                                   learning_rate_init=1e-2, random_state=0), Xs, y)
    assert clf.rbms_[0].visible_ == "gaussian" and clf.rbms_[1].visible_ == "bernoulli"
    assert clf.score(Xs, y) > 0.8


def test_defaults_at_least_as_accurate_as_mlp_defaults(digits):
    X, y = digits
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    dbn = _quiet_fit(DBNClassifier(random_state=0), Xtr, ytr).score(Xte, yte)
    mlp = _quiet_fit(MLPClassifier(random_state=0), Xtr, ytr).score(Xte, yte)
    assert dbn >= mlp


# ------------------------------------------------------- errors and failures


def test_target_errors(digits_small):
    X, y = digits_small
    clf = DBNClassifier((4,), max_iter=2)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type|continuous"):
        clf.fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X, np.where(np.arange(len(X)) == 3, np.nan, y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y[:-1])


def test_input_errors_match_the_rbm(digits_small):
    X, y = digits_small
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        DBNClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="0 sample"):
        DBNClassifier().fit(X[:0], y[:0])
    clf = _quiet_fit(DBNClassifier((4,), pretrain=False, max_iter=2), X, y)
    with pytest.raises(ValueError, match="expecting 64 features"):
        clf.predict(X[:, :10])
    with pytest.raises(ValueError, match="Bernoulli visible units"):
        DBNClassifier((4,), rbm=RBMTransformer(visible="bernoulli")).fit(X * 16, y)


def test_sample_weight_errors(digits_small):
    X, y = digits_small
    clf = DBNClassifier((4,), max_iter=2)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="[Nn]egative"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))


def test_diverging_fine_tuning_raises_and_keeps_previous_model(digits_small):
    X, y = digits_small
    clf = DBNClassifier((16,), pretrain=False, solver="sgd", momentum=0.0, max_iter=3,
                        random_state=0, warm_start=True)
    _quiet_fit(clf, X, y)
    saved = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(clf).items()}
    coefs = [W.copy() for W in clf.coefs_]
    clf.set_params(learning_rate_init=10.0, activation="relu")
    with pytest.raises(ValueError, match="diverged"):
        _quiet_fit(clf, X * 1e200, y)  # the first step overflows the weights
    assert all(np.array_equal(a, b) for a, b in zip(clf.coefs_, coefs))
    assert all(np.all(np.isfinite(W)) for W in clf.coefs_)
    assert clf.n_iter_ == saved["n_iter_"] and clf.loss_curve_ == saved["loss_curve_"]
    # A fresh model that diverges stays unfitted.
    fresh = DBNClassifier((16,), pretrain=False, solver="sgd", learning_rate_init=10.0,
                          activation="relu",
                          max_iter=3, random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        _quiet_fit(fresh, X * 1e200, y)
    assert not hasattr(fresh, "coefs_")


def test_failed_warm_start_fit_leaves_previous_model(digits_small):
    X, y = digits_small
    clf = _quiet_fit(DBNClassifier((8,), pretrain=False, max_iter=2, warm_start=True,
                                   random_state=0), X, y)
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="features"):
        clf.fit(X[:, :10], y)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.fit(X, y + 100)
    assert clf.n_features_in_ == 64 and clf.n_iter_ == 2
    assert all(np.array_equal(a, b) for a, b in zip(clf.coefs_, coefs))


def test_gradient_norms_record_every_layer(digits_small):
    X, y = digits_small
    clf = _quiet_fit(DBNClassifier((16, 8), pretrain=False, max_iter=4, random_state=0), X, y)
    assert clf.gradient_norms_.shape == (4, 3)
    assert np.all(clf.gradient_norms_ > 0)
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 10 and clf.out_activation_ == "softmax"
    assert clf.pretraining_curves_ == [] and clf.rbms_ == []


# ------------------------------------------------- pretraining hand-off


@pytest.mark.parametrize("scale", [1.0, 16.0], ids=["raw-gaussian", "unit-bernoulli"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_network_starts_as_the_pretrained_rbms(scale, dtype):
    """Layer by layer, the network that fine-tuning starts from computes
    exactly each RBM's transform of the layer below (Gaussian first layers
    included, whose RBM sees X / visible_scale_)."""
    X, y = load_digits(return_X_y=True)
    X = (X[:400] / scale).astype(dtype)
    y = y[:400]
    rbm = RBMTransformer(n_iter=3)
    clf = DBNClassifier((24, 12), rbm=rbm, learning_rate_init=1e-12, max_iter=1,
                        random_state=0)
    _quiet_fit(clf, X, y)
    assert clf.rbms_[0].visible_ == ("gaussian" if scale == 1.0 else "bernoulli")
    tol = 1e-4 if dtype == np.float32 else 1e-8
    below = X
    for layer, fitted in enumerate(clf.rbms_):
        z = below @ clf.coefs_[layer] + clf.intercepts_[layer]
        network = 1.0 / (1.0 + np.exp(-z))
        expected = fitted.transform(below)
        np.testing.assert_allclose(network, expected, atol=tol)
        below = expected


def test_rbm_parameters_need_an_rbm_template():
    with pytest.raises(ValueError, match="rbm is None.*Pass an RBMTransformer"):
        DBNClassifier().set_params(rbm__learning_rate=0.05)
    clf = DBNClassifier(rbm=RBMTransformer()).set_params(rbm__learning_rate=0.05)
    assert clf.rbm.learning_rate == 0.05
    # A template and its settings in one call, as GridSearchCV may do.
    clf = DBNClassifier().set_params(rbm=RBMTransformer(), rbm__n_iter=3)
    assert clf.rbm.n_iter == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standardized_table_with_a_column_constant_in_the_training_rows(dtype):
    # Standardized on all rows, split after: a pixel that is nonzero only in
    # test rows is a nonzero constant in the training rows. Its Gaussian
    # scale used to be its rounding error, the hand-off divided the weights
    # by it (|W| ~ 3e14) and the network stayed at chance (0.10).
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(dtype)
    X, X_test, y, y_test = train_test_split(X, y, random_state=0, stratify=y)
    assert np.any((np.ptp(X, axis=0) == 0) & (X[0] != 0))  # the premise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = DBNClassifier((32,), max_iter=30, random_state=0).fit(X, y)
    assert np.abs(clf.coefs_[0]).max() < 100
    assert clf.score(X_test, y_test) > 0.9
