"""Successive halving inside a round: rungs of growing resource, continued training.

A round's candidates start at a low resource (epochs, trees or training rows);
only the best ``1 / factor`` of each rung move on to the next, up to
``max_resources`` (with ``min_rank_correlation``, a calibration sample goes to
``max_resources`` regardless until a rung has shown whether it ranks
candidates as ``max_resources`` does: ``calibrate_pruning``).
Where the estimator can go on from where it stopped (skhp's networks with
``warm_start="continue"``, an ensemble with ``warm_start`` and
``n_estimators``), a promoted candidate's fold models are trained on rather
than retrained, which scikit-learn's ``HalvingRandomSearchCV`` cannot do.
"""

import math
import warnings
from contextlib import contextmanager, nullcontext
from typing import NamedTuple

import numpy as np
from scipy.stats import rankdata, spearmanr
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from .._compat import SubsampleMetaSplitter, fit_and_score

__all__ = [
    "CALIBRATION_SAMPLE",
    "MIN_CALIBRATION_CANDIDATES",
    "PruningPlan",
    "ResourceSchedule",
    "calibrate_pruning",
    "calibration_can_prune",
    "continuation_params",
    "fit_and_score_continuing",
    "n_promoted",
    "rank_across_rungs",
    "rank_rows_by_rung",
    "rung_resources",
]


def rung_resources(min_resources, max_resources, factor, n_candidates):
    """The resources of a round's rungs, the last one ``max_resources``.

    As with ``HalvingRandomSearchCV(min_resources="exhaust")``, the rungs are
    anchored at the top: rung ``k`` of ``K + 1`` gets ``max_resources //
    factor ** (K - k)``. ``K`` is as large as both ``min_resources`` (the
    first rung gets at least that much) and ``n_candidates`` (the last rung
    keeps at least one candidate, about ``n_candidates / factor ** K``) allow.

    Parameters
    ----------
    min_resources, max_resources : int
    factor : float > 1
    n_candidates : int
        Candidates of the largest round.

    Returns
    -------
    list of int
        Increasing resources; ``[max_resources]`` alone when no halving fits.
    """
    if max_resources < min_resources:
        raise ValueError(
            f"max_resources ({max_resources}) is below min_resources "
            f"({min_resources})."
        )
    # Small tolerances: log(9, 3) is 2.0000000000000004 or 1.9999999999999998.
    by_resources = math.floor(math.log(max_resources / min_resources, factor) + 1e-9)
    by_candidates = math.floor(math.log(max(n_candidates, 1), factor) + 1e-9)
    n_extra = max(0, min(by_resources, by_candidates))
    resources = [int(max_resources // factor**k) for k in range(n_extra, 0, -1)]
    resources.append(int(max_resources))
    # Integer division may make neighbours equal for a small max_resources.
    return sorted(set(r for r in resources if r >= 1))


def n_promoted(n_candidates, factor):
    """How many of a rung's candidates move on (as halving's ``_top_k``)."""
    return math.ceil(n_candidates / factor)


# Fewest candidates scored at both a rung and max_resources before the
# agreement of the two rankings is taken as evidence.
MIN_CALIBRATION_CANDIDATES = 5

# Candidates of a round (its first ones) that go to max_resources whatever
# their rungs' scores, while no rung has been judged: one more than the fewest
# that judge a rung, so that one failed fit leaves enough. In benchmarks/curves
# a sample of 10 or the whole first round did no better (docs/search_benchmarks.md),
# and a smaller sample costs less before the first pruned round.
CALIBRATION_SAMPLE = MIN_CALIBRATION_CANDIDATES + 1


def _rank_correlation(pairs):
    """Spearman correlation of ``(rung score, final score)`` pairs; NaN if too few."""
    if len(pairs) < MIN_CALIBRATION_CANDIDATES:
        return np.nan
    low, final = np.array(pairs).T
    if np.unique(low).size == 1 or np.unique(final).size == 1:  # no ranking to compare
        return np.nan
    return float(spearmanr(low, final).statistic)


def _agreeing_rungs(correlations, min_rank_correlation):
    # A tolerance: spearmanr may give 0.9999999999999998 for a perfect agreement.
    return frozenset(
        rung for rung, rho in enumerate(correlations)
        if np.isfinite(rho) and rho >= min_rank_correlation - 1e-9
    )


def calibration_can_prune(sizes):
    """Whether rounds of these sizes could ever prune.

    A round prunes while it carries a calibration sample and holds more
    candidates than the sample; a later round prunes once the rounds before
    it (at least ``MIN_CALIBRATION_CANDIDATES`` candidates in all) have shown
    that a rung ranks well.
    """
    return (max(sizes) > CALIBRATION_SAMPLE
            or sum(sizes[:-1]) >= MIN_CALIBRATION_CANDIDATES)


class PruningPlan(NamedTuple):
    """How a round's rungs prune, from what the rounds before it showed.

    Attributes
    ----------
    pruning : frozenset of int
        The rungs that keep only their best ``1 / factor`` (of the candidates
        outside the sample).
    correlations : list of float
        Per rung below the last, the Spearman correlation with
        ``max_resources`` measured so far (NaN: not measured).
    sample : int
        The round's first ``sample`` candidates go to ``max_resources``
        whatever their scores: the calibration sample (0 once calibrated).
    """

    pruning: frozenset
    correlations: list
    sample: int

    def trains_to_the_top(self, candidate):
        """Whether a round run under this plan trains ``candidate`` (its
        index in the round) to ``max_resources`` whatever its scores, so
        that its scores are evidence: every candidate where nothing prunes,
        else the sample."""
        return not self.pruning or candidate < self.sample


def _next_plan(correlations, n_rungs, min_rank_correlation):
    """The plan of a round after ``correlations``: prune at the rungs that
    agree; if none does, a sample calibrates while the rest prunes, until
    a rung has been measured; once measured and below the threshold, every
    candidate trains to ``max_resources`` (and all of them calibrate)."""
    agreeing = _agreeing_rungs(correlations, min_rank_correlation)
    if agreeing:
        return PruningPlan(agreeing, correlations, 0)
    if any(np.isfinite(rho) for rho in correlations):
        return PruningPlan(frozenset(), correlations, 0)
    return PruningPlan(frozenset(range(n_rungs - 1)), correlations, CALIBRATION_SAMPLE)


def calibrate_pruning(rounds, n_rungs, min_rank_correlation):
    """How the next round prunes, judged from the rounds so far.

    Successive halving assumes that a candidate's rank at a low resource
    predicts its rank at ``max_resources``; on some problems it does not (a
    few epochs favour large learning rates that the full epochs punish). With
    ``min_rank_correlation`` set, a round's first ``CALIBRATION_SAMPLE``
    candidates are scored at every rung on their way to ``max_resources``
    whatever their scores, while the others prune as successive halving
    does, until for some rung the sample shows a Spearman correlation
    between the scores there and at ``max_resources`` (over at least
    ``MIN_CALIBRATION_CANDIDATES`` candidates scored at both; a candidate
    whose fits failed at ``max_resources`` ranks last there, since a rung
    that favours it ranks badly). From the next round on, the rungs that
    reach ``min_rank_correlation`` keep their best ``1 / factor``; if none
    does, no rung prunes (every candidate is evidence then, and a rung may
    reach it later). Once a rung agrees, the calibration is over: candidates
    that a rung promoted would be a biased sample of the others.

    Parameters
    ----------
    rounds : list of Round
        The completed rounds, in order (each rung's ``members`` and
        ``scores``).
    n_rungs : int
        Rungs of a round, ``max_resources``'s included.
    min_rank_correlation : float or None
        None: every rung below the last prunes from the first round on.

    Returns
    -------
    PruningPlan
    """
    correlations = [np.nan] * (n_rungs - 1)
    if min_rank_correlation is None:
        return PruningPlan(frozenset(range(n_rungs - 1)), correlations, 0)
    pairs = [[] for _ in range(n_rungs - 1)]
    for rnd in rounds:
        plan = _next_plan(correlations, n_rungs, min_rank_correlation)
        if plan.sample == 0 and plan.pruning:
            break  # this round pruned on a rung's word: no longer evidence
        members = [rung.members for rung in rnd.rungs]
        scores = [rung.scores for rung in rnd.rungs]
        if len(members) < n_rungs:  # every fit of a rung failed
            continue
        final = {i: s if np.isfinite(s) else -np.inf
                 for i, s in zip(members[-1], scores[-1]) if plan.trains_to_the_top(i)}
        for rung in range(n_rungs - 1):
            pairs[rung] += [
                (s, final[i]) for i, s in zip(members[rung], scores[rung])
                if i in final and np.isfinite(s)
            ]
        correlations = [_rank_correlation(p) for p in pairs]
    return _next_plan(correlations, n_rungs, min_rank_correlation)


def rank_across_rungs(levels, scores):
    """Scores the zoom can follow, from candidates stopped at different rungs.

    A candidate that reached a higher rung beat every candidate stopped below
    it (it was promoted past them, or stood with better ones), so it ranks
    above all of them; within a rung, candidates rank by their score there.
    Scores at different resources are never compared directly: a network
    scored after 6 epochs is not worse than one scored after 60 for having a
    lower accuracy.

    Parameters
    ----------
    levels : array-like of int
        Highest rung each candidate was scored at.
    scores : array-like of float
        Its score there; NaN for a failed fit.

    Returns
    -------
    ndarray of float
        ``level + q``, with ``q`` in (0, 1) the candidate's rank within its
        rung among the candidates scored there; NaN where ``scores`` is NaN.
    """
    levels = np.asarray(levels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    out = np.full(scores.shape, np.nan)
    for level in np.unique(levels):
        idx = np.flatnonzero((levels == level) & np.isfinite(scores))
        if idx.size == 0:
            continue
        order = np.argsort(np.argsort(scores[idx], kind="stable"), kind="stable")
        out[idx] = level + (order + 1) / (idx.size + 1)
    return out


def rank_rows_by_rung(n_resources, scores):
    """``rank_test_*`` for rows scored at several resources.

    A row scored at a higher resource ranks above every row scored at a
    lower one, and rows at the same resource rank by score (ties share the
    lower rank, as ``rankdata(method="min")``); rows with a NaN score share
    the rank after all others, as in scikit-learn's searches. Rank 1 is then
    the best row at ``max_resources``, the one the search picks, where
    scikit-learn's halving search may give it to a lower rung's row.

    Parameters
    ----------
    n_resources : array-like of int
    scores : array-like of float

    Returns
    -------
    ndarray of int32
    """
    n_resources = np.asarray(n_resources)
    scores = np.asarray(scores, dtype=float)
    finite = np.isfinite(scores)
    ranks = np.full(scores.shape, finite.sum() + 1, dtype=np.int32)
    if finite.any():
        # one key that orders by resource, then score: both as dense ranks
        level = rankdata(n_resources[finite], method="dense")
        within = rankdata(scores[finite], method="dense")
        key = level * (within.max() + 1) + within
        ranks[finite] = rankdata(-key, method="min")
    return ranks


def _owner_of(estimator, parameter):
    """The (sub-)estimator that owns ``parameter`` (``step__param``), and its name."""
    prefix, _, leaf = parameter.rpartition("__")
    owner = estimator.get_params(deep=True)[prefix] if prefix else estimator
    return owner, (prefix + "__" if prefix else ""), leaf


def continuation_params(estimator, resource):
    """Parameters that make a fitted ``estimator`` go on to a larger ``resource``.

    Continuing must give the model a straight fit gives, and only the
    estimator knows when it does: the search asks the (sub-)estimator that
    owns the resource, through ``__skhp_continuation__(parameter)`` (skhp's
    networks answer it; any estimator may). scikit-learn's ensembles, which
    cannot, add trees under ``warm_start`` as a straight fit draws them,
    unless early stopping (``n_iter_no_change``) would stop a continued fit
    at another stage.

    Parameters
    ----------
    estimator : estimator
        The search's (unfitted) estimator with a candidate's parameters set:
        whether a network can continue depends on its solver and schedule.
    resource : str
        ``"n_samples"`` or the name of an integer parameter.

    Returns
    -------
    dict or None
        None where a larger resource means a new fit.
    """
    if resource == "n_samples":
        return None
    owner, prefix, leaf = _owner_of(estimator, resource)
    ask = getattr(owner, "__skhp_continuation__", None)
    continuation = ask(leaf) if ask is not None else _ensemble_continuation(owner, leaf)
    if continuation is None:
        return None
    return {prefix + name: value for name, value in continuation.items()}


def _ensemble_continuation(ensemble, parameter):
    """scikit-learn's ensembles: more trees under ``warm_start``, or None."""
    params = ensemble.get_params(deep=False)
    if parameter != "n_estimators" or "warm_start" not in params:
        return None
    if params.get("n_iter_no_change") is not None or params.get("early_stopping"):
        return None  # the stage it stops at depends on where it starts
    return {"warm_start": True}


class ResourceSchedule:
    """The rungs of every round and how a candidate moves between them.

    Parameters
    ----------
    resource : str
        ``"n_samples"`` or an integer parameter of the estimator.
    resources : list of int
        Resource of each rung; the last is ``max_resources``.
    factor : float
        One candidate in ``factor`` moves on.
    n_samples : int
        Rows of the data, for ``"n_samples"``.
    """

    def __init__(self, resource, resources, factor, n_samples):
        self.resource = resource
        self.resources = list(resources)
        self.factor = factor
        self.n_samples = n_samples

    @property
    def n_rungs(self):
        return len(self.resources)

    def rung_candidates(self, candidates, rung):
        """The parameters a rung fits, the resource included."""
        if self.resource == "n_samples":
            return [dict(c) for c in candidates]
        n_resources = self.resources[rung]
        return [{**c, self.resource: n_resources} for c in candidates]

    def rung_cv(self, cv, rung, random_state):
        """The folds of a rung: each training (and test) fold subsampled for
        ``"n_samples"``, as scikit-learn's successive halving does."""
        n_resources = self.resources[rung]
        if self.resource != "n_samples" or n_resources >= self.n_samples:
            return cv
        return SubsampleMetaSplitter(
            base_cv=cv,
            fraction=n_resources / self.n_samples,
            subsample_test=True,
            random_state=random_state,
        )


@contextmanager
def _fitted_steps_kept(model, parameters):
    """Within it, a continued Pipeline whose ``parameters`` all belong to its
    last step trains that step alone: the steps before it are frozen.

    A continued fit is on the same training fold with the same candidate, so
    refitting the preprocessing gives the same transform at best (keeping
    the scaler makes one more epoch of a 128-unit network on a Fashion-MNIST
    fold 0.78-0.84 as long at one BLAS thread, 0.74-0.76 at the default threads:
    ``benchmarks/kept_preprocessing.py``) and, for a randomized one without a seed,
    moves the features under the network it feeds. The steps are put back
    as they were on the way out.
    """
    last = model.steps[-1][0] + "__" if isinstance(model, Pipeline) else None
    if last is None or any(not name.startswith(last) for name in parameters):
        yield
        return
    steps = list(model.steps)
    model.steps = [
        (name, step if step is None or step == "passthrough" else FrozenEstimator(step))
        for name, step in steps[:-1]
    ] + steps[-1:]
    try:
        yield
    finally:
        model.steps = steps[:-1] + model.steps[-1:]


def fit_and_score_continuing(model, estimator, X, y, *, parameters, continuation,
                             quiet, **kwargs):
    """scikit-learn's ``_fit_and_score`` for one fold, continuing ``model``.

    Parameters
    ----------
    model : estimator or None
        The fold's model from the previous rung; None fits a clone of
        ``estimator`` from scratch.
    estimator : estimator
        The search's estimator.
    parameters : dict
        The candidate, with the rung's resource.
    continuation : dict
        Parameters that make ``model`` go on instead of starting again.
    quiet : bool
        Whether to silence ``ConvergenceWarning`` (a rung below the last one
        stops early on purpose).
    **kwargs
        Passed to ``_fit_and_score``.

    Returns
    -------
    result : dict
        ``_fit_and_score``'s result.
    model : estimator or None
        The fitted fold model, None if its fit failed.
    """
    if model is None:
        model, keep = clone(estimator), nullcontext()
    else:
        parameters = {**parameters, **continuation}
        keep = _fitted_steps_kept(model, parameters)
    with warnings.catch_warnings(), keep:
        if quiet:
            warnings.simplefilter("ignore", ConvergenceWarning)
        result = fit_and_score(
            model, X, y, parameters=parameters, return_estimator=True, **kwargs
        )
    fitted = result.pop("estimator", None)
    if result.get("fit_error") is not None:
        fitted = None
    return result, fitted
