"""Every student lesson as a Jupyter notebook (jupytext -> nbclient, quick mode): it executes, and
nothing in its markdown or its outputs reveals an exercise's exact answer.

Needs jupytext, nbclient and ipykernel (not dependencies of the package); skipped with a message
where they are absent.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from toyvae.course import LESSONS, exercises_of, render_lesson

jupytext = pytest.importorskip("jupytext", reason="jupytext not installed: pip install jupytext nbclient ipykernel")
nbclient = pytest.importorskip("nbclient", reason="nbclient not installed: pip install jupytext nbclient ipykernel")
pytest.importorskip("ipykernel", reason="ipykernel not installed: pip install jupytext nbclient ipykernel")


def _spellings(x: float) -> list[str]:
    """How an answer could be printed: 3 to 7 significant digits, 2 to 5 decimals."""
    return sorted({f"{x:.{d}g}" for d in range(3, 8)} | {f"{x:.{d}f}" for d in range(2, 6)})


def _revealing(text: str, exact) -> list[str]:
    found = []
    for x in np.atleast_1d(np.asarray(exact, np.float64)):
        if abs(x) < 1e-12 or len(f"{abs(x):.6g}".replace(".", "").lstrip("0")) < 3:
            continue  # a value like 0.5 or 2 is no give-away
        for spelling in _spellings(float(x)):
            if re.search(r"(?<![\d.])" + re.escape(spelling) + r"(?!\d)", text):
                found.append(spelling)
    return found


def _texts(nb) -> tuple[str, str]:
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    outputs = []
    for c in nb.cells:
        for out in c.get("outputs", []):
            outputs.append(out.get("text", ""))
            for key, value in out.get("data", {}).items():
                if key.startswith("text/") or key == "application/json":
                    outputs.append(str(value))
    return markdown, "\n".join(outputs)


@pytest.mark.parametrize("number", [les.number for les in LESSONS])
def test_student_notebook_runs_and_reveals_no_answer(number, tmp_path, monkeypatch):
    monkeypatch.setenv("TOYVAE_COURSE_QUICK", "1")
    monkeypatch.setenv("TOYVAE_COURSE_OUT", str(tmp_path / "figures"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.reads(render_lesson(number), fmt="py:percent")
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    markdown, outputs = _texts(nb)
    assert "Traceback" not in outputs and "IProgress" not in outputs
    assert f"Lesson {number}: 0/" in outputs  # the closing score: nothing answered in the student version
    for c in nb.cells:  # helpers return nothing: no Out: blobs of sympy, paths or feedback objects
        assert not [o for o in c.get("outputs", []) if o.get("output_type") == "execute_result"], c.source
    for e in exercises_of(number):
        exact = e.answer()
        assert not _revealing(markdown, exact), (e.id, "markdown", _revealing(markdown, exact))
        assert not _revealing(outputs, exact), (e.id, "outputs", _revealing(outputs, exact))
