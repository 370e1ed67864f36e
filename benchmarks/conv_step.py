"""How fast are tinygan's convolutions? Each DCGAN layer (forward + backward, batch 64) and
one whole DCGAN iteration, beside PyTorch CPU eager and the "GEMM floor".

    python benchmarks/conv_step.py --threads 1          # about 4 minutes
    python benchmarks/conv_step.py --quick --only D2 iteration iteration-fc
    python benchmarks/conv_step.py --gpu --quick       # a GPU machine: CuPy against PyTorch CUDA

Every contender runs in its own process through harness.py (same threads, interleaved
repeats, untimed warm-up). The layers are those of ``tinygan.gan.dcgan`` (28×28 digits,
width 64). A layer's step is y = layer(x) then y.backward(r) for a fixed r, with x
requiring a gradient except where the DCGAN's input does not (z for G1, the data for D1).
The iteration is one D step (real and fake batches, BCE from logits, Adam 2e-4, β₁ = 0.5)
and one G step (non-saturating), m = 64: ``iteration`` with these all-convolutional
networks, ``iteration-fc`` with the `dcgan` preset's (its ``dcgan_fc``: InfoGAN's fully
connected layers after z and before the logit; PyTorch's from benchmarks/dcgan_torch.py).
The GEMM floor runs only the matrix products
im2col needs for the same work, on preallocated operands: forward (N·Ho·Wo, C·k²) @
(C·k², O), input gradient (N·Ho·Wo, O) @ (O, C·k²), weight gradient (O, N·Ho·Wo) @
(N·Ho·Wo, C·k²) (a transposed convolution swaps the roles). PyTorch uses oneDNN's direct
convolutions, not im2col. ``--gpu``: tinygan on CuPy against PyTorch CUDA eager (cuDNN),
each step synchronised (issue #15's GPU goal: ≤ 2 × PyTorch CUDA). Writes
benchmarks/results/conv_step-<time>.json.
"""
import argparse
import os
from pathlib import Path

from contenders import load_torch, use_backend, synchronised, torch_synchronised
from harness import Contender, git_commit, machine, run_group, write_results
from reference_numpy import GemmFloor, flops

HERE = Path(__file__).resolve()
M = 64
# name: (kind, in_channels, out_channels, kernel, stride, padding, bias, input size, input grad)
LAYERS = {
    "G1": ("ConvTranspose2d", 100, 128, 7, 1, 0, False, 1, False),
    "G2": ("ConvTranspose2d", 128, 64, 4, 2, 1, False, 7, True),
    "G3": ("ConvTranspose2d", 64, 1, 4, 2, 1, True, 14, True),
    "D1": ("Conv2d", 1, 64, 4, 2, 1, True, 28, False),
    "D2": ("Conv2d", 64, 128, 4, 2, 1, False, 14, True),
    "D3": ("Conv2d", 128, 1, 7, 1, 0, True, 7, True),
    "BN": ("BatchNorm2d", 128, 128, 0, 0, 0, True, 7, True),
}


def layer_gemms(name, m=M, input_grad=None):
    """(rows, inner, cols) of the products one forward + backward of layer ``name`` needs
    (``input_grad`` overrides whether the input's gradient is computed)."""
    kind, cin, cout, k, s, p, _, size, needed = LAYERS[name]
    input_grad = needed if input_grad is None else input_grad
    if kind == "BatchNorm2d":
        return []
    if kind == "Conv2d":
        out = (size + 2 * p - k) // s + 1
        rows, patch, channels = m * out * out, cin * k * k, cout
    else:                                    # transposed: the roles of input and output swap
        rows, patch, channels = m * size * size, cout * k * k, cin
    forward = (rows, patch, channels) if kind == "Conv2d" else (rows, channels, patch)
    shapes = [forward, (channels, rows, patch)]                  # and the weight gradient
    if input_grad:
        shapes.append((rows, channels, patch) if kind == "Conv2d" else (rows, patch, channels))
    return shapes


ITERATIONS = ("iteration", "iteration-fc")                 # the whole-iteration cases


def iteration_fc(case):
    """The width of the case's fully connected layers: none, or the dcgan preset's."""
    if case == "iteration":
        return 0
    from tinygan.gan.config import preset
    return preset("mnist", "dcgan").dcgan_fc


def linear_gemms(inputs, outputs, m=M, input_grad=True):
    """A linear layer's products: forward, weight gradient, input gradient."""
    products = [(m, inputs, outputs), (inputs, m, outputs)]
    return products + [(m, outputs, inputs)] if input_grad else products


def dcgan_gemms(m=M, fc=0):
    """The products of one iteration: D on real and fake (weights, D2's input gradient),
    then G's forward and the G step's backward through D and G; ``fc`` > 0: with the fully
    connected layers in place of G1 and D3."""
    noise, projected = LAYERS["G1"][1], LAYERS["G2"][1] * 49
    g_head = (linear_gemms(noise, fc, m, False) + linear_gemms(fc, projected, m) if fc
              else layer_gemms("G1", m))
    d_tail = linear_gemms(projected, fc, m) + linear_gemms(fc, 1, m) if fc else layer_gemms("D3", m)
    d_pass = lambda to_input: layer_gemms("D1", m, to_input) + layer_gemms("D2", m) + d_tail
    g_pass = g_head + layer_gemms("G2", m) + layer_gemms("G3", m)
    return g_pass + d_pass(False) + d_pass(False) + d_pass(True)


# ----- contenders (each runs in its own worker process) --------------------------------------
def tinygan_layer(name, backend="numpy"):
    import numpy as np
    import tinygan as tg
    from tinygan import nn
    use_backend(backend)
    kind, cin, cout, k, s, p, bias, size, input_grad = LAYERS[name]
    tg.manual_seed(0)
    layer = nn.BatchNorm2d(cin) if kind == "BatchNorm2d" else \
        getattr(nn, kind)(cin, cout, k, s, p, bias=bias)
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((M, cin, size, size), dtype=np.float32),
                  requires_grad=input_grad)
    r = tg.tensor(rng.standard_normal(layer(x).shape, dtype=np.float32))

    def step():
        layer(x).backward(r)
    return synchronised(step, backend)


def torch_layer(name, device="cpu"):
    torch = load_torch(device)
    kind, cin, cout, k, s, p, bias, size, input_grad = LAYERS[name]
    torch.manual_seed(0)
    layer = torch.nn.BatchNorm2d(cin) if kind == "BatchNorm2d" else \
        getattr(torch.nn, kind)(cin, cout, k, s, p, bias=bias)
    layer = layer.to(device)
    x = torch.randn(M, cin, size, size, device=device, requires_grad=input_grad)
    r = torch.randn(layer(x).shape, device=device)

    def step():
        layer(x).backward(r)
    return torch_synchronised(torch, step, device)


def case_gemms(case):
    return dcgan_gemms(fc=iteration_fc(case)) if case in ITERATIONS else layer_gemms(case)


def gemm_floor(name):
    return GemmFloor(case_gemms(name)).step


def tinygan_dcgan(fc=0, backend="numpy"):
    import numpy as np
    import tinygan as tg
    import tinygan.nn.functional as F
    from tinygan import optim
    from tinygan.gan.dcgan import dcgan_discriminator, dcgan_generator
    use_backend(backend)
    tg.manual_seed(0)
    G, D = dcgan_generator(fc=fc), dcgan_discriminator(fc=fc)
    adam = dict(lr=2e-4, betas=(0.5, 0.999))
    opt_g, opt_d = optim.Adam(G.parameters(), **adam), optim.Adam(D.parameters(), **adam)
    real = tg.tensor(np.random.default_rng(0).random((M, 784), dtype=np.float32))

    def step():
        fake = G.sample(M)
        loss_d = F.discriminator_loss(D(real), D(fake.detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.generator_loss(D(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return synchronised(step, backend)


def torch_dcgan(fc=0, device="cpu"):
    """The same networks (benchmarks/dcgan_torch.py's), losses and optimiser in PyTorch,
    with the same maps between [0, 1] images and tanh's [−1, 1] as tinygan's."""
    torch = load_torch(device)
    from dcgan_torch import networks
    nn = torch.nn

    class Affine(nn.Module):
        def __init__(self, scale, shift):
            super().__init__()
            self.scale, self.shift = scale, shift

        def forward(self, x):
            return x * self.scale + self.shift

    torch.manual_seed(0)
    G, D = networks(64, 64, 100, fc)
    G, D = nn.Sequential(G, Affine(0.5, 0.5)).to(device), nn.Sequential(Affine(2.0, -1.0), D).to(device)
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(M, 784, device=device)
    bce = nn.functional.binary_cross_entropy_with_logits

    def step():
        fake = G(torch.randn(M, 100, device=device))
        real_logits, fake_logits = D(real), D(fake.detach())
        loss_d = (bce(real_logits, torch.ones_like(real_logits))
                  + bce(fake_logits, torch.zeros_like(fake_logits)))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        fake_logits = D(fake)
        loss_g = bce(fake_logits, torch.ones_like(fake_logits))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return torch_synchronised(torch, step, device)


# ----- the run ----------------------------------------------------------------------------------
def contenders(case, gpu=False):
    me = str(HERE)
    if gpu:
        functions, kwargs = ((("tinygan_dcgan", "torch_dcgan"), {"fc": iteration_fc(case)})
                             if case in ITERATIONS else (("tinygan_layer", "torch_layer"), {"name": case}))
        return [Contender("tinygan CuPy", me, functions[0], {**kwargs, "backend": "cupy"}, ("tinygan",)),
                Contender("PyTorch CUDA", me, functions[1], {**kwargs, "device": "cuda"},
                          ("numpy", "torch"))]
    if case in ITERATIONS:
        fc = {"fc": iteration_fc(case)}
        return [Contender("tinygan", me, "tinygan_dcgan", fc, ("tinygan",)),
                Contender("GEMM floor", me, "gemm_floor", {"name": case}, ("numpy",)),
                Contender("PyTorch CPU", me, "torch_dcgan", fc, ("numpy", "torch"))]
    group = [Contender("tinygan", me, "tinygan_layer", {"name": case}, ("tinygan",)),
             Contender("PyTorch CPU", me, "torch_layer", {"name": case}, ("numpy", "torch"))]
    if layer_gemms(case):
        group.insert(1, Contender("GEMM floor", me, "gemm_floor", {"name": case}, ("numpy",)))
    return group


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true", help="3 repeats of about 0.2 s")
    parser.add_argument("--only", nargs="+", metavar="CASE", help=f"of {[*LAYERS, *ITERATIONS]}")
    parser.add_argument("--gpu", action="store_true",
                        help="tinygan on CuPy against PyTorch CUDA (on a GPU machine)")
    parser.add_argument("--out", type=Path, default=HERE.parent / "results")
    args = parser.parse_args()
    repeats, seconds = (3, 0.2) if args.quick else (7, 0.5)
    ours, theirs, floor = (("tinygan CuPy", "PyTorch CUDA", None) if args.gpu
                           else ("tinygan", "PyTorch CPU", "GEMM floor"))
    host = machine()
    record = {"threads": args.threads, "repeats": repeats, "gpu": args.gpu, "groups": {},
              "environment": {**host, "load_before": host.pop("load_average"),
                              "tinygan_commit": git_commit(HERE.parent)}}
    rows = []
    for case in args.only or [*LAYERS, *ITERATIONS]:
        group = run_group(contenders(case, args.gpu), repeats=repeats, threads=args.threads,
                          target_seconds=seconds, unthrottle=True)
        group["load_before"] = os.getloadavg()
        record["groups"][case] = group
        reports = group["contenders"]
        work = flops(case_gemms(case))
        ms = {name: r.get("median") for name, r in reports.items() if r["status"] == "ok"}
        ratio = lambda a, b: f"{ms[a] / ms[b]:.2f}" if a in ms and b in ms else "–"
        names = [n for n in (ours, theirs, floor) if n]
        rows.append([case, f"{work / 1e9:.3f}",
                     *(f"{ms[n]:.2f}" if n in ms else reports.get(n, {}).get("status", "–")
                       for n in names), ratio(ours, theirs),
                     *((ratio(ours, floor), ratio(theirs, floor)) if floor else ())])
        print("  " + "  ".join(rows[-1]), flush=True)
    record["environment"]["load_after"] = os.getloadavg()
    header = ["case", "GFLOP", f"{ours} ms", f"{theirs} ms"] + [f"{floor} ms"] * bool(floor) + \
        ["× PyTorch"] + ["× floor", "PyTorch × floor"] * bool(floor)
    print(f"\nmedian ms of {repeats} interleaved repeats, batch {M}, {args.threads} thread(s); "
          f"load average before {record['environment']['load_before']}, after "
          f"{record['environment']['load_after']}")
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"wrote {write_results(record, args.out, 'conv_step')}")


if __name__ == "__main__":
    main()
