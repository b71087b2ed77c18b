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


# -- 3: a summed cdf is summed once, into a table ------------------------------------
class _counting_zipf_gen(stats.rv_discrete):
    """zipf(1.05), whose cdf scipy sums from 1; counts the pmf values it computes."""

    computed = [0]

    def _pmf(self, k):
        self.computed[0] += np.size(k)
        return 1.0 / (special.zeta(1.05) * np.asarray(k, dtype=float) ** 1.05)


counting_zipf = _counting_zipf_gen(a=1, name="counting_zipf")


def test_summed_cdf_is_not_summed_again_for_each_draw():
    # Each draw bisected a cdf that scipy sums from 1: 3 to 5 s for the zoom
    # sampler's pool of 2048 draws of zipf(1.05).
    with pytest.warns(UserWarning, match="leaves out"):
        dim = _dim(counting_zipf)
    assert (dim.low, dim.high) == (1, 2**16 + 1)
    counting_zipf.computed[0] = 0
    U = np.random.default_rng(0).random((2048, 1))
    values = dim.from_unit(U)
    for v in values[:20]:
        assert dim.from_unit(dim.to_unit(v)[None, :]) == [v]
    assert counting_zipf.computed[0] == 0
    # the law conditioned on [1, 2**16 + 1], as scipy's own cdf gives it
    q_high = counting_zipf.cdf(dim.high)
    for u, v in zip(U[:20, 0], values[:20]):
        assert counting_zipf.cdf(v - 1) < u * q_high <= counting_zipf.cdf(v)


@pytest.mark.parametrize("dist", [stats.zipf(2), stats.logser(0.9), stats.geom(0.5),
                                  stats.poisson(3), stats.yulesimon(1.1)],
                         ids=lambda d: d.dist.name)
def test_cut_laws_draw_the_smallest_value_reaching_each_quantile(dist):
    dim = _dim(dist)
    u = np.linspace(0, 1, 41)
    values = np.array(dim.from_unit(u[:, None]), dtype=float)
    q = dim._q_low + u * (dim._q_high - dim._q_low)
    np.testing.assert_allclose(dist.cdf(values)[values < dim.high] >= q[values < dim.high], True)
    assert (dist.cdf(values - 1) < q * (1 + 1e-12))[values > dim.low].all()


def test_summed_short_support_is_tabled_too():
    # Not cut (50,000 values), but drawn through scipy's ppf on a summed cdf:
    # 4.6 s for 2048 draws.
    class _harmonic_gen(stats.rv_discrete):
        computed = [0]

        def _pmf(self, k):
            self.computed[0] += np.size(k)
            return 1.0 / (np.asarray(k, dtype=float) * np.sum(1.0 / np.arange(1, 50001)))

    law = _harmonic_gen(a=1, b=50000, name="harmonic")
    dim = _dim(law)
    assert not dim.cut
    law.computed[0] = 0
    values = dim.from_unit(np.array([[0.0], [0.2], [0.5], [0.9], [1.0]]))
    assert law.computed[0] == 0
    assert values == sorted(values) and values[0] == 1 and values[-1] <= 50000
    assert values[2] == 168  # H_168 >= H_50000 / 2 > H_167 (harmonic numbers)


# -- 4: size and enumerate are those of the values drawn ------------------------------
@pytest.mark.parametrize("loc", [0.0, 0.5])
def test_laws_on_fractional_points_enumerate_their_points(loc):
    law = stats.rv_discrete(values=([0.1, 0.2, 0.3, 0.4], [0.2, 0.3, 0.5, 0.0]))
    dim = _dim(law(loc=loc) if loc else law)
    assert dim.size == 3
    values = dim.enumerate()
    np.testing.assert_array_equal(values, np.array([0.1, 0.2, 0.3]) + loc)
    assert all(type(v) is float for v in values)
    for v in values:  # 0.3 came back as 0.2: its quantiles were cdf(v - 1), cdf(v)
        assert dim.from_unit(dim.to_unit(v)[None, :]) == [v]
    with pytest.raises(ValueError):
        dim.to_unit(0.4 + loc)  # no mass
    space = SearchSpace({"p": law(loc=loc) if loc else law})
    assert space.size == 3 and [p["p"] for _, _, p in space.enumerate()] == values


@pytest.mark.parametrize("dist, size", [
    (stats.poisson(3), 33), (stats.geom(0.5), 33), (stats.logser(0.9), 257),
    (stats.poisson(3, loc=0.5), 33), (stats.randint(0, 10), 10), (stats.binom(100, 0.5), None),
], ids=["poisson", "geom", "logser", "poisson-loc", "randint", "binom"])
def test_cut_and_finite_laws_enumerate_what_they_draw(dist, size):
    dim = _dim(dist)
    drawn = set(dim.from_unit(np.linspace(0, 1, 20001)[:, None]))
    values = dim.enumerate()
    assert dim.size == (size if size is not None else dim.high - dim.low + 1)
    assert drawn <= set(values) and len(values) <= dim.size
    for v in values:
        assert dim.from_unit(dim.to_unit(v)[None, :]) == [v]
    assert type(values[0]) is (float if dist.kwds.get("loc") else int)


def test_a_heavy_tail_counts_the_values_it_draws():
    assert _dim(stats.zipf(2)).size == 2**16 + 1


# -- 5: laws whose mass lies beyond the cut -----------------------------------------
@pytest.mark.parametrize("mu", [6e15, 1e16])
def test_law_with_its_mass_beyond_the_cut_is_a_clear_error(mu):
    # Cut at [0, 2**52], which holds none of its mass: every draw was 0, and
    # to_unit divided by 0.
    with pytest.raises(ValueError, match=r"'p': poisson\(.*\) has \(almost\) none of its "
                                         r"probability within \[0, 4503599627370496\]"):
        _dim(stats.poisson(mu))


class _far_gen(stats.rv_discrete):
    """All the mass on 10**6, a pmf only: scipy sums it from 0."""

    def _pmf(self, k):
        return (np.asarray(k) == 10**6).astype(float)


def test_summed_law_with_no_mass_within_reach_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'p': .*none of its probability within \[0, "):
        _dim(_far_gen(a=0, name="far"))


# -- 6: the cut warning points at the caller ------------------------------------------
def test_cut_warning_points_at_user_code():
    with pytest.warns(UserWarning, match="leaves out") as record:
        _dim(stats.zipf(1.1))
    assert [w.filename for w in record] == [__file__]
    with pytest.warns(UserWarning, match="leaves out") as record:
        _search({"max_depth": stats.zipf(1.1)}, n_iter=2, n_rounds=1).fit(X, y)
    assert {w.filename for w in record if "leaves out" in str(w.message)} == {__file__}
