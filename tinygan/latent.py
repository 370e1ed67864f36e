"""The latent space of a trained generator: interpolation, attribute vectors, measures.

Why slerp for Gaussian z. For z ~ N(0, I_d), ‖z‖² is χ²_d: mean d, standard deviation
√(2d), so ‖z‖ ≈ √d ± 1/√2 — in d = 100 almost every z lies in a thin shell of radius 10
(``shell``). Two independent draws are nearly orthogonal, so the straight line between
them dips inside: the midpoint (z₀ + z₁)/2 has norm ≈ √(d/2) ≈ 7.1, a radius G never saw
in training. Spherical interpolation (Shoemake 1985; White 2016 for GANs) follows the
great circle, keeping ‖z(t)‖ ≈ √d all the way. For uniform z on [−1, 1]^d the norms
concentrate too (≈ √(d/3)), and slerp is preferred for the same reason.

Vector arithmetic (Radford et al. 2015): the mean z of samples that show an attribute
minus the mean z of samples that do not (``attribute_vector``) moves new samples towards
it. On digits the attribute can be measured: ``ink`` (stroke thickness as ink mass) and
``slant`` (the image's second-moment shear), or a classifier's label.
``attribute_arithmetic`` measures it over many samples rather than one picture: how far
adding the vector moves the measured attribute of new samples, how many keep their class,
and the same for a random direction of the same length (the control).
"""
import math

from tinygan import backend
from tinygan.backend import host as numpy      # host-side measures of images and z
from tinygan.nn.utils import evaluating
from tinygan.tensor import Tensor, no_grad

__all__ = ["lerp", "slerp", "shell", "attribute_vector", "attribute_arithmetic", "ink", "slant",
           "interpolations", "interpolation_figure", "NonFiniteSamples", "require_finite"]

SIDE = 28
CONTROL_DIRECTIONS = 16     # random directions the control of attribute_arithmetic averages over


def _array(z):
    return z.data if isinstance(z, Tensor) else backend.asarray(z)


def _steps(z0, steps):
    """t = 0, 1/(steps − 1), …, 1 shaped to broadcast against (…, steps, d)."""
    xp = backend.get_array_module(z0)
    return xp.linspace(0.0, 1.0, steps, dtype=z0.dtype).reshape(steps, 1)


def lerp(z0, z1, steps=10):
    """z(t) = (1 − t)·z₀ + t·z₁ for ``steps`` evenly spaced t in [0, 1]: rows z₀ (…, d)
    give (…, steps, d)."""
    z0, z1 = _array(z0), _array(z1)
    t = _steps(z0, steps)
    return Tensor(z0[..., None, :] * (1 - t) + z1[..., None, :] * t)


def slerp(z0, z1, steps=10, tolerance=1e-6):
    """z(t) = sin((1 − t)Ω)/sin Ω · z₀ + sin(tΩ)/sin Ω · z₁ with cos Ω = ⟨z₀, z₁⟩/(‖z₀‖‖z₁‖):
    equal angles per step along the great circle; ‖z(t)‖ = ‖z₀‖ when ‖z₀‖ = ‖z₁‖. Where
    sin Ω < ``tolerance`` (parallel endpoints) it is lerp."""
    z0, z1 = _array(z0), _array(z1)
    xp = backend.get_array_module(z0)
    t = _steps(z0, steps)
    norms = xp.sqrt((z0 * z0).sum(-1) * (z1 * z1).sum(-1))
    cosine = xp.clip((z0 * z1).sum(-1) / xp.maximum(norms, tolerance), -1.0, 1.0)
    omega = xp.arccos(cosine)[..., None, None]
    sine = xp.sin(omega)
    parallel = sine < tolerance
    safe = xp.where(parallel, 1.0, sine)
    a = xp.where(parallel, 1 - t, xp.sin((1 - t) * omega) / safe)
    b = xp.where(parallel, t, xp.sin(t * omega) / safe)
    return Tensor((z0[..., None, :] * a + z1[..., None, :] * b).astype(z0.dtype))


def shell(dim, prior="gaussian"):
    """(radius, spread): where ‖z‖ concentrates for the prior in ``dim`` dimensions —
    N(0, I): √d ± 1/√2 (χ_d); U(−1, 1)^d: √(d/3) ± √(1/15) (the delta method on Σ z²,
    var(z²) = 4/45)."""
    if prior == "gaussian":
        return math.sqrt(dim), math.sqrt(0.5)
    if prior == "uniform":
        return math.sqrt(dim / 3), math.sqrt(1 / 15)
    raise ValueError(f"prior must be 'gaussian' or 'uniform', got {prior!r}")


def attribute_vector(z, has):
    """mean z over the samples with the attribute − mean z over those without; ``has`` is
    a boolean per sample (a label, or a measure above a threshold)."""
    z = backend.to_numpy(_array(z))
    has = numpy.asarray(backend.to_numpy(_array(has)), dtype=bool)
    if has.all() or not has.any():
        raise ValueError("attribute_vector needs samples with and without the attribute")
    return Tensor(backend.asarray(z[has].mean(axis=0) - z[~has].mean(axis=0)))


def _images(x):
    return backend.to_numpy(_array(x)).reshape(-1, SIDE, SIDE).astype(numpy.float64)


def ink(x):
    """Ink mass per image: the mean pixel value (rows of 784 pixels in [0, 1]); thicker
    strokes, more ink."""
    return _images(x).mean(axis=(1, 2))


def slant(x):
    """The shear of each image's ink: μ₁₁/μ₀₂, the ink-weighted covariance of column and
    row over the row variance (0 for an upright stroke; s for a stroke whose column moves
    by s per row, rows counted downwards)."""
    images = _images(x)
    rows, columns = numpy.mgrid[0:SIDE, 0:SIDE].astype(numpy.float64)
    mass = images.sum(axis=(1, 2))
    mean_r = (images * rows).sum(axis=(1, 2)) / mass
    mean_c = (images * columns).sum(axis=(1, 2)) / mass
    dr = rows - mean_r[:, None, None]
    dc = columns - mean_c[:, None, None]
    return (images * dr * dc).sum(axis=(1, 2)) / (images * dr * dr).sum(axis=(1, 2))


def _generate(generator, z, chunk=1000):
    """G(z) as host NumPy rows, G in evaluation mode, in chunks."""
    with no_grad(), evaluating(generator):
        return numpy.concatenate([backend.to_numpy(generator(Tensor(z[i:i + chunk])).data)
                                  for i in range(0, z.shape[0], chunk)])


def attribute_arithmetic(generator, measure, classify, n=2000, fraction=0.25, scale=1.0,
                         by_class=True):
    """Vector arithmetic measured over many samples.

    1. Draw n z from G's prior and measure a = ``measure``(G(z)) (one number per image,
       e.g. ``ink`` or ``slant``); the attribute vector v is the mean z of the top
       ``fraction`` by a minus the mean z of the bottom ``fraction``. With ``by_class``
       (default) the quantiles are taken within each class (``classify``: images →
       labels) and the classes' vectors averaged: over all samples at once, v also
       carries the class that most shows the attribute (thick strokes: zeros and eights),
       and adding it changes digits into that class.
    2. Draw n new z and compare G(z) with G(z + scale·v): the mean change of a (also in
       units of a's standard deviation over the first draw), the share of samples whose a
       rose, and the share whose class is unchanged.
    3. The control: the same with random directions of v's norm, the i-th new sample
       pushed along direction i mod ``CONTROL_DIRECTIONS`` (16), so its numbers average
       over all of them (one direction's effect depends on the draw: in the tests' 8-D
       example a single one flips 0–50% of classes, 16 flip 24% ± 3.4%).

    Draws come from the backend's seeded generator. Returns a dict of plain numbers."""
    z = generator.sample_noise(n).data
    images = _generate(generator, z)
    a = numpy.asarray(measure(images), dtype=numpy.float64)
    groups = numpy.asarray(classify(images)) if by_class else numpy.zeros(n, dtype=int)
    vectors = []
    for group in numpy.unique(groups):
        inside = groups == group
        low, high = numpy.quantile(a[inside], [fraction, 1 - fraction])
        chosen = inside & ((a <= low) | (a >= high))
        if inside.sum() >= 8 and low < high:            # a class too small to split is left out
            vectors.append(attribute_vector(z[backend.asarray(chosen)], (a >= high)[chosen]).data)
    if not vectors:
        raise ValueError("attribute_arithmetic found no class with enough samples to split")
    v = sum(vectors) / len(vectors) * scale
    norm = float(numpy.linalg.norm(backend.to_numpy(v)))
    xp = backend.get_array_module(v)
    random = backend.rng().standard_normal((CONTROL_DIRECTIONS,) + v.shape, dtype=v.dtype)
    lengths = xp.sqrt((random * random).reshape(CONTROL_DIRECTIONS, -1).sum(axis=1))
    random *= (norm / lengths).reshape((-1,) + (1,) * v.ndim)
    random = random[xp.arange(n) % CONTROL_DIRECTIONS]
    z_new = generator.sample_noise(n).data
    before = _generate(generator, z_new)
    a_before, class_before = numpy.asarray(measure(before)), numpy.asarray(classify(before))
    result = {"samples": n, "fraction": fraction, "scale": scale, "by_class": by_class,
              "vector_norm": norm, "attribute_sd": float(a.std()),
              "attribute_before": float(a_before.mean())}
    for name, direction in (("", v), ("control_", random)):
        after = _generate(generator, z_new + direction)
        shift = numpy.asarray(measure(after)) - a_before
        result[name + "shift"] = float(shift.mean())
        result[name + "shift_sd"] = float(shift.mean() / a.std())
        result[name + "rose"] = float((shift > 0).mean())
        result[name + "class_kept"] = float((numpy.asarray(classify(after)) == class_before).mean())
    return result


class NonFiniteSamples(ValueError):
    """G's output holds NaN or inf."""


def require_finite(samples, noise_scale=1.0):
    """``samples`` (an array or a Tensor), or :class:`NonFiniteSamples` if any is NaN or
    inf: z spread so far (``noise_scale``) that z or G's activations overflow float32, or
    weights that are not finite. Checked before a sample is written or measured (a
    distance's matrix square root of NaN features would not return)."""
    values = samples.data if isinstance(samples, Tensor) else samples
    if not bool(backend.get_array_module(values).isfinite(values).all()):
        cause = (f"a noise scale of {noise_scale:g} overflows float32 in z or in G, or G's "
                 f"weights are not finite" if noise_scale != 1 else "G's weights or activations "
                 "are not finite")
        raise NonFiniteSamples(f"the generator's samples hold NaN or inf: {cause}")
    return samples


def interpolations(generator, rows, steps=10, spherical=True, condition=None, noise_scale=1.0):
    """G along ``rows`` paths between random endpoint pairs drawn from G's prior (from the
    backend's seeded generator): ``rows·steps`` images, row by row, G in evaluation mode
    (each image depends on its own z alone). ``condition`` (rows, c): a conditional G's
    second input, one row per path, held fixed along it (a cGAN's one-hot label: z then
    walks through the styles of one digit). ``noise_scale``: the endpoints' spread
    (``Generator.sample_noise``)."""
    z0, z1 = (generator.sample_noise(rows, noise_scale=noise_scale) for _ in range(2))
    path = (slerp if spherical else lerp)(z0, z1, steps)
    inputs = [path.reshape(rows * steps, -1)]
    if condition is not None:
        condition = backend.asarray(condition, dtype="float32")
        if condition.ndim != 2 or condition.shape[0] != rows:
            raise ValueError(f"condition must have one row per path ({rows}), got shape "
                             f"{tuple(condition.shape)}")
        inputs.append(Tensor(backend.xp.repeat(condition, steps, axis=0)))
    with no_grad(), evaluating(generator):
        return require_finite(generator(*inputs), noise_scale)


def interpolation_figure(generator, rows, steps=10, spherical=True, path=None, condition=None,
                         noise_scale=1.0):
    """A grid figure of ``interpolations``: one path per row (images in [0, 1])."""
    from tinygan.plots import image_grid_figure
    images = interpolations(generator, rows, steps, spherical, condition, noise_scale)
    what = "slerp" if spherical else "lerp"
    return image_grid_figure(images.numpy(), path, rows=rows, columns=steps,
                             title=f"{rows} {what} paths in z, {steps} steps")
