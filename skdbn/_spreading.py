"""Label spreading over a nearest-neighbour graph: pseudo-labels for unlabelled rows.

Zhou et al. (2004), "Learning with local and global consistency": with ``A``
the symmetric k-nearest-neighbour graph of the rows (1 where one row is among
the other's ``k`` nearest), ``D`` its degrees and ``S = D^-1/2 A D^-1/2``,
the class scores ``F`` of every row solve ``(I - alpha S) F = Y``, where
``Y`` holds the one-hot labels of the labelled rows and zeros elsewhere:
labels flow along the graph, and ``alpha`` near 1 lets them flow far. Iscen
et al. (2019) use the solution as the targets of the unlabelled rows, each
weighted by its certainty, ``1 - entropy / log(n_classes)`` of the
normalised scores, and refresh it from the features of the network being
trained; :class:`skdbn.DBNClassifier` does so with ``pseudo_labels="graph"``.

The neighbours are found by brute force in a 50-dimensional principal
subspace of the features (exact, in chunks of a few MiB); every product goes
through :mod:`skdbn._blas`.
"""

import numpy as np
import scipy.sparse as sp

from . import _blas

N_NEIGHBORS = 10
N_COMPONENTS = 50
ALPHA = 0.99
CG_ITERATIONS = 20
_CHUNK_ELEMENTS = 1 << 22  # distances held at once: 16 MiB in float32


def principal_components(F, n_components=N_COMPONENTS):
    """``F`` centred (in place) and projected on its ``n_components`` leading principal axes.

    The axes are the top eigenvectors of the covariance matrix (numpy's
    LAPACK, the library :mod:`skdbn._blas` uses), so the result is exact and
    deterministic. Features no wider than ``n_components`` are only centred.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._spreading import principal_components
    >>> F = np.random.default_rng(0).normal(size=(100, 8))
    >>> principal_components(F, 3).shape
    (100, 3)
    """
    centred = F
    centred -= F.mean(axis=0)
    if F.shape[1] <= n_components:
        return centred
    covariance = _blas.matmul(centred.T, centred)
    _, vectors = np.linalg.eigh(covariance)  # ascending eigenvalues
    return _blas.matmul(centred, np.ascontiguousarray(vectors[:, -n_components:]))


def neighbour_graph(F, n_neighbors=N_NEIGHBORS):
    """The symmetric k-nearest-neighbour graph of the rows of ``F`` (CSR, 0/1 weights).

    Row ``i`` is linked to row ``j`` when either is among the other's
    ``n_neighbors`` nearest rows in Euclidean distance (itself excluded).

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._spreading import neighbour_graph
    >>> F = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> neighbour_graph(F, 1).toarray()
    array([[0., 1., 0., 0.],
           [1., 0., 0., 0.],
           [0., 0., 0., 1.],
           [0., 0., 1., 0.]])
    """
    n = F.shape[0]
    k = min(n_neighbors, n - 1)
    squared = np.einsum("ij,ij->i", F, F)
    neighbours = np.empty((n, k), dtype=np.intp)
    chunk = max(1, _CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        # |a - b|^2 up to the row's own |a|^2, which does not change its order
        distances = _blas.matmul(F[start:stop], F.T)
        distances *= -2
        distances += squared
        distances[np.arange(stop - start), np.arange(start, stop)] = np.inf
        neighbours[start:stop] = np.argpartition(distances, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(n), k)
    graph = sp.csr_matrix((np.ones(n * k), (rows, neighbours.ravel())), shape=(n, n))
    graph = graph.maximum(graph.T)
    return graph.tocsr()


def spread_labels(graph, Y, alpha=ALPHA, n_iterations=CG_ITERATIONS):
    """Class distributions of every node: labels ``Y`` spread over ``graph``.

    Solves ``(I - alpha S) F = Y`` by conjugate gradients, all classes at once,
    and normalises each row of ``F`` (negative scores clipped to 0) to sum to
    one; a row that no label reaches gets the uniform distribution.

    Parameters
    ----------
    graph : sparse matrix of shape (n, n)
        Symmetric non-negative adjacency, e.g. from :func:`neighbour_graph`.
    Y : ndarray of shape (n, n_classes)
        One-hot rows for labelled nodes, zero rows for unlabelled ones.
    alpha : float, default=0.99
        How far labels flow, in [0, 1).
    n_iterations : int, default=20
        Conjugate-gradient iterations.

    Returns
    -------
    distributions : ndarray of shape (n, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._spreading import neighbour_graph, spread_labels
    >>> F = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> Y = np.zeros((6, 2)); Y[0, 0] = Y[5, 1] = 1
    >>> spread_labels(neighbour_graph(F, 2), Y).argmax(axis=1)
    array([0, 0, 0, 1, 1, 1])
    """
    degrees = np.asarray(graph.sum(axis=1)).ravel()
    scale = 1.0 / np.sqrt(np.maximum(degrees, np.finfo(float).tiny))
    S = graph.multiply(scale[:, None]).multiply(scale[None, :]).tocsr()  # D^-1/2 A D^-1/2

    def A(F):
        return F - alpha * _blas.matmul(S, F)

    F = np.zeros_like(Y, dtype=float)
    residual = np.asarray(Y, dtype=float).copy()
    direction = residual.copy()
    rr = np.einsum("ij,ij->j", residual, residual)
    for _ in range(n_iterations):
        if not rr.any():
            break
        Ad = A(direction)
        step = rr / np.maximum(np.einsum("ij,ij->j", direction, Ad), np.finfo(float).tiny)
        F += step * direction
        residual -= step * Ad
        rr_next = np.einsum("ij,ij->j", residual, residual)
        direction = residual + (rr_next / np.maximum(rr, np.finfo(float).tiny)) * direction
        rr = rr_next
    np.maximum(F, 0, out=F)
    totals = F.sum(axis=1, keepdims=True)
    unreached = totals[:, 0] <= 0
    F[unreached] = 1.0
    totals[unreached] = Y.shape[1]
    return F / totals


def certainty(distributions):
    """``1 - entropy / log(n_classes)`` of each row: 1 for one-hot, 0 for uniform.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._spreading import certainty
    >>> certainty(np.array([[1.0, 0.0], [0.5, 0.5]]))
    array([1., 0.])
    """
    p = np.clip(distributions, np.finfo(float).tiny, 1.0)
    entropy = -np.einsum("ij,ij->i", distributions, np.log(p))
    return np.clip(1.0 - entropy / np.log(distributions.shape[1]), 0.0, 1.0)
