"""Stand-ins for skhp's search and distributions until they are merged.

Delete this module once ``skhp.model_selection.CoarseToFineSearchCV`` is on main.
"""

import numpy as np
from scipy import stats
from sklearn.model_selection import ParameterSampler, RandomizedSearchCV

loguniform = stats.loguniform


class reverse_loguniform:
    """``1 - loguniform(1 - high, 1 - low)``: dense near 1, as betas should be."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def rvs(self, size=None, random_state=None):
        r = stats.loguniform(1 - self.high, 1 - self.low).rvs(
            size=size, random_state=random_state
        )
        return 1 - r


class loguniform_int:
    def __init__(self, low, high):
        self.low, self.high = low, high

    def rvs(self, size=None, random_state=None):
        x = stats.loguniform(self.low, self.high + 1).rvs(
            size=size, random_state=random_state
        )
        return np.floor(x).astype(int) if size is not None else int(x)


class layer_sizes:
    """Tuples of ``n_layers`` in [min, max] layers of log-uniform widths."""

    def __init__(self, n_layers=(1, 3), units=(16, 256)):
        self.n_layers, self.units = tuple(n_layers), tuple(units)

    def rvs(self, size=None, random_state=None):
        rng = np.random.default_rng(random_state)
        n = rng.integers(self.n_layers[0], self.n_layers[1] + 1)
        width = int(np.exp(rng.uniform(*np.log(self.units))))
        return (width,) * int(n)


class CoarseToFineSearchCV(RandomizedSearchCV):
    """Stand-in for skhp.CoarseToFineSearchCV while it is being written.

    Runs ``n_rounds`` rounds of random search; each later round samples the
    log-uniform dimensions around the best candidates so far.
    """

    def __init__(
        self, estimator, param_distributions, *, n_iter=10, n_rounds=3, **kwargs
    ):
        super().__init__(estimator, param_distributions, n_iter=n_iter, **kwargs)
        self.n_rounds = n_rounds

    _parameter_constraints = {
        **RandomizedSearchCV._parameter_constraints,
        "n_rounds": [int],
    }

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        rng = np.random.RandomState(self.random_state)
        space = dict(self.param_distributions)
        per_round = max(self.n_iter // self.n_rounds, 1)
        search_ctx = callback_ctx.subcontext(
            task_name="search", max_subtasks=self.n_rounds
        ).call_on_fit_task_begin(estimator=self)
        self.rounds_ = []
        for r in range(self.n_rounds):
            region = {
                k: (v.a, v.b)
                for k, v in space.items()
                if hasattr(v, "a")
                and hasattr(v, "b")
                and k.endswith("learning_rate_init")
            }
            region.update(
                {
                    k: (v.low, v.high)
                    for k, v in space.items()
                    if isinstance(v, reverse_loguniform)
                }
            )
            self.rounds_.append(
                {
                    "round": r,
                    "width": 1.0 if r == 0 else 0.5,
                    "regions": [{"bounds": region}],
                }
            )
            params = list(ParameterSampler(space, per_round, random_state=rng))
            ctx = search_ctx.subcontext(
                task_name="round",
                max_subtasks=per_round * self.n_splits_,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=self)
            results = evaluate_candidates(
                params, more_results={"round": [r] * len(params)}, callback_ctx=ctx
            )
            ctx.call_on_fit_task_end(estimator=self)
            scores = np.nan_to_num(results["mean_test_score"], nan=-np.inf)
            top = [results["params"][i] for i in np.argsort(-scores)[:3]]
            space = dict(space)
            for k, v in list(space.items()):
                vals = [p[k] for p in top]
                if k in region and not isinstance(v, reverse_loguniform):
                    lo, hi = min(vals) / 2, max(vals) * 2
                    lo, hi = max(lo, region[k][0]), min(hi, region[k][1])
                    space[k] = stats.loguniform(lo, hi)
                elif isinstance(v, reverse_loguniform):
                    lo = 1 - min(1 - np.array(vals)) / 2
                    lo, hi = (
                        1 - max(1 - np.array(vals)) * 2,
                        1 - min(1 - np.array(vals)) / 2,
                    )
                    space[k] = reverse_loguniform(max(lo, v.low), min(hi, v.high))
        search_ctx.call_on_fit_task_end(estimator=self)
