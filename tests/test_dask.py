"""Both estimators on Dask: grid search on a cluster, out-of-core ``partial_fit``.

Needs the ``dask`` extra (``pip install "skdbn[dask]"``, also part of the
``test`` extra). Everything runs on one small in-process cluster (one worker,
two threads), started once for the module.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skdbn import DBNClassifier, RBMTransformer

da = pytest.importorskip("dask.array", reason="the Dask tests need the 'dask' extra")
distributed = pytest.importorskip("distributed", reason="the Dask tests need the 'dask' extra")
wrappers = pytest.importorskip("dask_ml.wrappers", reason="the Dask tests need the 'dask' extra")
joblib = pytest.importorskip("joblib")

CHUNK_ROWS = 100


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:400] / 16).astype(np.float32), y[:400]


def _chunks(X):
    return [X[start : start + CHUNK_ROWS] for start in range(0, X.shape[0], CHUNK_ROWS)]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_on_dask_matches_sequential(client, digits):
    # Every fit reseeds from random_state, so where it runs must not matter.
    X, y = digits
    dbn = DBNClassifier(
        (16,), rbm=RBMTransformer(n_iter=2), max_iter=20, learning_rate_init=1e-2,
        random_state=0,
    )
    grid = {"init": ["xavier", "he"], "pretrain": [True, False]}
    sequential = GridSearchCV(dbn, grid, cv=2, n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(dbn, grid, cv=2, n_jobs=-1).fit(X, y)
    scores = [key for key in sequential.cv_results_ if key.endswith("test_score")]
    assert len(scores) == 5  # two splits, mean, std, rank
    for key in scores:
        np.testing.assert_array_equal(on_dask.cv_results_[key], sequential.cv_results_[key])
    # The models learned something, so equal scores are not equal chance levels.
    assert sequential.best_score_ > 0.5


def mean_score(estimator, X, y=None):
    """An explicit ``scoring``: any scorer passes dask-ml's check at fit time."""
    return float(np.mean(estimator.score_samples(X)))


# None: dask-ml's check finds RBMTransformer.score (the mean log-likelihood).
@pytest.mark.parametrize("scoring", [None, mean_score])
def test_incremental_rbm_matches_partial_fit_in_order(client, digits, scoring):
    X, _ = digits
    rbm = RBMTransformer(16, random_state=0)
    X_dask = da.from_array(X, chunks=(CHUNK_ROWS, -1))
    incremental = wrappers.Incremental(rbm, scoring=scoring, shuffle_blocks=False).fit(X_dask)

    expected = clone(rbm)
    for chunk in _chunks(X):
        expected.partial_fit(chunk)
    fitted = incremental.estimator_
    assert fitted.n_iter_ == expected.n_iter_ == len(X_dask.chunks[0])
    assert fitted.components_.dtype == np.float32
    np.testing.assert_array_equal(fitted.components_, expected.components_)
    np.testing.assert_array_equal(fitted.intercept_hidden_, expected.intercept_hidden_)
    np.testing.assert_array_equal(fitted.intercept_visible_, expected.intercept_visible_)
    # Chunked products may round differently from one product over all rows.
    np.testing.assert_allclose(
        incremental.transform(X_dask).compute(), expected.transform(X), rtol=1e-5
    )


def test_incremental_dbn_matches_partial_fit_in_order(client, digits):
    X, y = digits
    classes = np.arange(10)
    dbn = DBNClassifier((16,), rbm=RBMTransformer(n_iter=2), random_state=0)
    X_dask = da.from_array(X, chunks=(CHUNK_ROWS, -1))
    y_dask = da.from_array(y, chunks=CHUNK_ROWS)
    incremental = wrappers.Incremental(dbn, scoring="accuracy", shuffle_blocks=False)
    incremental.fit(X_dask, y_dask, classes=classes)

    expected = clone(dbn)
    for X_chunk, y_chunk in zip(_chunks(X), _chunks(y)):
        expected.partial_fit(X_chunk, y_chunk, classes=classes)
    fitted = incremental.estimator_
    assert fitted.n_iter_ == expected.n_iter_ == len(X_dask.chunks[0])
    got, want = fitted.coefs_ + fitted.intercepts_, expected.coefs_ + expected.intercepts_
    for got_array, want_array in zip(got, want):
        np.testing.assert_array_equal(got_array, want_array)
    np.testing.assert_array_equal(incremental.predict(X_dask).compute(), expected.predict(X))
    assert incremental.score(X_dask, y_dask) == pytest.approx(expected.score(X, y))
