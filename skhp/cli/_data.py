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
    "MISSING",
    "Columns",
    "DataError",
    "check_data",
    "feature_names",
    "infer_task",
    "load_csv",
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


#: Cells read as missing values (compared stripped and lower-cased): a blank
#: cell and the markers spreadsheets, R, pandas and databases write.
MISSING = frozenset(
    {
        "",
        "na",
        "n/a",
        "#n/a",
        "#n/a n/a",
        "#na",
        "<na>",
        "nan",
        "-nan",
        "null",
        "none",
        "?",
        "-1.#ind",
        "1.#ind",
        "-1.#qnan",
        "1.#qnan",
    }
)

#: A text column with more distinct values than this is an identifier.
MAX_CATEGORIES = 50


def is_missing(value):
    """Whether a cell (a string, or NaN/None) is a missing value."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return str(value).strip().lower() in MISSING


def _read_rows(path):
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
    body = rows[1:]
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {line}: {len(row)} fields, the header has {len(header)}"
            )
    return header, body


def feature_names(path, target=None):
    """The names of the columns :func:`load_csv` returns as features."""
    header, _ = _read_rows(path)
    return [name for name in header if name != target]


def load_csv(path, target=None, *, notes=None):
    """Read a CSV file with a header row into raw features and a target.

    The features are kept as read: an object array of stripped strings, with
    ``np.nan`` for missing cells (blank, ``NA``, ``N/A``, ``NaN``, ``null``,
    ``?``...: see :data:`MISSING`). The model ``skhp tune --csv`` saves takes
    such rows as they are, so read new data with this function to predict::

        X, _ = load_csv("new.csv")            # no target column in the file
        X, y = load_csv("data.csv", "label")  # the file tuned on

    Parameters
    ----------
    path : str or Path
        The file; its first row names the columns.

    target : str or None, default=None
        The column to predict; rows where it is missing are dropped. None: every
        column is a feature, and ``y`` is None.

    notes : list or None, default=None
        One-line notes on what was done (rows dropped) are appended to it.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype object
    y : ndarray of shape (n_samples,) or None
        Floats when every value is a number, else strings (class labels).
    """
    header, body = _read_rows(path)
    if target is not None and target not in header:
        raise DataError(
            f"{path} has no column {target!r}; its columns are {', '.join(header)}"
        )
    j = header.index(target) if target is not None else None
    features = [i for i in range(len(header)) if i != j]
    if not features:
        raise DataError(f"{path} has no feature columns besides {target!r}")

    X = np.empty((len(body), len(features)), dtype=object)
    for r, row in enumerate(body):
        for k, i in enumerate(features):
            cell = row[i].strip()
            X[r, k] = np.nan if cell.lower() in MISSING else cell
    if j is None:
        return X, None

    raw = [row[j].strip() for row in body]
    known = np.array([value.lower() not in MISSING for value in raw])
    if not known.any():
        raise DataError(f"{path}: the target column {target!r} has no values")
    if not known.all():
        n = int((~known).sum())
        if notes is not None:
            notes.append(
                f"dropped {n} row{'s' if n > 1 else ''} with no value in the "
                f"target column {target!r}"
            )
        X = X[known]
        raw = [value for value, ok in zip(raw, known) if ok]
    numbers = [_parse_float(value) for value in raw]
    if all(value is not None for value in numbers):
        y = np.asarray(numbers)
    else:
        y = np.asarray(raw)
    return X, y


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


def plan_columns(X, names):
    """Decide how each column of a raw feature array (as from :func:`load_csv`)
    is used: number, category, or dropped (all missing, constant, identifier).

    Raises
    ------
    DataError
        A number column holds an infinite value, or no column is left.
    """
    plan = Columns(names)
    n_rows = X.shape[0]
    for i, name in enumerate(plan.names):
        values = [v for v in X[:, i] if not is_missing(v)]
        if not values:
            plan._drop(i, "empty", "has no values (every cell missing)")
            continue
        numbers = [_parse_float(v) for v in values]
        not_numbers = [v for v, f in zip(values, numbers) if f is None]
        if not not_numbers:
            numbers = np.asarray(numbers)
            if not np.all(np.isfinite(numbers)):
                row = next(
                    r
                    for r, v in enumerate(X[:, i])
                    if not is_missing(v) and not np.isfinite(float(v))
                )
                raise DataError(
                    f"column {name!r} has infinite values (first at data row "
                    f"{row + 1}); leave such cells blank to impute them"
                )
            if np.ptp(numbers) == 0:
                plan._drop(i, "constant", f"is constant ({values[0]})")
            else:
                plan.numeric.append(i)
            continue
        distinct = len(set(values))
        if distinct == 1:
            plan._drop(i, "constant", f"is constant ({values[0]!r})")
        elif distinct > MAX_CATEGORIES or distinct > n_rows / 2:
            why = f"is text with {distinct} distinct values in {n_rows} rows"
            if len(not_numbers) <= 0.1 * len(values):
                why += (
                    f" (mostly numbers, but e.g. {not_numbers[0]!r} is not one)"
                )
            plan._drop(i, "identifier", why + ", treated as an identifier")
        else:
            plan.categorical.append(i)
            plan.notes.append(
                f"column {name!r} is text: {distinct} categories, one-hot encoded"
            )
    if not (plan.numeric or plan.categorical):
        raise DataError(
            "no usable feature column: "
            + "; ".join(f"{k} ({v})" for k, v in plan.dropped.items())
        )
    return plan


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
    # Raw CSV features (object arrays) are checked by plan_columns.
    bad = ~np.isfinite(X) if X.dtype.kind in "fiu" else np.zeros(X.shape, bool)
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
