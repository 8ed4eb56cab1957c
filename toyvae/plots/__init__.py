"""Plots: one module per claim family, each drawing a claim's figure from its JSON-able ``figure_data``.

A plot function takes the mapping a claim's check recorded (``Outcome.figure_data``, stored in the JSON
run) and returns a ``matplotlib.figure.Figure``; it imports no claim and no experiment, so the report can
redraw the figures of a saved run, and figure scripts can draw what an experiment measured.

Plot functions register under their claim's id with :func:`plot`; :func:`plot_for` finds one (importing
the family modules listed in :data:`MODULES`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from toyvae.plots._style import new_figure, seed_lines

__all__ = ["plot", "plot_for", "registered_plots", "new_figure", "seed_lines", "MODULES"]

Plot = Callable[[Mapping[str, Any]], Any]
_PLOTS: dict[str, Plot] = {}
# The family modules of this package (each registers its plots when imported).
MODULES: tuple[str, ...] = ("bs20_toy", "bs20_sphere", "bs20_images", "nl26", "mb", "sl", "scale", "theory",
                            "gaussian_codes", "sigma_plateaus", "sample_quality")


def plot(claim_id: str) -> Callable[[Plot], Plot]:
    """Register the decorated function as the plot of ``claim_id``."""

    def register(fn: Plot) -> Plot:
        if claim_id in _PLOTS and _PLOTS[claim_id].__qualname__ != fn.__qualname__:
            raise ValueError(f"a plot for {claim_id!r} is registered twice")
        _PLOTS[claim_id] = fn
        return fn

    return register


def registered_plots() -> tuple[dict[str, Plot], list[str]]:
    """Every registered plot by claim id, and the plot modules that failed to import (with why)."""
    failures = []
    for name in MODULES:
        try:
            importlib.import_module(f"toyvae.plots.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"toyvae.plots.{name}":
                failures.append(f"toyvae.plots.{name}: {err}")
        except Exception as err:  # noqa: BLE001 - a broken module costs only its own figures
            failures.append(f"toyvae.plots.{name}: {type(err).__name__}: {err}")
    return dict(_PLOTS), failures


def plot_for(claim_id: str) -> Plot | None:
    """The plot function of ``claim_id`` (None when it has none)."""
    return registered_plots()[0].get(claim_id)
