"""Figures of the BS20 image claims (sklearn digits), from their ``figure_data``."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["table2", "sec43"]


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


@plot("BS20.S43")
def sec43(data):
    """Rate and squared error of F and LV per seed; LV's log sigma on edge vs flat pixels; LV's mean sigma map."""
    v, d = next(iter(data["variants"].items()))
    fig, (ax1, ax2, ax3) = new_figure(3, width=3.6)
    for s, c in (("F", "C7"), ("LV", "C1")):
        ax1.plot(d["rate"][s], d["sq_err"][s], "o", color=c, label=f"{'F (MSE)' if s == 'F' else s}, per seed")
    ax1.set(xlabel="rate (KL per image, nats)", ylabel="squared error per pixel", yscale="log",
            title=f"{v} digits: rate and distortion")
    ax1.legend(fontsize=7)
    stroke = d.get("log_sigma_flat_on_stroke") or [None] * len(d["log_sigma_edge"])
    for k, (e, f, st) in enumerate(zip(d["log_sigma_edge"], d["log_sigma_flat"], stroke)):
        ax2.plot([0, 1], [f, e], "o-", color="C0", alpha=0.7, label="per seed" if k == 0 else None)
        if st is not None:
            ax2.plot([1, 2], [e, st], "o:", color="C3", alpha=0.7, label="flat on the stroke" if k == 0 else None)
    ax2.set_xticks([0, 1, 2], ["flat", "edge", "flat on\nstroke"])
    ax2.set(ylabel="mean log sigma_i(z) (LV-VAE)", title="where the learned sigma is large")
    ax2.legend(fontsize=7)
    im = ax3.imshow(np.asarray(d["sigma_map"], float), cmap="viridis")
    fig.colorbar(im, ax=ax3, fraction=0.046)
    ax3.contour(np.asarray(data["edge_share_map"], float), levels=[0.3], colors="w", linewidths=0.8)
    ax3.set(xticks=[], yticks=[])
    ax3.set_title("LV sigma map (white: edge share 0.3)", fontsize=8)
    return fig
