"""How fast is one training iteration of the paper's MNIST GAN in tinygan?

    python benchmarks/gan_step.py            # full run (a few minutes on 2 cores)
    python benchmarks/gan_step.py --quick    # fewer repeats, smaller sweep

Contenders run in this one process, interleaved, after warm-up, several times each:
tinygan on NumPy, a hand-written NumPy iteration with no autograd (reference_numpy.py),
the "GEMM floor" (the iteration's 25 matrix products alone), and PyTorch eager on the CPU
when it is installed (pip install 'tinygan[bench]', which pins torch==2.13.0). With a GPU
and CuPy, tinygan on CuPy and PyTorch CUDA are timed as well. Prints tables and writes
benchmarks/results/gan_step-<time>.json with the numbers, machine, BLAS and versions.
"""
import os
import sys

# OpenBLAS may be throttled by these on shared machines; a benchmark measures the library,
# so it drops them in its own process (re-executed before NumPy loads). Tests never do this.
_THROTTLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
if any(name in os.environ for name in _THROTTLES) and "TINYGAN_BENCH_KEEP_ENV" not in os.environ:
    environment = {k: v for k, v in os.environ.items() if k not in _THROTTLES}
    environment["TINYGAN_BENCH_KEEP_ENV"] = "1"
    os.execve(sys.executable, [sys.executable] + sys.argv, environment)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_numpy import GemmFloor, HandWrittenStep, flops, gemm_shapes  # noqa: E402

import tinygan as tg  # noqa: E402
from tinygan import backend  # noqa: E402
from tinygan.data import DistributionSampler, EpochSampler, ring  # noqa: E402
from tinygan.gan import (GANConfig, Trainer, mlp_discriminator, mlp_generator,  # noqa: E402
                         paper_mnist_discriminator, paper_mnist_generator)

try:
    import torch
    from reference_torch import TorchStep, paper_models, toy_models
except ImportError:
    torch = None


# ----- contenders ---------------------------------------------------------------------------
def tinygan_paper(data, m, dropout):
    tg.manual_seed(0)
    keep = (0.8, 0.5) if dropout else (1.0, 1.0)
    config = GANConfig(dataset="mnist", model="mnist_2014", batch_size=m, noise="uniform",
                       noise_dim=100, optimizer="sgd", lr_g=0.1, lr_d=0.1, momentum=0.5,
                       final_momentum=0.5, log_every=10 ** 9)
    trainer = Trainer(paper_mnist_generator(), paper_mnist_discriminator(input_keep=keep[0],
                      hidden_keep=keep[1]), EpochSampler(data, m), config)
    trainer.train_step()           # step 0 records metrics; later steps do not
    return trainer.train_step


def tinygan_toy(m):
    tg.manual_seed(0)
    config = GANConfig(dataset="ring", batch_size=m, noise="uniform", noise_dim=2,
                       log_every=10 ** 9)
    trainer = Trainer(mlp_generator(2, 2, 128, 2, noise="uniform"), mlp_discriminator(2, 128, 2),
                      DistributionSampler(ring(), m), config)
    trainer.train_step()
    return trainer.train_step


def torch_paper(data, m, dropout, device="cpu"):
    torch.manual_seed(0)
    G, D = paper_models(dropout)
    return TorchStep(G, D, data, m, 100, "sgd", device).step


def torch_toy(m):
    torch.manual_seed(0)
    G, D = toy_models(128, 2)
    samples = np.random.default_rng(0).normal(size=(100 * m, 2)).astype(np.float32)
    step = TorchStep(G, D, samples, m, 2, "adam")
    return step.step


# ----- measuring ---------------------------------------------------------------------------
def measure(contenders, iterations, repeats, warmup=3, synchronize=None):
    """{name: [ms per iteration, one per repeat]}, contenders interleaved within each repeat."""
    for step in contenders.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, step in contenders.items():
            if synchronize:
                synchronize()
            started = time.perf_counter()
            for _ in range(iterations):
                step()
            if synchronize:
                synchronize()
            times[name].append(1000 * (time.perf_counter() - started) / iterations)
    return times


def peak_transient_bytes(step):
    """Extra memory one iteration allocates at its peak, beyond what persists between steps
    (NumPy reports its allocations to tracemalloc)."""
    step()
    tracemalloc.start()
    step()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


def activation_bytes(m):
    """What backward needs of the forward pass (float32 values, boolean masks), at the
    larger of the two steps: D's step on 2m rows, G's step on m rows."""
    def discriminator(n):
        floats = n * (784 + 1200 + 240 + 240 + 1200 + 240 + 240 + 1)
        masks = n * (784 + 240 + 240)
        return 4 * floats + masks
    generator = 4 * m * (100 + 1200 + 1200 + 784)
    return max(discriminator(2 * m), generator + discriminator(m))


def summarize(samples):
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def print_table(title, rows, columns):
    print(f"\n{title}")
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    print("  ".join(f"{c:>{w}}" for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(f"{v:>{w}}" for v, w in zip(row, widths)))


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                for info in threadpool_info()]
    except ImportError:
        return "threadpoolctl not installed"


# ----- the benchmark -------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller sweep")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)
    iterations = args.iterations or (5 if args.quick else 20)
    threads = os.cpu_count()
    if torch is not None:
        torch.set_num_threads(threads)
    data = np.random.default_rng(0).random((5000, 784), dtype=np.float32)
    record = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                          "cores": threads, "python": platform.python_version()},
              "versions": {"tinygan": tg.__version__, "numpy": np.__version__,
                           "torch": torch.__version__ if torch is not None else None},
              "blas": blas_info(), "threads": threads, "iterations": iterations,
              "repeats": repeats, "results": {}}
    m = 100
    work = flops(gemm_shapes(m))
    print(f"one iteration of the paper's MNIST GAN (k = 1, m = {m}, float32): 25 matrix products, "
          f"{work / 1e9:.2f} GFLOP; {threads} threads; medians of {repeats} repeats of {iterations} iterations")
    if torch is None:
        print("(PyTorch not installed: pip install 'tinygan[bench]' adds it; its columns are empty)")

    # 1. the paper's model, with and without dropout
    rows = []
    for dropout in (True, False):
        contenders = {"tinygan": tinygan_paper(data, m, dropout),
                      "hand-written NumPy": HandWrittenStep(data, m, dropout).step,
                      "GEMM floor": GemmFloor(gemm_shapes(m)).step}
        if torch is not None:
            contenders["PyTorch CPU"] = torch_paper(data, m, dropout)
        times = {k: summarize(v) for k, v in measure(contenders, iterations, repeats).items()}
        floor, hand = times["GEMM floor"]["median"], times["hand-written NumPy"]["median"]
        reference = times.get("PyTorch CPU", {}).get("median")
        label = "with the paper's dropout" if dropout else "without dropout"
        record["results"][f"paper_model_{'dropout' if dropout else 'no_dropout'}"] = times
        for name, t in times.items():
            rows.append([label, name, f"{t['median']:.1f}", f"{t['min']:.1f}–{t['max']:.1f}",
                         f"{t['median'] / floor:.2f}", f"{t['median'] / hand:.2f}",
                         f"{t['median'] / reference:.2f}" if reference else "–",
                         f"{work / t['median'] / 1e6:.0f}"])
    print_table("paper's MNIST GAN, one Algorithm-1 iteration", rows,
                ["", "contender", "ms/iter", "range", "× floor", "× hand", "× PyTorch", "GFLOP/s"])

    # 2. memory of one iteration
    parameters = sum(p.nbytes for p in HandWrittenStep(data, m).G + HandWrittenStep(data, m).D)
    state = parameters                      # one momentum buffer per parameter
    needed = parameters + state + activation_bytes(m)
    memory_rows = []
    for name, step in [("tinygan", tinygan_paper(data, m, True)),
                       ("hand-written NumPy", HandWrittenStep(data, m, True).step)]:
        transient = peak_transient_bytes(step)
        total = parameters + state + transient
        memory_rows.append([name, f"{transient / 2**20:.1f}", f"{total / 2**20:.1f}",
                            f"{total / needed:.2f}"])
        record["results"][f"memory_{name}"] = {"transient_bytes": transient, "peak_bytes": total,
                                               "needed_bytes": needed}
    print_table(f"memory (parameters {parameters / 2**20:.1f} MiB + momentum {state / 2**20:.1f} MiB + "
                f"activations backward needs {activation_bytes(m) / 2**20:.1f} MiB = "
                f"{needed / 2**20:.1f} MiB)", memory_rows,
                ["contender", "transient MiB", "peak MiB", "× needed"])

    # 3. a small 2-D GAN: per-op overhead, not matrix work
    toy = {"tinygan": tinygan_toy(64)}
    if torch is not None:
        toy["PyTorch CPU"] = torch_toy(64)
    toy_times = {k: summarize(v) for k, v in measure(toy, iterations * 5, repeats).items()}
    record["results"]["toy_2d"] = toy_times
    base = toy_times.get("PyTorch CPU", {}).get("median")
    print_table("small 2-D GAN (2 → 128 → 128 → 2 and back, m = 64, Adam)",
                [[k, f"{t['median']:.2f}", f"{t['median'] / base:.2f}" if base else "–"]
                 for k, t in toy_times.items()], ["contender", "ms/iter", "× PyTorch"])

    # 4. batch-size sweep (paper's model with dropout)
    sizes = [32, 128, 512] if args.quick else [32, 64, 128, 256, 512, 1024]
    sweep_rows = []
    for size in sizes:
        contenders = {"tinygan": tinygan_paper(data, size, True),
                      "hand-written NumPy": HandWrittenStep(data, size, True).step,
                      "GEMM floor": GemmFloor(gemm_shapes(size)).step}
        if torch is not None:
            contenders["PyTorch CPU"] = torch_paper(data, size, True)
        count = max(2, iterations * 100 // size)
        times = {k: summarize(v)["median"] for k, v in measure(contenders, count, max(2, repeats // 2)).items()}
        record["results"][f"sweep_m{size}"] = times
        sweep_rows.append([size] + [f"{times[k]:.1f}" if k in times else "–"
                                    for k in ("tinygan", "hand-written NumPy", "GEMM floor", "PyTorch CPU")]
                          + [f"{times['tinygan'] / times['GEMM floor']:.2f}"])
    print_table("batch-size sweep (ms/iteration, with dropout)", sweep_rows,
                ["m", "tinygan", "hand-written", "GEMM floor", "PyTorch CPU", "tinygan × floor"])

    # 5. GPU, where there is one
    if "cupy" in backend.available_backends():
        import cupy
        gpu = {}
        with backend.using("cupy"):
            gpu["tinygan CuPy"] = tinygan_paper(data, m, True)
            if torch is not None and torch.cuda.is_available():
                gpu["PyTorch CUDA"] = torch_paper(data, m, True, device="cuda")

            def synchronize():
                cupy.cuda.Device().synchronize()
                if torch is not None and torch.cuda.is_available():
                    torch.cuda.synchronize()
            gpu_times = {k: summarize(v) for k, v in
                         measure(gpu, iterations * 5, repeats, warmup=10, synchronize=synchronize).items()}
        record["results"]["gpu"] = gpu_times
        cpu = record["results"]["paper_model_dropout"]["tinygan"]["median"]
        reference = gpu_times.get("PyTorch CUDA", {}).get("median")
        print_table(f"GPU: {backend.gpu_status()}",
                    [[k, f"{t['median']:.2f}", f"{t['median'] / reference:.2f}" if reference else "–",
                      f"{cpu / t['median']:.1f}"] for k, t in gpu_times.items()],
                    ["contender", "ms/iter", "× PyTorch CUDA", "speed-up over tinygan CPU"])
    else:
        print(f"\nGPU: skipped ({backend.gpu_status()})")

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"gan_step-{datetime.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
