"""Networks to draw learning curves of: a search's best candidates, refitted.

A search's candidates are scored by cross-validation and keep no curves; the
best ones are refitted here with a held-out share of the rows, so that each
epoch's validation score is recorded.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skhp.inspection._results import cv_results_of

__all__ = ["refit_for_curves"]

_ORDINALS = {2: "2nd", 3: "3rd"}


def _network(estimator):
    """``(prefix, network)``: the last step of a pipeline, or the estimator."""
    if hasattr(estimator, "steps"):
        name, last = estimator.steps[-1]
        prefix, network = _network(last)
        return f"{name}__{prefix}", network
    return "", estimator


def refit_for_curves(
    search,
    X,
    y,
    *,
    n_candidates=2,
    max_iter=None,
    validation_fraction=0.1,
    random_state=None,
    best_label="best candidate (best_estimator_)",
):
    """Refit a search's best candidates with a validation split, for their curves.

    Each of the ``n_candidates`` best candidates (by ``rank_test_score``) is
    fitted again on ``X, y`` with ``early_stopping=True``: a share of the rows
    is held out and scored after every epoch, and training runs all
    ``max_iter`` epochs (``n_iter_no_change=max_iter``), so the curves show
    what later epochs would have given. Only candidates the search evaluated
    are drawn: nothing the search did not tune is compared.

    Parameters
    ----------
    search : fitted search
        A fitted search over a network, or a pipeline ending in one (with
        ``loss_curve_`` and ``validation_scores_``, as skhp's and
        scikit-learn's MLPs).

    X, y : array-like
        The data the search was fitted on.

    n_candidates : int, default=2
        How many of the best candidates to refit, best first.

    max_iter : int or None, default=None
        Epochs of each refit; None keeps the candidate's ``max_iter``.

    validation_fraction : float, default=0.1
        Share of the rows held out to score each epoch.

    random_state : int or None, default=None
        The networks' ``random_state`` (None keeps the candidate's).

    best_label : str, default="best candidate (best_estimator_)"
        Label of the best candidate, whose parameters ``best_estimator_`` (the
        model ``skhp tune`` saves) was refitted with.

    Returns
    -------
    networks : dict of str to fitted network
        Labels (with each candidate's cross-validated score) to the refitted
        networks, best first; pass it to :func:`plot_learning_curves` with
        ``highlight`` set to its first key.
    """
    results = cv_results_of(search)
    scores = np.asarray(results["mean_test_score"], dtype=float)
    ranked = [i for i in np.argsort(results["rank_test_score"], kind="stable")
              if np.isfinite(scores[i])]
    best = getattr(search, "best_index_", ranked[0] if ranked else None)
    if best is None:
        raise ValueError("the search has no candidate with a finite score")
    order = [best] + [i for i in ranked if i != best]
    prefix, template = _network(search.estimator)
    if not hasattr(template, "validation_fraction"):
        raise ValueError(
            f"{type(template).__name__} records no validation curve "
            "(no early_stopping / validation_fraction)"
        )
    networks = {}
    for k, i in enumerate(order[:n_candidates], start=1):
        estimator = clone(search.estimator).set_params(**results["params"][i])
        _, network = _network(estimator)
        epochs = max_iter if max_iter is not None else network.max_iter
        options = dict(
            early_stopping=True,
            n_iter_no_change=epochs,
            max_iter=epochs,
            validation_fraction=validation_fraction,
        )
        if random_state is not None:
            options["random_state"] = random_state
        estimator.set_params(**{prefix + key: v for key, v in options.items()})
        with warnings.catch_warnings():
            # Every epoch is trained on purpose.
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", message=".*batch_size.*clipped")
            estimator.fit(X, y)
        label = best_label if k == 1 else f"{_ORDINALS.get(k, f'{k}th')} best candidate"
        networks[f"{label}, CV {scores[i]:.4f}"] = _network(estimator)[1]
    return networks
