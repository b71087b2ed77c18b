"""
Re-tuning when hyperparameters go stale
=======================================

Hyperparameters tuned months ago were tuned for the data of months ago. When
the data changes (more of it, new sensors, a shifted population) the best
learning rate or penalty can move, and the course advises re-evaluating them
every few months. ``CoarseToFineSearchCV(warm_start=True)`` makes that cheap:
refitted on the new data, its first round re-evaluates the previous search's
best candidates alongside fresh ones, then zooms in as usual.

Here the old data are a few hundred clean digits; the new data are all of
them, with noisy pixels. We compare the old best hyperparameters, scored on the
new data, with a warm-started re-tuning.

Run ``python examples/plot_stale_hyperparameters.py [--quick] [--save FILE]``.
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score

from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform
from skhp.inspection import plot_search

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="tiny budget, for tests")
parser.add_argument(
    "--save", metavar="FILE", help="save the figure instead of showing it"
)
args = parser.parse_args()

X, y = load_digits(return_X_y=True)
X = X / 16.0
rng = np.random.default_rng(0)
n_old, n_iter, max_iter = (150, 4, 4) if args.quick else (300, 16, 30)
X_old, y_old = X[:n_old], y[:n_old]
X_new = np.clip(X + rng.normal(scale=0.3, size=X.shape), 0, 1)
y_new = y
if args.quick:
    X_new, y_new = X_new[:400], y_new[:400]

search = CoarseToFineSearchCV(
    MLPClassifier(hidden_layer_sizes=(32,), max_iter=max_iter, random_state=0),
    {"learning_rate_init": loguniform(1e-4, 1.0), "alpha": loguniform(1e-6, 1.0)},
    n_iter=n_iter,
    n_rounds=2,
    cv=3,
    random_state=0,
)
search.fit(X_old, y_old)
old_best = dict(search.best_params_)
print(f"tuned on the old data: {old_best}, CV accuracy {search.best_score_:.4f}")

stale = cross_val_score(
    clone(search.estimator).set_params(**old_best), X_new, y_new, cv=3
).mean()
print(f"the same hyperparameters on the new data: {stale:.4f}")

search.set_params(warm_start=True).fit(X_new, y_new)
print(
    f"re-tuned on the new data: {search.best_params_}, "
    f"CV accuracy {search.best_score_:.4f}"
)

fig, (bar_ax, search_ax) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
bar_ax.bar(
    ["stale", "re-tuned"], [stale, search.best_score_], color=["#c44e52", "#55a868"]
)
bar_ax.set_ylim(min(stale, search.best_score_) - 0.05, 1)
bar_ax.set_ylabel("CV accuracy on the new data")
bar_ax.set_title("Old best hyperparameters against re-tuning")
plot_search(search, x="learning_rate_init", y="alpha", ax=search_ax)
search_ax.scatter(
    old_best["learning_rate_init"],
    old_best["alpha"],
    marker="P",
    s=200,
    color="#c44e52",
    edgecolor="black",
    zorder=5,
    label="old best",
)
search_ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")

if args.save:
    fig.savefig(args.save, dpi=90)
else:
    plt.show()
