"""Figures of the BS20 sphere claims (trained VAEs on S_{D-1}(R)), from their ``figure_data``."""

from __future__ import annotations

import numpy as np

from toyvae.plots import plot
from toyvae.plots._style import new_figure

__all__ = ["radius_vs_sigma", "late_shrink", "ls_sigma"]

COLLAPSE_LINE = 0.1  # toyvae.experiments.sphere.COLLAPSE_FRACTION (reported, not judged)


@plot("BS20.E-sphere")
def radius_vs_sigma(data):
    """Left: final radius of cold and warm runs against sigma over the theory r*(sigma). Right: the warm runs'
    radius paths (per seed) at the places the rules compare."""
    fig, (ax, ax2) = new_figure(2, width=5.2)
    if "dimensions" not in data:  # a run of earlier code (before 2026-12-06): final radii only
        data = {"dimensions": [{"D": D, "position": data["position"][i], "cold_r_over_R": data["cold_r_over_R"][i],
                                "warm_r_over_R": data["warm_r_over_R"][i], "theory_position": data["theory_position"],
                                "theory_r_over_R": data["theory_r_over_R"][i],
                                "sufficient_position": (D / (D - 1)) ** 0.5,
                                "paths": {}, "late_checkpoint": 7, "warm_checkpoint": 3}
                               for i, D in enumerate(data["D"])]}
    steps = np.arange(1, 13)
    for i, d in enumerate(data["dimensions"]):
        c = f"C{i}"
        ax.plot(d["theory_position"], d["theory_r_over_R"], color=c, lw=1)
        ax.plot(d["position"], d["cold_r_over_R"], "o", color=c, ms=4, mfc="none", label=f"D={d['D']} cold")
        ax.plot(d["position"], d["warm_r_over_R"], "^", color=c, ms=4, label=f"D={d['D']} warm")
        ax.axvline(d["sufficient_position"], color=c, ls=":", lw=0.8)
        if d["paths"]:
            steps = np.arange(1, len(next(iter(d["paths"].values()))[0]) + 1)
        for j, (place, style) in enumerate((("below_0.9", "-"), ("window", "--"), ("above_1", ":"))):
            for k, row in enumerate(d["paths"].get(place, [])):
                ax2.plot(steps, row, ls=style, color=c, lw=0.9, alpha=0.7,
                         label=f"D={d['D']} {place}" if k == 0 else None)
    ax.axvline(1.0, color="k", ls="--", lw=1, label="R/sqrt(D) (sharp)")
    ax.axhline(COLLAPSE_LINE, color="gray", lw=0.6)
    ax.set(xlabel="sigma / (R/sqrt(D))  (dotted: R/sqrt(D-1), Theorem 1)", ylabel="decoder-mean radius / R",
           title="trained VAEs vs r*(sigma) (lines)")
    ax.legend(fontsize=6, ncol=2)
    d0 = data["dimensions"][0]
    ax2.axvspan(d0["late_checkpoint"] + 1, len(steps), color="0.9", lw=0, label="late third (compared)")
    ax2.axvline(d0["warm_checkpoint"] + 1, color="k", lw=0.6)
    ax2.set(xlabel="checkpoint (twelfths of the steps; warm phase ends at the line)", ylabel="prior radius / R",
            yscale="log")
    ax2.set_title("warm runs: 0.9 R/sqrt(D) solid, window dashed, R/sqrt(D-1) dotted", fontsize=9)
    ax2.legend(fontsize=6, ncol=2)
    return fig


@plot("BS20.T1-empirical")
@plot("BS20.T1-sharp-empirical")
def late_shrink(data):
    """Per D: each seed's late shrink (log r(2/3 T) - log r(T)) at every warm place, against sigma."""
    fig, (ax,) = new_figure(width=6.0)
    for i, d in enumerate(data["dimensions"]):
        c = f"C{i}"
        places = sorted(d["late_shrink"], key=lambda p: d["place_position"][p])
        xs = [d["place_position"][p] for p in places]
        for p, x in zip(places, xs):
            v = np.asarray(d["late_shrink"][p], float)
            ax.plot(np.full(v.size, x), v, "o", color=c, ms=3, alpha=0.6)
        ax.plot(xs, [np.mean(d["late_shrink"][p]) for p in places], "-", color=c, lw=1.2, label=f"D={d['D']} (mean)")
        ax.axvline(d["sufficient_position"], color=c, ls=":", lw=0.8)
    ax.axvline(1.0, color="k", ls="--", lw=1, label="R/sqrt(D) (sharp)")
    ax.axhline(0.0, color="gray", lw=0.6)
    ax.set(xlabel="sigma / (R/sqrt(D))  (dotted: R/sqrt(D-1))",
           ylabel="late shrink: log r(2/3 T) - log r(T)",
           title="warm runs still collapsing (> 0) or settled (~0), per seed")
    ax.legend(fontsize=7)
    return fig


@plot("BS20.E-sphere-LS")
def ls_sigma(data):
    """Final sigma over R/sqrt(D) of the LS-VAEs started below and above, per D and seed, with their radius."""
    fig, (ax, ax2) = new_figure(2)
    for j, (label, key, marker) in enumerate((("from_below", "r_below", "o"), ("from_above", "r_above", "^"))):
        for i, D in enumerate(data["D"]):
            v = np.asarray(data[label][i], float)
            ax.plot(np.full(v.size, i) + 0.1 * (j - 0.5), v, marker, color=f"C{j}", ms=5,
                    label=label.replace("_", " ") if i == 0 else None)
            ax2.plot(v, data[key][i], marker, color=f"C{i}", ms=5, label=f"D={D}" if j == 0 else None)
    ax.axhline(1.0, color="k", ls="--", lw=1, label="R/sqrt(D)")
    ax.set_xticks(range(len(data["D"])), [f"D={D}" for D in data["D"]])
    ax.set(ylabel="final sigma / (R/sqrt(D))", title="LS-VAE: where the learned sigma ends")
    ax.legend(fontsize=7)
    ax2.axvline(1.0, color="k", ls="--", lw=1)
    ax2.axhline(COLLAPSE_LINE, color="gray", lw=0.6)
    ax2.set(xlabel="final sigma / (R/sqrt(D))", ylabel="prior radius / R", title="collapsed exactly at R/sqrt(D)")
    ax2.legend(fontsize=7)
    return fig
