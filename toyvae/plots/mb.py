"""Figures of the MB claims, drawn from a run's ``figure_data`` alone (no claim, no experiment imported)."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure, seed_lines

__all__ = ["plot_lag", "plot_f6", "plot_two_stage", "plot_s5"]


@plot("MB.Lag")
def plot_lag(data):
    fig, (ax1, ax2) = new_figure(2)
    steps = np.asarray(data["steps"], float)
    for i, g in enumerate(data["gammas"]):
        for row in data["distortion"][i]:
            ax1.plot(steps, np.asarray(row, float), color=f"C{i}", lw=0.7, alpha=0.7)
        ax1.axhline(g, color=f"C{i}", ls="--", lw=1, label=f"gamma {g:g}")
        for row in data["beta"][i]:
            ax2.plot(steps, np.asarray(row, float), color=f"C{i}", lw=0.7, alpha=0.7)
        ax2.axhline(data["beta_star"][i], color=f"C{i}", ls="--", lw=1)
    ax1.set(xlabel="step", ylabel="batch distortion (block means)", yscale="log", title="distortion -> gamma")
    ax2.set(xlabel="step", ylabel="(1 - lambda) / lambda", yscale="log",
            title="multiplier as beta (dashed: water-filling beta*)")
    ax1.legend(fontsize=7)
    return fig


@plot("MB.F6")
def plot_f6(data):
    fig, (ax1, ax2) = new_figure(2)
    seed_lines(ax1, data["gamma"], {"trained": data["rate"]}, xlabel="distortion target gamma", ylabel="rate [nats]",
               title="rate falls with gamma", logx=True, reference={"R(gamma), exact": data["rate_exact"]})
    ax2.plot(data["grid"], data["elbo_exact"], "k-", label="exact ELBO (optimal scalar sigma)")
    ax2.axhline(data["log_likelihood"], color="C3", ls="--", label="E log p(x)")
    ax2.axvline(data["flat_up_to"], color="gray", ls=":", label="every component coded below")
    ax2.set(xscale="log", xlabel="gamma", ylabel="ELBO [nats]", title="ELBO vs distortion target")
    ax2.legend(fontsize=7)
    return fig


@plot("MB.2stage")
def plot_two_stage(data):
    """Fig. 7 (primary samples over their two-stage refinements, patches) and Fig. 8 (ELBO vs distortion)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig = Figure(figsize=(15, 4.2), layout="constrained")
    ax_s, ax_l, ax_p = (fig.add_subplot(1, 3, i + 1) for i in range(3))
    samples, final = np.asarray(data["samples"], float), np.asarray(data["final"], float)
    k = samples.shape[0]
    size = int(round(np.sqrt(samples.shape[1])))
    tiles = np.ones((2 * size + 1, k * (size + 1) - 1)) * np.nan
    for i in range(k):
        tiles[:size, i * (size + 1):i * (size + 1) + size] = samples[i].reshape(size, size)
        tiles[size + 1:, i * (size + 1):i * (size + 1) + size] = final[i].reshape(size, size)
    lim = np.nanmax(np.abs(tiles))
    ax_s.imshow(tiles, cmap="gray", vmin=-lim, vmax=lim)
    ax_s.set(xticks=[], yticks=[], title="8x8 patches, first pipeline: primary mean samples (top)\nand the same "
             "samples after the secondary (bottom)")
    ax_l.plot(data["linear_grid"], data["linear_elbo_exact"], "k-", lw=1, label="exact single-stage optimum")
    ax_l.axhline(data["linear_log_likelihood"], color="0.5", ls=":", label="E log p(x)")
    for i, row in enumerate(data["linear"]):
        c = f"C{i}"
        ax_l.plot(row["D2"], row["elbo2"], "o", color=c, label=f"two-stage, gamma~ {row['gamma_tilde']:g}")
        ax_l.plot(row["D_single"], row["elbo_single"], "x", color=c, ms=8, label=f"single stage at {row['gamma_tilde']:g}")
    row = data["linear"][0]
    ax_l.plot(row["D1"], row["elbo1"], "s", color="k", mfc="none", label=f"primary at {data['linear_gamma']:g}")
    ax_l.set(xscale="log", xlabel="distortion (per example)", ylabel="ELBO [nats]",
             title="linear-Gaussian (n = 8): ELBO vs distortion, every pipeline")
    ax_l.set_xticks([0.05, 0.1, 0.2, 0.4])
    ax_l.xaxis.set_major_formatter(ScalarFormatter())
    ax_l.xaxis.set_minor_formatter(NullFormatter())
    ax_l.legend(fontsize=6)
    for i, row in enumerate(data["patch"]):
        c = f"C{i}"
        ax_p.plot(row["D2"], row["elbo2"], "o", color=c, label=f"two-stage, gamma~ {row['gamma_tilde']:g}")
        ax_p.plot(row["D_single"], row["elbo_single"], "x", color=c, ms=8, label=f"single stage at {row['gamma_tilde']:g}")
        ax_p.plot(row["D1"], row["elbo1"], "s", color="k", mfc="none", label=f"primary at {data['patch_gamma']:g}")
    ax_p.set(xlabel="held-out distortion (per patch)", ylabel="ELBO [nats per patch]",
             title="8x8 patches: ELBO vs distortion, every pipeline")
    ax_p.legend(fontsize=6)
    return fig


@plot("MB.S5")
def plot_s5(data):
    """Distortion / gamma, rate and the error allocation's distance to water-filling over training (seed means)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 7), layout="constrained")
    tol = data.get("settle_tol", 0.1)
    for r, (fam, title) in enumerate((("linear", "linear-Gaussian (n = 8)"), ("patches", "8x8 patches"))):
        d = data[fam]
        axes = [fig.add_subplot(2, 3, 3 * r + i + 1) for i in range(3)]
        steps = np.asarray(d["steps"], float)
        for i, g in enumerate(d["gammas"]):
            c = f"C{i}"
            axes[0].plot(steps, np.asarray(d["distortion"][i], float) / g, color=c, label=f"gamma {g:g}")
            axes[1].plot(steps, np.asarray(d["rate"][i], float), color=c)
            axes[2].plot(steps, np.asarray(d["distance"][i], float), color=c)
            if "rate_optimal" in d:
                axes[1].axhline(d["rate_optimal"][i], color=c, ls="--", lw=0.8)
        axes[0].axhspan(1 - tol, 1 + tol, color="0.9")
        axes[0].set(ylabel="distortion / gamma", xlabel="step", yscale="log", title=f"{title}: distortion")
        axes[1].set(ylabel="rate [nats]", xlabel="step", yscale="log",
                    title="rate" + (" (dashed: R(gamma))" if "rate_optimal" in d else ""))
        axes[2].set(ylabel="|error allocation - water-filling|", xlabel="step", yscale="log",
                    title="distance of the error allocation to water-filling"
                    + ("" if fam == "linear" else "\n(Gaussian source with the patches' covariance)"))
        axes[0].legend(fontsize=7)
    return fig


@plot("MB.F1")
def plot_f1(data):
    """The water level theta(gamma) of the distortion-targeted fixed point against the learned variance gamma/n, and
    the gradient of the learned-variance ELBO there."""
    fig, (ax1, ax2) = new_figure(2)
    g = np.asarray(data["gammas"], float)
    ax1.plot(g, np.asarray(data["theta"], float), "o-", ms=3, label="theta(gamma): beta*/2 of distortion targeting")
    ax1.plot(g, np.asarray(data["sigma2"], float), "k--", lw=1, label="gamma / n: the learned variance at D = gamma")
    ax1.axvline(data["edge"], color="0.5", ls=":", lw=1, label="every component coded to the left")
    ax1.set(xscale="log", yscale="log", xlabel="distortion target gamma", ylabel="variance",
            title="shared fixed point iff theta(gamma) = gamma/n")
    ax1.legend(fontsize=7)
    grad = np.maximum(np.asarray(data["grad_norm"], float), 1e-12)
    ax2.plot(g, grad, "o-", ms=3, color="C3")
    ax2.axvline(data["edge"], color="0.5", ls=":", lw=1)
    ax2.set(xscale="log", yscale="log", xlabel="distortion target gamma", ylabel="|grad ELBO| (finite differences)",
            title="learned-variance ELBO gradient at the\ndistortion-targeted fixed point")
    return fig
