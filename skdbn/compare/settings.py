"""The settings of ``skdbn compare``: every default once, in one frozen object.

:class:`Settings` is the single source of the comparison's defaults. The
argument parser builds its options from the fields' metadata, the run builds
its estimators with :meth:`Settings.classifier`, and the header, the JSON
document and the figure title print what the object holds.
"""

import argparse
import dataclasses
import math
from dataclasses import dataclass, field

from .._dbn import DBNClassifier
from .._rbm import RBMTransformer

INITS = ("zero", "random", "xavier", "he")
UNLABELED = -1  # the label of the rows --labels leaves unlabelled


def _number(kind, low, *, low_open=False, high=None):
    """An argparse type: a ``kind`` >= ``low`` (> if ``low_open``) and < ``high``."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        bad = value is None or not math.isfinite(value) or value < low
        bad = bad or (low_open and value == low) or (high is not None and value >= high)
        if bad:
            bounds = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if high else "")
            noun = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {noun} {bounds}, got {text!r}")
        return value

    return parse


_COUNT = _number(int, 1)
_POSITIVE = _number(float, 0, low_open=True)


def _option(flag, help, *, experiment=True, auto=None, **keywords):
    """Field metadata: the command-line option (``help`` may use ``{default}``).

    ``experiment`` marks the fields that change the results; they go into the
    JSON document's ``settings``. ``auto`` says what a default of None means
    (it may use the other fields, e.g. ``{min_epochs}``).
    """
    metadata = {"flag": flag, "help": help, "experiment": experiment, "auto": auto}
    return {**metadata, "argparse": keywords}


def _fixed():
    """Field metadata of a setting with no command-line option."""
    return {"flag": None, "experiment": True}


@dataclass(frozen=True)
class Settings:
    """Everything ``skdbn compare`` needs to know, with its defaults.

    Fields with a command-line option carry it in their metadata; the others
    (the activation, the optimiser, the RBMs' hidden statistics) are fixed by
    the method of the comparison (see ``skdbn compare --help``).

    Examples
    --------
    >>> from skdbn.compare import Settings
    >>> settings = Settings(hidden_layer_sizes=(32,), seeds=2)
    >>> budget = settings.budget(n_train=1347)  # digits: 43 batches of 32 a epoch
    >>> budget.epochs, settings.classifier("he", True, seed=1, budget=budget).solver
    (30, 'sgd')
    """

    data: str | None = field(default=None, metadata=_option(
        "--data", ".npz (arrays X, y) or .csv file; default: scikit-learn's digits. "
        "Integer data > 1 (0-255 pixels) are divided by their maximum",
        experiment=False, metavar="FILE"))
    target: str | None = field(default=None, metadata=_option(
        "--target", "label column of a .csv file (default: the last column)",
        experiment=False, metavar="NAME"))
    hidden_layer_sizes: tuple[int, ...] = field(default=(64, 64, 64), metadata=_option(
        "--hidden", "hidden layer sizes (default: {default})", metavar="N", nargs="+",
        type=_COUNT))
    epochs: int | None = field(default=None, metadata=_option(
        "--epochs", "fine-tuning epochs (default: {default})", metavar="N", type=_COUNT,
        auto="auto, at least {min_epochs} epochs and {min_updates} updates"))
    pretrain_epochs: int | None = field(default=None, metadata=_option(
        "--pretrain-epochs", "RBM epochs per hidden layer (default: {default})",
        metavar="N", type=_COUNT,
        auto="auto, at least {min_pretrain_epochs} epochs and {min_pretrain_updates} updates"))
    # The automatic budgets: the epochs of the digits run (30 and 10), or more
    # on smaller data, so that no fit stops after a handful of updates.
    min_epochs: int = field(default=30, metadata=_fixed())
    min_updates: int = field(default=1200, metadata=_fixed())
    min_pretrain_epochs: int = field(default=10, metadata=_fixed())
    min_pretrain_updates: int = field(default=120, metadata=_fixed())
    # A fit has not converged if its final loss is above chance_fraction x the
    # chance level, or if its mean loss fell by more than falling_fraction x
    # the chance level from one tenth of its epochs to the last (see
    # run.convergence). On digits and wine the fits still leaving a plateau
    # fall by 0.04-0.45 x chance, the settled ones by at most 0.02 x chance.
    chance_fraction: float = field(default=0.9, metadata=_fixed())
    falling_fraction: float = field(default=0.03, metadata=_fixed())
    seeds: int = field(default=5, metadata=_option(
        "--seeds", "number of seeds (default: {default})", metavar="N", type=_COUNT))
    test_size: float = field(default=0.25, metadata=_option(
        "--test-size", "test fraction of each split (default: {default})",
        metavar="FRACTION", type=_number(float, 0, low_open=True, high=1)))
    max_samples: int | None = field(default=None, metadata=_option(
        "--max-samples", "use a stratified subsample of N rows (e.g. for MNIST)",
        metavar="N", type=_number(int, 2)))
    labels: int | None = field(default=None, metadata=_option(
        "--labels", "keep N labelled training rows per split (stratified) and pass the "
        "others with label -1: the RBMs pretrain on them, fine-tuning ignores them",
        metavar="N", type=_number(int, 2)))
    batch_size: int = field(default=32, metadata=_option(
        "--batch-size", "fine-tuning mini-batch size (default: {default})",
        metavar="N", type=_COUNT))
    learning_rate: float = field(default=0.1, metadata=_option(
        "--learning-rate", "fine-tuning SGD step size (default: {default})",
        metavar="RATE", type=_POSITIVE))
    init_scale: float = field(default=0.1, metadata=_option(
        "--init-scale", "standard deviation of init='random' (default: {default})",
        metavar="STD", type=_POSITIVE))
    activation: str = field(default="logistic", metadata=_fixed())
    solver: str = field(default="sgd", metadata=_fixed())
    momentum: float = field(default=0.9, metadata=_fixed())
    nesterovs_momentum: bool = field(default=True, metadata=_fixed())
    rbm_hidden_stats: str = field(default="samples", metadata=_fixed())
    output: str = field(default="skdbn-compare", metadata=_option(
        "--output", "folder of the figure (default: ./{default}/)",
        experiment=False, metavar="DIR"))
    json: bool = field(default=False, metadata=_option(
        "--json", "print the results as JSON", experiment=False, action="store_true"))
    quiet: bool = field(default=False, metadata=_option(
        "--quiet", "no progress on stderr", experiment=False, action="store_true"))
    no_plot: bool = field(default=False, metadata=_option(
        "--no-plot", "do not save the figure", experiment=False, action="store_true"))

    def __post_init__(self):
        object.__setattr__(
            self, "hidden_layer_sizes", tuple(int(n) for n in self.hidden_layer_sizes)
        )

    def rbm(self, n_iter=None):
        """The RBM template that pretrains each hidden layer (``n_iter`` epochs)."""
        params = {} if n_iter is None else {"n_iter": n_iter}
        return RBMTransformer(hidden_stats=self.rbm_hidden_stats, **params)

    def budget(self, n_train):
        """The :class:`Budget` of each fit on ``n_train`` training rows.

        ``--epochs`` and ``--pretrain-epochs`` fix the epochs; left to auto,
        each phase runs at least ``min_*epochs`` epochs and as many more as
        it takes to make ``min_*updates`` mini-batch updates.
        """
        # With --labels, fine-tuning epochs after the first see the labelled rows only.
        batches = _n_batches(min(self.labels or n_train, n_train), self.batch_size)
        rbm_batches = _n_batches(n_train, self.rbm().batch_size)
        epochs = self.epochs or max(self.min_epochs, -(-self.min_updates // batches))
        pretrain_epochs = self.pretrain_epochs or max(
            self.min_pretrain_epochs, -(-self.min_pretrain_updates // rbm_batches)
        )
        return Budget(epochs, batches, pretrain_epochs, rbm_batches)

    def classifier(self, init, pretrain, seed, budget):
        """The :class:`~skdbn.DBNClassifier` of one fit; ``budget`` sets its epochs."""
        return DBNClassifier(
            self.hidden_layer_sizes,
            init=init,
            init_scale=self.init_scale,
            pretrain=pretrain,
            rbm=self.rbm(budget.pretrain_epochs),
            activation=self.activation,
            solver=self.solver,
            momentum=self.momentum,
            nesterovs_momentum=self.nesterovs_momentum,
            learning_rate_init=self.learning_rate,
            batch_size=self.batch_size,
            max_iter=budget.epochs,
            random_state=seed,
            unlabeled=None if self.labels is None else UNLABELED,
        )

    def experiment(self):
        """The settings that change the results, as a JSON-ready dict."""
        document = {}
        for f in dataclasses.fields(self):
            if f.metadata["experiment"]:
                value = getattr(self, f.name)
                document[f.name] = list(value) if isinstance(value, tuple) else value
        return document

    def non_defaults(self, budget):
        """The estimators' parameters this comparison sets away from their defaults.

        ``init``, ``pretrain`` and ``random_state`` vary from fit to fit and
        are left out; ``budget`` (a :class:`Budget`) sets the epochs.

        Returns
        -------
        changed : dict
            ``{"DBNClassifier": {name: value}, "RBMTransformer": {name: value}}``.
        """
        clf = self.classifier("xavier", True, seed=0, budget=budget)
        varying = {"init", "pretrain", "random_state", "rbm"}
        return {
            "DBNClassifier": _changed(clf, DBNClassifier(), skip=varying),
            "RBMTransformer": _changed(clf.rbm, RBMTransformer()),
        }


def _n_batches(n_samples, batch_size):
    """Mini-batches per epoch, as ``sklearn.utils.gen_batches`` cuts them."""
    return -(-n_samples // batch_size)


@dataclass(frozen=True)
class Budget:
    """The epochs of each phase of a fit, and the mini-batches in each epoch.

    Examples
    --------
    >>> from skdbn.compare import Settings
    >>> budget = Settings().budget(n_train=133)  # wine: 5 batches of 32, 2 of 100
    >>> budget.epochs, budget.updates, budget.pretrain_epochs, budget.pretrain_updates
    (240, 1200, 60, 120)
    """

    epochs: int
    batches: int
    pretrain_epochs: int
    pretrain_batches: int

    @property
    def updates(self):
        """Fine-tuning updates of one fit."""
        return self.epochs * self.batches

    @property
    def pretrain_updates(self):
        """CD updates of each RBM."""
        return self.pretrain_epochs * self.pretrain_batches

    def as_dict(self):
        """The budget for the JSON document."""
        fields = dataclasses.asdict(self)
        return {**fields, "updates": self.updates, "pretrain_updates": self.pretrain_updates}


def _changed(estimator, reference, skip=()):
    """The parameters of ``estimator`` that differ from those of ``reference``."""
    ours, theirs = estimator.get_params(deep=False), reference.get_params(deep=False)
    return {k: v for k, v in ours.items() if k not in skip and v != theirs[k]}


DEFAULTS = Settings()


def add_options(parser, defaults=DEFAULTS):
    """Add one option per field of ``defaults`` that has a flag."""
    for f in dataclasses.fields(defaults):
        if f.metadata["flag"] is None:
            continue
        default = getattr(defaults, f.name)
        values = dataclasses.asdict(defaults)
        shown = " ".join(map(str, default)) if isinstance(default, tuple) else default
        if default is None and f.metadata["auto"]:
            shown = f.metadata["auto"].format(**values)
        keywords = dict(f.metadata["argparse"], dest=f.name, default=default)
        text = f.metadata["help"].format(default=shown)
        parser.add_argument(f.metadata["flag"], help=text, **keywords)


def from_arguments(namespace):
    """The :class:`Settings` of a parsed command line."""
    names = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in vars(namespace).items() if k in names})
