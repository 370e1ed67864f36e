"""Fault injection: ``kill -9`` a training process while it saves checkpoints, then check
that the last checkpoint loads, that the leftovers of the killed save are cleaned at the
next start, and that ``--resume`` ends bit for bit where an uninterrupted run ends.

A tiny ring run (40 steps, batch 32) saves a checkpoint after every step, so most of its
time is spent saving and a kill at a random moment usually lands inside a save; one more
try kills the process from inside a save, between writing the temporary file and renaming
it, the worst moment. Every process runs with one BLAS thread (bit-exactness holds for a
given thread count)."""
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np

import tinygan as tg

STEPS = ["--steps", "40", "--batch-size", "32", "--checkpoint-every", "1", "--quiet"]
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
KILL_INSIDE_SAVE = """
import os, signal, sys
import tinygan.checkpoint as checkpoint
saves = []
real_fsync = os.fsync
def fsync_then_die(fd):                    # the temporary is written, not yet renamed
    real_fsync(fd)
    saves.append(fd)
    if len(saves) == int(os.environ["TINYGAN_KILL_AT_SAVE"]):
        os.kill(os.getpid(), signal.SIGKILL)
checkpoint.os.fsync = fsync_then_die
from tinygan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _train(out, *extra):
    return subprocess.run([sys.executable, "-m", "tinygan", "train", "--dataset", "ring",
                           "--out", str(out), *STEPS, *extra], capture_output=True, text=True,
                          env=ENV, timeout=300)


def _arrays(tree, prefix=""):
    """Every array in a checkpoint by its path, and the other leaves, except timings."""
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return {prefix: tree}
    flat = {}
    for key, value in items:
        if key in ("elapsed", "seconds"):
            continue
        flat.update(_arrays(value, f"{prefix}/{key}"))
    return flat


def _assert_identical(a, b):
    a, b = _arrays(a), _arrays(b)
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            assert a[key] == b[key], key


def _resume_and_compare(out, reference):
    state = tg.load(out / "checkpoint.npz")            # the last checkpoint always loads
    assert 0 <= state["step"] <= 40
    resumed = _train(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert not [p.name for p in out.iterdir() if ".tmp-" in p.name]       # cleaned
    _assert_identical(tg.load(out / "checkpoint.npz"), reference)
    return state["step"]


def test_kill_9_during_saves_then_resume_is_bit_exact(tmp_path):
    assert _train(tmp_path / "reference").returncode == 0
    reference = tg.load(tmp_path / "reference" / "checkpoint.npz")
    assert reference["step"] == 40

    chance = random.Random(11)                        # fixed moments: a reproducible test
    report = []
    for attempt in range(3):
        out = tmp_path / f"killed{attempt}"
        process = subprocess.Popen([sys.executable, "-m", "tinygan", "train", "--dataset", "ring",
                                    "--out", str(out), *STEPS], env=ENV,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not (out / "checkpoint.npz").exists() and time.monotonic() < deadline:
            time.sleep(0.01)                          # training (and saving) has begun
        time.sleep(chance.uniform(0.0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait()
        leftovers = [p.name for p in out.iterdir() if ".tmp-" in p.name]
        report.append((process.returncode, leftovers, _resume_and_compare(out, reference)))

    out = tmp_path / "inside"
    process = subprocess.run([sys.executable, "-c", KILL_INSIDE_SAVE, "train", "--dataset",
                              "ring", "--out", str(out), *STEPS],
                             env={**ENV, "TINYGAN_KILL_AT_SAVE": "8"}, capture_output=True)
    assert process.returncode == -signal.SIGKILL
    assert [p.name for p in out.iterdir() if ".tmp-" in p.name], "the kill left no temporary"
    # file saves: 1 config.json, 2 the step-0 checkpoint, 3–7 steps 1–5; the 8th, of step
    # 6, is killed after writing its temporary: the last good checkpoint holds step 5
    assert _resume_and_compare(out, reference) == 5
    print("kill -9 tries (exit status, temporaries left, step resumed from):", report)
