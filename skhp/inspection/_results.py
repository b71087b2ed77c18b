"""Reading what a fitted search found, whatever the search class.

Every function here takes a fitted search (any scikit-learn ``BaseSearchCV``)
or its ``cv_results_`` dict, and reads round information only when present.
"""

import numbers

import numpy as np
from sklearn.utils import Bunch

from skhp.model_selection._rounds import zoom_column
from skhp.model_selection._space import dimension_kind

__all__ = [
    "candidate_features",
    "candidate_origins",
    "cv_results_of",
    "highest_rung_rows",
    "resource_param",
    "round_regions",
    "rounds_of",
    "short_name",
    "value_scale",
]


def cv_results_of(search):
    """The ``cv_results_`` dict of a fitted search, or ``search`` if it is one."""
    if isinstance(search, dict):
        return search
    results = getattr(search, "cv_results_", None)
    if results is None:
        raise ValueError(
            f"{type(search).__name__} is not fitted: it has no cv_results_"
        )
    return results


def short_name(name):
    """A parameter's name without its pipeline prefix (``mlp__alpha`` -> ``alpha``)."""
    return name.rsplit("__", 1)[-1]


def rounds_of(search):
    """The round of each candidate, or None for a search without rounds."""
    results = cv_results_of(search)
    if "round" not in results:
        return None
    return np.asarray(results["round"], dtype=int)


def _as_bounds(value):
    # A (low, high) pair of numbers, else None.
    if isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = value
        if isinstance(low, numbers.Real) and isinstance(high, numbers.Real):
            return float(low), float(high)
    return None


def round_regions(search):
    """The regions each round zoomed in on, as bounds of the numeric parameters.

    Parameters
    ----------
    search : fitted search
        A search describing its rounds in a ``rounds_`` attribute, as
        :class:`skhp.CoarseToFineSearchCV` does: one dict per round whose
        ``regions`` each hold ``bounds``, a dict ``{parameter: (low, high)}``.

    Returns
    -------
    regions : list of list of dict, or None
        For each round, the bounds of each of its regions (an empty list for a
        round that sampled the whole space); None when the search does not
        describe its rounds.
    """
    rounds = getattr(search, "rounds_", None)
    if not isinstance(rounds, (list, tuple)) or not rounds:
        return None
    out = []
    for entry in rounds:
        if not isinstance(entry, dict):
            return None  # a description this function does not know
        regions = entry.get("regions", [])
        if entry.get("width", 0) >= 1:  # a whole-space round: nothing to draw
            regions = []
        bounds = []
        for region in regions:
            pairs = {
                name: _as_bounds(value)
                for name, value in region.get("bounds", {}).items()
            }
            bounds.append({k: v for k, v in pairs.items() if v is not None})
        out.append(bounds)
    return out


def _drawn_afresh(search):
    """Parameters drawn anew for every candidate (objects with ``rvs`` only).

    The zoom cannot move them, so a category swap may change them too.
    """
    spaces = getattr(search, "param_distributions", None)
    if isinstance(spaces, dict):
        spaces = [spaces]
    if not isinstance(spaces, (list, tuple)):
        return set()
    return {
        name
        for space in spaces
        for name, dist in (space.items() if isinstance(space, dict) else ())
        if dimension_kind(dist) == "opaque"
    }


def _one_choice_changed(best, candidate, ignore):
    # The best candidate with exactly one (categorical) value changed.
    if set(best) != set(candidate):
        return False
    changed = [
        k for k in best if k not in ignore and repr(best[k]) != repr(candidate[k])
    ]
    return len(changed) == 1


#: Where a candidate of a coarse-to-fine search came from.
ORIGINS = {
    "design": "the first round's design over the whole space",
    "exploration": "drawn from the whole space in a zooming round",
    "swap": "the best so far with one categorical choice changed",
    "region": "drawn in one of the round's zoom regions",
}


def candidate_origins(search):
    """Where each candidate of a coarse-to-fine search was drawn.

    Parameters
    ----------
    search : fitted search
        A search with a ``round`` column in ``cv_results_`` and a ``rounds_``
        description, as :class:`skhp.CoarseToFineSearchCV`. When
        ``cv_results_`` has an ``origin`` column (and a ``region`` one), it is
        used as it is; otherwise the origins are read back from the order in
        which the search proposes a round's candidates: category swaps (the
        previous rounds' best candidate with one value changed), then each
        region's ``n_candidates`` in turn, then whole-space exploration.

    Returns
    -------
    origins : :class:`~sklearn.utils.Bunch` or None
        ``origin``, an array of str, one per candidate, among ``"design"``
        (the first round, over the whole space), ``"exploration"`` (a later
        round's draw over the whole space), ``"swap"`` and ``"region"``;
        ``region``, an array of int: the index of the candidate's region in
        its round's ``rounds_[r]["regions"]``, -1 for the others. None for a
        search that does not describe its rounds.
    """
    results = cv_results_of(search)
    n = len(results["params"])
    if "origin" in results:
        origin = np.asarray(results["origin"], dtype=object)
        region = np.asarray(results.get("region", np.full(n, -1)), dtype=int)
        return Bunch(origin=origin, region=region)
    rounds = rounds_of(search)
    described = getattr(search, "rounds_", None)
    if rounds is None or not isinstance(described, (list, tuple)):
        return None
    params = results["params"]
    scores = np.asarray(results[zoom_column(results, getattr(search, "refit", None))],
                        dtype=float)
    # With successive halving, one row per candidate and rung: the proposals
    # are the first rung's rows, and the zoom ranks by rung reached, then score.
    rung = np.asarray(results.get("rung", np.zeros(n)), dtype=int)
    ignore = _drawn_afresh(search) | {getattr(search, "resource", None)}
    origin = np.full(n, "exploration", dtype=object)
    region = np.full(n, -1)
    for r, entry in enumerate(described):
        if not isinstance(entry, dict):
            return None
        r = entry.get("round", r)
        idx = np.flatnonzero((rounds == r) & (rung == 0))
        regions = entry.get("regions", [])
        if entry.get("width", 1.0) >= 1 or not regions:
            origin[idx] = "design" if r == 0 else "exploration"
            continue
        in_regions = [int(g.get("n_candidates", 0)) for g in regions]
        earlier = np.flatnonzero((rounds < r) & np.isfinite(scores))
        n_swaps = 0
        if len(earlier):
            # Ties go to the earliest row, as the zoom ranks candidates.
            top = earlier[rung[earlier] == rung[earlier].max()]
            best = params[top[np.argmax(scores[top])]]
            limit = len(idx) - sum(in_regions)
            while n_swaps < limit and _one_choice_changed(
                best, params[idx[n_swaps]], ignore
            ):
                n_swaps += 1
        origin[idx[:n_swaps]] = "swap"
        start = n_swaps
        for j, m in enumerate(in_regions):
            origin[idx[start : start + m]] = "region"
            region[idx[start : start + m]] = j
            start += m
    # Later rungs' rows are the same candidates, promoted.
    first = {}
    for i in np.flatnonzero(rung == 0):
        first[rounds[i], candidate_key(params[i], ignore)] = i
    for i in np.flatnonzero(rung > 0):
        j = first.get((rounds[i], candidate_key(params[i], ignore)))
        if j is not None:
            origin[i], region[i] = origin[j], region[j]
    return Bunch(origin=origin, region=region)


def candidate_key(params, ignore=()):
    """A hashable key of a candidate's parameters, leaving out ``ignore``."""
    return tuple(sorted((k, repr(v)) for k, v in params.items() if k not in ignore))


def resource_param(search, results=None):
    """The parameter a search with successive halving set per rung, or None.

    A fitted search says it (``resource``); from ``cv_results_`` alone, it is
    the parameter equal to ``n_resources`` on every row (none for
    ``resource="n_samples"``).
    """
    resource = getattr(search, "resource", None)
    results = cv_results_of(search) if results is None else results
    if resource is not None or "n_resources" not in results:
        return None if resource == "n_samples" else resource
    n_resources = list(results["n_resources"])
    if not n_resources:
        return None
    names = set.intersection(*(set(c) for c in results["params"]))
    for name in sorted(names):
        if all(
            isinstance(c[name], numbers.Integral) and not isinstance(c[name], bool)
            and c[name] == n
            for c, n in zip(results["params"], n_resources)
        ):
            return name
    return None


def highest_rung_rows(search, results=None):
    """Each candidate's row at the highest rung it reached, and every row's rung.

    With successive halving (a ``rung`` column, or scikit-learn's halving
    searches' ``iter`` beside ``n_resources``) a candidate has one row per
    rung it reached; without, every row is a candidate at rung 0.

    Returns
    -------
    shown : ndarray of bool
        True on each candidate's highest-rung row.
    rung : ndarray of int
        The rung of every row.
    """
    results = cv_results_of(search) if results is None else results
    n = len(results["params"])
    if "rung" in results:
        rung = results["rung"]
    elif "iter" in results and "n_resources" in results:  # scikit-learn's halving
        rung = results["iter"]
    else:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=int)
    rung = np.asarray(rung, dtype=int)
    rounds = rounds_of(results)
    rounds = np.zeros(n, dtype=int) if rounds is None else rounds
    ignore = {resource_param(search, results)}
    last = {}
    for i in np.argsort(rung, kind="stable"):
        last[rounds[i], candidate_key(results["params"][i], ignore)] = i
    shown = np.zeros(n, dtype=bool)
    shown[list(last.values())] = True
    return shown, rung


# Parameters that are betas whatever values a few candidates happened to get.
BETA_NAMES = {"momentum", "beta", "beta_1", "beta_2", "batch_norm_momentum"}


def _distribution_scale(dist):
    """ "beta", "log" or None, from a distribution's type."""
    name = type(dist).__name__.lower()
    if name == "rv_continuous_frozen" or name == "rv_discrete_frozen":
        name = getattr(dist.dist, "name", "")
    if "reverse" in name:
        return "beta"
    if "loguniform" in name or name == "reciprocal":
        return "log"
    return None


def value_scale(search, name, values):
    """The scale a parameter is best seen on: "beta", "log" or "linear".

    The search's own distribution decides when it is known (reverse log-uniform
    means a beta, log-uniform a log scale); then the name (momentum and betas);
    then the values: ``1 - beta`` spanning a decade, or values spanning one.
    """
    space = getattr(search, "param_distributions", None)
    if isinstance(space, dict) and name in space:
        scale = _distribution_scale(space[name])
        if scale is not None:
            return scale
    numeric = [
        v for v in values if isinstance(v, numbers.Real) and not isinstance(v, bool)
    ]
    if len(numeric) != sum(v is not None for v in values):
        return "linear"  # categories, tuples: no numeric scale
    x = np.asarray(numeric, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return "linear"
    in_unit = bool(np.all((x > 0) & (x < 1)))
    if in_unit and short_name(name) in BETA_NAMES:
        return "beta"
    if in_unit and (1 - x.min()) / (1 - x.max()) >= 10:
        return "beta"
    if np.all(x > 0) and x.max() / x.min() >= 10:
        return "log"
    return "linear"


def _encode(name, values, scale):
    """Columns (name, values) encoding one parameter for a model of the scores."""
    if all(isinstance(v, tuple) for v in values):
        # Layer sizes: the course's "layers" and "hidden units" are two knobs.
        return [
            (f"{name} (layers)", np.array([len(v) for v in values], dtype=float)),
            (
                f"{name} (units)",
                np.log10([max(np.mean(v), 1) if v else 1 for v in values]),
            ),
        ]
    numeric = [
        v
        for v in values
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and v is not None
    ]
    if numeric and len(numeric) == sum(v is not None for v in values):
        x = np.array([np.nan if v is None else float(v) for v in values])
        if scale == "beta":
            x = np.log10(1 - x)  # what matters is 1 - beta, on a log scale
        elif scale == "log":
            x = np.log10(x)
        if np.isnan(x).any():  # None: a value of its own, below the others
            finite = x[np.isfinite(x)]
            x[np.isnan(x)] = finite.min() - max(np.ptp(finite), 1.0)
        return [(name, x)]
    labels = sorted({repr(v) for v in values})
    codes = {label: i for i, label in enumerate(labels)}
    return [(name, np.array([codes[repr(v)] for v in values], dtype=float))]


def candidate_features(search, params=None):
    """Encode the candidates of a search as numeric features.

    Scales follow how the parameters were sampled (see :func:`value_scale`):
    log10 for log-uniform ones, ``log10(1 - beta)`` for betas close to 1, the number of
    layers and the log of the mean width for layer sizes, codes for categories.
    Parameters that took a single value are left out.

    Parameters
    ----------
    search : fitted search or dict
        A search or its ``cv_results_``.

    params : list of str or None, default=None
        Parameters to encode; None means all that vary.

    Returns
    -------
    X : ndarray of shape (n_candidates, n_features)
    names : list of str
        Feature names, without pipeline prefixes.
    """
    results = cv_results_of(search)
    candidates = results["params"]
    names = params
    if names is None:
        names = sorted({k for c in candidates for k in c})
    columns = []
    for name in names:
        values = [c.get(name) for c in candidates]
        if len({repr(v) for v in values}) < 2:
            continue
        scale = value_scale(search, name, values)
        columns.extend(_encode(short_name(name), values, scale))
    if not columns:
        return np.empty((len(candidates), 0)), []
    return (
        np.column_stack([c[1] for c in columns]),
        [c[0] for c in columns],
    )
