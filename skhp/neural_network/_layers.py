"""Batch normalization as a pair of pure functions, forward and backward.

Batch normalization (Ioffe and Szegedy, 2015) normalizes each unit of a layer
over the rows of a mini-batch, then lets the network choose the scale and
shift it wants back: ``y = gamma * (z - mean) / sqrt(var + eps) + beta``.

Sample weights enter the batch statistics as repetitions would, so that a
weight of 2 means the same as a repeated row (the convention of every
scikit-learn estimator). Column sums are matrix-vector products with the
rows' weights: BLAS does them in a third of the time of ``sum(axis=0)``.

A batch of one row has no spread: its own statistics would normalize every
unit to zero and nothing would train. Such a batch is normalized with the
running statistics instead, held fixed like an inference-time layer
(:func:`batch_norm_forward_fixed`), and does not update them.
"""

from typing import NamedTuple

import numpy as np


class BatchStatistics(NamedTuple):
    """What a forward pass normalized with, per unit.

    ``from_batch`` is False when the statistics were the running ones, held
    fixed (a batch of one row): then they neither depend on the batch nor
    update the running statistics.
    """

    mean: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    from_batch: bool


def batch_norm_forward(Z, gamma, beta, epsilon, centered_out, out, row_weights):
    """Normalize ``Z`` with its own (batch) statistics, then scale and shift.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Values to normalize. May be the same array as ``out``.
    gamma, beta : ndarray of shape (n_units,)
        Learnable scale and shift.
    epsilon : float
        Added to the variance for numerical stability.
    centered_out : ndarray of shape (n_samples, n_units)
        Receives ``Z - mean``, which the backward pass needs. (The
        normalized values are ``centered_out * inv_std``; keeping them
        unscaled saves a pass here and costs none there.)
    out : ndarray of shape (n_samples, n_units)
        Receives ``gamma * (Z - mean) * inv_std + beta``.
    row_weights : ndarray of shape (n_samples,)
        Each row's share of the statistics, summing to 1: ``1 / n_samples``
        each without sample weights, else ``w / sum(w)``.

    Returns
    -------
    statistics : BatchStatistics
        The batch's mean and (biased) variance, and ``1 / sqrt(var + eps)``.
    """
    mean = row_weights @ Z
    np.subtract(Z, mean, out=centered_out)
    # Z is no longer needed once centred, so ``out`` can hold the squares.
    np.multiply(centered_out, centered_out, out=out)
    var = row_weights @ out
    inv_std = 1.0 / np.sqrt(var + epsilon)
    np.multiply(centered_out, gamma * inv_std, out=out)
    out += beta
    return BatchStatistics(mean, var, inv_std, from_batch=True)


def batch_norm_forward_fixed(Z, gamma, beta, epsilon, mean, var, centered_out, out):
    """Normalize ``Z`` with given statistics (the running ones), then scale and shift.

    Parameters are those of :func:`batch_norm_forward`, with ``mean`` and
    ``var`` of shape (n_units,) in place of the rows' weights.

    Returns
    -------
    statistics : BatchStatistics
        ``mean``, ``var`` and ``1 / sqrt(var + eps)``, marked as not from
        the batch.
    """
    inv_std = 1.0 / np.sqrt(var + epsilon)
    np.subtract(Z, mean, out=centered_out)
    np.multiply(centered_out, gamma * inv_std, out=out)
    out += beta
    return BatchStatistics(mean, var, inv_std, from_batch=False)


def batch_norm_backward(dY, centered, gamma, statistics, weight_fraction, ones,
                        grad_gamma, grad_beta, scratch):
    """Backpropagate through batch normalization, in place.

    On return ``dY`` holds the gradient with respect to the layer's input
    ``Z``, and ``grad_gamma``, ``grad_beta`` the parameters' gradients.
    With ``xhat = centered * inv_std`` and weights ``w`` summing to ``W``,
    ``f = w / W``::

        dZ = gamma * inv_std * (dY - f * (sum(dY) + xhat * sum(dY * xhat)))

    With fixed statistics (``statistics.from_batch`` False) the mean and
    variance do not depend on ``Z`` and ``dZ = gamma * inv_std * dY``.

    Parameters
    ----------
    dY : ndarray of shape (n_samples, n_units)
        Gradient of the loss with respect to the layer's output; overwritten.
    centered : ndarray of shape (n_samples, n_units)
        ``Z - mean`` from the forward pass.
    gamma : ndarray of shape (n_units,)
        Scale from the forward pass.
    statistics : BatchStatistics
        What the forward pass normalized with.
    weight_fraction : float or ndarray of shape (n_samples, 1)
        Each row's share of the batch statistics: ``1 / n_samples`` without
        sample weights, else ``w / sum(w)``.
    ones : ndarray of shape (n_samples,)
        A vector of ones, for column sums.
    grad_gamma, grad_beta : ndarray of shape (n_units,)
        Receive the gradients of gamma and beta.
    scratch : ndarray of shape (n_samples, n_units)
        Work space.
    """
    inv_std = statistics.inv_std
    np.matmul(ones, dY, out=grad_beta)
    np.einsum("ij,ij->j", dY, centered, out=grad_gamma)
    grad_gamma *= inv_std
    if not statistics.from_batch:
        dY *= gamma * inv_std
        return
    if np.ndim(weight_fraction) == 0:
        # a scalar share folds into the two vectors: one pass fewer
        np.multiply(centered, grad_gamma * (inv_std * weight_fraction), out=scratch)
        scratch += grad_beta * weight_fraction
    else:
        np.multiply(centered, grad_gamma * inv_std, out=scratch)
        scratch += grad_beta
        scratch *= weight_fraction
    dY -= scratch
    dY *= gamma * inv_std
