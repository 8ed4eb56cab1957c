"""Small figure builders shared by the plot functions (matplotlib, no pyplot).

Each takes plain lists (a claim's ``figure_data``) and returns a ``matplotlib.figure.Figure``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["new_figure", "seed_lines"]


def new_figure(ncols: int = 1, width: float = 5.0, height: float = 3.6):
    """A Figure with ``ncols`` axes side by side (Agg canvas; safe without a display)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def seed_lines(ax, x: Sequence[float], series: Mapping[str, Sequence[Sequence[float]]], *, xlabel: str, ylabel: str,
               title: str = "", logx: bool = False, reference: Mapping[str, Sequence[float]] | None = None):
    """Per-seed values (thin lines, markers) and their mean (thick) for each named series, over ``x``.

    ``series[name]`` has shape (seeds, len(x)); ``reference`` draws exact curves (dashed).
    """
    x = np.asarray(x, np.float64)
    for i, (name, values) in enumerate(series.items()):
        v = np.asarray(values, np.float64)
        colour = f"C{i}"
        for row in np.atleast_2d(v):
            ax.plot(x, row, color=colour, alpha=0.35, lw=0.8, marker="o", ms=2.5)
        ax.plot(x, np.nanmean(np.atleast_2d(v), axis=0), color=colour, lw=2.0, label=f"{name} (mean of seeds)")
    for j, (name, values) in enumerate((reference or {}).items()):
        ax.plot(x, np.asarray(values, np.float64), color="k", ls=("--", ":", "-.")[j % 3], lw=1.2, label=name)
    if logx:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=7)
    return ax
