"""``tinygan lessons list``, ``tinygan lessons notebooks DIR`` and
``tinygan lessons export (--student DIR | --nbgrader DIR)``."""
from pathlib import Path

from tinygan import course
from tinygan.cli.common import CommandError


def add_parser(verbs):
    parser = verbs.add_parser("lessons", help="list the lessons, write them as notebooks, "
                                              "or export a course for students")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the lessons in order")
    notebooks = actions.add_parser("notebooks", help="write every lesson as NN_name.ipynb")
    notebooks.add_argument("folder", type=Path, metavar="DIR", help="folder for the notebooks")
    export = actions.add_parser("export", help="student copies (solutions removed) or an "
                                               "nbgrader course")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--student", type=Path, metavar="DIR",
                        help="plain scripts with each solution replaced by a TODO stub")
    target.add_argument("--nbgrader", type=Path, metavar="DIR",
                        help="an nbgrader course: nbgrader_config.py and source/NN_name/")
    for action in (listing, notebooks, export):
        action.add_argument("--source", type=Path,
                            help="lessons folder (default: the repository's)")
    for action in (notebooks, export):
        action.add_argument("--force", action="store_true",
                            help="replace changed files, keeping each as NAME.bak "
                                 "(NAME.bak1, … if taken)")
    parser.set_defaults(run=run)


def run(args):
    try:
        if args.action == "list":
            for lesson in course.lesson_files(args.source):
                print(lesson.name)
            return 0
        if args.action == "notebooks":
            folder, export = args.folder, course.export_notebooks
        elif args.student:
            folder, export = args.student, course.export_student_copies
        else:
            folder, export = args.nbgrader, course.export_nbgrader
        written = export(folder, args.source, force=args.force)
    except course.CourseError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {error.filename}: {error.strerror}") from None
    print(f"wrote {len(written)} file(s) to {folder}" if written
          else f"{folder} is up to date: nothing to write")
    return 0
