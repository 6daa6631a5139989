"""Contrastive-divergence training of an RBM on preallocated buffers.

The estimator in ``_rbm.py`` validates input and owns the public API; this
module only does the arithmetic of one mini-batch update, as fast as numpy and
BLAS allow at batch sizes around 100:

* the positive and negative phases share two stacked buffers, ``V`` (visible
  rows) and ``H`` (hidden rows): rows ``0 .. b-1`` hold the data phase, rows
  ``b .. 2b-1`` the model phase. The weight gradient
  ``<v h>_data - <v h>_model`` is then one matrix product ``V.T @ (c * H)``
  with row signs ``c = (+1, ..., -1, ...)``, one large product instead of two;
* that product is written straight into the velocity (or, without momentum,
  the weights) by BLAS ``gemm``, whose ``alpha`` and ``beta`` arguments fold
  in the learning rate and the momentum at no extra pass over memory;
* no array is allocated inside the loop.
"""

import numpy as np
from scipy.linalg.blas import get_blas_funcs
from scipy.sparse import issparse

from ._base import logistic, sample_bernoulli, sample_gaussian


class RBMParameters:
    """The three parameter arrays of an RBM, plus the momentum velocities.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_features)
        Weights ``W``; C-contiguous.
    intercept_hidden : ndarray of shape (n_components,)
        Hidden biases ``c``.
    intercept_visible : ndarray of shape (n_features,)
        Visible biases ``b``.
    velocity : tuple of three ndarrays or None
        Momentum velocities of the three arrays, zeros when None.
    """

    def __init__(self, components, intercept_hidden, intercept_visible, velocity=None):
        self.components = components
        self.intercept_hidden = intercept_hidden
        self.intercept_visible = intercept_visible
        if velocity is None:
            velocity = tuple(np.zeros_like(a) for a in self.arrays())
        self.velocity = velocity

    def arrays(self):
        """The weights, hidden biases and visible biases, in that order."""
        return (self.components, self.intercept_hidden, self.intercept_visible)

    def copy(self):
        """A deep copy, so a failed update never touches the original."""
        return RBMParameters(
            *(a.copy() for a in self.arrays()),
            velocity=tuple(v.copy() for v in self.velocity),
        )

    def all_finite(self):
        """True when no weight, bias or velocity is NaN or infinite."""
        # A sum is a single fast pass and is non-finite iff an element is
        # (or the values are ~1e38, which is divergence anyway).
        return all(np.isfinite(a.sum()) for a in self.arrays() + self.velocity)


class ContrastiveDivergence:
    """CD-k or PCD-k updates of an :class:`RBMParameters`, one batch per call.

    Parameters
    ----------
    params : RBMParameters
        Updated in place.
    gaussian : bool
        Gaussian (unit variance) instead of Bernoulli visible units.
    n_gibbs_steps : int
        Number ``k`` of Gibbs steps in the negative phase.
    persistent : bool
        Continue the negative chains from ``chains`` (PCD) instead of
        restarting them at the data (CD).
    sample_hidden_stats : bool
        Use sampled binary hidden states, not probabilities, for the data
        term of the weight update.
    learning_rate, momentum, weight_decay : float
        Step size on the batch-mean gradient, momentum coefficient and L2
        penalty coefficient on the weights.
    batch_size : int
        Largest batch that will be passed to :meth:`update`.
    random_state : numpy.random.Generator
        Source of randomness for sampling.
    chains : ndarray of shape (batch_size, n_components) or None
        Hidden states of the persistent chains; updated in place.
    visible_scale : ndarray of shape (n_features,) or None
        For Gaussian units, the input is divided by this before use.
    """

    def __init__(
        self,
        params,
        *,
        gaussian,
        n_gibbs_steps,
        persistent,
        sample_hidden_stats,
        learning_rate,
        momentum,
        weight_decay,
        batch_size,
        random_state,
        chains=None,
        visible_scale=None,
    ):
        self.params = params
        self.gaussian = gaussian
        self.n_gibbs_steps = n_gibbs_steps
        self.persistent = persistent
        self.sample_hidden_stats = sample_hidden_stats
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.chains = chains
        self.inverse_scale = None if visible_scale is None else 1.0 / visible_scale
        n_components, n_features = params.components.shape
        dtype = params.components.dtype
        self._V = np.empty((2 * batch_size, n_features), dtype=dtype)
        self._H = np.empty((2 * batch_size, n_components), dtype=dtype)
        self._h_state = np.empty((batch_size, n_components), dtype=dtype)
        self._signs = np.empty(2 * batch_size, dtype=dtype)
        self._gemm = get_blas_funcs("gemm", (params.components,))

    def update(self, X, rows, sample_weight=None):
        """One gradient step on the batch ``X[rows]``.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            Training data (unscaled; Gaussian scaling is applied here).
        rows : ndarray of int
            Indices of the batch's rows.
        sample_weight : ndarray of shape (n_samples,) or None
            Non-negative weights of the rows of ``X``.
        """
        b = len(rows)
        V, H = self._V[: 2 * b], self._H[: 2 * b]
        self._load_batch(X, rows, V[:b])
        self._hidden_proba(V[:b], out=H[:b])
        h_state = self._h_state[:b]
        if self.persistent:
            h_state[...] = self.chains[:b]
        else:
            sample_bernoulli(H[:b], self.random_state, out=h_state)
        if self.sample_hidden_stats:
            sample_bernoulli(H[:b], self.random_state, out=H[:b])
        self._negative_phase(h_state, V[b:], H[b:])
        if self.persistent:
            self.chains[:b] = h_state
        signs, total_weight = self._row_signs(rows, sample_weight)
        self._apply_gradient(V, H, signs, total_weight)

    def _load_batch(self, X, rows, out):
        if issparse(X):
            out[...] = X[rows].toarray()
        else:
            np.take(X, rows, axis=0, out=out)
        if self.inverse_scale is not None:
            out *= self.inverse_scale

    def _hidden_proba(self, v, out):
        """``P(h = 1 | v) = sigmoid(v W^T + c)``."""
        np.matmul(v, self.params.components.T, out=out)
        out += self.params.intercept_hidden
        return logistic(out, out=out)

    def _visible_mean(self, h, out):
        """``E[v | h] = sigmoid(h W + b)`` (Bernoulli) or ``h W + b`` (Gaussian)."""
        np.matmul(h, self.params.components, out=out)
        out += self.params.intercept_visible
        return out if self.gaussian else logistic(out, out=out)

    def _sample_visible(self, mean):
        if self.gaussian:
            return sample_gaussian(mean, self.random_state, out=mean)
        return sample_bernoulli(mean, self.random_state, out=mean)

    def _negative_phase(self, h_state, v_model, h_model):
        """Run ``k`` Gibbs steps from ``h_state``; leave the model statistics.

        On return ``v_model`` holds the last visible state (its mean for CD,
        a sample for PCD, whose chains must stay true Markov chains) and
        ``h_model`` holds ``P(h = 1 | v_model)``; ``h_state`` holds a sample
        of the last hidden layer, the persistent chains' next state.
        """
        for step in range(self.n_gibbs_steps):
            last = step == self.n_gibbs_steps - 1
            self._visible_mean(h_state, out=v_model)
            if self.persistent or not last:
                self._sample_visible(v_model)
            self._hidden_proba(v_model, out=h_model)
            if self.persistent or not last:
                sample_bernoulli(h_model, self.random_state, out=h_state)

    def _row_signs(self, rows, sample_weight):
        """Row coefficients ``c`` of the stacked gradient and their data total."""
        b = len(rows)
        signs = self._signs[: 2 * b]
        if sample_weight is None:
            signs[:b] = 1.0
            signs[b:] = -1.0
            return signs, float(b)
        weights = sample_weight[rows]
        total = float(weights.sum())
        signs[:b] = weights
        if self.persistent:
            # The chains are not tied to data rows: each gets an equal share.
            signs[b:] = -total / b
        else:
            signs[b:] = -weights
        return signs, max(total, np.finfo(signs.dtype).tiny)

    def _apply_gradient(self, V, H, signs, total_weight):
        """Momentum step on ``grad = V^T (c * H) / total - decay * W``."""
        p = self.params
        W, vel_W = p.components, p.velocity[0]
        H *= signs[:, None]
        rate = self.learning_rate / total_weight
        if self.momentum == 0.0 and self.weight_decay == 0.0:
            # W.T is F-contiguous, so gemm accumulates into W without a copy.
            self._gemm(rate, V.T, H.T, beta=1.0, c=W.T, trans_b=True, overwrite_c=True)
        else:
            self._gemm(
                rate, V.T, H.T, beta=self.momentum, c=vel_W.T, trans_b=True,
                overwrite_c=True,
            )
            if self.weight_decay:
                vel_W -= (self.learning_rate * self.weight_decay) * W
            W += vel_W
        for param, vel, grad in (
            (p.intercept_hidden, p.velocity[1], H.sum(axis=0)),
            (p.intercept_visible, p.velocity[2], signs @ V),
        ):
            vel *= self.momentum
            vel += rate * grad
            param += vel
