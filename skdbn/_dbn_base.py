"""What DBNClassifier and DBNRegressor share: parameters, pretraining, fitting.

:class:`BaseDBN` validates the input, pretrains one :class:`RBMTransformer`
per hidden layer through its public ``fit``, hands the weights to the network
and runs the fine-tuning (:mod:`skdbn._fine_tuning`). A subclass says how its
targets are encoded (``_encode_targets``) and what its output and loss are
(``_objective``).
"""

import copy
import functools
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._callbacks import CallbackSupportMixin, EpochHooks, Task, interruptible
from ._fine_tuning import (
    FineTuningRun,
    FineTuningSettings,
    TrainingState,
    previous_state,
)
from ._init import INITIALIZERS, initial_weights, make_generator
from ._network import FeedForward
from ._rbm import RBMTransformer
from ._utils import in_chunks, restore_on_error


class BaseDBN(CallbackSupportMixin, BaseEstimator):
    """Greedy RBM pretraining and backpropagation fine-tuning of a feed-forward network.

    Not for direct use: see :class:`DBNClassifier` and :class:`DBNRegressor`,
    whose docstrings describe the parameters.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITIALIZERS)), callable],
        "init_scale": [Interval(Real, 0, None, closed="left")],
        "pretrain": ["boolean"],
        "rbm": [RBMTransformer, None],
        "activation": [StrOptions({"logistic", "tanh", "relu"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        init="xavier",
        init_scale=0.01,
        pretrain=True,
        rbm=None,
        activation="logistic",
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=3e-3,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        dropout=0.0,
        input_dropout=0.0,
        max_iter=200,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.init = init
        self.init_scale = init_scale
        self.pretrain = pretrain
        self.rbm = rbm
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose


    def set_params(self, **params):
        """Set parameters; ``rbm__<name>`` needs an :class:`RBMTransformer` as ``rbm``.

        Parameters
        ----------
        **params : dict
            Estimator parameters, ``rbm__<name>`` for the pretraining template.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        nested = sorted(key for key in params if key.startswith("rbm__"))
        if nested and params.get("rbm", self.rbm) is None:
            raise ValueError(
                f"Cannot set {', '.join(nested)}: rbm is None (the built-in pretraining "
                "template). Pass an RBMTransformer as rbm, e.g. "
                "rbm=RBMTransformer(hidden_stats=\"samples\"), to set or search its "
                "parameters."
            )
        return super().set_params(**params)

    # The factor the pretrained weights and biases of a hidden layer are
    # multiplied by, per activation (1 if absent): see DBNRegressor.
    _handoff_slopes: dict = {}

    # ------------------------------------------------------------ fitting

    def _fit(self, X, y, sample_weight, *, fresh, incremental, classes=None):
        """Validate, initialise if ``fresh``, fine-tune.

        Pretraining learns from every row, fine-tuning from the labelled rows
        only (see ``_labelled_rows``). All-or-nothing on error; Ctrl-C keeps
        the model of the last completed fine-tuning epoch, or the previous
        one (:mod:`skdbn._callbacks`).
        """
        data = _hook_data(X, y, sample_weight)
        n_pretrained = len(self._hidden_sizes()) if fresh and self.pretrain else 0
        name = "partial_fit" if incremental else "fit"
        task = Task.root(self, name, n_pretrained + 1, **data)
        with interruptible(self), restore_on_error(self) as checkpoint:
            X, y = validate_data(
                self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                reset=fresh, **self._target_checks,
            )
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=X.dtype, ensure_non_negative=True
                )
            if not fresh:  # continue in the dtype the model was built with
                X = X.astype(self._dtype, copy=False)
            labelled = self._labelled_rows(y)
            Y = self._encode_targets(y[labelled], fresh, classes, X.dtype)
            settings = FineTuningSettings.from_estimator(self, self._objective)
            if fresh:
                state = self._initialize(X, Y, sample_weight, task)
            else:
                state = previous_state(self, incremental)
            self._warn_if_unlabelled_unused(labelled, fresh, settings.pseudo_label_weight)
            unlabelled = None
            if not labelled.all():
                if settings.pseudo_label_weight:
                    unlabelled = (X[~labelled],
                                  None if sample_weight is None else sample_weight[~labelled])
                X = X[labelled]
                sample_weight = None if sample_weight is None else sample_weight[labelled]
            data = _hook_data(X, y[labelled], sample_weight)
            if Y.shape[0]:
                hooks = self._fine_tuning_hooks(task, checkpoint, settings, incremental, data)
                self._fine_tune(settings, state, X, Y, sample_weight, incremental, hooks,
                                unlabelled)
                hooks.task.end(**data)
            elif fresh:
                raise ValueError("The first call to partial_fit needs labelled rows.")
        task.end(attributes={} if hasattr(self, "coefs_") else None, **data)
        return self

    def _labelled_rows(self, y):
        """Boolean mask of the rows fine-tuning learns from: here all of them."""
        return np.ones(y.shape[0], dtype=bool)

    def _warn_if_unlabelled_unused(self, labelled, fresh, pseudo_label_weight):
        """Warn when unlabelled rows are given but nothing in this call learns from them."""
        n_unlabelled = int(labelled.size - np.count_nonzero(labelled))
        if n_unlabelled and not (fresh and self.pretrain) and not pseudo_label_weight:
            warnings.warn(
                f"{type(self).__name__}: {n_unlabelled} unlabelled rows are ignored: only "
                "pretraining (and pseudo_label_weight > 0) learns from them, and this call "
                "does not pretrain.",
                UserWarning,
                stacklevel=5,  # the user's fit() call, through _fit_context
            )

    def _initialize(self, X, Y, sample_weight, task):
        """Pretrain (or draw) the hidden layers, draw the output layer.

        Sets the fitted attributes that do not change during fine-tuning and
        returns the starting :class:`TrainingState`, whose arrays nothing else
        holds (the fine-tuning trains them in place, without copying them).
        """
        self._dtype = X.dtype
        self._rng = make_generator(self.random_state)
        n_outputs = Y.shape[1]
        sizes = [X.shape[1], *self._hidden_sizes(), n_outputs]
        start = time.perf_counter()
        if self.pretrain:
            self.rbms_ = self._pretrain(X, sample_weight, task)
            slope = self._handoff_slopes.get(self.activation, 1.0)
            coefs = [_network_weights(r, slope) for r in self.rbms_]
            intercepts = [r.intercept_hidden_ * r.intercept_hidden_.dtype.type(slope)
                          for r in self.rbms_]
        else:
            self.rbms_ = []
            coefs = [self._draw(n_in, n_out) for n_in, n_out in zip(sizes[:-2], sizes[1:-1])]
            intercepts = [np.zeros(n, dtype=X.dtype) for n in sizes[1:-1]]
        self.pretraining_time_ = time.perf_counter() - start
        self.pretraining_curves_ = [list(r.loss_curve_) for r in self.rbms_]
        coefs.append(self._draw(sizes[-2], sizes[-1]))
        intercepts.append(self._output_intercept(Y, sample_weight))
        self.n_layers_ = len(sizes)
        self.n_outputs_ = n_outputs
        self.out_activation_ = self._objective.out_activation
        self.fine_tuning_time_ = 0.0
        return TrainingState(coefs, intercepts, step_size=self.learning_rate_init)

    def _output_intercept(self, Y, sample_weight):
        """The output layer's starting biases: zeros (see DBNRegressor)."""
        return np.zeros(Y.shape[1], dtype=self._dtype)

    def _hidden_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if sizes.ndim != 1 or not all(int(s) == s and s >= 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _draw(self, fan_in, fan_out):
        return initial_weights(
            self.init, fan_in, fan_out, self._rng,
            init_scale=self.init_scale, dtype=self._dtype,
        )

    def _pretrain(self, X, sample_weight, task):
        """Train one RBM per hidden layer on the layer below's probabilities.

        Each RBM's fit is a subtask of ``task``.
        """
        template = default_rbm() if self.rbm is None else self.rbm
        rbms, data = [], X
        for layer, n_hidden in enumerate(self._hidden_sizes()):
            rbm = clone(template).set_params(
                n_components=n_hidden,
                init=self.init,
                init_scale=self.init_scale,
                random_state=int(self._rng.integers(np.iinfo(np.int32).max)),
            )
            if layer:
                rbm.set_params(visible="bernoulli")
            with task.fit_of(f"pretrain layer {layer + 1}", rbm):
                rbm.fit(data, sample_weight=sample_weight)
            if self.verbose and rbm.loss_curve_:
                print(f"[{type(self).__name__}] pretrained layer {layer + 1}: "
                      f"reconstruction error {rbm.loss_curve_[-1]:.5f}")
            data = rbm.transform(data)
            rbms.append(rbm)
        return rbms

    def _fine_tune(self, settings, state, X, Y, sample_weight, incremental, hooks=None,
                   unlabelled=None):
        """Backprop epochs on the state's arrays; publish them at the end.

        ``hooks`` (:class:`skdbn._callbacks.EpochHooks`) run around each epoch;
        ``unlabelled`` (rows, weights) feed the pseudo-labels, if any.
        """
        start = time.perf_counter()
        run = FineTuningRun(
            settings, state, X, Y, sample_weight, self._rng, incremental, unlabelled
        )
        self._publish(run.train(hooks), settings.early_stopping and not incremental)
        self.fine_tuning_time_ += time.perf_counter() - start

    def _fine_tuning_hooks(self, task, checkpoint, settings, incremental, data):
        """The fine-tuning's callback task (a subtask of ``task``) and epoch hooks."""
        fine_tuning = task.subtask("fine-tune", 1 if incremental else self.max_iter, **data)
        early_stopping = settings.early_stopping and not incremental
        commit = functools.partial(self._commit, early_stopping=early_stopping)
        return EpochHooks(fine_tuning, checkpoint, commit, **data)

    def _commit(self, state, early_stopping):
        """Publish a copy of a run's state after one more epoch (training goes on in place)."""
        self._publish(state.snapshot(), early_stopping)

    def _publish(self, state, early_stopping):
        """Expose a run's final state as the fitted attributes."""
        self.coefs_, self.intercepts_ = state.coefs, state.intercepts
        self._optimizer = state.optimizer
        self._step_size = state.step_size
        self.n_iter_, self.t_ = state.n_iter, state.t
        self.loss_curve_ = state.loss_curve
        self.loss_ = state.loss_curve[-1]
        self.gradient_norms_ = np.asarray(state.gradient_norms, dtype=float).reshape(
            len(state.gradient_norms), len(state.coefs)
        )
        self.best_loss_ = state.best_loss
        self.validation_scores_ = state.validation_scores if early_stopping else None
        self.best_validation_score_ = state.best_validation_score

    # --------------------------------------------------------- prediction

    def _forward(self, X):
        """The network's output for ``X``, in ``X``'s float dtype, in chunks."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        net = FeedForward.for_prediction(
            self.coefs_, self.intercepts_, self.activation, self.out_activation_, X.dtype
        )
        width = sum(W.shape[1] for W in self.coefs_)
        return in_chunks(net.predict, X, width)

    # ------------------------------------------------------------- export

    def to_mlp(self):
        """The fine-tuned network as a fitted scikit-learn MLP.

        Returns an :class:`~sklearn.neural_network.MLPClassifier` (for
        :class:`DBNClassifier`) or :class:`~sklearn.neural_network.MLPRegressor`
        (for :class:`DBNRegressor`) with copies of the weights and the same
        hyper-parameters where scikit-learn has them, whose ``predict`` and
        ``predict_proba`` give the same values as this estimator's, up to
        float rounding. A two-class softmax becomes scikit-learn's single
        logistic unit: ``softmax(z)_1 = sigmoid(z_1 - z_0)``. Tools that read
        scikit-learn's MLPs (for instance ``skl2onnx``) then read this network.
        ``learning_rate="cosine"``, which scikit-learn does not have, is
        exported as ``"constant"`` so that the MLP can be cloned and refitted.

        Returns
        -------
        mlp : MLPClassifier or MLPRegressor
            A fitted copy of the network; changing it leaves this estimator
            unchanged.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skdbn import DBNClassifier, RBMTransformer
        >>> X, y = load_digits(return_X_y=True)
        >>> clf = DBNClassifier((32,), rbm=RBMTransformer(n_iter=2), max_iter=5,
        ...                     random_state=0).fit(X[:500] / 16, y[:500] > 4)
        >>> mlp = clf.to_mlp()
        >>> type(mlp).__name__, mlp.out_activation_, mlp.coefs_[-1].shape
        ('MLPClassifier', 'logistic', (32, 1))
        >>> bool((mlp.predict(X / 16) == clf.predict(X / 16)).all())
        True
        """
        check_is_fitted(self)
        params = {name: getattr(self, name) for name in _MLP_PARAMETERS}
        if params["learning_rate"] == "cosine":
            # scikit-learn's MLPs have no cosine schedule; "constant" keeps the
            # exported model valid for clone() and a later fit.
            params["learning_rate"] = "constant"
        mlp = self._mlp_class(hidden_layer_sizes=tuple(self._hidden_sizes()), **params)
        coefs = [W.copy() for W in self.coefs_]
        intercepts = [b.copy() for b in self.intercepts_]
        for name in _MLP_FITTED_ATTRIBUTES:
            if hasattr(self, name):
                setattr(mlp, name, copy.deepcopy(getattr(self, name)))
        mlp.coefs_, mlp.intercepts_ = coefs, intercepts
        self._adapt_mlp_output(mlp)
        return mlp

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


# The hyper-parameters that scikit-learn's MLPs share with the DBNs, and the
# fitted attributes an exported MLP takes over.
_MLP_PARAMETERS = (
    "activation", "solver", "alpha", "batch_size", "learning_rate", "learning_rate_init",
    "momentum", "nesterovs_momentum", "beta_1", "beta_2", "epsilon", "max_iter", "tol",
    "early_stopping", "validation_fraction", "n_iter_no_change", "shuffle", "warm_start",
    "random_state", "verbose",
)
_MLP_FITTED_ATTRIBUTES = (
    "n_features_in_", "feature_names_in_", "n_layers_", "n_outputs_", "out_activation_",
    "n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "validation_scores_",
    "best_validation_score_", "classes_",
)


def _network_weights(rbm, slope=1.0):
    """The weights of a feed-forward layer that computes ``rbm.transform``.

    ``rbm.transform(X) = sigmoid((X / s) W^T + c)`` with ``s = visible_scale_``
    (all ones for Bernoulli units), so the layer's ``(fan_in, fan_out)`` weights
    are ``slope * W^T / s[:, None]``: dividing the rows of ``W^T`` by the scale
    makes the network take the raw input, exactly as the RBM does, and
    ``slope`` is the estimator's factor for its activation (1 but for
    :class:`DBNRegressor`'s ReLU). ``components_`` is stored Fortran-ordered,
    so ``W^T`` is already C-ordered in the network's layout and the division
    writes the one copy the hand-off costs (the RBM's own ``components_`` must
    not change during fine-tuning).
    """
    W = np.divide(rbm.components_.T, rbm.visible_scale_[:, None])
    if slope != 1.0:
        W *= W.dtype.type(slope)
    return W


def _hook_data(X, y, sample_weight):
    """The ``X``, ``y`` and ``metadata`` that the callback hooks receive."""
    metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
    return {"X": X, "y": y, "metadata": metadata}


def default_rbm():
    """The pretraining template that ``rbm=None`` stands for.

    Every setting is spelled out, so that a change of :class:`RBMTransformer`'s
    own defaults never changes a DBN's pretraining. It differs from
    ``RBMTransformer()`` in two settings. ``hidden_stats="samples"``: sampled
    hidden states give zero-initialised hidden units different updates, so
    pretraining breaks the symmetry of ``init="zero"``; with probabilities
    they stay identical. ``n_iter=3``: an RBM epoch costs about 2.5
    fine-tuning epochs, and 3 epochs per layer gave the same accuracy as 10.
    On the digits grids of ``benchmarks/README.md`` (3-fold x 3 seeds) zero
    init plus pretraining went from about 0.3 to 0.91-0.92 accuracy; no other
    cell moved by more than 0.008.
    """
    return RBMTransformer(
        visible="auto", learning_rate="auto", batch_size=100, n_iter=3,
        method="cd", n_gibbs_steps=1, hidden_stats="samples", momentum=0.5,
        weight_decay=0.0, shuffle=True,
    )
