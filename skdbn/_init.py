"""Weight initializers: the registry that the ``init`` parameter selects from.

Every initializer has the signature ``(fan_in, fan_out, random_state, *, dtype)``
and returns a new array of shape ``(fan_in, fan_out)``: row ``i`` holds the
weights leaving input unit ``i``. Biases are not set here; the estimators start
them as their docstrings say.
"""

import numbers

import numpy as np


def xavier_uniform(fan_in, fan_out, random_state, *, dtype=np.float64):
    """Glorot and Bengio's ("Xavier") uniform initialization.

    Sets every weight independently to
    ``W ~ U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``, so that the
    variance of the activations and of the back-propagated gradients stays
    roughly constant from layer to layer.

    Parameters
    ----------
    fan_in : int
        Number of input units of the layer.
    fan_out : int
        Number of output units of the layer.
    random_state : numpy.random.Generator
        Source of randomness.
    dtype : numpy dtype, default=numpy.float64
        Data type of the returned array.

    Returns
    -------
    weights : ndarray of shape (fan_in, fan_out)
        The initial weights.

    References
    ----------
    Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training
    deep feedforward neural networks. AISTATS.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn import xavier_uniform
    >>> W = xavier_uniform(784, 500, np.random.default_rng(0))
    >>> W.shape, bool(np.abs(W).max() <= np.sqrt(6 / (784 + 500)))
    ((784, 500), True)
    """
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return random_state.uniform(-bound, bound, size=(fan_in, fan_out)).astype(
        dtype, copy=False
    )


def he_normal(fan_in, fan_out, random_state, *, dtype=np.float64):
    """He et al.'s normal initialization, designed for ReLU units.

    Sets every weight independently to ``W ~ N(0, 2 / fan_in)``: a ReLU
    zeroes half of its inputs on average, and the factor 2 makes up for it.

    Parameters
    ----------
    fan_in : int
        Number of input units of the layer.
    fan_out : int
        Number of output units of the layer.
    random_state : numpy.random.Generator
        Source of randomness.
    dtype : numpy dtype, default=numpy.float64
        Data type of the returned array.

    Returns
    -------
    weights : ndarray of shape (fan_in, fan_out)
        The initial weights.

    References
    ----------
    He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into
    rectifiers. ICCV.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn import he_normal
    >>> W = he_normal(1000, 1000, np.random.default_rng(0))
    >>> round(float(W.var() * 1000), 1)
    2.0
    """
    scale = np.sqrt(2.0 / fan_in)
    return random_state.normal(0.0, scale, size=(fan_in, fan_out)).astype(
        dtype, copy=False
    )


def zero(fan_in, fan_out, random_state=None, *, dtype=np.float64):
    """All-zero weights.

    Every weight is 0. In a feed-forward network trained without dropout all
    hidden units of a layer then compute the same function and receive the
    same gradient, so they stay identical (with ReLU no gradient flows at
    all). It is here to show that failure, and how randomness repairs it: RBM
    pretraining with sampled hidden states, or dropout.

    Parameters
    ----------
    fan_in : int
        Number of input units of the layer.
    fan_out : int
        Number of output units of the layer.
    random_state : numpy.random.Generator or None
        Unused; accepted for a uniform signature.
    dtype : numpy dtype, default=numpy.float64
        Data type of the returned array.

    Returns
    -------
    weights : ndarray of shape (fan_in, fan_out)
        Zeros.

    Examples
    --------
    >>> from skdbn import zero
    >>> zero(2, 3)
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """
    return np.zeros((fan_in, fan_out), dtype=dtype)


def random_normal(fan_in, fan_out, random_state, *, scale=0.01, dtype=np.float64):
    """Small random normal weights, as in Hinton's practical guide to RBMs.

    Sets every weight independently to ``W ~ N(0, scale ** 2)``, whatever the
    layer's size. With the default ``scale=0.01`` this is the start that
    Hinton (2010) recommends for RBMs and that
    :class:`~sklearn.neural_network.BernoulliRBM` uses; a large ``scale``
    saturates sigmoid units.

    Parameters
    ----------
    fan_in : int
        Number of input units of the layer.
    fan_out : int
        Number of output units of the layer.
    random_state : numpy.random.Generator
        Source of randomness.
    scale : float, default=0.01
        Standard deviation of the weights.
    dtype : numpy dtype, default=numpy.float64
        Data type of the returned array.

    Returns
    -------
    weights : ndarray of shape (fan_in, fan_out)
        The initial weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn import random_normal
    >>> W = random_normal(500, 500, np.random.default_rng(0), scale=0.01)
    >>> round(float(W.std()), 3)
    0.01
    """
    return random_state.normal(0.0, scale, size=(fan_in, fan_out)).astype(
        dtype, copy=False
    )


INITIALIZERS = {
    "xavier": xavier_uniform,
    "he": he_normal,
    "zero": zero,
    "random": random_normal,
}


def initial_weights(init, fan_in, fan_out, random_state, *, init_scale, dtype):
    """Draw the starting weights of one layer as selected by ``init``.

    Parameters
    ----------
    init : {"xavier", "he", "zero", "random"} or callable
        A name from :data:`INITIALIZERS`, or a callable
        ``init(fan_in, fan_out, random_state) -> array of shape
        (fan_in, fan_out)``.
    fan_in, fan_out : int
        Number of input and output units of the layer.
    random_state : numpy.random.Generator
        Source of randomness, passed on to the initializer.
    init_scale : float
        Standard deviation used by ``"random"``; ignored otherwise.
    dtype : numpy dtype
        Data type of the returned array.

    Returns
    -------
    weights : ndarray of shape (fan_in, fan_out)
        A new, C-contiguous, finite array.

    Raises
    ------
    ValueError
        If a callable returns an array of the wrong shape or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._init import initial_weights
    >>> initial_weights("zero", 2, 2, np.random.default_rng(0),
    ...                 init_scale=0.01, dtype=np.float32).dtype
    dtype('float32')
    """
    if callable(init):
        weights = np.asarray(init(fan_in, fan_out, random_state))
        if weights.shape != (fan_in, fan_out):
            raise ValueError(
                f"The init callable returned an array of shape {weights.shape}; "
                f"expected (fan_in, fan_out) = ({fan_in}, {fan_out})."
            )
        if not np.all(np.isfinite(weights)):
            raise ValueError("The init callable returned non-finite weights.")
    elif init == "random":
        weights = random_normal(
            fan_in, fan_out, random_state, scale=init_scale, dtype=dtype
        )
    else:
        weights = INITIALIZERS[init](fan_in, fan_out, random_state, dtype=dtype)
    return np.ascontiguousarray(weights, dtype=dtype)


def make_generator(random_state):
    """Turn a scikit-learn ``random_state`` into a :class:`numpy.random.Generator`.

    An int (or None) seeds a new generator; a ``RandomState`` instance draws a
    seed from itself, so that passing the same instance twice gives different
    but reproducible streams, as in scikit-learn.

    Parameters
    ----------
    random_state : int, RandomState instance, Generator or None
        The estimator's ``random_state`` parameter.

    Returns
    -------
    generator : numpy.random.Generator

    Examples
    --------
    >>> from skdbn._init import make_generator
    >>> float(make_generator(0).random()) == float(make_generator(0).random())
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(f"{random_state!r} cannot be used to seed a random generator.")
