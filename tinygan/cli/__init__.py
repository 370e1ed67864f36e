"""The ``tinygan`` command: ``tinygan info``, ``tinygan train``, ``tinygan sample``,
``tinygan evaluate``, ``tinygan data`` and ``tinygan lessons``.

Exit status: 0 done; 2 a user error (bad argument, bad or missing file, no permission, not
enough memory), reported in one line; 130 after Ctrl-C and 143 after SIGTERM (training
saves its checkpoint first); 1 a bug in tinygan, the only case that prints a traceback."""
import argparse
import signal
import sys
import threading
import traceback
import warnings

from tinygan.cli.common import CommandError, Stopped
from tinygan.cli import data, evaluate, info, lessons, sample, train

__all__ = ["main", "build_parser"]

COMMANDS = [train, sample, evaluate, data, lessons, info]
BUG_REPORT = "this is a bug in tinygan; please report it with the traceback above"


class Terminated(KeyboardInterrupt):
    """SIGTERM outside training."""


def build_parser():
    import tinygan
    parser = argparse.ArgumentParser(
        prog="tinygan", description="tinygan: learn GANs with a from-scratch autograd library.")
    parser.add_argument("--version", action="version", version=f"tinygan {tinygan.__version__}")
    verbs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(verbs)
    return parser


def _terminate(signum, frame):
    raise Terminated


def _one_line(error):
    return " ".join(str(error).split())


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)          # argparse refuses bad syntax itself: exit 2
    if args.command is None:
        parser.print_help()
        return 0
    name = f"tinygan {args.command}"
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # divergence is checked instead
            return args.run(args) or 0
    except CommandError as error:
        print(f"{name}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Stopped as stop:
        print(f"{name}: {_one_line(stop.message)}", file=sys.stderr)
        return stop.status
    except Terminated:
        print(f"{name}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except MemoryError:
        print(f"{name}: error: not enough memory for this request", file=sys.stderr)
        return 2
    except OSError as error:                  # permissions, a full disk, a vanished folder
        where = f"{error.filename}: " if error.filename else ""
        print(f"{name}: error: {where}{error.strerror or _one_line(error)}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print(f"{name}: {BUG_REPORT}", file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
