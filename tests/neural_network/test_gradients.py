"""Finite-difference checks of every gradient the networks train with."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification, make_regression

from skhp import MLPClassifier, MLPRegressor

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"]
BATCH_NORMS = ["before", "after", None]


def assert_gradient_matches_finite_differences(est, X, y, sample_weight=None):
    """Compare the backpropagated gradient with central differences."""
    # A few epochs first, so that gammas, betas and biases are not at their
    # initial values (where some terms of the gradient vanish).
    est.set_params(max_iter=3, alpha=0.01).fit(X, y, sample_weight=sample_weight)
    X, Y = est._validate_input(X, y, incremental=False, reset=False)
    Y = Y.reshape(len(Y), -1)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    ws = est._make_workspace(X.shape[0], X.dtype)
    if ws.dropout_masks is not None:  # held fixed for every evaluation below
        est._draw_dropout_masks(ws, X.shape[0])
    est._backprop(X, Y, sw, ws)
    analytic = ws.grads.copy()
    assert_allclose(analytic, finite_differences(est, X, Y, sw, ws), rtol=1e-5, atol=1e-8)
    return analytic


def finite_differences(est, X, Y, sw, ws, h=1e-6):
    """Central differences of the loss in every parameter of ``est``."""
    params = est._params
    numeric = np.empty_like(params)
    for k in range(params.size):
        original = params[k]
        params[k] = original + h
        loss_plus = est._backprop(X, Y, sw, ws)
        params[k] = original - h
        loss_minus = est._backprop(X, Y, sw, ws)
        params[k] = original
        numeric[k] = (loss_plus - loss_minus) / (2 * h)
    return numeric


@pytest.mark.parametrize("batch_norm", BATCH_NORMS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_gradient(batch_norm, activation, n_classes):
    X, y = make_classification(n_samples=20, n_features=5, n_informative=3,
                               n_classes=n_classes, random_state=0)
    est = MLPClassifier((4, 3), activation=activation, batch_norm=batch_norm,
                        solver="sgd", learning_rate_init=0.1, random_state=0)
    grads = assert_gradient_matches_finite_differences(est, X, y)
    if batch_norm:
        # gamma and beta get a gradient of their own
        n_bn = 2 * (4 + 3)
        assert np.abs(grads[-n_bn:]).max() > 1e-6


@pytest.mark.parametrize("batch_norm", BATCH_NORMS)
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_gradient(batch_norm, loss):
    X, y = make_regression(n_samples=20, n_features=4, n_targets=2, random_state=0)
    if loss == "poisson":
        y = np.exp(y / y.std())
    else:
        y = y / y.std()
    est = MLPRegressor(loss=loss, hidden_layer_sizes=(5,), activation="tanh",
                       batch_norm=batch_norm, solver="adam",
                       learning_rate_init=0.01, random_state=0)
    assert_gradient_matches_finite_differences(est, X, y)


@pytest.mark.parametrize("batch_norm", BATCH_NORMS)
def test_gradient_with_sample_weight_and_multilabel(batch_norm):
    X, y = make_classification(n_samples=20, n_features=5, random_state=1)
    Y = np.column_stack([y, 1 - y, X[:, 0] > 0]).astype(int)
    weights = np.random.RandomState(0).uniform(0.1, 3, size=20)
    est = MLPClassifier((4,), activation="tanh", batch_norm=batch_norm,
                        solver="adam", random_state=0)
    assert_gradient_matches_finite_differences(est, X, Y, sample_weight=weights)


@pytest.mark.parametrize("batch_norm", ["before", "after"])
def test_gradient_of_a_batch_of_one_row(batch_norm):
    # One row is normalized with the running statistics, held fixed.
    X, y = make_regression(n_samples=20, n_features=4, random_state=0)
    est = MLPRegressor(hidden_layer_sizes=(5, 3), activation="tanh",
                       batch_norm=batch_norm, solver="sgd", random_state=0)
    est.set_params(max_iter=3, alpha=0.01).fit(X, y / y.std())
    X1, Y1 = X[:1], (y[:1] / y.std()).reshape(1, 1)
    ws = est._make_workspace(1, X.dtype)
    est._backprop(X1, Y1, None, ws)
    assert not any(s.from_batch for s in ws.statistics)
    analytic = ws.grads.copy()
    assert np.abs(analytic[: est._layout.n_coef]).max() > 1e-6
    numeric = finite_differences(est, X1, Y1, None, ws)
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("batch_norm", BATCH_NORMS)
@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
@pytest.mark.parametrize("dropout", [0.3, (0.5, 0.0)])
def test_gradient_through_dropout_with_its_mask_held_fixed(batch_norm, activation, dropout):
    X, y = make_classification(n_samples=20, n_features=5, n_informative=3,
                               n_classes=3, random_state=0)
    est = MLPClassifier((4, 3), activation=activation, batch_norm=batch_norm,
                        dropout=dropout, solver="sgd", learning_rate_init=0.1,
                        random_state=0)
    assert_gradient_matches_finite_differences(est, X, y)
