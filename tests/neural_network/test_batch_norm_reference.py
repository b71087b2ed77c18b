"""skhp's batch-norm networks against an independent, plain numpy reference.

:class:`ReferenceMLP` below is written from the textbook equations, not from
skhp's code: one array per parameter, a straightforward forward pass with the
mini-batch's statistics, the backward pass by hand, scikit-learn's Adam and
its L2 penalty ``alpha * ||W||^2 / (2 n)``. It follows the conventions skhp
documents (docs/networks.rst and the estimators' docstrings):

- Glorot-uniform initialization in scikit-learn's order (for each layer its
  weights, then its intercepts, from one RandomState); gammas start at 1 and
  betas at 0;
- with ``batch_norm="before"`` the hidden layers' intercepts are not used
  (batch normalization's mean subtraction cancels them; beta is the shift),
  though they are still drawn, so that a seed gives the same weights with and
  without batch norm;
- the penalty applies to every weight matrix (also those that feed a
  normalization), never to intercepts, gammas or betas;
- the batch variance is the biased one (divided by m), and the running
  statistics are ``running = momentum * running + (1 - momentum) * batch``,
  starting from mean 0 and variance 1, updated once per mini-batch with the
  statistics of that batch's forward pass; prediction uses them;
- ``loss_curve_`` holds the batch losses (penalty included) weighted by
  batch size, averaged over the epoch.

The reference itself is checked twice: with ``batch_norm=None`` against
scikit-learn's MLP (an implementation independent of both), and its
hand-written gradients against finite differences.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import neural_network as sknn
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle as sk_shuffle

from skhp import MLPClassifier, MLPRegressor


def _act(name, x):
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "tanh":
        return np.tanh(x)
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-x))
    return x.copy()  # identity


def _act_grad(name, x):
    """Derivative of the activation at its input ``x``."""
    if name == "relu":
        return (x > 0).astype(float)
    if name == "tanh":
        return 1.0 - np.tanh(x) ** 2
    if name == "logistic":
        s = 1.0 / (1.0 + np.exp(-x))
        return s * (1.0 - s)
    return np.ones_like(x)


class ReferenceMLP:
    """A batch-norm MLP in plain float64 numpy, trained with Adam.

    Parameters
    ----------
    layer_units : list of int
        Units of every layer, input and output included.
    batch_norm : {"before", "after"} or None
    output : {"softmax", "logistic", "identity"}
        Output activation; the loss is its canonical one (cross-entropy,
        binary cross-entropy, half squared error).
    """

    def __init__(self, layer_units, batch_norm, output, activation="relu",
                 alpha=1e-4, learning_rate=1e-3, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, bn_momentum=0.9, bn_epsilon=1e-5, seed=0):
        self.units = list(layer_units)
        self.batch_norm = batch_norm
        self.output = output
        self.activation = activation
        self.alpha = alpha
        self.lr = learning_rate
        self.b1, self.b2, self.eps = beta_1, beta_2, epsilon
        self.bn_momentum, self.bn_eps = bn_momentum, bn_epsilon
        self.rng = np.random.RandomState(seed)
        self.n_hidden = len(self.units) - 2

        self.W, self.b = [], []
        factor = 2.0 if activation == "logistic" else 6.0
        for fan_in, fan_out in zip(self.units[:-1], self.units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            self.W.append(self.rng.uniform(-bound, bound, (fan_in, fan_out)))
            self.b.append(self.rng.uniform(-bound, bound, fan_out))
        if batch_norm == "before":
            for i in range(self.n_hidden):
                self.b[i] = np.zeros(self.units[i + 1])  # unused
        hidden = self.units[1:-1] if batch_norm else []
        self.gamma = [np.ones(u) for u in hidden]
        self.beta = [np.zeros(u) for u in hidden]
        self.run_mean = [np.zeros(u) for u in hidden]
        self.run_var = [np.ones(u) for u in hidden]
        self.t = 0
        self.m_state = None
        self.v_state = None
        self.loss_curve = []

    # -- parameters as a dict of named arrays (Adam is element-wise) --------
    def params(self):
        p = {}
        for i, W in enumerate(self.W):
            p[f"W{i}"] = W
        for i, b in enumerate(self.b):
            if not (self.batch_norm == "before" and i < self.n_hidden):
                p[f"b{i}"] = b
        for i in range(len(self.gamma)):
            p[f"gamma{i}"] = self.gamma[i]
            p[f"beta{i}"] = self.beta[i]
        return p

    # -- forward ------------------------------------------------------------
    def _normalize(self, i, H, training):
        if training:
            mu = H.mean(axis=0)
            var = ((H - mu) ** 2).mean(axis=0)
        else:
            mu, var = self.run_mean[i], self.run_var[i]
        inv_std = 1.0 / np.sqrt(var + self.bn_eps)
        xhat = (H - mu) * inv_std
        return self.gamma[i] * xhat + self.beta[i], (mu, var, inv_std, xhat)

    def forward(self, X, training):
        """Output and, when training, the cache the backward pass needs."""
        cache = []
        A = X
        for i in range(self.n_hidden):
            Z = A @ self.W[i]
            if self.batch_norm != "before":
                Z = Z + self.b[i]
            entry = {"A_in": A, "Z": Z}
            if self.batch_norm == "before":
                H, entry["bn"] = self._normalize(i, Z, training)
                entry["H"] = H
                A = _act(self.activation, H)
            elif self.batch_norm == "after":
                H = _act(self.activation, Z)
                A, entry["bn"] = self._normalize(i, H, training)
            else:
                A = _act(self.activation, Z)
            cache.append(entry)
        Z = A @ self.W[-1] + self.b[-1]
        cache.append({"A_in": A})
        if self.output == "softmax":
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            out = E / E.sum(axis=1, keepdims=True)
        elif self.output == "logistic":
            out = 1.0 / (1.0 + np.exp(-Z))
        else:
            out = Z
        return out, cache

    def loss(self, Y, out):
        m = Y.shape[0]
        if self.output == "softmax":
            data = -np.sum(Y * np.log(out)) / m
        elif self.output == "logistic":
            data = -np.sum(Y * np.log(out) + (1 - Y) * np.log(1 - out)) / m
        else:
            data = 0.5 * np.sum((Y - out) ** 2) / m
        penalty = 0.5 * self.alpha * sum(np.sum(W * W) for W in self.W) / m
        return data + penalty

    # -- backward -----------------------------------------------------------
    @staticmethod
    def _bn_backward(dY, gamma, bn):
        """Gradients of y = gamma * xhat + beta w.r.t. its input, gamma, beta."""
        _, _, inv_std, xhat = bn
        m = dY.shape[0]
        d_gamma = np.sum(dY * xhat, axis=0)
        d_beta = np.sum(dY, axis=0)
        d_xhat = dY * gamma
        d_in = (inv_std / m) * (
            m * d_xhat - d_xhat.sum(axis=0) - xhat * np.sum(d_xhat * xhat, axis=0)
        )
        return d_in, d_gamma, d_beta

    def gradients(self, X, Y):
        """Loss and gradient of every parameter, over one batch."""
        m = X.shape[0]
        out, cache = self.forward(X, training=True)
        loss = self.loss(Y, out)
        grads = {}
        delta = (out - Y) / m  # canonical link: d loss / d output pre-activation
        for i in range(self.n_hidden, -1, -1):
            A_in = cache[i]["A_in"]
            grads[f"W{i}"] = A_in.T @ delta + (self.alpha / m) * self.W[i]
            if not (self.batch_norm == "before" and i < self.n_hidden):
                grads[f"b{i}"] = delta.sum(axis=0)
            if i == 0:
                break
            j = i - 1
            dA = delta @ self.W[i].T
            entry = cache[j]
            if self.batch_norm == "before":
                dH = dA * _act_grad(self.activation, entry["H"])
                delta, grads[f"gamma{j}"], grads[f"beta{j}"] = self._bn_backward(
                    dH, self.gamma[j], entry["bn"])
            elif self.batch_norm == "after":
                dH, grads[f"gamma{j}"], grads[f"beta{j}"] = self._bn_backward(
                    dA, self.gamma[j], entry["bn"])
                delta = dH * _act_grad(self.activation, entry["Z"])
            else:
                delta = dA * _act_grad(self.activation, entry["Z"])
        return loss, grads, cache

    # -- training -----------------------------------------------------------
    def adam_step(self, grads):
        params = self.params()
        if self.m_state is None:
            self.m_state = {k: np.zeros_like(v) for k, v in params.items()}
            self.v_state = {k: np.zeros_like(v) for k, v in params.items()}
        self.t += 1
        lr_t = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for k, p in params.items():
            g = grads[k]
            self.m_state[k] = self.b1 * self.m_state[k] + (1 - self.b1) * g
            self.v_state[k] = self.b2 * self.v_state[k] + (1 - self.b2) * g * g
            p -= lr_t * self.m_state[k] / (np.sqrt(self.v_state[k]) + self.eps)

    def fit(self, X, Y, epochs, batch_size, shuffle):
        n = X.shape[0]
        order = np.arange(n)
        for _ in range(epochs):
            if shuffle:  # as scikit-learn: each epoch permutes the last order
                order = sk_shuffle(order, random_state=self.rng)
            total = 0.0
            for start in range(0, n, batch_size):
                rows = order[start:start + batch_size]
                loss, grads, cache = self.gradients(X[rows], Y[rows])
                total += loss * len(rows)
                self.adam_step(grads)
                mom = self.bn_momentum
                for i in range(len(self.gamma)):
                    mu, var, _, _ = cache[i]["bn"]
                    self.run_mean[i] = mom * self.run_mean[i] + (1 - mom) * mu
                    self.run_var[i] = mom * self.run_var[i] + (1 - mom) * var
            self.loss_curve.append(total / n)
        return self

    def predict_output(self, X):
        return self.forward(X, training=False)[0]


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def _one_hot(y, classes):
    return (y[:, None] == classes).astype(float)


def _fit_both(est, X, Y_ref, output, epochs, batch_size, shuffle, seed=0, **ref_params):
    p = est.get_params()
    units = [X.shape[1], *p["hidden_layer_sizes"], Y_ref.shape[1]]
    ref = ReferenceMLP(units, p["batch_norm"], output, activation=p["activation"],
                       alpha=p["alpha"], learning_rate=p["learning_rate_init"],
                       bn_momentum=p["batch_norm_momentum"],
                       bn_epsilon=p["batch_norm_epsilon"], seed=seed, **ref_params)
    ref.fit(X, Y_ref, epochs, batch_size, shuffle)
    return ref


def assert_matches_reference(est, ref, X, rtol=1e-9, atol=1e-11):
    """Every trained array, the running statistics, the loss curve, outputs."""
    assert_allclose(est.loss_curve_, ref.loss_curve, rtol=rtol)
    for i, W in enumerate(ref.W):
        assert_allclose(est.coefs_[i], W, rtol=rtol, atol=atol, err_msg=f"coefs_[{i}]")
    for i, b in enumerate(ref.b):
        assert_allclose(est.intercepts_[i], b, rtol=rtol, atol=atol,
                        err_msg=f"intercepts_[{i}]")
    for name in ("gamma", "beta"):
        ours = getattr(est, f"bn_{name}s_")
        assert len(ours) == len(getattr(ref, name))
        for i, v in enumerate(getattr(ref, name)):
            assert_allclose(ours[i], v, rtol=rtol, atol=atol, err_msg=f"{name}[{i}]")
    for i in range(len(ref.run_mean)):
        assert_allclose(est.bn_running_means_[i], ref.run_mean[i], rtol=rtol, atol=atol)
        assert_allclose(est.bn_running_vars_[i], ref.run_var[i], rtol=rtol, atol=atol)
    assert_allclose(est._forward_pass_fast(X), _as_2d(ref.predict_output(X)),
                    rtol=1e-8, atol=1e-10)


def _as_2d(a):
    return a.reshape(len(a), -1)


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after a few epochs
        return est.fit(X, y)


@pytest.fixture(scope="module")
def digits_small():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X[:300])
    return X, y[:300]


# ----------------------------------------------------------------------------
# the reference itself
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", ["before", "after", None])
@pytest.mark.parametrize("output", ["softmax", "logistic", "identity"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_reference_gradients_match_finite_differences(batch_norm, output, activation):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(12, 4))
    if output == "softmax":
        Y = _one_hot(rng.randint(0, 3, 12), np.arange(3))
    elif output == "logistic":
        Y = rng.randint(0, 2, (12, 1)).astype(float)
    else:
        Y = rng.normal(size=(12, 2))
    ref = ReferenceMLP([4, 5, 3, Y.shape[1]], batch_norm, output,
                       activation=activation, alpha=0.1, seed=3)
    # move gammas, betas and intercepts off their initial values
    for arr in ref.gamma + ref.beta + ref.b:
        arr += rng.uniform(-0.5, 0.5, arr.shape)
    _, grads, _ = ref.gradients(X, Y)
    h = 1e-6
    for name, p in ref.params().items():
        numeric = np.empty_like(p)
        for k in np.ndindex(p.shape):
            old = p[k]
            p[k] = old + h
            plus = ref.loss(Y, ref.forward(X, True)[0])
            p[k] = old - h
            minus = ref.loss(Y, ref.forward(X, True)[0])
            p[k] = old
            numeric[k] = (plus - minus) / (2 * h)
        assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("shuffle", [False, True])
def test_reference_without_batch_norm_is_scikit_learn(digits_small, shuffle):
    X, y = digits_small
    params = dict(hidden_layer_sizes=(16, 8), batch_size=32, max_iter=4,
                  shuffle=shuffle, alpha=0.01, random_state=0)
    theirs = _fit_quietly(sknn.MLPClassifier(**params), X, y)
    ref = ReferenceMLP([64, 16, 8, 10], None, "softmax", alpha=0.01, seed=0)
    ref.fit(X, _one_hot(y, theirs.classes_), 4, 32, shuffle)
    assert_allclose(theirs.loss_curve_, ref.loss_curve, rtol=1e-10)
    for ours, W in zip(theirs.coefs_ + theirs.intercepts_, ref.W + ref.b):
        assert_allclose(ours, W, rtol=1e-9, atol=1e-11)


# ----------------------------------------------------------------------------
# skhp against the reference
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", ["before", "after"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_classifier_matches_reference(digits_small, batch_norm, activation, shuffle):
    # 300 rows in batches of 32: nine full batches and a last one of 12
    X, y = digits_small
    est = MLPClassifier((16, 8), activation=activation, batch_norm=batch_norm,
                        batch_size=32, max_iter=5, shuffle=shuffle, alpha=0.01,
                        random_state=0)
    _fit_quietly(est, X, y)
    ref = _fit_both(est, X, _one_hot(y, est.classes_), "softmax", 5, 32, shuffle)
    assert_matches_reference(est, ref, X)


@pytest.mark.parametrize("batch_norm", ["before", "after"])
def test_binary_classifier_matches_reference(batch_norm):
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    est = MLPClassifier((7,), batch_norm=batch_norm, batch_size=25, max_iter=6,
                        shuffle=False, alpha=0.1, learning_rate_init=0.01,
                        random_state=2)
    _fit_quietly(est, X, y)
    ref = _fit_both(est, X, y.reshape(-1, 1).astype(float), "logistic", 6, 25,
                    False, seed=2)
    assert_matches_reference(est, ref, X)


@pytest.mark.parametrize("batch_norm", ["before", "after"])
def test_regressor_matches_reference(batch_norm):
    X, Y = make_regression(n_samples=90, n_features=5, n_targets=2, noise=0.5,
                           random_state=0)
    Y = Y / Y.std()
    est = MLPRegressor(hidden_layer_sizes=(6, 5), batch_norm=batch_norm,
                       batch_size=20, max_iter=4, shuffle=True, alpha=0.01,
                       random_state=1, batch_norm_momentum=0.7)
    _fit_quietly(est, X, Y)
    ref = _fit_both(est, X, Y, "identity", 4, 20, True, seed=1)
    assert_matches_reference(est, ref, X)


def test_default_configuration_matches_reference(digits_small):
    """The defaults of the issue (adam, batch 200, alpha 1e-4, shuffling)."""
    X, y = digits_small
    X = np.vstack([X, X[:150]])  # 450 rows: batches of 200, 200 and 50
    y = np.concatenate([y, y[:150]])
    est = MLPClassifier((32,), max_iter=8, random_state=0, batch_norm="before")
    _fit_quietly(est, X, y)
    ref = _fit_both(est, X, _one_hot(y, est.classes_), "softmax", 8, 200, True)
    assert_matches_reference(est, ref, X)
