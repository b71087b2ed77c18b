"""What the search refuses, warns about or stops on: cv, checkpoints, budgets,
warm starts and Ctrl-C."""

import os
import pickle
import re
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold

from skhp import CoarseToFineSearchCV, MLPClassifier, distributions, loguniform
from skhp._interrupt import interrupt_stops_fit
from skhp.model_selection import _checkpoint
from skhp.model_selection._space import SearchSpace

X0, Y0 = np.arange(12.0).reshape(12, 1), np.zeros(12)
FITS = {"n": 0}


class Quadratic(BaseEstimator):
    """Free to fit; scores -(log10(lr) + 3)^2 - (k - 3)^2; counts its fits."""

    def __init__(self, lr=1e-3, k=1):
        self.lr = lr
        self.k = k

    def fit(self, X, y=None):
        FITS["n"] += 1
        self.train_rows_ = X[:, 0].astype(int).tolist()
        return self

    def score(self, X, y=None):
        return -((np.log10(self.lr) + 3) ** 2) - (self.k - 3) ** 2


def search(space, **kw):
    kw.setdefault("cv", 2)
    kw.setdefault("random_state", 0)
    return CoarseToFineSearchCV(Quadratic(), space, **kw)


SPACE = {"lr": loguniform(1e-6, 1.0), "k": [1, 2, 3, 4]}


# -- cv: every round on the same folds ----------------------------------------------
@pytest.mark.parametrize("cv", [KFold(2, shuffle=True), ShuffleSplit(2, random_state=None),
                                StratifiedKFold(2, shuffle=True)])
def test_cv_with_changing_folds_is_refused_before_any_fit(cv):
    FITS["n"] = 0
    y = np.tile([0, 1], 6)
    with pytest.raises(ValueError, match="different folds.*random_state to an int"):
        search(SPACE, n_iter=6, n_rounds=2, cv=cv).fit(X0, y)
    assert FITS["n"] == 0


def test_one_round_accepts_any_cv():
    # one round: split is called once, so every candidate sees the same folds
    s = search(SPACE, n_iter=4, n_rounds=1, cv=KFold(2, shuffle=True)).fit(X0, Y0)
    assert len(s.cv_results_["params"]) == 4


def test_seeded_shuffled_cv_gives_every_round_the_same_folds(monkeypatch):
    from sklearn.model_selection import _search

    real = _search._fit_and_score
    seen = []

    def spy(*args, train, test, **kwargs):
        seen.append((tuple(train), tuple(test)))
        return real(*args, train=train, test=test, **kwargs)

    monkeypatch.setattr(_search, "_fit_and_score", spy)
    search(SPACE, n_iter=9, n_rounds=3, cv=KFold(3, shuffle=True, random_state=1),
           refit=False).fit(X0, Y0)
    assert len(seen) == 27 and len(set(seen)) == 3


# -- checkpoint: fingerprint without memory addresses, path checked first ---------------
class RvsOnly:
    """A distribution the search can only draw from (no quantiles)."""

    def __init__(self, values=(1, 2, 3)):
        self.values = values

    def rvs(self, random_state=None):
        return int(random_state.choice(self.values))


def test_space_fingerprint_ignores_memory_addresses():
    def make(values=([1, 2, 5], [0.2, 0.3, 0.5])):
        return {"a": RvsOnly(), "b": stats.rv_discrete(values=values),
                "c": stats.rv_discrete(values=values)(), "d": stats.uniform(0, 1)}

    first, second = make(), make()
    assert repr(first["a"]) != repr(second["a"])  # two objects, two addresses
    assert _checkpoint.describe_space(first) == _checkpoint.describe_space(second)
    # ...and what sets the values still counts
    other = make(([1, 2, 6], [0.2, 0.3, 0.5]))
    for name in ["b", "c"]:
        assert (_checkpoint.describe_space({name: other[name]})
                != _checkpoint.describe_space({name: first[name]}))
    assert (_checkpoint.describe_space({"a": RvsOnly((1, 2))})
            != _checkpoint.describe_space({"a": first["a"]}))
    # drawing from a scipy distribution (the global RandomState moves) changes nothing
    before = _checkpoint.describe_space(first)
    first["d"].rvs(size=3)
    np.random.rand()
    assert _checkpoint.describe_space(first) == before



class Unpicklable:
    """Holds a lock, so pickling it fails."""

    def __init__(self, scale):
        self.scale = scale
        self.lock = threading.Lock()

    def rvs(self, random_state=None):
        return self.scale * random_state.random()


def test_space_fingerprint_of_unpicklable_objects_tells_configurations_apart():
    with pytest.raises(TypeError):
        pickle.dumps(Unpicklable(1))
    # their reprs, less the address, were both "<...Unpicklable object>"
    one, two = ({"a": Unpicklable(scale)} for scale in (1, 2))
    assert _checkpoint.describe_space(one) != _checkpoint.describe_space(two)
    assert _checkpoint.describe_space(one) == _checkpoint.describe_space({"a": Unpicklable(1)})
    assert (_checkpoint.describe_space({"a": [Unpicklable(1), 3]})
            != _checkpoint.describe_space({"a": [Unpicklable(2), 3]}))


_RESUME_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from scipy import stats
    from sklearn.base import BaseEstimator
    from skhp import CoarseToFineSearchCV, loguniform

    class RvsOnly:
        def rvs(self, random_state=None):
            return int(random_state.integers(3))

    class Est(BaseEstimator):
        def __init__(self, a=1, b=0, c=1.0):
            self.a, self.b, self.c = a, b, c

        def fit(self, X, y=None):
            return self

        def score(self, X, y=None):
            return -abs(np.log10(self.c)) - self.a - self.b

    space = {"a": stats.rv_discrete(values=([1, 2, 5], [0.2, 0.3, 0.5])), "b": RvsOnly(),
             "c": loguniform(1e-3, 10.0)}
    s = CoarseToFineSearchCV(Est(), space, n_iter=9, n_rounds=3, cv=2, random_state=0,
                             checkpoint=sys.argv[1]).fit(np.zeros((6, 1)), np.zeros(6))
    print("restored", s.n_restored_rounds_, "candidates", len(s.cv_results_["params"]))
    """
)


def test_checkpoint_with_address_reprs_resumes_in_another_process(tmp_path):
    script, ckpt = tmp_path / "resume.py", tmp_path / "search.ckpt"
    script.write_text(_RESUME_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    outputs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(script), str(ckpt)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs.append(proc.stdout.strip())
    # the second process resumes the first one's checkpoint (all but its last round)
    assert outputs == ["restored 0 candidates 9", "restored 2 candidates 9"]


@pytest.mark.parametrize("where", ["missing folder", "file as folder", "folder as file"])
def test_unwritable_checkpoint_path_fails_before_any_fit(tmp_path, where):
    if where == "missing folder":
        path, error = tmp_path / "missing" / "search.ckpt", FileNotFoundError
    elif where == "file as folder":
        (tmp_path / "a_file").write_text("")
        path, error = tmp_path / "a_file" / "search.ckpt", NotADirectoryError
    else:
        path, error = tmp_path, IsADirectoryError
    FITS["n"] = 0
    with pytest.raises(error, match=re.escape(repr(str(path)))) as info:
        search(SPACE, n_iter=4, n_rounds=2, checkpoint=path).fit(X0, Y0)
    assert FITS["n"] == 0
    assert ".skhp-checkpoint-" not in str(info.value)
    assert not list(tmp_path.glob("**/.skhp-checkpoint-*"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes to read-only folders")
def test_read_only_checkpoint_folder_fails_before_any_fit(tmp_path):
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o500)
    FITS["n"] = 0
    try:
        with pytest.raises(PermissionError, match="not writable"):
            search(SPACE, n_iter=4, n_rounds=2, checkpoint=folder / "s.ckpt").fit(X0, Y0)
    finally:
        folder.chmod(0o700)
    assert FITS["n"] == 0


# -- fewer candidates than n_iter: say so ----------------------------------------------
def test_infinite_discrete_space_evaluates_n_iter_or_says_why():
    # geom(0.5) puts 99.9% of its mass on 1..10: draws soon repeat themselves
    space = {"k": stats.geom(0.5), "lr": [1e-3, 1e-2]}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        s = search(space, n_iter=20).fit(X0, Y0)
    n = len(s.cv_results_["params"])
    short = [str(w.message) for w in record
             if w.category is UserWarning and "n_iter=20" in str(w.message)]
    if n < 20:
        assert len(short) == 1
        assert short[0].startswith(f"Only {n} of n_iter=20 candidates were evaluated: ")
    else:
        assert not short


def test_space_of_few_distinct_values_too_large_to_enumerate_warns():
    # 400 x 400 listed values are too many to enumerate, but they are one candidate
    space = {"k": [3] * 400, "lr": [1e-3] * 400}
    with pytest.warns(UserWarning, match="Only 1 of n_iter=5 candidates were evaluated: "
                      "repeated draws from the parameter space gave no new distinct"):
        s = search(space, n_iter=5).fit(X0, Y0)
    assert s.cv_results_["params"] == [{"k": 3, "lr": 1e-3}]


@pytest.mark.parametrize("n_rounds", [1, 3])
def test_finite_space_smaller_than_n_iter_warns_as_randomized_search(n_rounds):
    space = {"k": [1, 2, 3], "lr": [1e-3, 1e-2]}
    with pytest.warns(UserWarning, match="Only 6 of n_iter=10 candidates were evaluated: "
                      "the parameter space holds only 6 distinct candidates"):
        s = search(space, n_iter=10, n_rounds=n_rounds).fit(X0, Y0)
    assert len(s.cv_results_["params"]) == 6


def test_full_budget_does_not_warn():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Only", category=UserWarning)
        s = search({"k": [1, 2, 3], "lr": [1e-3, 1e-2]}, n_iter=6, n_rounds=2).fit(X0, Y0)
    assert len(s.cv_results_["params"]) == 6


# -- warm start: seeds outside a narrowed space are dropped, not clamped --------------------
def test_warm_start_drops_seeds_outside_a_narrowed_space():
    s = search({"lr": loguniform(1e-6, 1.0), "k": [1, 2, 3, 4]}, n_iter=30, n_rounds=3,
               warm_start=True).fit(X0, Y0)
    previous = s.cv_results_
    ranked = [previous["params"][i] for i in np.argsort(previous["rank_test_score"],
                                                        kind="stable")]
    # the optimum (lr=1e-3) is now out of range: most of the best candidates are too
    low, high = 1e-2, 1.0
    expected = [p for p in ranked if low <= p["lr"] <= high and p["k"] in (2, 3, 4)][:5]
    assert len(expected) >= 2
    assert sum(not (low <= p["lr"] <= high) for p in ranked[:5]) >= 3

    s.set_params(param_distributions={"lr": loguniform(low, high), "k": [2, 3, 4]}).fit(X0, Y0)
    first = [p for p, r in zip(s.cv_results_["params"], s.cv_results_["round"]) if r == 0]
    assert len(first) == 10  # half of round 0 at most goes to the seeds
    seeds = first[: len(expected)]
    assert [p["k"] for p in seeds] == [p["k"] for p in expected]
    np.testing.assert_allclose([p["lr"] for p in seeds], [p["lr"] for p in expected],
                               rtol=1e-9)
    # nothing was clamped onto the new bounds
    lr = np.array([p["lr"] for p in s.cv_results_["params"]])
    assert not np.isclose(lr, low, rtol=1e-6).any() and not np.isclose(lr, high, rtol=1e-6).any()


class Peak(BaseEstimator):
    """Free to fit; scores -|x - 0.001|."""

    def __init__(self, x=0.0):
        self.x = x

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -abs(self.x - 0.001)


def test_warm_start_keeps_seeds_a_round_trip_moves_a_little():
    # uniform(-1e6, 2e6) gives 0.001 back as 0.0010000000475 (quantiles in
    # float64): the seed was dropped as if it lay outside the space.
    s = CoarseToFineSearchCV(Peak(), {"x": [0.001, 5.0]}, n_iter=2, n_rounds=1, cv=2,
                             random_state=0, warm_start=True).fit(X0, Y0)
    assert s.best_params_ == {"x": 0.001}
    s.set_params(param_distributions={"x": stats.uniform(-1e6, 2e6)}, n_iter=4).fit(X0, Y0)
    seeds = [p["x"] for p in s.cv_results_["params"][:2]]
    np.testing.assert_allclose(seeds, [0.001, 5.0], rtol=1e-6)


@pytest.mark.parametrize("dist, value", [
    (stats.uniform(0, 1), 1.5),  # outside the support: the cdf is 1 there
    (stats.uniform(0, 1), -0.5),
    (stats.norm(0, 1), 40.0),  # inside, but quantiles are drawn within [1e-9, 1 - 1e-9]
    (stats.poisson(3), 3.5),  # between two values: it came back as 3
    (stats.poisson(3), -1),
    (loguniform(1e-3, 1.0), 2.0),  # clipped onto the bound
    (loguniform(1e-3, 1.0), float("nan")),
    (distributions.loguniform_int(2, 64), 3.5),
    (distributions.loguniform_int(2, 64), 128),
    (distributions.reverse_loguniform(0.9, 0.999), 0.5),
    (distributions.layer_sizes((1, 2), (4, 8)), (4, 5.5)),
], ids=lambda v: getattr(getattr(v, "dist", None), "name", None) or repr(v))
def test_values_a_distribution_never_draws_are_not_located(dist, value):
    space = SearchSpace({"x": dist})
    assert space.locate({"x": value}) is None
    sub = space.subspaces[0]
    for u in (0.0, 0.3, 1.0):  # ...and values it draws are
        drawn = sub.params_from_unit(np.full((1, sub.n_units), u), None)[0]
        assert space.locate(drawn) is not None


# -- Ctrl-C inside a search ------------------------------------------------------------
def _interrupt_in_training(monkeypatch, on_fit):
    """Make the on_fit-th network fit raise KeyboardInterrupt in its training loop."""
    calls = {"fits": 0}
    real_fit_stochastic = MLPClassifier._fit_stochastic
    real_backprop = MLPClassifier._backprop

    def fit_stochastic(self, *args, **kwargs):
        calls["fits"] += 1
        return real_fit_stochastic(self, *args, **kwargs)

    def backprop(self, *args, **kwargs):
        if calls["fits"] == on_fit:
            raise KeyboardInterrupt
        return real_backprop(self, *args, **kwargs)

    monkeypatch.setattr(MLPClassifier, "_fit_stochastic", fit_stochastic)
    monkeypatch.setattr(MLPClassifier, "_backprop", backprop)
    return calls


def _classification_data():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    return X, (X[:, 0] > 0).astype(int)


def test_ctrl_c_in_a_network_fit_stops_the_search_and_keeps_complete_rounds(
        tmp_path, monkeypatch):
    X, y = _classification_data()
    path = tmp_path / "search.ckpt"
    # 2 rounds x 2 candidates x 2 folds: fit 5 is the first of round 1
    calls = _interrupt_in_training(monkeypatch, on_fit=5)
    net = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    s = CoarseToFineSearchCV(net, {"alpha": loguniform(1e-5, 1.0)}, n_iter=4, n_rounds=2,
                             cv=2, random_state=0, n_jobs=1, checkpoint=path)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Training interrupted")
        with pytest.raises(KeyboardInterrupt):
            s.fit(X, y)
    assert calls["fits"] == 5  # stopped at once: no later fit ran
    assert not interrupt_stops_fit()  # the mark ends with the search
    with open(path, "rb") as f:
        rounds = pickle.load(f)["rounds"]
    assert len(rounds) == 1 and len(rounds[0].params) == 2
    assert np.isfinite(rounds[0].levels_and_scores()[1]).all()
    assert not hasattr(s, "cv_results_")


def test_ctrl_c_in_a_plain_fit_stops_the_search(tmp_path, monkeypatch):
    path = tmp_path / "search.ckpt"

    def fit(self, X, y=None):
        FITS["n"] += 1
        if FITS["n"] == 18:  # in round 2 (fits 17..24: 4 candidates x 2 folds a round)
            raise KeyboardInterrupt
        return self

    monkeypatch.setattr(Quadratic, "fit", fit)
    FITS["n"] = 0
    with pytest.raises(KeyboardInterrupt):
        search(SPACE, n_iter=12, n_rounds=3, checkpoint=path, n_jobs=1).fit(X0, Y0)
    with open(path, "rb") as f:
        assert [r.rungs[0].more["round"][0] for r in pickle.load(f)["rounds"]] == [0, 1]


def test_ctrl_c_outside_a_search_ends_the_network_fit_with_a_warning(monkeypatch):
    X, y = _classification_data()
    _interrupt_in_training(monkeypatch, on_fit=1)
    net = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    assert not interrupt_stops_fit()
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        net.fit(X, y)
    assert net.n_iter_ == 0 and net.predict(X).shape == (40,)


def test_a_generator_of_splits_is_used_for_every_round():
    # It is a list once BaseSearchCV has checked it; checking self.cv again
    # would use the generator up before any fit.
    X, y = make_classification(n_samples=60, random_state=0)
    search = CoarseToFineSearchCV(
        LogisticRegression(), {"C": loguniform(1e-2, 1e2)}, n_iter=6, n_rounds=2,
        cv=KFold(3).split(X), random_state=0,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
