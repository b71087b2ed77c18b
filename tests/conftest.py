"""Test-session settings."""

from threadpoolctl import threadpool_limits


def pytest_configure(config):
    # pytest-xdist runs one worker per core: a multi-threaded BLAS in each
    # would oversubscribe the cores, and tiny BLAS calls (L-BFGS-B's) then
    # spend their time waiting for threads (measured 20x slower here).
    config._skhp_blas_limits = threadpool_limits(1)
