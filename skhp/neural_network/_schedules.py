"""Learning-rate schedules: the rate as a pure function of training progress.

A schedule is found by name in :data:`SCHEDULES`. Each maps a
:class:`LearningRateSchedule` (its settings), the epoch and the number of
samples seen to a rate; ``"adaptive"`` additionally divides by 5 once per
plateau, which the optimizer counts, and an optional linear warm-up scales the
first epochs of any schedule (see :meth:`LearningRateSchedule.rate`).
"""

import math

import numpy as np


def _constant(schedule, epoch, n_samples_seen):
    return schedule.learning_rate_init


def _invscaling(schedule, epoch, n_samples_seen):
    # scikit-learn's definition: decays with the number of samples seen.
    return schedule.learning_rate_init / (n_samples_seen + 1) ** schedule.power_t


def _inverse_time(schedule, epoch, n_samples_seen):
    return schedule.learning_rate_init / (1.0 + schedule.decay_rate * epoch)


def _exponential(schedule, epoch, n_samples_seen):
    return schedule.learning_rate_init * schedule.decay_rate**epoch


def _cosine(schedule, epoch, n_samples_seen):
    # Half a cosine from learning_rate_init down to learning_rate_min, over the
    # epochs after the warm-up; the floor from then on.
    span = max(schedule.n_epochs - schedule.warmup_epochs, 1)
    progress = min(max(epoch - schedule.warmup_epochs, 0) / span, 1.0)
    high, low = schedule.learning_rate_init, schedule.learning_rate_min
    return low + (high - low) * 0.5 * (1.0 + math.cos(math.pi * progress))


SCHEDULES = {
    "constant": _constant,
    "adaptive": _constant,
    "invscaling": _invscaling,
    "inverse_time": _inverse_time,
    "exponential": _exponential,
    "cosine": _cosine,
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
            "exponential", "cosine"}, default="constant"
        - ``"constant"``: ``learning_rate_init`` throughout.
        - ``"invscaling"``: ``learning_rate_init / (t + 1) ** power_t`` with
          ``t`` the number of training samples seen (scikit-learn's).
        - ``"adaptive"``: constant, divided by 5 each time the loss plateaus.
        - ``"inverse_time"``: ``learning_rate_init / (1 + decay_rate * epoch)``.
        - ``"exponential"``: ``learning_rate_init * decay_rate ** epoch``.
        - ``"cosine"``: half a cosine from ``learning_rate_init`` down to
          ``learning_rate_min`` over the ``n_epochs - warmup_epochs`` epochs
          after the warm-up, then ``learning_rate_min``.
    learning_rate_init : float, default=0.001
        The rate at epoch 0.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    decay_rate : float or None, default=None
        Decay of ``"inverse_time"`` and ``"exponential"``; None means 1.0 for
        ``"inverse_time"`` and 0.95 for ``"exponential"``.
    n_epochs : int, default=200
        The epochs ``"cosine"`` spans, warm-up included (the estimator's
        ``max_iter``).
    warmup_epochs : int, default=0
        Epochs over which any schedule's rate rises linearly: epoch ``e <
        warmup_epochs`` trains at ``(e + 1) / (warmup_epochs + 1)`` of it.
    learning_rate_min : float, default=0.0
        The floor ``"cosine"`` ends at.

    Examples
    --------
    >>> from skhp.neural_network import LearningRateSchedule
    >>> LearningRateSchedule("exponential", 0.1, decay_rate=0.5).simulate(4)
    array([0.1   , 0.05  , 0.025 , 0.0125])
    >>> LearningRateSchedule("cosine", 0.1, n_epochs=6, warmup_epochs=2).simulate(7)
    array([0.03333333, 0.06666667, 0.1       , 0.08535534, 0.05      ,
           0.01464466, 0.        ])
    """

    def __init__(self, kind="constant", learning_rate_init=0.001, power_t=0.5,
                 decay_rate=None, n_epochs=200, warmup_epochs=0,
                 learning_rate_min=0.0):
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
        self.n_epochs = n_epochs
        self.warmup_epochs = warmup_epochs
        self.learning_rate_min = learning_rate_min

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
        rate = SCHEDULES[self.kind](self, epoch, n_samples_seen)
        if self.kind == "adaptive":
            rate /= 5.0**n_reductions
        if epoch < self.warmup_epochs:
            rate *= (epoch + 1) / (self.warmup_epochs + 1)
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
            f"power_t={self.power_t!r}, decay_rate={self.decay_rate!r}, "
            f"n_epochs={self.n_epochs!r}, warmup_epochs={self.warmup_epochs!r}, "
            f"learning_rate_min={self.learning_rate_min!r})"
        )
