"""skdbn: Restricted Boltzmann Machines and Deep Belief Networks for scikit-learn."""

from ._dbn import DBNClassifier
from ._exceptions import DivergenceError
from ._init import INITIALIZERS, he_normal, random_normal, xavier_uniform, zero
from ._rbm import RBMTransformer
from ._regressor import DBNRegressor

__version__ = "0.1.0"

__all__ = [
    "DBNClassifier",
    "DBNRegressor",
    "DivergenceError",
    "INITIALIZERS",
    "RBMTransformer",
    "he_normal",
    "random_normal",
    "xavier_uniform",
    "zero",
    "__version__",
]
