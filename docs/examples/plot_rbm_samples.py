"""
==================================
Drawing digits from a trained RBM
==================================

An RBM is a generative model: it defines a probability for every image, and
block Gibbs sampling (hidden units given the pixels, pixels given the hidden
units, and again) draws new images from it. This example trains an RBM on
binarised digits with persistent contrastive divergence, which learns a better
generative model than CD, and then looks at what it produces.
"""

# %%
# Training
# --------
# The digits are binarised (a pixel is on when its grey level is above 8 of
# 16), so the Bernoulli RBM models exactly the data it sees.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skdbn import RBMTransformer

X = (load_digits().data > 8).astype(np.float64)

rbm = RBMTransformer(
    n_components=100,
    method="pcd",
    learning_rate=0.01,
    batch_size=10,
    n_iter=60,
    momentum=0.9,
    random_state=0,
).fit(X)


def show(images, title, n_cols=10):
    """Draw 8 x 8 images in a grid."""
    n_rows = int(np.ceil(len(images) / n_cols))
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(n_cols * 0.6, n_rows * 0.6 + 0.5), squeeze=False
    )
    for ax in axes.ravel():
        ax.set_axis_off()
    for image, ax in zip(images, axes.ravel(), strict=False):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# %%
# Samples from scratch
# --------------------
# :meth:`~skdbn.RBMTransformer.sample` starts independent chains from random
# hidden states and runs them for ``n_steps`` Gibbs steps. With ``mean=True``
# it returns the pixel probabilities of the last step instead of a binary
# sample, which makes smoother pictures. Most of them look like digits,
# although the model never saw a label. Not every class is equally present:
# a Gibbs chain moves between the well-separated modes of the distribution
# (the digit classes) only rarely, which is the main weakness of RBM sampling.
samples = rbm.sample(40, n_steps=1000, mean=True, random_state=1)
show(samples, "40 samples from the RBM (1000 Gibbs steps each)")

# %%
# A Gibbs chain from a real digit
# -------------------------------
# :meth:`~skdbn.RBMTransformer.gibbs` runs the chain from given images. Each
# row below starts at a training digit (left column) and shows the chain after
# 1, 2, 5, 10, ... steps: it stays near the digit for a while, then wanders
# off to other shapes, as a sampler of the whole distribution should.
steps = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500]
rng = np.random.default_rng(0)  # one stream, advanced by every call
states = X[[0, 11, 22, 33, 44]]
snapshots = [states]
for previous, current in zip(steps[:-1], steps[1:], strict=True):
    states = rbm.gibbs(states, n_steps=current - previous, random_state=rng)
    snapshots.append(states)
# One row per chain, one column per number of steps.
chains = np.stack(snapshots, axis=1).reshape(-1, 64)
show(chains, "Gibbs chains after 0, 1, 2, 5, ..., 500 steps")

# %%
# The persistent chains
# ---------------------
# PCD trains with ``batch_size`` chains that run on from one update to the
# next; their last hidden states are kept in ``persistent_chains_``.
# :meth:`~skdbn.RBMTransformer.inverse_transform` turns them into pixel
# probabilities: these are the "fantasies" the model was comparing with the
# data at the end of training.
show(rbm.inverse_transform(rbm.persistent_chains_), "The 10 persistent chains of PCD")

# %%
# How likely is an image?
# -----------------------
# :meth:`~skdbn.RBMTransformer.score_samples` returns the log-probability
# :math:`\log p(v) = -F(v) - \log Z` in nats, with :math:`\log Z` estimated
# once by annealed importance sampling. Real digits score far higher than
# random pixels with the same number of pixels switched on.
noise = rng.permuted(X[:500], axis=1)  # each image's pixels shuffled
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(rbm.score_samples(X[:500]), bins=30, alpha=0.7, label="digits")
ax.hist(rbm.score_samples(noise), bins=30, alpha=0.7, label="shuffled pixels")
ax.set_xlabel("score_samples: log p(v) in nats")
ax.set_ylabel("number of images")
ax.legend()
fig.tight_layout()
plt.show()
