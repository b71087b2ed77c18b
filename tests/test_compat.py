"""The private scikit-learn contracts skhp relies on (``skhp/_compat.py``).

Each test fails as soon as a scikit-learn release changes one of them, so
that the fix is a change to ``_compat.py`` alone.
"""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from skhp import MLPClassifier
from skhp._compat import (
    NON_FINITE_SCORES_WARNING,
    BaseSearchCV,
    all_fits_failed,
    checked_cv,
    failed_fit_results,
    fit_and_score,
    format_search_results,
    init_callback_context,
    num_samples,
    search_fit_context,
    warn_or_raise_about_fit_failures,
)

X, Y = load_iris(return_X_y=True)


class _Recording(BaseSearchCV):
    """A search that records what BaseSearchCV.fit gives _run_search."""

    def __init__(self, estimator, cv=None, scoring=None):
        super().__init__(estimator, cv=cv, scoring=scoring, return_train_score=False)

    def _run_search(self, evaluate_candidates):
        self.seen_cv_ = checked_cv(self)
        self.seen_context_ = search_fit_context(self, {})
        evaluate_candidates([{"C": 1.0}, {"C": float("nan")}])


def test_checked_cv_and_the_fit_context_are_set_before_the_rounds():
    cv = KFold(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = _Recording(LogisticRegression(max_iter=200), cv=cv).fit(X, Y)
    assert search.seen_cv_ is cv
    routed, scorers = search.seen_context_
    assert hasattr(routed.estimator, "fit") and hasattr(routed.splitter, "split")
    assert callable(scorers)


def test_format_results_takes_the_arguments_the_search_passes():
    names = list(inspect.signature(BaseSearchCV._format_results).parameters)
    assert names == ["self", "candidate_params", "n_splits", "out", "more_results"]
    search = _Recording(LogisticRegression())
    out = [{"test_scores": 1.0, "n_test_samples": 5, "fit_time": 0.1,
            "score_time": 0.1, "fit_error": None}] * 2
    results = format_search_results(search, [{"C": 1.0}], 2, out, {"round": [0]})
    assert results["mean_test_score"].tolist() == [1.0] and results["round"] == [0]


def test_non_finite_scores_warning_begins_as_skhp_expects():
    search = _Recording(LogisticRegression())
    out = [{"test_scores": np.nan, "n_test_samples": 5, "fit_time": 0.1,
            "score_time": 0.1, "fit_error": None}] * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        format_search_results(search, [{"C": 1.0}], 2, out, {})
    assert any(str(w.message).startswith(NON_FINITE_SCORES_WARNING) for w in caught)


def test_fit_and_score_takes_the_keywords_the_search_passes():
    accepted = set(inspect.signature(fit_and_score).parameters)
    passed = {
        "estimator", "X", "y", "train", "test", "parameters", "scorer", "fit_params",
        "score_params", "return_train_score", "return_n_test_samples", "return_times",
        "return_parameters", "return_estimator", "error_score", "verbose",
        "split_progress", "candidate_progress", "caller", "callback_ctx",
    }
    assert passed <= accepted


def test_num_samples_and_the_callback_context():
    assert num_samples([[1], [2], [3]]) == 3
    ctx = init_callback_context(MLPClassifier(), max_subtasks=2)
    assert hasattr(ctx, "call_on_fit_task_begin") and hasattr(ctx, "subcontext")


def test_every_fit_failing_is_refused_as_skhp_recognises_it():
    out = failed_fit_results(4, "ValueError: broken", np.nan)
    with pytest.raises(ValueError) as refused:
        warn_or_raise_about_fit_failures(out, np.nan)
    assert all_fits_failed(refused.value)


def test_a_callback_hook_receives_the_metadata_the_context_passes():
    # skhp.progress learns where a rung is from the metadata the search
    # passes (sklearn.callback's hooks take it as a keyword-only argument).
    seen = []

    class Recorder:
        def setup(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, *, metadata=None):
            seen.append(metadata)

        def on_fit_task_end(self, estimator, context):
            return False

        def teardown(self, estimator, context):
            pass

    net = MLPClassifier().set_callbacks(Recorder())
    ctx = init_callback_context(net, max_subtasks=1)
    ctx.subcontext(task_name="rung").call_on_fit_task_begin(
        estimator=net, metadata={"round": 0, "rung": 1})
    assert seen == [{"round": 0, "rung": 1}]
