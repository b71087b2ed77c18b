"""The search, importance and learning-curve pictures, from any fitted search."""

import warnings

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.model_selection import RandomizedSearchCV
from sklearn.neural_network import MLPClassifier

from skhp.cli._factory import make_estimator, make_search
from skhp.inspection import (
    candidate_origins,
    hyperparameter_importance,
    plot_importance,
    plot_learning_curves,
    plot_search,
    refit_for_curves,
    round_regions,
)

plt = pytest.importorskip("matplotlib.pyplot")

X, y = load_iris(return_X_y=True)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def random_search():
    space = {
        "learning_rate_init": loguniform(1e-4, 1e-1),
        "beta_1": [0.8, 0.9, 0.99, 0.999],
    }
    return RandomizedSearchCV(
        MLPClassifier(max_iter=5, random_state=0), space, n_iter=6, cv=2, random_state=0
    ).fit(X, y)


@pytest.fixture(scope="module")
def rounds_search():
    est = make_estimator("classification", max_iter=5, random_state=0)
    from skhp.cli._factory import make_distribution

    space = {
        "mlp__learning_rate_init": loguniform(1e-4, 1e-1),
        "mlp__beta_1": make_distribution("reverse_loguniform", [0.8, 0.999]),
    }
    # halving from the first round, so that some candidates stop early
    return make_search(
        est, space, n_iter=9, n_rounds=3, cv=2, scoring=None, n_jobs=1, random_state=0
    ).set_params(min_rank_correlation=None).fit(X, y)


def test_search_without_rounds_is_coloured_by_score(random_search):
    ax = plot_search(random_search)
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"  # 1 - beta_1
    assert ax.yaxis_inverted()  # beta grows upwards
    assert ax.get_xlabel().startswith("learning_rate_init")
    assert ax.get_ylabel().startswith("beta_1")
    assert len(ax.figure.axes) == 2  # the colour bar
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    scores = random_search.cv_results_["mean_test_score"]
    assert labels == [
        f"size: worst score {scores.min():.4f}",
        f"size: best score {scores.max():.4f}",
        f"best: {random_search.best_score_:.4f}",
    ]
    # The star sits on the best candidate, in 1 - beta coordinates.
    star = ax.collections[-1].get_offsets()[0]
    best = random_search.best_params_
    np.testing.assert_allclose(star, [best["learning_rate_init"], 1 - best["beta_1"]])


def _boxes(ax):
    return {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("round")}


def _inside(box, x, y):
    x0, y0 = box.get_x(), box.get_y()
    return (x0 - 1e-12 <= x <= x0 + box.get_width() + 1e-12) and (
        y0 - 1e-12 <= y <= y0 + box.get_height() + 1e-12
    )


def test_search_with_rounds_draws_rounds_and_regions(rounds_search):
    ax = plot_search(rounds_search)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["round 0: whole-space design", "round 1", "round 2"]
    assert "zooms in" not in ax.get_title()
    regions = round_regions(rounds_search)
    assert len(regions) == 3
    assert regions[0] == []  # the first round explores the whole space
    origins = candidate_origins(rounds_search)
    boxes = _boxes(ax)
    # One box per region that sampled candidates, and it holds them all and
    # the band the search reports around its elites (in 1 - beta coordinates).
    sampled = {
        (r, j)
        for r, j, o in zip(
            rounds_search.cv_results_["round"], origins.region, origins.origin
        )
        if o == "region"
    }
    assert {f"round {r}: region {j}" for r, j in sampled} == set(boxes)
    params = rounds_search.cv_results_["params"]
    for i, p in enumerate(params):
        if origins.origin[i] != "region":
            continue
        r = rounds_search.cv_results_["round"][i]
        box = boxes[f"round {r}: region {origins.region[i]}"]
        assert _inside(box, p["mlp__learning_rate_init"], 1 - p["mlp__beta_1"])
    for r, j in sampled:
        region, box = regions[r][j], boxes[f"round {r}: region {j}"]
        for lr in region["mlp__learning_rate_init"]:
            for beta in region["mlp__beta_1"]:
                assert _inside(box, lr, 1 - beta)


def test_candidates_stopped_at_a_lower_rung_are_faded(rounds_search):
    ax = plot_search(rounds_search)
    results = rounds_search.cv_results_
    rung = np.asarray(results["rung"])
    assert rung.max() > 0  # the fixture runs successive halving
    # Each candidate once, from its highest rung: the top rung's rows, and
    # the rows of candidates that stopped below it.
    promoted = {
        (results["round"][i], results["params"][i]["mlp__learning_rate_init"])
        for i in np.flatnonzero(rung > 0)
    }
    stopped = sum(
        (results["round"][i], results["params"][i]["mlp__learning_rate_init"])
        not in promoted
        for i in np.flatnonzero(rung == 0)
    )
    drawn = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    faded = [c for gid, c in drawn.items() if gid.endswith(", stopped early")]
    assert sum(len(c.get_offsets()) for c in faded) == stopped > 0
    assert all(c.get_alpha() < 0.5 for c in faded)
    full = [c for gid, c in drawn.items()
            if gid.startswith("round") and not gid.endswith(", stopped early")]
    assert sum(len(c.get_offsets()) for c in full) == np.sum(rung == rung.max())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "faded: stopped early, at a lower rung" in labels
    assert any(label.startswith("size: best score") and label.endswith(
        f"at rung {rung.max()}") for label in labels)


@pytest.fixture(scope="module")
def ridge_search():
    """Rounds with a categorical choice: category swaps and exploration."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    from skhp import CoarseToFineSearchCV

    Xd, yd = load_diabetes(return_X_y=True)
    space = {
        "alpha": loguniform(1e-4, 1e2),
        "tol": loguniform(1e-5, 1e-1),
        "fit_intercept": [True, False],
        "solver": ["auto", "svd", "cholesky", "lsqr"],
    }
    return CoarseToFineSearchCV(
        Ridge(), space, n_iter=24, n_rounds=3, cv=3, random_state=0
    ).fit(Xd, yd)


def test_origins_of_candidates(ridge_search):
    results = ridge_search.cv_results_
    origins = candidate_origins(ridge_search)
    rounds, scores = results["round"], results["mean_test_score"]
    assert set(origins.origin[rounds == 0]) == {"design"}
    for r, entry in enumerate(ridge_search.rounds_[1:], start=1):
        here = origins.origin[rounds == r]
        # The search's own counts: each region's candidates, one explorer
        # (explore_fraction 0.1 of 8), swaps for the rest.
        for j, region in enumerate(entry["regions"]):
            in_region = (rounds == r) & (origins.region == j)
            assert np.sum(in_region) == region["n_candidates"]
        assert np.sum(here == "exploration") == 1
        assert np.sum(here == "swap") >= 1
        best = results["params"][int(np.argmax(np.where(rounds < r, scores, -np.inf)))]
        for i in np.flatnonzero((rounds == r) & (origins.origin == "swap")):
            changed = [k for k in best if best[k] != results["params"][i][k]]
            assert len(changed) == 1 and changed[0] in ("fit_intercept", "solver")
    # A column of the search's own wins over the reading back.
    told = {**results, "origin": np.array(["design"] * len(rounds))}
    assert set(candidate_origins(told).origin) == {"design"}


def test_halving_rounds_draw_each_candidate_once():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    from skhp import CoarseToFineSearchCV

    Xd, yd = load_diabetes(return_X_y=True)
    space = {
        "alpha": loguniform(1e-4, 1e2),
        "tol": loguniform(1e-5, 1e-1),
        "solver": ["auto", "svd", "cholesky", "lsqr"],
    }
    search = CoarseToFineSearchCV(
        Ridge(), space, n_iter=18, n_rounds=3, cv=3, random_state=0,
        resource="n_samples",
    ).fit(Xd, yd)
    results = search.cv_results_
    assert np.max(results["rung"]) >= 1  # promoted candidates have two rows
    origins = candidate_origins(search)
    # A promoted candidate keeps the origin of its first rung's row.
    for i in np.flatnonzero(results["rung"] > 0):
        (j,) = [
            k for k in np.flatnonzero(results["rung"] == 0)
            if results["params"][k] == results["params"][i]
            and results["round"][k] == results["round"][i]
        ]
        assert origins.origin[i] == origins.origin[j]
    ax = plot_search(search)
    points = [c for c in ax.collections if (c.get_gid() or "").startswith("round")]
    n_points = sum(len(c.get_offsets()) for c in points if "swap" not in c.get_gid())
    n_swaps = sum(len(c.get_offsets()) for c in points if "swap" in c.get_gid())
    assert n_points + n_swaps == 18  # each candidate once
    star = [c for c in ax.collections if c.get_gid() == "best"][0].get_offsets()[0]
    best = search.best_params_
    np.testing.assert_allclose(star, [best["alpha"], best["tol"]])


def test_search_marks_origins_sizes_and_keeps_best_inside(ridge_search):
    ax = plot_search(ridge_search)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    scores = ridge_search.cv_results_["mean_test_score"]
    assert "exploration: drawn from the whole space" in labels
    assert "category swap: best so far, one choice changed" in labels
    assert f"size: worst score {np.min(scores):.4f}" in labels
    assert f"size: best score {np.max(scores):.4f}" in labels
    # Each origin has its own marker: the triangles are the explorers.
    origins = candidate_origins(ridge_search)
    by_gid = {}
    for c in ax.collections:
        by_gid.setdefault(c.get_gid(), []).append(c)
    n_explore = sum(len(c.get_offsets()) for gid, cs in by_gid.items() if gid and
                    gid.endswith("exploration") for c in cs)
    assert n_explore == np.sum(origins.origin == "exploration")
    # Every point, the star included, lies inside the axes, off their edges.
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    star = by_gid["best"][0].get_offsets()[0]
    best = ridge_search.best_params_
    np.testing.assert_allclose(star, [best["alpha"], best["tol"]])
    for c in ax.collections:
        for px, py in np.asarray(c.get_offsets()):
            assert x0 < px < x1 and y0 < py < y1
            # at least a few per cent of a decade from each edge
            assert min(np.log10(px / x0), np.log10(x1 / px)) > 0.05
            assert min(np.log10(py / y0), np.log10(y1 / py)) > 0.05


def test_round_regions_of_other_searches(random_search):
    assert round_regions(random_search) is None

    class Described:
        rounds_ = [
            {"width": 1.0, "regions": [{"bounds": {"a": (0, 1)}}]},
            {"width": 0.5, "regions": [{"bounds": {"a": (0.2, 0.4), "b": "x"}}]},
        ]

    assert round_regions(Described()) == [[], [{"a": (0.2, 0.4)}]]

    class Unknown:
        rounds_ = [3, 4]

    assert round_regions(Unknown()) is None


def test_search_axes_by_short_name_and_errors(random_search):
    ax = plot_search(random_search, x="beta_1", y="learning_rate_init")
    assert ax.xaxis_inverted()
    assert ax.get_ylabel().startswith("learning_rate_init")
    with pytest.raises(ValueError, match="two numeric"):
        plot_search({"params": [{"a": "x"}, {"a": "y"}], "mean_test_score": [1, 2]})


def test_importance_bars(random_search):
    importance = hyperparameter_importance(random_search, random_state=0)
    ax = plot_importance(importance)
    # Read top to bottom, the bars are the names, most important first.
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda t: -t[0])
    assert [label.get_text() for _, label in ticks] == importance.names
    bars = sorted(ax.patches, key=lambda p: -p.get_y())
    np.testing.assert_allclose([b.get_width() for b in bars], importance.importances)
    # Whiskers: the 10th to 90th percentile of the bootstrap resamples.
    (whiskers,) = [c for c in ax.collections if c.get_gid() == "spread"]
    ends = np.array([seg[:, 0] for seg in whiskers.get_segments()])
    expected = np.percentile(importance.bootstrap_importances, [10, 90], axis=1).T
    np.testing.assert_allclose(np.sort(ends, axis=1), expected, atol=1e-12)
    assert "20 bootstrap resamples" in ax.get_xlabel()
    # 6 candidates for 2 hyperparameters: the title says it is rough.
    assert "Caveat: 6 candidates for 2 hyperparameters" in ax.get_title()
    # A search is accepted too.
    ax = plot_importance(random_search, random_state=0)
    assert len(ax.patches) == 2


def test_learning_curves():
    nets = {
        "with validation": MLPClassifier(
            max_iter=8, early_stopping=True, n_iter_no_change=8, random_state=0
        ),
        "without": MLPClassifier(max_iter=8, random_state=0),
    }
    nets = {k: v.fit(X, y) for k, v in nets.items()}
    loss_ax, score_ax = plot_learning_curves(nets, highlight="with validation")
    assert len(loss_ax.lines) == 2
    assert len(score_ax.lines) == 1
    np.testing.assert_allclose(
        loss_ax.lines[0].get_ydata(), nets["with validation"].loss_curve_
    )
    # The metric is named; the highlighted curve is the saved model's.
    assert score_ax.get_ylabel() == "validation accuracy"
    assert "10% of the rows held out" in score_ax.get_title()
    labels = [t.get_text() for t in score_ax.get_legend().get_texts()]
    assert labels == ["with validation (saved model's parameters)"]
    assert loss_ax.lines[0].get_linewidth() > loss_ax.lines[1].get_linewidth()
    # Epochs are whole numbers.
    for ax in (loss_ax, score_ax):
        ticks = ax.get_xticks()
        np.testing.assert_array_equal(ticks, np.round(ticks))
    with pytest.raises(ValueError, match="loss_curve_"):
        plot_learning_curves({"unfitted": object()})
    with pytest.raises(ValueError, match="highlight"):
        plot_learning_curves(nets, highlight="nope")


def test_learning_curves_cut_a_plunging_r2():
    from sklearn.datasets import load_diabetes
    from sklearn.neural_network import MLPRegressor

    Xd, yd = load_diabetes(return_X_y=True)
    net = MLPRegressor(
        hidden_layer_sizes=(16,), learning_rate_init=0.05, max_iter=25,
        early_stopping=True, n_iter_no_change=25, random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 25 epochs do not converge
        net.fit(Xd, yd / yd.std())
    scores = np.asarray(net.validation_scores_)
    assert scores.min() < -0.5 < 0 < scores.max()  # the case to cut
    _, score_ax = plot_learning_curves({"net": net})
    assert score_ax.get_ylabel() == "validation R$^2$"
    low, high = score_ax.get_ylim()
    assert scores.min() < low < 0 and high > scores.max()
    assert f"lowest: {scores.min():.3g} at epoch {scores.argmin() + 1}" in (
        score_ax.get_xlabel()
    )


def test_refit_for_curves_draws_only_searched_candidates(rounds_search):
    nets = refit_for_curves(rounds_search, X, y, n_candidates=2, max_iter=4,
                            random_state=0, best_label="best candidate")
    results = rounds_search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")
    labels = list(nets)
    assert labels == [
        f"best candidate, CV {results['mean_test_score'][order[0]]:.4f}",
        f"2nd best candidate, CV {results['mean_test_score'][order[1]]:.4f}",
    ]
    for net, i in zip(nets.values(), order):
        # The candidate's own values, nothing the search did not tune changed;
        # the resource (the epochs) is the one value the curves override.
        for name, value in results["params"][i].items():
            expected = 4 if name == rounds_search.resource else value
            assert net.get_params()[name.split("__", 1)[1]] == expected
        assert net.batch_norm == rounds_search.estimator[-1].batch_norm
        assert len(net.validation_scores_) == 4
    axes = plot_learning_curves(nets, highlight=labels[0])
    assert [t.get_text() for t in axes[1].get_legend().get_texts()][0] == (
        f"{labels[0]} (saved model's parameters)"
    )


def test_missing_matplotlib_message(monkeypatch, random_search):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        plot_search(random_search)
