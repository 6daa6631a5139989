"""
====================================
RBM features for a linear classifier
====================================

An RBM learns features without labels. Here :class:`~skdbn.RBMTransformer`
turns the 64 pixels of each digit into the probabilities of 100 hidden units,
and a :class:`~sklearn.linear_model.LogisticRegression` classifies those
probabilities. Both steps sit in one :class:`~sklearn.pipeline.Pipeline`, so
cross-validation and grid search treat them as a single model.
"""

# %%
# The data
# --------
# The digits are 8 x 8 images with grey levels 0 to 16. Bernoulli visible
# units need values in [0, 1]; :class:`~sklearn.preprocessing.MinMaxScaler`
# does that inside the pipeline. ``clip=True`` matters: a pixel that is always
# blank in the training images but not in a test image would otherwise be
# scaled above 1, and the RBM refuses values outside [0, 1].
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdbn import RBMTransformer

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Logistic regression on the raw pixels
# --------------------------------------
# A baseline without the RBM.
raw = make_pipeline(MinMaxScaler(clip=True), LogisticRegression(max_iter=2000))
raw.fit(X_train, y_train)
print(f"pixels -> logistic regression:       {raw.score(X_test, y_test):.3f}")

# %%
# Logistic regression on RBM features
# -----------------------------------
# 100 hidden units trained by CD-1 for 30 epochs with a little momentum and
# weight decay. The RBM never sees ``y_train``.
rbm = RBMTransformer(
    n_components=100,
    learning_rate=0.05,
    n_iter=30,
    batch_size=20,
    momentum=0.5,
    weight_decay=1e-4,
    random_state=0,
)
model = make_pipeline(
    MinMaxScaler(clip=True), rbm, LogisticRegression(C=10.0, max_iter=2000)
)
model.fit(X_train, y_train)
print(f"pixels -> RBM -> logistic regression: {model.score(X_test, y_test):.3f}")

# %%
# The reconstruction error of each epoch (``loss_curve_``) shows the RBM
# learning: it falls quickly at first, then slowly.
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(1, rbm.n_iter_ + 1), rbm.loss_curve_, marker="o", markersize=3)
ax.set_xlabel("epoch")
ax.set_ylabel("reconstruction error")
ax.set_title("RBM training curve")
fig.tight_layout()

# %%
# The learned filters
# -------------------
# Row ``j`` of ``components_`` holds the weights from the 64 pixels to hidden
# unit ``j``. Shown as an 8 x 8 image, it is the pattern that unit responds
# to: strokes and blobs at particular places, the pieces digits are made of.
fig, axes = plt.subplots(10, 10, figsize=(6, 6))
for weights, ax in zip(rbm.components_, axes.ravel(), strict=True):
    limit = abs(weights).max()  # white is 0 in every image
    ax.imshow(weights.reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_axis_off()
fig.suptitle("The 100 filters of the RBM (red: positive, blue: negative)")
fig.tight_layout()
plt.show()
