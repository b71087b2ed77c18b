"""One run of a coarse-to-fine search, as a few named steps over its rounds.

``CoarseToFineSearchCV._run_search`` reads as the loop of scikit-learn's
successive halving: restore the rounds a checkpoint holds, then for each round
to go propose its candidates, evaluate it rung by rung (promoting the best of
each rung), save it; at the end the search publishes what they found. The rounds
(:class:`~skhp.model_selection._rounds.Round`) are the one store of records;
everything else is read from them.
"""

import warnings
from collections import Counter

import numpy as np

from .._compat import NON_FINITE_SCORES_WARNING
from . import _checkpoint
from ._evaluate import Evaluator
from ._resources import PruningPlan, calibrate_pruning, n_promoted, rank_across_rungs
from ._rounds import Round, any_fit_succeeded, format_rows, rows_of


class SearchRun:
    """The state of one ``fit`` of a search while its rounds run.

    Parameters
    ----------
    search : CoarseToFineSearchCV
    evaluate_candidates : callable
        ``BaseSearchCV``'s, for the batches that go through it.
    space : SearchSpace
    rounds : Rounds
        The number of rounds, the candidates of each and the zoom factor
        (:func:`~skhp.model_selection._zoom.resolve_rounds`).
    schedule : ResourceSchedule or None
        The rungs of every round; None without a resource.
    seed, fingerprint : int, str or None
        The sampler's seed and the checkpoint's fingerprint.
    """

    def __init__(self, search, evaluate_candidates, space, rounds, schedule, seed,
                 fingerprint):
        self.search, self.space = search, space
        self.sizes, self.zoom_factor = rounds.sizes, rounds.zoom_factor
        self.schedule, self.seed, self.fingerprint = schedule, seed, fingerprint
        self.n_rungs = 1 if schedule is None else schedule.n_rungs
        self.evaluator = Evaluator(search, evaluate_candidates, schedule)
        self.rounds = []  # complete: restored, then evaluated

    # -- restore ------------------------------------------------------------
    def restore(self, rounds):
        """Start after ``rounds`` (from a checkpoint): the sampler as it was,
        and the round left incomplete, which is returned (None if none)."""
        sizes = self.sizes
        # A finished search is re-run from its last batch, so that
        # BaseSearchCV has something to evaluate.
        if len(rounds) > len(sizes) or (len(rounds) == len(sizes) and rounds[-1].complete):
            rounds = rounds[: len(sizes)]
            rounds[-1] = rounds[-1].without_last_rung()
        self._restore_sampler(rounds)
        if self._space_ran_out(rounds):
            rounds[-1] = rounds[-1].without_last_rung()
            self._restore_sampler(rounds)
        partial = rounds.pop() if rounds and not rounds[-1].complete else None
        self.rounds = rounds
        return partial

    def _restore_sampler(self, rounds):
        """A sampler, history and seen keys as they were after ``rounds``."""
        search = self.search
        self.sampler = search._sampler_class(
            self.space, self.seed,
            elite_fraction=search.elite_fraction,
            explore_fraction=search.explore_fraction,
            zoom_factor=self.zoom_factor,
            max_regions=search.max_regions,
        )
        self.history, self.seen = [], set()
        for rnd in rounds:
            if rnd.complete:
                self._remember(rnd)
            self.sampler.set_state(rnd.sampler_state)

    def _remember(self, rnd):
        """Add a round's candidates to the zoom's history."""
        for entry in rnd.history():
            self.history.append(entry)
            self.seen.add(self.space.subspaces[entry["subspace"]].key(entry["params"],
                                                                     entry["u"]))

    def _space_ran_out(self, rounds):
        """Whether a finite space has nothing left for the next round.

        The sampler is a pure function of its state, so a trial draw is the
        one the search would make; its state is put back after it, so that
        the real draw of the next round is the uninterrupted one.
        """
        if not (self.space.size is not None and rounds and rounds[-1].complete
                and len(rounds) < len(self.sizes)):
            return False
        n_wanted = sum(self.sizes[: len(rounds) + 1]) - len(self.history)
        state = self.sampler.get_state()
        ran_out = not self.sampler.propose(len(rounds), n_wanted, self.history,
                                           self.seen)[0]
        self.sampler.set_state(state)
        return ran_out

    # -- propose ----------------------------------------------------------------
    def propose(self, round_idx, n_wanted, seeds=()):
        """The next round's candidates, zoomed on the history; None when a
        finite space ran out."""
        history = self.history
        if self.schedule is not None:
            ranked = rank_across_rungs([h["level"] for h in history],
                                       [h["score"] for h in history])
            history = [dict(h, score=r) for h, r in zip(history, ranked)]
        proposals, report = self.sampler.propose(round_idx, n_wanted, history,
                                                 self.seen, seeds=seeds)
        if not proposals:
            return None
        return Round.from_proposals(
            proposals, self.search._describe_round(self.space, report, proposals),
            self.sampler.get_state(),
            origins=report["origins"], region_of=report["region_of"],
        )

    # -- evaluate ---------------------------------------------------------------
    def run_round(self, rnd, round_idx, search_ctx):
        """Evaluate a round's remaining rungs, promoting the best of each;
        save after each rung."""
        last_round = round_idx == len(self.sizes) - 1
        plan = self.pruning_plan(round_idx)
        continuations = self.evaluator.continuations(rnd.params)
        alive = list(range(len(rnd.params)))
        if rnd.rungs:  # rungs restored from a checkpoint
            alive = self._promote(rnd.rungs[-1], len(rnd.rungs) - 1, plan)
        models = {}
        # The last batch of the search goes through BaseSearchCV (it must
        # evaluate at least one batch), and so does the last rung of every
        # round of a finite space, which may run out before the last round.
        finite = self.space.size is not None
        for level in range(len(rnd.rungs), self.n_rungs):
            top = level == self.n_rungs - 1
            rung = self.evaluator.rung(
                rnd, round_idx, level, alive, models, continuations, search_ctx,
                by_base=top and (last_round or finite), final=top and last_round,
                rows=rows_of(self.rounds + [rnd]),
            )
            if not top:
                alive = self._promote(rung, level, plan)
                models = {i: models.get(i) for i in alive}
            rnd.add_rung(rung, alive, last=top)
            self.save(rnd)
            if rnd.complete:
                break
        self.rounds.append(rnd)
        self._remember(rnd)

    def _promote(self, rung, level, plan):
        """The members of ``rung`` (at ``level``) that move on, best first:
        those that fitted; where the rung prunes, the calibration sample and
        the best ``1 / factor`` of the others.

        Best first, so that a batch trains its most promising candidates
        first: on one worker, the search has a good candidate at the next
        rung sooner."""
        score = dict(zip(rung.members, rung.scores))
        ranked = sorted((i for i in rung.members if np.isfinite(score[i])),
                        key=score.__getitem__, reverse=True)
        if level not in plan.pruning:
            return ranked
        others = [i for i in ranked if not plan.trains_to_the_top(i)]
        n_others = sum(not plan.trains_to_the_top(i) for i in rung.members)
        dropped = set(others[n_promoted(n_others, self.schedule.factor):])
        return [i for i in ranked if i not in dropped]

    def pruning_plan(self, round_idx):
        """How round ``round_idx`` prunes, after the rounds so far (a
        :class:`~skhp.model_selection._resources.PruningPlan`)."""
        schedule, search = self.schedule, self.search
        if schedule is None:
            return PruningPlan(frozenset(), [], 0)
        plan = calibrate_pruning(self.rounds, schedule.n_rungs, search.min_rank_correlation)
        if search.verbose > 0 and search.min_rank_correlation is not None:
            measured = ", ".join(f"rung {r}: {rho:.2f}"
                                 for r, rho in enumerate(plan.correlations))
            sample = (f", the first {plan.sample} candidates go to the top whatever "
                      "their scores" if plan.sample else "")
            print(f"Round {round_idx}: rungs {sorted(plan.pruning)} prune{sample} "
                  f"(rank correlation with max_resources: {measured})")
        return plan

    # -- save ---------------------------------------------------------------------
    def save(self, rnd):
        """Rewrite the checkpoint with the rounds so far and ``rnd``."""
        if self.search.checkpoint is not None:
            _checkpoint.save(self.search.checkpoint, self.fingerprint, self.seed,
                             self.rounds + [rnd])

    # -- publish ------------------------------------------------------------------
    def hand_over(self):
        """Make sure BaseSearchCV evaluated a batch, and return the results it
        will read, made whole (every row, every column).

        When no batch went through it (the last round ended before its last
        rung, every round was restored), a candidate that fitted is fitted
        again through it, the rows of the rounds standing as results.
        """
        results = self.evaluator.results
        if results is None:
            params, more = self._first_success_from_scratch()
            results = self.evaluator.replay(params, more, rows_of(self.rounds))
            if results is None:
                raise RuntimeError(
                    f"The fits of {params[0]!r} succeeded once and failed when "
                    "fitted again from scratch with the same seed: the "
                    "estimator is not deterministic."
                )
        self._complete(results)
        return results

    def _first_success_from_scratch(self):
        """A row fitted from scratch (at a first rung) that succeeded, as a
        batch of one candidate ``(params, more)``."""
        n_splits = self.search.n_splits_
        for rnd in self.rounds:
            rung = rnd.rungs[0] if rnd.rungs else None
            for r in range(len(rung.params) if rung else 0):
                if any(o.get("fit_error") is None
                       for o in rung.out[r * n_splits:(r + 1) * n_splits]):
                    return [rung.params[r]], {k: [v[r]] for k, v in rung.more.items()}
        raise AssertionError("no fit succeeded")  # checked by check_outcome

    def _complete(self, results):
        """Make the results BaseSearchCV took last whole, in place: they lack
        the param_* columns unless its last batch was the search's last, and
        the rows evaluated after it."""
        params, out, more = rows_of(self.rounds)
        appended = len(params) > len(results["params"])
        if not (self.evaluator.last_batch_was_brief or appended):
            return
        with warnings.catch_warnings():
            if not appended:
                # The same scores were formatted, and warned about, already.
                warnings.filterwarnings(
                    "ignore", message=NON_FINITE_SCORES_WARNING, category=UserWarning
                )
            whole = format_rows(self.search, self.search.n_splits_, params, out, more)
        results.clear()
        results.update(whole)

    def check_outcome(self):
        """Raise as scikit-learn does when every fit failed, or, with rungs,
        when none succeeded at ``max_resources``."""
        if not any_fit_succeeded(self.rounds):
            raise self.evaluator.all_failed_error
        if self.schedule is not None:
            self._check_fits_at_max_resources()

    def _check_fits_at_max_resources(self):
        top = self.schedule.resources[-1]
        at = f"max_resources ({self.schedule.resource}={top})"
        outs = [o for rnd in self.rounds for rung in rnd.rungs for o in rung.outs_at(top)]
        if not outs:
            raise ValueError(
                f"No candidate was scored at {at}: all their fits failed at "
                "lower rungs (see the FitFailedWarning above). Set "
                "error_score='raise' to debug."
            )
        errors = [o["fit_error"] for o in outs if o.get("fit_error") is not None]
        if len(errors) == len(outs):
            # Each error's last line: the tracebacks were in the warning.
            counts = Counter(e.strip().splitlines()[-1] for e in errors)
            listed = "; ".join(f"{n} x {error}" for error, n in counts.items())
            raise ValueError(
                f"All the {len(outs)} fits failed at {at} (see the "
                "FitFailedWarning above). Set error_score='raise' to debug. "
                f"The errors:\n{listed}"
            )


__all__ = ["SearchRun"]
