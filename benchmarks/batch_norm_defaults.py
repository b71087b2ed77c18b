"""Held-out scores at default parameters: scikit-learn's MLP against skhp's.

What a user gets who changes nothing but the import: scikit-learn's
``MLPClassifier``/``MLPRegressor`` and skhp's with ``batch_norm=None``,
``"before"`` and ``"after"``, every other parameter at its default, scored
on held-out rows. Medians over seeds of the network (``random_state``); the
splits are fixed.

Data sets:

- Fashion-MNIST: the first 10,000 training images, the official 10,000 test
  images, pixels scaled to [0, 1] (float32), hidden (256,), 15 epochs;
- digits, breast cancer, wine (classification) and diabetes (regression,
  targets standardized with the training rows' mean and deviation), bundled
  with scikit-learn: ``StandardScaler`` on the training rows,
  ``train_test_split(random_state=0)``, hidden (100,), 200 epochs at most.

Then probes of why batch norm "before" loses on Fashion-MNIST (skhp only,
the same 10,000 rows): the L2 penalty (``alpha=0``), a lower learning rate,
the running statistics' momentum, and centred inputs; and the same columns
for the diabetes regression. For each:

- train / test: accuracy with the running statistics (what ``predict`` uses);
- test, recal.: the test accuracy of the same weights with each normalized
  unit's mean and variance recomputed over the 10,000 training rows ("precise
  batch norm": the statistics these final weights really produce);
- lag: the median over hidden units of |running mean - that recomputed mean|
  divided by the recomputed standard deviation.

And the test accuracy after each epoch for seed 0 (``--curves``), and, with
``--reference``, skhp's float64 fit on Fashion-MNIST next to the independent
numpy reference of tests/neural_network/test_batch_norm_reference.py.

Run: ``python benchmarks/batch_norm_defaults.py [--seeds 3] [--tabular-seeds 5]
[--no-probes] [--curves] [--reference] [--quick]``.
"""

import argparse
import copy
import os
import sys
import time
import warnings

import numpy as np
from sklearn import neural_network as sknn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import skhp
from _data import fashion_mnist_or_synthetic

KINDS = ("scikit-learn", "skhp None", 'skhp "before"', 'skhp "after"')
BATCH_NORM = {"skhp None": None, 'skhp "before"': "before", 'skhp "after"': "after"}


class _Recording:
    """Mixin: the test accuracy after each epoch of ``fit``.

    Hooks the per-epoch bookkeeping of a fit without early stopping (a
    private method: if it is renamed, the curve stays empty and is not
    printed). Training is unchanged.
    """

    def _update_no_improvement_count(self, loss):
        super()._update_no_improvement_count(loss)
        if getattr(self, "record_on_", None) is not None:
            X_test, y_test = self.record_on_
            self.epoch_scores_.append(self.score(X_test, y_test))


class RecordingClassifier(_Recording, skhp.MLPClassifier):
    pass


def make(kind, regression=False, **params):
    if kind == "scikit-learn":
        cls = sknn.MLPRegressor if regression else sknn.MLPClassifier
        return cls(**params)
    cls = skhp.MLPRegressor if regression else skhp.MLPClassifier
    return cls(batch_norm=BATCH_NORM[kind], **params)


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def tabular_sets():
    sets = {}
    for name, loader, regression in [
        ("digits", load_digits, False),
        ("breast cancer", load_breast_cancer, False),
        ("wine", load_wine, False),
        ("diabetes (R^2)", load_diabetes, True),
    ]:
        X, y = loader(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        if regression:
            mean, std = y_train.mean(), y_train.std()
            y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
        sets[name] = (X_train, y_train, X_test, y_test, regression)
    return sets


def fashion(n_train):
    X_train, y_train, X_test, y_test, name = fashion_mnist_or_synthetic()
    return X_train[:n_train], y_train[:n_train], X_test, y_test, name


# ----------------------------------------------------------------------------
# diagnostics of a fitted one-hidden-layer batch-norm network
# ----------------------------------------------------------------------------
def population_statistics(est, X):
    """Mean and variance of the normalized layer's input over all of ``X``."""
    H = X @ est.coefs_[0]
    if est.batch_norm == "after":
        if est.activation != "relu":
            raise ValueError("written for relu networks only")
        H = np.maximum(H + est.intercepts_[0], 0)
    return H.mean(axis=0), H.var(axis=0)


def recalibrated(est, X):
    """A copy of ``est`` whose running statistics are ``X``'s own."""
    mean, var = population_statistics(est, X)
    other = copy.deepcopy(est)
    other.bn_running_means_ = [mean.astype(est.coefs_[0].dtype)]
    other.bn_running_vars_ = [var.astype(est.coefs_[0].dtype)]
    return other


def diagnose(est, X_train, y_train, X_test, y_test):
    result = {"train": est.score(X_train, y_train), "test": est.score(X_test, y_test)}
    if getattr(est, "batch_norm", None) and len(est.coefs_) == 2:
        mean, var = population_statistics(est, X_train)
        std = np.sqrt(var + est.batch_norm_epsilon)
        result["test, recal."] = recalibrated(est, X_train).score(X_test, y_test)
        result["lag"] = float(np.median(np.abs(est.bn_running_means_[0] - mean) / std))
    return result


# ----------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------
_FASHION_CACHE = {}


def fit_fashion(data, kind, seed, centered=False, **params):
    """Diagnostics of one Fashion-MNIST fit (cached: the tables share fits)."""
    key = (kind, seed, centered, tuple(sorted(params.items())))
    if key not in _FASHION_CACHE:
        X_train, y_train, X_test, y_test, _ = data
        if centered:
            shift = X_train.mean(axis=0)
            X_train, X_test = X_train - shift, X_test - shift
        params = {"hidden_layer_sizes": (256,), "max_iter": 15, **params}
        if kind == "scikit-learn":
            est = make(kind, random_state=seed, **params)
        else:
            est = RecordingClassifier(batch_norm=BATCH_NORM[kind], random_state=seed,
                                      **params)
            est.record_on_, est.epoch_scores_ = (X_test, y_test), []
        est.fit(X_train, y_train)
        result = diagnose(est, X_train, y_train, X_test, y_test)
        result["curve"] = getattr(est, "epoch_scores_", [])
        _FASHION_CACHE[key] = result
    return _FASHION_CACHE[key]


def score_table(fashion_data, tabular, seeds, tabular_seeds):
    print(f"Held-out scores at default parameters, medians over seeds "
          f"(min-max in brackets); Fashion-MNIST over {len(seeds)} seeds, "
          f"the tabular sets over {len(tabular_seeds)}")
    header = f"{'data set':<30}" + "".join(f"{kind:>22}" for kind in KINDS)
    print(header)
    print("-" * len(header))
    rows = []
    name = f"{fashion_data[4][:13]} {len(fashion_data[0]) // 1000}k (test)"
    scores = {kind: [fit_fashion(fashion_data, kind, s)["test"] for s in seeds]
              for kind in KINDS}
    rows.append((name, scores))
    _print_row(name, scores)
    for name, (X_train, y_train, X_test, y_test, regression) in tabular.items():
        scores = {kind: [] for kind in KINDS}
        for seed in tabular_seeds:
            for kind in KINDS:
                est = make(kind, regression=regression, random_state=seed)
                scores[kind].append(est.fit(X_train, y_train).score(X_test, y_test))
        rows.append((name, scores))
        _print_row(name, scores)
    return rows


def _print_row(name, scores):
    cells = "".join(
        f"{np.median(v):>9.4f} [{min(v):.3f}-{max(v):.3f}]".rjust(22)
        for v in (scores[kind] for kind in KINDS)
    )
    print(f"{name:<30}{cells}", flush=True)


PROBES = [
    ('"before", defaults', 'skhp "before"', False, {}),
    ('"before", alpha=0', 'skhp "before"', False, {"alpha": 0.0}),
    ('"before", batch_norm_momentum=0', 'skhp "before"', False,
     {"batch_norm_momentum": 0.0}),
    ('"before", centred pixels', 'skhp "before"', True, {}),
    ('None, centred pixels', "skhp None", True, {}),
    ('"before", learning_rate_init=1e-4', 'skhp "before"', False,
     {"learning_rate_init": 1e-4}),
    ('None, learning_rate_init=1e-4', "skhp None", False,
     {"learning_rate_init": 1e-4}),
    ('"after", defaults', 'skhp "after"', False, {}),
    ("None, defaults", "skhp None", False, {}),
]


def probe_table(fashion_data, seeds):
    print(f"\nWhy \"before\" loses on {fashion_data[4][:13]} "
          f"{len(fashion_data[0]) // 1000}k, (256,), 15 epochs: "
          f"medians over {len(seeds)} seeds")
    columns = ("train", "test", "test, recal.", "lag")
    header = f"{'skhp network':<38}" + "".join(f"{c:>14}" for c in columns)
    print(header)
    print("-" * len(header))
    for label, kind, centered, params in PROBES:
        results = [fit_fashion(fashion_data, kind, s, centered, **params) for s in seeds]
        cells = ""
        for column in columns:
            values = [r[column] for r in results if column in r]
            cells += f"{np.median(values):>14.4f}" if values else f"{'-':>14}"
        print(f"{label:<38}{cells}", flush=True)


def diabetes_probe(tabular, seeds):
    """The same columns for the regression, where batch norm also loses."""
    X_train, y_train, X_test, y_test, _ = tabular["diabetes (R^2)"]
    print(f"\nDiabetes (R^2), hidden (100,), defaults: medians over {len(seeds)} seeds")
    columns = ("train", "test", "test, recal.", "lag")
    header = f"{'skhp network':<38}" + "".join(f"{c:>14}" for c in columns)
    print(header)
    print("-" * len(header))
    for kind in ("skhp None", 'skhp "before"'):
        results = [
            diagnose(make(kind, regression=True, random_state=seed).fit(X_train, y_train),
                     X_train, y_train, X_test, y_test)
            for seed in seeds
        ]
        cells = ""
        for column in columns:
            values = [r[column] for r in results if column in r]
            cells += f"{np.median(values):>14.4f}" if values else f"{'-':>14}"
        print(f"{kind:<38}{cells}", flush=True)


def curve_table(fashion_data):
    print("\nTest accuracy after each epoch, seed 0 (running statistics)")
    kinds = ("skhp None", 'skhp "before"', 'skhp "after"')
    curves = {kind: fit_fashion(fashion_data, kind, 0)["curve"] for kind in kinds}
    if not all(curves.values()):
        print("(no curves: the per-epoch hook is gone)")
        return
    print(f"{'epoch':>6}" + "".join(f"{kind:>16}" for kind in kinds))
    for epoch in range(len(curves[kinds[0]])):
        print(f"{epoch + 1:>6}" + "".join(f"{curves[k][epoch]:>16.4f}" for k in kinds))


def reference_check(fashion_data, epochs):
    """skhp's float64 fit on Fashion-MNIST beside the independent reference."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "tests", "neural_network"))
    from test_batch_norm_reference import ReferenceMLP

    X_train, y_train, X_test, y_test, _ = fashion_data
    X_train, X_test = X_train.astype(np.float64), X_test.astype(np.float64)
    print(f"\nIndependent numpy reference, float64, batch norm \"before\", seed 0, "
          f"{epochs} epochs")
    est = skhp.MLPClassifier((256,), batch_norm="before", max_iter=epochs,
                             random_state=0)
    est.fit(X_train, y_train)
    ref = ReferenceMLP([X_train.shape[1], 256, len(est.classes_)], "before", "softmax",
                       seed=0)
    ref.fit(X_train, (y_train[:, None] == est.classes_).astype(float), epochs, 200, True)
    ref_pred = est.classes_[ref.predict_output(X_test).argmax(axis=1)]
    diff = max(np.abs(a - b).max() for a, b in zip(est.coefs_, ref.W))
    loss_diff = np.max(np.abs(np.subtract(est.loss_curve_, ref.loss_curve))
                       / np.asarray(ref.loss_curve))
    print(f"test accuracy: skhp {est.score(X_test, y_test):.4f}, reference "
          f"{np.mean(ref_pred == y_test):.4f}; largest weight difference {diff:.1e}; "
          f"loss curves' largest relative difference {loss_diff:.1e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds of the Fashion-MNIST fits")
    parser.add_argument("--tabular-seeds", type=int, default=5)
    parser.add_argument("--no-probes", action="store_true")
    parser.add_argument("--curves", action="store_true")
    parser.add_argument("--reference", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 Fashion-MNIST rows, 1 seed: checks the script runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    n_train = 2000 if args.quick else 10_000
    if args.quick:
        args.seeds, args.tabular_seeds = 1, 1
    fashion_data = fashion(n_train)
    start = time.perf_counter()
    tabular = tabular_sets()
    score_table(fashion_data, tabular, range(args.seeds), range(args.tabular_seeds))
    if not args.no_probes:
        probe_table(fashion_data, range(args.seeds))
        diabetes_probe(tabular, range(args.tabular_seeds))
    if args.curves:
        curve_table(fashion_data)
    if args.reference:
        reference_check(fashion_data, 3 if args.quick else 15)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
