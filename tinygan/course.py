"""Support for the numbered lessons in ``lessons/``: fast mode, where figures go, and the
teacher's exports (student scripts, notebooks, an nbgrader course).

- ``TINYGAN_FAST=1`` shrinks every lesson's training so the test suite runs them all in
  about a minute (``fast()`` tells a lesson which size to use).
- Figures are saved as PNG into ``TINYGAN_LESSON_OUT`` (default ``lessons/out/``) and
  shown: inline in a notebook, in a window when matplotlib has an interactive backend.
- A lesson is a jupytext percent script. Solutions sit between nbgrader's markers
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the cell that checks an exercise starts
  ``# %% check="name" points=N`` and follows the cell holding its solution
  (``lessons/README.md``, "For teachers").
- Every export is all or nothing: when a file it would write exists with other content,
  nothing is written (``CourseError`` names the files) unless ``force=True``, which keeps
  the old file as ``NAME.bak`` (``NAME.bak1``, ``NAME.bak2``, … where that exists: no
  earlier backup is overwritten).
"""
import os
import re
import sys
from pathlib import Path

__all__ = ["fast", "choose", "output_dir", "show", "lessons_dir", "lesson_files",
           "student_copy", "lesson_notebook", "nbgrader_notebook", "exercises",
           "export_student_copies", "export_notebooks", "export_nbgrader", "CourseError",
           "LESSONS_DIR", "NBGRADER_CONFIG"]

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"   # in a source checkout
_SOLUTION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n",
                       re.MULTILINE | re.DOTALL)
_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
NBGRADER_CONFIG = '''\
"""nbgrader settings for the tinygan course (written by `tinygan lessons export --nbgrader`).

    nbgrader generate_assignment 01_autograd     # source/ -> release/, solutions removed
    nbgrader autograde 01_autograd               # submitted/<student>/ -> autograded/
"""
import os

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "tinygan"
c.Execute.timeout = 1800     # seconds per cell: a full-size training cell takes minutes
# Grade in fast mode: every check holds in both modes, and the whole course then runs in
# about two minutes. Delete this line to grade full-size runs.
os.environ.setdefault("TINYGAN_FAST", "1")
'''


class CourseError(ValueError):
    """A lesson that breaks the course's conventions, or an export that would overwrite."""


def fast():
    """True when TINYGAN_FAST=1: lessons shrink their training to run in seconds."""
    return os.environ.get("TINYGAN_FAST", "0") not in ("", "0")


def choose(full, quick):
    """``quick`` in fast mode, ``full`` otherwise: ``steps = choose(3000, 100)``."""
    return quick if fast() else full


def output_dir():
    folder = Path(os.environ.get("TINYGAN_LESSON_OUT", Path.cwd() / "lessons" / "out"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _in_notebook():
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def show(figure, name):
    """Save ``figure`` as ``<output_dir>/<name>.png``, show it (inline in a notebook, in a
    window with an interactive backend), close it."""
    import matplotlib
    import matplotlib.pyplot as plt
    path = output_dir() / f"{name}.png"
    figure.savefig(path, dpi=100, bbox_inches="tight")
    print(f"figure saved to {path}")
    if _in_notebook():
        from IPython.display import Image, display
        display(Image(filename=str(path)))
    elif matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo", "template"):
        plt.show()
    plt.close(figure)
    return path


def lessons_dir():
    """``./lessons`` when it exists (a clone), else the checkout this package lives in."""
    here = Path.cwd() / "lessons"
    return here if here.is_dir() else LESSONS_DIR


def lesson_files(source=None):
    """Every lesson ``NN_name.py`` in ``source``, in order."""
    source = Path(source) if source else lessons_dir()
    lessons = sorted(source.glob("[0-9][0-9]_*.py"))
    if not lessons:
        raise CourseError(f"no lessons (NN_name.py) in {source}: run this from a clone of "
                          f"the tinygan repository, or pass --source FOLDER")
    return lessons


def student_copy(text):
    """The lesson text with every solution region replaced by a TODO stub."""
    def stub(match):
        indent = match.group("indent")
        return (f"{indent}# TODO: your code here (see the exercise above)\n"
                f"{indent}raise NotImplementedError(\"write this part of the lesson\")\n")
    return _SOLUTION.sub(stub, text)


def _jupytext():
    try:
        import jupytext
    except ImportError:
        raise CourseError("notebooks need jupytext: pip install jupytext") from None
    return jupytext


def lesson_notebook(lesson):
    """The lesson as a notebook (nbformat 4), set to run on the ``python3`` kernel."""
    notebook = _jupytext().read(lesson)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:02d}"          # stable ids: the same lesson, the same file
    notebook.metadata["kernelspec"] = dict(_KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def exercises(notebook, name="lesson"):
    """``[(answer_index, [(check_index, check_name, points), ...]), ...]``: each code cell
    with a solution region, and the ``check`` cells after it (before the next solution)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if "### BEGIN SOLUTION" in cell.source:
            found.append((index, []))
        if "check" in cell.metadata:
            check, points = cell.metadata["check"], cell.metadata.get("points")
            if not found:
                raise CourseError(f"{name}: check {check!r} comes before any solution cell")
            if not re.fullmatch(r"[A-Za-z0-9_]+", str(check)):
                raise CourseError(f"{name}: check name {check!r} is not letters, digits, _")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                raise CourseError(f"{name}: check {check!r} needs points=N with N > 0")
            found[-1][1].append((index, check, points))
    if not found:
        raise CourseError(f"{name}: no exercise (a cell with ### BEGIN SOLUTION)")
    names = [check for _, checks in found for _, check, _ in checks]
    for answer, checks in found:
        if not checks:
            raise CourseError(f"{name}: the solution in cell {answer} has no check cell after it "
                              f"(start one with # %% check=\"name\" points=N)")
    if len(set(names)) != len(names):
        raise CourseError(f"{name}: check names repeat: {names}")
    return found


def _grading(grade_id, *, solution=False, grade=False, points=None):
    """nbgrader's cell metadata (schema 3): answer cells are unlocked, all others locked."""
    metadata = {"grade": grade, "grade_id": grade_id, "locked": not solution,
                "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        metadata["points"] = points
    return metadata


def nbgrader_notebook(lesson):
    """The lesson as an nbgrader source notebook: an autograded answer cell per solution
    cell, an autograded test cell (with points) per check cell, every other cell read-only."""
    notebook = lesson_notebook(lesson)
    notebook.metadata.pop("jupytext", None)
    roles = {}
    for answer, checks in exercises(notebook, Path(lesson).name):
        roles[answer] = _grading(checks[0][1], solution=True)
        for index, check, points in checks:
            roles[index] = _grading(f"{check}_check", grade=True, points=points)
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("check", None)
        cell.metadata.pop("points", None)
        cell.metadata["nbgrader"] = roles.get(index) or _grading(f"{cell.cell_type}_{index:02d}")
    return notebook


def _backup_name(path):
    """NAME.bak, or the first of NAME.bak1, NAME.bak2, … that is free: a second --force
    keeps the first one's backup (a student's earlier work) as well."""
    backup, number = path.with_name(path.name + ".bak"), 0
    while backup.exists() or backup.is_symlink():
        number += 1
        backup = path.with_name(f"{path.name}.bak{number}")
    return backup


def _write_all(files, force=False):
    """Write ``{path: text}``: all or nothing. Identical files are left alone; a file with
    other content stops everything (naming it) unless ``force``, which keeps it under
    ``_backup_name``."""
    changed = [path for path, text in files.items()
               if path.exists() and (path.is_dir() or path.read_text() != text)]
    if changed and not force:
        names = ", ".join(str(path) for path in changed)
        raise CourseError(f"would overwrite {len(changed)} changed file(s): {names} "
                          f"(--force keeps each as NAME.bak, or NAME.bak1, … if that exists)")
    written = []
    for path, text in files.items():
        if path.is_file() and path.read_text() == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.replace(path, _backup_name(path))
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text)
        os.replace(temporary, path)
        written.append(path)
    return written


def _export(destination, source, render, force, extra=None):
    lessons = lesson_files(source)
    destination = Path(destination)
    if destination.resolve() == lessons[0].parent.resolve():
        raise CourseError("the copies must go to another folder than the lessons")
    if destination.exists() and not destination.is_dir():
        raise CourseError(f"{destination} exists and is not a folder")
    files = {destination / relative: text for relative, text in (extra or {}).items()}
    for lesson in lessons:
        for relative, text in render(lesson).items():
            files[destination / relative] = text
    return _write_all(files, force)


def _ipynb(notebook):
    return _jupytext().writes(notebook, fmt="ipynb")


def export_student_copies(destination, source=None, force=False):
    """Write a student copy of every lesson (``NN_name.py``, solutions replaced by TODO
    stubs) into ``destination``; return the paths. The originals are left untouched."""
    return _export(destination, source,
                   lambda lesson: {lesson.name: student_copy(lesson.read_text())}, force)


def export_notebooks(destination, source=None, force=False):
    """Write every lesson, solutions included, as ``NN_name.ipynb`` into ``destination``."""
    return _export(destination, source,
                   lambda lesson: {f"{lesson.stem}.ipynb": _ipynb(lesson_notebook(lesson))},
                   force)


def export_nbgrader(destination, source=None, force=False):
    """Write an nbgrader course: ``nbgrader_config.py`` and one assignment per lesson,
    ``source/NN_name/NN_name.ipynb``."""
    def render(lesson):
        return {f"source/{lesson.stem}/{lesson.stem}.ipynb": _ipynb(nbgrader_notebook(lesson))}
    return _export(destination, source, render, force,
                   extra={"nbgrader_config.py": NBGRADER_CONFIG})
