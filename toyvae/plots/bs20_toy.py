"""Figures of the BS20 2-D toy claims (Table 1, eq. 10, Figs. 4-7, App. A.2), from their ``figure_data``."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["table1", "lvae", "f4", "a2"]


@plot("BS20.T1tab")
def table1(data):
    fig, (ax,) = new_figure(width=6.5)
    names = data["names"]
    x = np.arange(len(names))
    elbo = np.asarray(data["elbo"], float)
    for j, row in enumerate(elbo.T):
        ax.plot(x + 0.08, row, "o", color="C0", ms=3, alpha=0.5, label="ours, per seed" if j == 0 else None)
    ax.plot(x + 0.08, elbo.mean(axis=1), "_", color="C0", ms=18, mew=2, label="ours, mean")
    if "log2pi" in data:  # the paper's values look like ELBOs without the (D/2) log 2 pi constant
        ax.plot(x + 0.08, elbo.mean(axis=1) + data["log2pi"], "_", color="C2", ms=18, mew=2,
                label="ours + log 2 pi (no Gaussian constant)")
    ax.plot(x - 0.08, data["paper"], "s", color="C3", ms=5, label="paper (Table 1)")
    ax.set_xticks(x, names, rotation=30)
    ax.set(ylabel="held-out ELBO [nats per point]", title="BS20 Table 1 on our 2-D toy (averaged end of training)")
    ax.legend(fontsize=7)
    return fig


@plot("BS20.L-VAE")
def lvae(data):
    fig, (ax1, ax2) = new_figure(2)
    steps = np.asarray(data["steps"])
    for row in data["sigma2"]:
        ax1.plot(steps, row, color="C0", lw=0.8, alpha=0.6)
    for row in data["sq_err"]:
        ax1.plot(steps, row, color="C1", lw=0.8, alpha=0.6)
    ax1.plot([], [], color="C0", label="sigma^2 (LS-VAE)")
    ax1.plot([], [], color="C1", label="squared error per dimension")
    ax1.axvline(data["window_start"], color="gray", ls=":", label="final window")
    ax1.set(xlabel="step", ylabel="block means", yscale="log", title="LS-VAE: sigma^2 and the squared error")
    ax1.legend(fontsize=7)
    ratio = np.asarray(data["ratio"], float)
    ax2.plot(np.arange(ratio.size), ratio, "o", color="C0")
    margin = data.get("margin", 0.1)
    ax2.axhspan(1 / (1 + margin), 1 + margin, color="C2", alpha=0.15, label=f"+-{margin:.0%} (our margin)")
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set(xlabel="seed", ylabel="window mean of squared error / sigma^2", title="eq. 10 stationarity per seed")
    ax2.legend(fontsize=7)
    return fig


@plot("BS20.F4")
def f4(data):
    fig, (ax1, ax2) = new_figure(2)
    regions = ["moderate", "small", "large"]
    x = np.arange(3)
    ax1.plot(x, data["noise"], "ks--", label="data noise")
    for j, row in enumerate(data["lv_sigma"]):
        ax1.plot(x, row, "o-", color="C0", alpha=0.5, lw=0.8, label="LV sigma(z), per seed" if j == 0 else None)
    ax1.set_xticks(x, regions)
    ax1.set(yscale="log", ylabel="sigma", title="LV-VAE's sigma(z) by region")
    ax1.legend(fontsize=7)
    ax2.plot(x, data["data_spread"], "ks--", label="data")
    for i, name in enumerate(("LV", "LS", "F 0.01")):
        for j, row in enumerate(data["gen_spread"][name]):
            ax2.plot(x, row, "o-", color=f"C{i}", alpha=0.5, lw=0.8, label=f"{name} samples" if j == 0 else None)
    ax2.set_xticks(x, regions)
    ax2.set(yscale="log", ylabel="RMS distance to the curve", title="generated samples: thickness by region")
    ax2.legend(fontsize=7)
    return fig


@plot("BS20.A2")
def a2(data):
    fig, (ax,) = new_figure()
    ax.plot(np.asarray(data["steps"]), data["ls_sigma"], color="C0", label="LS-VAE sigma (geometric mean of seeds) = F sched")
    ax.axhline(data["sigma_star"], color="C1", ls="--", label="F*: sigma fixed at LS's final value")
    ax.set(yscale="log", xlabel="step", ylabel="decoder sigma", title="BS20 App. A.2: the schedule matters")
    ax.legend(fontsize=7)
    return fig


@plot("BS20.A2-KL")
def a2_terms(data):
    fig, (ax,) = new_figure()
    for i, (name, colour) in enumerate((("LS", "C0"), ("F*", "C1"))):
        ax.plot(data["distortion"][name], data["rate"][name], "o", color=colour, alpha=0.6, label=f"{name}, per seed")
        ax.plot([data["paper_distortion"][name]], [data["paper_rate"][name]], "s", mfc="none", color=colour, ms=9,
                label=f"{name}, paper (App. A.2)")
    ax.set(xlabel="reconstruction term [nats per point]", ylabel="latent term KL [nats per point]",
           title="BS20 App. A.2: LS keeps less information\nat the same reconstruction")
    ax.legend(fontsize=7)
    return fig


@plot("BS20.F4-recon")
def reconstructions(data):
    fig, (ax1, ax2) = new_figure(2, width=5.5)
    settings, regions = data["settings"], data["regions"]
    x = np.arange(len(settings))
    for j, reg in enumerate(regions):
        vals = np.asarray([np.asarray(data["spread_ratio"][s])[:, j] for s in settings])  # (settings, seeds)
        for k in range(vals.shape[1]):
            ax1.plot(x + 0.1 * (j - 1), vals[:, k], "o", color=f"C{j}", ms=3, alpha=0.5,
                     label=f"{reg}-noise region" if k == 0 else None)
    ax1.axhline(1.0, color="k", lw=0.8)
    ax1.set_xticks(x, settings, rotation=30)
    ax1.set(yscale="log", ylabel="distance to the curve:\nreconstruction / input (RMS)",
            title="below 1: the reconstruction denoises")
    ax1.legend(fontsize=7)
    for k in range(len(data["hide"][settings[0]])):
        ax2.plot(x, [data["hide"][s][k] for s in settings], "o", color="C0", ms=3, alpha=0.5,
                 label="||input - reconstruction|| / ideal denoiser's error" if k == 0 else None)
        ax2.plot(x, [data["means_vs_samples"][s][k] for s in settings], "s", color="C3", ms=3, alpha=0.5,
                 label="prior draws: means / samples (distance to the curve)" if k == 0 else None)
    ax2.axhline(0.5, color="C0", ls=":", lw=0.8)
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set_xticks(x, settings, rotation=30)
    ax2.set(yscale="log", title="reconstructions that hide their inputs; generation's means")
    ax2.legend(fontsize=7)
    return fig
