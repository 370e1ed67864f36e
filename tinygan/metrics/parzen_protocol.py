"""The 2014 paper's Table 1 protocol on MNIST, as its evaluation script ran it.

Draw 10,000 samples from G; fit the Gaussian Parzen window on them; choose σ from the 10
values log-spaced in [0.1, 1] by the mean log-likelihood of the first 1,000 validation
images; report the mean log-likelihood of the 10,000 test images ± its standard error
std/√n. Beside it, the real-data ceiling: the same protocol with 10,000 training images as
the kernel centres (Theis et al. 2016 measure 243 nats this way; the paper reports 225 ± 2).
The kernel sums are computed in row blocks sized to a memory budget.
"""
from tinygan import backend
from tinygan.metrics.parzen import PAPER_SIGMAS, parzen_evaluation

__all__ = ["paper_parzen", "rows_per_block", "PAPER_SAMPLES", "PAPER_VALIDATION_IMAGES",
           "PAPER_TEST_IMAGES", "PAPER_CEILING_IMAGES", "MEMORY_BYTES"]

PAPER_SAMPLES = 10_000              # samples drawn from G
PAPER_VALIDATION_IMAGES = 1_000     # validation images that choose σ
PAPER_TEST_IMAGES = 10_000          # test images scored (all of MNIST's test set)
PAPER_CEILING_IMAGES = 10_000       # training images used as centres for the ceiling
MEMORY_BYTES = 256 * 2 ** 20        # budget for one block's working arrays
_ARRAYS_PER_BLOCK = 6               # float64 (rows × centres) arrays alive at once


def rows_per_block(centres, memory_bytes=MEMORY_BYTES):
    """Points scored at once so that about six float64 (rows × centres) arrays — the
    squared distances, the cross term, the exponent and its exp — fit ``memory_bytes``."""
    return max(1, memory_bytes // (_ARRAYS_PER_BLOCK * 8 * centres))


def paper_parzen(samples, mnist, validation_images=PAPER_VALIDATION_IMAGES,
                 ceiling_images=PAPER_CEILING_IMAGES, sigmas=PAPER_SIGMAS,
                 memory_bytes=MEMORY_BYTES):
    """The paper's protocol for ``samples`` (rows of 784 pixels in [0, 1]) on ``mnist``
    (train / valid / test splits). Returns ``parzen_evaluation``'s dict — ``sigma``,
    ``log_likelihood``, ``standard_error``, ``validation_by_sigma`` and the ``ceiling_*``
    entries — plus the counts used and ``paper_protocol``: whether they are the paper's.
    ``ceiling_images=0`` skips the ceiling (half the time: a curve during training)."""
    samples = backend.to_numpy(samples)
    valid = mnist.valid[:validation_images]
    centres = mnist.train[:ceiling_images]
    block = rows_per_block(max(len(samples), len(centres)), memory_bytes)
    result = parzen_evaluation(samples, valid, mnist.test, sigmas=sigmas,
                               ceiling_samples=centres if ceiling_images else None,
                               batch_size=block)
    counts = (len(samples), len(valid), len(mnist.test))
    result.update(validation_points=len(valid), ceiling_centres=len(centres),
                  paper_protocol=tuple(sigmas) == PAPER_SIGMAS and len(centres) in (
                      0, PAPER_CEILING_IMAGES) and counts == (
                      PAPER_SAMPLES, PAPER_VALIDATION_IMAGES, PAPER_TEST_IMAGES))
    return result
