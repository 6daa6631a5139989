"""
=========================================
MNIST, when you have it (optional)
=========================================

A DBN on 10,000 MNIST training images, tested on the 10,000 test images, with
and without pretraining. This example runs only when the data are on disk:
set the environment variable ``SKDBN_MNIST_DIR`` to a folder holding
``mnist_train.npz`` and ``mnist_test.npz``, each with arrays ``X`` (uint8,
``n x 784``, pixels 0-255) and ``y``. Without them it says so and stops, so
the documentation builds offline. It takes about three minutes of CPU time;
one run gave 3.79 % test error with pretraining and 4.36 % without.

The full-size experiment, the 784-500-500-2000-10 network of Hinton and
Salakhutdinov (2006) on all 60,000 images, is
``benchmarks/bench_mnist.py``; its results are on the :doc:`/performance`
page.
"""

# %%
# Load the data if present
# ------------------------
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdbn import DBNClassifier, RBMTransformer

folder = Path(os.environ.get("SKDBN_MNIST_DIR", "mnist-data-not-set"))
files = [folder / f"mnist_{part}.npz" for part in ("train", "test")]
have_data = all(f.is_file() for f in files)
if not have_data:
    print(f"No MNIST files in {folder}: set SKDBN_MNIST_DIR to run this example.")

# %%
# Pretraining or not
# ------------------
# Two hidden layers of 256 logistic units, float32 input in [0, 1]; 5 CD-1
# epochs per RBM, then 30 epochs of Adam. The same network without
# pretraining starts from Xavier weights.
if have_data:
    train, test = (np.load(f) for f in files)
    X_train = train["X"][:10_000].astype(np.float32) / 255
    y_train = train["y"][:10_000]
    X_test, y_test = test["X"].astype(np.float32) / 255, test["y"]
    results = {}
    for pretrain in (True, False):
        dbn = DBNClassifier(
            (256, 256), pretrain=pretrain, rbm=RBMTransformer(n_iter=5, hidden_stats="samples"),
            batch_size=100, max_iter=30, random_state=0,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            dbn.fit(X_train, y_train)
        error = 1 - dbn.score(X_test, y_test)
        results[pretrain] = dbn
        print(f"pretrain={pretrain!s:<5}  test error {100 * error:.2f} %  "
              f"fit {time.perf_counter() - start:.0f} s")

# %%
# The first RBM's filters
# -----------------------
# Each hidden unit's weights, as a 28 x 28 image: pen strokes and blobs,
# learned without labels.
if have_data:
    W = results[True].rbms_[0].components_[:64]
    fig, axes = plt.subplots(8, 8, figsize=(6, 6))
    for ax, w in zip(axes.ravel(), W):
        ax.imshow(w.reshape(28, 28), cmap="gray")
        ax.set_axis_off()
    fig.suptitle("first RBM's filters (64 of 256)")
    plt.show()
