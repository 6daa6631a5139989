"""The experiment of ``skdbn compare``: every configuration over the seeds.

:func:`run_comparison` yields one record per fit and prints nothing; whoever
consumes it decides what to show. It reports its progress to an optional
observer with three methods, ``start(index, init, pretrain, seed)``,
``epoch(epoch, loss)`` and ``finish(record)``, and, if it has it and
scikit-learn has callbacks (>= 1.9), ``pretraining(layer, n_layers, epoch,
n_epochs)`` at the end of each pretraining epoch.
"""

import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from .._exceptions import DivergenceError
from .data import hide_labels, make_splits, one_line, split
from .settings import DEFAULTS, INITS, UNLABELED


def configurations():
    """The (init, pretrain) pairs of the comparison, in run order."""
    return [(init, pretrain) for init in INITS for pretrain in (False, True)]


def label(init, pretrain):
    """The name of a configuration, e.g. ``"zero + pretraining"``."""
    return f"{init} + pretraining" if pretrain else init


def run_comparison(X, y, settings=DEFAULTS, *, observer=None):
    """Train every configuration over the seeds, one record per fit.

    For each ``init`` in zero, random, xavier and he, with ``pretrain`` off
    and on, and for each seed ``s``, ``settings.classifier(init, pretrain, s,
    budget)`` is trained on the ``s``-th stratified split (shared by all
    configurations) one epoch per :meth:`~skdbn.DBNClassifier.partial_fit`
    call, and scored on its test part. The data are checked and split at
    once; the fits run as the returned iterator is consumed, so the caller
    keeps the finished records if it is interrupted.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features; min-max scaled to [0, 1] on each training split unless they
        already lie in [0, 1].
    y : array-like of shape (n_samples,)
        Class labels, at least 2 per class.
    settings : Settings, default=DEFAULTS
        The network, the budgets and the number of seeds.
    observer : object or None, default=None
        Receives ``start(index, init, pretrain, seed)``, ``epoch(epoch,
        loss)`` and ``finish(record)`` calls.

    Returns
    -------
    records : iterator of dict
        One dict per fit, configuration by configuration: ``init``,
        ``pretrain``, ``seed``, ``accuracy``, ``final_loss``,
        ``first_layer_gradient_norm``, ``fit_time``, ``pretraining_time``,
        ``loss_curve`` (list of float), ``gradient_norms`` (ndarray of shape
        (n_epochs, n_layers - 1)), ``filters`` (the first RBM's
        ``components_`` of a pretrained fit, of shape (n_components,
        n_features), else None), ``diverged`` (bool), ``error`` (str or
        None), ``chance_loss`` (see :func:`chance_loss`) and
        ``not_converged`` (None, or why the training did not converge: see
        :func:`convergence`).

    Raises
    ------
    ValueError
        If a class has fewer than 2 samples or the split sizes are too small.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdbn.compare import Settings, run_comparison
    >>> X, y = load_digits(return_X_y=True)
    >>> settings = Settings(hidden_layer_sizes=(8,), epochs=2, pretrain_epochs=1, seeds=1)
    >>> records = list(run_comparison(X[:200] / 16, y[:200], settings))
    >>> len(records), records[0]["init"], len(records[0]["loss_curve"])
    (8, 'zero', 2)
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    splits = make_splits(y, settings.test_size, settings.seeds)
    # The training labels of each split, checked at once: with --labels all but
    # a stratified few are -1 (the same rows for every configuration).
    y_trains = [y[train] for train, _ in splits]
    if settings.labels is not None:
        y_trains = [hide_labels(t, settings.labels, seed) for seed, t in enumerate(y_trains)]
    budget = settings.budget(splits[0][0].shape[0])
    return _fits(X, y, splits, y_trains, settings, budget, observer or _Silent())


def plan(y, settings):
    """The :class:`~skdbn.compare.settings.Budget` of the fits on labels ``y``.

    Every split has the same training size, so one budget serves all fits.
    """
    train, _ = make_splits(np.asarray(y), settings.test_size, 1)[0]
    return settings.budget(train.shape[0])


def chance_loss(y):
    """The cross-entropy of predicting the class frequencies of ``y``.

    What a network that learnt nothing from the features reaches:
    ``log(n_classes)`` for balanced classes, less for unbalanced ones.
    """
    _, counts = np.unique(y, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def convergence(curve, chance, settings):
    """Why a fit's training did not converge, or None if it did.

    ``"at chance level"``: the final loss is above ``settings.chance_fraction``
    times ``chance``, so the network learnt next to nothing. ``"still
    falling"``: the mean loss of the last tenth of the epochs is below that
    of the tenth before by more than ``settings.falling_fraction`` times
    ``chance``, so more epochs would change the result (means of tenths,
    because the loss of single SGD epochs is noisy). ``"too few epochs"``:
    one epoch, nothing to compare.

    Examples
    --------
    >>> from skdbn.compare import Settings
    >>> from skdbn.compare.run import convergence
    >>> settings = Settings()
    >>> convergence([1.1, 1.09, 1.08], chance=1.0986, settings=settings)
    'at chance level'
    >>> convergence([1.0, 0.8, 0.6, 0.4], chance=1.0986, settings=settings)
    'still falling'
    >>> print(convergence([1.0, 0.5, 0.3, 0.29, 0.289], 1.0986, settings))
    None
    """
    if not curve:
        return None
    if curve[-1] > settings.chance_fraction * chance:
        return "at chance level"
    if len(curve) < 2:
        return "too few epochs"
    k = max(1, len(curve) // 10)
    drop = np.mean(curve[-2 * k : -k]) - np.mean(curve[-k:])
    return "still falling" if drop > settings.falling_fraction * chance else None


def _fits(X, y, splits, y_trains, settings, budget, observer):
    classes = np.unique(y)
    scale = bool(X.min() < 0 or X.max() > 1)
    index = 0
    for init, pretrain in configurations():
        for seed, (train, test) in enumerate(splits):
            observer.start(index, init, pretrain, seed)
            X_train, X_test = split(X, train, test, scale)
            clf = settings.classifier(init, pretrain, seed, budget)
            record = _fit_one(clf, X_train, y_trains[seed], X_test, y[test], classes, observer)
            chance = chance_loss(y[train])
            verdict = None
            if not record["diverged"]:
                verdict = convergence(record["loss_curve"], chance, settings)
            record.update(
                init=init, pretrain=pretrain, seed=seed, chance_loss=chance, not_converged=verdict
            )
            observer.finish(record)
            index += 1
            yield record


def _fit_one(clf, X_train, y_train, X_test, y_test, classes, observer):
    """Fine-tune ``clf`` epoch by epoch (pretraining in the first call); its record.

    The first call sees every training row (the RBMs pretrain on unlabelled
    rows too); the later ones only the labelled rows, all they learn from.
    """
    labelled = y_train != UNLABELED if clf.unlabeled is not None else slice(None)
    if hasattr(observer, "pretraining") and hasattr(clf, "set_callbacks"):
        clf.set_callbacks(_PretrainingProgress(observer))
    # One BLAS thread: the mini-batch products are too small to gain from
    # threads, and on a busy machine threads slow them down up to tenfold.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore")
        start, error = time.perf_counter(), None
        try:
            clf.partial_fit(X_train, y_train, classes=classes)
            observer.epoch(1, clf.loss_curve_[-1])
            X_train, y_train = X_train[labelled], y_train[labelled]
            for epoch in range(1, clf.max_iter):
                clf.partial_fit(X_train, y_train)
                observer.epoch(epoch + 1, clf.loss_curve_[-1])
        except DivergenceError as exc:
            error = one_line(exc)
        fit_time = time.perf_counter() - start
        accuracy = float(clf.score(X_test, y_test)) if error is None else None
    return _record(clf, accuracy, fit_time, error)


def _record(clf, accuracy, fit_time, error):
    """What the table and the figure need of one fit."""
    curve = list(getattr(clf, "loss_curve_", []))
    norms = np.array(getattr(clf, "gradient_norms_", np.empty((0, 0))))
    rbms = getattr(clf, "rbms_", [])
    return {
        "accuracy": accuracy,
        "final_loss": float(curve[-1]) if curve else None,
        "first_layer_gradient_norm": float(norms[0, 0]) if norms.size else None,
        "fit_time": fit_time,
        "pretraining_time": float(getattr(clf, "pretraining_time_", 0.0)),
        "loss_curve": [float(v) for v in curve],
        "gradient_norms": norms,
        # Every pretrained fit keeps its first RBM's filters (n_components x
        # n_features floats), so the figure can show any of them.
        "filters": rbms[0].components_.copy() if rbms else None,
        "diverged": error is not None,
        "error": error,
    }


class _PretrainingProgress:
    """A scikit-learn callback: ``observer.pretraining`` after each pretraining epoch.

    Set on the DBN, it propagates to the pretraining RBMs, whose fit is the
    DBN's task of that layer (see the docs page "Progress, callbacks and
    Ctrl-C"); it never stops anything.
    """

    max_propagation_depth = None

    def __init__(self, observer):
        self.observer = observer

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        layer = context.parent
        if context.task_name == "epoch" and context.estimator_name == "RBMTransformer" and (
            layer is not None and layer.source_task_name is not None
        ):
            # The DBN's subtasks are the layers in order, then the fine-tuning.
            n_layers = layer.parent.max_subtasks - 1
            self.observer.pretraining(
                layer.task_id + 1, n_layers, context.task_id + 1, layer.max_subtasks
            )
        return False


class _Silent:
    """An observer that ignores everything."""

    def start(self, index, init, pretrain, seed):
        pass

    def epoch(self, epoch, loss):
        pass

    def finish(self, record):
        pass
