"""Batch normalization as a pair of pure functions, forward and backward.

Batch normalization (Ioffe and Szegedy, 2015) normalizes each unit of a layer
over the rows of a mini-batch, then lets the network choose the scale and
shift it wants back: ``y = gamma * (z - mean) / sqrt(var + eps) + beta``.

Sample weights enter the batch statistics as repetitions would, so that a
weight of 2 means the same as a repeated row (the convention of every
scikit-learn estimator).
"""

import numpy as np


def batch_statistics(Z, weights=None):
    """Mean and (biased) variance of each column of ``Z``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        A layer's values for a mini-batch.
    weights : ndarray of shape (n_samples,), default=None
        Sample weights; ``None`` weighs every row equally.

    Returns
    -------
    mean, var : ndarray of shape (n_units,)
    """
    if weights is None:
        mean = Z.mean(axis=0)
        var = Z.var(axis=0)
    else:
        mean = np.average(Z, axis=0, weights=weights)
        var = np.average((Z - mean) ** 2, axis=0, weights=weights)
    return mean, var


def batch_norm_forward(Z, gamma, beta, mean, var, epsilon, xhat_out, out):
    """Normalize ``Z`` with the given statistics, then scale and shift.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Values to normalize. May be the same array as ``out``.
    gamma, beta : ndarray of shape (n_units,)
        Learnable scale and shift.
    mean, var : ndarray of shape (n_units,)
        The statistics to normalize with: the batch's while training.
    epsilon : float
        Added to the variance for numerical stability.
    xhat_out : ndarray of shape (n_samples, n_units)
        Receives the normalized values, which the backward pass needs.
    out : ndarray of shape (n_samples, n_units)
        Receives ``gamma * xhat + beta``.

    Returns
    -------
    inv_std : ndarray of shape (n_units,)
        ``1 / sqrt(var + epsilon)``, which the backward pass needs.
    """
    inv_std = 1.0 / np.sqrt(var + epsilon)
    np.subtract(Z, mean, out=xhat_out)
    xhat_out *= inv_std
    np.multiply(xhat_out, gamma, out=out)
    out += beta
    return inv_std


def batch_norm_backward(dY, xhat, gamma, inv_std, weight_fraction, grad_gamma,
                        grad_beta, scratch):
    """Backpropagate through batch normalization, in place.

    On return ``dY`` holds the gradient with respect to the layer's input
    ``Z``, and ``grad_gamma``, ``grad_beta`` the parameters' gradients.
    With weights ``w`` summing to ``W``, and ``f = w / W``::

        dZ = gamma * inv_std * (dY - f * (sum(dY) + xhat * sum(dY * xhat)))

    Parameters
    ----------
    dY : ndarray of shape (n_samples, n_units)
        Gradient of the loss with respect to the layer's output; overwritten.
    xhat : ndarray of shape (n_samples, n_units)
        Normalized values from the forward pass.
    gamma, inv_std : ndarray of shape (n_units,)
        Scale and inverse standard deviation from the forward pass.
    weight_fraction : float or ndarray of shape (n_samples, 1)
        Each row's share of the batch statistics: ``1 / n_samples`` without
        sample weights, else ``w / sum(w)``.
    grad_gamma, grad_beta : ndarray of shape (n_units,)
        Receive the gradients of gamma and beta.
    scratch : ndarray of shape (n_samples, n_units)
        Work space.
    """
    np.sum(dY, axis=0, out=grad_beta)
    np.multiply(dY, xhat, out=scratch)
    np.sum(scratch, axis=0, out=grad_gamma)
    np.multiply(xhat, grad_gamma, out=scratch)
    scratch += grad_beta
    scratch *= weight_fraction
    dY -= scratch
    dY *= gamma * inv_std
