"""Property-based tests (Hypothesis): bad inputs generated, not listed.

Example counts (``max_examples``) are fixed and small enough for the fast suite on 2 cores;
``derandomize=True`` makes every run draw the same examples, so a pass or failure is
reproducible on any machine, and no example database is written (``database=None``).
Hypothesis's health checks are off: the workspace fixtures are shared on purpose, and an
end-to-end example is slow by nature."""
import hashlib
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

import tinygan as tg
from tinygan import data, gan, theory

from idx_files import write_idx as _write_idx
from tinygan.cli import build_parser, evaluate, sample, train
from tinygan.cli.common import CommandError
from tinygan.cli.runs import RUN_FILES, experiment_from_checkpoint

LOG2 = math.log(2)
FAST = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck))


# ----- theory ---------------------------------------------------------------------------
def _weights(n):
    return st.lists(st.floats(0, 1e6, allow_nan=False, allow_infinity=False), min_size=n,
                    max_size=n).filter(lambda v: sum(v) > 1e-300)


pairs = st.integers(1, 12).flatmap(lambda n: st.tuples(_weights(n), _weights(n)))


@settings(max_examples=200, **FAST)
@given(pairs)
def test_valid_distributions_satisfy_the_divergence_bounds(pair):
    """KL ≥ 0, 0 ≤ JSD ≤ log 2, JSD symmetric and 0 on equal inputs, 0 ≤ H ≤ log n, each up
    to float64 rounding of a dozen terms (1e-12)."""
    p, q = (np.array(v) / np.sum(v) for v in pair)
    assert theory.kl(p, q) >= -1e-12
    js = theory.jsd(p, q)
    assert -1e-12 <= js <= LOG2 + 1e-12
    assert abs(js - theory.jsd(q, p)) <= 1e-12
    assert abs(theory.jsd(p, p)) <= 1e-12
    assert -1e-12 <= theory.entropy(p) <= math.log(len(p)) + 1e-12


def _spoil(kind, values, position):
    values = list(values)
    position %= len(values)
    if kind == "nan":
        values[position] = math.nan
    elif kind == "inf":
        values[position] = math.inf
    elif kind == "negative":
        values[position] = -abs(values[position]) - 0.1
    else:                                                  # a total away from 1
        values = [2 * v + 0.01 for v in values]
    return values


SPOILED = {"nan": "holds NaN or inf", "inf": "holds NaN or inf", "negative": "negative entries",
           "scaled": "does not sum to 1"}


@settings(max_examples=200, **FAST)
@given(pairs, st.sampled_from(sorted(SPOILED)), st.integers(0, 11), st.booleans(),
       st.sampled_from(["kl", "jsd", "entropy", "generator_criterion"]))
def test_invalid_distributions_are_refused_saying_which(pair, kind, position, spoil_q, name):
    p, q = (list(np.array(v) / np.sum(v)) for v in pair)
    if spoil_q and name != "entropy":
        q = _spoil(kind, q, position)
        who = "p_g" if name == "generator_criterion" else "q"
    else:
        p = _spoil(kind, p, position)
        who = "p_data" if name == "generator_criterion" else "p"
    function = getattr(theory, name)
    with pytest.raises(ValueError) as refusal:
        function(p) if name == "entropy" else function(p, q)
    assert str(refusal.value).startswith(who) and SPOILED[kind] in str(refusal.value)


@settings(max_examples=150, **FAST)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30))
def test_grids_must_increase_strictly(points):
    x = np.array(points)
    density = np.ones_like(x)
    if np.all(np.diff(x) > 0):
        density = density / np.trapezoid(density, x)
        assert abs(theory.jsd_densities(density, density, x)) < 1e-12
    else:
        with pytest.raises(ValueError, match="grid must be strictly increasing"):
            theory.jsd_densities(density, density, x)


@settings(max_examples=100, **FAST)
@given(st.integers(3, 60), st.floats(0.05, 5), st.floats(-3, 3))
def test_densities_on_any_grid_stay_in_bounds_or_are_refused(points, width, shift):
    """On coarse grids the trapezoid integral drifts from 1: the result is refused, or, if
    accepted (within 1e-3 of 1), the JSD stays within its bounds up to that tolerance."""
    x = np.linspace(-4, 4, points)
    p = np.exp(-0.5 * x ** 2) / math.sqrt(2 * math.pi)
    q = np.exp(-0.5 * ((x - shift) / width) ** 2) / (width * math.sqrt(2 * math.pi))
    try:
        js = theory.jsd_densities(p, q, x)
    except ValueError as refusal:
        assert "does not integrate to 1 over the grid" in str(refusal)
    else:
        assert -1e-12 <= js <= LOG2 * (1 + 2e-3)


# ----- the command line, in process ---------------------------------------------------------
def _snapshot(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder a user might run commands in: a finished tiny ring run R, a file F, a
    garbage checkpoint, tiny IDX files."""
    root = tmp_path_factory.mktemp("workspace")
    result = subprocess.run([sys.executable, "-m", "tinygan", "train", "--dataset", "ring",
                             "--steps", "3", "--batch-size", "16", "--out", "R", "--quiet"],
                            cwd=root, capture_output=True, text=True,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    (root / "F").write_text("a file")
    (root / "garbage.npz").write_bytes(b"PK\x03\x04 garbage")
    _write_idx(root / "idx")
    return root


BAD = st.one_of(st.integers(-2 ** 70, 2 ** 70).map(str),
                st.floats(allow_nan=True, allow_infinity=True).map(repr),
                st.sampled_from(["nan", "-inf", "1e400", "0x10", "", "ten", "-0", "-1"]))


def number(valid, small=False):
    """Mostly valid values (7 draws in 8), else anything a user might type. ``small`` keeps
    counts that set the amount of work (steps, k) small enough to run end to end."""
    bad = st.integers(-3, 64).map(str) if small else BAD
    return st.one_of(*[valid] * 7, bad)


INT = number(st.integers(1, 8).map(str))
SMALL_INT = number(st.integers(1, 8).map(str), small=True)
RATE = number(st.floats(1e-5, 1.0).map(repr))
FRACTION = number(st.sampled_from(["0", "0.1", "0.3", "0.49"]))
CHECKPOINT = st.sampled_from(["R/checkpoint.npz"] * 4 + ["R", "F", "garbage.npz", "missing.npz",
                                                         "R/config.json", "."])
FOLDER = st.sampled_from(["new", "new/deeper", "R", "R", "F", "F/sub", "idx", "."])
FILE = st.sampled_from(["x.npy", "x.png", "e.json", "x.txt", "R/config.json", "R/checkpoint.npz",
                        "R", "F", "F/x.npy", "new/x.npy", "."])
DATA = st.sampled_from(["idx", "nowhere", "F", "R"])


def options(small):
    count = SMALL_INT if small else INT
    return {
        "train": {"--dataset": st.sampled_from(["ring", "grid", "gaussian1d", "mixture1d",
                                                "mnist", "mnist-5k", "moons"]),
                  "--steps": count, "--batch-size": INT, "--k": count, "--seed": INT,
                  "--loss": st.sampled_from(["minimax", "non_saturating", "hinge"]),
                  "--label-smoothing": FRACTION, "--lr-g": RATE, "--lr-d": RATE, "--ema": FRACTION,
                  "--pack": INT, "--checkpoint-every": INT, "--out": FOLDER, "--data-dir": DATA,
                  "--feature-matching": st.none(),
                  "--minibatch-kernels": number(st.integers(0, 4).map(str), small=True),
                  "--d-batch-norm": st.sampled_from(["none", "reference", "virtual", "batch"]),
                  "--backend": st.sampled_from(["numpy", "numpy", "cupy", "torch"]),
                  "--resume": st.none(), "--force": st.none()},
        "sample": {"--checkpoint": CHECKPOINT, "--n": INT, "--out": FILE, "--seed": INT,
                   "--force": st.none(), "--data-dir": DATA},
        "evaluate": {"--checkpoint": CHECKPOINT, "--out": FILE, "--data-dir": DATA,
                     "--force": st.none()},
    }


VERBS = {"train": train, "sample": sample, "evaluate": evaluate}


REQUIRED = {"train": ["--dataset"], "sample": ["--checkpoint", "--out"],
            "evaluate": ["--checkpoint"]}


@st.composite
def argument_vectors(draw, small=False):
    """``VERB --option=value ...``: required options present 9 times in 10."""
    table = options(small)
    verb = draw(st.sampled_from(sorted(table)))
    names = draw(st.lists(st.sampled_from(sorted(table[verb])), max_size=5, unique=True))
    if draw(st.integers(0, 9)):
        names = REQUIRED[verb] + [n for n in names if n not in REQUIRED[verb]]
    argv = [verb]
    for name in names:
        value = draw(table[verb][name])
        argv += [name] if value is None else [f"{name}={value}"]
    return argv


@settings(max_examples=250, **FAST)
@given(argument_vectors())
def test_cli_validation_accepts_or_refuses_with_its_own_error(workspace, argv):
    """Parsing plus each verb's ``validate`` (everything before the first write): the
    result is a plan, argparse's own exit 2, or a CommandError, and nothing is written."""
    if "--dataset=mnist" in argv and not any(a.startswith("--data-dir") for a in argv):
        argv.append("--data-dir=idx")                # not the 5k embedded set: speed only
    before = _snapshot(workspace)
    cwd = os.getcwd()
    os.chdir(workspace)
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exit:
            assert exit.code == 2
            event("refused by argparse")
            return
        try:
            VERBS[argv[0]].validate(args)
            event(f"{argv[0]}: accepted")
        except CommandError as error:
            assert "\n" not in str(error)
            event(f"{argv[0]}: refused")
    finally:
        os.chdir(cwd)
        tg.set_backend("numpy")
    assert _snapshot(workspace) == before


@settings(max_examples=24, **FAST)
@given(argument_vectors(small=True), st.integers(0, 3))
@example(["train", "--dataset=ring", "--batch-size=8", "--out=new/deeper"], 2)
@example(["train", "--dataset=gaussian1d", "--out=R", "--force", "--seed=3"], 1)
@example(["train", "--dataset=ring", "--out=R", "--resume", "--steps=5"], 5)
@example(["train", "--dataset=ring", "--out=R", "--resume", "--checkpoint-every=0"], 0)
@example(["sample", "--checkpoint=R/checkpoint.npz", "--out=R/config.json", "--force"], 0)
def test_the_command_end_to_end(workspace, tmp_path_factory, argv, steps):
    """Through ``python -m tinygan`` in a copy of the workspace: exit 0 or 2, never a
    traceback, one line on refusal, and no file that existed before changed, except the
    run folder's own files when --force or --resume was given and the command succeeded,
    and ``sample --force``'s --out."""
    if argv[0] == "train":
        typed = [a for a in argv if a.startswith("--steps")]
        argv = [a for a in argv if not a.startswith("--steps")] + (typed or [f"--steps={steps}"])
        argv.append("--quiet")
        if "--dataset=mnist" in argv:
            argv.append("--data-dir=idx")
    folder = tmp_path_factory.mktemp("e2e") / "w"
    shutil.copytree(workspace, folder, symlinks=True)
    before = _snapshot(folder)
    result = subprocess.run([sys.executable, "-m", "tinygan", *argv], cwd=folder,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode in (0, 2), (argv, result.stderr)
    event(f"{argv[0]}: exit {result.returncode}")
    assert "Traceback" not in result.stderr, (argv, result.stderr)
    if result.returncode == 2:                      # one error line, after argparse's usage
        lines = result.stderr.strip().splitlines()
        assert f"tinygan {argv[0]}: error: " in lines[-1], (argv, result.stderr)
        assert len(lines) == 1 or lines[0].startswith("usage:"), (argv, result.stderr)
    after = _snapshot(folder)
    changed = {name for name in before if after.get(name) != before[name]}
    allowed = set()
    if result.returncode == 0 and ("--force" in argv or "--resume" in argv):
        out = next((a.split("=", 1)[1] for a in argv if a.startswith("--out=")), None)
        if out:
            allowed = {str(Path(out) / name) for name in RUN_FILES} | {out}
    assert changed <= allowed, (argv, changed)


# ----- corrupted files ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoint")
    experiment = gan.build("ring", steps=0, g_hidden=4, d_hidden=4, g_depth=1, d_depth=1)
    return tg.save(experiment.trainer.state_dict(), folder / "c.npz")


edits = st.lists(st.tuples(st.sampled_from(["flip", "truncate", "insert"]), st.integers(0, 2 ** 31),
                           st.integers(1, 255)), min_size=1, max_size=4)


def _corrupt(raw, changes):
    raw = bytearray(raw)
    for kind, position, value in changes:
        position %= max(len(raw), 1)
        if kind == "flip" and raw:
            raw[position] ^= value
        elif kind == "truncate":
            del raw[position:]
        elif kind == "insert":
            raw[position:position] = bytes([value]) * (value % 7 + 1)
    return bytes(raw)


@settings(max_examples=200, **FAST)
@given(edits)
def test_a_corrupted_checkpoint_loads_or_is_refused_in_one_line(small_checkpoint, tmp_path_factory,
                                                                changes):
    """Random byte flips, truncations and insertions: ``tg.load`` returns the saved state
    (a flip the zip format does not check, e.g. a timestamp) or raises CheckpointError;
    rebuilding the run from it either works or raises the command's one-line error."""
    raw = Path(small_checkpoint).read_bytes()
    damaged = _corrupt(raw, changes)
    assume(damaged != raw)
    path = tmp_path_factory.mktemp("damaged") / "c.npz"
    path.write_bytes(damaged)
    try:
        tg.load(path)
        event("loaded")
    except tg.CheckpointError as error:
        assert "\n" not in str(error) and str(path) in str(error)
        event("refused")
    try:
        experiment_from_checkpoint(path)
    except CommandError as error:
        assert "\n" not in str(error)


IDX_STEMS = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte"]


@settings(max_examples=120, **FAST)
@given(st.sampled_from(IDX_STEMS), st.integers(0, 15), st.integers(1, 255),
       st.integers(-40, 40).filter(bool), st.booleans())
def test_corrupted_idx_headers_and_lengths_are_refused_in_one_line(tmp_path_factory, stem, byte,
                                                                   mask, extra, in_header):
    folder = _write_idx(tmp_path_factory.mktemp("idx"))
    path = folder / stem
    raw = bytearray(path.read_bytes())
    header = 8 if "labels" in stem else 16
    if in_header:
        raw[byte % header] ^= mask
    else:
        raw = raw[:extra] if extra < 0 else raw + bytes(extra)
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataError) as refusal:
        data.load_idx_mnist(folder)
    assert "\n" not in str(refusal.value) and stem in str(refusal.value)


@settings(max_examples=40, **FAST)
@given(st.sampled_from(IDX_STEMS), st.integers(0, 2 ** 20), st.integers(1, 255))
def test_a_flipped_pixel_changes_the_recorded_content_hash(tmp_path_factory, stem, position, mask):
    """A flipped image byte is still a valid image: it loads, and the data source the run
    records has another sha256. A flipped label byte may make a label > 9: refused."""
    folder = _write_idx(tmp_path_factory.mktemp("idx"))
    small = dict(model="mlp", g_hidden=4, d_hidden=4, g_depth=1, d_depth=1, noise_dim=2,
                 batch_size=4, steps=0)
    recorded = gan.build("mnist", data_dir=folder, **small).trainer.state_dict()["data_source"]
    path = folder / stem
    raw = bytearray(path.read_bytes())
    header = 8 if "labels" in stem else 16
    raw[header + position % (len(raw) - header)] ^= mask
    path.write_bytes(bytes(raw))
    try:
        changed = gan.build("mnist", data_dir=folder, **small).trainer.state_dict()["data_source"]
    except data.DataError as refusal:
        assert "labels" in stem and "MNIST labels are 0–9" in str(refusal)
    else:
        assert changed["sha256"] != recorded["sha256"]
        assert changed["path"] == recorded["path"]
