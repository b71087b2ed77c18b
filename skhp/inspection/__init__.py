"""Looking at a finished search: importances and pictures, for notebooks too."""

from skhp.inspection._curves import refit_for_curves
from skhp.inspection._importance import hyperparameter_importance
from skhp.inspection._plot import plot_importance, plot_learning_curves, plot_search
from skhp.inspection._results import (
    candidate_features,
    candidate_origins,
    round_regions,
    rounds_of,
)

__all__ = [
    "candidate_features",
    "candidate_origins",
    "hyperparameter_importance",
    "plot_importance",
    "plot_learning_curves",
    "plot_search",
    "refit_for_curves",
    "round_regions",
    "rounds_of",
]
