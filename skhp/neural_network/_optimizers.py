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
two for, where calling scipy's BLAS is safe (see ``_threadpools``).
"""

import math

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from skhp.neural_network._network import writeable
from skhp.neural_network._schedules import ADAPTIVE_MIN_RATE
from skhp.neural_network._threadpools import scipy_blas_is_quiet

# Native-order types BLAS's axpy updates in place (np.dtype equality: '>f8' differs).
_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def axpy(x, y, a):
    """``y += a * x`` in place, in one pass (BLAS) for contiguous vectors.

    scipy's BLAS serves only while a fit has made it safe to call (see
    ``_threadpools``); elsewhere numpy's two passes do the same.
    """
    # BLAS writes into y only when f2py can pass it without a copy: an
    # aligned, writeable, native-order float32/float64 array (else the update
    # would land in the copy and be lost).
    if (
        scipy_blas_is_quiet()
        and x.flags.c_contiguous
        and y.flags.c_contiguous
        and y.flags.aligned
        and y.flags.writeable
        and x.dtype == y.dtype
        and y.dtype in _BLAS_DTYPES
    ):
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


class DecayingAverage:
    """An exponential moving average ``a <- decay * a + weight * x``.

    Multiplying by ``decay`` at every step would be one more pass over the
    whole vector; instead the decay accumulates in the scalar ``scale``
    (``a == scale * values``) and a step is a single axpy. ``values`` is
    rescaled once ``scale`` falls below 1e-10, before ``1 / scale`` could
    lose precision: every few hundred steps for a decay of 0.9.

    Parameters
    ----------
    like : ndarray
        An array of the average's shape and dtype.
    decay : float
        The decay rate in [0, 1).
    """

    _RESCALE_BELOW = 1e-10

    def __init__(self, like, decay):
        self.values = np.zeros_like(like)
        self.scale = 1.0
        self.decay = decay

    def add(self, x, weight):
        """``a <- decay * a + weight * x``, in one pass over ``x``."""
        self._decay_scale()
        axpy(x, self.values, weight / self.scale)

    def _decay_scale(self):
        self.scale *= self.decay
        if self.scale < self._RESCALE_BELOW:
            self.values *= self.scale
            self.scale = 1.0

    @property
    def value(self):
        """The average itself (a new array)."""
        return self.values * self.scale


def _continue_average(average, like, decay):
    """``average`` with a (possibly changed) decay, or a new one."""
    if average is None or average.values.shape != like.shape:
        return DecayingAverage(like, decay)
    average.decay = decay
    average.values = writeable(average.values)  # a memory-mapped fitted model's
    return average


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

    Attributes
    ----------
    velocities : ndarray or None
        The velocity ``v`` (None before the first step).
    """

    def __init__(self, schedule, momentum=0.9, nesterov=True):
        super().__init__(schedule)
        self.momentum = momentum
        self.nesterov = nesterov
        self._velocity = None

    def _state_names(self):
        return ("_velocity",)

    @property
    def velocities(self):
        return None if self._velocity is None else self._velocity.value

    def update_params(self, params, grads):
        velocity = self._velocity = _continue_average(
            self._velocity, params, self.momentum
        )
        velocity.add(grads, -self.learning_rate)
        if self.nesterov:
            axpy(velocity.values, params, self.momentum * velocity.scale)
            axpy(grads, params, -self.learning_rate)
        else:
            axpy(velocity.values, params, velocity.scale)


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

    Attributes
    ----------
    t : int
        Steps taken.
    ms, vs : ndarray or None
        The first and second moment estimates (None before the first step).
    """

    def __init__(self, schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(schedule)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self._m = None
        self._v = None

    def _state_names(self):
        return ("t", "_m", "_v")

    @property
    def ms(self):
        return None if self._m is None else self._m.value

    @property
    def vs(self):
        return None if self._v is None else self._v.value

    def update_params(self, params, grads):
        b1, b2 = self.beta_1, self.beta_2
        m = self._m = _continue_average(self._m, params, b1)
        v = self._v = _continue_average(self._v, params, b2)
        self.t += 1
        m.add(grads, 1 - b1)
        # BLAS's sbmv could square and add in one pass, but OpenBLAS runs it
        # 20x slower than these two passes on some processors (measured).
        np.multiply(grads, grads, out=grads)
        v.add(grads, 1 - b2)
        # m / (sqrt(v) + eps), with m and v kept as scale * values
        # Python floats: a numpy float64 scalar would make numpy do the
        # float32 arithmetic below in float64 (NEP 50), at twice the cost.
        root = math.sqrt(v.scale)
        step_size = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        denominator = np.sqrt(v.values, out=grads)
        denominator += self.epsilon / root
        np.divide(m.values, denominator, out=denominator)
        axpy(denominator, params, -step_size * m.scale / root)


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

    Attributes
    ----------
    t : int
        Steps taken.
    squares : ndarray or None
        The running mean square ``s`` (None before the first step).
    """

    def __init__(self, schedule, beta_2=0.999, epsilon=1e-8):
        super().__init__(schedule)
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self._squares = None

    def _state_names(self):
        return ("t", "_squares")

    @property
    def squares(self):
        return None if self._squares is None else self._squares.value

    def update_params(self, params, grads):
        b2 = self.beta_2
        squares = self._squares = _continue_average(self._squares, params, b2)
        self.t += 1
        scratch = self._scratch_like(params)
        np.multiply(grads, grads, out=scratch)
        squares.add(scratch, 1 - b2)
        # sqrt(s / (1 - b2**t)) == c * sqrt(values)
        c = math.sqrt(squares.scale / (1 - b2**self.t))  # a Python float
        np.sqrt(squares.values, out=scratch)
        scratch += self.epsilon / c
        np.divide(grads, scratch, out=scratch)
        axpy(scratch, params, -self.learning_rate / c)


OPTIMIZERS = {
    "sgd": SGDOptimizer,
    "adam": AdamOptimizer,
    "rmsprop": RMSpropOptimizer,
}
