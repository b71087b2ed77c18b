"""The ``skhp`` command line (``skhp tune ...`` or ``python -m skhp tune ...``)."""

import sys

from skhp.cli._args import build_parser
from skhp.cli._table import load_csv
from skhp.cli._tune import ERRORS, tune

__all__ = ["load_csv", "main"]


def main(argv=None):
    """Run the command line; return its exit status.

    Problems with the user's data, space file or options are printed as one
    line, prefixed with ``skhp: error:``, with exit status 2.
    """
    args = build_parser().parse_args(argv)
    try:
        return tune(args)
    except ERRORS as exc:
        print(f"skhp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skhp: interrupted", file=sys.stderr)
        return 130
