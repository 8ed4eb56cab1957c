"""Plots of NL26's trained claims (T46-trained, F13, C1, C2), drawn from their ``figure_data`` alone."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure, seed_lines

__all__ = ["plot_t46_trained", "plot_f13", "plot_c1", "plot_c2", "plot_c2_adv", "plot_additive"]


@plot("NL26.T46-trained")
def plot_t46_trained(data):
    fig, (ax,) = new_figure()
    c = np.asarray(data["c"], float)
    s = np.asarray(data["s"], float)
    s_star = np.asarray(data["s_star"], float)
    ax.loglog(s_star.ravel(), s.ravel(), "o", ms=3, alpha=0.6, label="trained s_i vs beta/(beta + 2 c_i)")
    lim = [min(s_star.min(), s.min()) * 0.8, 1.05]
    ax.plot(lim, lim, "k--", lw=1, label="eq. 46")
    ax.set(xlabel="beta / (beta + 2 c_i), c_i of the trained decoder", ylabel="trained posterior variance s_i",
           title=f"NL26 eq. 46 on trained linear VAEs ({len(c)} models)")
    ax.legend(fontsize=7)
    return fig


@plot("NL26.F13")
def plot_f13(data):
    fig, (ax,) = new_figure()
    dims = np.arange(1, len(data["std_closed"][0]) + 1)
    for i, name in enumerate(("isotropic c", "anisotropic c")):
        ax.plot(dims, data["std_closed"][i], color=f"C{i}", lw=2, label=f"{name}: closed form")
        for row in data["std_trained"][i]:
            ax.plot(dims, row, "o", color=f"C{i}", ms=3, alpha=0.6)
    ax.set(xlabel="latent dimension i", ylabel="posterior std sqrt(s_i)",
           title="NL26 Fig. 13: matched variance-KL (dots: trained, one per seed)")
    ax.legend(fontsize=7)
    return fig


@plot("NL26.C1")
def plot_c1(data):
    fig, (ax1, ax2) = new_figure(2)
    lam = data["lambdas"]
    seed_lines(ax1, lam, {"trained linear": data["trained_linear"]}, xlabel="lambda", ylabel="rate [nats]",
               title="linear-Gaussian, edge metric", reference={"closed form": data["closed_form"]})
    seed_lines(ax2, lam, {"feature": data["patch_feature"], "adversarial": data["patch_adversarial"]},
               xlabel="lambda", ylabel="held-out rate [nats]", title="nonlinear VAE on 8x8 patches, beta = 0.3")
    ax2.plot([0.5, 0.75], np.mean(np.asarray(data["pixel_control"], float), axis=0), "ks",
             label="pixel loss, weight 1 - lambda")
    ax2.legend(fontsize=7)
    return fig


@plot("NL26.C2")
def plot_c2(data):
    fig, (ax1, ax2) = new_figure(2)
    seed_lines(ax1, data["lambdas_linear"], {"trained linear": data["linear_trained"]}, xlabel="lambda",
               ylabel="A_post", title=f"linear-Gaussian at {data['rate_linear']:g} nats",
               reference={"closed form": data["linear_closed"]})
    seed_lines(ax2, data["lambdas_patch"], {"A_post": data["patch_A_post"]}, xlabel="lambda", ylabel="A_post",
               title=f"patches, GECO rate {data['rate_patch']:g} nats")
    return fig


@plot("NL26.C2-adv")
def plot_c2_adv(data):
    fig, (ax1, ax2) = new_figure(2)
    targets = data["rate_targets"]
    seed_lines(ax1, targets, {"pixel": data["A_post_pixel"], f"adversarial, lambda {data['lam_adversarial']:g}":
                              data["A_post_adversarial"]}, xlabel="GECO target rate [nats]",
               ylabel="A_post = mean_x Var_i log s_i(x)", title="patches: anisotropy at matched rate")
    seed_lines(ax2, targets, {"pixel": data["rate_pixel"], "adversarial": data["rate_adversarial"]},
               xlabel="GECO target rate [nats]", ylabel="held-out rate [nats]", title="rate reached (band: +-10%)")
    t = np.asarray(targets, float)
    ax2.fill_between(t, 0.9 * t, 1.1 * t, color="k", alpha=0.1)
    return fig


@plot("NL26.C1-additive")
def plot_additive(data):
    fig, (ax1, ax2) = new_figure(2)
    ax1.plot(data["weights"], data["edge_rates"], "ko-", label="closed form, edge metric")
    ax1.set(xlabel="w (neural weight at pixel weight 1)", ylabel="optimal rate [nats]",
            title="G_w = I + w F^T F: the spectrum grows")
    ax1.legend(fontsize=7)
    feature, control = np.asarray(data["feature"], float), np.asarray(data["control"], float)
    w = [lam / (1 - lam) for lam in data["lambdas"]]
    seed_lines(ax2, w, {"neural run / pixel-only control": feature / control}, xlabel="w = lambda / (1 - lambda)",
               ylabel="rate ratio", title="patches: the neural term added at fixed pixel weight")
    ax2.axhline(1.0, color="k", lw=0.8, ls="--")
    return fig
