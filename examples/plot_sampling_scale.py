"""
Why the scale matters: learning rates and betas
===============================================

Sampling the learning rate uniformly on ``[0.0001, 1]`` puts 90% of the draws
in ``[0.1, 1]``; sampling ``r`` uniformly in ``[-4, 0]`` and taking
``alpha = 10**r`` gives each decade the same share. For a momentum (or Adam's
``beta_1``) in ``[0.9, 0.999]`` what matters is ``1 - beta``: the average it
computes spans about ``1 / (1 - beta)`` steps, so 0.999 -> 0.9995 doubles the
window while 0.9 -> 0.9005 changes nothing. The right way samples
``r`` in ``[-3, -1]`` and takes ``beta = 1 - 10**r``; a common mistake is
``beta = 10**r`` with ``r`` in ``[log10(0.9), log10(0.999)]``, which is nearly
uniform in ``beta`` and leaves the region near 1 almost unexplored.

The second half runs two random searches of a network on digits with the same
budget, one sampling the learning rate uniformly and one log-uniformly.

Run ``python examples/plot_sampling_scale.py [--quick] [--save FILE]``.
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import uniform
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV

from skhp import MLPClassifier, loguniform, reverse_loguniform

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="tiny budget, for tests")
parser.add_argument(
    "--save", metavar="FILE", help="save the figure instead of showing it"
)
args = parser.parse_args()

rng = np.random.default_rng(0)
n = 10_000

# Learning rate: uniform against log-uniform on [1e-4, 1].
lr_uniform = rng.uniform(1e-4, 1.0, n)
lr_log = 10 ** rng.uniform(-4, 0, n)
# Beta: the right way, the common mistake, and skhp's distribution.
r = rng.uniform(-3, -1, n)
beta_right = 1 - 10**r
beta_wrong = 10 ** rng.uniform(np.log10(0.9), np.log10(0.999), n)
beta_skhp = reverse_loguniform(0.9, 0.999).rvs(size=n, random_state=0)

print("share of learning rates in each decade:")
for low in (1e-4, 1e-3, 1e-2, 1e-1):
    in_uniform = np.mean((lr_uniform >= low) & (lr_uniform < low * 10))
    in_log = np.mean((lr_log >= low) & (lr_log < low * 10))
    print(f"  [{low:g}, {low * 10:g}]: uniform {in_uniform:5.1%}  log-uniform {in_log:5.1%}")
print("share of betas in [0.99, 0.999]:")
for name, beta in (
    ("1 - 10**r", beta_right),
    ("10**r (mistake)", beta_wrong),
    ("reverse_loguniform", beta_skhp),
):
    print(f"  {name:>18}: {np.mean(beta >= 0.99):5.1%}")

fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
bins = np.logspace(-4, 0, 41)
axes[0, 0].hist(lr_uniform, bins=bins, alpha=0.6, label="uniform")
axes[0, 0].hist(lr_log, bins=bins, alpha=0.6, label="log-uniform: 10**r")
axes[0, 0].set_xscale("log")
axes[0, 0].set_xlabel("learning rate")
axes[0, 0].set_title("Learning rate: draws per decade")
axes[0, 0].legend()

bins = np.logspace(-3, -1, 41)
axes[0, 1].hist(1 - beta_right, bins=bins, alpha=0.6, label="beta = 1 - 10**r")
axes[0, 1].hist(1 - beta_wrong, bins=bins, alpha=0.6, label="beta = 10**r (mistake)")
axes[0, 1].set_xscale("log")
axes[0, 1].invert_xaxis()
axes[0, 1].set_xticks([1e-1, 1e-2, 1e-3], ["0.9", "0.99", "0.999"])
axes[0, 1].set_xlabel("beta (log scale of 1 - beta)")
axes[0, 1].set_title("Beta: draws near 1")
axes[0, 1].legend()

# The same search budget, two ways of sampling the learning rate.
X, y = load_digits(return_X_y=True)
X = X / 16.0
n_iter, max_iter, cv = (4, 5, 2) if args.quick else (16, 30, 3)
if args.quick:
    X, y = X[:300], y[:300]
net = MLPClassifier(
    hidden_layer_sizes=(32,),
    solver="sgd",
    momentum=0.9,
    max_iter=max_iter,
    random_state=0,
)
for ax, (name, dist) in zip(
    axes[1],
    (("uniform", uniform(1e-4, 1.0 - 1e-4)), ("log-uniform", loguniform(1e-4, 1.0))),
):
    search = RandomizedSearchCV(
        net, {"learning_rate_init": dist}, n_iter=n_iter, cv=cv, random_state=0
    ).fit(X, y)
    lrs = np.array([p["learning_rate_init"] for p in search.cv_results_["params"]])
    scores = search.cv_results_["mean_test_score"]
    print(
        f"{name:>12} sampling: best {search.best_score_:.4f}, "
        f"{np.mean(lrs < 0.1):.0%} of candidates below 0.1"
    )
    ax.scatter(lrs, scores)
    ax.set_xscale("log")
    ax.set_xlim(5e-5, 2)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("mean CV accuracy")
    ax.set_title(f"{name} sampling: best {search.best_score_:.4f}")
    ax.sharey(axes[1, 0])
    ax.grid(True, alpha=0.3)

if args.save:
    fig.savefig(args.save, dpi=90)
else:
    plt.show()
