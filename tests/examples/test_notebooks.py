"""Every notebook of examples/notebooks/ runs from a clean kernel without error, and its stored outputs are current.

Each notebook is executed with nbclient (ipykernel's python3 kernel, in examples/notebooks/). Its
text outputs (printed text, errors, and the plain-text result of a cell that has nothing richer)
must equal the ones committed; pictures and the explorer's HTML are not compared byte for byte
(they are checked by tests/test_viz.py and tests/test_explorer*.py), and a notebook rebuilt by
`make notebooks` always passes.
"""

import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook tests need nbformat, nbclient, ipykernel (the dev extra)")
pytest.importorskip("nbclient", reason="notebook tests need nbclient (the dev extra)")
pytest.importorskip("ipykernel", reason="notebook tests need ipykernel (the dev extra)")
from nbclient import NotebookClient  # noqa: E402

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
RICH = ("image/svg+xml", "image/png", "text/html")


def text_outputs(notebook):
    """Per code cell, what a reader reads as text: streams, errors, and plain results with nothing richer."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        for output in cell.outputs:
            if output.output_type == "stream":  # one print may arrive in pieces: join what arrives in a row
                if texts and texts[-1][0] == output.name:
                    texts[-1] = (output.name, texts[-1][1] + output.text)
                else:
                    texts.append((output.name, output.text))
            elif output.output_type == "error":
                texts.append(("error", f"{output.ename}: {output.evalue}"))
            elif not any(kind in output.data for kind in RICH):
                texts.append(("result", output.data.get("text/plain", "")))
            else:
                texts.append(("rich", sorted(kind for kind in output.data if kind in RICH)))
        cells.append(texts)
    return cells


def test_there_is_one_notebook_per_note_and_one_on_convolutions():
    assert [path.name.split("_")[0] for path in NOTEBOOKS if path.name[0].isdigit()] == ["000", "001", "002", "002b", "003"]  # 002b: the Hessian
    assert [path.name for path in NOTEBOOKS if not path.name[0].isdigit()] == [
        "convolution_unfold_and_flipped_kernel.ipynb"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="the notebooks show graphs: needs Graphviz's dot "
                    "(apt-get install graphviz, or make graphviz)")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_from_a_clean_kernel_and_its_stored_outputs_are_current(path):
    committed = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    NotebookClient(fresh, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(FOLDER)}}).execute()
    ran = text_outputs(fresh)
    assert not any(kind == "error" for cell in ran for kind, _ in cell)
    assert ran == text_outputs(committed), f"{path.name}: outputs changed; run `make notebooks` and commit"
    kinds = [kind for cell in ran for kind, _ in cell]
    assert ("rich", ["image/svg+xml"]) in [item for cell in ran for item in cell]  # the graph, inline
    assert ("rich", ["text/html"]) in [item for cell in ran for item in cell]  # the explorer, inline
    assert "stdout" in kinds
