"""Every private scikit-learn (and joblib) name skhp relies on, in one place.

A release that moves one of these costs a change to this file only.

Besides these imports, ``CoarseToFineSearchCV`` overrides one private method of
``BaseSearchCV``, ``_format_results(candidate_params, n_splits, out,
more_results)``, to put rounds restored from a checkpoint, or in which every fit
failed, into ``cv_results_``; ``tests/model_selection`` covers both paths.
"""

from joblib._parallel_backends import LokyBackend, MultiprocessingBackend
from joblib.hashing import NumpyHasher as JoblibNumpyHasher
from joblib.parallel import get_active_backend as get_active_joblib_backend
from sklearn.base import _fit_context
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._split import _yields_constant_splits
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
from sklearn.utils.validation import _check_sample_weight

# Cross-process transport of scikit-learn's callbacks (used by skhp.progress).
from sklearn.callback._transport import close_listener as callback_close_listener
from sklearn.callback._transport import open_listener as callback_open_listener
from sklearn.callback._transport import send as callback_send

# joblib's backends that run tasks in other processes (and pickle their inputs).
process_based_joblib_backends = (LokyBackend, MultiprocessingBackend)

__all__ = [
    "BaseSearchCV",
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
