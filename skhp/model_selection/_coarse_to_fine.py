"""CoarseToFineSearchCV: sample on the right scale, zoom in, round after round."""

import asyncio
import concurrent.futures
import os
import warnings
from numbers import Integral, Real

import joblib
import numpy as np
from sklearn.utils import check_random_state

from .._compat import BaseSearchCV, Interval, _fit_context, _yields_constant_splits
from .._interrupt import interrupt_stops_fits
from . import _checkpoint
from ._sharing import shared_with_workers
from ._space import _ENUMERATE_LIMIT, SearchSpace
from ._zoom import ZoomSampler, region_unit_bounds, round_sizes


# A round whose cluster lost work (a killed Dask worker, say) is run again
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


def _evaluate_surviving_lost_workers(evaluate_candidates, round_idx, candidates,
                                     **kwargs):
    """``evaluate_candidates``, re-run when the cluster loses work.

    ``BaseSearchCV``'s ``evaluate_candidates`` records nothing until all of a
    round's fits have returned, so running the round again neither loses nor
    duplicates candidates, and the fits (seeded) give the same results. A
    callback context takes each fit once, so the re-run reports no progress.
    """
    for attempt in range(_LOST_WORK_RETRIES + 1):
        try:
            return evaluate_candidates(candidates, **kwargs)
        except Exception as exc:
            if attempt == _LOST_WORK_RETRIES or not _lost_work(exc):
                raise
            kwargs["callback_ctx"] = None
            warnings.warn(
                f"The cluster lost work during round {round_idx} "
                f"({type(exc).__name__}: {exc}); running the round again.",
                UserWarning,
            )


class CoarseToFineSearchCV(BaseSearchCV):
    """Coarse-to-fine search over hyperparameters.

    The search practitioners run by hand on deep-learning models: a first round
    covers the whole space with a low-discrepancy (scrambled Sobol') design, each
    parameter in its own quantile space, so a :class:`~skhp.distributions.loguniform`
    learning rate is spread evenly over decades. Each later round zooms in around
    the best candidates so far (several regions at once when the scores say so),
    narrows categorical choices to those that did well, and keeps a share of
    every round exploring the whole space. Failed (NaN) candidates are ignored.

    ``n_iter`` is the total number of candidates over all rounds, as in
    :class:`~sklearn.model_selection.RandomizedSearchCV`; no candidate is
    evaluated twice.

    Parameters
    ----------
    estimator : estimator object
        An object of that type is instantiated for each candidate.

    param_distributions : dict or list of dicts
        Parameter names (``step__param`` in pipelines) mapped to lists of values,
        scipy distributions or :mod:`skhp.distributions`. Objects with only an
        ``rvs`` method are drawn at random and not zoomed. A list of dicts is
        searched as a union of sub-spaces.

    n_iter : int, default=60
        Number of candidates over all rounds. Fewer are evaluated, with a
        warning, only when the space runs out of distinct candidates.

    n_rounds : int, default=6
        Number of rounds. Round 0 gets the remainder of ``n_iter / n_rounds``.

    elite_fraction : float in (0, 1], default=0.15
        Share of the valid candidates so far that later rounds zoom around.

    explore_fraction : float in [0, 1], default=0.1
        Share of each later round that keeps sampling the whole space. ``1.0``
        makes the search a quasi-random search.

    zoom_factor : float in (0, 1], default=0.7
        Width of the zoomed regions in round ``r``, relative to the whole range
        of each parameter's quantile space, is ``zoom_factor ** r``.

    max_regions : int, default=3
        Most promising regions zoomed into at once.

    scoring : str, callable, list, tuple or dict, default=None
        As in :class:`~sklearn.model_selection.GridSearchCV`. With several
        metrics, rounds zoom on the ``refit`` metric when it is a name, else on
        the first metric.

    n_jobs : int, default=None
        Number of jobs to run in parallel. The candidates do not depend on it.

    refit : bool, str, or callable, default=True
        As in :class:`~sklearn.model_selection.GridSearchCV`.

    cv : int, cross-validation generator or an iterable, default=None
        As in :class:`~sklearn.model_selection.GridSearchCV`. With more than one
        round it must give the same folds every time (``KFold(shuffle=True)``
        needs an int ``random_state``), so that every round is scored on the
        same splits; a ``ValueError`` is raised otherwise.

    verbose : int, default=0
        Controls the verbosity; ``>= 1`` prints each round's regions.

    pre_dispatch : int or str, default='2*n_jobs'
        As in :class:`~sklearn.model_selection.GridSearchCV`.

    random_state : int, RandomState instance or None, default=None
        Seed of the designs and of the zoom. Pass an int for reproducible output.

    error_score : 'raise' or numeric, default=np.nan
        Score of a failed fit.

    return_train_score : bool, default=False
        Whether ``cv_results_`` includes training scores.

    warm_start : bool, default=False
        When True and the search was fitted before, round 0 re-evaluates the
        previous search's best candidates (at most half of round 0, best first)
        on the new data, next to a fresh design, instead of starting from
        scratch. Use it to re-tune when the data has changed. Candidates that
        are not in the current ``param_distributions`` (a value outside a
        narrowed range, a choice no longer listed) are left out.

    checkpoint : str or path-like, default=None
        File rewritten (atomically) after each round. If it exists when ``fit``
        starts and belongs to this very search (same estimator, space, budget,
        random_state, scoring, cv and data), the completed rounds are restored
        instead of re-run; otherwise a ``ValueError`` is raised. Its folder
        must exist and be writable (an ``OSError`` is raised before any fit
        otherwise). A checkpoint holds pickles: load only files you trust.
        Ctrl-C (``KeyboardInterrupt``) stops the search, even inside a
        network's ``fit``, and leaves the checkpoint of the last complete round.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in :class:`~sklearn.model_selection.GridSearchCV`, with a ``round``
        column (0 for the first round).

    best_estimator_ : estimator
        Estimator refitted on the whole data with the best parameters. Only
        available when ``refit`` is not False.

    best_score_ : float
        Mean cross-validated score of the best candidate.

    best_params_ : dict
        Parameter setting of the best candidate.

    best_index_ : int
        Index in ``cv_results_`` of the best candidate.

    scorer_ : function or a dict
        Scorer function(s) used on held out data.

    n_splits_ : int
        Number of cross-validation splits.

    refit_time_ : float
        Seconds used to refit the best model.

    multimetric_ : bool
        Whether the scorers compute several metrics.

    n_rounds_ : int
        Number of rounds run (including rounds restored from a checkpoint).

    n_candidates_ : list of int
        Number of candidates evaluated in each round.

    rounds_ : list of dict
        One dict per round: ``round``, ``n_candidates``, ``width`` (region width
        in quantile space, 1.0 for a whole-space round) and ``regions``, a list
        of dicts with the region's ``center`` (the parameters of its best
        candidate), ``n_elites``, ``n_candidates`` and ``bounds`` (the
        ``(low, high)`` values each scalar numeric parameter was sampled in:
        two standard deviations of the sampling kernel, which is a quarter of
        ``width``, on either side of the region's elites, in quantile space).

    n_restored_rounds_ : int
        Rounds restored from ``checkpoint`` rather than evaluated.

    n_features_in_ : int
        Number of features seen during fit. Only with ``refit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Only with ``refit``.

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : Independent random candidates.
    sklearn.model_selection.HalvingRandomSearchCV : Successive halving.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skhp import CoarseToFineSearchCV, loguniform
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = CoarseToFineSearchCV(
    ...     Ridge(), {"alpha": loguniform(1e-4, 1e3)},
    ...     n_iter=12, n_rounds=3, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> search.n_candidates_
    [4, 4, 4]
    >>> search.cv_results_["round"].tolist()
    [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    >>> bool(search.best_score_ > 0.4)
    True
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "elite_fraction": [Interval(Real, 0, 1, closed="right")],
        "explore_fraction": [Interval(Real, 0, 1, closed="both")],
        "zoom_factor": [Interval(Real, 0, 1, closed="right")],
        "max_regions": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "checkpoint": [str, os.PathLike, None],
    }

    # Extra ZoomSampler options; benchmarks/search_quality.py overrides it in
    # subclasses to measure the designs that lost.
    _sampler_options: dict = {}

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=60,
        n_rounds=6,
        elite_fraction=0.15,
        explore_fraction=0.1,
        zoom_factor=0.7,
        max_regions=3,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        warm_start=False,
        checkpoint=None,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.n_rounds = n_rounds
        self.elite_fraction = elite_fraction
        self.explore_fraction = explore_fraction
        self.zoom_factor = zoom_factor
        self.max_regions = max_regions
        self.random_state = random_state
        self.warm_start = warm_start
        self.checkpoint = checkpoint
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    # BaseSearchCV sends the search itself to every task (scikit-learn >= 1.9
    # passes it to the callbacks as ``caller``), so a pickled search must not
    # carry what fit keeps on it (X, the rounds so far) and, while the rounds
    # run, the results of an earlier fit: a re-tune would send the last refitted
    # network and cv_results_ with every batch.
    _in_fit_attributes = ("_fit_inputs", "_ledger")
    # Set once the rounds are over, by _run_search and then BaseSearchCV.fit.
    _results_of_a_fit = (
        "rounds_", "n_candidates_", "n_rounds_", "cv_results_", "multimetric_",
        "best_index_", "best_score_", "best_params_", "best_estimator_",
        "refit_time_", "feature_names_in_", "scorer_",
    )

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object's is __dict__ itself
        ledger = state.get("_ledger")
        if ledger is not None and ledger["rounds_running"]:
            for name in self._results_of_a_fit:
                state.pop(name, None)
        for name in self._in_fit_attributes:
            state.pop(name, None)
        return state

    @_fit_context(
        # CoarseToFineSearchCV.estimator is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, **params):
        """Run the rounds of the search, then refit the best candidate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Target; None for unsupervised learning.

        **params : dict of str -> object
            Parameters passed to the ``fit`` method of the estimator, the scorer
            and the CV splitter (e.g. ``groups``).

        Returns
        -------
        self : object
            Fitted search.
        """
        # Checked before any fit, not when the first round ends.
        if self.checkpoint is not None:
            _checkpoint.check_writable(self.checkpoint)
        # Kept for the checkpoint fingerprint only; dropped once fit is done.
        self._fit_inputs = (X, y, params)
        self._ledger = None
        try:
            # X goes to the workers once, not with every batch of tasks. Ctrl-C
            # in a fit stops the search (a network would otherwise end its
            # training early and have the truncated fit scored).
            with (
                shared_with_workers(X, self.n_jobs) as X_for_tasks,
                interrupt_stops_fits(),
            ):
                super().fit(X_for_tasks, y, **params)
            return self
        finally:
            del self._fit_inputs
            self._ledger = None

    def _check_cv_gives_constant_splits(self, cv):
        """Refuse a cv whose folds change from one call of ``split`` to the next.

        Every round splits the data again (BaseSearchCV calls ``split`` for each
        batch of candidates), and candidates scored on different folds cannot be
        ranked against each other. Computing the folds once and reusing them
        would hide the problem only within one process: a checkpoint resumed in
        another would score its rounds on other folds under the same
        fingerprint. So, as scikit-learn's successive halving does, the search
        asks for a seeded cv.

        ``cv`` is BaseSearchCV's checked cv, in which a generator of splits has
        already become a list (checking ``self.cv`` again would use it up).
        """
        if len(round_sizes(self.n_iter, self.n_rounds)) < 2:
            return  # one round: split is called once
        if not _yields_constant_splits(cv):
            raise ValueError(
                f"The cv parameter ({cv!r}) gives different folds each time its "
                "split is called, so the rounds of CoarseToFineSearchCV would be "
                "scored on different folds and could not be ranked together. Set "
                "its random_state to an int, or set shuffle=False."
            )

    # -- BaseSearchCV hooks ---------------------------------------------------
    # BaseSearchCV keeps its own list of evaluated candidates, but rounds restored
    # from a checkpoint and rounds in which every fit failed (BaseSearchCV raises
    # for those) never go through it. The search keeps a ledger of all rounds and
    # formats cv_results_ from it, taking only the newest round from BaseSearchCV.
    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        ledger = getattr(self, "_ledger", None)
        if ledger is None:
            return super()._format_results(candidate_params, n_splits, out, more_results)
        n_new = ledger["pending"]
        ledger["last_out"] = list(out[len(out) - n_new * n_splits :])
        # Before the last round only the scores are read (for the zoom), so the
        # param_* columns, most of the formatting time, are left out. If a
        # finite space ends the search early, _complete_last_results adds them.
        ledger["brief"] = ledger["pending_round"] < ledger["last_round"]
        ledger["last_results"] = self._format_ledger(
            n_splits,
            list(candidate_params)[len(candidate_params) - n_new :],
            ledger["last_out"],
            [ledger["pending_round"]] * n_new,
            brief=ledger["brief"],
        )
        return ledger["last_results"]

    def _format_ledger(self, n_splits, params=(), out=(), rounds=(), brief=False):
        """cv_results_ of every candidate so far; ``brief`` leaves out param_*."""
        ledger = self._ledger
        params = ledger["params"] + list(params)
        results = super()._format_results(
            [{}] * len(params) if brief else params,
            n_splits,
            ledger["out"] + list(out),
            {"round": ledger["round"] + list(rounds)},
        )
        results["params"] = params
        return results

    def _complete_last_results(self):
        """Make the results BaseSearchCV took last whole, in place.

        BaseSearchCV reads the results of its last ``evaluate_candidates`` call
        after the rounds: for best_index_, a callable refit, cv_results_ and the
        callbacks at the end of fit. They lack the param_* columns if a finite
        space ran out before the last round, and the rows of trailing rounds in
        which every fit failed (BaseSearchCV raised for those). Those rows are
        appended with NaN scores, so best_index_ is unchanged.
        """
        ledger = self._ledger
        results = ledger["last_results"]
        appended = len(ledger["params"]) > len(results["params"])
        if not (ledger["brief"] or appended):
            return
        with warnings.catch_warnings():
            if not appended:
                # The same scores were formatted, and warned about, already.
                warnings.filterwarnings(
                    "ignore", message="One or more of the", category=UserWarning
                )
            whole = self._format_ledger(self.n_splits_)
        results.clear()
        results.update(whole)

    def _failed_round_out(self, n_fits, message):
        """What _fit_and_score returns for failed fits, for a round BaseSearchCV
        refused because every fit failed."""
        outs = self._ledger["out"]
        if outs and isinstance(outs[0]["test_scores"], dict):
            names = list(outs[0]["test_scores"])
        elif isinstance(self.scoring, dict):
            names = list(self.scoring)
        elif isinstance(self.scoring, (list, tuple, set)):
            names = list(self.scoring)
        else:
            names = None
        score = (
            self.error_score if names is None else {n: self.error_score for n in names}
        )
        failed = {
            "fit_error": message,
            "test_scores": score,
            "n_test_samples": 0,
            "fit_time": 0.0,
            "score_time": 0.0,
        }
        if self.return_train_score:
            failed["train_scores"] = score
        return [dict(failed) for _ in range(n_fits)]

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Evaluate the rounds, each zooming on the results of the earlier ones."""
        # Before any fit: BaseSearchCV calls this once it has checked cv.
        self._check_cv_gives_constant_splits(self._checked_cv_orig)
        space = SearchSpace(self.param_distributions)
        sizes = round_sizes(self.n_iter, self.n_rounds)
        rng = check_random_state(self.random_state)
        rng_fingerprint = (
            self.random_state
            if self.random_state is None or isinstance(self.random_state, Integral)
            else joblib.hash(rng.get_state())
        )
        seed = int(rng.randint(np.iinfo(np.int32).max))
        seeds = self._warm_start_seeds(space, sizes[0])

        restored_rounds = []
        fingerprint = None
        if self.checkpoint is not None:
            fingerprint = self._fingerprint(rng_fingerprint, seeds)
            loaded = _checkpoint.load(self.checkpoint, fingerprint)
            if loaded is not None:
                seed, restored_rounds = loaded
                # A checkpoint of a finished search: its last round is re-run so
                # that BaseSearchCV has something to evaluate.
                if len(restored_rounds) >= len(sizes):
                    restored_rounds = restored_rounds[: len(sizes) - 1]

        def restore(rounds):
            """A sampler, history and keys as they were after these rounds."""
            sampler = ZoomSampler(
                space,
                seed,
                elite_fraction=self.elite_fraction,
                explore_fraction=self.explore_fraction,
                zoom_factor=self.zoom_factor,
                max_regions=self.max_regions,
                **self._sampler_options,
            )
            history, seen = [], set()
            for rnd in rounds:
                for s, u, p, score in zip(
                    rnd["subspaces"], rnd["units"], rnd["params"], rnd["scores"]
                ):
                    history.append({"subspace": s, "u": u, "params": p, "score": score})
                    seen.add(space.subspaces[s].key(p, u))
                sampler.set_state(rnd["sampler_state"])
            return sampler, history, seen

        sampler, history, seen = restore(restored_rounds)
        if restored_rounds and len(restored_rounds) < len(sizes):
            # A finite space that ran out leaves nothing for the next round (the
            # sampler is a pure function of its state, so this draw is the one
            # the search would make). Its last round is re-run, as for a
            # finished search, so that BaseSearchCV has something to evaluate.
            n_done = len(restored_rounds)
            n_wanted = sum(sizes[: n_done + 1]) - len(history)
            if not sampler.propose(n_done, n_wanted, history, seen)[0]:
                restored_rounds = restored_rounds[:-1]
            sampler, history, seen = restore(restored_rounds)

        reports = [rnd["report"] for rnd in restored_rounds]
        n_candidates = [len(rnd["params"]) for rnd in restored_rounds]
        ledger = self._ledger = {
            "params": [], "out": [], "round": [], "pending": 0, "rounds_running": True,
            "last_round": len(sizes) - 1, "brief": False, "last_results": None,
        }
        for rnd in restored_rounds:
            ledger["params"].extend(rnd["params"])
            ledger["out"].extend(rnd["out"])
            ledger["round"].extend(rnd["more_results"]["round"])
        self.n_restored_rounds_ = len(restored_rounds)
        saved_rounds = list(restored_rounds)

        n_todo = len(sizes) - len(restored_rounds)
        search_ctx = None
        if callback_ctx is not None:
            search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=n_todo
            ).call_on_fit_task_begin(estimator=self)

        # Candidates the rounds so far fell short of (a finite space running out)
        deficit = sum(sizes[: len(restored_rounds)]) - len(history)
        any_success, all_failed_error = False, None
        for round_idx in range(len(restored_rounds), len(sizes)):
            n_wanted = sizes[round_idx] + deficit
            proposals, report = sampler.propose(
                round_idx, n_wanted, history, seen, seeds=seeds if round_idx == 0 else ()
            )
            if not proposals:  # a finite space ran out
                break
            deficit = n_wanted - len(proposals)
            candidates = [p for _, _, p in proposals]
            report = self._describe_round(space, report)
            if self.verbose > 0:
                print(
                    f"Round {round_idx}: {len(candidates)} candidates, "
                    f"{len(report['regions'])} region(s), width {report['width']:.3g}"
                )

            round_ctx = None
            if search_ctx is not None:
                round_ctx = search_ctx.subcontext(
                    task_name="coarse-to-fine-round",
                    max_subtasks=len(candidates) * self.n_splits_,
                    sequential_subtasks=False,
                ).call_on_fit_task_begin(estimator=self)
            ledger["pending"], ledger["pending_round"] = len(candidates), round_idx
            try:
                results = _evaluate_surviving_lost_workers(
                    evaluate_candidates,
                    round_idx,
                    candidates,
                    more_results={"round": [round_idx] * len(candidates)},
                    callback_ctx=round_ctx,
                )
            except ValueError as exc:
                # Every fit of the round failed. Keep the search going: the
                # round is recorded as failed and the next one zooms on the
                # earlier rounds (or explores, if there are none).
                if "fits failed" not in str(exc):
                    raise
                all_failed_error = exc
                ledger["last_out"] = self._failed_round_out(
                    len(candidates) * self.n_splits_, str(exc)
                )
                results = self._format_ledger(
                    self.n_splits_, candidates, ledger["last_out"], [round_idx] * len(candidates)
                )
            else:
                any_success = True
            if round_ctx is not None:
                round_ctx.call_on_fit_task_end(estimator=self)
            ledger["params"].extend(candidates)
            ledger["out"].extend(ledger["last_out"])
            ledger["round"].extend([round_idx] * len(candidates))

            scores = self._zoom_scores(results)[len(history):]
            for (s, u, p), score in zip(proposals, scores):
                history.append({"subspace": s, "u": u, "params": p, "score": float(score)})
                seen.add(space.subspaces[s].key(p, u))
            reports.append(report)
            n_candidates.append(len(candidates))

            if self.checkpoint is not None:
                saved_rounds.append(
                    {
                        "params": candidates,
                        "subspaces": [s for s, _, _ in proposals],
                        "units": [u for _, u, _ in proposals],
                        "scores": [float(v) for v in scores],
                        "out": ledger["last_out"],
                        "more_results": {"round": [round_idx] * len(candidates)},
                        "report": report,
                        "sampler_state": sampler.get_state(),
                    }
                )
                _checkpoint.save(self.checkpoint, fingerprint, seed, saved_rounds)

        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=self)
        if not any_success:
            # As in RandomizedSearchCV: a search in which every fit failed raises.
            raise all_failed_error
        self._warn_if_short(space, len(ledger["params"]))
        self._complete_last_results()
        ledger["rounds_running"] = False
        self.rounds_ = reports
        self.n_candidates_ = n_candidates
        self.n_rounds_ = len(reports)

    # -- helpers ----------------------------------------------------------------
    def _warn_if_short(self, space, n_evaluated):
        """Say why fewer than ``n_iter`` candidates were evaluated, if they were."""
        if n_evaluated >= self.n_iter:
            return
        if space.size is not None and space.size <= _ENUMERATE_LIMIT:
            # A small finite space is enumerated once draws run dry: all of it
            # was evaluated (as RandomizedSearchCV's ParameterSampler warns).
            reason = (
                f"the parameter space holds only {n_evaluated} distinct "
                "candidates. For exhaustive searches, use GridSearchCV."
            )
        else:
            reason = (
                "repeated draws from the parameter space gave no new distinct "
                "candidate: its discrete parameters put nearly all of their "
                "probability on fewer combinations than n_iter. Widen them or "
                "lower n_iter."
            )
        warnings.warn(
            f"Only {n_evaluated} of n_iter={self.n_iter} candidates were "
            f"evaluated: {reason}",
            UserWarning,
        )

    def _zoom_scores(self, results):
        """The scores the zoom follows (higher is better, NaN for failures)."""
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            key = f"mean_test_{self.refit}"
        elif "mean_test_score" in results:
            key = "mean_test_score"
        else:
            key = next(k for k in results if k.startswith("mean_test_"))
        return np.asarray(results[key], dtype=float)

    def _warm_start_seeds(self, space, first_round_size):
        """The previous fit's best candidates that lie in the current space."""
        if not self.warm_start or not hasattr(self, "cv_results_"):
            return []
        previous = self.cv_results_
        scores = self._zoom_scores(previous)
        order = np.argsort(np.where(np.isnan(scores), -np.inf, -scores), kind="stable")
        seeds = []
        for i in order:
            if not np.isfinite(scores[i]):
                break
            # None for a candidate outside the current space (to_unit refuses
            # values a distribution does not draw, rather than clamping them).
            located = space.locate(previous["params"][i])
            if located is not None:
                seeds.append(located)
            if len(seeds) >= max(1, first_round_size // 2):
                break
        return seeds

    def _fingerprint(self, rng_fingerprint, seeds):
        X, y, params = self._fit_inputs
        return _checkpoint.fingerprint(
            estimator=joblib.hash(self.estimator),
            space=_checkpoint.describe_space(self.param_distributions),
            budget=(self.n_iter, self.n_rounds),
            zoom=(self.elite_fraction, self.explore_fraction, self.zoom_factor, self.max_regions),
            random_state=rng_fingerprint,
            scoring=joblib.hash(self.scoring),
            refit=self.refit if isinstance(self.refit, (bool, str)) else joblib.hash(self.refit),
            errors=(repr(self.error_score), self.return_train_score),
            cv=joblib.hash(self._checked_cv_orig),
            data=(joblib.hash(X), joblib.hash(y), joblib.hash(params)),
            warm_start=joblib.hash([(s, np.round(u, 12)) for s, u in seeds]),
        )

    def _describe_round(self, space, report):
        """Public, picklable description of a round's regions."""
        regions = []
        for region in report["regions"]:
            sub = space.subspaces[region["subspace"]]
            members = np.array([m["u"] for m in region["members"]])
            bounds = {}
            for dim in sub.dims:
                if dim.kind != "num" or dim.n_units != 1:
                    continue
                col = sub.slices[dim.name].start
                lo, hi = region_unit_bounds(members[:, col], report["width"])
                low, high = dim.from_unit(np.array([[lo], [hi]]))
                bounds[dim.name] = (low, high)
            regions.append(
                {
                    "center": dict(region["members"][0]["params"]),
                    "n_elites": len(members),
                    "n_candidates": region.get("n_candidates", 0),
                    "bounds": bounds,
                }
            )
        return {
            "round": report["round"],
            "n_candidates": report["n_candidates"],
            "width": report["width"],
            "regions": regions,
        }

