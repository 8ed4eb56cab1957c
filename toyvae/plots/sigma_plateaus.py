"""Figure of BS20.A2-plateaus (App. A.2, Fig. 10): LS-VAE's learned sigma, its pace per block, and the coincidence
of its falls with the ELBO's rises, from the claim's ``figure_data``."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["plateaus"]


@plot("BS20.A2-plateaus")
def plateaus(data):
    fig, (ax1, ax2, ax3) = new_figure(3, width=4.4)
    steps = np.asarray(data["steps"], float)
    for j, row in enumerate(data["sigma"]):
        ax1.plot(steps, row, lw=0.8, color=f"C{j % 10}")
    ax1.set(yscale="log", xlabel="training step", ylabel="learned sigma", title="LS-VAE's sigma per seed (cf. Fig. 10)")
    block = np.asarray(data["block_step"], float)
    pace = np.asarray(data["pace_ratio"], float)
    for j, row in enumerate(pace):
        ax2.plot(block, row, lw=0.8, marker="o", ms=2, color=f"C{j % 10}")
    ax2.axhspan(0, 0.5, color="C0", alpha=0.12, label="plateau: under half the pace")
    ax2.axhline(2.0, color="C3", ls="--", lw=1, label="drop: over twice the pace")
    ax2.set(xlabel="training step (block end)", ylabel="fall of log sigma / average fall",
            title="pace of the fall per block")
    ax2.legend(fontsize=7)
    fall = np.asarray(data["sigma_fall"], float)
    rise = np.asarray(data["elbo_rise"], float)
    for j in range(fall.shape[0]):
        ax3.plot(fall[j], rise[j], "o", ms=2.5, alpha=0.6, color=f"C{j % 10}")
    z = np.asarray(data["staircase_index"], float)
    ax3.set(xlabel="fall of log sigma per block", ylabel="rise of the ELBO per block",
            title=f"staircase index {z.min():.2f}..{z.max():.2f} (plateaus > {data['criterion']:.2f})")
    return fig
