import os

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import Parallel, delayed, parallel_config
from sklearn.base import BaseEstimator

from skhp import CoarseToFineSearchCV, loguniform
from skhp.model_selection import _sharing
from skhp.model_selection._sharing import shared_with_workers, worth_sharing

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sharing is POSIX-only")

# 2,000 x 64 float64: 1,000 KiB, between the 64 KiB and 1 MiB bounds
X_MID = np.random.RandomState(0).rand(2000, 64)


def _what_a_worker_receives(X):
    return type(X).__name__, getattr(X, "filename", None), float(X.sum())


def test_only_mid_sized_numeric_arrays_in_processes_are_shared():
    assert worth_sharing(X_MID, n_jobs=2)
    assert worth_sharing(X_MID.astype(np.float32), n_jobs=-1)
    assert not worth_sharing(X_MID, n_jobs=1)
    assert not worth_sharing(X_MID, n_jobs=None)  # None means 1 outside parallel_config
    assert not worth_sharing(X_MID[:100], n_jobs=2)  # small: pickling is cheaper
    assert not worth_sharing(np.vstack([X_MID, X_MID]), n_jobs=2)  # joblib maps it itself
    assert not worth_sharing(X_MID.tolist(), n_jobs=2)
    assert not worth_sharing(sp.csr_matrix(X_MID), n_jobs=2)
    assert not worth_sharing(X_MID.astype(object), n_jobs=2)
    with parallel_config(backend="threading"):
        assert not worth_sharing(X_MID, n_jobs=2)  # threads share memory already
    with parallel_config(n_jobs=2):
        assert worth_sharing(X_MID, n_jobs=None)


def test_shared_copy_reaches_workers_by_reference_and_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("JOBLIB_TEMP_FOLDER", str(tmp_path))
    X = X_MID.copy()
    with shared_with_workers(X, n_jobs=2) as shared:
        assert isinstance(shared, np.memmap) and not shared.flags.writeable
        np.testing.assert_array_equal(shared, X)
        (folder,) = list(tmp_path.iterdir())
        received = Parallel(n_jobs=2)(delayed(_what_a_worker_receives)(shared) for _ in range(4))
    # the workers mapped our file rather than unpickling a copy
    assert {r[0] for r in received} == {"memmap"}
    assert {os.path.dirname(r[1]) for r in received} == {str(folder)}
    assert {r[2] for r in received} == {float(X.sum())}
    assert list(tmp_path.iterdir()) == []
    np.testing.assert_array_equal(X, X_MID)
    assert X.flags.writeable


def test_not_worth_sharing_yields_the_array_itself():
    X = X_MID[:100]
    with shared_with_workers(X, n_jobs=2) as same:
        assert same is X


class _RemembersFitData(BaseEstimator):
    """Keeps what fit got, as estimators such as KNeighborsClassifier do."""

    def __init__(self, c=1.0):
        self.c = c

    def fit(self, X, y):
        self.X_ = X
        return self

    def score(self, X, y):
        return -abs(np.log10(self.c))


def test_search_shares_x_refit_keeps_working_and_cleans_up(tmp_path, monkeypatch):
    monkeypatch.setenv("JOBLIB_TEMP_FOLDER", str(tmp_path))
    X, y = X_MID.copy(), np.arange(2000) % 2
    seen = []
    real = _sharing.shared_with_workers

    def spy(X, n_jobs):
        seen.append(worth_sharing(X, n_jobs))
        return real(X, n_jobs)

    monkeypatch.setattr("skhp.model_selection._coarse_to_fine.shared_with_workers", spy)
    kw = dict(n_iter=8, n_rounds=2, cv=2, random_state=0)
    search = CoarseToFineSearchCV(_RemembersFitData(), {"c": loguniform(1e-3, 1e3)},
                                  n_jobs=2, **kw).fit(X, y)
    serial = CoarseToFineSearchCV(_RemembersFitData(), {"c": loguniform(1e-3, 1e3)},
                                  n_jobs=1, **kw).fit(X, y)
    assert seen == [True, False]
    assert search.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    # The file is gone, and what the refitted estimator kept still reads right.
    assert list(tmp_path.iterdir()) == []
    np.testing.assert_array_equal(search.best_estimator_.X_, X)
    assert X.flags.writeable
