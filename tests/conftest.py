"""Test-session settings."""

from threadpoolctl import threadpool_limits

try:
    from hypothesis import settings
except ImportError:  # the property-based tests skip themselves
    settings = None

if settings is not None:
    # The same examples on every run, and no per-example deadline: CI runs on
    # a shared 2-core machine, where a red run must mean a real failure.
    settings.register_profile("skhp", derandomize=True, deadline=None)
    settings.load_profile("skhp")


def pytest_configure(config):
    # pytest-xdist runs one worker per core: a multi-threaded BLAS in each
    # would oversubscribe the cores, and tiny BLAS calls (L-BFGS-B's) then
    # spend their time waiting for threads (measured 20x slower here).
    config._skhp_blas_limits = threadpool_limits(1)
