"""The report's pictures: each claim's ``plot`` applied to the ``figure_data`` its run recorded.

Nothing is recomputed: a figure is drawn from the numbers in the run record, so the report of a run
shows that run's figures (a ``--full`` run's report shows the full-profile ones), and
``toyvae report RUN.json`` redraws them without training.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Picture", "registered_plots", "draw", "DPI"]

# 160 dpi puts a 6.4 x 4.4 inch figure at about 1020 x 700 pixels (100-250 KB), shown at half that
# size on the page: sharp on high-density screens and legible when opened full size.
DPI = 160

Plot = Callable[[Mapping[str, Any]], Any]


@dataclasses.dataclass(frozen=True)
class Picture:
    """A claim's figure: PNG bytes, or ``None`` with the reason in ``note``."""

    png: bytes | None
    note: str = ""


def registered_plots() -> tuple[dict[str, Plot], list[str]]:
    """The plot functions by claim id (:mod:`toyvae.plots`, then any a claim still declares itself), and the
    modules that failed to import.

    Imports each module on its own, so a module that cannot be imported (a half-finished experiment) costs
    only its own claims' pictures, not the report.
    """
    from toyvae.claims.registry import FAMILIES, registered
    from toyvae.plots import registered_plots as plot_modules

    plots, failures = plot_modules()
    for family in FAMILIES:
        for module in family.modules:
            try:
                importlib.import_module(f"toyvae.claims.{module}")
            except Exception as err:  # noqa: BLE001 - any import failure only loses that module's figures
                failures.append(f"toyvae.claims.{module}: {type(err).__name__}: {err}")
    for cid, c in registered().items():
        if c.plot is not None:
            plots.setdefault(cid, c.plot)
    return plots, failures


def draw(result: Mapping[str, Any], plots: Mapping[str, Plot], *, import_failures: list[str] = ()) -> Picture:
    """The picture of one result row: its claim's plot on its ``figure_data``, as PNG bytes.

    Never raises: a missing plot, missing data or a plot that fails gives a ``Picture`` without PNG
    whose ``note`` says why (the card shows it).
    """
    plot = plots.get(result["id"])
    data = result.get("figure_data") or {}
    if plot is None:
        if import_failures:
            return Picture(None, "No figure: some claim modules could not be imported ("
                           + "; ".join(import_failures)[:300] + ").")
        return Picture(None, "No figure: this claim has no plot function.")
    if not data:
        return Picture(None, "No figure: the run recorded no figure data for this claim"
                       " (it was run by code that did not record any).")
    figure = None
    try:
        figure = plot(data)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    except Exception as err:  # noqa: BLE001 - a failing plot must not stop the report
        message = " ".join(f"{type(err).__name__}: {err}".split())
        return Picture(None, f"The figure could not be drawn: {message[:300]}")
    finally:
        if figure is not None and "matplotlib.pyplot" in sys.modules:  # a plot made with pyplot
            sys.modules["matplotlib.pyplot"].close(figure)
    return Picture(buffer.getvalue())
