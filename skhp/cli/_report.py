"""What ``skhp tune`` prints and saves when the search is done."""

import csv
import json
import math
import numbers

import numpy as np

from skhp.inspection._importance import SPREAD_PERCENTILES
from skhp.inspection._results import (
    cv_results_of,
    resource_param,
    round_regions,
    rounds_of,
    short_name,
)

__all__ = [
    "format_table",
    "plural",
    "results_table",
    "rounds_table",
    "importance_table",
    "save_cv_results",
    "to_jsonable",
]


def plural(n, word):
    """``"1 epoch"``, ``"3 epochs"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fmt(value):
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            return str(value)
        if 0 < value < 1 and value > 0.5:
            return f"{value:.4f}"  # betas: the digits after 0.9 matter
        return f"{value:.3g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


def format_table(header, rows, title=None):
    """Plain-text table with aligned columns."""
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    if title:
        lines.append(title)
    for k, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if k and _numeric(c) else c.ljust(w)
                for c, w in zip(row, widths)
            ).rstrip()
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _numeric(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _varying(results):
    names = sorted({k for c in results["params"] for k in c})
    return [n for n in names if len({repr(c.get(n)) for c in results["params"]}) > 1]


def results_table(search, top=5):
    """The ``top`` best candidates: rank, score, round and varying parameters.

    ``search`` is a fitted search or its ``cv_results_``. Rounds are numbered
    as in ``cv_results_["round"]``, from 0.
    """
    results = cv_results_of(search)
    scores = np.asarray(results["mean_test_score"], dtype=float)
    full = _at_full_resource(results)
    # With rungs, only candidates trained on the whole resource rank together;
    # failed fits (NaN) are not among the best.
    ok = full & np.isfinite(scores)
    ranked = np.where(ok, -scores, np.inf)
    order = np.argsort(ranked, kind="stable")[: min(top, int(ok.sum()))]
    rounds = rounds_of(results)
    # The resource is the same for every row shown: not a column of its own.
    resource = resource_param(search, results)
    names = [n for n in _varying(results) if n != resource]
    header = ["rank", "score", "std"] + (["round"] if rounds is not None else [])
    header += [short_name(n) for n in names]
    rows = []
    for i in order:
        # Ranked among the candidates the table compares ("min" ties, as
        # rank_test_score, which also ranks the rows of lower rungs).
        row = [
            1 + int(np.sum(ok & (scores > scores[i]))),
            f"{scores[i]:.4f}",
            f"{results['std_test_score'][i]:.4f}",
        ]
        if rounds is not None:
            row.append(rounds[i])
        row += [_fmt(results["params"][i].get(n)) for n in names]
        rows.append(row)
    title = f"Best {len(rows)} of {len(scores)} candidates"
    if not full.all():
        n_max = int(np.max(results["n_resources"]))
        title = (f"Best {len(rows)} of the {int(full.sum())} candidates trained to "
                 f"{plural(n_max, 'epoch')} ({len(scores)} evaluations, rungs included)")
    return format_table(header, rows, title=title)


def _at_full_resource(results):
    """Rows scored at the search's largest resource (all rows without rungs)."""
    if "n_resources" not in results:
        return np.ones(len(results["params"]), dtype=bool)
    n_resources = np.asarray(results["n_resources"])
    return n_resources == n_resources.max()


def rounds_table(search):
    """One row per round: candidates, best score and where the round zoomed in.

    A round's bounds are the envelope of its regions; "whole space" for a
    round that explored everywhere. Rounds are numbered from 0, as in
    ``cv_results_["round"]``.
    """
    rounds = rounds_of(search)
    if rounds is None:
        return None
    scores = np.asarray(search.cv_results_["mean_test_score"], dtype=float)
    full = _at_full_resource(search.cv_results_)
    first_rung = (
        np.asarray(search.cv_results_["rung"]) == 0
        if "rung" in search.cv_results_ else np.ones(len(scores), dtype=bool)
    )
    regions = round_regions(search) or []
    names = sorted({n for round_ in regions for region in round_ for n in region})
    header = ["round", "candidates", "best score", "regions"]
    header += [short_name(n) for n in names]
    rows = []
    for r in np.unique(rounds):
        in_round = scores[(rounds == r) & full]
        best = np.nanmax(in_round) if np.isfinite(in_round).any() else float("nan")
        round_ = regions[r] if r < len(regions) else None
        row = [r, int(np.sum((rounds == r) & first_rung)), f"{best:.4f}"]
        if round_ is None:
            row += ["-"] * (1 + len(names))
        elif not round_:
            row += ["whole space"] + [""] * len(names)
        else:
            row.append(len(round_))
            for n in names:
                lows = [region[n][0] for region in round_ if n in region]
                highs = [region[n][1] for region in round_ if n in region]
                row.append(f"[{_fmt(min(lows))}, {_fmt(max(highs))}]" if lows else "-")
        rows.append(row)
    return format_table(header, rows, title="Rounds (where each one zoomed in)")


def importance_table(importance):
    """The importances, most important first, with a bar for the eye."""
    top = max(float(np.max(importance.importances)), 1e-12)
    rows = []
    for name, value, low, high in zip(
        importance.names, importance.importances,
        importance.importances_low, importance.importances_high,
    ):
        bar = "#" * int(round(20 * max(value, 0) / top))
        rows.append([name, f"{value:.3f}", f"{low:.3f} to {high:.3f}", bar])
    lo, hi = SPREAD_PERCENTILES
    what = (
        "share of score variance explained alone"
        if importance.method == "fanova"
        else "drop in R^2 when shuffled"
    )
    table = format_table(
        ["hyperparameter", "importance", f"{lo}th-{hi}th percentile", ""],
        rows,
        title=f"Which hyperparameters mattered ({what}, "
        f"{importance.n_candidates} candidates"
        + (", ranked by the rung reached, then by score there)"
           if importance.get("by_rung") else ")"),
    )
    caveat = importance.get("caveat")
    return table + (f"\nCaveat: {caveat}." if caveat else "")


def to_jsonable(value):
    """``value`` with numpy scalars, arrays and tuples made JSON-friendly."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def _tuple_text(value):
    """A tuple as Python (and ``DataFrame.to_csv``) writes it, numpy scalars
    as plain numbers: ``(191,)`` reads back with ``ast.literal_eval``."""
    return repr(tuple(v.item() if isinstance(v, np.generic) else v for v in value))


def save_cv_results(search, path):
    """Write ``cv_results_`` (of a search, or the dict) as CSV: one row per
    candidate, one column per key."""
    results = cv_results_of(search)
    keys = [k for k in results if k != "params"]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(keys + ["params"])
        for i in range(len(results["params"])):
            row = []
            for k in keys:
                value = results[k][i]
                if np.ma.is_masked(value):
                    value = ""
                row.append(_tuple_text(value) if isinstance(value, tuple) else value)
            row.append(json.dumps(to_jsonable(results["params"][i])))
            writer.writerow(row)
