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

Part 3, ``skhp tune``'s space (``--tune-space``): the same question at ``skhp
tune``'s own budget and space (30 candidates in 3 rounds, 3-fold CV, 100
epochs, its default space of eight entries), with and without the two lines
that add dropout and weight decay (``REGULARIZATION_SPACE`` in
``skhp/cli/_space.py``), on skhp tune's bundled classification sets (digits,
breast cancer, wine; 25% held out). It decides what the default space holds.
First, the decades of weight decay that do anything at that budget (digits,
100 epochs), which set the range of ``REGULARIZATION_SPACE``.

Run: ``python benchmarks/mlp_options.py [--repeats 3] [--epochs 1] [--search
[--seeds 3]] [--tune-space [--seeds 5]] [--quick]``.
"""

import argparse
import time
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


def weight_decay_table(quick):
    """How much decoupled weight decay shrinks the weights at a tune-sized budget.

    The weights shrink by ``1 - learning_rate * weight_decay`` per step, so
    what counts is ``learning_rate * weight_decay * steps``; this finds the
    decades where that does something at skhp tune's 100 epochs.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    epochs, seeds = (10, 1) if quick else (100, 2)
    print(f"\nWeight decay on digits: hidden (128,), adam, batch 64 "
          f"({-(-len(y_train) // 64)} steps an epoch), {epochs} epochs; "
          f"held-out accuracy and the weights' norm, means of {seeds} seeds")
    header = f"{'lr':>7}{'weight_decay':>14}{'accuracy':>10}{'|W|':>8}"
    print(header)
    print("-" * len(header))
    for lr in (1e-3, 1e-2):
        for decay in (0, 1e-4, 1e-3, 1e-2, 1e-1, 1, 3, 10):
            accuracy, norm = [], []
            for seed in range(seeds):
                net = skhp.MLPClassifier(
                    (128,), learning_rate_init=lr, batch_size=64, max_iter=epochs,
                    weight_decay=decay, random_state=seed).fit(X_train, y_train)
                accuracy.append(net.score(X_test, y_test))
                norm.append(np.sqrt(sum((c**2).sum() for c in net.coefs_)))
            print(f"{lr:>7g}{decay:>14g}{np.mean(accuracy):>10.4f}{np.mean(norm):>8.2f}")


def tune_space_table(seeds, quick):
    from skhp.cli import _factory
    from skhp.cli._data import load_dataset
    from skhp.cli._space import REGULARIZATION_SPACE, build_space
    from skhp.cli._tune import _fit_batch_sizes

    n_iter, n_rounds, max_iter = (6, 2, 10) if quick else (30, 3, 100)
    spaces = {"default": {}, "default + dropout, wd": REGULARIZATION_SPACE}
    supported = _factory.supported_params("classification")
    print(f"\nskhp tune's space: held-out accuracy of the refitted best network, "
          f"{n_iter} candidates in {n_rounds} rounds, 3-fold CV, {max_iter} epochs; "
          f"{seeds} seeds: median, mean, and how often 'with' beats / ties 'without'")
    header = (f"{'task':<15}{'default':>9}{'mean':>8}{'+ dropout, wd':>15}{'mean':>8}"
              f"{'wins/ties':>11}{'s without':>11}{'s with':>8}")
    print(header)
    print("-" * len(header))
    for name in ("digits", "breast-cancer", "wine"):
        X, y = load_dataset(name)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=y)
        scores = {kind: [] for kind in spaces}
        seconds = {kind: 0.0 for kind in spaces}
        for seed in range(seeds):
            for kind, overrides in spaces.items():
                space, _ = build_space(overrides, supported)
                _fit_batch_sizes(space, n_train=len(y_train) * 2 // 3)
                search = _factory.make_search(
                    _factory.make_estimator("classification", max_iter=max_iter,
                                            random_state=seed),
                    {f"{_factory.STEP}__{k}": v for k, v in space.items()},
                    n_iter=n_iter, n_rounds=n_rounds, cv=3, scoring="accuracy",
                    n_jobs=-1, random_state=seed)
                started = time.perf_counter()
                with threadpool_limits(1):
                    search.fit(X_train, y_train)
                seconds[kind] += time.perf_counter() - started
                scores[kind].append(search.score(X_test, y_test))
        without, with_ = (np.array(v) for v in scores.values())
        print(f"{name:<15}{np.median(without):>9.4f}{without.mean():>8.4f}"
              f"{np.median(with_):>15.4f}{with_.mean():>8.4f}"
              f"{f'{(with_ > without).sum()}/{(with_ == without).sum()}':>11}"
              f"{seconds['default'] / seeds:>11.0f}"
              f"{seconds['default + dropout, wd'] / seeds:>8.0f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--search", action="store_true", help="also run part 2")
    parser.add_argument("--tune-space", action="store_true",
                        help="only part 3: weight decay's useful range, then skhp tune's "
                        "space with and without dropout and weight decay")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="6,000 rows, 1 repeat: checks the script runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.tune_space:
        weight_decay_table(args.quick)
        tune_space_table(1 if args.quick else args.seeds, args.quick)
        return
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
