"""DBNClassifier with unlabelled rows (y == -1): what learns from them and what does not."""

import warnings

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdbn import DBNClassifier, RBMTransformer


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16.0, y[:400]
    partial = y.copy()
    partial[np.random.default_rng(0).random(len(y)) < 0.75] = -1
    return X, y, partial


def _dbn(**kwargs):
    params = dict(hidden_layer_sizes=(16,), rbm=RBMTransformer(n_iter=2), max_iter=5,
                  random_state=0, unlabeled=-1)
    return DBNClassifier(**{**params, **kwargs})


def _fit(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


def _same_weights(a, b):
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(Wa, Wb)


def test_pretraining_sees_every_row_fine_tuning_only_the_labelled(digits):
    X, y, partial = digits
    labelled = partial != -1
    semi = _fit(_dbn(), X, partial)
    full = _fit(_dbn(), X, y)
    np.testing.assert_array_equal(semi.classes_, np.arange(10))
    # The RBMs never see labels, so they are the same with or without them.
    for a, b in zip(semi.rbms_, full.rbms_):
        np.testing.assert_array_equal(a.components_, b.components_)
    assert semi.t_ == semi.n_iter_ * labelled.sum()
    assert full.t_ == full.n_iter_ * len(y)


def test_without_pretraining_unlabelled_rows_are_ignored_with_a_warning(digits):
    X, y, partial = digits
    labelled = partial != -1
    with pytest.warns(UserWarning, match=f"{(~labelled).sum()} unlabelled rows") as record:
        semi = _fit(_dbn(pretrain=False), X, partial)
    assert record[0].filename == __file__  # points at the user's call
    alone = _fit(_dbn(pretrain=False), X[labelled], y[labelled])
    _same_weights(semi, alone)


def test_warm_start_ignores_unlabelled_rows_with_a_warning(digits):
    X, y, partial = digits
    clf = _fit(_dbn(warm_start=True), X, y)
    with pytest.warns(UserWarning, match="unlabelled rows"):
        _fit(clf, X, partial)


def test_all_labelled_fit_gives_no_warning(digits):
    X, y, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _fit(_dbn(pretrain=False), X, y)


@pytest.mark.parametrize("keep", [[], [3]])
def test_fewer_than_two_labelled_classes_is_an_error(digits, keep):
    X, y, _ = digits
    few = np.where(np.isin(y, keep), y, -1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        _dbn().fit(X, few)


def test_failed_fit_keeps_the_previous_model(digits):
    X, y, _ = digits
    clf = _fit(_dbn(), X, y)
    before = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError):
        clf.fit(X, np.full(len(y), -1))
    for W, saved in zip(clf.coefs_, before):
        np.testing.assert_array_equal(W, saved)


def test_sample_weight_follows_the_rows(digits):
    X, y, partial = digits
    labelled = partial != -1
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    with pytest.warns(UserWarning):
        semi = _fit(_dbn(pretrain=False), X, partial, sample_weight=weights)
    alone = _fit(_dbn(pretrain=False), X[labelled], y[labelled],
                 sample_weight=weights[labelled])
    _same_weights(semi, alone)
    # Pretraining takes the weights of every row.
    semi = _fit(_dbn(), X, partial, sample_weight=weights)
    full = _fit(_dbn(), X, y, sample_weight=weights)
    np.testing.assert_array_equal(semi.rbms_[0].components_, full.rbms_[0].components_)


def test_early_stopping_validates_on_labelled_rows_only(digits):
    X, _, partial = digits
    n_labelled = int((partial != -1).sum())
    clf = _fit(_dbn(early_stopping=True, validation_fraction=0.2), X, partial)
    n_val = int(np.ceil(0.2 * n_labelled))
    # Every score is a fraction of the n_val labelled validation rows.
    scores = np.asarray(clf.validation_scores_) * n_val
    np.testing.assert_allclose(scores, np.round(scores), atol=1e-9)


def test_string_labels_use_an_object_array_with_integer_minus_one(digits):
    X, y, partial = digits
    names = np.array([f"digit {d}" for d in range(10)], dtype=object)
    marked = np.where(partial == -1, -1, names[y]).astype(object)
    clf = _fit(_dbn(), X, marked)
    assert list(clf.classes_) == sorted(names)
    assert set(clf.predict(X)) <= set(names)
    # A str array cannot hold the integer -1: "-1" is an ordinary class there,
    # and a string marker does the job.
    text = np.where(y < 5, "-1", "other")
    assert list(_fit(_dbn(), X, text).classes_) == ["-1", "other"]
    text[partial == -1] = "?"
    clf = _fit(_dbn(unlabeled="?"), X, text)
    assert list(clf.classes_) == ["-1", "other"]
    assert clf.t_ == clf.n_iter_ * (partial != -1).sum()


def test_by_default_minus_one_is_a_class(digits):
    X, y, _ = digits
    binary = np.where(y < 5, -1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf = _fit(_dbn(unlabeled=None), X, binary)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    assert clf.t_ == clf.n_iter_ * len(y)
    assert clf.score(X, binary) == np.mean(clf.predict(X) == binary)


def test_partial_fit_classes_must_not_contain_the_marker(digits):
    X, y, _ = digits
    with pytest.raises(ValueError, match="must not contain unlabeled=-1"):
        _dbn().partial_fit(X, y, classes=[-1, *range(10)])


def test_sparse_equals_dense(digits):
    X, _, partial = digits
    dense = _fit(_dbn(), X, partial)
    sparse = _fit(_dbn(), csr_matrix(X), partial)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), rtol=1e-5,
                               atol=1e-7)


def test_score_ignores_unlabelled_rows(digits):
    X, y, partial = digits
    clf = _fit(_dbn(), X, y)
    labelled = partial != -1
    expected = np.mean(clf.predict(X[labelled]) == y[labelled])
    assert clf.score(X, partial) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least one labelled row"):
        clf.score(X, np.full(len(y), -1))


def test_grid_search_in_a_pipeline_scores_labelled_rows(digits):
    X, _, partial = digits
    pipe = make_pipeline(MinMaxScaler(), _dbn(max_iter=60))
    search = GridSearchCV(pipe, {"dbnclassifier__hidden_layer_sizes": [(8,), (16,)]},
                          cv=StratifiedKFold(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, partial)
    assert 0.5 < search.best_score_ <= 1.0
    assert -1 not in search.best_estimator_.classes_


def test_partial_fit_pretrains_on_the_first_call_then_ignores_unlabelled(digits):
    X, y, partial = digits
    labelled = partial != -1
    clf = _dbn().partial_fit(X, partial, classes=np.arange(10))
    assert clf.t_ == labelled.sum()
    with pytest.warns(UserWarning, match="unlabelled rows"):
        clf.partial_fit(X, partial)
    assert clf.t_ == 2 * labelled.sum()
    before = [W.copy() for W in clf.coefs_]
    with pytest.warns(UserWarning):
        clf.partial_fit(X, np.full(len(y), -1))  # nothing labelled: nothing changes
    for W, saved in zip(clf.coefs_, before):
        np.testing.assert_array_equal(W, saved)
    with pytest.raises(ValueError, match="needs labelled rows"):
        _dbn().partial_fit(X, np.full(len(y), -1), classes=np.arange(10))



# ------------------------------------------ pseudo-labels from the network


def _lee(**kwargs):
    """Pseudo-labels of Lee (2013): the network's own guesses."""
    return _dbn(pseudo_labels="network", **kwargs)


def test_pseudo_labels_ramp_in_from_zero(digits):
    X, _, partial = digits
    # The weight is 0 over the first 20 % of max_iter: equal to plain fine-tuning.
    plain = _fit(_dbn(max_iter=5), X, partial)
    pseudo = _fit(_lee(max_iter=5, pseudo_label_weight=3.0), X, partial)
    assert pseudo.pseudo_label_weight == 3.0
    _same_weights(plain, _fit(_lee(max_iter=5, pseudo_label_weight=0.0), X, partial))
    assert not np.allclose(plain.coefs_[-1], pseudo.coefs_[-1])
    plain = _fit(_dbn(max_iter=1), X, partial)
    pseudo = _fit(_lee(max_iter=1, pseudo_label_weight=3.0), X, partial)
    _same_weights(plain, pseudo)


def test_pseudo_labels_learn_from_unlabelled_rows(digits):
    X, y, partial = digits
    # Without pretraining, only the pseudo-labels can use the unlabelled rows.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf = _fit(_lee(pretrain=False, pseudo_label_weight=1.0, max_iter=200,
                        learning_rate_init=1e-2, tol=0.0, n_iter_no_change=200), X, partial)
    assert clf.score(X, y) > 0.9
    # The unlabelled rows' weights count: zero weights give plain fine-tuning.
    weights = np.where(partial == -1, 0.0, 1.0)
    args = dict(pretrain=False, max_iter=10)
    with pytest.warns(UserWarning, match="unlabelled rows are ignored"):
        plain = _fit(_dbn(**args), X, partial)
    zero = _fit(_lee(pseudo_label_weight=1.0, **args), X, partial, sample_weight=weights)
    np.testing.assert_allclose(zero.coefs_[-1], plain.coefs_[-1], rtol=1e-5, atol=1e-7)


def test_pseudo_labels_keep_float32(digits):
    X, _, partial = digits
    clf = _fit(_lee(max_iter=4, pseudo_label_weight=1.0), X.astype(np.float32), partial)
    assert all(W.dtype == np.float32 for W in clf.coefs_)


def test_pseudo_labels_sparse_equals_dense(digits):
    X, _, partial = digits
    params = dict(max_iter=5, pseudo_label_weight=1.0)
    dense = _fit(_lee(**params), X, partial)
    sparse = _fit(_lee(**params), csr_matrix(X), partial)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), rtol=1e-5,
                               atol=1e-7)


# ------------------------------------------------------- graph pseudo-labels


def _graph_dbn(**kwargs):
    params = dict(hidden_layer_sizes=(32,), rbm=RBMTransformer(n_iter=10),
                  learning_rate_init=1e-2, max_iter=20, pseudo_label_weight=1.0)
    return _dbn(**{**params, **kwargs})


def test_graph_pseudo_labels_beat_labelled_rows_only(digits):
    X, y, partial = digits
    unlabelled = partial == -1
    gains = []
    for seed in range(3):
        graph = _fit(_graph_dbn(random_state=seed), X, partial)
        plain = _fit(_graph_dbn(random_state=seed, pseudo_label_weight=0.0), X, partial)
        gains.append(graph.score(X[unlabelled], y[unlabelled])
                     - plain.score(X[unlabelled], y[unlabelled]))
    assert np.mean(gains) > 0.03


def test_graph_targets_are_the_spread_labels(digits, monkeypatch):
    X, y, partial = digits
    calls = []

    def oracle(graph, seeds, *args, **kwargs):
        # Labels spread perfectly: the true class of every training row.
        calls.append(seeds.shape)
        truth = np.zeros_like(seeds)
        truth[np.arange(len(y)), y] = 1
        return truth

    monkeypatch.setattr("skdbn._fine_tuning.spread_labels", oracle)
    # The labelled rows first, then the unlabelled ones, as the run orders them.
    order = np.argsort(partial == -1, kind="stable")
    X, y, partial = X[order], y[order], partial[order]
    clf = _fit(_graph_dbn(max_iter=4), X, partial)
    assert calls == [(len(y), 10)] * 2  # at the start and after half the epochs
    unlabelled = partial == -1
    oracle_score = clf.score(X[unlabelled], y[unlabelled])
    monkeypatch.undo()
    plain = _fit(_graph_dbn(max_iter=4, pseudo_label_weight=0.0), X, partial)
    assert oracle_score > plain.score(X[unlabelled], y[unlabelled]) + 0.05


def test_graph_is_built_in_the_first_hidden_layer(digits, monkeypatch):
    X, _, partial = digits
    from skdbn import _fine_tuning

    features = []

    def recorded(F, *args, **kwargs):
        features.append(F.copy())
        return principal_components(F, *args, **kwargs)

    principal_components = _fine_tuning.principal_components
    monkeypatch.setattr(_fine_tuning, "principal_components", recorded)
    clf = _fit(_graph_dbn(hidden_layer_sizes=(16, 8), max_iter=2), X, partial)
    # The first spread sees the pretrained network: the first RBM's hidden
    # probabilities, the labelled rows first, then the unlabelled ones.
    labelled = partial != -1
    rows = np.vstack([X[labelled], X[~labelled]])
    np.testing.assert_allclose(features[0], clf.rbms_[0].transform(rows), rtol=1e-10)


def test_graph_pseudo_labels_partial_fit_spreads_each_call(digits, monkeypatch):
    X, _, partial = digits
    from skdbn import _fine_tuning

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return spread_labels(*args, **kwargs)

    spread_labels = _fine_tuning.spread_labels
    monkeypatch.setattr(_fine_tuning, "spread_labels", counted)
    clf = _graph_dbn()
    clf.partial_fit(X, partial, classes=np.arange(10))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the unlabelled rows are used
        clf.partial_fit(X, partial)
    assert len(calls) == 2


def test_graph_pseudo_labels_keep_float32_and_sparse_equals_dense(digits):
    X, _, partial = digits
    dense = _fit(_graph_dbn(max_iter=4), X.astype(np.float32), partial)
    assert all(W.dtype == np.float32 for W in dense.coefs_)
    sparse = _fit(_graph_dbn(max_iter=4), csr_matrix(X.astype(np.float32)), partial)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), rtol=1e-4,
                               atol=1e-5)


def test_graph_pseudo_labels_with_early_stopping_and_weights(digits):
    X, y, partial = digits
    weights = np.random.default_rng(0).uniform(0.5, 1.5, len(y))
    clf = _fit(_graph_dbn(early_stopping=True), X, partial, sample_weight=weights)
    assert clf.best_validation_score_ is not None
    assert np.all(np.isfinite(clf.coefs_[0]))
    assert set(clf.classes_) == set(range(10))
