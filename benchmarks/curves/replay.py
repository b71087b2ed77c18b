"""Replaying the learning-curve tables: a table, a simulated clock, a replay estimator.

A :class:`Table` answers any configuration of ``skhp tune``'s default space
with curves a surrogate fitted to the recorded ones gives it (as YAHPO Gym
does), in the search's unit coordinates (each hyperparameter on its own
scale). ``check_replay.py`` measures how far an answer is from a real fit of
the proposal.

:class:`ReplayMLP` is an estimator whose ``fit`` looks its configuration up
and charges the recorded seconds of the epochs it trains to a
:class:`SimulatedClock`: a fit from scratch charges every epoch, a continued
fit (``warm_start="continue"``, as skhp's rungs continue) only the epochs
it adds. Its ``score`` is the recorded validation score on the validation
rows and the test score on the test rows, at the epochs trained.

The clock turns the fits into simulated time on ``n_workers`` workers: the
fits of one batch (one ``Parallel`` call of a scikit-learn or skhp search)
go to the first free worker in the order they were issued, and the next
batch starts when the batch ends, as in the real searches.
"""

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import qmc
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.utils import parallel as sk_parallel

sys.path.insert(0, os.path.dirname(__file__))
from tasks import TASKS  # noqa: E402

from skhp.model_selection._space import SearchSpace  # noqa: E402

TABLES = Path(__file__).parent / "tables"

#: Rows of the replay's stand-in data: which rows are training, validation, test.
TRAIN, VAL, TEST = 0, 1, 2


class Curves:
    """Curves by id: ``val``, ``test`` and ``seconds`` are lists of arrays,
    one per configuration answered, of ``max_epochs`` each."""

    def score(self, config, epochs, which="val"):
        """The validation (or test) score after ``epochs`` epochs."""
        return float((self.val if which == "val" else self.test)[config][epochs - 1])

    def cost(self, config, start, stop):
        """Seconds of epochs ``start`` (0-based) to ``stop``."""
        return float(np.sum(self.seconds[config][start:stop]))


class Table(Curves):
    """One task's recorded curves, and the surrogate that answers proposals.

    The recorded configurations are a random (Sobol) sample of the space, so
    a proposal rarely lands on one. As YAHPO Gym does, a surrogate fitted to
    the records answers it: extremely randomized trees (scikit-learn's
    ``ExtraTreesRegressor``, two records a leaf at least) map the search's
    unit coordinates to the whole curves at once (validation score, test
    score and seconds of every epoch), so an answer is an average of
    recorded curves, consistent from epoch to epoch. ``check_replay.py``
    measures how far its answers are from real fits, against the training
    noise (the same configuration trained with another seed).

    After a recorded fit stopped (a training plateau), its scores stay and
    its epochs cost nothing. Scores below ``SCORE_FLOOR`` are raised to it:
    the R^2 of a diverged regression network can be -2000, and for a search
    every such network is just bad.

    Attributes
    ----------
    name : str
    max_epochs : int
    space : dict
        The search space (``skhp tune``'s default for the task).
    units : ndarray of shape (n_records, n_units)
        The recorded configurations in the search's unit coordinates.
    """

    SCORE_FLOOR = -1.0

    def __init__(self, name):
        data = np.load(TABLES / f"{name}.npz")
        self.name = name
        self.n_train = int(data["n_train"])
        self.params = [_from_json(p) for p in json.loads(str(data["params"]))]
        self.space = TASKS[name].space(self.n_train)
        # parameters the space fixes (a list of one choice)
        self.fixed = {k: v[0] for k, v in self.space.items()
                      if isinstance(v, list) and len(v) == 1}
        (self._sub,) = SearchSpace(self.space).subspaces
        self.units = np.array([self._sub.unit_from_params(p) for p in self.params])
        val, test, seconds = (filled(data[k].astype(float), k == "seconds", self.SCORE_FLOOR)
                              for k in ("val", "test", "seconds"))
        self.max_epochs = val.shape[1]
        self.recorded = {"val": val, "test": test, "seconds": seconds}
        self._surrogate = ExtraTreesRegressor(
            n_estimators=100, min_samples_leaf=2, random_state=0, n_jobs=1,
        ).fit(self.units, np.hstack([val, test, seconds]))
        self._keys = {}
        self.val, self.test, self.seconds = [], [], []
        self._dense = None

    def answer(self, params):
        """The id of the surrogate's answer for ``params`` (the space's fixed
        parameters may be left out): ``val[id]``, ``test[id]`` and
        ``seconds[id]`` are its curves."""
        u = self._sub.unit_from_params({**self.fixed, **params})
        key = u.tobytes()
        if key not in self._keys:
            self._add(u[None, :])
            self._keys[key] = len(self.val) - 1
        return self._keys[key]

    def _predict(self, U):
        """The forest's prediction, tree by tree: the same numbers as
        ``predict`` without its ``Parallel`` call per proposal (10x faster
        for one row)."""
        X = np.asarray(U, dtype=np.float32)
        total = 0.0
        for tree in self._surrogate.estimators_:
            total = total + tree.tree_.value[tree.tree_.apply(X), :, 0]
        return total / len(self._surrogate.estimators_)

    def _add(self, U):
        E = self.max_epochs
        for row in self._predict(U):
            self.val.append(row[:E])
            self.test.append(row[E:2 * E])
            self.seconds.append(row[2 * E:])

    def _dense_answers(self):
        """Full-epoch validation and test scores the surrogate gives the
        recorded configurations and 4,096 Sobol points."""
        if self._dense is None:
            U = qmc.Sobol(self._sub.n_units, scramble=True, seed=1).random_base2(12)
            predicted = self._predict(np.vstack([self.units, U]))
            E = self.max_epochs
            self._dense = predicted[:, E - 1], predicted[:, 2 * E - 1]
        return self._dense

    def best_test(self):
        """Regret's zero: the best test score at the full epochs that the
        surrogate gives the recorded configurations and 4,096 others."""
        return float(self._dense_answers()[1].max())

    def validation_floor(self, k=10):
        """The median test regret of the ``k`` configurations with the best
        validation scores among those of :meth:`best_test`: about what a
        search that found the best validation score would be left with,
        since validation and test disagree."""
        val, test = self._dense_answers()
        return float(np.median(test.max() - test[np.argsort(-val)[:k]]))


def filled(curves, is_seconds, floor):
    """Curves with the epochs after a fit stopped filled: seconds 0, scores
    the last one; scores raised to ``floor``."""
    curves = curves.copy()
    for row in curves:
        stopped = np.isnan(row)
        if is_seconds:
            row[stopped] = 0.0
        elif stopped.any() and not stopped.all():
            last = np.flatnonzero(~stopped)[-1]
            row[last + 1:] = row[last]
    if not is_seconds:
        np.maximum(curves, floor, out=curves)
    return curves


_LOADED = {}


def load_table(name):
    """The table ``name``, loaded (and its surrogate fitted) once per process."""
    if name not in _LOADED:
        _LOADED[name] = Table(name)
    return _LOADED[name]


def _from_json(params):
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()}


@dataclass
class Fit:
    """One fit the clock was charged for."""

    config: int
    epochs: int
    val: float
    test: float
    cost: float
    batch: int
    finish: float = np.nan


@dataclass
class SimulatedClock:
    """Simulated time of the fits on ``n_workers`` workers, batch by batch."""

    n_workers: int = 1
    fits: list = field(default_factory=list)
    now: float = 0.0
    _batch: int = -1
    _open: bool = False

    def charge(self, fit):
        """Record a fit; outside a batch it is a batch of its own."""
        if not self._open:
            self.open_batch()
            fit.batch = self._batch
            self.fits.append(fit)
            self.close_batch()
        else:
            fit.batch = self._batch
            self.fits.append(fit)

    def open_batch(self):
        self._batch += 1
        self._open = True

    def close_batch(self):
        """Schedule the batch's fits; the clock moves to the batch's end."""
        self._open = False
        free = np.full(self.n_workers, self.now)
        for fit in (f for f in self.fits if f.batch == self._batch):
            w = int(np.argmin(free))
            free[w] += fit.cost
            fit.finish = free[w]
        if len(self.fits) and self.fits[-1].batch == self._batch:
            self.now = float(free.max())

    @contextmanager
    def batches(self):
        """Every ``Parallel`` call of scikit-learn or skhp is one batch."""
        original = sk_parallel.Parallel.__call__
        depth = [0]

        def call(parallel, iterable):
            # only the outermost call is a batch: a Parallel call inside a
            # fit (a forest's, a pipeline's) belongs to that fit
            depth[0] += 1
            if depth[0] == 1:
                self.open_batch()
            try:
                return original(parallel, iterable)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    self.close_batch()

        sk_parallel.Parallel.__call__ = call
        try:
            yield self
        finally:
            sk_parallel.Parallel.__call__ = original


def incumbent_curve(fits, table, times):
    """Regret of the incumbent at each of ``times``.

    The incumbent is the fit with the best validation score among those
    finished at the most epochs any finished fit has reached (as a halving
    search picks among its top rung); its regret is the table's best test
    score minus its test score. NaN before any fit finished.
    """
    order = sorted(fits, key=lambda f: f.finish)
    best, regrets, i = None, [], 0
    for t in times:
        while i < len(order) and order[i].finish <= t:
            fit = order[i]
            i += 1
            if best is None or fit.epochs > best.epochs or (
                fit.epochs == best.epochs and fit.val > best.val
            ):
                best = fit
        regrets.append(np.nan if best is None else table.best_test() - best.test)
    return np.array(regrets)


class ReplayMLP(ClassifierMixin, BaseEstimator):
    """An estimator that replays a table's curves and charges a simulated clock.

    Its parameters are those of ``skhp tune``'s default space, ``max_iter``
    and ``warm_start``; ``X`` is the replay's stand-in rows (a column of
    ``TRAIN``, ``VAL``, ``TEST``).
    """

    clock = None

    def __init__(self, table="digits", max_iter=100, warm_start=False, random_state=None,
                 learning_rate_init=1e-3, beta_1=0.9, batch_size=64,
                 hidden_layer_sizes=(64,), learning_rate="inverse_time", decay_rate=1e-3,
                 batch_norm=None, alpha=1e-4, solver="adam"):
        self.table = table
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.batch_size = batch_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.decay_rate = decay_rate
        self.batch_norm = batch_norm
        self.alpha = alpha
        self.solver = solver

    def _table(self):
        return load_table(self.table)

    def __skhp_continuation__(self, parameter):
        return {"warm_start": "continue"} if parameter == "max_iter" else None

    def fit(self, X, y=None):
        table = self._table()
        params = {k: getattr(self, k) for k in table.space if k in self.get_params()}
        config = table.answer(params)
        epochs = int(min(self.max_iter, table.max_epochs))
        done = 0
        if self.warm_start == "continue" and getattr(self, "config_", None) == config:
            done = self.n_iter_
        cost = table.cost(config, done, epochs)
        self.config_, self.n_iter_ = config, epochs
        self.classes_ = np.array([0, 1])
        fit = Fit(config, epochs, table.score(config, epochs, "val"),
                  table.score(config, epochs, "test"), cost, batch=-1)
        if ReplayMLP.clock is not None:
            ReplayMLP.clock.charge(fit)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def score(self, X, y=None):
        which = "test" if int(np.asarray(X)[0, 0]) == TEST else "val"
        return self._table().score(self.config_, self.n_iter_, which)


def stand_in_data(n_val=20):
    """Rows for a search over the replay: training rows, then validation rows,
    and the one split between them (``cv=`` for the searches)."""
    X = np.array([[TRAIN]] * 40 + [[VAL]] * n_val)
    y = np.arange(len(X)) % 2
    split = [(np.arange(40), np.arange(40, 40 + n_val))]
    return X, y, split
