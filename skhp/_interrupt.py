"""What Ctrl-C does to a fit: stop it quietly, or stop everything.

A network's ``fit`` catches ``KeyboardInterrupt`` and keeps the weights it has,
as scikit-learn's networks do: by hand, Ctrl-C ends a long training early. Inside
a hyperparameter search the same fit would return a truncated model, which the
search would then score, rank and checkpoint as if it were a complete one. A
search therefore marks the fits it runs, and a marked fit lets Ctrl-C through so
that it stops the search.

The mark is a :class:`contextvars.ContextVar`: it follows the code that runs a
fit in this thread (``n_jobs=1``), which is where Ctrl-C arrives. Fits in worker
threads do not see it, and do not need to: Python delivers
``KeyboardInterrupt`` to the main thread, which is then waiting on them, and the
search stops there. A terminal's Ctrl-C reaches worker processes too (joblib's
workers are in the terminal's process group); a fit in a child process lets it
through as well, since its parent got the same Ctrl-C and stops what it runs
(ending the fit early there would only print a warning from every worker).
"""

import multiprocessing
from contextlib import contextmanager
from contextvars import ContextVar

_interrupt_stops_fit = ContextVar("skhp_interrupt_stops_fit", default=False)


def interrupt_stops_fit():
    """Whether a ``KeyboardInterrupt`` during a fit must stop more than the fit.

    Returns
    -------
    stops : bool
        True while a hyperparameter search runs the fit (see
        :func:`interrupt_stops_fits`), or in a child process: the fit must
        re-raise the interrupt rather than end training early and return.
    """
    return _interrupt_stops_fit.get() or multiprocessing.parent_process() is not None


@contextmanager
def interrupt_stops_fits():
    """Context in which Ctrl-C during a fit propagates instead of ending the fit.

    Used by :class:`~skhp.CoarseToFineSearchCV` around its rounds and refit.
    """
    token = _interrupt_stops_fit.set(True)
    try:
        yield
    finally:
        _interrupt_stops_fit.reset(token)
