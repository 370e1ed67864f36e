"""Minibatches for Algorithm 1, resumable from the step number alone.

Data are moved to the active backend once. ``EpochSampler`` walks a fresh shuffle of the
rows every epoch; the shuffle of epoch e comes from the run's "data" stream, so the batch at
any step can be recomputed after a restart. ``DistributionSampler`` draws fresh samples
from a toy distribution with the step's seeded generator.
"""
from tinygan import backend
from tinygan.tensor import Tensor

__all__ = ["EpochSampler", "DistributionSampler"]


class EpochSampler:
    def __init__(self, data, batch_size, seed=0):
        self.data = backend.asarray(data)
        if self.data.ndim != 2:
            raise ValueError(f"data must be a 2-D (rows, features) array, got shape {self.data.shape}")
        if batch_size > self.data.shape[0]:
            raise ValueError(f"batch size {batch_size} exceeds the {self.data.shape[0]} rows of data")
        self.batch_size, self.seed = batch_size, seed
        self.batches_per_epoch = self.data.shape[0] // batch_size
        self._epoch, self._order = None, None

    def _shuffle(self, epoch):
        # argsort of uniform draws: a permutation that CuPy's generator can also make
        generator = backend.backend_generator(backend.stream_seed(self.seed, "data", epoch))
        return generator.random(self.data.shape[0]).argsort()

    def rows(self, step):
        """The indices of the rows in global batch number ``step``."""
        epoch, position = divmod(step, self.batches_per_epoch)
        if epoch != self._epoch:
            self._epoch, self._order = epoch, self._shuffle(epoch)
        return self._order[position * self.batch_size:(position + 1) * self.batch_size]

    def batch(self, step):
        """The rows for global batch number ``step`` (as a Tensor)."""
        return Tensor(self.data[self.rows(step)])


class DistributionSampler:
    def __init__(self, distribution, batch_size):
        self.distribution, self.batch_size = distribution, batch_size

    def batch(self, step):
        """Fresh samples from the distribution (the step's seeded generator draws them)."""
        return Tensor(self.distribution.sample(self.batch_size))
