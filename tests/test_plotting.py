"""The search, importance and learning-curve pictures, from any fitted search."""

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.model_selection import RandomizedSearchCV
from sklearn.neural_network import MLPClassifier

from skhp.cli._factory import make_estimator, make_search
from skhp.inspection import (
    hyperparameter_importance,
    plot_importance,
    plot_learning_curves,
    plot_search,
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
    return make_search(
        est, space, n_iter=9, n_rounds=3, cv=2, scoring=None, n_jobs=1, random_state=0
    ).fit(X, y)


def test_search_without_rounds_is_coloured_by_score(random_search):
    ax = plot_search(random_search)
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"  # 1 - beta_1
    assert ax.yaxis_inverted()  # beta grows upwards
    assert ax.get_xlabel().startswith("learning_rate_init")
    assert ax.get_ylabel().startswith("beta_1")
    assert len(ax.figure.axes) == 2  # the colour bar
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"best: {random_search.best_score_:.4f}"]
    # The star sits on the best candidate, in 1 - beta coordinates.
    star = ax.collections[-1].get_offsets()[0]
    best = random_search.best_params_
    np.testing.assert_allclose(star, [best["learning_rate_init"], 1 - best["beta_1"]])


def test_search_with_rounds_draws_rounds_and_regions(rounds_search):
    ax = plot_search(rounds_search)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["round 1", "round 2", "round 3"]
    regions = round_regions(rounds_search)
    assert len(regions) == 3
    assert regions[0] == []  # the first round explores the whole space
    n_boxes = sum(len(r) for r in regions)
    assert n_boxes >= 2
    assert len(ax.patches) == n_boxes
    # Each box is drawn where its round's region is, in 1 - beta coordinates.
    region = regions[1][0]
    box = ax.patches[0]
    np.testing.assert_allclose(
        [box.get_x(), box.get_x() + box.get_width()],
        sorted(region["mlp__learning_rate_init"]),
    )
    np.testing.assert_allclose(
        [box.get_y(), box.get_y() + box.get_height()],
        sorted(1 - np.array(region["mlp__beta_1"])),
    )


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
    loss_ax, score_ax = plot_learning_curves(nets)
    assert len(loss_ax.lines) == 2
    assert len(score_ax.lines) == 1
    np.testing.assert_allclose(
        loss_ax.lines[0].get_ydata(), nets["with validation"].loss_curve_
    )
    with pytest.raises(ValueError, match="loss_curve_"):
        plot_learning_curves({"unfitted": object()})


def test_missing_matplotlib_message(monkeypatch, random_search):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skhp\[plots\]"):
        plot_search(random_search)
