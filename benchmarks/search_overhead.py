"""Overhead of CoarseToFineSearchCV's rounds and zoom, and its parallel speed-up.

1. An estimator that costs nothing to fit, 2,000 candidates: wall time of
   CoarseToFineSearchCV against RandomizedSearchCV (same budget, same cv), so
   what is measured is the search machinery. Target: ratio <= 1.1.
2. Real estimators, n_jobs=2 against n_jobs=1 on 2 cores. On digits: SVC
   (fits of about 40 ms, where joblib's per-task cost weighs most) and
   skhp's MLPClassifier (the networks this library tunes; fits of 30 ms to
   1 s, depending on the batch size). With ``--workload fashion``, not run by
   default as it takes minutes: skhp's MLPClassifier on 4,500 Fashion-MNIST
   images (fits of 0.1-0.4 s). Target: speed-up >= 1.8. The speed-up is also
   split into what the machine costs (fits and scoring run slower when two
   run at once) and what scheduling costs (cores not fitting or scoring),
   from the fit and score times in ``cv_results_``.

Timings alternate the two sides (A B A B ...), single-threaded BLAS, and report
medians and ratios (see /work/shared/MEASURING.md).

Usage::

    python benchmarks/search_overhead.py [--repeats 5] [--n-iter 2000]
        [--skip-free] [--skip-parallel] [--workload SVC|MLPClassifier|fashion]
"""

import argparse
import gc
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from _data import fashion_mnist_or_synthetic
from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform, loguniform_int


class Free(BaseEstimator):
    """Fitting and scoring cost nothing; the score depends on the parameters."""

    def __init__(self, lr=1e-3, units=32, opt="adam"):
        self.lr = lr
        self.units = units
        self.opt = opt

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -((np.log10(self.lr) + 3) ** 2 + 0.1 * (np.log2(self.units) - 6) ** 2)


SPACE = {"lr": loguniform(1e-6, 1.0), "units": loguniform_int(4, 4096), "opt": ["adam", "sgd"]}


def _time(fn):
    # Each run starts from the same heap: otherwise a full collection, due to
    # the objects earlier runs left, lands on whichever search runs next (70-80
    # ms, 5% of a free-estimator search).
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def alternate(a, b, repeats, pairs=False):
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(_time(a))
        tb.append(_time(b))
    if pairs:  # also the median of the pair-by-pair ratios, robust to load drift
        return np.median(ta), np.median(tb), np.median(np.array(ta) / np.array(tb))
    return np.median(ta), np.median(tb)


def free_estimator_table(args):
    X, y = np.zeros((10, 1)), np.zeros(10)
    with threadpool_limits(1):
        c2f, rand, pair_ratio = alternate(
            lambda: CoarseToFineSearchCV(Free(), SPACE, n_iter=args.n_iter, n_rounds=6,
                                         cv=2, random_state=0).fit(X, y),
            lambda: RandomizedSearchCV(Free(), SPACE, n_iter=args.n_iter, cv=2,
                                       random_state=0).fit(X, y),
            args.repeats, pairs=True,
        )
    print(f"Free estimator, {args.n_iter} candidates x 2 folds, medians of {args.repeats}\n")
    print("| search | wall time (s) | ratio of medians | median of pair ratios |")
    print("|---|---|---|---|")
    print(f"| RandomizedSearchCV | {rand:.2f} | 1.00 | 1.00 |")
    print(f"| CoarseToFineSearchCV (6 rounds) | {c2f:.2f} | {c2f / rand:.2f} | "
          f"{pair_ratio:.2f} |\n", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-iter", type=int, default=2000)
    parser.add_argument("--real-n-iter", type=int, default=60)
    parser.add_argument("--skip-parallel", action="store_true")
    parser.add_argument("--skip-free", action="store_true")
    parser.add_argument("--workload", choices=["SVC", "MLPClassifier", "fashion"],
                        action="append", help="time only this real estimator "
                        "(repeatable; default: SVC and MLPClassifier)")
    args = parser.parse_args()

    if not args.skip_free:
        free_estimator_table(args)
    if args.skip_parallel:
        return

    Xd, yd = load_digits(return_X_y=True)
    Xd = Xd / 16
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    network_space = {
        "learning_rate_init": loguniform(1e-4, 1e-1),
        "alpha": loguniform(1e-6, 1e-1),
        "batch_size": loguniform_int(16, 256),
        "hidden_layer_sizes": [(32,), (64,), (128,)],
    }
    workloads = {  # name: (estimator, space, X, y)
        "SVC": (SVC(), {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-4, 1e-1)}, Xd, yd),
        "MLPClassifier": (MLPClassifier(max_iter=15, batch_norm="before", random_state=0),
                          network_space,
                          Xd.astype(np.float32), yd),
    }
    labels = {"SVC": "SVC", "MLPClassifier": "MLPClassifier"}  # as rows name them
    if "fashion" in (args.workload or ()):
        Xf, yf, _, _, name = fashion_mnist_or_synthetic()
        labels["fashion"] = f"MLPClassifier, 4,500 images of {name}"
        workloads["fashion"] = (
            MLPClassifier(max_iter=5, batch_norm="before", random_state=0),
            {**network_space, "batch_size": loguniform_int(32, 256),
             "hidden_layer_sizes": [(64,), (128,), (256,)]},
            Xf[:4500], yf[:4500],
        )

    def run(cls, workload, n_jobs, task_seconds):
        """A search to time; each fit appends its fit and score times, summed."""
        estimator, space, X, y = workloads[workload]
        # the tables' 6 rounds (the default before n_rounds="auto")
        rounds = {"n_rounds": 6} if cls is CoarseToFineSearchCV else {}
        search = cls(estimator, space, n_iter=args.real_n_iter, cv=cv, n_jobs=n_jobs,
                     random_state=0, refit=False, **rounds)

        def fit():
            search.fit(X, y)
            results = search.cv_results_
            task_seconds.append(search.n_splits_ * float(
                np.sum(results["mean_fit_time"] + results["mean_score_time"])))
        return fit

    repeats = max(3, args.repeats // 2)
    print(f"{args.real_n_iter} candidates x 3 folds, medians of {repeats}; the 1,797 "
          "digits unless the row names another set.\nThe speed-up is about 2 / (fits "
          "slower at n_jobs=2) x (busy share, n_jobs=2) x (busy share, n_jobs=1):\n"
          "fitting and scoring times summed over tasks (cv_results_), against each "
          "other and against the cores' wall time.\n")
    print("| estimator | search | n_jobs=1 (s) | n_jobs=2 (s) | speed-up | median of pair "
          "speed-ups | fits slower at n_jobs=2 | busy share, n_jobs=2 | busy share, "
          "n_jobs=1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the networks' ConvergenceWarning
        run(RandomizedSearchCV, "SVC", 2, [])()  # start the worker pool once
        for workload in args.workload or ["SVC", "MLPClassifier"]:
            for name, cls in [("CoarseToFineSearchCV", CoarseToFineSearchCV),
                              ("RandomizedSearchCV", RandomizedSearchCV)]:
                busy1, busy2 = [], []
                t1, t2, speed_up = alternate(run(cls, workload, 1, busy1),
                                             run(cls, workload, 2, busy2), repeats, pairs=True)
                busy1, busy2 = np.median(busy1), np.median(busy2)
                print(f"| {labels[workload]} | {name} | {t1:.2f} | {t2:.2f} | "
                      f"{t1 / t2:.2f} | {speed_up:.2f} | {busy2 / busy1:.3f} | "
                      f"{busy2 / (2 * t2):.3f} | {busy1 / t1:.3f} |", flush=True)


if __name__ == "__main__":
    main()
