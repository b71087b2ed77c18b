"""warm_start="continue": a fit continued to max_iter is one straight fit."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning

from skhp import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16, y[:600]


def _assert_same_network(a, b):
    assert a.n_iter_ == b.n_iter_
    assert a.loss_curve_ == b.loss_curve_
    for name in ("coefs_", "intercepts_", "bn_running_means_", "bn_running_vars_"):
        for left, right in zip(getattr(a, name), getattr(b, name)):
            assert_array_equal(left, right)


@pytest.mark.parametrize(
    "params",
    [
        {},  # adam, constant rate
        {"batch_norm": "before", "dropout": 0.2, "learning_rate": "inverse_time",
         "decay_rate": 0.3, "batch_size": 64},
        {"solver": "sgd", "learning_rate": "adaptive", "nesterovs_momentum": True},
        {"solver": "rmsprop", "learning_rate": "exponential", "decay_rate": 0.9,
         "weight_decay": 1e-3, "max_gradient_norm": 1.0, "warmup_epochs": 2},
    ],
)
def test_three_then_six_epochs_equal_nine_straight(digits, params):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        straight = MLPClassifier((24,), max_iter=9, random_state=0, **params).fit(X, y)
        continued = MLPClassifier((24,), max_iter=3, random_state=0, **params).fit(X, y)
        # a pickle round trip between the two, as between a search's rungs
        continued = pickle.loads(pickle.dumps(continued))
        continued.set_params(warm_start="continue", max_iter=9).fit(X, y)
    _assert_same_network(straight, continued)


def test_continue_regressor_in_three_steps():
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    y = y / y.std()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        straight = MLPRegressor(hidden_layer_sizes=(16,), max_iter=8, random_state=1).fit(X, y)
        net = MLPRegressor(hidden_layer_sizes=(16,), max_iter=2, random_state=1).fit(X, y)
        for total in (5, 8):
            net.set_params(warm_start="continue", max_iter=total).fit(X, y)
    _assert_same_network(straight, net)


def test_continue_differs_from_warm_start_true(digits):
    """warm_start=True trains max_iter more epochs with a fresh optimizer."""
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = MLPClassifier((24,), max_iter=3, random_state=0).fit(X, y)
        warm.set_params(warm_start=True, max_iter=6).fit(X, y)
    assert warm.n_iter_ == 6  # n_iter_ counts the last fit's epochs only
    straight = MLPClassifier((24,), max_iter=9, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        straight.fit(X, y)
    assert not np.array_equal(warm.coefs_[0], straight.coefs_[0])


def test_continue_after_convergence_trains_nothing(digits):
    """A fit that stopped on its own stays stopped, as a longer fit would."""
    X, y = digits
    net = MLPClassifier((24,), max_iter=200, tol=10.0, n_iter_no_change=2,
                        random_state=0).fit(X, y)
    stopped_at = net.n_iter_
    assert stopped_at < 200
    coefs = [c.copy() for c in net.coefs_]
    net.set_params(warm_start="continue", max_iter=400).fit(X, y)
    assert net.n_iter_ == stopped_at
    for before, after in zip(coefs, net.coefs_):
        assert_array_equal(before, after)


def test_continue_up_to_fewer_epochs_trains_nothing(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = MLPClassifier((24,), max_iter=5, random_state=0).fit(X, y)
        net.set_params(warm_start="continue", max_iter=3).fit(X, y)
    assert net.n_iter_ == 5


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"solver": "lbfgs"}, "L-BFGS"),
        ({"early_stopping": True}, "early stopping"),
        ({"learning_rate": "cosine"}, "cosine"),
    ],
)
def test_continue_refuses_what_is_not_one_run(digits, params, reason):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = MLPClassifier((8,), max_iter=3, random_state=0, **params).fit(X, y)
    with pytest.raises(ValueError, match=reason):
        net.set_params(warm_start="continue", max_iter=6).fit(X, y)


def test_continue_on_an_unfitted_network_is_a_plain_fit(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPClassifier((8,), max_iter=4, random_state=0, warm_start="continue").fit(X, y)
        b = MLPClassifier((8,), max_iter=4, random_state=0).fit(X, y)
    _assert_same_network(a, b)


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("batch_norm", [None, "before", "after"])
@pytest.mark.parametrize("how", ["partial_fit", "continue", "warm_start"])
def test_training_on_a_memory_mapped_network(digits, tmp_path, solver, batch_norm, how):
    """joblib memory-maps a fitted network's arrays read-only (a search's fold
    model sent to a worker, ``joblib.load(mmap_mode="r")``): training on copies
    them and gives the network an in-memory one gets."""
    X, y = digits
    net = MLPClassifier((32,), solver=solver, batch_norm=batch_norm, max_iter=2,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y)
        joblib.dump(net, tmp_path / "net.joblib")
        mapped = joblib.load(tmp_path / "net.joblib", mmap_mode="r")
        in_memory = pickle.loads(pickle.dumps(net))
        assert not mapped.coefs_[0].flags.writeable
        for model in (mapped, in_memory):
            if how == "partial_fit":
                model.partial_fit(X, y)
            else:
                model.set_params(max_iter=4, warm_start="continue" if how == "continue" else True)
                model.fit(X, y)
    _assert_same_network(mapped, in_memory)
    # the file is untouched
    assert_array_equal(joblib.load(tmp_path / "net.joblib").coefs_[0], net.coefs_[0])


def test_lbfgs_warm_start_on_a_memory_mapped_network(digits, tmp_path):
    X, y = digits
    net = MLPClassifier((16,), solver="lbfgs", batch_norm="after", max_iter=3,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        joblib.dump(net.fit(X, y), tmp_path / "net.joblib")
        mapped = joblib.load(tmp_path / "net.joblib", mmap_mode="r")
        mapped.set_params(warm_start=True).fit(X, y)
    assert mapped.bn_running_means_[0].flags.writeable
