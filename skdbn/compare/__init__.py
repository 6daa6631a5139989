"""``skdbn compare``: four initialisations, with and without pretraining.

``skdbn compare`` (or ``python -m skdbn compare``) trains a
:class:`~skdbn.DBNClassifier` for every ``init`` in zero, random, Xavier and
He, each with RBM pretraining off and on, over several seeds; it prints a
table of the test accuracy, the final training loss, the first layer's
gradient norm in the first epoch and the fit time, and saves a figure of the
loss curves, the gradient norms per layer and the first RBM's filters. The
default run, on scikit-learn's digits, tells the story of 2006-2010 in about
15 seconds on two cores (up to a minute when they are busy): zero init does
not learn, small random init is erratic, RBM pretraining rescues both, and
Xavier or He init gets there without it.

The package, one job per module:

- ``settings``: :class:`Settings`, every default once (options, estimators);
- ``data``: loading, checking, subsampling and splitting the data;
- ``run``: :func:`run_comparison`, the fits, yielding one record each;
- ``progress``: the progress display, an observer of the run;
- ``report``: the header, the table and the JSON document;
- ``plot``: the figure (the only module that imports matplotlib);
- ``helptext``: the prose of ``--help``;
- ``command``: the command from settings to exit code;
- ``cli``: :func:`main`, parsing the arguments and mapping errors to exit codes.

Sample output of ``skdbn compare`` (the table, without the header; 14 s wall on
two busy cores). Each row note counts the fits that did not converge::

    init    pretraining  seeds  test accuracy   final loss  grad norm L1 ep1  fit time
    zero    no               5  0.100 ± 0.002        2.312          1.64e-05     0.2 s  (not converged: 5 at chance level)
    zero    yes              5  0.937 ± 0.031        0.069          6.04e-02     0.3 s
    random  no               5  0.848 ± 0.089        0.292          5.89e-03     0.2 s  (not converged: 5 still falling)
    random  yes              5  0.959 ± 0.005        0.038          9.49e-02     0.4 s
    xavier  no               5  0.947 ± 0.012        0.067          1.56e-02     0.2 s
    xavier  yes              5  0.961 ± 0.003        0.037          1.13e-01     0.4 s
    he      no               5  0.958 ± 0.006        0.041          2.81e-02     0.2 s
    he      yes              5  0.964 ± 0.009        0.031          1.08e-01     0.3 s
"""  # noqa: E501 (the table's rows as printed)

from .cli import main
from .data import InputError, load_data
from .run import run_comparison
from .settings import DEFAULTS, Settings

__all__ = ["DEFAULTS", "InputError", "Settings", "load_data", "main", "run_comparison"]
