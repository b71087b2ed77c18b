"""The estimator, the distributions and the search that ``skhp tune`` builds.

Everything that depends on which estimator and which search class are used is
here, so that swapping one for another is a change to this file only.
"""

import numpy as np
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skhp.distributions import (
    layer_sizes,
    loguniform,
    loguniform_int,
    reverse_loguniform,
)
from skhp.model_selection import CoarseToFineSearchCV
from skhp.model_selection._resources import calibration_can_prune
from skhp.model_selection._zoom import round_sizes
from skhp.neural_network import MLPClassifier, MLPRegressor

__all__ = [
    "STEP",
    "DISTRIBUTIONS",
    "HALVING_MIN_RANK_CORRELATION",
    "halving_can_run",
    "make_distribution",
    "make_estimator",
    "make_preprocessor",
    "make_search",
]

#: Name of the network's step in the pipeline; search parameters are prefixed with it.
STEP = "mlp"
# A rung prunes once its scores rank the candidates as the full epochs do with
# at least this Spearman correlation: the search's own default, so that the
# command line and the estimator halve alike (see its docstring for why 0.6).
HALVING_MIN_RANK_CORRELATION = CoarseToFineSearchCV.__init__.__kwdefaults__[
    "min_rank_correlation"
]


def halving_can_run(n_iter, n_rounds):
    """Whether the rungs could ever prune in a search of this budget.

    They prune only once rounds before the last have judged them
    (``calibration_can_prune``); a smaller search
    trains every candidate to the end anyway, and its lower rungs would only
    cost time: it runs without them.
    """
    if HALVING_MIN_RANK_CORRELATION is None:
        return True
    return calibration_can_prune(round_sizes(n_iter, n_rounds))

ESTIMATORS = {"classification": MLPClassifier, "regression": MLPRegressor}


def make_preprocessor(columns):
    """The preprocessing of raw CSV rows, as a scikit-learn user writes it.

    Parameters
    ----------
    columns : skhp.cli._data.Columns
        The number and text columns, selected by name from the DataFrame
        :func:`~skhp.cli.load_csv` reads; the others are dropped.

    Returns
    -------
    transformer : ColumnTransformer
        Numbers: missing values imputed with the median, then standardized.
        Text: missing values imputed with the most frequent value, then one-hot
        encoded, a category not seen in training encoded as all zeros.
    """
    parts = []
    if columns.numeric:
        numeric = Pipeline(
            [
                # keep_empty_features: a column missing in a whole CV fold stays,
                # as zeros, so every fold sees the same features.
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("scale", StandardScaler()),
            ]
        )
        parts.append(("numeric", numeric, [columns.names[i] for i in columns.numeric]))
    if columns.categorical:
        categorical = Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]
        )
        parts.append(
            ("categorical", categorical, [columns.names[i] for i in columns.categorical])
        )
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0)


def make_estimator(task, columns=None, **params):
    """A pipeline that prepares the features, then fits a network.

    Parameters
    ----------
    task : {"classification", "regression"}
    columns : skhp.cli._data.Columns or None, default=None
        None: the features are numbers, standardized (step ``"scale"``). Else
        raw CSV rows, prepared by :func:`make_preprocessor` (step
        ``"preprocess"``).
    **params
        Parameters of the network; those it does not have are ignored, so a space
        written for skhp's networks still runs on scikit-learn's.

    Returns
    -------
    pipeline : Pipeline
        Steps ``"scale"`` or ``"preprocess"``, and ``STEP``.
    """
    cls = ESTIMATORS[task]
    accepted = cls().get_params()
    net = cls(**{k: v for k, v in params.items() if k in accepted})
    if columns is None:
        first = ("scale", StandardScaler())
    else:
        first = ("preprocess", make_preprocessor(columns))
    return Pipeline([first, (STEP, net)])


def supported_params(task):
    """Names of the parameters the network of ``task`` accepts."""
    return set(ESTIMATORS[task]().get_params())


def _uniform(low, high):
    """scipy's uniform on [low, high], its bounds checked as skhp's are."""
    if not low < high:
        raise ValueError(f"uniform requires low < high, got low={low!r}, high={high!r}.")
    return stats.uniform(low, high - low)


def _randint(low, high):
    """scipy's randint on the integers low..high, both included, checked."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
        raise ValueError(f"randint requires integers, got low={low!r}, high={high!r}.")
    if not low <= high:
        raise ValueError(f"randint requires low <= high, got low={low!r}, high={high!r}.")
    return stats.randint(low, high + 1)


#: Distribution names a space file may use, and what builds them.
DISTRIBUTIONS = {
    "loguniform": loguniform,
    "loguniform_int": loguniform_int,
    "reverse_loguniform": reverse_loguniform,
    "uniform": _uniform,
    "randint": _randint,
    "layer_sizes": layer_sizes,
}


def make_distribution(name, args):
    """Build the distribution ``name`` from its arguments (a list or a dict)."""
    factory = DISTRIBUTIONS[name]
    if isinstance(args, dict):
        return factory(**args)
    return factory(*args)


def make_search(
    estimator,
    space,
    *,
    n_iter,
    n_rounds,
    cv,
    scoring,
    n_jobs,
    random_state,
    error_score=np.nan,
    halving=True,
):
    """The coarse-to-fine search ``skhp tune`` runs.

    With ``halving``, each round runs successive halving over the network's
    epochs: promoted candidates train on from where their rung stopped. Beyond
    round 0 (whose calibration sample trains to the end), a rung prunes only
    once that sample has shown that it ranks the candidates as the full
    epochs do (``HALVING_MIN_RANK_CORRELATION``): on data where a few epochs
    favour other networks than the full training, every later candidate is
    trained to the end. A search too small to judge the
    rungs (``halving_can_run``) runs without them.
    """
    halving = halving and halving_can_run(n_iter, n_rounds)
    return CoarseToFineSearchCV(
        estimator,
        space,
        n_iter=n_iter,
        n_rounds=n_rounds,
        cv=cv,
        scoring=scoring,
        n_jobs=n_jobs,
        random_state=random_state,
        error_score=error_score,
        resource=f"{STEP}__max_iter" if halving else None,
        min_rank_correlation=HALVING_MIN_RANK_CORRELATION if halving else None,
    )
