"""The real-fit race on Fashion-MNIST: ``skhp tune`` against its
``--no-halving`` run and Optuna TPE + Hyperband, on the wall clock.

Issue 24's last target: on Fashion-MNIST with 20,000 training rows (the
official test set), ``skhp tune``'s default reaches the ``--no-halving``
run's test accuracy (within 0.3 points) in at most half its wall time
(median of 3 seeds), and at least Optuna TPE + Hyperband's accuracy at
equal wall time.

Per seed: ``skhp tune --dataset fashion-mnist --max-samples 20000 --seed S
--n-jobs 2`` with and without ``--no-halving`` (run as a user runs them, in
a subprocess; the wall time is the whole command's, the refit and the test
included). Optuna 5's TPESampler with its HyperbandPruner (min_resource 1,
max_resource the epochs ``skhp tune`` chose, reduction factor 3) then
tunes the same pipeline over the same space (``methods._optuna_params``) on
the same 20,000 rows and the same 3 stratified folds (``cv=3``), each fold
scaled once (as a careful user would), each trial's fold networks trained
epoch by epoch (``warm_start="continue"``) and reported by their mean fold
accuracy; it stops starting trials once ``skhp tune``'s
wall time is spent, one trial at a time at the default BLAS threads, as
``study.optimize`` runs. Its best full-epoch trial is refitted on the
20,000 rows and scored on the test set (the refit not charged to it).

Results are appended to ``results/real_fashion.jsonl``; ``--report``
prints the table. Run ``python benchmarks/curves/real_fashion.py --seeds 3``
(about 11 minutes a seed on 2 cores, with nothing else running:
the wall times are the measurement).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, train_test_split

sys.path.insert(0, os.path.dirname(__file__))
from methods import _optuna_params, tune_size  # noqa: E402
from real_cost import fit_rows  # noqa: E402
from replay import load_table  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "real_fashion.jsonl"
ROWS = 20_000


def run_cli(seed, *extra, keep=None):
    """One ``skhp tune`` command: its wall seconds, test accuracy and run.json.

    Its output folder is temporary, or ``keep`` (a path, for ``real_cost.py``).
    """
    folder = contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory()
    if keep:  # a kept folder of an earlier run is replaced, not written beside
        extra = (*extra, "--overwrite", "--no-resume")
    with folder as out:
        command = [sys.executable, "-m", "skhp", "tune", "--dataset", "fashion-mnist",
                   "--max-samples", str(ROWS), "--seed", str(seed), "--n-jobs", "2",
                   "--no-plots", "--quiet", "--output", out, *extra]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        run = json.loads((Path(out) / "run.json").read_text())
        # per candidate-rung: the table's seconds (what the replay would
        # charge, real_cost.py) and the mean fit and score seconds of a fold
        rows = fit_rows(out)
    n_folds = int(run["search"]["cv"])
    # all folds on all workers: the part of the wall time the search decides
    # (the rest is start-up, waiting at the end of rungs, the refit, the test)
    run["fit_seconds"] = float((rows[:, 1] + rows[:, 2]).sum() * n_folds)
    run["table_seconds"] = float(rows[:, 0].sum())
    return wall, run["test_score"], run


def _data(seed):
    """The rows and folds ``skhp tune --max-samples 20000 --seed seed`` uses."""
    from skhp.cli._data import load_train_test

    X, y, X_test, y_test = load_train_test("fashion-mnist")
    X, _, y, _ = train_test_split(X, y, train_size=ROWS, stratify=y, random_state=seed)
    folds = list(StratifiedKFold(3).split(X, y))  # cv=3 on a classifier
    return X, y, X_test, y_test, folds


def run_optuna(seed, budget, max_iter):
    """Optuna TPE + Hyperband for ``budget`` wall seconds; its test accuracy."""
    import optuna

    from skhp.cli._factory import make_estimator

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y, X_test, y_test, folds = _data(seed)
    space_of = load_table("fashion-mnist")  # skhp tune's default space
    pipeline = make_estimator("classification")
    start, finished = time.perf_counter(), []

    # each fold scaled once, as a careful Optuna user would: a trial's
    # networks then train on epoch by epoch without refitting the scaler
    scaled = [(scaler.transform(X[train]), y[train], scaler.transform(X[test]), y[test])
              for train, test in folds
              for scaler in [clone(pipeline[0]).fit(X[train])]]

    def objective(trial):
        params = {f"mlp__{k}": v for k, v in _optuna_params(trial, space_of).items()}
        net = clone(pipeline).set_params(**params, mlp__random_state=seed,
                                         mlp__warm_start="continue")[-1]
        models = [clone(net) for _ in folds]
        for epoch in range(1, max_iter + 1):
            scores = []
            for model, (X_fit, y_fit, X_score, y_score) in zip(models, scaled):
                model.set_params(max_iter=epoch).fit(X_fit, y_fit)
                scores.append(model.score(X_score, y_score))
            trial.report(float(np.mean(scores)), epoch)
            if epoch < max_iter and trial.should_prune():
                raise optuna.TrialPruned()
        finished.append((float(np.mean(scores)), params))
        return float(np.mean(scores))

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_iter,
                                              reduction_factor=3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, timeout=budget, catch=(ValueError,))
    seconds = time.perf_counter() - start
    if not finished:
        return seconds, None, len(study.trials)
    _, params = max(finished, key=lambda f: f[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = clone(pipeline).set_params(**params, mlp__max_iter=max_iter,
                                           mlp__random_state=seed).fit(X, y)
    return seconds, float(model.score(X_test, y_test)), len(study.trials)


def _size(row):
    """A row's search size: candidates and rounds (rows before they were
    recorded ran the earlier default, 60 in 4)."""
    return row.get("n_iter", 60), row.get("n_rounds", 4)


def run_seed(seed, n_iter, n_rounds, keep=None):
    size = ("--n-iter", str(n_iter), "--n-rounds", str(n_rounds))
    name = f"{n_iter}in{n_rounds}-seed{seed}"
    tune_wall, tune_test, run = run_cli(
        seed, *size, keep=keep and Path(keep) / f"{name}-tune")
    full_wall, full_test, full_run = run_cli(
        seed, "--no-halving", *size, keep=keep and Path(keep) / f"{name}-no-halving")
    max_iter = int(run["search"]["max_iter"])
    optuna_wall, optuna_test, n_trials = run_optuna(seed, tune_wall, max_iter)
    row = {"seed": seed, "max_iter": max_iter, "n_iter": n_iter, "n_rounds": n_rounds,
           "skhp tune": {"wall": tune_wall, "test": tune_test,
                         "fit_seconds": run["fit_seconds"],
                         "table_seconds": run["table_seconds"],
                         # per round, the candidates at each rung: whether it pruned
                         "rung_candidates": run["search"].get("rung_candidates")},
           "--no-halving": {"wall": full_wall, "test": full_test,
                            "fit_seconds": full_run["fit_seconds"],
                            "table_seconds": full_run["table_seconds"]},
           "Optuna TPE + Hyperband": {"wall": optuna_wall, "test": optuna_test,
                                      "trials": n_trials}}
    print(json.dumps(row), flush=True)
    return row


def report(n_iter, n_rounds):
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    rows = [r for r in rows if _size(r) == (n_iter, n_rounds)]
    print(f"{n_iter} candidates in {n_rounds} rounds\n")
    if not rows:
        print("no runs of this size yet")
        return
    print("| seed | epochs | skhp tune: s, test | --no-halving: s, test | "
          "Optuna TPE + HB at skhp tune's time: test (trials) | time ratio | "
          "fit-seconds ratio | table-seconds ratio | accuracy gap to --no-halving (points) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t, f, o = r["skhp tune"], r["--no-halving"], r["Optuna TPE + Hyperband"]
        print(f"| {r['seed']} | {r['max_iter']} | {t['wall']:.0f}, {t['test']:.4f} "
              f"| {f['wall']:.0f}, {f['test']:.4f} | {o['test']:.4f} ({o['trials']}) "
              f"| {t['wall'] / f['wall']:.2f} | {_fit_ratio(r):.2f} "
              f"| {_fit_ratio(r, 'table_seconds'):.2f} "
              f"| {100 * (t['test'] - f['test']):+.2f} |")
    med = {k: np.median([r[k]["test"] for r in rows]) for k in rows[0] if isinstance(rows[0][k], dict)}
    ratio = np.median([r["skhp tune"]["wall"] / r["--no-halving"]["wall"] for r in rows])
    print(f"\nmedians: {', '.join(f'{k} {v:.4f}' for k, v in med.items())}; "
          f"time ratio {ratio:.2f}, fit-seconds ratio "
          f"{np.median([_fit_ratio(r) for r in rows]):.2f}")


def _fit_ratio(row, key="fit_seconds"):
    """skhp tune's fit (or table) seconds over --no-halving's (nan where not
    recorded)."""
    t, f = row["skhp tune"], row["--no-halving"]
    return t.get(key, np.nan) / f.get(key, np.nan)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--report", action="store_true")
    # skhp tune's defaults unless given: both runs and the rows are of this size
    n_iter, n_rounds = tune_size()
    parser.add_argument("--n-iter", type=int, default=n_iter)
    parser.add_argument("--n-rounds", type=int, default=n_rounds)
    parser.add_argument("--keep", metavar="FOLDER",
                        help="keep the runs' output folders there, for real_cost.py")
    args = parser.parse_args()
    if not args.report:
        done = set()
        if RESULTS.exists():
            done = {(r["seed"], *_size(r))
                    for r in map(json.loads, RESULTS.read_text().splitlines())}
        for seed in range(args.seeds):
            if (seed, args.n_iter, args.n_rounds) not in done:
                row = run_seed(seed, args.n_iter, args.n_rounds, args.keep)
                with open(RESULTS, "a") as f:
                    f.write(json.dumps(row) + "\n")
    report(args.n_iter, args.n_rounds)


if __name__ == "__main__":
    main()
