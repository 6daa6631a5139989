"""Forward and backward passes of a feed-forward network.

The weights follow scikit-learn's MLP layout: ``coefs[l]`` has shape
``(fan_in, fan_out)`` and ``intercepts[l]`` shape ``(fan_out,)``. The output
is a softmax with the cross-entropy loss, or the identity with half the
squared error; both give the output error ``output - Y``. The loss is the
sample-weighted mean over the rows plus ``alpha / 2 * sum ||W||^2`` divided
by the batch's total weight, as in scikit-learn.
"""

import numpy as np
from scipy.sparse import issparse

from . import _blas
from ._base import ACTIVATIONS, DERIVATIVES, sample_bernoulli, softmax


class FeedForward:
    """Mini-batch forward/backward passes on preallocated buffers.

    Parameters
    ----------
    coefs : list of ndarray
        Weight matrices, ``coefs[l]`` of shape ``(fan_in, fan_out)``.
    intercepts : list of ndarray
        Bias vectors, ``intercepts[l]`` of shape ``(fan_out,)``.
    activation : {"logistic", "tanh", "relu"}
        Activation of the hidden layers.
    alpha : float
        L2 penalty coefficient.
    batch_size : int
        Largest batch that will be passed.
    dropout : float, default=0.0
        Probability of dropping each hidden unit during training
        (inverted dropout: kept units are scaled by ``1 / (1 - dropout)``).
    input_dropout : float, default=0.0
        Probability of dropping each input feature during training, the
        same way.
    out_activation : {"softmax", "identity"}, default="softmax"
        Activation of the output layer.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._network import FeedForward
    >>> net = FeedForward([np.zeros((3, 2))], [np.zeros(2)], "relu",
    ...                   alpha=0.0, batch_size=4)
    >>> net.predict(np.ones((1, 3)))
    array([[0.5, 0.5]])
    """

    def __init__(
        self, coefs, intercepts, activation, *, alpha, batch_size, dropout=0.0, input_dropout=0.0,
        out_activation="softmax",
    ):
        self.coefs = coefs
        self.intercepts = intercepts
        self.activation = activation
        self.out_activation = out_activation
        self._output = OUT_ACTIVATIONS[out_activation]
        # Python floats: a numpy float64 scalar (say from np.logspace in a
        # grid) would make every float32 pass that it scales run in float64.
        self.alpha = float(alpha)
        self.dropout = float(dropout)
        self.input_dropout = float(input_dropout)
        dtype = coefs[0].dtype
        sizes = [W.shape[1] for W in coefs]
        self._acts = [np.empty((batch_size, n), dtype) for n in sizes]
        self._deltas = [np.empty((batch_size, n), dtype) for n in sizes]
        self.coef_grads = [np.empty_like(W) for W in coefs]
        self.intercept_grads = [np.empty_like(b) for b in intercepts]
        self._mask_buffers = [
            np.empty((batch_size, n), dtype) for n in sizes[:-1] if dropout
        ]
        # The dropped-out copy of the batch and its mask: the caller's batch
        # is never changed.
        input_shape = (batch_size, coefs[0].shape[0]) if input_dropout else (0, 0)
        self._input_mask = np.empty(input_shape, dtype)
        self._input_copy = np.empty(input_shape, dtype)
        self._dropped_input = None
        # Where the penalty term ``penalty * W`` is formed before it is added
        # to the gradient (numpy's matmul cannot accumulate into its output).
        self._penalty_grads = [np.empty_like(W) for W in coefs] if alpha else []

    def forward(self, X, out=None, random_state=None):
        """Activations of every layer for the batch ``X`` (last: the output).

        ``out`` lists where each layer goes (None: a new array); by default
        the preallocated batch buffers. With ``random_state`` given, dropout
        masks are applied to the input and the hidden layers (training mode);
        the masks and the dropped-out input are kept for :meth:`backward`.
        """
        n = X.shape[0]
        acts = [a[:n] for a in self._acts] if out is None else list(out)
        self._masks = []
        self._dropped_input = None
        if self.input_dropout and random_state is not None:
            dropped = self._input_copy[:n]
            np.copyto(dropped, X)
            _drop(dropped, self._input_mask[:n], self.input_dropout, random_state)
            X = self._dropped_input = dropped
        a = X
        for layer, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            z = acts[layer] = _blas.matmul(a, W, out=acts[layer])
            z += b
            if layer == len(self.coefs) - 1:
                a = self._output(z, out=z)
            else:
                a = ACTIVATIONS[self.activation](z, out=z)
                if self.dropout and random_state is not None:
                    mask = self._mask_buffers[layer][:n]
                    self._masks.append(_drop(a, mask, self.dropout, random_state))
        return acts

    def backward(self, X, acts, Y, sample_weight=None):
        """Gradients of the loss, written to ``coef_grads`` and ``intercept_grads``.

        Parameters
        ----------
        X : ndarray of shape (n, n_features)
            The batch.
        acts : list of ndarray
            Output of :meth:`forward` on ``X``.
        Y : ndarray of shape (n, n_outputs)
            Targets (one-hot for a softmax output).
        sample_weight : ndarray of shape (n,) or None
            Row weights.

        Returns
        -------
        total_weight : float
            Sum of the batch's weights (its size when unweighted).
        """
        n = X.shape[0]
        delta = np.subtract(acts[-1], Y, out=self._deltas[-1][:n])
        if sample_weight is None:
            total = float(n)
        else:
            delta *= sample_weight[:, None]
            total = float(sample_weight.sum())
        delta *= 1.0 / max(total, np.finfo(delta.dtype).tiny)
        penalty = self.alpha / max(total, np.finfo(delta.dtype).tiny)
        if self._dropped_input is not None:
            X = self._dropped_input  # what the first layer saw in forward
        for layer in range(len(self.coefs) - 1, -1, -1):
            inputs = X if layer == 0 else acts[layer - 1]
            self._layer_grads(layer, inputs, delta, penalty)
            if layer:
                delta = self._backprop_delta(layer, delta, acts[layer - 1])
        return total

    def _layer_grads(self, layer, inputs, delta, penalty):
        """``dL/dW = inputs^T delta + penalty W`` and ``dL/db = sum(delta)``."""
        grad = _blas.matmul(inputs.T, delta, out=self.coef_grads[layer])
        if penalty:
            grad += np.multiply(self.coefs[layer], penalty, out=self._penalty_grads[layer])
        np.sum(delta, axis=0, out=self.intercept_grads[layer])

    def _backprop_delta(self, layer, delta, activation):
        """``delta_{l-1} = (delta_l W_l^T) * f'(a_{l-1})`` (times the dropout mask)."""
        n = delta.shape[0]
        prev = _blas.matmul(delta, self.coefs[layer].T, out=self._deltas[layer - 1][:n])
        if self._masks:
            prev *= self._masks[layer - 1]
            # The stored activation is f(z) / keep on kept units; the
            # derivative needs f(z) itself (dropped units are zeroed anyway).
            activation = activation * (1.0 - self.dropout)
        return DERIVATIVES[self.activation](activation, prev)

    def predict(self, X):
        """Output for ``X`` (dense or sparse), without dropout, in new arrays.

        The same :meth:`forward` as training, writing each layer to a new
        array instead of the preallocated batch buffers.
        """
        # Sparse rows are densified here, one chunk of rows at a time when the
        # caller chunks (see in_chunks): bounded memory, one dense code path.
        X = X.toarray() if issparse(X) else X
        return self.forward(X, out=[None] * len(self.coefs))[-1]

    @classmethod
    def for_prediction(cls, coefs, intercepts, activation, out_activation, dtype):
        """A network for :meth:`predict` on ``dtype`` input: the weights are cast once."""
        return cls(
            [W.astype(dtype, copy=False) for W in coefs],
            [b.astype(dtype, copy=False) for b in intercepts],
            activation, alpha=0.0, batch_size=0, out_activation=out_activation,
        )


def identity(z, out=None):
    """The identity output activation (``out`` is ``z`` itself here)."""
    return z


OUT_ACTIVATIONS = {"softmax": softmax, "identity": identity}


def _drop(a, mask, rate, random_state):
    """Inverted dropout in place: zero each entry of ``a`` with probability ``rate``,
    scale the rest by ``1 / (1 - rate)``; returns ``mask`` (0 or ``1 / (1 - rate)``)."""
    keep = 1.0 - rate
    sample_bernoulli(keep, random_state, out=mask)
    mask *= 1.0 / keep
    a *= mask
    return mask


def cross_entropy(proba, y_onehot, sample_weight, coefs, alpha):
    """Weighted mean cross-entropy plus the L2 penalty, as :class:`FeedForward` minimises.

    Parameters
    ----------
    proba : ndarray of shape (n, n_classes)
        Predicted probabilities.
    y_onehot : ndarray of shape (n, n_classes)
        One-hot targets.
    sample_weight : ndarray of shape (n,) or None
        Row weights.
    coefs : list of ndarray
        Weight matrices, for the penalty.
    alpha : float
        L2 penalty coefficient.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._network import cross_entropy
    >>> round(cross_entropy(np.full((2, 2), 0.5), np.eye(2), None, [], 0.0), 4)
    0.6931
    """
    eps = np.finfo(proba.dtype).eps
    picked = np.log(np.clip((proba * y_onehot).sum(axis=1), eps, None))
    return _penalised_mean(-picked, sample_weight, coefs, alpha)


def squared_error(output, Y, sample_weight, coefs, alpha):
    """Weighted mean of half the squared error per row plus the L2 penalty.

    ``sum_i w_i ||output_i - Y_i||^2 / 2`` over the rows, plus
    ``alpha / 2 * sum ||W||^2``, divided by ``sum_i w_i``: the loss whose
    output error :meth:`FeedForward.backward` computes for an identity output.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._network import squared_error
    >>> float(squared_error(np.zeros((2, 1)), np.array([[1.0], [3.0]]), None, [], 0.0))
    2.5
    """
    per_row = 0.5 * np.square(output - Y).sum(axis=1)
    return _penalised_mean(per_row, sample_weight, coefs, alpha)


def _penalised_mean(per_row, sample_weight, coefs, alpha):
    """``(sum_i w_i per_row_i + alpha / 2 * sum ||W||^2) / sum_i w_i``."""
    total = float(len(per_row) if sample_weight is None else sample_weight.sum())
    total = max(total, np.finfo(per_row.dtype).tiny)
    data = float(per_row.sum()) if sample_weight is None else _blas.dot(per_row, sample_weight)
    # Skipped at alpha=0: called once per training batch, the sum would be a
    # pass over every weight for nothing.
    penalty = 0.5 * alpha * sum(_blas.squared_norm(W) for W in coefs) if alpha else 0.0
    return (data + penalty) / total
