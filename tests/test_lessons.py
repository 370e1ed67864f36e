"""The lessons keep the course's conventions (found, not listed: every ``lessons/NN_*.py``),
the course map in ``lessons/README.md`` stays true, and the teacher's exports write what
they promise, all or nothing, and each lesson runs on a device backend (below). Running each
lesson as a notebook is in ``test_notebooks.py``; grading with the real nbgrader in
``test_nbgrader.py``."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tinygan import course

LESSONS_FOLDER = Path(__file__).resolve().parent.parent / "lessons"
LESSONS = course.lesson_files(LESSONS_FOLDER)
IDS = [p.stem for p in LESSONS]
TOPICS = ["generative models and their taxonomy", "the minimax game", "D*", "C(G) and JSD",
          "Algorithm 1", "saturation and the non-saturating loss",
          "mode collapse and its remedies", "label smoothing and batch-norm tricks", "DCGAN",
          "interpolation and vector arithmetic", "conditional GANs",
          "Wasserstein and gradient penalties", "VAE"]


def tinygan(*arguments):
    return subprocess.run([sys.executable, "-m", "tinygan", "lessons", *map(str, arguments)],
                          capture_output=True, text=True, timeout=120)


def course_map():
    """``{topic: cell}`` from the table under "## Course map" in lessons/README.md."""
    readme = (LESSONS_FOLDER / "README.md").read_text()
    section = readme.split("## Course map", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| ")]
    return {topic.strip(): cell.strip() for topic, cell in rows[1:]}      # skip the header


def test_lessons_are_numbered_from_01_without_gaps():
    assert [p.name[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, len(LESSONS) + 1)]


def test_the_course_map_covers_every_topic_and_names_only_real_lessons():
    table = course_map()
    assert set(TOPICS) <= set(table), set(TOPICS) - set(table)
    named = set()
    for topic, cell in table.items():
        lessons = set(re.findall(r"`(\d\d_\w+\.py)`", cell))
        assert lessons or cell.startswith("not yet covered"), (topic, cell)
        named |= lessons
    assert named == {p.name for p in LESSONS}, named ^ {p.name for p in LESSONS}
    readme = (LESSONS_FOLDER / "README.md").read_text()
    for lesson in LESSONS:                                   # the lesson list names it too
        assert f"`{lesson.name}`" in readme.split("## Course map")[0], lesson.name


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_lesson_states_goals_prerequisites_time_exercises_and_reading(lesson):
    jupytext = pytest.importorskip("jupytext")
    notebook = jupytext.read(lesson)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    introduction = markdown[0]
    assert introduction.startswith(f"# Lesson {int(lesson.name[:2])} ")
    for section in ("**Goals.**", "**Prerequisites.**"):
        assert section in introduction, section
    time = re.search(r"\*\*Time to run\.\*\* full: about (\d+) (s|min); "
                     r"fast \(`TINYGAN_FAST=1`\): about (\d+) s\.", introduction)
    assert time, "the introduction states the time to run, full and fast"
    assert any(re.search(r"^## Exercises\n1\. ", cell, re.MULTILINE) for cell in markdown)
    assert markdown[-1].startswith("## Read next\n") and len(markdown[-1]) > 40
    assert notebook.cells[-1].cell_type == "markdown"        # the lesson ends with it


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_lesson_has_checked_exercises_and_uses_the_public_api(lesson):
    jupytext = pytest.importorskip("jupytext")
    notebook = jupytext.read(lesson)
    found = course.exercises(notebook, lesson.name)          # refuses a solution without check
    text = lesson.read_text()
    assert len(found) == text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION")
    for answer, checks in found:
        assert "### END SOLUTION" in notebook.cells[answer].source and checks
    for line in text.splitlines():
        if line.startswith(("from tinygan.", "import tinygan.")):
            module = line.split()[1]
            assert not any(part.startswith("_") for part in module.split(".")), line


def test_exercise_rules_refuse_unchecked_solutions_and_misplaced_checks():
    nbformat = pytest.importorskip("nbformat")
    cell = nbformat.v4.new_code_cell
    solution = cell("### BEGIN SOLUTION\ny = 1\n### END SOLUTION\n")
    check = cell("assert y == 1", metadata={"check": "y_is_one", "points": 2})
    good = nbformat.v4.new_notebook(cells=[solution, check])
    assert course.exercises(good) == [(0, [(1, "y_is_one", 2)])]
    for cells, message in [([solution], "no check cell"), ([check, solution], "before any"),
                           ([solution, cell("1", metadata={"check": "a b", "points": 1})],
                            "not letters"),
                           ([solution, cell("1", metadata={"check": "c", "points": 0})], "points"),
                           ([cell("x = 1")], "no exercise")]:
        with pytest.raises(course.CourseError, match=message):
            course.exercises(nbformat.v4.new_notebook(cells=cells))


def test_lesson_runs_as_a_plain_script(tmp_path):
    """Notebook runs cover every lesson; this covers the script path of ``course.show``."""
    environment = {**os.environ, "TINYGAN_FAST": "1", "MPLBACKEND": "Agg",
                   "TINYGAN_LESSON_OUT": str(tmp_path), "TINYGAN_BACKEND": "numpy"}
    result = subprocess.run([sys.executable, str(LESSONS[0])], capture_output=True, text=True,
                            env=environment, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "figure saved to" in result.stdout and list(tmp_path.glob("*.png"))


# a lesson on the strict stand-in, in a process of its own (it cannot be named in TINYGAN_BACKEND)
ON_STRICT = ("import runpy, sys; sys.path.insert(0, {tests!r}); import strict_backend; "
             "from tinygan import backend; strict_backend.register(backend); "
             "backend.set_backend('strict'); runpy.run_path({lesson!r}, run_name='__main__')")


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_lesson_runs_on_a_backend_whose_arrays_are_not_numpys(lesson, tmp_path):
    """Every lesson in fast mode on CuPy where that is the suite's default backend
    (``.ci/gpu``, whose machine lacks jupytext and nbclient), else on the strict stand-in,
    which refuses host arrays mixed into device computations as CuPy does: a lesson moves
    what it plots or compares with host values through ``tinygan.backend.to_numpy``. (The
    notebook runs in test_notebooks.py use NumPy.)"""
    environment = {**os.environ, "TINYGAN_FAST": "1", "MPLBACKEND": "Agg",
                   "TINYGAN_LESSON_OUT": str(tmp_path), "OPENBLAS_NUM_THREADS": "1"}
    if environment.get("TINYGAN_BACKEND", "").strip().lower() == "cupy":
        command = [sys.executable, str(lesson)]
    else:
        tests = str(Path(__file__).resolve().parent)
        command = [sys.executable, "-c", ON_STRICT.format(tests=tests, lesson=str(lesson))]
    result = subprocess.run(command, capture_output=True, text=True, env=environment,
                            cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def test_student_export_replaces_solutions_only(tmp_path):
    written = course.export_student_copies(tmp_path / "student", LESSONS_FOLDER)
    assert [p.name for p in written] == [p.name for p in LESSONS]
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
    with pytest.raises(course.CourseError, match="another folder"):
        course.export_student_copies(LESSONS_FOLDER, LESSONS_FOLDER)


def test_exports_are_all_or_nothing_and_force_keeps_a_backup(tmp_path):
    source = tmp_path / "lessons"
    source.mkdir()
    for lesson in LESSONS[:2]:
        (source / lesson.name).write_text(lesson.read_text())
    first, second = (tmp_path / "copies" / lesson.name for lesson in LESSONS[:2])
    result = tinygan("export", "--student", tmp_path / "copies", "--source", source)
    assert result.returncode == 0 and "wrote 2 file(s)" in result.stdout, result.stderr
    result = tinygan("export", "--student", tmp_path / "copies", "--source", source)
    assert result.returncode == 0 and "up to date" in result.stdout      # identical: fine

    edited = first.read_text() + "print('my answer')\n"
    first.write_text(edited)                                  # a student's work
    second.unlink()
    result = tinygan("export", "--student", tmp_path / "copies", "--source", source)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert str(first) in result.stderr and str(second) not in result.stderr
    assert first.read_text() == edited and not second.exists()    # nothing written

    result = tinygan("export", "--student", tmp_path / "copies", "--source", source, "--force")
    assert result.returncode == 0, result.stderr
    assert first.read_text() == course.student_copy(LESSONS[0].read_text())
    assert Path(f"{first}.bak").read_text() == edited and second.exists()
    again = course.student_copy(LESSONS[0].read_text()) + "print('my second answer')\n"
    first.write_text(again)
    result = tinygan("export", "--student", tmp_path / "copies", "--source", source, "--force")
    assert result.returncode == 0, result.stderr           # the first backup is kept too
    assert Path(f"{first}.bak").read_text() == edited
    assert Path(f"{first}.bak1").read_text() == again


def test_export_takes_exactly_one_destination(tmp_path):
    for arguments in [(), ("--student", tmp_path / "a", "--nbgrader", tmp_path / "b")]:
        result = tinygan("export", *arguments)
        assert result.returncode == 2 and "--student" in result.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    result = tinygan("list", "--source", LESSONS_FOLDER)
    assert result.returncode == 0 and result.stdout.split() == [p.name for p in LESSONS]
    result = tinygan("list", "--source", tmp_path)
    assert result.returncode == 2 and "no lessons" in result.stderr
    (tmp_path / "file").write_text("mine")
    result = tinygan("notebooks", tmp_path / "file", "--source", LESSONS_FOLDER)
    assert result.returncode == 2 and "not a folder" in result.stderr
    assert (tmp_path / "file").read_text() == "mine"


def test_notebooks_command_writes_every_lesson_with_a_python_kernel(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    result = tinygan("notebooks", tmp_path / "nb", "--source", LESSONS_FOLDER)
    assert result.returncode == 0, result.stderr
    for lesson in LESSONS:
        notebook = nbformat.read(tmp_path / "nb" / f"{lesson.stem}.ipynb", as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata.kernelspec.name == "python3"
        code = "".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert "### BEGIN SOLUTION" in code                   # the teacher's complete version
    assert "up to date" in tinygan("notebooks", tmp_path / "nb", "--source",
                                   LESSONS_FOLDER).stdout    # the same lesson, the same file


def test_nbgrader_export_marks_every_cell(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    result = tinygan("export", "--nbgrader", tmp_path / "course", "--source", LESSONS_FOLDER)
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert "c = get_config()" in config
    for lesson in LESSONS:
        path = tmp_path / "course" / "source" / lesson.stem / f"{lesson.stem}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        grading = [cell.metadata.nbgrader for cell in notebook.cells]
        ids = [meta["grade_id"] for meta in grading]
        assert len(set(ids)) == len(ids)                      # unique per notebook
        points = 0
        for cell, meta in zip(notebook.cells, grading):
            assert meta["schema_version"] == 3 and meta["task"] is False
            assert set(meta) >= {"grade", "grade_id", "locked", "solution"}
            has_solution = "### BEGIN SOLUTION" in cell.source
            assert meta["solution"] == has_solution and meta["locked"] == (not has_solution)
            if meta["grade"]:                                 # an autograded test cell
                assert cell.cell_type == "code" and meta["points"] > 0
                assert meta["grade_id"].endswith("_check") and "assert" in cell.source
                points += meta["points"]
            else:
                assert "points" not in meta
        answers = [meta["grade_id"] for meta in grading if meta["solution"]]
        assert answers and all(f"{name}_check" in ids for name in answers)
        assert points >= 1
        assert not any({"check", "points"} & set(cell.metadata) for cell in notebook.cells)
