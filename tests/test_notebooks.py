"""Every notebook is paired: the .ipynb holds the same cells as its jupytext .py, and
no outputs (they belong in notebooks/results/, not in diffs)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PAIRED = sorted(p for p in NOTEBOOKS.glob("*.py") if p.name != "conftest.py")


def test_there_are_notebooks() -> None:
    assert {p.stem for p in PAIRED} >= {"prompt_tuning", "retrieval"}


@pytest.mark.parametrize("script", PAIRED, ids=lambda p: p.name)
def test_notebook_matches_its_script(script: Path) -> None:
    ipynb = script.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} missing: run `jupytext --sync {script.name}`"
    from_script = jupytext.read(script)
    stored = nbformat.read(ipynb, as_version=4)
    assert [(c.cell_type, c.source) for c in stored.cells] == [
        (c.cell_type, c.source) for c in from_script.cells
    ], f"{ipynb.name} and {script.name} differ: run `jupytext --sync notebooks/{script.name}`"
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code"), (
        f"{ipynb.name} holds outputs: clear them before committing"
    )
