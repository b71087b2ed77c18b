"""Learning-rate schedules: the rate as a pure function of training progress.

A schedule is found by name in :data:`SCHEDULES`. Each maps
``(learning_rate_init, epoch, n_samples_seen, power_t, decay_rate)`` to a
rate; ``"adaptive"`` additionally divides by 5 once per plateau, which the
optimizer counts (see :meth:`LearningRateSchedule.rate`).
"""

import numpy as np


def _constant(lr0, epoch, n_samples_seen, power_t, decay_rate):
    return lr0


def _invscaling(lr0, epoch, n_samples_seen, power_t, decay_rate):
    # scikit-learn's definition: decays with the number of samples seen.
    return lr0 / (n_samples_seen + 1) ** power_t


def _inverse_time(lr0, epoch, n_samples_seen, power_t, decay_rate):
    return lr0 / (1.0 + decay_rate * epoch)


def _exponential(lr0, epoch, n_samples_seen, power_t, decay_rate):
    return lr0 * decay_rate**epoch


SCHEDULES = {
    "constant": _constant,
    "adaptive": _constant,
    "invscaling": _invscaling,
    "inverse_time": _inverse_time,
    "exponential": _exponential,
}

#: The ``decay_rate`` used when the estimator's ``decay_rate`` is None.
DEFAULT_DECAY_RATES = {"inverse_time": 1.0, "exponential": 0.95}

#: "adaptive" stops training once the rate would fall to this value or below.
ADAPTIVE_MIN_RATE = 1e-6


class LearningRateSchedule:
    """How the learning rate changes as training goes on.

    Parameters
    ----------
    kind : {"constant", "invscaling", "adaptive", "inverse_time", \
            "exponential"}, default="constant"
        - ``"constant"``: ``learning_rate_init`` throughout.
        - ``"invscaling"``: ``learning_rate_init / (t + 1) ** power_t`` with
          ``t`` the number of training samples seen (scikit-learn's).
        - ``"adaptive"``: constant, divided by 5 each time the loss plateaus.
        - ``"inverse_time"``: ``learning_rate_init / (1 + decay_rate * epoch)``.
        - ``"exponential"``: ``learning_rate_init * decay_rate ** epoch``.
    learning_rate_init : float, default=0.001
        The rate at epoch 0.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    decay_rate : float or None, default=None
        Decay of ``"inverse_time"`` and ``"exponential"``; None means 1.0 for
        ``"inverse_time"`` and 0.95 for ``"exponential"``.

    Examples
    --------
    >>> from skhp.neural_network import LearningRateSchedule
    >>> LearningRateSchedule("exponential", 0.1, decay_rate=0.5).simulate(4)
    array([0.1   , 0.05  , 0.025 , 0.0125])
    """

    def __init__(self, kind="constant", learning_rate_init=0.001, power_t=0.5,
                 decay_rate=None):
        if kind not in SCHEDULES:
            raise ValueError(
                f"Unknown learning-rate schedule {kind!r}; expected one of "
                f"{sorted(SCHEDULES)}."
            )
        if decay_rate is None:
            decay_rate = DEFAULT_DECAY_RATES.get(kind, 1.0)
        if kind == "exponential" and not 0 < decay_rate <= 1:
            raise ValueError(
                "learning_rate='exponential' needs 0 < decay_rate <= 1, got "
                f"decay_rate={decay_rate!r}."
            )
        self.kind = kind
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.decay_rate = decay_rate

    def rate(self, epoch, n_samples_seen=0, n_reductions=0):
        """The learning rate for the given progress.

        Parameters
        ----------
        epoch : int
            Epochs completed so far.
        n_samples_seen : int, default=0
            Training samples seen so far (used by ``"invscaling"``).
        n_reductions : int, default=0
            Plateaus met so far (used by ``"adaptive"``).

        Returns
        -------
        rate : float
        """
        rate = SCHEDULES[self.kind](
            self.learning_rate_init, epoch, n_samples_seen, self.power_t,
            self.decay_rate,
        )
        if self.kind == "adaptive":
            rate /= 5.0**n_reductions
        return float(rate)

    def simulate(self, n_epochs, samples_per_epoch=1):
        """The rate at the start of each of ``n_epochs`` epochs, without training.

        Parameters
        ----------
        n_epochs : int
            Number of epochs to show.
        samples_per_epoch : int, default=1
            Training samples per epoch (matters for ``"invscaling"`` only).

        Returns
        -------
        rates : ndarray of shape (n_epochs,)
        """
        return np.array([
            self.rate(epoch, epoch * samples_per_epoch) for epoch in range(n_epochs)
        ])

    def __repr__(self):
        return (
            f"LearningRateSchedule({self.kind!r}, "
            f"learning_rate_init={self.learning_rate_init!r}, "
            f"power_t={self.power_t!r}, decay_rate={self.decay_rate!r})"
        )
