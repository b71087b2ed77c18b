"""Behaviour of skhp's MLPs: scikit-learn equality, batch norm, babysitting."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neural_network as sknn
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from skhp import MLPClassifier, MLPRegressor
from tests._warnings import expects_failed_fits


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, random_state=0)


def assert_same_network(ours, theirs, rtol=1e-7, atol=1e-9):
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert_allclose(a, b, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------
# Without batch normalization, the same network as scikit-learn's
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("extra", [
    {}, {"early_stopping": True}, {"learning_rate": "adaptive", "alpha": 0.1},
    {"shuffle": False, "nesterovs_momentum": False},
])
def test_classifier_equals_scikit_learn(digits, solver, extra):
    X, _, y, _ = digits
    if solver == "lbfgs" and extra:
        pytest.skip("options of the stochastic solvers")
    params = dict(hidden_layer_sizes=(20, 10), solver=solver, max_iter=15,
                  random_state=0, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sknn.MLPClassifier(**params).fit(X, y)
        ours = MLPClassifier(batch_norm=None, **params).fit(X, y)
    assert_same_network(ours, theirs)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    if solver != "lbfgs":
        assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_regressor_equals_scikit_learn(solver):
    X, y = make_regression(n_samples=150, n_features=8, noise=1.0, random_state=0)
    X, y = StandardScaler().fit_transform(X), y / y.std()
    weights = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    params = dict(hidden_layer_sizes=(12,), solver=solver, max_iter=20,
                  learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sknn.MLPRegressor(**params).fit(X, y, sample_weight=weights)
        ours = MLPRegressor(batch_norm=None, **params).fit(X, y, sample_weight=weights)
    assert_same_network(ours, theirs)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7)


# ----------------------------------------------------------------------------
# Batch normalization
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", ["before", "after", None])
def test_accuracy_on_digits(digits, batch_norm):
    X_train, X_test, y_train, y_test = digits
    est = MLPClassifier((64,), batch_norm=batch_norm, max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_train, y_train)
    assert est.score(X_test, y_test) > 0.94


def test_batch_norm_makes_fit_insensitive_to_input_scale(digits):
    X_train, X_test, y_train, y_test = digits
    scores, predictions = {}, {}
    for batch_norm in ["before", None]:
        for scale in [1e-2, 1.0, 1e3]:
            est = MLPClassifier((32,), batch_norm=batch_norm, max_iter=20,
                                learning_rate_init=0.01, random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    est.fit(X_train * scale, y_train)
                    scores[batch_norm, scale] = est.score(X_test * scale, y_test)
                    predictions[batch_norm, scale] = est.predict(X_test * scale)
                except ValueError:  # diverged
                    scores[batch_norm, scale] = 0.0
    # With batch norm the first layer sees the same normalized z at every
    # scale: the same predictions, the same accuracy.
    for scale in [1e-2, 1e3]:
        agreement = np.mean(predictions["before", scale] == predictions["before", 1.0])
        assert agreement > 0.97
        assert abs(scores["before", scale] - scores["before", 1.0]) < 0.02
    # Without it, the scale matters a great deal.
    assert min(scores[None, 1e-2], scores[None, 1e3]) < scores[None, 1.0] - 0.1


@pytest.mark.parametrize("batch_norm", ["before", "after"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_predict_one_row_equals_predict_batch(digits, batch_norm, solver):
    X_train, X_test, y_train, _ = digits
    est = MLPClassifier((16,), batch_norm=batch_norm, solver=solver, max_iter=10,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_train, y_train)
    proba = est.predict_proba(X_test[:20])
    for i in range(20):
        assert_allclose(est.predict_proba(X_test[i:i + 1]), proba[i:i + 1], rtol=1e-6)


def test_running_statistics_track_the_data():
    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    X = X * 5 + 3
    # L-BFGS is full batch: its running statistics are the data's own.
    est = MLPClassifier((8,), solver="lbfgs", activation="tanh", max_iter=30,
                        batch_norm="before", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    z = X @ est.coefs_[0]
    assert_allclose(est.bn_running_means_[0], z.mean(axis=0), rtol=1e-10)
    assert_allclose(est.bn_running_vars_[0], z.var(axis=0), rtol=1e-10)
    # Mini-batch training ends close to them too.
    sgd = MLPClassifier((8,), max_iter=30, random_state=0, batch_norm="before",
                        batch_norm_momentum=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sgd.fit(X, y)
    z = X @ sgd.coefs_[0]
    assert_allclose(sgd.bn_running_means_[0], z.mean(axis=0), atol=0.3 * z.std())


def test_hidden_intercepts_dropped_with_batch_norm_before():
    X, y = make_classification(n_samples=100, random_state=0)
    est = MLPClassifier((7, 5), max_iter=5, batch_norm="before", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    assert [b.shape for b in est.intercepts_] == [(7,), (5,), (1,)]
    assert not est.intercepts_[0].any() and not est.intercepts_[1].any()
    assert est.intercepts_[2].any()
    assert [g.shape for g in est.bn_gammas_] == [(7,), (5,)]
    assert not np.allclose(est.bn_gammas_[0], 1.0)


# ----------------------------------------------------------------------------
# Input types
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", ["before", "after", None])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_stays_float32(batch_norm, solver):
    X, y = make_classification(n_samples=100, random_state=0)
    est = MLPClassifier((8,), batch_norm=batch_norm, solver=solver, max_iter=5,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X.astype(np.float32), y)
    arrays = est.coefs_ + est.intercepts_ + est.bn_gammas_ + est.bn_running_vars_
    assert all(a.dtype == np.float32 for a in arrays)
    assert est.predict_proba(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("batch_norm", ["before", None])
def test_sparse_input_trains_like_dense(batch_norm):
    X, y = make_classification(n_samples=120, n_features=10, random_state=0)
    X[np.abs(X) < 0.8] = 0
    params = dict(hidden_layer_sizes=(8,), batch_norm=batch_norm, max_iter=10,
                  random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = MLPClassifier(**params).fit(X, y)
        sparse = MLPClassifier(**params).fit(sp.csr_matrix(X), y)
    assert_same_network(sparse, dense, rtol=1e-6, atol=1e-10)
    assert_allclose(sparse.predict_proba(sp.csc_matrix(X)), dense.predict_proba(X),
                    rtol=1e-6)


@pytest.mark.parametrize("batch_norm", ["before", "after", None])
def test_zero_weight_equals_dropping_rows(batch_norm):
    # Full batch, so the only difference could come from how weights enter
    # the loss and batch normalization's statistics.
    X, y = make_classification(n_samples=80, random_state=0)
    weights = np.ones(80)
    weights[::3] = 0
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", batch_norm=batch_norm,
                  max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = MLPClassifier(**params).fit(X, y, sample_weight=weights)
        dropped = MLPClassifier(**params).fit(X[weights > 0], y[weights > 0])
    assert_same_network(weighted, dropped, rtol=1e-5, atol=1e-7)


def test_multilabel_and_multioutput():
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    Y = np.column_stack([y, X[:, 0] > 0, X[:, 1] + X[:, 2] > 0]).astype(int)
    clf = MLPClassifier((32,), max_iter=200, learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, Y)
    assert clf.predict(X).shape == (200, 3)
    assert clf.score(X, Y) > 0.8

    X, Y = make_regression(n_samples=200, n_features=6, n_targets=3, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, Y / Y.std())
    assert reg.predict(X).shape == (200, 3)
    assert reg.score(X, Y / Y.std()) > 0.9


def test_inputs_are_not_mutated():
    X, y = make_classification(n_samples=60, random_state=0)
    weights = np.linspace(0.5, 2, 60)
    X0, y0, w0 = X.copy(), y.copy(), weights.copy()
    est = MLPClassifier((4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y, sample_weight=weights)
        est.partial_fit(X, y, sample_weight=weights)
    est.predict_proba(X)
    assert_array_equal(X, X0)
    assert_array_equal(y, y0)
    assert_array_equal(weights, w0)


# ----------------------------------------------------------------------------
# Babysitting: partial_fit, warm_start, set_params, pickling
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
def test_partial_fit_epochs_equal_fit_epochs(solver):
    X, y = make_classification(n_samples=100, random_state=0)
    params = dict(hidden_layer_sizes=(8,), solver=solver, shuffle=False,
                  random_state=0, learning_rate="exponential", batch_norm="before")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = MLPClassifier(max_iter=3, **params).fit(X, y)
    babysat = MLPClassifier(**params)
    for _ in range(3):
        babysat.partial_fit(X, y, classes=[0, 1])
    # momentum, moments and the decay's epoch count all carried over
    assert_same_network(babysat, fitted, rtol=1e-10)
    assert_allclose(babysat.bn_running_means_[0], fitted.bn_running_means_[0])


def test_set_params_takes_effect_at_next_partial_fit():
    X, y = make_classification(n_samples=100, random_state=0)
    est = MLPClassifier((8,), batch_norm=None, random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    est.partial_fit(X, y)
    before = [c.copy() for c in est.coefs_]
    est.set_params(learning_rate_init=1e-12)  # (nearly) frozen
    est.partial_fit(X, y)
    for a, b in zip(est.coefs_, before):
        assert_allclose(a, b, atol=1e-9)
    est.set_params(learning_rate_init=0.05)
    est.partial_fit(X, y)
    assert max(np.abs(a - b).max() for a, b in zip(est.coefs_, before)) > 1e-3
    assert est._optimizer.learning_rate == pytest.approx(0.05)


def test_warm_start_continues_training():
    X, y = make_classification(n_samples=200, random_state=0)
    est = MLPClassifier((8,), max_iter=5, warm_start=True, batch_norm="before",
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
        first_losses = list(est.loss_curve_)
        est.fit(X, y)
    assert len(est.loss_curve_) == 10
    assert est.loss_curve_[-1] < first_losses[-1]
    est.set_params(hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes changed from \[8\] to \[9\]"):
        est.fit(X, y)
    est.set_params(hidden_layer_sizes=(8,), batch_norm=None)
    with pytest.raises(ValueError, match="batch_norm changed from 'before' to None"):
        est.fit(X, y)


@pytest.mark.parametrize("continue_", ["partial_fit", "warm_start"])
def test_a_changed_number_of_outputs_is_named(continue_):
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    est = MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                       warm_start=continue_ == "warm_start")
    more = getattr(est, "fit" if continue_ == "warm_start" else "partial_fit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        more(X, y)
        with pytest.raises(ValueError, match="2 output column.* fitted with 1") as error:
            more(X, np.column_stack([y, y]))
    assert "hidden_layer_sizes" not in str(error.value)


@pytest.mark.parametrize("batch_norm", ["before", "after", None])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_network_without_hidden_layers_is_scikit_learns(batch_norm, solver):
    # nothing to normalize: every setting is scikit-learn's linear network
    X, _, y, _ = train_test_split(*load_digits(return_X_y=True), random_state=0)
    params = dict(hidden_layer_sizes=(), max_iter=20, solver=solver,
                  learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(batch_norm=batch_norm, **params).fit(X / 16, y)
        theirs = sknn.MLPClassifier(**params).fit(X / 16, y)
    assert_same_network(ours, theirs)
    assert ours.score(X / 16, y) > 0.9


def test_pickled_model_trains_on_identically():
    X, y = make_classification(n_samples=100, random_state=0)
    est = MLPClassifier((8,), solver="adam", random_state=0, shuffle=False,
                        batch_norm="before")
    est.partial_fit(X, y, classes=[0, 1])
    est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    est.partial_fit(X, y)
    copy.partial_fit(X, y)
    assert_same_network(copy, est, rtol=1e-12)
    assert_allclose(copy.bn_gammas_[0], est.bn_gammas_[0])


def test_determinism_under_random_state(digits):
    X, _, y, _ = digits
    a, b, c = (MLPClassifier((16,), max_iter=3, random_state=s) for s in (1, 1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est in (a, b, c):
            est.fit(X, y)
    assert_same_network(a, b, rtol=0, atol=0)
    assert not np.allclose(a.coefs_[0], c.coefs_[0])


def test_early_stopping_curves(digits):
    X, _, y, _ = digits
    est = MLPClassifier((16,), early_stopping=True, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    assert len(est.loss_curve_) == len(est.validation_scores_) == est.n_iter_
    assert len(est.validation_loss_curve_) == est.n_iter_
    assert est.validation_loss_curve_[-1] < est.validation_loss_curve_[0]
    assert est.best_validation_score_ == max(est.validation_scores_)


def test_decay_applies_to_adam(digits):
    X, _, y, _ = digits
    est = MLPClassifier((16,), learning_rate="inverse_time", decay_rate=1.0,
                        learning_rate_init=0.01, max_iter=4, random_state=0, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    assert est._optimizer.learning_rate == pytest.approx(0.01 / (1 + 4))


# ----------------------------------------------------------------------------
# Bad input and divergence
# ----------------------------------------------------------------------------
@expects_failed_fits
def test_diverging_fit_raises_a_clear_error_and_a_search_carries_on():
    X, y = make_regression(n_samples=100, random_state=0)
    est = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", batch_norm=None,
                       learning_rate_init=1.0, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy warnings leak
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            est.fit(X, y)
    # it stops at the first non-finite loss instead of running all epochs
    assert len(est.loss_curve_) < 50
    search = GridSearchCV(est, {"learning_rate_init": [1.0, 1e-3]}, cv=2,
                          error_score=np.nan)
    with pytest.warns(FitFailedWarning, match="fits failed"):
        search.fit(X, y / y.std())
    assert np.isnan(search.cv_results_["mean_test_score"][0])
    assert search.best_params_ == {"learning_rate_init": 1e-3}


@pytest.mark.parametrize("params, match", [
    ({"batch_norm": "middle"}, "batch_norm"),
    ({"solver": "newton"}, "solver"),
    ({"learning_rate": "linear"}, "learning_rate"),
    ({"warmup_epochs": -1}, "warmup_epochs"),
    ({"learning_rate_min": -0.1}, "learning_rate_min"),
    ({"weight_decay": -1.0}, "weight_decay"),
    ({"max_gradient_norm": 0.0}, "max_gradient_norm"),
    ({"decay_rate": -1.0}, "decay_rate"),
    ({"batch_norm_momentum": 1.5}, "batch_norm_momentum"),
    ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
    ({"hidden_layer_sizes": (2.5,)}, "hidden_layer_sizes"),
    ({"learning_rate": "exponential", "decay_rate": 2.0}, "decay_rate"),
])
def test_invalid_parameters_are_named(params, match):
    X, y = make_classification(n_samples=30, random_state=0)
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**params).fit(X, y)


def test_bad_data_gets_clear_errors():
    X, y = make_classification(n_samples=30, random_state=0)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier().fit(X_nan, y)
    with pytest.raises(ValueError, match="only one class"):
        MLPClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X, -np.ones(30))
    est = MLPClassifier((4,), max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :5])
    with pytest.raises(AttributeError, match="partial_fit"):
        MLPClassifier(solver="lbfgs").partial_fit(X, y, classes=[0, 1])


# ----------------------------------------------------------------------------
# Batch norm on tiny batches
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", ["before", "after"])
def test_batches_of_one_row_train(digits, batch_norm):
    # scikit-learn's test_shuffle: with batches of one row, shuffling changes
    # the weights; before, every unit was normalized to zero and the hidden
    # layers never moved.
    X, _, y, _ = digits
    X, y = X[:100], y[:100]

    def fit(shuffle, batch_norm):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return MLPClassifier((8,), batch_size=1, max_iter=10, shuffle=shuffle,
                                 batch_norm=batch_norm, random_state=0).fit(X, y)

    unshuffled, shuffled = fit(False, batch_norm), fit(True, batch_norm)
    assert not np.allclose(unshuffled.coefs_[0], shuffled.coefs_[0])
    # about as well as without batch norm; a network whose hidden layers do
    # not train predicts from the output layer's bias alone
    assert shuffled.score(X, y) > fit(True, None).score(X, y) - 0.1
    assert shuffled.score(X, y) > 0.5


@pytest.mark.parametrize("batch_norm", ["before", "after", None])
def test_partial_fit_on_one_row_learns_its_target(batch_norm):
    # scikit-learn's test_mlp_loading_from_joblib_partial_fit
    est = MLPRegressor(hidden_layer_sizes=(42,), random_state=42, learning_rate_init=0.01,
                       max_iter=200, batch_norm=batch_norm)
    est.fit([[2]], [4])
    est = pickle.loads(pickle.dumps(est))
    for _ in range(200):
        est.partial_fit([[2]], [1])
    assert_allclose(est.predict([[2]]), [1], rtol=1e-4)


def test_a_last_batch_of_one_row_leaves_the_running_statistics_alone():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2001, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=2001)
    est = MLPRegressor(hidden_layer_sizes=(6,), activation="identity", batch_size=1000,
                       max_iter=30, learning_rate_init=0.01, batch_norm="before",
                       random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no false epsilon warning
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    # the running variance against the variance of the layer over all rows
    Z = X @ est.coefs_[0]
    assert_allclose(est.bn_running_vars_[0], Z.var(axis=0), rtol=0.15)
    assert_allclose(est.bn_running_means_[0], Z.mean(axis=0), atol=0.15)


@pytest.mark.parametrize("batch_norm", ["before", "after", None])
def test_lbfgs_warns_when_it_stops_at_max_fun(digits, batch_norm):
    X, _, y, _ = digits
    est = MLPClassifier((20,), solver="lbfgs", max_fun=5, max_iter=100,
                        batch_norm=batch_norm, random_state=0)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est.fit(X, y)
    assert est.n_iter_ <= 5


# ----------------------------------------------------------------------------
# Class weights
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", ["before", None])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_class_weight_is_sample_weight_by_class(digits, batch_norm, solver):
    X, _, y, _ = digits
    X, y = X[:300], y[:300]
    weights = {0: 3.0, 1: 0.5, 7: 2.0}
    params = dict(hidden_layer_sizes=(8,), max_iter=5, solver=solver,
                  batch_norm=batch_norm, random_state=0)
    rows = np.array([weights.get(label, 1.0) for label in y])
    user = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = MLPClassifier(class_weight=weights, **params).fit(X, y, sample_weight=user)
        by_hand = MLPClassifier(**params).fit(X, y, sample_weight=user * rows)
        balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y)
        counts = np.bincount(y)
        by_count = MLPClassifier(**params).fit(
            X, y, sample_weight=len(y) / (len(counts) * counts[y]))
    assert_same_network(weighted, by_hand, rtol=1e-12, atol=1e-14)
    assert_same_network(balanced, by_count, rtol=1e-12, atol=1e-14)


def test_class_weight_shifts_predictions_towards_the_heavy_class():
    X, y = make_classification(n_samples=400, weights=[0.9, 0.1], flip_y=0.05,
                               class_sep=0.5, random_state=0)
    params = dict(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPClassifier(**params).fit(X, y)
        balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y)
    assert (balanced.predict(X) == 1).sum() > 1.5 * (plain.predict(X) == 1).sum()


def test_partial_fit_takes_class_weights_as_a_dict_only():
    X, y = make_classification(n_samples=60, random_state=0)
    est = MLPClassifier((4,), class_weight={0: 2.0}, random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    same = MLPClassifier((4,), random_state=0)
    same.partial_fit(X, y, classes=[0, 1], sample_weight=np.where(y == 0, 2.0, 1.0))
    assert_same_network(est, same, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_partial_fit_on_a_batch_without_a_weighted_class():
    """Classes class_weight does not name weigh 1, also in a batch that lacks
    the classes it names (as SGDClassifier streams)."""
    X, y = make_classification(n_samples=90, n_classes=3, n_informative=3,
                               random_state=0)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]  # the first batch holds class 0 only
    est = MLPClassifier((4,), class_weight={0: 5.0}, random_state=0)
    same = MLPClassifier((4,), random_state=0)
    for rows in (slice(0, 30), slice(30, 90)):
        est.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        same.partial_fit(X[rows], y[rows], classes=[0, 1, 2],
                         sample_weight=np.where(y[rows] == 0, 5.0, 1.0))
    assert_same_network(est, same, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        est.partial_fit(X[:3], [7, 7, 7])


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
def test_cosine_schedule_with_warm_up_drives_every_solver(solver):
    X, y = make_classification(n_samples=60, random_state=0)
    est = MLPClassifier((4,), solver=solver, learning_rate="cosine", learning_rate_init=0.1,
                        warmup_epochs=1, learning_rate_min=0.001, max_iter=5,
                        random_state=0)
    rates = []
    for _ in range(5):
        est.partial_fit(X, y, classes=[0, 1])
        rates.append(est._optimizer.learning_rate)
    # the rate for the next epoch, after each of the five
    expected = [0.1] + [0.001 + 0.099 * 0.5 * (1 + np.cos(np.pi * k / 4)) for k in range(1, 5)]
    assert_allclose(rates, expected)
    # fit: the first epoch trains at half the rate, then the same schedule
    fitted = MLPClassifier((4,), solver=solver, learning_rate="cosine",
                           learning_rate_init=0.1, warmup_epochs=1,
                           learning_rate_min=0.001, max_iter=5, random_state=0,
                           shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X, y)
    assert fitted._optimizer.learning_rate == pytest.approx(0.001)


# ----------------------------------------------------------------------------
# Decoupled weight decay and gradient clipping
# ----------------------------------------------------------------------------
def one_full_batch_step(X, y, **params):
    est = MLPClassifier((5,), batch_size=len(y), shuffle=False, alpha=0.0,
                        random_state=0, **params)
    est.partial_fit(X, y, classes=[0, 1])
    return est


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("batch_norm", [None, "before"])
def test_weight_decay_is_decoupled_closed_form(solver, batch_norm):
    # theta <- theta (1 - lr * wd) - lr * step(grad at theta): the weights shrink
    # by lr * wd of their value whatever the solver does with the gradient
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    common = dict(solver=solver, batch_norm=batch_norm, learning_rate_init=0.05,
                  momentum=0.0)
    plain = one_full_batch_step(X, y, **common)
    decayed = one_full_batch_step(X, y, weight_decay=0.3, **common)
    # the initial weights: the same seed, a step too small to move anything
    fresh = one_full_batch_step(X, y, **{**common, "learning_rate_init": 1e-300})
    for w_plain, w_decayed, w0 in zip(plain.coefs_, decayed.coefs_, fresh.coefs_):
        assert_allclose(w_decayed, w_plain - 0.05 * 0.3 * w0, rtol=1e-10, atol=1e-12)
    for b_plain, b_decayed in zip(plain.intercepts_, decayed.intercepts_):
        assert_allclose(b_decayed, b_plain, rtol=1e-12)


def test_gradient_clipping_bounds_the_step_closed_form():
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    common = dict(solver="sgd", momentum=0.0, learning_rate_init=0.1)
    fresh = one_full_batch_step(X, y, **{**common, "learning_rate_init": 1e-300})
    clipped = one_full_batch_step(X, y, max_gradient_norm=1e-3, **common)
    plain = one_full_batch_step(X, y, **common)
    start, one, free = (np.concatenate([a.ravel() for a in e.coefs_ + e.intercepts_])
                        for e in (fresh, clipped, plain))
    # the clipped step is the plain step scaled to length lr * max_norm
    step, free_step = start - one, start - free
    assert np.linalg.norm(step) == pytest.approx(0.1 * 1e-3, rel=1e-6)
    assert_allclose(step / np.linalg.norm(step), free_step / np.linalg.norm(free_step),
                    rtol=1e-6, atol=1e-9)
    # a bound above the gradient's norm changes nothing
    loose = one_full_batch_step(X, y, max_gradient_norm=1e6, **common)
    assert_same_network(loose, plain, rtol=1e-15, atol=0)


# ----------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------
def test_dropout_masks_are_inverted_and_reproducible(digits):
    X, _, y, _ = digits
    est = MLPClassifier((50, 40), dropout=(0.5, 0.2), random_state=0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    ws = est._make_workspace(400, X.dtype)
    est._random_state = np.random.RandomState(0)
    est._draw_dropout_masks(ws, 400)
    for mask, rate in zip(ws.dropout_masks, (0.5, 0.2)):
        assert set(np.unique(mask)) == {0.0, 1 / (1 - rate)}
        assert mask.mean() == pytest.approx(1.0, abs=0.02)  # inverted: E[mask] = 1
        assert (mask == 0).mean() == pytest.approx(rate, abs=0.02)
    twins = [MLPClassifier((20,), dropout=0.3, max_iter=3, random_state=0) for _ in "ab"]
    plain = MLPClassifier((20,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for est in [*twins, plain]:
            est.fit(X, y)
    assert_same_network(*twins, rtol=0, atol=0)
    assert not np.allclose(twins[0].coefs_[0], plain.coefs_[0])
    # nothing is dropped at predict time: the same weights without dropout
    # predict the same, call after call
    copy = pickle.loads(pickle.dumps(twins[0])).set_params(dropout=0.0)
    assert_array_equal(twins[0].predict_proba(X[:50]), copy.predict_proba(X[:50]))
    assert_array_equal(twins[0].predict_proba(X[:50]), twins[0].predict_proba(X[:50]))


def test_a_layer_with_rate_zero_keeps_every_unit():
    est = MLPClassifier((6, 5), dropout=(0.0, 0.5), random_state=0)
    est.partial_fit(np.eye(6), np.arange(6) % 2, classes=[0, 1])
    ws = est._make_workspace(6, np.float64)
    assert ws.dropout_masks[0] is None and ws.dropout_masks[1].shape == (6, 5)


@pytest.mark.parametrize("params, match", [
    ({"dropout": 0.2, "solver": "lbfgs"}, "dropout needs a stochastic solver"),
    ({"dropout": (0.2, 0.3, 0.1)}, r"3 rate\(s\) for 2 hidden layer\(s\)"),
    ({"dropout": (0.2, 1.0)}, r"in \[0, 1\)"),
    ({"dropout": 1.0}, "'dropout' parameter"),
])
def test_bad_dropout_is_named(params, match):
    X, y = make_classification(n_samples=30, random_state=0)
    est = MLPClassifier((4, 3), max_iter=2, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")  # refused before any work


def test_a_wide_network_learns_with_dropout(digits):
    X_train, X_test, y_train, y_test = digits
    params = dict(hidden_layer_sizes=(256,), max_iter=40, learning_rate_init=0.01,
                  random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dropped = MLPClassifier(dropout=0.3, **params).fit(X_train, y_train)
    assert dropped.score(X_test, y_test) > 0.96


# ----------------------------------------------------------------------------
# Weight initialization
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("weight_init, spread", [
    ("glorot_uniform", lambda a, b: np.sqrt(6 / (a + b)) / np.sqrt(3)),
    ("glorot_normal", lambda a, b: np.sqrt(2 / (a + b))),
    ("he_uniform", lambda a, b: np.sqrt(6 / a) / np.sqrt(3)),
    ("he_normal", lambda a, b: np.sqrt(2 / a)),
])
def test_weight_inits_have_their_spread_and_zero_intercepts(weight_init, spread):
    X = np.random.RandomState(0).normal(size=(10, 300))
    y = np.arange(10) % 2
    # the initial network: one step too small to move anything
    fresh = MLPClassifier((200, 100), weight_init=weight_init, random_state=0,
                          learning_rate_init=1e-300).partial_fit(X, y, classes=[0, 1])
    for coef, intercept in zip(fresh.coefs_, fresh.intercepts_):
        fan_in, fan_out = coef.shape
        expected = spread(fan_in, fan_out)
        assert coef.std() == pytest.approx(expected, rel=5 / np.sqrt(coef.size))
        assert abs(coef.mean()) < 4 * expected / np.sqrt(coef.size)
        assert np.abs(intercept).max() < 1e-250  # zero, but for the tiny step
    if weight_init.endswith("uniform"):
        bound = np.sqrt(3) * spread(300, 200)
        assert np.abs(fresh.coefs_[0]).max() <= bound


def test_scikit_learn_init_is_the_default():
    X, y = make_classification(n_samples=30, random_state=0)
    params = dict(hidden_layer_sizes=(5,), max_iter=1, learning_rate_init=1e-300,
                  random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert_same_network(MLPClassifier(**params).fit(X, y),
                            sknn.MLPClassifier(**params).fit(X, y), rtol=1e-12, atol=0)
        assert_same_network(MLPClassifier(weight_init="scikit-learn", **params).fit(X, y),
                            MLPClassifier(**params).fit(X, y), rtol=0, atol=0)


# ----------------------------------------------------------------------------
# Early stopping on the held-out loss
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_early_stopping_on_loss_keeps_the_lowest_held_out_loss(Estimator):
    if Estimator is MLPClassifier:
        X, y = make_classification(n_samples=300, n_features=20, n_informative=5,
                                   flip_y=0.2, random_state=0)
    else:
        X, y = make_regression(n_samples=300, n_features=20, noise=20, random_state=0)
        y = y / y.std()
    params = dict(hidden_layer_sizes=(64,), early_stopping=True, early_stopping_on="loss",
                  learning_rate_init=0.02, n_iter_no_change=5, random_state=0)
    est = Estimator(max_iter=200, **params).fit(X, y)
    losses = est.validation_loss_curve_
    best = int(np.argmin(losses))
    assert best + 1 + est.n_iter_no_change <= est.n_iter_ < 200  # it stopped after it
    assert est.best_validation_score_ == est.validation_scores_[best]
    # the kept weights are the best epoch's: the same training cut there
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cut = Estimator(max_iter=best + 1, **params).fit(X, y)
    assert_same_network(est, cut, rtol=0, atol=0)
    # watching the score trains the same epochs: only what stops them differs
    by_score = Estimator(max_iter=200, **{**params, "early_stopping_on": "score"}).fit(X, y)
    n_common = min(est.n_iter_, by_score.n_iter_)
    assert by_score.validation_loss_curve_[:n_common] == losses[:n_common]


def test_early_stopping_on_score_is_scikit_learns(digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(20,), early_stopping=True, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(early_stopping_on="score", **params).fit(X, y)
        theirs = sknn.MLPClassifier(**params).fit(X, y)
    assert_same_network(ours, theirs)
    assert ours.best_validation_score_ == theirs.best_validation_score_
