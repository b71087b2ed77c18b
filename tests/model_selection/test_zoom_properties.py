"""Property-based tests of the sampler on random mixed-type search spaces."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.base import BaseEstimator

from skhp import CoarseToFineSearchCV, layer_sizes, loguniform, loguniform_int, reverse_loguniform
from skhp.model_selection._space import SearchSpace
from skhp.model_selection._zoom import ZoomSampler, round_sizes

values = st.one_of(
    st.lists(st.sampled_from(["a", "b", "c", None, 1, 2.5, True, (1, 2)]), min_size=1,
             max_size=4, unique_by=repr),
    st.builds(loguniform, st.sampled_from([1e-6, 1e-3, 0.5]), st.sampled_from([1.0, 10.0])),
    st.builds(loguniform_int, st.integers(1, 4), st.integers(5, 300)),
    st.builds(reverse_loguniform, st.sampled_from([0.5, 0.9]), st.sampled_from([0.95, 0.9999])),
    st.builds(layer_sizes, st.sampled_from([1, (1, 2), (2, 3)]), st.sampled_from([4, (2, 8), (16, 64)])),
    st.builds(stats.uniform, st.floats(-5, 5), st.floats(0.1, 5)),
    st.builds(stats.randint, st.integers(0, 3), st.integers(4, 9)),
    st.builds(stats.norm, st.floats(-1, 1), st.floats(0.1, 2)),
)
grids = st.dictionaries(st.sampled_from(["p0", "p1", "p2", "p3", "p4"]), values, min_size=1, max_size=4)
spaces = st.one_of(grids, st.lists(grids, min_size=1, max_size=3))


def _in_space(space, params):
    return space.locate(params) is not None


@settings(max_examples=80, deadline=None)
@given(space_def=spaces, n_iter=st.integers(1, 40), n_rounds=st.integers(1, 6),
       seed=st.integers(0, 2**16), explore=st.sampled_from([0.0, 0.2, 1.0]),
       fail_rate=st.sampled_from([0.0, 0.3, 1.0]))
def test_sampler_honours_budget_without_duplicates(space_def, n_iter, n_rounds, seed, explore,
                                                    fail_rate):
    space = SearchSpace(space_def)
    sampler = ZoomSampler(space, seed, explore_fraction=explore)
    rng = np.random.default_rng(seed)
    history, seen, all_params = [], set(), []
    deficit = 0
    for r, n in enumerate(round_sizes(n_iter, n_rounds)):
        proposals, report = sampler.propose(r, n + deficit, history, seen)
        deficit = n + deficit - len(proposals)
        for s, u, p in proposals:
            key = space.subspaces[s].key(p, u)
            assert key not in seen
            seen.add(key)
            assert np.all((u >= 0) & (u < 1))
            assert _in_space(space, p) or any(  # opaque / continuous values round-trip loosely
                set(p) == {d.name for d in sub.dims} for sub in space.subspaces)
            score = np.nan if rng.random() < fail_rate else float(rng.normal())
            history.append({"subspace": s, "u": u, "params": p, "score": score})
            all_params.append(p)
    expected = n_iter if space.size is None else min(n_iter, space.size)
    if space.size is None or space.size <= 100_000:
        assert len(all_params) == expected
    else:
        assert len(all_params) <= n_iter


class Anything(BaseEstimator):
    """Accepts p0..p4 of any type; scores by a hash of them."""

    def __init__(self, p0=None, p1=None, p2=None, p3=None, p4=None):
        self.p0, self.p1, self.p2, self.p3, self.p4 = p0, p1, p2, p3, p4

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return float(hash(repr(self.get_params())) % 1000) / 1000


@settings(max_examples=12, deadline=None)
@given(space_def=spaces, n_iter=st.integers(1, 15), n_rounds=st.integers(1, 4))
def test_search_never_crashes_on_valid_space(space_def, n_iter, n_rounds):
    s = CoarseToFineSearchCV(Anything(), space_def, n_iter=n_iter, n_rounds=n_rounds, cv=2,
                             random_state=0, refit=False).fit(np.zeros((4, 1)), np.zeros(4))
    size = SearchSpace(space_def).size
    assert len(s.cv_results_["params"]) == (n_iter if size is None else min(n_iter, size))
    keys = [repr(sorted(p.items())) for p in s.cv_results_["params"]]
    assert len(set(keys)) == len(keys)
