"""Each optimizer's update against its closed form, and the schedules."""

import contextlib

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SklearnAdam,
    SGDOptimizer as SklearnSGD,
)

from skhp.neural_network import LearningRateSchedule
from skhp.neural_network._optimizers import (
    AdamOptimizer,
    RMSpropOptimizer,
    SGDOptimizer,
)
from skhp.neural_network._threadpools import single_threaded_scipy_blas

rng = np.random.RandomState(0)
PARAMS = rng.normal(size=50)
GRADS = [rng.normal(size=50) for _ in range(4)]


def run(optimizer, dtype=np.float64):
    params = PARAMS.astype(dtype)
    for g in GRADS:
        optimizer.update_params(params, g.astype(dtype))  # grads are work space
    return params


def constant(lr):
    return LearningRateSchedule("constant", lr)


@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_sgd_closed_form(nesterov, momentum):
    lr = 0.1
    w, v = PARAMS.copy(), np.zeros(50)
    for g in GRADS:
        v = momentum * v - lr * g
        w = w + (momentum * v - lr * g if nesterov else v)
    got = run(SGDOptimizer(constant(lr), momentum, nesterov))
    assert_allclose(got, w, rtol=1e-12)


def test_adam_closed_form():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-3  # a large eps, so its place shows
    w, m, v = PARAMS.copy(), np.zeros(50), np.zeros(50)
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        # scikit-learn's form: epsilon is added to sqrt(v), not sqrt(v_hat)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps / np.sqrt(1 - b2**t))
    got = run(AdamOptimizer(constant(lr), b1, b2, eps))
    assert_allclose(got, w, rtol=1e-12)


def test_rmsprop_closed_form():
    lr, b2, eps = 0.01, 0.9, 1e-8
    w, s = PARAMS.copy(), np.zeros(50)
    for t, g in enumerate(GRADS, start=1):
        s = b2 * s + (1 - b2) * g**2
        w = w - lr * g / (np.sqrt(s / (1 - b2**t)) + eps)
    got = run(RMSpropOptimizer(constant(lr), b2, eps))
    assert_allclose(got, w, rtol=1e-12)


def test_first_rmsprop_step_is_learning_rate_sized():
    # bias correction: the first step is lr * sign(g), not lr / sqrt(1 - b2)
    params = np.zeros(3)
    RMSpropOptimizer(constant(0.01), beta_2=0.999).update_params(
        params, np.array([2.0, -3.0, 0.5])
    )
    assert_allclose(params, [-0.01, 0.01, -0.01], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_updates_as_scikit_learn(dtype):
    for ours, theirs in [
        (SGDOptimizer(constant(0.1), 0.9, True),
         SklearnSGD([PARAMS.astype(dtype)], 0.1, "constant", 0.9, True)),
        (AdamOptimizer(constant(0.01)), SklearnAdam([PARAMS.astype(dtype)], 0.01)),
    ]:
        expected = PARAMS.astype(dtype)
        for g in GRADS:
            theirs.update_params([expected], [g.astype(dtype)])
        got = run(ours, dtype)
        assert got.dtype == dtype
        assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("kind, expected", [
    ("constant", [0.1, 0.1, 0.1, 0.1]),
    ("inverse_time", [0.1, 0.1 / 2, 0.1 / 3, 0.1 / 4]),
    ("exponential", [0.1, 0.095, 0.1 * 0.95**2, 0.1 * 0.95**3]),
    ("invscaling", [0.1, 0.1 / 11**0.5, 0.1 / 21**0.5, 0.1 / 31**0.5]),
])
def test_schedules_closed_form(kind, expected):
    schedule = LearningRateSchedule(kind, 0.1)
    assert_allclose(schedule.simulate(4, samples_per_epoch=10), expected)


def test_decay_rate_is_used():
    assert_allclose(LearningRateSchedule("inverse_time", 1.0, decay_rate=0.5).simulate(3),
                    [1.0, 1 / 1.5, 1 / 2.0])
    with pytest.raises(ValueError, match="decay_rate"):
        LearningRateSchedule("exponential", 0.1, decay_rate=1.5)


@pytest.mark.parametrize("cls", [SGDOptimizer, AdamOptimizer, RMSpropOptimizer])
def test_every_optimizer_follows_the_schedule(cls):
    optimizer = cls(LearningRateSchedule("exponential", 0.1, decay_rate=0.5))
    for epoch in range(1, 4):
        optimizer.iteration_ends(time_step=epoch * 10)
        assert optimizer.learning_rate == pytest.approx(0.1 * 0.5**epoch)


def test_adaptive_divides_by_five_then_stops():
    optimizer = AdamOptimizer(LearningRateSchedule("adaptive", 1e-4))
    assert optimizer.trigger_stopping("plateau", verbose=False) is False
    assert optimizer.learning_rate == pytest.approx(2e-5)
    assert optimizer.trigger_stopping("plateau", verbose=False) is False
    assert optimizer.trigger_stopping("plateau", verbose=False) is False
    assert optimizer.learning_rate == pytest.approx(1e-4 / 125)
    assert optimizer.trigger_stopping("plateau", verbose=False) is True
    constant_rate = AdamOptimizer(constant(1e-3))
    assert constant_rate.trigger_stopping("plateau", verbose=False) is True


def test_continue_from_keeps_state_and_takes_new_hyperparameters():
    first = AdamOptimizer(LearningRateSchedule("exponential", 0.1, decay_rate=0.5))
    params = PARAMS.copy()
    first.update_params(params, GRADS[0].copy())
    first.iteration_ends(10)
    second = AdamOptimizer(LearningRateSchedule("exponential", 0.2, decay_rate=0.5),
                           beta_1=0.5).continue_from(first)
    assert second.t == 1 and second.epoch == 1
    assert_allclose(second.ms, first.ms)
    assert second.learning_rate == pytest.approx(0.1)  # 0.2 * 0.5 ** 1
    assert second.beta_1 == 0.5
    # another optimizer kind starts afresh
    sgd = SGDOptimizer(constant(0.1)).continue_from(first)
    assert sgd.epoch == 0 and sgd.velocities is None


@pytest.mark.parametrize("decay", [0.0, 0.5, 0.9, 0.999])
def test_decaying_average_over_many_steps(decay):
    # long enough to rescale many times (for decay 0.5: every 33 steps)
    from skhp.neural_network._optimizers import DecayingAverage
    rng = np.random.RandomState(0)
    xs = rng.normal(size=(2000, 5))
    average = DecayingAverage(xs[0], decay)
    expected = np.zeros(5)
    for x in xs:
        average.add(x, 1 - decay)
        expected = decay * expected + (1 - decay) * x
    assert_allclose(average.value, expected, rtol=1e-10, atol=1e-12)


def test_changed_beta_takes_effect_in_the_average():
    params = np.zeros(3)
    first = AdamOptimizer(constant(0.1), beta_1=0.9)
    first.update_params(params, np.ones(3))
    second = AdamOptimizer(constant(0.1), beta_1=0.5).continue_from(first)
    second.update_params(params, np.zeros(3))
    assert_allclose(second.ms, 0.5 * 0.1 * np.ones(3))


def _blas_context(inside_fit):
    """Where axpy runs: inside a fit (scipy's BLAS may serve) or outside."""
    return single_threaded_scipy_blas() if inside_fit else contextlib.nullcontext()


@pytest.mark.parametrize("inside_fit", [True, False], ids=["in-fit", "outside"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_matches_numpy(dtype, inside_fit):
    from skhp.neural_network._optimizers import axpy
    rng = np.random.RandomState(0)
    x, y = rng.normal(size=(2, 1000)).astype(dtype)
    for contiguous in [True, False]:
        xs, ys = (x, y.copy()) if contiguous else (x[::2], y.copy()[::2])
        expected = ys - 2.0 * xs
        with _blas_context(inside_fit):
            axpy(xs, ys, -2.0)
        assert_allclose(ys, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make_y", [
    lambda: np.zeros(8, dtype=">f8"),  # big-endian: f2py would pass BLAS a copy
    lambda: np.zeros(8, dtype=np.float16),  # no BLAS routine: f2py would upcast a copy
    # misaligned
    lambda: np.frombuffer(bytearray(8 * 8 + 1), dtype=np.float64, offset=1, count=8),
], ids=["big-endian", "float16", "misaligned"])
@pytest.mark.parametrize("inside_fit", [True, False], ids=["in-fit", "outside"])
def test_axpy_updates_arrays_blas_would_copy(make_y, inside_fit):
    from skhp.neural_network._optimizers import axpy
    y = make_y()
    with _blas_context(inside_fit):
        axpy(np.ones(8, dtype=y.dtype), y, 2.0)
    assert_allclose(y, 2.0)


def test_cosine_with_warm_up_closed_form():
    schedule = LearningRateSchedule("cosine", 0.1, n_epochs=6, warmup_epochs=2,
                                    learning_rate_min=0.01)
    after = [0.01 + 0.09 * 0.5 * (1 + np.cos(np.pi * k / 4)) for k in range(5)]
    assert_allclose(schedule.simulate(8), [0.1 / 3, 0.2 / 3, *after, 0.01])
    # the warm-up scales any schedule
    warm = LearningRateSchedule("exponential", 0.1, decay_rate=0.5, warmup_epochs=3)
    assert_allclose(warm.simulate(5), [0.1 / 4, 0.05 / 2, 0.025 * 3 / 4, 0.0125, 0.00625])
