"""How fast is one training iteration of the paper's MNIST GAN in tinygan, measured fairly?

    pip install -e ".[bench]"                # or: export PYTHONPATH=/path/to/tinygan
    python benchmarks/gan_step.py            # full run (about 5 minutes on 2 cores)
    python benchmarks/gan_step.py --quick    # fewer repeats, a smaller sweep

Every contender runs in its own fresh process with the same thread settings, repeats are
interleaved across contenders (A B C A B C …), warm-up is not timed, and tables give the
median with the min–max spread (see harness.py). Contenders: tinygan (built from its
presets), a hand-written NumPy iteration with no autograd (reference_numpy.py), the "GEMM
floor" (the iteration's 25 matrix products alone), PyTorch eager on the CPU
(reference_torch.py), the same 25 products through PyTorch's BLAS ("PyTorch GEMM floor"),
and, where a GPU is visible, tinygan on CuPy and PyTorch CUDA.
Cases: the paper's MNIST iteration (k = 1, m = 100, float32, SGD with momentum,
non-saturating G loss) with and without its dropout; the 2-D "ring" preset; a WGAN-GP
critic step on the paper's discriminator (double backward); a batch-size sweep; peak
memory per process. Prints tables (``--markdown`` for README-ready ones) and writes
benchmarks/results/gan_step-<time>.json with every sample, the machine, load average,
BLAS kernels and threads, versions and tinygan's git commit.
"""
import argparse
import importlib.util
import os
import sys
from pathlib import Path

from harness import Contender, git_commit, machine, probe, run_group, write_results
from reference_numpy import flops, gemm_shapes

TINYGAN, NUMPY, TORCH = ("tinygan",), ("numpy",), ("numpy", "torch")
NAMES = ("tinygan", "hand-written NumPy", "GEMM floor", "PyTorch CPU")


def paper_contenders(m, dropout):
    kwargs = dict(m=m, dropout=dropout)
    return [Contender("tinygan", "contenders", "tinygan_mnist", kwargs, TINYGAN),
            Contender("hand-written NumPy", "contenders", "hand_mnist", kwargs, NUMPY),
            Contender("GEMM floor", "contenders", "gemm_floor", dict(m=m), NUMPY),
            Contender("PyTorch CPU", "contenders", "torch_mnist", kwargs, TORCH),
            Contender("PyTorch GEMM floor", "contenders", "torch_gemm_floor", dict(m=m), TORCH)]


def cases(quick):
    """(key, title, contenders, options) of every group, in the order they run."""
    sizes = [32, 256] if quick else [32, 64, 256, 512]
    yield ("paper_dropout", "paper's MNIST GAN, m = 100, with the paper's dropout",
           paper_contenders(100, True), {})
    yield ("paper_no_dropout", "paper's MNIST GAN, m = 100, without dropout",
           paper_contenders(100, False), {})
    for m, what in ((None, "m = 512"), (64, "m = 64: per-op overhead")):
        yield (f"toy_ring{'_m64' if m else ''}",
               f"2-D toy GAN: the 'ring' preset (MLPs 3 × 128, Adam, EMA), {what}",
               [Contender("tinygan", "contenders", "tinygan_toy", dict(m=m), TINYGAN),
                Contender("PyTorch CPU", "contenders", "torch_toy", dict(m=m), TORCH)], {})
    yield ("wgan_gp_critic", "WGAN-GP critic step on the paper's D (m = 100, double backward)",
           [Contender("tinygan", "contenders", "tinygan_wgan_gp", dict(m=100), TINYGAN),
            Contender("PyTorch CPU", "contenders", "torch_wgan_gp", dict(m=100), TORCH)], {})
    for m in sizes:
        yield (f"sweep_m{m}", f"paper's MNIST GAN, m = {m}, with dropout",
               paper_contenders(m, True), {"sweep": True})
    for m in (100, 1000):
        yield (f"gpu{'' if m == 100 else f'_m{m}'}", f"GPU: paper's MNIST GAN, m = {m}, with dropout",
               [Contender("tinygan CuPy", "contenders", "tinygan_mnist",
                          dict(m=m, dropout=True, backend="cupy", fused=True), TINYGAN),
                Contender("tinygan CuPy, unfused", "contenders", "tinygan_mnist",
                          dict(m=m, dropout=True, backend="cupy", fused=False), TINYGAN),
                Contender("PyTorch CUDA", "contenders", "torch_mnist",
                          dict(m=m, dropout=True, device="cuda"), TORCH),
                Contender("tinygan NumPy", "contenders", "tinygan_mnist",
                          dict(m=m, dropout=True), TINYGAN)],
               {"warmup": 10, "gpu": True})


# ----- printing -----------------------------------------------------------------------------
def cell(report, digits=1):
    if report["status"] != "ok":
        reason = report["reason"].split(". ")[0]          # the JSON keeps all of it
        return f"not available ({reason})" if report["status"] == "unavailable" \
            else f"failed ({reason})"
    return f"{report['median']:.{digits}f} ({report['min']:.{digits}f}–{report['max']:.{digits}f})"


def ratio(report, other):
    if report["status"] != "ok" or other is None or other["status"] != "ok":
        return "–"
    return f"{report['median'] / other['median']:.2f}"


def table(title, header, rows, markdown):
    if markdown:
        lines = [f"\n**{title}**\n", "| " + " | ".join(header) + " |",
                 "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
        print("\n".join(lines))
        return
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    for row in [header] + rows:
        print("  ".join(f"{str(v):>{w}}" for v, w in zip(row, widths)))


def group_rows(group, m=None):
    reports = group["contenders"]
    floor, hand = reports.get("GEMM floor"), reports.get("hand-written NumPy")
    torch = reports.get("PyTorch CPU") or reports.get("PyTorch CUDA")
    work = flops(gemm_shapes(m)) if m else None
    rows = []
    for name, report in reports.items():
        row = [name, cell(report, 1 if report.get("median", 0) >= 10 else 2),
               ratio(report, floor), ratio(report, hand), ratio(report, torch)]
        if work:
            row.append(f"{work / report['median'] / 1e6:.0f}" if report["status"] == "ok" else "–")
        rows.append(row)
    return rows


def print_results(record, markdown):
    """The tables of every case that ran (``--only`` runs print theirs alone)."""
    groups = record["groups"]
    header = ["contender", "ms/iter median (min–max)", "× floor", "× hand", "× PyTorch"]
    for key in groups:
        if not key.startswith("sweep_"):
            paper = key.startswith("paper_")
            table(groups[key]["title"], header + ["GFLOP/s"] * paper,
                  group_rows(groups[key], 100 if paper else None), markdown)
            reports = groups[key]["contenders"]
            gpu, cpu = reports.get("tinygan CuPy"), reports.get("tinygan NumPy")
            if gpu and cpu and gpu["status"] == cpu["status"] == "ok":
                print(f"tinygan on CuPy is {cpu['median'] / gpu['median']:.1f} × faster than "
                      f"tinygan on NumPy ({record['threads']} threads) here")
    rows = []
    for key in [k for k in groups if k.startswith("sweep_") or k == "paper_dropout"]:
        reports = groups[key]["contenders"]
        ms = [f"{reports[n]['median']:.1f}" if reports[n]["status"] == "ok" else "–" for n in NAMES]
        rows.append([groups[key]["m"]] + ms + [ratio(reports["tinygan"], reports["GEMM floor"]),
                                              ratio(reports["tinygan"], reports["PyTorch CPU"])])
    if len(rows) > 1:
        rows.sort(key=lambda row: row[0])
        table("batch-size sweep, with dropout (ms/iteration, medians)", ["m", *NAMES,
              "tinygan × floor", "tinygan × PyTorch"], rows, markdown)
    rows = []
    for name, report in groups.get("paper_dropout", {}).get("contenders", {}).items():
        if report["status"] == "ok":
            memory = report["memory"]
            rows.append([name, f"{memory['peak_mib']:.0f}", f"{memory['after_imports_mib']:.0f}",
                         f"{memory['after_setup_mib']:.0f}", f"{memory['steps_mib']:.0f}"])
    if rows:
        table("peak memory per process (RSS, MiB), paper's model with dropout, m = 100",
              ["contender", "peak", "after imports", "after setup", "steps add"], rows, markdown)


def environment_lines(record):
    env, probe_report = record["environment"], record["environment"]["probe"]
    threads = probe_report.get("threads", {})
    pools = ", ".join(f"{p['internal_api']} {p['version']} {p.get('architecture') or ''} "
                      f"{p['num_threads']} threads" for p in threads.get("pools", []))
    torch = threads.get("torch", {})
    return [f"machine: {env['cpu']}, {env['cores']} cores, {env['platform']}, Python {env['python']}",
            f"numpy {threads.get('numpy')} ({pools}); torch {torch.get('version', 'absent')} "
            f"({torch.get('threads', '–')} threads); tinygan {env['tinygan_commit']}",
            f"every worker: {record['threads']} threads; OPENBLAS_CORETYPE/L2_SIZE "
            f"{'unset' if record['unthrottled'] else 'kept'}; load average before "
            f"{' '.join(f'{x:.2f}' for x in env['load_before'])}, after "
            f"{' '.join(f'{x:.2f}' for x in env['load_after'])}"]


# ----- the run --------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a smaller sweep")
    parser.add_argument("--repeats", type=int, help="interleaved repeats per contender")
    parser.add_argument("--seconds", type=float, help="about how long one repeat lasts")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for every contender (default: all cores)")
    parser.add_argument("--only", nargs="+", metavar="CASE",
                        help="run these cases only: paper_dropout paper_no_dropout toy_ring "
                             "toy_ring_m64 wgan_gp_critic sweep gpu (a GPU machine: --only gpu)")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the workers")
    parser.add_argument("--markdown", action="store_true", help="print README-ready tables")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    if importlib.util.find_spec("tinygan") is None:
        print("gan_step.py: tinygan is not importable: pip install -e '.[bench]' or set "
              "PYTHONPATH to the repository", file=sys.stderr)
        sys.exit(2)
    repeats = args.repeats or (3 if args.quick else 9)
    seconds = args.seconds or (0.2 if args.quick else 0.6)
    unthrottle = not args.keep_env
    host = machine()
    record = {"threads": args.threads, "unthrottled": unthrottle, "repeats": repeats,
              "seconds_per_repeat": seconds, "groups": {},
              "environment": {**host, "load_before": host.pop("load_average"),
                              "tinygan_commit": git_commit(Path(__file__).resolve().parent)}}
    record["environment"]["probe"] = probe(Contender("environment", "contenders", "environment"),
                                           args.threads, unthrottle)
    print(f"one iteration of the paper's MNIST GAN (k = 1, m = 100, float32): 25 matrix "
          f"products, {flops(gemm_shapes(100)) / 1e9:.2f} GFLOP; medians of {repeats} "
          f"interleaved repeats of about {seconds} s, each contender in its own process")
    for key, title, contenders, options in cases(args.quick):
        if args.only and key not in args.only and not (options.get("sweep") and "sweep" in args.only) \
                and not (options.get("gpu") and "gpu" in args.only):
            continue
        sweep = options.get("sweep", False)
        load = os.getloadavg()
        group = run_group(contenders, repeats=max(3, repeats // 2) if sweep else repeats,
                          warmup=options.get("warmup", 3), threads=args.threads,
                          unthrottle=unthrottle, target_seconds=seconds)
        group.update(title=title, load_before=load, m=contenders[0].kwargs.get("m"))
        record["groups"][key] = group
        print(f"  {title}: " + ", ".join(f"{name} {cell(r)}" for name, r in group["contenders"].items()),
              flush=True)
    record["environment"]["load_after"] = os.getloadavg()
    print("\n" + "\n".join(environment_lines(record)))
    print_results(record, args.markdown)
    print(f"\nwrote {write_results(record, args.out, 'gan_step')}")


if __name__ == "__main__":
    main()
