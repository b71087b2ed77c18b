"""Hyperparameter importances recover which parameter drives the score."""

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import RandomizedSearchCV

from skhp.inspection import candidate_features, hyperparameter_importance
from skhp.model_selection._resources import rank_across_rungs


def synthetic_results(n=60, seed=0):
    """Scores that depend on the learning rate (log scale) and a little on beta."""
    rng = np.random.default_rng(seed)
    lr = 10 ** rng.uniform(-4, -1, n)
    beta = 1 - 10 ** rng.uniform(-3, -1, n)
    alpha = 10 ** rng.uniform(-6, -1, n)
    layers = [
        tuple([int(w)] * int(k))
        for w, k in zip(rng.integers(16, 256, n), rng.integers(1, 4, n))
    ]
    score = -((np.log10(lr) + 2.5) ** 2) - 0.1 * np.abs(np.log10(1 - beta) + 2)
    params = [
        {
            "mlp__learning_rate_init": a,
            "mlp__beta_1": b,
            "mlp__alpha": c,
            "mlp__hidden_layer_sizes": h,
            "mlp__solver": "adam",
        }
        for a, b, c, h in zip(lr, beta, alpha, layers)
    ]
    return {"params": params, "mean_test_score": score}


@pytest.mark.parametrize("method", ["fanova", "permutation"])
def test_learning_rate_ranks_first(method):
    result = hyperparameter_importance(
        synthetic_results(), method=method, random_state=0
    )
    assert result.names[0] == "learning_rate_init"
    assert result.importances[0] > 3 * result.importances[-1]
    assert list(result.importances) == sorted(result.importances, reverse=True)
    assert result.n_candidates == 60


def halving_results(n=45, seed=0):
    """Successive halving's cv_results_: one row per candidate and rung.

    Within a rung the score follows the learning rate, but every score after
    9 epochs is below every score after 3 (as an R^2 can be early on), so
    scores mixed across rungs would make the epochs, and not the learning
    rate, explain the most.
    """
    base = synthetic_results(n, seed)
    score = np.asarray(base["mean_test_score"])
    rows = {"params": [], "mean_test_score": [], "rung": [], "n_resources": [],
            "round": []}
    promoted = np.argsort(-score, kind="stable")[: n // 3]
    for rung, epochs, members, offset in ((0, 3, range(n), 0.0), (1, 9, promoted, -50.0)):
        for i in members:
            rows["params"].append({**base["params"][i], "mlp__max_iter": epochs})
            rows["mean_test_score"].append(score[i] + offset)
            rows["rung"].append(rung)
            rows["n_resources"].append(epochs)
            rows["round"].append(0)
    return rows


def test_halving_counts_each_candidate_once_without_the_resource():
    result = hyperparameter_importance(halving_results(), random_state=0)
    assert result.by_rung
    assert result.n_candidates == 45  # not the 60 rows
    assert "max_iter" not in result.names
    assert result.names[0] == "learning_rate_init"
    # Without a rung column the same rows are 60 candidates and the epochs
    # look like a hyperparameter: what the rung ranks avoid.
    rows = {k: v for k, v in halving_results().items()
            if k not in ("rung", "n_resources")}
    mixed = hyperparameter_importance(rows, random_state=0)
    assert mixed.n_candidates == 60 and not mixed.by_rung
    assert mixed.names[0] == "max_iter"


def test_halving_explains_ranks_by_rung_reached(monkeypatch):
    """The surrogate is fitted to the zoom's ranks: the 15 promoted candidates
    (their rung-1 rows, 50 below every rung-0 score) rank above the 30 stopped
    at rung 0, by score within each rung."""
    from skhp.inspection import _importance

    seen = []

    def recording(X, scores, *args):
        seen.append(np.array(scores))
        return real(X, scores, *args)

    real = _importance._importance_once
    monkeypatch.setattr(_importance, "_importance_once", recording)
    rows = halving_results()
    hyperparameter_importance(rows, n_bootstrap=3, random_state=0)
    # each candidate's highest row: rung 0 for the 30 stopped, rung 1 for the
    # 15 promoted (the last 15 rows)
    promoted = {repr(p) for p in rows["params"][45:]}
    highest = [i for i in range(45) if repr({**rows["params"][i], "mlp__max_iter": 9})
               not in promoted] + list(range(45, 60))
    expected = rank_across_rungs(np.asarray(rows["rung"])[highest],
                                 np.asarray(rows["mean_test_score"])[highest])
    assert len(expected) == 45
    for scores in seen:  # each bootstrap resample draws from these ranks only
        assert set(scores) <= set(expected)
    assert np.sum(expected > 1) == 15 and np.all(expected[expected < 1] > 0)


def test_scikit_learn_halving_iter_column_counts_as_rungs():
    rows = halving_results()
    rows["iter"] = rows.pop("rung")  # HalvingRandomSearchCV's name for it
    result = hyperparameter_importance(rows, random_state=0)
    assert result.by_rung and result.n_candidates == 45


def test_fanova_shares_are_fractions():
    result = hyperparameter_importance(synthetic_results(), random_state=0)
    assert np.all(result.importances >= 0)
    assert result.importances.sum() <= 1 + 1e-9
    assert result.importances[0] > 0.5
    assert np.all(result.importances_std >= 0)


def test_encoding_follows_sampling_scales():
    X, names = candidate_features(synthetic_results(n=10))
    # The fixed solver is left out; layer sizes give layers and units.
    assert names == [
        "alpha",
        "beta_1",
        "hidden_layer_sizes (layers)",
        "hidden_layer_sizes (units)",
        "learning_rate_init",
    ]
    results = synthetic_results(n=10)
    lr = np.array([p["mlp__learning_rate_init"] for p in results["params"]])
    beta = np.array([p["mlp__beta_1"] for p in results["params"]])
    np.testing.assert_allclose(X[:, 4], np.log10(lr))
    np.testing.assert_allclose(X[:, 1], np.log10(1 - beta))


def test_failed_candidates_are_ignored():
    results = synthetic_results(n=30)
    results["mean_test_score"][:5] = np.nan
    assert hyperparameter_importance(results, random_state=0).n_candidates == 25


def test_real_search_and_errors():
    X, y = load_iris(return_X_y=True)
    search = RandomizedSearchCV(
        RidgeClassifier(),
        {"alpha": loguniform(1e-4, 1e2)},
        n_iter=8,
        cv=3,
        random_state=0,
    ).fit(X, y)
    result = hyperparameter_importance(search, random_state=0)
    assert result.names == ["alpha"]
    with pytest.raises(ValueError, match="at least 3 candidates"):
        hyperparameter_importance(
            {"params": [{"C": 1}, {"C": 2}], "mean_test_score": [0.1, 0.2]}
        )
    with pytest.raises(ValueError, match="not fitted"):
        hyperparameter_importance(RandomizedSearchCV(RidgeClassifier(), {}))
    with pytest.raises(ValueError, match="method"):
        hyperparameter_importance(search, method="shap")


def test_seeded_importances_repeat_and_show_their_spread():
    results = synthetic_results(n=24)
    first = hyperparameter_importance(results, random_state=3)
    again = hyperparameter_importance(results, random_state=3)
    assert first.names == again.names
    np.testing.assert_array_equal(first.importances, again.importances)
    # One row of resampled importances per name; their mean and spread.
    assert first.bootstrap_importances.shape == (len(first.names), 20)
    np.testing.assert_allclose(first.importances, first.bootstrap_importances.mean(1))
    np.testing.assert_allclose(first.importances_std, first.bootstrap_importances.std(1))
    assert np.all(first.importances_std > 0)
    # Another seed moves the estimates by about their spread, not more.
    other = hyperparameter_importance(results, random_state=4)
    by_name = dict(zip(other.names, other.importances))
    for name, value, std in zip(first.names, first.importances, first.importances_std):
        assert abs(by_name[name] - value) <= 2 * std + 1e-9


def test_the_same_search_gives_the_same_importances_by_default_and_prints_a_table():
    results = synthetic_results(n=24)
    first, again = hyperparameter_importance(results), hyperparameter_importance(results)
    np.testing.assert_array_equal(first.importances, again.importances)
    np.testing.assert_allclose(
        [first.importances_low, first.importances_high],
        np.percentile(first.bootstrap_importances, [10, 90], axis=1),
    )
    lines = repr(first).splitlines()
    assert lines[0].split() == ["hyperparameter", "importance", "10th-90th", "percentile"]
    name, value, low, _, high = lines[1].split()
    assert name == first.names[0] and float(value) == round(first.importances[0], 3)
    assert float(low) == round(first.importances_low[0], 3)
    assert "array" not in repr(first)


def test_caveat_when_candidates_are_few():
    few = hyperparameter_importance(synthetic_results(n=24), random_state=0)
    assert few.caveat.startswith("24 candidates for 5 hyperparameters")
    many = hyperparameter_importance(synthetic_results(n=60), random_state=0)
    assert many.caveat is None
    with pytest.raises(ValueError, match="n_bootstrap"):
        hyperparameter_importance(synthetic_results(), n_bootstrap=0)
