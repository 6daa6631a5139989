"""The data of ``skdbn compare``: loading, checking, subsampling and splitting.

Every problem with the input is an :class:`InputError`, a one-line message
that the command line reports with exit code 2.
"""

import csv
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler


class InputError(ValueError):
    """A bad argument or input file: reported on one line, exit code 2."""


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
    >>> from skdbn.compare import load_data
    >>> X, y, name = load_data()
    >>> name, X.shape, float(X.max())
    ('digits', (1797, 64), 1.0)
    """
    if path is None:
        if target is not None:
            raise InputError("--target needs a .csv file given with --data")
        X, y = load_digits(return_X_y=True)
        return (X / 16.0).astype(np.float32), y, "digits"
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".csv"):
        raise InputError(
            f"{path}: expected an .npz or .csv file, got {suffix or 'no extension'!r}"
        )
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix == ".npz":
        if target is not None:
            raise InputError(
                "--target applies to .csv files only; an .npz file has arrays X and y"
            )
        X, y = _read_npz(path)
    else:
        X, y = _read_csv(path, target)
    return _check_arrays(X, y, path), y, path.stem


def _read_npz(path):
    """Arrays ``X`` and ``y`` of an ``.npz`` file."""
    if not zipfile.is_zipfile(path):
        raise InputError(
            f"{path}: not an .npz file (an .npz file is a zip archive of arrays)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in ("X", "y") if key not in data.files]
            if missing:
                raise InputError(
                    f"{path}: the .npz file has no array {' or '.join(missing)} "
                    f"(it holds {', '.join(data.files) or 'nothing'}); it needs X and y"
                )
            return data["X"], data["y"]
    except InputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"{path}: cannot read it as an .npz file ({one_line(exc)})"
        ) from None


def _read_csv(path, target):
    """Features and labels of a ``.csv`` file with a header line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            header = [name.strip() for name in next(reader, [])]
            if not header:
                raise InputError(f"{path}: the .csv file is empty")
            target = header[-1] if target is None else target
            if target not in header:
                raise InputError(
                    f"{path}: no column {target!r} (columns: {', '.join(header)})"
                )
            if len(header) < 2:
                raise InputError(f"{path}: no feature column besides {target!r}")
            return _read_rows(reader, header, header.index(target), path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(
            f"{path}: cannot read it as a .csv file ({one_line(exc)})"
        ) from None


def _read_rows(reader, header, label, path):
    """Parse the data rows one by one (a large file never exists as text twice)."""
    features, labels = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(header):
            raise InputError(
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
            raise InputError(
                f"{path}: feature column {name!r} holds the non-numeric value {cell!r} "
                f"(line {reader.line_num}); features must be numbers"
            ) from None
    if not features:
        raise InputError(f"{path}: the .csv file has a header line but no data rows")
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
        raise InputError(f"{path}: X must hold numbers, not {X.dtype}")
    if X.ndim < 2 or X.shape[0] == 0 or X.size == 0:
        raise InputError(
            f"{path}: X must have shape (n_samples, n_features), got {X.shape}"
        )
    X = X.reshape(X.shape[0], -1)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise InputError(
            f"{path}: y must have shape ({X.shape[0]},) to match X, got {y.shape}"
        )
    if y.dtype.kind not in "biuUS" and not (
        y.dtype.kind == "f" and np.isfinite(y).all()
    ):
        raise InputError(
            f"{path}: y must hold class labels (integers or strings), not {y.dtype}"
        )
    if not np.isfinite(X).all():
        raise InputError(f"{path}: X holds NaN or infinite values")
    if np.unique(y).shape[0] < 2:
        raise InputError(f"{path}: y must hold at least 2 classes")
    return _scale_integers(X)


def _scale_integers(X):
    """float32 ``X``, divided by its maximum if integer-valued, >= 0 and max > 1."""
    integral = np.issubdtype(X.dtype, np.integer) or np.array_equal(X, np.round(X))
    low, high = X.min(), X.max()
    X = X.astype(np.float32)
    if integral and low >= 0 and high > 1:
        X /= np.float32(high)  # pixels 0-255, 0-16...: to [0, 1]
    return X


def one_line(exc):
    """The message of ``exc`` on one line (its type if it has none)."""
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


def make_splits(y, test_size, n_seeds):
    """One stratified (train, test) index split per seed, seed ``s`` for split ``s``."""
    labels, counts = np.unique(y, return_counts=True)
    if labels.shape[0] < 2:
        raise InputError("the data must hold at least 2 classes")
    if counts.min() < 2:
        raise InputError(
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
        raise InputError(
            f"cannot split {y.shape[0]} samples of {labels.shape[0]} classes with "
            f"--test-size {test_size}: {one_line(exc)}"
        ) from None


def hide_labels(y_train, n_labels, seed):
    """``y_train`` with all but ``n_labels`` rows (stratified, seeded) set to -1."""
    if np.any(y_train == -1):
        raise InputError("--labels marks unlabelled rows with -1, which is a class here")
    labels = np.unique(y_train)
    if not labels.shape[0] <= n_labels < y_train.shape[0]:
        raise InputError(
            f"--labels {n_labels} must be at least the number of classes "
            f"({labels.shape[0]}) and below the training rows of a split ({y_train.shape[0]})"
        )
    keep, _ = train_test_split(
        np.arange(y_train.shape[0]), train_size=n_labels, stratify=y_train,
        random_state=seed,
    )
    numeric = y_train.dtype.kind in "iuf"
    partial = np.full(y_train.shape, -1, dtype=np.result_type(y_train, np.int8) if numeric
                      else object)  # string labels: an object array holding the int -1
    partial[keep] = y_train[keep]
    return partial


def load(settings):
    """The (subsampled) data of ``settings`` and their description.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype float32
    y : ndarray of shape (n_samples,)
    dataset : dict
        ``name``, ``n_samples``, ``n_features`` and ``n_classes``.
    """
    X, y, name = load_data(settings.data, target=settings.target)
    X, y = _subsample(X, y, settings.max_samples)
    labels, counts = np.unique(y, return_counts=True)
    if settings.max_samples is not None and counts.min() < 2:
        raise InputError(
            f"--max-samples {settings.max_samples} leaves class "
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


def split(X, train, test, scale):
    """Training and test rows, min-max scaled on the training rows if ``scale``."""
    if not scale:
        return X[train], X[test]
    scaler = MinMaxScaler(clip=True).fit(X[train])
    return scaler.transform(X[train]), scaler.transform(X[test])
