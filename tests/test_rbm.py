"""Behaviour tests of RBMTransformer: equations, learning, state and input checks."""

import copy
import itertools
import pickle
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats
from scipy.special import expit, logsumexp
from sklearn import config_context
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from skdbn import RBMTransformer

# ----------------------------------------------------------------- data


@cache
def _digits():
    return load_digits().data


def digits01(n=300):
    """Digits scaled to [0, 1]."""
    return _digits()[:n] / 16.0


def binary_digits(n=300):
    """Digits binarised at half intensity."""
    return (_digits()[:n] > 8).astype(np.float64)


def standardized_digits(n=300):
    return StandardScaler().fit_transform(_digits()[:n])


def fitted(X, **params):
    defaults = dict(n_components=8, n_iter=3, random_state=0)
    values = X.data if sparse.issparse(X) else np.asarray(X)
    if values.min() < 0 or values.max() > 1:  # Gaussian units need a smaller step
        defaults["learning_rate"] = 0.01
    sample_weight = params.pop("sample_weight", None)
    return RBMTransformer(**{**defaults, **params}).fit(X, sample_weight=sample_weight)


def fitted_state(rbm):
    """A deep copy of every public fitted attribute (names ending in ``_``)."""
    return {
        k: copy.deepcopy(v)
        for k, v in vars(rbm).items()
        if k.endswith("_") and not k.startswith("_")
    }


def assert_same_state(state, rbm):
    assert set(state) == set(fitted_state(rbm))
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(rbm, name), value, err_msg=name)
            assert getattr(rbm, name).dtype == value.dtype, name
        else:
            assert getattr(rbm, name) == value, name


def assert_same_model(a, b):
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.loss_curve_ == b.loss_curve_


# ------------------------------------------- equations by hand computation


def test_transform_and_inverse_transform_bernoulli_by_hand():
    X = digits01(100)
    rbm = fitted(X)
    W, c, b = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    assert rbm.visible_ == "bernoulli"
    H = rbm.transform(X)
    np.testing.assert_allclose(H, expit(X @ W.T + c), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        rbm.inverse_transform(H), expit(H @ W + b), rtol=1e-12, atol=1e-14
    )
    binary = (H > 0.5).astype(float)
    np.testing.assert_allclose(
        rbm.inverse_transform(binary), expit(binary @ W + b), rtol=1e-12, atol=1e-14
    )


def test_transform_and_inverse_transform_gaussian_by_hand():
    X = _digits()[:100]  # raw pixel values 0..16
    rbm = fitted(X, visible="gaussian")
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    np.testing.assert_allclose(rbm.visible_scale_, scale, rtol=1e-12)
    x = X / scale  # the model acts on the scaled data
    W, c, b = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    H = rbm.transform(X)
    np.testing.assert_allclose(H, expit(x @ W.T + c), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        rbm.inverse_transform(H), (H @ W + b) * scale, rtol=1e-12, atol=1e-12
    )


def _free_energy_by_enumeration(rbm, x, gaussian):
    """``-log sum_h exp(-E(x, h))`` summed over every binary hidden vector."""
    W, c, b = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    all_h = np.array(list(itertools.product([0.0, 1.0], repeat=W.shape[0])))
    neg_energy = all_h @ c + (x @ W.T) @ all_h.T  # (n_samples, 2**n_hidden)
    if gaussian:
        visible_term = -0.5 * ((x - b) ** 2).sum(axis=1)
    else:
        visible_term = x @ b
    return -(visible_term + logsumexp(neg_energy, axis=1))


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_free_energy_and_score_samples_by_hand(visible):
    if visible == "bernoulli":
        X = digits01(50)
        x = X
    else:
        X = standardized_digits(50) * 3.0 + 1.0
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        x = X / scale
    rbm = fitted(X, n_components=6, visible=visible)
    W, c, b = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    softplus = np.logaddexp(0, x @ W.T + c).sum(axis=1)
    if visible == "bernoulli":
        expected = -x @ b - softplus
    else:
        expected = 0.5 * ((x - b) ** 2).sum(axis=1) - softplus
    free_energy = rbm.free_energy(X)
    np.testing.assert_allclose(free_energy, expected, rtol=1e-10)
    # The closed form agrees with the definition, a sum over the 2**6 hidden states.
    np.testing.assert_allclose(
        free_energy,
        _free_energy_by_enumeration(rbm, x, visible == "gaussian"),
        rtol=1e-10,
    )
    # score_samples normalises by Z and, for Gaussian units, by the scaling of X.
    log_norm = rbm.log_partition_ + np.log(rbm.visible_scale_).sum()
    np.testing.assert_allclose(rbm.score_samples(X), -expected - log_norm, rtol=1e-10)


def test_score_samples_deterministic_and_independent_of_batch():
    X = digits01(60)
    rbm = fitted(X, random_state=None)
    scores = rbm.score_samples(X)
    np.testing.assert_array_equal(rbm.score_samples(X), scores)
    row_by_row = np.array([rbm.score_samples(X[i : i + 1])[0] for i in range(len(X))])
    np.testing.assert_allclose(row_by_row, scores, rtol=1e-12)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(rbm.score_samples(X[order]), scores[order], rtol=1e-12)
    assert len(np.unique(scores)) > 1


def test_score_samples_prefers_the_training_data_to_noise():
    X = binary_digits(300)
    rbm = fitted(X, n_components=32, n_iter=10)
    noise = (np.random.default_rng(0).random(X.shape) < X.mean()).astype(float)
    assert rbm.score_samples(X).mean() > rbm.score_samples(noise).mean() + 5


def test_transform_in_chunks_equals_single_pass():
    X = digits01(200)
    rbm = fitted(X)
    H = rbm.transform(X)
    F = rbm.free_energy(X)
    with config_context(working_memory=0.002):  # about 2 kB: a few rows per chunk
        np.testing.assert_allclose(rbm.transform(X), H, rtol=1e-12)
        np.testing.assert_allclose(rbm.free_energy(X), F, rtol=1e-12)


# ------------------------------------------ exact likelihood of a tiny RBM


def _exact_mean_log_likelihood(rbm, V):
    """Average ``log p(v)`` of binary rows ``V``, with ``log Z`` by enumeration."""
    W, c, b = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    n_hidden, n_visible = W.shape
    all_v = np.array(list(itertools.product([0.0, 1.0], repeat=n_visible)))
    all_h = np.array(list(itertools.product([0.0, 1.0], repeat=n_hidden)))
    neg_energy = (all_v @ b)[:, None] + (all_h @ c)[None, :] + all_v @ W.T @ all_h.T
    log_z = logsumexp(neg_energy)
    log_unnormalised = logsumexp(neg_energy, axis=1)  # -F(v) of every v
    np.testing.assert_allclose(-rbm.free_energy(all_v), log_unnormalised, rtol=1e-10)
    np.testing.assert_allclose(rbm.log_partition_, log_z, rtol=1e-10)
    index = (V @ 2 ** np.arange(n_visible)[::-1]).astype(int)  # row of all_v
    return log_unnormalised[index].mean() - log_z


def _tiny_training_data():
    """90 noisy copies of three correlated 4-bit patterns."""
    rng = np.random.default_rng(0)
    patterns = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]], dtype=float)
    V = patterns[rng.integers(0, 3, 90)]
    return np.abs(V - (rng.random(V.shape) < 0.05))


@pytest.mark.parametrize(
    "method, n_gibbs_steps, init, centering",
    [("cd", 1, "random", False), ("pcd", 1, "random", False), ("cd", 3, "xavier", False),
     ("pcd", 1, "xavier", False), ("cd", 1, "random", True), ("pcd", 1, "xavier", True)],
)
def test_training_raises_exact_log_likelihood(method, n_gibbs_steps, init, centering):
    V = _tiny_training_data()
    rbm = RBMTransformer(
        n_components=3, init=init, learning_rate=0.1, batch_size=10, n_iter=0,
        method=method, n_gibbs_steps=n_gibbs_steps, centering=centering, random_state=0,
    ).fit(V)
    initial = _exact_mean_log_likelihood(rbm, V)
    for _ in range(100):
        rbm.partial_fit(V)
    trained = _exact_mean_log_likelihood(rbm, V)
    # The independent-units model (init="random" starts next to it: tiny
    # weights, visible biases at the log-odds) scores about -2.5 nats here;
    # learning the correlations between the bits must beat it clearly. (Over
    # eight seeds and these four settings the gain was at least 0.34 nats and
    # the final score at least -2.25.)
    assert trained > initial + 0.2, (initial, trained)
    assert trained > -2.35, (initial, trained)


def test_update_follows_learning_rate_weight_decay_and_momentum():
    """Exact checks of ``dW = lr (grad - decay W)`` smoothed by momentum.

    With one batch per epoch and the same seed, two models that differ only in
    ``learning_rate``, ``weight_decay`` or ``momentum`` draw the same samples
    for a step taken from the same weights, so their updates differ exactly
    by the documented terms.
    """
    X = digits01(100)
    params = dict(n_components=8, batch_size=100, random_state=0, momentum=0.0)

    def model(n_iter, **changes):
        return RBMTransformer(n_iter=n_iter, **{**params, **changes}).fit(X)

    start, plain = model(0), model(1)
    step = plain.components_ - start.components_
    assert np.abs(step).max() > 1e-3
    doubled = model(1, learning_rate=0.2).components_ - start.components_
    np.testing.assert_allclose(doubled, 2 * step, rtol=0, atol=1e-12)
    decayed = model(1, weight_decay=0.3)
    np.testing.assert_allclose(
        decayed.components_ - plain.components_,
        -0.1 * 0.3 * start.components_, rtol=0, atol=1e-12,
    )
    for name in ("intercept_hidden_", "intercept_visible_"):  # biases not decayed
        np.testing.assert_allclose(
            getattr(decayed, name), getattr(plain, name), rtol=0, atol=1e-12
        )
    # The second step from the same weights adds momentum * (first step).
    with_momentum, without = model(2, momentum=0.7), model(2)
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        first_step = getattr(plain, name) - getattr(start, name)
        np.testing.assert_allclose(
            getattr(with_momentum, name) - getattr(without, name),
            0.7 * first_step, rtol=0, atol=1e-12, err_msg=name,
        )


def test_centering_takes_the_centered_gradient_of_the_same_model():
    """A centered step is the plain one with the offsets' corrections.

    One batch per epoch, no momentum, the same seed: the plain and the
    centered model draw the same samples for their first step, from the
    same weights. With offsets ``mu`` (the data mean, as the batch is the
    data) and ``lambda = 1/2`` the centered step of the ordinary parameters
    is ``dW' = dW - mu dc^T - db lambda^T``, ``db' = db - dW' lambda``,
    ``dc' = dc - dW'^T mu`` (Melchior, Fischer & Wiskott 2016, in the
    parametrisation the estimator keeps).
    """
    X = digits01(100)
    params = dict(n_components=8, batch_size=100, random_state=0, momentum=0.0)
    start = RBMTransformer(n_iter=0, **params).fit(X)
    plain = RBMTransformer(n_iter=1, **params).fit(X)
    centered = RBMTransformer(n_iter=1, centering=True, **params).fit(X)

    def steps(rbm):  # weights as (n_features, n_components), like the formulas
        return ((rbm.components_ - start.components_).T,
                rbm.intercept_visible_ - start.intercept_visible_,
                rbm.intercept_hidden_ - start.intercept_hidden_)

    dW, db, dc = steps(plain)
    mu, lam = X.mean(axis=0), np.full(8, 0.5)
    dW_centered = dW - np.outer(mu, dc) - np.outer(db, lam)
    expected = (dW_centered, db - dW_centered @ lam, dc - dW_centered.T @ mu)
    for got, want, name in zip(steps(centered), expected, ("W", "b", "c")):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=name)
    assert np.abs(dW_centered - dW).max() > 1e-3  # the corrections matter here


def test_fit_equals_fit_zero_epochs_then_partial_fits():
    """``fit`` and a chain of ``partial_fit`` calls share momentum and random stream."""
    X = digits01(250)
    for method, centering in (("cd", False), ("pcd", False), ("pcd", True)):
        params = dict(n_components=8, method=method, momentum=0.9, random_state=3,
                      centering=centering)
        full = RBMTransformer(n_iter=4, **params).fit(X)
        stepwise = RBMTransformer(n_iter=0, **params).fit(X)
        for _ in range(4):
            stepwise.partial_fit(X)
        assert_same_model(full, stepwise)
        assert full.n_iter_ == stepwise.n_iter_ == 4
        if method == "pcd":
            np.testing.assert_array_equal(
                full.persistent_chains_, stepwise.persistent_chains_
            )


# ------------------------------------------------------------------ init


def _initial(X, **params):
    return RBMTransformer(n_components=32, n_iter=0, random_state=0, **params).fit(X)


def test_init_xavier_is_uniform_with_glorot_bound():
    X = digits01(100)
    W = _initial(X, init="xavier").components_
    bound = np.sqrt(6 / (64 + 32))
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.98 * bound
    assert stats.kstest(W.ravel(), stats.uniform(-bound, 2 * bound).cdf).pvalue > 0.01
    assert RBMTransformer().init == "xavier"


def test_init_he_is_normal_with_variance_two_over_fan_in():
    X = digits01(100)
    W = _initial(X, init="he").components_
    std = np.sqrt(2 / 64)
    assert stats.kstest(W.ravel(), stats.norm(0, std).cdf).pvalue > 0.01
    assert W.std() == pytest.approx(std, rel=0.05)


@pytest.mark.parametrize("scale", [0.01, 0.3])
def test_init_random_is_normal_with_std_init_scale(scale):
    X = digits01(100)
    W = _initial(X, init="random", init_scale=scale).components_
    assert stats.kstest(W.ravel(), stats.norm(0, scale).cdf).pvalue > 0.01
    assert W.std() == pytest.approx(scale, rel=0.05)


def test_init_zero():
    X = digits01(100)
    rbm = _initial(X, init="zero")
    assert rbm.components_.shape == (32, 64)
    assert not rbm.components_.any()


def test_init_callable_receives_fans_and_generator_and_is_used():
    X = digits01(100)
    calls = []

    def init(fan_in, fan_out, random_state):
        calls.append((fan_in, fan_out, random_state))
        return random_state.uniform(-1, 1, size=(fan_in, fan_out))

    rbm = RBMTransformer(n_components=5, init=init, n_iter=0, random_state=7).fit(X)
    (fan_in, fan_out, generator), = calls
    assert (fan_in, fan_out) == (64, 5)
    assert isinstance(generator, np.random.Generator)
    expected = init(64, 5, np.random.default_rng(7))  # same seed, same draw
    np.testing.assert_array_equal(rbm.components_, expected.T)

    fixed = np.arange(64 * 5, dtype=float).reshape(64, 5) / 1000
    rbm = RBMTransformer(n_components=5, init=lambda i, o, r: fixed, n_iter=0).fit(X)
    np.testing.assert_array_equal(rbm.components_, fixed.T)
    rbm = RBMTransformer(n_components=5, init=lambda i, o, r: fixed, n_iter=0)
    rbm.fit(X.astype(np.float32))
    assert rbm.components_.dtype == np.float32


@pytest.mark.parametrize("shape", [(5, 64), (64, 4), (64 * 5,)])
def test_init_callable_with_wrong_shape_raises(shape):
    X = digits01(50)
    rbm = RBMTransformer(n_components=5, init=lambda i, o, r: np.zeros(shape))
    with pytest.raises(ValueError, match=r"shape.*\(64, 5\)"):
        rbm.fit(X)
    assert not hasattr(rbm, "components_")


def test_starting_biases_bernoulli():
    X = digits01(100)
    rbm = _initial(X)
    p = np.clip(X.mean(axis=0), 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(rbm.intercept_visible_, np.log(p / (1 - p)), rtol=1e-12)
    assert (X.mean(axis=0) == 0).any()  # the clip matters on digits
    assert np.isfinite(rbm.intercept_visible_).all()
    assert not rbm.intercept_hidden_.any()
    np.testing.assert_array_equal(rbm.visible_scale_, np.ones(64))


def test_starting_biases_gaussian():
    X = standardized_digits(100) * 2.0 + 3.0
    rbm = _initial(X, visible="gaussian")
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    np.testing.assert_allclose(rbm.visible_scale_, scale, rtol=1e-12)
    np.testing.assert_allclose(
        rbm.intercept_visible_, X.mean(axis=0) / scale, rtol=1e-12
    )
    assert not rbm.intercept_hidden_.any()


# ------------------------------------------------------------ hidden_stats


def test_hidden_stats_probabilities_keeps_zero_init_units_identical():
    X = binary_digits(300)
    rbm = fitted(X, init="zero", hidden_stats="probabilities", n_iter=5)
    W = rbm.components_
    assert np.abs(W).max() > 1e-4  # the weights did learn something
    np.testing.assert_allclose(W, np.broadcast_to(W[0], W.shape), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        rbm.intercept_hidden_, rbm.intercept_hidden_[0], rtol=0, atol=1e-12
    )
    H = rbm.transform(X)
    np.testing.assert_allclose(H, np.broadcast_to(H[:, :1], H.shape), atol=1e-12)


def test_hidden_stats_samples_breaks_zero_init_symmetry():
    X = binary_digits(300)
    rbm = fitted(X, init="zero", hidden_stats="samples", n_iter=5)
    W = rbm.components_
    row_spread = np.abs(W - W[0]).max(axis=1)
    assert (row_spread[1:] > 1e-3).all()  # every unit differs from the first
    assert np.ptp(rbm.intercept_hidden_) > 1e-3


# ------------------------------------------- reproducibility and pickling


@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_same_seed_same_weights_different_seed_different(method):
    X = digits01(200)
    a = fitted(X, method=method, random_state=42)
    b = fitted(X, method=method, random_state=42)
    assert_same_model(a, b)
    c = fitted(X, method=method, random_state=43)
    assert not np.allclose(a.components_, c.components_)
    # A refit of the same estimator reproduces the first fit.
    assert_same_model(a, a.fit(X))


def test_pickle_round_trip():
    X = digits01(200)
    rbm = fitted(X, method="pcd")
    clone = pickle.loads(pickle.dumps(rbm))
    np.testing.assert_array_equal(clone.transform(X), rbm.transform(X))
    np.testing.assert_array_equal(clone.score_samples(X), rbm.score_samples(X))
    # The random stream, velocities and chains travel too: training continues alike.
    clone.partial_fit(X)
    rbm.partial_fit(X)
    assert_same_model(clone, rbm)
    np.testing.assert_array_equal(clone.persistent_chains_, rbm.persistent_chains_)


# -------------------------------------------------------- dtypes, sparse


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_dtype_is_preserved(dtype, visible):
    X = (digits01(200) if visible == "bernoulli" else standardized_digits(200))
    X = X.astype(dtype)
    rbm = fitted(X, visible=visible, method="pcd")
    for name in ("components_", "intercept_hidden_", "intercept_visible_",
                 "visible_scale_", "persistent_chains_"):
        assert getattr(rbm, name).dtype == dtype, name
    assert rbm.transform(X).dtype == dtype
    assert rbm.inverse_transform(rbm.transform(X)).dtype == dtype
    assert rbm.score_samples(X).dtype == dtype
    assert rbm.gibbs(X[:5]).dtype == dtype
    assert rbm.sample(3, n_steps=2).dtype == dtype
    assert rbm.partial_fit(X[:50]).components_.dtype == dtype
    assert rbm.transform(X).dtype == dtype
    assert rbm.transform(sparse.csr_matrix(X)).dtype == dtype


def test_float32_and_float64_fits_agree():
    X = digits01(200)
    a = fitted(X.astype(np.float32), n_iter=1)
    b = fitted(X, n_iter=1)
    np.testing.assert_allclose(a.transform(X), b.transform(X), atol=1e-3)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_sparse_input_equals_dense(visible, method):
    X = digits01(200) if visible == "bernoulli" else _digits()[:200]  # 0..16
    X_csr = sparse.csr_matrix(X)
    assert X_csr.nnz < X.size  # really sparse
    dense = fitted(X, visible=visible, method=method)
    sparse_fit = fitted(X_csr, visible=visible, method=method)
    for name in ("components_", "intercept_hidden_", "intercept_visible_",
                 "visible_scale_"):
        np.testing.assert_allclose(
            getattr(sparse_fit, name), getattr(dense, name), rtol=1e-9, atol=1e-12,
            err_msg=name,
        )
    np.testing.assert_allclose(sparse_fit.loss_curve_, dense.loss_curve_, rtol=1e-9)
    H = dense.transform(X)
    np.testing.assert_allclose(sparse_fit.transform(X_csr), H, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dense.transform(X_csr), H, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dense.transform(sparse.csr_array(X)), H, rtol=1e-12)
    np.testing.assert_allclose(
        dense.score_samples(X_csr), dense.score_samples(X), rtol=1e-12
    )
    np.testing.assert_allclose(
        dense.gibbs(X_csr[:10], random_state=0),
        dense.gibbs(X[:10], random_state=0),
        rtol=1e-12,
    )
    dense.partial_fit(X[:100])
    sparse_fit.partial_fit(X_csr[:100])
    np.testing.assert_allclose(
        sparse_fit.components_, dense.components_, rtol=1e-9, atol=1e-12
    )


# ------------------------------------------------------------- partial_fit


def test_partial_fit_over_chunks():
    X = digits01(400).astype(np.float32)
    rbm = RBMTransformer(n_components=16, random_state=0)
    for i, chunk in enumerate(np.array_split(X, 4)):
        assert rbm.partial_fit(chunk) is rbm
        assert rbm.n_iter_ == i + 1
        assert len(rbm.loss_curve_) == i + 1
        assert rbm.components_.dtype == np.float32
    assert rbm.visible_ == "bernoulli"
    assert rbm.transform(X).dtype == np.float32
    assert rbm.loss_curve_[-1] < rbm.loss_curve_[0]


def test_partial_fit_persistent_chains_change_and_are_reused():
    X = binary_digits(300)
    rbm = RBMTransformer(n_components=8, method="pcd", batch_size=50, random_state=0)
    rbm.partial_fit(X)
    chains = rbm.persistent_chains_.copy()
    assert chains.shape == (50, 8)
    assert set(np.unique(chains)) <= {0.0, 1.0}
    twin = pickle.loads(pickle.dumps(rbm))
    rbm.partial_fit(X)
    assert not np.array_equal(rbm.persistent_chains_, chains)
    # Only the chains that the next call starts from differ: the result changes,
    # so partial_fit reads the stored chains instead of restarting them.
    twin.persistent_chains_ = 1.0 - twin.persistent_chains_
    twin.partial_fit(X)
    assert not np.allclose(twin.components_, rbm.components_)
    assert not hasattr(RBMTransformer(n_iter=1).fit(X), "persistent_chains_")


def test_learning_rate_auto_and_partial_fit_follows_set_params():
    assert RBMTransformer().learning_rate == "auto"
    assert fitted(digits01(100), learning_rate="auto").learning_rate_ == 0.1
    assert fitted(standardized_digits(100), learning_rate="auto").learning_rate_ == 0.01
    X = digits01(200)
    rbm = RBMTransformer(n_components=8, random_state=0).partial_fit(X)
    start = rbm.components_.copy()
    twin = pickle.loads(pickle.dumps(rbm))
    rbm.set_params(learning_rate=0.5).partial_fit(X)
    twin.partial_fit(X)
    assert (rbm.learning_rate_, twin.learning_rate_) == (0.5, 0.1)
    # Same state and random stream: only the step size differs.
    moved = np.linalg.norm(rbm.components_ - start)
    assert moved > 2 * np.linalg.norm(twin.components_ - start)


def test_refit_with_cd_drops_persistent_chains():
    X = digits01(100)
    rbm = fitted(X, method="pcd")
    assert hasattr(rbm, "persistent_chains_")
    rbm.set_params(method="cd").fit(X)
    assert not hasattr(rbm, "persistent_chains_")


def _bad_partial_fit_inputs(X):
    nan = X.copy()
    nan[3, 5] = np.nan
    inf = X.copy()
    inf[0, 0] = np.inf
    return {
        "NaN": (nan, "NaN"),
        "inf": (inf, "infinity"),
        "n_features": (X[:, :10], "features"),
        "range": (X * 16, r"\[0, 1\]"),
        "negative sparse": (sparse.csr_matrix(-X), r"\[0, 1\]"),
        "empty": (X[:0], "0 sample"),
    }


@pytest.mark.parametrize("case", ["NaN", "inf", "n_features", "range",
                                  "negative sparse", "empty"])
@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_failed_partial_fit_keeps_the_fitted_state(case, method):
    X = digits01(200)
    rbm = RBMTransformer(n_components=8, method=method, random_state=0)
    rbm.partial_fit(X).partial_fit(X)
    twin = pickle.loads(pickle.dumps(rbm))
    before = fitted_state(rbm)
    bad, message = _bad_partial_fit_inputs(X)[case]
    with pytest.raises(ValueError, match=message):
        rbm.partial_fit(bad)
    assert_same_state(before, rbm)
    # Nothing hidden changed either: training goes on exactly like a twin's.
    rbm.partial_fit(X)
    twin.partial_fit(X)
    assert_same_model(rbm, twin)


def test_diverging_partial_fit_keeps_the_fitted_state():
    X = standardized_digits(200)
    rbm = RBMTransformer(n_components=8, learning_rate=0.01, random_state=0)
    rbm.partial_fit(X)
    twin = pickle.loads(pickle.dumps(rbm))
    before = fitted_state(rbm)
    rbm.set_params(learning_rate=1e3)
    with pytest.raises(ValueError, match="diverged"):
        rbm.partial_fit(X)
    assert_same_state(before, rbm)
    assert np.isfinite(rbm.components_).all()
    # The random stream was not advanced by the failed call either.
    rbm.set_params(learning_rate=0.01).partial_fit(X)
    twin.partial_fit(X)
    assert_same_model(rbm, twin)


# --------------------------------------------------- visible unit types


def test_visible_auto_choice():
    assert fitted(digits01(100)).visible_ == "bernoulli"
    assert fitted(binary_digits(100)).visible_ == "bernoulli"
    assert fitted(standardized_digits(100)).visible_ == "gaussian"
    assert fitted(_digits()[:100]).visible_ == "gaussian"  # 0..16
    assert fitted(sparse.csr_matrix(digits01(100))).visible_ == "bernoulli"
    assert fitted(sparse.csr_matrix(-digits01(100))).visible_ == "gaussian"
    assert fitted(digits01(100), visible="gaussian").visible_ == "gaussian"


def test_gaussian_units_on_standardized_digits_learn():
    X = standardized_digits(400)
    rbm = RBMTransformer(n_components=32, n_iter=10, learning_rate=0.01, random_state=0)
    rbm.fit(X)
    assert rbm.visible_ == "gaussian"
    curve = np.array(rbm.loss_curve_)
    assert len(curve) == 10
    assert curve[-1] < 0.85 * curve[0]
    assert (np.diff(curve) < 0).all()
    # A model that reconstructs nothing scores the data's mean square (about 1).
    assert curve[-1] < 0.9 * np.mean(X**2)


def test_reconstruction_error_falls_on_binarized_digits():
    X = binary_digits(400)
    rbm = RBMTransformer(n_components=32, n_iter=10, random_state=0).fit(X)
    curve = np.array(rbm.loss_curve_)
    assert len(curve) == rbm.n_iter_ == 10
    assert curve[-1] < 0.85 * curve[0]
    assert np.mean(np.diff(curve) < 0) >= 0.8
    # Matches a direct computation of the documented quantity.
    recon = rbm.inverse_transform(rbm.transform(X))
    assert np.mean((X - recon) ** 2) == pytest.approx(curve[-1], rel=1e-9)


# -------------------------------------------------------------- bad input


@pytest.mark.parametrize("method", ["fit", "transform", "score_samples", "gibbs"])
def test_non_finite_and_empty_input_raise(method):
    X = digits01(50)
    rbm = fitted(X)
    call = rbm.fit if method == "fit" else getattr(rbm, method)
    nan = X.copy()
    nan[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        call(nan)
    inf = X.copy()
    inf[0, 0] = -np.inf
    with pytest.raises(ValueError, match="infinity"):
        call(inf)
    with pytest.raises(ValueError, match="0 sample"):
        call(X[:0])


@pytest.mark.parametrize("method", ["transform", "score_samples", "gibbs",
                                    "free_energy", "partial_fit"])
def test_wrong_number_of_features_raises(method):
    X = digits01(50)
    rbm = fitted(X)
    with pytest.raises(ValueError, match="64 features"):
        getattr(rbm, method)(X[:, :20])
    with pytest.raises(ValueError, match="hidden units"):
        rbm.inverse_transform(np.zeros((2, 3)))


def test_explicit_bernoulli_rejects_data_outside_unit_interval():
    X = _digits()[:50]
    rbm = RBMTransformer(n_components=4, visible="bernoulli")
    message = r"visible='bernoulli'.*\[0, 1\].*MinMaxScaler"
    with pytest.raises(ValueError, match=message):
        rbm.fit(X)
    assert not hasattr(rbm, "components_")
    with pytest.raises(ValueError, match=r"\[0, 1\].*visible='gaussian'"):
        rbm.fit(-digits01(50))
    # The message reports the actual range; a sparse matrix's implicit zeros count.
    with pytest.raises(ValueError, match=r"values in \[0, 16\]"):
        rbm.fit(sparse.csr_matrix(X))
    with pytest.raises(ValueError, match=r"values in \[-1, 0\]"):
        rbm.fit(sparse.csr_matrix(-digits01(50)))
    with pytest.raises(ValueError, match=r"values in \[-0.5, 1.5\]"):
        rbm.fit(np.array([[-0.5, 1.5], [0.25, 0.75]]))


@pytest.mark.parametrize("method", ["transform", "partial_fit", "score_samples",
                                    "gibbs", "free_energy"])
def test_auto_bernoulli_rejects_other_data_later(method):
    X = digits01(50)
    rbm = fitted(X)
    assert rbm.visible_ == "bernoulli"
    with pytest.raises(ValueError, match=r"visible='auto' at fit time.*\[0, 1\]"):
        getattr(rbm, method)(X * 16)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        getattr(rbm, method)(sparse.csr_matrix(X - 0.5))
    # Gaussian units accept any real data.
    gaussian = fitted(standardized_digits(50))
    getattr(gaussian, method)(X * 16)


# ------------------------------------------------------------- divergence


def _large_data(dtype=np.float64):
    rng = np.random.default_rng(0)
    return (rng.normal(size=(200, 10)) * 1e3 + 1e4).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divergence_raises_and_leaves_the_estimator_unfitted(dtype):
    rbm = RBMTransformer(
        n_components=5, visible="gaussian", learning_rate=1e3, random_state=0
    )
    with pytest.raises(ValueError, match="diverged.*learning_rate"):
        rbm.fit(_large_data(dtype))
    assert not hasattr(rbm, "components_")
    with pytest.raises(NotFittedError):
        rbm.transform(_large_data(dtype))


def test_diverging_refit_keeps_the_previous_model():
    X = _large_data()
    rbm = RBMTransformer(
        n_components=5, visible="gaussian", learning_rate=1e-3, n_iter=3, random_state=0
    ).fit(X)
    before = fitted_state(rbm)
    H = rbm.transform(X)
    rbm.set_params(learning_rate=1e3)
    with pytest.raises(ValueError, match="diverged"):
        rbm.fit(X)
    assert_same_state(before, rbm)
    assert np.isfinite(rbm.components_).all()
    np.testing.assert_array_equal(rbm.transform(X), H)


# ------------------------------------------------------------ feature names


def test_feature_names_and_pandas_output():
    X = pd.DataFrame(digits01(50), columns=[f"px{i}" for i in range(64)])
    with pytest.raises(NotFittedError):
        RBMTransformer(n_components=3).get_feature_names_out()
    rbm = fitted(X, n_components=3)
    assert list(rbm.feature_names_in_) == list(X.columns)
    names = rbm.get_feature_names_out()
    assert list(names) == ["rbmtransformer0", "rbmtransformer1", "rbmtransformer2"]
    rbm.set_output(transform="pandas")
    frame = rbm.transform(X)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(names)
    rbm.set_output(transform="default")
    np.testing.assert_allclose(frame.to_numpy(), rbm.transform(X))


# ------------------------------------------------------- gibbs and sample


def test_gibbs_is_binary_and_reproducible():
    X = binary_digits(50)
    rbm = fitted(X, random_state=0)
    V = rbm.gibbs(X, n_steps=3)
    assert V.shape == X.shape
    assert set(np.unique(V)) == {0.0, 1.0}
    # The estimator's stream continues (tests/test_likelihood.py); a seed repeats.
    assert not np.array_equal(rbm.gibbs(X, n_steps=3), V)
    np.testing.assert_array_equal(
        rbm.gibbs(X, n_steps=3, random_state=5), rbm.gibbs(X, n_steps=3, random_state=5)
    )
    assert not np.array_equal(rbm.gibbs(X, n_steps=3, random_state=6), V)
    # n_steps steps are n_steps chained single steps on one random stream.
    stream = np.random.default_rng(9)
    chained = rbm.gibbs(rbm.gibbs(rbm.gibbs(X, 1, stream), 1, stream), 1, stream)
    np.testing.assert_array_equal(
        rbm.gibbs(X, n_steps=3, random_state=np.random.default_rng(9)), chained
    )
    np.testing.assert_array_equal(X, binary_digits(50))  # input untouched


def test_gibbs_gaussian_is_real_valued_in_input_units():
    X = _digits()[:50] * 10.0
    rbm = fitted(X, visible="gaussian")
    start = np.repeat(X[:1], 400, axis=0)
    V = rbm.gibbs(start, n_steps=1, random_state=0)
    assert V.shape == start.shape
    assert len(np.unique(V)) == V.size  # real values, not states
    # x | h has unit variance in model units, so v = s x varies by at least
    # visible_scale_ in input units.
    spread = V.std(axis=0) / rbm.visible_scale_
    assert (spread > 0.85).all()
    assert np.median(spread) < 3


def test_sample_shape_values_and_reproducibility():
    X = binary_digits(100)
    rbm = fitted(X, random_state=0)
    V = rbm.sample(7, n_steps=20)
    assert V.shape == (7, 64)
    assert set(np.unique(V)) <= {0.0, 1.0}
    np.testing.assert_array_equal(
        rbm.sample(7, n_steps=20, random_state=3), rbm.sample(7, n_steps=20, random_state=3)
    )
    means = rbm.sample(4, n_steps=5, mean=True, random_state=1)
    assert means.shape == (4, 64)
    assert ((means > 0) & (means < 1)).all()
    gaussian = fitted(standardized_digits(100))
    assert gaussian.sample(3, n_steps=5).shape == (3, 64)
    with pytest.raises(NotFittedError):
        RBMTransformer().sample(2)


def test_divergence_raises_divergence_error_and_keeps_no_nan():
    from skdbn import DivergenceError

    X = np.random.default_rng(0).normal(size=(60, 5)) * 1e3
    rbm = RBMTransformer(4, visible="gaussian", learning_rate=1e3, n_iter=3, random_state=0)
    with pytest.raises(DivergenceError, match="diverged"):
        rbm.fit(X)
    assert not hasattr(rbm, "components_")


# -------------------------------------------------------- sample weights


def _reconstruction_error(rbm, X):
    return np.mean((rbm.inverse_transform(rbm.transform(X)) - X) ** 2)


def test_zero_weight_rows_have_no_influence():
    X, y = load_digits(return_X_y=True)
    zeros, inverted_ones = X[y == 0][:80] / 16, 1 - X[y == 1][:80] / 16
    X = np.vstack([zeros, inverted_ones])
    weight = np.r_[np.ones(80), np.zeros(80)]
    weighted = fitted(X, n_components=16, n_iter=20, sample_weight=weight)
    unweighted = fitted(X, n_components=16, n_iter=20)
    # Only the weighted model fails to reconstruct the rows it was told to ignore.
    assert _reconstruction_error(weighted, inverted_ones) > 5 * _reconstruction_error(
        unweighted, inverted_ones
    )
    # Which zero-weight row sits where changes nothing: swapping two of them
    # gives bit-identical parameters (the random draws are per position).
    swapped = X.copy()
    swapped[[80, 81]] = X[[81, 80]]
    again = fitted(swapped, n_components=16, n_iter=20, sample_weight=weight)
    np.testing.assert_array_equal(again.components_, weighted.components_)


def test_integer_weights_act_like_repeated_rows():
    X = digits01(60)
    k = np.random.default_rng(0).integers(1, 4, len(X))
    # One full batch in a fixed order: the two fits differ only by sampling noise.
    params = dict(n_iter=30, batch_size=1000, shuffle=False, learning_rate=0.05)

    def parameters(rbm):
        return np.r_[rbm.components_.ravel(), rbm.intercept_visible_, rbm.intercept_hidden_]

    repeated = parameters(fitted(np.repeat(X, k, axis=0), **params))
    weighted = parameters(fitted(X, sample_weight=k, **params))
    unweighted = parameters(fitted(X, **params))
    distance = np.linalg.norm(weighted - repeated)
    assert distance < 0.1 * np.linalg.norm(unweighted - repeated)


def test_sample_weight_sets_the_weighted_starting_biases():
    X = standardized_digits(50) * 2.0 + 1.0
    weight = np.arange(50.0) % 3
    rbm = RBMTransformer(n_components=4, visible="gaussian", n_iter=1, random_state=0)
    rbm.partial_fit(X, sample_weight=weight)
    mean = np.average(X, axis=0, weights=weight)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weight))
    std[std == 0] = 1.0
    np.testing.assert_allclose(rbm.visible_scale_, std, rtol=1e-10)


@pytest.mark.parametrize(
    "weight, match",
    [(-np.ones(10), "(?i)negative"), (np.ones(9), "shape|number of samples|inconsistent")],
)
def test_bad_sample_weight_raises(weight, match):
    X = digits01(10)
    with pytest.raises(ValueError, match=match):
        RBMTransformer(n_components=2, n_iter=1).fit(X, sample_weight=weight)
    rbm = fitted(X, n_components=2, n_iter=1)
    state = fitted_state(rbm)
    with pytest.raises(ValueError, match=match):
        rbm.partial_fit(X, sample_weight=weight)
    assert_same_state(state, rbm)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("constant", [-3.3, -0.0527, 7.1])
def test_a_constant_column_is_not_scaled_by_its_rounding_error(dtype, constant):
    # The computed standard deviation of a constant column is rounding noise
    # (4e-16 for -3.3 over 1347 rows in float64, 1e-6 in float32): dividing
    # by it made the column 1e15 times too large for the Gaussian units.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1347, 4)).astype(dtype)
    X[:, 1] = constant
    rbm = RBMTransformer(n_components=3, visible="gaussian", n_iter=2, random_state=0).fit(X)
    assert rbm.visible_scale_[1] == 1.0
    np.testing.assert_allclose(rbm.visible_scale_[[0, 2, 3]], X[:, [0, 2, 3]].std(axis=0),
                               rtol=1e-4)
    assert np.abs(rbm.components_).max() < 10
