"""``tinygan lessons list`` and ``tinygan lessons export --student DIR``."""
from pathlib import Path

from tinygan import course
from tinygan.cli.common import CommandError


def add_parser(verbs):
    parser = verbs.add_parser("lessons", help="list the lessons, or export student copies")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the lessons in order")
    listing.add_argument("--source", type=Path, help="lessons folder (default: the repository's)")
    export = actions.add_parser("export", help="write student copies with solutions removed")
    export.add_argument("--student", required=True, type=Path, help="folder for the copies")
    export.add_argument("--source", type=Path, help="lessons folder (default: the repository's)")
    parser.set_defaults(run=run)


def run(args):
    source = getattr(args, "source", None) or course.lessons_dir()
    if args.action == "list":
        for lesson in sorted(Path(source).glob("[0-9][0-9]_*.py")):
            print(lesson.name)
        return 0
    try:
        written = course.export_student_copies(args.student, source)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    print(f"wrote {len(written)} student copies to {args.student}")
    return 0
