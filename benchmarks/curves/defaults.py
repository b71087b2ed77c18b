"""How ``skhp tune``'s rung defaults were chosen: variants raced on the tables.

Each variant is ``CoarseToFineSearchCV`` with rungs over the epochs, at a
number of candidates and rounds and a calibration sample size (the round's
first candidates that go to the full epochs whatever their scores while no
rung has been judged; ``whole`` is every candidate of the round, the rule
before the sample existed; ``none`` is unchecked halving). It runs on the
same tables, budgets and seeds as ``race.py`` and is judged against the
rivals ``race.py`` cached: at each of B/8, B/4, B/2 and B, whether its median
regret is the lowest or tied with it (paired bootstrap, as ``race.py``).
Results are cached in ``results/defaults/``.

Run ``python benchmarks/curves/defaults.py [--seeds 10]`` (about 10 minutes
on 2 cores), ``--report`` to print the table only. Every variant trains a
rung's promoted candidates best first (the rule since the sample), so
``30 in 3, sample whole`` is the earlier default but for that order.
"""

import argparse
import json
import os
import sys
from functools import partial
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

sys.path.insert(0, os.path.dirname(__file__))
import race  # noqa: E402
from methods import coarse_to_fine  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "defaults"
#: name -> (n_iter, n_rounds, calibration sample: an int, "whole" or "none"[,
#: zoom_factor])
VARIANTS = {
    f"{n_iter} in {n_rounds}, sample {sample}": (n_iter, n_rounds, sample)
    for n_iter, n_rounds, samples in [(30, 3, ("whole",)), (60, 4, (6, 10, "whole")),
                                      (120, 4, (6,)), (120, 8, (6,))]
    for sample in samples
} | {"120 in 4, unchecked": (120, 4, "none"),
     # skhp tune's rounds zooming to the last width of 6 rounds at 0.7, as
     # CoarseToFineSearchCV's "auto" rounds do (8 rounds at 0.7 end narrower)
     "120 in 8, sample 6, zoom 0.775": (120, 8, 6, 0.7 ** (5 / 7))}
RIVALS = ["random search", "halving (sklearn)", "one-epoch top-15", "Optuna TPE",
          "Optuna TPE + Hyperband", "SMAC3 BOHB", "CoarseToFineSearchCV"]


def _variant(name, table, seed, n_workers, horizon):
    """A variant's fits on ``table``."""
    from skhp.model_selection import _resources

    n_iter, n_rounds, sample, *zoom = VARIANTS[name]
    extra = {"min_rank_correlation": None} if sample == "none" else {}
    if zoom:
        extra["zoom_factor"] = zoom[0]
    # the sample is a module constant, set for this run only (a round never
    # holds 10**6 candidates), so that a process's later runs are not changed
    default = _resources.CALIBRATION_SAMPLE
    _resources.CALIBRATION_SAMPLE = 10**6 if sample in ("whole", "none") else sample
    try:
        return coarse_to_fine(table, seed, n_workers, horizon, n_iter=n_iter,
                              n_rounds=n_rounds, resource="max_iter", **extra)
    finally:
        _resources.CALIBRATION_SAMPLE = default


def run_one(table_name, name, seed, n_workers, budget):
    """One variant's run, as ``race.run_one`` records it."""
    return race.measure(name, partial(_variant, name), table_name, seed, n_workers, budget)


def run(names, seeds, n_jobs):
    jobs = []
    for table_name in race.TABLES:
        for n_workers in (1, 8):
            budget = race._cache(table_name, n_workers)[1][0]["budget"]
            done = {(r["method"], r["seed"]) for r in _rows(table_name, n_workers)}
            jobs += [(table_name, n, s, n_workers, budget)
                     for n in names for s in seeds if (n, s) not in done]
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(run_one)(*j) for j in jobs)
    for result, job in zip(results, jobs):
        with open(race._cache(job[0], job[3], RESULTS)[0], "a") as f:
            f.write(json.dumps(result) + "\n")


def _rows(table_name, n_workers):
    return race._cache(table_name, n_workers, RESULTS)[1]


def points_won(name, table_name, n_workers, rng):
    """Per budget point, whether ``name`` is the lowest or tied with it."""
    rivals = race._cache(table_name, n_workers)[1]
    mine = race.curves_of(_rows(table_name, n_workers), name)
    if not mine:
        return None
    won = []
    for fraction in race.POINTS.values():
        k = int(np.flatnonzero(race.FRACTIONS == fraction)[0])
        by_method = {m: {s: c[k] for s, c in race.curves_of(rivals, m).items()}
                     for m in RIVALS}
        by_method[name] = {s: c[k] for s, c in mine.items()}
        won.append(name in race._ties_best(by_method, rng)[1])
    return won


def report(names):
    """One line per variant: points won per table and workers, the total, and
    the median end of its runs as a fraction of B at one worker."""
    rng = np.random.default_rng(0)
    cells = [f"{t[:8]} w{w}" for t in race.TABLES for w in (1, 8)]
    print("| variant | " + " | ".join(cells) + " | points | ends at (1 worker) |")
    print("|---|" + "---|" * (len(cells) + 2))
    for name in names:
        won, ends = [], []
        for table_name in race.TABLES:
            for n_workers in (1, 8):
                won.append(points_won(name, table_name, n_workers, rng))
                if n_workers == 1:
                    rows = _rows(table_name, 1)
                    ends += [r["end"] / r["budget"] for r in rows if r["method"] == name]
        if any(w is None for w in won):
            continue
        print(f"| {name} | " + " | ".join(str(sum(w)) for w in won)
              + f" | {sum(map(sum, won))} | {np.median(ends):.2f} B |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--only", nargs="*", default=list(VARIANTS),
                        help="the variants to run (all are reported)")
    args = parser.parse_args()
    if not args.report:
        run(args.only, range(args.seeds), args.n_jobs)
    report(list(VARIANTS))


if __name__ == "__main__":
    main()
