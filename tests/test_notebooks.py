"""Every lesson, written as a notebook by ``tinygan lessons notebooks``, runs start to finish
through a real Jupyter kernel in fast mode: no cell may raise, every figure is displayed
inline, and the kernel imports this checkout's tinygan. Lessons are found, not listed."""
import json
import sys
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

from tinygan import course  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSONS = course.lesson_files(ROOT / "lessons")
KERNEL = "tinygan-lessons"


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    course.export_notebooks(folder, ROOT / "lessons")        # the command: test_lessons.py
    return folder


def kernel_manager(folder, environment):
    """A kernel of the interpreter running the tests (a kernelspec written into ``folder``),
    so the notebook sees the same packages; it inherits this process's environment
    (PYTHONPATH included) plus ``environment``."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tinygan lessons", "language": "python", "env": environment}))
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_as_a_notebook_in_a_kernel(lesson, notebooks, tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)          # the kernel's own inline backend
    notebook = nbformat.read(notebooks / f"{lesson.stem}.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import tinygan\nprint(tinygan.__file__)"))
    environment = {"TINYGAN_FAST": "1", "TINYGAN_BACKEND": "numpy",
                   "TINYGAN_LESSON_OUT": str(tmp_path / "out"),
                   # speed only: on 2 shared cores one BLAS thread ran these small matrices
                   # about 4x faster than two; no assertion depends on it
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    client = nbclient.NotebookClient(notebook, km=kernel_manager(tmp_path, environment),
                                     timeout=600, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()                          # raises CellExecutionError at the first error

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:
        assert not [out for out in cell.outputs if out.output_type == "error"], cell.source
    figures = [cell for cell in code if "course.show(" in cell.source]
    assert figures, "every lesson draws at least one figure"
    for cell in figures:                      # each one inline, as a PNG in the notebook
        images = [out for out in cell.outputs if "image/png" in out.get("data", {})]
        assert len(images) == cell.source.count("course.show("), cell.source
    saved = sorted(path.name for path in (tmp_path / "out").glob("*.png"))
    assert len(saved) >= len(figures)
    imported = code[-1].outputs[0]["text"].strip()
    assert Path(imported).resolve() == ROOT / "tinygan" / "__init__.py"
