"""Data for the benchmarks: Fashion-MNIST when installed, else a synthetic stand-in."""

import gzip
import os

import numpy as np

# Where the Debian package dataset-fashion-mnist puts the idx files; the
# environment variable SKHP_FASHION_MNIST_DIR points elsewhere.
FASHION_MNIST_DIR = os.environ.get("SKHP_FASHION_MNIST_DIR",
                                   "/usr/share/datasets/fashion-mnist")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_or_synthetic(dtype=np.float32, seed=0):
    """(X_train, y_train, X_test, y_test, name): 60,000 + 10,000 rows of 784."""
    files = [os.path.join(FASHION_MNIST_DIR, f"{part}-{kind}-idx{n}-ubyte.gz")
             for part in ("train", "t10k") for kind, n in (("images", 3), ("labels", 1))]
    if all(os.path.exists(f) for f in files):
        X_train, y_train, X_test, y_test = (_read_idx(f) for f in files)
        X_train = X_train.reshape(len(X_train), -1).astype(dtype) / 255
        X_test = X_test.reshape(len(X_test), -1).astype(dtype) / 255
        return X_train, y_train, X_test, y_test, "Fashion-MNIST"
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(10, 784)).astype(dtype)
    y = rng.integers(0, 10, 70_000)
    X = (centers[y] + 2 * rng.normal(size=(70_000, 784))).astype(dtype)
    return X[:60_000], y[:60_000], X[60_000:], y[60_000:], "synthetic (install dataset-fashion-mnist for the real set)"
