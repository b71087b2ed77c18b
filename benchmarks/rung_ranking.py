"""Why halving over epochs loses the anytime race: what a low rung predicts.

Successive halving over epochs rests on two assumptions: that a candidate's
rank after a few epochs predicts its rank at the full epochs, and that an
epoch costs about the same whatever the candidate. For the tasks and space of
``search_multifidelity.py``, this script trains 36 random candidates on every
fold, scores them at each rung of that benchmark's halving (factor 3, three
rungs), continuing each fold's network between rungs, and prints:

- the Spearman correlation of the rung-0 and rung-1 mean CV scores with the
  full-epoch ones, and where the full-epoch best candidate ranked at rung 0
  (halving keeps the top third);
- the median learning rate of the rung-0 top third against that of the
  full-epoch top third (short-horizon bias: a few epochs favour large steps);
- the correlation of the rung-0 score with the candidate's fit time, and the
  seconds per epoch of the rung-0 top third against all candidates (the
  configurations that learn fastest per epoch, wide and with small batches,
  cost the most per epoch).

Run ``python benchmarks/rung_ranking.py`` (about two minutes on 2 cores, at the
machine's default BLAS threads).
"""

import time
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterSampler

from search_multifidelity import SPACE, TASK_NAMES, load_task

N_CANDIDATES = 36


def rung_scores(task, seed=0):
    """(rungs, candidates, mean CV score per candidate and rung, seconds per candidate)."""
    X, y, _, _, est, cv, _, _ = load_task(task)
    full = est.max_iter
    rungs = [full // 9, full // 3, full]
    scorer = check_scoring(est)
    candidates = list(ParameterSampler(SPACE, N_CANDIDATES, random_state=seed))
    scores = np.zeros((len(candidates), len(rungs)))
    seconds = np.zeros(len(candidates))
    for i, params in enumerate(candidates):
        start = time.perf_counter()
        for train, test in cv.split(X, y):
            net = clone(est).set_params(**params, warm_start="continue")
            for k, epochs in enumerate(rungs):
                net.set_params(max_iter=epochs).fit(X[train], y[train])
                scores[i, k] += scorer(net, X[test], y[test]) / cv.get_n_splits()
        seconds[i] = time.perf_counter() - start
    return rungs, candidates, scores, seconds


def main():
    print("| task | rungs (epochs) | Spearman rung 0 / rung 1 vs full | full-epoch best's "
          "rank at rung 0 | median learning rate, rung-0 top third / full top third | "
          "Spearman rung-0 score vs fit time | s/epoch, rung-0 top third / all |")
    print("|---|---|---|---|---|---|---|")
    for task in TASK_NAMES:
        if task == "fashion-mnist":
            continue  # 36 candidates x 3 folds of 10,000 rows: too long for a diagnostic
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rungs, candidates, scores, seconds = rung_scores(task)
        n_kept = N_CANDIDATES // 3
        top0 = np.argsort(-scores[:, 0], kind="stable")[:n_kept]
        top_full = np.argsort(-scores[:, -1], kind="stable")[:n_kept]
        best = int(np.argmax(scores[:, -1]))
        rank_at_0 = int((scores[:, 0] > scores[best, 0]).sum()) + 1
        lr = np.array([c["learning_rate_init"] for c in candidates])
        per_epoch = seconds / rungs[-1]
        print(
            f"| {task} | {'/'.join(map(str, rungs))} "
            f"| {spearmanr(scores[:, 0], scores[:, -1]).statistic:.2f} / "
            f"{spearmanr(scores[:, 1], scores[:, -1]).statistic:.2f} "
            f"| {rank_at_0} of {N_CANDIDATES} "
            f"| {np.median(lr[top0]):.2g} / {np.median(lr[top_full]):.2g} "
            f"| {spearmanr(scores[:, 0], seconds).statistic:.2f} "
            f"| {1e3 * np.median(per_epoch[top0]):.1f} / {1e3 * np.median(per_epoch):.1f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
