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
from ._threads import BlockRunner, even_slices

# Multiply-adds of a step's products (batch size x weights) from which a
# step runs in blocks on threads of our own: measured, a 200 x (784-100-10)
# step (16 million) ran slower on two threads than on one on a quiet
# machine, a 100 x (784-500-500-10) one (65 million) faster.
MIN_BLOCKED_WORK = 30_000_000

# Weights per block of the weights phase: every layer larger than this comes
# in at least two blocks, so that two threads share it evenly, and in blocks
# of about this size beyond that (fewer blocks cost less overhead).
WEIGHTS_PER_BLOCK = 131_072


class FeedForward:
    """Mini-batch forward/backward passes on preallocated buffers.

    A training step (:meth:`train_step`) runs in two phases, each split into
    independent blocks that :class:`~skdbn._threads.BlockRunner` may run on
    several threads: blocks of the batch's rows (forward pass, output error,
    errors propagated down to the first hidden layer: all row by row), then
    blocks of weight rows (each block's gradient ``inputs^T delta`` and its
    optimizer update). The blocks and their random streams depend only on the
    batch size, so results do not depend on the number of threads.

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
        self.batch_size = batch_size
        dtype = coefs[0].dtype
        sizes = [W.shape[1] for W in coefs]
        self._batch = np.empty((batch_size, coefs[0].shape[0]), dtype)
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
        self._training = False  # dropout applied in the last forward pass
        # Where the penalty term ``penalty * W`` is formed before it is added
        # to the gradient (numpy's matmul cannot accumulate into its output).
        self._penalty_grads = [np.empty_like(W) for W in coefs] if alpha else []
        # Blocks only for steps long enough for threads to pay (else one
        # block each, no overhead); they depend on the sizes, never on the
        # number of threads, so neither do the results.
        self.step_work = batch_size * sum(W.size for W in coefs)
        self.blocked = self.step_work >= MIN_BLOCKED_WORK
        # Blocks of 50 to 100 rows keep the products near full-batch speed.
        self.n_row_blocks = max(2, round(batch_size / 100)) if self.blocked else 1
        self._weight_blocks = _weight_blocks(coefs, self.blocked)

    # ------------------------------------------------------------ passes

    def forward(self, X, out=None, random_state=None, rows=None):
        """Activations of every layer for the batch ``X`` (last: the output).

        ``out`` lists where each layer goes (None: a new array), and a
        shorter list stops the pass after its last layer; by default
        the preallocated batch buffers, at ``rows`` (a slice: a block of a
        larger batch) or at the first ``len(X)`` rows. With ``random_state``
        given, dropout masks are applied to the input and the hidden layers
        (training mode) and kept, at the same rows, for the backward pass.
        """
        if out is None:
            rows = slice(0, X.shape[0]) if rows is None else rows
            acts = [a[rows] for a in self._acts]
        else:
            acts = list(out)
        self._training = random_state is not None
        if self.input_dropout and self._training:
            dropped = self._input_copy[rows]
            np.copyto(dropped, X)
            _drop(dropped, self._input_mask[rows], self.input_dropout, random_state)
            X = dropped
        a = X
        for layer, (W, b) in enumerate(zip(self.coefs[:len(acts)], self.intercepts)):
            z = acts[layer] = _blas.matmul(a, W, out=acts[layer])
            z += b
            if layer == len(self.coefs) - 1:
                a = self._output(z, out=z)
            else:
                a = ACTIVATIONS[self.activation](z, out=z)
                if self.dropout and self._training:
                    _drop(a, self._mask_buffers[layer][rows], self.dropout, random_state)
        return acts

    def gradients(self, X, Y, sample_weight=None, random_state=None):
        """The loss's gradients on the batch ``X``, in ``coef_grads`` and ``intercept_grads``.

        :meth:`train_step` without the update (its blocks run in order);
        ``random_state`` draws the dropout masks. Returns the output.
        """
        random_states = None if random_state is None else [random_state] * self.n_row_blocks
        output, _, _ = self.train_step(X, np.arange(X.shape[0]), Y, sample_weight,
                                       _KeepGradients(), 0.0, BlockRunner(1), random_states)
        return output

    def train_step(self, X, rows, Y, sample_weight, optimizer, learning_rate, runner,
                   random_states=None):
        """One optimizer step on the batch ``X[rows]``: forward, backward, update.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            The training rows; the batch is gathered from it block by block.
        rows : ndarray of int
            Indices of the batch's rows in ``X``.
        Y : ndarray of shape (len(rows), n_outputs)
            The batch's targets.
        sample_weight : ndarray of shape (len(rows),) or None
            The batch's row weights.
        optimizer : skdbn._optim.SGD or skdbn._optim.Adam
            Updates the parameters block by block.
        learning_rate : float
        runner : skdbn._threads.BlockRunner
            Runs the blocks of each phase (in order when it has one worker).
        random_states : list of numpy.random.Generator or None
            One per row block (:attr:`n_row_blocks`) for the dropout masks;
            None trains without dropout.

        Returns
        -------
        output : ndarray of shape (len(rows), n_outputs)
            The network's output on the batch, before the update.
        squared_weights : float
            ``sum ||W||^2`` before the update (for the loss's penalty).
        squared_grads : list of float
            ``||dL/dW_l||^2`` for every layer.
        """
        n = len(rows)
        total = _total_weight(n, sample_weight, self._batch.dtype)
        scale, penalty = 1.0 / total, self.alpha / total
        row_blocks = even_slices(n, min(n, self.n_row_blocks)) if self.blocked else [slice(0, n)]
        batch = self._batch[:n]

        def rows_phase(k):
            block = row_blocks[k]
            xb = _take_rows(X, rows[block], out=batch[block])
            rng = None if random_states is None else random_states[k]
            self.forward(xb, random_state=rng, rows=block)
            wb = None if sample_weight is None else sample_weight[block]
            self._output_delta(Y[block], wb, scale, block)
            self._backpropagate(block)

        runner.run(rows_phase, range(len(row_blocks)))
        optimizer.start(learning_rate)
        inputs = self._layer_inputs(batch, n)
        results = [None] * len(self._weight_blocks)

        def weights_phase(k):
            layer, block = self._weight_blocks[k]
            if layer is None:  # the biases: one small block for all layers
                n_coefs = len(self.coefs)
                for i, grad in enumerate(self.intercept_grads):
                    np.sum(self._deltas[i][:n], axis=0, out=grad)
                    optimizer.update(n_coefs + i, grad)
                return
            squared_weights = _blas.squared_norm(self.coefs[layer][block]) if penalty else 0.0
            grad = self._weight_grad(layer, inputs[layer], block, n, penalty)
            results[k] = (layer, squared_weights, optimizer.update(layer, grad, block))

        runner.run(weights_phase, range(len(self._weight_blocks)))
        squared_grads = [0.0] * len(self.coefs)
        squared_weights = 0.0
        for layer, weights, grads in results[:-1]:  # the last block: the biases
            squared_grads[layer] += grads
            squared_weights += weights
        return self._acts[-1][:n], squared_weights, squared_grads

    def parallel_workers(self, threads):
        """Threads to run this network's steps on, given ``threads`` allowed."""
        return min(self.n_row_blocks, threads)

    def _output_delta(self, Y, sample_weight, scale, rows):
        """Output error ``(output - Y) w / sum(w)`` of the batch rows ``rows``."""
        delta = np.subtract(self._acts[-1][rows], Y, out=self._deltas[-1][rows])
        if sample_weight is not None:
            delta *= sample_weight[:, None]
        delta *= scale

    def _backpropagate(self, rows):
        """``delta_{l-1} = (delta_l W_l^T) * f'(a_{l-1})``, times the dropout mask, in ``rows``."""
        for layer in range(len(self.coefs) - 1, 0, -1):
            prev = _blas.matmul(self._deltas[layer][rows], self.coefs[layer].T,
                                out=self._deltas[layer - 1][rows])
            activation = self._acts[layer - 1][rows]
            if self.dropout and self._training:
                prev *= self._mask_buffers[layer - 1][rows]
                # The stored activation is f(z) / keep on kept units; the
                # derivative needs f(z) itself (dropped units are zeroed anyway).
                activation = activation * (1.0 - self.dropout)
            DERIVATIVES[self.activation](activation, prev)

    def _layer_inputs(self, X, n):
        """What each layer saw in the forward pass of the first ``n`` batch rows."""
        first = self._input_copy[:n] if self.input_dropout and self._training else X
        return [first, *(a[:n] for a in self._acts[:-1])]

    def _weight_grad(self, layer, inputs, block, n, penalty):
        """``dL/dW = inputs^T delta + penalty W`` for the weight rows ``block``."""
        grad = _blas.matmul(inputs[:, block].T, self._deltas[layer][:n],
                            out=self.coef_grads[layer][block])
        if penalty:
            grad += np.multiply(self.coefs[layer][block], penalty,
                                out=self._penalty_grads[layer][block])
        return grad

    def predict(self, X, layer=-1):
        """Activations of ``layer`` (default: the output) for ``X`` (dense or sparse).

        Without dropout, in new arrays: the same :meth:`forward` as training,
        writing each layer to a new array instead of the preallocated batch
        buffers, and stopping at ``layer`` (``0``: the first hidden layer).
        """
        # Sparse rows are densified here, one chunk of rows at a time when the
        # caller chunks (see in_chunks): bounded memory, one dense code path.
        X = X.toarray() if issparse(X) else X
        return self.forward(X, out=[None] * (layer % len(self.coefs) + 1))[-1]

    @classmethod
    def for_prediction(cls, coefs, intercepts, activation, out_activation, dtype):
        """A network for :meth:`predict` on ``dtype`` input: the weights are cast once."""
        return cls(
            [W.astype(dtype, copy=False) for W in coefs],
            [b.astype(dtype, copy=False) for b in intercepts],
            activation, alpha=0.0, batch_size=0, out_activation=out_activation,
        )


class _KeepGradients:
    """An optimizer that leaves the parameters and the gradients alone."""

    def start(self, learning_rate):
        pass

    def update(self, index, grad, rows=None):
        return _blas.squared_norm(grad)


def _total_weight(n, sample_weight, dtype):
    """The batch's total weight (its size when unweighted), never zero."""
    total = float(n) if sample_weight is None else float(sample_weight.sum())
    return max(total, float(np.finfo(dtype).tiny))


def _weight_blocks(coefs, blocked):
    """The blocks of the weights phase: ``(layer, rows of W_l)``, then ``(None, None)``.

    Unless ``blocked``, one block per layer. Else at least two blocks for a
    layer of more than ``WEIGHTS_PER_BLOCK / 8`` weights and about
    :data:`WEIGHTS_PER_BLOCK` weights each, the largest first, so the threads
    finish together. The biases make one last block.
    """
    blocks = []
    for layer, W in enumerate(coefs):
        n_blocks = round(W.size / WEIGHTS_PER_BLOCK)
        n_blocks = max(n_blocks, 2 if W.size > WEIGHTS_PER_BLOCK // 8 else 1)
        n_blocks = min(W.shape[0], n_blocks) if blocked else 1
        blocks += [(layer, rows) for rows in even_slices(W.shape[0], n_blocks)]
    blocks.sort(key=lambda block: -(block[1].stop - block[1].start) * coefs[block[0]].shape[1])
    return [*blocks, (None, None)]


def _take_rows(X, rows, out):
    """The rows ``X[rows]`` as a dense array, written into ``out`` when dense."""
    if issparse(X):
        out[...] = X[rows].toarray()
        return out
    return np.take(X, rows, axis=0, out=out)


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
    output error :meth:`FeedForward.train_step` computes for an identity output.

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
