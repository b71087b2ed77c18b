"""The network's passes: forward (training and prediction) and backward.

A mixin of the estimators, kept apart from fitting: what one forward and
backward pass computes, layer by layer, as the layer plan
(:class:`~skhp.neural_network._network.ParameterLayout`) says. Everything a
pass keeps lives in a :class:`~skhp.neural_network._network.Workspace`.
"""

import numpy as np
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import validate_data

from skhp.neural_network._base import (
    ACTIVATIONS,
    DERIVATIVES,
    INPUT_DERIVATIVES,
    LOSS_FUNCTIONS,
)
from skhp.neural_network._layers import (
    batch_norm_backward,
    batch_norm_forward,
    batch_norm_forward_fixed,
)
from skhp.neural_network._network import Workspace
from skhp.neural_network._optimizers import axpy


def _dot_into(a, b, out):
    """``out[...] = a @ b`` without a temporary when ``a`` is dense."""
    # isinstance on ndarray first: scipy's issparse costs microseconds, and
    # this runs several times per mini-batch
    if isinstance(a, np.ndarray):
        np.matmul(a, b, out=out)
    else:
        out[...] = safe_sparse_dot(a, b)


def _weight_gradient_into(inputs, delta, coef, l2, out):
    """``out[...] = inputs.T @ delta + l2 * coef``, in place.

    The product is the GEMM floor's own call and the penalty one axpy pass.
    Folding the penalty into the GEMM as its ``beta * C`` term was measured
    slower on an AMD EPYC (1.11 ms against 1.05 ms for the first layer): it
    needs the same pass over the weights to scale C first, and then the
    GEMM reads C too.
    """
    _dot_into(inputs.T, delta, out)
    if l2:
        axpy(coef, out, l2)


class NetworkPassesMixin:
    """Forward and backward passes of a fitted or training network.

    Reads the estimator's parameters (``coefs_``, ``bn_gammas_``...), its
    ``_layout`` and its hyperparameters (``activation``, ``alpha``,
    ``dropout``, ``batch_norm_epsilon``).
    """

    def _layer_input(self, i, X, ws, m):
        """The array that layer ``i``'s weights multiply."""
        if i == 0:
            return X
        if ws.dropped is not None and ws.dropped[i - 1] is not None:
            return ws.dropped[i - 1][:m]
        return self._hidden_output(i - 1, ws, m)

    def _hidden_output(self, i, ws, m):
        """Hidden layer ``i``'s output before dropout, as the layer plan says."""
        if self._layout.output_normalized[i]:
            return ws.normalized[i][:m]
        return ws.outputs[i][:m]

    def _forward_pass(self, X, ws, sample_weight=None):
        """Training forward pass: batch statistics, activations kept in ``ws``.

        Returns the output layer's activations.
        """
        m = X.shape[0]
        if self._layout.normalizes:
            row_weights = (
                ws.uniform_row_weights(m)
                if sample_weight is None
                else (sample_weight / sample_weight.sum()).astype(X.dtype, copy=False)
            )
        activate = ACTIVATIONS[self.activation]
        kept_inputs = ws.activation_inputs

        last = self.n_layers_ - 2
        for i in range(self.n_layers_ - 1):
            Z = ws.outputs[i][:m]
            _dot_into(self._layer_input(i, X, ws, m), self.coefs_[i], Z)
            if self._trained_intercepts[i] is not None:
                Z += self._trained_intercepts[i]
            if i == last:
                ACTIVATIONS[self.out_activation_](Z)
                return Z
            for step in self._layout.hidden_steps[i]:
                if step == "normalize":
                    # in place, unless the normalized values are the output:
                    # then the activation's derivative still needs Z
                    self._normalize(i, Z, self._hidden_output(i, ws, m), ws, row_weights)
                else:
                    if kept_inputs is not None:  # its derivative is written from z
                        np.copyto(kept_inputs[i][:m], Z)
                    activate(Z)
            if ws.dropout_masks is not None and ws.dropout_masks[i] is not None:
                np.multiply(self._hidden_output(i, ws, m), ws.dropout_masks[i][:m],
                            out=ws.dropped[i][:m])

    def _normalize(self, i, Z, out, ws, row_weights):
        """Batch-normalize hidden layer ``i`` into ``out``, noting the statistics.

        A batch of one row is normalized with the running statistics (see
        ``_layers``); only statistics from a batch of several rows are kept
        for the warning about a vanishing variance.
        """
        m = Z.shape[0]
        gamma, beta, eps = self.bn_gammas_[i], self.bn_betas_[i], self.batch_norm_epsilon
        if m > 1:
            statistics = batch_norm_forward(
                Z, gamma, beta, eps, ws.centered[i][:m], out, row_weights
            )
            ws.batch_statistics[i] = statistics
        else:
            statistics = batch_norm_forward_fixed(
                Z, gamma, beta, eps, self.bn_running_means_[i],
                self.bn_running_vars_[i], ws.centered[i][:m], out,
            )
        ws.statistics[i] = statistics

    def _make_workspace(self, batch_size, dtype, n_features_gathered=None):
        """Scratch buffers for batches of up to ``batch_size`` rows of this network."""
        return Workspace(
            self._layout, batch_size, dtype, n_features_gathered=n_features_gathered,
            keep_activation_inputs=self.activation in INPUT_DERIVATIVES,
            dropout_rates=self._dropout_rates(len(self._layout.layer_units) - 2),
        )

    def _dropout_rates(self, n_hidden):
        """One dropout rate per hidden layer, checked."""
        rates = self.dropout
        if np.ndim(rates) == 0:
            return [float(rates)] * n_hidden
        rates = [float(rate) for rate in np.ravel(rates)]
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout has {len(rates)} rate(s) for {n_hidden} hidden layer(s); "
                "give one rate, or one per hidden layer."
            )
        if not all(0 <= rate < 1 for rate in rates):
            raise ValueError(f"dropout rates must be in [0, 1), got {rates}.")
        return rates

    def _draw_dropout_masks(self, ws, m):
        """Fresh masks for a batch of ``m`` rows, scaled by ``1 / (1 - rate)``."""
        for mask, rate in zip(ws.dropout_masks, ws.dropout_rates):
            if mask is not None:
                kept = self._random_state.random_sample((m, mask.shape[1])) >= rate
                np.multiply(kept, 1.0 / (1.0 - rate), out=mask[:m])

    def _loss_name(self):
        if self.loss == "log_loss" and self.out_activation_ == "logistic":
            return "binary_log_loss"
        return self.loss

    def _penalized_loss(self, y, y_pred, sample_weight, sw_sum):
        """Data loss plus the L2 penalty, as scikit-learn computes it."""
        loss = LOSS_FUNCTIONS[self._loss_name()](y, y_pred, sample_weight)
        coefs = self._params[: self._layout.n_coef]
        return float(loss + (0.5 * self.alpha) * np.dot(coefs, coefs) / sw_sum)

    def _backprop(self, X, y, sample_weight, ws):
        """Forward and backward pass over one batch.

        Leaves the gradient of the loss in ``ws.grads`` and returns the loss.
        """
        m = X.shape[0]
        y_pred = self._forward_pass(X, ws, sample_weight)
        sw_sum = m if sample_weight is None else sample_weight.sum()
        loss = self._penalized_loss(y, y_pred, sample_weight, sw_sum)

        # With the canonical link of each loss (softmax/log-loss,
        # logistic/binary log-loss, identity/squared, exp/Poisson) the
        # gradient at the output's pre-activation is y_pred - y.
        last = self.n_layers_ - 2
        delta = ws.deltas[last][:m]
        np.subtract(y_pred, y, out=delta)
        if sample_weight is None:
            weight_fraction = 1.0 / m
        else:
            weight_fraction = (sample_weight / sw_sum).reshape(-1, 1).astype(
                delta.dtype, copy=False
            )
        delta *= weight_fraction

        if self.activation in INPUT_DERIVATIVES:
            derivative, kept = INPUT_DERIVATIVES[self.activation], ws.activation_inputs
        else:
            derivative, kept = DERIVATIVES[self.activation], ws.outputs
        l2 = self.alpha / sw_sum
        for i in range(last, -1, -1):
            coef = self.coefs_[i]
            _weight_gradient_into(
                self._layer_input(i, X, ws, m), delta, coef, l2, ws.coef_grads[i]
            )
            if ws.intercept_grads[i] is not None:
                # column sums as a BLAS matrix-vector product: 2x sum(axis=0)
                np.matmul(ws.ones[:m], delta, out=ws.intercept_grads[i])
            if i == 0:
                break
            j = i - 1  # the hidden layer the error flows back into
            previous = ws.deltas[j][:m]
            np.matmul(delta, coef.T, out=previous)
            if ws.dropout_masks is not None and ws.dropout_masks[j] is not None:
                previous *= ws.dropout_masks[j][:m]  # dropped units pass nothing back
            for step in reversed(self._layout.hidden_steps[j]):
                if step == "normalize":
                    batch_norm_backward(
                        previous, ws.centered[j][:m], self.bn_gammas_[j],
                        ws.statistics[j], weight_fraction, ws.ones[:m],
                        ws.gamma_grads[j], ws.beta_grads[j], ws.scratch[j][:m],
                    )
                else:
                    derivative(kept[j][:m], previous)
            delta = previous
        return loss

    def _update_running_statistics(self, ws, momentum):
        for i, (mean, var, _, from_batch) in enumerate(ws.statistics):
            if not from_batch:
                continue
            running_mean, running_var = self.bn_running_means_[i], self.bn_running_vars_[i]
            running_mean *= momentum
            running_mean += (1 - momentum) * mean
            running_var *= momentum
            running_var += (1 - momentum) * var

    def _forward_pass_fast(self, X, check_input=True):
        """Predict-time forward pass: running statistics, nothing kept.

        Each row's output depends on that row alone.
        """
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        layout = self._layout
        hidden_activation = ACTIVATIONS[self.activation]
        activation = X
        for i in range(self.n_layers_ - 1):
            activation = safe_sparse_dot(activation, self.coefs_[i])
            if layout.trains_intercept[i]:
                activation += self.intercepts_[i]
            if i == self.n_layers_ - 2:
                break
            for step in layout.hidden_steps[i]:
                if step == "normalize":
                    # in place: each row is normalized on its own
                    batch_norm_forward_fixed(
                        activation, self.bn_gammas_[i], self.bn_betas_[i],
                        self.batch_norm_epsilon, self.bn_running_means_[i],
                        self.bn_running_vars_[i], activation, activation,
                    )
                else:
                    hidden_activation(activation)
        ACTIVATIONS[self.out_activation_](activation)
        return activation
