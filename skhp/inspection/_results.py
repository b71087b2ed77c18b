"""Reading what a fitted search found, whatever the search class.

Every function here takes a fitted search (any scikit-learn ``BaseSearchCV``)
or its ``cv_results_`` dict, and reads round information only when present.
"""

import numbers

import numpy as np

__all__ = [
    "candidate_features",
    "cv_results_of",
    "round_regions",
    "rounds_of",
    "short_name",
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


# Attribute names under which a search may describe each round's region, and
# how to read them into one dict {parameter: (low, high)} per round.
_REGION_ATTRIBUTES = ("round_regions_", "regions_", "rounds_")


def _as_bounds(value):
    # A (low, high) pair, or a distribution with support bounds.
    if isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = value
        if isinstance(low, numbers.Real) and isinstance(high, numbers.Real):
            return float(low), float(high)
    for lo, hi in (("low", "high"), ("a", "b")):
        low, high = getattr(value, lo, None), getattr(value, hi, None)
        if isinstance(low, numbers.Real) and isinstance(high, numbers.Real):
            return float(low), float(high)
    support = getattr(value, "support", None)
    if callable(support):
        try:
            low, high = support()
            return float(low), float(high)
        except (TypeError, ValueError):
            return None
    return None


def round_regions(search):
    """The region each round sampled from, as ``[{parameter: (low, high)}]``.

    Parameters
    ----------
    search : fitted search
        A search whose rounds are described by a fitted attribute (one dict of
        distributions or bounds per round).

    Returns
    -------
    regions : list of dict, or None
        One dict per round, holding the numeric parameters whose bounds are
        known; None when the search does not describe its rounds.
    """
    for attribute in _REGION_ATTRIBUTES:
        rounds = getattr(search, attribute, None)
        if not isinstance(rounds, (list, tuple)) or not rounds:
            continue
        regions = []
        for entry in rounds:
            if not isinstance(entry, dict):
                break
            # A round may be described by a dict holding its space.
            space = entry.get("param_distributions", entry.get("space", entry))
            bounds = {}
            for name, value in space.items():
                pair = _as_bounds(value)
                if pair is not None:
                    bounds[name] = pair
            regions.append(bounds)
        else:
            return regions
    return None


def _encode(name, values):
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
        v for v in values
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and v is not None
    ]
    if numeric and len(numeric) == sum(v is not None for v in values):
        x = np.array([np.nan if v is None else float(v) for v in values])
        finite = x[np.isfinite(x)]
        low, high = finite.min(), finite.max()
        if 0 < low and high < 1 and (1 - low) / (1 - high) >= 10:
            x = np.log10(1 - x)  # a beta: what matters is 1 - beta, on a log scale
        elif 0 < low and high / low >= 10:
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

    Scales follow how the parameters were sampled: log10 for parameters spanning
    a decade or more, ``log10(1 - beta)`` for betas close to 1, the number of
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
        columns.extend(_encode(short_name(name), values))
    if not columns:
        return np.empty((len(candidates), 0)), []
    return (
        np.column_stack([c[1] for c in columns]),
        [c[0] for c in columns],
    )
