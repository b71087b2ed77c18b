"""The geometry of a zoomed region, pinned: kernel width, reported bounds, reach.

Round ``r`` has width ``w = zoom_factor ** r`` in quantile space; the sampling
kernels on its elites have a standard deviation of ``w / 4``, ``rounds_``
reports each region as two of those on either side of its elites, and an elite
farther than ``w`` from every region's centre opens a region of its own. These
tests use numbers, not the constants of ``_zoom``, so that changing one fails.
"""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator

from skhp import CoarseToFineSearchCV
from skhp.model_selection._space import SearchSpace
from skhp.model_selection._zoom import ZoomSampler, kernel_sigma, region_unit_bounds


class Bowl(BaseEstimator):
    def __init__(self, x=0.5):
        self.x = x

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -((self.x - 0.3) ** 2)


def test_reported_bounds_are_half_a_width_on_either_side_of_a_lone_elite():
    # uniform(0, 1) is its own quantile space; a tiny elite_fraction keeps one
    # elite, so one region, whose bounds are center -+ 2 * (width / 4),
    # widened to hold the candidates drawn in it (the kernel has tails).
    s = CoarseToFineSearchCV(Bowl(), {"x": stats.uniform(0, 1)}, n_iter=30, n_rounds=5,
                             elite_fraction=0.01, cv=2, random_state=0,
                             refit=False).fit(np.zeros((4, 1)))
    res = s.cv_results_
    checked = widened = 0
    for rnd in s.rounds_[1:]:
        assert rnd["width"] == pytest.approx(0.7 ** rnd["round"])
        (region,) = rnd["regions"]
        assert region["n_elites"] == 1
        center = region["center"]["x"]
        drawn = [p["x"] for p, r, k in zip(res["params"], res["round"], res["region"])
                 if r == rnd["round"] and k == 0]
        assert len(drawn) == region["n_candidates"] > 0
        low, high = region["bounds"]["x"]
        assert low == pytest.approx(min(max(center - rnd["width"] / 2, 0.0), *drawn),
                                    abs=1e-8)
        assert high == pytest.approx(max(min(center + rnd["width"] / 2, 1.0), *drawn),
                                     abs=1e-8)
        checked += center - rnd["width"] / 2 > 0 and center + rnd["width"] / 2 < 1
        widened += min(drawn) < center - rnd["width"] / 2 or max(drawn) > center + rnd[
            "width"] / 2
    assert checked >= 2  # some regions were not cut by the edges of the space
    assert widened >= 1  # and some drew a candidate in the tails


def test_region_bounds_of_several_elites_span_them_plus_half_a_width():
    assert region_unit_bounds([0.4, 0.45, 0.5], 0.2) == pytest.approx((0.3, 0.6))
    assert region_unit_bounds([0.05], 0.4) == pytest.approx((0.0, 0.25))
    assert region_unit_bounds([0.99], 0.1)[1] < 1.0
    assert kernel_sigma(0.2) == pytest.approx(0.05)


class Unscreened(ZoomSampler):
    """A region's draws as they come from its kernels, without the screen."""

    def _draw_region(self, region, m, sigma, rng, contrast):
        return self._sample_region(region, m, sigma, rng)


def test_zoom_kernel_has_a_quarter_width_standard_deviation():
    # Without screening, a region with one elite draws its candidates from a
    # Gaussian on it: their spread is the kernel's, w / 4. (One numeric
    # parameter and one elite: no swaps, no crossover.)
    space = SearchSpace({"x": stats.uniform(0, 1)})
    sampler = Unscreened(space, 0, explore_fraction=0.0)
    history = [{"subspace": 0, "u": np.array([0.5]), "params": {"x": 0.5}, "score": 0.0}]
    round_idx = 2
    width = 0.7**round_idx
    proposals, report = sampler.propose(round_idx, 4000, history, set())
    assert report["width"] == pytest.approx(width)
    u = np.array([p[1][0] for p in proposals])
    # +-4 sigma stays inside (0, 1), so the edges reflect nothing
    assert u.min() > 0.5 - 4.5 * width / 4 and u.max() < 0.5 + 4.5 * width / 4
    assert np.std(u) == pytest.approx(width / 4, rel=0.05)
    assert np.mean(np.abs(u - 0.5) <= width / 2) == pytest.approx(0.954, abs=0.02)


@pytest.mark.parametrize("gap, n_regions", [(0.9, 1), (1.1, 2)])
def test_an_elite_farther_than_a_width_from_every_region_opens_one(gap, n_regions):
    # Round 2: width 0.49. Two elites (elite_fraction 1) gap * width apart.
    space = SearchSpace({"x": stats.uniform(0, 1)})
    sampler = ZoomSampler(space, 0, elite_fraction=1.0, explore_fraction=0.0)
    width = 0.7**2
    history = [{"subspace": 0, "u": np.array([x]), "params": {"x": x}, "score": score}
               for x, score in [(0.2, 0.0), (0.2 + gap * width, -1.0)]]
    _, report = sampler.propose(2, 10, history, set())
    assert len(report["regions"]) == n_regions
    assert report["regions"][0]["members"][0] is history[0]  # the best is the centre
    assert [len(r["members"]) for r in report["regions"]] == [2 // n_regions] * n_regions
