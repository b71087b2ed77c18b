"""``skhp tune --csv`` on a real-looking CSV: blanks, missing markers, text."""

import csv
import json

import joblib
import numpy as np
import pandas as pd
import pytest

from skhp.cli import load_csv, main
from skhp.cli._data import DataError, plan_columns
from tests._files import TINY, write_csv


HEADER = ["size", "colour", "weight", "site", "blank", "customer", "label"]


@pytest.fixture
def messy_csv(tmp_path):
    """60 rows: numbers with holes, a text column, a constant, an empty column,
    an identifier and string labels (three of them missing)."""
    rng = np.random.default_rng(0)
    markers = ["", "NA", "N/A", "NaN", "null", "?"]
    rows = []
    for i in range(60):
        size = rng.normal()
        colour = ["red", "green", "blue"][i % 3]
        label = "big" if size + (colour == "red") > 0.3 else "small"
        rows.append(
            [
                f"{size:.3f}" if i % 7 else markers[i % 6],
                colour if i % 11 else "NA",
                f" {rng.integers(50, 90)} ",  # spaces around a number
                "Paris",
                markers[i % 6],
                f"C{i:05d}",
                "" if i in (5, 17, 40) else label,
            ]
        )
    return write_csv(tmp_path / "messy.csv", HEADER, rows)


def tune(path, out, *extra):
    return main(
        ["tune", "--csv", str(path), "--target", "label", *TINY, *extra]
        + ["--output", str(out)]
    )


def test_messy_csv_is_tuned_and_the_model_predicts_raw_rows(
    messy_csv, tmp_path, capsys
):
    out = tmp_path / "out"
    status = tune(messy_csv, out)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Traceback" not in captured.out + captured.err
    lines = captured.out.splitlines()
    for note in [
        "note: dropped 3 rows with no value in the target column 'label'",
        "note: column 'colour' is text: 3 categories, one-hot encoded",
        "note: column 'site' is constant ('Paris'): dropped",
        "note: column 'blank' has no values (every cell missing): dropped",
        "note: column 'customer' is text with 57 distinct values in 57 rows, "
        "treated as an identifier: dropped",
    ]:
        assert note in lines
    assert "57 samples, 3 of 6 columns used (1 one-hot encoded)" in captured.out

    run = json.loads((out / "run.json").read_text())
    assert run["data"]["task"] == "classification"
    assert run["data"]["n_samples"] == 57
    assert run["data"]["columns"] == {
        "numeric": ["size", "weight"],
        "categorical": ["colour"],
        "dropped": {
            "site": "constant",
            "blank": "empty",
            "customer": "identifier",
        },
    }
    # The network's parameters are searched under the pipeline step's prefix.
    with open(out / "cv_results.csv") as f:
        params = [json.loads(r["params"]) for r in csv.DictReader(f)]
    assert all("mlp__learning_rate_init" in p for p in params)

    model = joblib.load(out / "best_model.joblib")
    assert list(model.named_steps) == ["preprocess", "mlp"]
    assert set(model.classes_) == {"big", "small"}
    # The rows of the CSV tuned on, read with the same reader, as they are.
    X, y = load_csv(messy_csv, "label")
    assert X.shape == (57, 6) and list(X.columns) == HEADER[:-1]
    assert X["size"].dtype == float and X["colour"].dtype == object
    predicted = model.predict(X)
    assert set(predicted) <= {"big", "small"}
    assert 0 <= model.score(X, y) <= 1

    # New rows, without the target column: an unseen category, blanks,
    # missing markers, a new identifier and a new constant.
    new = write_csv(
        tmp_path / "new.csv",
        HEADER[:-1],
        [
            ["0.5", "purple", "70", "Paris", "", "C99999"],
            ["", "red", "", "Lyon", "NA", "C99998"],
            ["NaN", "?", "null", "", "", ""],
        ],
    )
    X_new, y_new = load_csv(new)
    assert y_new is None
    assert np.isnan(X_new.loc[1, "size"])  # a blank cell is NaN
    predicted = model.predict(X_new)
    assert predicted.shape == (3,)
    assert set(predicted) <= {"big", "small"}
    proba = model.predict_proba(X_new)
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_missing_markers_are_read_as_nan(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        "a,b,y\n"
        + "\n".join(
            f"{cell},x,{i % 2}"
            for i, cell in enumerate(
                ["", " ", "NA", "na", "N/A", "NaN", "nan", "null", "NULL", "?"]
                + ["None", "#N/A", "<NA>", " 1.5 ", "abc"]
            )
        )
        + "\n"
    )
    X, y = load_csv(path, "y")
    column = list(X["a"])
    assert all(v != v for v in column[:13])  # NaN
    assert column[13:] == ["1.5", "abc"]
    assert list(y) == [i % 2 for i in range(15)]


def test_plan_columns():
    n = 120
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "x": rng.normal(size=n),
        "many": [f"v{i}" for i in rng.integers(0, 60, size=n)],  # > 50 categories
        "cat": ["a", "b", np.nan] * (n // 3),
        "typo": [str(i) for i in range(n)],
        "const": np.where(np.arange(n) % 2, 1.0, np.nan),  # constant where known
        "none": np.full(n, np.nan),
        "row_id": np.arange(1, n + 1, dtype=float),  # a row number
        "count": rng.permutation(n).astype(float),  # the same values, another name
    })
    X.loc[5, "typo"] = "12,5"  # a typo in a number column: not a number
    X["cat"] = X["cat"].astype(object)
    plan = plan_columns(X)
    assert [plan.names[i] for i in plan.numeric] == ["x", "count"]
    assert [plan.names[i] for i in plan.categorical] == ["cat"]
    assert plan.dropped == {
        "many": "identifier",
        "typo": "identifier",
        "const": "constant",
        "none": "empty",
        "row_id": "identifier",
    }
    typo = [note for note in plan.notes if "'typo'" in note]
    assert typo == [
        "column 'typo' is text with 120 distinct values in 120 rows (mostly "
        "numbers, but e.g. '12,5' is not one), treated as an identifier: dropped"
    ]
    assert ("column 'row_id' holds a row number or ID (unique consecutive integers), "
            "treated as an identifier: dropped") in plan.notes


def test_an_infinite_value_is_reported_at_its_row_of_the_file(tmp_path):
    rows = [[i, i % 2] for i in range(300)]
    rows[3][0] = "-inf"
    path = write_csv(tmp_path / "inf.csv", ["x", "label"], rows)
    with pytest.raises(DataError, match="'x' has infinite values .* data row 4\\)"):
        load_csv(path, "label")


def test_text_features_with_a_numeric_target_is_regression(tmp_path, capsys):
    rng = np.random.default_rng(1)
    rows = []
    for i in range(40):
        x, city = rng.normal(), ["Oslo", "Rome"][i % 2]
        price = 2 * x + (city == "Rome") + i / 100
        rows.append(["" if i % 9 == 0 else x, city, price])
    path = write_csv(tmp_path / "reg.csv", ["x", "city", "price"], rows)
    out = tmp_path / "out"
    status = main(
        ["tune", "--csv", str(path), "--target", "price", *TINY]
        + ["--output", str(out)]
    )
    assert status == 0, capsys.readouterr().err
    run = json.loads((out / "run.json").read_text())
    assert run["data"]["task"] == "regression"
    model = joblib.load(out / "best_model.joblib")
    X, _ = load_csv(path, "price")
    predicted = model.predict(X)
    assert predicted.dtype.kind == "f" and np.all(np.isfinite(predicted))


GOOD_ROWS = "\n".join(f"{i},{i % 3},{i % 2}" for i in range(20))


@pytest.mark.parametrize(
    "text",
    [
        # Refused before: "column 'b' is not numeric ('red')".
        "a,b,label\n1,red,0\n2,blue,1\n" + GOOD_ROWS,
        # Refused before: NaN in a feature, a blank target.
        "a,b,label\n" + GOOD_ROWS + "\nnan,1,0\n1,2,\n3,4,nan",
    ],
)
def test_former_refusals_are_tuned(text, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert tune(path, tmp_path / "out") == 0
    assert capsys.readouterr().err == ""


def test_max_samples_on_a_messy_csv(messy_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert tune(messy_csv, out, "--max-samples", "30") == 0
    run = json.loads((out / "run.json").read_text())
    assert run["data"]["n_samples"] == 30
    assert "columns used" in capsys.readouterr().out
