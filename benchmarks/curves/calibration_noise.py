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

A second table tries the lead of keeping judging a rung as the rounds add
networks, on the case that cost the real Fashion-MNIST seed 0 its pruning:
the sample rejects the first rung (below 0.6) and trusts the second, so
the next round's 15 candidates all reach the second rung unpruned. Their
scores there and at the first rung, with the sample's, give the first
rung's Spearman against the second over 21 networks; under a Markov
assumption (the first rung tells about the full epochs only through the
second) its Spearman against the full epochs is the product of that and
the sample's Spearman of the second rung. The table gives how often the
first rung prunes from the third round on: on the sample alone (today), on
the product where the case arises, and on the mean of the product and the
sample's own Spearman. The 15 are drawn at random from the table, as
round 0's are; a real later round draws them zoomed, among better networks,
where rungs rank worse (``race.py --summary``'s top-quarter Spearman).

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


def _rho(a, b):
    """Spearman of ``a`` and ``b``; -1 for a constant sample (no ranking)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant sample: no correlation
        rho = spearmanr(a, b).statistic
    return rho if np.isfinite(rho) else -1.0


def agreement(val, rung, top, n, rng):
    """The share of ``n``-network samples whose Spearman reaches THRESHOLD."""
    hits = 0
    for _ in range(DRAWS):
        i = rng.choice(len(val), n, replace=False)
        hits += bool(_rho(val[i, rung - 1], val[i, top - 1]) >= THRESHOLD)
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


def rejudged(val, rungs, top, rng, n=6, round_size=15):
    """How often the first rung prunes from the third round on: on the
    sample alone, with the chained product, and with the mean of the two."""
    first, second, full = (val[:, r - 1] for r in (rungs[0], rungs[1], top))
    counts = np.zeros(3)
    for _ in range(DRAWS):
        i = rng.choice(len(val), n, replace=False)
        direct, above = _rho(first[i], full[i]), _rho(second[i], full[i])
        chain = mean = direct >= THRESHOLD
        if not chain and above >= THRESHOLD:  # rejected below a trusted rung
            rest = np.setdiff1d(np.arange(len(val)), i)
            more = np.r_[i, rng.choice(rest, round_size, replace=False)]
            product = _rho(first[more], second[more]) * above
            chain, mean = product >= THRESHOLD, (product + direct) / 2 >= THRESHOLD
        counts += [direct >= THRESHOLD, chain, mean]
    return counts / DRAWS


def main_rejudged():
    rng = np.random.default_rng(0)
    print("\n| table | first rung (epochs) | Spearman, all | prunes: sample alone "
          "| with the product | with the mean of both |")
    print("|---|---|---|---|---|---|")
    for name in TABLES:
        table = load_table(name)
        val, top = table.recorded["val"], table.max_epochs
        rungs = rung_resources(1, top, 3, 15)
        shares = rejudged(val, rungs, top, rng)
        print(f"| {name} | {rungs[0]} | {_rho(val[:, rungs[0] - 1], val[:, top - 1]):.2f} | "
              + " | ".join(f"{s:.0%}" for s in shares) + " |")


if __name__ == "__main__":
    main()
    main_rejudged()
