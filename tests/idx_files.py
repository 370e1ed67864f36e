"""IDX files (MNIST's format) written for tests: random pixels and labels, or chosen labels."""
import struct

import numpy as np


def write_idx(folder, n_train=30, n_test=6, labels=None):
    """The four MNIST IDX files in ``folder`` (random content from a fixed seed; the
    first training labels replaced by ``labels`` when given)."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, magic, shape in [("train-images-idx3-ubyte", 2051, (n_train, 28, 28)),
                               ("train-labels-idx1-ubyte", 2049, (n_train,)),
                               ("t10k-images-idx3-ubyte", 2051, (n_test, 28, 28)),
                               ("t10k-labels-idx1-ubyte", 2049, (n_test,))]:
        values = rng.integers(0, 256 if len(shape) > 1 else 10, shape, dtype=np.uint8)
        if labels is not None and stem.startswith("train-labels"):
            values[:len(labels)] = labels
        (folder / stem).write_bytes(struct.pack(">I", magic) + struct.pack(
            ">" + "I" * len(shape), *shape) + values.tobytes())
    return folder
