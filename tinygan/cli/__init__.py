"""The ``tinygan`` command: ``tinygan info``, ``tinygan train``, ``tinygan sample``,
``tinygan evaluate`` and ``tinygan lessons export``."""
import argparse
import sys

from tinygan.cli.common import CommandError
from tinygan.cli import data, evaluate, info, lessons, sample, train

__all__ = ["main"]

COMMANDS = [train, sample, evaluate, data, lessons, info]


def build_parser():
    import tinygan
    parser = argparse.ArgumentParser(
        prog="tinygan", description="tinygan: learn GANs with a from-scratch autograd library.")
    parser.add_argument("--version", action="version", version=f"tinygan {tinygan.__version__}")
    verbs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(verbs)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.run(args) or 0
    except CommandError as error:
        print(f"tinygan {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinygan {args.command}: interrupted", file=sys.stderr)
        return 130
