"""Restricted Boltzmann Machine as a scikit-learn transformer."""

import copy
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _blas
from ._base import logistic, sample_bernoulli, sample_gaussian, softplus
from ._callbacks import CallbackSupportMixin, EpochHooks, Task, interruptible
from ._cd import ContrastiveDivergence, RBMParameters
from ._exceptions import DivergenceError
from ._init import INITIALIZERS, initial_weights, make_generator
from ._likelihood import _spawn, log_partition
from ._utils import batch_slices, in_chunks, restore_on_error

# Rows used to monitor the reconstruction error after each epoch.
_MONITOR_ROWS = 1000
# Training has diverged when the reconstruction error exceeds this many times
# the mean square of the (scaled) data, the error of reconstructing by zeros:
# Gaussian units can grow for many epochs before anything overflows.
_DIVERGENCE_FACTOR = 1e4


class RBMTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, CallbackSupportMixin, BaseEstimator
):
    """Restricted Boltzmann Machine with Bernoulli hidden units.

    An RBM is a two-layer undirected model of the data: binary hidden units
    ``h`` (the features that :meth:`transform` returns) and visible units
    ``v`` (the input), with energy

    * Bernoulli visible units, data in [0, 1]:
      ``E(v, h) = -b.v - c.h - v W^T h``;
    * Gaussian visible units, real data:
      ``E(v, h) = ||x - b||^2 / 2 - c.h - x W^T h`` with ``x = v / s``,
      ``s = visible_scale_``.

    It is trained by contrastive divergence (CD-k) or persistent contrastive
    divergence (PCD-k) with momentum and L2 weight decay on shuffled
    mini-batches. Read more in the :ref:`User Guide <rbm>`.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    init : {"xavier", "he", "zero", "random"} or callable, default="xavier"
        Starting weights, from :data:`skdbn.INITIALIZERS`: ``"xavier"``
        (Glorot uniform, bound ``sqrt(6 / (n_features + n_components))``),
        ``"he"`` (normal, variance ``2 / n_features``), ``"zero"`` or
        ``"random"`` (normal with standard deviation ``init_scale``; with
        the default 0.01, the start of Hinton's practical guide). A
        callable ``init(fan_in, fan_out, random_state)`` must return an array
        of shape ``(n_features, n_components)``; ``random_state`` is a
        :class:`numpy.random.Generator`. The hidden biases start at 0; the
        visible biases start at the log-odds ``log(p / (1 - p))`` of the
        feature means ``p`` (clipped to [0.001, 0.999]) for Bernoulli units,
        as Hinton's guide recommends, and at the scaled feature means for
        Gaussian units.
    init_scale : float, default=0.01
        Standard deviation of the weights when ``init="random"``.
    visible : {"auto", "bernoulli", "gaussian"}, default="auto"
        Type of the visible units. ``"auto"`` chooses Bernoulli when the data
        passed to the first ``fit`` or ``partial_fit`` lie in [0, 1] and
        Gaussian otherwise; the choice is stored in ``visible_``.
    learning_rate : float or "auto", default="auto"
        Step size on the batch-mean gradient. ``"auto"`` is 0.1 for
        Bernoulli visible units (Hinton's recipe) and 0.01 for Gaussian ones,
        whose unbounded visible values make larger steps diverge; the value
        used is stored in ``learning_rate_``.
    batch_size : int, default=100
        Number of rows per mini-batch. 100 makes the defaults a drop-in for
        ``BernoulliRBM``'s (batch 10): feeding a logistic regression at 256
        hidden units they were more accurate, in no more time, on the digits,
        binarised digits, 5,000 MNIST rows and breast cancer, while batches
        of 10-20 gained on the digits only (``benchmarks/bench_rbm_defaults.py``).
    n_iter : int, default=10
        Number of passes (epochs) over the training data in :meth:`fit`.
    method : {"cd", "pcd"}, default="cd"
        Contrastive divergence, whose negative chains start at the data, or
        persistent contrastive divergence, whose ``batch_size`` chains
        continue from one update to the next.
    n_gibbs_steps : int, default=1
        Number ``k`` of Gibbs steps of the negative phase (CD-k, PCD-k).
    hidden_stats : {"probabilities", "samples"}, default="probabilities"
        Whether the data term ``<h v^T>_data`` of the update uses ``P(h=1|v)``
        (less noise, as in Hinton's code) or sampled binary states. With
        ``init="zero"`` and ``"probabilities"`` every hidden unit receives the
        same update and they stay identical; ``"samples"`` breaks
        the symmetry, which is why a DBN's default pretraining uses it.
    momentum : float, default=0.5
        Momentum coefficient of the updates, in [0, 1).
    weight_decay : float, default=0.0
        L2 penalty coefficient on the weights. Hinton's guide (2010)
        suggests values from 1e-5 to 1e-2, starting at 1e-4.
    centering : bool, default=False
        Centered updates (Melchior, Fischer & Wiskott, 2016): the gradient is
        taken as if the units were centered, ``(v - mu)`` and ``(h -
        lambda)``, with offsets ``mu`` and ``lambda`` that follow sliding
        averages of the data's visible and hidden means. The model and its
        parameters are the usual ones; only the direction of each update
        changes, which makes it better conditioned and less sensitive to
        the learning rate.
    shuffle : bool, default=True
        Shuffle the rows before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the Gibbs sampling. Pass
        an int for reproducible results.
    verbose : int, default=0
        Print the reconstruction error after each epoch when positive.
    n_ais_runs : int, default=100
        Number of annealed importance sampling runs that estimate ``log Z``
        for :meth:`score_samples` when the RBM is too large to enumerate.
    n_ais_betas : int, default=14500
        Number of intermediate distributions of each AIS run; the default is
        Salakhutdinov and Murray's schedule (steps of 1e-3 up to beta = 0.5,
        1e-4 up to 0.9, 1e-5 up to 1), and other values keep its shape. The
        cost is about ``n_ais_runs * n_ais_betas`` Gibbs steps of one row
        (about a minute for 784 x 500 units); fewer give a wider interval.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Weights ``W``; for Gaussian units they act on ``X / visible_scale_``.
    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases ``c``.
    intercept_visible_ : ndarray of shape (n_features,)
        Visible biases ``b`` (for Gaussian units in the units of
        ``X / visible_scale_``).
    visible_ : {"bernoulli", "gaussian"}
        The type of the visible units.
    learning_rate_ : float
        The learning rate used (resolves ``learning_rate="auto"``).
    visible_scale_ : ndarray of shape (n_features,)
        Standard deviation of each feature in the first training data (1
        where it is 0), which fixes the variance of Gaussian visible units;
        all ones for Bernoulli units.
    n_iter_ : int
        Number of epochs trained so far.
    loss_curve_ : list of float
        Mean squared reconstruction error ``||v - E[v | h = P(h|v)]||^2 /
        n_features`` after each epoch, on up to 1000 evenly spaced rows of
        that epoch's data.
    log_partition_ : float
        ``log Z`` of the fitted model (in the units of ``X / visible_scale_``
        for Gaussian units): exact when the hidden side, or for Bernoulli
        units either side, has at most 20 units, else estimated by AIS from
        the base-rate model of the training data. Computed on first access
        (or first :meth:`score_samples`) and kept until the next ``fit`` or
        ``partial_fit``; reproducible given ``random_state``.
    log_partition_interval_ : tuple of float
        ``(low, high)`` around ``log_partition_``: ``log(mean(w) -/+ 3
        std(w) / sqrt(n_ais_runs))`` of the AIS importance weights ``w``, or
        ``(log Z, log Z)`` when exact. The interval of a mean log-likelihood
        is ``score(X)`` minus ``(high - log Z, low - log Z)``.
    persistent_chains_ : ndarray of shape (batch_size, n_components)
        Hidden states of the persistent chains; only when ``method="pcd"``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.BernoulliRBM : PCD-1 Bernoulli RBM of scikit-learn.
    DBNClassifier : A stack of RBMs fine-tuned as a classifier.

    Notes
    -----
    The conditionals are ``P(h_j = 1 | v) = sigmoid(c_j + W_j . x)`` and
    ``P(v_i = 1 | h) = sigmoid(b_i + h . W_:i)`` (Bernoulli) or
    ``x_i | h ~ N(b_i + h . W_:i, 1)`` (Gaussian). The update is
    ``dW = learning_rate * (<h x^T>_data - <h x^T>_model - weight_decay * W)``,
    averaged over the batch and smoothed by momentum.

    References
    ----------
    Hinton, G. E. (2002). Training products of experts by minimizing
    contrastive divergence. Neural Computation 14(8).

    Tieleman, T. (2008). Training restricted Boltzmann machines using
    approximations to the likelihood gradient. ICML.

    Hinton, G. E. (2010). A practical guide to training restricted Boltzmann
    machines. UTML TR 2010-003.

    Melchior, J., Fischer, A. and Wiskott, L. (2016). How to center deep
    Boltzmann machines. Journal of Machine Learning Research 17(99).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdbn import RBMTransformer
    >>> X = load_digits().data / 16
    >>> rbm = RBMTransformer(n_components=32, n_iter=5, random_state=0).fit(X)
    >>> rbm.visible_, rbm.transform(X).shape
    ('bernoulli', (1797, 32))
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITIALIZERS)), callable],
        "init_scale": [Interval(Real, 0, None, closed="left")],
        "visible": [StrOptions({"auto", "bernoulli", "gaussian"})],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "method": [StrOptions({"cd", "pcd"})],
        "n_gibbs_steps": [Interval(Integral, 1, None, closed="left")],
        "hidden_stats": [StrOptions({"probabilities", "samples"})],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "centering": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "n_ais_runs": [Interval(Integral, 1, None, closed="left")],
        "n_ais_betas": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=256,
        *,
        init="xavier",
        init_scale=0.01,
        visible="auto",
        learning_rate="auto",
        batch_size=100,
        n_iter=10,
        method="cd",
        n_gibbs_steps=1,
        hidden_stats="probabilities",
        momentum=0.5,
        weight_decay=0.0,
        centering=False,
        shuffle=True,
        random_state=None,
        verbose=0,
        n_ais_runs=100,
        n_ais_betas=14500,
    ):
        self.n_components = n_components
        self.init = init
        self.init_scale = init_scale
        self.visible = visible
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.n_gibbs_steps = n_gibbs_steps
        self.hidden_stats = hidden_stats
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.centering = centering
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.n_ais_runs = n_ais_runs
        self.n_ais_betas = n_ais_betas

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the RBM on ``X`` from a fresh start for ``n_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: in [0, 1] for Bernoulli visible units.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights of the gradient: each mini-batch's
            data term is the weighted mean over its rows, so a row of weight
            0 has no influence on the updates and an integer weight ``k`` acts,
            in expectation, like ``k`` copies of the row. The visible type,
            scale and starting biases are set from the unweighted data.

        Returns
        -------
        self : RBMTransformer
            The fitted transformer.
        """
        return self._fit(X, sample_weight, n_epochs=self.n_iter, reset=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch over the mini-batches of ``X``.

        The first call initialises the model from ``X``; later calls continue
        with the same momentum velocities, persistent chains and random
        stream. On error the previous fitted state is kept exactly.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights of the gradient, as in :meth:`fit`.

        Returns
        -------
        self : RBMTransformer
            The updated transformer.
        """
        first_call = not hasattr(self, "components_")
        return self._fit(X, sample_weight, n_epochs=1, reset=first_call, name="partial_fit")

    def _fit(self, X, sample_weight, *, n_epochs, reset, name="fit"):
        """Validate ``X``, then train ``n_epochs`` epochs.

        All-or-nothing on error; Ctrl-C keeps the last completed epoch's model
        (:mod:`skdbn._callbacks`).
        """
        metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
        task = Task.root(self, name, n_epochs, X=X, metadata=metadata)
        with interruptible(self), restore_on_error(self) as checkpoint:
            X = validate_data(
                self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                reset=reset,
            )
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=X.dtype, ensure_non_negative=True
                )
            if reset:
                self._initialize(X, sample_weight)
            else:
                self._check_visible_range(X)
            # Resolved on every call: partial_fit follows set_params(learning_rate=).
            self.learning_rate_ = self._resolve_learning_rate()
            hooks = EpochHooks(task, checkpoint, self._commit, X=X, metadata=metadata)
            self._train(X, sample_weight, n_epochs, hooks)
        task.end(X=X, metadata=metadata, attributes={} if hasattr(self, "n_iter_") else None)
        return self

    def _initialize(self, X, sample_weight):
        """Choose the visible type and draw the starting parameters."""
        self.visible_ = self._choose_visible(X)
        self._check_visible_range(X)
        self._rng = make_generator(self.random_state)
        self._sampling_rng, self._ais_rng = _spawn(self._rng, 2)
        n_features, dtype = X.shape[1], X.dtype
        weights = initial_weights(
            self.init, n_features, self.n_components, self._rng,
            init_scale=self.init_scale, dtype=dtype,
        )
        mean, std = _feature_moments(X, sample_weight)
        self.visible_scale_ = _feature_scale(X, std, self.visible_ == "gaussian")
        # weights.T is already the trainer's layout (Fortran-ordered
        # components, C-ordered W^T): no copy.
        self._params = RBMParameters(
            weights.T,
            np.zeros(self.n_components, dtype=dtype),
            _initial_visible_bias(mean, self.visible_, self.visible_scale_),
        )
        # The base-rate model of AIS: the data's log-odds or scaled means.
        self._base_visible_bias = self._params.intercept_visible.copy()
        self.n_iter_ = 0
        self.loss_curve_ = []
        if self.method == "pcd":
            self.persistent_chains_ = np.zeros((self.batch_size, self.n_components), dtype)
        elif hasattr(self, "persistent_chains_"):
            del self.persistent_chains_  # left by an earlier fit with method="pcd"
        self._publish(self._params)

    def _resolve_learning_rate(self):
        if self.learning_rate != "auto":
            return float(self.learning_rate)
        return 0.01 if self.visible_ == "gaussian" else 0.1

    def _train(self, X, sample_weight, n_epochs, hooks):
        """Run the epochs on a copy of the parameters, publishing each epoch's model."""
        params = self._params.copy()
        if self.centering and params.offsets is None:
            params.offsets = self._initial_offsets(X, sample_weight)
        # Draw from a copy of the generator: on error, restore_on_error puts
        # back the untouched original, so a failed call changes no state.
        rng = copy.deepcopy(self._rng)
        chains = None
        if self.method == "pcd":
            chains = getattr(self, "persistent_chains_", None)
            chains = _resize_chains(chains, self.batch_size, self.n_components, X.dtype)
        trainer = self._make_trainer(params, chains, rng)
        n_samples = X.shape[0]
        monitor_rows = np.unique(np.linspace(0, n_samples - 1, _MONITOR_ROWS).astype(int))
        loss_limit = self._divergence_limit(X[monitor_rows])
        for _ in range(n_epochs):
            hooks.begin()
            order = rng.permutation(n_samples) if self.shuffle else np.arange(n_samples)
            # The trainer's worker threads, for this epoch. The monitoring
            # runs in there too, with single-threaded BLAS: BLAS threads spin
            # on after a call and would slow the next epoch's start.
            with trainer:
                for batch in batch_slices(n_samples, self.batch_size):
                    trainer.update(X, order[batch], sample_weight)
                loss = self._reconstruction_error(params, X[monitor_rows])
            if not (params.all_finite() and loss <= loss_limit):
                epoch = self.n_iter_ + 1
                raise DivergenceError(
                    "RBM training diverged (non-finite weights or exploding "
                    f"reconstruction error {loss:.3g}) at epoch {epoch}; reduce "
                    f"learning_rate (now {self.learning_rate_}) or scale the data."
                )
            if self.verbose:
                print(f"[RBMTransformer] epoch {self.n_iter_ + 1}, "
                      f"reconstruction error {loss:.5f}")
            if hooks.end(params, chains, rng, loss):
                break  # a callback stopped the training

    def _initial_offsets(self, X, sample_weight):
        """Offsets of centered updates: the (scaled) feature means and hidden 1/2."""
        mean = _feature_moments(X, sample_weight)[0] / self.visible_scale_
        return mean.astype(X.dtype), np.full(self.n_components, 0.5, dtype=X.dtype)

    def _commit(self, params, chains, rng, loss):
        """Publish the model after one more epoch: copies, as training goes on in place."""
        self._params = params.copy()
        self._rng = copy.deepcopy(rng)
        self.n_iter_ += 1
        self.loss_curve_ = [*self.loss_curve_, loss]
        if chains is not None:
            self.persistent_chains_ = chains.copy()
        self._publish(self._params)

    def _make_trainer(self, params, chains, rng):
        return ContrastiveDivergence(
            params,
            gaussian=self.visible_ == "gaussian",
            n_gibbs_steps=self.n_gibbs_steps,
            persistent=self.method == "pcd",
            sample_hidden_stats=self.hidden_stats == "samples",
            learning_rate=self.learning_rate_,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            random_state=rng,
            chains=chains,
            visible_scale=self.visible_scale_ if self.visible_ == "gaussian" else None,
            centering=self.centering,
        )

    def _publish(self, params):
        """Expose the parameters as fitted attributes (read-only views)."""
        self.components_ = params.components
        self.intercept_hidden_ = params.intercept_hidden
        self.intercept_visible_ = params.intercept_visible
        self._log_partition_cache = {}  # new parameters, new log Z

    # ----------------------------------------------------- input checking

    def _choose_visible(self, X):
        if self.visible != "auto":
            return self.visible
        low, high = _value_range(X)
        return "bernoulli" if 0.0 <= low and high <= 1.0 else "gaussian"

    def _check_visible_range(self, X):
        if self.visible_ != "bernoulli" or X.shape[0] == 0:
            return
        low, high = _value_range(X)
        if low < 0.0 or high > 1.0:
            reason = (
                "were chosen (visible='bernoulli')"
                if self.visible == "bernoulli"
                else "were chosen by visible='auto' at fit time"
            )
            raise ValueError(
                f"Bernoulli visible units {reason} and need X in [0, 1], but X has "
                f"values in [{low:g}, {high:g}]. Scale X with "
                "sklearn.preprocessing.MinMaxScaler(clip=True) (clip keeps new data in "
                "range too), or use visible='gaussian'."
            )

    def _validate_transform_input(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        self._check_visible_range(X)
        return X

    def _scaled(self, X):
        """The input as the model sees it: ``X / visible_scale_`` for Gaussian units."""
        if self.visible_ != "gaussian":
            return X
        if issparse(X):
            return X.multiply(1.0 / self.visible_scale_).tocsr().astype(X.dtype)
        return X / self.visible_scale_

    # ------------------------------------------------- model equations

    def _mean_hiddens(self, X):
        """``P(h = 1 | v) = sigmoid(x W^T + c)`` for already scaled ``x``."""
        W = self.components_.astype(X.dtype, copy=False)
        p = _blas.matmul(X, W.T)
        p += self.intercept_hidden_
        return logistic(p, out=p)

    def _mean_visibles(self, h):
        """``E[x | h]``: ``sigmoid(h W + b)`` or ``h W + b`` (scaled units)."""
        v = _blas.matmul(h, self.components_.astype(h.dtype, copy=False))
        v += self.intercept_visible_
        return v if self.visible_ == "gaussian" else logistic(v, out=v)

    def _unscale(self, x):
        """Back from model units to input units (Gaussian units only)."""
        if self.visible_ == "gaussian":
            x *= self.visible_scale_
        return x

    def _free_energy(self, x):
        """``F(v) = -b.x - sum_j softplus(c_j + W_j.x)`` (Bernoulli) or
        ``||x - b||^2 / 2 - sum_j softplus(c_j + W_j.x)`` (Gaussian)."""
        pre = _blas.matmul(x, self.components_.T.astype(x.dtype, copy=False))
        pre += self.intercept_hidden_
        hidden_term = softplus(pre, out=pre).sum(axis=1)
        if self.visible_ == "gaussian":
            diff = x - self.intercept_visible_
            return 0.5 * np.einsum("ij,ij->i", diff, diff) - hidden_term
        return -_blas.matmul(x, self.intercept_visible_).ravel() - hidden_term

    def _divergence_limit(self, X):
        """Largest sane reconstruction error on ``X``, see ``_DIVERGENCE_FACTOR``."""
        x = self._scaled(X)
        x = x.toarray() if issparse(x) else x
        mean_square = float(np.mean(np.square(x))) if x.size else 0.0
        return _DIVERGENCE_FACTOR * max(1.0, mean_square)

    def _reconstruction_error(self, params, X):
        """Mean squared error of the mean-field reconstruction of ``X``."""
        model = _ParamsView(self, params)
        x = self._scaled(X)
        recon = model._mean_visibles(model._mean_hiddens(x))
        x = x.toarray() if issparse(x) else x
        return float(np.mean((x - recon) ** 2))

    # ------------------------------------------------------- public API

    def transform(self, X):
        """Hidden-unit probabilities ``P(h = 1 | v)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to transform.

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            Hidden probabilities, same dtype as ``X`` (float32 or float64).
        """
        X = self._validate_transform_input(X)
        return in_chunks(
            lambda chunk: self._mean_hiddens(self._scaled(chunk)), X, self.n_components
        )

    def inverse_transform(self, H):
        """Visible means ``E[v | h]`` given hidden values, in input units.

        Parameters
        ----------
        H : array-like of shape (n_samples, n_components)
            Hidden values: probabilities or binary states.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            ``sigmoid(h W + b)`` for Bernoulli units, ``s * (h W + b)`` for
            Gaussian units.
        """
        check_is_fitted(self)
        H = check_array(H, dtype=[np.float64, np.float32])
        if H.shape[1] != self.n_components:
            raise ValueError(
                f"H has {H.shape[1]} columns, but RBMTransformer has "
                f"{self.n_components} hidden units."
            )
        return self._unscale(self._mean_visibles(H))

    def gibbs(self, X, n_steps=1, random_state=None):
        """Run ``n_steps`` steps of block Gibbs sampling ``v -> h -> v`` from ``X``.

        Like :meth:`sample`, successive calls continue one random stream, so
        they return fresh samples; the stream starts again at each ``fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Starting visible states.
        n_steps : int, default=1
            Number of Gibbs steps.
        random_state : int, RandomState instance, Generator or None, default=None
            Seeds this call only; None continues the estimator's sampling
            stream, which the fit seeded from ``random_state``.

        Returns
        -------
        V : ndarray of shape (n_samples, n_features)
            Visible samples after the last step, in input units: binary for
            Bernoulli units, real for Gaussian units.
        """
        X = self._validate_transform_input(X)
        x = self._scaled(X)
        x = x.toarray() if issparse(x) else np.array(x)
        rng = self._sampler(random_state)
        for _ in range(int(n_steps)):
            x = self._sample_visible(self._sample_hidden(x, rng), rng)
        return self._unscale(x)

    def sample(self, n_samples=1, *, n_steps=1000, mean=False, random_state=None):
        """Draw visible samples from the model by a long Gibbs chain.

        Each chain starts from uniformly random hidden states and runs
        ``n_steps`` Gibbs steps. Successive calls continue one random stream
        (so two calls give different samples, as ``BernoulliRBM.gibbs`` does
        since scikit-learn issue 4227); a model refitted with the same
        ``random_state`` repeats the same sequence of samples.

        Parameters
        ----------
        n_samples : int, default=1
            Number of independent chains, one sample each.
        n_steps : int, default=1000
            Number of Gibbs steps per chain.
        mean : bool, default=False
            Return ``E[v | h]`` of the last hidden state (smoother pictures)
            instead of a sample of ``v``.
        random_state : int, RandomState instance, Generator or None, default=None
            Seeds this call only; None continues the estimator's sampling
            stream.

        Returns
        -------
        V : ndarray of shape (n_samples, n_features)
            Samples in input units.
        """
        check_is_fitted(self)
        rng = self._sampler(random_state)
        dtype = self.components_.dtype
        h = sample_bernoulli(np.full((n_samples, self.n_components), 0.5, dtype), rng)
        for _ in range(int(n_steps) - 1):
            h = self._sample_hidden(self._sample_visible(h, rng), rng)
        v = self._mean_visibles(h)
        if not mean:
            v = self._sample_visible_from_mean(v, rng)
        return self._unscale(v)

    def _sampler(self, random_state):
        """A generator for this call, or the fitted sampling stream (continued)."""
        if random_state is not None:
            return make_generator(random_state)
        if not hasattr(self, "_sampling_rng"):  # a model pickled before the stream existed
            self._sampling_rng = make_generator(self.random_state)
        return self._sampling_rng

    def _sample_hidden(self, x, rng):
        return sample_bernoulli(self._mean_hiddens(x), rng)

    def _sample_visible(self, h, rng):
        return self._sample_visible_from_mean(self._mean_visibles(h), rng)

    def _sample_visible_from_mean(self, mean, rng):
        if self.visible_ == "gaussian":
            return sample_gaussian(mean, rng, out=mean)
        return sample_bernoulli(mean, rng, out=mean)

    def free_energy(self, X):
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Visible vectors.

        Returns
        -------
        F : ndarray of shape (n_samples,)
            Free energies, in the model's (scaled) units for Gaussian units.
        """
        X = self._validate_transform_input(X)
        return in_chunks(lambda chunk: self._free_energy(self._scaled(chunk)), X, 1)

    def score_samples(self, X):
        """Log-likelihood ``log p(v) = -F(v) - log Z`` of each row, in nats.

        For Gaussian units it is the log-density of ``X`` itself, in input
        units: the density of ``x = X / visible_scale_`` minus
        ``sum(log(visible_scale_))``. ``log Z`` is :attr:`log_partition_`
        (exact for small RBMs, else estimated by AIS once per fitted model), so
        each row's score is deterministic and independent of the other rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Visible vectors.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``log p(v)`` per row, same dtype as ``X``.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skdbn import RBMTransformer
        >>> X = (load_digits().data > 7).astype(float)
        >>> rbm = RBMTransformer(n_components=16, n_iter=5, random_state=0).fit(X)
        >>> bool(rbm.score_samples(X[:3]).max() < 0)
        True
        """
        X = self._validate_transform_input(X)
        log_norm = self.log_partition_ + float(np.log(self.visible_scale_).sum())
        F = in_chunks(lambda chunk: self._free_energy(self._scaled(chunk)), X, 1)
        F += log_norm
        return np.negative(F, out=F)

    def score(self, X, y=None):
        """Mean log-likelihood ``log p(v)`` of the rows of ``X``, in nats.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Visible vectors.
        y : None
            Ignored.

        Returns
        -------
        score : float
            The mean of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X), dtype=np.float64))

    @property
    def log_partition_(self):
        """``log Z`` of the fitted model (see the class Attributes)."""
        return self._log_partition()[0]

    @property
    def log_partition_interval_(self):
        """``(low, high)`` interval of ``log_partition_`` (see the class Attributes)."""
        return self._log_partition()[1]

    def _log_partition(self):
        """Compute ``log Z`` once per fitted state and AIS setting."""
        check_is_fitted(self)
        key = (self.n_ais_runs, self.n_ais_betas)
        cache = self.__dict__.setdefault("_log_partition_cache", {})
        if key not in cache:
            cache[key] = log_partition(
                self.components_, self.intercept_visible_, self.intercept_hidden_,
                visible=self.visible_, base_visible_bias=self._base_visible_bias,
                n_runs=self.n_ais_runs, n_betas=self.n_ais_betas,
                # A copy: every computation starts from the same state.
                random_state=copy.deepcopy(self._ais_rng),
            )
        return cache[key]

    @property
    def _n_features_out(self):
        """Number of output features, for ``get_feature_names_out``.

        Read from the fitted weights, so that it is missing (and
        ``get_feature_names_out`` raises ``NotFittedError``) before fit.
        """
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _ParamsView:
    """Evaluate an RBM's equations with parameters not yet published."""

    def __init__(self, rbm, params):
        self.visible_ = rbm.visible_
        self.components_ = params.components
        self.intercept_hidden_ = params.intercept_hidden
        self.intercept_visible_ = params.intercept_visible

    _mean_hiddens = RBMTransformer._mean_hiddens
    _mean_visibles = RBMTransformer._mean_visibles


def _value_range(X):
    """Smallest and largest value of a dense or sparse matrix (zeros included)."""
    if not issparse(X):
        return float(X.min()), float(X.max())
    low = high = 0.0
    if X.data.size:
        low, high = float(X.data.min()), float(X.data.max())
    if X.nnz < X.shape[0] * X.shape[1]:  # implicit zeros are values too
        low, high = min(low, 0.0), max(high, 0.0)
    return low, high


def _feature_moments(X, sample_weight):
    """Weighted mean and standard deviation of each column of a dense or sparse ``X``."""
    if sample_weight is None:
        if not issparse(X):
            return X.mean(axis=0), X.std(axis=0)
        sample_weight = np.ones(X.shape[0], dtype=X.dtype)
    w = sample_weight / max(float(sample_weight.sum()), np.finfo(X.dtype).tiny)
    mean = _blas.matmul(w, X).ravel().astype(X.dtype)
    if issparse(X):
        # E[x^2] - E[x]^2: no dense centred copy of a sparse X.
        var = np.maximum(_blas.matmul(w, X.multiply(X)).ravel() - mean**2, 0)
    else:
        var = _blas.matmul(w, np.square(X - mean))
    return mean, np.sqrt(var).astype(X.dtype)


def _feature_scale(X, std, gaussian):
    """The standard deviations (1 for constant columns), or ones for Bernoulli units.

    A column counts as constant when all its values are equal: its computed
    standard deviation is then rounding error, not zero (8e-14 for a column
    of 7.1 beside others in float64, 2e-5 for -3.3 in float32), and dividing
    by it would blow the column up by a factor of 1e13 or more.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._rbm import _feature_scale
    >>> X = np.column_stack([np.full(1347, 7.1), np.arange(1347.0)])
    >>> _feature_scale(X, X.std(axis=0), gaussian=True).round(1)
    array([  1. , 388.8])
    """
    if not gaussian:
        return np.ones_like(std)
    if issparse(X):
        spread = (X.max(axis=0) - X.min(axis=0)).toarray().ravel()
    else:
        spread = np.ptp(X, axis=0)
    varies = (spread > 0) & (std > np.finfo(std.dtype).eps)
    return np.where(varies, std, 1.0).astype(std.dtype)


def _initial_visible_bias(mean, visible, scale):
    """Log-odds of the feature means (Bernoulli) or the scaled means (Gaussian)."""
    mean = mean / scale
    if visible == "gaussian":
        return mean
    p = np.clip(mean, 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p)).astype(mean.dtype)


def _resize_chains(chains, n_chains, n_components, dtype):
    """Persistent chains of the requested count, reusing existing ones."""
    new = np.zeros((n_chains, n_components), dtype=dtype)
    if chains is not None:
        keep = min(n_chains, chains.shape[0])
        new[:keep] = chains[:keep]
    return new
