import os

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import Parallel, delayed, parallel_config
from sklearn.base import BaseEstimator

from skhp import CoarseToFineSearchCV, loguniform
from skhp._compat import BaseSearchCV
from skhp.model_selection._sharing import shared_with_workers, worth_sharing

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sharing is POSIX-only")

# 2,000 x 64 float64: 1,000 KiB, between the 128 KiB and 1 MiB bounds
X_MID = np.random.RandomState(0).rand(2000, 64)


def _what_a_worker_receives(X):
    return type(X).__name__, getattr(X, "filename", None), float(X.sum())


def test_only_mid_sized_numeric_arrays_in_processes_are_shared():
    assert worth_sharing(X_MID, n_jobs=2)
    assert worth_sharing(X_MID.astype(np.float32), n_jobs=-1)
    assert not worth_sharing(X_MID, n_jobs=1)
    assert not worth_sharing(X_MID, n_jobs=None)  # None means 1 outside parallel_config
    assert not worth_sharing(X_MID[:200], n_jobs=2)  # 100 KiB: pickling is cheaper
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
        assert isinstance(shared, np.memmap)
        np.testing.assert_array_equal(shared, X)
        (folder,) = list(tmp_path.iterdir())
        received = Parallel(n_jobs=2)(delayed(_what_a_worker_receives)(shared) for _ in range(4))
        # copy-on-write: writing changes this process's pages, not the file or X
        shared[0, 0] += 1.0
        again = Parallel(n_jobs=2)(delayed(_what_a_worker_receives)(shared[1:]) for _ in range(2))
    # the workers mapped our file rather than unpickling a copy
    assert {r[0] for r in received} == {"memmap"}
    assert {os.path.dirname(r[1]) for r in received} == {str(folder)}
    assert {r[2] for r in received} == {float(X.sum())}
    assert {r[2] for r in again} == {float(X[1:].sum())}
    assert list(tmp_path.iterdir()) == []
    np.testing.assert_array_equal(X, X_MID)
    assert X.flags.writeable


def test_unwritable_folder_falls_back_to_the_array_itself(monkeypatch):
    monkeypatch.setenv("JOBLIB_TEMP_FOLDER", "/nonexistent/skhp-test")
    with shared_with_workers(X_MID, n_jobs=2) as same:
        assert same is X_MID


def test_not_worth_sharing_yields_the_array_itself():
    X = X_MID[:100]
    with shared_with_workers(X, n_jobs=2) as same:
        assert same is X


class _RemembersFitData(BaseEstimator):
    """Keeps what fit got, as estimators such as KNeighborsClassifier do."""

    def __init__(self, c=1.0):
        self.c = c

    def fit(self, X, y):
        if self.c < 0:
            raise RuntimeError("c < 0")
        self.X_ = X
        return self

    def score(self, X, y):
        return -abs(np.log10(self.c))


class _CentresInPlace(_RemembersFitData):
    """Writes into its input, which the refit must survive."""

    def fit(self, X, y):
        X -= X.mean(axis=0)
        return super().fit(X, y)


@pytest.fixture
def seen_by_base_search(monkeypatch, tmp_path):
    """The type of X that BaseSearchCV.fit gets, per call."""
    monkeypatch.setenv("JOBLIB_TEMP_FOLDER", str(tmp_path))
    seen = []
    real = BaseSearchCV.fit

    def spy(self, X, *args, **kwargs):
        seen.append(type(X))
        return real(self, X, *args, **kwargs)

    monkeypatch.setattr(BaseSearchCV, "fit", spy)
    return seen


SEARCH = dict(param_distributions={"c": loguniform(1e-3, 1e3)}, n_iter=8, n_rounds=2, cv=2,
              random_state=0)
Y_MID = np.arange(2000) % 2


def test_search_shares_x_with_same_results_and_cleans_up(seen_by_base_search, tmp_path):
    X = X_MID.copy()
    search = CoarseToFineSearchCV(_RemembersFitData(), n_jobs=2, **SEARCH).fit(X, Y_MID)
    serial = CoarseToFineSearchCV(_RemembersFitData(), n_jobs=1, **SEARCH).fit(X, Y_MID)
    assert seen_by_base_search == [np.memmap, np.ndarray]
    assert search.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    # The file is gone, and what the refitted estimator kept still reads right.
    assert list(tmp_path.iterdir()) == []
    np.testing.assert_array_equal(search.best_estimator_.X_, X)
    np.testing.assert_array_equal(X, X_MID)


def test_estimator_writing_into_x_refits_and_x_is_untouched(seen_by_base_search):
    X = X_MID.copy()
    search = CoarseToFineSearchCV(_CentresInPlace(), n_jobs=2, **SEARCH).fit(X, Y_MID)
    assert seen_by_base_search == [np.memmap]
    np.testing.assert_allclose(search.best_estimator_.X_.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_array_equal(X, X_MID)


def test_folder_is_removed_when_fit_raises(seen_by_base_search, tmp_path):
    search = CoarseToFineSearchCV(_RemembersFitData(), n_jobs=2, error_score="raise",
                                  **{**SEARCH, "param_distributions": {"c": [-1.0, -2.0]}})
    with pytest.raises(RuntimeError, match="c < 0"):
        search.fit(X_MID, Y_MID)
    assert seen_by_base_search == [np.memmap]
    assert list(tmp_path.iterdir()) == []
