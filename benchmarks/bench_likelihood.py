"""Benchmark: the test log-likelihood of RBMs on binarised MNIST, by AIS.

The experiment of Salakhutdinov & Murray (2008), "On the quantitative analysis
of deep belief networks": RBMs with 500 hidden units trained on the 60,000
MNIST training images, scored by the average log-probability of the 10,000
test images, ``log p(v) = -F(v) - log Z`` with ``log Z`` estimated by annealed
importance sampling (their base-rate model and 14,500-step schedule, 100
runs). They report -86.34 nats for CD-25 (and about -125 for CD-1, -105 for
CD-3).

Binarisation: each pixel is set to 1 with probability ``intensity / 255``,
once, with a fixed seed (stochastic binarisation, as in the binarised MNIST
used by Salakhutdinov & Murray and the likelihood literature since;
thresholding would give a different, easier data set).

Training (all methods): ``RBMTransformer(n_components=500, batch_size=100)``
on float32 data, Hinton's recipe (weight decay 2e-4, momentum 0.5 for the
first 5 epochs then 0.9) with the learning rate decayed linearly from
``--learning-rate`` to 0 over the epochs, one ``partial_fit`` per epoch. Each
method runs for its stated epochs; ``--curve`` epochs get a quick AIS
estimate (fewer betas) to draw L against training time, the final model the
full one. Times are wall-clock on a machine shared with other jobs: compare
rows of one run, not runs.

Usage::

    flock /tmp/skdbn-bench.lock python benchmarks/bench_likelihood.py \\
        --data-dir ../shared/data --methods CD-1:20 PCD-1:20

Output on 2026-12-01, 2-core machine shared with other jobs (this run held
the benchmark lock; an epoch of CD-1 took about 3.7 s). A short run: the
1,800 s budget of the target was not used, because the shared lock was free
for only a few minutes before the session's deadline::

    $ flock /tmp/skdbn-bench.lock python benchmarks/bench_likelihood.py \
          --data-dir ../shared/data --methods CD-1:4:0.05 CD-10:2:0.05 \
          PCD-1:60:0.02 --budget 240 --curve 10 30 --curve-betas 3000
    data: binarised MNIST, 60000 train / 10000 test rows; 784 -> 500 hidden, ...
      PCD-1 epoch   10:      47 s training, test log-likelihood  -105.19 (quick AIS, ...)
      PCD-1 epoch   30:     108 s training, test log-likelihood  -107.44 (quick AIS, ...)

    method   epochs    lr  train s  AIS s test log-lik       AIS interval published
    -------------------------------------------------------------------------------
    CD-1          4 0.050       15     40      -109.25 [-109.44, -109.03]   -125.00
    CD-10         2 0.050       28     44      -102.96 [-103.13, -102.76]
    PCD-1        45 0.020      142     44      -105.66 [-106.92,     inf]
    published: CD-25 (Salakhutdinov & Murray 2008) -86.34 nats
    test log-likelihood -102.96 nats in 28 s

The target (-86.3 nats in at most 1,800 s) is not met by this run: -102.96
in 28 s. The open upper end of PCD-1's interval says that AIS was not
reliable for that model (a few runs dominate; more betas are needed, see the
user guide). What should close the gap, not yet measured: CD-10 or CD-25 for
the whole budget (about 14 s per CD-10 epoch here, so some 100 epochs in
1,800 s, against the 2 epochs above), PCD with a smaller learning rate over
hundreds of epochs, and k increased during training as Salakhutdinov and
Murray did.

Without ``--data-dir`` (or when the files are missing) the script runs on
``load_digits`` binarised the same way (64 pixels, 16 hidden units, exact
log Z), which takes seconds and has no published figure.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from skdbn import RBMTransformer

PUBLISHED = {"CD-1": -125.0, "CD-3": -105.0, "CD-25": -86.34}  # S&M 2008, 500 hidden
METHODS = {
    "CD-1": dict(method="cd", n_gibbs_steps=1),
    "CD-3": dict(method="cd", n_gibbs_steps=3),
    "CD-10": dict(method="cd", n_gibbs_steps=10),
    "CD-25": dict(method="cd", n_gibbs_steps=25),
    "PCD-1": dict(method="pcd", n_gibbs_steps=1),
    "PCD-5": dict(method="pcd", n_gibbs_steps=5),
}


def binarise(X, seed):
    """Pixels on with probability ``X / 255``, drawn once."""
    rng = np.random.default_rng(seed)
    return (rng.random(X.shape, dtype=np.float32) < X / np.float32(255)).astype(np.float32)


def load(data_dir, n_train, seed):
    """Binarised MNIST (or digits) train and test sets, float32."""
    paths = [Path(data_dir or ".") / f"mnist_{part}.npz" for part in ("train", "test")]
    if data_dir and all(p.exists() for p in paths):
        X_train, X_test = (np.load(p)["X"] for p in paths)
        name = "binarised MNIST"
    else:
        X = load_digits().data * (255 / 16)
        X_train, X_test, name = X[:1400], X[1400:], "binarised digits"
    X_train = binarise(X_train[:n_train], seed)
    X_test = binarise(X_test, seed + 1)
    return X_train, X_test, name


def train(name, n_epochs, learning_rate, X, args, checkpoints, on_checkpoint):
    """Train one method epoch by epoch; call ``on_checkpoint(rbm, epoch, seconds)``."""
    rbm = RBMTransformer(
        n_components=args.n_components, batch_size=100, weight_decay=2e-4,
        random_state=args.seed, n_ais_runs=args.ais_runs, **METHODS[name],
    )
    seconds, epoch = 0.0, 0
    while epoch < n_epochs:
        epoch += 1
        rate = learning_rate * (1 - (epoch - 1) / n_epochs)
        rbm.set_params(learning_rate=rate, momentum=0.5 if epoch <= 5 else 0.9)
        start = time.perf_counter()
        rbm.partial_fit(X)
        seconds += time.perf_counter() - start
        if epoch == 2 and args.budget:  # fit the schedule to the time budget
            n_epochs = max(2, min(n_epochs, int(args.budget / (seconds / 2))))
        if epoch in checkpoints:
            on_checkpoint(rbm, epoch, seconds)
    return rbm, seconds, n_epochs


def evaluate(rbm, X_test, n_betas):
    """Mean test log-likelihood, its AIS interval and the AIS time."""
    rbm.set_params(n_ais_betas=n_betas)
    start = time.perf_counter()
    log_z = rbm.log_partition_
    ais_seconds = time.perf_counter() - start
    low, high = rbm.log_partition_interval_
    score = rbm.score(X_test)
    return score, (score - (high - log_z), score - (low - log_z)), ais_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--methods", nargs="+", default=["CD-1:20", "PCD-1:20"],
                        help="METHOD:EPOCHS[:LEARNING_RATE], METHOD one of "
                        + ", ".join(METHODS))
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of training per method: after 2 epochs, fewer "
                        "epochs if the stated ones would not fit")
    parser.add_argument("--n-train", type=int, default=60_000)
    parser.add_argument("--n-components", type=int, default=500)
    parser.add_argument("--learning-rate", type=float, default=0.05,
                        help="starting learning rate of methods that state none")
    parser.add_argument("--ais-runs", type=int, default=100)
    parser.add_argument("--ais-betas", type=int, default=14_500)
    parser.add_argument("--curve", type=int, nargs="*", default=[],
                        help="epochs at which to print a quick AIS estimate")
    parser.add_argument("--curve-betas", type=int, default=1000)
    parser.add_argument("--check-betas", type=int, default=0,
                        help="re-estimate the best model's log Z with this many betas and "
                        "another AIS seed: a check of the estimate")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    runs = [(m.split(":") + [args.learning_rate])[:3] for m in args.methods]
    runs = [(name, int(epochs), float(rate)) for name, epochs, rate in runs]
    if unknown := {name for name, _, _ in runs} - set(METHODS):
        parser.error(f"unknown methods {sorted(unknown)}")
    X_train, X_test, data_name = load(args.data_dir, args.n_train, args.seed)
    if data_name != "binarised MNIST":
        args.n_components = min(args.n_components, 16)
    print(f"data: {data_name}, {X_train.shape[0]} train / {X_test.shape[0]} test rows; "
          f"{X_train.shape[1]} -> {args.n_components} hidden, batch 100, "
          f"learning rate decayed linearly to 0, weight decay 2e-4, "
          f"momentum 0.5 then 0.9; AIS {args.ais_runs} runs x {args.ais_betas} betas")

    def curve_point(name):
        def report(rbm, epoch, seconds):
            score, _, ais = evaluate(rbm, X_test, args.curve_betas)
            print(f"  {name} epoch {epoch:4d}: {seconds:7.0f} s training, test "
                  f"log-likelihood {score:8.2f} (quick AIS, {args.curve_betas} betas, "
                  f"{ais:.0f} s)", flush=True)
        return report

    header = (f"{'method':8s} {'epochs':>6s} {'lr':>5s} {'train s':>8s} {'AIS s':>6s} "
              f"{'test log-lik':>12s} {'AIS interval':>18s} {'published':>9s}")
    rows, models = [], []
    for name, n_epochs, rate in runs:
        rbm, seconds, n_epochs = train(
            name, n_epochs, rate, X_train, args, set(args.curve), curve_point(name)
        )
        score, (low, high), ais = evaluate(rbm, X_test, args.ais_betas)
        mnist = data_name == "binarised MNIST"
        published = f"{PUBLISHED[name]:9.2f}" if mnist and name in PUBLISHED else " " * 9
        rows.append((score, seconds, (
            f"{name:8s} {n_epochs:6d} {rate:5.3f} {seconds:8.0f} {ais:6.0f} "
            f"{score:12.2f} [{low:7.2f}, {high:7.2f}] {published}")))
        models.append(rbm)
        print(rows[-1][2], flush=True)
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        print(row[2])
    if data_name == "binarised MNIST":
        print(f"published: CD-25 (Salakhutdinov & Murray 2008) {PUBLISHED['CD-25']:.2f} nats")
    best_score, best_seconds, _ = max(rows)
    if args.check_betas:
        best = models[rows.index(max(rows))]
        best._ais_rng = np.random.default_rng(args.seed + 1000)  # another AIS stream
        score, (low, high), ais = evaluate(best, X_test, args.check_betas)
        print(f"check of the best: AIS with {args.check_betas} betas and another seed gives "
              f"{score:.2f} [{low:.2f}, {high:.2f}] ({ais:.0f} s)")
    print(f"test log-likelihood {best_score:.2f} nats in {best_seconds:.0f} s")


if __name__ == "__main__":
    main()
