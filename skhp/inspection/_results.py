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
