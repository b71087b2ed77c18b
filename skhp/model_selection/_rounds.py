"""The search's records: its rounds, each with the rungs it has evaluated.

A :class:`Round` is what the zoom proposed (its candidates and where each came
from) and what was evaluated of it, rung by rung; a :class:`Rung` holds the rows
of ``cv_results_`` it added (a candidate at one resource each) with their raw
fit results. The rounds are the one store of the search: ``cv_results_``, the
checkpoint, the zoom's history and the pruning calibration are all read from
them.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .._compat import format_search_results
from ._resources import rank_rows_by_rung

__all__ = ["Round", "Rung", "format_rows", "mean_scores", "rows_of", "zoom_column", "zoom_metric"]


@dataclass(frozen=True)
class Rung:
    """One rung of a round, as evaluated.

    Attributes
    ----------
    members : list of int
        The candidates it evaluated (indices into the round's ``params``).
    scores : list of float
        Their mean test score on the metric the zoom follows (NaN: failed).
    params : list of dict
        The rows' parameters, the rung's resource included.
    out : list of dict
        The rows' raw fit results (``_fit_and_score``'s), candidate then fold.
    more : dict of str to list
        The rows' extra ``cv_results_`` columns (``round``, ``rung``...).
    """

    members: list
    scores: list
    params: list
    out: list
    more: dict

    def outs_at(self, n_resources):
        """The raw results of its fits if its rows are at ``n_resources``."""
        if self.more.get("n_resources", [None])[:1] == [n_resources]:
            return list(self.out)
        return []


@dataclass
class Round:
    """A round: the candidates the zoom proposed, and its rungs so far.

    Attributes
    ----------
    params, subspaces, units : list
        Each candidate's parameters, sub-space and point in the unit cube.
    report : dict
        Its public description (an item of ``rounds_``).
    sampler_state : object
        The zoom sampler's state after proposing the round.
    origins, region_of : list
        Where each candidate came from, and its region (-1: none).
    rungs : list of Rung
        The rungs evaluated so far, in order.
    complete : bool
        Whether every rung it will run is done.
    """

    params: list
    subspaces: list
    units: list
    report: dict
    sampler_state: object
    origins: list
    region_of: list
    rungs: list = field(default_factory=list)
    complete: bool = False

    @classmethod
    def from_proposals(cls, proposals, report, sampler_state, origins=None,
                       region_of=None):
        """A round before any fit, from ``ZoomSampler.propose``'s
        ``(subspace, u, params)`` proposals (origins unknown: ``"design"``)."""
        n = len(proposals)
        return cls(
            params=[p for _, _, p in proposals],
            subspaces=[s for s, _, _ in proposals],
            units=[u for _, u, _ in proposals],
            report=report,
            sampler_state=sampler_state,
            origins=list(origins) if origins is not None else ["design"] * n,
            region_of=list(region_of) if region_of is not None else [-1] * n,
        )

    def add_rung(self, rung, promoted, last):
        """Record an evaluated ``rung``; the round is complete after its
        ``last`` rung or when no candidate was ``promoted``."""
        self.rungs.append(rung)
        self.complete = last or not promoted

    def without_last_rung(self):
        """A copy without its last rung, to evaluate it again."""
        return replace(self, rungs=self.rungs[:-1], complete=False)

    def levels_and_scores(self):
        """Per candidate, the highest rung it reached (-1: none) and its
        score there (NaN: none)."""
        levels = [-1] * len(self.params)
        scores = [float("nan")] * len(self.params)
        for level, rung in enumerate(self.rungs):
            for i, score in zip(rung.members, rung.scores):
                levels[i], scores[i] = level, float(score)
        return levels, scores

    def history(self):
        """The round's candidates as the zoom reads them: ``subspace``, ``u``,
        ``params``, ``score`` and ``level`` (the rung reached)."""
        levels, scores = self.levels_and_scores()
        return [
            {"subspace": s, "u": u, "params": p, "score": score, "level": level}
            for s, u, p, score, level in zip(
                self.subspaces, self.units, self.params, scores, levels
            )
        ]

    def n_rung_candidates(self):
        """The candidates evaluated at each rung."""
        return [len(rung.members) for rung in self.rungs]


def rows_of(rounds):
    """The rows of these rounds: ``(params, out, more)``, in order."""
    params, out, more = [], [], {}
    for rung in (rung for rnd in rounds for rung in rnd.rungs):
        params += rung.params
        out += rung.out
        for key, values in rung.more.items():
            more.setdefault(key, []).extend(values)
    return params, out, more


def _rank_rows_by_rung(results):
    """With rungs, rank 1 goes to the best row at ``max_resources`` (in place)."""
    if "n_resources" in results:
        for key in [k for k in results if k.startswith("rank_test_")]:
            scores = results["mean_test_" + key[len("rank_test_"):]]
            results[key] = rank_rows_by_rung(results["n_resources"], scores)
    return results


def format_rows(search, n_splits, params, out, more, brief=False):
    """``cv_results_`` of these rows, as ``search`` formats its results.

    ``brief`` leaves out the ``param_*`` columns (only the scores are read
    before the search's last batch, and these columns are most of the time).
    """
    results = format_search_results(
        search, [{}] * len(params) if brief else list(params), n_splits, list(out),
        more,
    )
    results["params"] = list(params)
    return _rank_rows_by_rung(results)


def any_fit_succeeded(rounds):
    """Whether a fit of these rounds succeeded."""
    return any(o.get("fit_error") is None for o in rows_of(rounds)[1])


def zoom_metric(refit, metrics):
    """The metric the zoom follows: ``refit`` when it names one of
    ``metrics`` (the metrics' names in the scorer's order), else the first."""
    return refit if isinstance(refit, str) and refit in metrics else metrics[0]


def zoom_column(results, refit):
    """The ``cv_results_`` column of the metric the zoom follows."""
    prefix = "mean_test_"
    metrics = [key[len(prefix):] for key in results if key.startswith(prefix)]
    return prefix + zoom_metric(refit, metrics)


def mean_scores(out, n_candidates, refit):
    """Each candidate's mean test score on the metric the zoom follows: the
    ``refit`` metric when it is a name, else the first metric."""
    if not out:
        return np.full(n_candidates, np.nan)
    first = out[0]["test_scores"]
    if isinstance(first, dict):
        key = zoom_metric(refit, list(first))
        values = [o["test_scores"][key] for o in out]
    else:
        values = [o["test_scores"] for o in out]
    return np.asarray(values, dtype=float).reshape(n_candidates, -1).mean(axis=1)
