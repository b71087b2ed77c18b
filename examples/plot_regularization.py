"""
Regularizing a wide network
===========================

The course's remedies for a network that fits its training rows better than
new ones: an L2 penalty (scikit-learn's ``alpha``), dropout (``keep_prob`` in
the course, ``dropout = 1 - keep_prob`` here), and stopping early, here on
the held-out loss rather than the accuracy. skhp adds decoupled weight decay
(AdamW) and a cosine learning-rate schedule with a warm-up.

The same wide network is trained on digits with each remedy, with a held-out
tenth watched every epoch (``early_stopping=True``); the figure draws the
training and held-out curves. A callback, scikit-learn's API, stops one more
fit as soon as the held-out loss has risen for two epochs in a row.

Run ``python examples/plot_regularization.py [--quick] [--save FILE]``.
"""

import argparse
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skhp import MLPClassifier
from skhp.inspection import plot_learning_curves

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="tiny budget, for tests")
parser.add_argument(
    "--save", metavar="FILE", help="save the figure instead of showing it"
)
args = parser.parse_args()
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
epochs = 12 if args.quick else 60
if args.quick:
    X, y = X[:600], y[:600]

common = dict(hidden_layer_sizes=(512,), learning_rate_init=0.01, max_iter=epochs,
              early_stopping=True, n_iter_no_change=epochs, random_state=0)
remedies = {
    "plain": {},
    "alpha=0.01": {"alpha": 0.01},
    "dropout=0.3": {"dropout": 0.3},
    "weight_decay=0.05": {"weight_decay": 0.05},
    "cosine, warm-up 2": {"learning_rate": "cosine", "warmup_epochs": 2},
    "early stop on loss": {"early_stopping_on": "loss", "n_iter_no_change": 3},
}

nets = {}
for name, params in remedies.items():
    net = MLPClassifier(**{**common, **params}).fit(X, y)
    nets[name] = net
    losses = net.validation_loss_curve_
    print(f"{name:>18}: {net.n_iter_} epochs, lowest held-out loss "
          f"{min(losses):.4f} at epoch {int(np.argmin(losses)) + 1}, "
          f"best held-out accuracy {max(net.validation_scores_):.4f}")
stopped = nets["early stop on loss"]
print(f"early stop on loss kept epoch {int(np.argmin(stopped.validation_loss_curve_)) + 1}"
      f" of {stopped.n_iter_}")


class StopWhenHeldOutLossRises:
    """Stop a fit once the held-out loss has risen for ``patience`` epochs in a row."""

    def __init__(self, patience=2):
        self.patience = patience

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        losses = estimator.validation_loss_curve_
        if context.task_name != "epoch" or len(losses) <= self.patience:
            return False
        recent = np.diff(losses[-self.patience - 1:])
        return bool(np.all(recent > 0))


watched = MLPClassifier(**common).set_callbacks(StopWhenHeldOutLossRises(2)).fit(X, y)
rises = np.diff(watched.validation_loss_curve_) > 0
print(f"the callback stopped the fit after {watched.n_iter_} of {epochs} epochs; "
      f"last two held-out losses rose: {bool(watched.n_iter_ < epochs and rises[-2:].all())}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
plot_learning_curves(nets, axes=axes)
axes[0].set_title("Training and held-out loss per epoch")
axes[1].set_title("Held-out accuracy per epoch")
if args.save:
    fig.savefig(args.save, dpi=90)
else:
    plt.show()
