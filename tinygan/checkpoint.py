"""``tinygan.save`` / ``tinygan.load``: checkpoints as one ``.npz`` file, never pickle.

A checkpoint is a nested dict whose leaves are arrays (NumPy or CuPy, or Tensors) or
JSON values (numbers, strings, lists, None). Arrays go into the ``.npz`` under their
path ("model/fc.weight"); everything else goes into one JSON document stored beside
them, which also marks the file as tinygan's. Writing goes to a temporary file in the
same folder that is then renamed over the target, so an interrupted save never
destroys the last good checkpoint.
"""
import json
import os
import tempfile
import zipfile

from tinygan import backend
from tinygan.backend import host as numpy   # files are written from host arrays
from tinygan.tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "FORMAT"]

FORMAT = "tinygan-checkpoint-1"
_META_KEY = "__tinygan__"
_SEPARATOR = "/"


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, truncated, corrupt, or not tinygan's."""


def _split(tree, prefix, arrays):
    """Move the arrays out of ``tree`` into ``arrays``; return the JSON remainder."""
    if isinstance(tree, Tensor):
        tree = tree.data
    if hasattr(tree, "shape") and hasattr(tree, "dtype") and not isinstance(tree, numpy.generic):
        arrays[prefix] = backend.to_numpy(tree)
        return {"__array__": prefix}
    if isinstance(tree, dict):
        for key in tree:
            if not isinstance(key, str) or _SEPARATOR in key:
                raise TypeError(f"checkpoint keys must be strings without '/', got {key!r}")
        return {key: _split(value, f"{prefix}{_SEPARATOR}{key}" if prefix else key, arrays)
                for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_split(value, f"{prefix}{_SEPARATOR}{i}", arrays) for i, value in enumerate(tree)]
    if isinstance(tree, numpy.generic):
        return tree.item()
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    raise TypeError(f"cannot save {type(tree).__name__} at {prefix!r}: checkpoints hold "
                    f"arrays, numbers, strings, lists and dicts only")


def _join(tree, arrays):
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return arrays[tree["__array__"]]
        return {key: _join(value, arrays) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_join(value, arrays) for value in tree]
    return tree


def save(state, path):
    """Write ``state`` (a dict) to ``path`` atomically. Arrays are saved as host NumPy
    arrays, so a checkpoint written on CuPy loads on NumPy and vice versa."""
    if not isinstance(state, dict):
        raise TypeError(f"save() takes a dict, got {type(state).__name__}")
    arrays = {}
    meta = {"format": FORMAT, "state": _split(state, "", arrays)}
    encoded = numpy.frombuffer(json.dumps(meta).encode("utf-8"), dtype=numpy.uint8)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            numpy.savez(stream, **{_META_KEY: encoded}, **arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path


def load(path):
    """Read a checkpoint written by :func:`save`; arrays come back as host NumPy arrays.

    Raises :class:`CheckpointError` naming the file when it is missing, truncated or
    corrupt, or not a tinygan checkpoint.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f"no checkpoint at {path}: the file does not exist")
    with open(path, "rb") as stream:
        if stream.read(4) != b"PK\x03\x04":          # every .npz is a zip archive
            raise CheckpointError(f"{path} is not a tinygan checkpoint (not an .npz archive; "
                                  f"truncated or corrupt, or another kind of file)")
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            if _META_KEY not in archive.files:
                raise CheckpointError(f"{path} is an .npz file but not a tinygan checkpoint "
                                      f"(it has no {_META_KEY!r} entry)")
            meta = json.loads(archive[_META_KEY].tobytes().decode("utf-8"))
            arrays = {name: archive[name] for name in archive.files if name != _META_KEY}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise CheckpointError(f"{path} is truncated or corrupt and cannot be read "
                              f"({type(error).__name__}: {error})") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} has checkpoint format {meta.get('format')!r}; this "
                              f"tinygan reads {FORMAT!r}")
    return _join(meta["state"], arrays)
