"""The network's parameters as one flat vector, and its scratch buffers.

Keeping every trainable array as a view into one vector lets an optimizer
update all of them with a handful of vectorized operations per step, and
lets L-BFGS work on the vector directly. Coefficients come first, in layer
order, then the trained intercepts, then batch normalization's gammas and
betas; without batch normalization the vector is exactly scikit-learn's
packed ``coefs_ + intercepts_``.
"""

from itertools import pairwise

import numpy as np


# Per hidden layer, what follows its weights and intercept, in forward order;
# the backward pass takes the steps in reverse.
HIDDEN_LAYER_STEPS = {
    None: ("activate",),
    "before": ("normalize", "activate"),
    "after": ("activate", "normalize"),
}


def writeable(array):
    """``array`` itself, or a writeable copy of it where it is read-only.

    A fitted network can arrive with read-only arrays: joblib hands
    arguments over 1 MB to its workers as read-only memory maps (a fold model
    a search sends on to be trained further), and so does
    ``joblib.load(..., mmap_mode="r")``. Training on writes its state in
    place, so it takes a copy first.
    """
    return array if array.flags.writeable else np.array(array)


class ParameterLayout:
    """Where each parameter array of a network lives in one flat vector.

    Parameters
    ----------
    layer_units : list of int
        Units of every layer, input and output included.
    batch_norm : {"before", "after"} or None
        Where hidden layers are normalized. With ``"before"`` the hidden
        layers' intercepts are redundant with batch normalization's shift
        (beta) and are not trained.

    Attributes
    ----------
    hidden_steps : list of tuple of str
        The layer plan: per hidden layer, the steps after its weights, in
        forward order (``HIDDEN_LAYER_STEPS``). The passes follow it; nothing
        else asks where batch normalization goes.
    output_normalized : list of bool
        Per hidden layer, whether its output (what the next layer multiplies)
        is the normalized array rather than the activation.
    normalizes : bool
        Whether any layer is normalized (and has running statistics).
    """

    def __init__(self, layer_units, batch_norm):
        self.layer_units = list(layer_units)
        self.batch_norm = batch_norm
        n_weight_layers = len(layer_units) - 1
        self.hidden_steps = [HIDDEN_LAYER_STEPS[batch_norm]] * (n_weight_layers - 1)
        self.output_normalized = [steps[-1] == "normalize" for steps in self.hidden_steps]
        self.normalizes = any("normalize" in steps for steps in self.hidden_steps)
        self.trains_intercept = [
            batch_norm != "before" or i == n_weight_layers - 1
            for i in range(n_weight_layers)
        ]
        self.normalized_units = list(layer_units[1:-1]) if self.normalizes else []

        shapes = list(pairwise(layer_units))
        shapes += [
            (layer_units[i + 1],)
            for i in range(n_weight_layers)
            if self.trains_intercept[i]
        ]
        shapes += [(units,) for units in self.normalized_units] * 2
        self._shapes = shapes
        sizes = [int(np.prod(shape)) for shape in shapes]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.size = int(self._offsets[-1])
        self.n_coef = int(self._offsets[n_weight_layers])

    def changes_from(self, fitted):
        """What differs from the ``fitted`` layout, in words (empty if nothing)."""
        changes = []
        if self.layer_units[-1] != fitted.layer_units[-1]:
            changes.append(
                f"y has {self.layer_units[-1]} output column(s) where the network "
                f"was fitted with {fitted.layer_units[-1]}"
            )
        if self.layer_units[1:-1] != fitted.layer_units[1:-1]:
            changes.append(
                f"hidden_layer_sizes changed from {fitted.layer_units[1:-1]} to "
                f"{self.layer_units[1:-1]}"
            )
        if self.batch_norm != fitted.batch_norm:
            changes.append(
                f"batch_norm changed from {fitted.batch_norm!r} to {self.batch_norm!r}"
            )
        return changes

    def views(self, flat):
        """Split ``flat`` into views: coefs, intercepts, gammas, betas.

        ``intercepts`` has one entry per layer, None where not trained.
        """
        arrays = [
            flat[start:stop].reshape(shape)
            for start, stop, shape in zip(
                self._offsets[:-1], self._offsets[1:], self._shapes
            )
        ]
        n_weight_layers = len(self.layer_units) - 1
        coefs = arrays[:n_weight_layers]
        rest = iter(arrays[n_weight_layers:])
        intercepts = [next(rest) if trained else None for trained in self.trains_intercept]
        n_norm = len(self.normalized_units)
        rest = list(rest)
        return coefs, intercepts, rest[:n_norm], rest[n_norm:]


class Workspace:
    """Scratch buffers for mini-batches of up to ``batch_size`` rows.

    Allocated once per fit and reused by every batch, so that training
    allocates nothing per step.

    Parameters
    ----------
    layout : ParameterLayout
        The network's parameters.
    batch_size : int
        The largest number of rows a batch will have.
    dtype : dtype
        float32 or float64.
    n_features_gathered : int or None
        When not None, a buffer for gathering a shuffled batch of input rows.
    keep_activation_inputs : bool
        Whether to keep each hidden layer's input to its activation
        (``activation_inputs``), for activations whose derivative is written
        from their input.
    dropout_rates : list of float or None
        Per hidden layer, its dropout rate: a layer with a positive rate gets
        a mask (``dropout_masks``) and its dropped output (``dropped``), which
        the next layer multiplies.
    """

    def __init__(self, layout, batch_size, dtype, n_features_gathered=None,
                 keep_activation_inputs=False, dropout_rates=None):
        hidden = layout.layer_units[1:-1]
        outputs = layout.layer_units[1:]
        self.outputs = [np.empty((batch_size, u), dtype=dtype) for u in outputs]
        self.deltas = [np.empty((batch_size, u), dtype=dtype) for u in outputs]
        if layout.normalizes:
            self.centered = [np.empty((batch_size, u), dtype=dtype) for u in hidden]
            # one work array serves every layer: layers are handled in turn
            shared = np.empty(batch_size * max(hidden, default=0), dtype=dtype)
            self.scratch = [shared[: batch_size * u].reshape(batch_size, u) for u in hidden]
        self.normalized = [
            np.empty((batch_size, u), dtype=dtype) if normalized else None
            for u, normalized in zip(hidden, layout.output_normalized)
        ]
        self.activation_inputs = (
            [np.empty((batch_size, u), dtype=dtype) for u in hidden]
            if keep_activation_inputs
            else None
        )
        self.dropout_rates = dropout_rates
        self.dropout_masks = self.dropped = None
        if dropout_rates is not None and any(dropout_rates):
            self.dropout_masks = [
                np.empty((batch_size, u), dtype=dtype) if rate else None
                for u, rate in zip(hidden, dropout_rates)
            ]
            self.dropped = [
                None if mask is None else np.empty_like(mask) for mask in self.dropout_masks
            ]
        self.ones = np.ones(batch_size, dtype=dtype)
        self._uniform_row_weights = {}
        # per hidden layer, what the last forward pass normalized with, and
        # the statistics of the last batch of several rows (BatchStatistics)
        self.statistics = [None] * len(hidden)
        self.batch_statistics = [None] * len(hidden)
        self.grads = np.empty(layout.size, dtype=dtype)
        (
            self.coef_grads,
            self.intercept_grads,
            self.gamma_grads,
            self.beta_grads,
        ) = layout.views(self.grads)
        self.X = (
            np.empty((batch_size, n_features_gathered), dtype=dtype)
            if n_features_gathered is not None
            else None
        )

    def uniform_row_weights(self, m):
        """``1 / m`` for each of ``m`` rows (cached: batches repeat sizes)."""
        weights = self._uniform_row_weights.get(m)
        if weights is None:
            weights = self._uniform_row_weights[m] = self.ones[:m] / m
        return weights
