"""Threads of our own for both training loops and the likelihood estimates.

:class:`BlockRunner` runs fixed blocks of a step (row blocks of a batch,
blocks of weight rows) on the calling thread and a few workers, with BLAS
single-threaded; numpy releases the GIL inside both. At batch sizes around
100 BLAS's own threads split only the products, and between products they
spin on the cores the rest of the step needs, which on a shared machine makes
a 2-thread BLAS call many times slower than a 1-thread one; our idle workers
sleep instead. Measurements: ``benchmarks/README.md``.
"""

import functools
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

# Rows per block of a batch: smaller blocks make slower products per flop.
ROWS_PER_BLOCK = 50

# Multiply-adds of a step's products (batch size x weights) below which a
# step is too short for the hand-offs to other threads to pay.
MIN_PARALLEL_WORK = 5_000_000


@functools.cache
def _controller():
    """One threadpoolctl controller per process: creating one scans the loaded
    libraries (milliseconds), using it costs microseconds."""
    return ThreadpoolController()


def one_blas_thread():
    """A context manager that runs BLAS single-threaded inside and restores it after.

    Examples
    --------
    >>> from skdbn._threads import blas_threads, one_blas_thread
    >>> with one_blas_thread():
    ...     blas_threads()
    1
    """
    return _controller().limit(limits=1, user_api="blas")


def blas_threads():
    """The number of threads BLAS may use: the user's setting, respected as ours.

    Set through ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` or
    ``threadpoolctl.threadpool_limits``; the largest over the BLAS libraries
    loaded (numpy and SciPy each bundle one).

    Examples
    --------
    >>> from skdbn._threads import blas_threads
    >>> blas_threads() >= 1
    True
    """
    counts = [lib["num_threads"] for lib in _controller().info() if lib["user_api"] == "blas"]
    return max(counts, default=1)


def even_slices(n, n_blocks):
    """``n_blocks`` consecutive slices of ``range(n)``, as equal as possible.

    Examples
    --------
    >>> from skdbn._threads import even_slices
    >>> even_slices(5, 2)
    [slice(0, 2, None), slice(2, 5, None)]
    """
    return [slice(k * n // n_blocks, (k + 1) * n // n_blocks) for k in range(n_blocks)]


def block_generators(random_state, n_blocks):
    """One random generator per block: ``random_state`` itself, then new ones seeded from it.

    The samples of a row then depend on its block only, never on the thread
    that runs it, and a step of one block samples as it would without blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn._threads import block_generators
    >>> rng = np.random.default_rng(0)
    >>> generators = block_generators(rng, 3)
    >>> len(generators), generators[0] is rng
    (3, True)
    """
    seeds = random_state.integers(2**63, size=n_blocks - 1)
    return [random_state] + [np.random.default_rng(seed) for seed in seeds]


class BlockRunner:
    """Run ``func(block)`` for many blocks on this thread and ``n_workers - 1`` others.

    A context manager: entering it limits BLAS to one thread and starts the
    workers; leaving it stops them and restores the BLAS setting. Enter it
    once per epoch, not per batch (starting and stopping the workers costs
    far more than a :meth:`run`, about 10 microseconds beyond the blocks).

    Parameters
    ----------
    n_workers : int
        Threads in all, the calling one included; 1 runs every block in
        order on the calling thread.

    Examples
    --------
    >>> from skdbn._threads import BlockRunner
    >>> squares = [0] * 4
    >>> def square(k):
    ...     squares[k] = k * k
    >>> with BlockRunner(2) as runner:
    ...     runner.run(square, range(4))
    >>> squares
    [0, 1, 4, 9]
    """

    def __init__(self, n_workers):
        self.n_workers = max(1, int(n_workers))
        self._pool = None
        self._blas_limit = None

    def __enter__(self):
        self._blas_limit = one_blas_thread()
        if self.n_workers > 1:
            self._pool = ThreadPoolExecutor(self.n_workers - 1, thread_name_prefix="skdbn")
        return self

    def __exit__(self, *exc_info):
        if self._pool is not None:
            self._pool.shutdown()  # waits for running blocks
        self._blas_limit.restore_original_limits()
        self._pool, self._blas_limit = None, None

    def run(self, func, blocks):
        """Call ``func(block)`` once for every block; return when all are done.

        All threads take blocks from one queue, so the calling thread goes on
        alone when a worker has not been scheduled yet (on a loaded machine),
        and any number of blocks is shared fairly. A worker's exception is
        raised here.
        """
        if self._pool is None:
            for block in blocks:
                func(block)
            return
        queue = deque(blocks)  # popleft is atomic: no lock needed

        def drain():
            while queue:
                try:
                    block = queue.popleft()
                except IndexError:  # another thread took the last one
                    return
                func(block)

        futures = [self._pool.submit(drain) for _ in range(self.n_workers - 1)]
        drain()
        for future in futures:
            if not future.cancel():  # a worker that never started needs no wait
                future.result()
