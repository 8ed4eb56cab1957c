"""Figures of the Gaussian-code claims of issue 21 (SL.LinRD; BS20.S32-water; NL26.Spectrum), drawn from a run's
``figure_data`` alone (no claim, no experiment imported)."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["plot_linrd"]


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
