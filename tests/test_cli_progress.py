"""The progress callback sees every fit, in the main process or in workers."""

import io
import re
import warnings

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


def _coarse_to_fine(n_iter=6, n_rounds=3, **kwargs):
    est = make_estimator("classification", max_iter=3)
    space = {
        "mlp__learning_rate_init": make_distribution("loguniform", [1e-3, 1e-1]),
        "mlp__alpha": make_distribution("loguniform", [1e-5, 1e-1]),
    }
    return make_search(
        est,
        space,
        n_iter=n_iter,
        n_rounds=n_rounds,
        cv=2,
        scoring=recording_scorer(est),
        n_jobs=1,
        random_state=0,
    ).set_params(**kwargs)


def test_rounds_are_numbered_as_in_cv_results():
    # Rounds used to show as 1..3 on screen and 0..2 in cv_results_["round"].
    search = _coarse_to_fine()
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    rounds = [
        int(line.split()[1]) for line in progress.lines_ if line.startswith("round")
    ]
    assert rounds == sorted(rounds)
    assert set(rounds) == set(search.cv_results_["round"]) == {0, 1, 2}
    assert all(" of 0..2 | " in line for line in progress.lines_[:-1])
    assert progress.n_fits_done_ == 12


def test_fits_are_counted_over_the_whole_search():
    # "fits 0/30" used to count the fits of one round under a header that
    # counted the candidates of all rounds.
    search = _coarse_to_fine()
    progress = SearchProgress(n_fits=12, file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    counts = [line.split("| fits ")[1].split()[0] for line in progress.lines_[:-1]]
    assert counts[0] == "0/12"
    assert counts[-1] == "12/12"
    done = [int(c.split("/")[0]) for c in counts]
    assert done == sorted(done)  # never starts again at 0 in a new round
    assert {c.split("/")[1] for c in counts} == {"12"}
    # Without n_fits, the total is counted as the rounds start: an estimate,
    # marked "~", until the last round has started.
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    _coarse_to_fine().set_callbacks(progress).fit(X, y)
    assert progress.lines_[0].startswith("round 0 of 0..2 | fits 0/~12 |")
    assert progress.lines_[-2].startswith("round 2 of 0..2 | fits 12/12 |")


def test_time_left_is_estimated_across_rounds(monkeypatch):
    # It used to start at "?" in every round; now only before the first fits.
    import skhp.progress

    clock = iter(range(10_000))
    monkeypatch.setattr(skhp.progress.time, "monotonic", lambda: float(next(clock)))
    progress = SearchProgress(n_fits=12, file=io.StringIO(), min_interval=0)
    _coarse_to_fine().set_callbacks(progress).fit(X, y)
    lines = [line for line in progress.lines_ if line.startswith("round")]
    unknown = [line for line in lines if line.endswith("left ~?")]
    assert unknown == lines[:3]  # 0, 1 and 2 fits done
    starts = [
        line for line in lines if " | fits 4/" in line or " | fits 8/" in line
    ]
    assert starts and not any(line.endswith("~?") for line in starts)


def test_resumed_search_numbers_its_rounds_after_the_restored_ones(tmp_path):
    checkpoint = tmp_path / "search.ckpt"
    _coarse_to_fine(checkpoint=checkpoint).fit(X, y)
    # The same search again: it restores its rounds and re-runs the last one.
    search = _coarse_to_fine(checkpoint=checkpoint)
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    assert search.n_restored_rounds_ == 2
    assert progress.lines_[0].startswith("round 2 of 0..2 | fits 0/4 | ")
    assert progress.lines_[0].endswith(" | resumed 2 rounds from the checkpoint")
    lines = progress.lines_[:-1]
    assert all(line.startswith("round 2 of 0..2 | fits ") for line in lines)
    assert lines[-1].startswith("round 2 of 0..2 | fits 4/4 ")
    assert progress.lines_[-1].startswith("done: 4 fits")


@pytest.mark.parametrize("halving", [HalvingRandomSearchCV, HalvingGridSearchCV])
def test_successive_halving_shows_its_iterations(halving):
    # It used to count its search context as a round.
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
    shown = [int(line.split()[1]) for line in lines]
    assert all(f" of 0..{n_iterations - 1} | " in line for line in lines)
    assert shown == sorted(shown)
    assert set(shown) == set(search.cv_results_["iter"]) == set(range(n_iterations))
    # The total is an estimate ("~") until the last iteration starts.
    totals = [line.split("| fits ")[1].split()[0].split("/")[1] for line in lines]
    assert totals[-1] == str(sum(search.n_candidates_) * search.n_splits_)
    assert totals[0].startswith("~")
    assert progress.n_fits_done_ == sum(search.n_candidates_) * search.n_splits_
    assert progress.best_score_ is not None


def test_a_single_round_search_is_round_0_of_0():
    est = RidgeClassifier()
    search = make_search(est, {"alpha": make_distribution("loguniform", [1e-3, 10.0])},
                         n_iter=4, n_rounds=1, cv=2, scoring=None, n_jobs=1,
                         random_state=0, halving=False)
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    assert progress.lines_[0].startswith("round 0 of 0..0 | fits 0/8")
    assert all(line.startswith("round 0 of 0..0 ") for line in progress.lines_[:-1])
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


class _Interrupted(RidgeClassifier):
    """Ctrl-C during its third fit."""

    calls = 0

    def fit(self, X, y, sample_weight=None):
        type(self).calls += 1
        if type(self).calls == 3:
            raise KeyboardInterrupt
        return super().fit(X, y, sample_weight)


def test_interrupted_search_says_so():
    # It used to end with "done: ... fits", as if the search had finished.
    search = GridSearchCV(_Interrupted(), {"alpha": [0.1, 1.0, 10.0]}, cv=2)
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    with pytest.raises(KeyboardInterrupt):
        search.set_callbacks(progress).fit(X, y)
    assert progress.lines_[-1].startswith("interrupted: 2 fits in ")


def test_rungs_of_successive_halving_are_shown_in_their_round():
    from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform

    search = CoarseToFineSearchCV(
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=9, random_state=0),
        {"learning_rate_init": loguniform(1e-3, 1e-1)},
        n_iter=6, n_rounds=2, cv=2, random_state=0, resource="max_iter",
        min_rank_correlation=None,
    )
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.set_callbacks(progress).fit(X, y)
    heads = [line.split(" | ")[0] for line in progress.lines_[:-1]]
    # rounds of 3 candidates: rungs of 3 and 1 (3 and 9 epochs)
    assert sorted(set(heads)) == [
        "round 0 of 0..1, rung 0 of 0..1", "round 0 of 0..1, rung 1 of 0..1",
        "round 1 of 0..1, rung 0 of 0..1", "round 1 of 0..1, rung 1 of 0..1",
    ]
    assert progress.n_fits_done_ == 2 * (3 + 1) * 2


class _LowerRungsScoreHigher(RidgeClassifier):
    """Scores ``-quality`` below 9 steps and ``quality`` at 9: the lower rungs
    of a halving search outscore every candidate at the top."""

    def __init__(self, quality=0.0, n_steps=9):
        super().__init__()
        self.quality = quality
        self.n_steps = n_steps

    def fit(self, X, y):
        return self

    def score(self, X, y):
        return self.quality if self.n_steps >= 9 else -self.quality


def test_best_score_with_rungs_is_the_best_at_the_last_rung():
    from scipy import stats

    from skhp import CoarseToFineSearchCV

    est = _LowerRungsScoreHigher()
    search = CoarseToFineSearchCV(
        est, {"quality": stats.uniform(-1, 2)}, n_iter=9, n_rounds=1, cv=2,
        random_state=0, resource="n_steps", scoring=recording_scorer(est),
        refit=False, min_rank_correlation=None,
    )
    progress = SearchProgress(file=io.StringIO(), min_interval=0)
    search.set_callbacks(progress).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.max() > search.best_score_  # a lower rung scored higher
    assert progress.best_score_ == pytest.approx(search.best_score_)
    shown = [float(m.group(1)) for line in progress.lines_
             if (m := re.search(r"best (?:score )?(-?[0-9.]+)", line))]
    assert shown and max(shown) == pytest.approx(search.best_score_, abs=1e-4)
