"""How many rounds should CoarseToFineSearchCV take at one worker? A lead for issue 24.

At full fidelity, one worker, 60 candidates: the median test regret of the
incumbent (best validation score) over ``--seeds`` seeds, for
``CoarseToFineSearchCV(n_rounds=k)`` (zoom 0.7 a round), its default
(``n_rounds="auto"``: 12 rounds of 5, the zoom narrowed to the last width
of 6 rounds at 0.7) and Optuna's default TPE, on each table of the replay.
More rounds mean more, smaller zoom steps (TPE updates its model after every
trial).

Run ``python benchmarks/curves/rounds.py [--rounds 2 3 4 6 12 20]
[--seeds 20] [--tables wine digits]``.
"""

import argparse
import os
import sys

import numpy as np
from joblib import Parallel, delayed

sys.path.insert(0, os.path.dirname(__file__))
from methods import coarse_to_fine, optuna_tpe  # noqa: E402
from race import TABLES  # noqa: E402
from replay import load_table  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from search_rounds import ratio_interval  # noqa: E402


def regret(name, n_rounds, seed):
    """Final regret of one run (``n_rounds=None``: Optuna's TPE; "auto":
    CoarseToFineSearchCV's default)."""
    table = load_table(name)
    if n_rounds is None:
        fits = optuna_tpe(table, seed, 1, np.inf)
    else:
        fits = coarse_to_fine(table, seed, 1, np.inf, n_rounds=n_rounds)
    best = max((f for f in fits if f.epochs == table.max_epochs), key=lambda f: f.val)
    return table.best_test() - best.test


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", default=TABLES)
    parser.add_argument("--rounds", nargs="*", type=int, default=[2, 3, 4, 6, 12, 20])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    variants = args.rounds + ["auto", None]
    runs = [(t, v, s) for t in args.tables for v in variants for s in range(args.seeds)]
    out = Parallel(n_jobs=args.n_jobs)(delayed(regret)(*run) for run in runs)
    print("| table | " + " | ".join(f"{v} rounds" for v in args.rounds)
          + " | the default (auto) | Optuna TPE |")
    print("|---|" + "---|" * len(variants))
    for t in args.tables:
        cells = [np.median([r for (tt, vv, _), r in zip(runs, out) if tt == t and vv == v])
                 for v in variants]
        print(f"| {t} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    print("\nThe default's median regret over each other's, [95% paired-bootstrap "
          "interval] (seeds resampled together)\n")
    print("| table | " + " | ".join(f"default / {v} rounds" for v in args.rounds)
          + " | default / Optuna TPE |")
    print("|---|" + "---|" * (len(variants) - 1))
    for t in args.tables:
        regrets = {v: np.array([r for (tt, vv, _), r in zip(runs, out) if tt == t and vv == v])
                   for v in variants}
        cells = []
        for v in args.rounds + [None]:
            lo, hi = ratio_interval(regrets["auto"], regrets[v])
            ratio = np.median(regrets["auto"]) / np.median(regrets[v])
            cells.append(f"{ratio:.2f} [{lo:.2f}, {hi:.2f}]")
        print(f"| {t} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
