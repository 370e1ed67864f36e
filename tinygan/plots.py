"""Figures with matplotlib, drawn on ``Figure`` objects (no global pyplot state, so
they work headless). Each function returns the figure and saves it when ``path`` is given.
Install with ``pip install 'tinygan[plots]'``."""
import numpy

__all__ = ["samples_figure", "image_grid_figure", "losses_figure", "parzen_curve_figure", "save"]


def _figure(**kwargs):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'tinygan[plots]'") from None
    return Figure(**kwargs)


def save(figure, path):
    if path is not None:
        figure.savefig(path, dpi=110, bbox_inches="tight")
    return figure


def samples_figure(samples, distribution=None, path=None, title="generated samples",
                   mode_shares=None):
    """2-D: generated samples over the data density's contours; 1-D: a histogram of the
    samples over the data density. With ``mode_shares`` (each mode's share of all samples,
    as high-quality samples of that mode) a bar chart beside the scatter shows where the
    mass is, against the ideal equal share: a mode count alone hides a mode with 0.1%."""
    from tinygan import backend
    samples = numpy.asarray(samples)
    two_d = samples.ndim == 2 and samples.shape[1] == 2
    bars = two_d and mode_shares is not None
    figure = _figure(figsize=(10, 4.6) if bars else (5, 5) if two_d else (6, 3.5))
    axes = figure.add_subplot(1, 2, 1) if bars else figure.add_subplot()
    if bars:
        shares = figure.add_subplot(1, 2, 2)
        ideal = 1 / len(mode_shares)
        shares.bar(numpy.arange(len(mode_shares)), mode_shares, color="tab:red")
        shares.axhline(ideal, color="tab:green", linestyle="--", label=f"ideal {ideal:.1%}")
        shares.set_xlabel("mode")
        shares.set_ylabel("share of all samples")
        shares.set_title(f"smallest share {min(mode_shares):.1%}")
        shares.legend(loc="upper right")
    if samples.ndim == 2 and samples.shape[1] == 2:
        if distribution is not None:
            means = numpy.asarray(distribution.means)
            pad = 1.0
            xs = numpy.linspace(means[:, 0].min() - pad, means[:, 0].max() + pad, 300)
            ys = numpy.linspace(means[:, 1].min() - pad, means[:, 1].max() + pad, 300)
            X, Y = numpy.meshgrid(xs, ys)
            density = backend.to_numpy(distribution.density(numpy.c_[X.ravel(), Y.ravel()]))
            axes.contourf(X, Y, numpy.log(density.reshape(X.shape) + 1e-12),
                          levels=numpy.linspace(-12, numpy.log(density.max()), 12), cmap="Greens")
        axes.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5, color="tab:red", label="G(z)")
        axes.set_aspect("equal")
    else:
        flat = samples.ravel()
        axes.hist(flat, bins=100, density=True, alpha=0.6, color="tab:red", label="G(z)")
        if distribution is not None:
            grid = numpy.linspace(flat.min() - 1, flat.max() + 1, 400)
            axes.plot(grid, backend.to_numpy(distribution.density(grid)), color="tab:green",
                      label="p_data")
    axes.legend(loc="upper right")
    axes.set_title(title)
    return save(figure, path)


def image_grid_figure(images, path=None, rows=10, columns=10, title="generated digits"):
    """An image grid of 28×28 images (rows of 784 pixels in [0, 1])."""
    images = numpy.asarray(images)[:rows * columns].reshape(-1, 28, 28)
    canvas = numpy.ones((rows * 29 + 1, columns * 29 + 1))
    for index, image in enumerate(images):
        r, c = divmod(index, columns)
        canvas[1 + r * 29:1 + r * 29 + 28, 1 + c * 29:1 + c * 29 + 28] = image
    figure = _figure(figsize=(columns * 0.6, rows * 0.6))
    axes = figure.add_subplot()
    axes.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    axes.axis("off")
    axes.set_title(title)
    return save(figure, path)


def losses_figure(history, path=None, critic=False):
    """D and G losses and the mean D(x), D(G(z)) over training; for a Wasserstein
    ``critic``, its mean values and their gap, the estimate of W₁."""
    figure = _figure(figsize=(9, 3.5))
    left, right = figure.subplots(1, 2)
    left.plot(history["step"], history["d_loss"], label="D loss")
    left.plot(history["step"], history["g_loss"], label="G loss")
    left.set_xlabel("step")
    left.legend()
    right.plot(history["step"], history["d_real"], label="mean D(x)")
    right.plot(history["step"], history["d_fake"], label="mean D(G(z))")
    if critic:
        gap = [r - f for r, f in zip(history["d_real"], history["d_fake"])]
        right.plot(history["step"], gap, label="W₁ estimate: mean D(x) − mean D(G(z))")
    else:
        right.axhline(0.5, color="gray", linewidth=0.8, linestyle="--")
        right.set_ylim(0, 1)
    right.set_xlabel("step")
    right.legend()
    return save(figure, path)


def parzen_curve_figure(curves, path=None, paper=(225.0, 2.0), ceiling=None):
    """Parzen log-likelihood on the test set (± standard error) against training steps,
    one line per run in ``curves`` ({label: [points]}, each point a dict with ``step``,
    ``log_likelihood``, ``standard_error``), with the paper's Table 1 value ± its error
    as a band and, if given, the real-data ceiling."""
    figure = _figure(figsize=(7, 4.2))
    axes = figure.subplots()
    for label, points in curves.items():
        steps = [p["step"] for p in points]
        axes.errorbar(steps, [p["log_likelihood"] for p in points],
                      yerr=[p["standard_error"] for p in points], marker="o", markersize=3,
                      capsize=2, label=label)
    value, error = paper
    axes.axhspan(value - error, value + error, color="tab:green", alpha=0.25,
                 label=f"paper, Table 1: {value:g} ± {error:g}")
    if ceiling is not None:
        axes.axhline(ceiling, color="gray", linestyle="--", linewidth=0.8,
                     label=f"real training images as centres: {ceiling:.1f}")
    axes.set_xlabel("training iterations (minibatches of 100)")
    axes.set_ylabel("Parzen log-likelihood, test set (nats)")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small")
    axes.grid(alpha=0.3)
    return save(figure, path)
