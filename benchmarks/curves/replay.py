"""Replaying the learning-curve tables: a table, a simulated clock, a replay estimator.

A :class:`Table` answers any configuration of ``skhp tune``'s default space
with the recorded curves of its nearest configuration in the search's unit
coordinates (each hyperparameter on its own scale), as HPOBench's tables
are used. ``check_replay.py`` measures how far that answer is from a real
fit of the proposal.

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
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import parallel as sk_parallel

sys.path.insert(0, os.path.dirname(__file__))
from tasks import TASKS  # noqa: E402

from skhp.model_selection._space import SearchSpace  # noqa: E402

TABLES = Path(__file__).parent / "tables"

#: Rows of the replay's stand-in data: which rows are training, validation, test.
TRAIN, VAL, TEST = 0, 1, 2


class Table:
    """One task's recorded curves.

    Attributes
    ----------
    name : str
    val, test, seconds : ndarray of shape (n_configs, n_epochs)
        Per configuration and epoch; NaN after a fit stopped.
    params : list of dict
    n_epochs : ndarray of shape (n_configs,)
        The epochs each fit ran.
    """

    def __init__(self, name):
        data = np.load(TABLES / f"{name}.npz")
        self.name = name
        self.val, self.test = data["val"].astype(float), data["test"].astype(float)
        self.seconds = data["seconds"].astype(float)
        self.params = [_from_json(p) for p in json.loads(str(data["params"]))]
        self.n_train = int(data["n_train"])
        self.n_epochs = np.sum(np.isfinite(self.seconds), axis=1)
        self.max_epochs = self.val.shape[1]
        self.space = TASKS[name].space(self.n_train)
        # parameters the space fixes (a list of one choice)
        self.fixed = {k: v[0] for k, v in self.space.items()
                      if isinstance(v, list) and len(v) == 1}
        (self._sub,) = SearchSpace(self.space).subspaces
        self._units = np.array([self._sub.unit_from_params(p) for p in self.params])

    def nearest(self, params):
        """The index of the recorded configuration nearest ``params`` (the
        space's fixed parameters may be left out)."""
        u = self._sub.unit_from_params({**self.fixed, **params})
        return int(np.argmin(np.sum((self._units - u) ** 2, axis=1)))

    def cost(self, config, start, stop):
        """Recorded seconds of epochs ``start`` (0-based) to ``stop``."""
        return float(np.nansum(self.seconds[config, start:stop]))

    def final(self, which="test"):
        """Each configuration's score at its last epoch."""
        scores = self.test if which == "test" else self.val
        return scores[np.arange(len(scores)), self.n_epochs - 1]

    def best_test(self):
        """The table's best test score at the full epochs (regret's zero)."""
        return float(np.nanmax(self.final("test")))


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

        def call(parallel, iterable):
            self.open_batch()
            try:
                return original(parallel, iterable)
            finally:
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

    _tables = {}
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
        if self.table not in self._tables:
            ReplayMLP._tables[self.table] = Table(self.table)
        return self._tables[self.table]

    def __skhp_continuation__(self, parameter):
        return {"warm_start": "continue"} if parameter == "max_iter" else None

    def fit(self, X, y=None):
        table = self._table()
        params = {k: getattr(self, k) for k in table.space if k in self.get_params()}
        config = table.nearest(params)
        epochs = int(min(self.max_iter, table.n_epochs[config]))
        done = 0
        if self.warm_start == "continue" and getattr(self, "config_", None) == config:
            done = self.n_iter_
        cost = table.cost(config, done, epochs)
        self.config_, self.n_iter_ = config, epochs
        self.classes_ = np.array([0, 1])
        fit = Fit(config, epochs, table.val[config, epochs - 1],
                  table.test[config, epochs - 1], cost, batch=-1)
        if ReplayMLP.clock is not None:
            ReplayMLP.clock.charge(fit)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def score(self, X, y=None):
        table = self._table()
        scores = table.test if int(np.asarray(X)[0, 0]) == TEST else table.val
        return float(scores[self.config_, self.n_iter_ - 1])


def stand_in_data(n_val=20):
    """Rows for a search over the replay: training rows, then validation rows,
    and the one split between them (``cv=`` for the searches)."""
    X = np.array([[TRAIN]] * 40 + [[VAL]] * n_val)
    y = np.arange(len(X)) % 2
    split = [(np.arange(40), np.arange(40, 40 + n_val))]
    return X, y, split
