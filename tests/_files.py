"""Files and arguments shared by the command-line tests."""

import csv
import gzip
import struct

import numpy as np

#: The arguments of a search small enough for a test (2 candidates, 2 folds).
TINY = [
    "--n-iter", "2", "--n-rounds", "1", "--cv", "2", "--max-iter", "3",
    "--no-plots", "--quiet",
]


def write_csv(path, header, rows):
    """Write ``header`` and ``rows`` to ``path``; return the path."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_idx(path, array):
    """Write ``array`` to ``path`` as a gzipped IDX file (Fashion-MNIST's format)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())
