"""The documentation site builds without a warning."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("myst_parser")
pytest.importorskip("pydata_sphinx_theme")

DOCS = Path(__file__).parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path):
    # A copy, so that the build cannot leave files in the checkout.
    source = tmp_path / "docs"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build", "generated"))
    # conf.py finds the examples and the package next to docs/.
    (tmp_path / "examples").symlink_to(DOCS.parent / "examples")
    (tmp_path / "skhp").symlink_to(DOCS.parent / "skhp")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(source),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    html = tmp_path / "html"
    for page in (
        "index",
        "cli",
        "notation",
        "user_guide",
        "generated/api",
        "generated/benchmarks",
        "examples/index",
    ):
        assert (html / f"{page}.html").exists(), page
    # The API reference and the example pages are generated from the code.
    api = (html / "generated" / "api.html").read_text()
    assert "plot_search" in api and "hyperparameter_importance" in api
    examples = sorted(p.stem for p in (html / "generated" / "examples").glob("*.html"))
    assert examples == sorted(p.stem for p in (DOCS.parent / "examples").glob("*.py"))
    notation = (html / "notation.html").read_text()
    for parameter in (
        "learning_rate_init",
        "momentum",
        "beta_1",
        "epsilon",
        "hidden_layer_sizes",
        "batch_size",
        "decay_rate",
    ):
        assert parameter in notation
