"""The Gaussian Parzen-window log-likelihood of the 2014 paper (its Table 1 protocol).

Fit an isotropic Gaussian kernel of width σ on generated samples s₁..s_N and score a
point x by
    log p̂(x) = log (1/N) Σᵢ exp(−‖x − sᵢ‖² / 2σ²) − d·log(σ√(2π))
(a stable log-mean-exp). σ is chosen from 10 values log-spaced in [0.1, 1] by the mean
log-likelihood of validation images; the test images' mean log-likelihood is reported
with its standard error std/√n. The paper warns this estimator has high variance and
does not scale to high dimensions: read it beside the real-data ceiling (training
images used in place of samples), which ``parzen_evaluation`` also reports.
"""
import math

from tinygan import backend
from tinygan.ops.reductions import logsumexp
from tinygan.tensor import Tensor

__all__ = ["parzen_log_likelihood", "parzen_evaluation", "PAPER_SIGMAS"]

PAPER_SIGMAS = tuple(10 ** (-1 + i / 9) for i in range(10))   # 0.1 … 1, log-spaced


def parzen_log_likelihood(points, samples, sigma, batch_size=100):
    """log p̂(x) for each row x of ``points`` under the Parzen window on ``samples``.

    ``sigma`` may be a list: then the result has one row per σ, and the squared distances
    (the expensive part, a float32 matrix product) are computed once for all of them.
    Accumulation is in float64; the float32 cross term costs about 1e-3 nats at most."""
    xp = backend.xp
    sigmas = [sigma] if isinstance(sigma, (int, float)) else list(sigma)
    samples = backend.asarray(samples, dtype="float32")
    points = backend.asarray(points, dtype="float32")
    n, d = samples.shape
    squared_samples = (samples.astype("float64") ** 2).sum(axis=1)
    scores = [[] for _ in sigmas]
    for start in range(0, points.shape[0], batch_size):
        x = points[start:start + batch_size]
        # ‖x − s‖² = ‖x‖² − 2 x·s + ‖s‖², the cross term as one matrix product
        squared = xp.maximum((x.astype("float64") ** 2).sum(axis=1)[:, None]
                             - 2 * (x @ samples.T).astype("float64") + squared_samples[None, :], 0)
        for row, s in enumerate(sigmas):
            log_mean = logsumexp(Tensor(squared * (-1 / (2 * s ** 2))), axis=1).data - math.log(n)
            scores[row].append(log_mean - d * math.log(s * math.sqrt(2 * math.pi)))
    result = xp.stack([xp.concatenate(row) for row in scores])
    return result[0] if isinstance(sigma, (int, float)) else result


def _mean_and_error(scores):
    n = scores.shape[0]
    return float(scores.mean()), float(scores.std()) / math.sqrt(n)


def parzen_evaluation(samples, valid, test, sigmas=PAPER_SIGMAS, ceiling_samples=None,
                      batch_size=100):
    """The paper's protocol: σ chosen on ``valid``, mean ± standard error on ``test``.

    Returns a dict with ``sigma``, ``log_likelihood``, ``standard_error``, the validation
    score per σ, and, when ``ceiling_samples`` (real training images) are given, the same
    protocol run on them: ``ceiling_log_likelihood``, ``ceiling_standard_error``,
    ``ceiling_sigma``."""
    def protocol(kernel_samples):
        validation = parzen_log_likelihood(valid, kernel_samples, list(sigmas), batch_size)
        by_sigma = {s: _mean_and_error(row)[0] for s, row in zip(sigmas, validation)}
        sigma = max(by_sigma, key=by_sigma.get)
        mean, error = _mean_and_error(parzen_log_likelihood(test, kernel_samples, sigma, batch_size))
        return sigma, mean, error, by_sigma

    sigma, mean, error, by_sigma = protocol(samples)
    result = {"sigma": sigma, "log_likelihood": mean, "standard_error": error,
              "validation_by_sigma": {f"{s:.4f}": v for s, v in by_sigma.items()},
              "samples": int(backend.asarray(samples).shape[0]), "test_points": int(len(test))}
    if ceiling_samples is not None:
        c_sigma, c_mean, c_error, _ = protocol(ceiling_samples)
        result.update(ceiling_sigma=c_sigma, ceiling_log_likelihood=c_mean,
                      ceiling_standard_error=c_error)
    return result
