"""While a network trains, scipy's own BLAS runs one thread; numpy's keeps its own."""

import threading

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from skhp import MLPClassifier
from skhp.neural_network import _threadpools
from skhp.neural_network._multilayer_perceptron import BaseMultilayerPerceptron

pytestmark = pytest.mark.skipif(
    not _threadpools.scipy_own_blas_libraries(),
    reason="numpy and scipy share one BLAS library here: one pool, nothing to limit",
)


def blas_threads():
    """{library path: threads} of every BLAS library loaded."""
    controllers = ThreadpoolController().select(user_api="blas").lib_controllers
    return {lib.filepath: lib.num_threads for lib in controllers}


def scipy_paths():
    return {lib.filepath for lib in _threadpools.scipy_own_blas_libraries()}


@pytest.mark.parametrize("solver", ["adam", "sgd", "rmsprop", "lbfgs"])
def test_scipy_blas_runs_one_thread_only_while_training(monkeypatch, solver):
    X = np.random.RandomState(0).normal(size=(60, 5))
    y = np.arange(60) % 2
    seen = []
    backprop = BaseMultilayerPerceptron._backprop

    def spy(self, *args):
        if not seen:
            seen.append(blas_threads())
        return backprop(self, *args)

    monkeypatch.setattr(BaseMultilayerPerceptron, "_backprop", spy)
    # The test session pins every library to one thread; two stand in for
    # a machine's defaults.
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        MLPClassifier((8,), solver=solver, max_iter=3).fit(X, y)
        after = blas_threads()
    assert before == after
    assert set(before.values()) == {2}
    [during] = seen
    for path, threads in during.items():
        assert threads == (1 if path in scipy_paths() else 2), path


def test_nested_fits_restore_the_users_setting_once():
    with threadpool_limits(2, user_api="blas"):
        with _threadpools.single_threaded_scipy_blas():
            with _threadpools.single_threaded_scipy_blas():
                assert _threadpools.scipy_blas_is_quiet()
            assert _threadpools.scipy_blas_is_quiet()
            assert all(blas_threads()[p] == 1 for p in scipy_paths())
        assert all(blas_threads()[p] == 2 for p in scipy_paths())
        assert not _threadpools.scipy_blas_is_quiet()


def test_another_thread_leaves_the_pools_alone():
    seen = []

    def fit_in_another_thread():
        with _threadpools.single_threaded_scipy_blas():
            seen.append(_threadpools.scipy_blas_is_quiet())

    with threadpool_limits(2, user_api="blas"):
        worker = threading.Thread(target=fit_in_another_thread)
        worker.start()
        worker.join()
        assert all(blas_threads()[p] == 2 for p in scipy_paths())
    assert seen == [False]


def test_a_fit_in_another_thread_calls_scipys_blas_only_where_it_is_quiet(monkeypatch):
    # OpenBLAS may ignore a thread count set from a thread other than the
    # main one; the optimizers then fall back on numpy's arithmetic.
    from skhp.neural_network import _optimizers

    calls = []
    get_blas_funcs = _optimizers.get_blas_funcs

    def spy(*args):
        calls.append(blas_threads())
        return get_blas_funcs(*args)

    monkeypatch.setattr(_optimizers, "get_blas_funcs", spy)
    X = np.random.RandomState(0).normal(size=(60, 5))
    y = np.arange(60) % 2
    fitted = []
    with threadpool_limits(2, user_api="blas"):
        worker = threading.Thread(
            target=lambda: fitted.append(MLPClassifier((8,), max_iter=3).fit(X, y))
        )
        worker.start()
        worker.join()
    assert fitted
    for threads in calls:
        assert all(threads[p] == 1 for p in scipy_paths())


def test_scipy_libraries_are_the_ones_inside_scipy():
    import scipy

    package = scipy.__file__.rsplit("/", 1)[0]
    for path in scipy_paths():
        assert path.startswith(package)  # scipy/ or its wheel's scipy.libs/
