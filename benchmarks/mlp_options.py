"""What each network option costs per epoch, and what it buys in a search.

Part 1, speed: seconds per epoch of ``skhp.MLPClassifier`` with one option
switched on, against the plain network, on Fashion-MNIST (float32, hidden
(256, 256), adam, batch 256), single-threaded, process CPU time, the
configurations alternated (A B C ... A B C ...), medians and ratios from one
run. An epoch's time is the marginal cost: fit(1 + epochs) minus fit(1).

Part 2, search (``--search``): the held-out test accuracy of the best network
``CoarseToFineSearchCV`` finds at the same budget with and without the new
knobs (dropout, weight decay) in its space, over several seeds, on
Fashion-MNIST (10,000 training rows, the official test set) and on two
tabular sets bundled with scikit-learn (digits, breast cancer; 25% held out).

Run: ``python benchmarks/mlp_options.py [--repeats 3] [--epochs 1] [--search
[--seeds 3]] [--quick]``.
"""

import argparse
import warnings

import numpy as np
from scipy.stats import uniform
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skhp
from _data import fashion_mnist_or_synthetic
from _timing import marginal_epoch_seconds

COMMON = dict(hidden_layer_sizes=(256, 256), solver="adam", batch_size=256,
              random_state=0, tol=0.0, n_iter_no_change=10**6)
OPTIONS = {
    "plain": {},
    "dropout 0.2": {"dropout": 0.2},
    "weight_decay 1e-4": {"weight_decay": 1e-4},
    "max_gradient_norm 1": {"max_gradient_norm": 1.0},
    "cosine, warm-up 1": {"learning_rate": "cosine", "warmup_epochs": 1},
    "class_weight balanced": {"class_weight": "balanced"},
    "gelu": {"activation": "gelu"},
    "silu": {"activation": "silu"},
    "leaky_relu": {"activation": "leaky_relu"},
    "elu": {"activation": "elu"},
    "he_normal init": {"weight_init": "he_normal"},
    "batch norm before": {"batch_norm": "before"},
}


def speed_table(X, y, repeats, epochs):
    times = {name: [] for name in OPTIONS}
    with threadpool_limits(1):
        for _ in range(repeats):
            for name, options in OPTIONS.items():
                times[name].append(marginal_epoch_seconds(
                    lambda n, options=options: skhp.MLPClassifier(
                        max_iter=n, **COMMON, **options),
                    X, y, epochs))
    med = {name: float(np.median(t)) for name, t in times.items()}
    print(f"Seconds per epoch, {X.shape[0]} x {X.shape[1]} {X.dtype}, hidden (256, 256), "
          f"adam, batch 256; 1 BLAS thread; medians of {repeats}")
    header = f"{'option':<24}{'s/epoch':>9}{'vs plain':>10}"
    print(header)
    print("-" * len(header))
    for name in OPTIONS:
        print(f"{name:<24}{med[name]:>9.3f}{med[name] / med['plain']:>10.2f}")


def search_spaces():
    base = {
        "mlpclassifier__learning_rate_init": skhp.loguniform(1e-4, 1e-1),
        "mlpclassifier__beta_1": skhp.reverse_loguniform(0.8, 0.999),
        "mlpclassifier__alpha": skhp.loguniform(1e-6, 1e-1),
    }
    knobs = {
        **base,
        "mlpclassifier__dropout": uniform(0.0, 0.5),  # linear in [0, 0.5]
        "mlpclassifier__weight_decay": skhp.loguniform(1e-5, 1e-1),
    }
    return {"without new knobs": base, "with dropout, weight decay": knobs}


def search_table(seeds, quick):
    fashion_X, fashion_y, fashion_X_test, fashion_y_test, name = fashion_mnist_or_synthetic()
    n_train = 2_000 if quick else 10_000
    tasks = {name[:13]: (fashion_X[:n_train], fashion_y[:n_train],
                         fashion_X_test, fashion_y_test, (128,), 10)}
    for label, loader in (("digits", load_digits), ("breast cancer", load_breast_cancer)):
        X, y = loader(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=y)
        tasks[label] = (X_train, y_train, X_test, y_test, (64,), 40)
    n_iter, n_rounds = (6, 2) if quick else (16, 2)
    print(f"\nHeld-out accuracy of the refitted best network, {n_iter} candidates in "
          f"{n_rounds} rounds, 3-fold CV, medians over {seeds} seeds "
          f"(and how often 'with' beats 'without', seed by seed)")
    header = f"{'task':<16}{'without new knobs':>20}{'with dropout, wd':>20}{'with wins':>11}"
    print(header)
    print("-" * len(header))
    for task, (X, y, X_test, y_test, hidden, max_iter) in tasks.items():
        scores = {kind: [] for kind in search_spaces()}
        for seed in range(seeds):
            for kind, space in search_spaces().items():
                net = make_pipeline(StandardScaler(), skhp.MLPClassifier(
                    hidden, max_iter=max_iter, random_state=seed))
                search = skhp.CoarseToFineSearchCV(
                    net, space, n_iter=n_iter, n_rounds=n_rounds, cv=3,
                    random_state=seed, n_jobs=-1)
                search.fit(X, y)
                scores[kind].append(search.score(X_test, y_test))
        without, with_ = scores.values()
        wins = sum(w > o for w, o in zip(with_, without))
        print(f"{task:<16}{np.median(without):>20.4f}{np.median(with_):>20.4f}"
              f"{wins:>6}/{seeds}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--search", action="store_true", help="also run part 2")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="6,000 rows, 1 repeat: checks the script runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y, _, _, _ = fashion_mnist_or_synthetic()
    if args.quick:
        X, y, args.repeats, args.seeds = X[:6000], y[:6000], 1, 1
    else:
        X, y = X[:20_000], y[:20_000]
    speed_table(X, y, args.repeats, args.epochs)
    if args.search:
        search_table(args.seeds, args.quick)


if __name__ == "__main__":
    main()
