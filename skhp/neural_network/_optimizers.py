"""Stochastic optimizers that update a flat parameter vector in place.

The contract follows scikit-learn's ``_stochastic_optimizers``: optimizers
know nothing about the estimator.

- ``update_params(params, grads)`` edits ``params`` in place;
- ``iteration_ends(time_step)`` closes an epoch, where the learning-rate
  schedule moves on;
- ``trigger_stopping(msg, verbose)`` is asked on a plateau whether to stop
  (or, for the ``"adaptive"`` schedule, to divide the rate by 5 and go on).

The optimizer never keeps a reference to the parameters, only its own state
(velocities or moments), so an estimator may rebuild its parameter vector
between calls. All arithmetic is in place and ``grads`` serves as work space
(it is overwritten), because at mini-batch sizes the update runs over every
weight once per step and temporary arrays would cost as much as the
arithmetic. BLAS's axpy (``y += a * x``) does in one pass what numpy needs
two for.
"""

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from skhp.neural_network._schedules import ADAPTIVE_MIN_RATE


def axpy(x, y, a):
    """``y += a * x`` in place, in one pass (BLAS) for contiguous vectors."""
    if x.flags.c_contiguous and y.flags.c_contiguous and x.dtype == y.dtype:
        get_blas_funcs("axpy", (y,))(x.ravel(), y.ravel(), a=a)
    else:
        y += a * x


class BaseOptimizer:
    """Base class: the learning-rate schedule and its bookkeeping.

    Parameters
    ----------
    schedule : LearningRateSchedule
        How the base learning rate changes with epochs and samples seen.

    Attributes
    ----------
    learning_rate : float
        The current base learning rate.
    epoch : int
        Epochs completed with this optimizer.
    n_reductions : int
        Plateaus met under the ``"adaptive"`` schedule.
    """

    def __init__(self, schedule):
        self.schedule = schedule
        self.epoch = 0
        self.time_step = 0
        self.n_reductions = 0
        self.learning_rate = schedule.rate(0)
        self._scratch = None

    def _state_names(self):
        return ()

    def continue_from(self, previous):
        """Take over the progress and state of ``previous``, if compatible.

        This is how a changed hyperparameter takes effect at the next
        ``partial_fit`` while momentum and moments carry on.
        """
        if type(previous) is not type(self):
            return self
        self.epoch = previous.epoch
        self.time_step = previous.time_step
        self.n_reductions = previous.n_reductions
        for name in self._state_names():
            setattr(self, name, getattr(previous, name))
        self.learning_rate = self.schedule.rate(
            self.epoch, self.time_step, self.n_reductions
        )
        return self

    def _scratch_like(self, params):
        if self._scratch is None or self._scratch.shape != params.shape:
            self._scratch = np.empty_like(params)
        return self._scratch

    def update_params(self, params, grads):
        """Update ``params`` in place from ``grads``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            All parameters as one vector.
        grads : ndarray of shape (n_params,)
            The gradient of the loss with respect to ``params``; used as
            work space and overwritten.
        """
        raise NotImplementedError

    def iteration_ends(self, time_step):
        """Close an epoch: move the schedule on.

        Parameters
        ----------
        time_step : int
            Number of training samples seen so far.
        """
        self.epoch += 1
        self.time_step = time_step
        self.learning_rate = self.schedule.rate(
            self.epoch, self.time_step, self.n_reductions
        )

    def trigger_stopping(self, msg, verbose):
        """Decide what to do when the loss or score stops improving.

        Parameters
        ----------
        msg : str
            Why training would stop, printed when ``verbose``.
        verbose : bool
            Whether to print.

        Returns
        -------
        is_stopping : bool
            True if training should stop.
        """
        if self.schedule.kind != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= ADAPTIVE_MIN_RATE:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.n_reductions += 1
        self.learning_rate = self.schedule.rate(
            self.epoch, self.time_step, self.n_reductions
        )
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_scratch"] = None  # work space, not state
        return state


class SGDOptimizer(BaseOptimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum * v - lr * g``, then ``w <- w + v`` or, with Nesterov's
    momentum, ``w <- w + momentum * v - lr * g`` (scikit-learn's formulas).

    Parameters
    ----------
    schedule : LearningRateSchedule
        The learning-rate schedule.
    momentum : float, default=0.9
        Momentum (the course's beta); 0 gives plain SGD.
    nesterov : bool, default=True
        Whether to use Nesterov's momentum.
    """

    def __init__(self, schedule, momentum=0.9, nesterov=True):
        super().__init__(schedule)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocities = None

    def _state_names(self):
        return ("velocities",)

    def update_params(self, params, grads):
        if self.velocities is None or self.velocities.shape != params.shape:
            self.velocities = np.zeros_like(params)
        self.velocities *= self.momentum
        axpy(grads, self.velocities, -self.learning_rate)
        if self.nesterov:
            axpy(self.velocities, params, self.momentum)
            axpy(grads, params, -self.learning_rate)
        else:
            axpy(self.velocities, params, 1.0)


class AdamOptimizer(BaseOptimizer):
    """Adam (Kingma and Ba, 2014), with bias-corrected moments.

    ``m <- beta_1 m + (1 - beta_1) g``, ``v <- beta_2 v + (1 - beta_2) g**2``,
    ``w <- w - lr_t m / (sqrt(v) + epsilon)`` with
    ``lr_t = lr sqrt(1 - beta_2**t) / (1 - beta_1**t)`` (scikit-learn's).

    Parameters
    ----------
    schedule : LearningRateSchedule
        The learning-rate schedule.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    """

    def __init__(self, schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(schedule)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms = None
        self.vs = None

    def _state_names(self):
        return ("t", "ms", "vs")

    def update_params(self, params, grads):
        if self.ms is None or self.ms.shape != params.shape:
            self.ms = np.zeros_like(params)
            self.vs = np.zeros_like(params)
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        self.ms *= b1
        axpy(grads, self.ms, 1 - b1)  # m <- b1 m + (1 - b1) g
        np.multiply(grads, grads, out=grads)
        self.vs *= b2
        axpy(grads, self.vs, 1 - b2)  # v <- b2 v + (1 - b2) g^2
        step_size = self.learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        denominator = np.sqrt(self.vs, out=grads)
        denominator += self.epsilon
        np.divide(self.ms, denominator, out=denominator)
        axpy(denominator, params, -step_size)


class RMSpropOptimizer(BaseOptimizer):
    """RMSprop: divide each step by a running root mean square of gradients.

    ``s <- beta_2 s + (1 - beta_2) g**2`` and
    ``w <- w - lr g / (sqrt(s / (1 - beta_2**t)) + epsilon)``. The running
    mean is bias-corrected as Adam's second moment is, so that its zero
    start does not inflate the first steps.

    Parameters
    ----------
    schedule : LearningRateSchedule
        The learning-rate schedule.
    beta_2 : float, default=0.999
        Decay rate of the mean square (the course's beta for RMSprop).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    """

    def __init__(self, schedule, beta_2=0.999, epsilon=1e-8):
        super().__init__(schedule)
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.squares = None

    def _state_names(self):
        return ("t", "squares")

    def update_params(self, params, grads):
        if self.squares is None or self.squares.shape != params.shape:
            self.squares = np.zeros_like(params)
        self.t += 1
        b2 = self.beta_2
        scratch = self._scratch_like(params)
        np.multiply(grads, grads, out=scratch)
        self.squares *= b2
        axpy(scratch, self.squares, 1 - b2)
        np.sqrt(self.squares, out=scratch)
        scratch *= 1.0 / np.sqrt(1 - b2**self.t)
        scratch += self.epsilon
        np.divide(grads, scratch, out=scratch)
        axpy(scratch, params, -self.learning_rate)


OPTIMIZERS = {
    "sgd": SGDOptimizer,
    "adam": AdamOptimizer,
    "rmsprop": RMSpropOptimizer,
}
