"""Figures of the SL claims, drawn from a run's ``figure_data`` alone (no claim, no experiment imported)."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["plot_rd", "plot_aggpost", "plot_multirate"]


@plot("SL.RD")
def plot_rd(data):
    fig, (ax,) = new_figure()
    ax.plot(data["curve_D"], data["curve_R"], "k-", label="exact R(D), G = I")
    ax.plot(np.ravel(np.asarray(data["D"], float)), np.ravel(np.asarray(data["R"], float)), "o", ms=4, alpha=0.7,
            label="trained beta-VAEs (every seed)")
    ax.set(xlabel="distortion E|x - xhat|^2", ylabel="rate [nats]", xscale="log",
           title="SL rate-distortion: trained linear VAEs vs the exact curve")
    ax.legend(fontsize=7)
    return fig


@plot("SL.AggPost")
def plot_aggpost(data):
    fig, (ax,) = new_figure()
    betas = np.asarray(data["betas"], float)
    agg = np.asarray(data["patch_KLagg"], float)
    for row in agg:
        ax.plot(betas, row, "o-", color="C0", alpha=0.4, lw=0.8)
    ax.plot(betas, agg.mean(axis=0), "o-", color="C0", lw=2, label="patch VAEs (mean of seeds)")
    ax.set(xscale="log", yscale="log", xlabel="beta", ylabel="KL(q(z) || p(z)) [nats]",
           title="aggregated posterior vs prior")
    ax.legend(fontsize=7)
    return fig


@plot("SL.MultiRate")
def plot_multirate(data):
    """The exact R-D curve, the network's curve over beta (every seed), the per-beta models, the controls."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    ax.plot(data["curve_D"], data["curve_R"], "k-", lw=1.5, label="exact R(D)")
    beta = np.asarray(data["grid_beta"], float)
    inside = (beta >= data["beta_range"][0]) & (beta <= data["beta_range"][1])
    for j, (D, R) in enumerate(zip(data["grid_D"], data["grid_R"])):
        D, R = np.asarray(D, float), np.asarray(R, float)
        ax.plot(D[inside], R[inside], "-", color="C0", lw=1, alpha=0.8, label="multi-rate, training range" if j == 0 else None)
        ax.plot(D[~inside], R[~inside], ".", color="C3", ms=2, alpha=0.6, label="multi-rate, outside (control)" if j == 0 else None)
    n_in = len(data["in_beta"])
    ax.plot(np.ravel(np.asarray(data["per_D"], float)), np.ravel(np.asarray(data["per_R"], float)), "x", color="C1", ms=6,
            label="one VAE per beta, same budget")
    ax.plot(data["opt_D"][:n_in], data["opt_R"][:n_in], "s", mfc="none", color="k", ms=7, label="optimum at each beta")
    ax.plot(data["opt_D"][n_in:], data["opt_R"][n_in:], "D", mfc="none", color="C3", ms=7, label="optimum at the control betas")
    ax.set(xscale="log", xlabel="distortion E|x - xhat|^2", ylabel="rate [nats]",
           title="Gaussian source (n = 8): one network for every beta")
    ax.legend(fontsize=7)
    betas = list(data["in_beta"]) + list(data["control_beta"])
    for b, bt in enumerate(betas):
        ax2.plot([bt] * len(data["multi_eps"][b]), data["multi_eps"][b], "o", color="C0" if b < n_in else "C3", ms=4)
    for b, bt in enumerate(data["in_beta"]):
        ax2.plot([bt] * len(data["per_eps"][b]), data["per_eps"][b], "x", color="C1", ms=6)
    margin = data.get("eps_margin", 0.05)
    ax2.axhline(margin, color="0.5", ls="--", lw=1, label=f"margin {margin:g}")
    ax2.axvspan(*data["beta_range"], color="0.93", label="training range")
    ax2.set(xscale="log", yscale="log", xlabel="beta", ylabel="Lagrangian excess eps",
            title="excess over the beta-optimum (o multi-rate, x per beta)")
    ax2.legend(fontsize=7)
    return fig


@plot("SL.ELBO4")
def plot_elbo4(data):
    """The four terms of ELBO + H[q(x)] at the optimal linear VAE against beta (sigma^2 = beta/2)."""
    fig, (ax1, ax2) = new_figure(2)
    b = np.asarray(data["betas"], float)
    labels = {"term1": "(1) E log p(x|z)/p(x)", "term2": "(2) I_q(x; z)", "term3": "(3) KL(q(x) || p(x))",
              "term4": "(4) KL(q(z) || p(z))"}
    for i, (k, label) in enumerate(labels.items()):
        ax1.plot(b, np.asarray(data[k], float), "o-", ms=3, color=f"C{i}", label=label)
    ax1.axvline(data["all_coded_below"], color="0.5", ls=":", lw=1, label="every component coded to the left")
    ax1.set(xscale="log", xlabel="beta (decoder variance beta/2)", ylabel="nats",
            title="four-term split of the ELBO, optimal linear VAE\n((1) = (2) at the optimum)")
    ax1.legend(fontsize=7)
    elbo_h = np.asarray(data["elbo"], float) + data["entropy"]
    total = np.asarray(data["term1"], float) - np.asarray(data["term2"], float) - np.asarray(data["term3"], float) \
        - np.asarray(data["term4"], float)
    ax2.plot(b, elbo_h, "k-", lw=2, label="ELBO + H[q(x)]")
    ax2.plot(b, total, "o", ms=3, color="C3", label="(1) - (2) - (3) - (4)")
    ax2.axvline(data["all_coded_below"], color="0.5", ls=":", lw=1)
    ax2.set(xscale="log", xlabel="beta", ylabel="nats", title="the identity (ELBO = E log q(x)\nwhile every "
            "component is coded)")
    ax2.legend(fontsize=7)
    return fig
