"""What every ``tinygan`` verb shares: its error types, backend selection, and the checks
on paths made before anything is written."""
import os
from pathlib import Path

from tinygan import backend


class CommandError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


class Stopped(KeyboardInterrupt):
    """The command stopped on a signal (Ctrl-C: exit 130, SIGTERM: exit 143) after saving
    what it could; ``message`` says what was kept."""

    def __init__(self, message, status):
        super().__init__(message)
        self.message, self.status = message, status


def add_backend_option(parser):
    parser.add_argument("--backend", choices=backend.backend_names(), default=None,
                        help="array module (default: $TINYGAN_BACKEND or numpy)")


def add_noise_scale_option(parser):
    parser.add_argument("--noise-scale", type=float, default=1.0, metavar="S",
                        help="draw z = c + S·(z₀ − c) about the prior's centre c: N(0, S²I), "
                             "U(−S·r, S·r), or the mixture's components at S·σ; below 1 "
                             "fewer odd samples and less variety, above 1 the reverse "
                             "(default 1: the prior G was trained on)")


def check_noise_scale(scale):
    from tinygan.gan.models import noise_scale_problem
    problem = noise_scale_problem(scale)
    if problem:
        raise CommandError(f"--noise-scale: {problem}")


def noise_scale_note(scale):
    """What the printed summary says about --noise-scale: nothing at the trained prior."""
    return "" if scale == 1 else f" (noise scale {scale!r})"


def select_backend(name):
    try:
        if name is None:
            backend.xp  # noqa: B018  (raises why $TINYGAN_BACKEND cannot be used, if it cannot)
            return backend.get_backend()
        backend.set_backend(name)
    except backend.BackendError as error:
        raise CommandError(str(error)) from None
    return name


def check_writable_folder(folder, option):
    """Refuse, before anything is written, a folder that cannot be made or written: one
    that is a file, lies under a file, or sits where we have no permission to write."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{option} {folder} is a file, not a folder")
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"{option} {folder} lies under {existing}, which is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CommandError(f"{option} {folder}: no permission to write in {existing}")
    return folder


def check_output_file(path, option):
    """Refuse an output file that is a folder, or whose folder cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{option} {path} is a folder; name a file")
    check_writable_folder(path.parent, f"{option} {path}: the folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise CommandError(f"{option} {path}: no permission to overwrite it")
    return path


def free_memory():
    """Bytes of memory available now (Linux and macOS; None where unknown)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(needed, request, what):
    """Refuse ``request`` (the option as typed) before allocating when ``needed`` bytes
    for ``what`` exceed the memory free now."""
    available = free_memory()
    if available is not None and needed > available:
        raise CommandError(f"{request} needs {needed / 2 ** 30:.3g} GiB of memory for {what}; "
                           f"{available / 2 ** 30:.3g} GiB is free")
