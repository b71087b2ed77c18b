import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import RandomizedSearchCV

from skhp import distributions
from skhp.distributions import layer_sizes, loguniform, loguniform_int, reverse_loguniform

SCALARS = [
    loguniform(1e-5, 1e-1),
    loguniform_int(16, 512),
    reverse_loguniform(0.9, 0.999),
]
ALL = SCALARS + [layer_sizes(n_layers=(1, 3), units=(16, 512))]


def test_reexported_from_skhp():
    import skhp

    assert skhp.distributions is distributions
    assert skhp.loguniform is loguniform and skhp.layer_sizes is layer_sizes


def test_loguniform_matches_scipy():
    d, ref = loguniform(1e-4, 10.0), stats.loguniform(1e-4, 10.0)
    q = np.linspace(0, 1, 11)
    np.testing.assert_allclose(d.ppf(q), ref.ppf(q), rtol=1e-12)
    x = np.geomspace(1e-4, 10, 9)
    np.testing.assert_allclose(d.cdf(x), ref.cdf(x), atol=1e-12)
    np.testing.assert_allclose(d.pdf(x), ref.pdf(x), rtol=1e-10)


def test_loguniform_even_per_decade():
    x = loguniform(1e-6, 1.0).rvs(size=60_000, random_state=0)
    counts = np.histogram(np.log10(x), bins=6, range=(-6, 0))[0]
    assert counts.min() > 0.95 * 10_000 and counts.max() < 1.05 * 10_000


def test_scales_of_dropout_and_weight_decay():
    # Dropout is linear, and scipy's uniform needs no skhp twin: the search
    # zooms through the ppf, which is linear. Weight decay is log-uniform:
    # its median is the geometric middle of the range.
    dropout, decay = stats.uniform(0, 0.5), loguniform(1e-3, 1.0)
    q = np.linspace(0, 1, 11)
    np.testing.assert_allclose(dropout.ppf(q), 0.5 * q)
    np.testing.assert_allclose(decay.ppf(q), 10 ** (-3 + 3 * q))


def test_loguniform_int_pmf_and_octaves():
    d = loguniform_int(16, 511)
    k = np.arange(16, 512)
    assert d.pmf(k).sum() == pytest.approx(1.0)
    x = d.rvs(size=50_000, random_state=1)
    assert x.dtype.kind == "i" and x.min() >= 16 and x.max() <= 511
    # Each octave (16-31, 32-63, ...) gets the same share.
    shares = [np.mean((x >= 2**e) & (x < 2 ** (e + 1))) for e in range(4, 9)]
    np.testing.assert_allclose(shares, 0.2, atol=0.01)
    # The empirical law matches the pmf value by value.
    freq = np.bincount(x, minlength=512)[16:] / len(x)
    assert np.abs(freq - d.pmf(k)).max() < 0.004


def test_loguniform_int_ppf_cdf_round_trip():
    d = loguniform_int(1, 1000)
    k = np.arange(1, 1001)
    np.testing.assert_array_equal(d.ppf(d.cdf(k)), k)
    assert d.ppf(0.0) == 1 and d.ppf(1.0) == 1000


def test_reverse_loguniform_beta_scale():
    d = reverse_loguniform(0.9, 0.999)
    x = d.rvs(size=40_000, random_state=2)
    assert x.min() >= 0.9 and x.max() <= 0.999
    assert np.mean(x < 0.99) == pytest.approx(0.5, abs=0.01)
    assert d.ppf(0.5) == pytest.approx(0.99)
    q = np.linspace(0, 1, 21)
    np.testing.assert_allclose(d.cdf(d.ppf(q)), q, atol=1e-10)


def test_layer_sizes_depth_and_width_scales():
    d = layer_sizes(n_layers=(1, 3), units=(16, 512))
    draws = d.rvs(size=6000, random_state=3)
    assert draws.shape == (6000,)
    depths = np.array([len(t) for t in draws])
    np.testing.assert_allclose(np.bincount(depths)[1:] / 6000, 1 / 3, atol=0.03)
    widths = np.concatenate([t for t in draws])
    assert all(isinstance(w, int) for t in draws[:20] for w in t)
    assert widths.min() >= 16 and widths.max() <= 512
    # Log scale: 16-31 as frequent as 256-511.
    assert np.mean(widths < 32) == pytest.approx(np.mean(widths >= 256), abs=0.02)
    assert layer_sizes(n_layers=2, units=64).rvs(random_state=0) == (64, 64)


@pytest.mark.parametrize(
    "factory, args, match",
    [
        (loguniform, (0, 1), "0 < low < high"),
        (loguniform, (1, 1), "0 < low < high"),
        (loguniform, (2, 1), "0 < low < high"),
        (loguniform, (1e-3, np.inf), "finite"),
        (loguniform_int, (0, 10), "1 <= low < high"),
        (loguniform_int, (10, 10), "1 <= low < high"),
        (loguniform_int, (1.5, 10), "integer"),
        (reverse_loguniform, (0.9, 1.0), "0 < low < high < 1"),
        (reverse_loguniform, (0.0, 0.9), "0 < low < high < 1"),
        (reverse_loguniform, (0.99, 0.9), "0 < low < high < 1"),
        (layer_sizes, ((0, 2), (16, 32)), "n_layers"),
        (layer_sizes, ((1, 2), (32, 16)), "units"),
        (layer_sizes, ((1, 2, 3), 16), "n_layers"),
    ],
)
def test_invalid_bounds_are_rejected(factory, args, match):
    with pytest.raises((ValueError, TypeError), match=match):
        factory(*args)


@pytest.mark.parametrize("dist", ALL, ids=repr)
def test_seed_kinds_scalars_pickle_repr(dist):
    a = dist.rvs(random_state=0)
    assert a == dist.rvs(random_state=0)
    assert a == dist.rvs(random_state=np.random.RandomState(0))
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert dist.rvs(random_state=g1) == dist.rvs(random_state=g2)
    dist.rvs()  # global state
    assert np.ndim(a) == 0 or isinstance(a, tuple)
    assert isinstance(a, (int, float, tuple))
    assert dist.rvs(size=(2, 3), random_state=0).shape == (2, 3)
    clone = pickle.loads(pickle.dumps(dist))
    assert clone == dist and repr(clone) == repr(dist)
    assert clone.rvs(size=5, random_state=1).tolist() == dist.rvs(size=5, random_state=1).tolist()
    assert eval(repr(dist), vars(distributions)) == dist


@pytest.mark.parametrize("dist", SCALARS, ids=repr)
def test_works_in_randomized_search(dist):
    X, y = np.random.RandomState(0).rand(20, 2), np.arange(20.0)
    search = RandomizedSearchCV(DummyRegressor(strategy="constant"), {"constant": dist},
                                n_iter=5, cv=2, random_state=0).fit(X, y)
    values = search.cv_results_["param_constant"]
    assert len(values) == 5 and all(dist.low <= v <= dist.high for v in values)


def test_layer_sizes_in_randomized_search():
    from sklearn.neural_network import MLPRegressor

    d = layer_sizes(n_layers=(1, 2), units=(2, 8))
    X, y = np.random.RandomState(0).rand(20, 2), np.arange(20.0)
    search = RandomizedSearchCV(MLPRegressor(max_iter=5), {"hidden_layer_sizes": d}, n_iter=3,
                                cv=2, random_state=0).fit(X, y)
    assert all(isinstance(t, tuple) for t in search.cv_results_["param_hidden_layer_sizes"])


def test_unit_protocol_round_trip():
    d = layer_sizes(n_layers=(1, 3), units=(4, 64))
    for t in d.rvs(size=50, random_state=0):
        assert d._from_unit(d._to_unit(t)[None, :])[0] == t
    k = loguniform_int(3, 300)
    for v in range(3, 301):
        assert k._from_unit(k._to_unit(v)[None, :])[0] == v


# -- property-based ---------------------------------------------------------------
positive = st.floats(1e-12, 1e12, allow_nan=False, allow_infinity=False)
seeds = st.one_of(
    st.none(),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1).map(np.random.RandomState),
    st.integers(0, 2**31 - 1).map(np.random.default_rng),
)


@st.composite
def scalar_dists(draw):
    kind = draw(st.sampled_from(["log", "logint", "rev"]))
    if kind == "log":
        low = draw(positive)
        high = draw(positive.filter(lambda h: h > low * (1 + 1e-9)))
        return loguniform(low, high)
    if kind == "logint":
        low = draw(st.integers(1, 10**6))
        return loguniform_int(low, draw(st.integers(low + 1, 10**7)))
    low = draw(st.floats(1e-6, 0.999))
    high = draw(st.floats(low, 1 - 1e-9).filter(lambda h: h > low and (1 - h) < (1 - low) * (1 - 1e-6)))
    return reverse_loguniform(low, high)


@settings(max_examples=60, deadline=None)
@given(dist=scalar_dists(), seed=seeds, q=st.floats(0, 1))
def test_property_bounds_and_round_trips(dist, seed, q):
    x = dist.rvs(random_state=seed)
    assert np.ndim(x) == 0 and dist.low <= x <= dist.high
    xs = dist.rvs(size=7, random_state=seed)
    assert xs.shape == (7,) and np.all((xs >= dist.low) & (xs <= dist.high))
    v = dist.ppf(q)
    assert dist.low <= v <= dist.high
    if dist._discrete:
        # ppf is the smallest k with cdf(k) >= q.
        assert dist.cdf(v) >= q - 1e-9 and (v == dist.low or dist.cdf(v - 1) < q + 1e-9)
        assert dist.ppf(dist.cdf(v)) == v
    else:
        assert dist.cdf(v) == pytest.approx(q, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(lo=st.integers(1, 4), extra=st.integers(0, 3), ulo=st.integers(1, 100),
       uextra=st.integers(0, 1000), seed=seeds)
def test_property_layer_sizes(lo, extra, ulo, uextra, seed):
    d = layer_sizes(n_layers=(lo, lo + extra), units=(ulo, ulo + uextra))
    t = d.rvs(random_state=seed)
    assert isinstance(t, tuple) and lo <= len(t) <= lo + extra
    assert all(ulo <= w <= ulo + uextra for w in t)


# -- edge values: scipy's conventions ----------------------------------------------
def test_loguniform_int_refuses_bounds_beyond_float64_integers():
    # Values are computed in float64: above 2**53 they overflowed to -2**63.
    with pytest.raises(ValueError, match=r"high < 2\*\*53"):
        loguniform_int(1, 10**30)
    with pytest.raises(ValueError, match=r"2\*\*53"):
        layer_sizes(n_layers=1, units=(1, 10**30))
    d = loguniform_int(1, 2**53 - 1)
    x = d.rvs(size=2000, random_state=0)
    assert x.dtype.kind == "i" and x.min() >= 1 and x.max() < 2**53
    assert d.ppf(1.0) == 2**53 - 1 and d.ppf(0.0) == 1
    assert isinstance(d.rvs(random_state=0), int)


@pytest.mark.parametrize("dist", SCALARS, ids=repr)
def test_ppf_is_nan_outside_the_unit_interval(dist):
    # As scipy.stats: ppf(nan) and ppf of a q outside [0, 1] are nan.
    assert np.isnan(stats.poisson(3).ppf(np.nan))
    assert np.isnan(dist.ppf(np.nan))
    assert np.isnan(dist.ppf([np.nan, -0.1, 1.1])).all()
    assert not np.isnan(dist.ppf([0.0, 0.5, 1.0])).any()


@pytest.mark.parametrize(
    "dist",
    SCALARS + [reverse_loguniform(0.1, 0.2), loguniform(0.1, 0.3), loguniform_int(3, 7)],
    ids=repr,
)
def test_cdf_is_a_probability(dist):
    x = np.linspace(dist.low / 2, dist.high * 1.5, 1001)
    if isinstance(dist, reverse_loguniform):
        x = np.linspace(0.0, 0.999999, 1001)
    p = dist.cdf(np.concatenate([x, [dist.low, dist.high]]))
    assert p.min() >= 0.0 and p.max() <= 1.0
    assert dist.cdf(dist.high) == 1.0
    assert np.isnan(dist.cdf(np.nan))


@pytest.mark.parametrize("low, high", [(0.9, 0.999), (0.1, 0.2), (1e-3, 1 - 1e-6)])
def test_reverse_loguniform_pdf(low, high):
    from scipy.integrate import quad

    d = reverse_loguniform(low, high)
    mass, _ = quad(d.pdf, low, high, limit=200)
    assert mass == pytest.approx(1.0, rel=1e-8)
    # The derivative of the cdf, by central differences inside the support.
    x = d.ppf(np.linspace(0.05, 0.95, 19))
    h = 1e-6 * (1 - x)
    slope = (d.cdf(x + h) - d.cdf(x - h)) / (2 * h)
    np.testing.assert_allclose(d.pdf(x), slope, rtol=1e-5)
    assert d.pdf(low / 2) == 0.0 and d.pdf((high + 1) / 2) == 0.0
    assert np.isnan(d.pdf(np.nan))


@pytest.mark.parametrize("high", [10**7, 10**12])
def test_loguniform_int_ppf_is_exact_for_large_values(high):
    # exp(log(.)) is off by ~1e-14 * k: ppf(cdf(k)) used to miss k above ~4e5.
    d = loguniform_int(1, high)
    k = np.unique(np.geomspace(1, high, 20_000).astype(np.int64))
    np.testing.assert_array_equal(d.ppf(d.cdf(k)), k)
    np.testing.assert_array_equal(d.ppf(d.cdf(k - 1) + 1e-15), k)
    assert [d._from_unit(d._to_unit(v)[None, :])[0] for v in k[-50:]] == k[-50:].tolist()
