"""Fit time at the machine's default BLAS threads, skhp against scikit-learn.

What a user gets who calls ``fit`` without ``threadpoolctl``: wall time of
whole fits (input checks and initialization included), every BLAS library at
its default number of threads, and the same fits on one BLAS thread for
comparison. The implementations are timed alternately (A B C A B C ...),
and the tables give medians and ratios measured in this one run.

Workloads:

- digits (1,797 x 64, float64, scaled to [0, 1]), hidden (256, 256), 30 epochs;
- 10,000 rows of Fashion-MNIST (784 pixels scaled to [0, 1], float32),
  hidden (256,), 5 epochs;

each with scikit-learn's ``MLPClassifier`` and skhp's with and without
batch norm, all other parameters at their defaults (adam, batch 200).
A second table gives what the default threads buy over one thread on the
60,000 Fashion-MNIST rows, per epoch, at batch 256 and 1,024.

Run: ``python benchmarks/mlp_threads.py [--repeats 5] [--quick]``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP
from threadpoolctl import threadpool_info, threadpool_limits

import skhp
from _data import fashion_mnist_or_synthetic
from _timing import marginal_epoch_seconds

KINDS = ("scikit-learn", "skhp, no batch norm", "skhp, batch norm")


def make(kind, **params):
    if kind == "scikit-learn":
        return SklearnMLP(random_state=0, **params)
    batch_norm = "before" if kind == "skhp, batch norm" else None
    return skhp.MLPClassifier(random_state=0, batch_norm=batch_norm, **params)


def fit_seconds(kind, X, y, limit, **params):
    """Wall time of one whole fit, under ``limit`` BLAS threads (None: default)."""
    est = make(kind, **params)
    with threadpool_limits(limit):
        start = time.perf_counter()
        est.fit(X, y)
        return time.perf_counter() - start


def epoch_seconds(kind, X, y, limit, batch_size, epochs):
    """Marginal wall time of an epoch under ``limit`` BLAS threads (None: default)."""
    params = dict(hidden_layer_sizes=(256, 256), batch_size=batch_size,
                  tol=0.0, n_iter_no_change=10**6)
    with threadpool_limits(limit):
        return marginal_epoch_seconds(
            lambda n: make(kind, max_iter=n, **params), X, y, epochs,
            clock=time.perf_counter)


def fit_table(workloads, repeats):
    print("Whole fits, wall seconds (medians) and ratio to scikit-learn at the "
          "same threads")
    header = (f"{'workload':<34}{'implementation':<22}{'default thr.':>13}"
              f"{'vs sklearn':>11}{'1 thread':>10}{'vs sklearn':>11}")
    print(header)
    print("-" * len(header))
    for name, (X, y, params) in workloads.items():
        times = {(kind, limit): [] for kind in KINDS for limit in (None, 1)}
        for _ in range(repeats):
            for limit in (None, 1):
                for kind in KINDS:
                    times[kind, limit].append(fit_seconds(kind, X, y, limit, **params))
        med = {key: float(np.median(value)) for key, value in times.items()}
        for kind in KINDS:
            print(f"{name:<34}{kind:<22}{med[kind, None]:>13.3f}"
                  f"{med[kind, None] / med['scikit-learn', None]:>11.2f}"
                  f"{med[kind, 1]:>10.3f}"
                  f"{med[kind, 1] / med['scikit-learn', 1]:>11.2f}")


def threads_table(X, y, repeats, epochs):
    print(f"\nWhat the default threads buy: seconds per epoch on {X.shape[0]} rows, "
          "hidden (256, 256), medians")
    header = (f"{'batch':>6}  {'implementation':<22}{'1 thread':>10}"
              f"{'default':>10}{'speed-up':>10}")
    print(header)
    print("-" * len(header))
    for batch_size in (256, 1024):
        times = {(kind, limit): [] for kind in KINDS for limit in (1, None)}
        for _ in range(repeats):
            for kind in KINDS:
                for limit in (1, None):
                    times[kind, limit].append(
                        epoch_seconds(kind, X, y, limit, batch_size, epochs))
        for kind in KINDS:
            single, default = (float(np.median(times[kind, limit])) for limit in (1, None))
            print(f"{batch_size:>6}  {kind:<22}{single:>10.3f}{default:>10.3f}"
                  f"{single / default:>10.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs timed per fit in the threads table")
    parser.add_argument("--quick", action="store_true",
                        help="1 repeat, small threads table: checks the script runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    digits_X, digits_y = load_digits(return_X_y=True)
    fashion_X, fashion_y, _, _, fashion_name = fashion_mnist_or_synthetic()
    workloads = {
        "digits, (256, 256), 30 epochs": (
            digits_X / 16, digits_y,
            dict(hidden_layer_sizes=(256, 256), max_iter=30)),
        f"{fashion_name[:13]} 10k, (256,), 5 ep.": (
            fashion_X[:10_000], fashion_y[:10_000],
            dict(hidden_layer_sizes=(256,), max_iter=5)),
    }
    big_X, big_y = fashion_X, fashion_y
    if args.quick:
        args.repeats, args.epochs = 1, 1
        big_X, big_y = fashion_X[:6000], fashion_y[:6000]

    pools = [f"{info['internal_api']} {info['num_threads']} threads "
             f"({info['filepath'].rsplit('/', 1)[-1]})"
             for info in threadpool_info() if info["user_api"] == "blas"]
    print(f"BLAS at default threads: {'; '.join(pools)}")
    print(f"{args.repeats} alternated repeats\n")
    fit_table(workloads, args.repeats)
    threads_table(big_X, big_y, args.repeats, args.epochs)


if __name__ == "__main__":
    main()
