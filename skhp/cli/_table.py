"""Reading a user's table file (CSV or Parquet) with pandas, for ``skhp tune``.

pandas does the reading and the type inference; on top of it this module
finds the delimiter, reads the missing-value markers spreadsheets write,
turns quoted numbers with thousands separators into numbers, refuses a
header that names a column twice, and says every problem in one line
(:class:`~skhp.cli._data.DataError`).
"""

import csv
import re
from pathlib import Path

import numpy as np

from skhp.cli._data import DataError

__all__ = ["MISSING", "PANDAS_HINT", "load_csv", "read_table"]

PANDAS_HINT = (
    "reading files needs pandas: pip install pandas (or, from a checkout, "
    "pip install -e '.[cli]')"
)

#: Cells read as missing values (compared stripped and lower-cased): a blank
#: cell and the markers spreadsheets, R, pandas and databases write.
MISSING = frozenset(
    {
        "", "na", "n/a", "#n/a", "#n/a n/a", "#na", "<na>", "nan", "-nan",
        "null", "none", "?", "-1.#ind", "1.#ind", "-1.#qnan", "1.#qnan",
    }
)

# Delimiters a CSV file is sniffed for, with their names for the notes.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# A number written with thousands separators ("1,001.0", "-12,345"), for a
# decimal point; with a decimal comma the separator is "." or a space.
_GROUPED = {
    ".": (re.compile(r"^[+-]?\d{1,3}(,\d{3})*(\.\d*)?$"), ","),
    ",": (re.compile(r"^[+-]?\d{1,3}([. ]\d{3})*(,\d*)?$"), r"[. ]"),
}


def _pandas():
    try:
        import pandas
    except ImportError:
        raise DataError(PANDAS_HINT) from None
    return pandas


def _sniff(path, encoding, decimal):
    """The delimiter of a CSV file, from its first lines (a comma if unsure)."""
    with open(path, newline="", encoding=encoding) as f:
        sample = f.read(64 * 1024)
    candidates = "".join(d for d in DELIMITERS if not (d == "," and decimal == ","))
    try:
        return csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
    except csv.Error:
        return ";" if decimal == "," else ","


def _check_header(header, path):
    seen = set()
    for name in header:
        if name in seen:
            raise DataError(
                f"{path}: the header names the column {name!r} twice; rename one"
            )
        seen.add(name)


def _read_csv(path, sep, decimal, encoding, notes):
    pd = _pandas()
    if sep is None:
        sep = _sniff(path, encoding, decimal)
        if sep != ",":
            notes.append(f"read as {DELIMITERS[sep]}-separated (--sep sets it)")
    # Cells are read as text: the missing markers ('?' among them) and the
    # numbers with thousands separators are found column by column below.
    options = dict(sep=sep, encoding=encoding, dtype=str, keep_default_na=False,
                   skip_blank_lines=True)
    header = pd.read_csv(path, header=None, nrows=1, **options)
    # pandas' names for a blank header cell (a saved index has one)
    header = [
        "" if name != name else str(name).strip() for name in header.iloc[0]
    ]
    header = [name or f"Unnamed: {i}" for i, name in enumerate(header)]
    _check_header(header, path)
    try:
        frame = pd.read_csv(path, header=None, skiprows=1, names=header, **options)
    except pd.errors.ParserError as exc:
        raise DataError(_ragged(path, exc, sep, len(header))) from None
    # a row of blank cells (",,,") is what spreadsheets write for an empty row
    blank = frame.apply(lambda column: column.fillna("").str.strip() == "").all(axis=1)
    return frame[~blank].reset_index(drop=True)


def _ragged(path, exc, sep, n_header):
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if not found:
        return f"cannot read {path}: {' '.join(str(exc).split())}"
    line, n_fields = int(found.group(2)), int(found.group(3))
    message = f"{path}, line {line}: {n_fields} fields, the header has {n_header}"
    if n_header == 1:
        message += (f"; is it not {DELIMITERS.get(sep, repr(sep))}-separated? "
                    "--sep names the delimiter")
    return message


def read_table(path, *, sep=None, decimal=".", encoding=None, notes=None):
    """Read a CSV (or Parquet) file into a DataFrame of raw cells.

    Parameters
    ----------
    path : str or Path
    sep : str or None, default=None
        The CSV delimiter; None: sniffed among comma, semicolon, tab and pipe.
    decimal : str, default="."
        The decimal mark of the file's numbers (``","`` in much of Europe).
    encoding : str or None, default=None
        None: UTF-8, with or without a byte-order mark.
    notes : list or None
        One-line notes on how the file was read are appended to it.

    Returns
    -------
    DataFrame
        Column names stripped; missing cells NaN; columns of numbers as
        floats, the others as stripped strings.
    """
    notes = [] if notes is None else notes
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path} is a directory, not a CSV file")
    if path.suffix.lower() in (".parquet", ".pq"):
        frame = _read_parquet(path)
    else:
        encoding = encoding or "utf-8-sig"
        try:
            frame = _read_csv(path, sep, decimal, encoding, notes)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"cannot read {path} as {encoding}: byte {exc.object[exc.start]:#x} at "
                f"position {exc.start}; a file from a spreadsheet may be Latin-1: "
                "--encoding latin-1"
            ) from None
        except LookupError:
            raise DataError(f"unknown encoding {encoding!r}") from None
        except _pandas().errors.EmptyDataError:
            raise DataError(f"{path} is empty") from None
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    frame = _cells(frame, decimal, notes)
    if frame.empty:
        raise DataError(f"{path} has a header but no data rows")
    return frame


def _read_parquet(path):
    pd = _pandas()
    try:
        frame = pd.read_parquet(path)
    except ImportError:
        raise DataError(
            "reading Parquet files needs pyarrow: pip install pyarrow"
        ) from None
    except Exception as exc:  # pyarrow's own errors for a file it cannot read
        raise DataError(f"cannot read {path}: {' '.join(str(exc).split())}") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    _check_header(list(frame.columns), path)
    return frame


def _cells(frame, decimal, notes):
    """Missing markers as NaN, and each column of numbers as floats."""
    pd = _pandas()
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind in "biuf":
            columns[name] = column.astype(float)
            continue
        text = column.astype("string").str.strip()
        text = text.mask(text.str.lower().isin(MISSING))
        known = text.dropna()
        point = text if decimal == "." else text.str.replace(decimal, ".", regex=False)
        numbers = pd.to_numeric(point, errors="coerce")
        if numbers[known.index].notna().all():
            columns[name] = numbers.astype(float)
        elif _grouped(known, decimal):
            columns[name] = _ungroup(text, decimal)
            notes.append(f"column {name!r}: numbers with thousands separators")
        else:
            columns[name] = text.astype(object).where(text.notna(), np.nan)
    return pd.DataFrame(columns, index=frame.index)


def _grouped(known, decimal):
    """Whether every value is a number, some with thousands separators."""
    pattern, separator = _GROUPED.get(decimal, (None, None))
    return (
        pattern is not None and len(known) > 0
        and known.str.match(pattern).all() and known.str.contains(separator).any()
    )


def _ungroup(text, decimal):
    pd = _pandas()
    plain = text.str.replace(_GROUPED[decimal][1], "", regex=True)
    if decimal != ".":
        plain = plain.str.replace(decimal, ".", regex=False)
    return pd.to_numeric(plain, errors="coerce").astype(float)


def load_csv(path, target=None, *, sep=None, decimal=".", encoding=None, notes=None):
    """Read a table file with a header row into raw features and a target.

    The features are a DataFrame as read: numbers as floats, text as stripped
    strings, ``NaN`` for missing cells (blank, ``NA``, ``N/A``, ``NaN``,
    ``null``, ``?``...: see :data:`MISSING`). The model ``skhp tune --csv``
    saves takes such rows as they are, so read new data with this function to
    predict (with the options the run used: ``sep``, ``decimal``,
    ``encoding``)::

        X, _ = load_csv("new.csv")            # no target column in the file
        X, y = load_csv("data.csv", "label")  # the file tuned on

    Parameters
    ----------
    path : str or Path
        A CSV file (its first row names the columns), or a Parquet file
        (``.parquet``, read with pyarrow).
    target : str or None, default=None
        The column to predict; rows where it is missing are dropped. None:
        every column is a feature, and ``y`` is None.
    sep, decimal, encoding
        How the file is written; see :func:`read_table`.
    notes : list or None, default=None
        One-line notes on what was done (rows dropped) are appended to it.

    Returns
    -------
    X : DataFrame of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None
        Floats when every value is a number, else strings (class labels).
    """
    notes = [] if notes is None else notes
    frame = read_table(path, sep=sep, decimal=decimal, encoding=encoding, notes=notes)
    if target is not None and target not in frame.columns:
        raise DataError(
            f"{path} has no column {target!r}; its columns are {', '.join(frame.columns)}"
        )
    X = frame.drop(columns=[] if target is None else [target])
    if X.shape[1] == 0:
        raise DataError(f"{path} has no feature columns besides {target!r}")
    _check_finite(X)
    if target is None:
        return X, None
    y = frame[target]
    known = y.notna().to_numpy()
    if not known.any():
        raise DataError(f"{path}: the target column {target!r} has no values")
    if not known.all():
        n = int((~known).sum())
        notes.append(
            f"dropped {n} row{'s' if n > 1 else ''} with no value in the "
            f"target column {target!r}"
        )
    X, y = X[known].reset_index(drop=True), y[known].to_numpy()
    return X, (y.astype(float) if y.dtype.kind == "f" else y.astype(str))


def _check_finite(X):
    """Refuse an infinite number, naming its row of data (1 for the first)."""
    for name in X.columns:
        column = X[name]
        if column.dtype.kind == "f" and np.isinf(column.to_numpy()).any():
            row = int(np.flatnonzero(np.isinf(column.to_numpy()))[0])
            raise DataError(
                f"column {name!r} has infinite values (first at data row "
                f"{row + 1}); leave such cells blank to impute them"
            )
