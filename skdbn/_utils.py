"""Small helpers shared by the estimators."""

from contextlib import contextmanager

import numpy as np
from sklearn import get_config


def batch_slices(n_samples, batch_size):
    """Consecutive slices of ``range(n_samples)`` of ``batch_size`` rows (the last may be short).

    What :func:`sklearn.utils.gen_batches` yields, without its parameter
    validation, which costs more than a small epoch's products.

    Examples
    --------
    >>> from skdbn._utils import batch_slices
    >>> batch_slices(5, 2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    return [slice(i, min(i + batch_size, n_samples)) for i in range(0, n_samples, batch_size)]


@contextmanager
def restore_on_error(estimator):
    """Give ``fit``/``partial_fit`` all-or-nothing semantics, with epoch checkpoints.

    Yields a function ``checkpoint()`` that the training loop calls once an
    epoch's model is published. On an exception the estimator's attributes
    are put back exactly as they were when the block started; on a
    ``KeyboardInterrupt`` (Ctrl-C) as they were at the last checkpoint, or
    at the start if there was none, so an interrupted fit keeps the model of
    its last completed epoch, never a half-updated one. Either way the
    exception goes on. This is sound because training works on copies of
    the fitted arrays and only assigns them, never changing a published
    array in place.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from skdbn._utils import restore_on_error
    >>> est = BaseEstimator()
    >>> try:
    ...     with restore_on_error(est) as checkpoint:
    ...         est.n_iter_ = 1
    ...         checkpoint()
    ...         est.n_iter_ = 2
    ...         raise KeyboardInterrupt
    ... except KeyboardInterrupt:
    ...     pass
    >>> est.n_iter_
    1
    """
    start = dict(vars(estimator))
    last = [start]

    def checkpoint():
        last[0] = dict(vars(estimator))

    try:
        yield checkpoint
    except BaseException as error:
        saved = last[0] if isinstance(error, KeyboardInterrupt) else start
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def in_chunks(function, X, n_columns_out):
    """Apply a row-wise ``function`` to ``X`` in chunks that fit working memory.

    Chunks hold at most 64 MiB (or scikit-learn's ``working_memory``, if
    smaller) of input rows and ``n_columns_out`` temporary columns, so a
    prediction on a million rows never holds all its temporaries at once.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._utils import in_chunks
    >>> in_chunks(lambda x: 2 * x, np.ones((3, 2)), 2).sum()
    np.float64(12.0)
    """
    n_samples = X.shape[0]
    row_bytes = X.dtype.itemsize * (X.shape[1] + 2 * max(n_columns_out, 1))
    budget_mib = min(get_config()["working_memory"], 64)
    chunk = max(1, int(budget_mib * 2**20 // row_bytes))
    if chunk >= n_samples:
        return function(X)
    first = function(X[:chunk])
    out = np.empty((n_samples,) + first.shape[1:], dtype=first.dtype)
    out[:chunk] = first
    for rows in batch_slices(n_samples, chunk):
        if rows.start:
            out[rows] = function(X[rows])
    return out

