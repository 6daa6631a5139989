"""
==================================================
Early stopping, partial_fit and warm_start
==================================================

How long to fine-tune? :class:`~skdbn.DBNClassifier` answers it three ways,
as :class:`~sklearn.neural_network.MLPClassifier` does:

* ``early_stopping=True`` holds out ``validation_fraction`` of the training
  rows and stops when their accuracy has not improved for
  ``n_iter_no_change`` epochs, keeping the best weights;
* :meth:`~skdbn.DBNClassifier.partial_fit` runs one epoch over the rows it is
  given, so you write the loop yourself: for data that arrive in chunks, or
  to stop on your own criterion;
* ``warm_start=True`` makes the next :meth:`~skdbn.DBNClassifier.fit`
  continue from the current weights instead of starting again.
"""

# %%
# Built-in early stopping
# -----------------------
import copy
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdbn import DBNClassifier

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

auto = DBNClassifier(
    (32,), learning_rate_init=0.01, early_stopping=True, validation_fraction=0.15,
    n_iter_no_change=5, random_state=0,
).fit(X_train, y_train)
print(f"stopped after {auto.n_iter_} epochs; best validation accuracy "
      f"{auto.best_validation_score_:.3f}; test accuracy {auto.score(X_test, y_test):.3f}")

# %%
# The same with partial_fit, on data that arrive in chunks
# --------------------------------------------------------
# The first call builds the network (pretraining its RBMs on that first
# chunk) and needs the list of all ``classes``; each later call is one
# fine-tuning epoch over the chunk it gets, with the optimizer's state
# (Adam's moments) carried over. Here a pass over the three chunks counts as
# an epoch; after each pass the loop measures the validation accuracy, keeps a
# copy of the best model, and stops after 5 passes without improvement.
X_fit, X_val, y_fit, y_val = train_test_split(
    X_train, y_train, test_size=0.15, stratify=y_train, random_state=0
)
chunks = np.array_split(np.arange(len(X_fit)), 3)
classes = np.unique(y)

stream = DBNClassifier((32,), learning_rate_init=0.01, random_state=0)
stream.partial_fit(X_fit[chunks[0]], y_fit[chunks[0]], classes=classes)
best, best_score, patience, history = None, -np.inf, 0, []
for _ in range(300):
    for rows in chunks:
        stream.partial_fit(X_fit[rows], y_fit[rows])
    history.append(stream.score(X_val, y_val))
    if history[-1] > best_score:
        best, best_score, patience = copy.deepcopy(stream), history[-1], 0
    else:
        patience += 1
    if patience == 5:
        break
print(f"{len(history)} passes; best validation accuracy {best_score:.3f}; "
      f"test accuracy of the best copy {best.score(X_test, y_test):.3f}")

# %%
# warm_start: more epochs without starting over
# ---------------------------------------------
# ``max_iter=10`` is too short (a ``ConvergenceWarning`` says so); with
# ``warm_start=True`` each further ``fit`` continues fine-tuning the same
# network (no new pretraining), 10 epochs at a time. ``n_iter_`` counts all
# the epochs.
warm = DBNClassifier((32,), learning_rate_init=0.01, max_iter=10, warm_start=True,
                     random_state=0)
test_scores = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for _ in range(4):
        warm.fit(X_train, y_train)
        test_scores.append(warm.score(X_test, y_test))
print("n_iter_ after four fits:", warm.n_iter_)
print("test accuracy after each fit:", np.round(test_scores, 3))

# %%
# The validation curves
# ---------------------
# The two curves are measured on different rows (``early_stopping`` draws its
# own stratified validation split from ``random_state``), so compare their
# shapes rather than their levels: both rise quickly, then flatten, and both
# loops stop a few epochs after the best one.
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(np.arange(1, len(auto.validation_scores_) + 1), auto.validation_scores_,
        label="early_stopping=True")
ax.plot(np.arange(1, len(history) + 1), history, label="partial_fit loop")
ax.axvline(np.argmax(auto.validation_scores_) + 1, color="0.6", ls=":",
           label="weights kept (built-in)")
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_ylim(0.8, 1)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
