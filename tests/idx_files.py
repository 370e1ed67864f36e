"""IDX files (MNIST's format) written for tests: given arrays, or random pixels and labels."""
import gzip
import struct

import numpy as np

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def write_idx_arrays(folder, train, train_labels, test, test_labels, compress=False):
    """The four MNIST IDX files in ``folder`` holding these uint8 arrays (images as
    (n, 28, 28) or (n, 784)); gzipped with a ``.gz`` suffix when ``compress``."""
    folder.mkdir(parents=True, exist_ok=True)
    opener, suffix = (gzip.open, ".gz") if compress else (open, "")
    for stem, array in zip(STEMS, (train, train_labels, test, test_labels)):
        array = np.asarray(array, dtype=np.uint8)
        if "images" in stem:
            array = array.reshape(-1, 28, 28)
        magic = 2051 if array.ndim == 3 else 2049
        with opener(folder / (stem + suffix), "wb") as stream:
            stream.write(struct.pack(">I" + "I" * array.ndim, magic, *array.shape))
            stream.write(array.tobytes())
    return folder


def write_idx(folder, n_train=30, n_test=6, labels=None, compress=False):
    """The four MNIST IDX files in ``folder`` (random content from a fixed seed; the
    first training labels replaced by ``labels`` when given)."""
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    train_labels = rng.integers(0, 10, n_train, dtype=np.uint8)
    test = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    test_labels = rng.integers(0, 10, n_test, dtype=np.uint8)
    if labels is not None:
        train_labels[:len(labels)] = labels
    return write_idx_arrays(folder, train, train_labels, test, test_labels, compress)
