"""Benchmark RBM training: skdbn's RBMTransformer against scikit-learn's BernoulliRBM.

Both train on the same float32 data with the same number of hidden units,
epochs, batch size, learning rate (0.1) and one Gibbs step. Three models are
timed, interleaved round by round so that a change in the machine's load hits
all of them alike:

* ``BernoulliRBM``: scikit-learn's RBM, PCD-1 without momentum;
* ``skdbn PCD-1``: ``RBMTransformer(method="pcd", momentum=0.0,
  weight_decay=0.0)``, the same algorithm as ``BernoulliRBM``;
* ``skdbn CD-1``: ``RBMTransformer`` with its defaults (CD-1, momentum 0.5).

For each, the script prints the median seconds per epoch over the rounds, the
speed-up over ``BernoulliRBM`` (the median over rounds of BernoulliRBM's time
divided by the model's time in the same round) and the effective GFLOP/s,
counting ``10 x n_features x n_components`` flops per sample per epoch (five
matrix products of two flops per multiply-add: the hidden probabilities of the
data, the visible means and hidden probabilities of the negative phase, and
the two phases of the weight gradient). That rate is set against the float32
matrix-multiply rate of a 2000 x 2000 product measured in every round of the
same run (the best of a few products; the median over rounds is reported).

Usage::

    python benchmarks/bench_rbm.py                      # load_digits
    python benchmarks/bench_rbm.py --data ../shared/data/mnist_train.npz

``--data`` is an ``.npz`` file holding ``X`` (uint8, n x 784, values 0-255)
and ``y``, like ``mnist_train.npz``; pixels are scaled to [0, 1]. Without it,
or when the file is missing, the script uses ``load_digits`` scaled by 1/16.

Sample output: 2-core Xeon with AVX-512, OpenBLAS 0.3.31 SkylakeX kernel,
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, numpy 2.4, scikit-learn 1.9.1.
Two other jobs kept both cores busy the whole time, so read the ratios, not
the seconds. With the default 2 BLAS threads, BernoulliRBM's busy-waiting
OpenBLAS threads collapse under such load (19 s per epoch instead of about
1.2 s on a quiet machine); skdbn runs BLAS single-threaded with its own
sleeping worker threads and does not. On a quiet machine (timed per batch,
2000 x 2000 matmul at 275 GFLOP/s) skdbn ran 1.7-2.0 times faster than
BernoulliRBM, at 124-140 GFLOP/s::

    $ python benchmarks/bench_rbm.py --data ../shared/data/mnist_train.npz \\
          --n-samples 20000 --epochs 3 --repeats 3
    data: mnist_train.npz, 20000 x 784 float32; 784 -> 500 hidden, batch 100, 3 epochs, 3 rounds
    ...
    float32 2000 x 2000 matmul: 138.0 GFLOP/s (median over rounds)

    model                       s / epoch  speed-up  GFLOP/s  of matmul
    -------------------------------------------------------------------
    BernoulliRBM                   19.001     1.00x      4.1        3%
    skdbn PCD-1                     0.946    20.08x     82.9       60%
    skdbn CD-1, momentum 0.5        0.931    20.40x     84.2       61%

On one core (``--threads 1``: one BLAS thread for both, no skdbn workers),
the like-for-like comparison of the arithmetic alone::

    float32 2000 x 2000 matmul: 160.0 GFLOP/s (median over rounds)

    model                       s / epoch  speed-up  GFLOP/s  of matmul
    -------------------------------------------------------------------
    BernoulliRBM                    1.292     1.00x     60.7       38%
    skdbn PCD-1                     0.931     1.40x     84.2       53%
    skdbn CD-1, momentum 0.5        0.918     1.41x     85.4       53%
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_info, threadpool_limits

from skdbn import RBMTransformer

REFERENCE = "BernoulliRBM"


def load_data(path, n_samples, seed=0):
    """float32 rows in [0, 1]: ``path`` (an MNIST-like .npz) or ``load_digits``."""
    if path is not None and Path(path).exists():
        X = np.load(path)["X"].astype(np.float32) / 255.0
        name = Path(path).name
    else:
        if path is not None:
            print(f"{path} not found; using load_digits instead")
        X = load_digits().data.astype(np.float32) / 16.0
        name = "load_digits"
    if n_samples is not None and n_samples < X.shape[0]:
        rows = np.random.default_rng(seed).choice(X.shape[0], n_samples, replace=False)
        X = X[np.sort(rows)]
    return np.ascontiguousarray(X, dtype=np.float32), name


def make_estimators(args):
    """The models to time, by name, all with learning rate 0.1 and one Gibbs step."""
    common = dict(
        n_components=args.n_components,
        learning_rate=0.1,
        batch_size=args.batch_size,
        n_iter=args.epochs,
        random_state=0,
    )
    return {
        REFERENCE: BernoulliRBM(**common),
        "skdbn PCD-1": RBMTransformer(
            method="pcd", momentum=0.0, weight_decay=0.0, n_gibbs_steps=1, **common
        ),
        "skdbn CD-1, momentum 0.5": RBMTransformer(
            method="cd", momentum=0.5, n_gibbs_steps=1, **common
        ),
    }


def matmul_gflops(n=2000, n_products=3, seed=0):
    """Best float32 rate of an ``n x n`` by ``n x n`` product, in GFLOP/s."""
    rng = np.random.default_rng(seed)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    best = np.inf
    for _ in range(n_products):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / best / 1e9


def time_fit(estimator, X):
    """Wall-clock seconds of ``estimator.fit(X)``."""
    start = time.perf_counter()
    estimator.fit(X)
    return time.perf_counter() - start


def run(args, X):
    """Fit every model ``repeats`` times, interleaved; seconds per epoch by name."""
    estimators = make_estimators(args)
    seconds = {name: [] for name in estimators}
    matmul = []
    for round_ in range(args.repeats):
        matmul.append(matmul_gflops())
        for name, estimator in estimators.items():
            seconds[name].append(time_fit(estimator, X) / args.epochs)
        print(
            f"round {round_ + 1}/{args.repeats}: "
            + ", ".join(f"{name} {s[-1]:.3f} s" for name, s in seconds.items())
        )
    return {name: np.array(s) for name, s in seconds.items()}, np.median(matmul)


def print_table(seconds, matmul_rate, flops_per_epoch):
    print()
    print(f"float32 2000 x 2000 matmul: {matmul_rate:.1f} GFLOP/s (median over rounds)")
    print()
    header = f"{'model':<26} {'s / epoch':>10} {'speed-up':>9} {'GFLOP/s':>8} {'of matmul':>10}"
    print(header)
    print("-" * len(header))
    for name, s in seconds.items():
        per_epoch = np.median(s)
        speedup = np.median(seconds[REFERENCE] / s)
        gflops = flops_per_epoch / per_epoch / 1e9
        print(
            f"{name:<26} {per_epoch:>10.3f} {speedup:>8.2f}x {gflops:>8.1f} "
            f"{gflops / matmul_rate:>9.0%}"
        )


def describe_blas():
    """One line per BLAS library loaded: version, kernel and thread count."""
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            print(
                f"BLAS: {lib['internal_api']} {lib['version']}, kernel "
                f"{lib.get('architecture')}, {lib['num_threads']} threads "
                f"({Path(lib['filepath']).parent.name})"
            )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        print(f"{var}={os.environ.get(var, '(unset)')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an .npz file with X (uint8, n x 784) and y")
    parser.add_argument("--n-components", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=None, help="use this many rows")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of alternating fits")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS (and so skdbn's trainer) to this many threads, for every model",
    )
    args = parser.parse_args()

    X, name = load_data(args.data, args.n_samples)
    n_samples, n_features = X.shape
    print(
        f"data: {name}, {n_samples} x {n_features} float32; {n_features} -> "
        f"{args.n_components} hidden, batch {args.batch_size}, {args.epochs} epochs, "
        f"{args.repeats} rounds"
    )
    with threadpool_limits(args.threads):
        describe_blas()
        seconds, matmul_rate = run(args, X)
    flops_per_epoch = 10.0 * n_features * args.n_components * n_samples
    print_table(seconds, matmul_rate, flops_per_epoch)


if __name__ == "__main__":
    main()
