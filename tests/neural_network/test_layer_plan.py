"""The layer plan: batch normalization's place is decided once, and every pass follows it."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits

from skhp import MLPClassifier
from skhp.neural_network._network import ParameterLayout


@pytest.mark.parametrize(
    "batch_norm, steps, output_normalized",
    [
        (None, ("activate",), False),
        ("before", ("normalize", "activate"), False),
        ("after", ("activate", "normalize"), True),
    ],
)
def test_plan_per_hidden_layer(batch_norm, steps, output_normalized):
    layout = ParameterLayout([5, 4, 3, 2], batch_norm)
    assert layout.hidden_steps == [steps, steps]
    assert layout.output_normalized == [output_normalized] * 2
    assert layout.normalizes == (batch_norm is not None)


@pytest.mark.parametrize("batch_norm", [None, "before", "after"])
def test_training_pass_of_one_row_is_the_prediction(batch_norm):
    # A batch of one row is normalized with the running statistics, as at
    # prediction: the training pass and the predict pass must then agree
    # row by row, whichever order the plan gives.
    X, y = load_digits(return_X_y=True)
    X = X[:200] / 16
    net = MLPClassifier((12, 7), max_iter=3, batch_norm=batch_norm, random_state=0)
    net.fit(X, y[:200])
    ws = net._make_workspace(1, X.dtype)
    for row in X[:5]:
        trained = net._forward_pass(row[None, :], ws).copy()
        assert_allclose(trained, net.predict_proba(row[None, :]), rtol=1e-12, atol=1e-15)
    assert np.isfinite(trained).all()
