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
import shutil
import tempfile
import zipfile

from tinygan import backend
from tinygan.backend import host as numpy   # files are written from host arrays
from tinygan.tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "FORMAT", "atomic_write", "remove_stale_temporaries"]

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


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                   # exists, but another user's
        return True
    return True


def remove_stale_temporaries(path):
    """Delete the temporary files (or folders) that an earlier save of ``path`` left
    behind when its process was killed (``kill -9``, power loss): ``.NAME.tmp-PID-*``
    whose process PID is gone. Returns the paths removed."""
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        if not entry.startswith(f".{name}.tmp-"):
            continue
        pid = entry[len(name) + 6:].split("-", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            stale = os.path.join(folder, entry)
            try:
                shutil.rmtree(stale) if os.path.isdir(stale) else os.remove(stale)
                removed.append(stale)
            except OSError:
                pass
    return removed


def atomic_write(path, write):
    """Call ``write(stream)`` on a temporary file beside ``path``, flush it to disk, then
    rename it over ``path``: a reader sees the old file or the new one, never half of one.
    The temporary (``.NAME.tmp-PID-*``) is removed on any error; one left by a killed
    process is removed by the next save of the same path."""
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.tmp-{os.getpid()}-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError) and error.filename is None:   # a write or a flush:
            reason = error.strerror or f"{error} (a short write: is the disk full?)"
            raise OSError(error.errno, reason, path) from error     # name the file
        raise
    return path


def save(state, path):
    """Write ``state`` (a dict) to ``path`` atomically. Arrays are saved as host NumPy
    arrays, so a checkpoint written on CuPy loads on NumPy and vice versa."""
    if not isinstance(state, dict):
        raise TypeError(f"save() takes a dict, got {type(state).__name__}")
    arrays = {}
    meta = {"format": FORMAT, "state": _split(state, "", arrays)}
    encoded = numpy.frombuffer(json.dumps(meta).encode("utf-8"), dtype=numpy.uint8)
    return atomic_write(path, lambda stream: numpy.savez(stream, **{_META_KEY: encoded}, **arrays))


def _declared_bytes(archive, member):
    """The size an array member of the zip declares in its .npy header."""
    with archive.open(member) as stream:
        version = numpy.lib.format.read_magic(stream)
        reader = (numpy.lib.format.read_array_header_1_0 if version == (1, 0)
                  else numpy.lib.format.read_array_header_2_0)
        shape, _, dtype = reader(stream)
    if dtype.hasobject:
        raise CheckpointError("holds Python objects (a pickle); tinygan never loads those")
    count = 1
    for size in shape:
        count *= size
    return count * dtype.itemsize


def _check_sizes(path):
    """Refuse, before anything is allocated, arrays that declare more bytes than their
    zip member holds (a crafted header can declare a 745 GiB array in 100 bytes)."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            declared = _declared_bytes(archive, member)
            if declared > member.file_size:
                raise CheckpointError(
                    f"declares an array of {declared / 2 ** 30:.3g} GiB in its entry "
                    f"{member.filename!r}, which holds {member.file_size} bytes")
            if member.file_size > 2 * os.path.getsize(path) + 2 ** 20:
                raise CheckpointError(f"its entry {member.filename!r} claims to unpack to "
                                      f"{member.file_size} bytes from a smaller file")


def _join_checked(tree, arrays, path):
    try:
        return _join(tree, arrays)
    except (KeyError, TypeError, RecursionError) as error:
        raise CheckpointError(f"{path} is corrupt: its metadata names arrays it does not hold "
                              f"({type(error).__name__}: {error})") from None


def load(path):
    """Read a checkpoint written by :func:`save`; arrays come back as host NumPy arrays.

    Raises :class:`CheckpointError`, with one line naming the file, when it is missing, a
    folder, unreadable, truncated or corrupt, crafted (arrays larger than the file),
    or not a tinygan checkpoint.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        why = ("a link that leads nowhere (broken, or a loop)" if os.path.lexists(path)
               else "the file does not exist")
        raise CheckpointError(f"no checkpoint at {path}: {why}")
    if os.path.isdir(path):
        inside = os.path.join(path, "checkpoint.npz")
        hint = f" (try {inside})" if os.path.isfile(inside) else ""
        raise CheckpointError(f"{path} is a folder, not a checkpoint file{hint}")
    try:
        with open(path, "rb") as stream:
            magic = stream.read(4)
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from None
    if magic != b"PK\x03\x04":                          # every .npz is a zip archive
        raise CheckpointError(f"{path} is not a tinygan checkpoint (not an .npz archive; "
                              f"truncated or corrupt, or another kind of file)")
    try:
        _check_sizes(path)
        with numpy.load(path, allow_pickle=False) as archive:
            if _META_KEY not in archive.files:
                raise CheckpointError(f"{path} is an .npz file but not a tinygan checkpoint "
                                      f"(it has no {_META_KEY!r} entry)")
            meta = json.loads(archive[_META_KEY].tobytes().decode("utf-8"))
            arrays = {name: archive[name] for name in archive.files if name != _META_KEY}
    except CheckpointError as error:
        if str(error).startswith(path):
            raise
        raise CheckpointError(f"{path} is refused: it {error}") from None
    except Exception as error:      # any parse failure of a damaged file is "corrupt"
        raise CheckpointError(f"{path} is truncated or corrupt and cannot be read "
                              f"({type(error).__name__}: {error})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise CheckpointError(f"{path} has checkpoint format {found!r}; this "
                              f"tinygan reads {FORMAT!r}")
    if not isinstance(meta.get("state"), dict):
        raise CheckpointError(f"{path} is corrupt: its metadata holds no state")
    return _join_checked(meta["state"], arrays, path)
