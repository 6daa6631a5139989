"""Exceptions raised by skdbn's estimators."""


class DivergenceError(ValueError):
    """Training diverged: the loss or the parameters became NaN, infinite or exploded.

    Raised by :meth:`RBMTransformer.fit` and :meth:`DBNClassifier.fit` (and their
    ``partial_fit``) instead of leaving non-finite weights behind; the estimator
    keeps the model it had before the call. A subclass of :class:`ValueError`,
    so code that catches ``ValueError`` keeps working; catch this type to tell a
    diverged fit from bad input.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn import DivergenceError, RBMTransformer
    >>> X = np.random.default_rng(0).normal(size=(50, 4)) * 1e3
    >>> try:
    ...     RBMTransformer(4, visible="gaussian", learning_rate=1e3,
    ...                    random_state=0).fit(X)
    ... except DivergenceError as exc:
    ...     print("diverged")
    diverged
    """
