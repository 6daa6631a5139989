"""Contrastive-divergence training of an RBM on preallocated buffers.

The estimator (``_rbm.py``) validates input and owns the public API; this
module does the arithmetic of one mini-batch step,
:meth:`ContrastiveDivergence.update`, and allocates nothing inside the loop.

* The weights are stored as ``W^T``, C-contiguous ``(n_features,
  n_components)``; ``components`` is its transposed view. The two hidden
  products ``v W^T`` are then "NN" products, OpenBLAS's fastest form.
* The data and model phases share stacked buffers ``V`` and ``H`` (rows
  ``0 .. b-1`` the data, ``b .. 2b-1`` the model), so the weight gradient
  ``<v h>_data - <v h>_model`` is one product ``V^T (c H)``, with the
  learning rate, batch mean and sign in the row coefficients ``c``.
* BLAS runs single-threaded, and the batch runs in row blocks (the gradient
  in blocks of visible units) on threads of our own (:mod:`skdbn._threads`):
  an idle worker sleeps where an idle BLAS thread spins on a core the step
  needs. The blocks and their random streams depend only on the batch size,
  so results do not depend on the number of threads. Measurements:
  ``benchmarks/README.md``.
"""

import numpy as np
from scipy.sparse import issparse

from . import _blas, _threads
from ._base import logistic, sample_bernoulli, sample_gaussian
from ._optim import momentum_step
from ._threads import BlockRunner, blas_threads, block_generators, even_slices

# Fraction by which the offsets of centered updates move towards each batch's
# means (Melchior, Fischer & Wiskott 2016 use 0.01).
OFFSET_RATE = 0.01


class RBMParameters:
    """The three parameter arrays of an RBM, plus the momentum velocities.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_features)
        Weights ``W``. Stored Fortran-ordered, i.e. ``components.T`` (``W^T``)
        is C-contiguous: the layout that makes the trainer's products fastest.
        A C-ordered array is copied into that layout.
    intercept_hidden : ndarray of shape (n_components,)
        Hidden biases ``c``.
    intercept_visible : ndarray of shape (n_features,)
        Visible biases ``b``.
    velocity : tuple of three ndarrays or None
        Momentum velocities of the three arrays, zeros when None.
    offsets : tuple of two ndarrays or None
        Offsets ``(mu, lambda)`` of the visible and hidden units, of shapes
        ``(n_features,)`` and ``(n_components,)``, for centered updates
        (``centering=True`` of :class:`ContrastiveDivergence`); None otherwise.
    """

    def __init__(
        self, components, intercept_hidden, intercept_visible, velocity=None, offsets=None
    ):
        self.components = np.asfortranarray(components)
        self.intercept_hidden = intercept_hidden
        self.intercept_visible = intercept_visible
        if velocity is None:
            velocity = tuple(np.zeros_like(a) for a in self.arrays())
        self.velocity = (np.asfortranarray(velocity[0]),) + tuple(velocity[1:])
        self.offsets = offsets

    def arrays(self):
        """The weights, hidden biases and visible biases, in that order."""
        return (self.components, self.intercept_hidden, self.intercept_visible)

    def copy(self):
        """A deep copy, so a failed update never touches the original."""
        # order="K" keeps the Fortran layout of the weights.
        return RBMParameters(
            *(a.copy(order="K") for a in self.arrays()),
            velocity=tuple(v.copy(order="K") for v in self.velocity),
            offsets=None if self.offsets is None else tuple(o.copy() for o in self.offsets),
        )

    def all_finite(self):
        """True when no weight, bias or velocity is NaN or infinite."""
        # A sum is a single fast pass and is non-finite iff an element is
        # (or the values are ~1e38, which is divergence anyway).
        return all(np.isfinite(a.sum()) for a in self.arrays() + self.velocity)


class ContrastiveDivergence:
    """CD-k or PCD-k updates of an :class:`RBMParameters`, one batch per call.

    Call :meth:`update` inside a ``with trainer:`` block, entered once per
    epoch. Entering seeds the random streams of the row blocks and, when the
    batches are large enough, starts the trainer's worker threads: as many as
    numpy's BLAS was allowed to use (``OPENBLAS_NUM_THREADS``,
    ``threadpoolctl``), at most one per row block; BLAS then runs
    single-threaded until the block is left. The result does not depend on
    the number of threads.

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
        Samples the first row block and, at the start of each epoch, seeds
        one generator for each other block.
    chains : ndarray of shape (batch_size, n_components) or None
        Hidden states of the persistent chains; updated in place.
    visible_scale : ndarray of shape (n_features,) or None
        For Gaussian units, the input is divided by this before use.
    centering : bool
        Centered updates (Melchior, Fischer & Wiskott, 2016): the gradient
        is taken in the parametrisation with energy ``-(v - mu).b' -
        (h - lambda).c' - (v - mu) W^T (h - lambda)``, whose offsets
        ``params.offsets = (mu, lambda)`` follow sliding averages of the
        data's visible and hidden means (:data:`OFFSET_RATE` per batch).
        ``params`` keeps the ordinary parameters of the same model.
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
        centering=False,
    ):
        self.params = params
        self.gaussian = gaussian
        self.n_gibbs_steps = n_gibbs_steps
        self.persistent = persistent
        self.sample_hidden_stats = sample_hidden_stats
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.chains = chains
        self.centering = centering
        self.inverse_scale = None if visible_scale is None else 1.0 / visible_scale
        n_components, n_features = params.components.shape
        dtype = params.components.dtype
        # W^T, C-contiguous (n_features, n_components): a view, not a copy.
        self._WT = params.components.T
        self._V = np.empty((2 * batch_size, n_features), dtype=dtype)
        self._H = np.empty((2 * batch_size, n_components), dtype=dtype)
        self._h_state = np.empty((batch_size, n_components), dtype=dtype)
        self._coef = np.empty(2 * batch_size, dtype=dtype)
        self._grad_WT = np.empty((n_features, n_components), dtype=dtype)
        self._decay_WT = np.empty_like(self._grad_WT) if weight_decay else None
        self._grad_c = np.empty(n_components, dtype=dtype)
        self._grad_b = np.empty(n_features, dtype=dtype)
        if centering:
            self._rank1_WT = np.empty_like(self._grad_WT)
            self._shift_b = np.empty(n_features, dtype=dtype)
            self._shift_c = np.empty(n_components, dtype=dtype)
        self.random_state = random_state
        self._n_blocks = max(1, round(batch_size / _threads.ROWS_PER_BLOCK))
        self._feature_blocks = even_slices(n_features, self._n_blocks)
        work = batch_size * n_features * n_components
        self._parallel_worth_it = work >= _threads.MIN_PARALLEL_WORK
        self._rngs = None
        self._runner = None

    def __enter__(self):
        # New block generators at the start of each epoch: the caller's
        # stream advances alike in one fit of k epochs and in k partial fits.
        self._rngs = block_generators(self.random_state, self._n_blocks)
        n_workers = min(self._n_blocks, blas_threads()) if self._parallel_worth_it else 1
        self._runner = BlockRunner(n_workers).__enter__()
        return self

    def __exit__(self, *exc_info):
        self._runner.__exit__(*exc_info)
        self._rngs, self._runner = None, None

    def update(self, X, rows, sample_weight=None):
        """One CD-k (or PCD-k) step on the batch ``X[rows]``.

        The log-likelihood of an RBM has the gradient (Hinton, 2002)
        ``d log p(v) / dW = <v h>_data - <v h>_model``, and ``<h>_data -
        <h>_model``, ``<v>_data - <v>_model`` for the hidden and visible
        biases: ``<.>_data`` averages over the batch with ``P(h | v)``,
        ``<.>_model`` over the model's own distribution. CD-k estimates the
        model term from ``k`` Gibbs steps started at the data (PCD-k: at the
        persistent chains). The step is then ``velocity <- momentum velocity
        + rate (gradient - decay W)``, ``W <- W + velocity``.

        Rows are independent in both phases, and visible units in the weight
        gradient, so :class:`~skdbn._threads.BlockRunner` runs each in
        blocks; the lines below are the equations for one block.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            Training data (unscaled; Gaussian scaling is applied here).
        rows : ndarray of int
            Indices of the batch's rows.
        sample_weight : ndarray of shape (n_samples,) or None
            Non-negative weights of the rows of ``X``.
        """
        if self._rngs is None:
            raise RuntimeError("ContrastiveDivergence.update must run inside 'with trainer:'")
        b = len(rows)
        # Rows 0..b-1 of V and H hold the data phase, rows b..2b-1 the model.
        V, H = self._V[: 2 * b], self._H[: 2 * b]
        c = self._row_coefficients(rows, sample_weight)  # rate * (+w, -w') / sum(w)
        row_blocks = even_slices(b, self._n_blocks)

        def phases(k):
            block, rng = row_blocks[k], self._rngs[k]
            model = slice(b + block.start, b + block.stop)
            v_data, h_data, v_model, h_model = V[block], H[block], V[model], H[model]
            # Positive phase: v = x, and P(h = 1 | v).
            self._load_batch(X, rows[block], out=v_data)
            self._hidden_proba(v_data, out=h_data)
            # Negative phase: k Gibbs steps h -> v -> h from a sample of the
            # data's hidden units (CD) or from the persistent chains (PCD).
            h = self.chains[block] if self.persistent else self._h_state[block]
            if not self.persistent:
                sample_bernoulli(h_data, rng, out=h)
            if self.sample_hidden_stats:
                sample_bernoulli(h_data, rng, out=h_data)
            self._gibbs(h, v_model, h_model, rng)
            # Fold the rate, the batch mean and the sign into the hidden rows.
            h_data *= c[block, None]
            h_model *= c[model, None]

        def weight_gradient(cols):
            # rate (<v h>_data - <v h>_model) = V^T (c H), for visible units cols.
            grad = _blas.matmul(V[:, cols].T, H, out=self._grad_WT[cols])
            if self.centering:
                self._center_weight_gradient(grad, cols)

        def weight_step(cols):
            decay = None if self._decay_WT is None else self._decay_WT[cols]
            grad = self._grad_WT[cols]
            self._step(self._WT[cols], self.params.velocity[0].T[cols], grad, decay)

        def weight_update(cols):
            weight_gradient(cols)
            weight_step(cols)

        self._runner.run(phases, range(self._n_blocks))
        # rate (<h>_data - <h>_model) and rate (<v>_data - <v>_model).
        grad_c = np.sum(H, axis=0, out=self._grad_c)
        grad_b = _blas.matmul(c, V, out=self._grad_b)
        if self.centering:
            self._runner.run(weight_gradient, self._feature_blocks)
            self._center_bias_gradients(V[:b], H[:b], c[:b])
            self._runner.run(weight_step, self._feature_blocks)
        else:
            self._runner.run(weight_update, self._feature_blocks)
        p = self.params
        self._step(p.intercept_hidden, p.velocity[1], grad_c)
        self._step(p.intercept_visible, p.velocity[2], grad_b)

    def _center_weight_gradient(self, grad, cols):
        """Turn ``grad`` (rows ``cols`` of the weight gradient) into the centered one.

        ``<(v - mu)(h - lambda)^T>_data - <...>_model`` expands to the plain
        gradient ``minus mu (<h>_data - <h>_model)^T minus (<v>_data -
        <v>_model) lambda^T``: two rank-one corrections with the bias
        gradients, which :meth:`update` computed first.
        """
        mu, lam = self.params.offsets
        scratch = self._rank1_WT[cols]
        grad -= np.multiply(mu[cols, None], self._grad_c, out=scratch)
        grad -= np.multiply(self._grad_b[cols, None], lam, out=scratch)

    def _center_bias_gradients(self, v_data, h_data, coef):
        """Centered bias steps in the ordinary parameters; then move the offsets.

        The centered model has ordinary biases ``b = b' - W lambda`` and ``c =
        c' - W^T mu``, so a centered step ``(dW, db', dc')`` changes them by
        ``db' - dW lambda`` and ``dc' - dW^T mu``. The offsets then slide
        towards the batch's (weighted) data means; ``params`` stays the same
        model whatever the offsets are. ``h_data`` holds the data rows'
        hidden statistics times their coefficients ``coef`` (rate times the
        row's share of the batch), so their column sums divided by the rate
        are the batch's hidden means.
        """
        mu, lam = self.params.offsets
        grad_W = self._grad_WT
        self._grad_b -= _blas.matmul(grad_W, lam, out=self._shift_b)
        self._grad_c -= _blas.matmul(mu, grad_W, out=self._shift_c)
        step = OFFSET_RATE / self.learning_rate
        lam *= 1.0 - OFFSET_RATE
        lam += np.multiply(np.sum(h_data, axis=0, out=self._shift_c), step, out=self._shift_c)
        mu *= 1.0 - OFFSET_RATE
        mu += np.multiply(_blas.matmul(coef, v_data, out=self._shift_b), step, out=self._shift_b)

    def _load_batch(self, X, rows, out):
        if issparse(X):
            out[...] = X[rows].toarray()
        else:
            np.take(X, rows, axis=0, out=out)
        if self.inverse_scale is not None:
            out *= self.inverse_scale

    def _hidden_proba(self, v, out):
        """``P(h = 1 | v) = sigmoid(v W^T + c)``."""
        _blas.matmul(v, self._WT, out=out)
        out += self.params.intercept_hidden
        return logistic(out, out=out)

    def _visible_mean(self, h, out):
        """``E[v | h] = sigmoid(h W + b)`` (Bernoulli) or ``h W + b`` (Gaussian)."""
        _blas.matmul(h, self._WT.T, out=out)
        out += self.params.intercept_visible
        return out if self.gaussian else logistic(out, out=out)

    def _sample_visible(self, mean, rng):
        if self.gaussian:
            return sample_gaussian(mean, rng, out=mean)
        return sample_bernoulli(mean, rng, out=mean)

    def _gibbs(self, h, v_model, h_model, rng):
        """``k`` Gibbs steps from the hidden states ``h``; leave the model statistics.

        On return ``v_model`` holds the last visible state (its mean for CD,
        a sample for PCD, whose chains must stay true Markov chains),
        ``h_model`` holds ``P(h = 1 | v_model)`` and ``h`` a sample of it, the
        persistent chains' next state.
        """
        for step in range(self.n_gibbs_steps):
            last = step == self.n_gibbs_steps - 1
            self._visible_mean(h, out=v_model)
            if self.persistent or not last:
                self._sample_visible(v_model, rng)
            self._hidden_proba(v_model, out=h_model)
            if self.persistent or not last:
                sample_bernoulli(h_model, rng, out=h)

    def _row_coefficients(self, rows, sample_weight):
        """Row coefficients ``c`` of the stacked gradient ``V^T (c * H)``.

        ``c = rate * (w, -w') / sum(w)``: the learning rate and the batch mean
        are folded in here, on ``2 b`` numbers, rather than on the gradient.
        Without weights ``w = 1``; for PCD the chains are not tied to data
        rows, so each gets an equal share ``w' = sum(w) / b``.
        """
        b = len(rows)
        coef = self._coef[: 2 * b]
        if sample_weight is None:
            coef[:b] = self.learning_rate / b
            coef[b:] = -self.learning_rate / b
            return coef
        weights = sample_weight[rows]
        total = max(float(weights.sum()), np.finfo(coef.dtype).tiny)
        coef[:b] = weights
        coef[b:] = total / b if self.persistent else weights
        coef[b:] *= -1.0
        coef *= self.learning_rate / total
        return coef

    def _step(self, param, velocity, grad, decay_scratch=None):
        """``velocity = momentum * velocity + grad - rate * decay * param``;
        ``param += velocity``. ``grad`` (already times the rate) is overwritten;
        ``decay_scratch`` (like ``param``) holds the decay term, for the weights."""
        if decay_scratch is not None:
            grad -= np.multiply(param, self.learning_rate * self.weight_decay, out=decay_scratch)
        momentum_step(param, velocity, grad, self.momentum)
