"""Our own threads (RBM trainer and fine-tuning): every block runs once, errors
surface, blocks compute what the unblocked step computes, and the results do
not depend on the number of threads."""

import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from skdbn import DBNClassifier, DBNRegressor, RBMTransformer, _network, _threads
from skdbn._threads import BlockRunner, blas_threads, even_slices


def _blas_thread_counts():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.mark.parametrize("n_workers", [1, 2, 3])
def test_every_block_runs_exactly_once(n_workers):
    counts = np.zeros(100, dtype=int)
    names = set()
    lock = threading.Lock()

    def work(k):
        with lock:
            counts[k] += 1
            names.add(threading.current_thread().name)

    with BlockRunner(n_workers) as runner:
        for _ in range(5):
            runner.run(work, range(100))
    np.testing.assert_array_equal(counts, 5)
    workers = names - {threading.current_thread().name}
    assert len(workers) <= n_workers - 1
    assert all(name.startswith("skdbn") for name in workers)


@pytest.mark.parametrize("n_workers", [2, 3])
def test_blocks_run_at_the_same_time_on_n_workers_threads(n_workers):
    # Each block waits until n_workers blocks are running at once: this passes
    # only if the calling thread and every worker each took one.
    barrier = threading.Barrier(n_workers, timeout=30)
    with BlockRunner(n_workers) as runner:
        runner.run(lambda k: barrier.wait(), range(n_workers))


def test_worker_errors_are_raised_to_the_caller():
    def fail_on_seven(k):
        if k == 7:
            raise ZeroDivisionError("block seven")

    with BlockRunner(2) as runner, pytest.raises(ZeroDivisionError, match="block seven"):
        runner.run(fail_on_seven, range(20))


def test_blas_is_single_threaded_inside_and_restored_after():
    with threadpool_limits(2, user_api="blas"):
        before = _blas_thread_counts()
        with BlockRunner(2):
            assert blas_threads() == 1
        assert _blas_thread_counts() == before


def test_even_slices_cover_the_range_in_order():
    slices = even_slices(101, 4)
    covered = np.concatenate([np.arange(101)[s] for s in slices])
    np.testing.assert_array_equal(covered, np.arange(101))
    assert max(s.stop - s.start for s in slices) - min(s.stop - s.start for s in slices) <= 1


@pytest.fixture
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:600] / 16.0).astype(np.float32), y[:600]


def _fit_with_threads(estimator, n_threads, X):
    with threadpool_limits(n_threads, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X)


def test_rbm_fit_does_not_depend_on_the_number_of_threads(digits, monkeypatch):
    monkeypatch.setattr(_threads, "MIN_PARALLEL_WORK", 0)
    X, _ = digits
    params = dict(n_components=32, batch_size=100, n_iter=3, momentum=0.5, random_state=0)
    one = _fit_with_threads(RBMTransformer(**params), 1, X)
    two = _fit_with_threads(RBMTransformer(**params), 2, X)
    np.testing.assert_array_equal(one.components_, two.components_)
    np.testing.assert_array_equal(one.intercept_hidden_, two.intercept_hidden_)
    np.testing.assert_array_equal(one.intercept_visible_, two.intercept_visible_)


def _fine_tune(make, X, y, n_threads=None):
    with threadpool_limits(n_threads, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make().fit(X, y)


_NETWORKS = {
    "adam, L2, weights": lambda: DBNClassifier(
        (48, 32), pretrain=False, alpha=1e-3, batch_size=100, max_iter=3, random_state=0
    ),
    "sgd, relu": lambda: DBNClassifier(
        (48,), pretrain=False, activation="relu", solver="sgd", batch_size=150,
        learning_rate_init=0.05, max_iter=3, random_state=0,
    ),
    "regressor": lambda: DBNRegressor((40,), pretrain=False, batch_size=100, max_iter=3,
                                      random_state=0),
}


@pytest.mark.parametrize("name", list(_NETWORKS))
def test_fine_tuning_in_blocks_computes_the_unblocked_step(digits, monkeypatch, name):
    # The same epochs with every step cut into row and weight blocks (forced
    # on a network too small to be cut by default) and uncut.
    X, y = digits
    X = X.astype(np.float64)
    target = y.astype(float) if name == "regressor" else y
    monkeypatch.setattr(_network, "MIN_BLOCKED_WORK", float("inf"))
    whole = _fine_tune(_NETWORKS[name], X, target)
    monkeypatch.setattr(_network, "MIN_BLOCKED_WORK", 0)
    monkeypatch.setattr(_network, "WEIGHTS_PER_BLOCK", 500)  # several blocks per layer
    blocked = _fine_tune(_NETWORKS[name], X, target)
    assert len(blocked._optimizer.params) == len(whole._optimizer.params)
    for a, b in zip(whole.coefs_ + whole.intercepts_, blocked.coefs_ + blocked.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(whole.loss_curve_, blocked.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(whole.gradient_norms_, blocked.gradient_norms_, rtol=1e-10)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fine_tuning_does_not_depend_on_the_number_of_threads(digits, monkeypatch, dropout):
    monkeypatch.setattr(_network, "MIN_BLOCKED_WORK", 0)
    X, y = digits

    def make():
        return DBNClassifier((48, 32), pretrain=False, dropout=dropout, input_dropout=dropout,
                             batch_size=100, max_iter=3, random_state=0)

    one = _fine_tune(make, X, y, n_threads=1)
    two = _fine_tune(make, X, y, n_threads=2)
    assert one.loss_curve_ == two.loss_curve_
    for a, b in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_):
        np.testing.assert_array_equal(a, b)
