"""A corpus of bad data: each case gets a clear error or a correct result."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, make_classification

from skhp import MLPClassifier, MLPRegressor

X_GOOD, Y_GOOD = make_classification(n_samples=40, n_features=5, random_state=0)


def _with(value, where=(0, 0), X=X_GOOD):
    X = X.astype(object if isinstance(value, str) else float)
    X[where] = value
    return X


# (name, X, y, fit keyword arguments, pattern the error message must match)
ERRORS = [
    ("NaN in X", _with(np.nan), Y_GOOD, {}, "NaN"),
    ("inf in X", _with(np.inf), Y_GOOD, {}, "infinity"),
    ("-inf in X", _with(-np.inf), Y_GOOD, {}, "infinity"),
    ("NaN in sample_weight", X_GOOD, Y_GOOD,
     {"sample_weight": np.r_[np.nan, np.ones(39)]}, "NaN"),
    ("negative sample_weight", X_GOOD, Y_GOOD,
     {"sample_weight": np.r_[-1.0, np.ones(39)]}, "[Nn]egative"),
    ("wrong-length sample_weight", X_GOOD, Y_GOOD,
     {"sample_weight": np.ones(3)}, "sample_weight"),
    ("empty X", np.empty((0, 5)), np.empty(0), {}, "0 sample"),
    ("no features", np.empty((40, 0)), Y_GOOD, {}, "0 feature"),
    ("one sample", X_GOOD[:1], Y_GOOD[:1], {}, "one class"),
    ("one class", X_GOOD, np.ones(40), {}, "one class"),
    ("strings in X", _with("abc"), Y_GOOD, {}, "convert|string"),
    ("ragged rows", [[1.0, 2.0], [3.0]] * 5, [0, 1] * 5, {}, "inhomogeneous|sequence"),
    ("3-d X", np.zeros((4, 2, 2)), [0, 1, 0, 1], {}, "dim"),
    ("X and y lengths differ", X_GOOD, Y_GOOD[:-1], {}, "inconsistent numbers"),
    ("continuous y", X_GOOD, np.linspace(0, 1, 40), {}, "Unknown label type"),
    ("float32 overflow", (X_GOOD * 1e30).astype(np.float32), Y_GOOD, {}, "magnitude"),
    ("float64 overflow", X_GOOD * 1e300, Y_GOOD, {}, "magnitude"),
]


@pytest.mark.parametrize("name, X, y, kwargs, match", ERRORS, ids=[e[0] for e in ERRORS])
def test_classifier_refuses_bad_data(name, X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLPClassifier((4,), max_iter=2).fit(X, y, **kwargs)


@pytest.mark.parametrize("y, match", [
    (np.r_[np.nan, np.ones(39)], "NaN"),
    (np.array(["a"] * 40, dtype=object), "convert|string|numeric"),
])
def test_regressor_refuses_bad_targets(y, match):
    with pytest.raises(ValueError, match=match):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X_GOOD, y)


@pytest.fixture(scope="module")
def fitted():
    est = MLPClassifier((8,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X_GOOD, Y_GOOD)


@pytest.mark.parametrize("X, match", [
    (X_GOOD[:, :3], "features"),
    (_with(np.nan), "NaN"),
    (np.empty((0, 5)), "0 sample"),
    (_with("abc"), "convert|string"),
])
def test_predict_refuses_bad_data(fitted, X, match):
    with pytest.raises(ValueError, match=match):
        fitted.predict(X)


def test_valid_but_unusual_input_gives_correct_results(fitted):
    # object arrays of numbers, lists, integer arrays, sparse matrices of any
    # format: the same predictions as the float array
    expected = fitted.predict_proba(X_GOOD)
    for X in [X_GOOD.astype(object), X_GOOD.tolist(), sp.csr_matrix(X_GOOD),
              sp.coo_matrix(X_GOOD), sp.lil_matrix(X_GOOD)]:
        np.testing.assert_allclose(fitted.predict_proba(X), expected, rtol=1e-7)
    # integer features train like the same values in float
    X_int = np.round(X_GOOD * 10).astype(int)
    a = MLPClassifier((4,), max_iter=3, random_state=0)
    b = MLPClassifier((4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a.fit(X_int, Y_GOOD)
        b.fit(X_int.astype(float), Y_GOOD)
    assert_array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize("batch_norm", ["before", "after", None])
def test_one_sample_regression_fits_its_target(batch_norm):
    # Trains all 300 epochs (Adam's loss oscillates by more than tol at the
    # end); with batch norm the one row is normalized with the running
    # statistics, so the hidden layers train too.
    est = MLPRegressor(hidden_layer_sizes=(4,), learning_rate_init=0.05, max_iter=300,
                       n_iter_no_change=300, random_state=0, batch_norm=batch_norm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_GOOD[:1], [3.0])
    assert est.predict(X_GOOD[:1]) == pytest.approx([3.0], abs=0.01)
    assert est.predict(X_GOOD[1:5]).std() > 0.01  # not a constant network


def test_extreme_magnitudes():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    reference = MLPClassifier((32,), max_iter=15, batch_norm="before", random_state=0)
    huge = MLPClassifier((32,), max_iter=15, batch_norm="before", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(X, y)
        # representable in float64: batch norm makes it the same fit
        huge.fit(X * 1e100, y)
    assert np.mean(huge.predict(X * 1e100) == reference.predict(X)) > 0.99
    # so small that batch norm's epsilon erases the signal: said so
    with pytest.warns(UserWarning, match="far below batch_norm_epsilon"):
        MLPClassifier((32,), max_iter=15, batch_norm="before",
                      random_state=0).fit(X * 1e-30, y)
