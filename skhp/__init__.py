"""skhp: deep-learning style hyperparameter tuning as part of scikit-learn."""

from skhp.neural_network import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
