"""A batch that joblib's Dask backend fails to submit is reported, not waited on for ever.

joblib's ``DaskDistributedBackend.submit`` prepares each batch in a coroutine
on the Dask client's event loop: it scatters the batch's larger arguments
(arrays of 1 kB or more: the data, the folds' indices) to a worker, then
submits the batch. When that worker dies during the scatter (a killed or
preempted worker), ``ConnectionPool.scatter`` raises ``CommClosedError`` in
the coroutine; the event loop logs it and drops it, the batch never reaches
the scheduler, and ``Parallel`` waits for its result for ever, every worker
idle. ``tests/test_dask.py`` met it in about one run of its module in eight.

Within :func:`dask_submit_reports_errors`, ``submit`` is joblib's own (joblib
1.6) with that one difference: an error while preparing or submitting a
batch is handed to joblib as the batch's outcome, so that ``Parallel``
raises it. The search then runs the batch again, as it does whenever the
cluster loses work (``_evaluate._surviving_lost_workers``).

It relies on joblib's private ``joblib._dask`` (``DaskDistributedBackend``
and its ``_to_func_args``, ``waiting_futures``, ``_callbacks``,
``_results`` and ``submit_kwargs``; ``_TracebackCapturingWrapper``), checked
by ``tests/test_dask.py``.
"""

import concurrent.futures
import threading
from contextlib import contextmanager
from uuid import uuid4


class _Patch:
    """The one patch of a class's method shared by nested and concurrent
    users: applied by the first, removed by the last."""

    def __init__(self, name, replacement):
        self.name, self.replacement = name, replacement
        self.lock = threading.Lock()
        self.users = 0
        self.original = None

    def enter(self, cls):
        with self.lock:
            if self.users == 0:
                self.original = getattr(cls, self.name)
                setattr(cls, self.name, self.replacement)
            self.users += 1

    def exit(self, cls):
        with self.lock:
            self.users -= 1
            if self.users == 0:
                setattr(cls, self.name, self.original)


def _submit(self, func, callback=None):
    """joblib's ``DaskDistributedBackend.submit``, reporting its own errors."""
    from joblib._dask import _TracebackCapturingWrapper

    cf_future = concurrent.futures.Future()
    cf_future.get = cf_future.result  # achieve AsyncResult API

    async def f(func, callback):
        try:
            batch, tasks = await self._to_func_args(func)
            key = f"{repr(batch)}-{uuid4().hex}"
            dask_future = self.client.submit(
                _TracebackCapturingWrapper(batch), tasks=tasks, key=key,
                **self.submit_kwargs,
            )
        except Exception as exc:
            # joblib registers an exception given as the outcome as the
            # batch's error, and Parallel raises it
            cf_future.set_exception(exc)
            if callback is not None:
                callback(exc)
            return
        self.waiting_futures.add(dask_future)
        self._callbacks[dask_future] = callback
        self._results[dask_future] = cf_future

    self.client.loop.add_callback(f, func, callback)
    return cf_future


_SUBMIT = _Patch("submit", _submit)


@contextmanager
def dask_submit_reports_errors():
    """Within it, joblib's Dask backend reports a batch it failed to submit.

    Does nothing where Dask's ``distributed`` is not installed, or where
    joblib's backend is not built as the copy assumes. Nested and
    concurrent uses share one patch, removed when the last one ends.
    """
    try:
        from joblib import _dask
    except ImportError:  # distributed is not installed
        yield
        return
    DaskDistributedBackend = getattr(_dask, "DaskDistributedBackend", None)
    if not (hasattr(_dask, "_TracebackCapturingWrapper")
            and hasattr(DaskDistributedBackend, "_to_func_args")):
        yield  # a joblib whose submit is not the one copied here: left as it is
        return
    _SUBMIT.enter(DaskDistributedBackend)
    try:
        yield
    finally:
        _SUBMIT.exit(DaskDistributedBackend)
