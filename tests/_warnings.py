"""Marks for tests whose fits fail on purpose."""

import pytest

_MARKS = (
    # scikit-learn warns once per batch with a NaN score...
    pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite"),
    # ...and lists the failures with their tracebacks
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning"),
)


def expects_failed_fits(test):
    """Keep the warnings of fits a test makes fail out of the run's summary:
    the test asserts what the failures do."""
    for mark in _MARKS:
        test = mark(test)
    return test
