"""The README's grid: cross-validated accuracy of DBNClassifier per init x pretrain.

Runs the ``GridSearchCV`` of the README and the docs index on scikit-learn's
digits (min-max scaled to [0, 1]): ``DBNClassifier((64,), max_iter=50)`` in a
pipeline, ``init`` in zero, random, xavier, he and ``pretrain`` off and on,
3-fold cross-validation, with the pretraining settings left at their default
(``rbm=None``). It prints the mean and standard deviation of the accuracy
over the folds, the mean fit time, and how many warnings the search raised,
so that a change of the default pretraining can be measured before and after.

Usage::

    python benchmarks/bench_init_grid.py                    # the README's grid
    python benchmarks/bench_init_grid.py --rbm hidden_stats=samples n_iter=5
    python benchmarks/bench_init_grid.py --seeds 0 1 2      # several random_state

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
    dbn_settings = {"hidden_layer_sizes": (64,), "max_iter": 50, **dbn_settings}
    dbn = DBNClassifier(random_state=seed, rbm=rbm, **dbn_settings)
    pipe = make_pipeline(MinMaxScaler(clip=True), dbn)
    grid = {"dbnclassifier__init": list(INITS), "dbnclassifier__pretrain": [False, True]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs).fit(X, y)
    return search.cv_results_, Counter(w.category.__name__ for w in caught)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rbm", nargs="*", default=None, metavar="KEY=VALUE",
                        help="pass RBMTransformer(**settings) as rbm (default: rbm=None)")
    parser.add_argument("--dbn", nargs="*", default=[], metavar="KEY=VALUE",
                        help="other DBNClassifier parameters")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0],
                        help="random_state of the classifier, one grid per seed")
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    rbm = None if args.rbm is None else RBMTransformer(**_settings(args.rbm))
    print(f"rbm={rbm!r}, dbn settings {_settings(args.dbn)}, seeds {args.seeds}")
    scores, times, warned = {}, {}, Counter()
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
            times.setdefault(key, []).append(fit_time)
    print(f"{'init':<8}{'pretrain':<10}{'accuracy (mean ± std over folds x seeds)':>42}"
          f"{'fit (s)':>9}")
    for init in INITS:
        for pretrain in (False, True):
            s = np.asarray(scores[init, pretrain])
            print(f"{init:<8}{str(pretrain):<10}{s.mean():>34.3f} ± {s.std():.3f}"
                  f"{np.mean(times[init, pretrain]):>9.2f}")
    print(f"warnings: {dict(warned) or 'none'}; wall {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
