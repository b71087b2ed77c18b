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
