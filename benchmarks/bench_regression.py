"""DBNRegressor against MLPRegressor: cross-validated R^2 and fit time, default settings.

Two tasks (issue 15):

* ``diabetes``: :func:`sklearn.datasets.load_diabetes` (442 rows, 10
  features), raw, and standardized (``StandardScaler`` on ``X`` and on ``y``,
  inside the cross-validation, which both estimators' guides recommend:
  neither scales its targets).
* ``rotation``: each digit image (8 x 8 digits, or the first ``--n-mnist`` 28 x
  28 MNIST images with ``--data-dir``) is rotated by an angle drawn uniformly
  in [-45, 45] degrees; the target is that angle in radians, the input the
  rotated image in [0, 1].

Both estimators run with their defaults and ``random_state=0``, 5-fold
shuffled cross-validation with fixed seeds, one process, so the time ratio is
a same-run ratio (absolute times depend on the machine's load).

Usage::

    python benchmarks/bench_regression.py                      # digits only
    python benchmarks/bench_regression.py --data-dir ../shared/data --n-mnist 5000

Sample output (digits, shared machine)::

    diabetes (raw)                   DBNRegressor  0.3660  MLPRegressor -3.0963
    diabetes (standardized X, y)     DBNRegressor  0.4133  MLPRegressor  0.4562  (misses)
    rotation angle, 1797 digits      DBNRegressor  0.9627  MLPRegressor  0.9546

Full table and how the defaults were chosen: ``benchmarks/README.md``.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import ndimage
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdbn import DBNRegressor

SEED = 0


def estimators():
    """The two defaults being compared."""
    return {
        "DBNRegressor": DBNRegressor(random_state=SEED),
        "MLPRegressor": MLPRegressor(random_state=SEED),
    }


def standardized(estimator):
    """``estimator`` on standardized X, predicting a standardized y."""
    return TransformedTargetRegressor(
        make_pipeline(StandardScaler(), estimator), transformer=StandardScaler()
    )


def rotated_images(images, seed=SEED):
    """``(X, angle)``: each image rotated by a uniform angle in [-45, 45] degrees."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-45, 45, len(images))
    high = float(images.max())
    X = np.stack([
        ndimage.rotate(image, angle, reshape=False, order=1)
        for image, angle in zip(images, angles)
    ]).reshape(len(images), -1)
    return np.clip(X / high, 0, 1), np.deg2rad(angles)


def tasks(data_dir, n_mnist):
    """``{name: (X, y, wrap)}``; ``wrap`` turns an estimator into what is scored."""
    X, y = load_diabetes(return_X_y=True)
    found = {
        "diabetes (raw)": (X, y, lambda e: e),
        "diabetes (standardized X, y)": (X, y, standardized),
    }
    mnist = Path(data_dir or ".") / "mnist_train.npz"
    if data_dir is not None and mnist.exists():
        images = np.load(mnist)["X"][:n_mnist].reshape(-1, 28, 28).astype(np.float64)
        name = f"rotation angle, first {len(images)} MNIST images"
    else:
        print("no MNIST under --data-dir: the rotation task uses load_digits")
        images = load_digits().images
        name = f"rotation angle, {len(images)} digits"
    Xr, yr = rotated_images(images)
    found[name] = (Xr, yr, lambda e: e)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory holding mnist_train.npz")
    parser.add_argument("--n-mnist", type=int, default=5000, help="MNIST images to use")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    cv = KFold(args.folds, shuffle=True, random_state=SEED)
    print(f"{'task':<40} {'estimator':<13} {'R^2 mean':>9} {'std':>6} {'fit s':>7}")
    for task, (X, y, wrap) in tasks(args.data_dir, args.n_mnist).items():
        r2, seconds = {}, {}
        for name, estimator in estimators().items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                scores = cross_val_score(wrap(estimator), X, y, cv=cv)
            seconds[name] = time.perf_counter() - start
            r2[name] = scores.mean()
            print(f"{task:<40} {name:<13} {scores.mean():>9.4f} {scores.std():>6.3f} "
                  f"{seconds[name]:>7.1f}")
        gap = r2["DBNRegressor"] - r2["MLPRegressor"]
        ratio = seconds["DBNRegressor"] / seconds["MLPRegressor"]
        verdict = "meets" if gap >= -0.02 else "MISSES"
        print(f"{'':<40} DBN - MLP R^2 {gap:+.4f} ({verdict} the -0.02 target), "
              f"time ratio DBN/MLP {ratio:.2f}")


if __name__ == "__main__":
    main()
