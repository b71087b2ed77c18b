"""Searches on a real Dask cluster: same results, one data transfer, a worker lost.

Every test here starts a ``distributed.LocalCluster`` of two worker
processes, so the module shares one cluster.
"""

import contextlib
import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV

from skhp import MLPClassifier, loguniform

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.filterwarnings("ignore")

SPACE = {
    "learning_rate_init": loguniform(1e-4, 1e-1),
    "alpha": loguniform(1e-6, 1e-1),
}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        # SKHP_DASK_LOGS=20 shows the cluster's logs (how a lost batch was found)
        silence_logs=int(os.environ.get("SKHP_DASK_LOGS", 50)),
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16, y[:400]


def make_searches(n_iter=8):
    estimator = MLPClassifier((16,), max_iter=15, random_state=0)
    searches = [RandomizedSearchCV(estimator, SPACE, n_iter=n_iter, cv=2, random_state=0)]
    try:
        from skhp import CoarseToFineSearchCV
    except ImportError:
        return searches
    searches.append(CoarseToFineSearchCV(estimator, SPACE, n_iter=n_iter, n_rounds=2,
                                         cv=2, random_state=0))
    # rungs of continued training: fold models travel to the workers and back
    searches.append(CoarseToFineSearchCV(estimator, SPACE, n_iter=n_iter, n_rounds=2,
                                         cv=2, random_state=0, resource="max_iter"))
    return searches


def assert_same_results(a, b):
    assert [str(p) for p in a.cv_results_["params"]] == [str(p) for p in b.cv_results_["params"]]
    assert_allclose(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    assert a.best_params_ == b.best_params_


@pytest.mark.parametrize("index", [0, 1, 2])
def test_dask_results_equal_local_results(client, data, index):
    searches = make_searches()
    if index >= len(searches):
        pytest.skip("CoarseToFineSearchCV not available")
    X, y = data
    local = searches[index]
    local.fit(X, y)
    remote = make_searches()[index]
    with parallel_config(backend="dask"):
        remote.fit(X, y)
    assert_same_results(remote, local)


def test_continued_training_of_a_network_over_a_megabyte(client, data):
    """Fold models over joblib's 1 MB threshold go to the workers and back:
    the same results as locally, and no failed fit."""
    from skhp import CoarseToFineSearchCV

    X, y = data
    big = MLPClassifier((512, 512), max_iter=9, random_state=0)

    def make():
        return CoarseToFineSearchCV(big, SPACE, n_iter=9, n_rounds=1, cv=2,
                                    random_state=0, resource="max_iter", n_jobs=2,
                                    min_rank_correlation=None)

    local = make().fit(X, y)
    with parallel_config(backend="dask"):
        remote = make().fit(X, y)
    assert np.isfinite(remote.cv_results_["mean_test_score"]).all()
    assert remote.n_rung_candidates_ == [[9, 3, 1]]
    assert_same_results(remote, local)


def test_data_is_scattered_once(client, data, monkeypatch):
    X, y = data
    shipped = []
    original = client.scatter

    def counting_scatter(payload, *args, **kwargs):
        if payload is X or (isinstance(payload, list) and any(p is X for p in payload)):
            shipped.append(1)
        return original(payload, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", counting_scatter)
    search = make_searches(n_iter=6)[0]
    with parallel_config(backend="dask", scatter=[X, y]):
        search.fit(X, y)
    # 6 candidates x 2 folds = 12 fits, and X travelled to the cluster once
    assert len(search.cv_results_["params"]) == 6
    assert len(shipped) == 1


class _Hung(Exception):
    pass


@contextlib.contextmanager
def _hang_fails(client, seconds=60):
    """Within it, a search that waits over ``seconds`` fails, with what the
    scheduler held, rather than hanging the suite.

    The search takes seconds. Before ``skhp._dask_submit``, about one run of
    this module in eight waited for ever after the kill: joblib's Dask backend
    dropped a batch whose scatter to the killed worker failed.
    """
    def hung(signum, frame):
        raise _Hung

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    except _Hung:
        held = client.run_on_scheduler(
            lambda dask_scheduler: {str(k): ts.state for k, ts in dask_scheduler.tasks.items()})
        pytest.fail(f"the search waited over {seconds} s; the scheduler held {held}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_batch_that_never_reached_the_cluster_runs_again(client, data, monkeypatch):
    """A batch whose arguments could not be scattered (the worker died during
    the scatter) is reported and run again, not waited on for ever."""
    from distributed.comm.core import CommClosedError
    from joblib._dask import DaskDistributedBackend

    X, y = data
    local = make_searches(n_iter=6)[-1].fit(X, y)
    original, failed = DaskDistributedBackend._to_func_args, []

    async def fails_once(self, func):
        if not failed:
            failed.append(True)
            raise CommClosedError("in <TCP (closed) ConnectionPool.scatter>: Stream is closed")
        return await original(self, func)

    monkeypatch.setattr(DaskDistributedBackend, "_to_func_args", fails_once)
    remote = make_searches(n_iter=6)[-1]
    with (_hang_fails(client), parallel_config(backend="dask"),
          pytest.warns(UserWarning, match=r"lost work during .*\(CommClosedError")):
        remote.fit(X, y)
    assert failed
    assert_same_results(remote, local)


def test_killed_worker_changes_nothing(client, data):
    X, y = data
    local = make_searches(n_iter=12)[-1]
    local.fit(X, y)

    victim = next(iter(client.run(os.getpid).values()))
    searching, killed_mid_search = threading.Event(), threading.Event()

    def kill_once_the_cluster_is_busy():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sum(len(v) for v in client.processing().values()) > 0:
                time.sleep(0.1)
                if searching.is_set():
                    os.kill(victim, signal.SIGKILL)
                    killed_mid_search.set()
                return
            time.sleep(0.02)

    remote = make_searches(n_iter=12)[-1]
    killer = threading.Thread(target=kill_once_the_cluster_is_busy, daemon=True)
    with warnings.catch_warnings(), _hang_fails(client):
        warnings.simplefilter("ignore")
        with parallel_config(backend="dask"):
            searching.set()
            killer.start()
            remote.fit(X, y)
            searching.clear()
    killer.join(timeout=5)
    assert killed_mid_search.is_set(), "the worker was not killed during the search"
    assert_same_results(remote, local)


def test_a_round_that_lost_work_runs_again():
    from skhp.model_selection._evaluate import _surviving_lost_workers

    class FutureCancelledError(Exception):
        __module__ = "distributed.client"

    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["callback_ctx"])
        if len(calls) < 3:
            raise FutureCancelledError("already forgotten")
        return {"params": ["a"]}

    with pytest.warns(UserWarning, match="lost work during round 4, rung 1"):
        result = _surviving_lost_workers(flaky, "round 4, rung 1", callback_ctx="ctx")
    assert result == {"params": ["a"]}
    assert calls == ["ctx", None, None]

    def broken(**kwargs):
        raise ValueError("a real error")

    with pytest.raises(ValueError, match="a real error"):
        _surviving_lost_workers(broken, "round 0", callback_ctx=None)
