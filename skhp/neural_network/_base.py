"""Activations, their derivatives and the losses, found by name.

Each activation works in place on its argument; each derivative multiplies a
backpropagated error ``delta`` in place by the activation's derivative,
written as a function of the activation's *output* ``A`` (which is what the
forward pass keeps). GELU and SiLU are not monotonic, so their output does not
determine their input: their derivatives (``INPUT_DERIVATIVES``) are written
as functions of the input ``Z``, which the forward pass then keeps as well. The losses are scikit-learn's own, so that a network
without batch normalization reports the same ``loss_`` as scikit-learn's,
but for the squared error (see :func:`squared_loss`).
"""

import numpy as np
from scipy.special import expit, ndtr

# PyTorch's default slope of the leaky ReLU's negative part.
LEAKY_RELU_SLOPE = 0.01

from skhp._compat import LOSS_FUNCTIONS as _SKLEARN_LOSS_FUNCTIONS


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
    # Multiplying by the mask is faster than np.maximum (measured 1.6x).
    np.multiply(X, X > 0, out=X)


def inplace_leaky_relu(X):
    """Leaky ReLU in place: f(x) = x if x > 0 else 0.01 x."""
    # max(x, slope x) for a slope below 1; a ufunc's where= runs 20x slower
    np.maximum(X, X * LEAKY_RELU_SLOPE, out=X)


def inplace_elu(X):
    """Exponential linear unit in place: f(x) = x if x > 0 else exp(x) - 1."""
    # expm1(x) >= x everywhere, so max(x, expm1(min(x, 0))) is x above zero and
    # expm1(x) below; a ufunc's where= would run 20x slower
    np.maximum(X, np.expm1(np.minimum(X, 0.0)), out=X)


def inplace_gelu(X):
    """Gaussian error linear unit in place (exact): f(x) = x * Phi(x)."""
    X *= ndtr(X)


def inplace_silu(X):
    """Sigmoid linear unit (swish) in place: f(x) = x * sigmoid(x)."""
    X *= expit(X)


def inplace_exp(X):
    """Exponential in place (the output of a Poisson regression)."""
    np.exp(X, out=X)


def inplace_softmax(X):
    """Row-wise softmax in place, shifted by the row maximum for stability."""
    # numpy reduces a row of a few classes slowly (the short row is its inner
    # loop): the maximum runs across rows of the transposed copy instead, and
    # the sums are a matrix-vector product (together 4x faster for 10 classes).
    X -= np.maximum.reduce(np.ascontiguousarray(X.T), axis=0)[:, np.newaxis]
    np.exp(X, out=X)
    X /= (X @ np.ones(X.shape[1], dtype=X.dtype))[:, np.newaxis]


ACTIVATIONS = {
    "identity": inplace_identity,
    "logistic": inplace_logistic,
    "tanh": inplace_tanh,
    "relu": inplace_relu,
    "leaky_relu": inplace_leaky_relu,
    "elu": inplace_elu,
    "gelu": inplace_gelu,
    "silu": inplace_silu,
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


def inplace_leaky_relu_derivative(A, delta):
    """Multiply ``delta`` by 1 where the unit was positive, else by the slope."""
    factor = (A > 0).astype(delta.dtype)
    factor *= 1.0 - LEAKY_RELU_SLOPE
    factor += LEAKY_RELU_SLOPE
    delta *= factor


def inplace_elu_derivative(A, delta):
    """Multiply ``delta`` by 1 where A > 0, else by exp(z) = A + 1."""
    delta *= np.minimum(A, 0.0) + 1.0  # A + 1 = exp(z) below zero, 1 above


DERIVATIVES = {
    "identity": inplace_identity_derivative,
    "logistic": inplace_logistic_derivative,
    "tanh": inplace_tanh_derivative,
    "relu": inplace_relu_derivative,
    "leaky_relu": inplace_leaky_relu_derivative,
    "elu": inplace_elu_derivative,
}


def inplace_gelu_derivative(Z, delta):
    """Multiply ``delta`` by Phi(z) + z phi(z), from the input ``Z``."""
    density = np.exp(-0.5 * Z * Z) * (1.0 / np.sqrt(2.0 * np.pi))
    delta *= ndtr(Z) + Z * density


def inplace_silu_derivative(Z, delta):
    """Multiply ``delta`` by s (1 + z (1 - s)), s = sigmoid(z), from the input."""
    s = expit(Z)
    delta *= s * (1.0 + Z * (1.0 - s))


INPUT_DERIVATIVES = {
    "gelu": inplace_gelu_derivative,
    "silu": inplace_silu_derivative,
}

def squared_loss(y_true, y_pred, sample_weight=None):
    """Half the squared error, summed over outputs, averaged over samples.

    Its gradient at the output is ``y_pred - y_true``, the gradient every
    MLP (scikit-learn's included) follows. scikit-learn reports the mean
    over outputs instead, which differs from this for several outputs and
    does not match the gradient it follows.
    """
    return 0.5 * np.average((y_true - y_pred) ** 2, weights=sample_weight, axis=0).sum()


_EPS = {t: np.finfo(t).eps for t in (np.float16, np.float32, np.float64)}


def log_loss(y_true, y_prob, sample_weight=None):
    """Cross-entropy of predicted probabilities, scikit-learn's ``log_loss``.

    For one-hot targets (multiclass) only each row's true-class probability
    matters, which is read directly instead of forming ``y * log(p)`` for
    every class; other targets use scikit-learn's function.
    """
    if y_true.dtype != bool or y_true.shape[1] == 1 or y_prob.shape != y_true.shape:
        return _SKLEARN_LOSS_FUNCTIONS["log_loss"](y_true, y_prob, sample_weight)
    true_prob = y_prob[y_true]
    if true_prob.shape[0] != y_true.shape[0]:  # not one-hot after all
        return _SKLEARN_LOSS_FUNCTIONS["log_loss"](y_true, y_prob, sample_weight)
    eps = _EPS[y_prob.dtype.type]
    log_prob = np.log(np.minimum(np.maximum(true_prob, eps), 1 - eps))
    if sample_weight is None:
        return -log_prob.sum() / log_prob.shape[0]
    return -np.average(log_prob, weights=sample_weight)


LOSS_FUNCTIONS = {
    **_SKLEARN_LOSS_FUNCTIONS,
    "squared_error": squared_loss,
    "log_loss": log_loss,
}

HIDDEN_ACTIVATIONS = set(DERIVATIVES) | set(INPUT_DERIVATIVES)


def init_scikit_learn(rng, fan_in, fan_out, activation):
    """scikit-learn's: uniform weights and intercepts, Glorot's bound (2 for logistic)."""
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    return (
        rng.uniform(-bound, bound, (fan_in, fan_out)),
        rng.uniform(-bound, bound, fan_out),
    )


def init_glorot_uniform(rng, fan_in, fan_out, activation):
    """Glorot and Bengio's uniform weights, bound sqrt(6 / (fan_in + fan_out)); zero intercepts."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def init_glorot_normal(rng, fan_in, fan_out, activation):
    """Glorot and Bengio's normal weights, std sqrt(2 / (fan_in + fan_out)); zero intercepts."""
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), (fan_in, fan_out)), np.zeros(fan_out)


def init_he_uniform(rng, fan_in, fan_out, activation):
    """He et al.'s uniform weights, bound sqrt(6 / fan_in); zero intercepts."""
    bound = np.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def init_he_normal(rng, fan_in, fan_out, activation):
    """He et al.'s normal weights, std sqrt(2 / fan_in); zero intercepts."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


#: Weight initializations by name: ``(rng, fan_in, fan_out, activation)`` to a
#: layer's (weights, intercepts).
WEIGHT_INITS = {
    "scikit-learn": init_scikit_learn,
    "glorot_uniform": init_glorot_uniform,
    "glorot_normal": init_glorot_normal,
    "he_uniform": init_he_uniform,
    "he_normal": init_he_normal,
}

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "HIDDEN_ACTIVATIONS",
    "INPUT_DERIVATIVES",
    "LOSS_FUNCTIONS",
    "WEIGHT_INITS",
]
