"""The partition function of an RBM: exact by enumeration, or estimated by AIS.

The model is the one of :class:`~skdbn.RBMTransformer`, with weights ``W`` of
shape ``(n_hidden, n_visible)``, visible biases ``b`` and hidden biases ``c``:

* Bernoulli visible units: ``E(v, h) = -b.v - c.h - v W^T h``, ``v`` binary;
* Gaussian visible units: ``E(x, h) = ||x - b||^2 / 2 - c.h - x W^T h``, ``x``
  real (the data divided by ``visible_scale_``).

``Z = sum_{v, h} exp(-E(v, h))`` (an integral over ``x`` for Gaussian units).
Every function here is pure: arrays in, numbers out, randomness passed in.
"""

import numpy as np
from scipy.special import logsumexp

from ._base import logistic, sample_bernoulli, sample_gaussian, softplus
from ._threads import BlockRunner, blas_threads, even_slices

# Largest side that log_partition_exact enumerates: 2**20 states.
MAX_EXACT_UNITS = 20

# Salakhutdinov & Murray (2008): beta steps of 1e-3 up to 0.5, 1e-4 up to 0.9
# and 1e-5 up to 1, i.e. (end of segment, number of steps in it).
_SM_SCHEDULE = ((0.5, 500), (0.9, 4000), (1.0, 10000))
SM_N_BETAS = sum(steps for _, steps in _SM_SCHEDULE)  # 14,500
_LOG_2PI = float(np.log(2 * np.pi))


def _states(start, stop, n_units):
    """Binary vectors number ``start .. stop - 1`` of ``n_units`` bits, float64."""
    codes = np.arange(start, stop, dtype=np.int64)[:, None]
    return ((codes >> np.arange(n_units)) & 1).astype(np.float64)


def _log_sum_over_states(n_units, n_other, log_term):
    """``logsumexp`` of ``log_term(states)`` over all ``2**n_units`` states, in chunks."""
    chunk = max(1, 2**22 // max(n_other, 1))  # about 32 MiB of float64 per chunk
    parts = [
        logsumexp(log_term(_states(start, min(start + chunk, 2**n_units), n_units)))
        for start in range(0, 2**n_units, chunk)
    ]
    return float(logsumexp(parts))


def log_partition_exact(weights, visible_bias, hidden_bias, *, visible="bernoulli"):
    """Exact ``log Z`` by enumerating the smaller side of the RBM.

    The other side is summed (Bernoulli) or integrated (Gaussian) analytically:

    * over hidden states: ``log Z = logsumexp_h [c.h + sum_i softplus(b_i +
      (h W)_i)]`` (Bernoulli) or ``logsumexp_h [c.h + (||b + h W||^2 -
      ||b||^2) / 2] + n_visible log(2 pi) / 2`` (Gaussian);
    * over visible states (Bernoulli only): ``logsumexp_v [b.v + sum_j
      softplus(c_j + (v W^T)_j)]``.

    Computed in float64, ``2**22 // n_other`` states at a time.

    Parameters
    ----------
    weights : ndarray of shape (n_hidden, n_visible)
        Weights ``W``.
    visible_bias : ndarray of shape (n_visible,)
        Visible biases ``b``.
    hidden_bias : ndarray of shape (n_hidden,)
        Hidden biases ``c``.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        Type of the visible units.

    Returns
    -------
    log_z : float
        The log partition function, in nats.

    Raises
    ------
    ValueError
        If the side to enumerate has more than ``MAX_EXACT_UNITS`` (20) units.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._likelihood import log_partition_exact
    >>> W = np.zeros((2, 3))  # no interactions: Z = 2**3 * 2**2
    >>> bool(np.isclose(log_partition_exact(W, np.zeros(3), np.zeros(2)), 5 * np.log(2)))
    True
    """
    W = np.asarray(weights, dtype=np.float64)
    b = np.asarray(visible_bias, dtype=np.float64)
    c = np.asarray(hidden_bias, dtype=np.float64)
    n_hidden, n_visible = W.shape
    if visible == "bernoulli" and n_visible < n_hidden:
        W, b, c = W.T, c, b  # the model is symmetric: enumerate the visible side
        n_hidden, n_visible = n_visible, n_hidden
    if n_hidden > MAX_EXACT_UNITS:
        side = "hidden units" if visible == "gaussian" else "units on either side"
        raise ValueError(
            f"Exact log Z enumerates 2**n states and needs at most {MAX_EXACT_UNITS} "
            f"{side}; this RBM has {n_hidden}. Use log_partition_ais."
        )
    if visible == "gaussian":

        def log_term(h):
            mean = h @ W + b
            return h @ c + 0.5 * (np.einsum("ij,ij->i", mean, mean) - b @ b)

        return _log_sum_over_states(n_hidden, n_visible, log_term) + 0.5 * n_visible * _LOG_2PI

    def log_term(h):
        return h @ c + softplus(h @ W + b).sum(axis=1)

    return _log_sum_over_states(n_hidden, n_visible, log_term)


def ais_betas(n_betas=SM_N_BETAS):
    """Inverse temperatures ``0 = beta_0 < ... < beta_K = 1`` of the AIS schedule.

    The default is Salakhutdinov and Murray's: steps of 1e-3 up to 0.5, 1e-4
    up to 0.9 and 1e-5 up to 1 (14,500 steps). Other ``n_betas`` keep the same
    shape, spreading the steps over the three segments in the same proportions.

    Parameters
    ----------
    n_betas : int, default=14500
        Number ``K`` of intermediate distributions (steps), at least 1.

    Returns
    -------
    betas : ndarray of shape (n_betas + 1,)
        Increasing from 0 to 1, float64.

    Examples
    --------
    >>> from skdbn._likelihood import ais_betas
    >>> betas = ais_betas()
    >>> len(betas), float(betas[500]), float(betas[4500])
    (14501, 0.5, 0.9)
    """
    n_betas = int(n_betas)
    if n_betas < 1:
        raise ValueError(f"n_betas must be at least 1, got {n_betas}.")
    counts = [round(n_betas * steps / SM_N_BETAS) for _, steps in _SM_SCHEDULE[:-1]]
    counts.append(n_betas - sum(counts))
    betas, start = [np.zeros(1)], 0.0
    for (stop, _), count in zip(_SM_SCHEDULE, counts):
        if count > 0:
            betas.append(np.linspace(start, stop, count + 1)[1:])
            start = stop
    return np.concatenate(betas)


def log_partition_ais(
    weights,
    visible_bias,
    hidden_bias,
    *,
    visible="bernoulli",
    base_visible_bias=None,
    n_runs=100,
    betas=None,
    random_state=None,
):
    """Estimate ``log Z`` by annealed importance sampling (Neal, 2001).

    The runs anneal from a base model A with visible biases ``b_A`` and no
    weights (its ``Z_A`` is known) to the RBM B through the distributions
    ``p_k(v) ~ exp(-(1 - beta_k) E_A - beta_k E_B)``, summed over ``h``, one
    Gibbs step ``v -> h -> v`` of ``p_k`` per ``beta_k``. The importance
    weights ``w = prod_k p*_k(v_k) / p*_{k-1}(v_k)`` have mean ``Z_B / Z_A``.
    Salakhutdinov & Murray (2008) take ``b_A`` from the training data (the
    base-rate model), which makes ``p_0`` close to the data and the weights
    far less variable than a uniform start. All runs advance together as the
    rows of one matrix, in the dtype of ``weights``; log weights add up in
    float64.

    Parameters
    ----------
    weights : ndarray of shape (n_hidden, n_visible)
        Weights ``W`` (float32 or float64).
    visible_bias : ndarray of shape (n_visible,)
        Visible biases ``b_B``.
    hidden_bias : ndarray of shape (n_hidden,)
        Hidden biases ``c``.
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        Type of the visible units.
    base_visible_bias : ndarray of shape (n_visible,) or None, default=None
        Visible biases ``b_A`` of the base model: the log-odds of the training
        data's feature means (Bernoulli) or their (scaled) means (Gaussian,
        where the base model is ``N(b_A, I)``). None means zeros.
    n_runs : int, default=100
        Number of independent annealing runs.
    betas : ndarray of shape (K + 1,) or None, default=None
        Increasing inverse temperatures from 0 to 1; None is
        :func:`ais_betas`'s Salakhutdinov-Murray schedule (14,500 steps).
    random_state : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    log_z : float
        ``log Z_A + log mean(w)``.
    interval : tuple of float
        ``log Z_A + log(mean(w) -/+ 3 std(w) / sqrt(n_runs))``: three standard
        errors of the estimate of ``Z`` either side, as Salakhutdinov and
        Murray report; the low end is ``-inf`` when ``mean(w)`` is within
        three standard errors of 0, and both ends are infinite for one run.

    References
    ----------
    Neal, R. M. (2001). Annealed importance sampling. Statistics and
    Computing 11(2).

    Salakhutdinov, R. and Murray, I. (2008). On the quantitative analysis of
    deep belief networks. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._likelihood import log_partition_ais, log_partition_exact
    >>> rng = np.random.default_rng(0)
    >>> W, b, c = rng.normal(0, 0.5, (5, 8)), rng.normal(0, 1, 8), np.zeros(5)
    >>> log_z, (low, high) = log_partition_ais(
    ...     W, b, c, n_runs=50, betas=np.linspace(0, 1, 1001), random_state=rng)
    >>> abs(log_z - log_partition_exact(W, b, c)) < 0.05
    True
    """
    W = np.asarray(weights)
    dtype = W.dtype if W.dtype in (np.float32, np.float64) else np.float64
    W = np.ascontiguousarray(W, dtype=dtype)
    n_hidden, n_visible = W.shape
    b_B = np.asarray(visible_bias, dtype=dtype)
    c = np.asarray(hidden_bias, dtype=dtype)
    b_A = np.zeros(n_visible, dtype) if base_visible_bias is None else (
        np.asarray(base_visible_bias, dtype=dtype))
    betas = ais_betas() if betas is None else np.asarray(betas, dtype=np.float64)
    _check_betas(betas)
    gaussian = visible == "gaussian"
    rng = random_state if random_state is not None else np.random.default_rng()
    n_runs = int(n_runs)
    # Blocks of runs anneal independently, on threads of our own with
    # single-threaded BLAS (see _threads.py); the blocks and their generators
    # depend only on the sizes, so the result does not depend on the threads.
    blocks = even_slices(n_runs, _n_blocks(n_runs, n_hidden + n_visible))
    rngs = _spawn(rng, len(blocks))
    log_w = np.zeros(n_runs)

    def anneal(k):
        log_w[blocks[k]] = _anneal(
            W, b_A, b_B, c, betas, blocks[k].stop - blocks[k].start, gaussian, rngs[k]
        )

    with BlockRunner(min(len(blocks), blas_threads())) as runner:
        runner.run(anneal, range(len(blocks)))
    return _estimate(log_w, _log_base_partition(b_A, n_hidden, gaussian))


def _n_blocks(n_runs, n_units):
    """Blocks of runs: up to 4, each worth a thread (at least ~20,000 unit states)."""
    return int(min(4, n_runs, max(1, n_runs * n_units // 20_000)))


def _spawn(rng, n):
    """``n`` independent generators derived from ``rng``."""
    try:
        return rng.spawn(n)
    except TypeError:  # a bit generator without a SeedSequence
        return [np.random.default_rng(seed) for seed in rng.integers(2**63, size=n)]


def _anneal(W, b_A, b_B, c, betas, n_runs, gaussian, rng):
    """The log importance weights of ``n_runs`` runs from A to B, float64."""
    x = _sample_base(b_A, n_runs, gaussian, rng)
    log_w = np.zeros(n_runs)
    # The visible part of log p*_k(v) - log p*_{k-1}(v) is linear in v:
    # (beta_k - beta_{k-1}) ((b_B - b_A).v - offset), offset = 0 for Bernoulli
    # units and (||b_B||^2 - ||b_A||^2) / 2 for Gaussian ones.
    direction = (b_B - b_A).astype(np.float64)
    offset = 0.5 * float(b_B @ b_B - b_A @ b_A) if gaussian else 0.0
    pre = x @ W.T
    pre += c
    for k in range(1, len(betas)):
        log_w += (betas[k] - betas[k - 1]) * (x @ direction - offset)
        log_w += _hidden_log_ratio(pre, betas[k - 1], betas[k])
        if k < len(betas) - 1:
            x = _gibbs_step(pre, W, b_A, b_B, betas[k], gaussian, rng)
            pre = x @ W.T
            pre += c
    return log_w


def _check_betas(betas):
    if betas.ndim != 1 or len(betas) < 2 or betas[0] != 0 or betas[-1] != 1 or (
        np.any(np.diff(betas) <= 0)
    ):
        raise ValueError("betas must increase strictly from 0 to 1.")


def _sample_base(b_A, n_runs, gaussian, rng):
    """Exact samples of the base model: ``N(b_A, I)`` or ``Bernoulli(sigmoid(b_A))``."""
    mean = np.repeat(b_A[None, :], n_runs, axis=0)
    if gaussian:
        return sample_gaussian(mean, rng, out=mean)
    return sample_bernoulli(logistic(mean, out=mean), rng, out=mean)


def _hidden_log_ratio(pre, beta_prev, beta):
    """``sum_j softplus(beta a_j) - softplus(beta_prev a_j)`` per run, ``a = x W^T + c``.

    The hidden units summed out of ``p_k`` contribute ``prod_j (1 +
    exp(beta_k a_j))``; at ``beta = 0`` this is the base model's ``2**n_hidden``.
    """
    high = pre * pre.dtype.type(beta)
    softplus(high, out=high)
    low = pre * pre.dtype.type(beta_prev)
    softplus(low, out=low)
    high -= low
    return high.sum(axis=1, dtype=np.float64)


def _gibbs_step(pre, W, b_A, b_B, beta, gaussian, rng):
    """One ``v -> h -> v`` step of ``p_beta``, given ``pre = x W^T + c`` of the current ``x``.

    ``h_j ~ Bernoulli(sigmoid(beta a_j))``; then the visible units see the
    biases ``(1 - beta) b_A + beta (b_B + h W)``: the mean of the unit-variance
    Gaussian, or the input of the sigmoid.
    """
    h = logistic(pre * pre.dtype.type(beta))
    h = sample_bernoulli(h, rng, out=h)
    mean = h @ W
    mean += b_B
    mean *= pre.dtype.type(beta)
    mean += pre.dtype.type(1 - beta) * b_A
    if gaussian:
        return sample_gaussian(mean, rng, out=mean)
    return sample_bernoulli(logistic(mean, out=mean), rng, out=mean)


def _log_base_partition(b_A, n_hidden, gaussian):
    """``log Z_A``: independent visible units, and ``2**n_hidden`` hidden states."""
    hidden = n_hidden * np.log(2.0)
    if gaussian:
        return hidden + 0.5 * len(b_A) * _LOG_2PI
    return hidden + float(softplus(b_A.astype(np.float64)).sum())


def _estimate(log_w, log_z_base):
    """``log Z`` and the log of mean -/+ 3 standard errors of the weights."""
    shift = log_w.max()
    w = np.exp(log_w - shift)
    mean = w.mean()
    log_z = log_z_base + shift + np.log(mean)
    if len(w) < 2:
        return float(log_z), (-np.inf, np.inf)
    error = 3 * w.std(ddof=1) / np.sqrt(len(w))
    low = log_z_base + shift + np.log(mean - error) if mean > error else -np.inf
    high = log_z_base + shift + np.log(mean + error)
    return float(log_z), (float(low), float(high))


def log_partition(
    weights, visible_bias, hidden_bias, *, visible="bernoulli", base_visible_bias=None,
    n_runs=100, n_betas=SM_N_BETAS, random_state=None,
):
    """``log Z`` and its interval: exact when one side can be enumerated, else AIS.

    Exact (:func:`log_partition_exact`, interval of zero width) when the
    hidden side, or for Bernoulli units either side, has at most
    ``MAX_EXACT_UNITS`` units; otherwise :func:`log_partition_ais` with
    ``n_runs`` runs over :func:`ais_betas` ``(n_betas)``.

    Returns
    -------
    log_z : float
    interval : tuple of float

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._likelihood import log_partition
    >>> log_partition(np.zeros((2, 3)), np.zeros(3), np.zeros(2))[1][0] > 3.46
    True
    """
    n_hidden, n_visible = np.shape(weights)
    smaller = n_hidden if visible == "gaussian" else min(n_hidden, n_visible)
    if smaller <= MAX_EXACT_UNITS:
        log_z = log_partition_exact(weights, visible_bias, hidden_bias, visible=visible)
        return log_z, (log_z, log_z)
    return log_partition_ais(
        weights, visible_bias, hidden_bias, visible=visible,
        base_visible_bias=base_visible_bias, n_runs=n_runs, betas=ais_betas(n_betas),
        random_state=random_state,
    )
