"""Data: toy distributions with densities, MNIST offline, and resumable minibatches."""
from tinygan.data.fetch import (MNIST_DATASETS, full_mnist_available, load_mnist_dataset,
                                load_mnist_full)
from tinygan.data.loader import DistributionSampler, EpochSampler
from tinygan.data.mnist import (MNIST, DataError, load_embedded_mnist, load_idx_mnist,
                                load_mnist)
from tinygan.data.toy import (TOY_DATASETS, GaussianMixture, gaussian1d, grid, make_toy,
                              mixture1d, ring)

__all__ = ["GaussianMixture", "gaussian1d", "mixture1d", "ring", "grid", "make_toy",
           "TOY_DATASETS", "MNIST", "DataError", "load_mnist", "load_embedded_mnist",
           "load_idx_mnist", "EpochSampler", "DistributionSampler", "load_mnist_full",
           "load_mnist_dataset", "MNIST_DATASETS", "full_mnist_available"]
