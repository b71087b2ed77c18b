"""What one stochastic fit trains with, built once and read by every step.

The network's training loop is a chain of small steps (see
``BaseMultilayerPerceptron._fit_stochastic``): ``_start_training`` builds a
:class:`TrainingRun`, ``_run_epoch`` runs one epoch of ``_train_step`` calls,
and ``_end_epoch`` records the epoch and decides whether to stop, as
skorch's ``run_single_epoch``, ``train_step`` and ``on_epoch_end`` do.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["TrainingRun"]


@dataclass
class TrainingRun:
    """The state of one call of a stochastic fit.

    Attributes
    ----------
    optimizer : BaseOptimizer
        Updates the parameters from each batch's gradients.
    workspace : Workspace
        The fit's scratch buffers.
    sample_idx : ndarray of int
        The order the epoch takes the training rows in (reshuffled each epoch).
    train_rows, val_rows : ndarray of int or None
        Rows of X that train and that score early stopping; None: every row
        trains.
    batch_size : int
    gather : bool
        Whether a batch's rows are gathered into the workspace (dense X, taken
        out of order).
    n_epochs : int
        Epochs this call runs at most.
    coefs : ndarray
        The part of the flat parameters that weight decay shrinks.
    incremental : bool
        A ``partial_fit`` call: one epoch.
    """

    optimizer: object
    workspace: object
    sample_idx: np.ndarray
    train_rows: np.ndarray | None
    val_rows: np.ndarray | None
    batch_size: int
    gather: bool
    n_epochs: int
    coefs: np.ndarray
    incremental: bool

    @property
    def n_samples(self):
        """Rows that train."""
        return len(self.sample_idx)
