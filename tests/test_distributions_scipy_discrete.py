"""scipy's discrete distributions in CoarseToFineSearchCV's parameter space."""

import warnings

import numpy as np
import pytest
from scipy import special, stats
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from skhp import CoarseToFineSearchCV
from skhp.model_selection._space import SearchSpace

X, y = load_iris(return_X_y=True)


class _guarded_zipf_gen(stats.rv_discrete):
    """zipf(2), whose cdf scipy sums from 1; refuses sums a hang would need.

    Its 1 - 1e-9 quantile is near 6e8: finding it sums ~1e9 pmf values per cdf
    call, which hung the search.
    """

    def _pmf(self, k):
        if np.max(k) > 10**7:
            raise AssertionError(f"summed the pmf up to {np.max(k):.3g}")
        return 1.0 / (special.zeta(2) * np.asarray(k, dtype=float) ** 2)


guarded_zipf = _guarded_zipf_gen(a=1, name="guarded_zipf")


class _halves_gen(stats.rv_discrete):
    """P(k) = 2**-k on k >= 1, an unfrozen subclass with only a pmf."""

    def _pmf(self, k):
        return 0.5 ** np.asarray(k, dtype=float)


def _dim(dist):
    return SearchSpace({"p": dist}).subspaces[0].dims[0]


def _search(space, **kwargs):
    kwargs = {"n_iter": 6, "n_rounds": 2, "cv": 3, "random_state": 0, **kwargs}
    return CoarseToFineSearchCV(DecisionTreeClassifier(random_state=0), space, **kwargs)


# -- 1: heavy tails get finite bounds and cheap quantiles ----------------------------
def test_heavy_tail_quantiles_stay_cheap():
    dim = _dim(guarded_zipf)
    U = np.array([[0.0], [0.5], [0.999], [1 - 1e-12], [1.0]])
    values = dim.from_unit(U)
    assert all(type(v) is int for v in values)
    assert values[0] == 1 and values == sorted(values)
    assert values[-1] == values[-2] <= 2**16 + 1
    for v in values:
        assert dim.from_unit(dim.to_unit(v)[None, :]) == [v]


def test_zipf_search_fits_quickly():
    # The round report asked zipf(2) for its 1 - 1e-9 quantile: a hang.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # zipf(2)'s cut tail is tiny
        search = _search({"max_depth": stats.zipf(2)}).fit(X, y)
    depths = [p["max_depth"] for p in search.cv_results_["params"]]
    assert len(depths) == 6 and all(type(d) is int and 1 <= d <= 2**16 + 1 for d in depths)
    for report in search.rounds_:
        for region in report["regions"]:
            low, high = region["bounds"]["max_depth"]
            assert type(low) is int and type(high) is int and 1 <= low <= high <= 2**16 + 1
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize(
    "dist, low, high",
    [
        (stats.poisson(3), 0, 40),
        (stats.geom(0.01), 1, 5000),
        (stats.dlaplace(0.5), -80, 80),
        (stats.zipf(2), 1, 2**16 + 1),
        (stats.logser(0.9), 1, 500),
    ],
    ids=lambda v: getattr(getattr(v, "dist", None), "name", None),
)
def test_infinite_supports_are_cut_at_finite_bounds(dist, low, high):
    dim = _dim(dist)
    assert low <= dim.low and dim.high <= high
    values = dim.from_unit(np.linspace(0, 1, 101)[:, None])
    assert all(type(v) is int for v in values)
    assert min(values) == dim.low and max(values) <= dim.high
    # Drawn as the law conditioned on [low, high]: the median stays the median.
    assert dim.from_unit(np.array([[0.5]])) == [int(dist.median())]
    for v in sorted(set(values)):
        assert dim.from_unit(dim.to_unit(v)[None, :]) == [v]


def test_a_cut_that_drops_much_of_the_law_warns():
    with pytest.warns(UserWarning, match=r"zipf\(1.1\) is drawn within \[1, 65537\]"):
        dim = _dim(stats.zipf(1.1))
    assert max(dim.from_unit(np.array([[0.99], [1.0]]))) == 2**16 + 1


def test_unfrozen_law_that_needs_parameters_is_a_clear_error():
    with pytest.raises(TypeError, match=r"'p'.*freeze it"):
        _dim(stats.poisson)


# -- 2: unfrozen discrete laws give integers ---------------------------------------
@pytest.mark.parametrize(
    "dist",
    [
        stats.rv_discrete(values=([1, 2, 3], [0.3, 0.3, 0.4])),
        _halves_gen(a=1, name="halves"),
        stats.rv_discrete(values=([1, 2, 3], [0.3, 0.3, 0.4]))(),
    ],
    ids=["rv_discrete(values=...)", "rv_discrete subclass", "frozen rv_discrete(values=...)"],
)
def test_unfrozen_discrete_laws_give_integers(dist):
    # Floats here meant max_features=1.0 (all features, not one) and
    # max_depth=2.0 (every fit failed).
    search = _search({"max_depth": dist, "max_features": dist}, n_iter=4,
                     error_score="raise").fit(X, y)
    for params in search.cv_results_["params"]:
        assert type(params["max_depth"]) is int and type(params["max_features"]) is int
    assert type(search.best_params_["max_depth"]) is int


def test_discrete_laws_with_fractional_values_stay_floats():
    sample = _dim(stats.rv_discrete(values=([0.5, 1.5], [0.5, 0.5])))
    assert sample.from_unit(np.array([[0.2], [0.8]])) == [0.5, 1.5]
    shifted = _dim(stats.poisson(3, loc=0.5))
    assert all(type(v) is float and v % 1 == 0.5 for v in shifted.from_unit(np.array([[0.3]])))
