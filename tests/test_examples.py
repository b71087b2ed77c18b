"""Every example runs on its own, in quick mode, and draws its figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import skhp

pytest.importorskip("matplotlib")

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


def test_there_are_six_examples():
    assert len(EXAMPLES) == 6


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
    assert result.stdout.strip(), "an example says what it found"
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
