"""CoarseToFineSearchCV: sample on the right scale, zoom in, round after round."""

import os
import warnings
from numbers import Integral, Real

import joblib
import numpy as np

from sklearn.base import is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state

from .._compat import (
    BaseSearchCV,
    Interval,
    StrOptions,
    _fit_context,
    _yields_constant_splits,
    checked_cv,
    num_samples,
)
from .._dask_submit import dask_submit_reports_errors
from .._interrupt import interrupt_stops_fits
from . import _checkpoint
from ._resources import (
    CALIBRATION_SAMPLE,
    MIN_CALIBRATION_CANDIDATES,
    ResourceSchedule,
    calibrate_pruning,
    calibration_can_prune,
    rung_resources,
)
from ._rounds import _rank_rows_by_rung, zoom_column
from ._search_run import SearchRun
from ._sharing import shared_with_workers
from ._space import _ENUMERATE_LIMIT, SearchSpace
from ._zoom import ZoomSampler, region_unit_bounds, resolve_rounds


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

    n_rounds : int or "auto", default="auto"
        Number of rounds. Round 0 gets the remainder of ``n_iter / n_rounds``.
        ``"auto"``: without a ``resource``, rounds of 5 candidates
        (``n_iter // 5`` rounds, 12 at the default ``n_iter``), where more and
        smaller zoom steps find better candidates, but at least 6 rounds; 6
        rounds with a ``resource``, so that each rung has candidates to halve.

    elite_fraction : float in (0, 1], default=0.15
        Share of the valid candidates so far that later rounds zoom around.

    explore_fraction : float in [0, 1], default=0.1
        Share of each later round that keeps sampling the whole space. ``1.0``
        makes the search a quasi-random search.

    zoom_factor : float in (0, 1] or "auto", default="auto"
        Width of the zoomed regions in round ``r``, relative to the whole range
        of each parameter's quantile space, is ``zoom_factor ** r``.
        ``"auto"``: with ``n_rounds="auto"``, the factor that makes the last
        round as narrow as round 5 at 0.7 (``0.7 ** 5``, about a sixth of each
        range; 0.85 over 12 rounds, 0.7 over 6); with a number of rounds
        given, 0.7.

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

    resource : str, default=None
        None: every candidate trains on all the data with the estimator's
        parameters. Else each round runs successive halving, as
        :class:`~sklearn.model_selection.HalvingRandomSearchCV` does: its
        candidates start at a low resource and only the best ``1 / factor`` of
        each rung (by the ``refit`` metric) move on, up to ``max_resources``
        (once the rung has shown that it ranks them well, with
        ``min_rank_correlation``).
        ``"n_samples"`` subsamples the training (and test) folds; the name of
        an integer parameter (``"max_iter"``, ``"n_estimators"``,
        ``"step__param"`` in a pipeline) sets it. Where continuing gives the
        model a straight fit gives, a promoted candidate's fold models are
        trained on from the previous rung instead of retrained; they are kept
        in memory between rungs, and the search's very last rung is trained
        straight. The estimator that owns the resource says whether it can,
        through ``__skhp_continuation__(parameter)``, which returns the
        parameters that make a fitted model go on (or None): skhp's networks
        continue ``max_iter`` through ``warm_start="continue"`` unless they
        use L-BFGS, early stopping or the ``"cosine"`` schedule. scikit-learn's
        ensembles with ``warm_start`` add ``n_estimators`` unless early
        stopping (``n_iter_no_change``) would stop a continued fit at another
        stage. Every other estimator is refitted at each rung. The zoom ranks
        candidates that reached a higher rung above those stopped below it,
        and by score within a rung.

    min_resources : {"exhaust", "smallest"} or int, default="exhaust"
        The least resource of a first rung. ``"smallest"`` (and
        ``"exhaust"``): 1 for a parameter; for ``"n_samples"``, 2 rows per
        fold (per fold and class for a classifier). The rungs are anchored at
        ``max_resources`` (rung ``k`` of ``K + 1`` gets ``max_resources //
        factor ** (K - k)``), with as many rungs as ``min_resources`` and the
        round's candidates allow, as ``min_resources="exhaust"`` does in
        ``HalvingRandomSearchCV``.

    max_resources : int or "auto", default="auto"
        The resource of the last rung; ``"auto"``: the number of samples, or
        the estimator's value of the resource parameter.

    factor : float > 1, default=3
        One candidate in ``factor`` (rounded up) moves on at each rung, and
        each rung has ``factor`` times the resource of the one below.

    min_rank_correlation : float in [-1, 1] or None, default=0.6
        With a ``resource``, whether the rungs must first show that they rank
        candidates as ``max_resources`` does. A float: until some rung has
        been measured, each round's first 6 candidates (the calibration
        sample) are scored at every rung on their way to ``max_resources``
        whatever their scores, while the others prune as successive halving
        does. Once the sample's Spearman correlation between a rung's scores
        and those at ``max_resources`` has been measured (over at least 5
        candidates), the rungs that reach ``min_rank_correlation`` keep their
        best ``1 / factor`` in the later rounds; if none does, no rung
        prunes, and every candidate trains to ``max_resources`` as without a
        resource (and is evidence, so that a rung may still qualify). Where a
        few epochs favour other candidates than the full epochs (short-horizon
        bias), the search then stops training the best ones early only in
        its first round. ``rung_rank_correlations_`` reports what was
        measured. None: every rung prunes from the first round, as successive
        halving does. The default, 0.6, is what ``skhp tune`` runs. On the
        learning-curve race of ``benchmarks/curves`` (``docs/search_benchmarks.md``),
        ``skhp tune``'s default with the sample (120 candidates in 8 rounds)
        was the lowest or tied on 42 of 48 budget points, 60 in 4 rounds on
        40, the earlier one with a whole first round trained to the top (30
        in 3) on 27; at 60 candidates, samples of 10 or the whole round did
        no better than 6.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in :class:`~sklearn.model_selection.GridSearchCV`, with a ``round``
        column (0 for the first round), an ``origin`` column saying where each
        candidate came from (``"design"``: round 0's whole-space design;
        ``"warm start"``: a previous fit's best; ``"region"``: drawn in a zoom
        region; ``"exploration"``: drawn from the whole space in a later round;
        ``"swap"``: the best so far with one categorical value changed;
        ``"enumerated"``: the rest of a small finite space) and a ``region``
        column (the index of a region candidate's region in its round's
        ``rounds_[r]["regions"]``, -1 for the others). With a ``resource``, one row per
        candidate and rung, with ``rung`` and ``n_resources`` columns (the
        resource parameter is in ``params``), as ``HalvingRandomSearchCV``
        reports ``iter`` and ``n_resources``.

    best_estimator_ : estimator
        Estimator refitted on the whole data with the best parameters. Only
        available when ``refit`` is not False.

    best_score_ : float
        Mean cross-validated score of the best candidate (with a ``resource``,
        the best at ``max_resources``: the best and the refit come only from
        candidates evaluated there).

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

    n_resources_ : list of int
        With a ``resource``: the resource of each rung (the same in every
        round).

    n_rung_candidates_ : list of list of int
        With a ``resource``: per round, the number of candidates evaluated at
        each rung.

    rung_rank_correlations_ : list of float
        With a ``resource`` and ``min_rank_correlation``: per rung below
        ``max_resources``, the Spearman correlation of its scores with those
        at ``max_resources`` over the candidates that went there whatever
        their scores (the calibration samples, and every candidate of a round
        that pruned nothing), until a rung agreed (NaN where fewer than 5
        candidates were scored at both).

    rounds_ : list of dict
        One dict per round: ``round``, ``n_candidates``, ``width`` (region width
        in quantile space, 1.0 for a whole-space round) and ``regions``, a list
        of dicts with the region's ``center`` (the parameters of its best
        candidate), ``n_elites``, ``n_candidates`` and ``bounds`` (the
        ``(low, high)`` values each scalar numeric parameter was sampled in:
        two standard deviations of the sampling kernel, which is a quarter of
        ``width``, on either side of the region's elites, in quantile space,
        widened to hold every candidate drawn in the region).

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
        "n_rounds": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "elite_fraction": [Interval(Real, 0, 1, closed="right")],
        "explore_fraction": [Interval(Real, 0, 1, closed="both")],
        "zoom_factor": [Interval(Real, 0, 1, closed="right"), StrOptions({"auto"})],
        "max_regions": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "checkpoint": [str, os.PathLike, None],
        "resource": [str, None],
        "min_resources": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"exhaust", "smallest"}),
        ],
        "max_resources": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "factor": [Interval(Real, 1, None, closed="neither")],
        "min_rank_correlation": [Interval(Real, -1, 1, closed="both"), None],
    }

    # The zoom; benchmarks/search_quality.py sets subclasses of it from
    # benchmarks/_zoom_variants.py to measure the designs that lost.
    _sampler_class = ZoomSampler

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=60,
        n_rounds="auto",
        elite_fraction=0.15,
        explore_fraction=0.1,
        zoom_factor="auto",
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
        resource=None,
        min_resources="exhaust",
        max_resources="auto",
        factor=3,
        min_rank_correlation=0.6,
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
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
        self.min_rank_correlation = min_rank_correlation
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
    _in_fit_attributes = (
        "_fit_inputs", "_task_X", "_rounds_running", "_batch",
    )
    # Set once the rounds are over, by _run_search and then BaseSearchCV.fit.
    _results_of_a_fit = (
        "rounds_", "n_candidates_", "n_rounds_", "cv_results_", "multimetric_",
        "best_index_", "best_score_", "best_params_", "best_estimator_",
        "refit_time_", "feature_names_in_", "scorer_", "n_resources_",
        "n_rung_candidates_", "rung_rank_correlations_",
    )

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object's is __dict__ itself
        if state.get("_rounds_running"):
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
        # Set only by a search with a resource (and a calibration): a refit with
        # other settings must not keep the previous fit's.
        for name in ("n_resources_", "n_rung_candidates_", "rung_rank_correlations_"):
            self.__dict__.pop(name, None)
        # Kept for the checkpoint fingerprint only; dropped once fit is done.
        self._fit_inputs = (X, y, params)
        self._rounds_running, self._batch = True, None
        try:
            # X goes to the workers once, not with every batch of tasks. Ctrl-C
            # in a fit stops the search (a network would otherwise end its
            # training early and have the truncated fit scored).
            with (
                shared_with_workers(X, self.n_jobs) as X_for_tasks,
                interrupt_stops_fits(),
                # on Dask, a batch lost with a killed worker is run again,
                # not waited on for ever
                dask_submit_reports_errors(),
            ):
                self._task_X = X_for_tasks
                super().fit(X_for_tasks, y, **params)
            return self
        finally:
            del self._fit_inputs
            self._rounds_running = self._batch = self._task_X = None

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
        if len(self._rounds().sizes) < 2:
            return  # one round: split is called once
        if not _yields_constant_splits(cv):
            raise ValueError(
                f"The cv parameter ({cv!r}) gives different folds each time its "
                "split is called, so the rounds of CoarseToFineSearchCV would be "
                "scored on different folds and could not be ranked together. Set "
                "its random_state to an int, or set shuffle=False."
            )

    # -- BaseSearchCV hooks ---------------------------------------------------
    # BaseSearchCV formats each batch it evaluates with the rows it has seen
    # itself; the search's rows are in its rounds (restored from a checkpoint,
    # fitted by the search itself, or failed). While a batch is in its hands,
    # ``_batch`` (a BaseBatch) formats them all, and keeps the batch's raw
    # results for the round: scikit-learn gives them to no other method.
    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        batch = getattr(self, "_batch", None)
        if batch is None:
            return _rank_rows_by_rung(
                super()._format_results(candidate_params, n_splits, out, more_results)
            )
        return batch.format(self, candidate_params, n_splits, out)

    def _select_best_index(self, refit, refit_metric, results):
        """The best row at ``max_resources``: a candidate stopped at a lower
        rung was scored on less and is never the best (as in
        ``HalvingRandomSearchCV``, whose best comes from its last iteration)."""
        if callable(refit) or "n_resources" not in results:
            return super()._select_best_index(refit, refit_metric, results)
        top = np.flatnonzero(results["n_resources"] == np.max(results["n_resources"]))
        ranks = np.asarray(results[f"rank_test_{refit_metric}"])[top]
        return int(top[np.argmin(ranks)])

    # -- the run ----------------------------------------------------------------
    def rung_plan(self, X, y=None, groups=None):
        """The resource of each rung that ``fit(X, y)`` would run, without fitting.

        What a caller needs to plan the search's work beforehand (``skhp
        tune``'s header and time estimate ask it), worked out by the rule
        ``fit`` follows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
        groups : array-like of shape (n_samples,), default=None
            Group labels, for a cv splitter that needs them.

        Returns
        -------
        resources : list of int or None
            Each rung's resource, the last one ``max_resources``; None
            without a ``resource`` (every fit is a full one).
        """
        self._validate_params()
        space = SearchSpace(self.param_distributions)
        sizes = self._rounds().sizes
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        n_splits = cv.get_n_splits(X, y, groups)
        schedule = self._resource_schedule(space, sizes, X, y, n_splits)
        return None if schedule is None else schedule.resources

    def _resource_schedule(self, space, sizes, X, y, n_splits):
        """The rungs of every round, or None without a resource."""
        if self.resource is None:
            return None
        n_samples = num_samples(X)
        if self.resource == "n_samples":
            max_resources = n_samples if self.max_resources == "auto" else self.max_resources
            smallest = 2 * n_splits
            if is_classifier(self.estimator) and y is not None:
                smallest *= len(np.unique(np.asarray(y)))
        else:
            params = self.estimator.get_params(deep=True)
            if self.resource not in params:
                # a step's parameter in a pipeline is named step__param
                nested = [k for k in params if k.endswith("__" + self.resource)]
                hint = f" Did you mean {nested[0]!r}?" if nested else ""
                raise ValueError(
                    f"resource={self.resource!r} is neither 'n_samples' nor a "
                    f"parameter of {type(self.estimator).__name__}.{hint}"
                )
            if any(self.resource in sub.slices for sub in space.subspaces):
                raise ValueError(
                    f"Cannot use parameter {self.resource!r} as the resource since "
                    "it is part of the searched parameters."
                )
            max_resources = self.max_resources
            if max_resources == "auto":
                max_resources = params[self.resource]
                if not isinstance(max_resources, Integral) or max_resources < 1:
                    raise ValueError(
                        f"max_resources='auto' takes the estimator's "
                        f"{self.resource}={max_resources!r}, which is not a "
                        "positive integer: set max_resources."
                    )
            smallest = 1
        min_resources = smallest if isinstance(self.min_resources, str) else self.min_resources
        resources = rung_resources(min_resources, max_resources, self.factor, max(sizes))
        if self.resource == "n_samples" and max_resources > n_samples:
            raise ValueError(
                f"max_resources ({max_resources}) is more than the {n_samples} "
                "samples of the data."
            )
        return ResourceSchedule(self.resource, resources, self.factor, n_samples)

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Evaluate the rounds, each zooming on the results of the earlier ones."""
        # Before any fit: BaseSearchCV calls this once it has checked cv.
        self._check_cv_gives_constant_splits(checked_cv(self))
        space = SearchSpace(self.param_distributions)
        rounds = self._rounds()
        sizes = rounds.sizes
        X, y, _ = self._fit_inputs
        schedule = self._resource_schedule(space, sizes, X, y, self.n_splits_)
        self._warn_if_rungs_cannot_prune(schedule, sizes)
        seed, seeds, fingerprint, restored = self._start(space, sizes)
        run = SearchRun(self, evaluate_candidates, space, rounds, schedule, seed,
                        fingerprint)
        partial = run.restore(restored)
        self.n_restored_rounds_ = len(run.rounds)
        search_ctx = self._search_context(callback_ctx, schedule,
                                          len(sizes) - len(run.rounds))
        # Candidates the rounds so far fell short of (a finite space running out)
        deficit = sum(sizes[: len(run.rounds)]) - len(run.history)
        for round_idx in range(len(run.rounds), len(sizes)):
            rnd, partial = partial, None
            if rnd is None:
                n_wanted = sizes[round_idx] + deficit
                rnd = run.propose(round_idx, n_wanted, seeds if round_idx == 0 else ())
                if rnd is None:  # a finite space ran out
                    break
                deficit = n_wanted - len(rnd.params)
            if self.verbose > 0:
                print(f"Round {round_idx}: {len(rnd.params)} candidates, "
                      f"{len(rnd.report['regions'])} region(s), "
                      f"width {rnd.report['width']:.3g}")
            run.run_round(rnd, round_idx, search_ctx)
        run.check_outcome()
        run.hand_over()
        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=self)
        self._warn_if_short(space, len(run.history))
        self._rounds_running = False
        self._publish(run)

    def _publish(self, run):
        """Set the attributes of the rounds ``run`` ran or restored."""
        schedule = run.schedule
        self.rounds_ = [rnd.report for rnd in run.rounds]
        self.n_candidates_ = [len(rnd.params) for rnd in run.rounds]
        self.n_rounds_ = len(run.rounds)
        if schedule is not None:
            self.n_resources_ = list(schedule.resources)
            self.n_rung_candidates_ = [rnd.n_rung_candidates() for rnd in run.rounds]
            if self.min_rank_correlation is not None:
                self.rung_rank_correlations_ = calibrate_pruning(
                    run.rounds, schedule.n_rungs, self.min_rank_correlation
                ).correlations

    def _warn_if_rungs_cannot_prune(self, schedule, sizes):
        """Say so when the calibration can never judge a rung."""
        if (
            schedule is not None
            and schedule.n_rungs > 1
            and self.min_rank_correlation is not None
            and not calibration_can_prune(sizes)
        ):
            warnings.warn(
                f"min_rank_correlation={self.min_rank_correlation} prunes a round "
                f"of more than {CALIBRATION_SAMPLE} candidates (all but its "
                f"calibration sample), or once {MIN_CALIBRATION_CANDIDATES} "
                "candidates in the rounds before the last have judged the rungs; "
                f"these rounds have {sizes}: no rung prunes, and every candidate "
                "trains to max_resources. Give more rounds or candidates, or set "
                "min_rank_correlation=None.",
                UserWarning,
            )

    def _start(self, space, sizes):
        """The sampler's seed, the warm-start seeds, the checkpoint's
        fingerprint and the rounds it holds (a list of Round)."""
        rng = check_random_state(self.random_state)
        rng_fingerprint = (
            self.random_state
            if self.random_state is None or isinstance(self.random_state, Integral)
            else joblib.hash(rng.get_state())
        )
        seed = int(rng.randint(np.iinfo(np.int32).max))
        seeds = self._warm_start_seeds(space, sizes[0])
        if self.checkpoint is None:
            return seed, seeds, None, []
        fingerprint = self._fingerprint(rng_fingerprint, seeds)
        loaded = _checkpoint.load(self.checkpoint, fingerprint)
        if loaded is None:
            return seed, seeds, fingerprint, []
        seed, restored = loaded
        return seed, seeds, fingerprint, list(restored)

    def _search_context(self, callback_ctx, schedule, n_todo):
        """The callback context of the rounds to run, None without callbacks."""
        if callback_ctx is None:
            return None
        n_rungs = 1 if schedule is None else schedule.n_rungs
        return callback_ctx.subcontext(
            task_name="search", max_subtasks=n_todo * n_rungs
        ).call_on_fit_task_begin(estimator=self, metadata={"rungs_per_round": n_rungs})

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
        return np.asarray(results[zoom_column(results, self.refit)], dtype=float)

    def _warm_start_seeds(self, space, first_round_size):
        """The previous fit's best candidates that lie in the current space."""
        if not self.warm_start or not hasattr(self, "cv_results_"):
            return []
        previous = self.cv_results_
        scores = self._zoom_scores(previous)
        if "n_resources" in previous:
            # Only candidates scored on the whole resource rank against each other.
            top = previous["n_resources"] == np.max(previous["n_resources"])
            scores = np.where(top, scores, np.nan)
        # best first, failed (NaN) candidates last
        order = np.argsort(np.where(np.isnan(scores), np.inf, -scores), kind="stable")
        seeds = []
        for i in order:
            if not np.isfinite(scores[i]):
                break
            params = previous["params"][i]
            if "n_resources" in previous:
                # the resource was set by the rung, not drawn from the space
                params = {k: v for k, v in params.items() if k != self.resource}
            # None for a candidate outside the current space (to_unit refuses
            # values a distribution does not draw, rather than clamping them).
            located = space.locate(params)
            if located is not None:
                seeds.append(located)
            if len(seeds) >= max(1, first_round_size // 2):
                break
        return seeds

    def _rounds(self):
        """The number of rounds, the candidates of each and the zoom factor,
        "auto" resolved (:func:`~skhp.model_selection._zoom.resolve_rounds`)."""
        return resolve_rounds(self.n_iter, self.n_rounds, self.zoom_factor, self.resource)

    def _fingerprint(self, rng_fingerprint, seeds):
        X, y, params = self._fit_inputs
        rounds = self._rounds()
        return _checkpoint.fingerprint(
            estimator=joblib.hash(self.estimator),
            space=_checkpoint.describe_space(self.param_distributions),
            # "auto" as it resolves: a default search of 34 candidates or
            # fewer, or with a resource, keeps the fingerprint of the 6
            # rounds at 0.7 it ran before "auto"
            budget=(self.n_iter, rounds.n_rounds),
            resource=(self.resource, self.min_resources, self.max_resources, self.factor)
            # (checkpoints written before the calibration existed stay valid)
            + (() if self.min_rank_correlation is None else (self.min_rank_correlation,)),
            zoom=(self.elite_fraction, self.explore_fraction, rounds.zoom_factor,
                  self.max_regions),
            random_state=rng_fingerprint,
            scoring=joblib.hash(self.scoring),
            refit=self.refit if isinstance(self.refit, (bool, str)) else joblib.hash(self.refit),
            errors=(repr(self.error_score), self.return_train_score),
            cv=joblib.hash(checked_cv(self)),
            data=(joblib.hash(X), joblib.hash(y), joblib.hash(params)),
            warm_start=joblib.hash([(s, np.round(u, 12)) for s, u in seeds]),
        )

    def _describe_round(self, space, report, proposals):
        """Public, picklable description of a round's regions.

        A region's bounds are where its kernel puts most of its draws, widened
        to hold the candidates drawn in it (a kernel has tails, and a
        crossover borrows a value from another elite), so that the rounds
        table, the picture and the candidates agree.
        """
        regions = []
        for k, region in enumerate(report["regions"]):
            sub = space.subspaces[region["subspace"]]
            members = np.array([m["u"] for m in region["members"]])
            drawn = [u for (_, u, _), r in zip(proposals, report["region_of"]) if r == k]
            bounds = {}
            for dim in sub.dims:
                if dim.kind != "num" or dim.n_units != 1:
                    continue
                col = sub.slices[dim.name].start
                lo, hi = region_unit_bounds(members[:, col], report["width"])
                values = [lo, hi, *(u[col] for u in drawn)]
                lo, hi = min(values), max(values)
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

