"""Every scikit-learn estimator check, on every skdbn estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdbn import RBMTransformer

ESTIMATORS = [
    RBMTransformer(),
    RBMTransformer(n_components=8, n_iter=5, random_state=0),
    RBMTransformer(
        n_components=8, n_iter=5, visible="gaussian", learning_rate=0.01, random_state=0
    ),
]

# Expected failures, each with its reason (imbalanced-learn's pattern). Empty
# for the RBM: it passes every check.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(repr(est), {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
