"""Algorithm 1 and everything around it: k steps, both generator losses, the paper's
models, determinism, exact resume, divergence and Ctrl-C handling."""
import math
import os
import platform
import signal
import statistics
import sys

import numpy as np
import pytest

import tinygan as tg
from tinygan import gan
from tinygan.gan.evaluation import evaluate, spread

TINY = dict(g_hidden=16, d_hidden=16, g_depth=1, d_depth=1, batch_size=64, log_every=5)


def _parameters(trainer):
    return [p.numpy().copy() for p in trainer.generator.parameters() + trainer.discriminator.parameters()]


def test_k_discriminator_steps_per_generator_step():
    experiment = gan.build("ring", steps=4, k=3, **TINY)
    counts = {"d": 0, "g": 0}
    trainer = experiment.trainer
    d_step, g_step = trainer.d_optimizer.step, trainer.g_optimizer.step
    trainer.d_optimizer.step = lambda: (counts.__setitem__("d", counts["d"] + 1), d_step())
    trainer.g_optimizer.step = lambda: (counts.__setitem__("g", counts["g"] + 1), g_step())
    trainer.fit()
    assert counts == {"d": 12, "g": 4}


def test_generator_step_leaves_the_discriminator_untouched():
    trainer = gan.build("ring", steps=1, **TINY).trainer
    trainer.discriminator_step(0)
    before = [p.numpy().copy() for p in trainer.discriminator.parameters()]
    trainer.generator_step()
    for p, b in zip(trainer.discriminator.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)
        assert p.requires_grad


def test_training_on_a_1d_gaussian_lowers_the_jsd_and_minimax_saturates():
    """From G's initial output (disjoint from N(4, 0.5²): JSD = log 2) 400 iterations of
    Algorithm 1 with the preset's k = 3 discriminator steps: the non-saturating loss brings
    the JSD below half of log 2, while the minimax loss, whose gradient vanishes once D
    rejects the fakes, leaves G where it was (measured: 0.13 against 0.69)."""
    results = {}
    for loss in ("non_saturating", "minimax"):
        experiment = gan.build("gaussian1d", steps=400, loss=loss, eval_samples=4000, seed=1)
        before = evaluate(experiment)["jsd"]
        experiment.trainer.fit()
        results[loss] = evaluate(experiment)
    assert before > 0.69
    assert results["non_saturating"]["jsd"] < 0.5 * before, results
    assert abs(results["non_saturating"]["sample_mean"] - 4.0) < 0.5
    assert results["minimax"]["jsd"] > 2 * results["non_saturating"]["jsd"], results


def test_same_seed_gives_bit_identical_parameters():
    runs = []
    for _ in range(2):
        trainer = gan.build("ring", steps=20, seed=3, ema=0.9, **TINY).trainer
        trainer.fit()
        runs.append(_parameters(trainer) + [p.numpy() for p in trainer.ema.model.parameters()])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    other = gan.build("ring", steps=20, seed=4, **TINY).trainer
    other.fit()
    assert not np.array_equal(_parameters(other)[0], runs[0][0])


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_updates_split_across_threads_train_bit_identically(optimizer, monkeypatch):
    """The optimizer's and the EMA's elementwise updates, split into 3 slices on 3 threads
    (backend.split_elementwise, its size threshold lowered to 1 element so the toy's small
    arrays split too), leave every weight and the EMA's bit for bit as one thread does."""
    from tinygan import backend
    runs = []
    for threads in (1, 3):
        monkeypatch.setattr(backend, "SPLIT_MIN_SIZE", 1)
        monkeypatch.setitem(backend._pool, "threads", threads)
        trainer = gan.build("ring", steps=20, seed=5, ema=0.9, optimizer=optimizer,
                            momentum=0.5, **TINY).trainer
        trainer.fit()
        runs.append(_parameters(trainer) + [p.numpy().copy() for p in trainer.ema.model.parameters()])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("config", [
    dict(dataset="ring", ema=0.9, lr_decay=1.001, **TINY),
    dict(dataset="mnist-5k", model="mlp", optimizer="sgd", lr_g=0.05, lr_d=0.05, momentum=0.5,
         final_momentum=0.7, momentum_steps=10, lr_decay=1.0001, noise="uniform", noise_dim=8,
         **{**TINY, "batch_size": 50}),
], ids=["ring-adam-ema", "mnist-sgd-schedules"])
def test_resume_equals_the_uninterrupted_run_bit_for_bit(tmp_path, config):
    dataset = config.pop("dataset")
    reference = gan.build(dataset, steps=30, **config).trainer
    reference.fit()

    first = gan.build(dataset, steps=30, checkpoint_path=tmp_path / "c.npz", **config).trainer
    first.fit(steps=13)
    first.save_checkpoint()
    resumed = gan.build(dataset, steps=30, checkpoint_path=tmp_path / "c.npz", **config).trainer
    resumed.load_checkpoint()
    assert resumed.step == 13
    resumed.fit()
    for a, b in zip(_parameters(resumed), _parameters(reference)):
        np.testing.assert_array_equal(a, b)
    assert resumed.history["d_loss"] == reference.history["d_loss"]


def test_nan_stops_training_naming_the_step_and_keeps_a_good_checkpoint(tmp_path):
    def poison(trainer):
        if trainer.step == 7:
            trainer.generator.parameters()[0].data[0, 0] = float("nan")
    trainer = gan.build("ring", steps=50, checkpoint_every=5, callbacks=[poison],
                        checkpoint_path=tmp_path / "c.npz", **TINY).trainer
    with pytest.raises(gan.TrainingDiverged, match=r"(loss became nan at step 7|parameter net.0.weight)"
                       r".*last good checkpoint \(step 5\)"):
        trainer.fit()
    state = tg.load(tmp_path / "c.npz")
    assert state["step"] == 5
    assert all(np.isfinite(v).all() for v in state["generator"].values())


def test_ctrl_c_saves_a_loadable_checkpoint_and_a_second_one_quits_at_once(tmp_path):
    before = signal.getsignal(signal.SIGINT)    # Python's default, or SIG_IGN if inherited so

    def interrupt(trainer):
        if trainer.step == 6:
            os.kill(os.getpid(), signal.SIGINT)
    trainer = gan.build("ring", steps=40, callbacks=[interrupt],
                        checkpoint_path=tmp_path / "c.npz", **TINY).trainer
    with pytest.raises(gan.TrainingInterrupted) as caught:
        trainer.fit()
    assert caught.value.step == 6 and tg.load(tmp_path / "c.npz")["step"] == 6

    def interrupt_twice(trainer):
        if trainer.step == 3:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
    trainer = gan.build("ring", steps=40, callbacks=[interrupt_twice],
                        checkpoint_path=tmp_path / "d.npz", **TINY).trainer
    with pytest.raises(KeyboardInterrupt) as caught:
        trainer.fit()
    assert not isinstance(caught.value, gan.TrainingInterrupted)      # no save on the second
    assert tg.load(tmp_path / "d.npz")["step"] == 0
    assert signal.getsignal(signal.SIGINT) is before                  # the handler is restored


def test_label_smoothing_caps_what_the_discriminator_believes():
    """With real targets 1 − α the optimum D never exceeds 1 − α; a D trained against a
    frozen generator shows mean D(x) well below what it reaches unsmoothed."""
    means = {}
    for alpha in (0.0, 0.3):
        trainer = gan.build("ring", steps=0, label_smoothing=alpha, penalty="none", lr_d=1e-3,
                            **{**TINY, "d_hidden": 32, "d_depth": 2}).trainer   # no R1: it caps D too
        for step in range(400):
            trainer.step = step
            trainer.discriminator_step(0)
        with tg.no_grad():
            tg.manual_seed(0)
            means[alpha] = float(tg.sigmoid(trainer.discriminator(trainer.data.batch(0))).numpy().mean())
    assert means[0.0] > 0.8 and means[0.3] < 0.72, means


def test_paper_models_match_the_released_configuration():
    mnist = tg.data.load_mnist()
    pixel_means = mnist.train.mean(axis=0)
    tg.manual_seed(0)
    G = gan.paper_mnist_generator(pixel_means=pixel_means)
    D = gan.paper_mnist_discriminator()
    shapes = [p.shape for p in G.parameters()]
    assert shapes == [(100, 1200), (1200,), (1200, 1200), (1200,), (1200, 784), (784,)]
    assert [p.shape for p in D.parameters()] == [(784, 1200), (1200,), (240, 1200), (1200,),
                                                  (240, 1), (1,)]
    assert np.abs(G.parameters()[0].numpy()).max() <= 0.05
    assert np.abs(D.parameters()[0].numpy()).max() <= 0.005
    p = np.clip(pixel_means, 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(G.parameters()[-1].numpy(), np.log(p / (1 - p)), rtol=1e-5, atol=1e-5)
    z = G.sample_noise(8)
    assert z.numpy().min() >= -1 and z.numpy().max() <= 1          # uniform noise
    x = G(z)
    assert x.shape == (8, 784) and 0 <= x.numpy().min() and x.numpy().max() <= 1
    D.eval()
    np.testing.assert_array_equal(D(x).numpy(), D(x).numpy())      # no dropout in eval
    D.train()
    assert not np.array_equal(D(x).numpy(), D(x).numpy())          # dropout in training
    assert [type(m).__name__ for m in D.net] == ["Dropout", "Maxout", "Dropout", "Maxout",
                                                  "Dropout", "Linear"]
    assert [m.p for m in D.net if type(m).__name__ == "Dropout"] == pytest.approx([0.2, 0.5, 0.5])


def test_config_validation_names_every_problem():
    with pytest.raises(ValueError, match="steps must be ≥ 0.*k .*must be ≥ 1"):
        gan.GANConfig(steps=-1, k=0).validate()
    with pytest.raises(ValueError, match="unknown dataset"):
        gan.build("moons")
    with pytest.raises(ValueError, match="pack must"):
        gan.GANConfig(batch_size=10, pack=3).validate()


def test_pacgan_packs_samples():
    D = gan.mlp_discriminator(2, hidden=8, depth=1, pack=4)
    assert D(tg.zeros(12, 2)).shape == (3, 1)
    with pytest.raises(ValueError, match="divisible by 4"):
        D(tg.zeros(10, 2))
    paper = gan.paper_mnist_discriminator(pack=2).eval()
    assert paper.parameters()[0].shape == (2 * 784, 1200)
    assert paper(tg.zeros(6, 784)).shape == (3, 1)


@pytest.mark.parametrize("recipe", [
    dict(loss="least_squares"), dict(loss="hinge"), dict(loss="non_saturating", penalty="r1", penalty_weight=1.0),
    dict(loss="wasserstein", penalty="gp", penalty_weight=0.1, k=2, beta1=0.5, beta2=0.9),
    dict(loss="wasserstein", weight_clip=0.01, optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5, k=2),
], ids=["lsgan", "hinge", "r1", "wgan-gp", "wgan-clip"])
def test_every_objective_trains_through_the_trainer_and_a_seed_fixes_it(recipe):
    """The loss pairs, penalties, clipping and RMSprop of ``gan.objectives`` through
    Algorithm 1: finite losses, clipped weights stay in [−c, c], and the same seed gives
    the same parameters."""
    params = []
    for _ in range(2):
        experiment = gan.build("ring", steps=6, **{**TINY, **recipe})
        experiment.trainer.fit()
        history = experiment.trainer.history
        assert all(np.isfinite(history["d_loss"])) and all(np.isfinite(history["g_loss"]))
        params.append([p.numpy() for p in experiment.trainer.discriminator.parameters()])
    for first, second in zip(*params):
        np.testing.assert_array_equal(first, second)
    if recipe.get("weight_clip"):
        assert max(np.abs(p).max() for p in params[0]) <= recipe["weight_clip"] + 1e-9


def test_label_smoothing_is_refused_for_losses_without_targets():
    with pytest.raises(gan.ConfigError, match="label smoothing needs a loss with targets"):
        gan.build("ring", loss="hinge", label_smoothing=0.1)


def test_a_batch_norm_discriminator_sees_real_and_generated_samples_in_separate_passes():
    """One pass over [real, fake] would normalise both together; D could then tell them
    apart by the batch's make-up, and G (judged on fakes alone) gets no signal: measured,
    a DCGAN whose D loss and G loss both fell to 0 and whose samples stayed noise. With
    batch norm in D, the D step runs D on each half alone, as the G step does."""
    trainer = gan.build("mnist-5k", model="dcgan", steps=0, batch_size=8).trainer
    assert trainer.separate_passes and not gan.build("ring", steps=0).trainer.separate_passes
    with tg.no_grad():
        expected = trainer.discriminator(trainer.data.batch(0)).numpy()
    _, logits, half = trainer.discriminator_step(0)
    np.testing.assert_array_equal(logits[:half].numpy(), expected)


PAGE_FAULTS = """
import resource, sys
from tinygan import backend, gan
trainer = gan.build("ring", batch_size=512, log_every=10 ** 9).trainer
for _ in range(5):
    trainer.train_step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    trainer.train_step()
print(backend.retain_freed_memory(), (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_trainer_steps_cost_no_page_faults_on_glibc():
    """The trainer keeps freed memory (backend.retain_freed_memory): after warm-up a ring
    step (m = 512) reuses its temporaries' pages. Measured: 0.05 faults per step with it,
    ~700 without; 50 leaves room for a stray allocation, and is far below the untuned cost."""
    import subprocess
    env = {**os.environ, "TINYGAN_BACKEND": "numpy"}
    env.pop("TINYGAN_SYSTEM_MALLOC", None)
    result = subprocess.run([sys.executable, "-c", PAGE_FAULTS], capture_output=True, text=True,
                            env=env, timeout=300, check=True)
    tuned, faults = result.stdout.split()
    assert tuned == "True" and float(faults) < 50


def test_mnist_presets_and_paper_exactly():
    """Full MNIST's preset is an MLP GAN (model mlp); its 2014 family (--model mnist_2014) is
    the released code's training (every PAPER_EXACTLY field) with an EMA of G; --paper
    (PAPER_EXACTLY over any MNIST preset) turns the EMA and PacGAN off and picks the 2014
    networks; the other families keep the fields they were measured with, whatever the data
    set's preset says, and are refused on data that is not MNIST."""
    from tinygan.gan.config import MNIST_2014, PAPER_EXACTLY, preset
    full, sample = preset("mnist"), preset("mnist-5k")
    assert (full.model, full.optimizer, full.update, full.penalty, full.ema) == (
        "mlp", "adam", "alternating", "r1", 0.999)
    family = preset("mnist", "mnist_2014")
    assert {field: getattr(family, field) for field in PAPER_EXACTLY} == {**PAPER_EXACTLY, "ema": 0.999}
    assert (family.steps, family.optimizer, family.lr_d, family.penalty) == (20000, "sgd", 0.1, "none")
    assert (sample.model, sample.pack, sample.update, sample.ema) == ("mnist_2014", 2, "alternating", 0.0)
    for config in (family, sample):
        paper = config.with_(**PAPER_EXACTLY)
        assert (paper.ema, paper.pack, paper.update, paper.d_loss_scale, paper.marginal_clip) == (
            0.0, 1, "simultaneous", 0.5, 1e-7)
        assert paper.differences(MNIST_2014, ignore=("dataset", "steps", *PAPER_EXACTLY)) == []
    for dataset in ("mnist", "mnist-5k"):
        dcgan, cgan = preset(dataset, "dcgan"), preset(dataset, "cgan")
        assert (dcgan.update, dcgan.d_loss_scale, dcgan.ema, dcgan.pack, dcgan.marginal_clip,
                dcgan.penalty) == ("alternating", 1.0, 0.999, 1, 1e-3, "none")
        assert (cgan.update, cgan.d_loss_scale, cgan.ema, cgan.steps, cgan.marginal_clip,
                cgan.penalty) == ("simultaneous", 0.5, 0.0, 25000, 1e-3, "none")
    for model in ("mnist_2014", "dcgan", "cgan"):
        with pytest.raises(gan.ConfigError, match=f"the {model} model is for MNIST"):
            preset("ring", model)


def test_paper_generator_draws_z_and_sets_its_bias_as_the_released_code():
    """mnist.yaml's Generator draws z ~ U(−√3, √3) (unit variance; adversarial/__init__.py,
    get_noise) and pylearn2's init_sigmoid_bias_from_marginals clips pixel means at 1e-7."""
    mnist = tg.data.load_mnist()
    pixel_means = mnist.train.mean(axis=0)
    assert pixel_means[0] == 0                      # a corner pixel: never inked
    tg.manual_seed(0)
    G = gan.paper_mnist_generator(pixel_means=pixel_means, noise_range=3 ** 0.5,
                                  marginal_clip=1e-7)
    z = G.sample_noise(1000).numpy()                # 100,000 draws
    assert -3 ** 0.5 <= z.min() and z.max() <= 3 ** 0.5 and z.max() > 1.7
    # the standard deviation of U(−√3, √3) is 1; its estimate's s.e. here is ≈ 0.0014
    assert z.std() == pytest.approx(1.0, abs=0.01)
    bias = G.parameters()[-1].numpy()
    assert bias[0] == pytest.approx(np.log(1e-7 / (1 - 1e-7)), abs=1e-4)   # −16.118
    inked = pixel_means > 1e-3
    np.testing.assert_allclose(bias[inked], np.log(pixel_means[inked] / (1 - pixel_means[inked])),
                               rtol=1e-5, atol=1e-5)


def test_simultaneous_update_takes_both_gradients_from_one_minibatch_before_either_step():
    """AdversaryCost2 (the 2014 code): D's gradient of ½[BCE(D(x), 1) + BCE(D(G(z)), 0)] and
    G's gradient of −log D(G(z)), both at the parameters before the step, on the same x and
    z; plain SGD then moves each by −η·gradient. Computed here by hand with two separate
    backward passes (the toy MLPs have no dropout, so the passes are identical)."""
    from tinygan import backend, nn
    lr = 0.1
    experiment = gan.build("ring", steps=1, update="simultaneous", d_loss_scale=0.5,
                           optimizer="sgd", lr_g=lr, lr_d=lr, momentum=0.0, final_momentum=0.0,
                           ema=0.0, lr_decay=1.0, penalty="none", **TINY)
    trainer = experiment.trainer
    G, D = trainer.generator, trainer.discriminator
    before = _parameters(trainer)
    backend.manual_seed(backend.stream_seed(trainer.config.seed, "discriminator", 0, 0))
    real = trainer.data.batch(0)
    z = G.sample_noise(real.shape[0])
    fake = G(z)
    d_loss = (nn.functional.binary_cross_entropy_with_logits(D(real), 1.0)
              + nn.functional.binary_cross_entropy_with_logits(D(fake.detach()), 0.0)) * 0.5
    for p in G.parameters() + D.parameters():
        p.grad = None
    d_loss.backward()
    d_grads = [p.grad.numpy().copy() for p in D.parameters()]
    for p in G.parameters() + D.parameters():
        p.grad = None
    nn.functional.binary_cross_entropy_with_logits(D(G(z)), 1.0).backward()
    g_grads = [p.grad.numpy().copy() for p in G.parameters()]
    trainer.train_step()
    expected = [b - lr * g for b, g in zip(before, g_grads + d_grads)]
    for got, want, old in zip(_parameters(trainer), expected, before):
        assert not np.array_equal(got, old)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(gan.ConfigError, match="simultaneous update takes one D step"):
        gan.build("ring", update="simultaneous", k=2, **TINY)


def test_parzen_curve_records_the_protocol_without_changing_the_run(tmp_path):
    """ParzenCurve: the paper's protocol every N steps into JSON and a figure; the trained
    parameters are those of the same run without it (its samples use a seed of their own)."""
    from tinygan.gan.evaluation import ParzenCurve
    from tinygan.metrics.parzen import PAPER_SIGMAS
    settings = dict(model="mlp", steps=4, g_hidden=16, d_hidden=16, g_depth=1, d_depth=1,
                    batch_size=50, log_every=2, optimizer="adam", lr_decay=1.0)
    plain = gan.build("mnist-5k", **settings)
    plain.trainer.fit()
    curved = gan.build("mnist-5k", **settings)
    curve = ParzenCurve(curved, 2, tmp_path / "curve.json", tmp_path / "curve.png")
    curved.trainer.callbacks.append(curve)
    curved.trainer.fit()
    for a, b in zip(_parameters(plain.trainer), _parameters(curved.trainer)):
        np.testing.assert_array_equal(a, b)
    import json
    saved = json.loads((tmp_path / "curve.json").read_text())
    assert [p["step"] for p in saved["points"]] == [2, 4] and saved["label"] == "seed 0"
    for point in saved["points"]:
        assert point["sigma"] in PAPER_SIGMAS and np.isfinite(point["log_likelihood"])
        assert 0 < point["standard_error"] < 50
    assert (tmp_path / "curve.png").stat().st_size > 1000
    resumed = ParzenCurve(curved, 2, tmp_path / "curve.json")      # resumed at step 4: kept
    assert [p["step"] for p in resumed.points] == [2, 4]


@pytest.mark.parametrize("switch", [
    dict(feature_matching=True), dict(minibatch_kernels=4, minibatch_kernel_dim=3),
    dict(d_batch_norm="reference"), dict(d_batch_norm="virtual", pack=2),
], ids=["feature-matching", "minibatch", "reference-bn", "virtual-bn-pacgan"])
def test_every_stabiliser_switch_trains_through_the_trainer_and_a_seed_fixes_it(switch):
    """The configuration's stabilisers (Salimans et al. 2016) through Algorithm 1: D holds
    the layer the switch names, losses stay finite, the same seed gives the same D."""
    from tinygan.gan.stabilisers import (MinibatchDiscrimination, ReferenceBatchNorm,
                                         WithReferenceBatch)
    params = []
    for _ in range(2):
        trainer = gan.build("ring", steps=6, **{**TINY, **switch}).trainer
        kinds = {type(m) for _, m in trainer.discriminator.named_modules()}
        assert (MinibatchDiscrimination in kinds) == bool(switch.get("minibatch_kernels"))
        assert (ReferenceBatchNorm in kinds) == (WithReferenceBatch in kinds) == ("d_batch_norm" in switch)
        # minibatch features compare a sample with its batch: real and fake never share one
        assert trainer.separate_passes == bool(switch.get("minibatch_kernels"))
        trainer.fit()
        assert all(np.isfinite(trainer.history["d_loss"])) and all(np.isfinite(trainer.history["g_loss"]))
        params.append([p.numpy() for p in trainer.discriminator.parameters()])
    for first, second in zip(*params):
        np.testing.assert_array_equal(first, second)


def test_feature_matching_is_the_generators_loss():
    """With feature_matching, G's loss is ‖mean f(x) − mean f(G(z))‖² over D's last hidden
    layer f, x the D step's real batch, z the G step's own noise stream (computed here by
    hand in float64)."""
    from tinygan import backend
    trainer = gan.build("ring", steps=1, feature_matching=True, **TINY).trainer
    trainer.discriminator_step(0)
    real = trainer._real.numpy().astype(np.float64)
    backend.manual_seed(backend.stream_seed(trainer.config.seed, "generator", trainer.step))
    with tg.no_grad():
        fake = trainer.generator.sample(trainer.config.batch_size).numpy().astype(np.float64)
    layers = list(trainer.discriminator.net)      # Linear, LeakyReLU(0.2), Linear (depth 1)
    weight, bias = layers[0].weight.numpy(), layers[0].bias.numpy()

    def features(x):
        h = x @ weight + bias
        return np.where(h > 0, h, 0.2 * h)
    expected = ((features(real).mean(axis=0) - features(fake).mean(axis=0)) ** 2).sum()
    loss = float(trainer.generator_step().numpy())
    np.testing.assert_allclose(loss, expected, rtol=1e-4)       # float32 sums of 64 rows


MIXTURE = dict(TINY, noise="mixture", noise_components=4, noise_sigma=0.1, noise_dim=8,
               noise_range=2.0)


def test_mixture_prior_draws_each_component_equally_around_its_fixed_mean(on_backend):
    """z = μₖ + σε, k uniform over K fixed means μₖ ~ U(−r, r)^d (GM-GAN). With σ = 0.1
    in d = 8 the components sit ≈ 20σ apart, so each z's nearest mean is its own."""
    G = gan.build("ring", **MIXTURE).trainer.generator
    means = tg.backend.to_numpy(G.noise_means)
    assert means.shape == (4, 8) and means.dtype == np.float32
    assert np.abs(means).max() <= 2.0 and np.abs(means).max() > 1.5          # U(−2, 2)
    tg.manual_seed(3)
    z = tg.backend.to_numpy(G.sample_noise(40_000).data)
    assert z.dtype == np.float32
    own = ((z[:, None] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    # 40,000 uniform draws over 4 components: each count has s.d. √(40,000·¼·¾) ≈ 87
    assert np.abs(np.bincount(own, minlength=4) - 10_000).max() < 450        # 5.2 s.d.
    # 320,000 residuals of s.d. σ = 0.1: the estimate's s.e. is σ/√(2·320,000) ≈ 1.3e-4
    assert (z - means[own]).std() == pytest.approx(0.1, abs=1e-3)
    assert abs((z - means[own]).mean()) < 1e-3                               # s.e. 1.8e-4


def test_mixture_means_come_from_the_seed_alone_and_leave_the_weights_alone(on_backend):
    first, again = (gan.build("ring", **MIXTURE).trainer for _ in range(2))
    other = gan.build("ring", **dict(MIXTURE, seed=1)).trainer
    gaussian = gan.build("ring", **dict(MIXTURE, noise="gaussian")).trainer
    means = [tg.backend.to_numpy(t.generator.noise_means) for t in (first, again, other)]
    assert np.array_equal(means[0], means[1]) and not np.array_equal(means[0], means[2])
    with tg.backend.using("numpy"):     # drawn on the host: the same prior on every backend
        host = gan.build("ring", **MIXTURE).trainer.generator.noise_means
    assert np.array_equal(means[0], host)
    for a, b in zip(_parameters(first), _parameters(gaussian)):   # their own random stream
        assert np.array_equal(a, b)


def test_mixture_prior_survives_training_the_average_and_a_checkpoint(tmp_path):
    trainer = gan.build("ring", **dict(MIXTURE, steps=6, ema=0.9),
                        checkpoint_path=tmp_path / "run.npz").trainer
    means = tg.backend.to_numpy(trainer.generator.noise_means)
    trainer.fit()
    assert np.array_equal(tg.backend.to_numpy(trainer.generator.noise_means), means)
    averaged = trainer.sampling_generator().noise_means
    assert np.array_equal(tg.backend.to_numpy(averaged), means)           # not averaged
    trainer.save_checkpoint()
    restored = gan.build("ring", **dict(MIXTURE, steps=6, ema=0.9)).trainer
    restored.load_checkpoint(tmp_path / "run.npz")
    assert np.array_equal(restored.sample(50, seed=4), trainer.sample(50, seed=4))


def test_a_mixture_generator_needs_its_prior_and_valid_settings():
    G = gan.mlp_generator(4, 2, noise="mixture")
    with pytest.raises(ValueError, match="use_mixture_prior"):
        G.sample_noise(3)
    for field, value in (("noise_sigma", 0.0), ("noise_sigma", float("nan")),
                         ("noise_components", 0)):
        with pytest.raises(gan.ConfigError, match=field):
            gan.build("ring", **dict(MIXTURE, **{field: value}))


@pytest.mark.parametrize("noise", ["uniform", "gaussian", "mixture"])
def test_noise_scale_spreads_z_about_the_priors_centre(on_backend, noise):
    """sample_noise(noise_scale=s) draws the same random numbers as s = 1 and returns
    c + s·(z₀ − c): c = 0 for U(−r, r) and N(0, I), c = μₖ (the draw's own component) for
    the mixture, whose means do not move. Checked to float32 rounding (a few ulp of |z| ≤ 3)."""
    G = gan.build("ring", **dict(MIXTURE, noise=noise)).trainer.generator
    draws = {}
    for s in (1.0, 0.5, 1.7, np.float64(0.5)):
        tg.manual_seed(11)
        draws[s] = tg.backend.to_numpy(G.sample_noise(500, noise_scale=s).data)
        assert draws[s].dtype == np.float32, s          # a NumPy scalar must not promote z
    base = draws[1.0]
    if noise == "uniform":
        assert np.abs(base).max() <= 2.0 and np.abs(draws[0.5]).max() <= 1.0     # U(−s·r, s·r)
    if noise == "mixture":
        means = tg.backend.to_numpy(G.noise_means)
        own = ((base[:, None] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
        centre = means[own]
    else:
        centre = 0.0
    for s in (0.5, 1.7):
        np.testing.assert_allclose(draws[s] - centre, s * (base - centre), rtol=0, atol=2e-6)
    with pytest.raises(ValueError, match="noise scale must be a finite number > 0"):
        G.sample_noise(3, noise_scale=0.0)


def test_noise_scale_reaches_the_samples_and_leaves_the_model_alone():
    experiment = gan.build("ring", **dict(MIXTURE, steps=3))
    trainer = experiment.trainer
    trainer.fit()
    state = {name: value.copy() for name, value in trainer.generator.state_dict().items()}
    plain, wide = trainer.sample(64, seed=2), trainer.sample(64, seed=2, noise_scale=1.5)
    again = trainer.sample(64, seed=2)
    assert np.array_equal(plain, again) and not np.allclose(plain, wide)
    G = trainer.sampling_generator()                      # an MLP: no dropout, no batch norm
    tg.manual_seed(tg.backend.stream_seed(2, "sampling"))
    with tg.no_grad():
        expected = tg.backend.to_numpy(G(G.sample_noise(64, noise_scale=1.5)).data)
    np.testing.assert_array_equal(wide, expected)             # trainer.sample is that, no more
    for name, value in trainer.generator.state_dict().items():
        np.testing.assert_array_equal(value, state[name])
    for bad in (float("nan"), float("inf"), -1.0, True):
        with pytest.raises(ValueError, match="noise scale"):
            trainer.sample(4, noise_scale=bad)
    with pytest.raises(TypeError):                     # keyword only: never a label or dtype
        trainer.generator.sample(4, 1.5)
    with pytest.raises(ValueError, match="not both"):          # samples are drawn already
        evaluate(experiment, samples=plain, noise_scale=1.5)
    with pytest.raises(ValueError, match="not both"):
        evaluate(experiment, samples=plain, draws=2)


@pytest.mark.parametrize("dataset", ["ring", "mixture1d"])
def test_toy_measures_are_a_function_of_the_samples_and_the_seed(dataset):
    """The real samples a toy JSD compares with come from the seed's evaluation stream: the
    same samples and seed give the same numbers whatever the global generator held before,
    and another seed another reference (so another JSD)."""
    data = gan.build(dataset, steps=1).data
    samples = tg.backend.to_numpy(data.distribution.sample(500, dtype="float64")) * 1.1
    measured = []
    for earlier in (1, 2):
        tg.manual_seed(earlier)
        measured.append(data.evaluate(samples, 7))
    assert measured[0] == measured[1]
    assert data.evaluate(samples, 8)["jsd"] != measured[0]["jsd"]


def test_repeated_draws_are_each_draw_measured_and_their_spread():
    """evaluate(draws=N): draw 0 is the single evaluation; draw i is the trainer's sampling
    stream split by i, measured by the data's own protocol; the summary is the mean,
    sample standard deviation, min and max of those measures (the standard library's
    statistics module as the oracle; float64 sums: 1e-12), NaN where a draw is NaN."""
    experiment = gan.build("ring", steps=200, batch_size=64)    # past JSD's ceiling, log 2
    experiment.trainer.fit()
    single = evaluate(experiment)
    repeated = evaluate(experiment, draws=4)
    assert {k: v for k, v in repeated.items() if k not in ("draws", "evaluation_seconds")} == \
        {k: v for k, v in single.items() if k != "evaluation_seconds"}
    rows = repeated["draws"]["per_draw"]
    assert repeated["draws"]["count"] == len(rows) == 4
    n = experiment.config.eval_samples
    for draw, row in enumerate(rows):
        expected = experiment.data.evaluate(experiment.trainer.sample(n, draw=draw), 0)
        assert row == {name: float(expected[name]) for name in
                       ("modes_captured", "high_quality", "min_mode_share_of_all", "jsd")}
    assert len({row["jsd"] for row in rows}) == 4                   # four independent draws
    for name, summary in repeated["draws"]["summary"].items():
        values = [row[name] for row in rows]
        assert summary["mean"] == pytest.approx(statistics.fmean(values), rel=1e-12, abs=1e-15)
        assert summary["sd"] == pytest.approx(statistics.stdev(values), rel=1e-12, abs=1e-15)
        assert (summary["min"], summary["max"]) == (min(values), max(values))
    with_nan = spread([{"a": 1.0, "b": 2.0}, {"a": float("nan"), "b": 4.0}])
    assert all(math.isnan(v) for v in with_nan["a"].values())
    assert with_nan["b"] == {"mean": 3.0, "sd": math.sqrt(2), "min": 2.0, "max": 4.0}
    for bad in (0, -1, 1001, 2.0, True):
        with pytest.raises(ValueError, match="whole number from 1 to 1,000"):
            evaluate(experiment, draws=bad)
