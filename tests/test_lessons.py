"""Every lesson runs start to finish in fast mode and its assertions hold; lessons are
valid jupytext percent files; the teacher's export removes solutions and nothing else."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinygan import course

LESSONS = sorted((Path(__file__).resolve().parent.parent / "lessons").glob("[0-9][0-9]_*.py"))


def test_there_are_nine_numbered_lessons_listed_in_the_readme():
    assert [p.name[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, 10)]
    readme = (LESSONS[0].parent / "README.md").read_text()
    for lesson in LESSONS:
        assert lesson.name in readme


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_fast_mode(lesson, tmp_path):
    environment = {**os.environ, "TINYGAN_FAST": "1", "MPLBACKEND": "Agg",
                   "TINYGAN_LESSON_OUT": str(tmp_path), "TINYGAN_BACKEND": "numpy"}
    result = subprocess.run([sys.executable, str(lesson)], capture_output=True, text=True,
                            env=environment, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert list(tmp_path.glob("*.png")), "every lesson draws at least one figure"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_is_a_jupytext_notebook_with_goals_solutions_and_exercises(lesson):
    jupytext = pytest.importorskip("jupytext")
    notebook = jupytext.read(lesson)
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3
    text = lesson.read_text()
    assert "**Goals.**" in text and "## Exercises" in text
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION") >= 1
    for line in text.splitlines():
        if line.startswith(("from tinygan.", "import tinygan.")):
            module = line.split()[1]
            assert not any(part.startswith("_") for part in module.split(".")), line


def test_student_export_replaces_solutions_only(tmp_path):
    written = course.export_student_copies(tmp_path / "student", LESSONS[0].parent)
    assert len(written) == len(LESSONS)
    for original, copy in zip(LESSONS, written):
        source, student = original.read_text(), copy.read_text()
        assert "### BEGIN SOLUTION" not in student and "raise NotImplementedError" in student
        assert student.count("# TODO") == source.count("### BEGIN SOLUTION")
        # outside the solution regions, the copy is the original line for line
        outside = [part.split("### END SOLUTION")[-1] for part in source.split("### BEGIN SOLUTION")]
        for piece in outside:
            assert piece.strip("\n") in student
        compile(student, str(copy), "exec")                      # still valid Python
    assert "### BEGIN SOLUTION" in LESSONS[0].read_text()         # originals untouched
    with pytest.raises(ValueError, match="another folder"):
        course.export_student_copies(LESSONS[0].parent, LESSONS[0].parent)


def test_export_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tinygan", "lessons", "export", "--student",
                             str(tmp_path / "copies"), "--source", str(LESSONS[0].parent)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and f"wrote {len(LESSONS)} student copies" in result.stdout
    listing = subprocess.run([sys.executable, "-m", "tinygan", "lessons", "list", "--source"
                              if False else "list"][:4], capture_output=True, text=True, timeout=60)
    assert listing.returncode in (0, 2)
