"""The learning-curve replay of benchmarks/curves: what it charges and when."""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import RandomizedSearchCV
from sklearn.utils.parallel import Parallel, delayed

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks" / "curves"))
from replay import (  # noqa: E402
    Fit,
    ReplayMLP,
    SimulatedClock,
    incumbent_curve,
    load_table,
    stand_in_data,
)


@pytest.fixture(scope="module")
def table():
    return load_table("wine")


def _charged(estimator):
    clock = SimulatedClock(1)
    ReplayMLP.clock = clock
    try:
        estimator.fit(*stand_in_data()[:2])
    finally:
        ReplayMLP.clock = None
    return clock.fits


def test_answers_are_consistent_curves(table):
    params = {"learning_rate_init": 0.003, "alpha": 1e-4, "batch_size": 32, "beta_1": 0.9,
              "hidden_layer_sizes": (64,), "decay_rate": 0.01, "batch_norm": None}
    c = table.answer(params)
    assert table.answer(dict(params)) == c  # the same proposal, the same answer
    assert len(table.val[c]) == len(table.seconds[c]) == table.max_epochs
    assert np.all(np.asarray(table.seconds[c]) >= 0)
    assert table.cost(c, 0, table.max_epochs) == pytest.approx(
        table.cost(c, 0, 10) + table.cost(c, 10, table.max_epochs))
    # a bad learning rate answers worse than a good one on this easy task
    assert table.score(c, table.max_epochs) > table.score(
        table.answer({**params, "learning_rate_init": 1e-4}), 1)


def test_continuing_charges_only_the_epochs_added(table):
    net = ReplayMLP(table="wine", max_iter=10, warm_start="continue", learning_rate_init=0.01)
    (first,) = _charged(net)
    net.set_params(max_iter=30)
    (more,) = _charged(net)
    assert first.cost == pytest.approx(table.cost(net.config_, 0, 10))
    assert more.cost == pytest.approx(table.cost(net.config_, 10, 30))
    net.set_params(warm_start=False)
    (again,) = _charged(net)
    assert again.cost == pytest.approx(table.cost(net.config_, 0, 30))


class _NestedParallelMLP(ReplayMLP):
    """A replay estimator whose fit runs a Parallel call of its own, as a
    forest or a pipeline inside a fit may."""

    def fit(self, X, y=None):
        Parallel(n_jobs=1)(delayed(abs)(i) for i in range(2))
        return super().fit(X, y)


def test_a_search_batch_is_one_parallel_call(table):
    # A Parallel call inside a fit must not cut the search's batch into one
    # batch per fit (the surrogate's forest once did).
    X, y, split = stand_in_data()
    clock = SimulatedClock(2)
    ReplayMLP.clock = clock
    try:
        with clock.batches():
            RandomizedSearchCV(_NestedParallelMLP(table="wine", max_iter=5), table.space,
                               n_iter=6, cv=split, refit=False, random_state=11).fit(X, y)
    finally:
        ReplayMLP.clock = None
    assert len(clock.fits) == 6
    assert {f.batch for f in clock.fits} == {0}
    # two workers: the batch ends when the busier one does
    costs = [f.cost for f in clock.fits]
    assert clock.now <= sum(costs) and clock.now >= sum(costs) / 2


def test_the_clock_schedules_a_batch_on_the_first_free_worker():
    clock = SimulatedClock(2)
    clock.open_batch()
    for cost in (3.0, 1.0, 1.0, 2.0):
        clock.charge(Fit(0, 1, 0.0, 0.0, cost, -1))
    clock.close_batch()
    assert [f.finish for f in clock.fits] == [3.0, 1.0, 2.0, 4.0]
    assert clock.now == 4.0


def test_the_incumbent_is_the_best_validation_score_at_the_most_epochs(table):
    best = table.best_test()
    fits = [Fit(0, 1, 0.99, best - 0.5, 1.0, 0, finish=1.0),
            Fit(1, 5, 0.50, best - 0.2, 1.0, 0, finish=2.0),
            Fit(2, 5, 0.60, best - 0.1, 1.0, 0, finish=3.0)]
    regret = incumbent_curve(fits, table, [0.5, 1.0, 2.5, 3.0])
    assert np.isnan(regret[0])
    np.testing.assert_allclose(regret[1:], [0.5, 0.2, 0.1])
