"""Which hyperparameters mattered: importances estimated from a finished search.

A random forest is fitted to predict each candidate's mean test score from its
hyperparameters (on the scales they were sampled on); the importances are read
from that surrogate.
"""

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.utils import Bunch, check_random_state

from skhp.inspection._results import candidate_features, cv_results_of

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
    total = np.var(forest.predict(product))
    effects = np.zeros(d)
    for j in range(d):
        grid = np.unique(X[:, j])
        if len(grid) > max_grid:
            grid = np.unique(np.quantile(X[:, j], np.linspace(0, 1, max_grid)))
        stacked = np.repeat(X[None], len(grid), axis=0)
        stacked[:, :, j] = grid[:, None]
        dependence = forest.predict(stacked.reshape(-1, d))
        dependence = dependence.reshape(len(grid), n).mean(axis=1)
        # Weight each grid value by how many candidates are nearest to it.
        nearest = np.abs(X[:, j][:, None] - grid[None]).argmin(axis=1)
        effects[j] = np.var(dependence[nearest])
    # Sampling noise can make main effects add up to a little more than the total.
    total = max(total, effects.sum())
    return effects / total if total > 0 else effects


def hyperparameter_importance(
    search,
    *,
    method="fanova",
    n_repeats=10,
    scoring_key="mean_test_score",
    random_state=None,
):
    """Estimate how much each hyperparameter mattered in a finished search.

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

    n_repeats : int, default=10
        Shuffles per hyperparameter, for ``method="permutation"``.

    scoring_key : str, default="mean_test_score"
        The ``cv_results_`` column to explain; for multi-metric searches, e.g.
        ``"mean_test_accuracy"``.

    random_state : int, RandomState instance or None, default=None
        Seeds the forest and the shuffles.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``names`` (hyperparameters, most important first), ``importances``,
        ``importances_std`` (zero for ``"fanova"``), ``method`` and
        ``n_candidates`` (candidates with a finite score that were used).

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
    >>> hyperparameter_importance(results, random_state=0).names
    ['learning_rate_init', 'alpha']
    """
    if method not in ("fanova", "permutation"):
        raise ValueError(f"method must be 'fanova' or 'permutation', got {method!r}")
    results = cv_results_of(search)
    if scoring_key not in results:
        raise ValueError(f"cv_results has no column {scoring_key!r}")
    scores = np.asarray(results[scoring_key], dtype=float)
    X, names = candidate_features(results)
    keep = np.isfinite(scores)
    X, scores = X[keep], scores[keep]
    if len(scores) < 3 or not names:
        raise ValueError(
            "need at least 3 candidates with a finite score and one varying "
            "hyperparameter to estimate importances"
        )

    rng = check_random_state(random_state)
    forest = RandomForestRegressor(
        n_estimators=100, min_samples_leaf=2, random_state=rng.randint(2**31 - 1)
    ).fit(X, scores)
    if method == "fanova":
        importances = _main_effects(forest, X, rng)
        std = np.zeros_like(importances)
    else:
        result = permutation_importance(
            forest,
            X,
            scores,
            n_repeats=n_repeats,
            random_state=rng.randint(2**31 - 1),
        )
        importances, std = result.importances_mean, result.importances_std
    order = np.argsort(-importances, kind="stable")
    return Bunch(
        names=[names[i] for i in order],
        importances=importances[order],
        importances_std=std[order],
        method=method,
        n_candidates=len(scores),
    )
