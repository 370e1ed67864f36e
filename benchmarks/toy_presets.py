"""The default ``ring`` and ``grid`` presets against issue 14's goals: every seed, each at
its final step, with 1 and with 2 BLAS threads, each run ``tinygan train`` in its own process.

    python benchmarks/toy_presets.py                        # ring and grid, seeds 0-4, 1 and 2 threads
    python benchmarks/toy_presets.py --datasets ring --seeds 0 1 --threads 1
    python benchmarks/toy_presets.py --table benchmarks/results/presets-T.json

Goals: ``tinygan.metrics.COVERAGE_GOALS`` (ring 8/8 modes, every mode ≥ 6% of all samples,
≥ 90% HQ; grid 25/25, every mode ≥ 2%, ≥ 80% HQ), each run ≤ 90 s of training on 2 cores.
The load average before and after each run is recorded beside its time: on a shared
machine the time says as much about the neighbours as about tinygan; the CPU seconds of the
whole command (training, evaluation, figures) say what the run costs whatever the load. Writes
benchmarks/results/presets-<time>.json.
"""
import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from tinygan.metrics import COVERAGE_GOALS, coverage_shortfalls

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 90


def run(dataset, seed, threads):
    """One ``tinygan train`` with the preset; its metrics, times and the load around it."""
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as folder:
        load_before, used = os.getloadavg()[0], resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "tinygan", "train", "--dataset", dataset, "--seed",
                        str(seed), "--out", str(Path(folder) / "run"), "--quiet"],
                       env=environment, check=True, capture_output=True, text=True)
        metrics = json.loads((Path(folder) / "run" / "metrics.json").read_text())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    return dict(dataset=dataset, seed=seed, threads=threads, modes=metrics["modes"],
                modes_captured=metrics["modes_captured"], high_quality=metrics["high_quality"],
                min_share=metrics["min_mode_share_of_all"], jsd=metrics["jsd"],
                training_seconds=metrics["training_seconds"], wall_seconds=metrics["wall_seconds"],
                cpu_seconds=cpu, load_before=load_before, load_after=os.getloadavg()[0])


def meets(row):
    result = dict(row, min_mode_share_of_all=row["min_share"])
    return not coverage_shortfalls(result, row["dataset"])


def table(rows):
    lines = ["| data | seed | BLAS threads | modes | smallest mode share | HQ | JSD | training s "
             "| CPU s (whole command) | load (before/after) | goals |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cpu = f"{r['cpu_seconds']:.0f}" if "cpu_seconds" in r else "–"
        lines.append(f"| {r['dataset']} | {r['seed']} | {r['threads']} | {r['modes_captured']}/{r['modes']} "
                     f"| {100 * r['min_share']:.1f}% | {100 * r['high_quality']:.1f}% | {r['jsd']:.3f} "
                     f"| {r['training_seconds']:.0f} | {cpu} | {r['load_before']:.1f}/{r['load_after']:.1f} "
                     f"| {'met' if meets(r) else 'MISSED'} |")
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        runs = [r for r in rows if r["dataset"] == dataset]
        lines.append(f"\n{dataset}, worst over {len(runs)} runs: modes {min(r['modes_captured'] for r in runs)}"
                     f"/{runs[0]['modes']}, smallest share {100 * min(r['min_share'] for r in runs):.1f}%, "
                     f"HQ {100 * min(r['high_quality'] for r in runs):.1f}%, slowest "
                     f"{max(r['training_seconds'] for r in runs):.0f} s of training; goals met by "
                     f"{sum(map(meets, runs))}/{len(runs)}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(COVERAGE_GOALS),
                        choices=list(COVERAGE_GOALS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--table", type=Path, help="only print the table of a saved results file")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text())["rows"]))
        return
    rows = []
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    for dataset in args.datasets:
        for threads in args.threads:
            for seed in args.seeds:
                rows.append(run(dataset, seed, threads))
                print(table(rows[-1:]).splitlines()[2], flush=True)
                (results / f"presets-{stamp}.json").write_text(
                    json.dumps(dict(datasets=args.datasets, seeds=args.seeds, threads=args.threads,
                                    cpus=os.cpu_count(), rows=rows), indent=1))
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
