"""Every scikit-learn estimator check, on every skdbn estimator."""

import pytest
from sklearn.base import clone
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdbn import DBNClassifier, DBNRegressor, RBMTransformer

ESTIMATORS = [
    RBMTransformer(),
    RBMTransformer(n_components=8, n_iter=5, random_state=0),
    RBMTransformer(
        n_components=8, n_iter=5, visible="gaussian", random_state=0
    ),
    DBNClassifier(),
    DBNClassifier(pretrain=False),
    DBNRegressor(),
    DBNRegressor(pretrain=False),
]

_SAMPLE_WEIGHT_REASON = (
    "RBM training samples hidden and visible states at random, so weighting a "
    "row and repeating it draw different random numbers and cannot give exactly "
    "the same model (scikit-learn declares the same for its stochastic "
    "estimators); integer weights match repeated rows in expectation "
    "(tests/test_rbm.py), and DBNs with pretrain=False pass these checks."
)
_SAMPLE_WEIGHT_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)


def expected_failed_checks(estimator):
    """The only expected failures, each with its reason (imbalanced-learn's pattern)."""
    trains_rbms = isinstance(estimator, RBMTransformer) or getattr(estimator, "pretrain", False)
    return dict.fromkeys(_SAMPLE_WEIGHT_CHECKS, _SAMPLE_WEIGHT_REASON) if trains_rbms else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator", [e for e in ESTIMATORS if expected_failed_checks(e)], ids=repr
)
@pytest.mark.parametrize("name", _SAMPLE_WEIGHT_CHECKS)
def test_declared_failures_really_fail(estimator, name):
    # A declaration that no longer fails would hide a check that now passes.
    with pytest.raises(AssertionError):
        getattr(estimator_checks, name)(type(estimator).__name__, clone(estimator))
