"""skhp: deep-learning style hyperparameter tuning as part of scikit-learn."""

from skhp import distributions
from skhp.distributions import layer_sizes, loguniform, loguniform_int, reverse_loguniform
from skhp.model_selection import CoarseToFineSearchCV
from skhp.neural_network import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = [
    "CoarseToFineSearchCV",
    "MLPClassifier",
    "MLPRegressor",
    "__version__",
    "distributions",
    "layer_sizes",
    "loguniform",
    "loguniform_int",
    "reverse_loguniform",
]
