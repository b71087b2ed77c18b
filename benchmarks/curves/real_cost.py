"""What a real ``skhp tune`` run's fits cost, against what the replay charges for them.

The replay charges a fit the recorded seconds of the epochs it trains and
nothing else. For each row of a run's ``cv_results.csv`` (one candidate at
one rung, its mean over the folds), this looks up the epochs that row
trained in the Fashion-MNIST table: from the rung below for a continued
rung, from scratch for a first rung and for the last round's top rung
(which goes through scikit-learn's evaluation, straight). It prints, per
rung, the table's seconds and the measured fit and score seconds, and the
least-squares line "measured fit = per-fit cost + factor x table seconds".

So a gap between the replay's time ratio and a real one splits in three:
which candidates the run trained (the table's seconds of its own fits),
what each fit costs beyond its epochs (the line's intercept: preprocessing,
set-up, the slice of the fold) and the scoring, and what the command pays
outside its fits (start-up, waiting at the end of rungs, the refit).

Run ``python benchmarks/curves/real_cost.py OUTPUT_FOLDER [...]`` on the
folders of ``skhp tune --dataset fashion-mnist --max-samples 20000``, or
``--replay N`` for the ratio the replay predicts: ``skhp tune``'s default
against its ``--no-halving`` run (the same candidates and rounds at the
full epochs), the table seconds of all their fits, over N seeds.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from replay import load_table  # noqa: E402

STEP = "mlp__"


def fit_rows(folder, table_name="fashion-mnist"):
    """Per row of the run: (table seconds, fit seconds, score seconds, rung)."""
    table = load_table(table_name)
    results = pd.read_csv(Path(folder) / "cv_results.csv")
    run = json.loads((Path(folder) / "run.json").read_text())
    rungs = run["search"].get("halving_rungs") or [run["search"]["max_iter"]]
    has_rungs = "rung" in results
    last_round = results["round"].max()
    rows = []
    for _, row in results.iterrows():
        params = {k[len(STEP):]: v for k, v in json.loads(row["params"]).items()}
        params.pop("max_iter", None)
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        rung = int(row["rung"]) if has_rungs else 0
        straight = rung == 0 or (rung == len(rungs) - 1 and row["round"] == last_round)
        start = 0 if straight else rungs[rung - 1]
        config = table.answer(params)
        rows.append((table.cost(config, start, rungs[rung]), row["mean_fit_time"],
                     row["mean_score_time"], rung))
    return np.array(rows)


def report(folder):
    rows = fit_rows(folder)
    A = np.c_[np.ones(len(rows)), rows[:, 0]]
    intercept, factor = np.linalg.lstsq(A, rows[:, 1], rcond=None)[0]
    print(f"{folder}: {len(rows)} candidate-rungs; measured fit = {intercept:.3f} s "
          f"+ {factor:.2f} x table seconds")
    print("| rung | candidates | table s | fit s | score s |")
    print("|---|---|---|---|---|")
    for rung in np.unique(rows[:, 3]):
        r = rows[rows[:, 3] == rung]
        print(f"| {int(rung)} | {len(r)} | {r[:, 0].sum():.1f} | {r[:, 1].sum():.1f} "
              f"| {r[:, 2].sum():.1f} |")
    print(f"| all | {len(rows)} | {rows[:, 0].sum():.1f} | {rows[:, 1].sum():.1f} "
          f"| {rows[:, 2].sum():.1f} |")
    return rows


def replay_ratios(n_seeds, table_name="fashion-mnist"):
    """Per seed, the table seconds of ``skhp tune``'s fits over those of its
    ``--no-halving`` run, on the replay."""
    import warnings

    from joblib import Parallel, delayed
    from methods import coarse_to_fine, skhp_tune, tune_size

    n_iter, n_rounds = tune_size()  # --no-halving's, as skhp tune's

    def one(seed):
        table = load_table(table_name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tune = skhp_tune(table, seed, 1, None)
            full = coarse_to_fine(table, seed, 1, None, n_iter=n_iter, n_rounds=n_rounds)
        return sum(f.cost for f in tune) / sum(f.cost for f in full)

    return np.array(Parallel(n_jobs=2)(delayed(one)(s) for s in range(n_seeds)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--replay"]:
        ratios = replay_ratios(int(sys.argv[2]))
        print(f"replay, {len(ratios)} seeds: median {np.median(ratios):.2f}, "
              f"range {ratios.min():.2f}-{ratios.max():.2f}, "
              f"{np.sum(ratios > 0.5)} above 0.5")
    for folder in sys.argv[1:] if sys.argv[1:2] != ["--replay"] else []:
        report(folder)
