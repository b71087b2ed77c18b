"""The hidden activations beyond scikit-learn's four, against closed forms."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import erf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skhp import MLPClassifier
from skhp.neural_network._base import ACTIVATIONS

Z = np.linspace(-4, 4, 41)
CLOSED_FORMS = {
    "leaky_relu": np.where(Z > 0, Z, 0.01 * Z),
    "elu": np.where(Z > 0, Z, np.exp(Z) - 1),
    "gelu": 0.5 * Z * (1 + erf(Z / np.sqrt(2))),
    "silu": Z / (1 + np.exp(-Z)),
}


@pytest.mark.parametrize("name", CLOSED_FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_matches_its_closed_form(name, dtype):
    X = Z.astype(dtype).reshape(-1, 1)
    ACTIVATIONS[name](X)
    assert X.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert_allclose(X.ravel(), CLOSED_FORMS[name], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("activation", list(CLOSED_FORMS))
@pytest.mark.parametrize("batch_norm", [None, "before"])
def test_networks_learn_with_each_activation(activation, batch_norm):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    est = MLPClassifier((32,), activation=activation, batch_norm=batch_norm,
                        max_iter=30, learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_train, y_train)
    assert est.score(X_test, y_test) > 0.93
    # the same seed, the same network
    again = MLPClassifier((32,), activation=activation, batch_norm=batch_norm,
                          max_iter=2, random_state=0)
    other = MLPClassifier((32,), activation=activation, batch_norm=batch_norm,
                          max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_allclose(again.fit(X_train, y_train).coefs_[0],
                        other.fit(X_train, y_train).coefs_[0])


def test_an_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="'activation' parameter.*'silu'.*Got 'swish'"):
        MLPClassifier(activation="swish").fit([[0.0], [1.0]], [0, 1])
