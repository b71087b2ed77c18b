"""Where the next round's candidates go: the coarse-to-fine zoom.

Round 0 spreads a scrambled Sobol' design over each sub-space's unit cube
(quantile space: a log-uniform parameter is uniform there). Every later round:

1. keeps a share of the round (``explore_fraction``) on the same Sobol' sequence
   over the whole space, so a narrow basin missed at first can still be found;
2. takes the elites (the best ``elite_fraction`` of every valid candidate so
   far, NaN scores ignored) and groups them greedily, best first, into at most
   ``max_regions`` regions: an elite farther than the current width from every
   region centre opens a new region, so several basins stay alive while their
   elites are among the best;
3. gives each region a share of the round in proportion to the log-rank weights
   of its elites (as in CMA-ES), and draws a pool from it: Gaussian kernels on
   its elites whose width shrinks by ``zoom_factor`` per round (a trust region,
   as in TuRBO), half the coordinates borrowed from other elites (crossover, so
   good values of separate parameters combine), reflected at the cube's edges;
   categorical choices follow the region's elites, mixed with a uniform share;
4. keeps from the pool the points with the best ratio l(x) / g(x) of factorized
   kernel densities of the elites and of the other candidates (the acquisition
   of TPE), each kept point joining g so a batch spreads out;
5. spends up to a quarter of the zoom budget on the best candidate with one
   categorical choice changed, so a choice that lost early with poor numeric
   values gets a fair second try.

Every candidate's key is checked against all keys seen; a duplicate is redrawn
wider, then replaced by exploration, then (small finite spaces) by enumerating
what is left. The sampler is a pure function of its seed, the round number, the
history and the Sobol' counters, which is what makes checkpoints replayable.

This is the design that won on benchmarks/search_quality.py; the ones that lost
(no screen, a joint-kernel screen, no crossover, no swaps) are subclasses in
benchmarks/_zoom_variants.py, each overriding the one step below that it
changes (``_draw_region``, ``_screen``, ``_crossover``, ``_swap_categories``).
"""

import math
import warnings
from typing import NamedTuple

import numpy as np
from scipy.stats import qmc

from ._space import _ENUMERATE_LIMIT

# Share of a region's categorical draws that ignore the elites.
_CATEGORICAL_EXPLORATION = 0.2
# Chance that a numeric coordinate of a region draw is borrowed from another
# elite (see _crossover).
_CROSSOVER_RATE = 0.5
# Redraws of a duplicate before falling back to exploration.
_MAX_REDRAWS = 12
# Candidates drawn per candidate kept when screening a region (see _screen).
_POOL_FACTOR = 16
_MAX_POOL = 2048
# Most points the densities of the good (best first) and bad sets use.
_MAX_GOOD = 128
_MAX_BAD = 256

# Geometry of a zoomed region, in unit coordinates. The kernels on its elites
# have a standard deviation of a quarter of the round's width, so the +-2 sigma
# band of one elite spans the width; ``rounds_`` reports each region as that
# band around its elites.
KERNEL_SIGMA_PER_WIDTH = 0.25
REGION_BOUNDS_IN_SIGMAS = 2.0


def kernel_sigma(width):
    """Standard deviation of the Gaussian kernels of a round of this width."""
    return KERNEL_SIGMA_PER_WIDTH * width


def region_unit_bounds(members, width):
    """``(low, high)`` unit coordinates of a region around its elites.

    Parameters
    ----------
    members : array-like of shape (n_elites,)
        One unit coordinate of each of the region's elites.
    width : float
        The round's width.

    Returns
    -------
    low, high : float
        The band of ``REGION_BOUNDS_IN_SIGMAS`` kernel widths around the
        elites, within the unit interval.
    """
    members = np.asarray(members, dtype=float)
    margin = REGION_BOUNDS_IN_SIGMAS * kernel_sigma(width)
    low = max(float(members.min()) - margin, 0.0)
    high = min(float(members.max()) + margin, 1 - 1e-12)
    return low, high


def round_sizes(n_iter, n_rounds):
    """Split ``n_iter`` candidates over rounds; round 0 takes the remainder."""
    n_rounds = max(1, min(n_rounds, n_iter))
    base, extra = divmod(n_iter, n_rounds)
    return [base + extra] + [base] * (n_rounds - 1)


# ``n_rounds="auto"``: rounds of 5 candidates without a resource, where more,
# smaller zoom steps over the same candidates lower the regret (on hartmann6
# 0.86x Optuna TPE's median against 1.72x for 6 rounds of 10, 100 seeds:
# benchmarks/search_rounds.py), but never fewer than 6 rounds (fewer, at
# n_iter=20, zoom too fast and lost); 6 rounds with a resource, so that each
# rung has candidates to halve. The zoom of "auto" rounds narrows to the width
# 6 rounds at ZOOM_FACTOR reach, 0.7 ** 5 of each range, whatever their number.
AUTO_ROUND_SIZE = 5
AUTO_ROUNDS = 6
ZOOM_FACTOR = 0.7


class Rounds(NamedTuple):
    """A search's rounds, ``"auto"`` resolved: their number as asked (more
    than ``n_iter`` gives rounds of one), the candidates of each, the zoom."""

    n_rounds: int
    sizes: list
    zoom_factor: float


def resolve_rounds(n_iter, n_rounds, zoom_factor, resource):
    """The rounds of a search.

    Parameters
    ----------
    n_iter : int
    n_rounds : int or "auto"
        ``"auto"``: rounds of ``AUTO_ROUND_SIZE`` candidates without a
        resource, but at least ``AUTO_ROUNDS``; ``AUTO_ROUNDS`` with one.
    zoom_factor : float or "auto"
        ``"auto"``: with ``n_rounds="auto"``, the factor whose last round is
        as narrow as round 5 at ``ZOOM_FACTOR``; with a number of rounds
        given, ``ZOOM_FACTOR``.
    resource : str or None

    Returns
    -------
    rounds : Rounds
        ``sizes`` from :func:`round_sizes`.
    """
    auto = n_rounds == "auto"
    if auto:
        n_rounds = AUTO_ROUNDS
        if resource is None:
            n_rounds = max(AUTO_ROUNDS, n_iter // AUTO_ROUND_SIZE)
    if zoom_factor == "auto":
        zoom_factor = ZOOM_FACTOR
        if auto:  # at least AUTO_ROUNDS: 0.7 unless there are more
            zoom_factor = ZOOM_FACTOR ** ((AUTO_ROUNDS - 1) / (n_rounds - 1))
    return Rounds(n_rounds, round_sizes(n_iter, n_rounds), zoom_factor)


def _reflect(u):
    """Fold coordinates back into [0, 1) (a random walk reflected at the walls)."""
    u = np.mod(u, 2.0)
    u = np.where(u > 1.0, 2.0 - u, u)
    return np.minimum(u, np.nextafter(1.0, 0.0))


# Where a proposal comes from: report["origins"] holds one of these per proposal.
ORIGINS = ("design", "warm start", "exploration", "swap", "region", "enumerated")


class _Batch:
    """A round's proposals as they are accepted, each with its origin.

    ``add`` refuses a candidate whose key was seen (in earlier rounds or in
    this one), so no candidate is proposed twice.
    """

    def __init__(self, space, seen):
        self.space = space
        self.seen = set(seen)
        self.proposals = []
        self.origins = []
        self.region_of = []

    def __len__(self):
        return len(self.proposals)

    def add(self, s, u, params, origin, region=-1):
        """Accept ``(s, u, params)`` unless its key was seen; True if accepted.

        ``region`` is the index of the candidate's zoom region in the round's
        report, -1 for a candidate drawn outside regions.
        """
        key = self.space.subspaces[s].key(params, u)
        if key in self.seen:
            return False
        self.seen.add(key)
        self.proposals.append((s, u, params))
        self.origins.append(origin)
        self.region_of.append(region)
        return True


class _Contrast(NamedTuple):
    """What a region's pool is screened against (see ZoomSampler._screen)."""

    good: np.ndarray  # the sub-space's elites, best first (n_good, n_units)
    good_weights: np.ndarray  # their log-rank weights
    bad: np.ndarray  # other valid candidates of the sub-space (n_bad, n_units)


def _largest_remainder(weights, n):
    weights = np.asarray(weights, dtype=float)
    raw = weights / weights.sum() * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return counts


class ZoomSampler:
    """Proposes each round's candidates from the history of earlier rounds.

    Parameters
    ----------
    space : SearchSpace
    seed : int
        Base seed; round ``r`` uses its own stream derived from it.
    elite_fraction, explore_fraction, zoom_factor, max_regions :
        See :class:`~skhp.CoarseToFineSearchCV`.
    """

    def __init__(
        self, space, seed, *, elite_fraction=0.15, explore_fraction=0.1,
        zoom_factor=ZOOM_FACTOR, max_regions=3,
    ):
        self.space = space
        self.seed = int(seed)
        self.elite_fraction = elite_fraction
        self.explore_fraction = explore_fraction
        self.zoom_factor = zoom_factor
        self.max_regions = max_regions
        # Sobol' points used so far per sub-space (part of the checkpointed state).
        self.sobol_used = [0] * len(space.subspaces)
        self._sobol_engines = {}  # (seed, sub-space index) -> engine at sobol_used

    # -- state -------------------------------------------------------------
    def get_state(self):
        return {"sobol_used": list(self.sobol_used)}

    def set_state(self, state):
        self.sobol_used = list(state["sobol_used"])

    def _rng(self, round_idx):
        return np.random.default_rng([self.seed, round_idx])

    # -- building blocks ---------------------------------------------------
    def _sobol(self, sub, n):
        """The next ``n`` points of the sub-space's scrambled Sobol' sequence."""
        engine = self._sobol_engines.get((self.seed, sub.index))
        if engine is None or engine.num_generated != self.sobol_used[sub.index]:
            # A new engine (first use, or state restored from a checkpoint);
            # otherwise the last one goes on where it stopped.
            engine = qmc.Sobol(
                max(sub.n_units, 1), scramble=True,
                rng=np.random.default_rng([self.seed, 7, sub.index]),
            )
            if self.sobol_used[sub.index]:
                engine.fast_forward(self.sobol_used[sub.index])
            self._sobol_engines[self.seed, sub.index] = engine
        self.sobol_used[sub.index] += n
        with warnings.catch_warnings():
            # The balance warning is about powers of two; coverage is what we use.
            warnings.simplefilter("ignore", UserWarning)
            return engine.random(n)[:, : sub.n_units]

    def width(self, round_idx):
        """Full width, in unit coordinates, of the regions of a round."""
        return self.zoom_factor ** round_idx

    def _regions(self, elites, width, rank_weights):
        """Greedy grouping of elites (best first) into at most max_regions.

        A region is a dict: ``subspace``, ``members`` (its elites, best first),
        ``ranks`` and ``weights`` (their ranks among all elites and log-rank
        weights), ``donors`` (every elite of its sub-space, best first, as an
        array: what crossover borrows from) and ``n_candidates`` (proposals
        accepted in it so far).
        """
        regions = []
        for rank, rec in enumerate(elites):
            sub = self.space.subspaces[rec["subspace"]]
            for region in regions:
                if region["subspace"] != rec["subspace"]:
                    continue
                c = region["members"][0]["u"][sub.num_units]
                if sub.num_units.size == 0 or np.max(np.abs(rec["u"][sub.num_units] - c)) <= width:
                    region["members"].append(rec)
                    region["ranks"].append(rank)
                    break
            else:
                if len(regions) < self.max_regions:
                    regions.append({"subspace": rec["subspace"], "members": [rec], "ranks": [rank]})
        for region in regions:
            sub = self.space.subspaces[region["subspace"]]
            region["weights"] = [rank_weights[r] for r in region["ranks"]]
            donors = [e["u"] for e in elites if e["subspace"] == sub.index][:_MAX_GOOD]
            region["donors"] = np.array(donors).reshape(len(donors), sub.n_units)
            region["n_candidates"] = 0
        return regions

    def _sample_region(self, region, n, sigma, rng):
        sub = self.space.subspaces[region["subspace"]]
        members = region["members"]
        w = np.array(region["weights"])
        parents = rng.choice(len(members), size=n, p=w / w.sum())
        M = np.array([m["u"] for m in members], dtype=float).reshape(len(members), sub.n_units)
        U = self._crossover(M[parents], sub, region["donors"], rng)
        if sub.num_units.size:
            noise = rng.standard_normal((n, sub.num_units.size)) * sigma
            U[:, sub.num_units] = _reflect(U[:, sub.num_units] + noise)
        for dim in sub.cat_dims:
            col = sub.slices[dim.name].start
            counts = np.zeros(dim.n_choices)
            for m, wm in zip(members, w):
                counts[dim.indices(m["u"][col : col + 1])[0]] += wm
            p = (1 - _CATEGORICAL_EXPLORATION) * counts / counts.sum()
            p += _CATEGORICAL_EXPLORATION / dim.n_choices
            idx = rng.choice(dim.n_choices, size=n, p=p)
            U[:, col] = (idx + rng.random(n)) / dim.n_choices
        return U

    def _crossover(self, U, sub, donors, rng):
        """Numeric coordinates of the parents ``U`` borrowed from other elites.

        Good values of separate parameters combine, as TPE's independent
        densities allow. ``U`` is changed in place and returned.
        """
        if len(donors) > 1 and sub.num_units.size:
            n = len(U)
            mask = rng.random((n, sub.num_units.size)) < _CROSSOVER_RATE
            pick = rng.integers(len(donors), size=(n, sub.num_units.size))
            cols = U[:, sub.num_units]
            cols[mask] = donors[pick, np.broadcast_to(sub.num_units, pick.shape)][mask]
            U[:, sub.num_units] = cols
        return U

    def _log_density_factorized(self, sub, X, C, w, sigma):
        """log of a product over coordinates of 1-d kernel mixtures (as in TPE),
        each with a uniform prior component of weight 1."""
        w = np.append(w, 1.0)
        w = w / w.sum()
        norm = 1.0 / (sigma * np.sqrt(2 * np.pi))
        out = np.zeros(len(X))
        for j in sub.num_units:
            # Linear space is safe: the prior keeps every mixture >= w[-1].
            k = np.exp(-0.5 * ((X[:, j, None] - C[None, :, j]) / sigma) ** 2)
            out += np.log(norm * (k @ w[:-1]) + w[-1])
        for dim in sub.cat_dims:
            col = sub.slices[dim.name].start
            p = np.bincount(dim.indices(C[:, col]), weights=w[:-1], minlength=dim.n_choices)
            p = p + w[-1] / dim.n_choices
            out += np.log(p[dim.indices(X[:, col])])
        return out

    def _screen(self, sub, pool, m, contrast, sigma):
        """Keep the ``m`` pool points with the highest ratio l(x) / g(x).

        ``l`` is the density of the elites (weighted), ``g`` the one of the
        other valid candidates, each a product over coordinates of 1-d kernel
        mixtures with a uniform prior component: the acquisition of TPE, applied
        to a pool drawn from the zoomed region. Points already kept join ``g``
        (a pessimistic "liar"), so one batch spreads out instead of piling onto
        the single best point.
        """
        good, bad = contrast.good, contrast.bad
        log_l = self._log_density_factorized(sub, pool, good, contrast.good_weights, sigma)
        # g is kept as unnormalized per-coordinate sums (the normalization is
        # the same for every pool point), updated in O(pool) per kept point.
        norm = 1.0 / (sigma * np.sqrt(2 * np.pi))
        num = pool[:, sub.num_units]
        g_num = np.ones_like(num)  # the uniform prior, density 1
        for b in bad[:, sub.num_units]:
            g_num += norm * np.exp(-0.5 * ((num - b) / sigma) ** 2)
        cats = [(dim.indices(pool[:, sub.slices[dim.name].start]),
                 np.bincount(dim.indices(bad[:, sub.slices[dim.name].start]),
                             minlength=dim.n_choices) + 1.0 / dim.n_choices)
                for dim in sub.cat_dims]
        chosen, m = [], min(m, len(pool))
        # Large rounds keep points a few at a time (1 at a time up to 32).
        step = max(1, m // 32)
        while len(chosen) < m:
            log_g = np.log(g_num).sum(axis=1)
            for idx, counts in cats:
                log_g += np.log(counts[idx])
            score = log_l - log_g
            score[chosen] = -np.inf
            k = min(step, m - len(chosen))
            best = np.argpartition(-score, k - 1)[:k] if k > 1 else [int(np.argmax(score))]
            chosen.extend(int(i) for i in best)
            for i in best:
                g_num += norm * np.exp(-0.5 * ((num - num[i]) / sigma) ** 2)
                for idx, counts in cats:
                    counts[idx[i]] += 1
        return pool[chosen]

    # -- one round ---------------------------------------------------------
    def propose(self, round_idx, n, history, seen, seeds=()):
        """Candidates for a round.

        Parameters
        ----------
        round_idx : int
        n : int
            Number of candidates wanted.
        history : list of dict
            Earlier candidates: ``subspace``, ``u``, ``score`` (NaN if failed).
        seen : set
            Keys of every candidate evaluated so far; not modified.
        seeds : sequence of (subspace, u)
            Candidates to put first (warm start), ranked best first.

        Returns
        -------
        proposals : list of (subspace, u, params)
            At most ``n``; fewer only when a finite space runs out.
        report : dict
            ``round``, ``n_candidates``, ``width`` (1.0 for a whole-space
            round), ``regions`` (see ``_regions``) and, aligned with
            ``proposals``, ``origins`` (one of :data:`ORIGINS` each: round 0's
            Sobol' ``"design"``, a ``"warm start"`` seed, a later round's
            ``"exploration"``, a category ``"swap"``, a zoom ``"region"``, or
            ``"enumerated"`` when a small finite space runs dry) and
            ``region_of`` (the index in ``regions`` of a region candidate, -1
            for the others).
        """
        rng = self._rng(round_idx)
        batch = _Batch(self.space, seen)

        for s, u in seeds:
            if len(batch) >= n:
                break
            sub = self.space.subspaces[s]
            batch.add(s, u, sub.params_from_unit(u[None, :], rng)[0], "warm start")

        valid = [h for h in history if math.isfinite(h["score"])]
        n_left = n - len(batch)
        if round_idx == 0 or not valid:
            n_explore = n_left
        else:
            n_explore = min(n_left, int(round(self.explore_fraction * n)))
        n_zoom = n_left - n_explore

        width = self.width(round_idx)
        regions = []
        if n_zoom > 0:
            order = sorted(range(len(valid)), key=lambda i: -valid[i]["score"])
            n_elite = max(1, int(np.ceil(self.elite_fraction * len(valid))))
            elites = [valid[i] for i in order[:n_elite]]
            rank_w = np.log(n_elite + 1) - np.log(np.arange(n_elite) + 1)
            regions = self._regions(elites, width, rank_w)
            n_zoom -= self._swap_categories(elites[0], max(1, n_zoom // 4), rng, batch)
            counts = _largest_remainder([sum(r["weights"]) for r in regions], n_zoom)
            sigma = kernel_sigma(width)
            elite_ids = {id(e) for e in elites}
            others = [h for h in valid if id(h) not in elite_ids]
            for j, (region, m) in enumerate(zip(regions, counts)):
                if m == 0:
                    continue
                sub = self.space.subspaces[region["subspace"]]
                bad = [h["u"] for h in others if h["subspace"] == sub.index]
                if len(bad) > _MAX_BAD:
                    bad = [bad[i] for i in rng.choice(len(bad), _MAX_BAD, replace=False)]
                good_weights = [w for e, w in zip(elites, rank_w) if e["subspace"] == sub.index]
                contrast = _Contrast(
                    good=region["donors"],
                    good_weights=np.array(good_weights[:_MAX_GOOD]),
                    bad=np.array(bad).reshape(len(bad), sub.n_units),
                )
                self._fill_region(j, region, m, sigma, rng, batch, contrast)

        self._explore(n - len(batch), rng, batch, round_idx)
        if len(batch) < n:
            self._enumerate_rest(n - len(batch), rng, batch)
        report = {
            "round": round_idx,
            "n_candidates": len(batch),
            "width": 1.0 if not regions else width,
            "regions": regions,
            "origins": batch.origins,
            "region_of": batch.region_of,
        }
        return batch.proposals, report

    def _swap_categories(self, best, limit, rng, batch):
        """The best candidate with one categorical choice changed, untried first.

        Regions narrow choices to the elites', so a choice that lost in round 0
        with poor numeric values would otherwise rarely get a fair second try.
        Returns the number of candidates added.
        """
        sub = self.space.subspaces[best["subspace"]]
        moves = [(dim, c) for dim in sub.cat_dims for c in range(dim.n_choices)]
        n_added = 0
        for i in rng.permutation(len(moves)):
            if n_added >= limit:
                break
            dim, c = moves[i]
            u = best["u"].copy()
            u[sub.slices[dim.name].start] = (c + 0.5) / dim.n_choices
            n_added += batch.add(sub.index, u, sub.params_from_unit(u[None, :], rng)[0], "swap")
        return n_added

    def _draw_region(self, region, m, sigma, rng, contrast):
        """``m`` unit points for a region: a pool from its kernels, screened."""
        sub = self.space.subspaces[region["subspace"]]
        pool = self._sample_region(region, min(_POOL_FACTOR * m, _MAX_POOL), sigma, rng)
        return self._screen(sub, pool, m, contrast, sigma)

    def _fill_region(self, j, region, m, sigma, rng, batch, contrast):
        """Add up to ``m`` candidates drawn in ``region``, the round's ``j``-th."""
        sub = self.space.subspaces[region["subspace"]]
        U = self._draw_region(region, m, sigma, rng, contrast)
        params = sub.params_from_unit(U, rng)
        for u, p in zip(U, params):
            if batch.add(sub.index, u, p, "region", j):
                region["n_candidates"] += 1
                continue
            # A duplicate (integer or categorical space): redraw wider.
            for attempt in range(1, _MAX_REDRAWS + 1):
                u2 = self._sample_region(region, 1, sigma * 1.5**attempt, rng)
                if batch.add(sub.index, u2[0], sub.params_from_unit(u2, rng)[0], "region", j):
                    region["n_candidates"] += 1
                    break

    def _explore(self, n, rng, batch, round_idx):
        origin = "design" if round_idx == 0 else "exploration"
        live = list(self.space.subspaces)
        for attempt in range(_MAX_REDRAWS):
            if n <= 0 or not live:
                return
            # Round robin over sub-spaces, starting where round and attempt say.
            per_sub = [0] * len(live)
            for i in range(n):
                per_sub[(round_idx + attempt + i) % len(live)] += 1
            dead = []
            for sub, k in zip(live, per_sub):
                if k == 0:
                    continue
                U = self._sobol(sub, k)
                got = sum(batch.add(sub.index, u, p, origin)
                          for u, p in zip(U, sub.params_from_unit(U, rng)))
                n -= got
                if got == 0 and sub.size is not None:
                    dead.append(sub)  # probably used up: let the others fill in
            live = [sub for sub in live if sub not in dead]

    def _enumerate_rest(self, n, rng, batch):
        size = self.space.size
        if size is None or size > _ENUMERATE_LIMIT:
            return
        rest = self.space.enumerate()
        for i in rng.permutation(len(rest)):
            if n <= 0:
                return
            s, u, params = rest[i]
            n -= batch.add(s, u, params, "enumerated")
