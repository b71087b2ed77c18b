"""
Batch norm's effect on training
===============================

Batch normalisation rescales each hidden layer's pre-activations (``"before"``
the activation, as in the course) or its activations (``"after"``) to zero
mean and unit variance over the mini-batch, then lets the network learn the
scale and shift it wants. Later layers see inputs whose distribution moves
less while earlier layers learn, so training tolerates larger learning rates
and converges in fewer epochs. At prediction time the running averages of the
mini-batch statistics are used.

The same network is trained with plain SGD and momentum on digits, without
batch norm, with it before and with it after the activation, at a moderate and
a large learning rate.

Run ``python examples/plot_batch_norm.py [--quick] [--save FILE]``.
"""

import argparse

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skhp import MLPClassifier
from skhp.inspection import plot_learning_curves

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="tiny budget, for tests")
parser.add_argument(
    "--save", metavar="FILE", help="save the figure instead of showing it"
)
args = parser.parse_args()

X, y = load_digits(return_X_y=True)
X = X / 16.0
epochs = 4 if args.quick else 40
if args.quick:
    X, y = X[:500], y[:500]

fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
for row, lr in zip(axes, (0.01, 0.3)):
    nets = {}
    for batch_norm in (None, "before", "after"):
        net = MLPClassifier(
            hidden_layer_sizes=(64, 64),
            solver="sgd",
            momentum=0.9,
            learning_rate_init=lr,
            batch_norm=batch_norm,
            batch_size=64,
            max_iter=epochs,
            early_stopping=True,
            n_iter_no_change=epochs,
            random_state=0,
        ).fit(X, y)
        nets[f"batch_norm={batch_norm!r}"] = net
        print(
            f"learning rate {lr}: batch_norm={batch_norm!r:9} "
            f"final loss {net.loss_curve_[-1]:.4f}, "
            f"best validation accuracy {max(net.validation_scores_):.4f}"
        )
    plot_learning_curves(nets, axes=row)
    row[0].set_title(f"Loss per epoch, learning rate {lr}")
    row[1].set_title(f"Validation accuracy per epoch, learning rate {lr}")

if args.save:
    fig.savefig(args.save, dpi=90)
else:
    plt.show()
