"""Pictures of a finished search: the search itself, importances, learning curves.

matplotlib is an optional dependency (``pip install matplotlib``, or the
``plots`` extra of a checkout: ``pip install -e '.[plots]'``); it is
imported when a function here is called.
"""

import itertools
import numbers
import textwrap

import numpy as np

from skhp.inspection._importance import SPREAD_PERCENTILES, hyperparameter_importance
from skhp.inspection._results import (
    candidate_origins,
    cv_results_of,
    highest_rung_rows,
    round_regions,
    rounds_of,
    short_name,
    value_scale,
)

__all__ = ["plot_importance", "plot_learning_curves", "plot_search"]

# Parameters tried, in order, for the axes of the search picture.
_X_CANDIDATES = ("learning_rate_init", "learning_rate", "lr", "alpha", "C")
_Y_CANDIDATES = ("momentum", "beta_1", "beta", "beta_2", "alpha", "gamma")


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "drawing needs matplotlib: pip install matplotlib (from a checkout: "
            "pip install -e '.[plots]')"
        ) from None
    return plt


def _numeric_params(results):
    """Full names of the parameters whose values are all real numbers and vary."""
    names = sorted({k for c in results["params"] for k in c})
    out = []
    for name in names:
        values = [c.get(name) for c in results["params"]]
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            if len(set(values)) > 1:
                out.append(name)
    return out


def _pick(names, preferred, exclude=()):
    by_short = {short_name(n): n for n in names if n not in exclude}
    for wanted in preferred:
        if wanted in by_short:
            return by_short[wanted]
    rest = [n for n in names if n not in exclude]
    return rest[0] if rest else None


def _axis(ax, which, name, scale):
    """Set the scale of one axis; return how to map parameter values onto it."""
    set_scale = ax.set_xscale if which == "x" else ax.set_yscale
    set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
    label = short_name(name)
    if scale == "beta":
        # beta near 1: what matters is 1 - beta, on a log scale; labels show beta.
        from matplotlib.ticker import FuncFormatter

        set_scale("log")
        axis = ax.xaxis if which == "x" else ax.yaxis
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{1 - v:.6g}"))
        axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        if which == "y":
            ax.invert_yaxis()
        else:
            ax.invert_xaxis()
        set_label(f"{label} (log scale of 1 - {label})")
        return lambda v: 1 - np.asarray(v, dtype=float)
    if scale == "log":
        set_scale("log")
        set_label(f"{label} (log scale)")
    else:
        set_label(label)
    return lambda v: np.asarray(v, dtype=float)


# Marker of each origin of a candidate (see candidate_origins).
_MARKERS = {"design": "o", "enumerated": "o", "region": "o", "exploration": "^",
            "swap": "s", "warm start": "D"}
_ORIGIN_LEGEND = {
    "warm start": "warm start: a previous search's best",
    "region": "sampled in a zoom region",
    "exploration": "exploration: drawn from the whole space",
    "swap": "category swap: best so far, one choice changed",
}
# Point sizes (points^2) of the worst and the best candidate.
_SIZE_RANGE = (15.0, 125.0)
_STAR_SIZE = 400.0
# Opacity of candidates successive halving stopped below the top rung.
_STOPPED_ALPHA = 0.3
# Margin around what is drawn, as a share of each axis's span.
_MARGIN = 0.07


def _limits(ax, which, values, scale):
    """Set an axis's limits so that ``values`` (in plot coordinates) lie inside."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return
    logged = scale in ("log", "beta")
    if logged:
        values = np.log10(values[values > 0])
    low, high = values.min(), values.max()
    span = high - low if high > low else (1.0 if logged else max(abs(high), 1.0))
    low, high = low - _MARGIN * span, high + _MARGIN * span
    if logged:
        low, high = 10**low, 10**high
    inverted = (ax.xaxis if which == "x" else ax.yaxis).get_inverted()
    if inverted:
        low, high = high, low
    (ax.set_xlim if which == "x" else ax.set_ylim)(low, high)


def _region_box(region, x, y, fx, fy, points):
    """Bounds ``(x0, x1), (y0, y1)`` in plot coordinates of a region's box.

    The region's reported bounds, widened to hold the points sampled in it (a
    crossover borrows a value from an elite of another region, and a kernel
    has tails). ``y`` bounds are None for a region that does not bound ``y``.
    """
    px, py = points
    x0, x1 = sorted(fx(region[x]))
    xs = np.concatenate([[x0, x1], px])
    if y not in region:
        return (xs.min(), xs.max()), None
    y0, y1 = sorted(fy(region[y]))
    ys = np.concatenate([[y0, y1], py])
    return (xs.min(), xs.max()), (ys.min(), ys.max())


def plot_search(search, x=None, y=None, *, ax=None):
    """Draw the candidates of a search on two of its hyperparameters.

    Each hyperparameter is drawn on the scale it should be sampled on: log for
    rates and penalties, log of ``1 - beta`` for betas close to 1. When the
    search ran rounds (a ``round`` column in ``cv_results_``) the points are
    coloured by round; otherwise they are coloured by score. Bigger points
    scored better (the legend gives the scores of the smallest and largest);
    the best candidate is starred, and the axes hold every point drawn.

    For a search that describes its rounds (:class:`skhp.CoarseToFineSearchCV`,
    see :func:`candidate_origins`), the marker says where each candidate was
    drawn: a circle in a zoom region (or the first round's design), a triangle
    from the whole space (exploration), an open square for a category swap (the
    best candidate so far with one categorical choice changed: it lies on that
    candidate's point, as only the choice differs). Each region that sampled
    candidates is a dashed box in its round's colour: the band the search
    reports around the region's elites, widened to hold what it sampled.

    Parameters
    ----------
    search : fitted search or dict
        Any fitted scikit-learn search, or its ``cv_results_``.

    x, y : str or None, default=None
        Parameters to draw, as named in the search (with any pipeline prefix) or
        without the prefix. None picks the learning rate for ``x`` and a beta
        (momentum, ``beta_1``) for ``y``, else the first numeric parameters.

    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D

    results = cv_results_of(search)
    params = results["params"]
    numeric = _numeric_params(results)
    resolve = {short_name(n): n for n in numeric} | {n: n for n in numeric}
    x = resolve.get(x, x) if x is not None else _pick(numeric, _X_CANDIDATES)
    y = resolve.get(y, y) if y is not None else _pick(numeric, _Y_CANDIDATES, (x,))
    if x is None or y is None or x not in numeric or y not in numeric:
        raise ValueError(
            f"need two numeric hyperparameters that vary; found {numeric or 'none'}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5.5), layout="constrained")

    xs = np.array([p[x] for p in params], dtype=float)
    ys = np.array([p[y] for p in params], dtype=float)
    x_scale, y_scale = value_scale(search, x, xs), value_scale(search, y, ys)
    fx = _axis(ax, "x", x, x_scale)
    fy = _axis(ax, "y", y, y_scale)
    px, py = fx(xs), fy(ys)
    scores = np.asarray(results["mean_test_score"], dtype=float)
    shown, rung = highest_rung_rows(search, results)
    ok = np.isfinite(scores) & shown
    # Point size grows with the score's rank among the candidates that fitted
    # (with successive halving: by the rung reached, then by score there).
    small, large = _SIZE_RANGE
    size = np.full(len(scores), 30.0)
    if ok.sum() > 1:
        ranks = np.argsort(np.lexsort((scores[ok], rung[ok])))
        size[ok] = small + (large - small) * ranks / (ok.sum() - 1)
    # With successive halving, candidates stopped below the top rung are
    # faded: fewer epochs, a score not comparable with the full ones.
    stopped_early = shown & (rung < (rung.max() if len(rung) else 0))
    # What the axes must hold, in plot coordinates.
    drawn_x, drawn_y = list(px[shown]), list(py[shown])

    handles = []
    rounds = rounds_of(results if isinstance(search, dict) else search)
    if rounds is not None:
        colors = plt.get_cmap("tab10")
        origins = None if isinstance(search, dict) else candidate_origins(search)
        origin = origins.origin if origins is not None else np.full(len(xs), "design")
        for r in np.unique(rounds):
            color = colors(r % 10)
            first = np.all(origin[rounds == r] == "design")
            # Numbered from 0, as the round column of cv_results_.
            label = f"round {r}" + (": whole-space design" if first else "")
            for (kind, marker), stopped in itertools.product(
                _MARKERS.items(), (False, True)
            ):
                sel = (rounds == r) & ok & (origin == kind) & (stopped_early == stopped)
                if not sel.any():
                    continue
                swap = kind == "swap"
                ax.scatter(
                    px[sel],
                    py[sel],
                    # Around the point it shares with the best so far, often
                    # the star: one square per round, each larger.
                    s=_STAR_SIZE + 260 * r if swap else size[sel],
                    marker=marker,
                    facecolor="none" if swap else color,
                    edgecolor=color if swap else "black",
                    linewidth=1.6 if swap else 0.4,
                    alpha=_STOPPED_ALPHA if stopped else 0.85,
                    zorder=7 if swap else 3,
                    gid=f"round {r}: {kind}" + (", stopped early" if stopped else ""),
                )
            handles.append(
                Line2D([], [], linestyle="", marker="o", markersize=7, color=color,
                       markeredgecolor="black", markeredgewidth=0.4, label=label)
            )
        regions = None if isinstance(search, dict) else round_regions(search)
        drew_box = False
        for r, round_ in enumerate(regions or []):
            color = colors(r % 10)
            for j, region in enumerate(round_):
                if x not in region:
                    continue
                sel = np.zeros(len(xs), dtype=bool)
                if origins is not None:
                    sel = (rounds == r) & (origins.region == j) & (origin == "region")
                    if not sel.any():
                        continue  # its share of the round rounded to nothing
                (x0, x1), yb = _region_box(region, x, y, fx, fy, (px[sel], py[sel]))
                drew_box = True
                if yb is None:  # the region bounds x only
                    for edge in (x0, x1):
                        ax.axvline(edge, color=color, linestyle="--", lw=1,
                                   gid=f"round {r}: region {j}")
                    drawn_x += [x0, x1]
                    continue
                y0, y1 = yb
                ax.add_patch(
                    plt.Rectangle(
                        (x0, y0),
                        x1 - x0,
                        y1 - y0,
                        fill=False,
                        edgecolor=color,
                        linestyle="--",
                        linewidth=1.3,
                        zorder=2,
                        gid=f"round {r}: region {j}",
                    )
                )
                drawn_x += [x0, x1]
                drawn_y += [y0, y1]
        if origins is not None:
            for kind in ("region", "exploration", "swap", "warm start"):
                if not np.any(origin == kind):
                    continue
                handles.append(
                    Line2D([], [], linestyle="", marker=_MARKERS[kind], markersize=7,
                           markerfacecolor="none" if kind == "swap" else "lightgrey",
                           markeredgecolor="dimgrey" if kind == "swap" else "black",
                           markeredgewidth=1.4 if kind == "swap" else 0.4,
                           label=_ORIGIN_LEGEND[kind])
                )
        if stopped_early.any():
            handles.append(
                Line2D([], [], linestyle="", marker="o", markersize=7, color="grey",
                       alpha=_STOPPED_ALPHA, markeredgecolor="black",
                       markeredgewidth=0.4,
                       label="faded: stopped early, at a lower rung")
            )
        if drew_box:
            handles.append(
                Line2D([], [], color="dimgrey", linestyle="--", lw=1.3,
                       label="a round's zoom region: where it\n"
                             "sampled, around its elites")
            )
        ax.set_title("Coarse-to-fine search: where each round sampled")
    else:
        points = ax.scatter(
            px[ok],
            py[ok],
            c=scores[ok],
            s=size[ok],
            cmap="viridis",
            edgecolor="black",
            linewidth=0.4,
            zorder=3,
        )
        ax.figure.colorbar(points, ax=ax, label="mean test score")
        ax.set_title("Search: candidates coloured by score")
    failed = shown & ~np.isfinite(scores)
    if failed.any():
        handles.append(
            ax.scatter(px[failed], py[failed], marker="x", color="grey",
                       label="failed", zorder=3)
        )
    if ok.sum() > 1:
        # What a point's size means: the scores of the smallest and largest.
        order = np.flatnonzero(ok)[np.lexsort((scores[ok], rung[ok]))]
        for area, i, word in ((small, order[0], "worst"), (large, order[-1], "best")):
            at = f" at rung {rung[i]}" if rung.any() else ""
            handles.append(
                Line2D([], [], linestyle="", marker="o", markersize=np.sqrt(area),
                       markerfacecolor="white", markeredgecolor="black",
                       markeredgewidth=0.6,
                       label=f"size: {word} score {scores[i]:.4f}{at}")
            )
    if ok.any():
        best = getattr(search, "best_index_", None)
        if not isinstance(best, numbers.Integral) or not ok[best]:
            best = np.flatnonzero(ok)[np.argmax(scores[ok])]
        handles.append(
            ax.scatter(
                px[best],
                py[best],
                marker="*",
                s=_STAR_SIZE,
                color="gold",
                edgecolor="black",
                linewidth=1,
                zorder=6,
                label=f"best: {scores[best]:.4f}",
                gid="best",
            )
        )
    _limits(ax, "x", drawn_x, x_scale)
    _limits(ax, "y", drawn_y, y_scale)
    if rounds is not None:
        # Outside the axes: inside, it would hide points or regions.
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1),
                  fontsize="small", labelspacing=0.9)
    else:  # the colour bar is on the right
        ax.legend(handles=handles, loc="best", fontsize="small", labelspacing=0.9)
    ax.grid(True, which="major", alpha=0.3)
    return ax


def plot_importance(importance, *, ax=None, **kwargs):
    """Draw hyperparameter importances as horizontal bars, the largest on top.

    Each bar is the mean over the bootstrap resamples of the candidates (see
    :func:`hyperparameter_importance`); its whisker spans the 10th to 90th
    percentile of the resamples. The title says on how many candidates the
    estimate rests, and warns when they are few.

    Parameters
    ----------
    importance : Bunch, fitted search or dict
        What :func:`hyperparameter_importance` returns, or a search (or its
        ``cv_results_``) to compute it from.

    ax : matplotlib Axes or None, default=None
        Where to draw; None makes a new figure.

    **kwargs
        Passed to :func:`hyperparameter_importance` when given a search.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    if not hasattr(importance, "importances"):
        importance = hyperparameter_importance(importance, **kwargs)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    n = len(importance.names)
    positions = np.arange(n)[::-1]
    values = np.asarray(importance.importances, dtype=float)
    draws = getattr(importance, "bootstrap_importances", None)
    ax.barh(positions, values, color="#4c72b0", label="mean over resamples")
    spread = ""
    if draws is not None and draws.shape[1] > 1:
        low, high = np.percentile(draws, SPREAD_PERCENTILES, axis=1)
        ax.errorbar(
            values,
            positions,
            xerr=[np.maximum(values - low, 0), np.maximum(high - values, 0)],
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=1,
            gid="spread",
        )
        lo, hi = SPREAD_PERCENTILES
        spread = (
            f"\nbar: mean of {draws.shape[1]} bootstrap resamples of the "
            f"candidates; whisker: {lo}th-{hi}th percentile"
        )
    elif np.any(importance.importances_std):
        ax.errorbar(values, positions, xerr=importance.importances_std,
                    fmt="none", ecolor="black", capsize=3, lw=1, gid="spread")
        spread = "\nwhisker: one standard deviation"
    ax.set_yticks(positions, importance.names)
    if importance.method == "fanova":
        ax.set_xlabel("share of the score's variance explained alone" + spread)
    else:
        ax.set_xlabel("drop in the surrogate's R$^2$ when shuffled" + spread)
    title = f"Which hyperparameters mattered ({importance.n_candidates} candidates)"
    if getattr(importance, "by_rung", False):
        title += "\nranked by the rung each reached, then by score there"
    caveat = getattr(importance, "caveat", None)
    if caveat:
        title += "\n" + "\n".join(textwrap.wrap(f"Caveat: {caveat}.", 80))
    ax.set_title(title, fontsize="medium")
    ax.set_xlim(left=min(0, ax.get_xlim()[0]))
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def _metric_name(network):
    """What a network's ``validation_scores_`` hold: its ``score`` method's metric."""
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(network):
        return "accuracy"
    if is_regressor(network):
        return "R$^2$"
    return "score"


def _clip_r2(ax, curves):
    """Cut the R^2 axis a little below zero; return a note saying so, or "".

    R^2 below zero is worse than predicting the mean, and a first epoch at
    -3.7 would squash every later epoch into a flat line. Curves that stay
    below zero are drawn whole.
    """
    values = np.concatenate([np.asarray(c, dtype=float) for c in curves])
    values = values[np.isfinite(values)]
    if not len(values) or values.max() <= 0:
        return ""
    span = values.max() - max(values.min(), 0.0)
    low = -0.1 * max(span, 0.1)
    if values.min() >= low:
        return ""
    lowest, epoch = min(
        (np.nanmin(c), int(np.nanargmin(c)) + 1) for c in curves if len(c)
    )
    ax.set_ylim(low, values.max() + 0.05 * max(span, 0.1))
    return (
        f"R$^2$ axis cut at {low:.2g} (below 0 is worse than predicting the mean); "
        f"lowest: {lowest:.3g} at epoch {epoch}"
    )


def plot_learning_curves(estimators, *, highlight=None, axes=None):
    """Draw the training loss and validation score of fitted networks per epoch.

    The validation axis is named after the networks' metric (accuracy for a
    classifier, R^2 for a regressor, as their ``score``). An R^2 that fell far
    below zero (worse than predicting the mean) is cut a little below zero,
    and a note under the axis gives the lowest. Epochs are whole numbers.

    Parameters
    ----------
    estimators : estimator or dict of str to estimator
        Fitted networks (with ``loss_curve_``; validation curves are drawn when
        they were fitted with ``early_stopping=True``), or pipelines ending in one.
        A dict's keys label the curves; :func:`refit_for_curves` makes one from
        a search.

    highlight : str or None, default=None
        Label of the curve to mark (drawn thicker, "(saved model's
        parameters)" in the legend): the best candidate, whose parameters the
        saved model has. The curve is a refit of them, not the saved model.

    axes : pair of matplotlib Axes or None, default=None
        Where to draw the losses and the validation scores; None makes a figure.

    Returns
    -------
    axes : ndarray of two matplotlib Axes
    """
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, LogFormatter, MaxNLocator

    if not isinstance(estimators, dict):
        estimators = {type(estimators).__name__: estimators}
    if highlight is not None and highlight not in estimators:
        raise ValueError(f"highlight {highlight!r} is not one of the labels")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    loss_ax, score_ax = axes
    colors = plt.get_cmap("tab10")
    curves, metrics, fractions = [], set(), set()
    for k, (label, est) in enumerate(estimators.items()):
        if hasattr(est, "steps"):
            est = est.steps[-1][1]
        color = colors(k % 10)
        loss = getattr(est, "loss_curve_", None)
        if loss is None:
            raise ValueError(f"{label}: the estimator has no loss_curve_")
        marked = label == highlight
        style = dict(color=color, lw=2.6 if marked else 1.3, zorder=3 if marked else 2)
        if marked:
            label = f"{label} (saved model's parameters)"
        epochs = np.arange(1, len(loss) + 1)
        loss_ax.plot(epochs, loss, label=f"{label}: training", **style)
        val_loss = getattr(est, "validation_loss_curve_", None)
        if val_loss is not None:
            loss_ax.plot(
                np.arange(1, len(val_loss) + 1),
                val_loss,
                linestyle="--",
                label=f"{label}: validation",
                **style,
            )
        val_score = getattr(est, "validation_scores_", None)
        if val_score is not None:
            curves.append(np.asarray(val_score, dtype=float))
            metrics.add(_metric_name(est))
            fractions.add(getattr(est, "validation_fraction", None))
            score_ax.plot(np.arange(1, len(val_score) + 1), val_score, label=label,
                          **style)
    for ax in (loss_ax, score_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
    loss_ax.set_ylabel("loss")
    loss_ax.set_yscale("log")
    # Plain numbers, not powers of ten; minor ticks labelled only when the loss
    # spans about a decade or less, else they would crowd the axis.
    loss_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    loss_ax.yaxis.set_minor_formatter(LogFormatter(minor_thresholds=(1, 0.5)))
    loss_ax.set_title("Loss per epoch")
    loss_ax.legend(fontsize="small")
    metric = metrics.pop() if len(metrics) == 1 else "score"
    score_ax.set_ylabel(f"validation {metric}")
    held_out = ""
    if len(fractions) == 1 and isinstance(next(iter(fractions)), float):
        held_out = f" ({next(iter(fractions)):.0%} of the rows held out)"
    score_ax.set_title(f"Validation {metric} per epoch{held_out}")
    if curves:
        if metric == "R$^2$":
            note = _clip_r2(score_ax, curves)
            if note:
                score_ax.set_xlabel("epoch\n" + note, fontsize="small")
        score_ax.legend(fontsize="small", loc="lower right")
    else:
        score_ax.text(
            0.5,
            0.5,
            "fit with early_stopping=True\nto record validation scores",
            ha="center",
            va="center",
            transform=score_ax.transAxes,
        )
    return np.asarray(axes)
