"""The course, graded by the real nbgrader: ``tinygan lessons export --nbgrader``, then
``nbgrader generate_assignment`` (no solution text may reach the release), then
``nbgrader autograde`` of two submissions per lesson: the release with the solutions filled
back in must get full marks, the untouched release zero on every exercise, without a crash
of the grader. Scores are read from nbgrader's gradebook.

It runs every lesson twice through a kernel (about 4 minutes on 2 shared cores), so it is
opt-in: ``python -m pytest -m nbgrader`` (it is also marked slow, so the default run skips it).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader")
from nbgrader.api import Gradebook  # noqa: E402

from tinygan import course  # noqa: E402

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
LESSONS = course.lesson_files(ROOT / "lessons")
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)


def nbgrader(course_folder, *arguments):
    """Run the nbgrader command in the course folder, the interpreter's bin folder first on
    PATH (nbgrader calls ``alembic`` from there)."""
    environment = {**os.environ, "TINYGAN_FAST": "1", "TINYGAN_BACKEND": "numpy",
                   "TINYGAN_LESSON_OUT": str(course_folder.parent / "figures"),
                   "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                            os.environ.get("PATH", "")]),
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}   # speed only
    environment.pop("MPLBACKEND", None)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=course_folder,
                            env=environment, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return result


def cells(path):
    return json.loads(path.read_text())["cells"]


@pytest.mark.timeout(2400)
def test_nbgrader_releases_without_solutions_and_grades_both_submissions(tmp_path):
    folder = tmp_path / "course"
    exported = subprocess.run([sys.executable, "-m", "tinygan", "lessons", "export", "--nbgrader",
                               str(folder), "--source", str(ROOT / "lessons")],
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    nbgrader(folder, "generate_assignment", "*")

    assignments = [lesson.stem for lesson in LESSONS]
    for name in assignments:
        source = folder / "source" / name / f"{name}.ipynb"
        release = folder / "release" / name / f"{name}.ipynb"
        released = "".join("".join(cell["source"]) for cell in cells(release))
        text = (ROOT / "lessons" / f"{name}.py").read_text()
        solutions, given = SOLUTION.findall(text), course.student_copy(text)
        assert solutions and "BEGIN SOLUTION" not in released
        for line in filter(None, map(str.strip, "".join(solutions).splitlines())):
            # a solution line may appear in the release only as often as in the given code
            assert released.count(line) <= given.count(line), (name, line)
        assert released.count("raise NotImplementedError()") == len(solutions)

        answers = {cell["metadata"]["nbgrader"]["grade_id"]: cell["source"]
                   for cell in cells(source) if cell["metadata"]["nbgrader"]["solution"]}
        solved = json.loads(release.read_text())
        for cell in solved["cells"]:
            if cell["metadata"]["nbgrader"]["solution"]:
                cell["source"] = answers.pop(cell["metadata"]["nbgrader"]["grade_id"])
        assert not answers                                     # every answer cell refilled
        for student, text in [("solved", json.dumps(solved)), ("untouched", release.read_text())]:
            submitted = folder / "submitted" / student / name
            submitted.mkdir(parents=True)
            (submitted / f"{name}.ipynb").write_text(text)
    nbgrader(folder, "autograde", "*")

    scores = {}
    with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gradebook:
        assert sorted(a.name for a in gradebook.assignments) == assignments
        for name in assignments:
            for student in ("solved", "untouched"):
                submission = gradebook.find_submission(name, student)
                grades = [grade for notebook in submission.notebooks
                          for grade in notebook.grades if grade.max_score]
                scores[name, student] = (submission.score, submission.max_score)
                assert grades and submission.max_score > 0
                if student == "solved":
                    assert all(g.auto_score == g.max_score for g in grades), (name, student)
                else:
                    assert all(g.auto_score == 0 for g in grades), (name, student)
    print("\n".join(f"{name} {student}: {score:g} / {top:g}"
                    for (name, student), (score, top) in scores.items()))
