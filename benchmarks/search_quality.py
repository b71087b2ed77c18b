"""Search quality at equal budget: CoarseToFineSearchCV against the usual searches.

Synthetic score surfaces with known optima (fits cost nothing, so many seeds are
cheap) and one real estimator on bundled data. Every method gets the same budget
(60 candidates x folds; successive halving gets the same total resource), seed by
seed. Printed: median regret (synthetic) or median best CV score (real), ratios to
random search, and how often CoarseToFine beats each rival seed by seed (ties
count half).

Usage::

    python benchmarks/search_quality.py                # the table in the docs
    python benchmarks/search_quality.py --variants     # zoom designs compared
    python benchmarks/search_quality.py --seeds 5 --tasks hartmann6
"""

import argparse
import hashlib
import time
import warnings

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingRandomSearchCV, RandomizedSearchCV
from threadpoolctl import threadpool_limits

from skhp import CoarseToFineSearchCV, layer_sizes, loguniform, loguniform_int, reverse_loguniform
from _zoom_variants import FactorizedScreen, FactorizedScreenCrossover, JointScreen, KernelsOnly

BUDGET = 60
R_MAX = 27  # full fidelity of the synthetic surfaces, for successive halving

# -- synthetic surfaces ----------------------------------------------------------
HARTMANN_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
HARTMANN_P = 1e-4 * np.array(
    [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
)
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return -float(HARTMANN_ALPHA @ np.exp(-(HARTMANN_A * (x - HARTMANN_P) ** 2).sum(1)))


def styblinski_tang4(p):
    x = np.array([p[f"x{i}"] for i in range(4)])
    return float(0.5 * (x**4 - 16 * x**2 + 5 * x).sum())


def branin(p):
    x, y = p["x0"], p["x1"]
    b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
    return float((y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * np.cos(x) + 10)


def lr_wd(p):
    """A log-scale bowl in (learning rate, weight decay), plus an optimizer choice."""
    penalty = {"adam": 0.0, "rmsprop": 0.3, "sgd": 0.8}[p["opt"]]
    return float((np.log10(p["lr"]) + 2.5) ** 2 + 0.5 * (np.log10(p["wd"]) + 4.2) ** 2 + penalty)


def two_basins_mixed(p):
    """Mixed-type space with two basins (small batch + small lr, large batch + large
    lr), a beta near 1, an architecture, a categorical and two irrelevant dims."""
    lr, batch = np.log10(p["lr"]), np.log2(p["batch"])
    basin_a = (lr + 3.5) ** 2 + 0.3 * (batch - 5) ** 2
    basin_b = 0.4 + 2 * (lr + 1.2) ** 2 + 0.3 * (batch - 9) ** 2
    beta = (np.log10(1 - p["beta"]) + 2.3) ** 2
    layers = p["layers"]
    arch = 0.2 * abs(len(layers) - 2) + 0.3 * np.mean([(np.log2(u) - 7) ** 2 for u in layers]) ** 0.5
    act = {"relu": 0.0, "gelu": 0.05, "tanh": 0.4, "logistic": 0.8}[p["act"]]
    return float(min(basin_a, basin_b) + 0.5 * beta + arch + act)


TASKS = {
    "branin": dict(
        f=branin, fmin=0.397887,
        space={"x0": stats.uniform(-5, 15), "x1": stats.uniform(0, 15)},
    ),
    "hartmann6": dict(
        f=hartmann6, fmin=-3.32237,
        space={f"x{i}": stats.uniform(0, 1) for i in range(6)},
    ),
    "styblinski_tang4": dict(
        f=styblinski_tang4, fmin=-39.16599 * 4,
        space={f"x{i}": stats.uniform(-5, 10) for i in range(4)},
    ),
    "lr_wd": dict(
        f=lr_wd, fmin=0.0,
        space={"lr": loguniform(1e-6, 1.0), "wd": loguniform(1e-8, 1e-1),
               "opt": ["sgd", "adam", "rmsprop"]},
    ),
    "two_basins_mixed": dict(
        f=two_basins_mixed, fmin=0.0,
        space={"lr": loguniform(1e-6, 1.0), "batch": loguniform_int(8, 2048),
               "beta": reverse_loguniform(0.8, 0.9999),
               "layers": layer_sizes(n_layers=(1, 3), units=(16, 1024)),
               "act": ["relu", "gelu", "tanh", "logistic"],
               "noise0": stats.uniform(0, 1), "noise1": loguniform(1e-3, 1e3)},
    ),
}
_PARAM_NAMES = sorted({name for t in TASKS.values() for name in t["space"]})


def _fidelity_error(params, r, scale):
    """Deterministic error of a low-fidelity evaluation, zero at full fidelity."""
    if r >= R_MAX:
        return 0.0
    digest = hashlib.sha256(repr(sorted(params.items())).encode()).digest()
    z = np.random.default_rng(int.from_bytes(digest[:8], "little")).standard_normal()
    return scale * (1 - r / R_MAX) * z


class Surface(BaseEstimator):
    """An 'estimator' whose score is minus a synthetic surface: fitting is free."""

    def __init__(self, task="branin", n_resource=R_MAX, x0=None, x1=None, x2=None,
                 x3=None, x4=None, x5=None, lr=None, wd=None, opt=None, batch=None,
                 beta=None, layers=None, act=None, noise0=None, noise1=None):
        for name, value in locals().items():
            if name != "self":
                setattr(self, name, value)

    def fit(self, X, y=None):
        return self

    def _params(self):
        return {k: getattr(self, k) for k in TASKS[self.task]["space"]}

    def score(self, X, y=None):
        params = self._params()
        value = TASKS[self.task]["f"](params)
        return -(value + _fidelity_error(params, self.n_resource, TASKS[self.task].get("scale", 1.0)))


def set_scales():
    """Scale of each surface's low-fidelity error: half the spread of the
    surface under random search (200 points, seed 0). Computed once a process
    (0.3 s): a worker of ``search_rounds.py`` runs many searches."""
    for task in TASKS:
        if "scale" in TASKS[task]:
            continue
        rng = np.random.default_rng(0)
        values = [TASKS[task]["f"]({k: (d.rvs(random_state=rng) if hasattr(d, "rvs")
                                        else d[rng.integers(len(d))])
                                    for k, d in TASKS[task]["space"].items()}) for _ in range(200)]
        TASKS[task]["scale"] = 0.5 * float(np.std(values))


X_DUMMY, Y_DUMMY = np.zeros((4, 1)), np.zeros(4)
ONE_SPLIT = [(np.arange(2), np.arange(2, 4))]


def _regret(task, params):
    full = {k: params[k] for k in TASKS[task]["space"]}
    return TASKS[task]["f"](full) - TASKS[task]["fmin"]


def run_c2f(task, seed, sampler=None, **kw):
    """Regret of CoarseToFineSearchCV, its zoom done by ``sampler`` (a ZoomSampler
    subclass from _zoom_variants) when given."""
    cls = CoarseToFineSearchCV
    if sampler is not None:
        if not hasattr(CoarseToFineSearchCV, "_sampler_class"):
            raise RuntimeError("this CoarseToFineSearchCV takes no _sampler_class: "
                               "a variant would silently run the default zoom")
        cls = type("Variant", (CoarseToFineSearchCV,), {"_sampler_class": sampler})
    s = cls(Surface(task=task), TASKS[task]["space"], n_iter=BUDGET,
            cv=ONE_SPLIT, random_state=seed, refit=False, **kw)
    return _regret(task, s.fit(X_DUMMY, Y_DUMMY).best_params_)


def run_random(task, seed):
    s = RandomizedSearchCV(Surface(task=task), TASKS[task]["space"], n_iter=BUDGET,
                           cv=ONE_SPLIT, random_state=seed, refit=False)
    return _regret(task, s.fit(X_DUMMY, Y_DUMMY).best_params_)


def run_halving(task, seed):
    # 3 rungs at resources 3, 9, 27 with factor 3: 180 candidates cost 60 full ones.
    s = HalvingRandomSearchCV(Surface(task=task), TASKS[task]["space"], n_candidates=3 * BUDGET,
                              resource="n_resource", min_resources=3, max_resources=R_MAX,
                              factor=3, cv=ONE_SPLIT, random_state=seed, refit=False)
    return _regret(task, s.fit(X_DUMMY, Y_DUMMY).best_params_)


def _suggest(trial, name, dist):
    """One parameter of an skhp/scipy space through Optuna's suggest API."""
    import optuna  # noqa: F401

    if isinstance(dist, list):
        return trial.suggest_categorical(name, dist)
    if isinstance(dist, loguniform):
        return trial.suggest_float(name, dist.low, dist.high, log=True)
    if isinstance(dist, loguniform_int):
        return trial.suggest_int(name, dist.low, dist.high, log=True)
    if isinstance(dist, reverse_loguniform):
        return 1 - trial.suggest_float(name + "_1m", 1 - dist.high, 1 - dist.low, log=True)
    if isinstance(dist, layer_sizes):
        depth = trial.suggest_int(name + "_depth", *dist.n_layers)
        return tuple(trial.suggest_int(f"{name}_{i}", *dist.units, log=True) for i in range(depth))
    lo, hi = dist.support()  # scipy uniform
    return trial.suggest_float(name, lo, hi)


def run_tpe(task, seed):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space, f = TASKS[task]["space"], TASKS[task]["f"]
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    best = {"v": np.inf}

    def objective(trial):
        params = {name: _suggest(trial, name, d) for name, d in space.items()}
        v = f(params)
        best["v"] = min(best["v"], v)
        return v

    study.optimize(objective, n_trials=BUDGET)
    return best["v"] - TASKS[task]["fmin"]


# -- a real estimator --------------------------------------------------------------
def _real_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, train_test_split

    X, y = load_digits(return_X_y=True)
    X, X_test, y, y_test = train_test_split(X / 16, y, train_size=600, random_state=0, stratify=y)
    return X, y, X_test, y_test, StratifiedKFold(3, shuffle=True, random_state=0)


REAL_SPACE = {"C": loguniform(1e-3, 1e4), "gamma": loguniform(1e-5, 1e1),
              "kernel": ["rbf", "sigmoid"]}


def run_real(method, seed):
    """Best CV accuracy and held-out accuracy of SVC on a digits subset."""
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    X, y, X_test, y_test, cv = _real_data()
    if method == "tpe":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(lambda t: cross_val_score(
            SVC(**{n: _suggest(t, n, d) for n, d in REAL_SPACE.items()}), X, y, cv=cv).mean(),
            n_trials=BUDGET)
        best_params = study.best_params
        best = study.best_value
    else:
        if method == "random":
            s = RandomizedSearchCV(SVC(), REAL_SPACE, n_iter=BUDGET, cv=cv, random_state=seed, refit=False)
        elif method == "halving":
            s = HalvingRandomSearchCV(SVC(), REAL_SPACE, n_candidates=3 * BUDGET, factor=3,
                                      min_resources=len(y) // 9, max_resources=len(y), cv=cv,
                                      random_state=seed, refit=False)
        else:
            s = CoarseToFineSearchCV(SVC(), REAL_SPACE, n_iter=BUDGET, cv=cv, random_state=seed,
                                     refit=False)
        s.fit(X, y)
        best_params, best = s.best_params_, s.best_score_
    held_out = SVC(**best_params).fit(X, y).score(X_test, y_test)
    return best, held_out


# -- reporting -----------------------------------------------------------------------
def win_rate(a, b, lower_is_better=True):
    a, b = np.asarray(a), np.asarray(b)
    wins = (a < b) if lower_is_better else (a > b)
    return float(np.mean(wins + 0.5 * (a == b)))


VARIANTS = {
    # The zoom designs tried; the first is the default. Rows without "default"
    # switch off the later ingredients of the design one by one.
    "default: multi-region, TPE screen, crossover, category swaps": {},
    "naive zoom (best only, box shrinks, no exploration)": dict(
        elite_fraction=1e-9, max_regions=1, explore_fraction=0.0, sampler=KernelsOnly),
    "CEM (one region around the elites, no screen)": dict(max_regions=1, sampler=KernelsOnly),
    "multi-region kernels, no screen": dict(sampler=KernelsOnly),
    "multi-region, joint-kernel screen": dict(sampler=JointScreen),
    "multi-region, factorized screen": dict(sampler=FactorizedScreen),
    "multi-region, factorized screen + crossover": dict(sampler=FactorizedScreenCrossover),
    "default, single region": dict(max_regions=1),
    "default, explore 0.2": dict(explore_fraction=0.2),
    "default, no exploration": dict(explore_fraction=0.0),
    "default, 4 rounds": dict(n_rounds=4),
    "default, 8 rounds": dict(n_rounds=8),
    "default, zoom 0.5": dict(zoom_factor=0.5),
    "default, zoom 0.85": dict(zoom_factor=0.85),
    "default, elites 0.3": dict(elite_fraction=0.3),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=21)
    parser.add_argument("--tasks", nargs="*", default=list(TASKS))
    parser.add_argument("--variants", action="store_true", help="compare zoom designs")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--only", nargs="*", help="variants to run")
    args = parser.parse_args()
    seeds = range(args.seeds)
    warnings.filterwarnings("ignore")

    set_scales()
    if args.variants:
        print(f"Zoom designs, median regret at {BUDGET} candidates over {args.seeds} seeds "
              "(ratio to random search in brackets)\n")
        random_regret = {t: [run_random(t, s) for s in seeds] for t in args.tasks}
        header = "| design | " + " | ".join(args.tasks) + " |"
        print(header + "\n|" + "---|" * (len(args.tasks) + 1))
        for name, kw in VARIANTS.items():
            if args.only and name not in args.only:
                continue
            cells = []
            for t in args.tasks:
                # the table's designs were compared at 6 rounds of 10 at 0.7
                r = [run_c2f(t, s, **{"n_rounds": 6, **kw}) for s in seeds]
                cells.append(f"{np.median(r):.3g} ({np.median(r) / np.median(random_regret[t]):.2f})")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        return

    methods = {"CoarseToFine": run_c2f, "Random": run_random, "Halving": run_halving, "TPE": run_tpe}
    print(f"Synthetic surfaces: median regret at {BUDGET} candidates over {args.seeds} seeds\n")
    print("| task | CoarseToFine | Random | Halving | TPE (Optuna) | C2F / Random | "
          "C2F / TPE | C2F wins vs Random | vs Halving | vs TPE |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with threadpool_limits(1):
        for task in args.tasks:
            regrets = {m: [] for m in methods}
            for s in seeds:
                for m, fn in methods.items():  # interleaved, seed by seed
                    regrets[m].append(fn(task, s))
            med = {m: float(np.median(v)) for m, v in regrets.items()}
            c = regrets["CoarseToFine"]
            print(f"| {task} | {med['CoarseToFine']:.3g} | {med['Random']:.3g} | {med['Halving']:.3g} "
                  f"| {med['TPE']:.3g} | {med['CoarseToFine'] / med['Random']:.2f} "
                  f"| {med['CoarseToFine'] / med['TPE']:.2f} | {win_rate(c, regrets['Random']):.0%} "
                  f"| {win_rate(c, regrets['Halving']):.0%} | {win_rate(c, regrets['TPE']):.0%} |",
                  flush=True)

        if args.no_real:
            return
        print(f"\nSVC on 600 digits, 3-fold CV: median best CV accuracy / held-out accuracy "
              f"over {args.seeds} seeds\n")
        print("| method | best CV accuracy | held-out accuracy | C2F wins (CV) | seconds/search |")
        print("|---|---|---|---|---|")
        res = {m: [] for m in ["c2f", "random", "halving", "tpe"]}
        times = {m: [] for m in res}
        for s in seeds:
            for m in res:
                t0 = time.perf_counter()
                res[m].append(run_real(m, s))
                times[m].append(time.perf_counter() - t0)
        c2f_cv = [r[0] for r in res["c2f"]]
        for m, label in [("c2f", "CoarseToFine"), ("random", "Random"), ("halving", "Halving"),
                         ("tpe", "TPE (Optuna)")]:
            cv_scores = [r[0] for r in res[m]]
            wins = "-" if m == "c2f" else f"{win_rate(c2f_cv, cv_scores, lower_is_better=False):.0%}"
            print(f"| {label} | {np.median(cv_scores):.4f} | {np.median([r[1] for r in res[m]]):.4f} "
                  f"| {wins} | {np.median(times[m]):.2f} |")


if __name__ == "__main__":
    main()
