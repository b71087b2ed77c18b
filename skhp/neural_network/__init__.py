"""Multi-layer perceptrons with batch normalization, and their optimizers."""

from skhp.neural_network._multilayer_perceptron import MLPClassifier, MLPRegressor
from skhp.neural_network._schedules import LearningRateSchedule

__all__ = ["LearningRateSchedule", "MLPClassifier", "MLPRegressor"]
