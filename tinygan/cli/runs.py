"""A run folder: what ``tinygan train`` writes, and how a later command finds it again.

    DIR/config.json      the exact configuration (written first, so --resume can read it)
    DIR/checkpoint.npz   model, optimisers, schedules, step, history (atomic, no pickle)
    DIR/metrics.json     every measured number, with seed, versions, backend, wall time
    DIR/samples.npy      generated samples (host array)
    DIR/samples.png      samples over the data density, or an image grid for MNIST
    DIR/losses.png       losses and D's outputs over training
"""
import json
import platform

import numpy

from tinygan import backend
from tinygan.checkpoint import CheckpointError, atomic_write, load
from tinygan.cli.common import CommandError
from tinygan.data import DataError
from tinygan.gan import ConfigError, GANConfig, build
from tinygan.nn import StateDictError

RUN_FILES = ("config.json", "checkpoint.npz", "metrics.json", "samples.npy", "samples.png",
             "losses.png", "parzen_curve.json", "parzen_curve.png")


def write_json(path, values):
    """Write ``values`` as JSON, atomically (a reader never sees half a file)."""
    text = json.dumps(values, indent=2, sort_keys=True, allow_nan=True) + "\n"
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))


def read_config(path):
    """A run's ``config.json``, refused with one line if it is not valid JSON or names
    wrong fields or wrong types."""
    try:
        return GANConfig.from_dict(json.loads(path.read_text(encoding="utf-8"))).validate()
    except (ValueError, UnicodeDecodeError) as error:      # JSON errors are ValueErrors
        raise CommandError(f"{path} is not a valid tinygan configuration: {error}") from None
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None


def build_experiment(config, **options):
    """``gan.build`` with its refusals (bad data, a configuration the data cannot serve)
    turned into one-line command errors."""
    try:
        return build(config, **options)
    except (DataError, ConfigError) as error:
        raise CommandError(str(error)) from None


def data_dir_for(source, data_dir):
    """The data a run is measured on: ``--data-dir`` when given, else the IDX folder the
    checkpoint records (embedded and toy data need no folder)."""
    if data_dir is not None or not isinstance(source, dict):
        return data_dir
    return source.get("path") if str(source.get("origin", "")).startswith("IDX") else None


def describe(source):
    return f"{source.get('origin')} (sha256 {str(source.get('sha256'))[:12]}…)" \
        if isinstance(source, dict) else "unrecorded data"


def other_data(recorded, used):
    """None when ``used`` is the data ``recorded`` in a checkpoint (or none was recorded),
    else a sentence naming both."""
    if not isinstance(recorded, dict) or recorded.get("sha256") == used.get("sha256"):
        return None
    return f"the checkpoint was trained on {describe(recorded)}, not on {describe(used)}"


def experiment_from_checkpoint(path, data_dir=None):
    """Rebuild the experiment a checkpoint came from and load its state into it; returns
    the experiment and the data source the checkpoint records (None for old ones)."""
    try:
        state = load(path)
    except CheckpointError as error:
        raise CommandError(str(error)) from None
    if not isinstance(state, dict) or state.get("kind") != "tinygan-gan-run":
        raise CommandError(f"{path} is a tinygan checkpoint but not of a GAN run "
                           f"(made by `tinygan train`)")
    try:
        config = GANConfig.from_dict(state.get("config")).validate()
    except ConfigError as error:
        raise CommandError(f"{path} holds a configuration tinygan cannot use: {error}") from None
    recorded = state.get("data_source")
    experiment = build_experiment(config, data_dir=data_dir_for(recorded, data_dir))
    try:
        experiment.trainer.load_state_dict(state)
    except (StateDictError, ValueError) as error:
        raise CommandError(f"{path} does not fit the model it names: {error}") from None
    return experiment, recorded


def environment():
    import tinygan
    return {"tinygan": tinygan.__version__, "numpy": numpy.__version__,
            "python": platform.python_version(), "backend": backend.get_backend(),
            "machine": platform.machine(), "processor": platform.processor() or platform.machine()}


def save_figures(experiment, samples, folder):
    """samples.png and losses.png; a missing matplotlib costs the figures, not the run."""
    from tinygan import plots
    try:
        experiment.data.samples_figure(samples, folder / "samples.png")
        plots.losses_figure(experiment.trainer.history, folder / "losses.png",
                            critic=experiment.config.loss == "wasserstein")
    except ImportError as error:
        return f"{error}: figures skipped"
    return None



