"""Out-of-core benchmark: an RBM trained by dask-ml's ``Incremental`` on a lazy array.

The training data is a Dask array that is never held in memory: each chunk
of rows is generated when ``Incremental`` asks for it (MNIST-sized 28 x 28
binary images: scikit-learn's 8 x 8 digits scaled up 3 times, padded, with
about 5 % of the pixels flipped), handed to ``RBMTransformer.partial_fit`` and
dropped. The script measures the process's peak resident memory and
compares it with the array's size and with a stated memory budget: the
array is ``--array-gib`` large, the budget ``--budget-mib``, and the run
passes when the peak stays under the budget although the array is several
times larger.

Two figures of memory are printed, in MiB:

* ``baseline``: the resident size after the imports, before training;
* ``peak``: the peak resident set size of the whole process
  (``resource.getrusage``, Linux), i.e. including Python, numpy, Dask and
  the baseline.

The scheduler matters. Generating (or reading) a chunk is a task with no
inputs, always ready to run, while each ``partial_fit`` waits for the one
before: with Dask's synchronous scheduler (the default here) or one Dask
thread, a chunk is made only when the training is ready for it; with two
threads the idle one makes chunk after chunk ahead of the training, and in
a run on the default 3 GiB array all of it ended up in memory. The RBM
trains on its own threads inside its task, so one Dask thread costs no
speed.

Usage (needs the ``dask`` extra; the default run takes 15 s to a few minutes,
depending on the load, so on the shared machine hold the benchmark lock)::

    flock /tmp/skdbn-bench.lock python benchmarks/bench_out_of_core.py
    python benchmarks/bench_out_of_core.py --array-gib 0.25 --check

Output on 2026-12-01 (2-core machine shared with other sessions)::

    $ python benchmarks/bench_out_of_core.py --check
    array: 1,027,176 x 784 float32 = 3,072 MiB in 103 chunks of 10,000 rows, generated lazily
    RBM: 784 -> 64, one partial_fit per chunk, scheduler sync
    time: 14.2 s (72,406 rows/s)
    reconstruction error: first chunk 0.0758, last chunk 0.0504, held-out 0.0507
    memory: baseline 300 MiB, peak 360 MiB (training added 61 MiB), budget 768 MiB
    array / peak = 8.5; array / budget = 4.0; within budget
    plain partial_fit loop: 14.0 s; Incremental / loop time = 1.01; largest weight ...

More in the "Out-of-core training" section of ``benchmarks/README.md``.
"""

import argparse
import time

import numpy as np
from bench_memory import MIB, current_rss, peak_rss

SIDE = 28
N_FEATURES = SIDE * SIDE
# Each pixel flips with probability FLIP_IN_256 / 256 (about 5 %): drawn as bytes,
# so a chunk needs 1 byte per pixel of temporaries, not 4.
FLIP_IN_256 = 13


def prototypes():
    """The 1,797 digits as 28 x 28 binary images, one row each (booleans)."""
    from sklearn.datasets import load_digits

    images = load_digits().images > 7  # (n, 8, 8) booleans
    big = np.kron(images, np.ones((3, 3), dtype=bool))  # (n, 24, 24)
    padded = np.zeros((len(images), SIDE, SIDE), dtype=bool)
    padded[:, 2:26, 2:26] = big
    return padded.reshape(len(images), N_FEATURES)


def make_block(protos, n_rows, seed):
    """One float32 chunk of rows: random prototypes with about 5 % of pixels flipped."""
    rng = np.random.default_rng(seed)
    rows = protos[rng.integers(len(protos), size=n_rows)]
    flip = rng.integers(256, size=rows.shape, dtype=np.uint8) < FLIP_IN_256
    np.logical_xor(rows, flip, out=rows)
    return rows.astype(np.float32)


def lazy_array(n_rows, chunk_rows):
    """A Dask array of ``n_rows`` generated rows; nothing is computed yet."""
    import dask.array as da

    protos = prototypes()
    n_chunks = -(-n_rows // chunk_rows)
    sizes = tuple(min(chunk_rows, n_rows - i * chunk_rows) for i in range(n_chunks))

    def block(block_info=None):
        index = block_info[None]["chunk-location"][0]
        return make_block(protos, sizes[index], seed=index)

    return da.map_blocks(
        block, chunks=(sizes, (N_FEATURES,)), dtype=np.float32,
        meta=np.empty((0, N_FEATURES), dtype=np.float32),
    )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--array-gib", type=float, default=3.0,
                        help="size of the generated training array in GiB (float32)")
    parser.add_argument("--budget-mib", type=float, default=768,
                        help="memory budget the peak resident size must stay under")
    parser.add_argument("--chunk-rows", type=int, default=10_000, help="rows per Dask chunk")
    parser.add_argument("--n-components", type=int, default=64, help="hidden units")
    parser.add_argument("--check", action="store_true",
                        help="also run partial_fit on the same chunks in a plain loop "
                        "(after the measurement): the same model, and the time ratio")
    parser.add_argument("--scheduler", choices=["sync", "threads", "distributed"],
                        default="sync", help="Dask's scheduler: synchronous, local threads "
                        "(--dask-threads), or an in-process distributed cluster with one "
                        "worker of --dask-threads threads")
    parser.add_argument("--dask-threads", type=int, default=1,
                        help="Dask's threads (the RBM runs its own threads inside a task)")
    return parser.parse_args()


def main():
    args = parse_args()
    import dask
    from dask_ml.wrappers import Incremental

    from skdbn import RBMTransformer

    n_rows = int(args.array_gib * 2**30 // (N_FEATURES * 4))
    X = lazy_array(n_rows, args.chunk_rows)
    held_out = make_block(prototypes(), 2000, seed=n_rows)  # no chunk's seed
    rbm = RBMTransformer(args.n_components, random_state=0)
    # Incremental checks that it can score the model: RBMTransformer.score.
    incremental = Incremental(rbm, shuffle_blocks=False)

    client = None
    if args.scheduler == "distributed":
        from distributed import Client, LocalCluster

        client = Client(LocalCluster(
            n_workers=1, threads_per_worker=args.dask_threads, processes=False,
            dashboard_address=None,
        ))
    config = {"scheduler": args.scheduler, "num_workers": args.dask_threads}
    baseline = current_rss()
    start = time.perf_counter()
    with dask.config.set(config if client is None else {}):
        incremental.fit(X)
    seconds = time.perf_counter() - start
    peak = peak_rss()
    fitted = incremental.estimator_

    array_mib = X.nbytes / MIB
    print(f"array: {n_rows:,} x {N_FEATURES} float32 = {array_mib:,.0f} MiB in "
          f"{len(X.chunks[0])} chunks of {args.chunk_rows:,} rows, generated lazily")
    print(f"RBM: {N_FEATURES} -> {args.n_components}, one partial_fit per chunk, "
          f"scheduler {args.scheduler}" + (
              "" if args.scheduler == "sync" else f" with {args.dask_threads} thread(s)"))
    print(f"time: {seconds:.1f} s ({n_rows / seconds:,.0f} rows/s)")
    print(f"reconstruction error: first chunk {fitted.loss_curve_[0]:.4f}, "
          f"last chunk {fitted.loss_curve_[-1]:.4f}, held-out "
          f"{reconstruction_error(fitted, held_out):.4f}")
    print(f"memory: baseline {baseline / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB "
          f"(training added {(peak - baseline) / MIB:.0f} MiB), budget {args.budget_mib:.0f} MiB")
    print(f"array / peak = {array_mib / (peak / MIB):.1f}; array / budget = "
          f"{array_mib / args.budget_mib:.1f}; "
          f"{'within' if peak / MIB <= args.budget_mib else 'OVER'} budget")
    if client is not None:
        client.close()
    if args.check:
        check_against_loop(rbm, X, fitted, seconds)


def check_against_loop(rbm, X, fitted, seconds):
    """Train on the same chunks by a plain ``partial_fit`` loop; compare."""
    from sklearn.base import clone

    protos = prototypes()
    expected = clone(rbm)
    start = time.perf_counter()
    for index, n_rows in enumerate(X.chunks[0]):
        expected.partial_fit(make_block(protos, n_rows, seed=index))
    loop_seconds = time.perf_counter() - start
    # Not bitwise equal: on Dask's worker threads the float32 products round
    # differently from the main thread's, and sampling amplifies that.
    difference = np.abs(expected.components_ - fitted.components_).max()
    scale = np.abs(expected.components_).max()
    print(f"plain partial_fit loop: {loop_seconds:.1f} s; Incremental / loop time = "
          f"{seconds / loop_seconds:.2f}; largest weight difference {difference:.2g} "
          f"(largest weight {scale:.2g})")


def reconstruction_error(rbm, X):
    """Mean squared error of the mean-field reconstruction, as in ``loss_curve_``."""
    return float(np.mean((X - rbm.inverse_transform(rbm.transform(X))) ** 2))


if __name__ == "__main__":
    main()
