"""Check the replay against real fits.

Two checks, each printed as a table for ``docs/search_benchmarks.md``:

1. **Answers.** A dozen configurations of a task, half of them recorded in
   its table and half drawn afresh (proposals that fall between the
   records), are trained from scratch with three new seeds. For each, the
   replay's answer (final validation and test score, seconds of the whole
   fit) is set against the real fits' mean, and the gap against the
   seed-to-seed spread of the real fits: the training noise a search meets
   whatever the replay says.
2. **Ranking.** The race of ``race.py`` run with real fits (a
   :class:`RealTable` trains each proposal, once, as the table's build
   does, and charges the process seconds it recorded) and on the replay,
   same seeds, one worker, same B: the methods' median regrets at B/4 and B
   side by side, and the Spearman correlation of the two orders.

Run ``python benchmarks/curves/check_replay.py [--task digits]
[--seeds 8] [--n-jobs 2]``.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import spearmanr
from sklearn.model_selection import ParameterSampler
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(__file__))
import replay  # noqa: E402
from build import train_one  # noqa: E402
from methods import METHODS  # noqa: E402
from race import FRACTIONS, budget_of  # noqa: E402
from replay import Curves, incumbent_curve, load_table  # noqa: E402
from tasks import TASKS  # noqa: E402

#: the methods of the ranking check: real fits of every proposal to the full epochs
#: make the rivals with many proposals (one-epoch top-K, Hyperband, BOHB) take hours
RANKED = ["random search", "halving (sklearn)", "Optuna TPE",
          "CoarseToFineSearchCV", "skhp tune"]
SEEDS_PER_CONFIG = 3


class RealTable(Curves):
    """A table that trains each configuration it is asked for, once.

    It answers as :class:`replay.Table` does, from a real fit of the
    proposal (seed ``seed``), recorded epoch by epoch as ``build.py``
    records, so any method of ``methods.py`` races on it unchanged.
    Regret's zero is the replay table's, so both races are measured alike.
    """

    def __init__(self, name, seed):
        self.task, self.seed = TASKS[name], seed
        self.split = self.task.split()
        self.replay = load_table(name)
        self.name = f"{name}@real{seed}"
        self.max_epochs, self.space = self.replay.max_epochs, self.replay.space
        self.val, self.test, self.seconds, self._keys = [], [], [], {}

    def answer(self, params):
        key = repr(sorted({**self.replay.fixed, **params}.items()))
        if key not in self._keys:
            curves = real_curves(self.task, self.split, {**self.replay.fixed, **params},
                                 self.max_epochs, seed=self.seed * 10_000 + len(self.val))
            for store, curve in zip((self.val, self.test, self.seconds), curves):
                store.append(curve)
            self._keys[key] = len(self.val) - 1
        return self._keys[key]

    def best_test(self):
        return self.replay.best_test()


def real_curves(task, split, params, epochs, seed):
    """One real fit's curves (val, test, seconds), filled as the replay fills
    them (scores held after a fit stopped, its later epochs free)."""
    with threadpool_limits(1):
        val, test, seconds = train_one(task, split, params, epochs, seed)
    curves = np.full((3, epochs), np.nan)
    curves[:, :len(val)] = val, test, seconds
    return [replay.filled(curves[i:i + 1], i == 2, replay.Table.SCORE_FLOOR)[0]
            for i in range(3)]


# -- 1. answers ---------------------------------------------------------------------
def surrogate_error(name):
    """5-fold cross-validated mean absolute error of the final validation
    score: the replay's forest, and the nearest record (as a grid is used),
    over all records and over the top quarter of them."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.neighbors import KNeighborsRegressor

    table = load_table(name)
    U, y = table.units, table.recorded["val"][:, -1]
    cv = KFold(5, shuffle=True, random_state=0)
    forest = clone(table._surrogate)  # the replay's own forest, unfitted
    top = y >= np.quantile(y, 0.75)  # where a search spends its time
    errors = {}
    for label, model in (("forest", forest), ("nearest", KNeighborsRegressor(1))):
        gap = np.abs(cross_val_predict(model, U, y, cv=cv) - y)
        errors[label], errors[label + " top"] = float(gap.mean()), float(gap[top].mean())
    return errors


def check_answers(name, n_jobs):
    """Replay against three fresh real fits for 12 configurations."""
    table = load_table(name)
    recorded = table.params[:: len(table.params) // 6][:6]
    fresh = list(ParameterSampler(table.space, 6, random_state=12345))
    configs = [("recorded", p) for p in recorded] + [("between", p) for p in fresh]
    split, E = TASKS[name].split(), table.max_epochs
    fits = Parallel(n_jobs=n_jobs)(
        delayed(real_curves)(TASKS[name], split, {**table.fixed, **p}, E, seed=1000 + s)
        for _, p in configs for s in range(SEEDS_PER_CONFIG))
    print(f"\n### {name}: replay against {SEEDS_PER_CONFIG} real fits per configuration")
    print("| configuration | val: replay | val: real (sd) | test: replay | test: real (sd) "
          "| seconds: replay / real |")
    print("|---|---|---|---|---|---|")
    gaps, noise, seconds = [], [], []
    for i, (where, params) in enumerate(configs):
        real = np.array(fits[i * SEEDS_PER_CONFIG:(i + 1) * SEEDS_PER_CONFIG])
        c = table.answer(params)
        rv, rt = real[:, 0, -1], real[:, 1, -1]
        gaps.append(abs(table.score(c, E) - rv.mean()))
        noise.append(rv.std(ddof=1))
        seconds.append((table.cost(c, 0, E), real[:, 2].sum(axis=1).mean()))
        print(f"| {where} {_short(params)} | {table.score(c, E):.3f} | {rv.mean():.3f} "
              f"({rv.std(ddof=1):.3f}) | {table.score(c, E, 'test'):.3f} | {rt.mean():.3f} "
              f"({rt.std(ddof=1):.3f}) | {seconds[-1][0] / seconds[-1][1]:.2f} |")
    gaps, noise = np.array(gaps), np.array(noise)
    print(f"\nMedian |replay - real mean| of the validation score {np.median(gaps):.4f}; "
          f"median seed-to-seed sd {np.median(noise):.4f}; within 2 sd (+ the mean's own "
          f"error) for {np.sum(gaps <= 2 * noise * np.sqrt(1 + 1 / SEEDS_PER_CONFIG))} "
          f"of {len(gaps)}. Seconds of a fit, replay against real: Spearman "
          f"{spearmanr(*np.array(seconds).T)[0]:.2f} over the configurations, median ratio "
          f"{np.median(np.divide(*np.array(seconds).T)):.2f}.")
    errors = surrogate_error(name)
    print(f"Cross-validated error of the final validation score over the table's records: "
          f"the forest {errors['forest']:.4f} ({errors['forest top']:.4f} over the top quarter), "
          f"the nearest record {errors['nearest']:.4f} ({errors['nearest top']:.4f}); "
          f"seed-to-seed sd above: {np.median(noise):.4f}.")


def _short(params):
    p = params
    return (f"lr {p['learning_rate_init']:.2g}, batch {p['batch_size']}, "
            f"{tuple(p['hidden_layer_sizes'])}")


# -- 2. ranking ---------------------------------------------------------------------
CHECKS = Path(__file__).parent / "results" / "check"


def _race_one(name, method, seed, budget, real):
    table = RealTable(name, seed) if real else load_table(name)
    replay._LOADED[table.name] = table  # for the replay estimator's look-up
    fits = METHODS[method](table, seed, 1, budget)
    curve = np.nan_to_num(incumbent_curve(fits, table, FRACTIONS * budget), nan=1.0)
    return {"method": method, "seed": seed, "real": real, "regret": curve.tolist()}


def check_ranking(name, seeds, n_jobs):
    """The methods' median regrets, real fits against the replay; the real
    runs are cached in ``results/check/<task>.jsonl`` (they take long)."""
    budget = budget_of(name, 1, range(50))
    path = CHECKS / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    done = {(r["method"], r["seed"]) for r in rows}
    todo = [(m, s) for s in range(seeds) for m in RANKED if (m, s) not in done]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        for row in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                delayed(_race_one)(name, m, s, budget, True) for m, s in todo):
            f.write(json.dumps(row) + "\n")
            f.flush()
            rows.append(row)
    real = {}
    for r in rows:
        real.setdefault(r["method"], {})[r["seed"]] = np.array(r["regret"])
    common = sorted(set.intersection(*(set(v) for v in real.values())))
    replayed = {m: {s: np.array(_race_one(name, m, s, budget, False)["regret"])
                    for s in common} for m in RANKED}
    _print_ranking(name, budget, common, real, replayed)


def _print_ranking(name, budget, seeds, real, replayed):
    rng = np.random.default_rng(0)
    print(f"\n### {name}: median test regret, real fits against the replay "
          f"({len(seeds)} seeds, one worker, B = {budget:.1f} s)")
    print("| method | B/4 real [95% interval] | B/4 replay | B real [95% interval] | B replay |")
    print("|---|---|---|---|---|")
    orders = {}
    for m in RANKED:
        cells = []
        for p, fraction in (("B/4", 0.25), ("B", 1.0)):
            k = int(np.flatnonzero(FRACTIONS == fraction)[0])
            values = np.array([real[m][s][k] for s in seeds])
            boots = np.median(rng.choice(values, (1000, len(values))), axis=1)
            lo, hi = np.percentile(boots, [2.5, 97.5])
            rep = np.median([replayed[m][s][k] for s in seeds])
            orders.setdefault(p, []).append((np.median(values), rep))
            cells += [f"{np.median(values):.4f} [{lo:.4f}, {hi:.4f}]", f"{rep:.4f}"]
        print(f"| {m} | " + " | ".join(cells) + " |")
    for p, pairs in orders.items():
        rho = spearmanr(*np.array(pairs).T)[0]
        print(f"Spearman of the methods' order at {p}, real against replay: {rho:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--answers", nargs="*", default=list(TASKS))
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--skip-ranking", action="store_true")
    args = parser.parse_args()
    for name in args.answers:
        check_answers(name, args.n_jobs)
    if not args.skip_ranking:
        check_ranking(args.task, args.seeds, args.n_jobs)


if __name__ == "__main__":
    main()
