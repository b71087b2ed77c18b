"""Looking at a finished search: importances and pictures, for notebooks too."""

from skhp.inspection._importance import hyperparameter_importance
from skhp.inspection._plot import plot_importance, plot_learning_curves, plot_search
from skhp.inspection._results import candidate_features, round_regions, rounds_of

__all__ = [
    "candidate_features",
    "hyperparameter_importance",
    "plot_importance",
    "plot_learning_curves",
    "plot_search",
    "round_regions",
    "rounds_of",
]
