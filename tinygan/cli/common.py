"""What every ``tinygan`` verb shares: its error type and backend selection."""
from tinygan import backend


class CommandError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


def add_backend_option(parser):
    parser.add_argument("--backend", choices=backend.backend_names(), default=None,
                        help="array module (default: $TINYGAN_BACKEND or numpy)")


def select_backend(name):
    try:
        if name is None:
            backend.xp  # noqa: B018  (raises why $TINYGAN_BACKEND cannot be used, if it cannot)
            return backend.get_backend()
        backend.set_backend(name)
    except backend.BackendError as error:
        raise CommandError(str(error)) from None
    return name
