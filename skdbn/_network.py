"""Forward and backward passes of a feed-forward network with a softmax output.

The weights follow scikit-learn's MLP layout: ``coefs[l]`` has shape
``(fan_in, fan_out)`` and ``intercepts[l]`` shape ``(fan_out,)``. The loss is
the sample-weighted mean cross-entropy plus ``alpha / 2 * sum ||W||^2``
divided by the batch's total weight, exactly as in scikit-learn.

A training step runs in blocks (see :mod:`skdbn._threads`): the forward pass
and the backward pass of the errors ``delta`` are independent from row to row,
so they run on fixed row blocks of the batch; each weight gradient
``a^T delta`` is cut into blocks of its rows (the layer's inputs). Given a
:class:`~skdbn._threads.BlockRunner`, the blocks share its threads; without
one they run in order. The blocks depend on the sizes only, so the results do
not depend on the number of threads.

Where the time goes (784-500-500-2000-10, batch 100, float32, dropout, Adam;
measured on 2 cores): the forward pass about 30 %, the backward pass 40 %,
Adam 25 %. At 100 rows a step is largely bound by memory bandwidth, not
arithmetic: every weight is read by the forward and the backward pass and
its gradient written once, and Adam then reads and writes weights, gradients
and moments (about 45 MB per step for 1.7 million weights). That is why a
second thread gains only about 1.3x, and why a larger batch, which streams
the weights once for more rows, trains faster per epoch.
"""

import numpy as np

from ._base import ACTIVATIONS, DERIVATIVES, softmax
from ._threads import even_slices, run_in_order

# Rows per block of the batch: below about 50 rows a product runs markedly
# slower per flop (measured for the RBM: 130 GFLOP/s at 50 rows, 96 at 25 on
# one core). The same figure as in ``_cd.py``.
_ROWS_PER_BLOCK = 50

# Multiply-adds of a batch's forward pass below which the batch is not cut
# into blocks: each block costs a few numpy calls per layer (microseconds),
# which only pays off when the products are large.
_MIN_BLOCKED_WORK = 5_000_000


class FeedForward:
    """Mini-batch forward/backward passes on preallocated buffers.

    Parameters
    ----------
    coefs : list of ndarray
        Weight matrices, ``coefs[l]`` of shape ``(fan_in, fan_out)``.
    intercepts : list of ndarray
        Bias vectors, ``intercepts[l]`` of shape ``(fan_out,)``.
    activation : {"logistic", "tanh", "relu"}
        Activation of the hidden layers; the output layer is a softmax.
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

    Attributes
    ----------
    n_blocks : int
        Row blocks per batch (and blocks per weight gradient): more than one
        only when the batch's products are large enough to be worth it.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._network import FeedForward
    >>> net = FeedForward([np.zeros((3, 2))], [np.zeros(2)], "relu",
    ...                   alpha=0.0, batch_size=4)
    >>> net.predict_proba(np.ones((1, 3)))
    array([[0.5, 0.5]])
    """

    def __init__(
        self, coefs, intercepts, activation, *, alpha, batch_size, dropout=0.0, input_dropout=0.0
    ):
        self.coefs = coefs
        self.intercepts = intercepts
        self.activation = activation
        # Python floats: a numpy float64 scalar (say from np.logspace in a
        # grid) would make every float32 pass that it scales run in float64.
        self.alpha = float(alpha)
        self.dropout = float(dropout)
        self.input_dropout = float(input_dropout)
        dtype = coefs[0].dtype
        sizes = [W.shape[1] for W in coefs]
        n_features = coefs[0].shape[0]
        self._acts = [np.empty((batch_size, n), dtype) for n in sizes]
        self._deltas = [np.empty((batch_size, n), dtype) for n in sizes]
        self.coef_grads = [np.empty_like(W) for W in coefs]
        self.intercept_grads = [np.empty_like(b) for b in intercepts]
        # alpha * W is added to each gradient block through this scratch
        # space, not through a temporary per block.
        self._penalty_terms = [np.empty_like(W) for W in coefs] if alpha else None
        self._hidden_masks = [
            np.empty((batch_size, n), dtype) for n in sizes[:-1] if dropout
        ]
        # The dropped-out copy of the batch and its mask: the caller's batch
        # is never changed.
        self._input_mask, self._dropped_input_buffer = (
            (np.empty((batch_size, n_features), dtype) for _ in range(2))
            if input_dropout else (None, None)
        )
        self._masks = []
        self._dropped_input = None
        work = batch_size * sum(W.size for W in coefs)
        self.n_blocks = 1
        if work >= _MIN_BLOCKED_WORK:
            self.n_blocks = max(1, round(batch_size / _ROWS_PER_BLOCK))
        self._grad_blocks = [
            (layer, rows) for layer, W in enumerate(coefs)
            for rows in even_slices(W.shape[0], self.n_blocks)
        ]

    def forward(self, X, out=None, random_state=None, run=run_in_order):
        """Activations of every layer for the batch ``X`` (last: probabilities).

        With ``random_state`` given, dropout masks are applied to the input
        and the hidden layers (training mode); the masks and the dropped-out
        input are kept for :meth:`backward`. ``run(func, blocks)`` runs the
        row blocks (a :meth:`BlockRunner.run <skdbn._threads.BlockRunner.run>`).
        """
        n = X.shape[0]
        acts = [a[:n] for a in self._acts] if out is None else out
        training = random_state is not None
        self._dropped_input = None
        if training and self.input_dropout:
            # Masks are drawn here, on the calling thread, so that they do
            # not depend on which thread runs which block.
            _draw_mask(self._input_mask[:n], self.input_dropout, random_state)
            self._dropped_input = self._dropped_input_buffer[:n]
        self._masks = []
        if training and self.dropout:
            self._masks = [
                _draw_mask(mask[:n], self.dropout, random_state) for mask in self._hidden_masks
            ]
        run(lambda rows: self._forward_rows(X, acts, rows), even_slices(n, self.n_blocks))
        return acts

    def _forward_rows(self, X, acts, rows):
        a = X[rows]
        if self._dropped_input is not None:
            a = np.multiply(a, self._input_mask[rows], out=self._dropped_input[rows])
        last = len(self.coefs) - 1
        for layer, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            z = np.matmul(a, W, out=acts[layer][rows])
            z += b
            if layer == last:
                a = softmax(z, out=z)
            else:
                a = ACTIVATIONS[self.activation](z, out=z)
                if self._masks:
                    a *= self._masks[layer][rows]

    def backward(self, X, acts, Y, sample_weight=None, run=run_in_order):
        """Gradients of the loss, written to ``coef_grads`` and ``intercept_grads``.

        Parameters
        ----------
        X : ndarray of shape (n, n_features)
            The batch.
        acts : list of ndarray
            Output of :meth:`forward` on ``X``.
        Y : ndarray of shape (n, n_classes)
            One-hot targets.
        sample_weight : ndarray of shape (n,) or None
            Row weights.
        run : callable, default=run_in_order
            ``run(func, blocks)`` calls ``func`` on every block.

        Returns
        -------
        total_weight : float
            Sum of the batch's weights (its size when unweighted).
        """
        n = X.shape[0]
        total = float(n if sample_weight is None else sample_weight.sum())
        scale = 1.0 / max(total, np.finfo(acts[-1].dtype).tiny)
        if self._dropped_input is not None:
            X = self._dropped_input  # what the first layer saw in forward
        run(lambda rows: self._backward_rows(acts, Y, sample_weight, scale, rows),
            even_slices(n, self.n_blocks))
        penalty = self.alpha * scale
        run(lambda block: self._weight_grads(X, acts, n, penalty, *block), self._grad_blocks)
        return total

    def _backward_rows(self, acts, Y, sample_weight, scale, rows):
        """``delta`` of every layer for the rows ``rows``: the output's
        ``(p - y) w / sum(w)``, then ``delta_{l-1} = (delta_l W_l^T) * f'(a_{l-1})``
        (times the dropout mask)."""
        delta = np.subtract(acts[-1][rows], Y[rows], out=self._deltas[-1][rows])
        if sample_weight is not None:
            delta *= sample_weight[rows, None]
        delta *= scale
        for layer in range(len(self.coefs) - 1, 0, -1):
            prev = np.matmul(delta, self.coefs[layer].T, out=self._deltas[layer - 1][rows])
            activation = acts[layer - 1][rows]
            if self._masks:
                prev *= self._masks[layer - 1][rows]
                # The stored activation is f(z) / keep on kept units; the
                # derivative needs f(z) itself (dropped units are zeroed anyway).
                activation = activation * (1.0 - self.dropout)
            delta = DERIVATIVES[self.activation](activation, prev)

    def _weight_grads(self, X, acts, n, penalty, layer, rows):
        """Rows ``rows`` of ``dL/dW = inputs^T delta + penalty W``; with the
        first block, ``dL/db = sum(delta)``."""
        inputs = X if layer == 0 else acts[layer - 1][:n]
        delta = self._deltas[layer][:n]
        grad = np.matmul(inputs[:, rows].T, delta, out=self.coef_grads[layer][rows])
        if penalty:
            term = np.multiply(self.coefs[layer][rows], penalty,
                               out=self._penalty_terms[layer][rows])
            grad += term
        if rows.start == 0:
            np.sum(delta, axis=0, out=self.intercept_grads[layer])

    def predict_proba(self, X):
        """Class probabilities for ``X`` (no dropout), allocating new arrays."""
        a = X
        for layer, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            z = a @ W
            z += b
            last = layer == len(self.coefs) - 1
            a = softmax(z, out=z) if last else ACTIVATIONS[self.activation](z, out=z)
        return a

    def gradient_norms(self):
        """Frobenius norm of each layer's last weight gradient."""
        return np.array([np.sqrt(np.vdot(g, g)) for g in self.coef_grads])


def _draw_mask(mask, rate, random_state):
    """Fill ``mask`` with ``0`` (probability ``rate``) or ``1 / (1 - rate)``.

    An entry is kept when a 16-bit uniform integer, taken straight from the
    bit generator, is below ``keep * 65536``: about 2.5 times faster than
    ``random_state.random(...) < keep`` (which converts each draw to a
    float), for a keep probability off by less than 1 / 65536, as in
    :func:`~skdbn._base.sample_bernoulli`.
    """
    keep = 1.0 - rate
    uniform16 = random_state.bit_generator.random_raw((mask.size + 3) // 4)
    uniform16 = uniform16.view(np.uint16)[: mask.size].reshape(mask.shape)
    np.less(uniform16, min(round(keep * 65536), 65535), out=mask)
    mask *= 1.0 / keep
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
    total = float(len(proba) if sample_weight is None else sample_weight.sum())
    total = max(total, np.finfo(proba.dtype).tiny)
    data = -float(np.dot(picked, sample_weight) if sample_weight is not None else picked.sum())
    # Skipped at alpha=0: called once per training batch, the sum would be a
    # pass over every weight for nothing.
    penalty = 0.5 * alpha * sum(float(np.vdot(W, W)) for W in coefs) if alpha else 0.0
    return (data + penalty) / total
