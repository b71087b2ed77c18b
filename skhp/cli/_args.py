"""The arguments of ``skhp`` and its ``tune`` command."""

import argparse

from skhp import __version__
from skhp.cli._data import DATASETS

__all__ = ["build_parser"]


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value == 0:
        raise argparse.ArgumentTypeError("n_jobs cannot be 0 (-1 means all cores)")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be in [0, 1)")
    return value


def build_parser():
    """The argument parser of the ``skhp`` command line."""
    parser = argparse.ArgumentParser(
        prog="skhp",
        description="Deep-learning style hyperparameter tuning with scikit-learn.",
    )
    parser.add_argument(
        "--version", action="version", version=f"skhp {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tune = commands.add_parser(
        "tune",
        help="tune a neural network with a coarse-to-fine search",
        description=(
            "Tune an MLP (classifier, or regressor for a numeric target) with a "
            "coarse-to-fine random search, print the best candidates and which "
            "hyperparameters mattered, and save the results and pictures."
        ),
    )

    data = tune.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        choices=list(DATASETS),
        default=None,
        metavar="NAME",
        help=f"a bundled data set: {', '.join(DATASETS)} (default: digits)",
    )
    source.add_argument(
        "--csv", metavar="PATH",
        help="your own CSV file, with a header (or a .parquet file); read with pandas",
    )
    data.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    data.add_argument(
        "--sep", metavar="CHAR", default=None,
        help="the CSV delimiter (default: found from the file among comma, "
        "semicolon, tab and pipe)",
    )
    data.add_argument(
        "--decimal", metavar="CHAR", default=".",
        help="the decimal mark of the CSV's numbers, e.g. ',' (default: '.')",
    )
    data.add_argument(
        "--encoding", metavar="NAME", default=None,
        help="the CSV's text encoding, e.g. latin-1 (default: UTF-8)",
    )
    data.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="auto: classification for labels, regression for a numeric target",
    )
    data.add_argument(
        "--max-samples",
        type=_positive_int,
        metavar="N",
        help="tune on a random subset of N training samples (stratified for "
        "classification); the test set is not subsampled",
    )
    data.add_argument(
        "--test-size",
        type=_fraction,
        metavar="FRACTION",
        help="share of the data held out to score the best model, stratified "
        "for classification; 0 for none (default: 0.2, none when it would hold "
        "fewer than 50 samples; fashion-mnist uses its own test set)",
    )

    search = tune.add_argument_group("search")
    search.add_argument(
        "--space",
        metavar="FILE",
        help="JSON or TOML file overriding entries of the default search space",
    )
    search.add_argument(
        "--n-iter",
        type=_positive_int,
        default=120,
        help="candidates evaluated, all rounds together (default: 120)",
    )
    search.add_argument(
        "--n-rounds",
        type=_positive_int,
        default=8,
        help="coarse-to-fine rounds (default: 8)",
    )
    search.add_argument(
        "--cv", type=_positive_int, default=3, help="folds (default: 3)"
    )
    search.add_argument(
        "--scoring",
        default=None,
        help="a scikit-learn scorer name (default: accuracy, or r2 for regression)",
    )
    search.add_argument(
        "--pos-label",
        default=None,
        metavar="CLASS",
        help="the positive class of a binary target, for --scoring f1, precision, "
        "recall, jaccard, average_precision or neg_brier_score (needed unless the "
        "classes are 0 and 1)",
    )
    search.add_argument(
        "--max-iter",
        type=_positive_int,
        default=None,
        help="epochs per fit (default: 100, fewer on large data: about "
        "100,000 training samples seen per fit, at least 10 epochs)",
    )
    search.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")

    compute = tune.add_argument_group("compute")
    compute.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        help="parallel fits; -1 for all cores (default: 1)",
    )
    cluster = compute.add_mutually_exclusive_group()
    cluster.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run the fits on the Dask cluster at ADDRESS (needs the 'distributed' package)",
    )
    cluster.add_argument(
        "--dask-local",
        type=_positive_int,
        metavar="N_WORKERS",
        help="start a local Dask cluster of N_WORKERS processes and run on it",
    )

    search.add_argument(
        "--no-halving",
        action="store_true",
        help="train every candidate to the full epochs; by default each round "
        "trains its candidates a few epochs, and only the best third of each rung "
        "trains on (successive halving, continued training): in round 0 beside "
        "6 candidates trained to the full epochs whatever their scores, in later "
        "rounds once those 6 have shown that the rung ranks candidates as the "
        "full epochs do",
    )

    output = tune.add_argument_group("output")
    output.add_argument(
        "--output",
        default="skhp-output",
        metavar="DIR",
        help="folder for the results, model and pictures (default: skhp-output); "
        "one that holds a finished run is kept, and the run goes to DIR-2, DIR-3...",
    )
    output.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the finished run in --output instead",
    )
    output.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="file saved after each round; if it exists, the same run resumes "
        "from it (default: checkpoint.pkl in the output folder)",
    )
    output.add_argument(
        "--no-resume",
        action="store_true",
        help="start afresh, replacing the checkpoint of an earlier run",
    )
    output.add_argument(
        "--top",
        type=_positive_int,
        default=5,
        help="candidates shown in the table (default: 5)",
    )
    output.add_argument("--no-plots", action="store_true", help="do not draw pictures")
    output.add_argument(
        "--quiet", action="store_true", help="no progress line while searching"
    )
    return parser
