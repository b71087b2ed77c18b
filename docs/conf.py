"""Sphinx configuration of the skhp documentation (``make docs``)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import skhp  # noqa: E402
from skhp.cli._args import build_parser  # noqa: E402

project = "skhp"
author = "the skhp developers"
copyright = "2026, the skhp developers"
release = version = skhp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.extlinks",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "generated/*.txt"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Roles scikit-learn's docstrings use.
extlinks = {"arxiv": ("https://arxiv.org/abs/%s", "arXiv:%s")}
# Docstrings written in scikit-learn's style link to its user guide and its
# glossary, which are not part of this site.
suppress_warnings = ["ref.ref", "ref.term"]

html_theme = "pydata_sphinx_theme"
html_title = f"skhp {version}"
html_static_path = ["_static"]
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
myst_heading_anchors = 3


def _write(path, text):
    # Rewrite only on change, so incremental builds stay incremental.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _write_generated(app, config):
    """Pages made from the code: the command's help, and the API list."""
    generated = Path(app.srcdir) / "generated"
    generated.mkdir(exist_ok=True)
    parser = build_parser()
    tune = parser._subparsers._group_actions[0].choices["tune"]
    (generated / "tune_help.txt").write_text(tune.format_help())

    # The public names of each module; those not merged yet are left out.
    modules = {
        "skhp": [n for n in skhp.__all__ if n != "__version__"],
        "skhp.inspection": __import__("skhp.inspection", fromlist=["*"]).__all__,
        "skhp.progress": __import__("skhp.progress", fromlist=["*"]).__all__,
    }
    lines = ["API reference", "=============", ""]
    for module, names in modules.items():
        title = f"``{module}``"
        lines += [
            title,
            "-" * len(title),
            "",
            f".. currentmodule:: {module}",
            "",
            ".. autosummary::",
            "   :toctree: .",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {name}" for name in sorted(names, key=str.lower)]
        lines.append("")
    _write(generated / "api.rst", "\n".join(lines))

    # The benchmark pages other parts of the project write, when present.
    pages = sorted(p.stem for p in Path(app.srcdir).glob("*_benchmarks.md"))
    lines = ["Benchmarks", "==========", ""]
    if pages:
        lines += [
            "Measured on the project's 2-core machines; each page says how.",
            "",
            ".. toctree::",
            "   :maxdepth: 2",
            "",
        ]
        lines += [f"   /{page}" for page in pages]
    else:
        lines.append("No benchmark pages in this checkout.")
    _write(generated / "benchmarks.rst", "\n".join(lines) + "\n")


def _write_example_pages(app, config):
    """One page per script in examples/: its docstring, its figure, its code."""
    import ast

    out = Path(app.srcdir) / "generated" / "examples"
    out.mkdir(parents=True, exist_ok=True)
    for script in sorted((ROOT / "examples").glob("*.py")):
        doc = ast.get_docstring(ast.parse(script.read_text())) or script.stem
        lines = [doc, ""]
        figure = Path(app.srcdir) / "_static" / "examples" / f"{script.stem}.png"
        if figure.exists():
            lines += [
                f".. image:: /_static/examples/{script.stem}.png",
                f"   :alt: the figure of {script.name}",
                "",
            ]
        lines += [
            f"``examples/{script.name}``:",
            "",
            f".. literalinclude:: ../../../examples/{script.name}",
            "   :language: python",
            "",
        ]
        _write(out / f"{script.stem}.rst", "\n".join(lines))


def _skip_member(app, what, name, obj, skip, options):
    # set_fit_request and friends are scikit-learn's metadata-routing
    # machinery; their docstrings link to scikit-learn's glossary.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*?)_(?=[,)\s]|$)")


def _escape_types(app, what, name, obj, options, lines):
    # In a type such as "list of shape (n_iter_,)", reST reads "n_iter_" as a
    # link to a target; escape the underscore (before numpydoc parses it).
    for i, line in enumerate(lines):
        head, sep, kind = line.partition(" : ")
        if sep and head.strip().isidentifier():
            lines[i] = head + sep + _TRAILING_UNDERSCORE.sub(r"\1\\_", kind)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_types, priority=100)
    app.connect("autodoc-skip-member", _skip_member)
    # Before autosummary reads the pages at builder-inited.
    app.connect("config-inited", _write_generated)
    app.connect("config-inited", _write_example_pages)
