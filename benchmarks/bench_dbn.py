"""Benchmark DBNClassifier against scikit-learn: fine-tuning speed, pretraining speed, accuracy.

Three parts, the first two timed in alternating rounds (scikit-learn's model,
then skdbn's, then again) so that a change in the machine's load hits both
alike; each speed-up is the median over rounds of the ratio of the two times
measured in the same round.

1. **Fine-tuning**, seconds per epoch: ``DBNClassifier(pretrain=False)``
   against ``MLPClassifier`` with the same hidden layers, activation, solver,
   batch size, ``alpha``, initial learning rate and float32 data. Both run
   exactly ``--epochs`` epochs (``tol=0`` and ``n_iter_no_change`` larger than
   the epochs); the time per epoch is the wall time of ``fit`` divided by the
   fitted ``n_iter_``, so the fixed cost of ``fit`` (input checks, initial
   weights) is included, spread over the epochs.
2. **Pretraining**, seconds per layer-epoch: the greedy stack of RBMs of
   ``DBNClassifier`` (its ``pretraining_time_`` divided by layers x epochs;
   the RBMs are ``RBMTransformer`` with their defaults, CD-1 with momentum
   0.5, and learning rate 0.1) against the same stack built with scikit-learn's
   ``BernoulliRBM`` (PCD-1, learning rate 0.1): same hidden sizes, batch size
   and epochs, each layer trained on the hidden probabilities of the one
   below. ``benchmarks/bench_rbm.py`` compares one RBM algorithm for
   algorithm.
3. **Accuracy** (``--accuracy``, slow): hold-out accuracy of
   ``DBNClassifier`` for every ``init`` in zero, random, xavier, he, with
   pretraining off and on (its other parameters at their defaults), next to
   ``MLPClassifier`` with its defaults. On ``load_digits`` (scaled to [0, 1],
   20 % stratified hold-out, ``random_state=0``) and, when ``--data`` is given,
   on ``--accuracy-samples`` rows of it (same split), or on ``--test-data``.

Usage::

    python benchmarks/bench_dbn.py                      # load_digits
    python benchmarks/bench_dbn.py --data ../shared/data/mnist_train.npz
    python benchmarks/bench_dbn.py --data ../shared/data/mnist_train.npz \\
        --accuracy --accuracy-samples 10000 --test-data ../shared/data/mnist_test.npz

``--data`` is an ``.npz`` file holding ``X`` (uint8, n x 784, values 0-255)
and ``y``, like ``mnist_train.npz``; pixels are scaled to [0, 1]. Without it,
or when the file is missing, the speed parts use ``load_digits`` scaled by
1/16. ``--blas-threads N`` limits the BLAS thread pools (threadpoolctl); by
default they keep their size (one thread per core). skdbn and scikit-learn
both run their matrix products through NumPy's BLAS (``skdbn/_blas.py``); the
script prints every BLAS library loaded.

Sample output (2-core Xeon with AVX-512; NumPy's OpenBLAS 0.3.31 and SciPy's
0.3.30, both with the SkylakeX kernel; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
unset; numpy 2.4, scipy 1.17, scikit-learn 1.9.1). The machine is shared:
when another process holds one core, every 2-thread BLAS call waits for its
descheduled worker thread and both models slow down several-fold, so the
2-thread figures below come from a quiet moment and the 1-thread run (another
process on the other core) is the steadier comparison::

    $ python benchmarks/bench_dbn.py --data ../shared/data/mnist_train.npz --repeats 5
    data: mnist_train.npz, 20000 x 784 float32
    network 784-500-500-10, logistic, adam, batch 100, 5 rounds
    BLAS: openblas 0.3.31.188.0, kernel SkylakeX, 2 threads (numpy.libs)
    BLAS: openblas 0.3.30, kernel SkylakeX, 2 threads (scipy.libs)
    ...
    fine-tuning                         s / epoch  speed-up
    -------------------------------------------------------
    MLPClassifier                           1.793     1.00x
    DBNClassifier(pretrain=False)           0.844     2.11x

    pretraining                      s / layer-ep  speed-up
    -------------------------------------------------------
    BernoulliRBM stack                      1.115     1.00x
    DBNClassifier pretraining               0.705     1.59x

    $ python benchmarks/bench_dbn.py --data ../shared/data/mnist_train.npz --blas-threads 1
    ...
    fine-tuning                         s / epoch  speed-up
    -------------------------------------------------------
    MLPClassifier                           3.148     1.00x
    DBNClassifier(pretrain=False)           1.215     2.24x

    pretraining                      s / layer-ep  speed-up
    -------------------------------------------------------
    BernoulliRBM stack                      1.395     1.00x
    DBNClassifier pretraining               1.013     1.41x

    $ python benchmarks/bench_dbn.py --data ../shared/data/mnist_train.npz \\
          --skip-fine-tuning --skip-pretraining --accuracy \\
          --test-data ../shared/data/mnist_test.npz              # 8.5 minutes
    ...
    accuracy on load_digits, hidden layers (100,):
    1437 training and 360 test rows
    model                                 accuracy   fit (s)
    --------------------------------------------------------
    MLPClassifier()                         0.9722      16.8
    DBN init=zero, pretrain=False           0.6889       6.8
    DBN init=random, pretrain=False         0.9722       4.4
    DBN init=xavier, pretrain=False         0.9778       6.2
    DBN init=he, pretrain=False             0.9778       6.9
    DBN init=zero, pretrain=True            0.6306       6.0
    DBN init=random, pretrain=True          0.9750       7.5
    DBN init=xavier, pretrain=True          0.9778       6.8
    DBN init=he, pretrain=True              0.9778       5.0

    accuracy on mnist_train.npz (tested on mnist_test.npz), hidden layers (100,):
    10000 training and 10000 test rows
    model                                 accuracy   fit (s)
    --------------------------------------------------------
    MLPClassifier()                         0.9559      58.1
    DBN init=zero, pretrain=False           0.4126      55.2
    DBN init=random, pretrain=False         0.9527      23.1
    DBN init=xavier, pretrain=False         0.9535      39.5
    DBN init=he, pretrain=False             0.9551      37.6
    DBN init=zero, pretrain=True            0.4302      50.5
    DBN init=random, pretrain=True          0.9546      58.7
    DBN init=xavier, pretrain=True          0.9536      57.4
    DBN init=he, pretrain=True              0.9545      57.8

In the accuracy tables, MLPClassifier has its own defaults (ReLU, batch 200)
and DBNClassifier its own (logistic, default RBM template): the fit times
compare settings, not implementations. Zero init stays symmetric with and
without pretraining here because the default RBMs learn from hidden
probabilities (see the DBNClassifier Notes).
"""

import argparse
import os
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM, MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from skdbn import DBNClassifier, RBMTransformer

SEED = 0
INITS = ["zero", "random", "xavier", "he"]


# ----------------------------------------------------------------------- data


def load_data(path, n_samples=None, seed=SEED):
    """float32 rows in [0, 1] and labels: ``path`` (an MNIST-like .npz) or digits."""
    if path is not None and Path(path).exists():
        data = np.load(path)
        X, y = data["X"].astype(np.float32) / 255.0, data["y"]
        name = Path(path).name
    else:
        if path is not None:
            print(f"{path} not found; using load_digits instead")
        X, y = load_digits(return_X_y=True)
        X = X.astype(np.float32) / 16.0
        name = "load_digits"
    if n_samples is not None and n_samples < X.shape[0]:
        rows = np.sort(np.random.default_rng(seed).choice(X.shape[0], n_samples, replace=False))
        X, y = X[rows], y[rows]
    return np.ascontiguousarray(X), y, name


def describe_blas():
    """One line per BLAS library loaded (NumPy's and SciPy's), and the variables."""
    import scipy.linalg.blas  # noqa: F401  (load SciPy's BLAS so that it is listed)

    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            print(
                f"BLAS: {lib['internal_api']} {lib['version']}, kernel "
                f"{lib.get('architecture')}, {lib['num_threads']} threads "
                f"({Path(lib['filepath']).parent.name})"
            )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        print(f"{var}={os.environ.get(var, '(unset)')}")


# ----------------------------------------------------------------- fine-tuning


def fine_tuning_models(args):
    """The two models of part 1, by name, with the same settings."""
    common = dict(
        hidden_layer_sizes=tuple(args.hidden),
        activation=args.activation,
        solver=args.solver,
        batch_size=args.batch_size,
        alpha=args.alpha,
        learning_rate_init=args.learning_rate,
        max_iter=args.epochs,
        tol=0.0,
        n_iter_no_change=args.epochs + 1,  # never stop early
        random_state=SEED,
    )
    return {
        "MLPClassifier": lambda: MLPClassifier(**common),
        "DBNClassifier(pretrain=False)": lambda: DBNClassifier(pretrain=False, **common),
    }


def seconds_per_epoch(make, X, y):
    """Wall seconds of ``fit`` divided by the epochs it ran."""
    model = make()
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    assert model.coefs_[0].dtype == X.dtype, "the model left float32"
    return seconds / model.n_iter_


# ----------------------------------------------------------------- pretraining


def bernoulli_rbm_stack_seconds(X, sizes, args):
    """Wall seconds of a greedy stack of ``BernoulliRBM``: fit, transform, next."""
    start = time.perf_counter()
    data = X
    for n_components in sizes:
        rbm = BernoulliRBM(
            n_components=n_components, learning_rate=0.1, batch_size=args.batch_size,
            n_iter=args.pretrain_epochs, random_state=SEED,
        )
        data = rbm.fit(data).transform(data)
    return time.perf_counter() - start


def dbn_pretraining_seconds(X, y, sizes, args):
    """``pretraining_time_`` of a DBNClassifier (its greedy RBM stack)."""
    rbm = RBMTransformer(
        learning_rate=0.1, batch_size=args.batch_size, n_iter=args.pretrain_epochs
    )
    dbn = DBNClassifier(
        hidden_layer_sizes=sizes, rbm=rbm, max_iter=1, batch_size=args.batch_size,
        random_state=SEED,
    )
    dbn.fit(X, y)  # one fine-tuning epoch too; only the pretraining is counted
    return dbn.pretraining_time_


def pretraining_models(args):
    """Part 2: seconds per layer-epoch of each stack, by name."""
    sizes = tuple(args.hidden)
    per = len(sizes) * args.pretrain_epochs
    return {
        "BernoulliRBM stack": lambda X, y: bernoulli_rbm_stack_seconds(X, sizes, args) / per,
        "DBNClassifier pretraining": lambda X, y: dbn_pretraining_seconds(X, y, sizes, args) / per,
    }


# --------------------------------------------------------------------- timing


def alternate(models, run, repeats):
    """``run(model)`` for each model, round by round; seconds by name."""
    seconds = {name: [] for name in models}
    for round_ in range(repeats):
        for name, model in models.items():
            seconds[name].append(run(model))
        print(
            f"  round {round_ + 1}/{repeats}: "
            + ", ".join(f"{name} {s[-1]:.3f} s" for name, s in seconds.items())
        )
    return {name: np.array(s) for name, s in seconds.items()}


def print_speed_table(title, seconds, unit):
    """Median time of each model and its speed-up over the first (the reference)."""
    reference = next(iter(seconds))
    print()
    header = f"{title:<32} {unit:>12} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for name, s in seconds.items():
        speedup = np.median(seconds[reference] / s)
        print(f"{name:<32} {np.median(s):>12.3f} {speedup:>8.2f}x")
    print()


# ------------------------------------------------------------------- accuracy


def accuracy_models(hidden):
    """Part 3: every init with pretraining off and on, and MLPClassifier defaults."""
    models = {"MLPClassifier()": MLPClassifier(hidden_layer_sizes=hidden, random_state=SEED)}
    for pretrain in (False, True):
        for init in INITS:
            models[f"DBN init={init}, pretrain={pretrain}"] = DBNClassifier(
                hidden_layer_sizes=hidden, init=init, pretrain=pretrain, random_state=SEED
            )
    return models


def accuracy_table(name, X_train, X_test, y_train, y_test, hidden):
    """Fit each model of part 3 once; print its hold-out accuracy and fit time."""
    print(f"accuracy on {name}, hidden layers {hidden}:")
    print(f"{len(y_train)} training and {len(y_test)} test rows")
    header = f"{'model':<36} {'accuracy':>9} {'fit (s)':>9}"
    print(header)
    print("-" * len(header))
    for label, model in accuracy_models(hidden).items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(f"{label:<36} {model.score(X_test, y_test):>9.4f} {seconds:>9.1f}")
    print()


def holdout(X, y):
    """20 % stratified hold-out, ``random_state=0``."""
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=SEED)


def run_accuracy(args):
    X, y, _ = load_data(None)
    hidden = tuple(args.accuracy_hidden)
    accuracy_table("load_digits", *holdout(X, y), hidden)
    if args.data is not None and Path(args.data).exists():
        X, y, name = load_data(args.data, args.accuracy_samples)
        if args.test_data is not None and Path(args.test_data).exists():
            X_test, y_test, test_name = load_data(args.test_data)
            accuracy_table(f"{name} (tested on {test_name})", X, X_test, y, y_test, hidden)
        else:
            accuracy_table(name, *holdout(X, y), hidden)


# ----------------------------------------------------------------------- main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an .npz file with X (uint8, n x 784) and y")
    parser.add_argument("--n-samples", type=int, default=20000,
                        help="rows used by the speed parts (default 20000)")
    parser.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs per fit")
    parser.add_argument("--pretrain-epochs", type=int, default=1,
                        help="RBM epochs per layer in the pretraining part")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of alternating fits")
    parser.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    parser.add_argument("--activation", default="logistic", choices=["logistic", "tanh", "relu"])
    parser.add_argument("--solver", default="adam", choices=["adam", "sgd"])
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="learning_rate_init of both fine-tuned models")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit the BLAS thread pools to this many threads")
    parser.add_argument("--skip-fine-tuning", action="store_true")
    parser.add_argument("--skip-pretraining", action="store_true")
    parser.add_argument("--accuracy", action="store_true", help="run part 3 (slow)")
    parser.add_argument("--accuracy-samples", type=int, default=10000,
                        help="rows of --data used by part 3")
    parser.add_argument("--accuracy-hidden", type=int, nargs="+", default=[100],
                        help="hidden layers of every model in part 3")
    parser.add_argument("--test-data", help="an .npz to test part 3 on, e.g. mnist_test.npz")
    return parser.parse_args()


def main():
    args = parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter ends every fit here
    limit = threadpool_limits(args.blas_threads) if args.blas_threads else nullcontext()
    with limit:
        X, y, name = load_data(args.data, args.n_samples)
        layers = "-".join(map(str, [X.shape[1], *args.hidden, len(np.unique(y))]))
        print(f"data: {name}, {X.shape[0]} x {X.shape[1]} float32")
        print(f"network {layers}, {args.activation}, {args.solver}, batch "
              f"{args.batch_size}, {args.repeats} rounds")
        describe_blas()
        if not args.skip_fine_tuning:
            print(f"\nfine-tuning, {args.epochs} epochs per fit:")
            models = fine_tuning_models(args)
            seconds = alternate(models, lambda make: seconds_per_epoch(make, X, y), args.repeats)
            print_speed_table("fine-tuning", seconds, "s / epoch")
        if not args.skip_pretraining:
            print(f"pretraining, {args.pretrain_epochs} epoch(s) per layer:")
            models = pretraining_models(args)
            seconds = alternate(models, lambda stack: stack(X, y), args.repeats)
            print_speed_table("pretraining", seconds, "s / layer-ep")
        if args.accuracy:
            run_accuracy(args)


if __name__ == "__main__":
    main()
