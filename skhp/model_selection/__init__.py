"""Model selection: the coarse-to-fine hyperparameter search."""

from ._coarse_to_fine import CoarseToFineSearchCV

__all__ = ["CoarseToFineSearchCV"]
