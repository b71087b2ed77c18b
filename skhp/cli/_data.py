"""The data a user tunes on: a bundled set by name, or a file's columns.

Files are read by :mod:`skhp.cli._table`; this module plans their columns.

Every problem with the data raises :class:`DataError` with a one-line message;
the command line prints it and exits with status 2, never with a traceback.
"""

import gzip
import os
import re
import struct
from pathlib import Path

import numpy as np
from sklearn import datasets

__all__ = [
    "DATASETS",
    "Columns",
    "DataError",
    "check_data",
    "infer_task",
    "load_dataset",
    "load_train_test",
    "plan_columns",
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


def _load_fashion_mnist_parts():
    """Fashion-MNIST's official training set (60,000) and test set (10,000)."""
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
        X = X.reshape(len(X), -1).astype(np.float64) / 255.0
        parts.append((X, y.astype(np.int64)))
    return parts


def _load_fashion_mnist():
    (X, y), (X_test, y_test) = _load_fashion_mnist_parts()
    return np.concatenate([X, X_test]), np.concatenate([y, y_test])


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


#: Data sets published with a test set of their own: name -> loader of
#: ``((X_train, y_train), (X_test, y_test))``.
OFFICIAL_SPLITS = {"fashion-mnist": _load_fashion_mnist_parts}


def load_train_test(name):
    """Load a bundled data set by name, with its official test set if it has one.

    Parameters
    ----------
    name : str
        One of the keys of :data:`DATASETS`.

    Returns
    -------
    X, y : ndarray
        The training set; the whole data set where there is no official split.
    X_test, y_test : ndarray or None
        The official test set (Fashion-MNIST's 10,000 images), else None.
    """
    if name in OFFICIAL_SPLITS:
        (X, y), (X_test, y_test) = OFFICIAL_SPLITS[name]()
        return X, y, X_test, y_test
    X, y = load_dataset(name)
    return X, y, None, None


def _parse_float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


#: A text column with more distinct values than this is an identifier.
MAX_CATEGORIES = 50

# Words a row number's or an ID's column name is made of ("id", "row_id",
# "Unnamed: 0", pandas' name for a saved index).
_ROW_NUMBER_WORDS = {"id", "row", "index", "idx", "no", "unnamed"}


def _is_row_number(name, values, n_rows):
    """Unique consecutive integers, under a name like ``id`` or ``row``."""
    words = set(re.split(r"[^a-z]+", name.lower())) | {
        w for w in ("id", "idx") if name.lower().endswith(w)
    }
    if not words & _ROW_NUMBER_WORDS or len(values) != n_rows:
        return False
    numbers = values.to_numpy()
    return bool(
        np.all(np.mod(numbers, 1) == 0)
        and len(np.unique(numbers)) == n_rows
        and numbers.max() - numbers.min() == n_rows - 1
    )


class Columns:
    """Which columns of a raw CSV feature array are used, and how.

    Attributes
    ----------
    names : list of str
    numeric : list of int
        Indices of number columns: imputed with the median, standardized.
    categorical : list of int
        Indices of text columns: imputed with the most frequent value, one-hot.
    dropped : dict of str to str
        Column name to why it is not used.
    notes : list of str
        One line per dropped column, for the user.
    """

    def __init__(self, names):
        self.names = list(names)
        self.numeric = []
        self.categorical = []
        self.dropped = {}
        self.notes = []

    def _drop(self, i, why, note):
        self.dropped[self.names[i]] = why
        self.notes.append(f"column {self.names[i]!r} {note}: dropped")

    def to_dict(self):
        """The plan, by column name, for the run's record."""
        return {
            "numeric": [self.names[i] for i in self.numeric],
            "categorical": [self.names[i] for i in self.categorical],
            "dropped": dict(self.dropped),
        }


def plan_columns(X):
    """Decide how each column of raw features (as :func:`load_csv` reads
    them) is used: number, category, or dropped (all missing, constant,
    identifier, row number).

    Parameters
    ----------
    X : DataFrame
        Numbers as floats, text as strings, NaN for missing cells.

    Raises
    ------
    DataError
        No column is left.
    """
    plan = Columns([str(name) for name in X.columns])
    n_rows = len(X)
    for i, name in enumerate(plan.names):
        column = X.iloc[:, i]
        values = column.dropna()
        if values.empty:
            plan._drop(i, "empty", "has no values (every cell missing)")
        elif column.dtype.kind == "f":
            if values.nunique() == 1:
                plan._drop(i, "constant", f"is constant ({values.iloc[0]:g})")
            elif _is_row_number(name, values, n_rows):
                plan._drop(i, "identifier", "holds a row number or ID (unique "
                           "consecutive integers), treated as an identifier")
            else:
                plan.numeric.append(i)
        else:
            _plan_text(plan, i, values, n_rows)
    if not (plan.numeric or plan.categorical):
        raise DataError(
            "no usable feature column: "
            + "; ".join(f"{k} ({v})" for k, v in plan.dropped.items())
        )
    return plan


def _plan_text(plan, i, values, n_rows):
    """A text column: a category, a constant or an identifier."""
    name = plan.names[i]
    distinct = values.nunique()
    if distinct == 1:
        plan._drop(i, "constant", f"is constant ({values.iloc[0]!r})")
    elif distinct > MAX_CATEGORIES or distinct > n_rows / 2:
        why = f"is text with {distinct} distinct values in {n_rows} rows"
        not_numbers = [v for v in values if _parse_float(v) is None]
        if len(not_numbers) <= 0.1 * len(values):
            why += f" (mostly numbers, but e.g. {not_numbers[0]!r} is not one)"
        plan._drop(i, "identifier", why + ", treated as an identifier")
    else:
        plan.categorical.append(i)
        plan.notes.append(
            f"column {name!r} is text: {distinct} categories, one-hot encoded"
        )


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
    # A file's features (a DataFrame) are checked as they are read.
    is_array = isinstance(X, np.ndarray) and X.dtype.kind in "fiu"
    bad = ~np.isfinite(X) if is_array else np.zeros(X.shape, bool)
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
                f"the target has a single class ({label_text(classes[0])}); "
                "a classifier needs at least two"
            )


def label_text(value):
    """A class label as the user wrote it (not numpy's ``np.str_('yes')``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


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
