"""The same search on 1 process, 2 local processes and a 2-worker Dask cluster.

A CoarseToFineSearchCV of skhp.MLPClassifier on digits runs three ways:
``n_jobs=1``; ``n_jobs=2`` on joblib's default (loky) processes; and
``joblib.parallel_config(backend="dask")`` on a ``distributed.LocalCluster``
of two single-threaded worker processes. The table gives the wall times
(median of the repeats, alternating the three) and checks that all three
evaluated the same candidates and found the same best one.

Run: ``python benchmarks/search_distributed.py [--repeats 3]``
(needs the ``dask`` extra: ``pip install -e .[dask]``).
"""

import argparse
import time
import warnings

import numpy as np
from joblib import parallel_config
from sklearn.datasets import load_digits

from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform, reverse_loguniform


def make_search(n_jobs):
    space = {
        "learning_rate_init": loguniform(1e-4, 1e-1),
        "beta_1": reverse_loguniform(0.5, 0.999),
        "alpha": loguniform(1e-6, 1e-1),
    }
    estimator = MLPClassifier((32,), max_iter=30, batch_norm="before", random_state=0)
    return CoarseToFineSearchCV(estimator, space, n_iter=24, n_rounds=3, cv=3,
                                random_state=0, n_jobs=n_jobs)


def main():
    import distributed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    X, y = load_digits(return_X_y=True)
    X = X / 16

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    client = distributed.Client(cluster)
    runs = {
        "1 process": lambda: make_search(1).fit(X, y),
        "2 local processes": lambda: make_search(2).fit(X, y),
        "2-worker LocalCluster": None,
    }

    def on_dask():
        with parallel_config(backend="dask"):
            return make_search(-1).fit(X, y)

    runs["2-worker LocalCluster"] = on_dask
    times = {name: [] for name in runs}
    results = {}
    try:
        for _ in range(args.repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                results[name] = run()
                times[name].append(time.perf_counter() - start)
    finally:
        client.close()
        cluster.close()

    reference = results["1 process"]
    print(f"CoarseToFineSearchCV, 24 candidates x 3 folds, MLPClassifier on digits; "
          f"median of {args.repeats} repeats")
    header = f"{'run':<24}{'wall s':>9}{'speed-up':>10}{'same candidates':>17}{'same best':>11}"
    print(header)
    print("-" * len(header))
    base = np.median(times["1 process"])
    for name, result in results.items():
        same = [str(p) for p in result.cv_results_["params"]] == [
            str(p) for p in reference.cv_results_["params"]]
        same = same and np.allclose(result.cv_results_["mean_test_score"],
                                    reference.cv_results_["mean_test_score"])
        wall = np.median(times[name])
        print(f"{name:<24}{wall:>9.2f}{base / wall:>10.2f}{str(same):>17}"
              f"{str(result.best_params_ == reference.best_params_):>11}")


if __name__ == "__main__":
    main()
