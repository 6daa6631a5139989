"""MNIST benchmark: the 784-500-500-2000-10 Deep Belief Network of Hinton (2006).

Trains three models on the 60,000 MNIST training images (pixels scaled to
[0, 1], float32) and evaluates each once on the 10,000 test images:

* ``DBN``: ``DBNClassifier`` with greedy CD-1 pretraining of the three hidden
  layers as RBMs, then backprop fine-tuning of the whole network (Adam with a
  cosine learning-rate schedule and dropout on the hidden layers);
* ``DBN, no pretraining``: the same network and fine-tuning settings with
  ``pretrain=False`` and Glorot ("Xavier") initial weights;
* ``MLPClassifier``: scikit-learn's MLP with the same hidden layers, its
  default settings (ReLU, Adam) and batch 100, given the DBN's wall time: it
  trains one epoch at a time (``partial_fit``) for as long as the next epoch
  still fits in that budget.

The settings were chosen on a validation split of the training images, never
on the test images (see the MNIST section of ``benchmarks/README.md``). With
``--holdout N`` the script trains on the first 60,000 - N training images and
reports the error on the last N instead of the test error: that is how to
tune it.

Each phase of the DBN is timed: the pretraining of each layer (from the end
of the previous one, so it includes computing the layer's input, the hidden
probabilities of the layer below), the fine-tuning and the prediction.
The last line reads ``test error E % in T s`` for the pretrained DBN, with E
its test error in percent and T the wall time of its ``fit`` plus ``predict``
in seconds.

Usage::

    python benchmarks/bench_mnist.py --data-dir ../shared/data
    python benchmarks/bench_mnist.py --data-dir ../shared/data --n-train 10000 \\
        --epochs 5 --pretrain-epochs 1 --skip-mlp --skip-no-pretrain

Without ``--data-dir``, or when it lacks ``mnist_train.npz`` or
``mnist_test.npz``, the script says so and runs on scikit-learn's
``load_digits`` (8 x 8 images, 1,437 training and 360 test rows) instead.

Output on 2026-11-27 (2-core Xeon, AVX-512, OpenBLAS with 2 threads, otherwise
idle machine)::

    $ python benchmarks/bench_mnist.py --data-dir ../shared/data
    data: MNIST; 60000 training and 10000 test rows, float32 in [0, 1]
    network 784-500-500-2000-10, logistic units
    pretraining: 5 CD-1 epochs per RBM, learning rate 0.05, momentum 0.5, weight decay 2e-4
    fine-tuning: 100 epochs of adam, cosine schedule from 0.003, dropout 0.5 (inputs 0.0),
      alpha 0.0, batch 100

    DBN:
        pretraining layer 1:    12.1 s  (reconstruction error 0.0053)
        pretraining layer 2:     8.2 s  (reconstruction error 0.0033)
        pretraining layer 3:    25.7 s  (reconstruction error 0.0019)
        pretraining total  :    48.3 s
        fine-tuning        :   721.4 s  (100 epochs, final training loss 0.0103)
        prediction         :     0.3 s
    DBN, no pretraining:
        pretraining total  :     0.0 s
        fine-tuning        :   668.0 s  (100 epochs, final training loss 0.0066)
        prediction         :     0.2 s
    MLPClassifier: 30 epochs of 24.5 s in a budget of 770 s; prediction 2.3 s

    model                      test error %   train s  predict s
    ------------------------------------------------------------
    DBN                                1.31       770        0.3
    DBN, no pretraining                1.35       668        0.2
    MLPClassifier                      1.83       736        2.3

    test error 1.31 % in 770 s
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skdbn import DBNClassifier, RBMTransformer

HIDDEN_LAYER_SIZES = (500, 500, 2000)
SEED = 0


# ------------------------------------------------------------------ data


def load_data(data_dir, n_train=None, holdout=0):
    """``X_train, y_train, X_eval, y_eval, description``; pixels in [0, 1], float32.

    The evaluation rows are the test images or, with ``holdout > 0``, the last
    ``holdout`` training images (the test images are then not read at all).
    ``n_train`` keeps only the first ``n_train`` training rows.
    """
    files = [Path(data_dir or ".") / f"mnist_{part}.npz" for part in ("train", "test")]
    if data_dir is not None and all(f.exists() for f in files):
        train = np.load(files[0])
        X, y = scaled(train["X"], 255), train["y"]
        if holdout:
            X, X_eval, y, y_eval = X[:-holdout], X[-holdout:], y[:-holdout], y[-holdout:]
            name = f"MNIST, validation on the last {holdout} training images"
        else:
            test = np.load(files[1])
            X_eval, y_eval = scaled(test["X"], 255), test["y"]
            name = "MNIST"
    else:
        reason = "no --data-dir given" if data_dir is None else (
            f"{data_dir} lacks mnist_train.npz or mnist_test.npz"
        )
        print(f"{reason}: using sklearn.datasets.load_digits instead of MNIST")
        digits = load_digits()
        X, X_eval, y, y_eval = train_test_split(
            scaled(digits.data, 16), digits.target, test_size=0.2,
            stratify=digits.target, random_state=SEED,
        )
        name = "load_digits, 20 % stratified test split"
    if n_train is not None and n_train < X.shape[0]:
        X, y = X[:n_train], y[:n_train]
    return X, y, X_eval, y_eval, name


def scaled(X, top):
    return np.ascontiguousarray(X, dtype=np.float32) / np.float32(top)


# ---------------------------------------------------------------- models


def make_dbn(args, *, pretrain):
    """The benchmark's DBN; without pretraining it starts from Xavier weights."""
    rbm = RBMTransformer(
        method="cd",
        n_gibbs_steps=1,
        learning_rate=args.rbm_learning_rate,
        momentum=args.rbm_momentum,
        weight_decay=2e-4,
        batch_size=100,
        n_iter=args.pretrain_epochs,
    )
    return DBNClassifier(
        HIDDEN_LAYER_SIZES,
        init="random" if pretrain else "xavier",  # pretrained RBMs start from N(0, 0.01)
        init_scale=0.01,
        pretrain=pretrain,
        rbm=rbm,
        activation="logistic",
        solver=args.solver,
        momentum=args.momentum,
        learning_rate="cosine",
        learning_rate_init=args.learning_rate,
        dropout=args.dropout,
        input_dropout=args.input_dropout,
        alpha=args.alpha,
        batch_size=args.batch_size,
        max_iter=args.epochs,
        tol=0.0,
        n_iter_no_change=args.epochs,  # the cosine schedule ends training, not a stopping rule
        random_state=SEED,
    )


def make_mlp(args):
    return MLPClassifier(HIDDEN_LAYER_SIZES, batch_size=args.batch_size, random_state=SEED)


# -------------------------------------------------------------- running


class PhaseClock:
    """A scikit-learn callback (``sklearn.callback``) that times the DBN's phases.

    The DBN's ``fit`` reports one task per pretrained layer and one for the
    fine-tuning, each with one subtask per epoch (see the docs page
    "Progress, callbacks and Ctrl-C"). A layer's time runs from the end of the
    previous layer (or the start of ``fit``) to the end of its own task, so
    it includes computing the layer's input, the hidden probabilities of the
    layer below. With ``echo``, a line per layer and per fine-tuning epoch.
    """

    def __init__(self, echo):
        self.echo = echo
        self.start = time.perf_counter()
        self.layer_times = []

    def setup(self, estimator, context):
        self.start = time.perf_counter()

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        elapsed = time.perf_counter() - self.start
        if context.task_name.startswith("pretrain layer"):
            self.layer_times.append(elapsed - sum(self.layer_times))
            self._say(f"{context.task_name}: {self.layer_times[-1]:.1f} s")
        elif context.task_name == "epoch" and fitted_estimator is not None:
            self._say(f"fine-tuning epoch {fitted_estimator.n_iter_}: loss "
                      f"{fitted_estimator.loss_:.4f}, {elapsed:.0f} s since the start")

    def _say(self, text):
        if self.echo:
            print(f"    [{text}]", flush=True)


def run_dbn(name, dbn, data, verbose):
    """Fit and evaluate ``dbn``; print the time of each phase.

    The per-layer times need scikit-learn's callbacks (scikit-learn >= 1.9);
    without them only the totals are printed.
    """
    X, y, X_eval, y_eval = data
    clock = PhaseClock(echo=verbose)
    if hasattr(dbn, "set_callbacks"):
        dbn.set_callbacks(clock)
    start = time.perf_counter()
    dbn.fit(X, y)
    fit_time = time.perf_counter() - start
    error, predict_time = evaluate(dbn, X_eval, y_eval)
    print(f"{name}:")
    for layer, seconds in enumerate(clock.layer_times, start=1):
        print(f"    pretraining layer {layer}: {seconds:7.1f} s  (reconstruction error "
              f"{dbn.pretraining_curves_[layer - 1][-1]:.4f})")
    print(f"    pretraining total  : {dbn.pretraining_time_:7.1f} s")
    print(f"    fine-tuning        : {dbn.fine_tuning_time_:7.1f} s  ({dbn.n_iter_} epochs, "
          f"final training loss {dbn.loss_:.4f})")
    print(f"    prediction         : {predict_time:7.1f} s")
    return {"model": name, "error": error, "train": fit_time, "predict": predict_time}


def run_mlp(name, mlp, data, budget):
    """Train ``mlp`` epoch by epoch while the next epoch fits in ``budget`` seconds."""
    X, y, X_eval, y_eval = data
    classes = np.unique(y)
    start = time.perf_counter()
    n_epochs, epoch_time = 0, 0.0
    while n_epochs == 0 or time.perf_counter() - start + epoch_time <= budget:
        epoch_start = time.perf_counter()
        mlp.partial_fit(X, y, classes=classes)
        epoch_time = time.perf_counter() - epoch_start
        n_epochs += 1
    fit_time = time.perf_counter() - start
    error, predict_time = evaluate(mlp, X_eval, y_eval)
    print(f"{name}: {n_epochs} epochs of {fit_time / n_epochs:.1f} s in a budget of "
          f"{budget:.0f} s; prediction {predict_time:.1f} s")
    return {"model": name, "error": error, "train": fit_time, "predict": predict_time}


def evaluate(model, X, y):
    """Error in percent on ``(X, y)`` and the seconds ``predict`` took."""
    start = time.perf_counter()
    predicted = model.predict(X)
    return 100.0 * np.mean(predicted != y), time.perf_counter() - start


def print_table(results, eval_name):
    header = f"{'model':<22} {eval_name + ' error %':>16} {'train s':>9} {'predict s':>10}"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['model']:<22} {r['error']:>16.2f} {r['train']:>9.0f} {r['predict']:>10.1f}")
    print()


# ------------------------------------------------------------------ main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory holding mnist_train.npz and mnist_test.npz")
    parser.add_argument("--n-train", type=int, help="train on the first N training images only")
    parser.add_argument("--holdout", type=int, default=0,
                        help="evaluate on the last N training images instead of the test set")
    parser.add_argument("--epochs", type=int, default=100, help="fine-tuning epochs")
    parser.add_argument("--pretrain-epochs", type=int, default=5, help="CD-1 epochs per RBM")
    parser.add_argument("--solver", choices=["adam", "sgd"], default="adam",
                        help="fine-tuning solver")
    parser.add_argument("--learning-rate", type=float, default=3e-3,
                        help="initial step of the fine-tuning (cosine decay to 0)")
    parser.add_argument("--momentum", type=float, default=0.9, help="momentum of sgd")
    parser.add_argument("--batch-size", type=int, default=100,
                        help="fine-tuning batch size (also MLPClassifier's)")
    parser.add_argument("--dropout", type=float, default=0.5, help="hidden-unit dropout")
    parser.add_argument("--input-dropout", type=float, default=0.0, help="input dropout")
    parser.add_argument("--alpha", type=float, default=0.0, help="L2 penalty of fine-tuning")
    parser.add_argument("--rbm-learning-rate", type=float, default=0.05)
    parser.add_argument("--rbm-momentum", type=float, default=0.5)
    parser.add_argument("--skip-mlp", action="store_true", help="do not train MLPClassifier")
    parser.add_argument("--skip-no-pretrain", action="store_true",
                        help="do not train the DBN without pretraining")
    parser.add_argument("--verbose", action="store_true", help="print the DBNs' progress")
    return parser.parse_args()


def main():
    args = parse_args()
    # Training ends after a fixed number of epochs by design, not by convergence.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y, X_eval, y_eval, data_name = load_data(args.data_dir, args.n_train, args.holdout)
    data = (X, y, X_eval, y_eval)
    eval_name = "validation" if args.holdout else "test"
    sizes = "-".join(map(str, (X.shape[1], *HIDDEN_LAYER_SIZES, len(np.unique(y)))))
    print(f"data: {data_name}; {X.shape[0]} training and {X_eval.shape[0]} {eval_name} rows, "
          "float32 in [0, 1]")
    print(f"network {sizes}, logistic units")
    print(f"pretraining: {args.pretrain_epochs} CD-1 epochs per RBM, learning rate "
          f"{args.rbm_learning_rate}, momentum {args.rbm_momentum}, weight decay 2e-4")
    print(f"fine-tuning: {args.epochs} epochs of {args.solver}, cosine schedule from "
          f"{args.learning_rate}, dropout {args.dropout} (inputs {args.input_dropout}),\n"
          f"  alpha {args.alpha}, batch {args.batch_size}")
    print()

    dbn = run_dbn("DBN", make_dbn(args, pretrain=True), data, args.verbose)
    results = [dbn]
    dbn_time = dbn["train"] + dbn["predict"]
    if not args.skip_no_pretrain:
        no_pretrain = make_dbn(args, pretrain=False)
        results.append(run_dbn("DBN, no pretraining", no_pretrain, data, args.verbose))
    if not args.skip_mlp:
        results.append(run_mlp("MLPClassifier", make_mlp(args), data, budget=dbn_time))
    print_table(results, eval_name)
    print(f"{eval_name} error {dbn['error']:.2f} % in {dbn_time:.0f} s")


if __name__ == "__main__":
    main()
