"""Activations, their derivatives and the losses, found by name.

Each activation works in place on its argument; each derivative multiplies a
backpropagated error ``delta`` in place by the activation's derivative,
written as a function of the activation's *output* ``A`` (which is what the
forward pass keeps). The losses are scikit-learn's own, so that a network
without batch normalization reports the same ``loss_`` as scikit-learn's.
"""

import numpy as np
from scipy.special import expit

from skhp._compat import LOSS_FUNCTIONS


def inplace_identity(X):
    """Leave ``X`` unchanged: f(x) = x."""


def inplace_logistic(X):
    """Logistic sigmoid in place: f(x) = 1 / (1 + exp(-x))."""
    expit(X, out=X)


def inplace_tanh(X):
    """Hyperbolic tangent in place."""
    np.tanh(X, out=X)


def inplace_relu(X):
    """Rectified linear unit in place: f(x) = max(x, 0)."""
    np.maximum(X, 0, out=X)


def inplace_exp(X):
    """Exponential in place (the output of a Poisson regression)."""
    np.exp(X, out=X)


def inplace_softmax(X):
    """Row-wise softmax in place, shifted by the row maximum for stability."""
    X -= X.max(axis=1, keepdims=True)
    np.exp(X, out=X)
    X /= X.sum(axis=1, keepdims=True)


ACTIVATIONS = {
    "identity": inplace_identity,
    "logistic": inplace_logistic,
    "tanh": inplace_tanh,
    "relu": inplace_relu,
    "exp": inplace_exp,
    "softmax": inplace_softmax,
}


def inplace_identity_derivative(A, delta):
    """Derivative of the identity: nothing to do."""


def inplace_logistic_derivative(A, delta):
    """Multiply ``delta`` by A * (1 - A)."""
    delta *= A
    delta *= 1 - A


def inplace_tanh_derivative(A, delta):
    """Multiply ``delta`` by 1 - A**2."""
    delta *= 1 - A**2


def inplace_relu_derivative(A, delta):
    """Zero ``delta`` where the unit was inactive (A == 0)."""
    # A multiply by the mask is one pass; boolean-index assignment is two.
    np.multiply(delta, A > 0, out=delta)


DERIVATIVES = {
    "identity": inplace_identity_derivative,
    "logistic": inplace_logistic_derivative,
    "tanh": inplace_tanh_derivative,
    "relu": inplace_relu_derivative,
}

__all__ = ["ACTIVATIONS", "DERIVATIVES", "LOSS_FUNCTIONS"]
