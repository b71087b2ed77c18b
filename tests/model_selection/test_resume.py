"""A search resumed from any of its checkpoints ends as the uninterrupted one.

Every checkpoint a search writes (after each round, and after each rung with
a resource) is the state a Ctrl-C there would leave. Each is resumed in turn,
and the whole ``cv_results_`` compared with the run that was never stopped.
"""

import shutil
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

from skhp import CoarseToFineSearchCV, MLPClassifier, loguniform
from skhp.model_selection import _checkpoint

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X, Y = X_DIGITS[:300] / 16, Y_DIGITS[:300]
SPACE = {"learning_rate_init": loguniform(1e-4, 1e-1), "alpha": loguniform(1e-6, 1e-1),
         "beta_1": stats.uniform(0.5, 0.45)}
# finite, but far from running out: resuming asks whether it has
FINITE_SPACE = {"learning_rate_init": list(np.geomspace(1e-4, 1e-1, 10)),
                "alpha": list(np.geomspace(1e-6, 1e-1, 10))}


def make_search(checkpoint, space=SPACE, **params):
    kw = dict(n_iter=30, n_rounds=3, cv=KFold(2), random_state=0, checkpoint=checkpoint)
    kw.update(params)
    net = MLPClassifier((8,), max_iter=9, random_state=0)
    return CoarseToFineSearchCV(net, space, **kw)


def snapshots_of_a_whole_run(tmp_path, monkeypatch, **params):
    """The uninterrupted search, and a copy of each checkpoint it wrote."""
    saved = []
    original = _checkpoint.save

    def save_and_keep(path, *args, **kwargs):
        original(path, *args, **kwargs)
        copy = tmp_path / f"snapshot-{len(saved)}.ckpt"
        shutil.copyfile(path, copy)
        saved.append(copy)

    monkeypatch.setattr(_checkpoint, "save", save_and_keep)
    full = make_search(tmp_path / "full.ckpt", **params).fit(X, Y)
    monkeypatch.setattr(_checkpoint, "save", original)
    return full, saved


def assert_same_cv_results(resumed, full):
    assert sorted(resumed) == sorted(full)
    for key, values in full.items():
        if key.endswith("_time"):
            continue
        if key == "params":
            assert resumed[key] == values
        else:
            assert_array_equal(np.asarray(resumed[key]), np.asarray(values), err_msg=key)


@pytest.mark.parametrize("params, n_boundaries", [
    ({}, 3),  # a checkpoint after each round
    ({"space": FINITE_SPACE}, 3),
    # after each rung of each round: rounds of 10 candidates have three rungs
    ({"resource": "max_iter"}, 9),
    ({"resource": "max_iter", "min_rank_correlation": 0.5}, 9),
])
def test_resumed_at_every_boundary_equals_the_uninterrupted_search(
    tmp_path, monkeypatch, params, n_boundaries
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full, snapshots = snapshots_of_a_whole_run(tmp_path, monkeypatch, **params)
        assert len(snapshots) == n_boundaries
        for snapshot in snapshots:
            resumed = make_search(snapshot, **params).fit(X, Y)
            assert_same_cv_results(resumed.cv_results_, full.cv_results_)
            assert resumed.rounds_ == full.rounds_
            assert resumed.best_params_ == full.best_params_
            assert resumed.best_index_ == full.best_index_
