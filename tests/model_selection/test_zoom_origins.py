"""Which candidates the zoom proposes, pinned, and where each one comes from.

The pins hold the default design still: a refactor of ``_zoom`` that changes a
single proposal (a draw moved, an rng call added) fails them. Values are
rounded to 9 significant digits, so that a last-bit difference in a float
kernel does not.
"""

import hashlib

import numpy as np
import pytest
from scipy import stats

from skhp import layer_sizes, loguniform, loguniform_int
from skhp.model_selection._space import SearchSpace
from skhp.model_selection._zoom import ORIGINS, ZoomSampler, kernel_sigma

MIXED = {"lr": loguniform(1e-4, 1.0), "units": loguniform_int(8, 256),
         "act": ["relu", "tanh", "logistic"], "x": stats.uniform(0, 1)}
TWO_SUBSPACES = [{"lr": loguniform(1e-4, 1.0), "solver": ["adam", "sgd"]},
                 {"alpha": loguniform(1e-6, 1e-1), "layers": layer_sizes((1, 2), (4, 64))}]
SMALL = {"a": [1, 2, 3], "b": ["x", "y"], "c": stats.randint(0, 3)}  # 18 candidates
CONTINUOUS = {"x": stats.uniform(0, 1), "y": loguniform(1e-3, 1e3), "z": stats.uniform(-1, 2)}
WARM = ((0, np.array([0.5, 0.5, 0.1, 0.5])),)


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, tuple):
        return tuple(_rounded(v) for v in value)
    return value


def _score(u, i):
    """A bowl at 0.3 in quantile space; every seventh candidate fails."""
    return np.nan if i % 7 == 6 else -float(np.sum((u - 0.3) ** 2))


def _run(space_def, seed, sizes, warm=(), **options):
    """Every round of a search driven by ``_score``: (round, sub-space, params), reports."""
    space = SearchSpace(space_def)
    sampler = ZoomSampler(space, seed, **options)
    history, seen, out, reports = [], set(), [], []
    for r, n in enumerate(sizes):
        proposals, report = sampler.propose(r, n, history, seen, seeds=warm if r == 0 else ())
        for s, u, p in proposals:
            seen.add(space.subspaces[s].key(p, u))
            history.append({"subspace": s, "u": u, "params": p, "score": _score(u, len(history))})
            out.append((r, s, {k: _rounded(v) for k, v in sorted(p.items())}))
        reports.append((proposals, report))
    return out, reports


def _digest(out):
    return hashlib.sha256(repr(out).encode()).hexdigest()[:16]


@pytest.mark.parametrize("case, pins, digest", [
    ((MIXED, 3, [12, 10, 10, 10, 10], WARM), {
        0: (0, 0, {"act": "tanh", "lr": 0.01, "units": 11, "x": 0.5}),
        26: (2, 0, {"act": "tanh", "lr": 0.000480851761, "units": 31, "x": 0.334025388}),
        51: (4, 0, {"act": "relu", "lr": 0.0496629542, "units": 18, "x": 0.194525526}),
    }, "c7e03c281d170fb2"),
    ((TWO_SUBSPACES, 11, [16, 12, 12, 12]), {
        0: (0, 0, {"lr": 0.0452805556, "solver": "adam"}),
        26: (1, 0, {"lr": 0.000109178309, "solver": "adam"}),
        51: (3, 1, {"alpha": 0.0525501878, "layers": (43, 47)}),
    }, "182cc89c9daf7715"),
    ((SMALL, 5, [5, 5, 5, 5]), {
        0: (0, 0, {"a": 1, "b": "x", "c": 0}),
        9: (1, 0, {"a": 3, "b": "x", "c": 1}),
        17: (3, 0, {"a": 3, "b": "y", "c": 2}),
    }, "fffe779a208323d5"),
], ids=["mixed-warm-start", "two-subspaces", "small-finite"])
def test_default_proposals_are_pinned(case, pins, digest):
    out, _ = _run(*case)
    for i, expected in pins.items():
        assert out[i] == expected
    assert _digest(out) == digest


def _check_aligned(proposals, report):
    n = len(proposals)
    assert len(report["origins"]) == len(report["region_of"]) == n == report["n_candidates"]
    assert set(report["origins"]) <= set(ORIGINS)
    for origin, j in zip(report["origins"], report["region_of"]):
        assert (origin == "region") == (j >= 0)
        assert j < len(report["regions"])
    region_of = np.array(report["region_of"], dtype=int)
    for j, region in enumerate(report["regions"]):
        assert np.sum(region_of == j) == region["n_candidates"]


@pytest.mark.parametrize("explore_fraction", [0.0, 0.1, 0.3])
def test_origin_counts_follow_the_budget_arithmetic(explore_fraction):
    # Continuous and without categories: no duplicates, no swaps, so a zooming
    # round is round(explore_fraction * n) exploration and the rest regions.
    n = 20
    _, reports = _run(CONTINUOUS, 1, [n] * 5, explore_fraction=explore_fraction)
    for r, (proposals, report) in enumerate(reports):
        _check_aligned(proposals, report)
        origins = np.array(report["origins"])
        if r == 0:
            assert set(origins) == {"design"}
            continue
        n_explore = int(round(explore_fraction * n))
        assert np.sum(origins == "exploration") == n_explore
        assert np.sum(origins == "region") == n - n_explore
        assert sum(g["n_candidates"] for g in report["regions"]) == n - n_explore


@pytest.mark.parametrize("case, options", [
    ((CONTINUOUS, 2, [24] * 6), {}),
    ((CONTINUOUS, 2, [24] * 6), {"elite_fraction": 0.3, "zoom_factor": 0.5}),  # 2-3 regions
    ((TWO_SUBSPACES, 11, [16, 12, 12, 12]), {}),  # a region in each sub-space
])
def test_region_candidates_lie_within_their_regions_kernel_reach(case, options):
    # Each numeric coordinate of a region candidate is a draw of a Gaussian of
    # sigma w / 4 on that coordinate of one of the region's donors (its parent,
    # or the elite crossover borrowed it from), reflected at the edges, which
    # only brings it closer. (No duplicates here, so no wider redraws.)
    _, reports = _run(*case, **options)
    n_checked = 0
    for proposals, report in reports[1:]:
        sigma = kernel_sigma(report["width"])
        for (s, u, _), origin, j in zip(proposals, report["origins"], report["region_of"]):
            if origin != "region":
                continue
            region = report["regions"][j]
            assert s == region["subspace"]
            reach = np.abs(region["donors"] - u).min(axis=0)
            assert np.all(reach <= 5 * sigma)
            n_checked += 1
    assert n_checked > 30


def test_swaps_change_one_choice_of_the_best_candidate():
    out, reports = _run(MIXED, 3, [12, 10, 10, 10, 10], WARM)
    space = SearchSpace(MIXED)
    sub = space.subspaces[0]
    cat_cols = {sub.slices[d.name].start for d in sub.cat_dims}
    history = []
    n_swaps = 0
    for r, (proposals, report) in enumerate(reports):
        _check_aligned(proposals, report)
        origins = report["origins"]
        if r == 0:
            assert origins == ["warm start"] + ["design"] * 11
        else:
            valid = [h for h in history if np.isfinite(h[1])]
            best = max(valid, key=lambda h: h[1])[0]  # ties: the earliest
            n_zoom = len(proposals) - int(round(0.1 * len(proposals)))
            assert origins.count("swap") <= max(1, n_zoom // 4)
            assert origins.count("exploration") == len(proposals) - n_zoom
            for (_, u, _), origin in zip(proposals, origins):
                if origin == "swap":
                    changed = set(np.flatnonzero(u != best))
                    assert len(changed) == 1 and changed <= cat_cols
                    n_swaps += 1
        for _, u, _ in proposals:
            history.append((u, _score(u, len(history))))
    assert n_swaps >= 4


def test_a_finite_space_that_runs_dry_is_enumerated():
    # 40 integers in 4 rounds of 10: the last round takes whatever is left.
    space_def = {"a": stats.randint(0, 40)}
    out, reports = _run(space_def, 0, [10] * 4)
    assert sorted(p["a"] for _, _, p in out) == list(range(40))
    origins = [report["origins"] for _, report in reports]
    assert "enumerated" in origins[-1]
    for (proposals, report), here in zip(reports, origins):
        _check_aligned(proposals, report)
        if "enumerated" in here:  # enumeration comes last, after Sobol' ran dry
            first = here.index("enumerated")
            assert set(here[first:]) == {"enumerated"}


def test_a_round_after_failures_only_explores():
    space = SearchSpace(CONTINUOUS)
    sampler = ZoomSampler(space, 0)
    proposals, report = sampler.propose(0, 8, [], set())
    history = [{"subspace": s, "u": u, "params": p, "score": np.nan} for s, u, p in proposals]
    seen = {space.subspaces[s].key(p, u) for s, u, p in proposals}
    proposals, report = sampler.propose(1, 8, history, seen)
    _check_aligned(proposals, report)
    assert report["origins"] == ["exploration"] * 8
    assert report["regions"] == [] and report["width"] == 1.0
