"""One object per kind of data a GAN trains on. Each owns what depends on the data: the
models that fit it, the sampler that feeds Algorithm 1, the evaluation protocol, the
one-line summary and the samples figure. ``Trainer`` and the command line are the same
for every kind; a new kind of data is one new class here.

- :class:`ToyData`: the 1-D and 2-D mixtures (``ring``, ``grid``, ``gaussian1d``,
  ``mixture1d``), with known densities;
- :class:`ImageData`: MNIST, 784 pixels in [0, 1].
"""
from tinygan import backend
from tinygan.data import MNIST_DATASETS, DataError, load_mnist_dataset, make_toy
from tinygan.data.loader import DistributionSampler, EpochSampler
from tinygan.gan.config import ConfigError
from tinygan.gan.dcgan import dcgan_discriminator, dcgan_generator
from tinygan.gan.models import mlp_generator, paper_mnist_discriminator, paper_mnist_generator
from tinygan.gan.stabilisers import stabilised_discriminator
from tinygan.metrics import (class_coverage, mode_coverage, nearest_neighbours, parzen_evaluation,
                             predict, train_digit_classifier)
from tinygan.theory import histogram_jsd

__all__ = ["ToyData", "ImageData", "data_kind", "IMAGE_DATASETS"]

JUDGE_MIN_IMAGES = 1000      # the judging classifier trains on at least this many images
IMAGE_DATASETS = MNIST_DATASETS      # full MNIST ("mnist") and the embedded "mnist-5k"


def toy_discriminator(config, dim, real_samples):
    """The MLP discriminator of ``config`` with its stabilisers (minibatch discrimination,
    reference or virtual batch norm); ``real_samples(n)`` gives the reference batch."""
    reference = real_samples(config.reference_batch) if config.d_batch_norm != "none" else None
    return stabilised_discriminator(dim, config.d_hidden, config.d_depth, pack=config.pack,
                                    minibatch_kernels=config.minibatch_kernels,
                                    minibatch_kernel_dim=config.minibatch_kernel_dim,
                                    batch_norm=config.d_batch_norm, reference=reference)


class ToyData:
    """A toy mixture with a known density (``self.distribution``)."""

    def __init__(self, name, data_dir=None):
        self.name, self.distribution = name, make_toy(name)

    def provenance(self):
        return self.distribution.provenance()

    def models(self, config):
        dim = self.distribution.dim
        return (mlp_generator(config.noise_dim, dim, config.g_hidden, config.g_depth,
                              noise=config.noise),
                toy_discriminator(config, dim, self.distribution.sample))

    def sampler(self, config):
        """Fresh draws every step (from the step's seeded stream)."""
        return DistributionSampler(self.distribution, config.batch_size)

    def evaluate(self, samples, seed):
        """2-D: modes captured, high-quality share, per-mode shares and JSD (VEEGAN's
        protocol); 1-D: the JSD between generated and real samples from shared histograms,
        with the means and standard deviations."""
        if self.distribution.dim == 2:
            return mode_coverage(samples, self.distribution)
        backend.manual_seed(backend.stream_seed(seed, "evaluation"))
        real = backend.to_numpy(self.distribution.sample(len(samples), dtype="float64"))
        return {"jsd": histogram_jsd(samples, real, bins=100),
                "sample_mean": float(samples.mean()), "sample_std": float(samples.std()),
                "data_mean": float(real.mean()), "data_std": float(real.std())}

    def summary(self, metrics):
        if "modes" in metrics:
            return (f"modes captured {metrics['modes_captured']}/{metrics['modes']}, "
                    f"high-quality samples {100 * metrics['high_quality']:.1f}%, smallest "
                    f"mode share {100 * metrics['min_mode_share_of_all']:.1f}% of all samples "
                    f"(ideal {100 / metrics['modes']:.1f}%), JSD {metrics['jsd']:.3f} nats")
        return (f"JSD to the data {metrics['jsd']:.3f} nats; sample mean "
                f"{metrics['sample_mean']:.3f} (data {metrics['data_mean']:.3f}), std "
                f"{metrics['sample_std']:.3f} (data {metrics['data_std']:.3f})")

    def samples_figure(self, samples, path):
        """The samples over the data's density (a histogram in 1-D); for 2-D mixtures each
        mode's share of all samples as bars against the ideal."""
        from tinygan import plots            # matplotlib only when a figure is drawn
        shares = (mode_coverage(samples, self.distribution)["mode_shares_of_all"]
                  if self.distribution.dim == 2 else None)
        return plots.samples_figure(samples, self.distribution, path,
                                    title=f"{self.name}: generated samples", mode_shares=shares)


class ImageData:
    """MNIST (``self.mnist``: train / valid / test images and labels): ``mnist`` is the
    full set (fetched, or IDX files in ``data_dir``), ``mnist-5k`` the embedded sample.
    Neither falls back to the other."""

    def __init__(self, name, data_dir=None):
        if name != "mnist" and data_dir is not None:
            raise DataError(f"--data-dir holds full MNIST; {name} is the embedded sample "
                            f"(use --dataset mnist to read {data_dir})")
        self.name, self.mnist = name, load_mnist_dataset(name, data_dir)

    def provenance(self):
        return self.mnist.provenance()

    def models(self, config):
        mnist = self.mnist
        if config.batch_size > len(mnist.train):
            raise ConfigError(f"batch size {config.batch_size} is larger than the "
                              f"{len(mnist.train)} training images of {mnist.source}")
        if config.model == "dcgan":
            return (dcgan_generator(config.noise_dim, noise=config.noise), dcgan_discriminator())
        if config.model == "mnist_2014":
            return (paper_mnist_generator(config.noise_dim, pixel_means=mnist.train.mean(axis=0),
                                          noise=config.noise),
                    paper_mnist_discriminator(pack=config.pack))
        generator = mlp_generator(config.noise_dim, 784, config.g_hidden, config.g_depth,
                                  noise=config.noise, output="sigmoid")
        return generator, toy_discriminator(config, 784, lambda n: mnist.train[:n])

    def sampler(self, config):
        """A fresh shuffle of the training images every epoch (the run's "data" stream)."""
        return EpochSampler(self.mnist.train, config.batch_size, seed=config.seed)

    def evaluate(self, samples, seed):
        """The paper's Parzen-window log-likelihood with σ and the real-data ceiling,
        digit-class coverage by a tinygan classifier, and nearest-training distances."""
        mnist = self.mnist
        # the protocol's sizes: 1,000 validation images for σ, 10,000 training images as centres
        parzen = parzen_evaluation(samples, mnist.valid[:1000], mnist.test,
                                   ceiling_samples=mnist.train[:10000])
        classifier = train_digit_classifier(mnist.train, mnist.train_labels, seed=seed)
        accuracy = float((backend.to_numpy(predict(classifier, mnist.test))
                          == mnist.test_labels).mean())
        coverage = class_coverage(samples, classifier)
        _, sample_distances = nearest_neighbours(samples[:1000], mnist.train)
        _, test_distances = nearest_neighbours(mnist.test[:1000], mnist.train)
        return {"parzen": parzen, **coverage, "classifier_test_accuracy": accuracy,
                "nearest_train_distance_samples": float(sample_distances.mean()),
                "nearest_train_distance_test_images": float(test_distances.mean())}

    def judged(self, samples, parzen=False, progress=True):
        """The measures a reader trusts, judged by the cached tinygan MNIST classifier
        (trained first if absent): class shares, classifier score, Fréchet distance,
        confident share and memorisation, each beside the real test images' value; with
        ``parzen`` also the paper's Parzen protocol (σ from 1,000 validation images, the
        test mean ± standard error, 10,000 training images as the ceiling). The classifier
        is cached in tinygan's data folder, never in a folder of the user's IDX files."""
        from tinygan.metrics.quality import evaluate_mnist_samples
        if len(self.mnist.train) < JUDGE_MIN_IMAGES:
            return {"quality_skipped": f"{len(self.mnist.train)} training images are too few "
                                       f"to train the judging classifier (it needs "
                                       f"{JUDGE_MIN_IMAGES})"}
        judged = evaluate_mnist_samples(samples, self.mnist, progress=progress, parzen=parzen)
        if "parzen" in judged:
            judged["paper_parzen"] = judged.pop("parzen")
        return judged

    def summary(self, metrics):
        p = metrics.get("paper_parzen", metrics["parzen"])
        line = (f"Parzen log-likelihood {p['log_likelihood']:.1f} ± {p['standard_error']:.1f} "
                f"(σ = {p['sigma']:.3f}; real-data ceiling {p['ceiling_log_likelihood']:.1f}); "
                f"digit classes with ≥5% of samples: {metrics['classes_covered']}/10")
        if "quality_skipped" in metrics:
            line += f"\nclassifier measures skipped: {metrics['quality_skipped']}"
        if "quality" in metrics:
            q, real = metrics["quality"], metrics["quality"]["real_test"]
            line += (f"\nclassifier score {q['classifier_score']:.2f} (real test images "
                     f"{real['classifier_score']:.2f}); confident samples "
                     f"{100 * q['confident_share']:.1f}% ({100 * real['confident_share']:.1f}%); "
                     f"Fréchet distance {q['frechet_distance']:.2f} (floor "
                     f"{real['frechet_distance']:.2f}); classes within 5–15%: "
                     f"{q['classes_in_range']}/10; nearest training image "
                     f"{q['nearest_train_distance']:.2f}")
        return line

    def samples_figure(self, samples, path):
        """A grid of digits."""
        from tinygan import plots
        return plots.image_grid_figure(samples, path)


def data_kind(name, data_dir=None):
    """The data object for data set ``name``."""
    return (ImageData if name in IMAGE_DATASETS else ToyData)(name, data_dir)
