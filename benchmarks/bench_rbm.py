"""Benchmark RBM training: skdbn's RBMTransformer against scikit-learn's BernoulliRBM.

Both train on the same float32 data with the same number of hidden units,
epochs, batch size, learning rate (0.1) and one Gibbs step. Three models are
timed, interleaved round by round so that a change in the machine's load hits
all of them alike:

* ``BernoulliRBM``: scikit-learn's RBM, PCD-1 without momentum;
* ``skdbn PCD-1``: ``RBMTransformer(method="pcd", momentum=0.0,
  weight_decay=0.0)``, the same algorithm as ``BernoulliRBM``;
* ``skdbn CD-1``: ``RBMTransformer`` with its defaults (CD-1, momentum 0.5).

A fourth row, ``five products only``, times the matrix products of a CD-1
epoch alone (see :class:`ProductsOnly`): no RBM trainer whose products run
through this BLAS can be faster, so its speed-up and its share of the matmul
rate bound what any implementation can reach on the machine.

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

Output on 2026-11-27, otherwise idle 2-core Xeon with AVX-512, OpenBLAS 0.3.31
SkylakeX kernel, numpy 2.4, scikit-learn 1.9.1. With both cores (the default;
skdbn runs single-threaded BLAS on its own two worker threads, the other
models use OpenBLAS's two threads)::

    $ python benchmarks/bench_rbm.py --data ../shared/data/mnist_train.npz \\
          --n-samples 20000 --epochs 2 --repeats 3
    data: mnist_train.npz, 20000 x 784 float32; 784 -> 500 hidden, batch 100, 2 epochs, 3 rounds
    ...
    float32 2000 x 2000 matmul: 316.9 GFLOP/s (median over rounds)

    model                       s / epoch  speed-up  GFLOP/s  of matmul
    -------------------------------------------------------------------
    BernoulliRBM                    1.084     1.00x     72.3       23%
    skdbn PCD-1                     0.658     1.65x    119.1       38%
    skdbn CD-1, momentum 0.5        0.708     1.54x    110.8       35%
    five products only              0.383     2.82x    204.4       65%

On one core (``--threads 1``), the like-for-like comparison of the
arithmetic alone::

    float32 2000 x 2000 matmul: 160.6 GFLOP/s (median over rounds)

    model                       s / epoch  speed-up  GFLOP/s  of matmul
    -------------------------------------------------------------------
    BernoulliRBM                    1.252     1.00x     62.6       39%
    skdbn PCD-1                     0.893     1.40x     87.8       55%
    skdbn CD-1, momentum 0.5        0.881     1.42x     89.0       55%
    five products only              0.599     2.09x    130.8       81%

The products alone reach 65 % of the matmul rate with two threads and 2.09x
BernoulliRBM with one, so a trainer at 65 % and 2x would need everything else
in a step (sigmoids, sampling, the momentum and weight-decay update) to take
no time. When other jobs load the machine, OpenBLAS's busy-waiting threads
can collapse: in one such run BernoulliRBM took 19 s per epoch instead of
about 1.1 s, and skdbn, whose idle workers sleep, ran 20 times faster.
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
CEILING = "five products only"


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
        CEILING: ProductsOnly(args.n_components, args.batch_size, args.epochs),
    }


class ProductsOnly:
    """The five matrix products of a CD-1 epoch and nothing else: a ceiling.

    Per batch: ``h = v W^T``, ``v' = h W``, ``h' = v' W^T`` and the stacked
    gradient ``[v; v']^T [h; h']``, each one BLAS call on the whole batch into
    a preallocated array, on fixed random data (no sigmoids, no sampling, no
    update). No RBM trainer whose products go through this BLAS can run an
    epoch faster, so its speed-up over ``BernoulliRBM`` and its share of the
    matmul rate bound what any implementation can reach on this machine.
    """

    def __init__(self, n_components, batch_size, n_iter):
        self.n_components, self.batch_size, self.n_iter = n_components, batch_size, n_iter

    def fit(self, X):
        rng = np.random.default_rng(0)
        n_features, b = X.shape[1], self.batch_size
        WT = rng.random((n_features, self.n_components), dtype=X.dtype)
        V = np.empty((2 * b, n_features), dtype=X.dtype)
        H = rng.random((2 * b, self.n_components), dtype=X.dtype)
        grad = np.empty_like(WT)
        for _ in range(self.n_iter):
            for start in range(0, X.shape[0] - b + 1, b):
                V[:b] = X[start : start + b]
                np.matmul(V[:b], WT, out=H[:b])
                np.matmul(H[:b], WT.T, out=V[b:])
                np.matmul(V[b:], WT, out=H[b:])
                np.matmul(V.T, H, out=grad)
        return self


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
