"""Export of fitted DBNs to scikit-learn's MLPs (and on to ONNX where installed)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skdbn import DBNClassifier, DBNRegressor, RBMTransformer


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _params(activation):
    # A few epochs of each phase with a large step: the weights move well
    # away from their start, so a wrong export could not pass by chance.
    return dict(hidden_layer_sizes=(12, 7), activation=activation, max_iter=40,
                learning_rate_init=1e-2, alpha=1e-4, rbm=RBMTransformer(n_iter=2),
                random_state=0)


TARGETS = {
    "binary": lambda y: np.where(y > 4, "big", "small"),
    "multiclass": lambda y: y,
}


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exported_classifier_predicts_the_same(digits, activation, target, dtype):
    X, y = digits
    X, y = X.astype(dtype), TARGETS[target](y)
    clf = _fit(DBNClassifier(**_params(activation)), X, y)
    mlp = clf.to_mlp()
    assert isinstance(mlp, MLPClassifier)
    assert mlp.activation == activation and mlp.n_layers_ == clf.n_layers_
    proba = clf.predict_proba(X)
    assert proba.std() > 0.05  # a real model, not a constant
    np.testing.assert_allclose(mlp.predict_proba(X), proba, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(mlp.predict(X), clf.predict(X))
    np.testing.assert_array_equal(mlp.classes_, clf.classes_)
    if target == "binary":  # two softmax units folded into one logistic unit
        assert mlp.out_activation_ == "logistic" and mlp.coefs_[-1].shape == (7, 1)
    else:
        assert mlp.out_activation_ == "softmax" and mlp.n_outputs_ == 10


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_exported_regressor_predicts_the_same(digits, activation, n_targets):
    X, y = digits
    Y = np.column_stack([X.mean(axis=1), X[:, :32].mean(axis=1), y / 9.0])[:, :n_targets]
    reg = _fit(DBNRegressor(**_params(activation)), X, Y.ravel() if n_targets == 1 else Y)
    mlp = reg.to_mlp()
    assert isinstance(mlp, MLPRegressor) and mlp.out_activation_ == "identity"
    predicted = reg.predict(X)
    assert predicted.std() > 0.01
    np.testing.assert_allclose(mlp.predict(X), predicted, rtol=1e-6, atol=1e-9)
    assert mlp.predict(X).shape == predicted.shape


def test_export_copies_the_weights_and_keeps_the_settings(digits):
    X, y = digits
    clf = _fit(DBNClassifier(**{**_params("relu"), "alpha": 0.01}, solver="sgd"), X, y)
    mlp = clf.to_mlp()
    assert (mlp.alpha, mlp.solver, mlp.hidden_layer_sizes) == (0.01, "sgd", (12, 7))
    assert mlp.n_iter_ == clf.n_iter_ and mlp.loss_curve_ == clf.loss_curve_
    mlp.coefs_[0][:] = 0
    assert np.abs(clf.coefs_[0]).sum() > 0
    with pytest.raises(Exception, match="not fitted"):
        DBNRegressor().to_mlp()


def test_exported_model_converts_to_onnx_with_the_same_outputs(digits):
    pytest.importorskip("skl2onnx", reason="skl2onnx is not installed (extra 'onnx')")
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (extra 'onnx')")
    from onnxruntime import InferenceSession
    from skl2onnx import to_onnx

    X, y = digits
    X = X.astype(np.float32)
    for estimator, target in [(DBNClassifier, y > 4), (DBNRegressor, X.mean(axis=1))]:
        dbn = _fit(estimator(**_params("tanh")), X, target)
        onx = to_onnx(dbn.to_mlp(), X[:1], options={"zipmap": False}
                      if estimator is DBNClassifier else None)
        session = InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        outputs = session.run(None, {session.get_inputs()[0].name: X})
        if estimator is DBNClassifier:
            np.testing.assert_array_equal(outputs[0], dbn.predict(X))
            np.testing.assert_allclose(outputs[1], dbn.predict_proba(X), rtol=1e-4, atol=1e-5)
        else:
            np.testing.assert_allclose(outputs[0].ravel(), dbn.predict(X), rtol=1e-4, atol=1e-5)


def test_exported_model_can_be_cloned_and_refitted(digits):
    """The export's hyper-parameters are valid for scikit-learn, so a user can
    refit it (the cosine schedule, which MLPs lack, becomes "constant")."""
    from sklearn.base import clone

    X, y = digits
    clf = _fit(DBNClassifier(**_params("relu"), learning_rate="cosine"), X, y)
    mlp = clf.to_mlp()
    assert mlp.learning_rate == "constant"
    refitted = _fit(clone(mlp).set_params(max_iter=100), X, y)
    assert refitted.score(X, y) > 0.8
