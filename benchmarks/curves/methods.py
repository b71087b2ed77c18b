"""The methods the race runs, each on a replay table in simulated time.

Every method is a function ``(table, seed, n_workers, horizon) -> list of
Fit``: the fits it made, each with its simulated finish time. Searches
built on scikit-learn (``RandomizedSearchCV``, ``HalvingRandomSearchCV``,
skhp's ``CoarseToFineSearchCV``) run on :class:`~replay.ReplayMLP` with the
table's one validation split as their cv; their fits are batches (one
``Parallel`` call each). Optuna and SMAC3 run through their ask-and-tell
interfaces on :class:`AsyncWorkers`: a worker that finishes asks at once
for the next trial, as their parallel modes do. Open-ended methods start no
trial after ``horizon``.
"""

import functools
import heapq
import tempfile
import warnings

from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingRandomSearchCV, ParameterSampler, RandomizedSearchCV

from replay import Fit, ReplayMLP, SimulatedClock, stand_in_data
from skhp import CoarseToFineSearchCV
from skhp.cli._args import build_parser

N_CANDIDATES = 60  # full-fidelity searches: B is random search's time for these


# -- searches on the replay estimator -------------------------------------------
def _sklearn_search(table, n_workers, search):
    clock = SimulatedClock(n_workers)
    ReplayMLP.clock = clock
    X, y, _ = stand_in_data()
    try:
        with clock.batches(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
    finally:
        ReplayMLP.clock = None
    return clock.fits


def _replay(table):
    return ReplayMLP(table=table.name, max_iter=table.max_epochs)


def random_search(table, seed, n_workers, horizon):
    """scikit-learn's RandomizedSearchCV, 60 candidates at the full epochs."""
    _, _, split = stand_in_data()
    return _sklearn_search(table, n_workers, RandomizedSearchCV(
        _replay(table), table.space, n_iter=N_CANDIDATES, cv=split, refit=False,
        random_state=seed))


def halving(table, seed, n_workers, horizon):
    """scikit-learn's HalvingRandomSearchCV over the epochs, at its defaults."""
    _, _, split = stand_in_data()
    return _sklearn_search(table, n_workers, HalvingRandomSearchCV(
        _replay(table), table.space, resource="max_iter", max_resources=table.max_epochs,
        cv=split, refit=False, random_state=seed))


def coarse_to_fine(table, seed, n_workers, horizon, **params):
    """skhp's CoarseToFineSearchCV at its defaults (60 candidates in 6 rounds,
    full epochs), or with ``params``."""
    _, _, split = stand_in_data()
    return _sklearn_search(table, n_workers, CoarseToFineSearchCV(
        _replay(table), table.space, cv=split, refit=False, random_state=seed, **params))


@functools.cache
def tune_size():
    """``skhp tune``'s default ``(n_iter, n_rounds)``, read from the command's
    own parser: the one place the benchmarks take it from."""
    size = build_parser().parse_args(["tune"])
    return size.n_iter, size.n_rounds


def skhp_tune(table, seed, n_workers, horizon):
    """What ``skhp tune`` runs by default: 120 candidates in 8 rounds, rungs
    over the epochs (a calibration sample of round 0 trained to the top, the
    rest pruned; later rounds prune where the sample showed the rungs rank
    well). The sizes are the command's own defaults."""
    n_iter, n_rounds = tune_size()
    return coarse_to_fine(table, seed, n_workers, horizon, n_iter=n_iter,
                          n_rounds=n_rounds, resource="max_iter")


def coarse_to_fine_rungs(table, seed, n_workers, horizon):
    """CoarseToFineSearchCV at its defaults (60 candidates in 6 rounds) with
    rungs over the epochs (``resource="max_iter"``): the search ``skhp tune``
    runs, with twice its candidates."""
    return coarse_to_fine(table, seed, n_workers, horizon, resource="max_iter")


def one_epoch_top_k(table, seed, n_workers, horizon, n=180, k=15):
    """Egele et al. (2023): ``n`` random candidates for one epoch, then the
    ``k`` best by validation score trained on to the full epochs."""
    clock = SimulatedClock(n_workers)
    configs = [table.answer(p) for p in ParameterSampler(table.space, n, random_state=seed)]
    clock.open_batch()
    for c in configs:
        clock.charge(Fit(c, 1, table.score(c, 1), table.score(c, 1, "test"),
                         table.cost(c, 0, 1), -1))
    clock.close_batch()
    top = sorted(set(configs), key=lambda c: -table.score(c, 1))[:k]
    e = table.max_epochs
    clock.open_batch()
    for c in top:
        clock.charge(Fit(c, e, table.score(c, e), table.score(c, e, "test"),
                         table.cost(c, 1, e), -1))
    clock.close_batch()
    return clock.fits


# -- ask-and-tell methods --------------------------------------------------------
class AsyncWorkers:
    """Trials running on ``n_workers`` workers in simulated time."""

    def __init__(self, n_workers):
        self.n_workers, self.now, self._heap, self._seq = n_workers, 0.0, [], 0

    @property
    def free(self):
        return self.n_workers - len(self._heap)

    def start(self, seconds, job):
        heapq.heappush(self._heap, (self.now + seconds, self._seq, job))
        self._seq += 1

    def next(self):
        """The job that finishes first; the clock moves to its end."""
        self.now, _, job = heapq.heappop(self._heap)
        return job

    def __bool__(self):
        return bool(self._heap)


def _optuna_params(trial, table):
    """A configuration of the table's space, as Optuna's trial suggests it."""
    space = table.space
    n_layers = trial.suggest_int("n_layers", *space["hidden_layer_sizes"].n_layers)
    low, high = space["hidden_layer_sizes"].units
    beta_1 = space["beta_1"]
    return {
        "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 1e-1, log=True),
        "beta_1": 1 - trial.suggest_float("one_minus_beta_1", 1 - beta_1.high, 1 - beta_1.low,
                                          log=True),
        "batch_size": trial.suggest_categorical("batch_size", space["batch_size"]),
        "hidden_layer_sizes": tuple(trial.suggest_int(f"units_{i}", low, high, log=True)
                                    for i in range(n_layers)),
        "decay_rate": trial.suggest_float("decay_rate", 1e-3, 1.0, log=True),
        "batch_norm": trial.suggest_categorical("batch_norm", space["batch_norm"]),
        "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
    }


def _study(seed, pruner=None):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="maximize",
                               sampler=optuna.samplers.TPESampler(seed=seed),
                               pruner=pruner)


def optuna_tpe(table, seed, n_workers, horizon):
    """Optuna's default TPESampler, 60 trials at the full epochs."""
    study, workers, fits, started = _study(seed), AsyncWorkers(n_workers), [], 0
    while True:
        while workers.free and started < N_CANDIDATES:
            trial = study.ask()
            c, e = table.answer(_optuna_params(trial, table)), table.max_epochs
            workers.start(table.cost(c, 0, e), (trial, c, e))
            started += 1
        if not workers:
            return fits
        trial, c, e = workers.next()
        study.tell(trial, table.score(c, e))
        fits.append(Fit(c, e, table.score(c, e), table.score(c, e, "test"),
                        table.cost(c, 0, e), -1, workers.now))


def optuna_hyperband(table, seed, n_workers, horizon):
    """Optuna's TPESampler with its HyperbandPruner (defaults; the epochs
    are the resource): trials report each epoch and stop when pruned."""
    import optuna

    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=table.max_epochs)
    study, workers, fits = _study(seed, pruner), AsyncWorkers(n_workers), []
    while True:
        while workers.free and workers.now < horizon:
            trial = study.ask()
            c = table.answer(_optuna_params(trial, table))
            workers.start(table.cost(c, 0, 1), (trial, c, 1))
        if not workers:
            return fits
        trial, c, e = workers.next()
        val = table.score(c, e)
        trial.report(val, e)
        done = e == table.max_epochs
        if done or trial.should_prune():
            state = optuna.trial.TrialState.COMPLETE if done else optuna.trial.TrialState.PRUNED
            study.tell(trial, val if done else None, state=state)
            fits.append(Fit(c, e, val, table.score(c, e, "test"), table.cost(c, 0, e), -1,
                            workers.now))
        else:
            workers.start(table.cost(c, e, e + 1), (trial, c, e + 1))


def _configspace(table, seed):
    from ConfigSpace import (
        Categorical, ConfigurationSpace, Float, GreaterThanCondition,
        Integer,
    )

    space = table.space
    low, high = space["hidden_layer_sizes"].units
    lo_layers, hi_layers = space["hidden_layer_sizes"].n_layers
    beta_1 = space["beta_1"]
    cs = ConfigurationSpace(seed=seed)
    cs.add([
        Float("learning_rate_init", (1e-4, 1e-1), log=True),
        Float("one_minus_beta_1", (1 - beta_1.high, 1 - beta_1.low), log=True),
        Categorical("batch_size", space["batch_size"]),
        Integer("n_layers", (lo_layers, hi_layers)),
        Float("decay_rate", (1e-3, 1.0), log=True),
        Categorical("batch_norm", ["none", "before"]),
        Float("alpha", (1e-6, 1e-1), log=True),
    ])
    for i in range(hi_layers):
        units = Integer(f"units_{i}", (low, high), log=True)
        cs.add(units)
        if i >= lo_layers:
            cs.add(GreaterThanCondition(units, cs["n_layers"], i))
    return cs


def _smac_params(config):
    n = config["n_layers"]
    return {
        "learning_rate_init": config["learning_rate_init"],
        "beta_1": 1 - config["one_minus_beta_1"],
        "batch_size": int(config["batch_size"]),
        "hidden_layer_sizes": tuple(int(config[f"units_{i}"]) for i in range(n)),
        "decay_rate": config["decay_rate"],
        "batch_norm": None if config["batch_norm"] == "none" else config["batch_norm"],
        "alpha": config["alpha"],
    }


def _smac(table, seed, n_workers, horizon, facade_name):
    import smac
    from smac.runhistory.dataclasses import TrialValue

    facade = getattr(smac, facade_name)
    with tempfile.TemporaryDirectory() as out:
        scenario = smac.Scenario(_configspace(table, seed), deterministic=True,
                                 n_trials=10**6, min_budget=1, max_budget=table.max_epochs,
                                 seed=seed, output_directory=out)
        optimizer = facade(scenario, target_function=lambda config, seed, budget: 0.0,
                           intensifier=facade.get_intensifier(scenario, eta=3),
                           overwrite=True, logging_level=40)
        workers, fits = AsyncWorkers(n_workers), []
        while True:
            while workers.free and workers.now < horizon:
                info = optimizer.ask()
                c = table.answer(_smac_params(info.config))
                e = int(min(round(info.budget), table.max_epochs))
                workers.start(table.cost(c, 0, e), (info, c, e))
            if not workers:
                return fits
            info, c, e = workers.next()
            optimizer.tell(info, TrialValue(cost=-table.score(c, e)))
            fits.append(Fit(c, e, table.score(c, e), table.score(c, e, "test"),
                            table.cost(c, 0, e), -1, workers.now))


def smac_bohb(table, seed, n_workers, horizon):
    """SMAC3's MultiFidelityFacade (BOHB: Hyperband's brackets, a random
    forest proposing), budgets in epochs, each trial trained from scratch."""
    return _smac(table, seed, n_workers, horizon, "MultiFidelityFacade")


METHODS = {
    "random search": random_search,
    "halving (sklearn)": halving,
    "one-epoch top-15": one_epoch_top_k,
    "Optuna TPE": optuna_tpe,
    "Optuna TPE + Hyperband": optuna_hyperband,
    "SMAC3 BOHB": smac_bohb,
    "CoarseToFineSearchCV": coarse_to_fine,
    "skhp tune": skhp_tune,
    "CoarseToFineSearchCV, rungs": coarse_to_fine_rungs,
}
