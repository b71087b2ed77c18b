import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from joblib import parallel_backend
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, KFold, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhp import CoarseToFineSearchCV, layer_sizes, loguniform, loguniform_int, reverse_loguniform
from skhp.model_selection._zoom import resolve_rounds
from tests._warnings import expects_failed_fits

X0, Y0 = np.zeros((6, 1)), np.zeros(6)
OPT_PENALTY = {"adam": 0.0, "rmsprop": 0.5, "sgd": 1.0}
FIT_COUNT = {"n": 0, "fail": range(0)}


class Surface(BaseEstimator):
    """A free-to-fit estimator whose score is a known surface of its parameters."""

    def __init__(self, lr=1e-3, units=32, opt="adam", x=0.5, beta=0.9, layers=(8,),
                 fail_above=None, two_basins=False):
        self.lr = lr
        self.units = units
        self.opt = opt
        self.x = x
        self.beta = beta
        self.layers = layers
        self.fail_above = fail_above
        self.two_basins = two_basins

    def fit(self, X, y=None):
        FIT_COUNT["n"] += 1
        if FIT_COUNT["n"] in FIT_COUNT["fail"]:
            raise RuntimeError("scheduled failure")
        if self.fail_above is not None and self.lr > self.fail_above:
            raise ValueError("diverged")
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.zeros(len(X))

    def score(self, X, y=None):
        if self.two_basins:
            return -min((self.x - 0.15) ** 2, (self.x - 0.85) ** 2)
        return -(
            (np.log10(self.lr) + 3) ** 2
            + 0.1 * (np.log2(self.units) - 6) ** 2
            + OPT_PENALTY[self.opt]
            + (self.x - 0.3) ** 2
        )


def search(space, **kw):
    kw.setdefault("cv", 2)
    kw.setdefault("random_state", 0)
    return CoarseToFineSearchCV(Surface(), space, **kw)


SPACE = {"lr": loguniform(1e-6, 1.0), "units": loguniform_int(4, 1024),
         "opt": ["sgd", "adam", "rmsprop"], "x": stats.uniform(0, 1)}


# -- sampling -----------------------------------------------------------------------
def test_budget_rounds_and_round_column():
    s = search(SPACE, n_iter=23, n_rounds=4).fit(X0, Y0)
    res = s.cv_results_
    assert len(res["params"]) == 23
    assert s.n_candidates_ == [8, 5, 5, 5] and s.n_rounds_ == 4
    assert res["round"].tolist() == [0] * 8 + [1] * 5 + [2] * 5 + [3] * 5
    assert [r["round"] for r in s.rounds_] == [0, 1, 2, 3]
    assert s.rounds_[0]["width"] == 1.0 and s.rounds_[0]["regions"] == []
    widths = [r["width"] for r in s.rounds_[1:]]
    assert widths == sorted(widths, reverse=True) and widths[-1] < widths[0]
    for r in s.rounds_[1:]:
        assert sum(reg["n_candidates"] for reg in r["regions"]) <= r["n_candidates"]
        for reg in r["regions"]:
            low, high = reg["bounds"]["lr"]
            assert 1e-6 <= low <= reg["center"]["lr"] <= high <= 1.0


@pytest.mark.parametrize(
    "params, sizes, zoom",
    [
        ({}, [5] * 12, 0.7 ** (5 / 11)),  # rounds of 5, the last 0.7 ** 5 wide
        ({"n_iter": 37}, [7] + [5] * 6, 0.7 ** (5 / 6)),
        ({"n_iter": 23}, [8] + [3] * 5, 0.7),  # never fewer than 6 rounds
        ({"n_rounds": 4}, [15] * 4, 0.7),  # rounds given: 0.7 per round
        ({"zoom_factor": 0.9}, [5] * 12, 0.9),
    ],
)
def test_auto_rounds_narrow_to_the_same_last_width(params, sizes, zoom):
    s = search(SPACE, **params).fit(X0, Y0)
    assert s.n_candidates_ == sizes and s.n_rounds_ == len(sizes)
    zoomed = [r for r in s.rounds_ if r["regions"]]
    assert len(zoomed) == len(sizes) - 1
    for r in zoomed:
        assert r["width"] == pytest.approx(zoom ** r["round"])


def test_auto_rounds_with_a_resource_are_six_at_0_7():
    # with a resource, "auto" is the search the rung race measured, and
    # checkpoints written before "auto" existed keep their fingerprint
    assert resolve_rounds(60, "auto", "auto", "max_iter") == (6, [10] * 6, 0.7)
    assert resolve_rounds(60, "auto", 0.5, "max_iter") == (6, [10] * 6, 0.5)
    assert resolve_rounds(4, "auto", "auto", None) == (6, [1] * 4, 0.7)
    # skhp tune's rounds, given: 0.7 as before
    assert resolve_rounds(120, 8, "auto", "max_iter") == (8, [15] * 8, 0.7)


def test_first_round_is_low_discrepancy_in_log_space():
    s = search({"lr": loguniform(1e-8, 1.0)}, n_iter=32, n_rounds=1).fit(X0, Y0)
    lr = np.array([p["lr"] for p in s.cv_results_["params"]])
    # 32 scrambled Sobol' points put exactly 4 in each eighth: one per decade here.
    counts = np.histogram(np.log10(lr), bins=8, range=(-8, 0))[0]
    assert counts.tolist() == [4] * 8


def test_zoom_concentrates_around_optimum_in_log_space():
    s = search(SPACE, n_iter=60).fit(X0, Y0)
    lr = np.log10([p["lr"] for p in s.cv_results_["params"]])
    rounds = s.cv_results_["round"]
    dist = np.abs(lr + 3)
    last = rounds.max()
    assert np.median(dist[rounds == last]) < 0.5 * np.median(dist[rounds == 0])
    # and it beats random search of the same budget on this surface, seed by seed
    from sklearn.model_selection import RandomizedSearchCV

    ours, rand = [], []
    for seed in range(8):
        ours.append(-search(SPACE, n_iter=40, random_state=seed).fit(X0, Y0).best_score_)
        rand.append(-RandomizedSearchCV(Surface(), SPACE, n_iter=40, cv=2,
                                        random_state=seed).fit(X0, Y0).best_score_)
    # regret (the optimum scores 0): at most half of random search's, at the median
    assert np.median(ours) < 0.5 * np.median(rand)


def test_several_regions_stay_alive():
    # Rounds of 10: regions need elites, and rounds of 5 (n_rounds="auto")
    # have one or two in their first rounds, so they zoom on one basin.
    s = search({"x": stats.uniform(0, 1), "two_basins": [True]}, n_iter=50,
               n_rounds=5).fit(X0, Y0)
    assert max(len(r["regions"]) for r in s.rounds_) >= 2
    x = np.array([p["x"] for p in s.cv_results_["params"]])
    zoomed = s.cv_results_["round"] >= 1
    assert np.sum(np.abs(x[zoomed] - 0.15) < 0.05) >= 2
    assert np.sum(np.abs(x[zoomed] - 0.85) < 0.05) >= 2


def test_categorical_choices_narrow_but_keep_exploring():
    s = search(SPACE, n_iter=80, n_rounds=4).fit(X0, Y0)
    opt = np.array([p["opt"] for p in s.cv_results_["params"]])
    rounds = s.cv_results_["round"]
    assert np.mean(opt[rounds == 3] == "adam") >= 0.5
    assert np.mean(opt[rounds == 3] == "adam") > np.mean(opt[rounds == 0] == "adam")
    assert np.sum(opt[rounds >= 1] != "adam") >= 1


def _keys(params_list):
    return [tuple(sorted((k, repr(v)) for k, v in p.items())) for p in params_list]


@pytest.mark.parametrize("n_rounds", [1, 3, 6])
def test_finite_space_runs_out_without_duplicates(n_rounds):
    space = {"units": [8, 16, 32], "opt": ["adam", "sgd"]}
    with pytest.warns(UserWarning, match="Only 6 of n_iter=10 candidates"):
        s = search(space, n_iter=10, n_rounds=n_rounds).fit(X0, Y0)
    keys = _keys(s.cv_results_["params"])
    assert len(keys) == 6 and len(set(keys)) == 6


def _best_mean_score(results):
    """A callable refit (picklable) that records the columns it was given."""
    _best_mean_score.seen.append(sorted(results))
    return int(np.argmax(results["mean_test_score"]))


@pytest.mark.parametrize("refit", [True, "callable"])
def test_results_have_every_column_when_the_space_runs_out_early(refit):
    # Rounds of [5, 1, 1, 1, 1, 1] over 6 candidates: the space runs out after
    # round 1, whose results were formatted without the param_* columns.
    space = {"units": [8, 16, 32], "opt": ["adam", "sgd"]}
    _best_mean_score.seen = seen_by_refit = []
    callback = _CopyAtTheEnd()
    s = search(space, n_iter=10, n_rounds=6,
               refit=_best_mean_score if refit == "callable" else True)
    with pytest.warns(UserWarning, match="Only 6 of n_iter=10 candidates"):
        s.set_callbacks(callback).fit(X0, Y0)
    reference = RandomizedSearchCV(Surface(), space, n_iter=6, cv=2).fit(X0, Y0)
    assert sorted(s.cv_results_) == sorted([*reference.cv_results_, "round", "origin", "region"])
    assert s.cv_results_["round"].tolist() == [0] * 5 + [1]
    for name in space:
        assert list(s.cv_results_[f"param_{name}"]) == [p[name] for p in s.cv_results_["params"]]
    assert s.best_index_ == np.argmax(s.cv_results_["mean_test_score"])
    assert s.best_params_ == s.cv_results_["params"][s.best_index_]
    # what reads the results after the rounds gets all of them
    assert sorted(callback.copy.cv_results_) == sorted(s.cv_results_)
    if refit == "callable":
        assert seen_by_refit == [sorted(s.cv_results_)]


def test_integer_space_no_duplicates_exact_budget():
    space = [{"units": loguniform_int(1, 12), "opt": ["adam", "sgd"]},
             {"units": stats.randint(1, 5), "opt": ["rmsprop"], "x": [0.3]}]
    s = search(space, n_iter=25, n_rounds=5).fit(X0, Y0)
    keys = _keys(s.cv_results_["params"])
    assert len(keys) == 25 and len(set(keys)) == 25
    # a list of dicts: both sub-spaces are searched
    assert {p["opt"] for p in s.cv_results_["params"]} >= {"adam", "rmsprop"}


@expects_failed_fits
def test_failed_candidates_are_ignored():
    est = Surface(fail_above=1e-2)
    s = CoarseToFineSearchCV(est, SPACE, n_iter=30, cv=2, random_state=0)
    with pytest.warns(FitFailedWarning):
        s.fit(X0, Y0)
    scores = s.cv_results_["mean_test_score"]
    lr = np.array([p["lr"] for p in s.cv_results_["params"]])
    assert len(scores) == 30
    np.testing.assert_array_equal(np.isnan(scores), lr > 1e-2)
    assert s.best_params_["lr"] <= 1e-2
    # zoomed rounds avoid the failing region more than the first round did
    rounds = s.cv_results_["round"]
    assert np.mean(lr[rounds >= 2] > 1e-2) < np.mean(lr[rounds == 0] > 1e-2)


@expects_failed_fits
def test_round_where_every_fit_fails_does_not_end_search():
    # Sizes [4, 4, 4] x 2 folds: fits 9..16 are round 1.
    FIT_COUNT.update(n=0, fail=range(9, 17))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            s = search(SPACE, n_iter=12, n_rounds=3, refit=False).fit(X0, Y0)
    finally:
        FIT_COUNT.update(n=0, fail=range(0))
    scores = s.cv_results_["mean_test_score"]
    rounds = s.cv_results_["round"]
    assert len(scores) == 12 and rounds.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert np.isnan(scores[rounds == 1]).all()
    assert np.isfinite(scores[rounds != 1]).all()
    assert s.rounds_[2]["regions"]  # round 2 zoomed on round 0
    assert s.cv_results_["rank_test_score"][s.best_index_] == 1
    assert s.best_index_ < 4 or s.best_index_ >= 8


@expects_failed_fits
def test_last_round_failing_is_kept_in_results():
    FIT_COUNT.update(n=0, fail=range(17, 25))
    callback = _CopyAtTheEnd()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            s = search(SPACE, n_iter=12, n_rounds=3).set_callbacks(callback).fit(X0, Y0)
    finally:
        FIT_COUNT.update(n=0, fail=range(0))
    assert len(s.cv_results_["params"]) == 12
    assert len(callback.copy.cv_results_["params"]) == 12  # also at the end of fit
    assert np.isnan(s.cv_results_["mean_test_score"][8:]).all()
    assert s.best_index_ < 8 and hasattr(s, "best_estimator_")


@expects_failed_fits
def test_every_fit_failing_raises():
    with pytest.raises(ValueError, match="fits failed"):
        CoarseToFineSearchCV(Surface(fail_above=0.0), SPACE, n_iter=6, n_rounds=2, cv=2).fit(X0, Y0)


def test_same_candidates_whatever_n_jobs_or_backend():
    def params(**kw):
        kw.setdefault("random_state", 3)
        return _keys(search(SPACE, n_iter=24, n_rounds=3, **kw).fit(X0, Y0)
                     .cv_results_["params"])

    reference = params(n_jobs=1)
    assert params(n_jobs=2) == reference
    with parallel_backend("threading", n_jobs=2):
        assert params() == reference
    assert params(random_state=4) != reference
    # the default, "auto" rounds (12 of 5, zoom 0.85), in processes too
    default = search(SPACE).fit(X0, Y0)
    assert default.n_rounds_ == 12
    assert (_keys(search(SPACE, n_jobs=2).fit(X0, Y0).cv_results_["params"])
            == _keys(default.cv_results_["params"]))


def test_random_state_none_and_instance():
    # None: a fresh design on every fit, as in RandomizedSearchCV
    s = search(SPACE, n_iter=8, n_rounds=2, random_state=None).fit(X0, Y0)
    first = _keys(s.cv_results_["params"])
    assert len(first) == 8 and _keys(s.fit(X0, Y0).cv_results_["params"]) != first
    # an instance: its state decides, and a second fit goes on drawing from it
    a = search(SPACE, n_iter=8, n_rounds=2, random_state=np.random.RandomState(1)).fit(X0, Y0)
    b = search(SPACE, n_iter=8, n_rounds=2, random_state=np.random.RandomState(1)).fit(X0, Y0)
    assert _keys(a.cv_results_["params"]) == _keys(b.cv_results_["params"])
    assert _keys(a.fit(X0, Y0).cv_results_["params"]) != _keys(b.cv_results_["params"])


def test_inputs_are_not_mutated():
    space = {"lr": loguniform(1e-5, 1.0), "units": [8, 16], "beta": reverse_loguniform(0.9, 0.999),
             "layers": layer_sizes((1, 2), (4, 64))}
    before = pickle.dumps(space)
    est = Surface()
    s = CoarseToFineSearchCV(est, space, n_iter=12, n_rounds=3, cv=2, random_state=0)
    s.fit(X0, Y0)
    assert pickle.dumps(space) == before
    assert s.param_distributions is space and s.estimator is est
    assert not hasattr(est, "fitted_")


# -- integration ----------------------------------------------------------------------
def _regression_data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    return X, X @ [1.0, -2.0, 0.5, 0.0] + 0.3 * rng.randn(60)


def test_pipeline_and_nested_cv():
    X, y = _regression_data()
    pipe = make_pipeline(StandardScaler(), Ridge())
    s = CoarseToFineSearchCV(pipe, {"ridge__alpha": loguniform(1e-4, 1e3)}, n_iter=8, n_rounds=2,
                             cv=3, random_state=0)
    s.fit(X, y)
    assert set(s.best_params_) == {"ridge__alpha"}
    assert s.predict(X).shape == (60,)
    outer = cross_val_score(clone(s), X, y, cv=KFold(2))
    assert outer.shape == (2,) and np.all(outer > 0.5)


def test_multimetric_refit_name_and_callable():
    X, y = _regression_data()
    scoring = {"r2": "r2", "mse": "neg_mean_squared_error"}
    s = CoarseToFineSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e4)}, n_iter=9, n_rounds=3,
                             scoring=scoring, refit="mse", cv=3, random_state=0).fit(X, y)
    assert s.multimetric_ and s.best_index_ == np.argmax(s.cv_results_["mean_test_mse"])
    assert "mean_test_r2" in s.cv_results_ and len(s.cv_results_["round"]) == 9

    def pick_smallest_alpha(results):
        return int(np.argmin([p["alpha"] for p in results["params"]]))

    s2 = CoarseToFineSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e4)}, n_iter=9, n_rounds=3,
                              scoring=scoring, refit=pick_smallest_alpha, cv=3,
                              random_state=0).fit(X, y)
    alphas = [p["alpha"] for p in s2.cv_results_["params"]]
    assert s2.best_index_ == int(np.argmin(alphas))
    s3 = CoarseToFineSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e4)}, n_iter=6, n_rounds=2,
                              scoring=scoring, refit=False, cv=3, random_state=0).fit(X, y)
    assert not hasattr(s3, "best_estimator_")


def test_error_score_raise_and_groups():
    with pytest.raises(ValueError, match="diverged"):
        search(SPACE, n_iter=6, n_rounds=2, error_score="raise").set_params(
            estimator=Surface(fail_above=1e-5)).fit(X0, Y0)
    X, y = _regression_data()
    groups = np.repeat(np.arange(6), 10)
    s = CoarseToFineSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e3)}, n_iter=6, n_rounds=2,
                             cv=GroupKFold(3), random_state=0).fit(X, y, groups=groups)
    assert s.n_splits_ == 3 and len(s.cv_results_["params"]) == 6


def test_classifier_pickle_and_clone():
    rng = np.random.RandomState(0)
    X = rng.randn(80, 3)
    y = (X[:, 0] > 0).astype(int)
    s = CoarseToFineSearchCV(LogisticRegression(), {"C": loguniform(1e-3, 1e3)}, n_iter=6,
                             n_rounds=2, cv=2, random_state=0)
    c = clone(s)
    assert c.get_params()["param_distributions"] == s.get_params()["param_distributions"]
    s.fit(X, y)
    s2 = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(s2.predict_proba(X), s.predict_proba(X))
    assert s2.classes_.tolist() == [0, 1] and s2.rounds_ == s.rounds_
    assert not hasattr(clone(s), "cv_results_")


def test_each_task_is_sent_a_search_without_x(monkeypatch):
    # BaseSearchCV hands the search itself to every task as ``caller``; a process
    # backend pickles it into every batch, so it must not carry X along.
    from sklearn.model_selection import _search

    real_fit_and_score = _search._fit_and_score
    sent = []

    def spy(*args, caller=None, **kwargs):
        assert hasattr(caller, "_fit_inputs")  # pickling does not strip the search
        pickled = pickle.dumps(caller)
        sent.append(pickle.loads(pickled))
        sent[-1].n_bytes = len(pickled)
        return real_fit_and_score(*args, caller=caller, **kwargs)

    monkeypatch.setattr(_search, "_fit_and_score", spy)
    X, y = _regression_data()
    X = np.tile(X, (1, 50))  # 60 x 200 floats: 96 KB
    s = CoarseToFineSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e3)}, n_iter=6,
                             n_rounds=3, cv=2, random_state=0).fit(X, y)
    assert len(sent) == 12 and len(s.cv_results_["params"]) == 6
    assert max(caller.n_bytes for caller in sent) < X.nbytes / 10
    assert not any(hasattr(c, "_fit_inputs") or getattr(c, "_batch", None) is not None for c in sent)
    assert {c.n_iter for c in sent} == {6}
    # nor does a warm-started re-tune send the results of the last fit
    sent.clear()
    s.set_params(warm_start=True).fit(X, y)
    assert len(sent) == 12
    assert not any(hasattr(c, "best_estimator_") or hasattr(c, "cv_results_") for c in sent)
    assert max(caller.n_bytes for caller in sent) < X.nbytes / 10
    assert pickle.loads(pickle.dumps(s)).best_estimator_.alpha == s.best_estimator_.alpha


@pytest.mark.parametrize(
    "params, err",
    [({"n_iter": 0}, ValueError), ({"n_rounds": 0}, ValueError),
     ({"zoom_factor": 0.0}, ValueError), ({"explore_fraction": 1.5}, ValueError),
     ({"param_distributions": {"lr": "loguniform"}}, TypeError),
     ({"param_distributions": {"lr": []}}, ValueError),
     ({"param_distributions": [{}]}, ValueError),
     ({"checkpoint": 3}, ValueError)],
)
def test_invalid_parameters(params, err):
    with pytest.raises(err):
        search(SPACE, n_iter=4).set_params(**params).fit(X0, Y0)


class _Recorder:
    """A minimal FitCallback that records the task names it sees."""

    def __init__(self):
        self.begun = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        self.begun.append(context.task_name)

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False


def test_callbacks_see_rounds_and_candidates():
    rec = _Recorder()
    s = search(SPACE, n_iter=9, n_rounds=3)
    s.set_callbacks(rec)
    s.fit(X0, Y0)
    assert rec.begun.count("search") == 1
    assert rec.begun.count("coarse-to-fine-round") == 3


class _CopyAtTheEnd(_Recorder):
    """Keeps a pickled copy of the search when its whole fit task ends."""

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.parent is None:  # the refit is done; fit is about to return
            self.copy = pickle.loads(pickle.dumps(estimator))
        return False


def test_a_search_pickled_after_its_rounds_keeps_its_results():
    X, y = _regression_data()
    callback = _CopyAtTheEnd()
    s = CoarseToFineSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e3)}, n_iter=6,
                             n_rounds=3, cv=2, random_state=0)
    s.set_callbacks(callback).fit(X, y)
    np.testing.assert_array_equal(callback.copy.predict(X), s.predict(X))
    assert callback.copy.rounds_ == s.rounds_ and callback.copy.best_params_ == s.best_params_
    first = s.predict(X)
    s.fit(X, 2 * y + 5)  # a second fit: the copy holds its results, not the first's
    np.testing.assert_array_equal(callback.copy.predict(X), s.predict(X))
    assert not np.allclose(s.predict(X), first)


def test_progress_bar_shows_every_round_to_the_end(capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    s = search(SPACE, n_iter=6, n_rounds=2)
    s.set_callbacks(ProgressBar())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The estimator Surface does not support")
        s.fit(X0, Y0)
    lines = capsys.readouterr().out.splitlines()
    rounds = [line for line in lines if "coarse-to-fine-round" in line]
    assert [line.split("coarse-to-fine-round")[1].split()[0] for line in rounds] == ["#0", "#1"]
    assert all("100%" in line for line in rounds)
    assert any("CoarseToFineSearchCV - search" in line and "100%" in line for line in lines)


def test_warm_start_reuses_previous_best():
    s = search(SPACE, n_iter=30, n_rounds=3, warm_start=True).fit(X0, Y0)
    previous = s.cv_results_
    top = [previous["params"][i] for i in np.argsort(previous["rank_test_score"])[:5]]
    s.fit(X0 + 1, Y0)  # "new data"
    first_round = [p for p, r in zip(s.cv_results_["params"], s.cv_results_["round"]) if r == 0]
    assert _keys(top) == _keys(first_round[:5])
    cold = search(SPACE, n_iter=30, n_rounds=3).fit(X0 + 1, Y0)
    assert s.best_score_ >= cold.best_score_ - 1e-12
    assert len(s.cv_results_["params"]) == 30


@expects_failed_fits
def test_warm_start_reuses_previous_best_when_some_candidates_failed():
    # failed (NaN) candidates rank last: they once sorted first and left no seed
    s = CoarseToFineSearchCV(Surface(fail_above=1e-2), SPACE, n_iter=12, n_rounds=2,
                             cv=2, random_state=0, warm_start=True)
    with pytest.warns(UserWarning):
        s.fit(X0, Y0)
    previous = s.cv_results_
    assert np.isnan(previous["mean_test_score"]).any()
    best = previous["params"][s.best_index_]
    with pytest.warns(UserWarning):
        s.fit(X0 + 1, Y0)
    assert _keys([s.cv_results_["params"][0]]) == _keys([best])


# -- checkpoints ------------------------------------------------------------------------
def test_checkpoint_restores_completed_rounds(tmp_path):
    path = tmp_path / "search.ckpt"
    full = search(SPACE, n_iter=12, n_rounds=3, checkpoint=path).fit(X0, Y0)
    assert path.exists() and full.n_restored_rounds_ == 0
    FIT_COUNT["n"] = 0
    again = search(SPACE, n_iter=12, n_rounds=3, checkpoint=path).fit(X0, Y0)
    assert again.n_restored_rounds_ == 2 and FIT_COUNT["n"] == 4 * 2 + 1  # last round + refit
    for key in ["params", "mean_test_score", "rank_test_score", "round", "split0_test_score"]:
        assert list(again.cv_results_[key]) == list(full.cv_results_[key])
    assert again.rounds_ == full.rounds_ and again.best_params_ == full.best_params_


def test_checkpoint_of_a_space_that_ran_out_resumes(tmp_path):
    # 6 candidates run out in round 1 of 3: resuming re-runs that round, as it
    # does the last round of a finished search, and nothing else.
    path = tmp_path / "search.ckpt"
    space = {"units": [8, 16, 32], "opt": ["adam", "sgd"]}
    with pytest.warns(UserWarning, match="Only 6 of n_iter=12 candidates"):
        full = search(space, n_iter=12, n_rounds=3, checkpoint=path).fit(X0, Y0)
    assert full.n_rounds_ == 2 and full.n_candidates_ == [4, 2]
    FIT_COUNT["n"] = 0
    with pytest.warns(UserWarning, match="Only 6 of n_iter=12 candidates"):
        again = search(space, n_iter=12, n_rounds=3, checkpoint=path).fit(X0, Y0)
    assert again.n_restored_rounds_ == 1 and FIT_COUNT["n"] == 2 * 2 + 1  # round 1 + refit
    assert sorted(again.cv_results_) == sorted(full.cv_results_)
    for key in ["params", "mean_test_score", "rank_test_score", "round", "param_units"]:
        assert list(again.cv_results_[key]) == list(full.cv_results_[key])
    assert again.rounds_ == full.rounds_ and again.best_params_ == full.best_params_


def test_checkpoint_of_another_search_is_refused(tmp_path):
    path = tmp_path / "search.ckpt"
    search(SPACE, n_iter=6, n_rounds=2, checkpoint=path).fit(X0, Y0)
    for other in [dict(n_iter=7), dict(random_state=1), dict(cv=3),
                  dict(param_distributions={**SPACE, "x": stats.uniform(0, 2)})]:
        kw = {**dict(n_iter=6, n_rounds=2, checkpoint=path), **other}
        space = kw.pop("param_distributions", SPACE)
        with pytest.raises(ValueError, match="different search"):
            search(space, **kw).fit(X0, Y0)
    with pytest.raises(ValueError, match="different search"):
        search(SPACE, n_iter=6, n_rounds=2, checkpoint=path).fit(X0 + 1, Y0)
    with pytest.raises(ValueError, match="different search"):
        CoarseToFineSearchCV(Surface(units=3), SPACE, n_iter=6, n_rounds=2, cv=2, random_state=0,
                             checkpoint=path).fit(X0, Y0)


def test_corrupt_checkpoint_is_refused(tmp_path):
    path = tmp_path / "search.ckpt"
    search(SPACE, n_iter=6, n_rounds=2, checkpoint=path).fit(X0, Y0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt"):
        search(SPACE, n_iter=6, n_rounds=2, checkpoint=path).fit(X0, Y0)
    path.write_bytes(pickle.dumps({"something": "else"}))
    with pytest.raises(ValueError, match="corrupt"):
        search(SPACE, n_iter=6, n_rounds=2, checkpoint=path).fit(X0, Y0)


_SCRIPT = textwrap.dedent(
    """
    import os, pickle, sys, time
    import numpy as np
    from sklearn.base import BaseEstimator
    from skhp import CoarseToFineSearchCV, loguniform

    class Slow(BaseEstimator):
        def __init__(self, a=1.0, b=0.0):
            self.a = a
            self.b = b

        def fit(self, X, y=None):
            with open(os.environ["FIT_LOG"], "a") as f:
                f.write(f"{self.a!r} {self.b!r}\\n")
            time.sleep(float(os.environ["FIT_SLEEP"]))
            return self

        def score(self, X, y=None):
            return -((np.log10(self.a) + 1) ** 2 + (self.b - 0.2) ** 2)

    checkpoint, out = sys.argv[1], sys.argv[2]
    s = CoarseToFineSearchCV(
        Slow(), {"a": loguniform(1e-3, 10.0), "b": [0.0, 0.2, 0.5]}, n_iter=16, n_rounds=4,
        cv=2, random_state=0, refit=False, checkpoint=None if checkpoint == "-" else checkpoint,
    ).fit(np.zeros((6, 1)), np.zeros(6))
    with open(out, "wb") as f:
        pickle.dump({k: list(v) for k, v in s.cv_results_.items() if "time" not in k}, f)
    print("restored", s.n_restored_rounds_)
    """
)


def _run_script(tmp_path, checkpoint, out, log, sleep, wait=True):
    env = dict(os.environ, FIT_LOG=str(log), FIT_SLEEP=str(sleep),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    script = tmp_path / "run_search.py"
    script.write_text(_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(checkpoint), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if wait:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        return stdout
    return proc


def _lines(path):
    return path.read_text().splitlines() if path.exists() else []


def test_sigkill_mid_round_then_resume_matches_uninterrupted(tmp_path):
    ref_out, ckpt = tmp_path / "ref.pkl", tmp_path / "search.ckpt"
    _run_script(tmp_path, "-", ref_out, tmp_path / "ref.log", 0)

    log1 = tmp_path / "killed.log"
    proc = _run_script(tmp_path, ckpt, tmp_path / "never.pkl", log1, 0.15, wait=False)
    # 4 rounds x 4 candidates x 2 folds: fits 17..24 are round 2. Kill in its middle.
    deadline = time.time() + 90
    while len(_lines(log1)) < 19 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before_kill = len(_lines(log1))
    assert 19 <= n_before_kill < 24, n_before_kill
    assert ckpt.exists() and not (tmp_path / "never.pkl").exists()
    assert not list(tmp_path.glob(".skhp-checkpoint-*"))  # no temp file left to matter

    log2 = tmp_path / "resumed.log"
    stdout = _run_script(tmp_path, ckpt, tmp_path / "resumed.pkl", log2, 0)
    assert "restored 2" in stdout
    resumed_fits = _lines(log2)
    assert len(resumed_fits) == 16  # rounds 2 and 3 only: no completed round re-run
    assert not set(resumed_fits) & set(_lines(log1)[:16])

    ref = pickle.loads(ref_out.read_bytes())
    resumed = pickle.loads((tmp_path / "resumed.pkl").read_bytes())
    assert ref.keys() == resumed.keys()
    for key in ref:
        assert resumed[key] == ref[key], key


def test_equal_but_different_values_are_different_candidates():
    # 1, True and 1.0 compare equal in Python but are different parameters.
    with pytest.warns(UserWarning, match="Only 4 of n_iter=10 candidates"):
        s = search({"x": [1, True, 1.0, 0.3]}, n_iter=10, n_rounds=2).fit(X0, Y0)
    values = [p["x"] for p in s.cv_results_["params"]]
    assert len(values) == 4
    assert sorted(repr(v) for v in values) == ["0.3", "1", "1.0", "True"]


def test_sampler_class_hook_is_used_for_every_round():
    from skhp.model_selection._zoom import ZoomSampler

    made = []

    class Recording(ZoomSampler):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    cls = type("Variant", (CoarseToFineSearchCV,), {"_sampler_class": Recording})
    variant = cls(Surface(), SPACE, n_iter=8, n_rounds=2, cv=2, random_state=0).fit(X0, Y0)
    plain = search(SPACE, n_iter=8, n_rounds=2).fit(X0, Y0)
    assert made and made[0]["zoom_factor"] == 0.7
    assert _keys(variant.cv_results_["params"]) == _keys(plain.cv_results_["params"])
