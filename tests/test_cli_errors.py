"""Bad data, bad options and bad space files end in one line and exit status 2."""

import json
import struct

import joblib
import numpy as np
import pytest

from skhp.cli import main
from tests._files import write_csv, write_idx

TINY = [
    "--n-iter",
    "2",
    "--n-rounds",
    "1",
    "--cv",
    "2",
    "--max-iter",
    "2",
    "--no-plots",
    "--quiet",
]


def run(capsys, tmp_path, *args):
    status = main(["tune", *args, *TINY, "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    return status, err


def assert_one_line_error(status, err, *fragments):
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skhp: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


GOOD_ROWS = "\n".join(f"{i},{i % 3},{i % 2}" for i in range(20))

BAD_CSVS = {
    "missing column": ("a,b,y\n" + GOOD_ROWS, "label", "no column 'label'"),
    "one class": (
        "a,b,label\n" + "\n".join(f"{i},{i},1" for i in range(20)),
        "label",
        "single class",
    ),
    # Text features, blanks and NaN are read now (tests/test_cli_messy_csv.py);
    # an infinite number is not a missing value.
    "inf feature": (
        "a,b,label\n" + GOOD_ROWS + "\ninf,1,1",
        "label",
        "column 'a' has infinite values (first at data row 21)",
    ),
    "no usable feature": (
        "id,k,e,label\n" + "\n".join(f"x{i},7,,{i % 2}" for i in range(20)),
        "label",
        "no usable feature column: id (identifier); k (constant); e (empty)",
    ),
    "empty file": ("", "label", "is empty"),
    "header only": ("a,b,label\n", "label", "no data rows"),
    "one sample": ("a,b,label\n1,2,0\n", "label", "single class"),
    "two samples": ("a,b,label\n1,2,0\n3,4,1\n", "label", "too few"),
    # (a short row is read as pandas reads it: its last cells missing)
    "ragged": ("a,b,label\n1,2,0\n3,4,5,6\n" + GOOD_ROWS, "label",
               "line 3: 4 fields, the header has 3"),
    "no target values": ("a,b,label\n1,2,\n3,4,NA\n", "label", "has no values"),
    "inf target": (
        "a,b,label\n" + "\n".join(f"{i},{i},{i}.5" for i in range(20)) + "\n1,2,inf",
        "label",
        "NaN or infinite",
    ),
    "target only": ("label\n0\n1\n0\n1", "label", "no feature columns"),
}


@pytest.mark.parametrize("case", list(BAD_CSVS))
def test_bad_csv(case, tmp_path, capsys):
    text, target, message = BAD_CSVS[case]
    path = tmp_path / "data.csv"
    path.write_text(text)
    status, err = run(capsys, tmp_path, "--csv", str(path), "--target", target)
    assert_one_line_error(status, err, message)


def test_regression_target_with_strings(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n" + "\n".join(f"{i},v{i}" for i in range(20)))
    status, err = run(
        capsys, tmp_path, "--csv", str(path), "--target", "y", "--task", "regression"
    )
    assert_one_line_error(status, err, "must be numeric")


def test_class_smaller_than_folds(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n" + "\n".join(f"{i},{int(i == 0)}" for i in range(20)))
    status, err = run(capsys, tmp_path, "--csv", str(path), "--target", "y")
    assert_one_line_error(status, err, "fewer than the 2 folds")


def test_unreadable_files(tmp_path, capsys):
    status, err = run(
        capsys, tmp_path, "--csv", str(tmp_path / "nope.csv"), "--target", "y"
    )
    assert_one_line_error(status, err, "no such file")
    status, err = run(capsys, tmp_path, "--csv", str(tmp_path), "--target", "y")
    assert_one_line_error(status, err, "is a directory")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    status, err = run(capsys, tmp_path, "--csv", str(binary), "--target", "y")
    assert_one_line_error(status, err, "cannot read")


def test_csv_needs_target(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n1,0\n")
    status, err = run(capsys, tmp_path, "--csv", str(path))
    assert_one_line_error(status, err, "--target")


@pytest.mark.parametrize(
    "content, name, message",
    [
        ("{not json", "space.json", "not valid"),
        (
            '{"learning_rate_init": {"cauchy": [1, 2]}}',
            "space.json",
            "unknown distribution 'cauchy'",
        ),
        (
            '{"learning_rate_init": {"loguniform": [1]}}',
            "space.json",
            "bad arguments for loguniform",
        ),
        # A name the networks do not take (it was dropout, until they took it).
        ('{"no_such_param": [0.1, 0.2]}', "space.json", "no parameter 'no_such_param'"),
        ("batch_size = []", "space.toml", "empty list"),
        ("batch_size = [", "space.toml", "not valid"),
        ('solver = "fast"', "space.toml", "every fit failed; the last error: "),
        # reversed bounds: one line for every distribution, not scipy's traceback
        ("dropout = {uniform = [0.5, 0.1]}", "space.toml",
         "dropout: bad arguments for uniform: uniform requires low < high"),
        ("batch_size = {randint = [64, 8]}", "space.toml",
         "batch_size: bad arguments for randint: randint requires low <= high"),
        ("batch_size = {randint = [8.5, 64]}", "space.toml", "randint requires integers"),
        ("beta_1 = {reverse_loguniform = [0.999, 0.8]}", "space.toml",
         "reverse_loguniform requires 0 < low < high < 1"),
        ("batch_size = {loguniform_int = [64, 8]}", "space.toml",
         "loguniform_int requires 1 <= low < high"),
        ("max_iter = 0", "space.toml", "max_iter: 0 is not a positive integer"),
        ("max_iter = 4", "space.toml", "--max-iter 2 and the space file's max_iter = 4 "
         "disagree"),
    ],
)
def test_bad_space_file(content, name, message, tmp_path, capsys):
    path = tmp_path / name
    path.write_text(content)
    status, err = run(capsys, tmp_path, "--dataset", "iris", "--space", str(path))
    assert_one_line_error(status, err, message)


def test_unknown_scoring(tmp_path, capsys):
    status, err = run(capsys, tmp_path, "--dataset", "iris", "--scoring", "acuracy")
    assert_one_line_error(status, err, "unknown scoring 'acuracy'")


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["tune", "--n-iter", "zero"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["tune", "--dataset", "mnist"])
    assert exc.value.code == 2



def test_fashion_mnist_from_idx_files(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 10)):
        write_idx(
            tmp_path / f"{prefix}-images-idx3-ubyte.gz",
            rng.integers(0, 256, size=(n, 28, 28)),
        )
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 2)
    monkeypatch.setenv("SKHP_FASHION_MNIST_DIR", str(tmp_path))
    from skhp.cli._data import load_dataset

    X, y = load_dataset("fashion-mnist")
    assert X.shape == (40, 784)
    assert 0 <= X.min() and X.max() <= 1
    assert np.bincount(y).tolist() == [20, 20]
    status = main(
        ["tune", "--dataset", "fashion-mnist", *TINY, "--output", str(tmp_path / "out")]
    )
    assert status == 0


def test_fashion_mnist_missing_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SKHP_FASHION_MNIST_DIR", str(tmp_path / "empty"))
    status, err = run(capsys, tmp_path, "--dataset", "fashion-mnist")
    assert_one_line_error(status, err, "apt-get install dataset-fashion-mnist")


def test_truncated_idx_file(tmp_path):
    from skhp.cli._data import DataError, read_idx

    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 10) + b"\x00" * 3)
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def test_installed_fashion_mnist():
    from skhp.cli._data import FASHION_MNIST_DIR, load_dataset

    if not (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("the Debian package dataset-fashion-mnist is not installed")
    X, y = load_dataset("fashion-mnist")
    assert X.shape == (70000, 784)
    assert np.bincount(y).tolist() == [7000] * 10


def test_dask_without_distributed_says_how_to_install(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    status, err = run(capsys, tmp_path, "--dataset", "iris", "--dask-local", "1")
    assert_one_line_error(status, err, "pip install distributed; from a checkout: "
                          "pip install -e '.[dask]'")


def _without_tomllib(monkeypatch, tomli):
    # What Python 3.10 looks like: no tomllib, and tomli installed or not.
    import sys

    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", tomli)


def test_toml_space_file_on_python_310_reads_with_tomli(tmp_path, monkeypatch):
    import tomllib
    import types

    from skhp.cli._space import read_space_file

    fake_tomli = types.SimpleNamespace(loads=tomllib.loads)
    _without_tomllib(monkeypatch, fake_tomli)
    path = tmp_path / "space.toml"
    path.write_text("batch_size = [32, 64]\n")
    assert read_space_file(path) == {"batch_size": [32, 64]}
    path.write_text("batch_size = [")
    with pytest.raises(ValueError, match="not valid"):
        read_space_file(path)


def test_toml_space_file_on_python_310_without_tomli(tmp_path, capsys, monkeypatch):
    _without_tomllib(monkeypatch, None)
    path = tmp_path / "space.toml"
    path.write_text("batch_size = [32, 64]\n")
    status, err = run(capsys, tmp_path, "--dataset", "iris", "--space", str(path))
    assert_one_line_error(status, err, "needs the tomli package", "JSON")


def test_cli_imports_without_tomllib():
    # `import tomllib` at the top of the module failed on Python 3.10.
    import subprocess
    import sys

    code = "import sys; sys.modules['tomllib'] = None; import skhp.cli, skhp.__main__"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- the scorer is checked before any fit ------------------------------------------------
@pytest.fixture
def text_labels_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = np.where(X[:, 0] > 0, "malignant", "benign")
    rows = [[*map(str, x), label] for x, label in zip(X, y)]
    return write_csv(tmp_path / "bc.csv", ["a", "b", "c", "diagnosis"], rows)


@pytest.mark.parametrize("options, message", [
    (["--scoring", "f1"], "--scoring f1 scores one class as the positive one, and the "
     "classes are 'benign', 'malignant': name it with --pos-label"),
    (["--scoring", "neg_mean_squared_error"], "--scoring neg_mean_squared_error cannot "
     "score this classification target: could not convert string to float"),
    (["--scoring", "f1", "--pos-label", "cancer"],
     "--pos-label 'cancer' is not a class of the target: 'benign', 'malignant'"),
    (["--scoring", "accuracy", "--pos-label", "benign"], "--pos-label goes with"),
])
def test_a_scorer_that_cannot_score_the_target_is_refused_before_any_fit(
    tmp_path, capsys, text_labels_csv, options, message, monkeypatch
):
    from skhp.neural_network import MLPClassifier

    def no_fit(*args, **kwargs):
        raise AssertionError("a network was fitted")

    monkeypatch.setattr(MLPClassifier, "fit", no_fit)
    status, err = run(capsys, tmp_path, "--csv", str(text_labels_csv),
                      "--target", "diagnosis", *options)
    assert_one_line_error(status, err, message)
    assert not (tmp_path / "out" / "checkpoint.pkl").exists()
    assert not (tmp_path / "out" / "best_model.joblib").exists()


def test_pos_label_names_the_positive_class(tmp_path, capsys, text_labels_csv):
    status = main(["tune", "--csv", str(text_labels_csv), "--target", "diagnosis",
                   "--scoring", "f1", "--pos-label", "malignant", *TINY, "--output", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert status == 0
    assert "Best f1 (positive class 'malignant'): " in out
    run_json = json.loads((tmp_path / "out" / "run.json").read_text())
    model = joblib.load(tmp_path / "out" / "best_model.joblib")
    assert "malignant" in model.classes_
    assert 0 < run_json["best_score"] <= 1


def _broken(estimator, X, y):
    raise ValueError("this scorer always fails")


def test_a_scorer_that_fails_on_every_fit_leaves_no_model_and_no_checkpoint(
    tmp_path, capsys, monkeypatch
):
    """A scorer that passes the check before the search (a constant model is
    scored) and fails on every real fit: one line, status 2, nothing saved to
    resume."""
    from skhp.cli import _tune

    monkeypatch.setattr(_tune, "make_run_scorer", lambda *args: (_broken, "broken"))
    status, err = run(capsys, tmp_path, "--dataset", "iris", "--no-halving")
    assert_one_line_error(status, err, "no candidate could be scored with broken: "
                          "every score is NaN")
    assert not (tmp_path / "out" / "checkpoint.pkl").exists()
    assert not (tmp_path / "out" / "best_model.joblib").exists()
