"""Race the methods on the learning-curve tables, in simulated time.

For each table and number of simulated workers (1 and 8), B is the
simulated time random search takes for 60 candidates at the full epochs
(the median over the seeds). Every method then runs for each seed (the
open-ended ones until B), and its incumbent's regret is recorded at
fractions of B: the incumbent is the fit with the best validation score
among those at the most epochs reached so far, and its regret is the
table's best test score at the full epochs minus the incumbent's test score.

Results are cached line by line in ``results/race/<table>-w<workers>.jsonl``,
so a stopped race resumes; ``--summary`` prints the tables of
``docs/search_benchmarks.md`` from the cache, and draws one anytime picture
per table into ``docs/_static/curves/``.

Run ``python benchmarks/curves/race.py [--tables wine digits] [--methods
"Optuna TPE"] [--seeds 50] [--workers 1 8] [--n-jobs 2] [--summary]``.
"""

import argparse
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import spearmanr

sys.path.insert(0, os.path.dirname(__file__))
from methods import METHODS, CoarseToFineSearchCV, random_search, tune_size  # noqa: E402
from replay import ReplayMLP, incumbent_curve, load_table, stand_in_data  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "race"
PICTURES = Path(__file__).parents[2] / "docs" / "_static" / "curves"
#: Fractions of B at which the regret is kept: 2**(k/8) from 1/64 to 2.
FRACTIONS = 2.0 ** (np.arange(-48, 9) / 8)
POINTS = {"B/8": 2.0**-3, "B/4": 2.0**-2, "B/2": 2.0**-1, "B": 1.0}
TABLES = ["digits", "breast-cancer", "wine", "diabetes", "synthetic", "fashion-mnist"]


def run_one(table_name, method, seed, n_workers, budget):
    """One method's run: its regret at ``FRACTIONS`` of ``budget``; a row of
    a method whose defaults may change records the search size it ran."""
    row = measure(method, METHODS[method], table_name, seed, n_workers, budget)
    if method in SIZES:
        row["size"] = SIZES[method]()
    return row


def _c2f_size(resource):
    """CoarseToFineSearchCV's default candidates, rounds and zoom factor."""
    search = CoarseToFineSearchCV(None, {}, resource=resource)
    rounds = search._rounds()
    return [search.n_iter, len(rounds.sizes), round(rounds.zoom_factor, 6)]


# The search size of the methods that run a default: a cached row of another
# size is run again (its later row is the one read).
SIZES = {
    "skhp tune": lambda: list(tune_size()),
    "CoarseToFineSearchCV": lambda: _c2f_size(None),
    "CoarseToFineSearchCV, rungs": lambda: _c2f_size("max_iter"),
}


def _current(row):
    """Whether a cached row is of what the method runs today."""
    size = SIZES.get(row["method"])
    return size is None or row.get("size") == size()


def measure(name, search, table_name, seed, n_workers, budget):
    """Run ``search(table, seed, n_workers, horizon)`` (its fits) and record
    it as ``name``: its regret at ``FRACTIONS`` of ``budget``, its end and
    its process seconds."""
    table = load_table(table_name)
    start = time.process_time()
    with warnings.catch_warnings():
        # the rivals' own numerical warnings (SMAC3's empty means) are noise here
        warnings.simplefilter("ignore")
        fits = search(table, seed, n_workers, budget)
    return {
        "method": name, "seed": seed, "budget": budget,
        "end": max(f.finish for f in fits), "n_fits": len(fits),
        "regret": incumbent_curve(fits, table, FRACTIONS * budget).tolist(),
        "cpu_seconds": time.process_time() - start,
    }


def _cache(table_name, n_workers, folder=RESULTS):
    path = folder / f"{table_name}-w{n_workers}.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return path, rows


def curves_of(rows, method):
    """A method's regret curves in cached ``rows``, by seed (NaN, before its
    first fit, counted as 1); rows of an earlier default size left out."""
    return {r["seed"]: np.nan_to_num(np.array(r["regret"], dtype=float), nan=1.0)
            for r in rows if r["method"] == method and _current(r)}


def budget_of(table_name, n_workers, seeds):
    """B: random search's simulated time for its 60 candidates (median)."""
    table = load_table(table_name)
    ends = [max(f.finish for f in random_search(table, s, n_workers, np.inf)) for s in seeds]
    return float(np.median(ends))


def race(table_name, methods, seeds, n_workers, n_jobs):
    """Run what the cache lacks for one table and number of workers."""
    path, rows = _cache(table_name, n_workers)
    budget = rows[0]["budget"] if rows else budget_of(table_name, n_workers, range(50))
    done = {(r["method"], r["seed"]) for r in rows if _current(r)}
    todo = [(m, s) for m in methods for s in seeds if (m, s) not in done]
    print(f"{table_name}, {n_workers} worker(s): B = {budget:.1f} s simulated, "
          f"{len(todo)} runs to go", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(run_one)(table_name, m, s, n_workers, budget) for m, s in todo)
    with open(path, "a") as f:
        for result in results:
            f.write(json.dumps(result) + "\n")
            f.flush()


# -- the summary -------------------------------------------------------------------
def first_rung_spearman(table):
    """Spearman, over the table's recorded configurations, of the validation
    score at the first rung ``skhp tune`` runs against the score at the full
    epochs."""
    X, y, split = stand_in_data()
    n_iter, n_rounds = tune_size()
    search = CoarseToFineSearchCV(ReplayMLP(table=table.name, max_iter=table.max_epochs),
                                  table.space, n_iter=n_iter, n_rounds=n_rounds,
                                  resource="max_iter", cv=split)
    rung = search.rung_plan(X, y)[0]
    low, full = table.recorded["val"][:, rung - 1], table.recorded["val"][:, -1]
    return rung, float(spearmanr(low, full)[0])


def top_quarter_spearman(table, rung):
    """The same correlation among the configurations in the top quarter at
    the full epochs: whether the rung tells the best from the good."""
    low, full = table.recorded["val"][:, rung - 1], table.recorded["val"][:, -1]
    top = full >= np.quantile(full, 0.75)
    return float(spearmanr(low[top], full[top])[0])


def promoted_cost(table, rung):
    """Seconds per epoch, over the recorded configurations: of all, of the
    third a rung keeps (the best third at ``rung``) and of the best third at
    the full epochs. A rung that favoured networks slower than the good
    ones would keep a third dearer than the best third at the full epochs."""
    val, seconds = table.recorded["val"], table.recorded["seconds"]
    # over the epochs trained: a fit stopped on a plateau records 0 s after it
    per_epoch = seconds.sum(axis=1) / np.maximum((seconds > 0).sum(axis=1), 1)
    third = len(val) // 3
    kept = np.argsort(-val[:, rung - 1], kind="stable")[:third]
    best = np.argsort(-val[:, -1], kind="stable")[:third]
    return per_epoch.mean(), per_epoch[kept].mean(), per_epoch[best].mean()


def _median_ci(values, rng, n_boot=1000):
    values = np.asarray(values)
    boots = np.median(rng.choice(values, (n_boot, len(values))), axis=1)
    return np.median(values), np.percentile(boots, [2.5, 97.5])


def _ties_best(by_method, rng, n_boot=1000):
    """The method with the lowest median regret, and the methods whose
    paired-bootstrap 95% interval of the median difference to it, over the
    seeds both ran, includes 0."""
    medians = {m: np.median(list(v.values())) for m, v in by_method.items()}
    best = min(medians, key=medians.get)
    ties = {best}
    for m, v in by_method.items():
        shared = sorted(set(v) & set(by_method[best]))
        diff = np.array([v[s] - by_method[best][s] for s in shared])
        idx = rng.integers(0, len(diff), (n_boot, len(diff)))
        if np.percentile(np.median(diff[idx], axis=1), 2.5) <= 0:
            ties.add(m)
    return best, ties


@dataclass
class Summary:
    """One table's race at one number of workers, as the targets read it."""

    medians: dict  # method -> median regret at each of FRACTIONS
    ties: dict  # point of POINTS -> methods lowest or tied with the lowest
    reached: dict  # method -> fraction of B where random's final regret is reached


def summarize(table_name, n_workers):
    """Print one table's race: median regrets with intervals, time to random
    search's final regret; returns a :class:`Summary` (None without runs).

    A method's figures are over the seeds it ran (the slow rivals run fewer);
    a regret is NaN before a method's first fit ends, counted as 1 (worse
    than any score)."""
    _, rows = _cache(table_name, n_workers)
    if not rows:
        return None
    rng = np.random.default_rng(0)
    methods = [m for m in METHODS if any(r["method"] == m and _current(r) for r in rows)]
    curves = {m: curves_of(rows, m) for m in methods}
    at_b = int(np.flatnonzero(FRACTIONS == 1.0)[0])
    target = np.median([c[at_b] for c in curves["random search"].values()])
    print(f"\n{table_name}, {n_workers} worker(s) (B = {rows[0]['budget']:.2f} simulated s; "
          f"validation floor {load_table(table_name).validation_floor():.4f}); "
          "median test regret [95% interval], bold: the lowest or tied with it")
    print("| method | seeds | " + " | ".join(POINTS) + " | time to random's final regret |")
    print("|---|---|" + "---|" * (len(POINTS) + 1))
    cells, summary = {m: [] for m in methods}, Summary({}, {}, {})
    for point, fraction in POINTS.items():
        k = int(np.flatnonzero(FRACTIONS == fraction)[0])
        by_method = {m: {s: c[k] for s, c in curves[m].items()} for m in methods}
        _, summary.ties[point] = _ties_best(by_method, rng)
        for m in methods:
            med, (lo, hi) = _median_ci(list(by_method[m].values()), rng)
            mark = "**" if m in summary.ties[point] else ""
            cells[m].append(f"{mark}{med:.4f}{mark} [{lo:.4f}, {hi:.4f}]")
    for m in methods:
        summary.medians[m] = np.median(list(curves[m].values()), axis=0)
        reached = np.flatnonzero(summary.medians[m] <= target)
        summary.reached[m] = FRACTIONS[reached[0]] if len(reached) else np.inf
        print(f"| {m} | {len(curves[m])} | " + " | ".join(cells[m])
              + f" | {_when(summary.reached[m])} |")
    return summary


def _when(fraction):
    return f"B x {fraction:.3g}" if np.isfinite(fraction) else "not within 2B"


def print_targets(summaries, spearman):
    """The targets for ``skhp tune`` with rungs, table by table: the lowest
    median regret (or tied with it) at each budget point, and the time to
    random search's final regret. The full-fidelity target is ``rounds.py``'s."""
    print("\n| table | workers | skhp tune lowest or tied at B/8, B/4, B/2, B "
          "| skhp tune reaches random's final regret at |")
    print("|---|---|---|---|")
    for (name, n_workers), summary in summaries.items():
        if summary is None:
            continue
        tied = ", ".join("yes" if "skhp tune" in summary.ties[p] else "no" for p in POINTS)
        goal = "B/4" if spearman[name] >= 0.5 else "B"
        print(f"| {name} (Spearman {spearman[name]:.2f}) | {n_workers} | {tied} "
              f"| {_when(summary.reached.get('skhp tune', np.inf))} (goal {goal}) |")


def picture(table_name, summaries_by_workers):
    """One anytime picture per table: median regret against simulated time,
    1 and 8 workers side by side, into ``docs/_static/curves/``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (n_workers, summary) in zip(axes, summaries_by_workers.items()):
        for m, med in (summary.medians if summary else {}).items():
            ax.plot(FRACTIONS, med, label=m, lw=2 if "skhp" in m or "Coarse" in m else 1)
        ax.set_xscale("log")
        ax.set_title(f"{table_name}: {n_workers} worker(s)")
        ax.set_xlabel("simulated time / B")
        ax.axvline(1.0, color="grey", lw=0.5)
    axes[0].set_ylabel("median test regret")
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=7)
    PICTURES.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(PICTURES / f"{table_name}.png", dpi=80)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", default=TABLES)
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 8])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    summaries, spearman = {}, {}
    for name in args.tables:
        if args.summary:
            rung, spearman[name] = first_rung_spearman(load_table(name))
            print(f"\n## {name}: first rung {rung} epochs, Spearman {spearman[name]:.2f} "
                  "against the full epochs "
                  f"({top_quarter_spearman(load_table(name), rung):.2f} in the top quarter); "
                  "seconds per epoch: all %.4f, the third the rung keeps %.4f, "
                  "the best third at the full epochs %.4f" % promoted_cost(load_table(name), rung))
            for w in args.workers:
                summaries[name, w] = summarize(name, w)
            picture(name, {w: summaries[name, w] for w in args.workers})
            continue
        for n_workers in args.workers:
            methods = ["random search"] + [m for m in args.methods if m != "random search"]
            race(name, methods, list(range(args.seeds)), n_workers, args.n_jobs)
    if args.summary:
        print_targets(summaries, spearman)


if __name__ == "__main__":
    main()
