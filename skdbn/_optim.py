"""Stochastic optimizers: plain classes that update parameter arrays in place.

Each optimizer's ``step(grads, learning_rate)`` may overwrite ``grads`` (they
are scratch buffers refilled every batch), which lets the updates run without
allocating: every line below is one pass over memory.
"""

import numpy as np


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
    >>> p[0]
    array([0.5, 0.5])
    """

    def __init__(self, params, *, momentum, nesterov):
        self.params = params
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocities = [np.zeros_like(p) for p in params]

    def step(self, grads, learning_rate):
        """Update the parameters with the gradients ``grads`` (overwritten)."""
        for param, grad, velocity in zip(self.params, grads, self.velocities):
            velocity *= self.momentum
            grad *= learning_rate
            velocity -= grad
            if self.nesterov:
                param -= grad
                grad[...] = velocity
                grad *= self.momentum
                param += grad
            else:
                param += velocity


class Adam:
    """Adam (Kingma and Ba, 2015), bias-corrected through the step size.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - lr_t m / (sqrt(v) + eps)`` with
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, as in scikit-learn's MLP.

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
    >>> p[0].round(6)
    array([-0.1, -0.1])
    """

    def __init__(self, params, *, beta_1, beta_2, epsilon):
        self.params = params
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moments = [np.zeros_like(p) for p in params]
        self.second_moments = [np.zeros_like(p) for p in params]

    def step(self, grads, learning_rate):
        """Update the parameters with the gradients ``grads`` (overwritten)."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        step = learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for param, grad, m, v in zip(
            self.params, grads, self.first_moments, self.second_moments
        ):
            # m += (1 - b1) (g - m) is the moment update in two passes.
            m -= grad
            m *= b1
            m += grad
            grad *= grad
            v -= grad
            v *= b2
            v += grad
            np.sqrt(v, out=grad)
            grad += self.epsilon
            np.divide(m, grad, out=grad)
            grad *= step
            param -= grad
