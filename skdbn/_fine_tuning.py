"""Fine-tuning by backpropagation: the settings, the fitted state and one run.

The estimators build a :class:`FineTuningSettings` once per call to ``fit`` or
``partial_fit`` and hand it, with the :class:`TrainingState` to start from, to
a :class:`FineTuningRun`. The run never reads the estimator: what differs
between classification and regression (output activation, loss, validation
score, stratified split) comes in as an :class:`Objective`.
"""

import contextlib
import copy
import dataclasses
import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._exceptions import DivergenceError
from ._network import FeedForward, _take_rows
from ._optim import SGD, Adam
from ._spreading import certainty, neighbour_graph, principal_components, spread_labels
from ._threads import (
    MIN_PARALLEL_WORK,
    BlockRunner,
    blas_threads,
    block_generators,
    one_blas_thread,
)
from ._utils import batch_slices, in_chunks


@dataclass(frozen=True)
class Objective:
    """What a task adds to the shared network: its output and how it is judged.

    Attributes
    ----------
    out_activation : {"softmax", "identity"}
        Activation of the output layer.
    loss : callable
        ``loss(output, Y, sample_weight, coefs, alpha) -> float``, the
        penalised loss whose gradient :meth:`FeedForward.train_step` follows.
    score : callable
        ``score(output, Y, sample_weight) -> float``, higher is better: the
        early-stopping criterion on the validation rows.
    stratify : callable or None
        ``stratify(Y) -> labels`` for a stratified validation split, or None.
    """

    out_activation: str
    loss: Callable
    score: Callable
    stratify: Callable | None = None


@dataclass(frozen=True)
class FineTuningSettings:
    """Every setting a fine-tuning run reads, fixed for the duration of one fit.

    ``schedule`` is the name of the step-size schedule (the estimators'
    ``learning_rate`` parameter); the step size itself is a number that
    starts at ``learning_rate_init`` and lives in :class:`TrainingState`.
    """

    objective: Objective
    activation: str
    solver: str
    alpha: float
    batch_size: object
    schedule: str
    learning_rate_init: float
    momentum: float
    nesterovs_momentum: bool
    beta_1: float
    beta_2: float
    epsilon: float
    dropout: float
    input_dropout: float
    max_iter: int
    tol: float
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: int
    shuffle: bool
    verbose: bool
    name: str
    pseudo_label_weight: float = 0.0  # parameters of the classifier only
    pseudo_labels: str = "graph"

    @classmethod
    def from_estimator(cls, estimator, objective):
        """The settings of ``estimator``'s parameters of the same names."""
        params = estimator.get_params(deep=False)
        fields = {f.name for f in dataclasses.fields(cls)} - {"objective", "schedule", "name"}
        return cls(
            objective=objective,
            schedule=params["learning_rate"],
            name=type(estimator).__name__,
            **{name: params[name] for name in fields if name in params},
        )

    def batch_size_for(self, n_samples):
        """The mini-batch size for ``n_samples`` rows (``"auto"``: at most 200)."""
        size = 200 if self.batch_size == "auto" else self.batch_size
        return max(1, min(size, n_samples))

    def make_optimizer(self, params):
        """A fresh optimizer of the chosen ``solver`` over ``params``."""
        if self.solver == "adam":
            return Adam(params, beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return SGD(params, momentum=self.momentum, nesterov=self.nesterovs_momentum)

    def network(self, coefs, intercepts, batch_size):
        """The training network over ``coefs`` and ``intercepts`` (not copied)."""
        return FeedForward(
            coefs, intercepts, self.activation, alpha=self.alpha, batch_size=batch_size,
            dropout=self.dropout, input_dropout=self.input_dropout,
            out_activation=self.objective.out_activation,
        )


@dataclass
class TrainingState:
    """The fitted state a run starts from and hands back.

    The run changes the arrays in place, so a state built from a fitted
    estimator must hold copies (see ``BaseDBN._training_state``).
    """

    coefs: list
    intercepts: list
    step_size: float
    optimizer: object = None
    n_iter: int = 0
    t: int = 0
    loss_curve: list = dataclasses.field(default_factory=list)
    gradient_norms: list = dataclasses.field(default_factory=list)
    best_loss: float | None = None
    validation_scores: list = dataclasses.field(default_factory=list)
    best_validation_score: float | None = None

    def snapshot(self):
        """A copy that the next epochs leave alone, taken after every epoch.

        The arrays (weights, optimizer moments) are copied; the histories are
        copied shallowly, since their entries are never changed once appended.
        A deep copy would walk every past entry each epoch: on small data it
        took more time than the training.
        """
        coefs = [W.copy() for W in self.coefs]
        intercepts = [b.copy() for b in self.intercepts]
        optimizer = None if self.optimizer is None else self.optimizer.copy(coefs + intercepts)
        return dataclasses.replace(
            self, coefs=coefs, intercepts=intercepts, optimizer=optimizer,
            loss_curve=list(self.loss_curve), gradient_norms=list(self.gradient_norms),
            validation_scores=list(self.validation_scores),
        )


class FineTuningRun:
    """One call's worth of fine-tuning epochs: one for ``partial_fit``, else up to ``max_iter``.

    Parameters
    ----------
    settings : FineTuningSettings
    state : TrainingState
        Where to start; its arrays are trained in place.
    X, Y : ndarray of shape (n_samples, n_features), (n_samples, n_outputs)
        Inputs and targets (one-hot for classification).
    sample_weight : ndarray of shape (n_samples,) or None
    rng : numpy.random.Generator
        Shuffling, the validation split and dropout.
    incremental : bool
        One epoch of ``partial_fit``: no early stopping, no convergence warning.
    unlabelled : tuple of (ndarray, ndarray or None) or None, default=None
        Rows without a label and their weights, for the pseudo-labels of
        ``settings.pseudo_label_weight``: :class:`PseudoLabels` add some to
        every step, :class:`GraphPseudoLabels` join them to the training rows.
    """

    def __init__(self, settings, state, X, Y, sample_weight, rng, incremental,
                 unlabelled=None):
        self.settings = settings
        self.state = state
        self.incremental = incremental
        self.early_stopping = settings.early_stopping and not incremental
        self.rng = rng
        self._split(X, Y, sample_weight)
        use_unlabelled = unlabelled is not None and settings.pseudo_label_weight > 0
        self.graph = self.pseudo = None
        if use_unlabelled and settings.pseudo_labels == "graph":
            self.graph = GraphPseudoLabels(self, *unlabelled)
        self.batch_size = settings.batch_size_for(self.X.shape[0])
        if use_unlabelled and settings.pseudo_labels == "network":
            self.pseudo = PseudoLabels(*unlabelled, self.batch_size, rng)
        # With pseudo-labels a step sees a labelled and an unlabelled batch.
        width = self.batch_size * (1 if self.pseudo is None else 2)
        self.net = settings.network(state.coefs, state.intercepts, width)
        params = state.coefs + state.intercepts
        if state.optimizer is None:
            state.optimizer = settings.make_optimizer(params)
        else:
            state.optimizer.params = params
        self.no_improvement = 0
        # A new fit (warm or not) restarts scikit-learn's stopping rule;
        # partial_fit keeps the running best.
        previous_best = state.best_loss if incremental else None
        self.best_loss = np.inf if previous_best is None else previous_best
        self.best_score = -np.inf
        self.best_params = None

    def _split(self, X, Y, sample_weight):
        self.X_val = None
        if not self.early_stopping:
            self.X, self.Y, self.sw = X, Y, sample_weight
            return
        stratify = self.settings.objective.stratify
        labels = None if stratify is None else stratify(Y)
        if labels is not None and np.bincount(labels).min() < 2:
            labels = None
        train, val = train_test_split(
            np.arange(X.shape[0]),
            test_size=self.settings.validation_fraction,
            random_state=int(self.rng.integers(np.iinfo(np.int32).max)),
            stratify=labels,
        )
        self.X, self.X_val = X[train], X[val]
        self.Y, self.Y_val = Y[train], Y[val]
        self.sw = None if sample_weight is None else sample_weight[train]
        self.sw_val = None if sample_weight is None else sample_weight[val]
        if self.X.shape[0] < 2 or self.X_val.shape[0] < 1:
            raise ValueError(
                "early_stopping needs at least 2 training and 1 validation samples; "
                f"got {X.shape[0]} samples with validation_fraction="
                f"{self.settings.validation_fraction}."
            )

    def train(self, hooks=None):
        """Run the epochs and return the final :class:`TrainingState`.

        ``hooks`` (:class:`skdbn._callbacks.EpochHooks`) start each epoch's
        callback task and, at its end, publish the state; they stop the
        training when a callback asks to.
        """
        n_epochs = 1 if self.incremental else self.settings.max_iter
        # One runner for the whole run: starting its workers costs more than
        # a small epoch. With one worker it runs the blocks in order.
        workers = self.net.parallel_workers(blas_threads())
        self.runner = BlockRunner(workers)
        if workers > 1:
            threads = self.runner
        elif self.net.step_work < MIN_PARALLEL_WORK:
            # Too small for BLAS threads to pay; on a busy machine they cost
            # 10 to 50 times the step, waiting for each other (measured).
            threads = one_blas_thread()
        else:
            threads = contextlib.nullcontext()
        # Overflow is detected explicitly (_check_finite) and reported as a
        # clear error, so numpy's own warnings about it would only be noise.
        with np.errstate(over="ignore", invalid="ignore"), threads:
            self._epochs(n_epochs, hooks)
        state = self.state
        if self.early_stopping and self.best_params is not None:
            state.coefs[:], state.intercepts[:] = self.best_params
        if self.early_stopping:
            state.best_validation_score, state.best_loss = self.best_score, None
        else:
            state.best_validation_score = None
            state.best_loss = min(self.best_loss, min(state.loss_curve))
        return state

    def _epochs(self, n_epochs, hooks):
        settings = self.settings
        for epoch in range(n_epochs):
            if settings.schedule == "cosine" and not self.incremental:
                self.state.step_size = 0.5 * settings.learning_rate_init * (
                    1 + np.cos(np.pi * epoch / settings.max_iter)
                )
            if hooks is not None:
                hooks.begin()
            if self.graph is not None:
                self.graph.refresh(epoch, n_epochs)
            self._epoch(state_epoch=self.state.n_iter if self.incremental else epoch)
            stop = not self.incremental and self._should_stop()
            if hooks is not None and hooks.end(self.state):
                return  # a callback stopped the training: no convergence warning
            if self.incremental:
                return
            if stop:
                break
        else:
            if n_epochs == settings.max_iter:
                warnings.warn(
                    f"{settings.name}: stochastic optimizer reached max_iter="
                    f"{settings.max_iter} epochs and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=7,  # the user's fit() call, through _fit_context
                )

    def _epoch(self, state_epoch):
        """One pass over the shuffled mini-batches; records loss and gradient norms."""
        X, Y, sw, state, settings = self.X, self.Y, self.sw, self.state, self.settings
        net, optimizer = self.net, state.optimizer
        n = X.shape[0]
        order = self.rng.permutation(n) if settings.shuffle else np.arange(n)
        loss_sum, weight_sum = 0.0, 0.0
        norm_sum = np.zeros(len(state.coefs))
        random_states = None
        if settings.dropout or settings.input_dropout:
            random_states = block_generators(self.rng, net.n_row_blocks)
        batches = batch_slices(n, self.batch_size)
        loss = settings.objective.loss
        pseudo_weight = 0.0
        if self.pseudo is not None:
            pseudo_weight = self.pseudo.weight(settings, state_epoch)
        for batch in batches:
            rows = order[batch]
            yb = Y[rows]
            wb = None if sw is None else sw[rows]
            if pseudo_weight:
                x, targets, w = self.pseudo.batch(net, X, rows, yb, wb, pseudo_weight)
                step = net.train_step(x, np.arange(x.shape[0]), targets, w, optimizer,
                                      state.step_size, self.runner, random_states)
            else:
                step = net.train_step(X, rows, yb, wb, optimizer, state.step_size,
                                      self.runner, random_states)
            output, squared_weights, squared_grads = step
            # The loss of the labelled rows, their penalty as the batch's.
            batch_weight = float(len(rows)) if wb is None else float(wb.sum())
            data_loss = loss(output[: len(rows)], yb, wb, [], 0.0)
            penalty = 0.5 * settings.alpha * squared_weights
            loss_sum += batch_weight * data_loss + penalty
            weight_sum += batch_weight
            norm_sum += np.sqrt(squared_grads)
        state.t += n
        state.n_iter += 1
        epoch_loss = loss_sum / max(weight_sum, np.finfo(float).tiny)
        self._check_finite(epoch_loss)
        state.loss_curve.append(epoch_loss)
        state.gradient_norms.append(list(norm_sum / len(batches)))
        if settings.verbose:
            print(f"[{settings.name}] epoch {state.n_iter}, loss {epoch_loss:.6f}")

    def _check_finite(self, loss):
        state = self.state
        finite = np.isfinite(loss) and all(
            np.isfinite(a.sum()) for a in state.coefs + state.intercepts
        )
        if not finite:
            raise DivergenceError(
                f"{self.settings.name} fine-tuning diverged at epoch {state.n_iter} (the "
                "loss or the weights became NaN or infinite); reduce learning_rate_init "
                f"(now {self.settings.learning_rate_init}) or scale the input. The "
                "previous model, if any, is kept."
            )

    def _should_stop(self):
        """Update the no-improvement count (scikit-learn's rule); True to stop."""
        settings, state = self.settings, self.state
        if self.early_stopping:
            score = self._validation_score()
            state.validation_scores.append(score)
            improved = score >= self.best_score + settings.tol
            self.no_improvement = 0 if improved else self.no_improvement + 1
            if score > self.best_score:
                self.best_score = score
                self.best_params = (
                    [W.copy() for W in state.coefs], [b.copy() for b in state.intercepts]
                )
        else:
            loss = state.loss_curve[-1]
            improved = loss <= self.best_loss - settings.tol
            self.no_improvement = 0 if improved else self.no_improvement + 1
            self.best_loss = min(self.best_loss, loss)
        if self.no_improvement <= settings.n_iter_no_change:
            return False
        if settings.schedule == "adaptive" and state.step_size > 1e-6:
            state.step_size /= 5.0
            self.no_improvement = 0
            if settings.verbose:
                print(f"[{settings.name}] learning rate set to {state.step_size:g}")
            return False
        if settings.verbose:
            print(f"[{settings.name}] no improvement of at least tol: stopping.")
        return True

    def _validation_score(self):
        state, objective = self.state, self.settings.objective
        net = FeedForward.for_prediction(
            state.coefs, state.intercepts, self.settings.activation,
            objective.out_activation, self.X_val.dtype,
        )
        return float(objective.score(net.predict(self.X_val), self.Y_val, self.sw_val))


class PseudoLabels:
    """Pseudo-label steps (Lee, 2013): unlabelled rows learn the network's own best guess.

    Each step appends as many unlabelled rows as the labelled batch holds
    (a shuffled cycle through them), each targeted at the class the network,
    without dropout, finds most probable; together they weigh ``weight``
    times the labelled rows. The weight ramps linearly from 0 at 20 % of
    ``max_iter`` to ``pseudo_label_weight`` at 60 %, so the network first
    learns from the labels alone.
    """

    ramp = (0.2, 0.6)

    def __init__(self, X, sample_weight, batch_size, rng):
        self.X, self.sw, self.rng = X, sample_weight, rng
        self.order, self.position = np.empty(0, dtype=np.intp), 0
        self.buffer = np.empty((2 * batch_size, X.shape[1]), dtype=X.dtype)

    def weight(self, settings, epoch):
        """The weight of the unlabelled rows in ``epoch`` (0-based)."""
        start, end = self.ramp
        progress = (epoch / settings.max_iter - start) / (end - start)
        return settings.pseudo_label_weight * float(np.clip(progress, 0.0, 1.0))

    def _next_rows(self, k):
        n = self.X.shape[0]
        k = min(k, n)
        if self.position + k > self.order.shape[0]:
            self.order, self.position = self.rng.permutation(n), 0
        self.position += k
        return self.order[self.position - k : self.position]

    def batch(self, net, X, rows, yb, wb, weight):
        """The labelled batch ``X[rows]`` plus unlabelled rows: inputs, targets, weights."""
        n_l = rows.shape[0]
        unlabelled = self._next_rows(n_l)
        n = n_l + unlabelled.shape[0]
        x = self.buffer[:n]
        _take_rows(X, rows, x[:n_l])
        _take_rows(self.X, unlabelled, x[n_l:])
        targets = np.zeros((n, yb.shape[1]), dtype=yb.dtype)
        targets[:n_l] = yb
        guess = net.forward(x[n_l:])[-1].argmax(axis=1)  # no dropout: the clean guess
        targets[np.arange(n_l, n), guess] = 1
        w = np.empty(n, dtype=x.dtype)
        w[:n_l] = 1 if wb is None else wb
        w[n_l:] = weight * w[:n_l].sum() / unlabelled.shape[0]
        if self.sw is not None:
            w[n_l:] *= self.sw[unlabelled]
        return x, targets, w


class GraphPseudoLabels:
    """Unlabelled rows as training rows, targeted by labels spread over a graph.

    The unlabelled rows join the run's training rows (``X``, ``Y``, ``sw``),
    after the labelled ones. Their targets come from label spreading
    (:mod:`skdbn._spreading`) over the nearest-neighbour graph of all
    training rows in the network's first hidden layer: the most probable
    class, weighted by ``pseudo_label_weight`` times the spread distribution's
    certainty (and the row's own weight). The labels are spread at the start
    of the run and again at the epochs of ``rounds`` (fractions of the run),
    from the features the network has learnt by then (Iscen et al., 2019).
    Spreading holds the first hidden layer of all rows in memory.
    """

    rounds = (0.0, 0.5)

    def __init__(self, run, X_unlabelled, sample_weight):
        self.run = run
        self.n_labelled = run.X.shape[0]
        self.weight = run.settings.pseudo_label_weight
        self.unlabelled_weight = sample_weight
        unlabelled = X_unlabelled.astype(run.X.dtype, copy=False)
        if sp.issparse(run.X):
            run.X = sp.vstack([run.X, unlabelled], format="csr")
        else:
            run.X = np.vstack([run.X, unlabelled])
        run.Y = np.vstack([run.Y, np.zeros((X_unlabelled.shape[0], run.Y.shape[1]),
                                           dtype=run.Y.dtype)])
        labelled_weight = (np.ones(self.n_labelled, dtype=run.X.dtype) if run.sw is None
                           else run.sw)
        run.sw = np.concatenate([labelled_weight,
                                 np.zeros(X_unlabelled.shape[0], dtype=labelled_weight.dtype)])

    def refresh(self, epoch, n_epochs):
        """Spread the labels again if ``epoch`` starts a round."""
        if epoch in {int(round(f * n_epochs)) for f in self.rounds}:
            self.spread()

    def spread(self):
        """Set the unlabelled rows' targets and weights from the current network."""
        run, n_l = self.run, self.n_labelled
        state, settings = run.state, run.settings
        # The first hidden layer: on MNIST its graph spreads labels better
        # than the deeper layers' (benchmarks/README.md).
        net = FeedForward.for_prediction(
            state.coefs, state.intercepts, settings.activation,
            settings.objective.out_activation, run.X.dtype,
        )
        width = state.coefs[0].shape[1]
        features = in_chunks(functools.partial(net.predict, layer=0), run.X, width)
        seeds = np.zeros_like(run.Y, dtype=np.float64)
        seeds[:n_l] = run.Y[:n_l]
        distributions = spread_labels(neighbour_graph(principal_components(features)), seeds)
        targets = run.Y[n_l:]
        targets[:] = 0
        targets[np.arange(targets.shape[0]), distributions[n_l:].argmax(axis=1)] = 1
        weights = self.weight * certainty(distributions[n_l:])
        if self.unlabelled_weight is not None:
            weights *= self.unlabelled_weight
        run.sw[n_l:] = weights


def previous_state(estimator, incremental):
    """A :class:`TrainingState` holding copies of ``estimator``'s fitted state.

    The copies keep the published arrays intact until the run succeeds; only
    ``partial_fit`` continues the optimizer and the step size.
    """
    optimizer = copy.deepcopy(estimator._optimizer) if incremental else None
    return TrainingState(
        coefs=[W.copy() for W in estimator.coefs_],
        intercepts=[b.copy() for b in estimator.intercepts_],
        step_size=estimator._step_size if incremental else estimator.learning_rate_init,
        optimizer=optimizer,
        n_iter=estimator.n_iter_,
        t=estimator.t_,
        loss_curve=list(estimator.loss_curve_),
        gradient_norms=[list(row) for row in estimator.gradient_norms_],
        best_loss=estimator.best_loss_,
        validation_scores=list(estimator.validation_scores_ or []),
    )
