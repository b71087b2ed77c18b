"""What keeping a promoted candidate's fitted scaler saves in a continued rung.

A rung that continues a fold's pipeline (``skhp tune``'s scaler and network,
``warm_start="continue"``) used to refit the scaler on the same fold before
training the network on; it now freezes it
(``skhp.model_selection._resources._fitted_steps_kept``). This times one more
epoch of the same continued pipeline both ways, alternated, on one
Fashion-MNIST fold of ``skhp tune --max-samples 20000`` (13,333 rows, 784
columns; a 128-unit network, batch 256), at one BLAS thread and at the
default threads, and prints the medians and their ratio.

Run ``python benchmarks/kept_preprocessing.py`` (a minute; needs the Debian
package dataset-fashion-mnist).
"""

import time
import warnings

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from skhp.cli._data import load_train_test
from skhp.cli._factory import make_estimator
from skhp.model_selection._resources import _fitted_steps_kept

REPEATS = 9


def _fold():
    X, y, _, _ = load_train_test("fashion-mnist")
    X, _, y, _ = train_test_split(X, y, train_size=20_000, stratify=y, random_state=1)
    train, _ = next(StratifiedKFold(3).split(X, y))
    return X[train], y[train]


def _one_more_epoch(pipeline, X, y, keep):
    """Seconds of one more epoch of ``pipeline``, its scaler kept or refitted."""
    pipeline.set_params(mlp__max_iter=pipeline[-1].n_iter_ + 1)
    params = {"mlp__max_iter": pipeline[-1].max_iter}
    start = time.perf_counter()
    if keep:
        with _fitted_steps_kept(pipeline, params):
            pipeline.fit(X, y)
    else:
        pipeline.fit(X, y)
    return time.perf_counter() - start


def measure(X, y):
    pipeline = make_estimator("classification", hidden_layer_sizes=(128,), batch_size=256,
                              max_iter=1, random_state=0, warm_start="continue").fit(X, y)
    times = {True: [], False: []}
    for _ in range(REPEATS):
        for keep in (False, True):  # alternated, so that drift hits both
            times[keep].append(_one_more_epoch(pipeline, X, y, keep))
    return {k: 1000 * float(np.median(v)) for k, v in times.items()}


def main():
    warnings.simplefilter("ignore")
    X, y = _fold()
    print("| BLAS threads | refitted scaler, ms | kept scaler, ms | kept / refitted |")
    print("|---|---|---|---|")
    for label, limit in (("1", 1), ("default", None)):
        with threadpool_limits(limit):  # None: the default threads, untouched
            ms = measure(X, y)
        print(f"| {label} | {ms[False]:.0f} | {ms[True]:.0f} | {ms[True] / ms[False]:.2f} |")


if __name__ == "__main__":
    main()
