"""Figures of the BS20 image claims (sklearn digits), from their ``figure_data``."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["table2"]


@plot("BS20.T2tab")
def table2(data):
    """Held-out ELBO in bits per pixel of F (MSE), LS and LV, per seed (lines join a seed) and per variant."""
    variants = data["variants"]
    fig, axes = new_figure(len(variants), width=4.2)
    for ax, (v, bpp) in zip(axes, variants.items()):
        names = data["settings"]
        x = np.arange(len(names))
        values = np.asarray([bpp[s] for s in names], float)  # (settings, seeds)
        for k in range(values.shape[1]):
            ax.plot(x, values[:, k], "o-", color="C0", alpha=0.5, ms=4, lw=0.8,
                    label="ours, per seed" if k == 0 else None)
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_xticks(x, ["F (MSE)" if s == "F" else s for s in names])
        ax.set(ylabel="held-out ELBO, bits / pixel (all constants)",
               title=f"{v} digits; paper MNIST F {data['paper_MNIST']['F']} vs LV {data['paper_MNIST']['LV']}")
        ax.legend(fontsize=7)
    return fig
