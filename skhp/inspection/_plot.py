"""Pictures of a finished search: the search itself, importances, learning curves.

matplotlib is an optional dependency (``pip install 'skhp[plots]'``); it is
imported when a function here is called.
"""

import numbers

import numpy as np

from skhp.inspection._importance import hyperparameter_importance
from skhp.inspection._results import (
    cv_results_of,
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
            "drawing needs matplotlib: pip install 'skhp[plots]'"
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


def plot_search(search, x=None, y=None, *, ax=None):
    """Draw the candidates of a search on two of its hyperparameters.

    Each hyperparameter is drawn on the scale it should be sampled on: log for
    rates and penalties, log of ``1 - beta`` for betas close to 1. When the
    search ran rounds (a ``round`` column in ``cv_results_``) the points are
    coloured by round and the regions each round zoomed in on are drawn as
    dashed boxes, when the search describes them (see :func:`round_regions`);
    otherwise the points are coloured by score. Bigger points scored
    better; the best candidate is starred.

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
        _, ax = plt.subplots(figsize=(7, 5), layout="constrained")

    xs = np.array([p[x] for p in params], dtype=float)
    ys = np.array([p[y] for p in params], dtype=float)
    fx = _axis(ax, "x", x, value_scale(search, x, xs))
    fy = _axis(ax, "y", y, value_scale(search, y, ys))
    scores = np.asarray(results["mean_test_score"], dtype=float)
    ok = np.isfinite(scores)
    # Point size grows with the score's rank among the candidates that fitted.
    size = np.full(len(scores), 30.0)
    if ok.sum() > 1:
        ranks = np.argsort(np.argsort(scores[ok]))
        size[ok] = 15 + 110 * ranks / (ok.sum() - 1)

    rounds = rounds_of(results if isinstance(search, dict) else search)
    if rounds is not None:
        colors = plt.get_cmap("tab10")
        for r in np.unique(rounds):
            sel = (rounds == r) & ok
            ax.scatter(
                fx(xs[sel]),
                fy(ys[sel]),
                s=size[sel],
                color=colors(r % 10),
                edgecolor="black",
                linewidth=0.4,
                alpha=0.85,
                label=f"round {r + 1}",
                zorder=3,
            )
        regions = None if isinstance(search, dict) else round_regions(search)
        for r, round_ in enumerate(regions or []):
            for region in round_:
                if x in region and y in region:
                    (x0, x1), (y0, y1) = fx(region[x]), fy(region[y])
                    ax.add_patch(
                        plt.Rectangle(
                            (min(x0, x1), min(y0, y1)),
                            abs(x1 - x0),
                            abs(y1 - y0),
                            fill=False,
                            edgecolor=colors(r % 10),
                            linestyle="--",
                            linewidth=1.3,
                            zorder=2,
                        )
                    )
                elif x in region:
                    for edge in fx(region[x]):
                        ax.axvline(edge, color=colors(r % 10), linestyle="--", lw=1)
        ax.set_title("Coarse-to-fine search: each round zooms in")
    else:
        points = ax.scatter(
            fx(xs[ok]),
            fy(ys[ok]),
            c=scores[ok],
            s=size[ok],
            cmap="viridis",
            edgecolor="black",
            linewidth=0.4,
            zorder=3,
        )
        ax.figure.colorbar(points, ax=ax, label="mean test score")
        ax.set_title("Search: candidates coloured by score")
    if (~ok).any():
        ax.scatter(
            fx(xs[~ok]), fy(ys[~ok]), marker="x", color="grey", label="failed", zorder=3
        )
    if ok.any():
        best = np.flatnonzero(ok)[np.argmax(scores[ok])]
        ax.scatter(
            fx(xs[best]),
            fy(ys[best]),
            marker="*",
            s=400,
            color="gold",
            edgecolor="black",
            linewidth=1,
            zorder=4,
            label=f"best: {scores[best]:.4f}",
        )
    if rounds is not None:
        # Outside the axes: inside, it would hide points or regions.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    else:  # the colour bar is on the right
        ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    return ax


def plot_importance(importance, *, ax=None, **kwargs):
    """Draw hyperparameter importances as horizontal bars, the largest on top.

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
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    n = len(importance.names)
    positions = np.arange(n)[::-1]
    xerr = importance.importances_std if np.any(importance.importances_std) else None
    ax.barh(positions, importance.importances, xerr=xerr, color="#4c72b0")
    ax.set_yticks(positions, importance.names)
    if importance.method == "fanova":
        ax.set_xlabel("share of the score's variance explained alone")
    else:
        ax.set_xlabel("drop in the surrogate's R$^2$ when shuffled")
    ax.set_title(
        f"Which hyperparameters mattered ({importance.n_candidates} candidates)"
    )
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def plot_learning_curves(estimators, *, axes=None):
    """Draw the training loss and validation score of fitted networks per epoch.

    Parameters
    ----------
    estimators : estimator or dict of str to estimator
        Fitted networks (with ``loss_curve_``; validation curves are drawn when
        they were fitted with ``early_stopping=True``), or pipelines ending in one.
        A dict's keys label the curves.

    axes : pair of matplotlib Axes or None, default=None
        Where to draw the losses and the validation scores; None makes a figure.

    Returns
    -------
    axes : ndarray of two matplotlib Axes
    """
    plt = _pyplot()
    if not isinstance(estimators, dict):
        estimators = {type(estimators).__name__: estimators}
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    loss_ax, score_ax = axes
    colors = plt.get_cmap("tab10")
    any_validation = False
    for k, (label, est) in enumerate(estimators.items()):
        if hasattr(est, "steps"):
            est = est.steps[-1][1]
        color = colors(k % 10)
        loss = getattr(est, "loss_curve_", None)
        if loss is None:
            raise ValueError(f"{label}: the estimator has no loss_curve_")
        epochs = np.arange(1, len(loss) + 1)
        loss_ax.plot(epochs, loss, color=color, label=f"{label}: training")
        val_loss = getattr(est, "validation_loss_curve_", None)
        if val_loss is not None:
            loss_ax.plot(
                np.arange(1, len(val_loss) + 1),
                val_loss,
                color=color,
                linestyle="--",
                label=f"{label}: validation",
            )
        val_score = getattr(est, "validation_scores_", None)
        if val_score is not None:
            any_validation = True
            score_ax.plot(
                np.arange(1, len(val_score) + 1), val_score, color=color, label=label
            )
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss")
    loss_ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter, LogFormatter

    # Plain numbers, not powers of ten; minor ticks labelled only when the loss
    # spans about a decade or less, else they would crowd the axis.
    loss_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    loss_ax.yaxis.set_minor_formatter(LogFormatter(minor_thresholds=(1, 0.5)))
    loss_ax.set_title("Loss per epoch")
    loss_ax.legend(fontsize="small")
    loss_ax.grid(True, alpha=0.3)
    score_ax.set_xlabel("epoch")
    score_ax.set_ylabel("validation score")
    score_ax.set_title("Validation score per epoch")
    if any_validation:
        score_ax.legend(fontsize="small")
    else:
        score_ax.text(
            0.5,
            0.5,
            "fit with early_stopping=True\nto record validation scores",
            ha="center",
            va="center",
            transform=score_ax.transAxes,
        )
    score_ax.grid(True, alpha=0.3)
    return np.asarray(axes)
