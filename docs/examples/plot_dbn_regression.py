"""
========================================================
Regression with a DBN, and export to scikit-learn / ONNX
========================================================

:class:`~skdbn.DBNRegressor` pretrains a stack of RBMs and fine-tunes the
network with an identity output on the squared error. Here it learns by how
much a handwritten digit has been rotated, a real-valued target that no single
pixel gives away, next to :class:`~sklearn.neural_network.MLPRegressor` with
its defaults. The fitted network is then exported with ``to_mlp()`` to a plain
``MLPRegressor`` and, where ``skl2onnx`` and ``onnxruntime`` are installed, to
ONNX; all three give the same predictions.
"""

# %%
# The task
# --------
# Each 8 x 8 digit is rotated by an angle drawn uniformly in [-45, 45] degrees
# (bilinear interpolation); the target is that angle in radians.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor

from skdbn import DBNRegressor

warnings.simplefilter("ignore", ConvergenceWarning)

images = load_digits().images
rng = np.random.default_rng(0)
angle = np.deg2rad(rng.uniform(-45, 45, len(images)))
X = np.stack([
    ndimage.rotate(image, np.rad2deg(a), reshape=False, order=1)
    for image, a in zip(images, angle)
]).reshape(len(images), -1)
X = np.clip(X / 16, 0, 1)
X_train, X_test, y_train, y_test = train_test_split(X, angle, random_state=0)

# %%
# Fit both models
# ---------------
dbn = DBNRegressor(random_state=0).fit(X_train, y_train)
mlp = MLPRegressor(random_state=0).fit(X_train, y_train)
for name, model in [("DBNRegressor", dbn), ("MLPRegressor", mlp)]:
    print(f"{name}: test R^2 = {model.score(X_test, y_test):.3f}")

fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharey=True)
for ax, (name, model) in zip(axes, [("DBNRegressor", dbn), ("MLPRegressor", mlp)]):
    ax.scatter(np.rad2deg(y_test), np.rad2deg(model.predict(X_test)), s=4)
    ax.plot([-45, 45], [-45, 45], color="k", linewidth=1)
    ax.set(title=f"{name}, R^2 = {model.score(X_test, y_test):.3f}",
           xlabel="true angle (degrees)")
axes[0].set_ylabel("predicted angle (degrees)")
fig.tight_layout()

# %%
# Export to scikit-learn, then to ONNX
# ------------------------------------
# ``to_mlp()`` copies the fine-tuned weights into a fitted ``MLPRegressor``
# (for a classifier, an ``MLPClassifier``), which any tool that reads
# scikit-learn's MLPs accepts.
exported = dbn.to_mlp()
gap = np.abs(exported.predict(X_test) - dbn.predict(X_test)).max()
print(f"{type(exported).__name__}: largest difference from the DBN {gap:.1e}")

try:
    from onnxruntime import InferenceSession
    from skl2onnx import to_onnx
except ImportError:
    print("skl2onnx or onnxruntime is not installed: pip install 'skdbn[onnx]'")
else:
    X32 = X_test.astype(np.float32)
    onx = to_onnx(exported, X32[:1])
    session = InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    onnx_prediction = session.run(None, {session.get_inputs()[0].name: X32})[0].ravel()
    gap = np.abs(onnx_prediction - dbn.predict(X_test)).max()
    print(f"ONNX: largest difference from the DBN {gap:.1e} (float32)")
