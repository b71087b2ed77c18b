"""``skhp tune --csv`` reads files as pandas does: delimiters, thousands
separators, decimal commas, encodings, Parquet; and refuses a header that
names a column twice."""

import json
import sys

import numpy as np
import pandas as pd
import pytest

from skhp.cli import load_csv, main
from skhp.cli._data import DataError
from tests._files import TINY


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    area = rng.uniform(100, 2500, size=n)
    ratio = rng.normal(size=n)
    label = np.where(area > 1200, "malignant", "benign")
    return area, ratio, label


def test_semicolon_file_with_thousands_separators_and_decimal_commas(tmp_path, capsys):
    """The European spreadsheet export: ';' between fields, '1.001,5' numbers."""
    area, ratio, label = _frame()
    lines = ["area;ratio;diagnosis"] + [
        f"{a:,.1f};{r:.3f};{y}".replace(",", "X").replace(".", ",").replace("X", ".")
        for a, r, y in zip(area, ratio, label)
    ]
    path = tmp_path / "eu.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    status = main(["tune", "--csv", str(path), "--target", "diagnosis", "--decimal", ",",
                   *TINY, "--output", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "note: read as semicolon-separated (--sep sets it)" in captured.out
    assert "note: column 'area': numbers with thousands separators" in captured.out
    run = json.loads((out / "run.json").read_text())
    assert run["data"]["columns"]["numeric"] == ["area", "ratio"]
    X, _ = load_csv(path, "diagnosis", decimal=",")
    np.testing.assert_allclose(X["area"], np.round(area, 1))
    np.testing.assert_allclose(X["ratio"], np.round(ratio, 3))


def test_quoted_numbers_with_thousands_separators_are_numbers(tmp_path):
    """'"1,001.0"' in a comma-separated file was read as text with hundreds of
    distinct values, and dropped as an identifier."""
    area, ratio, label = _frame()
    frame = pd.DataFrame({"area": [f"{a:,.1f}" for a in area], "ratio": ratio,
                          "diagnosis": label})
    path = tmp_path / "bc.csv"
    frame.to_csv(path, index=False)
    assert '"1,' in path.read_text()  # quoted, as spreadsheets write them
    notes = []
    X, y = load_csv(path, "diagnosis", notes=notes)
    assert X["area"].dtype == float
    np.testing.assert_allclose(X["area"], np.round(area, 1))
    assert notes == ["column 'area': numbers with thousands separators"]


@pytest.mark.parametrize("sep, name", [("\t", "tab"), ("|", "pipe")])
def test_the_delimiter_is_found(tmp_path, sep, name):
    area, ratio, label = _frame()
    path = tmp_path / "data.txt"
    pd.DataFrame({"area": area, "ratio": ratio, "y": label}).to_csv(
        path, sep=sep, index=False)
    notes = []
    X, y = load_csv(path, "y", notes=notes)
    assert list(X.columns) == ["area", "ratio"] and len(y) == 60
    assert notes == [f"read as {name}-separated (--sep sets it)"]
    X, _ = load_csv(path, "y", sep=sep)
    assert list(X.columns) == ["area", "ratio"]


def test_a_wrong_delimiter_says_so(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a;b;label\n" + "\n".join(f"{i};{i % 3};{i % 2}" for i in range(30)))
    status = main(["tune", "--csv", str(path), "--target", "label", "--sep", ",",
                   *TINY, "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "has no column 'label'; its columns are a;b;label" in err


def test_a_header_naming_a_column_twice_is_refused(tmp_path, capsys):
    """Was: the second 'label' (a copy of the target) used as a feature named
    'b', the real 'b' dropped, and a CV accuracy of 0.98: a leak."""
    path = tmp_path / "dup.csv"
    path.write_text("label,a,label,b\n" + "\n".join(
        f"{i % 2},{i},{i % 2},{i % 3}" for i in range(30)))
    status = main(["tune", "--csv", str(path), "--target", "label", *TINY,
                   "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "the header names the column 'label' twice; rename one" in err


def test_a_row_number_column_is_not_a_feature(tmp_path, capsys):
    area, ratio, label = _frame()
    path = tmp_path / "indexed.csv"
    pd.DataFrame({"area": area, "ratio": ratio, "y": label}).to_csv(path)  # index saved
    out = tmp_path / "out"
    status = main(["tune", "--csv", str(path), "--target", "y", *TINY, "--output", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert ("note: column 'Unnamed: 0' holds a row number or ID (unique consecutive "
            "integers), treated as an identifier: dropped") in captured.out
    run = json.loads((out / "run.json").read_text())
    assert run["data"]["columns"]["dropped"] == {"Unnamed: 0": "identifier"}


def test_latin_1_file_gets_a_hint_then_reads(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("ville,x,y\n".encode() + "\n".join(
        f"{'Orléans' if i % 2 else 'Nîmes'},{i},{i % 2}" for i in range(20)
    ).encode("latin-1"))
    with pytest.raises(DataError, match="may be Latin-1: --encoding latin-1"):
        load_csv(path, "y")
    X, _ = load_csv(path, "y", encoding="latin-1")
    assert set(X["ville"]) == {"Orléans", "Nîmes"}


def test_parquet_file(tmp_path):
    pytest.importorskip("pyarrow")
    area, ratio, label = _frame()
    path = tmp_path / "data.parquet"
    pd.DataFrame({"area": area, "ratio": ratio, "y": label}).to_parquet(path)
    X, y = load_csv(path, "y")
    np.testing.assert_allclose(X["area"], area)
    assert set(y) == {"malignant", "benign"}


def test_without_pandas_the_message_says_how_to_install(tmp_path, capsys, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n1,0\n2,1\n")
    monkeypatch.setitem(sys.modules, "pandas", None)
    status = main(["tune", "--csv", str(path), "--target", "y", *TINY,
                   "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "reading files needs pandas: pip install pandas" in err
