"""``python -m skhp``: the command line, as the ``skhp`` console script."""

import sys

from skhp.cli import main

if __name__ == "__main__":
    sys.exit(main())
