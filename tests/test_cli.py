"""End-to-end tests of ``skhp tune``, with tiny budgets."""

import ast
import csv
import json
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

from sklearn.datasets import load_digits
from sklearn.pipeline import Pipeline

from skhp import loguniform
from skhp.cli import _factory, main
from tests._files import write_csv

TINY = ["--n-iter", "4", "--n-rounds", "2", "--cv", "2", "--max-iter", "5"]


@pytest.fixture
def blobs_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    rows = [[*map(str, x), label] for x, label in zip(X, y)]
    return write_csv(tmp_path / "blobs.csv", ["a", "b", "c", "label"], rows)


def test_tune_digits_writes_results_model_and_pictures(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    titles = {}
    savefig = Figure.savefig

    def saving(fig, path, **kwargs):
        titles[Path(path).name] = fig._suptitle.get_text() if fig._suptitle else ""
        return savefig(fig, path, **kwargs)

    monkeypatch.setattr(Figure, "savefig", saving)
    out = tmp_path / "out"
    status = main(["tune", "--max-samples", "300", *TINY, "--output", str(out)])
    captured = capsys.readouterr()
    assert status == 0
    assert "Best 4 of 4 candidates" in captured.out
    assert "Which hyperparameters mattered" in captured.out
    # Progress went to stderr, and ended with the summary line.
    assert "round 1 of 0..1 | fits 4/8" in captured.err
    assert "done: 8 fits" in captured.err

    run = json.loads((out / "run.json").read_text())
    # --max-samples subsampled the training set; 20% of the 1797 were held out.
    assert run["data"] == {
        "dataset": "digits",
        "task": "classification",
        "n_samples": 300,
        "n_features": 64,
        "test": {"source": "20% of the data, held out", "n_samples": 360},
    }
    assert 0 < run["best_score"] <= 1
    assert 0 < run["test_score"] <= 1
    assert f"{run['test_score']:.4f} on the 360 test samples" in captured.out
    assert set(run["importance"]) <= {
        "learning_rate_init",
        "beta_1",
        "batch_size",
        "alpha",
        "hidden_layer_sizes (layers)",
        "hidden_layer_sizes (units)",
        "batch_norm",
        "learning_rate",
        "decay_rate",
    }
    with open(out / "cv_results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4
    assert sorted(int(r["round"]) for r in rows) == [0, 0, 1, 1]
    assert max(float(r["mean_test_score"]) for r in rows) == pytest.approx(
        run["best_score"]
    )
    model = joblib.load(out / "best_model.joblib")
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    assert model.score(X, y) > 0.5
    for picture in ("search.png", "learning_curves.png", "importance.png"):
        assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the curves are refits, and say how long the saved model trained
    assert titles["learning_curves.png"].endswith(
        f"the saved model, refitted on all the rows, trained {model[-1].n_iter_} epochs")


def test_tune_without_matplotlib_says_how_to_get_pictures(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "out"
    status = main(["tune", "--dataset", "iris", *TINY, "--quiet", "--output", str(out)])
    captured = capsys.readouterr()
    assert status == 0
    assert "pip install matplotlib; from a checkout: pip install -e '.[plots]'" in captured.out
    assert not list(out.glob("*.png"))
    assert captured.err == ""  # --quiet: no progress


def test_tune_csv_classification(blobs_csv, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "tune",
            "--csv",
            str(blobs_csv),
            "--target",
            "label",
            *TINY,
            "--no-plots",
            "--output",
            str(out),
        ]
    )
    assert status == 0
    run = json.loads((out / "run.json").read_text())
    assert run["data"]["task"] == "classification"
    model = joblib.load(out / "best_model.joblib")
    assert set(model.classes_) == {"yes", "no"}


def test_csv_with_byte_order_mark(blobs_csv, tmp_path):
    from skhp.cli import load_csv

    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + blobs_csv.read_bytes())
    X, y = load_csv(bom, "label")
    assert X.shape == (60, 3)
    assert set(y) == {"yes", "no"}


def test_tune_csv_numeric_target_is_regression(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 2))
    y = 3 * X[:, 0] - X[:, 1] + rng.normal(scale=0.1, size=50)
    path = write_csv(
        tmp_path / "reg.csv", ["x0", "x1", "y"], [[*x, t] for x, t in zip(X, y)]
    )
    out = tmp_path / "out"
    status = main(
        [
            "tune",
            "--csv",
            str(path),
            "--target",
            "y",
            *TINY,
            "--no-plots",
            "--output",
            str(out),
        ]
    )
    assert status == 0
    run = json.loads((out / "run.json").read_text())
    assert run["data"]["task"] == "regression"
    assert run["search"]["scoring"] == "r2"
    assert "MLPRegressor" in capsys.readouterr().out


def test_space_file_overrides_default(tmp_path, capsys):
    space = tmp_path / "space.toml"
    space.write_text(
        "learning_rate_init = { loguniform = [0.001, 0.002] }\n"
        "batch_size = [16]\n"
        "hidden_layer_sizes = [[8], [8, 8]]\n"
    )
    out = tmp_path / "out"
    status = main(
        [
            "tune",
            "--dataset",
            "iris",
            *TINY,
            "--space",
            str(space),
            "--no-plots",
            "--output",
            str(out),
        ]
    )
    assert status == 0
    with open(out / "cv_results.csv") as f:
        rows = list(csv.DictReader(f))
    params = [json.loads(r["params"]) for r in rows]
    for p in params:
        assert 0.001 <= p["mlp__learning_rate_init"] <= 0.002
        assert p["mlp__batch_size"] == 16
        assert p["mlp__hidden_layer_sizes"] in ([8], [8, 8])
    # the column reads back as the tuple each candidate had, one layer too: (8,)
    for row, p in zip(rows, params):
        layers = ast.literal_eval(row["param_mlp__hidden_layer_sizes"])
        assert layers == tuple(p["mlp__hidden_layer_sizes"])


def test_failed_candidates_are_summed_up_in_one_line(tmp_path, capsys):
    # Candidates with an unknown solver fail; the others fit.
    space = tmp_path / "space.json"
    space.write_text(
        json.dumps(
            {
                "default": False,
                "solver": ["adam", "nonsense"],
                "learning_rate_init": {"loguniform": [1e-3, 1e-2]},
            }
        )
    )
    out = tmp_path / "out"
    status = main(
        [
            "tune",
            "--dataset",
            "iris",
            "--n-iter",
            "8",
            "--n-rounds",
            "1",
            "--cv",
            "2",
            "--max-iter",
            "3",
            "--no-halving",
            "--space",
            str(space),
            "--no-plots",
            "--quiet",
            "--output",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0
    with open(out / "cv_results.csv") as f:
        rows = list(csv.DictReader(f))
    n_failed = sum(json.loads(r["params"])["mlp__solver"] == "nonsense" for r in rows)
    assert 0 < n_failed < 8
    line = f"{2 * n_failed} of 16 fits failed; the first error: "
    assert line in captured.out
    assert "InvalidParameterError" in captured.out
    assert "Traceback" not in captured.err + captured.out


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "skhp", "tune", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--dask-scheduler" in result.stdout
    assert "--csv" in result.stdout


def test_dask_local_cluster(tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    status = main(
        [
            "tune",
            "--dataset",
            "iris",
            "--n-iter",
            "2",
            "--n-rounds",
            "1",
            "--cv",
            "2",
            "--max-iter",
            "3",
            "--dask-local",
            "1",
            "--no-plots",
            "--output",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0
    assert "running on Dask" in captured.err
    # The worker process sent its fits back to the progress line.
    assert "done: 4 fits" in captured.err


def test_version(capsys):
    import skhp

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"skhp {skhp.__version__}\n"
    result = subprocess.run(
        [sys.executable, "-m", "skhp", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == f"skhp {skhp.__version__}\n"


def test_the_run_time_is_estimated_before_the_search(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        ["tune", "--dataset", "iris", *TINY, "--n-jobs", "2", "--no-plots",
         "--output", str(out)]
    )
    captured = capsys.readouterr()
    assert status == 0
    lines = captured.out.splitlines()
    estimate = [i for i, line in enumerate(lines) if line.startswith("Estimated")]
    assert estimate and lines[estimate[0] - 1].startswith("Tuning an MLPClassifier")
    assert lines[estimate[0]].startswith("Estimated time: about ")
    assert " on 2 cores (one fit of 5 epochs: about " in lines[estimate[0]]


def test_estimate_counts_the_fits_on_the_cores_and_the_refits():
    from skhp.cli._tune import FitCost, Plan, Work, _estimate

    # 90 fits of 30 epochs at 2 s on 2 cores, plus the refit on 3/2 of a
    # fold's samples: 93 s
    cost = FitCost(fixed=0.5, per_epoch=0.05)
    plain = Plan(Work(90, 90 * 30), Work(90, 90 * 30), [30])
    line = _estimate(cost, plain, 30, 2, 10_000, 6_667, plots=False)
    assert line == ("Estimated time: about 2 minutes on 2 cores (one fit of 30 epochs: "
                    "about 2.0 s)")
    # With rungs: as expected if they prune from round 1, and at most
    rungs = Plan(Work(120, 90 * 30), Work(60, 30 * 30), [10, 30])
    line = _estimate(cost, rungs, 30, 2, 10_000, 6_667, plots=False)
    assert line.startswith("Estimated time: about 40 s if the rungs prune from round 1 "
                           "on (up to 2 minutes if none does) on 2 cores")
    # The zoomed rounds' epochs, and the refit of the best candidate, at their
    # own cost: 60 fits of 30 epochs at 0.2 s an epoch instead of 0.05 s
    zoomed = Plan(*[Work(90, 90 * 30, 60 * 30)] * 2, [30])
    line = _estimate(cost._replace(zoomed_per_epoch=0.2), zoomed, 30, 2, 10_000, 6_667,
                     plots=False)
    # (45 + 30 * 30 * 0.05 + 60 * 30 * 0.2) / 2 + (0.5 + 30 * 0.2) * 1.5 = 232 s
    assert line.startswith("Estimated time: about 4 minutes on 2 cores (one fit of "
                           "30 epochs: about 2.0 s)")
    # A resumed run counts what is left; long runs say how to shorten them.
    half = _estimate(cost, plain, 30, 2, 10_000, 6_667, plots=False, left=0.5)
    assert half.startswith("Estimated time: about 48 s")
    assert "--max-samples" in _estimate(FitCost(10, 0.5), plain, 30, 2, 10_000, 6_667,
                                        plots=True)
    assert "Dask" in _estimate(cost, plain, 30, None, 10_000, 6_667, plots=False)


def test_a_fit_costs_its_set_up_once_and_each_epoch():
    """Fits of 1 and 3 epochs split a fit's cost into its set-up and its
    epochs: a one-epoch fit times the epochs counted the set-up every epoch."""
    from skhp.cli._tune import _time_per_fit

    X, y = load_digits(return_X_y=True)
    estimator = _factory.make_estimator("classification", max_iter=30, random_state=0)
    space = {"mlp__alpha": loguniform(1e-5, 1e-3)}
    cost = _time_per_fit(estimator, space, X, y, 1000, seed=0)
    assert cost.fixed >= 0 and cost.zoomed_per_epoch >= cost.per_epoch > 0
    import time

    net = estimator.set_params(mlp__alpha=1e-4, mlp__tol=0, mlp__n_iter_no_change=100)
    started = time.perf_counter()
    net.fit(X[:1000], y[:1000])
    actual = time.perf_counter() - started
    predicted = cost.fixed + 30 * cost.per_epoch
    assert actual / 2 < predicted < 2 * actual


@pytest.mark.parametrize(
    "n_train, epochs", [(100, 100), (958, 100), (6_667, 15), (20_000, 10)]
)
def test_default_epochs_shrink_on_large_data(n_train, epochs):
    from skhp.cli._args import build_parser
    from skhp.cli._tune import _max_iter

    args = build_parser().parse_args(["tune"])
    assert _max_iter(args, n_train) == epochs
    args = build_parser().parse_args(["tune", "--max-iter", "7"])
    assert _max_iter(args, n_train) == 7


def test_docs_name_the_default_search_size():
    """The README's and the command-line page's first example say how many
    candidates in how many rounds a bare ``skhp tune`` runs: what the parser
    gives, which ``benchmarks/curves`` raced as the default."""
    from skhp.cli._args import build_parser

    args = build_parser().parse_args(["tune"])
    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text()
    cli = (root / "docs" / "cli.rst").read_text()
    assert f"# digits, {args.n_iter} candidates in {args.n_rounds} rounds" in readme
    assert f"# digits, {args.n_iter} candidates, {args.n_rounds} rounds" in cli


def test_halving_tables_rank_full_epoch_candidates_without_the_resource(
    tmp_path, capsys, monkeypatch
):
    """With rungs, the results table ranks the candidates trained to the full
    epochs 1, 2, 3 among themselves, and neither table lists the epochs as a
    hyperparameter; the importances count each candidate once."""
    # rungs that prune from the first round (without waiting for a round to
    # show that they rank as the full epochs do), so that some candidates stop
    monkeypatch.setattr(_factory, "HALVING_MIN_RANK_CORRELATION", None)
    out = tmp_path / "out"
    status = main(["tune", "--dataset", "iris", "--n-iter", "8", "--n-rounds", "1",
                   "--cv", "2", "--max-iter", "9", "--no-plots", "--output", str(out)])
    captured = capsys.readouterr().out
    assert status == 0
    with open(out / "cv_results.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(r["n_resources"]) for r in rows) == [3] * 8 + [9] * 3
    table = captured.split("Best 3 of the 3 candidates trained to 9 epochs")[1]
    lines = table.strip().splitlines()
    assert lines[1].split()[:4] == ["rank", "score", "std", "round"]
    assert "max_iter" not in lines[1]
    assert [int(line.split()[0]) for line in lines[3:6]] == [1, 2, 3]
    run = json.loads((out / "run.json").read_text())
    assert "max_iter" not in run["importance"]
    assert "8 candidates, ranked by the rung reached, then by score there" in captured
    # 8 candidates for 5 or more hyperparameters: the ranking is rough, and says so
    assert "Caveat: 8 candidates for" in captured


def test_results_table_leaves_out_failed_full_epoch_fits():
    """A candidate whose fit at the full epochs failed (NaN) is not among the
    best, and no row of a lower rung stands in for it."""
    from skhp.cli._report import results_table

    params = [{"lr": lr, "max_iter": 3} for lr in (0.1, 0.01, 0.001)]
    params += [{"lr": lr, "max_iter": 9} for lr in (0.1, 0.01)]
    results = {
        "params": params,
        "mean_test_score": np.array([0.9, 0.8, 0.7, 0.95, np.nan]),
        "std_test_score": np.zeros(5),
        "rank_test_score": np.array([3, 4, 5, 1, 6]),
        "rung": np.array([0, 0, 0, 1, 1]),
        "n_resources": np.array([3, 3, 3, 9, 9]),
        "round": np.zeros(5, dtype=int),
    }
    lines = results_table(results).splitlines()
    assert lines[0].startswith("Best 1 of the 2 candidates trained to 9 epochs")
    assert len(lines) == 4  # title, header, rule, one row
    assert lines[3].split()[:2] == ["1", "0.9500"]


def test_halving_checks_its_rungs_in_round_0_and_reports_them(tmp_path, capsys):
    """By default round 0 trains its calibration sample (here every one of its
    5 candidates) to the end, its rungs are judged on it, and the run says
    what they showed."""
    out = tmp_path / "out"
    status = main(["tune", "--dataset", "iris", "--n-iter", "10", "--n-rounds", "2",
                   "--cv", "2", "--max-iter", "9", "--no-plots", "--quiet",
                   "--output", str(out)])
    captured = capsys.readouterr().out
    assert status == 0
    assert ("(up to 40 fits in rungs of 3/9 epochs; 6 candidates of round 0 train "
            "to the full epochs") in captured
    run = json.loads((out / "run.json").read_text())
    assert run["search"]["rung_candidates"][0] == [5, 5]
    (rho,) = run["search"]["rung_rank_correlations"]
    assert rho is None or -1 <= rho <= 1
    assert "Halving: rank correlation with the scores at 9 epochs: rung 0 (3 epochs)" in captured


def test_halving_is_left_out_where_its_rungs_cannot_be_judged():
    """Fewer than 5 candidates before the last round: no rung could ever
    prune, so the search runs without rungs (the header counts plain fits)."""
    from skhp.cli._factory import halving_can_run, make_search
    from skhp.cli._tune import _plan
    from skhp.neural_network import MLPClassifier

    assert not halving_can_run(8, 2) and halving_can_run(10, 2) and halving_can_run(30, 3)
    X, y = np.zeros((40, 2)), np.arange(40) % 2

    def search(n_iter):
        return make_search(Pipeline([("mlp", MLPClassifier(max_iter=9))]),
                           {"mlp__alpha": [1e-4, 1e-3]}, n_iter=n_iter, n_rounds=2,
                           cv=2, scoring=None, n_jobs=None, random_state=0)

    # (round 1's 4 candidates, 2 folds, 9 epochs: zoomed)
    assert _plan(search(8), X, y, 9) == ((16, 16 * 9, 8 * 9), (16, 16 * 9, 8 * 9), [9])
    plan = _plan(search(10), X, y, 9)
    assert plan.rungs == [3, 9] == search(10).rung_plan(X, y)
    # at most: no rung prunes; the last round's top rung trains straight
    assert plan.most == (2 * 10 * 2, (5 * 9 + 5 * (3 + 9)) * 2, 5 * (3 + 9) * 2)
    # expected: round 1 keeps 2 of its 5 candidates for the top rung
    assert plan.expected == ((5 + 5 + 5 + 2) * 2, (5 * 9 + 5 * 3 + 2 * 9) * 2,
                             (5 * 3 + 2 * 9) * 2)


def test_fits_failing_at_a_later_rung_are_counted(tmp_path, capsys, monkeypatch):
    """Fits that fail only at the full epochs (the last rung) are counted with
    every other failed fit, whatever rung they failed at."""
    from skhp.neural_network import MLPClassifier

    straight_fit = MLPClassifier.fit

    def fail_at_9_epochs(self, X, y, sample_weight=None):
        if self.max_iter == 9 and self.learning_rate_init > 0.01:
            raise RuntimeError("scheduled failure at the full epochs")
        return straight_fit(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(MLPClassifier, "fit", fail_at_9_epochs)
    out = tmp_path / "out"
    status = main(["tune", "--dataset", "iris", "--n-iter", "12", "--n-rounds", "2",
                   "--cv", "2", "--max-iter", "9", "--no-plots", "--quiet",
                   "--output", str(out)])
    captured = capsys.readouterr()
    assert status == 0
    with open(out / "cv_results.csv") as f:
        rows = list(csv.DictReader(f))
    failed = [r for r in rows if r["mean_test_score"] in ("", "nan")]
    assert failed and all(json.loads(r["params"])["mlp__max_iter"] == 9 for r in failed)
    assert (f"{2 * len(failed)} of {2 * len(rows)} fits failed; the first error: "
            "RuntimeError: scheduled failure at the full epochs") in captured.out


def test_a_second_run_keeps_the_first_and_says_where_it_went(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["tune", "--dataset", "iris", *TINY, "--no-plots", "--quiet", "--output", str(out)]
    assert main(args + ["--seed", "1"]) == 0
    first = json.loads((out / "run.json").read_text())
    capsys.readouterr()
    assert main(args + ["--seed", "2"]) == 0
    captured = capsys.readouterr().out
    assert (f"note: {out} holds an earlier run, kept; this run writes to {out}-2 "
            "(--overwrite replaces the earlier one)") in captured
    assert f"{out}-2/run.json" in captured  # the list of files written
    assert json.loads((out / "run.json").read_text()) == first
    assert json.loads((tmp_path / "out-2" / "run.json").read_text())["search"]["seed"] == 2
    assert main(args + ["--seed", "3", "--overwrite"]) == 0
    assert json.loads((out / "run.json").read_text())["search"]["seed"] == 3
    assert not (tmp_path / "out-3").exists()


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_fit(
    tmp_path, capsys
):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status = main(["tune", "--dataset", "iris", *TINY, "--output", str(blocker / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"skhp: error: cannot write to the output folder {blocker / 'out'}")


@pytest.mark.parametrize("counts, correlations, why", [
    ([[9, 9, 9], [9, 3, 1]], [0.7, 0.9], ""),
    ([[9, 9, 9], [9, 9, 9]], [0.3, 0.64],
     " No round pruned: the rungs showed that they rank well only once the last "
     "round was scored."),
    ([[9, 9, 9], [9, 9, 9]], [0.3, 0.4],
     " No round pruned: no rung reached 0.6, so every candidate trained to 1 epoch."),
])
def test_the_halving_summary_says_why_no_round_pruned(counts, correlations, why):
    from types import SimpleNamespace

    from skhp.cli._tune import _halving_summary

    search = SimpleNamespace(n_resources_=[1, 1, 1], n_rung_candidates_=counts,
                             min_rank_correlation=0.6)
    line = _halving_summary(search, correlations)
    assert line.startswith("Halving: rank correlation with the scores at 1 epoch: "
                           f"rung 0 (1 epoch) {correlations[0]:.2f}")
    assert line.endswith(f"round 1: {'/'.join(map(str, counts[1]))}.{why}")
