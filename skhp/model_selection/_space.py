"""The search space seen as a unit hypercube (quantile space), one per sub-grid.

Every parameter gets one or more coordinates in ``[0, 1)``: a numeric
distribution through its ``ppf`` (so a log-uniform parameter is uniform in log
space there), a list through equal bins. Sampling and zooming happen on these
coordinates; values are only built at the end, from fresh objects, so nothing
the user gave is ever modified.
"""

import os
import sys
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import sklearn
from scipy import stats

# Quantiles of scipy laws are kept off 0 and 1 so that unbounded ones stay finite
# (discrete laws with a cut support are drawn within their bounds instead).
_EPS = 1e-9
# An infinite (or very long) support of a discrete scipy law is cut where at most
# _EPS of the mass lies beyond, or at most this many values past its other end if
# that comes first. scipy gets the cdf of a law without a closed form (zipf,
# logser...) by summing the pmf from the start, at a cost that grows with the
# value: zipf(2)'s 1 - 1e-9 quantile is near 6e8, a hang. Other laws stop where
# float64 stops holding every integer.
_MAX_SUMMED_SPAN = 2**16
_MAX_EXACT_SPAN = 2**52
# A warning says so when the cut drops more of a law's mass than this.
_CUT_WARNING = 1e-3
# A finite space this small is enumerated when rejection sampling runs dry.
_ENUMERATE_LIMIT = 100_000


# Kinds of plain Python numbers, looked up by exact type: much faster than the
# ABC checks below, and most candidate values are these.
_FAST_KINDS = {float: "float", int: "int", bool: "bool"}


def _primitive_key(value):
    """A hashable key for a parameter value, or None when there is no safe one.

    Numbers are tagged with their kind: ``True``, ``1`` and ``1.0`` are equal in
    Python but different parameters to an estimator (``max_features=1`` is one
    feature, ``1.0`` all of them).
    """
    kind = _FAST_KINDS.get(type(value))
    if kind is not None:
        return (kind, value)
    if value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, Integral):
        return ("int", int(value))
    if isinstance(value, Real):
        return ("float", float(value))
    if isinstance(value, tuple):
        keys = tuple(_primitive_key(v) for v in value)
        return None if any(k is None and v is not None for k, v in zip(keys, value)) else keys
    return None


def _to_python(value):
    return value.item() if isinstance(value, np.generic) else value


class _CategoricalDim:
    """A list of choices; coordinate bin ``i`` of ``k`` equal bins is choice ``i``."""

    kind = "cat"
    n_units = 1

    def __init__(self, name, values):
        self.name = name
        self.values = list(values)
        if not self.values:
            raise ValueError(f"Parameter {name!r} has an empty list of values.")
        self.n_choices = len(self.values)

    def indices(self, u):
        return np.minimum((np.asarray(u) * self.n_choices).astype(int), self.n_choices - 1)

    def from_unit(self, U):
        return [self.values[i] for i in self.indices(U[:, 0])]

    def to_unit(self, value):
        # Identity first, then equal values of the same type (1 is not True).
        matches = (
            [i for i, v in enumerate(self.values) if v is value]
            or [i for i, v in enumerate(self.values)
                if type(v) is type(value) and _safe_equal(v, value)]
            or [i for i, v in enumerate(self.values) if _safe_equal(v, value)]
        )
        for i in matches[:1]:
            return np.array([(i + 0.5) / self.n_choices])
        raise ValueError(f"{value!r} is not one of the values of {self.name!r}.")

    def key(self, value, u, subspace):
        key = _primitive_key(value)
        if key is None and value is not None:
            # Unhashable or object choices (estimators...) are told apart by position.
            key = ("choice", subspace, self.name, int(self.indices(u[:1])[0]))
        return key

    @property
    def size(self):
        return self.n_choices

    def enumerate(self):
        return list(self.values)


def _safe_equal(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False


def _is_discrete(dist):
    """Whether ``dist`` is a scipy discrete distribution, frozen or not.

    Unfrozen ones are ``rv_discrete`` instances: ``rv_discrete(values=...)`` and
    instances of subclasses.
    """
    return isinstance(dist, stats.rv_discrete) or isinstance(
        getattr(dist, "dist", None), stats.rv_discrete
    )


def _sums_pmf(dist):
    """Whether scipy computes ``dist.cdf(k)`` by summing the pmf up to ``k``."""
    gen = getattr(dist, "dist", dist)
    return type(gen)._cdf is stats.rv_discrete._cdf


def _sample_points(dist):
    """The support points of an ``rv_discrete(values=...)`` law (``xk + loc``,
    those with mass) and the middle of each one's quantile interval; None for
    other laws.

    scipy draws such a law among its points, which need not be integers, so its
    values are looked up rather than stepped through one by one.
    """
    gen = getattr(dist, "dist", dist)
    xk, pk = getattr(gen, "xk", None), getattr(gen, "pk", None)
    if xk is None or pk is None:
        return None
    loc = 0.0
    if gen is not dist:  # frozen: rv_sample has no shape parameters, so args is (loc,)
        loc = dist.kwds.get("loc", dist.args[0] if dist.args else 0.0)
    cdf = np.cumsum(pk)
    mids = 0.5 * (np.append(0.0, cdf[:-1]) + cdf)
    keep = np.asarray(pk) > 0
    return np.asarray(xk, dtype=float)[keep] + loc, mids[keep]


def _cut(dist, start, stop):
    """The first of ``start + 1, 2, 4, ...`` towards ``stop`` (``start - 1, 2,
    4, ...`` if ``stop`` is below) beyond which lies at most ``_EPS`` of the
    mass; ``stop`` if none comes before it."""
    if stop == start:
        return stop
    up = stop > start
    steps = start + np.copysign(2.0 ** np.arange(int(np.log2(abs(stop - start))) + 1),
                                stop - start)
    points = np.append(steps[steps < stop] if up else steps[steps > stop], stop)
    if up:
        done = np.asarray(dist.cdf(points)) >= 1 - _EPS
    else:
        done = np.asarray(dist.cdf(points - 1)) <= _EPS
    return points[np.argmax(done)] if done.any() else stop


def _discrete_bounds(dist, low, high):
    """Finite ``(low, high)`` that the search draws a discrete scipy law within,
    given its support ``[low, high]``.

    A short finite support is kept whole. An infinite end (or a long support) is
    cut where at most ``_EPS`` of the mass lies beyond, or at most a span away
    from the other end (or the median) if that comes first.
    """
    span = _MAX_SUMMED_SPAN if _sums_pmf(dist) else _MAX_EXACT_SPAN
    if high - low <= span:
        return low, high
    if np.isfinite(low):
        return low, _cut(dist, low, min(high, low + span))
    if np.isfinite(high):
        return _cut(dist, high, max(low, high - span)), high
    median = float(dist.ppf(0.5))
    return _cut(dist, median, median - span), _cut(dist, median, median + span)


# skhp's folder and scikit-learn's.
_INTERNAL_FOLDERS = tuple(
    os.path.dirname(os.path.abspath(init)) + os.sep
    for init in (os.path.join(os.path.dirname(__file__), os.pardir, "__init__.py"),
                 sklearn.__file__)
)


def _caller_stacklevel():
    """The ``stacklevel`` at which a warning raised by the caller of this
    function points at the first frame outside skhp and scikit-learn (a
    search's ``fit`` builds the space through scikit-learn's)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INTERNAL_FOLDERS):
        frame, level = frame.f_back, level + 1
    return level


class _NumericDim:
    """A distribution with a quantile function: scipy (frozen or not) or skhp."""

    kind = "num"

    def __init__(self, name, dist):
        self.name = name
        self.dist = dist
        self._skhp = hasattr(dist, "_from_unit")
        self.n_units = dist._unit_dims if self._skhp else 1
        self.discrete = dist._discrete if self._skhp else _is_discrete(dist)
        if self.discrete and not self._skhp:
            self._init_discrete()

    def _init_discrete(self):
        """Bounds ``low`` and ``high`` of the values drawn, and how to draw them.

        A law with a cut support is drawn conditioned on ``[low, high]``
        (quantiles rescaled into ``[cdf(low - 1), cdf(high)]``, so no value piles
        up at the cut); any other by its quantiles within ``[_EPS, 1 - _EPS]``.
        A summed cdf (``_sums_pmf``) is summed once, into a table of its values
        on ``[low, high]``; a closed-form one is inverted by bisection (scipy's
        ppf may search the whole support, or give up: yulesimon).
        """
        dist = self.dist
        try:
            support = tuple(float(v) for v in dist.support())
            self._sample = _sample_points(dist)
            # rv_discrete(values=...) is drawn among its points: never cut.
            bounds = (support if self._sample is not None
                      else _discrete_bounds(dist, *support))
        except TypeError as exc:  # an unfrozen law that needs shape parameters
            raise TypeError(
                f"Parameter {self.name!r}: cannot use {dist!r} ({exc}); freeze it "
                "with its parameters, as in scipy.stats.poisson(3)."
            ) from None
        self.low, self.high = bounds
        self.cut = bounds != support
        # scipy's discrete laws take integers, unless shifted by a fractional
        # loc, or given fractional values (rv_discrete(values=...)).
        values = self._sample[0] if self._sample is not None else np.array(bounds)
        self.integral = bool(np.all(values == np.floor(values)))
        self._table = None
        if self.cut:
            self._init_cut()
        elif _sums_pmf(dist):
            self._table_start = self.low
            self._table = self._summed_cdf()
            self._table /= self._table[-1]
        if not self.cut:
            # Quantiles outside [_EPS, 1 - _EPS] are never drawn, nor their values.
            self.low, self.high = (float(v) for v in self.from_unit(np.array([[0.0], [1.0]])))
            if self._sample is not None:
                points, mids = self._sample
                inside = (points >= self.low) & (points <= self.high)
                self._sample = points[inside], mids[inside]

    def _summed_cdf(self):
        """``cdf(k) - cdf(low - 1)`` for each ``k`` in ``[low, high]``."""
        masses = self.dist.pmf(np.arange(self.low, self.high + 1))
        return np.cumsum(np.asarray(masses, dtype=float))

    def _init_cut(self):
        dist, low, high = self.dist, self.low, self.high
        self._q_low = float(dist.cdf(low - 1))
        if _sums_pmf(dist):
            self._table_start = low
            self._table = self._summed_cdf()
            kept = float(self._table[-1])
        else:
            kept = float(dist.cdf(high)) - self._q_low
        if not kept > _EPS:
            # Every draw would be low, and to_unit would divide by ~0.
            raise ValueError(
                f"Parameter {self.name!r}: {_describe(dist)} has (almost) none of "
                f"its probability within [{low:.0f}, {high:.0f}], the values it can "
                f"be drawn among: at most {_MAX_EXACT_SPAN:.0f} (2**52) from an "
                f"end of its support, {_MAX_SUMMED_SPAN} (2**16) if scipy sums its "
                "pmf for its cdf."
            )
        if self._table is not None:
            self._table /= kept
        self._q_high = self._q_low + kept
        if 1 - kept > _CUT_WARNING:
            warnings.warn(
                f"Parameter {self.name!r}: {_describe(dist)} is drawn within "
                f"[{low:.0f}, {high:.0f}], which leaves out "
                f"{100 * (1 - kept):.3g}% of its probability: quantiles further "
                "out are too slow (or too inexact) to compute.",
                UserWarning,
                stacklevel=_caller_stacklevel(),
            )

    def _bisect(self, q):
        """Smallest ``k`` in ``[low, high]`` with ``cdf(k) >= q``, for each ``q``
        in ``[cdf(low - 1), cdf(high)]``: exact, in at most 53 cdf calls."""
        below = np.full(len(q), self.low - 1)  # cdf(below) < q, or below the range
        above = np.full(len(q), self.high)  # cdf(above) >= q
        while (open_ := above - below > 1).any():
            mid = below[open_] + np.floor((above[open_] - below[open_]) / 2)
            reached = np.asarray(self.dist.cdf(mid)) >= q[open_]
            above[open_] = np.where(reached, mid, above[open_])
            below[open_] = np.where(reached, below[open_], mid)
        return above

    def from_unit(self, U):
        if self._skhp:
            return self.dist._from_unit(U)
        if not self.discrete:
            return [float(v) for v in np.asarray(self.dist.ppf(np.clip(U[:, 0], _EPS, 1 - _EPS)))]
        u = np.clip(U[:, 0], 0, 1) if self.cut else np.clip(U[:, 0], _EPS, 1 - _EPS)
        if self._table is not None:
            values = self._table_start + np.searchsorted(self._table, u)
        elif self.cut:
            values = self._bisect(self._q_low + u * (self._q_high - self._q_low))
        else:
            values = np.asarray(self.dist.ppf(u))
        if self.integral:
            return [int(v) for v in values]
        return [float(v) for v in values]

    def to_unit(self, value):
        """The coordinate ``from_unit`` gives ``value`` at; ValueError if it
        never gives it (outside the support, or beyond what is drawn)."""
        if self._skhp:
            return np.asarray(self.dist._to_unit(value), dtype=float)
        if self.discrete:
            return np.array([self._discrete_unit(value)])
        low, high = self.dist.support()
        if not low <= value <= high:
            raise ValueError(f"{value!r} is outside the support of {self.name!r}.")
        q = float(self.dist.cdf(value))
        # Quantiles are drawn within [_EPS, 1 - _EPS] (half of it for rounding).
        if not _EPS / 2 <= q <= 1 - _EPS / 2:
            raise ValueError(
                f"{value!r} lies further in a tail of {self.name!r} than is drawn."
            )
        return np.array([min(max(q, _EPS), 1 - _EPS)])

    def _discrete_unit(self, value):
        """The middle of ``value``'s quantile interval, on the unit scale."""
        if self._sample is not None:
            points, mids = self._sample
            i = int(np.searchsorted(points, value))
            if i == len(points) or points[i] != value:
                raise ValueError(f"{value!r} is not a value {self.name!r} draws.")
            return mids[i]
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside the range of {self.name!r}.")
        if self._table is not None:
            i = value - self._table_start
            if i != int(i):
                raise ValueError(f"{value!r} is not a value {self.name!r} draws.")
            i = int(i)
            lo, hi = (self._table[i - 1] if i else 0.0), self._table[i]
        else:
            if not self.dist.pmf(value) > 0:
                raise ValueError(f"{value!r} is not a value {self.name!r} draws.")
            lo, hi = (float(p) for p in self.dist.cdf([value - 1, value]))
        if not hi > lo:
            raise ValueError(f"{value!r} is outside the support of {self.name!r}.")
        q = 0.5 * (lo + hi)
        if self.cut and self._table is None:
            q = (q - self._q_low) / (self._q_high - self._q_low)
        return q

    def key(self, value, u, subspace):
        key = _primitive_key(value)
        return ("repr", repr(value)) if key is None else key

    @property
    def size(self):
        """Number of values drawn (an upper bound), or None if uncountable."""
        if not self.discrete:
            return None
        if self._skhp:
            return self.dist._support_size
        if self._sample is not None:
            return len(self._sample[0])
        return int(self.high - self.low) + 1

    def enumerate(self):
        """The values drawn, each one ``to_unit`` takes."""
        if self._skhp:
            return self.dist._enumerate()
        if self._sample is not None:
            values = self._sample[0]
        else:
            values = self.low + np.arange(self.high - self.low + 1)
            if self._table is not None:
                cdf = np.append(0.0, self._table)
                index = (values - self._table_start).astype(int)
                values = values[cdf[index + 1] > cdf[index]]
            else:
                masses = np.asarray(self.dist.pmf(values))
                drawn = np.asarray(self.dist.cdf(values)) > np.asarray(self.dist.cdf(values - 1))
                values = values[(masses > 0) & drawn]
        if self.integral:
            return [int(v) for v in values]
        return [float(v) for v in values]


def _describe(dist):
    """``zipf(1.1)`` for a frozen scipy law, its repr otherwise."""
    gen = getattr(dist, "dist", None)
    if gen is None:
        return repr(dist)
    args = [repr(a) for a in dist.args] + [f"{k}={v!r}" for k, v in dist.kwds.items()]
    return f"{gen.name}({', '.join(args)})"


class _OpaqueDim:
    """An object with ``rvs`` only: drawn at random, never zoomed."""

    kind = "opaque"
    n_units = 0
    size = None

    def __init__(self, name, dist):
        self.name = name
        self.dist = dist

    def draw(self, rng):
        return _to_python(self.dist.rvs(random_state=rng))

    def key(self, value, u, subspace):
        key = _primitive_key(value)
        return ("repr", repr(value)) if key is None else key


def dimension_kind(value):
    """How the zoom treats a ``param_distributions`` value, or None if it cannot.

    ``"cat"`` for a list of choices, ``"num"`` for a distribution whose
    quantiles the zoom can narrow (an skhp distribution, or one with ``ppf``
    and ``cdf``), ``"opaque"`` for one with ``rvs`` only: drawn afresh for
    every candidate, never zoomed.
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        return "cat"
    if hasattr(value, "_from_unit") or (hasattr(value, "ppf") and hasattr(value, "cdf")):
        return "num"
    if hasattr(value, "rvs"):
        return "opaque"
    return None


def _make_dim(name, value):
    dim_class = {"cat": _CategoricalDim, "num": _NumericDim, "opaque": _OpaqueDim}.get(
        dimension_kind(value)
    )
    if dim_class is None:
        raise TypeError(
            f"Parameter {name!r} must be a list of values, a scipy distribution or an "
            f"skhp distribution (something with rvs), got {value!r}."
        )
    return dim_class(name, value)


class _SubSpace:
    """One dict of ``param_distributions``."""

    def __init__(self, index, grid):
        if not isinstance(grid, Mapping):
            raise TypeError(f"param_distributions entries must be dicts, got {grid!r}.")
        if not grid:
            raise ValueError("param_distributions must not contain an empty dict.")
        self.index = index
        # Sorted names make the coordinates independent of dict order.
        self.dims = [_make_dim(name, grid[name]) for name in sorted(grid)]
        self.slices = {}
        start = 0
        for dim in self.dims:
            self.slices[dim.name] = slice(start, start + dim.n_units)
            start += dim.n_units
        self.n_units = start
        # Coordinates of numeric dims: the ones distances and zooming use.
        self.num_units = np.array(
            [
                i
                for d in self.dims
                if d.kind == "num"
                for i in range(self.slices[d.name].start, self.slices[d.name].stop)
            ],
            dtype=int,
        )
        self.cat_dims = [d for d in self.dims if d.kind == "cat"]

    def params_from_unit(self, U, rng):
        """Candidate dicts for the rows of ``U`` (opaque dims drawn from ``rng``)."""
        U = np.asarray(U, dtype=float).reshape(len(U), self.n_units)
        columns = {}
        for dim in self.dims:
            if dim.kind == "opaque":
                columns[dim.name] = [dim.draw(rng) for _ in range(len(U))]
            else:
                columns[dim.name] = dim.from_unit(U[:, self.slices[dim.name]])
        return [{name: columns[name][i] for name in columns} for i in range(len(U))]

    def unit_from_params(self, params):
        """Coordinates of an existing candidate; ValueError if it is not in here."""
        if set(params) != {d.name for d in self.dims}:
            raise ValueError("parameter names differ")
        u = np.full(self.n_units, 0.5)
        for dim in self.dims:
            if dim.kind != "opaque":
                u[self.slices[dim.name]] = dim.to_unit(params[dim.name])
        return u

    def key(self, params, u):
        """A hashable key: equal for candidates an estimator cannot tell apart."""
        return frozenset(
            (dim.name, dim.key(params[dim.name], u[self.slices[dim.name]], self.index))
            for dim in self.dims
        )

    @property
    def size(self):
        size = 1
        for dim in self.dims:
            if dim.size is None:
                return None
            size *= dim.size
        return size


class SearchSpace:
    """All sub-grids of ``param_distributions`` (a dict or a list of dicts)."""

    def __init__(self, param_distributions):
        grids = param_distributions
        if isinstance(grids, Mapping):
            grids = [grids]
        if not isinstance(grids, (list, tuple)) or not grids:
            raise TypeError(
                "param_distributions must be a dict or a non-empty list of dicts, "
                f"got {param_distributions!r}."
            )
        self.subspaces = [_SubSpace(i, g) for i, g in enumerate(grids)]

    @property
    def size(self):
        """Number of distinct candidates (an upper bound), or None if infinite."""
        sizes = [s.size for s in self.subspaces]
        return None if any(s is None for s in sizes) else sum(sizes)

    def enumerate(self):
        """All ``(subspace, u, params)`` of a small finite space."""
        from itertools import product

        out = []
        for sub in self.subspaces:
            choices = [d.enumerate() for d in sub.dims]
            for combo in product(*choices):
                params = {d.name: _to_python(v) for d, v in zip(sub.dims, combo)}
                out.append((sub.index, sub.unit_from_params(params), params))
        return out

    def locate(self, params):
        """``(subspace, u)`` of a candidate from another search, or None."""
        for sub in self.subspaces:
            try:
                return sub.index, sub.unit_from_params(params)
            except (ValueError, TypeError):
                continue
        return None
