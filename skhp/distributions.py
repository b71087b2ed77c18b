"""Scale-aware distributions for hyperparameter search.

Each distribution behaves like a frozen :mod:`scipy.stats` distribution where that
makes sense (``rvs``, ``cdf``, ``ppf``), so it works unchanged in
:class:`~sklearn.model_selection.RandomizedSearchCV`. On top of that, each one
exposes a small private protocol (``_unit_dims``, ``_from_unit``, ``_to_unit``)
that maps the unit hypercube onto its values; :class:`~skhp.CoarseToFineSearchCV`
samples and zooms in that quantile space, so a log-scale parameter is zoomed in
log space. Distributions are immutable: zooming builds new state in the search,
never edits a distribution.

Only the scales scipy lacks are here. A parameter on a linear scale, such as a
dropout rate, takes scipy's own ``scipy.stats.uniform(0, 0.5)`` (start and
width): its quantiles are linear, so the search zooms it linearly. The notation
page of the documentation gives each hyperparameter's scale.
"""

from math import log
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["layer_sizes", "loguniform", "loguniform_int", "reverse_loguniform"]

# Integer values are computed in float64, which holds every integer exactly only
# up to 2**53 (and loguniform_int's cdf needs high + 1): larger bounds would give
# wrong (or overflowing) values.
_MAX_INT = 2**53 - 1


def _check_rng(random_state):
    """Return a numpy ``Generator`` or ``RandomState`` from any seed kind."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return check_random_state(random_state)


def _uniform(rng, size):
    # Generator and RandomState both have ``random``; ``size=None`` gives a float.
    return rng.random(size)


def _check_real(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}.")
    return float(value)


def _check_int(name, value):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    return int(value)


def _nan_outside(q, values):
    """``values``, with nan where ``q`` is nan or outside ``[0, 1]`` (as in scipy)."""
    return np.where((q >= 0) & (q <= 1), values, np.nan)


def _clip_probability(p):
    # Rounding in log space can step just outside [0, 1] at the bounds.
    return np.clip(p, 0.0, 1.0)


class _ScalarDistribution:
    """Base for one-dimensional distributions defined by their ``ppf``."""

    _unit_dims = 1
    _discrete = False

    def rvs(self, size=None, random_state=None):
        """Draw random samples.

        Parameters
        ----------
        size : int or tuple of int, default=None
            Output shape. ``None`` returns a single Python scalar.
        random_state : int, RandomState, Generator or None, default=None
            Source of randomness.

        Returns
        -------
        sample : scalar or ndarray
        """
        u = _uniform(_check_rng(random_state), size)
        values = self._values(self.ppf(u))
        if size is None:
            return values.item()
        return values

    def _values(self, x):
        # ppf gives floats, as scipy's does; draws of a discrete law are integers.
        return np.asarray(x).astype(np.int64) if self._discrete else np.asarray(x)

    def _from_unit(self, U):
        return self._values(self.ppf(np.asarray(U, dtype=float)[:, 0])).tolist()

    def _to_unit(self, value):
        # The cdf is flat outside [low, high]: such a value would come back on a
        # bound, so it is refused instead.
        self._check_drawn(value)
        return np.array([float(self.cdf(value))])

    def _check_drawn(self, value):
        """ValueError unless ``value`` is one this distribution draws."""
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside [{self.low!r}, {self.high!r}].")
        if self._discrete and value != int(value):
            raise ValueError(f"{value!r} is not an integer.")

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(vars(self).items()))))

    def __repr__(self):
        return f"{type(self).__name__}(low={self.low!r}, high={self.high!r})"


class loguniform(_ScalarDistribution):
    """Log-uniform distribution on ``[low, high]``: uniform in ``log10`` space.

    The scale of learning rates and L2 penalties: ``[1e-5, 1e-1]`` gets as many
    draws in ``[1e-5, 1e-4]`` as in ``[1e-2, 1e-1]``. Matches
    :func:`scipy.stats.loguniform`, with a readable repr and skhp's quantile
    protocol.

    Parameters
    ----------
    low : float
        Lower bound, ``> 0``.
    high : float
        Upper bound, ``> low``.

    Examples
    --------
    >>> from skhp.distributions import loguniform
    >>> d = loguniform(1e-4, 1e-1)
    >>> d
    loguniform(low=0.0001, high=0.1)
    >>> round(float(d.ppf(0.5)), 6)  # the geometric midpoint
    0.003162
    >>> 1e-4 <= d.rvs(random_state=0) <= 1e-1
    True
    """

    def __init__(self, low, high):
        low = _check_real("low", low)
        high = _check_real("high", high)
        if not 0 < low < high:
            raise ValueError(
                f"loguniform requires 0 < low < high, got low={low!r}, high={high!r}."
            )
        self.low = low
        self.high = high

    def ppf(self, q):
        """Percent point function (inverse of ``cdf``)."""
        q = np.asarray(q, dtype=float)
        # The clip keeps exp(log(.)) rounding from stepping out of [low, high].
        x = np.exp(log(self.low) + q * (log(self.high) - log(self.low)))
        return _nan_outside(q, np.clip(x, self.low, self.high))

    def cdf(self, x):
        """Cumulative distribution function."""
        x = np.clip(np.asarray(x, dtype=float), self.low, self.high)
        return _clip_probability((np.log(x) - log(self.low)) / (log(self.high) - log(self.low)))

    def pdf(self, x):
        """Probability density function."""
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(inside, 1.0 / (x * (log(self.high) - log(self.low))), 0.0)
        return np.where(np.isnan(x), np.nan, density)


class loguniform_int(_ScalarDistribution):
    """Integers in ``[low, high]`` (both included) on a log scale.

    The scale of hidden units and batch sizes: the law of ``floor(X)`` with
    ``X ~ loguniform(low, high + 1)``, so ``P(k) = log((k + 1) / k) / log((high + 1)
    / low)``: 16..31 are drawn as often as 32..63.

    Parameters
    ----------
    low : int
        Smallest value, ``>= 1``.
    high : int
        Largest value, ``> low`` and ``< 2**53`` (float64, in which the
        quantiles are computed, holds every integer exactly only up to 2**53).

    Notes
    -----
    As for scipy's discrete distributions, ``ppf`` returns floats (with integer
    values, nan for ``q`` outside ``[0, 1]``) and ``rvs`` returns integers.

    Examples
    --------
    >>> from skhp.distributions import loguniform_int
    >>> d = loguniform_int(16, 512)
    >>> d
    loguniform_int(low=16, high=512)
    >>> d.rvs(size=3, random_state=0).tolist()
    [107, 191, 129]
    >>> int(d.ppf(0.5))
    90
    """

    _discrete = True

    def __init__(self, low, high):
        low = _check_int("low", low)
        high = _check_int("high", high)
        if not 1 <= low < high:
            raise ValueError(
                "loguniform_int requires 1 <= low < high, got "
                f"low={low!r}, high={high!r}."
            )
        if high > _MAX_INT:
            raise ValueError(
                f"loguniform_int requires high < 2**53 = {_MAX_INT + 1}: its "
                "values are computed in float64, which holds larger integers "
                f"inexactly; got high={high!r}."
            )
        self.low = low
        self.high = high

    @property
    def _log_span(self):
        return log((self.high + 1) / self.low)

    def ppf(self, q):
        """Percent point function: the smallest ``k`` with ``cdf(k) >= q``."""
        q = np.asarray(q, dtype=float)
        x = self.low * np.exp(q * self._log_span)
        # ceil(x - 1) is the smallest k with cdf(k) >= q in exact arithmetic; the
        # rounding of exp(log(.)) puts it off by up to ~1e-14 * x, so a few steps
        # along the cdf make it exact (and ppf(cdf(k)) == k).
        k = np.clip(np.ceil(x - 1.0), self.low, self.high)
        valid = (q >= 0) & (q <= 1)
        while (down := valid & (k > self.low) & (self.cdf(k - 1) >= q)).any():
            k = np.where(down, k - 1, k)
        while (up := valid & (k < self.high) & (self.cdf(k) < q)).any():
            k = np.where(up, k + 1, k)
        # Near 2**53 the cdf of neighbours is equal in float64: q = 1 is high, as
        # in scipy.
        return _nan_outside(q, np.where(q == 1, self.high, k))

    def cdf(self, x):
        """Cumulative distribution function."""
        k = np.floor(np.asarray(x, dtype=float))
        k = np.clip(k, self.low - 1, self.high)
        return _clip_probability(np.log((k + 1) / self.low) / self._log_span)

    def pmf(self, k):
        """Probability mass function."""
        k = np.asarray(k, dtype=float)
        inside = (k >= self.low) & (k <= self.high) & (k == np.floor(k))
        kk = np.where(inside, k, 1.0)
        mass = np.where(inside, np.log((kk + 1) / kk) / self._log_span, 0.0)
        return np.where(np.isnan(k), np.nan, mass)

    def _to_unit(self, value):
        self._check_drawn(value)
        # Middle of the value's quantile interval, so a zoom around it stays on it.
        return np.array([0.5 * float(self.cdf(value - 1) + self.cdf(value))])

    @property
    def _support_size(self):
        return self.high - self.low + 1

    def _enumerate(self):
        return list(range(self.low, self.high + 1))


class reverse_loguniform(_ScalarDistribution):
    """Values close to 1 where ``1 - x`` is log-uniform.

    The scale of momentum and Adam's ``beta_1``/``beta_2``: on ``[0.9, 0.999]``,
    ``[0.99, 0.999]`` gets as many draws as ``[0.9, 0.99]``.

    Parameters
    ----------
    low : float
        Lower bound, ``0 < low``.
    high : float
        Upper bound, ``low < high < 1``.

    Examples
    --------
    >>> from skhp.distributions import reverse_loguniform
    >>> d = reverse_loguniform(0.9, 0.999)
    >>> d
    reverse_loguniform(low=0.9, high=0.999)
    >>> round(float(d.ppf(0.5)), 6)
    0.99
    >>> round(float(d.cdf(0.99)), 6)
    0.5
    """

    def __init__(self, low, high):
        low = _check_real("low", low)
        high = _check_real("high", high)
        if not 0 < low < high < 1:
            raise ValueError(
                "reverse_loguniform requires 0 < low < high < 1, got "
                f"low={low!r}, high={high!r}."
            )
        self.low = low
        self.high = high

    def ppf(self, q):
        """Percent point function (inverse of ``cdf``)."""
        q = np.asarray(q, dtype=float)
        one_minus = np.exp(log(1 - self.low) + q * (log(1 - self.high) - log(1 - self.low)))
        return _nan_outside(q, np.clip(1.0 - one_minus, self.low, self.high))

    def cdf(self, x):
        """Cumulative distribution function."""
        x = np.clip(np.asarray(x, dtype=float), self.low, self.high)
        return _clip_probability(
            (np.log1p(-x) - log(1 - self.low)) / (log(1 - self.high) - log(1 - self.low))
        )

    def pdf(self, x):
        """Probability density function: ``1 / ((1 - x) log((1 - low) / (1 - high)))``."""
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        span = log(1 - self.low) - log(1 - self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(inside, 1.0 / ((1.0 - x) * span), 0.0)
        return np.where(np.isnan(x), np.nan, density)


def _check_range(name, value, minimum):
    """``value`` is an int or a ``(low, high)`` pair of ints; return the pair."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        low = high = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = (_check_int(name, v) for v in value)
    else:
        raise TypeError(f"{name} must be an int or a (low, high) pair, got {value!r}.")
    if not minimum <= low <= high:
        raise ValueError(
            f"{name} must satisfy {minimum} <= low <= high, got ({low}, {high})."
        )
    return low, high


class layer_sizes:
    """Distribution over ``hidden_layer_sizes`` tuples.

    The number of layers is uniform over the integers in ``n_layers`` and the
    units of each layer are drawn independently on a log scale
    (:class:`loguniform_int`), so depth and width each have their own scale.

    Parameters
    ----------
    n_layers : int or (int, int), default=(1, 3)
        Number of hidden layers, or the inclusive range it is drawn from.
    units : int or (int, int), default=(16, 512)
        Units per layer, or the inclusive range they are drawn from (log scale).

    Examples
    --------
    >>> from skhp.distributions import layer_sizes
    >>> d = layer_sizes(n_layers=(1, 3), units=(16, 512))
    >>> d
    layer_sizes(n_layers=(1, 3), units=(16, 512))
    >>> d.rvs(random_state=0)
    (191, 129)
    >>> all(1 <= len(t) <= 3 for t in d.rvs(size=20, random_state=0))
    True
    """

    _discrete = True

    def __init__(self, n_layers=(1, 3), units=(16, 512)):
        self.n_layers = _check_range("n_layers", n_layers, 1)
        self.units = _check_range("units", units, 1)
        if self.units[1] > _MAX_INT:
            raise ValueError(
                f"units must be below 2**53 = {_MAX_INT + 1} (the widths are "
                f"computed in float64), got {self.units}."
            )

    def __repr__(self):
        return f"layer_sizes(n_layers={self.n_layers!r}, units={self.units!r})"

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self):
        return hash(("layer_sizes", self.n_layers, self.units))

    @property
    def _unit_dims(self):
        # One quantile for the depth, one per possible layer for the widths.
        return 1 + self.n_layers[1]

    def _units_ppf(self, q):
        low, high = self.units
        if low == high:
            return np.full(np.shape(q), low, dtype=np.int64)
        return loguniform_int(low, high).ppf(q).astype(np.int64)

    def _units_cdf_mid(self, value):
        low, high = self.units
        if low == high:
            return 0.5
        d = loguniform_int(low, high)
        return 0.5 * float(d.cdf(value - 1) + d.cdf(value))

    def _from_unit(self, U):
        U = np.asarray(U, dtype=float)
        lo, hi = self.n_layers
        depth = np.minimum(lo + np.floor(U[:, 0] * (hi - lo + 1)), hi).astype(int)
        widths = self._units_ppf(U[:, 1:])
        return [tuple(int(w) for w in widths[i, : depth[i]]) for i in range(len(U))]

    def _to_unit(self, value):
        value = tuple(value)
        lo, hi = self.n_layers
        if not lo <= len(value) <= hi:
            raise ValueError(f"{value!r} has a depth outside n_layers={self.n_layers}.")
        u = np.full(self._unit_dims, 0.5)
        u[0] = (len(value) - lo + 0.5) / (hi - lo + 1)
        for i, width in enumerate(value):
            if not self.units[0] <= width <= self.units[1] or width != int(width):
                raise ValueError(f"{value!r} has a width outside units={self.units}.")
            u[1 + i] = self._units_cdf_mid(width)
        return u

    @property
    def _support_size(self):
        n_units = self.units[1] - self.units[0] + 1
        return sum(n_units**depth for depth in range(self.n_layers[0], self.n_layers[1] + 1))

    def _enumerate(self):
        from itertools import product

        widths = range(self.units[0], self.units[1] + 1)
        return [
            tuple(t)
            for depth in range(self.n_layers[0], self.n_layers[1] + 1)
            for t in product(widths, repeat=depth)
        ]

    def rvs(self, size=None, random_state=None):
        """Draw random layer-size tuples.

        Parameters
        ----------
        size : int or tuple of int, default=None
            Output shape. ``None`` returns a single tuple.
        random_state : int, RandomState, Generator or None, default=None
            Source of randomness.

        Returns
        -------
        sample : tuple of int, or ndarray of object
            A tuple, or an object array of tuples of shape ``size``.
        """
        rng = _check_rng(random_state)
        shape = () if size is None else ((size,) if np.ndim(size) == 0 else tuple(size))
        n = int(np.prod(shape))
        values = self._from_unit(_uniform(rng, (n, self._unit_dims)))
        if size is None:
            return values[0]
        out = np.empty(n, dtype=object)
        out[:] = values
        return out.reshape(shape)

