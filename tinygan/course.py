"""Support for the numbered lessons in ``lessons/``: fast mode, where figures go, and the
teacher's export of student copies.

- ``TINYGAN_FAST=1`` shrinks every lesson's training so the test suite runs them all in
  seconds (``fast()`` tells a lesson which size to use).
- Figures are saved as PNG into ``TINYGAN_LESSON_OUT`` (default ``lessons/out/``) and
  shown when matplotlib has an interactive backend.
- Solutions in a lesson sit between nbgrader's markers ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``; ``export_student_copies`` replaces each such region by a TODO.
"""
import os
import re
from pathlib import Path

__all__ = ["fast", "choose", "output_dir", "show", "export_student_copies", "lessons_dir",
           "student_copy", "LESSONS_DIR"]

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"   # in a source checkout
_SOLUTION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n",
                       re.MULTILINE | re.DOTALL)


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


def show(figure, name):
    """Save ``figure`` as ``<output_dir>/<name>.png``, show it if interactive, close it."""
    import matplotlib
    import matplotlib.pyplot as plt
    path = output_dir() / f"{name}.png"
    figure.savefig(path, dpi=100, bbox_inches="tight")
    print(f"figure saved to {path}")
    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo", "template"):
        plt.show()
    plt.close(figure)
    return path


def lessons_dir():
    """``./lessons`` when it exists (a clone), else the checkout this package lives in."""
    here = Path.cwd() / "lessons"
    return here if here.is_dir() else LESSONS_DIR


def student_copy(text):
    """The lesson text with every solution region replaced by a TODO stub."""
    def stub(match):
        indent = match.group("indent")
        return (f"{indent}# TODO: your code here (see the exercise above)\n"
                f"{indent}raise NotImplementedError(\"write this part of the lesson\")\n")
    return _SOLUTION.sub(stub, text)


def export_student_copies(destination, source=None):
    """Write a student copy of every lesson (``NN_name.py``) of ``source`` into
    ``destination``; return the paths written. The originals are left untouched."""
    source = Path(source) if source else lessons_dir()
    destination = Path(destination)
    if destination.resolve() == source.resolve():
        raise ValueError("the student copies must go to another folder than the lessons")
    lessons = sorted(source.glob("[0-9][0-9]_*.py"))
    if not lessons:
        raise FileNotFoundError(f"no lessons (NN_name.py) in {source}: run this from a clone of "
                                f"the tinygan repository, or pass --source FOLDER")
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in lessons:
        target = destination / lesson.name
        target.write_text(student_copy(lesson.read_text()))
        written.append(target)
    return written
