"""Every private scikit-learn (and joblib) name skhp relies on, in one place.

A release that moves one of these costs a change to this file only.

Besides these imports, ``CoarseToFineSearchCV`` relies on private methods and
contracts of ``BaseSearchCV``, all listed here:

- it overrides ``_format_results(candidate_params, n_splits, out,
  more_results)``, to put rounds restored from a checkpoint, rounds in which
  every fit failed and rungs it evaluated itself into ``cv_results_``;
- it calls ``_get_scorers()`` and ``_get_routed_params_for_fit(params)``
  (:func:`search_fit_context`) and reads ``_checked_cv_orig``
  (:func:`checked_cv`) to run fits of its own (continued training) as
  ``BaseSearchCV.fit`` runs them, and formats its rows with the unbound
  ``BaseSearchCV._format_results`` (:func:`format_search_results`), whose
  warning about non-finite scores begins with
  :data:`NON_FINITE_SCORES_WARNING`;
- ``evaluate_candidates`` raises a ``ValueError`` whose message holds "fits
  failed" when every fit failed (:func:`all_fits_failed`), and the results of
  a failed fit are dicts of the shape :func:`failed_fit_results` builds.

skhp's networks start their callback context with ``CallbackSupportMixin``'s
``_init_callback_context`` (:func:`init_callback_context`).

One exception lives in its own module: ``skhp/_dask_submit.py`` replaces
joblib's private ``DaskDistributedBackend.submit`` during a search (so that a
batch lost with a killed worker is run again), and imports ``joblib._dask``
only there, since it needs Dask's ``distributed``; ``tests/test_dask.py``
covers it.

``tests/model_selection`` covers each of these paths, and ``tests/test_compat.py``
fails as soon as scikit-learn changes one of the contracts below.
"""

from joblib._parallel_backends import LokyBackend, MultiprocessingBackend
from joblib.hashing import NumpyHasher as JoblibNumpyHasher
from joblib.parallel import get_active_backend as get_active_joblib_backend
from sklearn.base import _fit_context
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._search_successive_halving import (
    _SubsampleMetaSplitter as SubsampleMetaSplitter,
)
from sklearn.model_selection._split import _yields_constant_splits
from sklearn.model_selection._validation import _fit_and_score as fit_and_score
from sklearn.model_selection._validation import (
    _insert_error_scores as insert_error_scores,
)
from sklearn.model_selection._validation import (
    _warn_or_raise_about_fit_failures as warn_or_raise_about_fit_failures,
)
from sklearn.neural_network._base import LOSS_FUNCTIONS
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_method_params as check_method_params
from sklearn.utils.validation import _check_sample_weight
from sklearn.utils.validation import _num_samples as num_samples

# Cross-process transport of scikit-learn's callbacks (used by skhp.progress).
from sklearn.callback._transport import close_listener as callback_close_listener
from sklearn.callback._transport import open_listener as callback_open_listener
from sklearn.callback._transport import send as callback_send

#: How the ``UserWarning`` that ``BaseSearchCV._format_results`` gives for
#: non-finite scores begins.
NON_FINITE_SCORES_WARNING = "One or more of the"


def checked_cv(search):
    """The cv ``BaseSearchCV.fit`` checked, set before it calls ``_run_search``."""
    return search._checked_cv_orig


def format_search_results(search, candidate_params, n_splits, out, more_results):
    """``cv_results_`` as ``BaseSearchCV`` formats them (an override bypassed)."""
    return BaseSearchCV._format_results(
        search, candidate_params, n_splits, out, more_results
    )


def search_fit_context(search, params):
    """What ``BaseSearchCV.fit`` passes its fits: ``(routed params, scorers)``."""
    return search._get_routed_params_for_fit(params), search._get_scorers()[0]


def init_callback_context(estimator, max_subtasks):
    """The callback context of a fit (``CallbackSupportMixin``'s, private)."""
    return estimator._init_callback_context(max_subtasks=max_subtasks)


def all_fits_failed(exc):
    """Whether ``exc`` is ``evaluate_candidates`` refusing a batch of failed fits."""
    return isinstance(exc, ValueError) and "fits failed" in str(exc)


def failed_fit_results(n_fits, message, error_score, metric_names=None,
                       return_train_score=False):
    """What ``_fit_and_score`` returns for ``n_fits`` fits that failed.

    Parameters
    ----------
    n_fits : int
    message : str
        The ``fit_error`` of each.
    error_score : float
        Their score.
    metric_names : list of str or None
        The metrics of a multi-metric search; None for one metric.
    return_train_score : bool
        Whether the results hold training scores.
    """
    score = (
        error_score if metric_names is None
        else {name: error_score for name in metric_names}
    )
    failed = {
        "fit_error": message,
        "test_scores": score,
        "n_test_samples": 0,
        "fit_time": 0.0,
        "score_time": 0.0,
    }
    if return_train_score:
        failed["train_scores"] = score
    return [dict(failed) for _ in range(n_fits)]


# joblib's backends that run tasks in other processes (and pickle their inputs).
process_based_joblib_backends = (LokyBackend, MultiprocessingBackend)

__all__ = [
    "NON_FINITE_SCORES_WARNING",
    "BaseSearchCV",
    "checked_cv",
    "format_search_results",
    "init_callback_context",
    "num_samples",
    "search_fit_context",
    "SubsampleMetaSplitter",
    "all_fits_failed",
    "failed_fit_results",
    "check_method_params",
    "fit_and_score",
    "insert_error_scores",
    "warn_or_raise_about_fit_failures",
    "callback_close_listener",
    "callback_open_listener",
    "callback_send",
    "get_active_joblib_backend",
    "JoblibNumpyHasher",
    "process_based_joblib_backends",
    "LOSS_FUNCTIONS",
    "HasMethods",
    "Interval",
    "Options",
    "StrOptions",
    "_check_optimize_result",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "_yields_constant_splits",
    "_get_additional_lbfgs_options_dict",
    "validate_params",
]
