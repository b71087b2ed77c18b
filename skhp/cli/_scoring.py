"""``--scoring`` and ``--pos-label``: the scorer of a run, checked before any fit.

A scorer that cannot score the target (a regression metric on class labels,
``f1`` on labels that are not 0/1) fails on every fold of every candidate;
scikit-learn then scores each fit NaN and the search runs to the end for
nothing. The scorer is tried once on a constant model's predictions first,
and the problem is said in one line.
"""

import re
import warnings

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    get_scorer,
    get_scorer_names,
    jaccard_score,
    make_scorer,
    precision_score,
    recall_score,
)

__all__ = ["ScoringError", "make_run_scorer"]

# Scorers that score one class of a binary target as the positive one: their
# metric, response and direction, to remake them with the user's pos_label.
POS_LABEL_SCORERS = {
    "f1": (f1_score, "predict", True),
    "precision": (precision_score, "predict", True),
    "recall": (recall_score, "predict", True),
    "jaccard": (jaccard_score, "predict", True),
    "average_precision": (
        average_precision_score, ("decision_function", "predict_proba"), True
    ),
    "neg_brier_score": (brier_score_loss, "predict_proba", False),
}
# Binary labels under which scikit-learn's default pos_label=1 names a class.
_DEFAULT_POSITIVE = ({0, 1}, {-1, 1})


class ScoringError(ValueError):
    """The scorer cannot score this target; the message says why, in one line."""


def _label_named(text, classes):
    """The class whose text is ``text``, for ``--pos-label``."""
    for label in classes:
        if str(label) == text:
            return label
    listed = ", ".join(repr(str(c)) for c in classes)
    raise ScoringError(f"--pos-label {text!r} is not a class of the target: {listed}")


def make_run_scorer(name, pos_label, task, y):
    """The scorer ``skhp tune`` uses, and how to describe it.

    Parameters
    ----------
    name : str or None
        ``--scoring``; None: accuracy, or r2 for a regression.
    pos_label : str or None
        ``--pos-label``, the text of a class of ``y``.
    task : {"classification", "regression"}
    y : ndarray
        The target.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer, checked on ``y``.
    description : str
        ``name``, with the positive class where there is one.
    """
    if name is None:
        name = "accuracy" if task == "classification" else "r2"
    if name not in get_scorer_names():
        raise ScoringError(
            f"unknown scoring {name!r}; see sklearn.metrics.get_scorer_names()"
        )
    scorer, description = get_scorer(name), name
    if name in POS_LABEL_SCORERS and task == "classification":
        classes = np.unique(y)
        if pos_label is not None:
            label = _label_named(pos_label, classes)
        elif len(classes) == 2 and set(classes.tolist()) not in _DEFAULT_POSITIVE:
            listed = ", ".join(repr(str(c)) for c in classes)
            raise ScoringError(
                f"--scoring {name} scores one class as the positive one, and the "
                f"classes are {listed}: name it with --pos-label"
            )
        else:
            label = None
        if label is not None:
            metric, response, greater = POS_LABEL_SCORERS[name]
            scorer = make_scorer(metric, response_method=response,
                                 greater_is_better=greater, pos_label=label)
            description = f"{name} (positive class {str(label)!r})"
    elif pos_label is not None:
        raise ScoringError(
            "--pos-label goes with a classification scored by "
            + ", ".join(POS_LABEL_SCORERS)
        )
    _check_scorer(scorer, name, task, y)
    return scorer, description


def _check_scorer(scorer, name, task, y):
    """Score a constant model once, so that a scorer that cannot score the
    target fails here, before any fit, and not on every fold."""
    model = (DummyClassifier() if task == "classification" else DummyRegressor())
    X = np.zeros((len(y), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant model scores badly: no matter
        try:
            score = scorer(model.fit(X, y), X, y)
        except Exception as exc:  # what scikit-learn's metric says is the reason
            # one line, and numpy's scalars as the values they hold
            reason = re.sub(r"np\.\w+\((.*?)\)", r"\1", " ".join(str(exc).split()))
            raise ScoringError(
                f"--scoring {name} cannot score this {task} target: {reason}"
            ) from None
    if not np.isfinite(score):
        raise ScoringError(f"--scoring {name} gives {score} on this target")
