"""Stochastic optimizers: plain classes that update parameter arrays in place.

A step is ``start(learning_rate)`` followed by ``update(index, grad, rows)``
for every block of rows of every parameter (``step`` does both for whole
arrays), so the fine-tuning threads can each update their own blocks. An
update may overwrite ``grad`` (a scratch buffer that the caller refills every
batch), so it allocates nothing, and returns the gradient's squared norm for
``gradient_norms_``. Every scalar that meets
an array is a Python float: under numpy 2's promotion rules a numpy float64
scalar (``np.sqrt(...)``, or a value from ``np.logspace`` in a grid) would turn
each float32 pass into a float64 one.
"""

import copy
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
        self.start(learning_rate)
        return [self.update(index, grad) for index, grad in enumerate(grads)]

    def start(self, learning_rate):
        """Begin a step with this learning rate; then :meth:`update` every block."""
        self._scale = -float(learning_rate)

    def copy(self, params):
        """An independent copy of the optimizer's state, updating ``params``."""
        new = copy.copy(self)
        new.params, new.velocities = params, [v.copy() for v in self.velocities]
        return new

    def update(self, index, grad, rows=slice(None)):
        """Update rows ``rows`` of parameter ``index`` with their gradient ``grad``.

        ``grad`` is overwritten. Blocks of a step are independent, so threads
        may update different blocks at once. Returns ``grad``'s squared norm.
        """
        norm = _blas.squared_norm(grad)
        grad *= self._scale
        momentum_step(self.params[index][rows], self.velocities[index][rows], grad,
                      self.momentum, self.nesterov)
        return norm


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

        Returns the squared Frobenius norm of each gradient, as a list of floats.
        """
        self.start(learning_rate)
        return [self.update(index, grad) for index, grad in enumerate(grads)]

    def copy(self, params):
        """An independent copy of the optimizer's state, updating ``params``."""
        new = copy.copy(self)
        new.params = params
        new.first_moments = [m.copy() for m in self.first_moments]
        new.second_moments = [v.copy() for v in self.second_moments]
        return new

    def start(self, learning_rate):
        """Begin a step with this learning rate; then :meth:`update` every block."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        lr_t = float(learning_rate) * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        # With m = (1 - b1) M and v = (1 - b2) V:
        # lr_t m / (sqrt(v) + eps) = step * M / (sqrt(V) + eps_V).
        root = math.sqrt(1 - b2)
        self._step = lr_t * (1 - b1) / root
        self._eps_v = self.epsilon / root

    def update(self, index, grad, rows=slice(None)):
        """Update rows ``rows`` of parameter ``index`` with their gradient ``grad``.

        ``M <- b1 M + g``, ``V <- b2 V + g^2``, then
        ``p <- p - step M / (sqrt(V) + eps_V)``, ``grad`` as scratch space.
        Blocks of a step are independent, so threads may update different
        blocks at once. Returns ``grad``'s squared norm.
        """
        norm = _blas.squared_norm(grad)
        param = self.params[index][rows]
        m, v = self.first_moments[index][rows], self.second_moments[index][rows]
        m *= self.beta_1
        m += grad
        v *= self.beta_2
        grad *= grad
        v += grad
        np.sqrt(v, out=grad)
        grad += self._eps_v
        np.divide(m, grad, out=grad)
        grad *= self._step
        param -= grad
        return norm
