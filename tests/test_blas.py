"""One BLAS library: every product of the training loops and of prediction goes
through ``skdbn._blas`` (numpy's BLAS), and nothing calls SciPy's BLAS or LAPACK.

Two BLAS libraries in one loop make their thread pools fight for the cores
(float64 fine-tuning once ran 8x slower than MLPClassifier that way), so these
tests fail as soon as a module calls BLAS by itself or reaches SciPy's.
"""

import ast
import pathlib

import numpy as np
import pytest
import scipy.linalg
import scipy.linalg.blas
import scipy.linalg.lapack
from scipy.sparse import csr_matrix
from sklearn.datasets import load_digits

import skdbn
from skdbn import DBNClassifier, RBMTransformer, _blas

PACKAGE = pathlib.Path(skdbn.__file__).parent
# Functions that reach BLAS (numpy's or, through scikit-learn, any).
BLAS_NAMES = {"dot", "vdot", "matmul", "inner", "tensordot", "safe_sparse_dot",
              "get_blas_funcs", "get_lapack_funcs"}
# Modules that run no training loop and no prediction: the command line only
# calls the estimators, and the likelihood estimates (AIS) use numpy's ``@``,
# the same library. They are still checked for SciPy's BLAS.
NOT_LOOPS = {"_blas.py", "_cli.py", "__main__.py", "_likelihood.py"}


def _modules(skip=()):
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if not (skip and (relative.name in skip or relative.parts[0] == "compare")):
            yield path


def _blas_calls(tree):
    """``(line, what)`` for each BLAS use in a module's syntax tree."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            yield node.lineno, "the @ operator"
        elif isinstance(node, ast.Attribute) and node.attr in BLAS_NAMES:
            via_blas_module = isinstance(node.value, ast.Name) and node.value.id == "_blas"
            if not via_blas_module:
                yield node.lineno, node.attr
        elif isinstance(node, ast.Name) and node.id in BLAS_NAMES:
            yield node.lineno, node.id
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scipy.linalg"):
            yield node.lineno, f"import from {node.module}"
        elif isinstance(node, ast.Import) and any(
            alias.name.startswith("scipy.linalg") for alias in node.names
        ):
            yield node.lineno, "import scipy.linalg"


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: p.name)
def test_no_module_uses_scipy_blas(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    found = [f"{path.name}:{line} {what}" for line, what in _blas_calls(tree)
             if "scipy" in what or what.startswith("get_")]
    assert not found, "SciPy's BLAS/LAPACK, a second BLAS library: " + ", ".join(found)


@pytest.mark.parametrize("path", list(_modules(skip=NOT_LOOPS)), ids=lambda p: p.name)
def test_loops_reach_blas_only_through_the_blas_module(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    found = [f"{path.name}:{line} {what}" for line, what in _blas_calls(tree)]
    assert not found, (
        "BLAS called outside skdbn/_blas.py (use _blas.matmul / dot / squared_norm): "
        + ", ".join(found)
    )


def test_the_blas_module_uses_numpy_only():
    tree = ast.parse((PACKAGE / "_blas.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"numpy", "scipy.sparse"}


def test_the_scanner_finds_each_kind_of_blas_call():
    source = ("import scipy.linalg\nfrom scipy.linalg.blas import get_blas_funcs\n"
              "a @ b\nnp.dot(a, b)\nc @= d\nX.dot(w)\n_blas.matmul(a, b)\n")
    lines = sorted(line for line, _ in _blas_calls(ast.parse(source)))
    assert lines == [1, 2, 3, 4, 5, 6]


@pytest.fixture
def counted(monkeypatch):
    """Count the calls into ``skdbn._blas``; make SciPy's BLAS and LAPACK raise."""
    counts = dict.fromkeys(["matmul", "dot", "squared_norm"], 0)
    for name in counts:
        original = getattr(_blas, name)

        def wrapper(*args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(_blas, name, wrapper)

    def forbidden(*args, **kwargs):
        raise AssertionError("SciPy's BLAS/LAPACK called: a second BLAS library")

    for module in (scipy.linalg, scipy.linalg.blas, scipy.linalg.lapack):
        for name in ("get_blas_funcs", "get_lapack_funcs"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, forbidden)
    return counts


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sparse", [False, True])
def test_rbm_training_and_transform_go_through_the_blas_module(counted, digits, dtype, sparse):
    X = digits[0].astype(dtype)
    X = csr_matrix(X) if sparse else X
    rbm = RBMTransformer(n_components=16, batch_size=50, n_iter=2, random_state=0)
    rbm.fit(X)
    n_batches = 2 * 300 // 50
    # Each CD-1 step: hidden, visible, hidden products, weight and bias gradients.
    assert counted["matmul"] >= 5 * n_batches
    before = counted["matmul"]
    rbm.transform(X)
    assert counted["matmul"] > before


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_fine_tuning_and_prediction_go_through_the_blas_module(counted, digits, dtype, solver):
    X, y = digits[0].astype(dtype), digits[1]
    clf = DBNClassifier((20, 10), pretrain=False, solver=solver, max_iter=2, batch_size=100,
                        random_state=0)
    clf.fit(X, y)
    n_batches = 2 * 3
    # Forward 3 products, backward 3 gradients and 2 deltas per batch.
    assert counted["matmul"] >= 8 * n_batches
    assert counted["squared_norm"] >= n_batches  # penalty and gradient norms
    before = counted["matmul"]
    clf.predict(X)
    assert counted["matmul"] >= before + 3


def test_pretraining_goes_through_the_blas_module(counted, digits):
    X, y = digits
    DBNClassifier((16,), rbm=RBMTransformer(n_iter=1), max_iter=1, random_state=0).fit(X, y)
    assert counted["matmul"] > 0
