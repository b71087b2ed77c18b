"""Live progress of a hyperparameter search, through scikit-learn's callback API.

:class:`SearchProgress` is a scikit-learn fit callback: register it on any search
with ``search.set_callbacks(SearchProgress())``. The search calls it in the main
process when the search starts, when each round starts and ends and when the
refit starts; each cross-validation fit calls it from whichever worker ran it, and
the worker's copy of the callback sends the event back to the main process over
scikit-learn's own callback transport (the one :class:`sklearn.callback.ProgressBar`
uses). Where a worker cannot reach the main process (a remote Dask cluster), the
events of that worker are dropped and progress is reported per round only.

The best score so far needs the fold scores, which the callback API does not
carry; :func:`recording_scorer` wraps a scorer so that each fit's test score
travels with its "fit ended" event.
"""

import math
import sys
import threading
import time

from sklearn.metrics import check_scoring

from skhp._compat import callback_close_listener, callback_open_listener, callback_send

__all__ = ["SearchProgress", "recording_scorer"]

# Scores computed by the scorer in this worker thread for the fit that is running;
# read back by `SearchProgress.on_fit_task_end`, which runs right after scoring in
# the same thread (see sklearn.model_selection._validation._fit_and_score).
_scores = threading.local()


class _RecordingScorer:
    """Scorer that remembers, per thread, the scores it has just computed."""

    def __init__(self, scorer):
        self.scorer = scorer

    def __call__(self, estimator, X, y=None, **kwargs):
        score = self.scorer(estimator, X, y, **kwargs)
        # The test score is computed first, the train score (if any) after it.
        if getattr(_scores, "values", None) is None:
            _scores.values = []
        _scores.values.append(score)
        return score

    def __repr__(self):
        return f"recording_scorer({self.scorer!r})"


def recording_scorer(estimator, scoring=None):
    """Wrap ``scoring`` so that :class:`SearchProgress` can report scores.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being searched (used to resolve ``scoring=None``).

    scoring : str, callable or None, default=None
        A single metric, as accepted by :func:`sklearn.metrics.check_scoring`.

    Returns
    -------
    scorer : callable
        A scorer returning the same values as ``scoring``.
    """
    return _RecordingScorer(check_scoring(estimator, scoring=scoring))


def _format_seconds(seconds):
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


class SearchProgress:
    """Print the progress of a search: round, fits done, best score, time left.

    Works with any :class:`~sklearn.model_selection._search.BaseSearchCV`. A
    search that runs in rounds shows its round, numbered as the search numbers
    it in ``cv_results_`` (from 0): the ``round`` of
    :class:`~skhp.CoarseToFineSearchCV` (``round 1 of 0..2``), the ``iter`` of
    successive halving (``iteration 1 of 0..2``). A search that evaluates all
    its candidates at once (grid, randomized) shows fits only.

    ``fits`` counts cross-validation fits (one candidate on one fold) over the
    whole search, not per round: ``fits 12/90`` for 30 candidates in 3-fold
    CV. Where the search does not say in advance how many fits its later rounds
    run (successive halving; a search resumed from a checkpoint), the total
    assumes that each round still to start is as large as the last one started,
    and is shown with a ``~``. The time left is the time per fit so far, over
    all rounds, times the fits left.

    Parameters
    ----------
    n_rounds : int or None, default=None
        Number of rounds the search runs, all together (restored ones included).
        None reads it from the search's ``n_rounds`` parameter, else from the
        rounds it says it has to run as it starts.

    n_fits : int or None, default=None
        Cross-validation fits this fit of the search runs, all rounds together
        (for :class:`~skhp.CoarseToFineSearchCV`, ``n_iter`` times the number
        of folds). None counts them as the rounds start (see above).

    file : file-like or None, default=None
        Where to write; None means ``sys.stderr``.

    min_interval : float or None, default=None
        Least number of seconds between two printed updates (the start of a
        round is always printed). None means 0.5 s on a terminal, where the line
        is rewritten in place, and 10 s elsewhere (a log file), where each
        update is a new line.

    best_score : float or None, default=None
        The best score of rounds restored from a checkpoint, shown until a
        better one is scored (a resumed search scores nothing at its last
        rung for a while). None: ``-`` until the first candidate is scored.

    Attributes
    ----------
    n_fits_done_ : int
        Cross-validation fits finished so far.

    best_score_ : float or None
        Best mean test score among the candidates whose folds have all finished,
        when the search's scorer was wrapped with :func:`recording_scorer`.

    lines_ : list of str
        Every progress line written, for tests and logs.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhp.progress import SearchProgress, recording_scorer
    >>> import io
    >>> X, y = load_iris(return_X_y=True)
    >>> est = LogisticRegression(max_iter=500)
    >>> search = RandomizedSearchCV(est, {"C": [0.1, 1, 10]}, n_iter=3, cv=3,
    ...                             scoring=recording_scorer(est), random_state=0)
    >>> progress = SearchProgress(file=io.StringIO())
    >>> search = search.set_callbacks(progress).fit(X, y)
    >>> progress.n_fits_done_
    9
    """

    def __init__(self, n_rounds=None, n_fits=None, file=None, min_interval=None,
                 best_score=None):
        self.n_rounds = n_rounds
        self.n_fits = n_fits
        self.file = file
        self.min_interval = min_interval
        self.best_score = best_score

    def __getstate__(self):
        # Workers get the parameters and the address of the main process only.
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        state["_handle"] = self.__dict__.get("_handle")
        state.pop("file", None)
        state.pop("lines_", None)
        return state

    # -- main process -------------------------------------------------------------

    def setup(self, estimator, context):
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._last_print = -math.inf
        # path of the context the fits hang from -> _Group
        self._groups = {}
        self._current = None
        self._fold_scores = {}  # (round path, candidate) -> list of fold scores
        self._first_done = None  # end of the first fit
        self._first_round = 0  # number of the first round run (rounds restored)
        self._n_to_run = None  # rounds this fit runs, once the search says so
        self._note = None  # for the next round's first line
        self.n_fits_done_ = 0
        self.best_score_ = None if self.best_score is None else float(self.best_score)
        self.lines_ = []
        self._n_rounds = self.n_rounds
        if self._n_rounds is None:
            # A guess until the search context says how many rounds it runs.
            # ("auto" rounds are counted once the search says how many)
            n_rounds = getattr(estimator, "n_rounds", None)
            self._n_rounds = n_rounds if isinstance(n_rounds, int) else None
        self._interval = self.min_interval
        if self._interval is None:
            self._interval = 0.5 if self._isatty() else 10.0
        self._handle = callback_open_listener(self._receive)

    def _isatty(self):
        out = self.file if self.file is not None else sys.stderr
        return bool(getattr(out, "isatty", lambda: False)())

    def teardown(self, estimator, context):
        callback_close_listener(self._handle)
        # Called while the exception that stopped the search, if any, propagates.
        error = sys.exc_info()[1]
        if error is not None and not self.lines_:
            return  # refused before any round began: the error says it all
        if isinstance(error, KeyboardInterrupt):
            ending = "interrupted"
        elif error is not None:
            ending = f"stopped by {type(error).__name__}"
        else:
            ending = "done"
            # The search's own best: it counts rounds restored from a
            # checkpoint, whose fits this callback never saw.
            best = getattr(estimator, "best_score_", None)
            if self.best_score_ is not None and best is not None and math.isfinite(best):
                self.best_score_ = float(best)
        self._write(final=ending)

    def _kind(self, context):
        """``"search"``, ``"round"`` or None for a context with subtasks.

        scikit-learn runs the fits of one ``evaluate_candidates`` call as the
        parallel subtasks of one context (``sequential_subtasks=False``): the
        search context itself in one-shot searches (grid, randomized), else one
        of its sequential subtasks (a round, a halving iteration). Deeper
        contexts belong to the estimators being fitted.
        """
        parent = context.parent
        if parent is None or context.task_name.startswith("refit"):
            return None
        if parent.parent is None:
            return "round" if not context.sequential_subtasks else "search"
        if parent.parent.parent is None and not context.sequential_subtasks:
            return "round"
        return None

    def _open_round(self, path, size, label=None, position=None):
        # Called with the lock held.
        if path not in self._groups:
            self._groups[path] = _Group(len(self._groups), size, label, position)
        self._current = path

    def on_fit_task_begin(self, estimator, context, *, metadata=None):
        if context.parent is None:
            return
        if context.task_name.startswith("refit"):
            self._write(force=True, note="refitting the best candidate")
        elif context.max_subtasks:
            kind = self._kind(context)
            if kind == "search":
                # Its subtasks are the rounds still to run; those restored from a
                # checkpoint come first.
                restored = getattr(estimator, "n_restored_rounds_", 0) or 0
                # With successive halving its subtasks are rungs, a few a round
                # (a coarse-to-fine search says how many in the metadata).
                rungs_per_round = (metadata or {}).get("rungs_per_round", 1)
                with self._lock:
                    self._first_round = restored
                    self._n_to_run = context.max_subtasks
                    if self.n_rounds is None:
                        self._n_rounds = restored + context.max_subtasks // rungs_per_round
                    if restored:  # said on the line of the first round run
                        self._note = (
                            f"resumed {restored} round{'s' if restored > 1 else ''}"
                            " from the checkpoint"
                        )
            elif kind == "round":
                label = position = None
                if context.parent.parent is not None:  # a round of a search
                    label = "iteration" if "iteration" in context.task_name else "round"
                if context.task_name == "coarse-to-fine-rung" and metadata:
                    # where the rung is, as the search says
                    position = (metadata["round"], metadata["rung"],
                                metadata["rungs_per_round"])
                with self._lock:
                    self._open_round(_path(context), context.max_subtasks, label, position)
                    note, self._note = self._note, None
                self._write(force=True, note=note)
        else:  # a fit starts, possibly in a worker
            _scores.values = []

    def on_fit_task_end(self, estimator, context):
        if context.parent is None or context.max_subtasks:
            return False
        if context.task_name.startswith("refit"):
            return False
        values = getattr(_scores, "values", None) or []
        if sys.exc_info()[1] is not None:
            # Called while an exception (Ctrl-C, error_score="raise") leaves
            # the fit: it did not finish.
            _scores.values = []
            return False
        message = {
            "round": _path(context.parent),
            "round_size": context.parent.max_subtasks,
            "task": context.task_id,
            "n_splits": getattr(estimator, "n_splits_", None),
            "score": values[0] if values else None,
        }
        _scores.values = []
        try:
            callback_send(self._handle, message)
        except OSError:
            # A worker that cannot reach the main process (remote cluster):
            # progress of this fit is not shown, the search is unaffected.
            pass
        return False

    def _receive(self, message):
        with self._lock:
            self._open_round(message["round"], message["round_size"])
            self.n_fits_done_ += 1
            if self._first_done is None:
                # Time from the first finished fit on: starting the workers is
                # not a cost the remaining fits will pay again.
                self._first_done = time.monotonic()
            score, n_splits = message["score"], message["n_splits"]
            # With rungs, only a score at the last rung competes for the
            # best, as in the search (a lower rung was trained on less).
            position = self._groups[message["round"]].position
            if position is not None and position[1] < position[2] - 1:
                score = None
            if score is not None and n_splits:
                key = (message["round"], message["task"] // n_splits)
                folds = self._fold_scores.setdefault(key, [])
                folds.append(score)
                if len(folds) == n_splits:
                    mean = sum(folds) / n_splits
                    if math.isfinite(mean) and (
                        self.best_score_ is None or mean > self.best_score_
                    ):
                        self.best_score_ = mean
        self._write()

    # -- display ----------------------------------------------------------------

    def _total_fits(self):
        """``(fits this fit runs, whether that is an estimate)``; lock held."""
        if self.n_fits is not None:
            return self.n_fits, False
        groups = list(self._groups.values())
        if not groups:
            return None, True
        started = sum(group.size for group in groups)
        to_start = (self._n_to_run or len(groups)) - len(groups)
        if to_start <= 0:
            return started, False
        return started + to_start * groups[-1].size, True

    def _time_left(self):
        # Called with the lock held: the time per fit over all fits so far
        # (finished in parallel, so wall-clock time), times the fits left.
        total, _ = self._total_fits()
        # Parallel fits finish in bunches: wait for a second bunch.
        if total is None or self.n_fits_done_ < 3:
            return None
        per_fit = (time.monotonic() - self._first_done) / (self.n_fits_done_ - 1)
        return per_fit * max(total - self.n_fits_done_, 0)

    def _round_text(self):
        # Called with the lock held.
        group = self._groups[self._current]
        if group.label is None:
            return ""
        number = self._first_round + group.index
        rung = ""
        if group.position is not None:
            number, k, n_rungs = group.position
            if n_rungs > 1:
                rung = f", rung {k} of 0..{n_rungs - 1}"
        if self._n_rounds is None:
            return f"{group.label} {number}{rung} | "
        return f"{group.label} {number} of 0..{self._n_rounds - 1}{rung} | "

    def _write(self, force=False, final=None, note=None):
        now = time.monotonic()
        with self._lock:
            if not (force or final) and now - self._last_print < self._interval:
                return
            self._last_print = now
            elapsed = _format_seconds(now - self._start)
            best = "-" if self.best_score_ is None else f"{self.best_score_:.4f}"
            if final:
                line = f"{final}: {self.n_fits_done_} fits in {elapsed}"
                line += f", best score {best}"
            else:
                total, estimated = self._total_fits()
                if total is not None:
                    total = ("~" if estimated else "") + str(total)
                line = f"fits {self.n_fits_done_}/{total or '?'}"
                if self._current is not None:
                    line = self._round_text() + line
                line += (
                    f" | best {best} | elapsed {elapsed} "
                    f"| left ~{_format_seconds(self._time_left())}"
                )
                if note:
                    line += f" | {note}"
            self.lines_.append(line)
            self._print(line, final)

    def _print(self, line, final):
        out = self.file if self.file is not None else sys.stderr
        if self._isatty():
            # One line rewritten in place on a terminal, one line per update in a log.
            out.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            out.write(line + "\n")
        out.flush()


class _Group:
    """The fits under one context: a round, or a whole one-shot search."""

    def __init__(self, index, size, label, position=None):
        self.index = index  # order among the rounds this fit runs
        self.size = size  # fits it will run
        self.label = label  # "round", "iteration", or None for a one-shot search
        # (round, rung, rungs per round) of a rung of successive halving
        self.position = position


def _path(context):
    """Task ids from the root context down to ``context``, as a hashable key."""
    ids = []
    while context is not None:
        ids.append(context.task_id)
        context = context.parent
    return tuple(reversed(ids))
