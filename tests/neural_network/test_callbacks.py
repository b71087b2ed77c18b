"""scikit-learn's callback API on the networks: epochs as the fit's subtasks."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skhp import MLPClassifier, MLPRegressor

X, Y = make_classification(n_samples=120, n_features=6, random_state=0)


class Recorder:
    """Records each epoch's loss and held-out score; stops after ``stop_after``."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events, self.losses, self.scores, self.fitted = [], [], [], []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.events.append(f"begin {context.task_name}")

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(f"end {context.task_name}")
        if context.task_name != "epoch":
            return False
        self.losses.append(estimator.loss_curve_[-1])
        if estimator.validation_scores_ is not None:
            self.scores.append(estimator.validation_scores_[-1])
        self.fitted.append(fitted_estimator)
        return self.stop_after is not None and len(self.losses) >= self.stop_after


def test_a_callback_reads_each_epoch_and_stops_the_fit():
    recorder = Recorder(stop_after=3)
    est = MLPClassifier((8,), max_iter=50, early_stopping=True, random_state=0)
    est.set_callbacks(recorder).fit(X, Y)
    assert est.n_iter_ == 3
    assert recorder.losses == est.loss_curve_
    assert recorder.scores == est.validation_scores_
    assert recorder.events[:3] == ["setup", "begin fit", "begin epoch"]
    assert recorder.events[-2:] == ["end fit", "teardown"]
    assert recorder.events.count("begin epoch") == recorder.events.count("end epoch") == 3
    # each epoch's fitted estimator predicts as the network did then
    first, last = recorder.fitted[0], recorder.fitted[-1]
    assert not np.allclose(first.coefs_[0], last.coefs_[0])
    again = MLPClassifier((8,), max_iter=1, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again.fit(X, Y)
    assert_allclose(first.predict_proba(X), again.predict_proba(X))


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_is_a_fit_of_one_epoch(Estimator):
    recorder = Recorder()
    est = Estimator(hidden_layer_sizes=(4,), random_state=0).set_callbacks(recorder)
    kwargs = {"classes": [0, 1]} if Estimator is MLPClassifier else {}
    est.partial_fit(X, Y, **kwargs)
    est.partial_fit(X, Y)
    assert recorder.events.count("begin epoch") == 2 and len(recorder.losses) == 2


def test_lbfgs_reports_the_fit_alone():
    recorder = Recorder()
    MLPClassifier((4,), solver="lbfgs", max_iter=20, random_state=0).set_callbacks(
        recorder).fit(X, Y)
    assert recorder.events == ["setup", "begin fit", "end fit", "teardown"]


def test_scikit_learns_progress_bar_shows_a_network_training(capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((4,), max_iter=7, random_state=0).set_callbacks(ProgressBar()).fit(X, Y)
    out = capsys.readouterr().out
    assert "MLPClassifier - fit" in out and "100%" in out
