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
from skhp.model_selection._zoom import ZoomSampler, kernel_sigma

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
