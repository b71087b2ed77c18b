"""The anytime race: wall time to a good network, with and without a resource.

Every method tunes the same network over the same space with the same CV and
gets the same wall-clock budget: the time today's search (CoarseToFineSearchCV
without a resource) takes for its candidates, in the same run, per seed. A
timed scorer logs each fold's score as it is computed, so the incumbent (the
best mean CV score among candidates evaluated at the full number of epochs) is
known at any time; at 1/8, 1/4, 1/2 and all of the budget it is refitted on
the whole training set and scored on the held-out test set.

Methods: today's search; CoarseToFineSearchCV with ``resource="max_iter"``
(successive halving in each round, promoted networks trained on), and the
same with ``min_rank_correlation=0.6`` (rungs prune only once rounds that
pruned nothing have shown they rank candidates as the full epochs do);
RandomizedSearchCV; HalvingRandomSearchCV(resource="max_iter") (every rung
retrains); Optuna's TPE with its HyperbandPruner, driving each fold's network
epoch by epoch through ``partial_fit`` as OptunaSearchCV with pruning does.
Fits run one at a time (n_jobs=1) at the machine's default BLAS threads. The
epochs are powers of 3, so that every method's halving (factor 3) ends at them.

Run ``python benchmarks/search_multifidelity.py --seeds 10``; results are
appended to a JSON file (``--out``), and ``--report`` prints the table and
draws the curves from it without running anything. Two variants, each to
its own ``--out``: ``--batch-size 128`` takes the mini-batch size out of the
space (halving over epochs favours small batches, which take more steps and
more time per epoch); ``--zoom-scores raw`` lets the resource-aware search's
zoom learn from the raw scores at whatever rung instead of ranks by the rung
reached (the library's choice). docs/search_benchmarks.md reports both.
"""

import argparse
import json
import os
import time
import warnings

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import check_scoring
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)

from _data import fashion_mnist_or_synthetic
from skhp import CoarseToFineSearchCV, MLPClassifier, MLPRegressor
from skhp.distributions import loguniform, reverse_loguniform

FRACTIONS = (0.125, 0.25, 0.5, 1.0)
METHODS = ("c2f", "c2f_resource", "c2f_resource_same", "c2f_calibrated", "random", "halving",
           "optuna")
LABELS = {
    "c2f": "CoarseToFineSearchCV (today)",
    "c2f_resource": "CoarseToFineSearchCV(resource='max_iter', min_rank_correlation=None)",
    "c2f_resource_same": "the same, today's candidates and rounds",
    "c2f_calibrated": "CoarseToFineSearchCV(resource, min_rank_correlation=0.6)",
    "random": "RandomizedSearchCV",
    "halving": "HalvingRandomSearchCV(max_iter)",
    "optuna": "Optuna TPE + Hyperband (partial_fit)",
}
EPOCHS = {"n": 0}
FIXED = {}  # parameters taken out of the space (--batch-size)


class _Counting:
    """Counts the epochs every fit trains (a continued fit counts the new ones)."""

    def fit(self, X, y, sample_weight=None):
        before = self.n_iter_ if self.warm_start == "continue" and hasattr(self, "n_iter_") else 0
        super().fit(X, y, sample_weight=sample_weight)
        EPOCHS["n"] += self.n_iter_ - before
        return self

    def partial_fit(self, X, y, **kwargs):
        super().partial_fit(X, y, **kwargs)
        EPOCHS["n"] += 1
        return self


class CountingClassifier(_Counting, MLPClassifier):
    pass


class CountingRegressor(_Counting, MLPRegressor):
    pass


def _scaled(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-12
    return (X_train - mean) / std, (X_test - mean) / std


def load_task(name):
    """(X_train, y_train, X_test, y_test, estimator, cv, n_candidates, n_rounds)."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X / 16, y, test_size=0.3, stratify=y,
                                                  random_state=0)
        est = CountingClassifier(max_iter=27, random_state=0)
        return X_tr, y_tr, X_te, y_te, est, StratifiedKFold(3, shuffle=True, random_state=0), 24, 3
    if name == "fashion-mnist":
        X_tr, y_tr, X_te, y_te, _ = fashion_mnist_or_synthetic(dtype=np.float32)
        rows = np.random.default_rng(0).choice(len(X_tr), 10_000, replace=False)
        est = CountingClassifier(max_iter=9, random_state=0)
        return (X_tr[rows], y_tr[rows], X_te, y_te, est,
                StratifiedKFold(3, shuffle=True, random_state=0), 12, 3)
    if name == "breast-cancer":
        X, y = load_breast_cancer(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=0)
        X_tr, X_te = _scaled(X_tr, X_te)
        est = CountingClassifier(max_iter=81, random_state=0)
        return X_tr, y_tr, X_te, y_te, est, StratifiedKFold(3, shuffle=True, random_state=0), 24, 3
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
        X_tr, X_te = _scaled(X_tr, X_te)
        # R^2 does not change when y is standardized (with the training rows' mean and std)
        mean, std = y_tr.mean(), y_tr.std()
        est = CountingRegressor(max_iter=81, random_state=0)
        return ((X_tr), (y_tr - mean) / std, X_te, (y_te - mean) / std, est,
                KFold(3, shuffle=True, random_state=0), 24, 3)
    raise ValueError(name)


SPACE = {
    "learning_rate_init": loguniform(1e-4, 1e-1),
    "alpha": loguniform(1e-6, 1e-1),
    "beta_1": reverse_loguniform(0.8, 0.999),
    "batch_size": [32, 64, 128, 256],
    "hidden_layer_sizes": [(32,), (64,), (128,), (256,)],
}


class BudgetSpent(BaseException):
    """Raised by the timed scorer once the budget is spent (not an Exception,
    so that no search records it as a failed fit)."""


class TimedScorer:
    """A scorer that logs ``(seconds, candidate, epochs, score)`` per fold."""

    def __init__(self, estimator, log, start, deadline):
        self.scorer = check_scoring(estimator)
        self.log, self.start, self.deadline = log, start, deadline

    def __call__(self, estimator, X, y):
        score = self.scorer(estimator, X, y)
        now = time.perf_counter() - self.start
        self.log.append((now, _key(estimator.get_params()), estimator.max_iter, score))
        if now > self.deadline:
            raise BudgetSpent
        return score


def _key(params):
    return json.dumps({k: (list(params[k]) if isinstance(params[k], tuple) else params[k])
                       for k in sorted(SPACE)}, sort_keys=True)


def _completed(log, max_iter, n_splits):
    """(seconds, key, mean score) of candidates scored on every fold at max_iter."""
    folds, done = {}, []
    for t, key, epochs, score in log:
        if epochs != max_iter:
            continue
        folds.setdefault(key, []).append(score)
        if len(folds[key]) == n_splits:
            done.append((t, key, float(np.mean(folds[key]))))
    return done


def run_sklearn_like(method, est, X, y, cv, seed, budget, n_candidates, n_rounds):
    log, start = [], time.perf_counter()
    scorer = TimedScorer(est, log, start, budget)
    common = dict(cv=cv, scoring=scorer, n_jobs=1, random_state=seed, refit=False)
    if method == "c2f":
        search = CoarseToFineSearchCV(est, SPACE, n_iter=n_candidates, n_rounds=n_rounds, **common)
    elif method == "c2f_resource":
        # Three times the candidates (each costs about a third with rungs of
        # factor 3) in rounds of 9 (rungs of 9, 3 and 1 candidates), so that
        # the first networks trained to the full epochs come early.
        search = CoarseToFineSearchCV(est, SPACE, n_iter=3 * n_candidates,
                                      n_rounds=3 * n_candidates // 9, resource="max_iter",
                                      min_rank_correlation=None, **common)
    elif method == "c2f_calibrated":
        # The resource-aware search whose rungs prune only once rounds that
        # pruned nothing have shown they rank as the full epochs do.
        search = CoarseToFineSearchCV(est, SPACE, n_iter=3 * n_candidates,
                                      n_rounds=3 * n_candidates // 9, resource="max_iter",
                                      min_rank_correlation=0.6, **common)
    elif method == "c2f_resource_same":
        # What a user gets by adding resource= to today's search: the same
        # candidates per round, halving within each.
        search = CoarseToFineSearchCV(est, SPACE, n_iter=n_candidates, n_rounds=n_rounds,
                                      resource="max_iter", min_rank_correlation=None,
                                      **common)
    elif method == "random":
        search = RandomizedSearchCV(est, SPACE, n_iter=10_000, **common)
    elif method == "halving":
        search = HalvingRandomSearchCV(est, SPACE, n_candidates=3 * n_candidates,
                                       resource="max_iter", max_resources=est.max_iter,
                                       # its last iteration at the full epochs (the
                                       # default, "smallest", stops below them)
                                       min_resources="exhaust", factor=3, **common)
    try:
        search.fit(X, y)
    except BudgetSpent:
        pass
    return log, time.perf_counter() - start


def run_optuna(est, X, y, cv, seed, budget):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    max_iter = est.max_iter
    splits = list(cv.split(X, y))
    classes = np.unique(y) if is_classifier(est) else None
    scorer = check_scoring(est)
    log, start = [], time.perf_counter()

    def objective(trial):
        params = {
            "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 1e-1, log=True),
            "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            "beta_1": 1 - trial.suggest_float("one_minus_beta_1", 1e-3, 0.2, log=True),
            **({"batch_size": trial.suggest_categorical("batch_size", SPACE["batch_size"])}
               if "batch_size" in SPACE else {}),
            "hidden_layer_sizes": (trial.suggest_categorical("units", [32, 64, 128, 256]),),
        }
        models = [clone(est).set_params(**params) for _ in splits]
        for epoch in range(1, max_iter + 1):
            scores = []
            for model, (train, test) in zip(models, splits):
                if classes is not None:
                    model.partial_fit(X[train], y[train], classes=classes)
                else:
                    model.partial_fit(X[train], y[train])
                scores.append(scorer(model, X[test], y[test]))
            score = float(np.mean(scores))
            now = time.perf_counter() - start
            if epoch == max_iter:
                log.extend((now, _key({**est.get_params(), **params}), max_iter, s)
                           for s in scores)
            if now > budget:
                raise BudgetSpent
            trial.report(score, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return score

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_iter,
                                              reduction_factor=3),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            study.optimize(objective, n_trials=100_000, catch=(ValueError,))
        except BudgetSpent:
            pass
    return log, time.perf_counter() - start


def incumbents(log, est, n_splits, budget):
    """The incumbent's key at each fraction of the budget (None if none yet)."""
    done = _completed(log, est.max_iter, n_splits)
    picks = []
    for fraction in FRACTIONS:
        seen = [(score, key) for t, key, score in done if t <= fraction * budget]
        picks.append(max(seen)[1] if seen else None)
    return picks


def test_score(est, key, X_tr, y_tr, X_te, y_te, cache):
    if key is None:
        return None
    if key not in cache:
        params = json.loads(key)
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        model = clone(est).set_params(**params).fit(X_tr, y_tr)
        cache[key] = float(check_scoring(est)(model, X_te, y_te))
    return cache[key]


def run_seed(task, seed, methods):
    X_tr, y_tr, X_te, y_te, est, cv, n_candidates, n_rounds = load_task(task)
    if "batch_size" not in SPACE:  # --batch-size: fixed, not searched
        est.set_params(batch_size=FIXED["batch_size"])
    n_splits = cv.get_n_splits()
    rows, cache = {}, {}
    budget = None
    for method in methods:  # c2f first: it sets the budget
        EPOCHS["n"] = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)
            if method == "optuna":
                log, seconds = run_optuna(est, X_tr, y_tr, cv, seed, budget)
            else:
                log, seconds = run_sklearn_like(
                    method, est, X_tr, y_tr, cv, seed, np.inf if budget is None else budget,
                    n_candidates, n_rounds,
                )
        if budget is None:
            budget = seconds
        epochs = EPOCHS["n"]
        picks = incumbents(log, est, n_splits, budget)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = [test_score(est, k, X_tr, y_tr, X_te, y_te, cache) for k in picks]
        done = _completed(log, est.max_iter, n_splits)
        rows[method] = {"test": scores, "epochs": epochs, "seconds": seconds,
                        "n_full": len(done),
                        "curve": [(t, s) for t, _, s in done]}
        print(f"  {task} seed {seed} {method:13s} {seconds:6.1f}s epochs {epochs:6d} "
              f"full {len(done):3d} test {scores}", flush=True)
    return {"task": task, "seed": seed, "budget": budget, "methods": rows}


def _median(values):
    values = [v for v in values if v is not None]
    return float(np.median(values)) if values else float("nan")


def report(records, plot_path=None):
    tasks = sorted({r["task"] for r in records}, key=lambda t: list(TASK_NAMES).index(t))
    lines = []
    for task in tasks:
        recs = [r for r in records if r["task"] == task]
        budget = np.median([r["budget"] for r in recs])
        lines.append(f"\n{task}: {len(recs)} seeds, budget {budget:.0f} s "
                     "(median of today's search's wall time)")
        lines.append("| method | 1/8 | 1/4 | 1/2 | all | epochs | full evaluations |")
        lines.append("|---|---|---|---|---|---|---|")
        for method in METHODS:
            ms = [r["methods"][method] for r in recs if method in r["methods"]]
            if not ms:
                continue
            cells = [_median([m["test"][i] for m in ms]) for i in range(len(FRACTIONS))]
            lines.append(
                f"| {LABELS[method]} | " + " | ".join(f"{c:.4f}" for c in cells)
                + f" | {np.median([m['epochs'] for m in ms]):.0f} | "
                f"{np.median([m['n_full'] for m in ms]):.0f} |"
            )
        target = _median([r["methods"]["c2f"]["test"][-1] for r in recs])
        for method in ("c2f_resource", "c2f_calibrated"):
            if not any(method in r["methods"] for r in recs):
                continue
            medians = [_median([r["methods"][method]["test"][i] for r in recs
                                if method in r["methods"]])
                       for i in range(len(FRACTIONS))]
            first = next((f for f, m in zip(FRACTIONS, medians) if m >= target), None)
            lines.append(
                f"today's final median test score {target:.4f}: {LABELS[method]}'s "
                "median "
                + ("never reaches it within the budget" if first is None
                   else f"first reaches it at {first:g} of the budget")
            )
    text = "\n".join(lines)
    print(text)
    if plot_path:
        _plot(records, tasks, plot_path)
    return text


def _plot(records, tasks, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        recs = [r for r in records if r["task"] == task]
        for method in METHODS:
            ms = [r["methods"][method] for r in recs if method in r["methods"]]
            if not ms:
                continue
            medians = [_median([m["test"][i] for m in ms]) for i in range(len(FRACTIONS))]
            ax.plot(FRACTIONS, medians, marker="o", label=LABELS[method])
        ax.set_xscale("log", base=2)
        ax.set_xticks(FRACTIONS, ["1/8", "1/4", "1/2", "1"])
        ax.set_xlabel("fraction of the wall-clock budget")
        ax.set_title(f"{task} ({len(recs)} seeds)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("median held-out test score\nof the incumbent (accuracy or R²)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


TASK_NAMES = ("digits", "fashion-mnist", "breast-cancer", "diabetes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--tasks", nargs="*", default=list(TASK_NAMES), choices=TASK_NAMES)
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    parser.add_argument("--out", default="search_multifidelity.json",
                        help="JSON file the results are appended to")
    parser.add_argument("--plot", default=None, help="PNG of the curves")
    parser.add_argument("--report", action="store_true", help="only report --out")
    parser.add_argument("--zoom-scores", choices=["rank", "raw"], default="rank",
                        help="what the resource-aware search's zoom learns from: "
                             "ranks by rung reached, then score (the library's "
                             "choice), or the raw scores at whatever rung "
                             "(use another --out)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="fix the mini-batch size instead of searching it "
                             "(use another --out)")
    args = parser.parse_args()
    if args.zoom_scores == "raw":
        import skhp.model_selection._coarse_to_fine as c2f

        c2f.rank_across_rungs = lambda levels, scores: np.asarray(scores, dtype=float)
    if args.batch_size is not None:
        del SPACE["batch_size"]
        FIXED["batch_size"] = args.batch_size
    records = []
    if os.path.exists(args.out):
        with open(args.out) as f:
            records = json.load(f)
    if not args.report:
        methods = ["c2f"] + [m for m in args.methods if m != "c2f"]
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for task in args.tasks:
                records.append(run_seed(task, seed, methods))
                with open(args.out, "w") as f:
                    json.dump(records, f)
    report(records, args.plot)


if __name__ == "__main__":
    main()
