"""Is the DCGAN preset's plateau tinygan's fault? Train the same DCGAN in PyTorch and judge
its samples with tinygan's classifier.

    python benchmarks/dcgan_torch.py --steps 2500 --seed 0     # full MNIST must be present

The networks are `tinygan.gan.dcgan`'s, layer for layer (G: ConvT 7×7 → BN, ReLU → ConvT
4×4 /2 → BN, ReLU → ConvT 4×4 /2 → tanh; D: Conv 4×4 /2 → LReLU 0.2 → Conv 4×4 /2 → BN,
LReLU → Conv 7×7; with the preset's ``dcgan_fc``, InfoGAN's: G's 7×7 projection from a
1024-unit hidden layer, D's logit from one), with the paper's N(0, 0.02) initialisation.
The width, fully connected layer, batch size, learning rates and Adam's betas are read
from tinygan's `dcgan` preset, so the two cannot drift apart (tests/test_dcgan.py checks
the parameter shapes). Training is as tinygan's trainer does it: one D step on a real batch
and a batch of G(z) made without gradient (separate passes, because D has batch norm), then
one G step on fresh z with the non-saturating loss; data in [−1, 1]. 10,000 samples are drawn
with G in evaluation mode and scored with `tinygan.metrics.quality.evaluate_mnist_samples`
(the cached judge); the measures are printed and written as JSON next to this file under
results/. One thread unless --threads says otherwise.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np


def networks(g_width, d_width, noise_dim, fc=0, spectral_norm=False):
    """G and D as tinygan's; ``spectral_norm``: D as SN-GAN's (``--spectral-norm``: no batch
    norm, biases in its place, every weight spectrally normalised after initialisation)."""
    from torch import nn
    if fc:                                  # InfoGAN's MNIST networks (the preset's dcgan_fc)
        head = [nn.Linear(noise_dim, fc, bias=False), nn.BatchNorm1d(fc), nn.ReLU(),
                nn.Linear(fc, 2 * g_width * 49, bias=False), nn.BatchNorm1d(2 * g_width * 49),
                nn.ReLU(), nn.Unflatten(1, (2 * g_width, 7, 7))]
        tail = [nn.Flatten(), nn.Linear(2 * d_width * 49, fc, bias=spectral_norm),
                *([] if spectral_norm else [nn.BatchNorm1d(fc)]), nn.LeakyReLU(0.2), nn.Linear(fc, 1)]
    else:
        head = [nn.Unflatten(1, (noise_dim, 1, 1)),
                nn.ConvTranspose2d(noise_dim, 2 * g_width, 7, bias=False),
                nn.BatchNorm2d(2 * g_width), nn.ReLU()]
        tail = [nn.Conv2d(2 * d_width, 1, 7), nn.Flatten()]
    G = nn.Sequential(*head,
                      nn.ConvTranspose2d(2 * g_width, g_width, 4, 2, 1, bias=False),
                      nn.BatchNorm2d(g_width), nn.ReLU(),
                      nn.ConvTranspose2d(g_width, 1, 4, 2, 1), nn.Tanh(), nn.Flatten())
    D = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, d_width, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(d_width, 2 * d_width, 4, 2, 1, bias=spectral_norm),
                      *([] if spectral_norm else [nn.BatchNorm2d(2 * d_width)]), nn.LeakyReLU(0.2),
                      *tail)
    for net in (G, D):
        for layer in net.modules():
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.BatchNorm1d,
                                  nn.BatchNorm2d)):
                centre = 1.0 if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)) else 0.0
                nn.init.normal_(layer.weight, centre, 0.02)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
    if spectral_norm:
        for layer in D:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.utils.spectral_norm(layer)
    return G, D


def train(steps, seed, config, train_images, log_every=500):
    import torch
    from torch import nn
    torch.manual_seed(seed)
    G, D = networks(config.g_hidden, config.d_hidden, config.noise_dim, config.dcgan_fc,
                    config.spectral_norm)
    betas = (config.beta1, config.beta2)
    g_opt = torch.optim.Adam(G.parameters(), config.lr_g, betas=betas)
    d_opt = torch.optim.Adam(D.parameters(), config.lr_d, betas=betas)
    bce = nn.BCEWithLogitsLoss()
    data = torch.from_numpy(np.asarray(train_images, dtype=np.float32)) * 2 - 1
    m, order, position = config.batch_size, torch.randperm(len(data)), 0
    started = time.perf_counter()
    for step in range(steps):
        if position + m > len(data):
            order, position = torch.randperm(len(data)), 0
        real = data[order[position:position + m]]
        position += m
        with torch.no_grad():
            fake = G(torch.randn(m, config.noise_dim))
        if config.spectral_norm:            # no batch norm in D: one pass, as tinygan's trainer
            real_logits, fake_logits = D(torch.cat([real, fake])).split(m)
        else:
            real_logits, fake_logits = D(real), D(fake)
        d_loss = bce(real_logits, torch.ones_like(real_logits)) + \
            bce(fake_logits, torch.zeros_like(fake_logits))
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        logits = D(G(torch.randn(m, config.noise_dim)))
        g_loss = bce(logits, torch.ones_like(logits))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        if step % log_every == 0:
            print(f"step {step}: {time.perf_counter() - started:.0f} s, D loss {d_loss.item():.3f}, "
                  f"G loss {g_loss.item():.3f}", flush=True)
    seconds = time.perf_counter() - started
    G.eval()
    with torch.no_grad():
        samples = torch.cat([G(torch.randn(1000, config.noise_dim)) for _ in range(10)])
    return (samples.numpy() + 1) / 2, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--spectral-norm", action="store_true",
                        help="D as SN-GAN's, as tinygan train --spectral-norm")
    parser.add_argument("--data-dir", help="where full MNIST is (default: tinygan's data folder)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    import torch
    from tinygan.data.fetch import load_mnist_full
    from tinygan.gan.config import preset
    from tinygan.metrics.quality import evaluate_mnist_samples
    torch.set_num_threads(args.threads)
    config = preset("mnist", "dcgan").with_(spectral_norm=args.spectral_norm or None)
    mnist = load_mnist_full(args.data_dir)
    samples, seconds = train(args.steps, args.seed, config, mnist.train)
    quality = evaluate_mnist_samples(samples.astype(np.float32), mnist, args.data_dir,
                                     progress=False, parzen=False)["quality"]
    record = dict(steps=args.steps, seed=args.seed, threads=args.threads, training_seconds=seconds,
                  torch=torch.__version__, width=config.g_hidden, fc=config.dcgan_fc,
                  batch_size=config.batch_size, lr_g=config.lr_g, lr_d=config.lr_d,
                  spectral_norm=config.spectral_norm,
                  **{key: quality[key] for key in ("classifier_score", "confident_share",
                                                   "frechet_distance", "classes_in_range",
                                                   "class_shares")})
    print(json.dumps(record, indent=1))
    args.out.mkdir(parents=True, exist_ok=True)
    variant = "-sn" if config.spectral_norm else ""
    path = args.out / f"dcgan_torch{variant}-seed{args.seed}-{args.steps}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
