"""The benchmark harness itself (benchmarks/harness.py), not tinygan's speed: one fresh
process per contender, repeats interleaved A B C A B C …, and two identical contenders
measured alike. Tiny workloads, one thread each, a few seconds in all."""
import importlib.util
import os
import statistics
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SPEC = importlib.util.spec_from_file_location("harness", BENCHMARKS / "harness.py")
harness = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(harness)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the harness reads memory from /proc (Linux)")

# 16 products of 64 × 64 float32 matrices: ~8 MFLOP, well under a millisecond per step.
TINY = [[64, 64, 64]] * 16
REPEATS = 9


def floor(name):
    return harness.Contender(name, "contenders", "gemm_floor", {"shapes": TINY}, ("numpy",))


@pytest.fixture(scope="module")
def group():
    # threads=1: on a loaded 2-core machine two BLAS threads wait on each other and make the
    # spread needlessly wide; unthrottle=False: tests never touch OpenBLAS's settings.
    return harness.run_group([floor("A"), floor("B"), floor("C")], repeats=REPEATS,
                             threads=1, target_seconds=0.03, settle=0.0)


def test_one_fresh_process_per_contender(group):
    pids = {name: report["pid"] for name, report in group["contenders"].items()}
    assert all(report["status"] == "ok" for report in group["contenders"].values())
    assert len(set(pids.values())) == 3, pids
    assert os.getpid() not in pids.values()
    # every timed repeat came from the process that reported for that contender
    assert all(turn["pid"] == pids[turn["name"]] for turn in group["order"])


def test_every_worker_gets_the_same_thread_settings(group):
    for report in group["contenders"].values():
        env = report["threads"]["env"]
        assert [env[name] for name in harness.THREAD_VARIABLES] == ["1", "1", "1"]


def test_repeats_are_interleaved(group):
    names = [turn["name"] for turn in group["order"]]
    assert names == ["A", "B", "C"] * REPEATS
    # and one at a time: each turn starts after the previous one ended (one monotonic clock)
    for before, after in zip(group["order"], group["order"][1:]):
        assert after["start"] >= before["end"]


def test_identical_contenders_measure_alike(group):
    # Identical work in identical processes: the medians of 9 repeats agree within a factor
    # of 2 even when other jobs share the cores (a single preempted repeat moves a median of
    # 9 by at most one rank; a factor of 2 leaves room for a steadily busier minute).
    medians = [statistics.median(group["contenders"][n]["times"]) for n in ("A", "B", "C")]
    assert max(medians) < 2 * min(medians), medians


def test_unavailable_and_failing_contenders_are_reported_not_raised(tmp_path):
    module = tmp_path / "fake_contenders.py"
    module.write_text(
        "from harness import Unavailable\n"
        "def missing():\n    raise Unavailable('tinygan.grad missing')\n"
        "def broken():\n    raise ValueError('bad shapes')\n"
        "def dies_later():\n"
        "    calls = []\n"
        "    def step():\n"
        "        calls.append(1)\n"
        "        if len(calls) > 3:\n"
        "            raise SystemExit(3)\n"
        "    return step\n")
    contenders = [harness.Contender(name, str(module), name) for name in
                  ("missing", "broken", "dies_later")] + [floor("floor")]
    result = harness.run_group(contenders, repeats=2, iterations=1, warmup=1, threads=1,
                               settle=0.0)
    reports = result["contenders"]
    assert reports["missing"]["status"] == "unavailable"
    assert reports["missing"]["reason"] == "tinygan.grad missing"
    assert reports["broken"]["status"] == "failed"
    assert "ValueError: bad shapes" in reports["broken"]["reason"]
    assert reports["dies_later"]["status"] == "failed"      # step 1 at start, 2 warm-up, then dies
    assert reports["floor"]["status"] == "ok" and len(reports["floor"]["times"]) == 2


def test_every_worker_keeps_freed_memory_as_the_trainer_does():
    """The workers' glibc settings (environment variables, for every contender alike) are
    the two that ``backend.retain_freed_memory`` sets through ``mallopt`` in training."""
    from tinygan import backend
    env = harness.worker_environment(1, unthrottle=False)
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(backend.KEPT_MMAP_THRESHOLD)
    assert env["MALLOC_TRIM_THRESHOLD_"] == str(backend.KEPT_TRIM_THRESHOLD)
