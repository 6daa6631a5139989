"""scikit-learn callbacks (``sklearn.callback``, scikit-learn >= 1.9) and Ctrl-C.

The callback tests need scikit-learn's experimental callback API and are
skipped on older versions; the Ctrl-C tests run everywhere. How skdbn behaves
without ``sklearn.callback`` is checked in CI by importing it with that module
hidden (``test_works_without_sklearn_callback``). The whole suite, this file
and test_common.py included, also passed on scikit-learn 1.6.1 itself (a
one-off check in an environment without the optional extras, not run by CI).
"""

import copy
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils.validation import check_is_fitted

import skdbn._cd
import skdbn._fine_tuning
from skdbn import DBNClassifier, DBNRegressor, RBMTransformer
from skdbn._callbacks import HAS_CALLBACKS

needs_callbacks = pytest.mark.skipif(
    not HAS_CALLBACKS, reason="this scikit-learn has no sklearn.callback (added in 1.9)"
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:200] / 16).astype(np.float32), y[:200]


class LocalRecorder:
    """Records every task of the estimator it is set on.

    ``stop_at`` is a set of ``(estimator_name, task_name, task_id)`` whose end
    returns True; ``interrupt_at`` one at whose end Ctrl-C is pressed.
    """

    def __init__(self, stop_at=(), interrupt_at=None):
        self.stop_at = set(stop_at)
        self.interrupt_at = interrupt_at
        self.roots, self.begun, self.ended = [], [], []

    def setup(self, estimator, context):
        self.roots.append(context)

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        self.begun.append(_key(context))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ended.append((_key(context), fitted_estimator))
        if _key(context) == self.interrupt_at:
            raise KeyboardInterrupt
        return _key(context) in self.stop_at


class Recorder(LocalRecorder):
    """The same, propagated to sub-estimators: it reaches the pretraining RBMs."""

    max_propagation_depth = None


def _key(context):
    return (context.estimator_name, context.task_name, context.task_id)


def _tree(root):
    """The task tree, pre-order: (depth, estimator, task, max_subtasks, merged from)."""
    rows = []

    def walk(context, depth):
        rows.append((depth, context.estimator_name, context.task_name, context.max_subtasks,
                     context.source_task_name))
        for child in context._children_map.values():
            walk(child, depth + 1)

    walk(root, 0)
    return rows


def _epochs(estimator, n, depth):
    return [(depth, estimator, "epoch", 0, None)] * n


# ------------------------------------------------------------- task trees


@needs_callbacks
def test_rbm_task_tree_and_epoch_models(digits):
    X, _ = digits
    recorder = Recorder()
    rbm = RBMTransformer(8, n_iter=3, random_state=0).set_callbacks(recorder)
    rbm.fit(X)
    assert _tree(recorder.roots[0]) == [
        (0, "RBMTransformer", "fit", 3, None), *_epochs("RBMTransformer", 3, 1),
    ]
    assert len(recorder.begun) == len(recorder.ended) == 4
    # Each epoch's end hands over that epoch's model, ready to score.
    epoch_models = [model for key, model in recorder.ended if key[1] == "epoch"]
    for n_epochs, model in enumerate(epoch_models, start=1):
        expected = RBMTransformer(8, n_iter=n_epochs, random_state=0).fit(X)
        assert model.n_iter_ == n_epochs
        np.testing.assert_array_equal(model.components_, expected.components_)
        assert np.isfinite(model.score_samples(X)).all()
    # Callbacks only watch: the model is the one trained without them.
    plain = RBMTransformer(8, n_iter=3, random_state=0).fit(X)
    np.testing.assert_array_equal(rbm.components_, plain.components_)


@needs_callbacks
def test_dbn_task_tree(digits):
    X, y = digits
    recorder = Recorder()
    dbn = DBNClassifier(
        (8, 6), rbm=RBMTransformer(n_iter=2), max_iter=3, random_state=0
    ).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dbn.fit(X, y)
    assert _tree(recorder.roots[0]) == [
        (0, "DBNClassifier", "fit", 3, None),
        (1, "RBMTransformer", "fit", 2, "pretrain layer 1"), *_epochs("RBMTransformer", 2, 2),
        (1, "RBMTransformer", "fit", 2, "pretrain layer 2"), *_epochs("RBMTransformer", 2, 2),
        (1, "DBNClassifier", "fine-tune", 3, None), *_epochs("DBNClassifier", 3, 2),
    ]
    # Every task began and ended once: 1 + 2 * (1 + 2) + (1 + 3) = 11.
    assert len(recorder.begun) == len(recorder.ended) == 11
    # A fine-tuning epoch's model is a classifier of that epoch.
    fine_tuning_models = [m for (name, task, _), m in recorder.ended
                          if name == "DBNClassifier" and task == "epoch"]
    assert [m.n_iter_ for m in fine_tuning_models] == [1, 2, 3]
    assert fine_tuning_models[0].score(X, y) > 0  # ready to predict
    assert fine_tuning_models[0].loss_curve_ == dbn.loss_curve_[:1]


@needs_callbacks
def test_dbn_partial_fit_task_tree(digits):
    X, y = digits
    recorder = Recorder()
    dbn = DBNClassifier((8,), rbm=RBMTransformer(n_iter=2), random_state=0)
    dbn.set_callbacks(recorder)
    dbn.partial_fit(X, y, classes=np.arange(10))
    dbn.partial_fit(X, y)
    first, second = (_tree(root) for root in recorder.roots)
    assert first == [
        (0, "DBNClassifier", "partial_fit", 2, None),
        (1, "RBMTransformer", "fit", 2, "pretrain layer 1"), *_epochs("RBMTransformer", 2, 2),
        (1, "DBNClassifier", "fine-tune", 1, None), *_epochs("DBNClassifier", 1, 2),
    ]
    assert second == [
        (0, "DBNClassifier", "partial_fit", 1, None),
        (1, "DBNClassifier", "fine-tune", 1, None), *_epochs("DBNClassifier", 1, 2),
    ]


@needs_callbacks
def test_callbacks_that_do_not_propagate_stay_on_the_dbn(digits):
    X, y = digits
    recorder = LocalRecorder()
    dbn = DBNClassifier((8,), rbm=RBMTransformer(n_iter=2), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dbn.set_callbacks(recorder).fit(X, y)
    assert {name for name, _, _ in recorder.begun} == {"DBNClassifier"}
    assert [task for _, task, _ in recorder.begun] == [
        "fit", "pretrain layer 1", "fine-tune", "epoch", "epoch",
    ]


@needs_callbacks
def test_scoring_monitor_scores_each_fine_tuning_epoch(digits):
    from sklearn.callback import ScoringMonitor

    X, y = digits
    params = dict(hidden_layer_sizes=(16,), rbm=RBMTransformer(n_iter=2),
                  learning_rate_init=1e-2, random_state=0)
    monitor = ScoringMonitor(scoring="accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        DBNClassifier(max_iter=4, **params).set_callbacks(monitor).fit(X, y)
        expected = [DBNClassifier(max_iter=k, **params).fit(X, y).score(X, y)
                    for k in range(1, 5)]
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert [row["accuracy"] for row in rows] == pytest.approx(expected)
    assert len(set(expected)) > 1  # the epochs differ


@needs_callbacks
def test_regressor_has_the_same_task_tree(digits):
    X, y = digits
    recorder = Recorder(stop_at={("DBNRegressor", "epoch", 1)})
    dbn = DBNRegressor((8,), rbm=RBMTransformer(n_iter=2), max_iter=5, random_state=0)
    dbn.set_callbacks(recorder).fit(X, y.astype(float))
    assert _tree(recorder.roots[0]) == [
        (0, "DBNRegressor", "fit", 2, None),
        (1, "RBMTransformer", "fit", 2, "pretrain layer 1"), *_epochs("RBMTransformer", 2, 2),
        (1, "DBNRegressor", "fine-tune", 5, None), *_epochs("DBNRegressor", 2, 2),
    ]
    assert dbn.n_iter_ == 2


@needs_callbacks
def test_scoring_monitor_scores_the_labelled_rows_only(digits):
    from sklearn.callback import ScoringMonitor

    X, y = digits
    y = np.where(np.arange(len(y)) % 2, y, -1)  # every other row unlabelled
    params = dict(hidden_layer_sizes=(16,), rbm=RBMTransformer(n_iter=2), max_iter=2,
                  unlabeled=-1, random_state=0)
    monitor = ScoringMonitor(scoring="accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dbn = DBNClassifier(**params).set_callbacks(monitor).fit(X, y)
    (root,) = [row for row in monitor.get_logs().data if row["task_name"] == "fit"]
    labelled = y != -1
    assert root["accuracy"] == pytest.approx(dbn.score(X[labelled], y[labelled]))


@needs_callbacks
def test_compare_reports_each_pretraining_epoch(digits):
    from skdbn.compare import Settings, run_comparison
    from skdbn.compare.run import _Silent

    class Observer(_Silent):
        def __init__(self):
            self.calls = []

        def pretraining(self, *args):
            self.calls.append(args)

    X, y = digits
    observer = Observer()
    settings = Settings(hidden_layer_sizes=(8, 4), epochs=1, pretrain_epochs=2, seeds=1)
    list(run_comparison(X, y, settings, observer=observer))
    # (layer, n_layers, epoch, n_epochs), for each of the 4 pretrained configurations.
    assert observer.calls == [(1, 2, 1, 2), (1, 2, 2, 2), (2, 2, 1, 2), (2, 2, 2, 2)] * 4


# ----------------------------------------------------------- early stops


@needs_callbacks
def test_rbm_stops_at_the_epoch_a_callback_asks(digits):
    X, _ = digits
    recorder = Recorder(stop_at={("RBMTransformer", "epoch", 1)})  # the second epoch
    rbm = RBMTransformer(8, n_iter=10, random_state=0).set_callbacks(recorder).fit(X)
    expected = RBMTransformer(8, n_iter=2, random_state=0).fit(X)
    assert rbm.n_iter_ == 2 and len(rbm.loss_curve_) == 2
    np.testing.assert_array_equal(rbm.components_, expected.components_)
    np.testing.assert_array_equal(rbm.intercept_visible_, expected.intercept_visible_)


@needs_callbacks
def test_dbn_fine_tuning_stops_at_the_epoch_a_callback_asks(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(8,), rbm=RBMTransformer(n_iter=2), random_state=0)
    recorder = Recorder(stop_at={("DBNClassifier", "epoch", 1)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a callback's stop is no failure
        dbn = DBNClassifier(max_iter=50, **params).set_callbacks(recorder).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = DBNClassifier(max_iter=2, **params).fit(X, y)
    assert dbn.n_iter_ == 2
    for got, want in zip(dbn.coefs_ + dbn.intercepts_, expected.coefs_ + expected.intercepts_):
        np.testing.assert_array_equal(got, want)


@needs_callbacks
def test_callbacks_of_the_rbm_template_reach_every_pretrained_layer(digits):
    # clone keeps callbacks, so a stop set on the template stops each layer.
    X, y = digits
    template = RBMTransformer(n_iter=5).set_callbacks(
        LocalRecorder(stop_at={("RBMTransformer", "epoch", 1)})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dbn = DBNClassifier((8, 6), rbm=template, max_iter=2, random_state=0).fit(X, y)
    assert [rbm.n_iter_ for rbm in dbn.rbms_] == [2, 2]


# ---------------------------------------------------------- progress bars


@needs_callbacks
def test_progress_bar_alone_and_in_grid_search(digits):
    pytest.importorskip("rich", reason="ProgressBar needs the 'progress' extra (rich)")
    from sklearn.callback import ProgressBar

    X, y = digits
    rbm = RBMTransformer(8, n_iter=2, random_state=0)
    assert rbm.set_callbacks(ProgressBar()).fit(X).n_iter_ == 2
    dbn = DBNClassifier((8,), rbm=RBMTransformer(n_iter=2), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert clone(dbn).set_callbacks(ProgressBar()).fit(X, y).n_iter_ == 3
        plain = GridSearchCV(dbn, {"pretrain": [True, False]}, cv=2).fit(X, y)
        # Depth 1 (the default) draws the DBNs' tasks; None also their RBMs'.
        for depth in (1, None):
            search = GridSearchCV(dbn, {"pretrain": [True, False]}, cv=2)
            search.set_callbacks(ProgressBar(max_propagation_depth=depth)).fit(X, y)
            np.testing.assert_array_equal(
                search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
            )


def test_works_without_sklearn_callback():
    # scikit-learn < 1.9 has no sklearn.callback: import skdbn with it hidden.
    code = """
import sys
import sklearn.model_selection  # scikit-learn's own modules import it: first
hidden = sys.modules.get("sklearn.callback")  # None on scikit-learn < 1.9
sys.modules["sklearn.callback"] = None  # makes "import sklearn.callback" fail
import skdbn, skdbn._callbacks
del sys.modules["sklearn.callback"]
if hidden is not None:
    sys.modules["sklearn.callback"] = hidden  # scikit-learn's own fit needs it back
assert not skdbn._callbacks.HAS_CALLBACKS
assert not hasattr(skdbn.RBMTransformer(), "set_callbacks")
assert not hasattr(skdbn.DBNClassifier(), "set_callbacks")
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
rbm = skdbn.RBMTransformer(8, n_iter=2, random_state=0).fit(X[:100] / 16)
dbn = skdbn.DBNClassifier((8,), max_iter=2, random_state=0).fit(X[:100] / 16, y[:100])
print(rbm.components_.sum(), dbn.coefs_[0].sum())
"""
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    X, y = load_digits(return_X_y=True)
    rbm = RBMTransformer(8, n_iter=2, random_state=0).fit(X[:100] / 16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dbn = DBNClassifier((8,), max_iter=2, random_state=0).fit(X[:100] / 16, y[:100])
    assert result.stdout.split() == [str(rbm.components_.sum()), str(dbn.coefs_[0].sum())]


# ------------------------------------------------------------------ Ctrl-C


def _interrupt_on_call(monkeypatch, owner, name, call):
    """Make ``owner.name`` raise KeyboardInterrupt on its ``call``-th call (1-based)."""
    original = getattr(owner, name)
    calls = []

    def patched(*args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, patched)
    return calls


def _assert_same_rbm(got, want):
    assert got.n_iter_ == want.n_iter_
    assert got.loss_curve_ == want.loss_curve_
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


def _assert_same_dbn(got, want):
    assert got.n_iter_ == want.n_iter_
    assert got.loss_curve_ == want.loss_curve_
    for got_array, want_array in zip(got.coefs_ + got.intercepts_, want.coefs_ + want.intercepts_):
        np.testing.assert_array_equal(got_array, want_array)


@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_ctrl_c_in_an_rbm_epoch_keeps_the_last_completed_epoch(digits, monkeypatch, method):
    X, _ = digits
    batches_per_epoch = 2  # 200 rows, batch_size=100
    calls = _interrupt_on_call(
        monkeypatch, skdbn._cd.ContrastiveDivergence, "update", 2 * batches_per_epoch + 2
    )
    rbm = RBMTransformer(8, n_iter=5, method=method, random_state=0)
    with pytest.warns(UserWarning, match="interrupted") as caught:
        assert rbm.fit(X) is rbm
    assert caught[0].filename == __file__  # it points at the user's call
    assert len(calls) == 2 * batches_per_epoch + 2  # it stopped at once
    monkeypatch.undo()
    expected = RBMTransformer(8, n_iter=2, method=method, random_state=0).fit(X)
    _assert_same_rbm(rbm, expected)
    if method == "pcd":
        np.testing.assert_array_equal(rbm.persistent_chains_, expected.persistent_chains_)
    # Training goes on from there as if it had never been interrupted.
    rbm.partial_fit(X)
    _assert_same_rbm(rbm, expected.partial_fit(X))


def test_ctrl_c_before_an_epoch_completes_keeps_the_previous_model(digits, monkeypatch):
    X, _ = digits
    _interrupt_on_call(monkeypatch, skdbn._cd.ContrastiveDivergence, "update", 1)
    fresh = RBMTransformer(8, random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        fresh.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    monkeypatch.undo()
    rbm = RBMTransformer(8, n_iter=2, random_state=0).fit(X)
    expected = clone(rbm).fit(X)
    _interrupt_on_call(monkeypatch, skdbn._cd.ContrastiveDivergence, "update", 2)
    with pytest.warns(UserWarning, match="interrupted"):
        rbm.partial_fit(X)
    _assert_same_rbm(rbm, expected)


@needs_callbacks
def test_ctrl_c_from_a_callback_keeps_that_epoch(digits):
    X, y = digits
    recorder = Recorder(interrupt_at=("RBMTransformer", "epoch", 2))
    rbm = RBMTransformer(8, n_iter=5, random_state=0).set_callbacks(recorder)
    with pytest.warns(UserWarning, match="interrupted"):
        rbm.fit(X)
    _assert_same_rbm(rbm, RBMTransformer(8, n_iter=3, random_state=0).fit(X))
    recorder = Recorder(interrupt_at=("DBNClassifier", "epoch", 1))
    params = dict(hidden_layer_sizes=(8,), rbm=RBMTransformer(n_iter=2), random_state=0)
    dbn = DBNClassifier(max_iter=5, **params).set_callbacks(recorder)
    with pytest.warns(UserWarning, match="interrupted"):
        dbn.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _assert_same_dbn(dbn, DBNClassifier(max_iter=2, **params).fit(X, y))


def test_ctrl_c_in_fine_tuning_keeps_the_last_completed_epoch(digits, monkeypatch):
    X, y = digits
    params = dict(hidden_layer_sizes=(8,), rbm=RBMTransformer(n_iter=2), random_state=0)
    batches_per_epoch = 1  # batch_size="auto": 200 rows
    calls = _interrupt_on_call(
        monkeypatch, skdbn._fine_tuning.FeedForward, "train_step", 2 * batches_per_epoch + 1
    )
    dbn = DBNClassifier(max_iter=10, **params)
    with pytest.warns(UserWarning, match="interrupted") as caught:
        dbn.fit(X, y)
    assert caught[0].filename == __file__
    assert len(calls) == 2 * batches_per_epoch + 1
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = DBNClassifier(max_iter=2, **params).fit(X, y)
    _assert_same_dbn(dbn, expected)
    assert dbn.predict(X).shape == y.shape


def test_ctrl_c_in_pretraining_stops_at_once_and_keeps_the_previous_model(digits, monkeypatch):
    X, y = digits
    dbn = DBNClassifier((8, 6), rbm=RBMTransformer(n_iter=3), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dbn.fit(X, y)
    previous = copy.deepcopy(dbn)
    # The interrupt comes in the second layer's RBM: nothing else trains after it.
    calls = _interrupt_on_call(monkeypatch, skdbn._cd.ContrastiveDivergence, "update", 8)
    backward = _interrupt_on_call(monkeypatch, skdbn._fine_tuning.FeedForward, "train_step", 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dbn.fit(X, y)
    interrupted = [w for w in caught if "interrupted" in str(w.message)]
    assert len(interrupted) == 1 and "DBNClassifier" in str(interrupted[0].message)
    assert len(calls) == 8 and not backward
    _assert_same_dbn(dbn, previous)
    assert [r.n_iter_ for r in dbn.rbms_] == [3, 3]
