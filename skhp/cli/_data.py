"""Loading the data a user tunes on: a bundled set by name, or a CSV file.

Every problem with the data raises :class:`DataError` with a one-line message;
the command line prints it and exits with status 2, never with a traceback.
"""

import csv
import gzip
import os
import struct
from pathlib import Path

import numpy as np
from sklearn import datasets

__all__ = [
    "DATASETS",
    "DataError",
    "check_data",
    "infer_task",
    "load_csv",
    "load_dataset",
    "read_idx",
]

# Where the Debian package `dataset-fashion-mnist` installs its files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_HINT = (
    "Fashion-MNIST is read from the Debian package 'dataset-fashion-mnist'; "
    "install it with: sudo apt-get install dataset-fashion-mnist "
    "(or set SKHP_FASHION_MNIST_DIR to a folder holding its idx files)"
)


class DataError(ValueError):
    """The data cannot be used for tuning; the message says why, in one line."""


def _sklearn_loader(loader):
    def load():
        X, y = loader(return_X_y=True)
        return X.astype(np.float64), y

    return load


def _fashion_mnist_dir():
    return Path(os.environ.get("SKHP_FASHION_MNIST_DIR", FASHION_MNIST_DIR))


def read_idx(path):
    """Read an idx file (the MNIST format), gzip'd or not, into an array.

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    array : ndarray
        The array it holds, with its stored shape and unsigned-byte values.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise DataError(f"{path} is not an idx file of unsigned bytes")
    n_dims = data[3]
    header = 4 + 4 * n_dims
    shape = struct.unpack(f">{n_dims}I", data[4:header])
    if len(data) - header != int(np.prod(shape)):
        raise DataError(f"{path} is truncated: expected shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _load_fashion_mnist():
    folder = _fashion_mnist_dir()
    parts = []
    for prefix in ("train", "t10k"):
        images = folder / f"{prefix}-images-idx3-ubyte.gz"
        labels = folder / f"{prefix}-labels-idx1-ubyte.gz"
        if not (images.exists() and labels.exists()):
            raise DataError(
                f"{images.name} not found in {folder}. {FASHION_MNIST_HINT}"
            )
        X, y = read_idx(images), read_idx(labels)
        if len(X) != len(y):
            raise DataError(f"{images} and {labels} hold different numbers of items")
        parts.append((X.reshape(len(X), -1), y))
    X = np.concatenate([p[0] for p in parts]).astype(np.float64) / 255.0
    y = np.concatenate([p[1] for p in parts]).astype(np.int64)
    return X, y


#: The bundled data sets ``skhp tune --dataset NAME`` knows.
DATASETS = {
    "digits": _sklearn_loader(datasets.load_digits),
    "fashion-mnist": _load_fashion_mnist,
    "iris": _sklearn_loader(datasets.load_iris),
    "wine": _sklearn_loader(datasets.load_wine),
    "breast-cancer": _sklearn_loader(datasets.load_breast_cancer),
    "diabetes": _sklearn_loader(datasets.load_diabetes),
}


def load_dataset(name):
    """Load a bundled data set by name.

    Parameters
    ----------
    name : str
        One of the keys of :data:`DATASETS`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    if name not in DATASETS:
        raise DataError(
            f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}"
        )
    return DATASETS[name]()


def _parse_float(value):
    try:
        return float(value)
    except ValueError:
        return None


def load_csv(path, target):
    """Read a CSV file with a header row into features and a target.

    Parameters
    ----------
    path : str or Path
        The file; its first row names the columns.

    target : str
        The column to predict. Every other column must be numeric.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Floats when every value is a number, else strings (class labels).
    """
    path = Path(path)
    try:
        # utf-8-sig: spreadsheets often start their CSV files with a BOM.
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a directory, not a CSV file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None

    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise DataError(f"{path} is empty")
    header = [name.strip() for name in rows[0]]
    if target not in header:
        raise DataError(
            f"{path} has no column {target!r}; its columns are {', '.join(header)}"
        )
    body = rows[1:]
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {line}: {len(row)} fields, the header has {len(header)}"
            )

    j = header.index(target)
    features = [i for i in range(len(header)) if i != j]
    if not features:
        raise DataError(f"{path} has no feature columns besides {target!r}")
    X = np.empty((len(body), len(features)))
    for line, row in enumerate(body, start=2):
        for k, i in enumerate(features):
            value = _parse_float(row[i])
            if value is None:
                raise DataError(
                    f"{path}, line {line}: column {header[i]!r} is not numeric "
                    f"({row[i]!r}); encode categorical features as numbers first"
                )
            X[line - 2, k] = value

    raw = [row[j].strip() for row in body]
    if any(value == "" for value in raw):
        raise DataError(f"{path}: the target column {target!r} has empty values")
    numbers = [_parse_float(value) for value in raw]
    if all(value is not None for value in numbers):
        y = np.asarray(numbers)
    else:
        y = np.asarray(raw)
    return X, y


def check_data(X, y, task):
    """Check that ``X`` and ``y`` can be tuned on, as ``task``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    task : {"classification", "regression"}

    Raises
    ------
    DataError
        Said in one line: what is wrong.
    """
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"no data: X has shape {X.shape}")
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(
            f"{int(bad.sum())} feature values are NaN or infinite "
            f"(first at row {row + 1}, column {col + 1}); impute or drop them first"
        )
    if task == "regression":
        if y.dtype.kind not in "fiu":
            raise DataError("a regression target must be numeric")
        if not np.all(np.isfinite(y)):
            raise DataError("the target has NaN or infinite values")
        if np.ptp(y) == 0:
            raise DataError("the target is constant: there is nothing to learn")
    else:
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise DataError("the target has NaN or infinite values")
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise DataError(
                f"the target has a single class ({classes[0]!r}); "
                "a classifier needs at least two"
            )


def infer_task(y):
    """Guess whether ``y`` is a classification or a regression target.

    Strings and integers with few distinct values are class labels; other
    numbers are a regression target.
    """
    if y.dtype.kind not in "fiu":
        return "classification"
    values = np.unique(y[np.isfinite(y)]) if y.dtype.kind == "f" else np.unique(y)
    integral = np.all(np.mod(values, 1) == 0)
    if integral and len(values) <= max(20, int(0.05 * len(y))):
        return "classification"
    return "regression"
