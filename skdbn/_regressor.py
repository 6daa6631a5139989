"""Deep Belief Network regressor: greedy RBM pretraining, then backprop of the squared error."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor

from ._dbn_base import BaseDBN
from ._fine_tuning import Objective
from ._network import squared_error


def _r2(output, Y, sample_weight):
    """R^2 of the outputs, averaged uniformly over the targets."""
    return r2_score(Y, output, sample_weight=sample_weight)


class DBNRegressor(RegressorMixin, BaseDBN):
    """Deep Belief Network regressor: greedy RBM pretraining, then fine-tuning.

    The same network as :class:`DBNClassifier` (one pretrained
    :class:`RBMTransformer` per hidden layer, each on the hidden
    probabilities of the one below) with an identity output layer,
    fine-tuned by backpropagation of the squared error, as
    :class:`~sklearn.neural_network.MLPRegressor`. Real-valued inputs
    pretrain a Gaussian first layer (``rbm``'s ``visible="auto"``), so
    standardized features need no further scaling. Targets can have one
    column or several. Read more in the :ref:`User Guide <dbn_regression>`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer.
    init : {"xavier", "he", "zero", "random"} or callable, default="xavier"
        Starting weights of every layer (the RBMs' and the output layer's),
        exactly as in :class:`RBMTransformer`. Biases start at 0.
    init_scale : float, default=0.01
        Standard deviation of the weights when ``init="random"``.
    pretrain : bool, default=True
        Pretrain the hidden layers as a stack of RBMs before fine-tuning.
    rbm : RBMTransformer or None, default=None
        Template of the pretraining settings (``learning_rate``, ``n_iter``,
        ``method``, ``hidden_stats``, ``momentum``, ``batch_size``...).
        Its ``n_components``, ``init``, ``init_scale`` and ``random_state``
        are set per layer by the network; the first layer's visible type is
        the template's ``visible`` (``"auto"``: Bernoulli for data in [0, 1],
        Gaussian otherwise) and the upper layers' is Bernoulli. None means
        ``RBMTransformer(hidden_stats="samples", n_iter=3, batch_size=100,
        learning_rate="auto", momentum=0.5, method="cd", n_gibbs_steps=1,
        weight_decay=0.0)``, as in :class:`DBNClassifier`. To grid-search
        the pretraining, pass an instance and search ``rbm__learning_rate``,
        ``rbm__n_iter``...; with None there is no ``rbm__`` parameter.
    activation : {"logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers during fine-tuning and prediction.
        ReLU by default, unlike :class:`DBNClassifier`: with ``alpha=0.03``
        and ``MLPRegressor``'s ``learning_rate_init`` it was within 0.02 of
        the default ``MLPRegressor``'s cross-validated R^2, or better, on
        twelve selection tasks outside the benchmark
        (``bench_regression.py --selection``; figures in
        ``benchmarks/README.md``). Pretrained ReLU layers take the RBMs'
        weights and biases times 1/4, the logistic's slope at 0, so that
        their outputs grow with the input as the RBM's probabilities do near
        0, not 4 times as fast: RBM features of 28 x 28 MNIST would otherwise
        start with pre-activations 8 times those of the Xavier start, and
        the rotation of 2,500 such images lost 0.06 R^2 to ``MLPRegressor``
        (with ``alpha=0.1``).
    solver : {"adam", "sgd"}, default="adam"
        Fine-tuning optimizer.
    alpha : float, default=0.03
        L2 penalty coefficient, scaled as in
        :class:`~sklearn.neural_network.MLPRegressor` (divided by the
        batch's total sample weight). The best worst case on the selection
        tasks: 0.003 below ``MLPRegressor`` at most, where 1e-4 was 0.015
        below on 28 x 28 MNIST images and 0.1 was 0.020 below on 8 x 8 ones.
    batch_size : int or "auto", default="auto"
        Fine-tuning mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "adaptive", "cosine"}, default="constant"
        Fine-tuning step-size schedule, for both solvers: constant;
        divided by 5 each time ``n_iter_no_change`` epochs bring no
        improvement of at least ``tol``; or a cosine decay from
        ``learning_rate_init`` to 0 over ``max_iter`` epochs.
    learning_rate_init : float, default=1e-3
        Initial fine-tuning step size, ``MLPRegressor``'s. The classifier's
        3e-3 over-trains small noisy tables in ``max_iter`` epochs (on a
        300-row noisy Friedman #1 problem R^2 fell to 0.36, against 0.45
        with 1e-3 and 0.44 for ``MLPRegressor``).
    momentum : float, default=0.9
        Momentum of the ``"sgd"`` solver.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with the ``"sgd"`` solver.
    beta_1, beta_2 : float, default=0.9, 0.999
        Moment decay rates of the ``"adam"`` solver.
    epsilon : float, default=1e-8
        Numerical stability constant of the ``"adam"`` solver.
    dropout : float, default=0.0
        Probability of dropping each hidden unit during fine-tuning
        (inverted dropout; no dropout at prediction time).
    input_dropout : float, default=0.0
        Probability of dropping each input feature during fine-tuning, the
        same way. Srivastava et al. (2014) drop 0.5 of the hidden units and
        0.2 of the inputs. Pretraining sees the inputs unchanged.
    max_iter : int, default=200
        Maximum number of fine-tuning epochs.
    tol : float, default=1e-4
        Minimum improvement of the training loss (or validation score with
        ``early_stopping``) that resets the ``n_iter_no_change`` count.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        R^2 stops improving and keep the best weights.
    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Number of epochs without improvement before stopping.
    shuffle : bool, default=True
        Shuffle the rows before each fine-tuning epoch.
    warm_start : bool, default=False
        Continue fine-tuning the previous solution on the next :meth:`fit`
        (no pretraining then) instead of starting afresh.
    random_state : int, RandomState instance or None, default=None
        Seeds everything: initial weights, each RBM (a seed drawn per layer),
        shuffling, the validation split and dropout.
    verbose : bool, default=False
        Print progress messages.

    Attributes
    ----------
    rbms_ : list of RBMTransformer
        The pretrained RBM of each hidden layer; empty without pretraining.
    pretraining_curves_ : list of list of float
        Each RBM's reconstruction error per epoch (its ``loss_curve_``).
    coefs_ : list of ndarray
        Weight matrices; ``coefs_[i]`` has shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        Bias vectors; ``intercepts_[i]`` has shape (fan_out,).
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs (target columns).
    out_activation_ : str
        Always ``"identity"``.
    n_iter_ : int
        Number of fine-tuning epochs run.
    t_ : int
        Number of training samples seen by the fine-tuning solver.
    loss_ : float
        Last epoch's training loss.
    loss_curve_ : list of float
        Training loss (half the mean squared error summed over the outputs,
        plus the penalty) per epoch.
    best_loss_ : float or None
        Lowest training loss; None with ``early_stopping``.
    validation_scores_ : list of float or None
        Validation R^2 per epoch with ``early_stopping``, else None.
    best_validation_score_ : float or None
        Best validation R^2 with ``early_stopping``, else None.
    gradient_norms_ : ndarray of shape (n_iter_, n_layers_ - 1)
        Mean over each epoch's mini-batches of the Frobenius norm of the
        loss gradient with respect to each weight matrix, input layer first.
    pretraining_time_ : float
        Seconds spent pretraining.
    fine_tuning_time_ : float
        Seconds spent fine-tuning (all calls so far).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    DBNClassifier : The same network with a softmax output.
    sklearn.neural_network.MLPRegressor : The same network without
        pretraining and with a fixed Glorot initialization.

    Notes
    -----
    The loss is ``sum_i w_i ||f(x_i) - y_i||^2 / 2`` over the rows plus
    ``alpha / 2 * sum ||W||^2``, divided by ``sum_i w_i``: its gradient at
    the output is ``f(x_i) - y_i``, as for the classifier's softmax and
    cross-entropy, so both estimators share one backward pass. The output
    biases start at the targets' weighted mean (``MLPRegressor``'s at 0),
    but as for ``MLPRegressor`` the targets are not scaled: standardize
    targets of a large spread (for instance with
    :class:`~sklearn.compose.TransformedTargetRegressor`).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdbn import DBNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> reg = DBNRegressor((16,), max_iter=50, random_state=0).fit(X[:400], y[:400] / 100)
    >>> reg.predict(X[400:403]).shape
    (3,)
    """

    # Identity output, squared error, R^2 for early stopping, no stratification.
    _objective = Objective("identity", squared_error, _r2)
    # ReLU layers take the RBM's weights and biases times 1/4, the logistic's
    # slope at 0: relu(z / 4) follows the RBM's probability sigmoid(z) - 1/2 to
    # first order, where relu(z) would grow 4 times as fast. relu(k z) =
    # k relu(z), so the features are the same, only their scale changes.
    _handoff_slopes = {"relu": 0.25}
    _target_checks: dict = {"multi_output": True, "y_numeric": True}
    _mlp_class = MLPRegressor

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        init="xavier",
        init_scale=0.01,
        pretrain=True,
        rbm=None,
        activation="relu",
        solver="adam",
        alpha=0.03,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
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
        # Its own signature (as MLPRegressor's) for its own defaults of
        # activation and alpha; BaseDBN stores the arguments.
        super().__init__(
            hidden_layer_sizes,
            init=init,
            init_scale=init_scale,
            pretrain=pretrain,
            rbm=rbm,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            dropout=dropout,
            input_dropout=input_dropout,
            max_iter=max_iter,
            tol=tol,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            shuffle=shuffle,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Pretrain (if ``pretrain``) and fine-tune the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, used by the pretraining and by the
            fine-tuning loss.

        Returns
        -------
        self : DBNRegressor
            The fitted regressor.
        """
        fresh = not (self.warm_start and hasattr(self, "coefs_"))
        return self._fit(X, y, sample_weight, fresh=fresh, incremental=False)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, sample_weight=None):
        """Fine-tune for one epoch over the mini-batches of ``(X, y)``.

        The first call initialises the network (pretraining on this first
        ``X`` if ``pretrain``); later calls continue with the same optimizer
        state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : DBNRegressor
            The updated regressor.
        """
        fresh = not hasattr(self, "coefs_")
        return self._fit(X, y, sample_weight, fresh=fresh, incremental=True)

    def _encode_targets(self, y, fresh, classes, dtype):
        """Targets as a 2-D array of ``X``'s dtype with ``n_outputs_`` columns."""
        Y = np.asarray(y, dtype=dtype).reshape(len(y), -1)
        if not fresh and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} target columns, but {type(self).__name__} was "
                f"fitted with {self.n_outputs_}."
            )
        return Y

    def _output_intercept(self, Y, sample_weight):
        """The targets' (weighted) mean, the least-squares constant.

        The network starts by predicting it, so the offset of unscaled
        targets is not learned step by step (Adam moves a bias by about
        ``learning_rate_init`` per step).
        """
        if sample_weight is not None and not sample_weight.any():
            return np.zeros(Y.shape[1], dtype=self._dtype)
        return np.average(Y, axis=0, weights=sample_weight).astype(self._dtype)

    def predict(self, X):
        """Predicted targets of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values, one column per target (1-D for one target, as
            ``MLPRegressor``), in ``X``'s float dtype.
        """
        output = self._forward(X)
        return output.ravel() if output.shape[1] == 1 else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _adapt_mlp_output(self, mlp):
        """Nothing to adapt: scikit-learn's regressor has the same identity output."""

