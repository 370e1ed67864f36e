"""The Fréchet distance between two Gaussians fitted to features (FID's formula):

    d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½)

computed as pytorch-fid does: float64 statistics, SciPy's ``sqrtm``, a 1e-6 offset on the
diagonals when the square root is not finite, imaginary parts (round-off of a real result)
dropped when below 1e-3. SciPy is imported only here, when a distance is asked for.
"""
import warnings

from tinygan import backend
from tinygan.backend import host as numpy

__all__ = ["gaussian_statistics", "frechet_distance", "feature_frechet_distance"]

OFFSET = 1e-6            # added to both diagonals when sqrtm(Σ₁Σ₂) is not finite
IMAGINARY_TOLERANCE = 1e-3


def gaussian_statistics(features):
    """Mean and covariance (float64, unbiased, rows are observations) of ``features``."""
    features = numpy.asarray(backend.to_numpy(features), dtype=numpy.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need a (rows ≥ 2, features) array, got shape {features.shape}")
    return features.mean(axis=0), numpy.cov(features, rowvar=False)


def _sqrtm():
    try:
        from scipy.linalg import LinAlgWarning, sqrtm
    except ImportError:
        raise ImportError("the Fréchet distance needs SciPy's matrix square root: "
                          "pip install scipy (or 'tinygan[quality]')") from None

    def quiet_sqrtm(matrix):
        # a singular Σ₁Σ₂ (dead ReLU features) is expected; pytorch-fid silences it too
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgWarning)
            return sqrtm(matrix)
    return quiet_sqrtm


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """d² between N(μ₁, Σ₁) and N(μ₂, Σ₂) (see the module docstring)."""
    sqrtm = _sqrtm()
    mu1, mu2 = numpy.atleast_1d(mu1).astype(numpy.float64), numpy.atleast_1d(mu2).astype(numpy.float64)
    sigma1 = numpy.atleast_2d(sigma1).astype(numpy.float64)
    sigma2 = numpy.atleast_2d(sigma2).astype(numpy.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(f"mismatched statistics: means {mu1.shape}, {mu2.shape}; "
                         f"covariances {sigma1.shape}, {sigma2.shape}")
    if not all(numpy.isfinite(a).all() for a in (mu1, sigma1, mu2, sigma2)):
        raise ValueError("the statistics hold NaN or inf (SciPy's sqrtm would not return)")
    root = sqrtm(sigma1 @ sigma2)
    if not numpy.isfinite(root).all():
        offset = numpy.eye(len(mu1)) * OFFSET
        root = sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if numpy.iscomplexobj(root):
        largest = numpy.abs(numpy.diagonal(root).imag).max()
        if largest > IMAGINARY_TOLERANCE:
            raise ValueError(f"sqrtm(Σ₁Σ₂) has an imaginary part of {largest:.3g} on its "
                             f"diagonal: the covariances are too ill-conditioned")
        root = root.real
    difference = mu1 - mu2
    return float(difference @ difference + numpy.trace(sigma1) + numpy.trace(sigma2)
                 - 2 * numpy.trace(root))


def feature_frechet_distance(features1, features2):
    """d² between Gaussians fitted to two sets of feature rows."""
    return frechet_distance(*gaussian_statistics(features1), *gaussian_statistics(features2))
