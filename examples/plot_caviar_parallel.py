"""
Training many models in parallel: the "caviar" approach
=======================================================

With enough compute you do not babysit: you train many models at once with
different hyperparameters and keep the best, like a fish laying many eggs.
A scikit-learn search already does this; ``n_jobs`` spreads its fits over
local cores and joblib's Dask backend spreads them over a cluster: a local
one here, or an existing one with ``--scheduler ADDRESS`` (the address its
scheduler prints, such as ``tcp://10.0.0.5:8786``). Pointing a search at a
cluster is two lines and no change to the search::

    with Client("tcp://10.0.0.5:8786"), joblib.parallel_config(backend="dask"):
        search.fit(X, y)

The same coarse-to-fine search runs three times: one fit at a time, on all
local cores, and on a Dask cluster of two worker processes. The candidates and
scores are the same; only the wall time changes.

Run ``python examples/plot_caviar_parallel.py [--quick] [--save FILE]``.
"""

import argparse
import contextlib
import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform, reverse_loguniform
from skhp.inspection import plot_search


def make_search(n_iter, n_rounds, max_iter, n_jobs):
    return CoarseToFineSearchCV(
        MLPClassifier(hidden_layer_sizes=(32,), max_iter=max_iter, random_state=0),
        {
            "learning_rate_init": loguniform(1e-4, 1.0),
            "beta_1": reverse_loguniform(0.5, 0.999),
            "alpha": loguniform(1e-6, 1e-1),
        },
        n_iter=n_iter,
        n_rounds=n_rounds,
        cv=3,
        n_jobs=n_jobs,
        random_state=0,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny budget, for tests")
    parser.add_argument(
        "--save", metavar="FILE", help="save the figure instead of showing it"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an existing Dask scheduler to use instead of a local cluster",
    )
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    budget = (4, 2, 3) if args.quick else (24, 3, 30)  # n_iter, n_rounds, max_iter
    if args.quick:
        X, y = X[:300], y[:300]

    times, searches = {}, {}
    for name, n_jobs in (("one at a time", 1), ("all local cores", -1)):
        if args.quick and n_jobs != 1:
            n_jobs = 2  # not -1: the tests run on machines of any size
        start = time.perf_counter()
        searches[name] = make_search(*budget, n_jobs).fit(X, y)
        times[name] = time.perf_counter() - start

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("Dask skipped: pip install distributed to run on a cluster")
    else:
        # Quick mode (the tests): worker threads in this process, not new
        # processes, which take seconds to start.
        if args.scheduler:  # an existing cluster
            cluster, name = contextlib.nullcontext(), "Dask cluster"
            client = Client(args.scheduler)
        else:
            cluster = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=not args.quick,
                dashboard_address=":0",
            )
            client, name = Client(cluster), "Dask, 2 workers"
        with cluster, client, joblib.parallel_config(backend="dask"):
            start = time.perf_counter()
            searches[name] = make_search(*budget, -1).fit(X, y)
            times[name] = time.perf_counter() - start

    reference = searches["one at a time"].cv_results_["mean_test_score"]
    for name, search in searches.items():
        scores = search.cv_results_["mean_test_score"]
        same = np.allclose(scores, reference, equal_nan=True)
        print(
            f"{name:>16}: {times[name]:6.1f} s, best {search.best_score_:.4f}, "
            f"same scores as one at a time: {same}"
        )

    fig, (time_ax, search_ax) = plt.subplots(
        1, 2, figsize=(13, 4.8), layout="constrained"
    )
    time_ax.barh(list(times)[::-1], list(times.values())[::-1], color="#4c72b0")
    time_ax.set_xlabel("wall time (s)")
    time_ax.set_title(f"{len(reference)} candidates x 3 folds")
    plot_search(searches["one at a time"], ax=search_ax)

    if args.save:
        fig.savefig(args.save, dpi=90)
    else:
        plt.show()


# Dask starts its workers as new processes that import this file: only the
# process that runs it as a script must start the cluster.
if __name__ == "__main__":
    main()
