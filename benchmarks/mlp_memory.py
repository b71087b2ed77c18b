"""Peak memory of training on 60,000 x 784 float32 rows, beyond the data.

Memory is counted with :mod:`tracemalloc`, which sees every numpy
allocation: the peak of what training allocated while it ran, so the data
(allocated before) is not counted, and neither are memory pages that malloc
keeps from earlier work (which make RSS-based peaks unreliable). A warm-up
fit on 300 rows comes first, so that lazy imports are not counted either.
The table compares the peak with the size of the network's weights.

Run: ``python benchmarks/mlp_memory.py``.
"""

import tracemalloc
import warnings

from sklearn.neural_network import MLPClassifier as SklearnMLP

import skhp
from _data import fashion_mnist_or_synthetic

COMMON = dict(hidden_layer_sizes=(256, 256), batch_size=256, max_iter=1, random_state=0)
CONFIGS = {
    "scikit-learn": lambda: SklearnMLP(**COMMON),
    "scikit-learn, early stopping": lambda: SklearnMLP(**COMMON, early_stopping=True),
    "skhp, no batch norm": lambda: skhp.MLPClassifier(**COMMON, batch_norm=None),
    "skhp, batch norm": lambda: skhp.MLPClassifier(**COMMON, batch_norm="before"),
    "skhp, batch norm, early stopping": lambda: skhp.MLPClassifier(
        **COMMON, batch_norm="before", early_stopping=True),
}


def peak_training_memory(make_estimator, X, y):
    """Bytes allocated at the peak of ``make_estimator().fit(X, y)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_estimator().fit(X[:300], y[:300])  # warm-up: lazy imports
        est = make_estimator()
        tracemalloc.start()
        try:
            est.fit(X, y)
            return tracemalloc.get_traced_memory()[1], est
        finally:
            tracemalloc.stop()


def main():
    X, y, _, _, name = fashion_mnist_or_synthetic()
    rows = {}
    for config, make in CONFIGS.items():
        peak, est = peak_training_memory(make, X, y)
        rows[config] = (peak, sum(c.nbytes for c in est.coefs_))
    weights = rows["scikit-learn"][1]
    print(f"{name}: data {X.nbytes / 2**20:.1f} MiB, weights {weights / 2**20:.2f} MiB; "
          "one epoch, hidden (256, 256), batch 256")
    header = f"{'configuration':<34}{'peak beyond data, MiB':>22}{'x weights':>11}{'vs sklearn':>12}"
    print(header)
    print("-" * len(header))
    ref = rows["scikit-learn"][0]
    for config, (peak, w) in rows.items():
        print(f"{config:<34}{peak / 2**20:>22.1f}{peak / w:>11.1f}{peak / ref:>12.2f}")


if __name__ == "__main__":
    main()
