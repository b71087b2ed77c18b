"""``skhp tune``'s space with dropout and weight decay: their scales, the
documented space-file lines, and a run end to end."""

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from skhp.cli import main
from skhp.cli._factory import supported_params
from skhp.cli._space import REGULARIZATION_SPACE, _toml_loads, build_space

TINY = ["--n-iter", "4", "--n-rounds", "2", "--cv", "2", "--max-iter", "3"]
NOTATION = Path(__file__).parents[1] / "docs" / "notation.rst"


def documented_space_lines():
    """The TOML lines the notation page tells a user to put in a space file."""
    text = NOTATION.read_text()
    block = re.search(r"\.\. code-block:: toml\n\n((?:   .*\n|\n)+)", text)
    return "\n".join(line[3:] for line in block.group(1).splitlines())


def test_documented_lines_are_the_regularization_space():
    assert _toml_loads(documented_space_lines(), NOTATION) == REGULARIZATION_SPACE


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_dropout_is_linear_and_weight_decay_log_uniform(task):
    space, _ = build_space(REGULARIZATION_SPACE, supported_params(task))
    dropout = space["dropout"].rvs(size=4000, random_state=0)
    assert dropout.min() >= 0 and dropout.max() <= 0.5
    # Linear: each tenth of [0, 0.5] holds a tenth of the draws.
    counts = np.histogram(dropout, bins=5, range=(0, 0.5))[0]
    assert np.all(np.abs(counts / 4000 - 0.2) < 0.03)

    decay = space["weight_decay"].rvs(size=4000, random_state=0)
    assert decay.min() >= 1e-3 and decay.max() <= 1
    # Log-uniform: each decade of [1e-3, 1] holds a third of the draws.
    counts = np.histogram(np.log10(decay), bins=3, range=(-3, 0))[0]
    assert np.all(np.abs(counts / 4000 - 1 / 3) < 0.03)
    # The rest of the default space is kept.
    assert "learning_rate_init" in space and "alpha" in space


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_tune_with_dropout_and_weight_decay_end_to_end(tmp_path, suffix):
    space = tmp_path / f"space{suffix}"
    if suffix == ".toml":
        space.write_text(documented_space_lines())
    else:
        space.write_text(json.dumps(REGULARIZATION_SPACE))
    out = tmp_path / "out"
    status = main(["tune", "--dataset", "iris", *TINY, "--space", str(space),
                   "--no-plots", "--quiet", "--output", str(out)])
    assert status == 0
    with open(out / "cv_results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4
    for row in rows:
        params = json.loads(row["params"])
        assert 0 <= params["mlp__dropout"] <= 0.5
        assert 1e-3 <= params["mlp__weight_decay"] <= 1
        assert np.isfinite(float(row["mean_test_score"]))
    run = json.loads((out / "run.json").read_text())
    assert run["search"]["space"]["dropout"] == REGULARIZATION_SPACE["dropout"]
    assert run["search"]["space"]["weight_decay"] == REGULARIZATION_SPACE["weight_decay"]
    assert {"dropout", "weight_decay"} <= set(run["importance"])


def test_max_iter_in_the_space_file(tmp_path, capsys):
    """One value is the epochs of a fit (halving's top rung); several are
    searched, with halving off. Either way no error about the resource."""
    out = tmp_path / "out"
    base = ["tune", "--dataset", "iris", "--n-iter", "12", "--n-rounds", "2", "--cv", "2",
            "--no-plots", "--quiet", "--overwrite", "--output", str(out)]
    fixed = tmp_path / "fixed.toml"
    fixed.write_text("max_iter = 7\n")
    assert main(base + ["--space", str(fixed)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["search"]["max_iter"] == 7 and run["search"]["halving_rungs"][-1] == 7
    searched = tmp_path / "searched.toml"
    searched.write_text("max_iter = [3, 6]\n")
    assert main(base + ["--space", str(searched)]) == 0
    assert ("note: the space file searches max_iter, so halving over the epochs is off "
            "(as with --no-halving)") in capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    assert run["search"]["halving_rungs"] is None
    assert {p["mlp__max_iter"] for p in run_params(out)} == {3, 6}


def run_params(out):
    with open(out / "cv_results.csv") as f:
        return [json.loads(r["params"]) for r in csv.DictReader(f)]
