"""The zoom designs that lost, kept to be measured against skhp's (search_quality.py --variants).

skhp's ``ZoomSampler`` is the design that won: pools drawn from Gaussian kernels
on the regions' elites, with crossover, screened by a factorized TPE ratio, plus
category swaps. Each class here changes one ingredient by overriding the one
step that holds it; the rows of the design table combine them by inheritance
(``KernelsOnly`` is "no screen, no crossover, no swaps"). With the same seed, a
variant proposes what the library's switches proposed before they left it.
"""

import numpy as np
from scipy.special import logsumexp

from skhp.model_selection._zoom import _CATEGORICAL_EXPLORATION, ZoomSampler


class NoSwaps(ZoomSampler):
    """No category swaps: the whole zoom budget goes to the regions."""

    def _swap_categories(self, best, limit, rng, batch):
        return 0


class NoCrossover(ZoomSampler):
    """Region draws keep every coordinate of their parent elite."""

    def _crossover(self, U, sub, donors, rng):
        return U


class NoScreen(ZoomSampler):
    """A region's candidates are drawn from its kernels as they come, unscreened."""

    def _draw_region(self, region, m, sigma, rng, contrast):
        return self._sample_region(region, m, sigma, rng)


class JointKernelScreen(ZoomSampler):
    """Screened by the ratio of joint (product-kernel) densities instead of
    factorized ones, each kept point added to ``g`` exactly."""

    def _log_kernel(self, sub, X, C, sigma):
        """log of the product kernel between the rows of X and C (n_X, n_C).

        Gaussian on numeric coordinates, Aitchison-Aitken on categorical ones,
        the same kernels the region sampler draws from.
        """
        out = np.zeros((len(X), len(C)))
        if sub.num_units.size and len(C):
            Xn, Cn = X[:, sub.num_units], C[:, sub.num_units]
            d2 = (Xn**2).sum(1)[:, None] + (Cn**2).sum(1)[None, :] - 2 * Xn @ Cn.T
            out -= 0.5 * np.maximum(d2, 0) / sigma**2
            out -= sub.num_units.size * np.log(sigma * np.sqrt(2 * np.pi))
        for dim in sub.cat_dims:
            col = sub.slices[dim.name].start
            same = dim.indices(X[:, col])[:, None] == dim.indices(C[:, col])[None, :]
            eps = _CATEGORICAL_EXPLORATION
            k = dim.n_choices
            out += np.where(same, np.log(1 - eps + eps / k), np.log(eps / k))
        return out

    def _screen(self, sub, pool, m, contrast, sigma):
        good, good_w, bad = contrast.good, contrast.good_weights, contrast.bad
        log_l = logsumexp(
            np.column_stack([self._log_kernel(sub, pool, good, sigma), np.zeros(len(pool))]),
            axis=1, b=np.append(good_w / good_w.sum() * len(good_w), 1.0)[None, :],
        )
        log_g = logsumexp(
            np.column_stack([self._log_kernel(sub, pool, bad, sigma), np.zeros(len(pool))]), axis=1
        )
        chosen = []
        for _ in range(min(m, len(pool))):
            score = log_l - log_g
            score[chosen] = -np.inf
            best = int(np.argmax(score))
            chosen.append(best)
            new = self._log_kernel(sub, pool, pool[best : best + 1], sigma)[:, 0]
            log_g = np.logaddexp(log_g, new)
        return pool[chosen]


# The rows of the design table, each switching off one more ingredient.
class FactorizedScreenCrossover(NoSwaps):
    """Regions with crossover and the factorized screen; no swaps."""


class FactorizedScreen(NoCrossover, NoSwaps):
    """Regions with the factorized screen; no crossover, no swaps."""


class JointScreen(JointKernelScreen, NoCrossover, NoSwaps):
    """Regions with the joint-kernel screen; no crossover, no swaps."""


class KernelsOnly(NoScreen, NoCrossover, NoSwaps):
    """Plain Gaussian kernels on the regions' elites (with one region: CEM)."""
