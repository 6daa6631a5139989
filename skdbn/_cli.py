"""The ``skdbn compare`` command: four initialisations, with and without pretraining.

``skdbn compare`` (or ``python -m skdbn compare``) trains a
:class:`~skdbn.DBNClassifier` for every ``init`` in zero, random, Xavier and
He, each with RBM pretraining off and on, over several seeds; it prints a
table of the test accuracy, the final training loss, the first layer's
gradient norm in the first epoch and the fit time, and saves a figure of the
loss curves, the gradient norms per layer and the first RBM's filters. The
default run, on scikit-learn's digits, tells the story of 2006-2010 in under a
minute on two cores: zero init does not learn, small random init is erratic,
RBM pretraining rescues both, and Xavier or He init gets there without it.

Sample output of ``skdbn compare`` (the table; 32 s on a busy 2-core machine)::

    init    pretraining  seeds  test accuracy   final loss  grad norm L1 ep1  fit time
    zero    no               5  0.100 ± 0.002        2.312          1.64e-05     0.5 s
    zero    yes              5  0.937 ± 0.031        0.069          6.04e-02     0.5 s
    random  no               5  0.848 ± 0.089        0.292          5.89e-03     0.4 s
    random  yes              5  0.958 ± 0.005        0.038          9.50e-02     0.8 s
    xavier  no               5  0.947 ± 0.012        0.067          1.56e-02     0.7 s
    xavier  yes              5  0.961 ± 0.003        0.037          1.13e-01     0.6 s
    he      no               5  0.958 ± 0.006        0.041          2.81e-02     0.5 s
    he      yes              5  0.964 ± 0.009        0.031          1.08e-01     0.8 s
"""

import argparse
import csv
import json
import math
import os
import re
import shutil
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

from ._dbn import DBNClassifier
from ._rbm import RBMTransformer

INITS = ("zero", "random", "xavier", "he")

# The defaults, chosen so that the run on digits takes well under a minute on
# two cores and shows every effect clearly (see the epilog of the help text).
DEFAULTS = {
    "hidden": (64, 64, 64),
    "epochs": 30,
    "pretrain_epochs": 10,
    "seeds": 5,
    "test_size": 0.25,
    "batch_size": 32,
    "learning_rate": 0.1,
    "init_scale": 0.1,
    "output": "skdbn-compare",
}
_MOMENTUM = 0.9

_DESCRIPTION = """\
Train a DBNClassifier for every init in zero, random, xavier and he, with RBM
pretraining off and on (8 configurations), over several seeds, and print a
table: test accuracy (mean ± standard deviation over the seeds), final
training loss, the first layer's gradient norm in the first epoch
(gradient_norms_[0, 0]) and the fit time (pretraining + fine-tuning, mean
per fit). A PNG figure shows the training loss curves (mean and min-max band
over the seeds), the gradient norm of each layer over the epochs (log scale)
and, when the inputs are square images, the first pretrained RBM's filters."""

_EPILOG = """\
data:
  Without --data: scikit-learn's digits (1797 8x8 images), scaled to [0, 1]
  by /16. --data takes an .npz file with arrays X (n_samples, n_features;
  images are flattened) and y, or a .csv file with a header line and one
  label column (--target, default the last column). Integer-valued data
  with values above 1, such as 0-255 pixels, are divided by their maximum;
  data already in [0, 1] are used as they are; any other real-valued data
  are min-max scaled to [0, 1] on each training split.

method:
  Each seed s draws its own stratified train/test split (random_state=s),
  shared by the 8 configurations so that they are compared on the same
  data, and seeds the network (DBNClassifier(random_state=s)); the spread
  therefore covers both the split and the initialisation.
  Network: logistic hidden layers and a softmax output, fine-tuned by SGD
  with Nesterov momentum 0.9 (the optimiser of the 2006-2010 experiments;
  Adam's per-weight step sizes would partly hide a vanishing gradient) for a
  fixed number of epochs, float32, one BLAS thread.
  Pretraining: one CD-1 RBM per hidden layer, learning rate 0.1, batch 100,
  with sampled hidden states in the data statistics
  (RBMTransformer(hidden_stats="samples")): the sampling noise is what
  breaks the symmetry of init="zero"; with hidden probabilities all the
  hidden units of a zero-initialised RBM would stay identical.
  init="random" draws N(0, init_scale^2) weights; the default 0.1 is the
  classic "small random weights": through three logistic layers the signal
  and the gradient shrink, and whether a run escapes that plateau within the
  epochs depends on the seed.

output:
  The table goes to stdout (with --json: one JSON document and nothing
  else); progress goes to stderr (a progress bar on a terminal, plain lines
  otherwise). Ctrl-C stops and prints the rows finished so far (exit code
  130). The figure needs matplotlib: pip install "skdbn[plot]".

examples:
  skdbn compare
  skdbn compare --seeds 3 --epochs 50 --json > results.json
  skdbn compare --data mnist_train.npz --max-samples 10000 --hidden 256 256
"""


class _InputError(ValueError):
    """A bad argument or input file: reported on one line, exit code 2."""


class _ParserExit(Exception):
    """Raised instead of ``sys.exit`` by the argument parser (``--help``)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports errors on one line and never exits."""

    def error(self, message):
        raise _InputError(f"{self.prog}: error: {message} (see {self.prog} --help)")

    def exit(self, status=0, message=None):
        if message:
            sys.stderr.write(message)
        raise _ParserExit(status)


# ------------------------------------------------------------ arguments


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
            bounds = f"{'>' if low_open else '>='} {low}" + (
                f" and < {high}" if high else ""
            )
            noun = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {noun} {bounds}, got {text!r}")
        return value

    return parse


def _options():
    """The options of ``compare``: (flag, ``add_argument`` keywords)."""
    d = DEFAULTS
    count, positive = _number(int, 1), _number(float, 0, low_open=True)
    return [
        ("--data", dict(metavar="FILE", help=".npz (arrays X, y) or .csv file; "
                        "default: scikit-learn's digits. Integer data > 1 (0-255 "
                        "pixels) are divided by their maximum")),
        ("--target", dict(metavar="NAME", help="label column of a .csv file "
                          "(default: the last column)")),
        ("--hidden", dict(metavar="N", nargs="+", type=count, default=d["hidden"],
                          help="hidden layer sizes (default: 64 64 64)")),
        ("--epochs", dict(metavar="N", type=count, default=d["epochs"],
                          help=f"fine-tuning epochs (default: {d['epochs']})")),
        ("--pretrain-epochs", dict(metavar="N", type=count,
                                   default=d["pretrain_epochs"],
                                   help="RBM epochs per hidden layer (default: "
                                   f"{d['pretrain_epochs']})")),
        ("--seeds", dict(metavar="N", type=count, default=d["seeds"],
                         help=f"number of seeds (default: {d['seeds']})")),
        ("--test-size", dict(metavar="FRACTION", default=d["test_size"],
                             type=_number(float, 0, low_open=True, high=1),
                             help="test fraction of each split (default: "
                             f"{d['test_size']})")),
        ("--max-samples", dict(metavar="N", type=_number(int, 2), help="use a "
                               "stratified subsample of N rows (e.g. for MNIST)")),
        ("--batch-size", dict(metavar="N", type=count, default=d["batch_size"],
                              help="fine-tuning mini-batch size (default: "
                              f"{d['batch_size']})")),
        ("--learning-rate", dict(metavar="RATE", type=positive,
                                 default=d["learning_rate"], help="fine-tuning SGD "
                                 f"step size (default: {d['learning_rate']})")),
        ("--init-scale", dict(metavar="STD", type=positive, default=d["init_scale"],
                              help="standard deviation of init='random' (default: "
                              f"{d['init_scale']})")),
        ("--output", dict(metavar="DIR", default=d["output"],
                          help=f"folder of the figure (default: ./{d['output']}/)")),
        ("--json", dict(action="store_true", help="print the results as JSON")),
        ("--quiet", dict(action="store_true", help="no progress on stderr")),
        ("--no-plot", dict(action="store_true", help="do not save the figure")),
    ]  # fmt: skip


def _build_parser():
    parser = _Parser(prog="skdbn", description="Deep Belief Networks for scikit-learn.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    compare = commands.add_parser(
        "compare",
        help="compare zero/random/xavier/he init with and without pretraining",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, keywords in _options():
        compare.add_argument(flag, **keywords)
    return parser


# ----------------------------------------------------------------- data


def load_data(path=None, *, target=None):
    """Load the data of the comparison: digits, an ``.npz`` or a ``.csv`` file.

    Integer-valued features with values above 1 (such as 0-255 pixels) are
    divided by their maximum, which brings them to [0, 1]; other features
    are returned as they are.

    Parameters
    ----------
    path : str or path-like or None, default=None
        An ``.npz`` file with arrays ``X`` of shape (n_samples, n_features)
        (or (n_samples, height, width), flattened) and ``y`` of shape
        (n_samples,); a ``.csv`` file with a header line and a label column;
        or None for scikit-learn's digits.
    target : str or None, default=None
        Name of the label column of a ``.csv`` file; None means the last.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype float32
        The features.
    y : ndarray of shape (n_samples,)
        The labels.
    name : str
        Short name of the data set (``"digits"`` or the file's stem).

    Raises
    ------
    ValueError
        If the file is missing or unreadable, has the wrong extension, lacks
        ``X``/``y`` or the target column, has non-numeric or non-finite
        features, or fewer than two classes; the message is one line.

    Examples
    --------
    >>> from skdbn._cli import load_data
    >>> X, y, name = load_data()
    >>> name, X.shape, float(X.max())
    ('digits', (1797, 64), 1.0)
    """
    if path is None:
        if target is not None:
            raise _InputError("--target needs a .csv file given with --data")
        X, y = load_digits(return_X_y=True)
        return (X / 16.0).astype(np.float32), y, "digits"
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".csv"):
        raise _InputError(
            f"{path}: expected an .npz or .csv file, got {suffix or 'no extension'!r}"
        )
    if not path.is_file():
        raise _InputError(f"{path}: no such file")
    if suffix == ".npz":
        if target is not None:
            raise _InputError(
                "--target applies to .csv files only; an .npz file has arrays X and y"
            )
        X, y = _read_npz(path)
    else:
        X, y = _read_csv(path, target)
    return _check_arrays(X, y, path), y, path.stem


def _read_npz(path):
    """Arrays ``X`` and ``y`` of an ``.npz`` file."""
    if not zipfile.is_zipfile(path):
        raise _InputError(
            f"{path}: not an .npz file (an .npz file is a zip archive of arrays)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in ("X", "y") if key not in data.files]
            if missing:
                raise _InputError(
                    f"{path}: the .npz file has no array {' or '.join(missing)} "
                    f"(it holds {', '.join(data.files) or 'nothing'}); it needs X and y"
                )
            return data["X"], data["y"]
    except _InputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise _InputError(
            f"{path}: cannot read it as an .npz file ({_one_line(exc)})"
        ) from None


def _read_csv(path, target):
    """Features and labels of a ``.csv`` file with a header line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            header = [name.strip() for name in next(reader, [])]
            if not header:
                raise _InputError(f"{path}: the .csv file is empty")
            target = header[-1] if target is None else target
            if target not in header:
                raise _InputError(
                    f"{path}: no column {target!r} (columns: {', '.join(header)})"
                )
            if len(header) < 2:
                raise _InputError(f"{path}: no feature column besides {target!r}")
            return _read_rows(reader, header, header.index(target), path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _InputError(
            f"{path}: cannot read it as a .csv file ({_one_line(exc)})"
        ) from None


def _read_rows(reader, header, label, path):
    """Parse the data rows one by one (a large file never exists as text twice)."""
    features, labels = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(header):
            raise _InputError(
                f"{path}: line {reader.line_num} has {len(row)} fields, the header "
                f"{len(header)}"
            )
        labels.append(row[label].strip())
        values = row[:label] + row[label + 1 :]
        try:
            features.append(np.array(values, dtype=np.float64))
        except ValueError:
            column, cell = next(
                (j, v) for j, v in enumerate(values) if not _is_number(v)
            )
            name = (header[:label] + header[label + 1 :])[column]
            raise _InputError(
                f"{path}: feature column {name!r} holds the non-numeric value {cell!r} "
                f"(line {reader.line_num}); features must be numbers"
            ) from None
    if not features:
        raise _InputError(f"{path}: the .csv file has a header line but no data rows")
    return np.stack(features), np.array(labels)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_arrays(X, y, path):
    """Validated float32 features, integer pixels scaled to [0, 1]."""
    X, y = np.asarray(X), np.asarray(y)
    if X.dtype == bool:
        X = X.astype(np.uint8)
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise _InputError(f"{path}: X must hold numbers, not {X.dtype}")
    if X.ndim < 2 or X.shape[0] == 0 or X.size == 0:
        raise _InputError(
            f"{path}: X must have shape (n_samples, n_features), got {X.shape}"
        )
    X = X.reshape(X.shape[0], -1)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise _InputError(
            f"{path}: y must have shape ({X.shape[0]},) to match X, got {y.shape}"
        )
    if y.dtype.kind not in "biuUS" and not (
        y.dtype.kind == "f" and np.isfinite(y).all()
    ):
        raise _InputError(
            f"{path}: y must hold class labels (integers or strings), not {y.dtype}"
        )
    if not np.isfinite(X).all():
        raise _InputError(f"{path}: X holds NaN or infinite values")
    if np.unique(y).shape[0] < 2:
        raise _InputError(f"{path}: y must hold at least 2 classes")
    return _scale_integers(X)


def _scale_integers(X):
    """float32 ``X``, divided by its maximum if integer-valued, >= 0 and max > 1."""
    integral = np.issubdtype(X.dtype, np.integer) or np.array_equal(X, np.round(X))
    low, high = X.min(), X.max()
    X = X.astype(np.float32)
    if integral and low >= 0 and high > 1:
        X /= np.float32(high)  # pixels 0-255, 0-16...: to [0, 1]
    return X


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def _subsample(X, y, max_samples):
    """A stratified subsample of ``max_samples`` rows (all rows if fewer)."""
    if max_samples is None or max_samples >= X.shape[0]:
        return X, y
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 and max_samples >= counts.shape[0] else None
    rows, _ = train_test_split(
        np.arange(X.shape[0]), train_size=max_samples, stratify=stratify, random_state=0
    )
    rows = np.sort(rows)
    return X[rows], y[rows]


def _make_splits(y, test_size, n_seeds):
    """One stratified (train, test) index split per seed, seed ``s`` for split ``s``."""
    labels, counts = np.unique(y, return_counts=True)
    if labels.shape[0] < 2:
        raise _InputError("the data must hold at least 2 classes")
    if counts.min() < 2:
        raise _InputError(
            f"class {labels[counts.argmin()].item()!r} has only 1 sample; a stratified "
            "train/test split needs at least 2 per class"
        )
    try:
        return [
            train_test_split(
                np.arange(y.shape[0]),
                test_size=test_size,
                stratify=y,
                random_state=seed,
            )
            for seed in range(n_seeds)
        ]
    except ValueError as exc:
        raise _InputError(
            f"cannot split {y.shape[0]} samples of {labels.shape[0]} classes with "
            f"--test-size {test_size}: {_one_line(exc)}"
        ) from None


# ------------------------------------------------------------- training


def run_comparison(
    X,
    y,
    *,
    hidden_layer_sizes=DEFAULTS["hidden"],
    n_epochs=DEFAULTS["epochs"],
    n_pretrain_epochs=DEFAULTS["pretrain_epochs"],
    n_seeds=DEFAULTS["seeds"],
    test_size=DEFAULTS["test_size"],
    batch_size=DEFAULTS["batch_size"],
    learning_rate=DEFAULTS["learning_rate"],
    init_scale=DEFAULTS["init_scale"],
    progress=None,
):
    """Train the eight configurations over the seeds, one record per fit.

    For each ``init`` in zero, random, xavier and he, with ``pretrain`` off
    and on, and for each seed ``s``, a :class:`~skdbn.DBNClassifier` with
    ``random_state=s`` is trained on the ``s``-th stratified split (shared by
    all configurations) one epoch per :meth:`~skdbn.DBNClassifier.partial_fit`
    call, and scored on its test part. The data are checked and split at
    once; the fits run as the returned iterator is consumed, so the caller
    keeps the finished records if it is interrupted.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features; min-max scaled to [0, 1] on each training split unless they
        already lie in [0, 1].
    y : array-like of shape (n_samples,)
        Class labels, at least 2 per class.
    hidden_layer_sizes : tuple of int, default=(64, 64, 64)
        Hidden layer sizes.
    n_epochs : int, default=30
        Fine-tuning epochs (SGD, Nesterov momentum 0.9).
    n_pretrain_epochs : int, default=10
        CD-1 epochs per RBM, with sampled hidden states.
    n_seeds : int, default=5
        Number of seeds (splits and network seeds 0, 1, ...).
    test_size : float, default=0.25
        Test fraction of each split.
    batch_size : int, default=32
        Fine-tuning mini-batch size.
    learning_rate : float, default=0.1
        Fine-tuning step size.
    init_scale : float, default=0.1
        Standard deviation of the weights for ``init="random"``.
    progress : object or None, default=None
        Receives ``start(index, init, pretrain, seed)``,
        ``epoch(epoch, loss)`` and ``finish(record)`` calls.

    Returns
    -------
    records : iterator of dict
        One dict per fit, configuration by configuration: ``init``,
        ``pretrain``, ``seed``, ``accuracy``, ``final_loss``,
        ``first_layer_gradient_norm``, ``fit_time``, ``pretraining_time``,
        ``loss_curve`` (list of float), ``gradient_norms`` (ndarray of shape
        (n_epochs, n_layers - 1)), ``filters`` (the first RBM's
        ``components_`` for the first seed of a pretrained configuration,
        else None), ``diverged`` (bool) and ``error`` (str or None).

    Raises
    ------
    ValueError
        If a class has fewer than 2 samples or the split sizes are too small.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdbn._cli import run_comparison
    >>> X, y = load_digits(return_X_y=True)
    >>> records = list(run_comparison(X[:200] / 16, y[:200], hidden_layer_sizes=(8,),
    ...                               n_epochs=2, n_pretrain_epochs=1, n_seeds=1))
    >>> len(records), records[0]["init"], len(records[0]["loss_curve"])
    (8, 'zero', 2)
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    splits = _make_splits(y, test_size, n_seeds)
    settings = {
        "hidden_layer_sizes": tuple(int(n) for n in hidden_layer_sizes),
        "n_epochs": n_epochs,
        "n_pretrain_epochs": n_pretrain_epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "init_scale": init_scale,
    }
    return _fits(X, y, splits, settings, progress or _NoProgress())


def _fits(X, y, splits, settings, progress):
    classes = np.unique(y)
    scale = bool(X.min() < 0 or X.max() > 1)
    index = 0
    for init in INITS:
        for pretrain in (False, True):
            for seed, (train, test) in enumerate(splits):
                progress.start(index, init, pretrain, seed)
                X_train, X_test = _split(X, train, test, scale)
                record = _fit_one(
                    _make_classifier(init, pretrain, seed, settings),
                    X_train,
                    y[train],
                    X_test,
                    y[test],
                    classes,
                    settings["n_epochs"],
                    progress,
                )
                record.update(init=init, pretrain=pretrain, seed=seed)
                progress.finish(record)
                index += 1
                yield record


def _split(X, train, test, scale):
    if not scale:
        return X[train], X[test]
    scaler = MinMaxScaler(clip=True).fit(X[train])
    return scaler.transform(X[train]), scaler.transform(X[test])


def _make_classifier(init, pretrain, seed, settings):
    rbm = RBMTransformer(n_iter=settings["n_pretrain_epochs"], hidden_stats="samples")
    return DBNClassifier(
        settings["hidden_layer_sizes"],
        init=init,
        init_scale=settings["init_scale"],
        pretrain=pretrain,
        rbm=rbm,
        solver="sgd",
        momentum=_MOMENTUM,
        nesterovs_momentum=True,
        learning_rate_init=settings["learning_rate"],
        batch_size=settings["batch_size"],
        max_iter=settings["n_epochs"],
        random_state=seed,
    )


def _fit_one(clf, X_train, y_train, X_test, y_test, classes, n_epochs, progress):
    """Fine-tune ``clf`` epoch by epoch (pretraining in the first call); its record."""
    # One BLAS thread: the mini-batch products are too small to gain from
    # threads, and on a busy machine threads slow them down up to tenfold.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore")
        start, error = time.perf_counter(), None
        try:
            for epoch in range(n_epochs):
                clf.partial_fit(X_train, y_train, classes=None if epoch else classes)
                progress.epoch(epoch + 1, clf.loss_curve_[-1])
        except ValueError as exc:
            if "diverged" not in str(exc):
                raise
            error = _one_line(exc)
        fit_time = time.perf_counter() - start
        accuracy = float(clf.score(X_test, y_test)) if error is None else None
    return _record(clf, accuracy, fit_time, error)


def _record(clf, accuracy, fit_time, error):
    """What the table and the figure need of one fit."""
    curve = list(getattr(clf, "loss_curve_", []))
    norms = np.array(getattr(clf, "gradient_norms_", np.empty((0, 0))))
    rbms = getattr(clf, "rbms_", [])
    return {
        "accuracy": accuracy,
        "final_loss": float(curve[-1]) if curve else None,
        "first_layer_gradient_norm": float(norms[0, 0]) if norms.size else None,
        "fit_time": fit_time,
        "pretraining_time": float(getattr(clf, "pretraining_time_", 0.0)),
        "loss_curve": [float(v) for v in curve],
        "gradient_norms": norms,
        # The figure shows the first seed's filters only: keep no others.
        "filters": rbms[0].components_.copy()
        if rbms and clf.random_state == 0
        else None,
        "diverged": error is not None,
        "error": error,
    }


# ------------------------------------------------------------- progress


class _NoProgress:
    def start(self, index, init, pretrain, seed):
        pass

    def epoch(self, epoch, loss):
        pass

    def finish(self, record):
        pass

    def close(self):
        pass


class _Progress(_NoProgress):
    """Progress on a stream: a one-line bar on a terminal, plain lines otherwise.

    Plain lines: one per finished fit, and one per epoch when at least
    ``interval`` seconds passed since the last line (so long runs show life).
    """

    def __init__(self, stream, n_fits, n_seeds, n_epochs, *, tty=None, interval=5.0):
        self.stream, self.n_fits, self.n_seeds, self.n_epochs = (
            stream,
            n_fits,
            n_seeds,
            n_epochs,
        )
        self.tty = stream.isatty() if tty is None else tty
        self.interval = interval
        self.started = self.last_line = time.perf_counter()
        self.width = 0
        self.index, self.label = 0, ""

    def start(self, index, init, pretrain, seed):
        self.index = index
        self.label = f"{_label(init, pretrain)}, seed {seed + 1}/{self.n_seeds}"
        self._show(0, "pretraining..." if pretrain else "")

    def epoch(self, epoch, loss):
        self._show(epoch, f"loss {loss:.4f}")

    def finish(self, record):
        done = (
            "diverged"
            if record["diverged"]
            else f"test accuracy {record['accuracy']:.3f}"
        )
        message = f"{done}, {record['fit_time']:.1f} s"
        if self.tty:
            self._show(self.n_epochs, message)
        else:
            self._line(f"{self._where(len(record['loss_curve']))}: {message}")

    def _where(self, epoch):
        return (
            f"[{self.index + 1:>{len(str(self.n_fits))}}/{self.n_fits}] {self.label}, "
            f"epoch {epoch}/{self.n_epochs}"
        )

    def _show(self, epoch, message):
        if not self.tty:
            if epoch and time.perf_counter() - self.last_line >= self.interval:
                self._line(f"{self._where(epoch)}: {message}")
            return
        done = (self.index + epoch / self.n_epochs) / self.n_fits
        elapsed = time.perf_counter() - self.started
        left = f" ~{_duration(elapsed / done * (1 - done))} left" if done > 0.02 else ""
        bar = "#" * int(20 * done) + "-" * (20 - int(20 * done))
        text = f"[{bar}] {100 * done:3.0f}% {_duration(elapsed)}{left}"
        text += f" | {self._where(epoch)}"
        text += f" | {message}" if message else ""
        text = text[: shutil.get_terminal_size().columns - 1]
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def _line(self, text):
        self.stream.write(text + "\n")
        self.stream.flush()
        self.last_line = time.perf_counter()

    def close(self):
        """End the bar's line, so what follows starts on a fresh one."""
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def _duration(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _label(init, pretrain):
    return f"{init} + pretraining" if pretrain else init


# -------------------------------------------------------------- results


def _summarize(records):
    """One row per configuration (in run order): means over its seeds."""
    groups = {}
    for record in records:
        groups.setdefault((record["init"], record["pretrain"]), []).append(record)
    return [_row(init, pretrain, group) for (init, pretrain), group in groups.items()]


def _row(init, pretrain, group):
    ok = [r for r in group if not r["diverged"]]
    accuracies = [r["accuracy"] for r in ok]
    std = (
        float(np.std(accuracies, ddof=1))
        if len(accuracies) > 1
        else (0.0 if ok else None)
    )

    def mean(key, records=ok):
        values = [r[key] for r in records if r[key] is not None]
        return float(np.mean(values)) if values else None

    return {
        "configuration": _label(init, pretrain),
        "init": init,
        "pretrain": pretrain,
        "n_seeds": len(group),
        "n_diverged": len(group) - len(ok),
        "test_accuracy_mean": mean("accuracy"),
        "test_accuracy_std": std,
        "test_accuracies": [r["accuracy"] for r in group],
        "final_training_loss": mean("final_loss"),
        "first_layer_gradient_norm_epoch1": mean("first_layer_gradient_norm", group),
        "fit_time_s": mean("fit_time", group),
        "pretraining_time_s": mean("pretraining_time", group),
    }


def _format_table(rows):
    """The rows as an aligned text table."""
    lines = [
        f"{'init':<7} {'pretraining':<11}  {'seeds':>5}  {'test accuracy':<14}  "
        f"{'final loss':>10}  {'grad norm L1 ep1':>16}  {'fit time':>8}"
    ]
    for row in rows:
        accuracy = (
            "diverged"
            if row["test_accuracy_mean"] is None
            else (f"{row['test_accuracy_mean']:.3f} ± {row['test_accuracy_std']:.3f}")
        )
        note = f"  ({row['n_diverged']} diverged)" if row["n_diverged"] else ""
        lines.append(
            f"{row['init']:<7} {'yes' if row['pretrain'] else 'no':<11}  "
            f"{row['n_seeds']:>5}  "
            f"{accuracy:<14}  {_fmt(row['final_training_loss'], '.3f'):>10}  "
            f"{_fmt(row['first_layer_gradient_norm_epoch1'], '.2e'):>16}  "
            f"{_fmt(row['fit_time_s'], '.1f') + ' s':>8}{note}"
        )
    return "\n".join(lines)


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def _header(dataset, args):
    """What was compared and how: the lines above the table."""
    d = dataset
    test = round(100 * args.test_size)
    seeds = _plural(args.seeds, "seed")
    hidden = "-".join(str(n) for n in args.hidden)
    return (
        f"skdbn compare: {d['name']}, {d['n_samples']} samples x {d['n_features']} "
        f"features, {d['n_classes']} classes\n"
        f"{seeds}, each with its own stratified {100 - test}/{test} train/test split; "
        f"network {hidden} logistic + softmax\n"
        f"fine-tuning: SGD lr {args.learning_rate:g}, Nesterov momentum {_MOMENTUM}, "
        f"batch {args.batch_size}, {_plural(args.epochs, 'epoch')}; random init N(0, "
        f"{args.init_scale:g}^2)\n"
        "pretraining: CD-1 RBMs with sampled hidden states, "
        f"{_plural(args.pretrain_epochs, 'epoch')} per layer\n\n"
    )


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


_FOOTER = """
test accuracy: mean ± std over the seeds; final loss: training cross-entropy, last epoch
grad norm L1 ep1: norm of the loss gradient of the first weight layer, first epoch
fit time: pretraining + fine-tuning, mean per fit"""


# --------------------------------------------------------------- figure


def plot_comparison(records, path, *, title=""):
    """Save the figure of a comparison: loss curves, gradient norms, filters.

    The figure shows the training loss per configuration (mean over the
    seeds, with a min-max band; log scale), the gradient norm of each weight
    layer over the epochs for each configuration (mean over the seeds; log
    scale), and, when a pretrained record has filters whose size is a
    perfect square, the first RBM's filters as images. Diverged fits are left
    out. Uses matplotlib's Agg canvas (no display needed).

    Parameters
    ----------
    records : list of dict
        Records of :func:`run_comparison`.
    path : str or path-like
        Where to save the PNG file.
    title : str, default=""
        Title of the figure.

    Returns
    -------
    path : pathlib.Path
        The saved file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_digits
    >>> from skdbn._cli import plot_comparison, run_comparison
    >>> X, y = load_digits(return_X_y=True)
    >>> records = list(run_comparison(X[:200] / 16, y[:200], hidden_layer_sizes=(9,),
    ...                               n_epochs=2, n_pretrain_epochs=1, n_seeds=1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = plot_comparison(records, pathlib.Path(folder) / "compare.png")
    ...     path.stat().st_size > 0
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    records = [r for r in records if not r["diverged"] and r["loss_curve"]]
    configurations = list(dict.fromkeys((r["init"], r["pretrain"]) for r in records))
    filters = _pick_filters(records)
    fig = Figure(figsize=(16, 11), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 4, height_ratios=[1.4, 1, 1])
    _plot_losses(
        fig.add_subplot(grid[0, :2] if filters else grid[0, :]), records, configurations
    )
    if filters:
        _plot_filters(fig.add_subplot(grid[0, 2:]), *filters)
    _plot_gradients(fig, grid, records, configurations)
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=90)
    return path


_COLORS = {
    "zero": "tab:red",
    "random": "tab:orange",
    "xavier": "tab:blue",
    "he": "tab:green",
}


def _curves(records, init, pretrain, key):
    """Stack of one configuration's per-seed curves, cut to the shortest."""
    curves = [
        np.asarray(r[key], dtype=float)
        for r in records
        if (r["init"], r["pretrain"]) == (init, pretrain)
    ]
    length = min(len(c) for c in curves)
    return np.stack([c[:length] for c in curves])


def _plot_losses(ax, records, configurations):
    for init, pretrain in configurations:
        curves = _curves(records, init, pretrain, "loss_curve")
        epochs = np.arange(1, curves.shape[1] + 1)
        style = {"color": _COLORS.get(init), "linestyle": "--" if pretrain else "-"}
        ax.plot(epochs, curves.mean(axis=0), label=_label(init, pretrain), **style)
        ax.fill_between(
            epochs,
            curves.min(axis=0),
            curves.max(axis=0),
            alpha=0.15,
            color=style["color"],
            linewidth=0,
        )
    ax.set_yscale("log")
    ax.set_xlabel("fine-tuning epoch")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title("Training loss: mean and min-max over the seeds")
    if configurations:
        ax.legend(ncol=2, fontsize="small")


def _plot_gradients(fig, grid, records, configurations):
    axes = []
    for k, (init, pretrain) in enumerate(configurations[:8]):
        ax = fig.add_subplot(grid[1 + k // 4, k % 4], sharey=axes[0] if axes else None)
        norms = _curves(records, init, pretrain, "gradient_norms").mean(axis=0)
        epochs = np.arange(1, norms.shape[0] + 1)
        for layer in range(norms.shape[1]):
            name = "output" if layer == norms.shape[1] - 1 else f"layer {layer + 1}"
            ax.plot(epochs, np.maximum(norms[:, layer], 1e-12), label=name)
        ax.set_yscale("log")
        ax.set_title(f"Gradient norm: {_label(init, pretrain)}", fontsize="medium")
        ax.set_xlabel("epoch", fontsize="small")
        if k % 4 == 0:
            ax.set_ylabel("gradient norm (mean over seeds)", fontsize="small")
        axes.append(ax)
    if axes:
        axes[0].legend(fontsize="x-small")


def _pick_filters(records):
    """The first RBM's filters of a pretrained run, Xavier's first, if square images."""
    for init in ("xavier", "he", "random", "zero"):
        for r in records:
            W = r.get("filters")
            if r["init"] == init and W is not None and _side(W.shape[1]):
                return W, f"{_label(init, True)}, seed {r['seed']}"
    return None


def _side(n_features):
    side = math.isqrt(n_features)
    return side if side >= 2 and side * side == n_features else 0


def _plot_filters(ax, W, source):
    """Up to 100 filters, each scaled to its own range, tiled in a square grid."""
    W = np.asarray(W, dtype=float)[:100]
    side, n = _side(W.shape[1]), W.shape[0]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    tiles = np.full((rows * (side + 1) + 1, cols * (side + 1) + 1), np.nan)
    for k, w in enumerate(W):
        low, high = w.min(), w.max()
        image = (w - low) / (high - low) if high > low else np.zeros_like(w)
        r, c = divmod(k, cols)
        tiles[
            1 + r * (side + 1) : (r + 1) * (side + 1),
            1 + c * (side + 1) : (c + 1) * (side + 1),
        ] = image.reshape(side, side)
    ax.imshow(tiles, cmap="gray", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"First RBM's filters ({source})")


# ------------------------------------------------------------------ main


def main(argv=None):
    """Run the ``skdbn`` command line; return its exit code.

    ``skdbn compare`` trains a :class:`~skdbn.DBNClassifier` for each
    ``init`` with and without pretraining over several seeds, prints a table
    (or JSON with ``--json``) and saves a figure; ``skdbn compare --help``
    explains every option and the method.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; None means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 for a bad argument or input file (reported on one
        line on stderr), 130 when interrupted by Ctrl-C (after printing the
        rows finished so far).

    Examples
    --------
    >>> from skdbn._cli import main
    >>> main(["compare", "--hidden", "8", "--epochs", "2", "--pretrain-epochs", "1",
    ...       "--seeds", "1", "--max-samples", "200", "--no-plot", "--quiet"])
    skdbn compare: digits, 200 samples x 64 features, 10 classes
    ...
    init    pretraining  seeds  test accuracy ...
    zero    no               1  ...
    0
    """
    try:
        args = _build_parser().parse_args(argv)
        return _compare(args)
    except _ParserExit as exc:
        return exc.status
    except _InputError as exc:
        message = str(exc)
        if not message.startswith("skdbn"):
            message = f"skdbn compare: error: {message}"
        print(message, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skdbn: interrupted", file=sys.stderr)
        return 130


def _compare(args):
    """The ``compare`` command: load, train, report, plot; the exit code."""
    started = time.perf_counter()
    X, y, dataset = _load(args)
    figure = _figure_path(args, dataset["name"])
    records, interrupted = _train(args, X, y)
    if interrupted:
        print(
            f"skdbn compare: interrupted after {len(records)} of "
            f"{2 * len(INITS) * args.seeds} fits; the rows finished so far follow "
            "(no figure)",
            file=sys.stderr,
        )
        figure = None
    elif figure is not None:
        title = " | ".join(_header(dataset, args).splitlines()[:2])
        figure = plot_comparison(records, figure, title=title)
    _report(args, dataset, records, figure, interrupted, time.perf_counter() - started)
    return 130 if interrupted else 0


def _load(args):
    """The (subsampled) data and their description."""
    X, y, name = load_data(args.data, target=args.target)
    X, y = _subsample(X, y, args.max_samples)
    labels, counts = np.unique(y, return_counts=True)
    if args.max_samples is not None and counts.min() < 2:
        raise _InputError(
            f"--max-samples {args.max_samples} leaves class "
            f"{labels[counts.argmin()].item()!r} with 1 sample; a stratified "
            "train/test split needs at least 2 per class"
        )
    dataset = {
        "name": name,
        "n_samples": X.shape[0],
        "n_features": X.shape[1],
        "n_classes": labels.shape[0],
    }
    return X, y, dataset


def _train(args, X, y):
    """The records of the fits, and whether Ctrl-C cut the run short."""
    n_fits = 2 * len(INITS) * args.seeds
    progress = None
    if not args.quiet:
        progress = _Progress(sys.stderr, n_fits, args.seeds, args.epochs)
    fits = run_comparison(
        X,
        y,
        hidden_layer_sizes=args.hidden,
        n_epochs=args.epochs,
        n_pretrain_epochs=args.pretrain_epochs,
        n_seeds=args.seeds,
        test_size=args.test_size,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        init_scale=args.init_scale,
        progress=progress,
    )
    records = []
    try:
        for record in fits:
            records.append(record)
    except KeyboardInterrupt:
        return records, True
    finally:
        if progress is not None:
            progress.close()
    return records, False


def _figure_path(args, name):
    """The figure's path (its folder made), or None: ``--no-plot`` or no matplotlib."""
    if args.no_plot:
        return None
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            "skdbn compare: matplotlib is not installed, so no figure will be saved; "
            'pip install "skdbn[plot]" installs it',
            file=sys.stderr,
        )
        return None
    folder = Path(args.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _InputError(
            f"--output {folder}: cannot create the folder ({_one_line(exc)})"
        ) from None
    if not os.access(folder, os.W_OK):
        raise _InputError(f"--output {folder}: the folder is not writable")
    return folder / f"compare_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


def _report(args, dataset, records, figure, interrupted, seconds):
    """The table (or JSON) on stdout; the total time on stderr."""
    rows = _summarize(records)
    if args.json:
        document = {
            "dataset": dataset,
            "settings": _settings(args),
            "results": rows,
            "figure": None if figure is None else str(figure),
            "interrupted": interrupted,
            "wall_time_s": seconds,
        }
        print(json.dumps(_finite(document), indent=2, ensure_ascii=False))
    else:
        print(_header(dataset, args) + _format_table(rows))
        print(_FOOTER if rows else "(no configuration finished)")
        print()
        if figure is not None:
            print(f"figure: {figure}")
    if not args.quiet:
        print(
            f"skdbn compare: {len(records)} fits in {_duration(seconds)}",
            file=sys.stderr,
        )


def _settings(args):
    return {
        "hidden_layer_sizes": list(args.hidden),
        "activation": "logistic",
        "solver": "sgd",
        "learning_rate": args.learning_rate,
        "momentum": _MOMENTUM,
        "nesterovs_momentum": True,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "pretrain_epochs": args.pretrain_epochs,
        "rbm_hidden_stats": "samples",
        "init_scale": args.init_scale,
        "seeds": args.seeds,
        "test_size": args.test_size,
        "max_samples": args.max_samples,
    }


def _finite(value):
    """``value`` with NaN and infinities replaced by None, for strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
