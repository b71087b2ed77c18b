"""skhp: deep-learning style hyperparameter tuning as part of scikit-learn."""

__version__ = "0.1.0"

__all__ = ["__version__"]
