"""Send the training data to worker processes once per search, not per task.

joblib's process-based backends (loky, multiprocessing) memory-map arrays
larger than 1 MiB and pass them by reference, but pickle smaller ones into
every batch of tasks they send. A search sends ``X`` with each of its
candidates x folds tasks, and a search in rounds makes many small batches
(joblib dispatches the end of each call one task at a time), so an ``X`` just
under 1 MiB (digits is 920 KB) is pickled, piped and unpickled hundreds of
times. Sharing it saved about 2% of a 6-round search of SVC on digits at
n_jobs=2 (median pair ratios of 1.026 and 1.031 over 10 and 8 alternated runs).

Saving such an array once to a memory-mapped file makes joblib pass it by
reference whatever its size: joblib sends any ``np.memmap`` as its file name.
joblib's own threshold (``max_nbytes``) is left alone: loky restarts its
workers whenever that setting differs from the previous call's. The bounds
below assume its default; a ``parallel_config(max_nbytes=None)``, which turns
joblib's own mapping off, does not turn this one off.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager

import numpy as np
from joblib import effective_n_jobs

from .._compat import get_active_joblib_backend, process_based_joblib_backends

# Below this, pickling costs less than mapping the file in each task (measured
# at 64 KiB: an 18 us pickle round trip against 35 us to map).
MIN_SHARED_NBYTES = 128 * 1024
# joblib's default max_nbytes ("1M"): larger arrays joblib maps by itself.
JOBLIB_MAX_NBYTES = 1024**2


def _temp_folder():
    """Where joblib would put its memory-mapped files: RAM-backed if possible."""
    folder = os.environ.get("JOBLIB_TEMP_FOLDER")
    if folder:
        return folder
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return None  # tempfile's default


def worth_sharing(X, n_jobs):
    """Whether the tasks of a parallel search should get ``X`` by reference.

    Parameters
    ----------
    X : object
        The training data given to the search.
    n_jobs : int or None
        The search's ``n_jobs``.

    Returns
    -------
    bool
        True for a plain numpy array of numbers (bool, integer, float or
        complex), from 128 KiB to 1 MiB, when
        the active joblib backend runs tasks in other processes with more
        than one worker, on a POSIX system (where a mapped file can be
        removed while still mapped).
    """
    if os.name != "posix" or type(X) is not np.ndarray or X.dtype.kind not in "biufc":
        return False
    if not MIN_SHARED_NBYTES <= X.nbytes <= JOBLIB_MAX_NBYTES:
        return False
    backend, _ = get_active_joblib_backend()
    if not isinstance(backend, process_based_joblib_backends):
        return False
    return effective_n_jobs(n_jobs) > 1


@contextmanager
def shared_with_workers(X, n_jobs):
    """Yield ``X``, or a memory-mapped copy of it when worth it.

    The copy is copy-on-write: a process that writes into it (the refit, in
    the parent, or an estimator that scales its input in place) changes its
    own private pages, never the file or ``X``. It lives in a temporary folder
    that is removed on exit, even on error; arrays that still view it (a
    refitted estimator may keep one) stay valid, as POSIX keeps a removed
    file's mapping alive. If the file cannot be written (no such folder, no
    space), ``X`` itself is yielded and joblib pickles it as before.

    Parameters
    ----------
    X : object
        The training data given to the search.
    n_jobs : int or None
        The search's ``n_jobs``.

    Yields
    ------
    X_shared : object
        ``X`` itself, or an ``np.memmap`` with the same values.
    """
    if not worth_sharing(X, n_jobs):
        yield X
        return
    folder = None
    try:
        try:
            folder = tempfile.mkdtemp(prefix="skhp-search-", dir=_temp_folder())
            path = os.path.join(folder, "X.npy")
            np.save(path, X, allow_pickle=False)
            shared = np.load(path, mmap_mode="c")
        except OSError:  # no such folder, no space: joblib pickles X as before
            shared = X
        yield shared
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
