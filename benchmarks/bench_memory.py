"""Memory benchmark: chunked prediction on a million rows, and training over epochs.

Two checks of issue 5, item 3:

1. **Prediction.** ``RBMTransformer.transform``, ``DBNClassifier.predict_proba``
   and ``DBNClassifier.predict`` on 1,000,000 x 784 float32 rows (3.1 GB),
   with the 784-500-500-2000-10 network of ``bench_mnist.py``. They process
   the rows in chunks of at most 64 MiB of input and temporaries
   (``skdbn._utils.in_chunks``), so the memory they need beyond the input and
   the output stays small; without chunks, the 2000-unit layer alone would
   take 8 GB.
2. **Training.** ``DBNClassifier.fit`` and ``RBMTransformer.fit`` run for
   few and for many epochs: their peak memory must not grow with the number
   of epochs.

Each measurement runs in a fresh Python process (``--child``), so that one
measurement's peak does not hide the next one's. Two figures are printed, in
MiB:

* ``traced``: the peak of the memory allocated during the call, as
  ``tracemalloc`` sees it (numpy reports its array buffers to it), minus the
  size of the returned array;
* ``RSS``: the growth of the process's peak resident set size
  (``resource.getrusage``) during the call over its resident size just
  before it, minus the size of the returned array. This also counts
  memory that ``tracemalloc`` cannot see, such as the BLAS library's buffers.
  Linux only (it reads ``/proc/self/statm``).

Usage::

    python benchmarks/bench_memory.py                  # 1,000,000 rows
    python benchmarks/bench_memory.py --n-rows 200000  # a smaller machine

The prediction checks need about 3.1 GB for the input plus 2 GB for the
transform's output.

Sample output (2-core Xeon, 24 GB RAM, other processes running)::

    $ python benchmarks/bench_memory.py
    (filled in below)
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdbn import DBNClassifier, RBMTransformer

HIDDEN_LAYER_SIZES = (500, 500, 2000)
N_FEATURES = 784
MIB = 2**20


# ------------------------------------------------------------ measuring


def current_rss():
    """Resident set size of this process now, in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss():
    """Peak resident set size of this process so far, in bytes (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(call):
    """Run ``call()``; its result, seconds and the memory beyond its result, in MiB."""
    rss_before = current_rss()
    tracemalloc.start()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out_bytes = result.nbytes if isinstance(result, np.ndarray) else 0
    figures = {
        "seconds": seconds,
        "output_mib": out_bytes / MIB,
        "traced_mib": (traced_peak - out_bytes) / MIB,
        "rss_mib": (peak_rss() - rss_before - out_bytes) / MIB,
    }
    return result, figures


# --------------------------------------------------------------- models


def random_rows(n_rows, seed=0):
    """``n_rows`` x 784 float32 values in [0, 1) (memory is what matters, not content)."""
    return np.random.default_rng(seed).random((n_rows, N_FEATURES), dtype=np.float32)


def make_dbn(n_epochs):
    """The benchmark's network: ``n_epochs`` CD-1 epochs per RBM and of fine-tuning."""
    return DBNClassifier(
        HIDDEN_LAYER_SIZES, rbm=RBMTransformer(n_iter=n_epochs, learning_rate=0.01),
        solver="sgd", learning_rate_init=0.01, batch_size=100, max_iter=n_epochs,
        random_state=0,
    )


def fit_quietly(model, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


# ----------------------------------------------------- child processes


def child_prediction(method, n_rows):
    """Memory of one prediction method on ``n_rows`` rows."""
    dbn = fit_quietly(make_dbn(1), random_rows(2000, seed=1), np.arange(2000) % 10)
    X = random_rows(n_rows)
    model = dbn.rbms_[0] if method == "transform" else dbn
    _, figures = measure(lambda: getattr(model, method)(X))
    return figures


def child_training(name, n_epochs, n_rows):
    """Memory of ``fit`` for ``n_epochs`` epochs (for the DBN: per RBM and of fine-tuning)."""
    X = random_rows(n_rows, seed=1)
    y = np.arange(n_rows) % 10
    model = make_dbn(n_epochs) if name == "DBNClassifier" else RBMTransformer(
        500, n_iter=n_epochs, learning_rate=0.01, random_state=0
    )
    # fit returns the estimator, not an array: 'output' is 0 and the figures
    # include the fitted weights.
    _, figures = measure(lambda: fit_quietly(model, X, y))
    return figures


def run_child(args):
    kind, name, number = args.child
    if kind == "predict":
        figures = child_prediction(name, int(number))
    else:
        figures = child_training(name, int(number), args.n_train)
    print(json.dumps(figures))


def in_subprocess(kind, name, number, args):
    command = [sys.executable, __file__, "--child", kind, name, str(number),
               "--n-train", str(args.n_train)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ------------------------------------------------------------------ main


def print_row(label, f):
    print(f"{label:<44} {f['output_mib']:>10.0f} {f['traced_mib']:>10.1f} "
          f"{f['rss_mib']:>10.1f} {f['seconds']:>8.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-rows", type=int, default=1_000_000, help="rows to predict")
    parser.add_argument("--n-train", type=int, default=5000, help="rows to train on")
    parser.add_argument("--epochs", type=int, nargs=2, default=(1, 5),
                        help="the few and the many epochs of the training check")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args)

    n = args.n_rows
    print(f"prediction input: {n} x {N_FEATURES} float32 = {n * N_FEATURES * 4 / MIB:.0f} MiB; "
          f"network {N_FEATURES}-{'-'.join(map(str, HIDDEN_LAYER_SIZES))}-10")
    print(f"without chunks the 2000-unit layer alone would hold {n * 2000 * 4 / MIB:.0f} MiB")
    print()
    header = f"{'call':<44} {'output':>10} {'traced':>10} {'RSS':>10} {'seconds':>8}"
    print(header + "\n" + f"{'':<44} {'MiB':>10} {'MiB beyond input and output':>30}")
    print("-" * len(header))
    for method, label in [("transform", "RBMTransformer(500).transform"),
                          ("predict_proba", "DBNClassifier.predict_proba"),
                          ("predict", "DBNClassifier.predict")]:
        print_row(f"{label}, {n} rows", in_subprocess("predict", method, n, args))
    for model in ("RBMTransformer", "DBNClassifier"):
        for n_epochs in args.epochs:
            label = f"{model}.fit, {args.n_train} rows, {n_epochs} epochs"
            print_row(label, in_subprocess("train", model, n_epochs, args))
    print()
    print("fit rows: peak beyond the training data, fitted weights included; "
          "DBN epochs are per RBM and of fine-tuning.")


if __name__ == "__main__":
    main()
