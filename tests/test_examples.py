"""Every example runs on its own, in quick mode, draws its figure and shows
what its docstring says it shows (on the quick budget)."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import skhp

pytest.importorskip("matplotlib")

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
NUMBER = r"(-?[\d.]+(?:e-?\d+)?)"


def _rows(pattern, out):
    rows = re.findall(pattern, out, flags=re.MULTILINE)
    assert rows, f"no line matches {pattern!r} in:\n{out}"
    return rows


def _babysitting_panda(out):
    ((best, epochs),) = _rows(rf"^best validation accuracy {NUMBER} after (\d+) epochs$", out)
    assert int(epochs) == 6  # the quick budget
    assert 0.8 < float(best) <= 1.0  # ten classes: chance is 0.1
    # each nudge divides the learning rate by 3, from 0.1
    rates = [float(r) for r in re.findall(rf"learning rate -> {NUMBER}$", out, re.MULTILINE)]
    for k, rate in enumerate(rates, start=1):
        assert rate == pytest.approx(0.1 / 3**k, rel=1e-3)


def _batch_norm(out):
    rows = _rows(rf"^learning rate {NUMBER}: batch_norm=(\S+)\s+final loss {NUMBER}, "
                 rf"best validation accuracy {NUMBER}$", out)
    accuracy = {(float(lr), bn): float(acc) for lr, bn, _, acc in rows}
    assert len(rows) == len(accuracy) == 6
    assert {lr for lr, _ in accuracy} == {0.01, 0.3}
    assert {bn for _, bn in accuracy} == {"None", "'before'", "'after'"}
    # batch norm, before or after the activation, trains better at either rate,
    # and tolerates the large one
    for lr in (0.01, 0.3):
        plain = accuracy[lr, "None"]
        assert min(accuracy[lr, "'before'"], accuracy[lr, "'after'"]) > plain + 0.05


def _caviar_parallel(out):
    rows = _rows(rf"^\s*(.+?):\s+{NUMBER} s, best {NUMBER}, "
                 r"same scores as one at a time: (True|False)$", out)
    names = [name for name, *_ in rows]
    assert names[:2] == ["one at a time", "all local cores"]
    assert "Dask skipped" in out or "Dask, 2 workers" in names
    # the same candidates and scores wherever the fits run
    assert all(same == "True" for *_, same in rows)
    assert len({best for _, _, best, _ in rows}) == 1


def _grid_random_coarse_to_fine(out):
    rows = _rows(rf"^\s*(.+?): best {NUMBER} with (\d+) candidates, "
                 r"(\d+) distinct learning rates$", out)
    found = {name: (float(best), int(n), int(n_lr)) for name, best, n, n_lr in rows}
    assert list(found) == ["grid", "random", "coarse to fine"]
    # same budget (3 x 3 in quick mode); the grid tries only 3 learning rates
    assert {n for _, n, _ in found.values()} == {9}
    assert found["grid"][2] == 3
    assert found["random"][2] == found["coarse to fine"][2] == 9
    assert all(0.0 < best <= 1.0 for best, _, _ in found.values())


def _sampling_scale(out):
    decades = _rows(rf"^  \[{NUMBER}, {NUMBER}\]: uniform\s*{NUMBER}%\s+"
                    rf"log-uniform\s*{NUMBER}%$", out)
    assert [float(low) for low, *_ in decades] == [1e-4, 1e-3, 1e-2, 1e-1]
    uniform = [float(u) for *_, u, _ in decades]
    log_uniform = [float(v) for *_, v in decades]
    assert uniform[-1] == pytest.approx(90, abs=2)  # 90% of uniform draws in [0.1, 1]
    assert log_uniform == pytest.approx([25] * 4, abs=2)  # every decade its share
    betas = dict(_rows(rf"^\s+(1 - 10\*\*r|10\*\*r \(mistake\)|reverse_loguniform): "
                       rf"\s*{NUMBER}%$", out))
    assert float(betas["1 - 10**r"]) == pytest.approx(50, abs=3)
    assert float(betas["reverse_loguniform"]) == pytest.approx(50, abs=3)
    assert float(betas["10**r (mistake)"]) < 15
    searches = _rows(rf"^\s*(uniform|log-uniform) sampling: best {NUMBER}, "
                     rf"(\d+)% of candidates below 0.1$", out)
    below = {name: int(share) for name, _, share in searches}
    # on the same budget, log-uniform sampling tries the small learning rates
    assert below["log-uniform"] > below["uniform"]


def _stale_hyperparameters(out):
    ((old, old_score),) = _rows(rf"^tuned on the old data: (\{{.*\}}), CV accuracy {NUMBER}$",
                                out)
    (stale,) = _rows(rf"^the same hyperparameters on the new data: {NUMBER}$", out)
    ((new, new_score),) = _rows(rf"^re-tuned on the new data: (\{{.*\}}), "
                                rf"CV accuracy {NUMBER}$", out)
    # the warm start re-evaluates the old best on the new data, on the same
    # folds: re-tuning can only do as well or better
    assert float(new_score) >= float(stale) - 5e-5
    assert float(stale) < float(old_score)  # noisy new data: the old best went stale
    assert set(ast.literal_eval(old)) == set(ast.literal_eval(new)) == {
        "learning_rate_init", "alpha"}


def _regularization(out):
    rows = _rows(rf"^\s*(.+?): (\d+) epochs, lowest held-out loss {NUMBER} at epoch (\d+), "
                 rf"best held-out accuracy {NUMBER}$", out)
    found = {name: (int(n), int(at), float(acc)) for name, n, _, at, acc in rows}
    assert list(found) == ["plain", "alpha=0.01", "dropout=0.3", "weight_decay=0.05",
                           "cosine, warm-up 2", "early stop on loss"]
    assert all(acc > 0.9 for *_, acc in found.values())  # ten classes: chance is 0.1
    ((kept, of),) = _rows(r"^early stop on loss kept epoch (\d+) of (\d+)$", out)
    assert int(kept) == found["early stop on loss"][1] <= int(of)
    # the callback stops the fit early, after two rises of the held-out loss
    ((after, budget, rose),) = _rows(r"^the callback stopped the fit after (\d+) of (\d+) "
                                     r"epochs; last two held-out losses rose: (True|False)$", out)
    assert int(after) < int(budget) and rose == "True"


CLAIMS = {
    "plot_babysitting_panda": _babysitting_panda,
    "plot_batch_norm": _batch_norm,
    "plot_caviar_parallel": _caviar_parallel,
    "plot_grid_random_coarse_to_fine": _grid_random_coarse_to_fine,
    "plot_regularization": _regularization,
    "plot_sampling_scale": _sampling_scale,
    "plot_stale_hyperparameters": _stale_hyperparameters,
}


def test_every_example_has_its_claims_checked():
    assert sorted(path.stem for path in EXAMPLES) == sorted(CLAIMS)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_in_quick_mode(path, tmp_path):
    figure = tmp_path / f"{path.stem}.png"
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONPATH": str(Path(skhp.__file__).parents[1]),
    }
    result = subprocess.run(
        [sys.executable, str(path), "--quick", "--save", str(figure)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    CLAIMS[path.stem](result.stdout)
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_caviar_example_uses_an_existing_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    figure = tmp_path / "caviar.png"
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONPATH": str(Path(skhp.__file__).parents[1]),
    }
    # a scheduler and workers already running, as on a real cluster
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        result = subprocess.run(
            [sys.executable, str(EXAMPLES[0].parent / "plot_caviar_parallel.py"),
             "--quick", "--save", str(figure), "--scheduler", cluster.scheduler_address],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Dask cluster" in result.stdout
    assert "same scores as one at a time: True" in result.stdout
