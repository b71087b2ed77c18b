"""How often a calibration sample lets a rung prune: the noise of a Spearman on few networks.

While no rung has been judged, ``skhp tune`` trains a round's first
``CALIBRATION_SAMPLE`` candidates to the full epochs and lets a rung prune
in later rounds if their scores at that rung rank them as the full epochs do
with a Spearman of at least ``min_rank_correlation`` (0.6). The sample is a
few random networks, so the decision is noisy. For each table and each rung
below the top (at ``skhp tune``'s rungs for a round of 15), this prints the
rung's Spearman over all the table's recorded configurations and, for
samples of 6, 10 and 15 of them drawn at random (2,000 draws each), how
often the sample's Spearman reaches 0.6.

Run ``python benchmarks/curves/calibration_noise.py`` (seconds).
"""

import os
import sys
import warnings

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, os.path.dirname(__file__))
from race import TABLES  # noqa: E402
from replay import load_table  # noqa: E402

from skhp.model_selection._resources import rung_resources  # noqa: E402

THRESHOLD, SIZES, DRAWS = 0.6, (6, 10, 15), 2000


def agreement(val, rung, top, n, rng):
    """The share of ``n``-network samples whose Spearman reaches THRESHOLD."""
    hits = 0
    for _ in range(DRAWS):
        i = rng.choice(len(val), n, replace=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a constant sample: no correlation
            rho = spearmanr(val[i, rung - 1], val[i, top - 1]).statistic
        hits += bool(rho >= THRESHOLD)
    return hits / DRAWS


def main():
    rng = np.random.default_rng(0)
    print("| table | rung (epochs) | Spearman, all | " +
          " | ".join(f"reaches 0.6, sample of {n}" for n in SIZES) + " |")
    print("|---|---|---|" + "---|" * len(SIZES))
    for name in TABLES:
        table = load_table(name)
        val, top = table.recorded["val"], table.max_epochs
        for rung in rung_resources(1, top, 3, 15)[:-1]:
            rho = spearmanr(val[:, rung - 1], val[:, top - 1]).statistic
            shares = [agreement(val, rung, top, n, rng) for n in SIZES]
            print(f"| {name} | {rung} | {rho:.2f} | "
                  + " | ".join(f"{s:.0%}" for s in shares) + " |")


if __name__ == "__main__":
    main()
