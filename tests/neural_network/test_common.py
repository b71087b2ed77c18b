"""scikit-learn's estimator checks, for every kind of network skhp trains."""

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhp import MLPClassifier, MLPRegressor

# Small networks, a brisk learning rate and few epochs keep the checks fast;
# between them the configurations cover every training code path (batch
# norm before/after/off; adam, sgd, rmsprop and lbfgs; the decays).
SMALL = dict(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01,
             random_state=0)

ESTIMATORS = [
    MLPClassifier(**SMALL, batch_norm="before"),
    MLPClassifier(**SMALL, solver="rmsprop", learning_rate="exponential"),
    MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", batch_norm="before",
                  max_iter=100, random_state=0),
    MLPRegressor(**SMALL, batch_norm="after", solver="sgd", learning_rate="inverse_time",
                 dropout=0.1),
    MLPClassifier(**SMALL, activation="gelu", batch_norm="after",
                  learning_rate="cosine", warmup_epochs=3, weight_decay=0.01,
                  max_gradient_norm=5.0),
    MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=100,
                 random_state=0),
]


def expected_failed_checks(estimator):
    if np.any(np.asarray(estimator.dropout)):
        reason = ("dropout draws a mask per row: a repeated row gets masks of its "
                  "own where a weighted row gets one")
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
