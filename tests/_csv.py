"""Writing CSV files for the command-line tests."""

import csv


def write_csv(path, header, rows):
    """Write ``header`` and ``rows`` to ``path``; return the path."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path
