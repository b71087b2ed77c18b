"""Evaluating one rung of a round: through BaseSearchCV, or continuing fits.

A rung goes one of two ways. Through scikit-learn's ``evaluate_candidates``
(the search's last batch must, so that ``BaseSearchCV.fit`` has results to
pick the best from), or fitted by the search itself, where promoted
candidates' fold models train on from the previous rung. Either way it comes
back as a :class:`~skhp.model_selection._rounds.Rung`.
"""

import asyncio
import concurrent.futures
import warnings

from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import indexable
from sklearn.utils.parallel import Parallel, delayed

from .._compat import (
    all_fits_failed,
    check_method_params,
    checked_cv,
    failed_fit_results,
    insert_error_scores,
    search_fit_context,
    warn_or_raise_about_fit_failures,
)
from ._resources import continuation_params, fit_and_score_continuing
from ._rounds import Rung, format_rows, mean_scores

# A batch whose cluster lost work (a killed Dask worker, say) is run again
# this many times before the error is passed on.
_LOST_WORK_RETRIES = 3


def _lost_work(exc):
    """Whether ``exc`` says the cluster lost work, rather than a fit failing.

    Dask raises these when a worker dies holding a task's result or the only
    copy of scattered data; the same candidates can simply be run again.
    """
    if isinstance(exc, (concurrent.futures.CancelledError, asyncio.CancelledError)):
        return True
    return type(exc).__module__.split(".")[0] == "distributed"


def _surviving_lost_workers(run, label, **kwargs):
    """``run(**kwargs)``, run again when the cluster loses work.

    A batch records nothing until all of its fits have returned, so running
    it again neither loses nor duplicates candidates, and the fits (seeded)
    give the same results. A callback context takes each fit once, so the
    re-run reports no progress.
    """
    for attempt in range(_LOST_WORK_RETRIES + 1):
        try:
            return run(**kwargs)
        except Exception as exc:
            if attempt == _LOST_WORK_RETRIES or not _lost_work(exc):
                raise
            kwargs["callback_ctx"] = None
            warnings.warn(
                f"The cluster lost work during {label} "
                f"({type(exc).__name__}: {exc}); running it again.",
                UserWarning,
            )


class BaseBatch:
    """A batch in BaseSearchCV's hands: what the search's ``_format_results``
    formats, and the raw results it hands back.

    ``BaseSearchCV`` formats every batch it evaluates with the rows it has
    seen itself; the search's rows are in its rounds (``rows``). The results
    it returns are those rows and the ``n_new`` rows of the batch (none when
    ``replay``: a candidate the rounds hold, fitted again).
    """

    def __init__(self, rows, n_new, more, brief, replay=False):
        self.rows, self.n_new, self.more = rows, n_new, more
        self.brief, self.replay = brief, replay
        self.out = None

    def format(self, search, candidate_params, n_splits, out):
        """cv_results_ of the rows and the batch; keeps the batch's raw results."""
        params, rows_out, more = self.rows
        if self.replay:
            return format_rows(search, n_splits, params, rows_out, more)
        self.out = list(out[len(out) - self.n_new * n_splits:])
        new_params = list(candidate_params)[len(candidate_params) - self.n_new:]
        columns = {key: more.get(key, []) + list(self.more.get(key, []))
                   for key in {*more, *self.more}}
        return format_rows(search, n_splits, params + new_params, rows_out + self.out,
                           columns, brief=self.brief)


class Evaluator:
    """Runs the rungs of a search's rounds, one batch at a time.

    Parameters
    ----------
    search : CoarseToFineSearchCV
    evaluate_candidates : callable
        ``BaseSearchCV``'s.
    schedule : ResourceSchedule or None

    Attributes
    ----------
    results : dict or None
        The results of the last batch through ``BaseSearchCV``: the ones it
        reads once the rounds are over.
    last_batch_was_brief : bool
        Whether they lack the ``param_*`` columns.
    all_failed_error : ValueError or None
        scikit-learn's error for the last batch whose every fit failed.
    """

    def __init__(self, search, evaluate_candidates, schedule):
        self.search, self.schedule = search, schedule
        self.evaluate_candidates = evaluate_candidates
        self.results, self.last_batch_was_brief = None, False
        self.all_failed_error = None
        self._fit_state = None

    def continuations(self, candidates):
        """Per candidate, the parameters that continue its fits to a larger
        resource, or None where it is refitted."""
        schedule = self.schedule
        if schedule is None or schedule.resource == "n_samples":
            return [None] * len(candidates)
        estimator = self.search.estimator
        return [continuation_params(clone(estimator).set_params(**c), schedule.resource)
                for c in candidates]

    def rung(self, rnd, round_idx, level, alive, models, continuations, search_ctx,
             by_base, final, rows):
        """Evaluate rung ``level`` of round ``rnd`` on candidates ``alive``;
        return it as a :class:`Rung`. ``models`` (candidate to its fold
        models) is updated with the fits that can go on."""
        search, schedule = self.search, self.schedule
        more = {"round": [round_idx] * len(alive),
                "origin": [rnd.origins[i] for i in alive],
                "region": [rnd.region_of[i] for i in alive]}
        params, cv = [rnd.params[i] for i in alive], checked_cv(search)
        if schedule is not None:
            params = schedule.rung_candidates(params, level)
            cv = schedule.rung_cv(cv, level, search.random_state)
            more["rung"] = [level] * len(alive)
            more["n_resources"] = [schedule.resources[level]] * len(alive)
        conts = [continuations[i] for i in alive]
        label = f"round {round_idx}" + ("" if schedule is None else f", rung {level}")
        ctx = self._open_context(search_ctx, round_idx, level, len(alive))
        if not by_base and any(c is not None for c in conts):
            out, fold_models = self.continuing(
                params, [models.get(i) for i in alive], conts,
                quiet=level < schedule.n_rungs - 1, ctx=ctx, label=label,
            )
            for i, fitted, cont in zip(alive, fold_models, conts):
                models[i] = fitted if cont is not None else None
        else:
            out = self.with_base_search(params, cv, more, final, ctx, label, rows)
        if ctx is not None:
            ctx.call_on_fit_task_end(estimator=search)
        scores = [float(s) for s in mean_scores(out, len(alive), search.refit)]
        return Rung(list(alive), scores, list(params), list(out), more)

    def _open_context(self, search_ctx, round_idx, level, n_alive):
        """The callback context of a rung, None without callbacks."""
        search, schedule = self.search, self.schedule
        if search.verbose > 0 and schedule is not None:
            print(f"Round {round_idx}, rung {level}: {n_alive} candidates at "
                  f"{schedule.resource}={schedule.resources[level]}")
        if search_ctx is None:
            return None
        n_rungs = 1 if schedule is None else schedule.n_rungs
        return search_ctx.subcontext(
            task_name="coarse-to-fine-round" if schedule is None else "coarse-to-fine-rung",
            max_subtasks=n_alive * search.n_splits_,
            sequential_subtasks=False,
        ).call_on_fit_task_begin(estimator=search, metadata={
            "round": round_idx, "rung": level, "rungs_per_round": n_rungs,
        })

    def _every_fit_failed(self, label, exc):
        """Keep and report a batch in which every fit failed, and go on.

        scikit-learn raises then; a search of several batches goes on (a
        later round may fit), so it warns with the same count and errors
        instead, and raises ``exc`` only if no batch fits at all.
        """
        self.all_failed_error = exc
        warnings.warn(f"In {label}: {str(exc).strip()}", FitFailedWarning)

    def with_base_search(self, params, cv, more, final, ctx, label, rows):
        """One batch through BaseSearchCV's ``evaluate_candidates``; its raw
        results, or failed-fit results if every fit failed. ``rows``: those of
        the rounds so far."""
        search = self.search
        batch = search._batch = BaseBatch(rows, len(params), more, brief=not final)
        try:
            results = _surviving_lost_workers(
                lambda **kw: self.evaluate_candidates(params, cv, **kw),
                label, more_results=more, callback_ctx=ctx,
            )
        except ValueError as exc:
            if not all_fits_failed(exc):
                raise
            self._every_fit_failed(label, exc)
            return failed_fit_results(
                len(params) * search.n_splits_, str(exc), search.error_score,
                self._metric_names(rows), search.return_train_score,
            )
        finally:
            search._batch = None
        self.results, self.last_batch_was_brief = results, not final
        return batch.out

    def replay(self, params, more, rows):
        """Fit ``params`` again through BaseSearchCV, so that it has evaluated
        a batch; the ``rows`` stand as its results (None if the fits failed)."""
        search = self.search
        search._batch = BaseBatch(rows, 1, more, brief=False, replay=True)
        label = "a candidate fitted again"
        try:
            self.results = _surviving_lost_workers(
                lambda **kw: self.evaluate_candidates(params, checked_cv(search), **kw),
                label, more_results=more, callback_ctx=None,
            )
            self.last_batch_was_brief = False
        except ValueError as exc:
            if not all_fits_failed(exc):
                raise
            self._every_fit_failed(label, exc)
        finally:
            search._batch = None
        return self.results

    def _metric_names(self, rows):
        """The metrics of a multi-metric search, None for one metric."""
        outs, scoring = rows[1], self.search.scoring
        if outs and isinstance(outs[0]["test_scores"], dict):
            return list(outs[0]["test_scores"])
        if isinstance(scoring, (dict, list, tuple, set)):
            return list(scoring)
        return None

    def _task_state(self):
        """What the search needs to run fits of its own, as BaseSearchCV.fit does."""
        if self._fit_state is None:
            search = self.search
            X, y, params = search._fit_inputs
            X, y = indexable(search._task_X, y)
            params = check_method_params(X, params=params)
            routed, scorers = search_fit_context(search, params)
            splits = list(checked_cv(search).split(X, y, **routed.splitter.split))
            kwargs = dict(
                scorer=scorers, fit_params=routed.estimator.fit,
                score_params=routed.scorer.score,
                return_train_score=search.return_train_score,
                return_n_test_samples=True, return_times=True,
                return_parameters=False, error_score=search.error_score,
                verbose=search.verbose,
            )
            self._fit_state = X, y, splits, kwargs
        return self._fit_state

    def continuing(self, params, models, continuations, quiet, ctx, label):
        """One rung fitted by the search itself: each fold model of a promoted
        candidate trained on from the previous rung, the others fitted afresh.

        Returns the raw results, in BaseSearchCV's order (candidate, then
        fold), and each candidate's fold models (None where a fit failed).
        """
        search = self.search
        X, y, splits, kwargs = self._task_state()
        n_splits, base = len(splits), clone(search.estimator)

        def run(callback_ctx):
            contexts = [None] * (len(params) * n_splits)
            if callback_ctx is not None:
                contexts = [callback_ctx.subcontext(
                    task_name="candidate-split-evaluation", task_id=t)
                    for t in range(len(contexts))]
            tasks = (
                delayed(fit_and_score_continuing)(
                    None if models[c] is None else models[c][s], base, X, y,
                    train=train, test=test, parameters=candidate,
                    continuation=continuations[c] or {}, quiet=quiet,
                    split_progress=(s, n_splits), candidate_progress=(c, len(params)),
                    caller=search, callback_ctx=contexts[c * n_splits + s], **kwargs,
                )
                for c, candidate in enumerate(params)
                for s, (train, test) in enumerate(splits)
            )
            return Parallel(n_jobs=search.n_jobs, pre_dispatch=search.pre_dispatch)(tasks)

        returned = _surviving_lost_workers(run, label, callback_ctx=ctx)
        out = [result for result, _ in returned]
        if callable(search.scoring):
            insert_error_scores(out, search.error_score)
        try:
            warn_or_raise_about_fit_failures(out, search.error_score)
        except ValueError as exc:
            if not all_fits_failed(exc):
                raise
            self._every_fit_failed(label, exc)
        fold_models = [[m for _, m in returned[c * n_splits:(c + 1) * n_splits]]
                       for c in range(len(params))]
        return out, [None if any(m is None for m in f) else f for f in fold_models]


__all__ = ["BaseBatch", "Evaluator"]
