"""Every matrix product and reduction of skdbn: products through numpy's BLAS only.

numpy and SciPy each bundle their own OpenBLAS, each with its own thread pool.
A loop that calls both leaves one pool's idle threads spinning on the cores
the other pool needs: float64 fine-tuning that mixed SciPy's ``gemm`` with
numpy's ``vdot`` ran 8 times slower than ``MLPClassifier`` on 2 cores. So the
training loops and prediction reach BLAS only through this module, and this
module only calls numpy's, the library scikit-learn uses too: one pool, which
``threadpoolctl`` or ``OPENBLAS_NUM_THREADS`` limits as users expect.
Reductions (inner products, squared norms) do not use BLAS at all: they are
memory-bound, and OpenBLAS threads a float64 ``dot`` of a few thousand numbers,
waking its spinning pool for microseconds of work (measured on a busy 2-core
machine: the squared norms of fine-tuning took as long as all its products).
``tests/test_blas.py`` fails if another module calls BLAS itself.
"""

import numpy as np
from scipy.sparse import issparse


def matmul(a, b, out=None):
    """``a @ b`` as a dense array, into ``out`` when given; either may be sparse.

    Transposed views (``X.T``) go to BLAS as they are, without a copy. A
    sparse operand is multiplied by SciPy's sparse kernels, which are not BLAS.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._blas import matmul
    >>> matmul(np.ones((2, 3)), np.ones((3, 1))).ravel()
    array([3., 3.])
    """
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):  # the common case, fast
        return np.matmul(a, b, out=out)
    if issparse(a) or issparse(b):
        product = np.asarray(a @ b)
        if out is None:
            return product
        out[...] = product
        return out
    return np.matmul(a, b, out=out)


def dot(a, b):
    """Inner product of two 1-D arrays, as a Python float (numpy's loops, not BLAS).

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._blas import dot
    >>> dot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    11.0
    """
    return float(np.einsum("i,i->", a, b))


def squared_norm(a):
    """``sum(a ** 2)`` over all entries (Frobenius norm squared), as a Python float.

    numpy's own loops, not BLAS (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._blas import squared_norm
    >>> squared_norm(np.array([[3.0], [4.0]]))
    25.0
    """
    flat = a.reshape(-1)
    return float(np.einsum("i,i->", flat, flat))
