"""Glue between the training loops and scikit-learn's callbacks, and Ctrl-C.

scikit-learn 1.9 added an experimental callback API (``sklearn.callback``):
an estimator that inherits ``CallbackSupportMixin`` has ``set_callbacks``,
its ``fit`` reports a tree of tasks to the callbacks, and a callback stops an
iteration by returning True at the end of one of its tasks. The trees of
skdbn's estimators::

    RBMTransformer.fit                DBNClassifier.fit
    └── epoch  (n_iter of them)       ├── pretrain layer 1 = the RBM's fit
                                      │   └── epoch  (the RBM's n_iter)
                                      ├── ...  (one per hidden layer)
                                      └── fine-tune
                                          └── epoch  (up to max_iter)

``partial_fit`` has the same tree with one epoch (and the pretraining on the
first call). The pretraining RBMs are sub-estimators: callbacks that
propagate (such as ``ProgressBar``) reach them, others stay on the DBN.

On older scikit-learn (skdbn supports >= 1.6) there is no such module: the
mixin below is then empty, so the estimators have no ``set_callbacks``, and
every :class:`Task` method does nothing, so the loops run the same code
either way.

Ctrl-C: :func:`interruptible` wraps the public ``fit``/``partial_fit``; a
``KeyboardInterrupt`` is turned into a warning, and the loops' checkpoints
(see :func:`skdbn._utils.restore_on_error`) leave the model of the last
completed epoch, as ``MLPClassifier`` does.
"""

import threading
import warnings
from contextlib import contextmanager

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in without ``set_callbacks``: this scikit-learn has no callbacks."""

    HAS_CALLBACKS = False
else:
    HAS_CALLBACKS = True


class Task:
    """One node of a fit's task tree; every method does nothing without callbacks.

    Parameters
    ----------
    estimator : estimator
        The estimator whose fit runs the task, passed to the hooks.
    context : sklearn.callback.CallbackContext or None
        The task's context; None when callbacks are unavailable.

    Examples
    --------
    >>> from skdbn import RBMTransformer
    >>> from skdbn._callbacks import Task
    >>> Task(RBMTransformer(), None).subtask("epoch").end()
    False
    """

    def __init__(self, estimator, context):
        self.estimator = estimator
        self.context = context

    @classmethod
    def root(cls, estimator, name, max_subtasks, **data):
        """Start the root task ``name`` of ``estimator``'s fit; call the begin hooks.

        ``data`` are the hooks' ``X``, ``y`` and ``metadata``.
        """
        if not HAS_CALLBACKS:
            return cls(estimator, None)
        context = estimator._init_callback_context(task_name=name, max_subtasks=max_subtasks)
        context.call_on_fit_task_begin(estimator=estimator, **data)
        return cls(estimator, context)

    def subtask(self, name, max_subtasks=0, **data):
        """Start a subtask (the next in order) and call its begin hooks."""
        if self.context is None:
            return self
        context = self.context.subcontext(task_name=name, max_subtasks=max_subtasks)
        context.call_on_fit_task_begin(estimator=self.estimator, **data)
        return Task(self.estimator, context)

    def end(self, attributes=None, **data):
        """Call the end hooks; True when a callback asks to stop.

        ``attributes`` is a dict, or a function returning one, of the fitted
        attributes that make a copy of the estimator the model at this
        point (scikit-learn's ``reconstruction_attributes``): the callbacks
        receive that copy as ``fitted_estimator``. A function is only called
        when a callback asks for the model.
        """
        if self.context is None:
            return False
        return bool(self.context.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes=attributes, **data
        ))

    @contextmanager
    def fit_of(self, name, sub_estimator):
        """Context manager: a fit of ``sub_estimator`` inside it is the subtask ``name``.

        The sub-estimator's own task tree hangs there, and the callbacks that
        propagate reach it.
        """
        if self.context is None:
            yield
            return
        context = self.context.subcontext(task_name=name)
        with context.propagate_callback_context(sub_estimator):
            context.call_on_fit_task_begin(estimator=self.estimator)
            yield
            context.call_on_fit_task_end(estimator=self.estimator)


class EpochHooks:
    """What a training loop calls around each epoch: callbacks and checkpoints.

    :meth:`begin` starts the epoch's task; :meth:`end` publishes the
    epoch's model on the estimator (``commit``), marks it as the model to
    keep on Ctrl-C (``checkpoint``) and calls the callbacks with it.

    Parameters
    ----------
    task : Task
        The loop's task; each epoch is a subtask of it.
    checkpoint : callable
        ``checkpoint()``, from :func:`skdbn._utils.restore_on_error`.
    commit : callable
        ``commit(*args)`` publishes the model of the epoch just completed as
        new fitted attributes (never changing the published arrays in place
        later), so that a copy of the estimator is that epoch's model.
    **data
        The hooks' ``X``, ``y`` and ``metadata``.

    Examples
    --------
    >>> from skdbn import RBMTransformer
    >>> from skdbn._callbacks import EpochHooks, Task
    >>> rbm = RBMTransformer()
    >>> hooks = EpochHooks(Task(rbm, None), lambda: None, lambda n: setattr(rbm, "n_iter_", n))
    >>> hooks.begin(); hooks.end(1), rbm.n_iter_
    (False, 1)
    """

    def __init__(self, task, checkpoint, commit, **data):
        self.task = task
        self.checkpoint = checkpoint
        self.commit = commit
        self.data = data
        self._epoch = None

    def begin(self):
        """Start the next epoch's task."""
        self._epoch = self.task.subtask("epoch", **self.data)

    def end(self, *args):
        """Publish and checkpoint the epoch's model; True when a callback stops the loop."""
        self.commit(*args)
        self.checkpoint()
        # The estimator is now this epoch's model: no attribute to change.
        return self._epoch.end(attributes={}, **self.data)


# How many skdbn fits are running on this thread, one inside the other (a
# DBN's fit runs its RBMs' fits): only the outermost one stops on Ctrl-C.
_depth = threading.local()


@contextmanager
def interruptible(estimator):
    """Turn a ``KeyboardInterrupt`` in the outermost fit into a warning.

    The fit's loops have left the model of the last completed epoch, or
    the previous model (see :func:`skdbn._utils.restore_on_error`); a fit
    nested in another one (an RBM pretrained by a DBN) lets the interrupt
    go on up, so that the outer fit stops at once too.

    Examples
    --------
    >>> import warnings
    >>> from skdbn import RBMTransformer
    >>> from skdbn._callbacks import interruptible
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     with interruptible(RBMTransformer()):
    ...         raise KeyboardInterrupt
    >>> "interrupted" in str(caught[0].message)
    True
    """
    depth = getattr(_depth, "value", 0)
    _depth.value = depth + 1
    try:
        yield
    except KeyboardInterrupt:
        if depth:
            raise
        epochs = getattr(estimator, "n_iter_", None)
        kept = "no model" if epochs is None else f"the model after {epochs} epochs"
        warnings.warn(
            f"{type(estimator).__name__}: training interrupted by the user; keeping "
            f"{kept} (the last completed epoch, or the model before this call).",
            UserWarning,
            stacklevel=6,  # the user's fit() call, through contextlib and _fit_context
        )
    finally:
        _depth.value = depth
