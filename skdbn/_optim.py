"""Stochastic optimizers: plain classes that update parameter arrays in place.

``step(grads, learning_rate)`` may overwrite ``grads`` (scratch buffers that
the caller refills every batch), so an update allocates nothing, and returns
each gradient's squared norm for ``gradient_norms_``. Every scalar that meets
an array is a Python float: under numpy 2's promotion rules a numpy float64
scalar (``np.sqrt(...)``, or a value from ``np.logspace`` in a grid) would turn
each float32 pass into a float64 one.
"""

import math

import numpy as np

from . import _blas


def momentum_step(param, velocity, increment, momentum, nesterov=False):
    """``v <- momentum v + increment``, then ``p <- p + v``, in place.

    With Nesterov's momentum ``p <- p + momentum v + increment`` instead (the
    form scikit-learn's MLP uses). ``increment`` is the plain gradient step,
    ``-learning_rate * gradient``; it is overwritten. With ``momentum=0`` the
    velocity is never read, so it is left alone. The one momentum update of
    skdbn: :class:`SGD` and the RBM trainer both call it.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._optim import momentum_step
    >>> p, v = np.zeros(2), np.ones(2)
    >>> momentum_step(p, v, np.full(2, 0.5), momentum=0.9)
    >>> p, v
    (array([1.4, 1.4]), array([1.4, 1.4]))
    """
    if momentum == 0.0:
        param += increment
        return
    velocity *= momentum
    velocity += increment
    if nesterov:
        param += increment
        np.multiply(velocity, momentum, out=increment)
        param += increment
    else:
        param += velocity


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum * v - lr * g``; then ``p <- p + v`` or, with Nesterov,
    ``p <- p + momentum * v - lr * g`` (the form scikit-learn's MLP uses).

    Parameters
    ----------
    params : list of ndarray
        Arrays updated in place.
    momentum : float
        Momentum coefficient in [0, 1].
    nesterov : bool
        Use Nesterov's momentum.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._optim import SGD
    >>> p = [np.ones(2)]
    >>> SGD(p, momentum=0.0, nesterov=False).step([np.ones(2)], 0.5)
    [2.0]
    >>> p[0]
    array([0.5, 0.5])
    """

    def __init__(self, params, *, momentum, nesterov):
        self.params = params
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.velocities = [np.zeros_like(p) for p in params]

    def step(self, grads, learning_rate):
        """Update the parameters with the gradients ``grads`` (overwritten).

        Returns the squared Frobenius norm of each gradient, as a list of floats.
        """
        norms = [_blas.squared_norm(grad) for grad in grads]
        scale = -float(learning_rate)
        for param, grad, velocity in zip(self.params, grads, self.velocities):
            grad *= scale
            momentum_step(param, velocity, grad, self.momentum, self.nesterov)
        return norms


class Adam:
    """Adam (Kingma and Ba, 2015), bias-corrected through the step size.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - lr_t m / (sqrt(v) + eps)`` with
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, as in scikit-learn's MLP.

    The moments are stored rescaled, ``first_moments = m / (1 - b1)`` and
    ``second_moments = v / (1 - b2)``: their updates then lose the factors
    ``(1 - b1)`` and ``(1 - b2)`` (``M <- b1 M + g``, ``V <- b2 V + g^2``,
    two passes fewer), which move into the scalars of the step instead.

    Parameters
    ----------
    params : list of ndarray
        Arrays updated in place.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
        Added to the denominator for numerical stability.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._optim import Adam
    >>> p = [np.zeros(2)]
    >>> Adam(p, beta_1=0.9, beta_2=0.999, epsilon=1e-8).step([np.ones(2)], 0.1)
    [2.0]
    >>> p[0].round(6)
    array([-0.1, -0.1])
    """

    def __init__(self, params, *, beta_1, beta_2, epsilon):
        self.params = params
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.first_moments = [np.zeros_like(p) for p in params]
        self.second_moments = [np.zeros_like(p) for p in params]

    def step(self, grads, learning_rate):
        """Update the parameters with the gradients ``grads`` (overwritten).

        ``M <- b1 M + g``, ``V <- b2 V + g^2``, then
        ``p <- p - step M / (sqrt(V) + eps_V)``, ``grad`` as scratch space.
        Returns the squared Frobenius norm of each gradient, as a list of floats.
        """
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        lr_t = float(learning_rate) * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        # With m = (1 - b1) M and v = (1 - b2) V:
        # lr_t m / (sqrt(v) + eps) = step * M / (sqrt(V) + eps_V).
        root = math.sqrt(1 - b2)
        step = lr_t * (1 - b1) / root
        eps_v = self.epsilon / root
        norms = []
        for param, grad, m, v in zip(self.params, grads, self.first_moments,
                                     self.second_moments):
            norms.append(_blas.squared_norm(grad))
            m *= b1
            m += grad
            v *= b2
            grad *= grad
            v += grad
            np.sqrt(v, out=grad)
            grad += eps_v
            np.divide(m, grad, out=grad)
            grad *= step
            param -= grad
        return norms
