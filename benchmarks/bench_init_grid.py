"""The README's grid: cross-validated accuracy of DBNClassifier per init x pretrain.

Runs the ``GridSearchCV`` of the README and the docs index on scikit-learn's
digits (min-max scaled to [0, 1]): ``DBNClassifier((64,), activation="relu",
batch_size=32, early_stopping=True)`` in a pipeline, ``init`` in zero, random,
xavier, he and ``pretrain`` off and on, 3-fold cross-validation, with the
pretraining settings left at their default (``rbm=None``). It prints, per
cell, the ``mean_test_score`` of each seed (what the README's snippet prints
for ``random_state=0``), the mean and standard deviation of the accuracy over
folds x seeds, the mean fit time, and how many warnings the searches raised
(counted with ``--n-jobs 1`` only: warnings raised in worker processes do not
reach this one).

Usage::

    python benchmarks/bench_init_grid.py --seeds 0 1 2      # the README's grid
    python benchmarks/bench_init_grid.py --dbn activation=logistic  # before
    python benchmarks/bench_init_grid.py --rbm hidden_stats=samples n_iter=5

Sample output (``--seeds 0 1 2``, 2-core machine, fit times omitted)::

    init    pretrain    seed 0  seed 1  seed 2  mean ± std (folds x seeds)
    zero    False        0.101   0.098   0.102               0.101 ± 0.002
    zero    True         0.919   0.917   0.918               0.918 ± 0.011
    random  False        0.927   0.921   0.922               0.923 ± 0.008
    random  True         0.923   0.922   0.912               0.919 ± 0.015
    xavier  False        0.933   0.934   0.940               0.936 ± 0.013
    xavier  True         0.933   0.934   0.943               0.937 ± 0.009
    he      False        0.937   0.912   0.936               0.928 ± 0.017
    he      True         0.937   0.924   0.939               0.933 ± 0.015
    warnings: none; wall 11 s

``--rbm KEY=VALUE ...`` passes an explicit ``RBMTransformer(KEY=VALUE, ...)``
as ``rbm`` instead of the default template. ``--dbn KEY=VALUE ...`` sets other
parameters of the classifier (e.g. ``early_stopping=True``). Values are read
as Python literals. The results of issue 16 (default pretraining template)
are in ``benchmarks/README.md``.
"""

import argparse
import ast
import time
import warnings
from collections import Counter

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdbn import DBNClassifier, RBMTransformer

INITS = ("zero", "random", "xavier", "he")
# The README's classifier; --dbn KEY=VALUE overrides any of these.
README_DBN = {"hidden_layer_sizes": (64,), "activation": "relu", "batch_size": 32,
              "early_stopping": True}


def _settings(pairs):
    """``["a=1", "b='x'"]`` -> ``{"a": 1, "b": "x"}``; bare words stay strings."""
    settings = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            settings[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            settings[key] = value
    return settings


def run_grid(X, y, seed, rbm, dbn_settings, n_jobs):
    """Fit the grid once; return its ``cv_results_`` and the warnings raised."""
    dbn_settings = {**README_DBN, **dbn_settings}
    dbn = DBNClassifier(random_state=seed, rbm=rbm, **dbn_settings)
    pipe = make_pipeline(MinMaxScaler(clip=True), dbn)
    grid = {"dbnclassifier__init": list(INITS), "dbnclassifier__pretrain": [False, True]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs).fit(X, y)
    return search.cv_results_, Counter(w.category.__name__ for w in caught)


def _print_table(scores, per_seed, times, seeds):
    """One row per init x pretrain: each seed's mean score, then all folds x seeds."""
    seed_cols = "".join(f"{f'seed {seed}':>8}" for seed in seeds)
    print(f"{'init':<8}{'pretrain':<10}{seed_cols}{'mean ± std (folds x seeds)':>28}"
          f"{'fit (s)':>9}")
    for init in INITS:
        for pretrain in (False, True):
            s = np.asarray(scores[init, pretrain])
            seed_means = "".join(f"{m:>8.3f}" for m in per_seed[init, pretrain])
            print(f"{init:<8}{str(pretrain):<10}{seed_means}{s.mean():>20.3f} ± {s.std():.3f}"
                  f"{np.mean(times[init, pretrain]):>9.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rbm", nargs="*", default=None, metavar="KEY=VALUE",
                        help="pass RBMTransformer(**settings) as rbm (default: rbm=None)")
    parser.add_argument("--dbn", nargs="*", default=[], metavar="KEY=VALUE",
                        help=f"DBNClassifier parameters over the README's {README_DBN}")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0],
                        help="random_state of the classifier, one grid per seed")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="GridSearchCV n_jobs (warnings are counted only with 1)")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    rbm = None if args.rbm is None else RBMTransformer(**_settings(args.rbm))
    print(f"rbm={rbm!r}, dbn settings {README_DBN | _settings(args.dbn)}, "
          f"seeds {args.seeds}")
    scores, per_seed, times, warned = {}, {}, {}, Counter()
    start = time.perf_counter()
    for seed in args.seeds:
        results, caught = run_grid(X, y, seed, rbm, _settings(args.dbn), args.n_jobs)
        warned += caught
        for params, fold_scores, fit_time in zip(
            results["params"],
            np.column_stack([results[f"split{k}_test_score"] for k in range(3)]),
            results["mean_fit_time"],
        ):
            key = (params["dbnclassifier__init"], params["dbnclassifier__pretrain"])
            scores.setdefault(key, []).extend(fold_scores)
            per_seed.setdefault(key, []).append(fold_scores.mean())
            times.setdefault(key, []).append(fit_time)
    _print_table(scores, per_seed, times, args.seeds)
    print(f"warnings: {dict(warned) or 'none'}; wall {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
