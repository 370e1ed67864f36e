"""A benchmark harness a skeptic accepts: every contender in its own fresh process.

    parent                     worker A          worker B          worker C
    start A, B, C  ─────────►  build, warm up    build, warm up    build, warm up
    repeat r = 1..R:
        "run n" to A ────────► n steps, timed
        "run n" to B ─────────────────────────►  n steps, timed
        "run n" to C ───────────────────────────────────────────►  n steps, timed

Only one worker computes at a time (the others block on their pipe), so contenders never
share the cores, and repeats are interleaved A B C A B C … so a noisy minute on a shared
machine hits all of them alike. Every worker gets the same thread settings
(OMP/OPENBLAS/MKL_NUM_THREADS in its environment, ``torch.set_num_threads`` when it loaded
PyTorch) and reports what it actually got (threadpoolctl), and the same allocator settings
(glibc keeps freed memory, as tinygan's trainer has it). Warm-up steps are not timed.
Each worker reports its PID, its per-repeat times, and its peak memory (``ru_maxrss``),
with the peak right after its imports and right after its setup, so the last difference
is what the steps themselves add (activations, gradients, optimizer state, temporaries).

A contender is ``Contender(name, module, function, kwargs, imports)``: the worker imports
``imports`` first (the memory baseline), then calls ``module.function(**kwargs)``, which
returns the step to time, or ``(step, synchronize)`` for a GPU, or raises
:class:`Unavailable` (reported as "not available (reason)"). ``module`` is a module name
found next to this file (``contenders``) or a path to a ``.py`` file.

This file uses only the standard library; the worker side runs as ``python harness.py --worker``.
"""
import importlib
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# OpenBLAS may be throttled by these on shared machines (REFERENCE §4). A benchmark measures
# the library, so it may drop them in its own workers; tests and CI never do.
THROTTLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class Unavailable(Exception):
    """Raised by a contender's factory when it cannot run here (no GPU, no PyTorch, an API
    that does not exist yet); the harness reports the reason instead of a time."""


@dataclass
class Contender:
    name: str
    module: str
    function: str
    kwargs: dict = field(default_factory=dict)
    imports: tuple = ()


# ----- the parent side ------------------------------------------------------------------------
# glibc keeps freed memory for reuse, as tinygan's trainer asks it to
# (``backend.retain_freed_memory``: the same two settings through ``mallopt``), so that no
# contender pays page faults for the same temporaries every step.
KEEP_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(64 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}


def worker_environment(threads, unthrottle):
    """The environment every worker gets: the same thread counts, throttles dropped or kept,
    freed memory kept (``KEEP_FREED_MEMORY``)."""
    env = dict(os.environ, **KEEP_FREED_MEMORY)
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    if unthrottle:
        for name in THROTTLES:
            env.pop(name, None)
    return env


class _Worker:
    def __init__(self, contender, threads, unthrottle):
        self.contender = contender
        self.log = tempfile.TemporaryFile(mode="w+")
        request = dict(module=contender.module, function=contender.function,
                       kwargs=contender.kwargs, imports=list(contender.imports),
                       threads=threads)
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "harness.py"), "--worker", json.dumps(request)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=worker_environment(threads, unthrottle), cwd=str(HERE.parent))

    def receive(self):
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.log.seek(0)
            tail = self.log.read().strip().splitlines()[-3:]
            return {"status": "failed", "reason": f"worker exited ({self.process.returncode}): "
                    + " | ".join(tail)}
        return json.loads(line)

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def close(self):
        if self.process.poll() is None:
            try:
                self.send({"command": "quit"})
                report = self.receive()
            except (BrokenPipeError, OSError):
                report = {}
            self.process.wait(timeout=60)
        else:
            report = {}
        self.log.close()
        return report


def probe(contender, threads=None, unthrottle=False):
    """Start ``contender`` in a worker with the benchmark's settings and return what it
    reports when ready (its thread pools, library versions), without timing anything."""
    worker = _Worker(contender, threads or os.cpu_count(), unthrottle)
    report = worker.receive()
    worker.close()
    return report


def _turn(worker, iterations, settle):
    """One contender's turn: wait ``settle`` seconds, then time ``iterations`` steps."""
    time.sleep(settle)
    try:
        worker.send({"command": "run", "iterations": iterations})
    except BrokenPipeError:
        pass                                   # it died; receive() says how
    result = worker.receive()
    result.setdefault("status", "ok")
    return result


def summarize(samples):
    """Median and spread (min–max) of a list of ms-per-iteration samples."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "samples": samples}


def run_group(contenders, repeats=7, iterations=None, warmup=3, threads=None,
              unthrottle=False, target_seconds=0.5, settle=0.1):
    """Time ``contenders`` against each other, each in its own process.

    ``iterations`` per repeat is the same for every contender; left out, it is chosen so
    the slowest contender's repeat lasts about ``target_seconds``, judged from the
    ``warmup`` steps each contender first runs, alone and untimed.
    ``settle`` seconds pass between two contenders' turns, so spinning BLAS/OpenMP threads of
    the one that just ran have gone idle. Returns ``{"order": [...], "iterations": n,
    "contenders": {name: report}}``; a report has ``status`` "ok" (with ``pid``, ``times``,
    ``memory``, ``threads``) or "unavailable"/"failed" with a ``reason``.
    """
    threads = threads or os.cpu_count()
    workers = {c.name: _Worker(c, threads, unthrottle) for c in contenders}
    reports = {name: worker.receive() for name, worker in workers.items()}
    running = {name: workers[name] for name, report in reports.items() if report["status"] == "ok"}
    for name in set(workers) - set(running):
        workers[name].close()
    slowest = 1e-3
    for name, worker in list(running.items()):    # warm-up, one contender at a time, untimed
        result = _turn(worker, warmup, settle)
        if result["status"] == "ok":
            slowest = max(slowest, result["ms"])
        else:
            reports[name] = result
            del running[name]
    if iterations is None:
        iterations = max(1, round(1000 * target_seconds / slowest))
    order = []
    for name in running:
        reports[name]["times"] = []
    for _ in range(repeats):
        for name, worker in list(running.items()):
            result = _turn(worker, iterations, settle)
            if result["status"] != "ok":            # it crashed mid-run: report, go on
                reports[name] = result
                del running[name]
                continue
            order.append({"name": name, "pid": result["pid"], "start": result["start"],
                          "end": result["end"]})
            reports[name]["times"].append(result["ms"])
    for name, worker in running.items():
        reports[name]["memory"] = worker.close()["memory"]
        reports[name].update(summarize(reports[name]["times"]))
    return {"order": order, "iterations": iterations, "repeats": repeats, "contenders": reports}


# ----- the environment --------------------------------------------------------------------
def write_results(record, folder, stem):
    """``record`` as ``folder/<stem>-<time>.json`` (the run's results and environment);
    returns the path."""
    import datetime
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}-{datetime.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(path):
    """The commit of the repository holding ``path``, with "+dirty" for local changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=path,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def machine():
    """What the parent knows without loading any numerical library."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "load_average": os.getloadavg()}


# ----- the worker side --------------------------------------------------------------------
def _load(module):
    if module.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(module).stem, module)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        return loaded
    return importlib.import_module(module)


def _status_mib(field):
    """A memory line of /proc/self/status (Linux), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise OSError(f"no {field} in /proc/self/status")


def _resident_mib():
    try:
        return _status_mib("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_mib():
    """Peak resident memory since the last ``_reset_peak`` (or since the start)."""
    try:
        return _status_mib("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024     # Linux: KiB


def _reset_peak():
    """Forget the peak so far (setup's temporaries), so the next peak is the steps' own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def thread_report(threads):
    """Set PyTorch's threads like everyone else's, then report what each pool really has."""
    report = {"requested": threads, "env": {k: os.environ.get(k) for k in THREAD_VARIABLES + THROTTLES}}
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
        report["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        report["numpy"] = numpy.__version__
        try:
            report["numpy_blas_build"] = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        except (TypeError, KeyError):
            pass
    tinygan = sys.modules.get("tinygan")
    if tinygan is not None:
        report["tinygan"] = tinygan.__version__
    try:
        from threadpoolctl import threadpool_info
        report["pools"] = [{k: pool.get(k) for k in ("internal_api", "version", "num_threads",
                                                      "architecture", "threading_layer")}
                           for pool in threadpool_info()]
    except ImportError:
        report["pools"] = "threadpoolctl not installed"
    return report


def worker(request):
    request = json.loads(request)
    channel = os.fdopen(os.dup(1), "w")        # the protocol; stray prints go to stderr
    os.dup2(2, 1)

    def reply(**message):
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    try:
        for name in request["imports"]:
            importlib.import_module(name)
        baseline = _peak_mib()
        made = getattr(_load(request["module"]), request["function"])(**request["kwargs"])
        step, synchronize = made if isinstance(made, tuple) else (made, None)
        threads = thread_report(request["threads"])
        built = _resident_mib()
        step()                                   # fail here, before the parent counts on it
        _reset_peak()
    except Unavailable as why:
        reply(status="unavailable", reason=str(why), pid=os.getpid())
        return
    except Exception as error:       # noqa: BLE001 - reported to the parent, not raised
        traceback.print_exc()
        reply(status="failed", reason=f"{type(error).__name__}: {error}", pid=os.getpid())
        return
    reply(status="ok", pid=os.getpid(), threads=threads)
    for line in sys.stdin:
        message = json.loads(line)
        if message["command"] == "quit":
            peak = _peak_mib()
            reply(memory={"peak_mib": peak, "after_imports_mib": baseline, "after_setup_mib": built,
                          "steps_mib": peak - built})
            return
        n = message["iterations"]
        start = time.monotonic()
        started = time.perf_counter()
        for _ in range(n):
            step()
        if synchronize:
            synchronize()
        ms = 1000 * (time.perf_counter() - started) / n
        reply(status="ok", pid=os.getpid(), ms=ms, start=start, end=time.monotonic())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        import harness          # this file as a module, so contenders raise the same Unavailable
        harness.worker(sys.argv[2])
    else:
        sys.exit("harness.py is started by gan_step.py (python benchmarks/gan_step.py)")
