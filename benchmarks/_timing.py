"""Timing helpers shared by the benchmarks."""

import time


def marginal_epoch_seconds(make, X, y, epochs, clock=time.process_time):
    """The marginal time of an epoch: fit(1 + epochs) minus fit(1), per epoch.

    ``make(n_epochs)`` returns an unfitted estimator that trains ``n_epochs``
    epochs. The difference leaves out what a fit pays once (input validation,
    initialization), which is not per-epoch work. ``clock`` is process CPU
    time by default (one thread); pass ``time.perf_counter`` for wall time.
    """
    times = []
    for n_epochs in (1, 1 + epochs):
        est = make(n_epochs)
        start = clock()
        est.fit(X, y)
        times.append(clock() - start)
    return (times[1] - times[0]) / epochs
