"""
Grid, random and coarse-to-fine search on the same budget
=========================================================

The course's first advice on tuning: do not use a grid. With a grid of 4 x 4,
16 models try only 4 learning rates, and if the other hyperparameter barely
matters, 12 of them are wasted. Random search tries 16 learning rates. Coarse
to fine spends the same 16 fits in rounds, each zooming in on the best region
found so far.

Run ``python examples/plot_grid_random_coarse_to_fine.py [--quick] [--save FILE]``.
"""

import argparse

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform, reverse_loguniform
from skhp.inspection import plot_search

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="tiny budget, for tests")
parser.add_argument(
    "--save", metavar="FILE", help="save the figure instead of showing it"
)
args = parser.parse_args()

X, y = load_digits(return_X_y=True)
X = X / 16.0
side, max_iter, cv = (3, 5, 2) if args.quick else (4, 30, 3)
if args.quick:
    X, y = X[:300], y[:300]
budget = side * side

net = MLPClassifier(hidden_layer_sizes=(32,), max_iter=max_iter, random_state=0)
lr_values = [10.0**e for e in range(-4, 0)][:side]
beta_values = [0.5, 0.9, 0.99, 0.999][:side]
searches = {
    "grid": GridSearchCV(
        net, {"learning_rate_init": lr_values, "beta_1": beta_values}, cv=cv
    ),
    "random": RandomizedSearchCV(
        net,
        {
            "learning_rate_init": loguniform(1e-4, 1.0),
            "beta_1": reverse_loguniform(0.5, 0.999),
        },
        n_iter=budget,
        cv=cv,
        random_state=0,
    ),
    "coarse to fine": CoarseToFineSearchCV(
        net,
        {
            "learning_rate_init": loguniform(1e-4, 1.0),
            "beta_1": reverse_loguniform(0.5, 0.999),
        },
        n_iter=budget,
        n_rounds=3 if args.quick else 4,
        cv=cv,
        random_state=0,
    ),
}

fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
for ax, (name, search) in zip(axes, searches.items()):
    search.fit(X, y)
    n_lr = len({p["learning_rate_init"] for p in search.cv_results_["params"]})
    print(
        f"{name:>15}: best {search.best_score_:.4f} with {budget} candidates, "
        f"{n_lr} distinct learning rates"
    )
    plot_search(search, x="learning_rate_init", y="beta_1", ax=ax)
    ax.set_title(f"{name}: best {search.best_score_:.4f}, {n_lr} learning rates")

if args.save:
    fig.savefig(args.save, dpi=90)
else:
    plt.show()
