"""CoarseToFineSearchCV with a resource: rungs, promotion, continued training."""

import functools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_digits
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform
from skhp.model_selection._resources import (
    CALIBRATION_SAMPLE,
    calibrate_pruning,
    rank_across_rungs,
    rung_resources,
)
from tests._warnings import expects_failed_fits

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X, Y = X_DIGITS[:360] / 16, Y_DIGITS[:360]
SPACE = {"learning_rate_init": loguniform(1e-4, 1e-1), "alpha": loguniform(1e-6, 1e-1)}
CV = KFold(3)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def net(**params):
    return MLPClassifier(**{"hidden_layer_sizes": (16,), "max_iter": 9,
                            "random_state": 0, **params})


def search(estimator=None, space=SPACE, **params):
    # unchecked halving, whose rungs prune from round 0: the mechanics under test
    kw = dict(n_iter=18, n_rounds=2, cv=CV, random_state=0, resource="max_iter",
              min_rank_correlation=None)
    kw.update(params)
    return CoarseToFineSearchCV(net() if estimator is None else estimator, space, **kw)


@pytest.mark.parametrize(
    "min_resources, max_resources, factor, n_candidates, expected",
    [
        (1, 27, 3, 9, [3, 9, 27]),  # as many rungs as 9 candidates allow
        (1, 27, 3, 30, [1, 3, 9, 27]),  # as many as the resources allow
        (5, 27, 3, 30, [9, 27]),  # the first rung gets at least min_resources
        (1, 60, 3, 10, [6, 20, 60]),
        (1, 100, 2, 8, [12, 25, 50, 100]),
        (1, 10, 3, 1, [10]),  # one candidate: no halving
        (10, 10, 3, 50, [10]),
    ],
)
def test_rung_resources(min_resources, max_resources, factor, n_candidates, expected):
    assert rung_resources(min_resources, max_resources, factor, n_candidates) == expected


def test_rank_across_rungs_puts_higher_rungs_first():
    # a weak score at rung 1 beats the best at rung 0; NaN stays NaN
    ranked = rank_across_rungs([0, 0, 1, 1, 0], [0.9, 0.5, 0.2, 0.3, np.nan])
    order = np.argsort(-np.nan_to_num(ranked, nan=-np.inf))
    assert list(order) == [3, 2, 0, 1, 4]
    assert np.isnan(ranked[4])


@pytest.mark.parametrize("factor, expected", [(3, [9, 3, 1]), (2, [9, 5, 3, 2])])
def test_candidates_per_rung(factor, expected):
    s = search(max_resources=27 if factor == 3 else 16, factor=factor).fit(X, Y)
    assert s.n_rung_candidates_ == [expected, expected]
    res = s.cv_results_
    assert len(res["params"]) == 2 * sum(expected)
    for rnd in (0, 1):
        for rung, n in enumerate(expected):
            rows = (res["round"] == rnd) & (res["rung"] == rung)
            assert rows.sum() == n
            assert set(res["n_resources"][rows]) == {s.n_resources_[rung]}
            assert all(p["max_iter"] == s.n_resources_[rung]
                       for p, keep in zip(res["params"], rows) if keep)


def test_promotion_keeps_the_best_of_each_rung_by_the_refit_metric():
    s = search(scoring={"acc": "accuracy", "neg_ll": "neg_log_loss"}, refit="neg_ll",
               n_rounds=1, n_iter=9).fit(X, Y)
    res = s.cv_results_
    strip = [{k: v for k, v in p.items() if k != "max_iter"} for p in res["params"]]
    for rung in (0, 1):
        rows = np.flatnonzero(res["rung"] == rung)
        nxt = {repr(strip[i]) for i in np.flatnonzero(res["rung"] == rung + 1)}
        by_refit = rows[np.argsort(-res["mean_test_neg_ll"][rows])]
        assert {repr(strip[i]) for i in by_refit[: len(nxt)]} == nxt


def test_each_candidate_once_per_resource_and_best_only_at_max():
    s = search().fit(X, Y)
    res = s.cv_results_
    keys = [(repr(sorted(p.items()))) for p in res["params"]]
    assert len(keys) == len(set(keys))  # the resource is in the params
    top = res["n_resources"] == 9
    assert res["n_resources"][s.best_index_] == 9
    assert s.best_score_ == np.max(res["mean_test_score"][top])
    assert s.best_params_["max_iter"] == 9 and s.best_estimator_.n_iter_ == 9
    # a lower rung may score higher than every top-rung candidate: never picked
    assert s.best_index_ in np.flatnonzero(top)


def test_continued_fold_models_equal_straight_fits():
    """Round 0's top rung continues each fold's network from rung 1 (the last
    round's goes through scikit-learn's evaluation, straight): both must score
    as cross-validating the candidate trained straight to max_iter."""
    s = search().fit(X, Y)
    res = s.cv_results_
    for rnd in (0, 1):
        row = np.flatnonzero((res["round"] == rnd) & (res["n_resources"] == 9))[0]
        straight = cross_validate(net().set_params(**res["params"][row]), X, Y, cv=CV)
        for split in range(3):
            assert res[f"split{split}_test_score"][row] == straight["test_score"][split]


SCALER_FITS = []


class CountingScaler(StandardScaler):
    """Records each fit."""

    def fit(self, X, y=None, sample_weight=None):
        SCALER_FITS.append(len(X))
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("space, expected", [
    # round 0: 9 candidates x 3 folds at rung 0; round 1: the same, and its
    # last rung (1 x 3) goes straight through scikit-learn's evaluation; the
    # refit. The continued rungs (3 x 3 + 1 x 3 in round 0, 3 x 3 in round 1)
    # keep the scalers their networks were trained on
    ({f"mlp__{k}": v for k, v in SPACE.items()}, 27 + 27 + 3 + 1),
    # a candidate that sets the scaler too refits it at every rung
    ({**{f"mlp__{k}": v for k, v in SPACE.items()}, "scale__with_mean": [True]},
     27 + 27 + 3 + 1 + 21),
])
def test_continued_pipelines_keep_their_fitted_preprocessing(space, expected):
    pipeline = Pipeline([("scale", CountingScaler()), ("mlp", net())])
    SCALER_FITS.clear()
    s = search(pipeline, space, resource="mlp__max_iter").fit(X_DIGITS[:360], Y)
    assert s.n_rung_candidates_ == [[9, 3, 1], [9, 3, 1]]
    assert len(SCALER_FITS) == expected
    # and scores as cross-validating the candidate trained straight
    row = np.flatnonzero((s.cv_results_["round"] == 0)
                         & (s.cv_results_["n_resources"] == 9))[0]
    straight = cross_validate(clone(pipeline).set_params(**s.cv_results_["params"][row]),
                              X_DIGITS[:360], Y, cv=CV)
    for split in range(3):
        assert s.cv_results_[f"split{split}_test_score"][row] == straight["test_score"][split]


EPOCHS = []


class CountingMLP(MLPClassifier):
    """Records the epochs each fit trains."""

    def fit(self, X, y, sample_weight=None):
        before = getattr(self, "n_iter_", 0) if self.warm_start == "continue" else 0
        super().fit(X, y, sample_weight=sample_weight)
        EPOCHS.append(self.n_iter_ - before)
        return self


@pytest.mark.parametrize("learning_rate, expected", [
    # round 0: 9 x 3 folds x 3 epochs, 3 x 3 x (9 - 3), 1 x 3 x (27 - 9);
    # round 1 the same but its last rung straight (1 x 3 x 27); the refit 27
    ("constant", 81 + 54 + 54 + 81 + 54 + 81 + 27),
    # cosine spans max_iter epochs: every rung retrains, as halving does
    ("cosine", 2 * (81 + 81 + 81) + 27),
])
def test_promoted_candidates_train_only_the_new_epochs(learning_rate, expected):
    EPOCHS.clear()
    estimator = CountingMLP(hidden_layer_sizes=(8,), max_iter=27, random_state=0,
                            learning_rate=learning_rate)
    s = search(estimator=estimator).fit(X, Y)
    assert s.n_rung_candidates_ == [[9, 3, 1], [9, 3, 1]]
    assert sum(EPOCHS) == expected


def test_same_candidates_whatever_n_jobs():
    one = search(n_jobs=1).fit(X, Y)
    two = search(n_jobs=2).fit(X, Y)
    assert one.cv_results_["params"] == two.cv_results_["params"]
    assert_allclose(one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"])


@pytest.mark.parametrize("min_rank_correlation, per_rung", [
    (None, [9, 3, 1]),
    (0.6, [9, 7, 7]),  # the calibration sample of 6 goes on with the best other
])
def test_continued_training_of_networks_over_a_megabyte_in_parallel(
    min_rank_correlation, per_rung
):
    """A fold model over joblib's 1 MB threshold reaches its worker as a
    read-only memory map: continuing it must work, as at n_jobs=1, with the
    promoted candidates (best first) and the calibration sample alike."""
    big = net(hidden_layer_sizes=(512, 512))
    assert big.fit(X, Y).coefs_[1].nbytes > 2**20
    kw = dict(n_iter=9, n_rounds=1, cv=2, min_rank_correlation=min_rank_correlation)
    one = search(big, n_jobs=1, **kw).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitFailedWarning)
        two = search(big, n_jobs=2, **kw).fit(X, Y)
    assert two.n_rung_candidates_ == [per_rung]
    assert np.isfinite(two.cv_results_["mean_test_score"]).all()
    assert one.cv_results_["params"] == two.cv_results_["params"]
    assert_allclose(one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"])
    assert two.best_params_["max_iter"] == 9


def test_continued_pipelines_over_a_megabyte_in_parallel_keep_their_scalers():
    """A fold pipeline over joblib's 1 MB threshold reaches its worker as a
    read-only memory map: its frozen scaler and its network go on there as at
    n_jobs=1, and score as the pipeline trained straight."""
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("mlp", net(hidden_layer_sizes=(512, 512)))])
    space = {f"mlp__{k}": v for k, v in SPACE.items()}
    kw = dict(n_iter=9, n_rounds=1, cv=2, resource="mlp__max_iter")
    one = search(pipeline, space, n_jobs=1, **kw).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitFailedWarning)
        two = search(pipeline, space, n_jobs=2, **kw).fit(X, Y)
    assert two.best_estimator_[-1].coefs_[1].nbytes > 2**20
    assert two.n_rung_candidates_ == [[9, 3, 1]]
    assert one.cv_results_["params"] == two.cv_results_["params"]
    assert_allclose(one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"])
    # rung 1 continues from rung 0 (the last round's top rung is fitted straight)
    row = int(np.flatnonzero(two.cv_results_["rung"] == 1)[0])
    straight = cross_validate(clone(pipeline).set_params(**two.cv_results_["params"][row]),
                              X, Y, cv=2)
    assert_allclose([two.cv_results_[f"split{k}_test_score"][row] for k in range(2)],
                    straight["test_score"])


@pytest.mark.parametrize("min_rank_correlation", [None, 0.5])
def test_resume_from_a_checkpoint_written_mid_round(tmp_path, monkeypatch,
                                                    min_rank_correlation):
    path = tmp_path / "search.ckpt"
    search = functools.partial(globals()["search"], min_rank_correlation=min_rank_correlation)
    full = search().fit(X, Y)
    from skhp.model_selection._evaluate import Evaluator

    calls = {"n": 0}
    original = Evaluator.rung

    def crash_in_round_1_rung_1(self, rnd, round_idx, rung, *args, **kwargs):
        if (round_idx, rung) == (1, 1):
            raise KeyboardInterrupt
        calls["n"] += 1
        return original(self, rnd, round_idx, rung, *args, **kwargs)

    monkeypatch.setattr(Evaluator, "rung", crash_in_round_1_rung_1)
    with pytest.raises(KeyboardInterrupt):
        search(checkpoint=path).fit(X, Y)
    assert calls["n"] == 4  # round 0's three rungs and round 1's first
    monkeypatch.setattr(Evaluator, "rung", original)
    resumed = search(checkpoint=path).fit(X, Y)
    assert resumed.n_restored_rounds_ == 1
    for key in ["params", "mean_test_score", "round", "rung", "n_resources"]:
        assert list(resumed.cv_results_[key]) == list(full.cv_results_[key])
    assert resumed.best_params_ == full.best_params_


def test_a_default_search_resumes_a_checkpoint_of_six_rounds_at_0_7(tmp_path):
    # n_rounds and zoom_factor default to "auto", which with a resource are
    # the 6 rounds at 0.7 that were the defaults before it
    path = tmp_path / "search.ckpt"
    given = search(n_rounds=6, zoom_factor=0.7, checkpoint=path).fit(X, Y)
    kw = dict(n_iter=18, cv=CV, random_state=0, resource="max_iter",
              min_rank_correlation=None, checkpoint=path)
    resumed = CoarseToFineSearchCV(net(), SPACE, **kw).fit(X, Y)
    # (a finished search runs its last rung again, for BaseSearchCV; a
    # fingerprint that differed would restore nothing)
    assert resumed.n_restored_rounds_ == 5
    assert list(resumed.cv_results_["params"]) == list(given.cv_results_["params"])


def test_n_samples_resource_subsamples_the_folds():
    from sklearn.linear_model import LogisticRegression

    s = CoarseToFineSearchCV(
        LogisticRegression(max_iter=200), {"C": loguniform(1e-3, 1e3)},
        n_iter=9, n_rounds=1, cv=CV, random_state=0, resource="n_samples",
        min_rank_correlation=None,
    ).fit(X, Y)
    # the first rung has at least 2 rows per class and fold (as halving's
    # "smallest"): 60, so one rung below the whole data fits
    assert s.n_resources_ == [120, 360] == s.rung_plan(X, Y)
    res = s.cv_results_
    assert "max_iter" not in res["params"][0]
    assert s.n_rung_candidates_ == [[9, 3]]
    assert res["n_resources"][s.best_index_] == 360


def test_ensembles_with_warm_start_continue():
    forest = RandomForestClassifier(n_estimators=9, random_state=0)
    s = search(estimator=forest, space={"max_features": stats.uniform(0.1, 0.8)},
               resource="n_estimators", n_rounds=1, n_iter=9).fit(X, Y)
    top = np.flatnonzero(s.cv_results_["n_resources"] == 9)
    straight = cross_validate(
        RandomForestClassifier(random_state=0).set_params(**s.cv_results_["params"][top[0]]),
        X, Y, cv=CV,
    )
    assert_allclose(s.cv_results_["mean_test_score"][top[0]], straight["test_score"].mean())


def _assert_rows_score_as_straight_fits(s, estimator, y):
    res = s.cv_results_
    for row in np.flatnonzero(res["n_resources"] > min(res["n_resources"])):
        straight = cross_validate(clone(estimator).set_params(**res["params"][row]),
                                  X, y, cv=CV)
        assert res["mean_test_score"][row] == straight["test_score"].mean()


def test_early_stopping_ensembles_are_refitted_not_continued():
    """Gradient boosting with n_iter_no_change stops at another stage when
    continued than when fitted straight: each rung fits it afresh."""
    boosting = GradientBoostingClassifier(n_estimators=27, n_iter_no_change=1, tol=0.02,
                                          max_depth=2, random_state=0)
    s = search(estimator=boosting, space={"learning_rate": loguniform(0.01, 1)},
               resource="n_estimators", n_rounds=1, n_iter=9).fit(X, Y < 5)
    assert s.n_rung_candidates_ == [[9, 3, 1]]
    _assert_rows_score_as_straight_fits(s, boosting, Y < 5)


class StepCounter(BaseEstimator):
    """Counts the steps each fit takes; continues when told to."""

    fits = []

    def __init__(self, quality=0.0, n_steps=9, resume=False):
        self.quality = quality
        self.n_steps = n_steps
        self.resume = resume

    def fit(self, X, y):
        done = getattr(self, "steps_", 0) if self.resume else 0
        StepCounter.fits.append(self.n_steps - done)
        self.steps_ = self.n_steps
        return self

    def score(self, X, y):
        return self.quality

    def __skhp_continuation__(self, parameter):
        return {"resume": True} if parameter == "n_steps" else None


def test_an_estimator_says_how_it_continues():
    """Any estimator answers __skhp_continuation__, in a pipeline too: its
    promoted fold models take only the steps the rung adds."""
    StepCounter.fits.clear()
    pipe = make_pipeline(StandardScaler(), StepCounter())
    s = CoarseToFineSearchCV(pipe, {"stepcounter__quality": stats.uniform(0, 1)}, n_iter=9,
                             n_rounds=1, cv=CV, random_state=0, resource="stepcounter__n_steps",
                             min_rank_correlation=None, refit=False).fit(X, Y)
    assert s.n_resources_ == [1, 3, 9] and s.n_rung_candidates_ == [[9, 3, 1]]
    assert s.rung_plan(X, Y) == s.n_resources_ and s.set_params(resource=None).rung_plan(X) is None
    # rung 0: 9 x 3 folds of 1 step; rung 1: 3 x 3 of 2 more; the last rung
    # (the search's last batch) straight: 1 x 3 of 9
    assert sorted(StepCounter.fits) == sorted([1] * 27 + [2] * 9 + [9] * 3)


@expects_failed_fits
def test_pipeline_groups_and_error_score():
    pipe = make_pipeline(StandardScaler(), net())
    space = {"mlpclassifier__learning_rate_init": loguniform(1e-4, 1e-1),
             "mlpclassifier__batch_size": [0, 32]}  # 0 fails every fit
    groups = np.arange(len(Y)) % 3
    with pytest.warns(UserWarning):
        s = CoarseToFineSearchCV(
            pipe, space, n_iter=9, n_rounds=1, cv=GroupKFold(3), random_state=0,
            resource="mlpclassifier__max_iter", error_score=np.nan,
        ).fit(X, Y, groups=groups)
    res = s.cv_results_
    failed = np.isnan(res["mean_test_score"])
    assert failed.any() and not failed.all()
    # failed candidates never move on
    assert all(p["mlpclassifier__batch_size"] == 32
               for p, r in zip(res["params"], res["rung"]) if r > 0)
    assert s.best_params_["mlpclassifier__max_iter"] == 9


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(resource="units"), "neither 'n_samples' nor a parameter"),
        (dict(resource="max_iter", space={"max_iter": [3, 9]}), "part of the searched"),
        (dict(resource="n_samples", max_resources=10_000), "more than the 360 samples"),
        (dict(min_resources=20), "below min_resources"),
        # a pipeline's step parameter: the name to give is suggested
        (dict(estimator=make_pipeline(StandardScaler(), net()), space={
            "mlpclassifier__alpha": loguniform(1e-5, 1)}, resource="max_iter"),
         "parameter of Pipeline. Did you mean 'mlpclassifier__max_iter'\\?"),
    ],
)
def test_resource_errors_name_the_problem(params, match):
    space = params.pop("space", SPACE)
    with pytest.raises(ValueError, match=match):
        search(space=space, **params).fit(X, Y)


def test_sgd_classifier_max_iter_is_retrained():
    """An estimator that cannot continue is retrained at each rung, as in
    HalvingRandomSearchCV, with the same rungs."""
    s = search(estimator=SGDClassifier(max_iter=9, tol=None, random_state=0),
               space={"alpha": loguniform(1e-6, 1e-1)}, n_rounds=1, n_iter=9).fit(X, Y)
    assert s.n_rung_candidates_ == [[9, 3, 1]]
    top = np.flatnonzero(s.cv_results_["n_resources"] == 9)[0]
    straight = cross_validate(
        SGDClassifier(tol=None, random_state=0).set_params(**s.cv_results_["params"][top]),
        X, Y, cv=CV,
    )
    assert_allclose(s.cv_results_["mean_test_score"][top], straight["test_score"].mean())


def test_warm_start_retunes_from_the_best_at_max_resources():
    s = search(warm_start=True, n_rounds=1, n_iter=9).fit(X, Y)
    res = s.cv_results_
    top = np.flatnonzero(res["n_resources"] == 9)
    best = {k: v for k, v in res["params"][s.best_index_].items() if k != "max_iter"}
    s.fit(X[::-1], Y[::-1])
    first_round = s.cv_results_["params"][0]
    # round 0 starts with the previous best, its resource set by the rung
    assert {k: v for k, v in first_round.items() if k != "max_iter"} == best
    assert first_round["max_iter"] == s.n_resources_[0]
    assert len(top) == 1


def test_origin_and_region_columns_follow_each_candidate_through_its_rungs():
    s = search().fit(X, Y)
    res = s.cv_results_
    assert set(res["origin"][res["round"] == 0]) == {"design"}
    later = res["round"] == 1
    assert set(res["origin"][later]) <= {"region", "exploration", "swap"}
    assert "region" in set(res["origin"][later])
    for origin, region, rnd in zip(res["origin"], res["region"], res["round"]):
        if origin == "region":
            assert 0 <= region < len(s.rounds_[rnd]["regions"])
        else:
            assert region == -1
    # a promoted candidate keeps its origin at every rung
    first = {}
    for p, origin in zip(res["params"], res["origin"]):
        key = repr(sorted((k, v) for k, v in p.items() if k != "max_iter"))
        assert first.setdefault(key, origin) == origin


class FailingAfter(MLPClassifier):
    """Fits of 1 epoch (the first rung) fail for every candidate that was not
    among the first ``fits["ok"]`` such fits in this process: deterministic
    per candidate (as the search assumes), so the rounds after the first fail
    at their first rung and round 0's candidates still fit."""

    fits = {"n": 0, "ok": 0, "seen": set()}

    def fit(self, X, y, sample_weight=None):
        if self.max_iter == 1:
            FailingAfter.fits["n"] += 1
            if FailingAfter.fits["n"] <= FailingAfter.fits["ok"]:
                FailingAfter.fits["seen"].add(self.learning_rate_init)
            elif self.learning_rate_init not in FailingAfter.fits["seen"]:
                raise RuntimeError("scheduled failure")
        return super().fit(X, y, sample_weight=sample_weight)


@expects_failed_fits
def test_last_round_failing_at_its_first_rung_keeps_the_search():
    """Round 1 fails at rung 0 (fitted by the search itself, as every batch
    so far): the search still ends with round 0's results, its best."""
    # round 0's first rung: 9 candidates x 3 folds of 1 epoch
    FailingAfter.fits.update(n=0, ok=27, seen=set())
    estimator = FailingAfter(hidden_layer_sizes=(8,), max_iter=9, random_state=0)
    s = search(estimator=estimator, refit=False)
    with pytest.warns(UserWarning):
        s.fit(X, Y)
    res = s.cv_results_
    assert np.isnan(res["mean_test_score"][res["round"] == 1]).all()
    assert s.n_rung_candidates_ == [[9, 3, 1], [9]]
    assert res["round"][s.best_index_] == 0 and res["n_resources"][s.best_index_] == 9
    assert len(res["params"]) == 13 + 9


@expects_failed_fits
def test_search_restored_whole_from_a_checkpoint_keeps_its_results(tmp_path):
    """A finished search resumed from its checkpoint re-runs its last batch,
    so that BaseSearchCV has one to evaluate; here that batch (round 1's first
    rung) fails again, as it did: a candidate that fitted is fitted again
    instead, and the search ends with the results of the run that wrote the
    checkpoint."""
    FailingAfter.fits.update(n=0, ok=27, seen=set())
    estimator = FailingAfter(hidden_layer_sizes=(8,), max_iter=9, random_state=0)
    checkpoint = tmp_path / "search.pkl"
    with pytest.warns(UserWarning):
        first = search(estimator=estimator, refit=False, checkpoint=checkpoint).fit(X, Y)
    with pytest.warns(UserWarning):
        again = search(estimator=estimator, refit=False, checkpoint=checkpoint).fit(X, Y)
    assert again.n_restored_rounds_ == 1  # round 1's last rung is re-run
    assert again.n_rung_candidates_ == first.n_rung_candidates_ == [[9, 3, 1], [9]]
    assert_allclose(again.cv_results_["mean_test_score"],
                    first.cv_results_["mean_test_score"])
    assert again.best_index_ == first.best_index_


class RungScored(BaseEstimator):
    """Scores ``quality`` once ``n_steps`` reaches ``agrees_from``, and
    ``-quality`` below it: rungs below ``agrees_from`` rank the candidates in
    reverse of the top rung."""

    def __init__(self, quality=0.0, n_steps=9, agrees_from=1):
        self.quality = quality
        self.n_steps = n_steps
        self.agrees_from = agrees_from

    def fit(self, X, y):
        return self

    def score(self, X, y):
        return self.quality if self.n_steps >= self.agrees_from else -self.quality


@pytest.mark.parametrize("agrees_from, correlations, later_rounds", [
    (1, [1.0, 1.0], [9, 3, 1]),  # every rung ranks as the top one: both prune
    (3, [-1.0, 1.0], [9, 9, 3]),  # rung 0 (1 step) reversed: only rung 1 prunes
    (9, [-1.0, -1.0], [9, 9, 9]),  # no rung agrees: nothing is pruned
])
def test_calibration_prunes_only_rungs_that_rank_as_the_top_one(
    agrees_from, correlations, later_rounds
):
    s = CoarseToFineSearchCV(
        RungScored(agrees_from=agrees_from), {"quality": stats.uniform(0, 1)},
        n_iter=27, n_rounds=3, cv=CV, random_state=0, resource="n_steps",
        min_rank_correlation=0.5,
    ).fit(X, Y)
    assert s.n_resources_ == [1, 3, 9]
    # round 0's first 6 candidates (the calibration sample) are scored at
    # every rung; the best third of the other 3 moves on with them
    assert s.n_rung_candidates_ == [[9, 7, 7], later_rounds, later_rounds]
    assert_allclose(s.rung_rank_correlations_, correlations)
    # without calibration, every round halves
    plain = CoarseToFineSearchCV(
        RungScored(agrees_from=agrees_from), {"quality": stats.uniform(0, 1)},
        n_iter=27, n_rounds=3, cv=CV, random_state=0, resource="n_steps",
        min_rank_correlation=None,
    ).fit(X, Y)
    assert plain.n_rung_candidates_ == [[9, 3, 1]] * 3
    assert not hasattr(plain, "rung_rank_correlations_")


def _round(members, scores):
    from skhp.model_selection._rounds import Round, Rung

    rnd = Round.from_proposals([], {}, None)
    rnd.rungs = [Rung(m, s, [], [], {}) for m, s in zip(members, scores)]
    return rnd


def test_calibration_ends_with_the_first_round_that_prunes():
    agreeing = _round([list(range(6))] * 2, [[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]])
    reversed_ = _round([list(range(6))] * 2, [[5, 4, 3, 2, 1, 0], [0, 1, 2, 3, 4, 5]])
    plan = calibrate_pruning([agreeing], 2, 0.5)
    assert plan.pruning == {0} and plan.correlations == [1.0] and plan.sample == 0
    # the second round pruned (rung 0 agreed after the first): its scores,
    # from a biased sample, do not count
    assert calibrate_pruning([agreeing, reversed_], 2, 0.5) == plan
    # once measured below the threshold, nothing prunes and every round's
    # candidates count
    plan = calibrate_pruning([reversed_, agreeing, agreeing], 2, 0.5)
    assert plan.pruning == frozenset() and plan.correlations[0] < 0.5
    assert plan.sample == 0
    plan = calibrate_pruning([agreeing], 2, None)
    assert plan.pruning == {0} and np.isnan(plan.correlations[0]) and plan.sample == 0
    # before any round: the first CALIBRATION_SAMPLE candidates calibrate, the
    # others prune
    plan = calibrate_pruning([], 3, 0.5)
    assert plan.pruning == {0, 1} and plan.sample == CALIBRATION_SAMPLE == 6


def test_only_the_calibration_sample_is_evidence_while_the_rest_prunes():
    """Candidates promoted on their rung scores are a biased sample: while a
    round calibrates, only its first CALIBRATION_SAMPLE candidates count."""
    # rung 0 ranks the sample (0..5) perfectly; candidate 8, promoted on its
    # rung score, ranks worst at the top and would spoil it if it counted
    rnd = _round([list(range(9)), [0, 1, 2, 3, 4, 5, 8]],
                 [[0, 1, 2, 3, 4, 5, 0, 0, 9], [1, 2, 3, 4, 5, 6, -9]])
    plan = calibrate_pruning([rnd], 2, 0.9)
    assert plan.correlations == [1.0] and plan.pruning == {0}


def test_calibration_needs_five_candidates_at_the_top_and_ranks_failures_last():
    # candidates stopped below the top rung do not count: 4 pairs are too
    # few, so the next round still calibrates a sample and prunes the rest
    rnd = _round([[0, 1, 2, 3, 4, 5], [0, 1, 2, 3]], [[0, 1, 2, 3, 4, 5], [0, 1, 2, 3]])
    plan = calibrate_pruning([rnd], 2, -1.0)
    assert np.isnan(plan.correlations[0])
    assert plan.pruning == {0} and plan.sample == CALIBRATION_SAMPLE
    # a candidate whose fits failed at the top (NaN) ranks last there: rung 0
    # liked it best, so it counts against rung 0
    rnd = _round([[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4]],
                 [[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, np.nan]])
    plan = calibrate_pruning([rnd], 2, 0.5)
    assert plan.pruning == frozenset() and plan.correlations[0] == pytest.approx(0.0)
    # as many candidates, all finished and in the same order: rung 0 prunes
    rnd = _round([[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4]],
                 [[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4]])
    assert calibrate_pruning([rnd], 2, 1.0).pruning == {0}


def test_calibration_that_cannot_prune_warns():
    # one round no larger than the calibration sample: nothing can prune
    with pytest.warns(UserWarning, match="no rung prunes"):
        s = search(n_rounds=1, n_iter=6, min_rank_correlation=0.5).fit(X, Y)
    assert s.n_rung_candidates_ == [[6] * len(s.n_resources_)]
    assert len(s.n_resources_) > 1


def test_min_rank_correlation_is_validated():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="min_rank_correlation"):
        search(min_rank_correlation=1.5).fit(X, Y)


def test_a_refit_without_rungs_drops_the_rung_attributes():
    s = search(n_rounds=2, n_iter=10, min_rank_correlation=0.5).fit(X, Y)
    assert s.n_resources_ == [3, 9] and len(s.rung_rank_correlations_) == 1
    s.set_params(min_rank_correlation=None).fit(X, Y)
    assert not hasattr(s, "rung_rank_correlations_") and s.n_resources_ == [3, 9]
    s.set_params(resource=None).fit(X, Y)
    assert not hasattr(s, "n_resources_") and not hasattr(s, "n_rung_candidates_")


# -- failures are never silent --------------------------------------------------------
class FailingFrom(RungScored):
    """Fails every fit of ``n_steps >= fail_from`` for candidates of
    ``quality >= fail_above``."""

    def __init__(self, quality=0.0, n_steps=9, agrees_from=1, fail_from=10, fail_above=0.0):
        super().__init__(quality=quality, n_steps=n_steps, agrees_from=agrees_from)
        self.fail_from = fail_from
        self.fail_above = fail_above

    def fit(self, X, y):
        if self.n_steps >= self.fail_from and self.quality >= self.fail_above:
            raise RuntimeError(f"scheduled failure at {self.n_steps} steps")
        return self


def failing_search(**params):
    return CoarseToFineSearchCV(
        FailingFrom(**params), {"quality": stats.uniform(0, 1)},
        n_iter=9, n_rounds=1, cv=CV, random_state=0, resource="n_steps",
        min_rank_correlation=None,
    )


def test_a_rung_in_which_every_fit_fails_is_reported_and_nothing_reached_the_top():
    """Every fit of rung 1 (3 steps) fails: the search says so, as scikit-learn
    says when fits fail, and does not hand back a first-rung model as its best."""
    with pytest.warns(FitFailedWarning, match="In round 0, rung 1: All the 9 fits failed"):
        with pytest.raises(ValueError, match=r"No candidate was scored at "
                           r"max_resources \(n_steps=9\)"):
            failing_search(fail_from=3).fit(X, Y)


def test_every_fit_failing_at_max_resources_raises_as_scikit_learn_does():
    with pytest.warns(FitFailedWarning, match="In round 0, rung 2: All the 3 fits failed"):
        with pytest.raises(ValueError, match=r"All the 3 fits failed at max_resources "
                           r"\(n_steps=9\)(.|\n)*\n"
                           r"3 x RuntimeError: scheduled failure at 9 steps$"):
            failing_search(fail_from=9).fit(X, Y)


@expects_failed_fits
def test_the_best_is_the_best_finite_row_at_max_resources_and_ranks_first():
    """Lower rungs score higher here (they see -quality, the top rung quality)
    and the best candidates fail at the top: rank 1 is still the best finite
    row at max_resources, the one the search picks, and lower rungs rank after
    every row there."""
    s = CoarseToFineSearchCV(
        FailingFrom(agrees_from=9, fail_from=9, fail_above=0.5),
        {"quality": stats.uniform(-1, 2)}, n_iter=6, n_rounds=1, cv=CV,
        random_state=0, resource="n_steps", min_rank_correlation=1.0,
    )
    # one round of the calibration sample's size: the check keeps every
    # candidate to the top, and says so
    with pytest.warns(FitFailedWarning), pytest.warns(UserWarning, match="no rung prunes"):
        s.fit(X, Y)
    res = s.cv_results_
    top = res["n_resources"] == 9
    finite_top = top & np.isfinite(res["mean_test_score"])
    assert 0 < finite_top.sum() < top.sum()  # some failed at the top
    # lower rungs scored higher than any finite row at the top
    assert np.nanmax(res["mean_test_score"][~top]) > s.best_score_
    assert np.isfinite(s.best_score_)
    assert s.best_score_ == np.max(res["mean_test_score"][finite_top])
    assert res["rank_test_score"][s.best_index_] == 1
    assert np.flatnonzero(res["rank_test_score"] == 1).tolist() == [s.best_index_]
    assert res["rank_test_score"][~top].min() > res["rank_test_score"][finite_top].max()
    assert (res["rank_test_score"][~np.isfinite(res["mean_test_score"])]
            == np.isfinite(res["mean_test_score"]).sum() + 1).all()
    assert s.best_params_["n_steps"] == 9


def test_rank_rows_by_rung():
    from skhp.model_selection._resources import rank_rows_by_rung

    ranks = rank_rows_by_rung([1, 1, 3, 3, 9, 9, 9], [0.9, 0.2, 0.8, np.nan, 0.1, 0.5, 0.5])
    assert ranks.tolist() == [5, 6, 4, 7, 3, 1, 1]


def test_halving_checks_its_rungs_by_default_as_the_command_line_does():
    """One default for the estimator and skhp tune: rungs prune beyond round
    0's calibration sample only once it has shown they rank candidates as
    max_resources does."""
    from skhp.cli._factory import make_search

    s = CoarseToFineSearchCV(
        RungScored(agrees_from=9), {"quality": stats.uniform(0, 1)},
        n_iter=27, n_rounds=3, cv=CV, random_state=0, resource="n_steps",
    ).fit(X, Y)
    assert s.min_rank_correlation == 0.6
    # the low rungs rank in reverse: once round 0's sample has shown it,
    # every candidate trains to the top
    assert s.n_rung_candidates_ == [[9, 7, 7], [9, 9, 9], [9, 9, 9]]
    cli = make_search(net(), {"mlp__alpha": loguniform(1e-5, 1)}, n_iter=12, n_rounds=2,
                      cv=2, scoring=None, n_jobs=1, random_state=0)
    assert cli.min_rank_correlation == s.min_rank_correlation


def test_a_rung_trains_its_most_promising_candidates_first():
    """A promoted rung's rows (and fits) come best first by the score at the
    rung below, so that on one worker a good candidate reaches the top soonest;
    round 0's calibration sample goes on with them, in the same order."""
    s = CoarseToFineSearchCV(
        RungScored(agrees_from=9), {"quality": stats.uniform(0, 1)},
        n_iter=27, n_rounds=3, cv=CV, random_state=0, resource="n_steps",
    ).fit(X, Y)
    assert s.n_rung_candidates_ == [[9, 7, 7], [9, 9, 9], [9, 9, 9]]
    res = s.cv_results_
    for rnd in range(3):
        for rung in (1, 2):
            below = {p["quality"]: score for p, score, r, k in zip(
                res["params"], res["mean_test_score"], res["round"], res["rung"])
                if r == rnd and k == rung - 1}
            order = [below[p["quality"]] for p, r, k in zip(
                res["params"], res["round"], res["rung"]) if r == rnd and k == rung]
            assert len(order) > 1 and order == sorted(order, reverse=True)
