"""The progress callback sees every fit, in the main process or in workers."""

import io

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
)

from skhp.cli._factory import make_distribution, make_estimator, make_search
from skhp.progress import SearchProgress, recording_scorer

X, y = load_iris(return_X_y=True)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_counts_fits_and_best_score(n_jobs):
    est = RidgeClassifier()
    search = GridSearchCV(
        est,
        {"alpha": [1e-3, 1e-2, 1.0, 10.0]},
        cv=3,
        n_jobs=n_jobs,
        scoring=recording_scorer(est),
    )
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    assert progress.n_fits_done_ == 12
    assert progress.best_score_ == pytest.approx(search.best_score_)
    # A one-shot search has no rounds: its lines show fits only.
    assert progress.lines_[0].startswith("fits 0/12 | best -")
    assert not any("round" in line for line in progress.lines_)
    # No estimate of the time left before the first fits have set the pace.
    assert all(line.endswith("left ~?") for line in progress.lines_[:3])
    assert not progress.lines_[4].endswith("left ~?")
    assert progress.lines_[-1].startswith("done: 12 fits")
    assert any("refitting" in line for line in progress.lines_)


def test_without_recording_scorer_reports_no_score():
    search = RandomizedSearchCV(
        RidgeClassifier(), {"alpha": [0.1, 1.0]}, n_iter=2, cv=2
    )
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    assert progress.n_fits_done_ == 4
    assert progress.best_score_ is None
    assert "best -" in progress.lines_[-2]


def test_rounds_are_reported_in_order():
    est = make_estimator("classification", max_iter=3)
    space = {
        "mlp__learning_rate_init": make_distribution("loguniform", [1e-3, 1e-1]),
        "mlp__alpha": make_distribution("loguniform", [1e-5, 1e-1]),
    }
    search = make_search(
        est,
        space,
        n_iter=6,
        n_rounds=3,
        cv=2,
        scoring=recording_scorer(est),
        n_jobs=1,
        random_state=0,
    )
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    rounds = [
        int(line.split()[1].split("/")[0])
        for line in progress.lines_
        if line.startswith("round")
    ]
    assert rounds == sorted(rounds)
    assert set(rounds) == {1, 2, 3}
    assert all(line.split()[1].endswith("/3") for line in progress.lines_[:-1])
    assert progress.n_fits_done_ == 12


@pytest.mark.parametrize("halving", [HalvingRandomSearchCV, HalvingGridSearchCV])
def test_successive_halving_shows_its_iterations(halving):
    # It used to count its search context as a round: "round 2/1".
    est = RidgeClassifier()
    search = halving(
        est,
        {"alpha": [1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0]},
        cv=3,
        min_resources=30,
        scoring=recording_scorer(est),
        random_state=0,
    )
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    n_iterations = search.n_iterations_
    assert n_iterations >= 2
    lines = progress.lines_[:-1]
    assert all(line.startswith("iteration ") for line in lines)
    shown = [line.split()[1].split("/") for line in lines]
    assert {total for _, total in shown} == {str(n_iterations)}
    assert [int(i) for i, _ in shown] == sorted(int(i) for i, _ in shown)
    assert {int(i) for i, _ in shown} == set(range(1, n_iterations + 1))
    sizes = {line.split("| fits ")[1].split()[0].split("/")[1] for line in lines}
    assert sizes == {str(n * search.n_splits_) for n in search.n_candidates_}
    assert progress.n_fits_done_ == sum(search.n_candidates_) * search.n_splits_
    assert progress.best_score_ is not None


def test_a_single_round_search_is_round_1_of_1():
    est = RidgeClassifier()
    search = make_search(est, {"alpha": make_distribution("loguniform", [1e-3, 10.0])},
                         n_iter=4, n_rounds=1, cv=2, scoring=None, n_jobs=1,
                         random_state=0)
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    assert progress.lines_[0].startswith("round 1/1 | fits 0/8")
    assert all(line.startswith("round 1/1 ") for line in progress.lines_[:-1])
    assert progress.n_fits_done_ == 8


def test_time_left_reaches_zero_with_the_last_fit():
    est = RidgeClassifier()
    search = GridSearchCV(est, {"alpha": list(np.logspace(-3, 2, 8))}, cv=2)
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    assert progress.lines_[-3].endswith("left ~0:00")


def test_terminal_rewrites_one_line():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    search = GridSearchCV(RidgeClassifier(), {"alpha": [0.1, 1.0]}, cv=2)
    search.set_callbacks(SearchProgress(file=out, min_interval=0)).fit(X, y)
    text = out.getvalue()
    assert text.count("\n") == 1  # only the final summary ends a line
    assert text.count("\r\033[K") >= 4  # start, fits, refit, summary


def test_unreachable_main_process_does_not_break_the_search(monkeypatch):
    # A worker on a remote cluster cannot reach the main process's listener.
    import skhp.progress

    def unreachable(handle, message):
        raise ConnectionRefusedError("no route to the main process")

    monkeypatch.setattr(skhp.progress, "callback_send", unreachable)
    search = GridSearchCV(RidgeClassifier(), {"alpha": [0.1, 1.0]}, cv=2)
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    assert progress.n_fits_done_ == 0
    assert search.best_score_ > 0.5
    assert progress.lines_[-1].startswith("done: 0 fits in ")
    assert progress.lines_[-1].endswith("best score -")
