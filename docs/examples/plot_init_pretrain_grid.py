"""
========================================================
Pretraining or a good start? A grid over init x pretrain
========================================================

Deep networks trained by backpropagation from a poor start learn badly or not
at all. In 2006 RBM pretraining was the cure; from 2010 on, starting weights
scaled to the size of each layer (Xavier, He) did most of the same job without
it. Because ``init`` and ``pretrain`` are ordinary parameters of
:class:`~skdbn.DBNClassifier`, one :class:`~sklearn.model_selection.GridSearchCV`
compares all the combinations.

The network here is small and trained briefly (two hidden layers of 32 units,
at most 40 epochs, 10 RBM epochs per layer) so that the whole grid runs in a
few seconds. ``skdbn compare`` runs the same comparison on a deeper network,
over several seeds, on a held-out test set.
"""

# %%
# The grid
# --------
# The pretraining RBMs are set by the ``rbm`` template. They learn from
# sampled hidden states (``hidden_stats="samples"``, as in the default
# pretraining), which is what lets pretraining break the symmetry of a zero
# start (see the :ref:`user guide <why-zero-fails>`). The template is spelled
# out here so that a second, one-point grid can check the alternative: zero
# start, pretraining with hidden *probabilities*. The ``rbm__`` prefix reaches
# into the template, like a pipeline step.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdbn import DBNClassifier, RBMTransformer

# Short training runs end at ``max_iter`` on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16  # pixels in [0, 1], for Bernoulli visible units

dbn = DBNClassifier(
    hidden_layer_sizes=(32, 32),
    max_iter=40,
    learning_rate_init=0.01,
    rbm=RBMTransformer(n_iter=10, hidden_stats="samples"),
    random_state=0,
)
param_grid = [
    {"init": ["zero", "random", "xavier", "he"], "pretrain": [False, True]},
    {"init": ["zero"], "pretrain": [True], "rbm__hidden_stats": ["probabilities"]},
]
search = GridSearchCV(dbn, param_grid, cv=3).fit(X, y)

# %%
# The results
# -----------
# Mean accuracy over the three folds:
results = pd.DataFrame(search.cv_results_)
results["rbm hidden_stats"] = results["param_rbm__hidden_stats"].fillna("samples")
results.loc[~results["param_pretrain"].astype(bool), "rbm hidden_stats"] = "-"
table = results[
    ["param_init", "param_pretrain", "rbm hidden_stats", "mean_test_score",
     "std_test_score", "mean_fit_time"]
].rename(columns=lambda name: name.removeprefix("param_"))
print(table.round(3).to_string(index=False))

# %%
# * ``"zero"`` without pretraining stays far behind: every hidden unit of a
#   layer computes the same thing, so the network has effectively one unit per
#   layer, which cannot tell ten classes apart.
# * ``"random"`` (normal weights with standard deviation 0.01) does learn,
#   but slowly and erratically (see the spread over the folds): its tiny
#   weights shrink the signal, and the gradient, at every layer.
# * ``"xavier"`` and ``"he"`` scale the weights to each layer's size and
#   learn well with or without pretraining.
# * Pretraining rescues both bad starts, provided the RBMs learn from sampled
#   hidden states; with hidden probabilities a zero start stays symmetric.
labels = [
    f"{row.param_init}\n{'pretrained' if row.param_pretrain else 'no pretrain'}"
    + ("\n(probabilities)" if row.param_rbm__hidden_stats == "probabilities" else "")
    for row in results.itertuples()
]
fig, ax = plt.subplots(figsize=(8, 3.5))
colors = ["tab:orange" if p else "tab:blue" for p in results["param_pretrain"]]
ax.bar(
    range(len(results)), results["mean_test_score"],
    yerr=results["std_test_score"], color=colors, capsize=3,
)
ax.set_xticks(range(len(results)), labels, fontsize=8)
ax.set_ylabel("cross-validated accuracy")
ax.set_ylim(0, 1)
ax.set_title("DBNClassifier on digits: init x pretrain")
fig.tight_layout()

# %%
# The symmetry, seen directly
# ---------------------------
# With a zero start and no pretraining, the weight columns of the first layer
# (one column per hidden unit) are still identical after training: each row
# of ``coefs_[0]`` has a single value repeated across its 32 columns.
zero_net = DBNClassifier(
    hidden_layer_sizes=(32, 32), init="zero", pretrain=False, max_iter=40,
    learning_rate_init=0.01, random_state=0,
).fit(X, y)
spread = np.ptp(zero_net.coefs_[0], axis=1).max()
print(f"largest difference between two hidden units' weights: {spread:.1e}")

# %%
# The gradient norms recorded per epoch (``gradient_norms_``, one column per
# weight matrix, input layer first) show how learning starts. From zero
# weights, almost no gradient reaches the hidden layers in the first epochs:
# the error sent down to a layer is multiplied by the weights above it, which
# start at zero. The gradient grows later, but it is the same for every unit
# of a layer, so it moves the whole layer as if it were one unit. From a
# Xavier start, every layer gets a useful gradient from the first epoch.
xavier_net = DBNClassifier(
    hidden_layer_sizes=(32, 32), init="xavier", pretrain=False, max_iter=40,
    learning_rate_init=0.01, random_state=0,
).fit(X, y)
fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharey=True)
for ax, net, name in zip(axes, [zero_net, xavier_net], ["zero", "xavier"], strict=True):
    for layer, norms in enumerate(net.gradient_norms_.T, start=1):
        ax.semilogy(range(1, len(norms) + 1), norms, label=f"weight matrix {layer}")
    ax.set_title(f'init="{name}", no pretraining')
    ax.set_xlabel("epoch")
axes[0].set_ylabel("gradient norm")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
