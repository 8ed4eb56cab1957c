"""Figures of the Gaussian-code claims of issue 21 (SL.LinRD; BS20.S32-water; NL26.Spectrum), drawn from a run's
``figure_data`` alone (no claim, no experiment imported)."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["plot_linrd", "plot_water", "plot_spectrum", "plot_pca"]


def _arr(v):
    return np.asarray(v, dtype=np.float64)


@plot("SL.LinRD")
def plot_linrd(data):
    """Left: rate against the reconstruction term at the optimal sigma, (n/2) log(2 pi e D/n): the line R = h(X) - x,
    the water-filling curve, the trained points. Right: the same curve against D itself over the coded stretch."""
    fig, (ax, ax2) = new_figure(2)
    n, h = data["n"], data["entropy"]
    rec = lambda D: 0.5 * n * np.log(2 * np.pi * np.e * _arr(D) / n)  # noqa: E731
    x = rec(data["curve_distortion"])
    ax.plot(x, _arr(data["curve_rate"]), "k-", lw=1.5, label="water-filling code, sigma^2 = D/n")
    ax.plot(x, h - x, color="0.5", ls="--", lw=1, label="line R = h(X) - x (ELBO bound)")
    xs = rec(data["sweep_distortion"])
    ax.plot(xs.ravel(), _arr(data["sweep_rate"]).ravel(), "o", color="C0", ms=4, alpha=0.7,
            label="beta-VAEs of the shared sweep")
    for c, s in enumerate(data["learned_sigma_init"]):
        ax.plot(rec(data["learned_distortion"][c]), _arr(data["learned_rate"][c]), "^s"[c % 2], color=f"C{c + 1}",
                ms=6, mfc="none", label=f"learned sigma, sigma0^2 = {s:g}")
    ax.axvline(rec(n * data["min_mu"]), color="C3", lw=0.8, ls=":", label="D = n min(mu): last component coded")
    ax.set(xlabel="reconstruction term (n/2) log(2 pi e D/n) [nats]", ylabel="rate [nats]",
           ylim=(-0.5, max(12.0, float(np.nanmax(_arr(data["learned_rate"]))) + 1)),
           title=f"Gaussian source, n = {n}: a line while all are coded")
    ax.legend(fontsize=6)
    D, R = _arr(data["chord_D"]), _arr(data["chord_R"])
    ax2.plot(D, R, "k-", lw=1.5, label="R(D), every component coded")
    ax2.plot([D[0], D[-1]], [R[0], R[-1]], color="0.5", ls="--", lw=1, label="its chord")
    ax2.set(xlabel="distortion D = E|x - x_hat|^2", ylabel="rate [nats]", title="the same stretch against D: curved")
    ax2.legend(fontsize=7)
    return fig


@plot("BS20.S32-water")
def plot_water(data):
    """Left: coded directions against sigma^2, closed form (steps) and brute-force optimiser (markers). Right: the
    training digits' principal variances with sigma^2 = 1/2 (the MSE loss) and LS-VAE's learned sigma^2."""
    fig, (ax, ax2) = new_figure(2)
    names = list(dict.fromkeys(data["grid_spectrum"]))
    for c, name in enumerate(names):
        idx = [i for i, s in enumerate(data["grid_spectrum"]) if s == name]
        s2 = _arr([data["grid_sigma2"][i] for i in idx])
        mu = _arr(data["spectra"][name])
        dense = np.geomspace(s2.min(), s2.max(), 400)
        ax.plot(dense, (mu[None, :] > dense[:, None]).sum(1), color=f"C{c}", lw=1.2,
                label=f"{name}: closed form, #(mu_i > sigma^2)")
        ax.plot(s2, [data["grid_brute"][i] for i in idx], "o", color=f"C{c}", mfc="none", ms=7,
                label=f"{name}: brute-force optimum")
    ax.set(xscale="log", xlabel="decoder sigma^2 (ELBO, beta = 1)", ylabel="coded principal directions",
           title="coded iff the variance exceeds sigma^2")
    ax.legend(fontsize=6)
    mu = _arr(data["digits_spectrum"])
    ax2.semilogy(np.arange(1, mu.size + 1), mu, "k.-", ms=3, lw=0.8, label="training digits (pixels v/16)")
    ax2.axhline(data["mse_sigma2"], color="C3", ls="--", lw=1,
                label=f"sigma^2 = 1/2 (MSE): F-VAE rate {np.mean(_arr(data['F_rate'])):.2f} nats "
                      f"(Gaussian code {data['gaussian_rate_half']:.2f})")
    ax2.axhline(float(np.mean(_arr(data["ls_sigma2"]))), color="C2", ls=":", lw=1,
                label=f"LS-VAE learned sigma^2: rate {np.mean(_arr(data['LS_rate'])):.2f} nats")
    ax2.set(xlabel="principal component", ylabel="variance", title="8x8 digits: the directions above sigma^2")
    ax2.legend(fontsize=6)
    return fig


@plot("NL26.Spectrum")
def plot_spectrum(data):
    """Cumulative share of the variance against the number of top components (left: fraction of the dimensions;
    right: the normalised principal variances), every patch set and crop photo."""
    fig, (ax, ax2) = new_figure(2)
    for c, (name, share) in enumerate(data["shares"].items()):
        share = _arr(share)
        style = "-" if name.startswith("patches") else "--"
        ax.plot(np.arange(1, share.size + 1), share, style, color=f"C{c}", lw=1.2, label=name)
        ax2.loglog(np.arange(1, share.size + 1), _arr(data["spectra"][name]), style, color=f"C{c}", lw=1.0)
    ax.axhline(0.5, color="0.5", lw=0.8, ls=":", label="half of the variance")
    ax.set(xscale="log", xlabel="top k principal components (patches d = 64, crops d = 768)",
           ylabel="share of the variance", title="a few components hold most of the variance")
    ax.legend(fontsize=6)
    ax2.set(xlabel="component", ylabel="variance / total", title="principal variances (first 200)")
    return fig


@plot("MB.S5-pca")
def plot_pca(data):
    """Rate of Gaussian codes at each distortion: reverse water-filling, the top-2k code and the fewest top
    components that reach it, per set."""
    fig, (ax,) = new_figure(1, width=6.0)
    for c, (name, codes) in enumerate(data["codes"].items()):
        f = _arr([q["fraction"] for q in codes])
        ax.plot(f, [q["R_water_filling"] for q in codes], "o-", color=f"C{c}", lw=1.2, ms=3,
                label=f"{name}: water-filling")
        ax.plot(f, [q["R_top_kmin"] for q in codes], "x:", color=f"C{c}", lw=0.8, ms=4)
    ax.plot([], [], "kx:", label="fewest top components that reach D (x)")
    fractions = list(data["d_fractions"])
    ax.set(xscale="log", yscale="log", xlabel="distortion D / total variance", ylabel="Gaussian rate [nats]",
           title="codes of one distortion differ in rate")
    ax.set_xticks(fractions, [f"{v:g}" for v in fractions])
    ax.minorticks_off()
    ax.legend(fontsize=6)
    return fig
