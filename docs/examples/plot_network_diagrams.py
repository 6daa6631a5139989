"""
==================================
What an RBM and a DBN look like
==================================

Two diagrams, drawn with matplotlib from the sizes of fitted models, so that
every label is an attribute you can print.

* An :class:`~skdbn.RBMTransformer` is two layers of units, visible and
  hidden, with a weight between every visible and every hidden unit and none
  inside a layer (that is the "restricted"). Its weights ``components_`` are
  an ``(n_components, n_features)`` matrix :math:`W`, one row per hidden unit.
* A :class:`~skdbn.DBNClassifier` stacks such RBMs, each trained on the hidden
  probabilities of the one below, then copies their weights into a
  feed-forward network (``coefs_[l]`` is RBM ``l``'s :math:`W^\\top`, of shape
  ``(fan_in, fan_out)``), adds a softmax output layer and fine-tunes
  everything by backpropagation.
"""

# %%
# Two small fitted models
# -----------------------
# The drawings show at most eight units per layer; the labels give the true
# sizes.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skdbn import DBNClassifier, RBMTransformer

X, y = load_digits(return_X_y=True)
X = X / 16
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # only the sizes matter here

rbm = RBMTransformer(n_components=32, n_iter=2, random_state=0).fit(X)
dbn = DBNClassifier((48, 32), max_iter=2, random_state=0).fit(X, y)
print("RBM components_:", rbm.components_.shape)
print("DBN coefs_:", [W.shape for W in dbn.coefs_])


def draw_layer(ax, y_pos, n_units, label, color, width=0.8):
    """Draw up to 8 units in a row at height ``y_pos``; return their x positions."""
    shown = min(n_units, 8)
    xs = np.linspace(0.5 - width / 2, 0.5 + width / 2, shown)
    ax.scatter(xs, np.full(shown, y_pos), s=220, color=color, edgecolor="black", zorder=3)
    if n_units > shown:
        ax.text(xs[-1] + 0.05, y_pos, "...", va="center", fontsize=12)
    ax.text(0.5 + width / 2 + 0.12, y_pos, label, va="center", fontsize=9)
    return xs


def connect(ax, xs_low, y_low, xs_high, y_high, color="0.6"):
    """Draw every edge between two rows of units."""
    for x0 in xs_low:
        for x1 in xs_high:
            ax.plot([x0, x1], [y_low, y_high], color=color, lw=0.5, zorder=1)


# %%
# The RBM: one bipartite layer
# ----------------------------
# Every edge carries one weight :math:`W_{ji}`; visible unit :math:`i` has a
# bias :math:`b_i` (``intercept_visible_``) and hidden unit :math:`j` a bias
# :math:`c_j` (``intercept_hidden_``). Both conditionals factorise:
# :math:`P(h_j = 1 \mid v) = \sigma(c_j + W_{j:} v)` is what
# :meth:`~skdbn.RBMTransformer.transform` returns.
fig, ax = plt.subplots(figsize=(7, 3))
n_hidden, n_visible = rbm.components_.shape
xv = draw_layer(ax, 0, n_visible, f"visible v: {n_visible} units\nbiases b", "tab:blue")
xh = draw_layer(ax, 1, n_hidden, f"hidden h: {n_hidden} units\nbiases c", "tab:orange", 0.6)
connect(ax, xv, 0, xh, 1)
ax.text(0.02, 0.5, f"W: components_\nshape {rbm.components_.shape}", fontsize=9)
ax.set_xlim(0, 1.45)
ax.set_ylim(-0.4, 1.4)
ax.set_axis_off()
ax.set_title("RBMTransformer: no edges inside a layer")
fig.tight_layout()

# %%
# The DBN: a stack of RBMs, then a classifier
# -------------------------------------------
# Left, greedy pretraining: RBM 1 learns from the pixels, RBM 2 from RBM 1's
# hidden probabilities (``rbms_``). Right, fine-tuning: the same weights, now
# a feed-forward network with a softmax layer on top, all trained by
# backpropagation on the labels (the output layer starts from ``init``).
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2))
sizes = [dbn.n_features_in_, *(W.shape[1] for W in dbn.coefs_)]
colors = ["tab:blue", "tab:orange", "tab:orange", "tab:green"]
for ax, title in [(left, "1. greedy pretraining (unsupervised)"),
                  (right, "2. fine-tuning (backpropagation)")]:
    rows = []
    for level, size in enumerate(sizes):
        if ax is left and level == len(sizes) - 1:
            break
        name = ["input", "hidden 1", "hidden 2", "softmax"][level]
        rows.append(draw_layer(ax, level, size, f"{name}: {size}", colors[level], 0.5))
    for level in range(len(rows) - 1):
        edge = "0.6" if ax is right or level == 0 else "0.75"
        connect(ax, rows[level], level, rows[level + 1], level + 1, color=edge)
        label = f"RBM {level + 1}" if ax is left else f"coefs_[{level}] {dbn.coefs_[level].shape}"
        ax.text(0.02, level + 0.45, label, fontsize=8)
    ax.set_xlim(0, 1.2)
    ax.set_ylim(-0.5, len(sizes) - 0.5)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
left.add_patch(FancyArrowPatch((1.12, 0), (1.12, 2), arrowstyle="-|>", mutation_scale=15,
                               color="tab:blue"))
left.text(1.0, 1.0, "transform: P(h | v)", rotation=90, color="tab:blue", fontsize=8,
          va="center")
right.add_patch(FancyArrowPatch((1.12, 3), (1.12, 0), arrowstyle="-|>", mutation_scale=15,
                                color="tab:red"))
right.text(1.0, 1.5, "gradient", rotation=90, color="tab:red", fontsize=8, va="center")
fig.tight_layout()
plt.show()
