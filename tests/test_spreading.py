"""Label spreading (skdbn._spreading) against direct computations."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.neighbors import kneighbors_graph

from skdbn._spreading import certainty, neighbour_graph, principal_components, spread_labels


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=6.0, size=(3, 5))
    labels = np.repeat(np.arange(3), 40)
    return centres[labels] + rng.normal(size=(120, 5)), labels


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_neighbour_graph_is_the_symmetrised_knn_graph(blobs, dtype, monkeypatch):
    X, _ = blobs
    X = X.astype(dtype)
    # Small chunks, so the chunked loop runs several times.
    monkeypatch.setattr("skdbn._spreading._CHUNK_ELEMENTS", 7 * X.shape[0])
    expected = kneighbors_graph(X.astype(np.float64), 4, include_self=False)
    expected = expected.maximum(expected.T).toarray()
    np.testing.assert_array_equal(neighbour_graph(X, 4).toarray(), expected)


def test_spread_labels_solves_the_linear_system(blobs):
    X, labels = blobs
    graph = neighbour_graph(X, 5)
    Y = np.zeros((len(labels), 3))
    seeds = [0, 40, 80, 1]
    Y[seeds, labels[seeds]] = 1
    degrees = np.asarray(graph.sum(axis=1)).ravel()
    S = graph.toarray() / np.sqrt(np.outer(degrees, degrees))
    F = np.linalg.solve(np.eye(len(labels)) - 0.9 * S, Y)
    F = np.maximum(F, 0)
    expected = F / F.sum(axis=1, keepdims=True)
    got = spread_labels(graph, Y, alpha=0.9, n_iterations=200)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    assert np.mean(got.argmax(axis=1) == labels) == 1.0


def test_rows_no_label_reaches_are_uniform():
    graph = neighbour_graph(np.array([[0.0], [0.1], [9.0], [9.1]]), 1)
    Y = np.zeros((4, 2))
    Y[0, 1] = 1
    F = spread_labels(graph, Y)
    np.testing.assert_allclose(F[2:], 0.5)
    assert F[1].argmax() == 1


def test_certainty():
    F = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(certainty(F), [1.0, 0.0, 1 - np.log(2) / np.log(3)], atol=1e-12)


def test_principal_components_span_pca_subspace(blobs):
    X, _ = blobs
    got = principal_components(X.copy(), 2)
    expected = PCA(2).fit_transform(X)
    # The same subspace and distances: each column equals PCA's up to its sign.
    for j in range(2):
        np.testing.assert_allclose(np.abs(got[:, -1 - j]), np.abs(expected[:, j]), rtol=1e-8,
                                   atol=1e-8)
