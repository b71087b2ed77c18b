"""Multi-layer perceptrons with batch normalization, as in scikit-learn."""

import math
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.callback import CallbackSupportMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d, gen_batches, shuffle
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from skhp._compat import (
    Interval,
    Options,
    StrOptions,
    _check_optimize_result,
    _check_partial_fit_first_call,
    _check_sample_weight,
    _fit_context,
    _get_additional_lbfgs_options_dict,
    init_callback_context,
)
from skhp._interrupt import interrupt_stops_fit
from skhp.neural_network._base import HIDDEN_ACTIVATIONS, WEIGHT_INITS
from skhp.neural_network._network import ParameterLayout, writeable
from skhp.neural_network._passes import NetworkPassesMixin
from skhp.neural_network._optimizers import OPTIMIZERS
from skhp.neural_network._schedules import LearningRateSchedule
from skhp.neural_network._threadpools import single_threaded_scipy_blas
from skhp.neural_network._training import TrainingRun

_STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)
# Rows per forward pass when scoring the early-stopping set.
_PREDICT_CHUNK = 512


def _clip_by_norm(grads, max_norm):
    """Scale ``grads`` down, in place, to a global norm of at most ``max_norm``."""
    norm = math.sqrt(float(np.dot(grads, grads)))
    if norm > max_norm:
        grads *= max_norm / norm


def _check_magnitude(X):
    """Refuse inputs whose squares would overflow the network's float type.

    Products of inputs and weights, and batch normalization's variances,
    square the inputs' magnitude; beyond the square root of the largest
    float they overflow and training would silently produce garbage.
    """
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return
    largest = max(abs(float(values.max())), abs(float(values.min())))
    limit = np.sqrt(np.finfo(X.dtype).max) / max(X.shape[1], 1)
    if largest > limit:
        advice = " or pass float64 data" if X.dtype == np.float32 else ""
        raise ValueError(
            f"X has values of magnitude up to {largest:.3g}, too large for "
            f"{X.dtype} arithmetic in a neural network (their squares overflow). "
            f"Scale the features (e.g. with StandardScaler){advice}."
        )


class BaseMultilayerPerceptron(NetworkPassesMixin, CallbackSupportMixin, BaseEstimator, ABC):
    """Shared training code of :class:`MLPClassifier` and :class:`MLPRegressor`.

    Warning: This class should not be used directly. Use derived classes.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(HIDDEN_ACTIVATIONS)],
        "solver": [StrOptions({"lbfgs", *_STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions(
                {"constant", "invscaling", "adaptive", "inverse_time", "exponential",
                 "cosine"}
            )
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean", StrOptions({"continue"})],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "batch_norm": [StrOptions({"before", "after"}), None],
        "batch_norm_momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_norm_epsilon": [Interval(Real, 0, None, closed="neither")],
        "decay_rate": [Interval(Real, 0, None, closed="neither"), None],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "learning_rate_min": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_gradient_norm": [Interval(Real, 0, None, closed="neither"), None],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "early_stopping_on": [StrOptions({"score", "loss"})],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        batch_norm,
        batch_norm_momentum,
        batch_norm_epsilon,
        decay_rate,
        warmup_epochs,
        learning_rate_min,
        weight_decay,
        max_gradient_norm,
        dropout,
        weight_init,
        early_stopping_on,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.batch_norm_epsilon = batch_norm_epsilon
        self.decay_rate = decay_rate
        self.warmup_epochs = warmup_epochs
        self.learning_rate_min = learning_rate_min
        self.weight_decay = weight_decay
        self.max_gradient_norm = max_gradient_norm
        self.dropout = dropout
        self.weight_init = weight_init
        self.early_stopping_on = early_stopping_on

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------
    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if not all(
            isinstance(s, Integral | np.integer) and not isinstance(s, bool)
            for s in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must hold integers, got {self.hidden_layer_sizes!r}."
            )
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _bind_parameters(self, flat):
        """Make the fitted attributes views into the flat vector ``flat``."""
        self._params = flat
        coefs, intercepts, gammas, betas = self._layout.views(flat)
        self.coefs_ = coefs
        # Untrained intercepts (batch norm "before") stay zero arrays, so
        # that intercepts_ has scikit-learn's shape.
        self.intercepts_ = [
            view
            if view is not None
            else np.zeros(coef.shape[1], dtype=flat.dtype)
            for view, coef in zip(intercepts, coefs)
        ]
        self._trained_intercepts = intercepts
        self.bn_gammas_ = gammas
        self.bn_betas_ = betas

    def _initialize(self, y, layer_units, dtype):
        """Draw the initial weights (scikit-learn's Glorot scheme and order)."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)

        if not is_classifier(self):
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"

        self._layout = ParameterLayout(layer_units, self.batch_norm)
        flat = np.zeros(self._layout.size, dtype=dtype)
        coefs, intercepts, gammas, betas = self._layout.views(flat)
        initialize = WEIGHT_INITS[self.weight_init]
        for i in range(self.n_layers_ - 1):
            # Intercepts are drawn even when not trained, so that the same seed
            # gives the same weights with and without batch normalization.
            coefs[i][...], intercept = initialize(
                self._random_state, layer_units[i], layer_units[i + 1], self.activation
            )
            if intercepts[i] is not None:
                intercepts[i][...] = intercept
        for gamma in gammas:
            gamma.fill(1.0)
        self.intercepts_ = None
        self._bind_parameters(flat)
        units = self._layout.normalized_units
        self.bn_running_means_ = [np.zeros(u, dtype=dtype) for u in units]
        self.bn_running_vars_ = [np.ones(u, dtype=dtype) for u in units]

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self._best_state = self._snapshot()
                self.validation_scores_ = []
                self.validation_loss_curve_ = []
                self.best_validation_score_ = -np.inf
                self._best_watched = -np.inf  # the score, or minus the loss
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.validation_loss_curve_ = None
                self.best_validation_score_ = None

    def _repack_parameters(self, dtype):
        """Rebuild the flat vector from the fitted attributes.

        The attributes stop being views of one vector after unpickling, or if
        a user assigned to them, so every fit call starts from what they
        hold now.
        """
        flat = np.empty(self._layout.size, dtype=dtype)
        coefs, intercepts, gammas, betas = self._layout.views(flat)
        for dst, src in zip(coefs + gammas + betas,
                            self.coefs_ + self.bn_gammas_ + self.bn_betas_):
            if dst.shape != np.shape(src):
                raise ValueError(
                    "The fitted parameters do not match the network's shape; "
                    "refit from scratch."
                )
            dst[...] = src
        for dst, src in zip(intercepts, self.intercepts_):
            if dst is not None:
                dst[...] = src
        self._bind_parameters(flat)
        # updated in place by the fit
        self.bn_running_means_ = [
            writeable(m.astype(dtype, copy=False)) for m in self.bn_running_means_
        ]
        self.bn_running_vars_ = [
            writeable(v.astype(dtype, copy=False)) for v in self.bn_running_vars_
        ]

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden_layer_sizes = self._hidden_layer_sizes()
        # checked before any work
        if any(self._dropout_rates(len(hidden_layer_sizes))) and self.solver == "lbfgs":
            raise ValueError(
                "dropout needs a stochastic solver ('sgd', 'adam' or 'rmsprop'): "
                "L-BFGS's line search needs the same loss at the same weights. "
                "Set dropout=0 or choose another solver."
            )
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        _check_magnitude(X)
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )

        y = y.reshape((-1, 1)) if y.ndim == 1 else y
        self.n_outputs_ = y.shape[1]
        layer_units = [n_features, *hidden_layer_sizes, self.n_outputs_]

        continuing = (
            not first_pass and not incremental and self.warm_start == "continue"
        )
        self._prepare_network(y, layer_units, X.dtype, first_pass, continuing)
        statistics = self._train(X, y, sample_weight, incremental, continuing)
        if not np.isfinite(self._params).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed, or the "
                "learning rate may be too large."
            )
        self._warn_if_epsilon_dominates(statistics)
        return self

    def _prepare_network(self, y, layer_units, dtype, first_pass, continuing):
        """Initialize the network, or check that the one fitted before is
        the same network and take its parameters on."""
        if continuing:
            self._check_can_continue()
        else:
            # Continuing keeps drawing from the previous fit's generator, so
            # that the shuffles (and dropout masks) go on as in one long fit.
            self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, dtype)
            return
        changes = ParameterLayout(layer_units, self.batch_norm).changes_from(
            self._layout
        )
        if changes:
            raise ValueError(
                f"Since the last fit, {'; '.join(changes)}. warm_start and "
                "partial_fit continue the same network: fit a new "
                "estimator instead."
            )
        self._repack_parameters(dtype)

    def _train(self, X, y, sample_weight, incremental, continuing):
        """Run the solver inside the fit's callback context; returns the
        batch statistics of the last batch, per layer."""
        # scikit-learn's callbacks: the fit is a task whose subtasks are the
        # epochs of a stochastic solver (L-BFGS reports the fit alone).
        stochastic = self.solver in _STOCHASTIC_SOLVERS
        if incremental:
            n_epochs = 1
        elif continuing:
            n_epochs = self._epochs_left()
        else:
            n_epochs = self.max_iter
        callback_ctx = init_callback_context(self, max_subtasks=n_epochs if stochastic else 0)
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        callback_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        # Divergence (a huge learning rate, say) shows up as non-finite
        # values; it is reported once, below, not as numpy warnings.
        with single_threaded_scipy_blas(), np.errstate(
            over="ignore", invalid="ignore", divide="ignore", under="ignore"
        ):
            if stochastic:
                statistics = self._fit_stochastic(
                    X, y, sample_weight, incremental, callback_ctx, continuing
                )
            else:
                statistics = self._fit_lbfgs(X, y, sample_weight)
        callback_ctx.call_on_fit_task_end(
            estimator=self, X=X, y=y, metadata=metadata,
            reconstruction_attributes=self._fitted_attributes,
        )
        return statistics

    def _warn_if_epsilon_dominates(self, statistics):
        """Batch norm erases a layer whose variance is far below epsilon.

        ``statistics`` are, per layer, those of the last batch of several
        rows (None if there was none).
        """
        for i, layer_statistics in enumerate(statistics):
            if layer_statistics is None:
                continue
            var = layer_statistics.var
            if var.size and var.max() < self.batch_norm_epsilon / 100:
                warnings.warn(
                    f"The variance reaching batch normalization in hidden layer "
                    f"{i + 1} (at most {var.max():.3g}) is far below "
                    f"batch_norm_epsilon={self.batch_norm_epsilon:g}, which then "
                    "erases the signal. Scale the input features (e.g. with "
                    "StandardScaler) or lower batch_norm_epsilon.",
                    UserWarning,
                )
                return

    def _fit_lbfgs(self, X, y, sample_weight):
        # Full batch: batch normalization uses the whole data's statistics.
        ws = self._make_workspace(X.shape[0], X.dtype)

        def loss_and_grad(packed):
            np.copyto(self._params, packed, casting="unsafe")
            loss = self._backprop(X, y, sample_weight, ws)
            return loss, ws.grads.astype(np.float64)

        iprint = 1 if self.verbose is True or self.verbose >= 1 else -1
        opt_res = scipy.optimize.minimize(
            loss_and_grad,
            self._params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
                **_get_additional_lbfgs_options_dict("iprint", iprint),
            },
        )
        self.n_iter_ = _check_optimize_result("lbfgs", opt_res, self.max_iter)
        self.loss_ = float(opt_res.fun)
        np.copyto(self._params, opt_res.x, casting="unsafe")
        if self._layout.normalizes:
            self._forward_pass(X, ws, sample_weight)
            for i, (mean, var, _, from_batch) in enumerate(ws.statistics):
                if from_batch:
                    self.bn_running_means_[i][...] = mean
                    self.bn_running_vars_[i][...] = var
        return ws.batch_statistics

    def _make_optimizer(self, incremental):
        """A new optimizer with the current hyperparameters.

        Under ``partial_fit`` it takes over the previous optimizer's state,
        so ``set_params`` between calls changes the rate, momentum or decay
        while momentum and moments carry on. ``fit`` starts afresh, as
        scikit-learn's does, also under ``warm_start``.
        """
        schedule = LearningRateSchedule(
            self.learning_rate, self.learning_rate_init, self.power_t, self.decay_rate,
            n_epochs=self.max_iter, warmup_epochs=self.warmup_epochs,
            learning_rate_min=self.learning_rate_min,
        )
        if self.solver == "sgd":
            optimizer = OPTIMIZERS["sgd"](schedule, self.momentum, self.nesterovs_momentum)
        elif self.solver == "adam":
            optimizer = OPTIMIZERS["adam"](schedule, self.beta_1, self.beta_2, self.epsilon)
        else:
            optimizer = OPTIMIZERS["rmsprop"](schedule, self.beta_2, self.epsilon)
        if incremental and hasattr(self, "_optimizer"):
            optimizer.continue_from(self._optimizer)
        return optimizer

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _split_validation(self, y):
        """Rows of scikit-learn's train/validation split for early stopping.

        Splitting row numbers instead of the data gives scikit-learn's split
        without copying X: batches are gathered from X by row.
        """
        should_stratify = is_classifier(self) and self.n_outputs_ == 1
        train_rows, val_rows = train_test_split(
            np.arange(y.shape[0]),
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=y if should_stratify else None,
        )
        if val_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train_rows, val_rows

    def _fitted_attributes(self):
        """Copies of what predict reads, for a callback's ``fitted_estimator``."""
        return {
            "coefs_": [c.copy() for c in self.coefs_],
            "intercepts_": [b.copy() for b in self.intercepts_],
            "bn_gammas_": [g.copy() for g in self.bn_gammas_],
            "bn_betas_": [b.copy() for b in self.bn_betas_],
            "bn_running_means_": [m.copy() for m in self.bn_running_means_],
            "bn_running_vars_": [v.copy() for v in self.bn_running_vars_],
        }

    def _reasons_not_to_continue(self):
        """Why these settings make a longer fit other than a longer run.

        Continuing must give the network a straight fit of ``max_iter``
        epochs gives; these settings make the first epochs depend on how many
        follow, or leave no state to continue from. Empty where it does.
        """
        reasons = []
        if self.solver not in _STOCHASTIC_SOLVERS:
            reasons.append("L-BFGS keeps no state between fits")
        if self.early_stopping:
            reasons.append(
                "early stopping restores the best epoch's weights at the end of a fit"
            )
        if self.learning_rate == "cosine":
            reasons.append('the "cosine" schedule spans max_iter epochs')
        return reasons

    def __skhp_continuation__(self, parameter):
        """Parameters that make the fitted network go on to a larger ``parameter``.

        The protocol :class:`~skhp.CoarseToFineSearchCV` asks of an estimator
        before it continues training between rungs of its ``resource``.

        Parameters
        ----------
        parameter : str
            The resource, a parameter of this estimator.

        Returns
        -------
        dict or None
            ``{"warm_start": "continue"}`` for ``max_iter``, where a fit
            continued to ``max_iter`` epochs is the straight fit of
            ``max_iter`` epochs; None (fit afresh) otherwise.
        """
        if parameter != "max_iter" or self._reasons_not_to_continue():
            return None
        return {"warm_start": "continue"}

    def _check_can_continue(self):
        """Refuse ``warm_start="continue"`` where a longer fit is not a longer run."""
        reasons = self._reasons_not_to_continue()
        if not hasattr(self, "_optimizer") and not reasons:
            reasons.append("the previous fit was not a stochastic fit")
        if reasons:
            raise ValueError(
                'warm_start="continue" cannot continue this network: '
                f"{'; '.join(reasons)}. Use warm_start=True, or fit afresh."
            )

    def _fit_stochastic(self, X, y, sample_weight, incremental, callback_ctx,
                        continuing=False):
        """Train with a stochastic solver: epochs of mini-batch steps."""
        run = self._start_training(X, y, incremental, continuing)
        try:
            for _ in range(run.n_epochs):
                if self._run_epoch(run, X, y, sample_weight, callback_ctx):
                    break
        except KeyboardInterrupt:
            # Inside a search, a truncated fit would be scored as a complete
            # one: Ctrl-C stops the search instead (see skhp._interrupt).
            if interrupt_stops_fit():
                raise
            self._stopped_early = True
            warnings.warn("Training interrupted by user.")
        if self.early_stopping:
            # Restore the best weights, in place: the attributes stay views.
            best_params, best_means, best_vars = self._best_state
            np.copyto(self._params, best_params)
            self.bn_running_means_ = best_means
            self.bn_running_vars_ = best_vars
        return run.workspace.batch_statistics

    def _start_training(self, X, y, incremental, continuing):
        """The optimizer, the rows, the buffers and the epochs of this call."""
        self._optimizer = self._make_optimizer(incremental or continuing)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        train_rows = val_rows = None  # None: every row of X trains
        if self.early_stopping:
            train_rows, val_rows = self._split_validation(y)
        n_samples = X.shape[0] if train_rows is None else train_rows.shape[0]
        sample_idx = np.arange(n_samples, dtype=int)
        if continuing and self.shuffle and len(getattr(self, "_sample_order", ())) == n_samples:
            # Each epoch shuffles the last one's order, as scikit-learn does.
            sample_idx = self._sample_order
        batch_size = self._batch_size(n_samples)
        gather = not sp.issparse(X) and (self.shuffle or train_rows is not None)
        workspace = self._make_workspace(
            batch_size, X.dtype, n_features_gathered=X.shape[1] if gather else None
        )
        if continuing:
            # The epochs a straight fit of max_iter epochs would still run.
            n_epochs = self._epochs_left()
        else:
            self.n_iter_ = 0
            n_epochs = self.max_iter
        self._stopped_early = False
        return TrainingRun(
            optimizer=self._optimizer, workspace=workspace, sample_idx=sample_idx,
            train_rows=train_rows, val_rows=val_rows, batch_size=batch_size,
            gather=gather, n_epochs=n_epochs,
            coefs=self._params[: self._layout.n_coef], incremental=incremental,
        )

    def _epochs_left(self):
        """Epochs a continued fit runs: those a straight fit of ``max_iter``
        epochs would still run (none after it stopped early)."""
        if getattr(self, "_stopped_early", False):
            return 0
        return max(0, self.max_iter - self.n_iter_)

    def _run_epoch(self, run, X, y, sample_weight, callback_ctx):
        """One pass over the training rows; True if training stops after it."""
        epoch_ctx = callback_ctx.subcontext(task_name="epoch")
        epoch_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y)
        if self.shuffle:
            run.sample_idx = self._sample_order = shuffle(
                run.sample_idx, random_state=self._random_state
            )
        ws = run.workspace
        accumulated_loss = 0.0
        for batch_slice in gen_batches(run.n_samples, run.batch_size):
            rows = run.sample_idx[batch_slice] if self.shuffle else batch_slice
            if run.train_rows is not None:
                rows = run.train_rows[rows]
            if run.gather:
                X_batch = ws.X[: batch_slice.stop - batch_slice.start]
                np.take(X, rows, axis=0, out=X_batch, mode="clip")
            else:
                X_batch = X[rows]
            sw_batch = None if sample_weight is None else sample_weight[rows]
            batch_loss = self._train_step(run, X_batch, y[rows], sw_batch)
            accumulated_loss += batch_loss * (batch_slice.stop - batch_slice.start)
        return self._end_epoch(run, X, y, sample_weight, epoch_ctx,
                               accumulated_loss / run.n_samples)

    def _train_step(self, run, X_batch, y_batch, sw_batch):
        """One mini-batch: gradients, then the update. Returns the batch's loss."""
        ws = run.workspace
        if ws.dropout_masks is not None:
            self._draw_dropout_masks(ws, X_batch.shape[0])
        batch_loss = self._backprop(X_batch, y_batch, sw_batch, ws)
        if self.max_gradient_norm is not None:
            _clip_by_norm(ws.grads, self.max_gradient_norm)
        if self.weight_decay:
            run.coefs *= 1.0 - run.optimizer.learning_rate * self.weight_decay
        run.optimizer.update_params(self._params, ws.grads)
        if self._layout.normalizes:
            self._update_running_statistics(ws, self.batch_norm_momentum)
        return batch_loss

    def _end_epoch(self, run, X, y, sample_weight, epoch_ctx, loss):
        """Record the epoch, tell the callbacks; True if training stops."""
        self.n_iter_ += 1
        self.loss_ = loss
        self.t_ += run.n_samples
        self.loss_curve_.append(self.loss_)
        if self.verbose:
            print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
        diverged = not np.isfinite(self.loss_)  # reported by _fit
        if not diverged:
            if self.early_stopping:
                self._record_validation(X, y, sample_weight, run.val_rows)
            else:
                self._update_no_improvement_count(self.loss_curve_[-1])
            run.optimizer.iteration_ends(self.t_)
        # a callback reads loss_curve_ and validation_scores_, and may stop
        stop = epoch_ctx.call_on_fit_task_end(
            estimator=self, X=X, y=y, reconstruction_attributes=self._fitted_attributes,
        )
        if diverged or stop or self._plateau_stops(run.optimizer):
            self._stopped_early = True
            return True
        if run.incremental:
            return True
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                "optimization hasn't converged yet." % self.max_iter,
                ConvergenceWarning,
            )
        return False

    def _plateau_stops(self, optimizer):
        """After too many epochs without improvement: stop, or (the
        ``"adaptive"`` schedule) divide the rate and go on."""
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        what = (
            f"Validation {self.early_stopping_on}" if self.early_stopping
            else "Training loss"
        )
        msg = (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )
        if optimizer.trigger_stopping(msg, self.verbose):
            return True
        self._no_improvement_count = 0
        return False

    def _update_no_improvement_count(self, loss):
        if loss > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if loss < self.best_loss_:
            self.best_loss_ = loss

    def _record_validation(self, X, y, sample_weight, val_rows):
        """Score the held-out rows, keep the best weights, count plateaus."""
        # In chunks, so that validation never holds a layer's activations
        # for all held-out rows at once.
        n_chunks = max(1, -(-val_rows.shape[0] // _PREDICT_CHUNK))
        output = np.concatenate([
            self._forward_pass_fast(X[rows], check_input=False)
            for rows in np.array_split(val_rows, n_chunks)
        ])
        y_val = y[val_rows]
        sw_val = None if sample_weight is None else sample_weight[val_rows]
        sw_sum = val_rows.shape[0] if sw_val is None else sw_val.sum()
        loss = self._penalized_loss(y_val, output, sw_val, sw_sum)
        self.validation_loss_curve_.append(loss)
        if not np.isfinite(output).all():
            score = np.nan
        else:
            score = self._score_function(
                self._decode_targets(y_val), self._output_to_prediction(output),
                sample_weight=sw_val,
            )
        self.validation_scores_.append(score)
        if self.verbose:
            print("Validation score: %f" % score)
        watched = score if self.early_stopping_on == "score" else -loss
        if watched < self._best_watched + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if watched > self._best_watched:
            self._best_watched = watched
            self.best_validation_score_ = score
            self._best_state = self._snapshot()

    def _snapshot(self):
        """Copies of everything predict depends on."""
        return (
            self._params.copy(),
            [m.copy() for m in self.bn_running_means_],
            [v.copy() for v in self.bn_running_vars_],
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights. A weight of 2 counts as a repeated row, in the
            loss and in batch normalization's statistics.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(
            X, y, sample_weight=self._weigh_classes(y, sample_weight), incremental=False
        )

    def _weigh_classes(self, y, sample_weight):
        """The sample weights training uses: a regressor's are the user's."""
        return sample_weight

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                " optimizers. %s is not stochastic." % self.solver
            )
        return True

    def _predict(self, X, check_input=True):
        return self._output_to_prediction(
            self._forward_pass_fast(X, check_input=check_input)
        )

    def _score(self, X, y, sample_weight=None):
        """Score without input validation; NaN if the network diverged."""
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron classifier with batch normalization.

    A drop-in superset of :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters, defaults and fitted attributes, plus batch
    normalization, RMSprop, and learning-rate decay for every stochastic
    solver. With ``batch_norm=None`` it trains exactly as scikit-learn's
    (same weights for the same ``random_state``), except that the
    ``learning_rate`` schedule also applies to ``"adam"`` (scikit-learn
    ignores it there).

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
            'gelu', 'silu'}, default='relu'
        Activation function of the hidden layers: scikit-learn's four, and
        ``'leaky_relu'`` (slope 0.01 below zero), ``'elu'`` (``exp(x) - 1``
        below zero), ``'gelu'`` (exact, ``x * Phi(x)``) and ``'silu'``
        (``x * sigmoid(x)``).

    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop'}, default='adam'
        The weight optimizer. ``'sgd'`` uses ``momentum`` (0 for plain SGD)
        and ``nesterovs_momentum``; ``'adam'`` uses ``beta_1``, ``beta_2``
        and ``epsilon``; ``'rmsprop'`` uses ``beta_2`` and ``epsilon``;
        ``'lbfgs'`` is full batch (batch normalization then uses the whole
        data's statistics).

    alpha : float, default=0.0001
        Strength of the L2 penalty, divided by the sample size when added
        to the loss (scikit-learn's convention).

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; ``'auto'`` means
        ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'inverse_time', \
            'exponential', 'cosine'}, default='constant'
        Learning-rate schedule of every stochastic solver:

        - ``'constant'``: ``learning_rate_init`` throughout.
        - ``'invscaling'``: ``learning_rate_init / (t + 1) ** power_t``, t the
          number of samples seen.
        - ``'adaptive'``: divided by 5 each time ``n_iter_no_change`` epochs
          fail to improve by ``tol``; stops once it would fall below 1e-6.
        - ``'inverse_time'``: ``learning_rate_init / (1 + decay_rate * epoch)``.
        - ``'exponential'``: ``learning_rate_init * decay_rate ** epoch``.
        - ``'cosine'``: half a cosine from ``learning_rate_init`` down to
          ``learning_rate_min`` over the ``max_iter - warmup_epochs`` epochs
          after the warm-up (with ``partial_fit``, ``max_iter`` calls).

    learning_rate_init : float, default=0.001
        The initial learning rate (the course's alpha).

    power_t : float, default=0.5
        Exponent of ``'invscaling'``.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling and the early-stopping split.

    tol : float, default=1e-4
        Tolerance of the optimization (see ``n_iter_no_change``).

    verbose : bool, default=False
        Whether to print progress messages.

    warm_start : bool or "continue", default=False
        True: reuse the previous fit's weights as initialization and train
        ``max_iter`` more epochs; the optimizer's state (momentum, moments)
        starts afresh, as in scikit-learn. ``"continue"``: go on with the
        previous fit as if it had been given this ``max_iter`` from the start,
        up to ``max_iter`` epochs in total, with the optimizer's state, the
        schedule and the shuffling carried on, so that 3 epochs and then
        ``max_iter=9`` give the network a straight 9-epoch fit gives (nothing
        more trains if the previous fit stopped on its own). It needs a
        stochastic solver, no early stopping and a schedule other than
        ``"cosine"``; :class:`~skhp.CoarseToFineSearchCV` uses it to continue
        promoted candidates.

    momentum : float, default=0.9
        Momentum of ``'sgd'`` (the course's beta), in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether ``'sgd'`` uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its
        score stops improving; the best weights are kept.

    validation_fraction : float, default=0.1
        Proportion of the data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of ``'adam'``'s first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of the second-moment estimate of ``'adam'`` and ``'rmsprop'``,
        in [0, 1).

    epsilon : float, default=1e-8
        Numerical stability term of ``'adam'`` and ``'rmsprop'``.

    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before stopping (or, with
        ``'adaptive'``, dividing the rate by 5).

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``'lbfgs'``.

    batch_norm : {'before', 'after'} or None, default=None
        Batch normalization of the hidden layers: ``'before'`` normalizes
        each pre-activation z (the hidden layers' intercepts are then
        redundant with the shift beta and are not trained); ``'after'``
        normalizes each activation a; None (the default) disables it, and
        the network trains as scikit-learn's. Training uses the
        mini-batch's mean and variance; prediction uses running averages,
        so a row's prediction never depends on the other rows.

    batch_norm_momentum : float, default=0.9
        Momentum of the running mean and variance:
        ``running = momentum * running + (1 - momentum) * batch``.

    batch_norm_epsilon : float, default=1e-5
        Added to the variance before taking its square root.

    decay_rate : float or None, default=None
        Decay of ``'inverse_time'`` and ``'exponential'``; None means 1.0 for
        ``'inverse_time'`` and 0.95 for ``'exponential'``. Must be at most 1
        for ``'exponential'``.

    warmup_epochs : int, default=0
        Epochs over which the rate of any schedule rises linearly: epoch
        ``e < warmup_epochs`` trains at ``(e + 1) / (warmup_epochs + 1)`` of
        the schedule's rate.

    learning_rate_min : float, default=0.0
        The floor the ``'cosine'`` schedule ends at.

    weight_decay : float, default=0.0
        Decoupled weight decay (Loshchilov and Hutter's AdamW, and its SGD
        form): before each step of a stochastic solver the weights
        (``coefs_``, not intercepts or batch norm's gammas and betas) shrink
        by ``learning_rate * weight_decay`` of themselves, whatever the
        optimizer does with the gradient. Unlike ``alpha``, it is not part of
        the loss, so Adam's and RMSprop's scaling does not weaken it.

    max_gradient_norm : float or None, default=None
        Clip the gradient by its global norm: with a stochastic solver, a
        mini-batch's gradient of all parameters longer than this is scaled
        down to it before the step.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Dropout rate of the hidden layers' outputs (one rate for all, or one
        per hidden layer), in [0, 1): inverted dropout, so each kept unit is
        scaled by ``1 / (1 - rate)`` while training and nothing changes at
        predict time. Masks are drawn from ``random_state``. With batch norm
        ``"after"``, the normalized output is dropped. Stochastic solvers
        only: L-BFGS's line search needs the same loss at the same weights,
        so ``solver="lbfgs"`` with dropout is an error.

    weight_init : {'scikit-learn', 'glorot_uniform', 'glorot_normal', \
            'he_uniform', 'he_normal'}, default='scikit-learn'
        How the weights start: scikit-learn's (uniform weights and
        intercepts within Glorot's bound, ``sqrt(6 / (fan_in + fan_out))``, or
        ``sqrt(2 / ...)`` for ``'logistic'``), or Glorot's or He's, uniform
        or normal, with zero intercepts (He's suit ReLU-like activations).

    early_stopping_on : {'score', 'loss'}, default='score'
        What early stopping watches on the held-out rows: their score
        (scikit-learn's) or their loss (``validation_loss_curve_``, the same
        loss and penalty as ``loss_curve_``). Training stops when it has not
        improved by ``tol`` for ``n_iter_no_change`` epochs, and the weights
        of its best epoch are restored.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, as in
        :class:`~sklearn.linear_model.LogisticRegression`: ``{label: weight}``
        (classes not named weigh 1), or ``'balanced'``, ``n_samples /
        (n_classes * np.bincount(y))``. They multiply ``sample_weight``, and
        so count in the loss, in batch normalization's statistics and in the
        early-stopping score. ``partial_fit`` takes a dict only: the balance
        of one call's rows is not the data's.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.

    loss_ : float
        The current loss computed with the loss function.

    best_loss_ : float or None
        The minimum training loss reached (None with early stopping).

    loss_curve_ : list of shape (n_iter_,)
        The training loss at the end of each epoch (stochastic solvers).

    validation_scores_ : list of shape (n_iter_,) or None
        The held-out accuracy at each epoch, with early stopping.

    validation_loss_curve_ : list of shape (n_iter_,) or None
        The held-out loss at each epoch, with early stopping; it is
        comparable with ``loss_curve_`` (same loss and penalty).

    best_validation_score_ : float or None
        With early stopping, the held-out accuracy of the epoch whose weights
        are kept: the best one, or the one of the lowest held-out loss with
        ``early_stopping_on='loss'``.

    t_ : int
        Number of training samples seen by the solver during fitting.

    coefs_ : list of shape (n_layers - 1,)
        The ith element is the weight matrix between layer i and i + 1.

    intercepts_ : list of shape (n_layers - 1,)
        The ith element is the bias vector of layer i + 1. With
        ``batch_norm='before'`` the hidden layers' entries are zeros.

    bn_gammas_ : list of shape (n_layers - 2,)
        Learned scale of each hidden layer's batch normalization (empty
        without batch normalization).

    bn_betas_ : list of shape (n_layers - 2,)
        Learned shift of each hidden layer's batch normalization.

    bn_running_means_ : list of shape (n_layers - 2,)
        Running mean of each normalized hidden layer, used at predict time.

    bn_running_vars_ : list of shape (n_layers - 2,)
        Running variance of each normalized hidden layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        The number of iterations the solver has run.

    n_layers_ : int
        Number of layers.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation function.

    See Also
    --------
    MLPRegressor : The regressor counterpart.
    sklearn.neural_network.MLPClassifier : scikit-learn's classifier.

    References
    ----------
    Ioffe, S. and Szegedy, C. (2015). "Batch normalization: accelerating deep
    network training by reducing internal covariate shift." ICML.

    Kingma, D. and Ba, J. (2014). "Adam: A method for stochastic
    optimization." :arxiv:`1412.6980`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skhp import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=30,
    ...                     random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        batch_norm=None,
        batch_norm_momentum=0.9,
        batch_norm_epsilon=1e-5,
        decay_rate=None,
        warmup_epochs=0,
        learning_rate_min=0.0,
        weight_decay=0.0,
        max_gradient_norm=None,
        dropout=0.0,
        weight_init="scikit-learn",
        early_stopping_on="score",
        class_weight=None,
    ):
        self.class_weight = class_weight
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum,
            batch_norm_epsilon=batch_norm_epsilon,
            decay_rate=decay_rate,
            warmup_epochs=warmup_epochs,
            learning_rate_min=learning_rate_min,
            weight_decay=weight_decay,
            max_gradient_norm=max_gradient_norm,
            dropout=dropout,
            weight_init=weight_init,
            early_stopping_on=early_stopping_on,
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
            if self._label_binarizer.y_type_ != "multilabel-indicator" and len(
                self.classes_
            ) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in the data, but the data contains only one class: "
                    f"{self.classes_[0]!r}."
                )
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        return X, self._binarize(y)

    def _binarize(self, y):
        """One-hot (or one-column, for two classes) boolean targets.

        The same values as ``LabelBinarizer.transform(y).astype(bool)``,
        without its int64 intermediate: eight times less memory at the peak.
        """
        if y.ndim == 1 and self._label_binarizer.y_type_ in ("binary", "multiclass"):
            if len(self.classes_) == 2:
                return (y == self.classes_[1]).reshape(-1, 1)
            return y[:, None] == self.classes_
        return self._label_binarizer.transform(y).astype(bool)

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        check_is_fitted(self)
        return self._predict(X)

    _score_function = staticmethod(accuracy_score)

    def _output_to_prediction(self, output):
        if self.n_outputs_ == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def _decode_targets(self, y):
        return self._label_binarizer.inverse_transform(
            y.ravel() if self.n_outputs_ == 1 else y
        )

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters changed with ``set_params`` since the last call (learning
        rate, momentum, betas, decay) take effect now; the optimizer's
        momentum and moments carry on.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call and ignored afterwards.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: one "
                "call's rows do not show the data's balance. Pass the weights as "
                "a dict, e.g. dict(zip(classes, compute_class_weight('balanced', "
                "classes=classes, y=y))) for the whole y."
            )
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        # Weighed over every class: a batch may lack some of class_weight's.
        weights = self._weigh_classes(y, sample_weight, classes=self.classes_)
        return self._fit(X, y, sample_weight=weights, incremental=True)

    def _weigh_classes(self, y, sample_weight, classes=None):
        """``sample_weight`` times each row's class weight (unchanged without).

        ``classes``: those ``class_weight`` may name, where ``y`` need not
        hold them all (a ``partial_fit`` batch); None: those of ``y``.
        """
        if self.class_weight is None:
            return sample_weight
        y_1d = np.asarray(y)
        if classes is not None and y_1d.ndim == 1:
            if not np.isin(y_1d, classes).all():
                return sample_weight  # the fit refuses such labels, saying why
            per_class = compute_class_weight(self.class_weight, classes=classes, y=y_1d)
            weights = per_class[np.searchsorted(classes, y_1d)]
        else:
            weights = compute_sample_weight(self.class_weight, y)
        if sample_weight is None:
            return weights
        return weights * _check_sample_weight(sample_weight, weights)

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron regressor with batch normalization.

    A drop-in superset of :class:`sklearn.neural_network.MLPRegressor`; see
    :class:`MLPClassifier` for what it adds. It minimizes half the squared
    error (or half the Poisson deviance), plus the L2 penalty.

    With several outputs, ``loss_`` is the squared error summed over the
    outputs: the loss whose gradient training follows, as in scikit-learn,
    which however reports the mean over outputs. L-BFGS therefore optimizes
    a consistent loss and gradient here, and may end elsewhere than
    scikit-learn's on multi-output targets.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss; ``'poisson'`` uses an exponential output and needs
        non-negative targets.

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
            'gelu', 'silu'}, default='relu'
        Activation function of the hidden layers: scikit-learn's four, and
        ``'leaky_relu'`` (slope 0.01 below zero), ``'elu'`` (``exp(x) - 1``
        below zero), ``'gelu'`` (exact, ``x * Phi(x)``) and ``'silu'``
        (``x * sigmoid(x)``).

    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop'}, default='adam'
        The weight optimizer (see :class:`MLPClassifier`).

    alpha : float, default=0.0001
        Strength of the L2 penalty.

    batch_size : int or 'auto', default='auto'
        Mini-batch size; ``'auto'`` means ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'inverse_time', \
            'exponential'}, default='constant'
        Learning-rate schedule of every stochastic solver (see
        :class:`MLPClassifier`).

    learning_rate_init : float, default=0.001
        The initial learning rate.

    power_t : float, default=0.5
        Exponent of ``'invscaling'``.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling and the early-stopping split.

    tol : float, default=1e-4
        Tolerance of the optimization.

    verbose : bool, default=False
        Whether to print progress messages.

    warm_start : bool or "continue", default=False
        As in :class:`MLPClassifier`: True reuses the previous fit's weights
        and trains ``max_iter`` more epochs; ``"continue"`` goes on with the
        previous fit up to ``max_iter`` epochs in total, as one straight fit.

    momentum : float, default=0.9
        Momentum of ``'sgd'``, in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether ``'sgd'`` uses Nesterov's momentum.

    early_stopping : bool, default=False
        Stop when the held-out R^2 stops improving; keep the best weights.

    validation_fraction : float, default=0.1
        Proportion of the data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of ``'adam'``'s first-moment estimate.

    beta_2 : float, default=0.999
        Decay of the second-moment estimate of ``'adam'`` and ``'rmsprop'``.

    epsilon : float, default=1e-8
        Numerical stability term of ``'adam'`` and ``'rmsprop'``.

    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``'lbfgs'``.

    batch_norm : {'before', 'after'} or None, default=None
        Batch normalization of the hidden layers (see :class:`MLPClassifier`).

    batch_norm_momentum : float, default=0.9
        Momentum of the running mean and variance.

    batch_norm_epsilon : float, default=1e-5
        Added to the variance before taking its square root.

    decay_rate : float or None, default=None
        Decay of ``'inverse_time'`` and ``'exponential'``.

    warmup_epochs : int, default=0
        Epochs of linear warm-up of the learning rate (see
        :class:`MLPClassifier`).

    learning_rate_min : float, default=0.0
        The floor the ``'cosine'`` schedule ends at.

    weight_decay : float, default=0.0
        Decoupled weight decay of the weights (see :class:`MLPClassifier`).

    max_gradient_norm : float or None, default=None
        Clip each mini-batch's gradient to this global norm (see
        :class:`MLPClassifier`).

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Dropout rate of the hidden layers' outputs, stochastic solvers only
        (see :class:`MLPClassifier`).

    weight_init : {'scikit-learn', 'glorot_uniform', 'glorot_normal', \
            'he_uniform', 'he_normal'}, default='scikit-learn'
        How the weights start (see :class:`MLPClassifier`).

    early_stopping_on : {'score', 'loss'}, default='score'
        Whether early stopping watches the held-out R^2 or the held-out loss
        (see :class:`MLPClassifier`).

    Attributes
    ----------
    loss_ : float
        The current loss.

    best_loss_ : float or None
        The minimum training loss reached (None with early stopping).

    loss_curve_ : list of shape (n_iter_,)
        The training loss at the end of each epoch.

    validation_scores_ : list of shape (n_iter_,) or None
        The held-out R^2 at each epoch, with early stopping.

    validation_loss_curve_ : list of shape (n_iter_,) or None
        The held-out loss at each epoch, with early stopping; it is
        comparable with ``loss_curve_`` (same loss and penalty).

    best_validation_score_ : float or None
        With early stopping, the held-out R^2 of the epoch whose weights are
        kept (see ``early_stopping_on``).

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of shape (n_layers - 1,)
        Weight matrices.

    intercepts_ : list of shape (n_layers - 1,)
        Bias vectors (zeros for hidden layers with ``batch_norm='before'``).

    bn_gammas_, bn_betas_ : list of shape (n_layers - 2,)
        Learned scale and shift of each hidden layer's batch normalization.

    bn_running_means_, bn_running_vars_ : list of shape (n_layers - 2,)
        Running statistics used at predict time.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        The number of iterations the solver has run.

    n_layers_ : int
        Number of layers.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation function.

    See Also
    --------
    MLPClassifier : The classifier counterpart.
    sklearn.neural_network.MLPRegressor : scikit-learn's regressor.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skhp import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=10, noise=1.0,
    ...                        random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
    ...                    max_iter=300, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        batch_norm=None,
        batch_norm_momentum=0.9,
        batch_norm_epsilon=1e-5,
        decay_rate=None,
        warmup_epochs=0,
        learning_rate_min=0.0,
        weight_decay=0.0,
        max_gradient_norm=None,
        dropout=0.0,
        weight_init="scikit-learn",
        early_stopping_on="score",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum,
            batch_norm_epsilon=batch_norm_epsilon,
            decay_rate=decay_rate,
            warmup_epochs=warmup_epochs,
            learning_rate_min=learning_rate_min,
            weight_decay=weight_decay,
            max_gradient_norm=max_gradient_norm,
            dropout=dropout,
            weight_init=weight_init,
            early_stopping_on=early_stopping_on,
        )

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._predict(X)

    _score_function = staticmethod(r2_score)

    def _output_to_prediction(self, output):
        return output.ravel() if output.shape[1] == 1 else output

    def _decode_targets(self, y):
        return y.ravel() if y.shape[1] == 1 else y

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "loss='poisson' requires non-negative targets y; got a minimum "
                f"of {y.min()!r}."
            )
        return X, y

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters changed with ``set_params`` since the last call take
        effect now; the optimizer's momentum and moments carry on.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)
