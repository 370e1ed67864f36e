"""Nothing lost, no tracebacks: each case of issue 11 as the user meets it, through the
command in a subprocess (exit status, one line on stderr, files before and after), plus
the library-level refusals behind them."""
import hashlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygan as tg
from tinygan import data, gan, theory

from idx_files import write_idx as _write_idx

TOY = ["--dataset", "ring", "--steps", "6", "--batch-size", "32", "--quiet"]


def tinygan(*args, cwd=None, env=None):
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "tinygan", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=environment, timeout=300)


def snapshot(folder):
    """sha256 of every file under ``folder`` (relative path -> digest)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def refused(result, message):
    """Exit 2, one line on stderr holding ``message``, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A finished tiny ring run (6 steps), shared read-only by the tests below."""
    folder = tmp_path_factory.mktemp("trained") / "R"
    result = tinygan("train", *TOY, "--out", folder)
    assert result.returncode == 0, result.stderr
    return folder


# ----- validate first, act second --------------------------------------------------------
@pytest.mark.parametrize("bad", [["--batch-size", "0"], ["--lr-g", "0"], ["--seed", "-1"],
                                 ["--lr-d", "-1"], ["--lr-d", "nan"], ["--checkpoint-every", "0"]])
def test_force_with_a_bad_option_leaves_the_old_run_intact(run_folder, tmp_path, bad):
    before = snapshot(run_folder)
    result = tinygan("train", *TOY, "--out", run_folder, "--force", *bad)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(run_folder) == before


def test_force_with_missing_data_leaves_the_old_run_intact(run_folder):
    before = snapshot(run_folder)
    refused(tinygan("train", "--dataset", "mnist", "--out", run_folder, "--force",
                    "--data-dir", "no-such-folder"), "does not exist")
    assert snapshot(run_folder) == before


def test_failed_validation_leaves_no_empty_folder(tmp_path):
    refused(tinygan("train", *TOY, "--out", tmp_path / "new" / "run", "--lr-d", "-1"),
            "learning rate lr_d must be a finite number > 0, got -1.0")
    assert not (tmp_path / "new").exists()


def test_force_replaces_a_run_after_validating(run_folder, tmp_path):
    copy = tmp_path / "R"
    copy.mkdir()
    for name, _ in snapshot(run_folder).items():
        (copy / name).write_bytes((run_folder / name).read_bytes())
    (copy / "notes.txt").write_text("mine")
    result = tinygan("train", *TOY, "--out", copy, "--force", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert json.loads((copy / "config.json").read_text())["seed"] == 3
    assert (copy / "notes.txt").read_text() == "mine"                 # not a run file
    assert sorted(p.name for p in copy.iterdir() if p.name.startswith(".")) == []


def test_force_replaces_only_a_run_tinygan_wrote(run_folder, tmp_path):
    """--force is refused, in one line and with every file as it was, where the folder's
    run files are not a run's: a user's samples.png with no config.json, or a run whose
    samples.png is a folder (the swap would have stopped halfway, the old run half gone)."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "samples.png").write_text("my picture")
    refused(tinygan("train", *TOY, "--out", mine, "--force"), "no config.json: not a tinygan run")
    assert (mine / "samples.png").read_text() == "my picture"
    copy = tmp_path / "R"
    copy.mkdir()
    for name in snapshot(run_folder):
        (copy / name).write_bytes((run_folder / name).read_bytes())
    (copy / "samples.png").unlink()
    (copy / "samples.png").mkdir()
    (copy / "samples.png" / "inside").write_text("kept")
    before = snapshot(copy)
    refused(tinygan("train", *TOY, "--out", copy, "--force"), "is not a plain file")
    assert snapshot(copy) == before


def _run_copy(run_folder, folder):
    folder.mkdir()
    for name in snapshot(run_folder):
        (folder / name).write_bytes((run_folder / name).read_bytes())
    return folder


@pytest.mark.parametrize("error, status, message", [
    (OSError(28, "No space left on device"), 2, "No space left on device"),
    (KeyboardInterrupt(), 130, "interrupted")])
def test_a_force_swap_that_fails_puts_the_old_run_back(run_folder, tmp_path, monkeypatch,
                                                       capsys, error, status, message):
    """--force moves the old run aside before the new files go in; where a move fails (the
    disk, a permission) or a signal comes in between, the old run's files go back, each as
    it was."""
    from tinygan.cli import main
    copy = _run_copy(run_folder, tmp_path / "R")
    before, replace = snapshot(copy), os.replace

    def failing(source, target):
        staged = Path(source).parent.name.startswith(".new-run")      # the new file going in
        if staged and Path(target) == copy / "checkpoint.npz":
            raise error
        return replace(source, target)
    monkeypatch.setattr(os, "replace", failing)
    assert main(["train", *TOY, "--out", str(copy), "--force", "--seed", "3"]) == status
    assert message in capsys.readouterr().err
    assert snapshot(copy) == before


def test_old_run_files_that_cannot_go_back_are_kept_where_the_message_says(
        run_folder, tmp_path, monkeypatch, capsys):
    """If a file of the old run cannot be moved back either, the rest go back and it is
    kept in a folder beside the run (not the staging folder, which the next save clears),
    named in the one line; a later --force leaves that folder alone."""
    from tinygan.cli import main
    copy = _run_copy(run_folder, tmp_path / "R")
    before, replace = snapshot(copy), os.replace

    def failing(source, target):
        staged = Path(source).parent.name.startswith(".new-run")
        if (staged and Path(target) == copy / "checkpoint.npz") or (
                Path(source).parent.name == "old" and Path(target).name == "samples.npy"):
            raise OSError(5, "Input/output error", str(target))
        return replace(source, target)
    monkeypatch.setattr(os, "replace", failing)
    assert main(["train", *TOY, "--out", str(copy), "--force", "--seed", "3"]) == 2
    err = capsys.readouterr().err
    [kept] = [p for p in copy.iterdir() if p.name.startswith("old-run-")]
    assert f"the old run's files are in {kept}" in err
    assert {name: digest for name, digest in snapshot(copy).items() if "/" not in name} == {
        name: digest for name, digest in before.items() if name != "samples.npy"}
    assert (kept / "samples.npy").read_bytes() == (run_folder / "samples.npy").read_bytes()
    monkeypatch.undo()
    assert main(["train", *TOY, "--out", str(copy), "--force", "--seed", "3"]) == 0
    assert (kept / "samples.npy").read_bytes() == (run_folder / "samples.npy").read_bytes()


def test_evaluate_never_overwrites_what_it_did_not_write(run_folder, tmp_path):
    before = snapshot(run_folder)
    for name in ("checkpoint.npz", "config.json", "metrics.json", "samples.npy"):
        refused(tinygan("evaluate", "--checkpoint", run_folder / "checkpoint.npz",
                        "--out", run_folder / name), "was not written by `tinygan evaluate`")
    refused(tinygan("evaluate", "--checkpoint", run_folder / "checkpoint.npz", "--out",
                    run_folder), "is a folder")
    assert snapshot(run_folder) == before
    out = tmp_path / "e.json"
    for _ in range(2):                                   # its own file it may rewrite
        result = tinygan("evaluate", "--checkpoint", run_folder / "checkpoint.npz", "--out", out)
        assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    assert written["kind"] == "tinygan-evaluation" and written["data_source"]["name"] == "ring"


@pytest.mark.parametrize("args, message", [
    (["sample", "--checkpoint", "R", "--out", "x.npy"], "is a folder, not a checkpoint file"),
    (["sample", "--checkpoint", "R/checkpoint.npz", "--out", "file/x.npy"], "is a file"),
    (["sample", "--checkpoint", "R/checkpoint.npz", "--out", "x.npy", "--seed", "-1"],
     "seed must be an integer in [0, 2**63 − 1], got -1"),
    (["sample", "--checkpoint", "R/checkpoint.npz", "--out", "x.npy", "--n", "100000000000"],
     "needs 1.49e+03 GiB of memory"),
    (["train", "--dataset", "ring", "--out", "new", "--noise-dim", "99999999999999"],
     "--batch-size 256 with layers up to 99,999,999,999,999 wide needs"),
    (["train", "--dataset", "ring", "--out", "new", "--data-dir", "R"],
     "--data-dir holds full MNIST files; ring is generated, not read from a folder"),
    (["sample", "--checkpoint", "R/checkpoint.npz", "--out", "x.npy", "--data-dir", "R"],
     "ring is generated, not read from a folder"),
    (["evaluate", "--checkpoint", "R/checkpoint.npz", "--out", "e.json", "--data-dir", "R"],
     "ring is generated, not read from a folder"),
    (["train", "--dataset", "mnist-5k", "--out", "new", "--data-dir", "R"],
     "mnist-5k is the embedded sample, not read from a folder (full MNIST is --dataset mnist)"),
    (["train", "--dataset", "ring", "--out", "new", "--noise-sigma", "0.3"],
     "--noise-sigma is the mixture prior's (--noise mixture): this run would ignore it; leave "
     "it out"),
    (["train", "--dataset", "ring", "--out", "new", "--optimizer", "sgd", "--beta1", "0.9",
      "--beta2", "0.9"], "--beta1 is Adam's (--optimizer adam); --beta2 is Adam's (--optimizer "
                         "adam): this run would ignore them; leave them out"),
    (["train", "--dataset", "ring", "--out", "file/run"], "lies under"),
    (["train", "--dataset", "ring", "--out", "file"], "is a file, not a folder"),
    (["train", "--dataset", "ring", "--out", "R", "--resume", "--force"], "choose one"),
])
def test_paths_and_values_are_refused_in_one_line(run_folder, tmp_path, args, message):
    (tmp_path / "R").symlink_to(run_folder)
    (tmp_path / "file").write_text("a file")
    before = snapshot(tmp_path)
    refused(tinygan(*args, cwd=tmp_path), message)
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        refused(tinygan("train", *TOY, "--out", locked / "run"), "no permission to write")
    finally:
        locked.chmod(0o700)


def test_read_only_folder_in_process(tmp_path, monkeypatch, capsys):
    """The same refusal where the suite runs as root (os.access then always says yes)."""
    from tinygan.cli import main
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert main(["train", *TOY, "--out", str(tmp_path / "run")]) == 2
    assert "no permission to write" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_an_unexpected_error_is_called_a_bug(monkeypatch, capsys):
    from tinygan.cli import info, main
    monkeypatch.setattr(info, "run", lambda args: 1 / 0)
    monkeypatch.setattr(info, "add_parser", lambda verbs: verbs.add_parser("info").set_defaults(
        run=lambda args: 1 / 0))
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "this is a bug in tinygan" in err.strip().splitlines()[-1]


# ----- resume ---------------------------------------------------------------------------
def test_resume_refuses_contradicting_options_naming_each(run_folder):
    before = snapshot(run_folder)
    result = tinygan("train", "--dataset", "ring", "--out", run_folder, "--resume", "--seed", "7",
                     "--lr-d", "0.5", "--loss", "minimax", "--feature-matching")
    refused(result, "--loss minimax (the run has non_saturating); --seed 7 (the run has 0); "
                    "--lr-d 0.5 (the run has 0.002); "    # the ring preset's Adam rate
                    "--feature-matching (the run has it off)")
    refused(tinygan("train", "--dataset", "ring", "--out", run_folder, "--resume", "--steps", "3"),
            "--steps 3 would shorten the run, which is configured for 6 steps")
    refused(tinygan("train", "--dataset", "grid", "--out", run_folder, "--resume"),
            f"{run_folder} holds a ring run, not grid")
    # --dataset may be left out only with --resume, which then reads it from --out
    refused(tinygan("train", "--steps", "9"), "--dataset is required: one of ")
    refused(tinygan("train", "--resume"), "--resume without --dataset needs --out")
    refused(tinygan("train", "--out", run_folder.parent / "elsewhere", "--resume"),
            "nothing to resume: ")
    assert snapshot(run_folder) == before and not (run_folder.parent / "elsewhere").exists()


def test_resume_keeps_saved_values_and_may_only_extend(run_folder, tmp_path):
    copy = tmp_path / "R"
    copy.mkdir()
    for name in snapshot(run_folder):
        (copy / name).write_bytes((run_folder / name).read_bytes())
    # typed values equal to the saved ones are no contradiction; left-out ones keep theirs
    result = tinygan("train", "--dataset", "ring", "--out", copy, "--resume", "--steps", "9",
                     "--batch-size", "32", "--checkpoint-every", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    config = json.loads((copy / "config.json").read_text())
    assert (config["steps"], config["batch_size"], config["checkpoint_every"]) == (9, 32, 2)
    assert tg.load(copy / "checkpoint.npz")["step"] == 9


def test_wrong_typed_and_crafted_config_json(run_folder, tmp_path):
    copy = tmp_path / "R"
    copy.mkdir()
    for name in snapshot(run_folder):
        (copy / name).write_bytes((run_folder / name).read_bytes())
    config = json.loads((copy / "config.json").read_text())
    for bad, message in [({**config, "steps": "ten"}, "steps must be an integer, got 'ten'"),
                         ({**config, "lr_d": None}, "lr_d must be a number, got None"),
                         ({**config, "evil": 1}, "unknown configuration fields ['evil']"),
                         ([1, 2], "a configuration is a JSON object")]:
        (copy / "config.json").write_text(json.dumps(bad))
        before = snapshot(copy)
        refused(tinygan("train", "--dataset", "ring", "--out", copy, "--resume"), message)
        assert snapshot(copy) == before
    (copy / "config.json").write_text("{not json")
    refused(tinygan("train", "--dataset", "ring", "--out", copy, "--resume"),
            "is not a valid tinygan configuration")


# ----- checkpoints ----------------------------------------------------------------------
def _replace_member(source, target, member, payload):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as out:
        for info in original.infolist():
            out.writestr(info, payload if info.filename == member else original.read(info))


def test_a_checkpoint_declaring_a_745_gib_array_is_refused_before_allocating(tmp_path):
    path = tg.save({"w": np.ones(3)}, tmp_path / "c.npz")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (100_000_000_000,)})
    _replace_member(path, tmp_path / "big.npz", "w.npy", header.getvalue() + bytes(16))
    with pytest.raises(tg.CheckpointError, match="declares an array of 745 GiB"):
        tg.load(tmp_path / "big.npz")
    refused(tinygan("sample", "--checkpoint", tmp_path / "big.npz", "--out", tmp_path / "x.npy"),
            "declares an array of 745 GiB")


@pytest.mark.parametrize("meta, message", [
    ({"format": "tinygan-checkpoint-1", "state": {"w": {"__array__": "missing"}}},
     "names arrays it does not hold"),
    ({"format": "tinygan-checkpoint-1", "state": 5}, "holds no state"),
    (["not", "a", "dict"], "checkpoint format None"),
])
def test_crafted_metadata_is_refused(tmp_path, meta, message):
    path = tg.save({"w": np.ones(3)}, tmp_path / "c.npz")
    encoded = io.BytesIO()
    np.save(encoded, np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    _replace_member(path, tmp_path / "m.npz", "__tinygan__.npy", encoded.getvalue())
    with pytest.raises(tg.CheckpointError, match=message):
        tg.load(tmp_path / "m.npz")


def test_crafted_run_state_is_refused_in_one_line(tmp_path):
    state = gan.build("ring", steps=0, g_hidden=8, d_hidden=8).trainer.state_dict()
    for damage in ({"config": {**state["config"], "k": "three"}},
                   {"generator": {"net.0.weight": [1, 2]}},
                   {"g_optimizer": {"param_groups": [], "state": {}}},
                   {"history": None}):
        tg.save({**state, **damage}, tmp_path / "c.npz")
        result = tinygan("sample", "--checkpoint", tmp_path / "c.npz", "--out", tmp_path / "x.npy")
        assert result.returncode == 2 and "Traceback" not in result.stderr, (damage, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1


def test_non_finite_weights_and_a_negative_step_are_refused_in_one_line(tmp_path):
    """Training never saves NaN or inf weights or a step below 0 (divergence keeps the
    last good checkpoint), so a checkpoint holding them is damaged: sample, evaluate and a
    resume refuse it in one line, naming the array, and the resumed run's config.json is
    left as it was."""
    trainer = gan.build("ring", steps=2, g_hidden=8, d_hidden=8, batch_size=32).trainer
    trainer.fit()
    state = trainer.state_dict()
    poisoned = {name: np.full_like(value, np.nan) if name == "net.0.weight" else value
                for name, value in state["generator"].items()}
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(state["config"]))
    for damage, message in (({"generator": poisoned}, "generator parameter net.0.weight holds NaN"),
                            ({"step": -5}, "the checkpoint's step is -5")):
        tg.save({**state, **damage}, run / "checkpoint.npz")
        before = snapshot(run)
        refused(tinygan("sample", "--checkpoint", run / "checkpoint.npz", "--out",
                        tmp_path / "x.npy"), message)
        refused(tinygan("evaluate", "--checkpoint", run / "checkpoint.npz", "--out",
                        tmp_path / "e.json"), message)
        refused(tinygan("train", "--out", run, "--resume", "--steps", "4", "--quiet"), message)
        assert snapshot(run) == before and not (tmp_path / "x.npy").exists()


def test_samples_that_overflow_are_refused_before_anything_is_written(run_folder, tmp_path):
    """A noise scale so large that z overflows float32 makes NaN or inf samples: sample,
    its --interpolate strip and evaluate refuse them in one line and write nothing, not
    even the folders --out names (the distance's matrix square root of NaN features would
    never have returned)."""
    checkpoint = run_folder / "checkpoint.npz"
    message = "the generator's samples hold NaN or inf: a noise scale of 1e+40"
    refused(tinygan("sample", "--checkpoint", checkpoint, "--noise-scale", "1e40", "--out",
                    tmp_path / "a" / "s.npy"), message)
    refused(tinygan("evaluate", "--checkpoint", checkpoint, "--noise-scale", "1e40", "--out",
                    tmp_path / "b" / "e.json"), message)
    assert list(tmp_path.iterdir()) == []


def test_kill_9_leftovers_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "c.npz"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    leftover = tmp_path / f".c.npz.tmp-{dead}-abc123"
    leftover.write_bytes(b"half a checkpoint")
    alive = tmp_path / f".c.npz.tmp-{os.getpid()}-def456"        # a save in progress
    alive.write_bytes(b"")
    folder = tmp_path / f".c.npz.tmp-{dead}-ghi789"               # e.g. a --force staging folder
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    tg.save({"w": np.ones(2)}, path)
    assert not leftover.exists() and not folder.exists() and alive.exists()


# ----- signals --------------------------------------------------------------------------
@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_saves_the_checkpoint_and_exits_128_plus_its_number(tmp_path, signum, status):
    out = tmp_path / "my run"                               # the hint quotes it for a shell
    process = subprocess.Popen(
        [sys.executable, "-m", "tinygan", "train", "--dataset", "ring", "--steps", "100000",
         "--batch-size", "32", "--checkpoint-every", "100000", "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.npz").exists() and time.monotonic() < deadline:
        time.sleep(0.05)                                     # the step-0 save: fit has begun
    time.sleep(0.5)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr and "interrupted at step" in stderr
    step = int(stderr.split("interrupted at step ")[1].split(";")[0])
    assert f"Continue with: tinygan train --out '{out}' --resume" in stderr
    assert step > 0 and tg.load(out / "checkpoint.npz")["step"] == step


# ----- divergence -----------------------------------------------------------------------
def test_divergence_stops_naming_step_and_quantity_and_keeps_a_finite_checkpoint(tmp_path):
    out = tmp_path / "run"
    result = tinygan("train", "--dataset", "ring", "--steps", "200", "--batch-size", "64",
                     "--lr-d", "1e6", "--checkpoint-every", "20", "--out", out, "--quiet")
    refused(result, "training diverged: the ")
    assert "at step" in result.stderr and "RuntimeWarning" not in result.stderr
    state = tg.load(out / "checkpoint.npz")
    arrays = [v for part in ("generator", "discriminator") for v in state[part].values()]
    arrays += [v for part in ("g_optimizer", "d_optimizer")
               for entry in state[part]["state"].values() for v in entry.values()
               if hasattr(v, "shape")]
    assert all(np.isfinite(a).all() for a in arrays)
    assert f"(step {state['step']})" in result.stderr
    assert result.stderr.strip().endswith("Try a lower learning rate or label smoothing.")
    assert not (out / "metrics.json").exists()        # (already non-saturating: not advised)


def test_an_infinite_optimizer_state_is_caught(tmp_path):
    def poison(trainer):                  # just before the check of the step-5 checkpoint
        if trainer.step == 5:
            entry = next(iter(trainer.d_optimizer.state.values()))
            entry[next(k for k, v in entry.items() if hasattr(v, "shape"))][...] = np.inf
    trainer = gan.build("ring", steps=20, checkpoint_every=5, callbacks=[poison],
                        checkpoint_path=tmp_path / "c.npz", g_hidden=8, d_hidden=8,
                        batch_size=32).trainer
    with pytest.raises(gan.TrainingDiverged, match=r"discriminator optimizer's \w+ of parameter "
                                                   r"\d+ holds NaN or inf at step 4"):
        trainer.fit()
    assert tg.load(tmp_path / "c.npz")["step"] == 0


# ----- provenance -----------------------------------------------------------------------
def test_every_checkpoint_and_metrics_file_records_its_data(run_folder):
    source = tg.load(run_folder / "checkpoint.npz")["data_source"]
    assert source == data.ring().provenance()
    assert source["origin"].startswith("tinygan.data.ring(") and len(source["sha256"]) == 64
    assert json.loads((run_folder / "metrics.json").read_text())["data_source"] == source


def test_evaluation_refuses_other_data_unless_forced(tmp_path):
    small = {"g_hidden": 8, "d_hidden": 8, "batch_size": 10, "model": "mlp", "noise_dim": 4,
             "eval_samples": 20}
    experiment = gan.build("mnist", data_dir=_write_idx(tmp_path / "a"), steps=0, **small)
    experiment.trainer.save_checkpoint(tmp_path / "c.npz")
    _write_idx(tmp_path / "b", n_train=31)
    other = tinygan("evaluate", "--checkpoint", tmp_path / "c.npz", "--data-dir", tmp_path / "b",
                    "--out", tmp_path / "e.json")
    refused(other, "the checkpoint was trained on IDX files in")
    assert "not on IDX files in" in other.stderr and "--force" in other.stderr
    forced = tinygan("evaluate", "--checkpoint", tmp_path / "c.npz", "--data-dir", tmp_path / "b",
                     "--out", tmp_path / "e.json", "--force")
    assert forced.returncode == 0 and "evaluating anyway" in forced.stdout, forced.stderr
    written = json.loads((tmp_path / "e.json").read_text())
    assert written["data_source_trained_on"]["path"] == str((tmp_path / "a").resolve())
    assert written["data_source"]["path"] == str((tmp_path / "b").resolve())


def test_idx_labels_outside_0_to_9_are_refused_before_training(tmp_path):
    folder = _write_idx(tmp_path / "idx", labels=[3, 12])
    with pytest.raises(data.DataError, match="train-labels-idx1-ubyte holds label 12 at item 1"):
        data.load_idx_mnist(folder)
    refused(tinygan("train", "--dataset", "mnist", "--data-dir", folder, "--steps", "1",
                    "--out", tmp_path / "run"), "holds label 12 at item 1; MNIST labels are 0–9")
    assert not (tmp_path / "run").exists()


def test_batch_larger_than_the_data(tmp_path):
    refused(tinygan("train", "--dataset", "mnist", "--data-dir", _write_idx(tmp_path / "idx"),
                    "--batch-size", "100", "--steps", "1", "--out", tmp_path / "run"),
            "batch size 100 is larger than the 29 training images")
    assert not (tmp_path / "run").exists()


# ----- theory ---------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: theory.kl([.5, .5], [math.nan, 1]), r"q holds NaN or inf \(first at index \(0,\)\)"),
    (lambda: theory.entropy([math.nan, 1]), "p holds NaN or inf"),
    (lambda: theory.jsd([math.inf, 0], [.5, .5]), "p holds NaN or inf"),
    (lambda: theory.kl([.5, .6], [.5, .5]), "p does not sum to 1"),
    (lambda: theory.jsd_densities([1, 1, 1], [0, 3, 0], [0, 0.5, 1]),
     "q does not integrate to 1 over the grid"),
    (lambda: theory.jsd_densities([1, 1, 1], [1, 1, 1], [0, 1, 0.5]),
     "grid must be strictly increasing; it goes from 1.0 to 0.5 at index 2"),
    (lambda: theory.kl_densities([.5, .5], [.5, .5], np.array([[0, 1]])), "grid must be a 1-D array"),
    (lambda: theory.generator_criterion([.5, .5], [.2, .2]), "p_g does not sum to 1"),
    (lambda: theory.value_function([1.5, .5], [.5, .5], [.5, .5]), "d must lie in [0, 1]"),
    (lambda: theory.optimal_discriminator([-1, 1], [1, 1]), "p_data has negative entries"),
    (lambda: theory.binary_objective_argmax(math.nan, 1), "need finite a, b ≥ 0"),
    (lambda: theory.jsd([.5, .5], [.5, .5], base=math.nan), "base must be a finite number"),
    (lambda: theory.histogram_jsd([1.0, math.inf], [0.0, 1.0]), "samples_p holds NaN or inf"),
])
def test_theory_refuses_nan_non_distributions_and_bad_grids(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")
                       if "\\" not in message else message):
        call()
