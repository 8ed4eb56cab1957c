"""Plots of the SCALE claims, drawn from their ``figure_data`` alone."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure, seed_lines

__all__ = ["plot_t1", "plot_t46", "plot_rate_match", "plot_t2tab", "plot_c1", "plot_c2"]


@plot("SCALE.T1")
def plot_t1(data):
    panels = data["panels"]
    fig, axes = new_figure(len(panels), width=4.2)
    markers = {"control": "o", "below cold": "s", "below warm": "^", "above cold": "x", "above warm": "v"}
    for ax, panel in zip(axes, panels):
        ax.plot(panel["theory_position"], panel["theory_r/R"], "k-", lw=1.2,
                label="r*(sigma)" if panel["d"] >= panel["D"] else "r_lin(d)")
        for pt in panel["points"]:
            ax.plot(pt["position"], pt["r/R"], markers[pt["name"]], ms=5, mfc="none", label=pt["name"])
        ax.axvline(1.0, color="gray", ls="--", lw=0.8)
        ax.set(xlabel="sigma / (R / sqrt D)", ylabel="radius / R", title=f"D = {panel['D']}, d = {panel['d']}")
        ax.legend(fontsize=6)
    return fig


@plot("SCALE.T46")
def plot_t46(data):
    fig, axes = new_figure(2, width=4.5)
    for ax, metric in zip(axes, data["metrics"]):
        s, s_star = np.asarray(data[metric]["s"], float), np.asarray(data[metric]["s_star"], float)
        ax.loglog(s_star.ravel(), s.ravel(), "o", ms=2.5, alpha=0.5)
        lim = [max(min(s_star.min(), s.min()) * 0.8, 1e-6), 1.1]
        ax.plot(lim, lim, "k--", lw=1, label="eq. 46")
        ax.set(xlabel="beta / (beta + 2 c_i), own decoder", ylabel="trained s_i", title=f"{metric} metric")
        ax.legend(fontsize=7)
    return fig


@plot("SCALE.RateMatch")
def plot_rate_match(data):
    fig, (ax,) = new_figure(width=6.0)
    x = data["latent_index"]
    for i, metric in enumerate(data["metrics"]):
        ax.plot(x, data[metric]["closed_s"], color=f"C{i}", lw=2, label=f"{metric}: closed form")
        for row in data[metric]["trained_s"]:
            ax.plot(x, row, "o", color=f"C{i}", ms=2.5, alpha=0.5)
    ax.set(yscale="log", xlabel="latent (sorted by trained s)", ylabel="posterior variance s_i",
           title=f"matched rate {data['rate']:.3g} nats (dots: trained, one row per seed)")
    ax.legend(fontsize=7)
    return fig


@plot("SCALE.T2tab")
def plot_t2tab(data):
    fig, (ax,) = new_figure(width=5.0)
    names = data["decoders"]
    for j, row in enumerate(np.asarray(data["bits_per_dim"], float).T):
        ax.plot(range(len(names)), row, "o-", alpha=0.6, label=f"seed {j}")
    ax.set_xticks(range(len(names)), names)
    ax.set(ylabel="held-out bits per dimension (lower is better)", title="BS20 Table 2 direction, conv VAE on crops")
    ax.legend(fontsize=7)
    return fig


@plot("SCALE.C1")
def plot_c1(data):
    fig, (ax,) = new_figure(width=5.5)
    seed_lines(ax, data["lambdas"], {"rate at fixed beta": data["rate"]}, xlabel="lambda (neural-loss weight)",
               ylabel="rate [nats]", title=f"NL26 claim 1, conv VAE, beta = {data['beta']:g}")
    ax.plot([data["control_lambda"]] * len(data["control"]), data["control"], "ks", ms=4,
            label="pixel loss alone, weight 1 - lambda")
    ax.legend(fontsize=7)
    return fig


@plot("SCALE.C2")
def plot_c2(data):
    fig, (ax,) = new_figure(width=5.5)
    seed_lines(ax, data["lambdas"], {"A_post": data["A_post"]}, xlabel="lambda (neural-loss weight)",
               ylabel="A_post = E_x Var_i log s_i(x)", title=f"NL26 claim 2, conv VAE at {data['rate']:g} nats")
    return fig
