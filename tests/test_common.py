"""Every scikit-learn estimator check, on every skdbn estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdbn import DBNClassifier, RBMTransformer

ESTIMATORS = [
    RBMTransformer(),
    RBMTransformer(n_components=8, n_iter=5, random_state=0),
    RBMTransformer(
        n_components=8, n_iter=5, visible="gaussian", random_state=0
    ),
    DBNClassifier(),
    DBNClassifier(pretrain=False),
]

_SAMPLE_WEIGHT_REASON = (
    "RBM pretraining samples hidden and visible states at random, so weighting a "
    "row and repeating it draw different random numbers and cannot give exactly "
    "the same model (scikit-learn declares the same for its stochastic "
    "estimators); DBNClassifier(pretrain=False) passes these checks."
)

# The only expected failures, each with its reason (imbalanced-learn's pattern).
EXPECTED_FAILED_CHECKS = {
    "DBNClassifier()": {
        "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT_REASON,
        "check_sample_weight_equivalence_on_sparse_data": _SAMPLE_WEIGHT_REASON,
    },
}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(repr(est), {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_expected_failures_are_only_the_sample_weight_checks():
    # Guard the table itself: nothing else may be declared expected to fail.
    declared = {name for checks in EXPECTED_FAILED_CHECKS.values() for name in checks}
    assert declared == {
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    }
    assert set(EXPECTED_FAILED_CHECKS) == {"DBNClassifier()"}
