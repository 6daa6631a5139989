"""
=================================================
Real-valued input: Gaussian visible units
=================================================

Bernoulli visible units model values in [0, 1]. For real-valued measurements
the first RBM of a DBN uses *Gaussian* visible units: with ``visible="auto"``
(the default) this happens by itself when the training data leave [0, 1].

This example uses scikit-learn's wine data: 178 wines, 13 chemical
measurements on very different scales (the proline content is in the hundreds,
the hue around 1). It shows what the Gaussian units do to the data, that the
pretrained network starts exactly where the RBM ended, and why you should
still standardise the input.
"""

# %%
# What the Gaussian units do
# --------------------------
# The RBM divides each feature by its standard deviation in the training data
# (``visible_scale_``) and models :math:`x = v / s` with unit variance. It does
# **not** centre the data: the visible biases ``intercept_visible_`` start at
# the means of :math:`x` and carry the offset. Gaussian units also get a ten
# times smaller learning rate by default (``learning_rate_``).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdbn import DBNClassifier, RBMTransformer

X, y = load_wine(return_X_y=True)
rbm = RBMTransformer(n_components=16, n_iter=20, random_state=0).fit(X)
print(f"visible_ = {rbm.visible_!r}, learning_rate_ = {rbm.learning_rate_}")
print("feature std      :", np.round(X.std(axis=0)[:4], 3))
print("visible_scale_   :", np.round(rbm.visible_scale_[:4], 3))
print("mean of X / scale:", np.round((X / rbm.visible_scale_).mean(axis=0)[:4], 2))

# %%
# The hand-off to fine-tuning is exact
# ------------------------------------
# A :class:`~skdbn.DBNClassifier` copies each pretrained RBM into its network;
# for the Gaussian first layer it divides the weights by ``visible_scale_`` so
# that the network can take the raw input. With a learning rate so small that
# fine-tuning changes nothing, the first hidden layer of the network computes
# exactly the RBM's :meth:`~skdbn.RBMTransformer.transform`.
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # one epoch on purpose
frozen = DBNClassifier((16,), learning_rate_init=1e-12, max_iter=1, random_state=0).fit(X, y)
first_layer = expit(X @ frozen.coefs_[0] + frozen.intercepts_[0])
gap = np.abs(first_layer - frozen.rbms_[0].transform(X)).max()
print(f"largest difference, network vs RBM transform: {gap:.1e}")

# %%
# Standardise anyway
# ------------------
# Pretraining sees the scaled data, but fine-tuning by backpropagation sees
# the raw input, whose features differ in scale by a factor of a thousand: the
# gradient steps are badly balanced across the weights. Standardising first
# (:class:`~sklearn.preprocessing.StandardScaler`, which also centres) helps
# both phases; min-max scaling to [0, 1] with Bernoulli units is the other
# option. The training set is small (142 rows per fold), so the batches are
# small too, to make enough updates.
settings = dict(hidden_layer_sizes=(32,), batch_size=16, max_iter=100, random_state=0)
models = {
    "raw input\n(Gaussian units)": DBNClassifier(**settings),
    "StandardScaler\n(Gaussian units)": make_pipeline(StandardScaler(), DBNClassifier(**settings)),
    "MinMaxScaler\n(Bernoulli units)": make_pipeline(
        MinMaxScaler(clip=True), DBNClassifier(**settings)
    ),
}
scores = {name: cross_val_score(model, X, y, cv=5) for name, model in models.items()}
for name, s in scores.items():
    print(f"{name.replace(chr(10), ' '):<36} {s.mean():.3f} ± {s.std():.3f}")

fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(range(len(scores)), [s.mean() for s in scores.values()],
       yerr=[s.std() for s in scores.values()], capsize=4, color="tab:blue")
ax.set_xticks(range(len(scores)), list(scores), fontsize=8)
ax.set_ylim(0.5, 1)
ax.set_ylabel("5-fold accuracy")
ax.set_title("DBNClassifier((32,)) on wine")
fig.tight_layout()
plt.show()
