"""Shared by the figure tests: load a script of ``figures/`` by name and run it in quick mode."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FIGURES = Path(__file__).resolve().parents[1] / "figures"


def run_quick(name: str, out):
    """``figures/<name>.py``'s ``main(["--quick", "--out", out])``: what the script returns."""
    spec = importlib.util.spec_from_file_location(name, FIGURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(["--quick", "--out", str(out)])
