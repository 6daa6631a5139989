"""Small helpers shared by the estimators."""

from contextlib import contextmanager


@contextmanager
def restore_on_error(estimator):
    """Give ``fit``/``partial_fit`` all-or-nothing semantics.

    On any exception (including ``KeyboardInterrupt``) the estimator's
    attributes are put back exactly as they were when the block started.
    This is sound because training works on copies of the fitted arrays and
    only assigns them at the end, never changing a published array in place.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from skdbn._utils import restore_on_error
    >>> est = BaseEstimator()
    >>> try:
    ...     with restore_on_error(est):
    ...         est.coef_ = 1
    ...         raise ValueError("boom")
    ... except ValueError:
    ...     pass
    >>> hasattr(est, "coef_")
    False
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise
