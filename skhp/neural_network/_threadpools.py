"""One busy BLAS thread pool at a time while a network trains.

numpy's and scipy's wheels each bundle their own OpenBLAS, each with a pool
of as many threads as cores. The training loop calls into both: numpy's for
the matrix products, scipy's for the optimizers' axpy and for L-BFGS-B's own
vector work. An OpenBLAS worker spin-waits for a while after each call, so
with both pools at their default size, every call into one pool competes
with the other pool's spinning workers for the same cores; on 2 cores a fit
ran 6-8x slower than with either pool limited (scikit-learn's L-BFGS solver
has the same fight).

While a network trains, scipy's own OpenBLAS (the one inside scipy's
package, when numpy has another) therefore runs one thread, and numpy's keeps
whatever the user set: the matrix products are where threads pay, and the
vector work scipy does for us is memory-bound. Where numpy and scipy share
one BLAS library (conda, Linux distributions) there is one pool and nothing
to do.

OpenBLAS does not reliably take a thread count set from a thread other than
the main one (measured: the main thread kept seeing the old count), and Dask's
workers and joblib's threading backend run fits in such threads. So only the
main thread changes the pool, nested fits there restoring it once, at the
outermost exit. The optimizers call scipy's BLAS only while it is quiet
(:func:`scipy_blas_is_quiet`), and numpy's two-pass arithmetic otherwise, which
wakes no pool at all; L-BFGS-B in another thread keeps the fight, as
scikit-learn's does.
"""

import os
import threading
from contextlib import contextmanager

import scipy
from threadpoolctl import ThreadpoolController

_this_thread = threading.local()
_n_inside = 0
_to_restore = []
_scipy_libraries = None


def _inside_scipy(path):
    """Whether ``path`` lies in scipy's package or its wheel's ``scipy.libs``."""
    package = os.path.realpath(os.path.dirname(scipy.__file__))
    path = os.path.realpath(path)
    return any(
        os.path.commonpath([path, folder]) == folder
        for folder in (package, package + ".libs")
    )


def scipy_own_blas_libraries():
    """threadpoolctl's controllers of the BLAS libraries scipy bundles.

    Empty when scipy's BLAS is the only one loaded (then numpy shares it).
    Looked up once per process: both are loaded when skhp is imported.
    """
    global _scipy_libraries
    if _scipy_libraries is None:
        blas = ThreadpoolController().select(user_api="blas").lib_controllers
        own = [lib for lib in blas if lib.filepath and _inside_scipy(lib.filepath)]
        _scipy_libraries = own if len(own) < len(blas) else []
    return _scipy_libraries


@contextmanager
def single_threaded_scipy_blas():
    """Run scipy's own BLAS on one thread inside the ``with`` block.

    Only in the main thread (see the module's docstring); in any thread,
    :func:`scipy_blas_is_quiet` says inside the block whether scipy's BLAS
    may be called.
    """
    global _n_inside, _to_restore
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        if _n_inside == 0:
            _to_restore = [
                (lib, lib.num_threads)
                for lib in scipy_own_blas_libraries()
                if lib.num_threads != 1
            ]
            for lib, _ in _to_restore:
                lib.set_num_threads(1)
        _n_inside += 1
    quiet_before = scipy_blas_is_quiet()
    _this_thread.scipy_blas_quiet = in_main or not scipy_own_blas_libraries()
    try:
        yield
    finally:
        _this_thread.scipy_blas_quiet = quiet_before
        if in_main:
            _n_inside -= 1
            if _n_inside == 0:
                for lib, num_threads in _to_restore:
                    lib.set_num_threads(num_threads)
                _to_restore = []


def scipy_blas_is_quiet():
    """Whether a call into scipy's BLAS from this thread wakes no second pool.

    True inside :func:`single_threaded_scipy_blas` in the main thread, or
    anywhere inside it when numpy and scipy share one BLAS.
    """
    return getattr(_this_thread, "scipy_blas_quiet", False)
