"""Seconds per epoch of skhp's MLP against scikit-learn's and the GEMM floor.

Single-threaded BLAS, timed in process CPU time (with one thread it is the
time the work takes, without the waits that other processes on a shared
machine add to wall time), float32, 60,000 x 784 rows (Fashion-MNIST when the
Debian package dataset-fashion-mnist is installed), hidden layers (256, 256),
adam, batch 256. Implementations are timed alternately (A B C A B C ...)
and the table reports medians and ratios measured in this one run.

The GEMM floor is the time of one epoch's matrix products alone (forward,
weight gradients, and the error's backward products), on preallocated
arrays: no implementation can be faster than it.

Run: ``python benchmarks/mlp_speed.py [--repeats 5] [--epochs 2] [--quick]``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP
from threadpoolctl import threadpool_limits

import skhp
from _data import fashion_mnist_or_synthetic
from _timing import marginal_epoch_seconds
from mlp_memory import peak_training_memory

HIDDEN = (256, 256)
BATCH = 256
COMMON = dict(hidden_layer_sizes=HIDDEN, solver="adam", batch_size=BATCH,
              random_state=0, tol=0.0, n_iter_no_change=10**6)


def make(kind, epochs):
    if kind == "scikit-learn":
        return SklearnMLP(max_iter=epochs, **COMMON)
    batch_norm = "before" if kind == "skhp, batch norm" else None
    return skhp.MLPClassifier(max_iter=epochs, batch_norm=batch_norm, **COMMON)


def gemm_floor_epoch(X, n_classes, dtype):
    """Time the matrix products of one epoch, nothing else."""
    rng = np.random.default_rng(0)
    units = [X.shape[1], *HIDDEN, n_classes]
    W = [rng.normal(size=(a, b)).astype(dtype) * 0.01 for a, b in zip(units[:-1], units[1:])]
    acts = [np.empty((BATCH, u), dtype) for u in units[1:]]
    deltas = [np.empty((BATCH, u), dtype) for u in units[1:]]
    grads = [np.empty_like(w) for w in W]
    n = X.shape[0]
    start = time.process_time()
    for lo in range(0, n, BATCH):
        m = min(BATCH, n - lo)
        # consecutive rows: a contiguous view, so the floor pays no gather
        inputs = [X[lo:lo + m]] + [a[:m] for a in acts[:-1]]
        for i, w in enumerate(W):
            np.matmul(inputs[i], w, out=acts[i][:m])
        deltas[-1][:m] = acts[-1][:m]
        for i in range(len(W) - 1, -1, -1):
            np.matmul(inputs[i].T, deltas[i][:m], out=grads[i])
            if i:
                np.matmul(deltas[i][:m], W[i].T, out=deltas[i - 1][:m])
    return time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--accuracy-epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true",
                        help="6,000 rows, 1 repeat: checks the script runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    X, y, X_test, y_test, name = fashion_mnist_or_synthetic()
    if args.quick:
        X, y, X_test, y_test = X[:6000], y[:6000], X_test[:1000], y_test[:1000]
        args.repeats, args.epochs, args.accuracy_epochs = 1, 1, 1
    kinds = ["scikit-learn", "skhp, no batch norm", "skhp, batch norm"]
    times = {k: [] for k in kinds + ["GEMM floor"]}
    with threadpool_limits(1):
        for _ in range(args.repeats):
            for kind in kinds:
                times[kind].append(marginal_epoch_seconds(
                    lambda n, kind=kind: make(kind, n), X, y, args.epochs))
            times["GEMM floor"].append(gemm_floor_epoch(X, 10, X.dtype))
        memory = {k: peak_training_memory(lambda k=k: make(k, 1), X, y)[0] for k in kinds}
        accuracy = {}
        for kind in kinds:
            est = make(kind, args.accuracy_epochs).fit(X, y)
            accuracy[kind] = est.score(X_test, y_test)

    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"data: {name}, {X.shape[0]} x {X.shape[1]} {X.dtype}; hidden {HIDDEN}, "
          f"adam, batch {BATCH}; 1 BLAS thread; {args.repeats} repeats of "
          f"{args.epochs} epoch(s), medians")
    header = (f"{'implementation':<22}{'s/epoch':>9}{'vs sklearn':>12}"
              f"{'vs floor':>10}{'peak MiB':>10}{'vs sklearn':>12}"
              f"{'acc@' + str(args.accuracy_epochs):>9}")
    print(header)
    print("-" * len(header))
    for kind in kinds + ["GEMM floor"]:
        row = f"{kind:<22}{med[kind]:>9.3f}{med[kind] / med['scikit-learn']:>12.2f}"
        row += f"{med[kind] / med['GEMM floor']:>10.2f}"
        if kind in memory:
            row += f"{memory[kind] / 2**20:>10.1f}"
            row += f"{memory[kind] / memory['scikit-learn']:>12.2f}"
            row += f"{accuracy[kind]:>9.4f}"
        print(row)


if __name__ == "__main__":
    main()
