"""Ctrl-C in ``skhp tune`` keeps the finished rounds, and a rerun resumes them."""

import csv
import json
import re

import pytest
from sklearn.pipeline import Pipeline

from skhp.cli import _factory, main

# 2 rounds of 2 candidates in 2-fold CV: 4 fits a round (without halving, so
# that every fit is of --max-iter epochs; test_halving_run_resumes_mid_round
# stops one with rungs).
TINY = [
    "--no-halving",
    "--dataset",
    "iris",
    "--n-iter",
    "4",
    "--n-rounds",
    "2",
    "--cv",
    "2",
    "--max-iter",
    "5",
    "--no-plots",
]


class FitCounter:
    """Counts the search's fits (of --max-iter 5 epochs: not the timing's
    one-epoch fits); Ctrl-C on fit number ``stop``."""

    def __init__(self, monkeypatch, stop=None):
        self.n_fits = 0
        self.stop = stop
        fit = Pipeline.fit

        def counting_fit(pipeline, X, y=None, **params):
            if pipeline[-1].max_iter == 5:
                self.n_fits += 1
                if self.n_fits == self.stop:
                    raise KeyboardInterrupt
            return fit(pipeline, X, y, **params)

        monkeypatch.setattr(Pipeline, "fit", counting_fit)


def read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def tune(out, *args):
    return main(["tune", *TINY, "--output", str(out), *args])


def test_ctrl_c_keeps_the_finished_rounds(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    (out).mkdir()
    (out / "best_model.joblib").write_text("an earlier run's model")
    counter = FitCounter(monkeypatch, stop=6)  # in round 1
    assert tune(out) == 130
    captured = capsys.readouterr()
    assert "Interrupted after" in captured.out
    assert "1 of 2 rounds finished" in captured.out
    assert "Run the same command again to resume" in captured.out
    assert "Best 2 of 2 candidates" in captured.out
    # The progress line says so too, no longer "done: 5 fits".
    assert captured.err.strip().splitlines()[-1].startswith("interrupted: 5 fits")
    assert "done:" not in captured.err

    rows = read_rows(out / "cv_results.csv")
    assert [int(r["round"]) for r in rows] == [0, 0]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "interrupted"
    assert run["finished"] == {"rounds": 1, "candidates": 2}
    assert run["best_score"] == pytest.approx(
        max(float(r["mean_test_score"]) for r in rows)
    )
    assert run["checkpoint"] == str(out / "checkpoint.pkl")
    assert (out / "checkpoint.pkl").exists()
    # No model from another run is left next to this run's results.
    assert not (out / "best_model.joblib").exists()
    assert counter.n_fits == 6


def test_rerun_resumes_where_it_stopped(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    FitCounter(monkeypatch, stop=6)
    assert tune(out) == 130
    interrupted = read_rows(out / "cv_results.csv")
    capsys.readouterr()

    counter = FitCounter(monkeypatch)
    assert tune(out) == 0
    captured = capsys.readouterr()
    assert counter.n_fits == 4 + 1  # round 1, then the refit
    assert "Found " in captured.out and "1 of 2 rounds finished: resuming" in captured.out
    assert "Resumed 1 round from " in captured.out
    assert "resumed 1 round from the checkpoint" in captured.err
    rows = read_rows(out / "cv_results.csv")
    assert [int(r["round"]) for r in rows] == [0, 0, 1, 1]
    for before, after in zip(interrupted, rows):
        assert before["params"] == after["params"]
        assert before["mean_test_score"] == after["mean_test_score"]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "finished"
    assert run["resumed_rounds"] == 1
    # The run is over: its checkpoint is gone, and a rerun starts afresh.
    assert not (out / "checkpoint.pkl").exists()

    # The same as a run that was never stopped.
    assert tune(tmp_path / "whole") == 0
    whole = json.loads((tmp_path / "whole" / "run.json").read_text())
    assert whole["best_score"] == run["best_score"]
    assert whole["best_params"] == run["best_params"]
    assert whole["resumed_rounds"] == 0


def test_ctrl_c_in_the_first_round_saves_the_run_description(
    tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    FitCounter(monkeypatch, stop=2)
    assert tune(out) == 130
    captured = capsys.readouterr()
    assert "0 of 2 rounds finished" in captured.out
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "interrupted"
    assert run["finished"] == {"rounds": 0, "candidates": 0}
    assert not (out / "cv_results.csv").exists()


def test_checkpoint_of_another_run_in_the_output_folder_is_replaced(
    tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    FitCounter(monkeypatch, stop=6)
    assert tune(out) == 130
    capsys.readouterr()
    counter = FitCounter(monkeypatch)
    # Another search (more candidates) in the same folder starts afresh.
    assert tune(out, "--n-iter", "6", "--quiet") == 0
    captured = capsys.readouterr()
    note = f"note: {out / 'checkpoint.pkl'} belongs to a different search: "
    assert note + "starting afresh" in captured.out
    assert len(read_rows(out / "cv_results.csv")) == 6
    assert counter.n_fits == 12 + 1


def test_named_checkpoint_of_another_run_is_an_error(tmp_path, capsys, monkeypatch):
    checkpoint = tmp_path / "my.ckpt"
    FitCounter(monkeypatch, stop=6)
    assert tune(tmp_path / "a", "--checkpoint", str(checkpoint)) == 130
    assert checkpoint.exists()
    capsys.readouterr()
    monkeypatch.undo()
    status = tune(tmp_path / "b", "--checkpoint", str(checkpoint), "--n-iter", "6")
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"skhp: error: Checkpoint {str(checkpoint)!r}")
    assert "--no-resume starts afresh" in err
    assert checkpoint.exists()  # never thrown away unasked
    status = tune(
        tmp_path / "b", "--checkpoint", str(checkpoint), "--n-iter", "6", "--no-resume"
    )
    assert status == 0
    assert "Found " not in capsys.readouterr().out


def test_unwritable_checkpoint_is_one_line(tmp_path, capsys):
    status = tune(tmp_path / "out", "--checkpoint", str(tmp_path / "no" / "c.pkl"))
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("skhp: error: Cannot write the checkpoint")
    assert len(err.strip().splitlines()) == 1


def test_halving_run_resumes_mid_round(tmp_path, capsys, monkeypatch):
    """With rungs (the default), a run stopped in a round's top rung resumes
    from the rungs done and ends as an unstopped run does."""
    # rungs that prune from the first round: round 0's top rung is then 2 fits
    monkeypatch.setattr(_factory, "HALVING_MIN_RANK_CORRELATION", None)
    args = ["--dataset", "iris", "--n-iter", "6", "--n-rounds", "2", "--cv", "2",
            "--max-iter", "9", "--no-plots", "--quiet"]
    assert main(["tune", *args, "--output", str(tmp_path / "whole")]) == 0
    whole = read_rows(tmp_path / "whole" / "cv_results.csv")
    assert {r["n_resources"] for r in whole} == {"3", "9"}  # rungs of 3 and 9 epochs
    fit = Pipeline.fit
    calls = {"n": 0}

    def stop_in_round_1_top_rung(pipeline, X, y=None, **params):
        if pipeline[-1].max_iter == 9:
            calls["n"] += 1
            if calls["n"] == 3:  # round 0's top rung is 2 fits of 9 epochs
                raise KeyboardInterrupt
        return fit(pipeline, X, y, **params)

    monkeypatch.setattr(Pipeline, "fit", stop_in_round_1_top_rung)
    out = tmp_path / "stopped"
    assert main(["tune", *args, "--output", str(out)]) == 130
    # what was finished, said once and the same way by both runs
    done = "1 of 2 rounds finished, and 1 of round 1's 2 rungs"
    assert re.search(rf"Interrupted after \d+ s, {done}\.", capsys.readouterr().out)
    monkeypatch.setattr(Pipeline, "fit", fit)  # (undo() would restore the rungs' check)
    loud = [a for a in args if a != "--quiet"]
    assert main(["tune", *loud, "--output", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"checkpoint.pkl, {done}: resuming" in captured.out
    # the progress line starts from the best the restored rounds reached at
    # the full epochs, not from "best -"
    best = max(float(r["mean_test_score"]) for r in whole
               if r["round"] == "0" and r["n_resources"] == "9")
    first = next(line for line in captured.err.splitlines() if "| best " in line)
    assert f"| best {best:.4f} |" in first, first
    resumed = read_rows(out / "cv_results.csv")
    for key in ("params", "mean_test_score", "round", "rung", "n_resources"):
        assert [r[key] for r in resumed] == [r[key] for r in whole]


def _interrupted_fit_in_a_child():
    """A network's fit in a child process, interrupted at its first epoch."""
    import numpy as np

    from skhp import MLPClassifier

    def ctrl_c(loss):
        raise KeyboardInterrupt

    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    net = MLPClassifier((4,), max_iter=5)
    net._update_no_improvement_count = ctrl_c  # called at the end of each epoch
    try:
        net.fit(X, y)
    except KeyboardInterrupt:
        return "raised"
    return "ended the fit early"


def test_ctrl_c_in_a_worker_process_is_not_caught_by_the_fit():
    """A terminal's Ctrl-C reaches joblib's workers too: their fits let it
    through, as in the main process during a search, instead of each ending
    early with a warning."""
    import multiprocessing

    from skhp._interrupt import interrupt_stops_fit

    assert not interrupt_stops_fit()  # by hand, Ctrl-C ends the training early
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_interrupted_fit_in_a_child) == "raised"
