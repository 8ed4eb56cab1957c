"""Figure of MB.Samples (MB Figs. 2, 5, 7; Sec. 4): the sample-quality proxy per model kind, with its floor and
controls, and a few mean samples beside held-out patches, from the claim's ``figure_data``."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["samples"]


@plot("MB.Samples")
def samples(data):
    fig, (ax1, ax2) = new_figure(2, width=5.2)
    kinds = list(data["kinds"])
    for i, k in enumerate(kinds):
        v = np.asarray(data["fd"][k], float)
        ax1.plot(np.full(v.size, i), v, "o", color=f"C{i}", alpha=0.7)
        ax1.plot([i - 0.2, i + 0.2], [v.mean()] * 2, color=f"C{i}", lw=2)
    ax1.axhspan(data["floor"] - 2 * data["floor_sd"], data["floor"] + 2 * data["floor_sd"], color="gray", alpha=0.3,
                label="data vs data (floor +- 2 sd)")
    ax1.axhline(data["white"], color="k", ls=":", lw=1, label="white noise (control)")
    ax1.axhline(data["gaussian"], color="k", ls="--", lw=1, label="Gaussian, data covariance")
    ax1.set_xticks(range(len(kinds)), kinds, rotation=20, fontsize=7)
    ax1.set(yscale="log", ylabel="Frechet distance to held-out (16 PCA features)", title="sample-quality proxy")
    ax1.legend(fontsize=7)
    rows = [("held-out", data["data_examples"])] + [(k, data["examples"][k]) for k in kinds]
    tiles = []
    for _, ex in rows:
        ex = np.asarray(ex, float).reshape(-1, 8, 8)
        tiles.append(np.concatenate([np.pad(t, 1, constant_values=np.nan) for t in ex], axis=1))
    ax2.imshow(np.concatenate(tiles, axis=0), cmap="gray")
    ax2.set_yticks([5 + 10 * i for i in range(len(rows))], [r[0] for r in rows], fontsize=7)
    ax2.set_xticks([])
    ax2.set_title("mean samples mu(z), z ~ N(0, I) (seed 0)")
    return fig


@plot("SL.Samples")
def aggregate_samples(data):
    fig, (ax1, ax2) = new_figure(2, width=4.6)
    betas = np.asarray(data["betas"], float)
    fd, agg = np.asarray(data["fd"], float), np.asarray(data["kl_agg"], float)
    for j in range(fd.shape[0]):
        ax1.plot(betas, fd[j], "o-", color=f"C{j}", lw=0.8, ms=3, label=f"seed {j}")
        ax2.plot(agg[j], fd[j], "o", color=f"C{j}", ms=4)
        for b, x, y in zip(betas, agg[j], fd[j]):
            ax2.annotate(f"{b:g}", (x, y), fontsize=6)
    ax1.axhline(data["floor"], color="gray", ls="--", lw=1, label="data vs data (floor)")
    ax1.set(xscale="log", yscale="log", xlabel="beta", ylabel="Frechet distance to held-out (16 PCA features)",
            title="sample-quality proxy across beta")
    ax1.legend(fontsize=7)
    ax2.set(xscale="log", yscale="log", xlabel="KL(q(z) || p(z)) [nats]", ylabel="Frechet distance",
            title="samples against the aggregate posterior (labels: beta)")
    return fig
