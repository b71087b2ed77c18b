"""Which hyperparameters mattered: importances estimated from a finished search.

A random forest is fitted to predict each candidate's mean test score from its
hyperparameters (on the scales they were sampled on); the importances are read
from that surrogate, on bootstrap resamples of the candidates to show their
spread.
"""

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score
from sklearn.utils import Bunch, check_random_state

from skhp.inspection._results import (
    candidate_features,
    cv_results_of,
    highest_rung_rows,
    resource_param,
)
from skhp.model_selection._resources import rank_across_rungs

__all__ = ["hyperparameter_importance"]


def _main_effects(forest, X, rng, max_grid=20, n_product=2000):
    """First-order functional-ANOVA fractions of the surrogate's variance.

    As in fANOVA, the hyperparameters are taken as independent, each following
    its empirical distribution among the candidates. A hyperparameter's main
    effect is the variance of the surrogate averaged over all the others (its
    partial dependence); it is divided by the surrogate's total variance under
    the same independent distribution.
    """
    n, d = X.shape
    # Rows drawn from the product of the columns' empirical distributions.
    product = np.column_stack([X[rng.randint(n, size=n_product), j] for j in range(d)])
    grids, blocks = [], [product]
    for j in range(d):
        grid = np.unique(X[:, j])
        if len(grid) > max_grid:
            grid = np.unique(np.quantile(X[:, j], np.linspace(0, 1, max_grid)))
        stacked = np.repeat(X[None], len(grid), axis=0)
        stacked[:, :, j] = grid[:, None]
        grids.append(grid)
        blocks.append(stacked.reshape(-1, d))
    # One call: a forest's predict costs mostly per call, not per row.
    predicted = np.split(forest.predict(np.vstack(blocks)),
                         np.cumsum([len(b) for b in blocks])[:-1])
    total = np.var(predicted[0])
    effects = np.zeros(d)
    for j, (grid, dependence) in enumerate(zip(grids, predicted[1:])):
        dependence = dependence.reshape(len(grid), n).mean(axis=1)
        # Weight each grid value by how many candidates are nearest to it.
        nearest = np.abs(X[:, j][:, None] - grid[None]).argmin(axis=1)
        effects[j] = np.var(dependence[nearest])
    # Sampling noise can make main effects add up to a little more than the total.
    total = max(total, effects.sum())
    return effects / total if total > 0 else effects


def _permutation_drops(forest, X, scores, n_repeats, rng):
    """Mean drop in the surrogate's R^2 when each column is shuffled.

    What :func:`sklearn.inspection.permutation_importance` computes, with every
    shuffled copy predicted in one call.
    """
    n, d = X.shape
    copies = np.repeat(X[None], d * n_repeats, axis=0)
    for j in range(d):
        for k in range(n_repeats):
            copies[j * n_repeats + k, :, j] = X[rng.permutation(n), j]
    predicted = forest.predict(copies.reshape(-1, d)).reshape(d, n_repeats, n)
    baseline = r2_score(scores, forest.predict(X))
    shuffled = [[r2_score(scores, p) for p in rows] for rows in predicted]
    return baseline - np.mean(shuffled, axis=1)


def _importance_once(X, scores, method, n_repeats, rng):
    """Importances read from one forest fitted to these candidates."""
    forest = RandomForestRegressor(
        n_estimators=_N_TREES, min_samples_leaf=2, random_state=rng.randint(2**31 - 1)
    ).fit(X, scores)
    if method == "fanova":
        return _main_effects(forest, X, rng)
    return _permutation_drops(forest, X, scores, n_repeats, rng)


# Trees per forest: one forest per resample.
_N_TREES = 50
# Fewer candidates than this per hyperparameter make a rough ranking.
_CANDIDATES_PER_FEATURE = 10


#: The spread of an importance over the resamples: these percentiles.
SPREAD_PERCENTILES = (10, 90)


class HyperparameterImportance(Bunch):
    """What :func:`hyperparameter_importance` returns: a Bunch that prints as
    its table."""

    def __repr__(self):
        lo, hi = SPREAD_PERCENTILES
        width = max(len("hyperparameter"), *(len(name) for name in self.names))
        lines = [f"{'hyperparameter':<{width}}  importance  {lo}th-{hi}th percentile"]
        for name, value, low, high in zip(
            self.names, self.importances, self.importances_low, self.importances_high
        ):
            lines.append(f"{name:<{width}}  {value:10.3f}  {low:.3f} to {high:.3f}")
        if self.caveat:
            lines.append(f"Caveat: {self.caveat}.")
        return "\n".join(lines)


def hyperparameter_importance(
    search,
    *,
    method="fanova",
    n_bootstrap=20,
    n_repeats=10,
    scoring_key="mean_test_score",
    random_state=0,
):
    """Estimate how much each hyperparameter mattered in a finished search.

    The estimate is repeated on ``n_bootstrap`` resamples of the candidates
    (drawn with replacement, each with its own forest): the importances are
    the mean over the resamples, and their spread says how far the ranking can
    be trusted.

    Parameters
    ----------
    search : fitted search or dict
        Any fitted scikit-learn search (or its ``cv_results_``) with at least a
        few candidates; more candidates give steadier estimates.

    method : {"fanova", "permutation"}, default="fanova"
        ``"fanova"``: the fraction of the surrogate's variance explained by each
        hyperparameter alone (first-order functional ANOVA); the fractions sum
        to at most 1, the rest being interactions. ``"permutation"``: the drop
        in the surrogate's R^2 when a hyperparameter's values are shuffled.

    n_bootstrap : int, default=20
        Resamples of the candidates, each fitted with its own forest.

    n_repeats : int, default=10
        Shuffles per hyperparameter and resample, for ``method="permutation"``.

    scoring_key : str, default="mean_test_score"
        The ``cv_results_`` column to explain; for multi-metric searches, e.g.
        ``"mean_test_accuracy"``.

    random_state : int, RandomState instance or None, default=0
        Seeds the resamples, the forests and the shuffles: by default the same
        search gives the same importances on every call (``skhp tune``
        passes its ``--seed``); None draws afresh each time.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``names`` (hyperparameters, most important first); ``importances``,
        their mean over the resamples; ``importances_low`` and
        ``importances_high``, the 10th and 90th percentiles over the
        resamples (the spread the table and the picture show);
        ``importances_std``, their standard deviation;
        ``bootstrap_importances`` of shape ``(n_names, n_bootstrap)``, each
        resample's; ``method``; ``n_candidates``
        (candidates with a finite score that were used); ``by_rung``, True
        when the search stopped candidates at rungs (successive halving): each
        candidate is then explained once, by the rung it reached and its rank
        there, and the resource is left out; ``caveat``, a
        sentence when there are fewer than 10 candidates per hyperparameter
        (the ranking is then rough), else None.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lr = 10 ** rng.uniform(-4, -1, 40)
    >>> alpha = 10 ** rng.uniform(-6, -1, 40)
    >>> results = {
    ...     "params": [{"learning_rate_init": a, "alpha": b}
    ...                for a, b in zip(lr, alpha)],
    ...     "mean_test_score": -(np.log10(lr) + 2.5) ** 2,
    ... }
    >>> result = hyperparameter_importance(results, random_state=0)
    >>> result.names
    ['learning_rate_init', 'alpha']
    >>> result.caveat is None
    True
    """
    if method not in ("fanova", "permutation"):
        raise ValueError(f"method must be 'fanova' or 'permutation', got {method!r}")
    if int(n_bootstrap) < 1:
        raise ValueError(f"n_bootstrap must be at least 1, got {n_bootstrap!r}")
    results = cv_results_of(search)
    if scoring_key not in results:
        raise ValueError(f"cv_results has no column {scoring_key!r}")
    scores = np.asarray(results[scoring_key], dtype=float)
    # With successive halving, each candidate counts once, from the highest
    # rung it reached, ranked as the zoom ranks it (by rung, then by score
    # there): scores after a few epochs are not comparable with scores after
    # many, and the resource itself is not a hyperparameter that was tuned.
    shown, rung = highest_rung_rows(search, results)
    by_rung = bool(rung.any())
    if by_rung:
        ranks = np.full(len(shown), np.nan)
        ranks[shown] = rank_across_rungs(rung[shown], scores[shown])
        scores = ranks
    resource = resource_param(search, results)
    params = sorted({k for c in results["params"] for k in c} - {resource})
    X, names = candidate_features(search, params)
    keep = shown & np.isfinite(scores)
    X, scores = X[keep], scores[keep]
    if len(scores) < 3 or not names:
        raise ValueError(
            "need at least 3 candidates with a finite score and one varying "
            "hyperparameter to estimate importances"
        )

    rng = check_random_state(random_state)
    n = len(scores)
    draws = np.empty((len(names), int(n_bootstrap)))
    for b in range(draws.shape[1]):
        rows = rng.randint(n, size=n)
        draws[:, b] = _importance_once(X[rows], scores[rows], method, n_repeats, rng)
    importances = draws.mean(axis=1)
    order = np.argsort(-importances, kind="stable")
    caveat = None
    if n < _CANDIDATES_PER_FEATURE * len(names):
        caveat = (
            f"{n} candidates for {len(names)} hyperparameters: a rough ranking; "
            "trust only differences larger than the spread"
        )
    low, high = np.percentile(draws, SPREAD_PERCENTILES, axis=1)
    return HyperparameterImportance(
        names=[names[i] for i in order],
        importances=importances[order],
        importances_low=low[order],
        importances_high=high[order],
        importances_std=draws.std(axis=1)[order],
        bootstrap_importances=draws[order],
        method=method,
        n_candidates=n,
        by_rung=by_rung,
        caveat=caveat,
    )
