"""Deep Belief Network classifier: greedy RBM pretraining, then backprop."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets

from ._dbn_base import BaseDBN
from ._fine_tuning import Objective
from ._network import cross_entropy


def _accuracy(proba, Y, sample_weight):
    """Weighted fraction of rows whose most probable class is the one-hot target's."""
    return np.average(proba.argmax(axis=1) == Y.argmax(axis=1), weights=sample_weight)


def _class_indices(Y):
    return Y.argmax(axis=1)


class DBNClassifier(ClassifierMixin, BaseDBN):
    """Deep Belief Network: greedy layer-wise RBM pretraining, then fine-tuning.

    With ``pretrain=True``, :meth:`fit` trains one :class:`RBMTransformer`
    per hidden layer, each on the hidden probabilities of the one below and
    each starting from ``init`` (Hinton, Osindero and Teh, 2006); it copies
    their weights and hidden biases into a feed-forward network, adds a
    softmax output layer whose weights also start from ``init``, and
    fine-tunes all layers by backpropagation of the cross-entropy. With
    ``pretrain=False`` the same network trains by backpropagation from
    ``init`` alone, so a grid over ``init`` x ``pretrain`` compares the two
    classic cures for a bad start. Read more in the :ref:`User Guide <dbn>`.

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
        weight_decay=0.0)``, fixed here whatever RBMTransformer's own
        defaults; its sampled hidden statistics let pretraining rescue
        ``init="zero"`` (RBMTransformer's default, probabilities, cannot). To
        grid-search the pretraining, pass an instance (e.g. that one) and
        search ``rbm__learning_rate``, ``rbm__n_iter``...; with None there is
        no ``rbm__`` parameter.
    activation : {"logistic", "tanh", "relu"}, default="logistic"
        Activation of the hidden layers during fine-tuning and prediction.
        Pretrained RBMs have logistic units, so ``"logistic"`` matches them;
        with ``"tanh"`` or ``"relu"`` the pretrained weights are a starting
        point, not the RBMs' features.
    solver : {"adam", "sgd"}, default="adam"
        Fine-tuning optimizer.
    alpha : float, default=1e-4
        L2 penalty coefficient, scaled as in
        :class:`~sklearn.neural_network.MLPClassifier` (divided by the
        batch's total sample weight).
    batch_size : int or "auto", default="auto"
        Fine-tuning mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "adaptive", "cosine"}, default="constant"
        Fine-tuning step-size schedule, for both solvers: constant;
        divided by 5 each time ``n_iter_no_change`` epochs bring no
        improvement of at least ``tol``; or a cosine decay from
        ``learning_rate_init`` to 0 over ``max_iter`` epochs.
    learning_rate_init : float, default=3e-3
        Initial fine-tuning step size. Higher than ``MLPClassifier``'s 1e-3
        because logistic units learn more slowly than ReLU: 5-fold
        cross-validation on the digits training split gave 0.967 (1e-3),
        0.975 (3e-3) and 0.977 (1e-2) accuracy with the other defaults.
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
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its accuracy stops improving and keep the best weights.
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
    unlabeled : int, str or None, default=None
        The label that marks an unlabelled row, usually -1 as in
        :class:`~sklearn.semi_supervised.SelfTrainingClassifier` and
        :class:`~sklearn.semi_supervised.LabelSpreading` (with string labels
        in an object array, the integer -1 or any string). Pretraining learns
        from every row, fine-tuning from the labelled ones; without
        pretraining in a call (``pretrain=False``, a warm start, a later
        ``partial_fit``) the unlabelled rows are ignored, with a warning.
        None, the default, means every row is labelled: {-1, 1} is a common
        pair of class labels, so -1 is a class unless you say otherwise.
        See :ref:`few_labels`.
    pseudo_label_weight : float, default=0.0
        Weight of each unlabelled row in fine-tuning relative to a labelled
        row, through pseudo-labels: targets the unlabelled rows get from
        ``pseudo_labels``. 0 means fine-tuning learns from labelled rows
        only. 1 with ``pseudo_labels="graph"`` is the few-labels recipe of
        :ref:`few_labels`.
    pseudo_labels : {"graph", "network"}, default="graph"
        Where the unlabelled rows' targets come from when
        ``pseudo_label_weight > 0``.

        - ``"graph"``: labels spread (Zhou et al., 2004) over the
          10-nearest-neighbour graph of all training rows in the network's
          first hidden layer, at the start of fine-tuning and again after
          half of ``max_iter`` epochs, from the features learnt by then
          (Iscen et al., 2019). The unlabelled rows join the training rows,
          each targeted at its most probable spread class and weighted by
          the spread distribution's certainty (1 minus its normalised
          entropy); an epoch passes over all rows. Spreading costs a pass
          over the data and an exact neighbour search (about a minute on
          60,000 MNIST images); with pretrained weights it does better
          than from random ones (see :ref:`few_labels`).
        - ``"network"``: the class the network, without dropout, currently
          finds most probable (Lee, 2013). Each mini-batch of labelled rows
          gets as many unlabelled rows, and their weight ramps in linearly
          from 0 at 20 % of ``max_iter`` to its value at 60 %, so the network
          first learns from the labels alone. Cheaper, but on MNIST it helps
          far less than ``"graph"``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels of the labelled rows (never ``unlabeled``).
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
        Number of output units (one per class, also for two classes).
    out_activation_ : str
        Always ``"softmax"``.
    n_iter_ : int
        Number of fine-tuning epochs run.
    t_ : int
        Number of training samples seen by the fine-tuning solver.
    loss_ : float
        Last epoch's training loss.
    loss_curve_ : list of float
        Training loss (mean cross-entropy plus penalty) per epoch, on the
        labelled rows.
    best_loss_ : float or None
        Lowest training loss; None with ``early_stopping``.
    validation_scores_ : list of float or None
        Validation accuracy per epoch with ``early_stopping``, else None.
    best_validation_score_ : float or None
        Best validation accuracy with ``early_stopping``, else None.
    gradient_norms_ : ndarray of shape (n_iter_, n_layers_ - 1)
        Mean over each epoch's mini-batches of the Frobenius norm of the
        loss gradient with respect to each weight matrix, input layer first:
        this is where a vanishing gradient shows.
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
    RBMTransformer : The building block of the pretraining.
    sklearn.neural_network.MLPClassifier : The same network without
        pretraining and with a fixed Glorot initialization.

    Notes
    -----
    **Zero init.** With ``init="zero"``, no pretraining and no dropout, all
    hidden units of a layer compute the same function and get the same
    gradient, so they stay identical (each layer's weight columns stay equal)
    and the network is no better than one unit per layer; with ReLU no
    gradient reaches the hidden layers at all. Randomness breaks the
    symmetry: the default pretraining, whose RBMs learn from sampled hidden
    states, or ``dropout > 0``, whose masks differ from unit to unit. An RBM
    template with ``hidden_stats="probabilities"`` (as in
    ``rbm=RBMTransformer()``) pretrains symmetric layers.

    **Large random init.** ``init="random"`` with a large ``init_scale``
    saturates logistic units: their derivative ``a (1 - a)`` is near 0 and the
    gradient vanishes in the lower layers (see ``gradient_norms_``).

    **Xavier and He** scale the weights by the layer's fan-in and fan-out so
    that activations and gradients keep their variance across layers, which
    gives much of pretraining's benefit without it.

    References
    ----------
    Hinton, G. E., Osindero, S. and Teh, Y. (2006). A fast learning algorithm
    for deep belief nets. Neural Computation 18(7).

    Hinton, G. E. and Salakhutdinov, R. (2006). Reducing the dimensionality
    of data with neural networks. Science 313.

    Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training
    deep feedforward neural networks. AISTATS.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdbn import DBNClassifier, RBMTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DBNClassifier((64,), rbm=RBMTransformer(n_iter=5), max_iter=20,
    ...                     random_state=0).fit(X[:1000] / 16, y[:1000])
    >>> len(clf.rbms_), clf.predict(X[1000:1003] / 16).shape
    (1, (3,))

    With only 100 of the 1,000 rows labelled (-1 marks the others), the RBM
    still pretrains on all 1,000:

    >>> y_few = y[:1000].copy()
    >>> y_few[100:] = -1
    >>> clf = DBNClassifier((64,), rbm=RBMTransformer(n_iter=5), max_iter=20,
    ...                     unlabeled=-1, random_state=0).fit(X[:1000] / 16, y_few)
    >>> clf.classes_.tolist(), clf.t_ == 100 * clf.n_iter_
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], True)
    """

    # Softmax output, cross-entropy, accuracy for early stopping, stratified split.
    _objective = Objective("softmax", cross_entropy, _accuracy, stratify=_class_indices)
    _target_checks: dict = {}
    _mlp_class = MLPClassifier
    _parameter_constraints: dict = {
        **BaseDBN._parameter_constraints,
        "unlabeled": [Integral, str, None],
        "pseudo_label_weight": [Interval(Real, 0, None, closed="left")],
        "pseudo_labels": [StrOptions({"graph", "network"})],
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
        unlabeled=None,
        pseudo_label_weight=0.0,
        pseudo_labels="graph",
    ):
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
        self.unlabeled = unlabeled
        self.pseudo_label_weight = pseudo_label_weight
        self.pseudo_labels = pseudo_labels

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Pretrain (if ``pretrain``) and fine-tune the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels, of any type; rows labelled ``unlabeled`` (if set)
            are unlabelled. At least two classes must be labelled.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, used by the pretraining and by the
            fine-tuning loss.

        Returns
        -------
        self : DBNClassifier
            The fitted classifier.
        """
        fresh = not (self.warm_start and hasattr(self, "coefs_"))
        return self._fit(X, y, sample_weight, fresh=fresh, incremental=False)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Fine-tune for one epoch over the mini-batches of ``(X, y)``.

        The first call initialises the network (pretraining on this first
        ``X`` if ``pretrain``, unlabelled rows included) and needs ``classes``
        and at least one labelled row; later calls continue with the same
        optimizer state, ignore unlabelled rows (with a warning) and change
        nothing when no row is labelled.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes that can appear (not ``unlabeled``); required on
            the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : DBNClassifier
            The updated classifier.
        """
        fresh = not hasattr(self, "coefs_")
        if fresh and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, fresh=fresh, incremental=True, classes=classes)

    def _labelled_rows(self, y):
        """Boolean mask of the rows whose label is not ``unlabeled``."""
        if self.unlabeled is None:
            return np.ones(y.shape[0], dtype=bool)
        return np.asarray(y != self.unlabeled, dtype=bool)

    def _encode_targets(self, y, fresh, classes, dtype):
        """One-hot targets of ``X``'s dtype; sets ``classes_`` when ``fresh``."""
        if y.shape[0]:
            check_classification_targets(y)
        if fresh:
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if not self._labelled_rows(labels).all():
                raise ValueError(
                    f"classes must not contain unlabeled={self.unlabeled!r}, the marker "
                    "of unlabelled rows."
                )
            if labels.shape[0] < 2:
                found = f"only one class: {labels[0]!r}" if labels.size else "no labelled row"
                raise ValueError(
                    "DBNClassifier needs samples of at least 2 classes in the labelled "
                    f"data, but the data contain {found}."
                )
            self.classes_ = labels
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}."
            )
        Y = np.zeros((len(y), len(self.classes_)), dtype=dtype)
        Y[np.arange(len(y)), np.searchsorted(self.classes_, y)] = 1
        return Y

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the labelled rows of ``(X, y)``.

        Rows labelled ``unlabeled`` are skipped, so
        :class:`~sklearn.model_selection.GridSearchCV` and
        :func:`~sklearn.model_selection.cross_val_score` (which call this
        method when no ``scoring`` is given) score partly unlabelled data on
        its labelled rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels; ``unlabeled`` for unlabelled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Accuracy of :meth:`predict` on the labelled rows.
        """
        y = np.asarray(y)
        labelled = self._labelled_rows(y)
        if not labelled.any():
            raise ValueError("score needs at least one labelled row.")
        if not labelled.all():
            rows = np.flatnonzero(labelled)
            X, y = _safe_indexing(X, rows), y[rows]
            sample_weight = None if sample_weight is None else _safe_indexing(sample_weight, rows)
        return super().score(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        """Class probabilities of the softmax output layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_``, in ``X``'s float dtype.
        """
        return self._forward(X)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_``.
        """
        proba = self.predict_proba(X)
        return np.log(np.clip(proba, np.finfo(proba.dtype).tiny, None), out=proba)

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _adapt_mlp_output(self, mlp):
        """Give an exported MLP scikit-learn's output: one logistic unit for two classes."""
        mlp._label_binarizer = LabelBinarizer().fit(self.classes_)
        if len(self.classes_) == 2:
            # softmax(z)_1 = 1 / (1 + exp(z_0 - z_1)) = sigmoid(z_1 - z_0)
            W, b = mlp.coefs_[-1], mlp.intercepts_[-1]
            mlp.coefs_[-1] = W[:, 1:] - W[:, :1]
            mlp.intercepts_[-1] = b[1:] - b[:1]
            mlp.n_outputs_, mlp.out_activation_ = 1, "logistic"

