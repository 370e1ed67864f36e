"""Mode coverage on toy mixtures, with VEEGAN's definitions (Srivastava et al. 2017):

- a sample is **high quality** if it lies within 3 standard deviations of the mean of its
  nearest mode;
- a mode is **captured** if it is the nearest mode of at least one high-quality sample.

We add each mode's share of the high-quality samples (its minimum shows a mode that is
barely covered) and the JSD between the generator's samples and the mixture, estimated
from histograms on a shared grid.
"""
from tinygan import backend
from tinygan.theory import histogram_jsd

__all__ = ["mode_coverage", "COVERAGE_GOALS", "coverage_shortfalls"]

# The goals the default toy presets are held to (issue 14, the reference sheet's protocol:
# 2,500 samples, high quality within 3σ): every mode captured, every mode's high-quality
# samples at least ``min_share`` of all samples (the ideal is 1 / modes: 12.5% on the ring,
# 4% on the grid), at least ``high_quality`` of the samples high quality.
COVERAGE_GOALS = {"ring": dict(min_share=0.06, high_quality=0.90),
                  "grid": dict(min_share=0.02, high_quality=0.80)}


def mode_coverage(samples, distribution, threshold=3.0, jsd_samples=None, bins=100):
    """Coverage metrics of ``samples`` (n, dim) against a ``GaussianMixture``.

    Returns a dict: ``modes`` (total), ``modes_captured``, ``high_quality`` (fraction of
    samples), ``mode_shares`` (per mode, fraction of the high-quality samples),
    ``min_mode_share``, and ``jsd`` (nats, histogram estimate against as many samples of
    the data, over the data's extent ± 3σ).
    """
    xp = backend.xp
    x = backend.asarray(samples, dtype="float64")
    x = x[:, None] if x.ndim == 1 else x
    means = xp.asarray(distribution.means, dtype="float64")
    stds = xp.asarray(distribution.stds, dtype="float64")
    squared = ((x[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)        # (n, modes)
    nearest = squared.argmin(axis=1)
    distance = xp.sqrt(squared[xp.arange(x.shape[0]), nearest])
    good = distance <= threshold * stds[nearest]
    counts = xp.bincount(nearest[good], minlength=len(distribution.means))
    good_total = max(int(good.sum()), 1)
    shares = backend.to_numpy(counts / good_total).tolist()
    reference = distribution.sample(jsd_samples or x.shape[0], dtype="float64")
    pad = 3 * max(distribution.stds)
    low = backend.to_numpy(means.min(axis=0)) - pad
    high = backend.to_numpy(means.max(axis=0)) + pad
    bounds = [(float(a), float(b)) for a, b in zip(low, high)]
    return {
        "modes": len(distribution.means),
        "modes_captured": int((counts > 0).sum()),
        "high_quality": float(good.mean()),
        "mode_shares": shares,
        "min_mode_share": min(shares),
        # a mode's share of all samples (its high-quality samples / all samples), the
        # measure of how evenly the mass is spread (ideal: 1 / modes each)
        "mode_shares_of_all": backend.to_numpy(counts / x.shape[0]).tolist(),
        "min_mode_share_of_all": float(backend.to_numpy(counts.min()) / x.shape[0]),
        "jsd": histogram_jsd(x, reference, bins=bins, bounds=bounds if len(bounds) > 1 else bounds[0]),
    }


def coverage_shortfalls(result, dataset):
    """The goals of ``COVERAGE_GOALS[dataset]`` that ``result`` (from :func:`mode_coverage`)
    misses, one line each; an empty list when it meets them all."""
    goal = COVERAGE_GOALS[dataset]
    checks = [(result["modes_captured"] == result["modes"],
               f"modes captured {result['modes_captured']}/{result['modes']}"),
              (result["min_mode_share_of_all"] >= goal["min_share"],
               f"smallest mode share {result['min_mode_share_of_all']:.1%} < {goal['min_share']:.0%}"),
              (result["high_quality"] >= goal["high_quality"],
               f"high quality {result['high_quality']:.1%} < {goal['high_quality']:.0%}")]
    return [line for met, line in checks if not met]
