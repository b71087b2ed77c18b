"""
Babysitting one model: the "panda" approach
===========================================

With little compute you train one model and watch it, nudging its
hyperparameters as it goes: the course's panda raising one baby. Here
``partial_fit`` trains one epoch at a time and ``set_params`` changes the
learning rate between epochs; skhp's networks take the new rate (and
momentum, and decay) at the next call, keeping the optimizer's state.

The rule applied is the one a practitioner follows by eye: when the
validation accuracy has not improved for a few epochs, divide the learning
rate by 3, down to a floor below which the steps would be too small to matter.

Run ``python examples/plot_babysitting_panda.py [--quick] [--save FILE]``.
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skhp import MLPClassifier

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="tiny budget, for tests")
parser.add_argument(
    "--save", metavar="FILE", help="save the figure instead of showing it"
)
args = parser.parse_args()

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)
epochs, patience = (6, 2) if args.quick else (60, 5)
floor = 1e-3

net = MLPClassifier(
    hidden_layer_sizes=(64,),
    solver="sgd",
    momentum=0.9,
    learning_rate_init=0.1,
    batch_size=64,
    random_state=0,
)
classes = np.unique(y)
history = {"epoch": [], "rate": [], "val": [], "loss": []}
best, since_best = -np.inf, 0
for epoch in range(1, epochs + 1):
    net.partial_fit(X_train, y_train, classes=classes)
    score = net.score(X_val, y_val)
    history["epoch"].append(epoch)
    history["rate"].append(net.learning_rate_init)
    history["val"].append(score)
    history["loss"].append(net.loss_)
    if score > best:
        best, since_best = score, 0
    else:
        since_best += 1
    if since_best >= patience and net.learning_rate_init / 3 >= floor:
        # The babysitter's move: a smaller step once progress stalls.
        net.set_params(learning_rate_init=net.learning_rate_init / 3)
        print(
            f"epoch {epoch}: no progress for {patience} epochs, "
            f"learning rate -> {net.learning_rate_init:.4g}"
        )
        since_best = 0
print(f"best validation accuracy {best:.4f} after {epochs} epochs")

fig, (ax, rate_ax) = plt.subplots(
    2, 1, figsize=(9, 6.5), sharex=True, layout="constrained"
)
ax.plot(history["epoch"], history["val"], marker="o", ms=3, label="validation accuracy")
ax.set_ylabel("validation accuracy")
ax.set_title("Babysitting one network: lower the rate when it stalls")
ax.grid(True, alpha=0.3)
loss_ax = ax.twinx()
loss_ax.plot(
    history["epoch"], history["loss"], color="tab:red", alpha=0.6, label="training loss"
)
loss_ax.set_ylabel("training loss")
loss_ax.set_yscale("log")
fig.legend(loc="outside lower center", ncols=2)
rate_ax.step(history["epoch"], history["rate"], where="post", color="tab:green")
rate_ax.set_yscale("log")
rate_ax.set_ylabel("learning rate")
rate_ax.set_xlabel("epoch")
rate_ax.grid(True, alpha=0.3)

if args.save:
    fig.savefig(args.save, dpi=90)
else:
    plt.show()
