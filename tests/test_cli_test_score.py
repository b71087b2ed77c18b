"""``skhp tune`` scores the refitted best model on a test set it never tuned on."""

import json

import joblib
import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from skhp.cli import main
from tests._files import TINY, write_idx


def tune(tmp_path, *args):
    out = tmp_path / "out"
    # (tests that run twice read the second run's results from the same folder)
    status = main(["tune", *TINY, "--output", str(out), "--overwrite", *args])
    return status, json.loads((out / "run.json").read_text()), out


def test_digits_holds_out_a_stratified_fifth(tmp_path, capsys):
    status, run, out = tune(tmp_path, "--dataset", "digits")
    captured = capsys.readouterr()
    assert status == 0
    assert run["data"]["n_samples"] == 1437
    assert run["data"]["test"] == {
        "source": "20% of the data, held out",
        "n_samples": 360,
    }
    assert "1437 samples, 64 features, and 360 test samples" in captured.out
    # The test score is the refitted best model's, with the search's scorer,
    # on samples it was not tuned on.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    _, X_test, _, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    model = joblib.load(out / "best_model.joblib")
    assert run["test_score"] == pytest.approx(
        accuracy_score(y_test, model.predict(X_test))
    )
    assert np.bincount(y_test).min() >= 35  # stratified: every class is there
    line = (
        f"Best accuracy: {run['best_score']:.4f} in 2-fold CV, "
        f"{run['test_score']:.4f} on the 360 test samples"
    )
    assert line in captured.out


def test_test_size_option(tmp_path, capsys):
    status, run, _ = tune(tmp_path, "--dataset", "digits", "--test-size", "0.5")
    assert status == 0
    assert run["data"]["test"]["n_samples"] == 899
    status, run, _ = tune(tmp_path, "--dataset", "digits", "--test-size", "0")
    assert status == 0
    assert run["data"]["test"] is None
    assert run["test_score"] is None
    assert "no test set" not in capsys.readouterr().out  # asked for: no note


def test_tiny_data_keeps_every_sample_for_cross_validation(tmp_path, capsys):
    status, run, _ = tune(tmp_path, "--dataset", "iris")
    out = capsys.readouterr().out
    assert status == 0
    assert "note: no test set: 20% of 150 samples is fewer than 50" in out
    assert run["data"]["n_samples"] == 150
    assert run["test_score"] is None
    assert "test samples" not in out
    # Asked for, a test set is held out anyway.
    status, run, _ = tune(tmp_path, "--dataset", "iris", "--test-size", "0.2")
    assert run["data"]["test"]["n_samples"] == 30
    assert run["test_score"] is not None


def test_max_samples_subsamples_the_training_set_only(tmp_path, capsys):
    status, run, _ = tune(tmp_path, "--dataset", "digits", "--max-samples", "200")
    assert status == 0
    assert run["data"]["n_samples"] == 200
    assert run["data"]["test"]["n_samples"] == 360


def test_regression_csv_gets_an_r2_test_score(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = X[:, 0] - 2 * X[:, 1]
    path = tmp_path / "reg.csv"
    path.write_text(
        "a,b,y\n" + "\n".join(f"{a},{b},{t}" for (a, b), t in zip(X, y))
    )
    status, run, _ = tune(tmp_path, "--csv", str(path), "--target", "y")
    assert status == 0
    assert run["search"]["scoring"] == "r2"
    assert run["data"]["test"]["n_samples"] == 60
    assert run["test_score"] is not None and run["test_score"] <= 1



def test_fashion_mnist_is_scored_on_its_own_test_set(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 200), ("t10k", 70)):
        labels = np.arange(n) % 2
        images = rng.integers(0, 100, size=(n, 28, 28))
        images[labels == 1, :14] += 150  # learnable
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    monkeypatch.setenv("SKHP_FASHION_MNIST_DIR", str(tmp_path))
    status, run, _ = tune(
        tmp_path,
        "--dataset",
        "fashion-mnist",
        "--max-samples",
        "100",
        "--test-size",
        "0.5",
    )
    out = capsys.readouterr().out
    assert status == 0
    # Not mixed into the training data, and not subsampled.
    assert run["data"]["n_samples"] == 100
    assert run["data"]["test"] == {
        "source": "fashion-mnist's own test set",
        "n_samples": 70,
    }
    assert "note: --test-size ignored: fashion-mnist has its own test set" in out
    assert run["test_score"] is not None


def test_impossible_test_split_is_one_line(tmp_path, capsys):
    rows = "\n".join(f"{i},{'a' if i < 59 else 'b'}" for i in range(60))
    path = tmp_path / "data.csv"
    path.write_text("x,label\n" + rows + "\n60,b\n61,b\n")
    status = main(
        ["tune", "--csv", str(path), "--target", "label", "--test-size", "0.01",
         *TINY, "--output", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("skhp: error: cannot hold out a test set of 0.01")
    assert len(err.strip().splitlines()) == 1
