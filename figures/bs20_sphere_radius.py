"""Trained VAEs on the sphere: decoder-mean radius against sigma, over the theory curve r*(sigma)/R.

One panel per dimension D. x: sigma / (R/sqrt(D)), so the sharp threshold is at 1 and the paper's
R/sqrt(D-1) at sqrt(D/(D-1)) (the shaded window lies between). y: radius / R. Line: the optimal
radius r*(sigma)/R (Berger & Sebag 2020, eq. 8; toyvae.theory.hypersphere.optimal_radius). Markers:
every trained run (seeds side by side; the bottom row zooms on the window): prior-sample decoder means of cold starts (filled), their
reconstructions (small), warm starts (open), with bars of +-1 standard deviation of |mu| over
points; stars: LS-VAEs at their learned sigma. Dotted: the collapse line 0.1 R.

    python figures/bs20_sphere_radius.py --quick --out out/figures
"""

from __future__ import annotations

import math
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.profiles import Profile  # noqa: E402
from toyvae.experiments import sphere as sp  # noqa: E402
from toyvae.theory import hypersphere as hs  # noqa: E402
from toyvae.cli.figure import figure_arguments  # noqa: E402

__all__ = ["main", "numbers"]


def numbers(profile: Profile, seed: int = 0) -> dict:
    """The numbers behind the figure, per D (radii over R, sigma over R/sqrt(D))."""
    out = {}
    for D in sp.dimensions(profile):
        run = sp.run_dimension(D, profile, seed)
        sharp = run.R / math.sqrt(D)
        grid = np.linspace(0.02, 1.7, 400)
        cold, warm = run.fixed(warm=False), run.fixed(warm=True)
        out[D] = {
            "theory_sigma/sharp": grid,
            "theory_r*/R": hs.optimal_radius(run.R, grid * sharp, D) / run.R,
            "sufficient/sharp": math.sqrt(D / (D - 1)),
            "cold_sigma/sharp": sp.position(run)[cold],
            "cold_prior_r/R": run.prior_radius[cold] / run.R,
            "cold_prior_std/R": run.prior_radius_std[cold] / run.R,
            "cold_recon_r/R": run.recon_radius[cold] / run.R,
            "cold_recon_std/R": run.recon_radius_std[cold] / run.R,
            "cold_r*/R": run.r_star[cold] / run.R,
            "warm_sigma/sharp": sp.position(run)[warm],
            "warm_prior_r/R": run.prior_radius[warm] / run.R,
            "warm_prior_std/R": run.prior_radius_std[warm] / run.R,
            "ls_sigma/sharp": run.final_sigma[run.learned] / sharp,
            "ls_prior_r/R": run.prior_radius[run.learned] / run.R,
            "ls_init_sigma/sharp": run.init_sigma[run.learned] / sharp,
        }
    return out


def _offsets(x: np.ndarray, step: float) -> np.ndarray:
    """Spread runs that share an x (the seeds) side by side, centred on x."""
    out = np.zeros_like(x)
    for v in np.unique(x):
        idx = np.flatnonzero(x == v)
        out[idx] = (np.arange(idx.size) - (idx.size - 1) / 2) * step
    return out


def _panel(ax, d: dict, lo: float, hi: float) -> None:
    """One panel over sigma/sharp in [lo, hi]: thresholds, theory curve, trained runs."""
    gap = 0.007 * (hi - lo)  # seeds side by side, ~1% of the axis apart
    ax.axvspan(1.0, d["sufficient/sharp"], color="0.85", lw=0, label="window")
    ax.axvline(1.0, color="C3", lw=1, label=r"$R/\sqrt{D}$ (sharp)")
    ax.axvline(d["sufficient/sharp"], color="C2", lw=1, ls="--", label=r"$R/\sqrt{D-1}$ (paper)")
    ax.axhline(sp.COLLAPSE_FRACTION, color="0.4", lw=0.8, ls=":", label="collapse line 0.1 R")
    ax.plot(d["theory_sigma/sharp"], d["theory_r*/R"], color="k", lw=1.5, label=r"theory $r^*(\sigma)/R$")
    xc = d["cold_sigma/sharp"] + _offsets(d["cold_sigma/sharp"], 2 * gap) - gap
    ax.errorbar(xc, d["cold_prior_r/R"], yerr=d["cold_prior_std/R"], fmt="o", ms=4, color="C0",
                elinewidth=0.8, capsize=0, label="cold: prior samples")
    ax.plot(xc + 0.5 * gap, d["cold_recon_r/R"], "s", ms=2.5, color="C1", label="cold: reconstructions")
    xw = d["warm_sigma/sharp"] + _offsets(d["warm_sigma/sharp"], 2 * gap) + 2 * gap
    ax.errorbar(xw, d["warm_prior_r/R"], yerr=d["warm_prior_std/R"], fmt="o", ms=4, mfc="none", color="C4",
                elinewidth=0.8, capsize=0, label="warm start: prior samples")
    ax.plot(d["ls_sigma/sharp"], d["ls_prior_r/R"], "*", ms=9, color="C5", mec="k", mew=0.4,
            label="LS-VAE (learned sigma)")
    ax.set_xlim(lo, hi)


def plot(data: dict, path: pathlib.Path, title: str) -> None:
    """Top row: the whole sigma range; bottom row: zoom on the two thresholds and the window."""
    Ds = sorted(data)
    fig, axes = plt.subplots(2, len(Ds), figsize=(3.6 * len(Ds), 6.6), squeeze=False)
    for j, D in enumerate(Ds):
        d = data[D]
        _panel(axes[0, j], d, 0.0, 1.7)
        axes[0, j].set_ylim(-0.03, 1.1)
        axes[0, j].set_title(f"D = {D}")
        w = d["sufficient/sharp"] - 1.0
        _panel(axes[1, j], d, 0.9, d["sufficient/sharp"] + max(0.5 * w, 0.03))
        axes[1, j].set_ylim(-0.02, 0.6)
        axes[1, j].set_title(f"D = {D}, zoom on the window", fontsize=9)
        axes[1, j].set_xlabel(r"$\sigma \,/\, (R/\sqrt{D})$")
    axes[0, 0].set_ylabel("decoder-mean radius / R")
    axes[1, 0].set_ylabel("decoder-mean radius / R")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="root PRNG seed of the training runs", quick_help="quick profile (small nets, short runs)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    data = numbers(profile, args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bs20_sphere_radius.png"
    cap = sp.profile_settings(profile)[1]
    plot(data, path, f"Trained fixed-sigma VAEs on the sphere S(D-1, R=sqrt D) [{profile} profile: "
                     f"{cap.describe(2).replace('latent 2', 'latent D')}, seed {args.seed}]")
    for D, d in data.items():
        print(f"D={D}: sigma/sharp {np.round(d['cold_sigma/sharp'], 3).tolist()}")
        print(f"      cold prior r/R {np.round(d['cold_prior_r/R'], 3).tolist()}")
        print(f"      r*/R           {np.round(d['cold_r*/R'], 3).tolist()}")
        print(f"      warm prior r/R {np.round(d['warm_prior_r/R'], 3).tolist()}")
        print(f"      LS sigma/sharp {np.round(d['ls_sigma/sharp'], 3).tolist()}, r/R {np.round(d['ls_prior_r/R'], 3).tolist()}")
    print(f"wrote {path}")
    return {"path": str(path), "data": data}


if __name__ == "__main__":
    main()
