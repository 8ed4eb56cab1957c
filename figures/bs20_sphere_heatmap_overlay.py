"""D = 2: the heat map of log p(x; r) over (R/sigma, r/sigma), with the trained VAEs' radii on top.

Background: Berger & Sebag 2020, Fig. 2 / eq. 8 at D = 2, ``log p(x; r) - log p(x; 0) = -r^2/(2 sigma^2)
+ log I_0(r R / sigma^2)`` (toyvae.theory.hypersphere.log_marginal), shown per column relative to its
best value, so every column is 0 at its maximiser and negative elsewhere. Black line: the maximiser
r*(sigma)/sigma. Vertical lines: R/sigma = sqrt(2) (the sharp threshold) and R/sigma = 1 (the paper's
sufficient one). Markers: the trained runs of :mod:`toyvae.experiments.sphere` at D = 2 (cold starts,
warm starts, LS-VAEs at their learned sigma), each at (R/sigma, radius/sigma) of its prior samples.

    python figures/bs20_sphere_heatmap_overlay.py --quick --out out/figures
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

__all__ = ["main", "numbers", "heatmap"]

D = 2


def heatmap(x_max: float = 6.0, y_max: float = 6.0, n: int = 300):
    """(R/sigma grid, r/sigma grid, log p relative to each column's best), at sigma = 1."""
    ratio = np.linspace(0.3, x_max, n)  # R / sigma
    radius = np.linspace(0.0, y_max, n)  # r / sigma
    gain = hs.log_marginal(radius[:, None], ratio[None, :], 1.0, D)
    return ratio, radius, gain - gain.max(axis=0, keepdims=True)


def numbers(profile: Profile, seed: int = 0) -> dict:
    """Trained points and the theory maximiser in heat-map coordinates."""
    run = sp.run_dimension(D, profile, seed)
    s = np.where(run.learned, run.final_sigma, run.sigma)
    cold, warm = run.fixed(warm=False), run.fixed(warm=True)
    ratio, radius, rel = heatmap()
    return {
        "ratio": ratio, "radius": radius, "relative_log_p": rel,
        "theory_r*/sigma": hs.optimal_radius(1.0, 1.0 / ratio, D) * ratio,  # R = 1: r*/sigma = r* * (R/sigma)
        "cold_R/sigma": run.R / s[cold], "cold_r/sigma": run.prior_radius[cold] / s[cold],
        "cold_r*/sigma": run.r_star[cold] / s[cold],
        "warm_R/sigma": run.R / s[warm], "warm_r/sigma": run.prior_radius[warm] / s[warm],
        "ls_R/sigma": run.R / s[run.learned], "ls_r/sigma": run.prior_radius[run.learned] / s[run.learned],
        # the column maximiser of the plotted map (a check that the picture and r* agree)
        "map_argmax_r/sigma": radius[np.argmax(rel, axis=0)],
    }


def plot(d: dict, path: pathlib.Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    mesh = ax.pcolormesh(d["ratio"], d["radius"], np.maximum(d["relative_log_p"], -3.0), cmap="viridis",
                         shading="auto")
    fig.colorbar(mesh, ax=ax, label=r"$\log p(x; r) - \max_r \log p(x; r)$  (nats, clipped at -3)")
    ax.plot(d["ratio"], d["theory_r*/sigma"], color="k", lw=1.5, label=r"theory $r^*/\sigma$")
    ax.axvline(math.sqrt(2), color="C3", lw=1.2, label=r"$R/\sigma=\sqrt{2}$ (sharp)")
    ax.axvline(1.0, color="w", lw=1.2, ls="--", label=r"$R/\sigma=1$ (paper)")
    ax.plot(d["cold_R/sigma"], d["cold_r/sigma"], "o", ms=6, mfc="w", mec="k", label="trained, cold start")
    ax.plot(d["warm_R/sigma"], d["warm_r/sigma"], "D", ms=5, mfc="none", mec="C1", mew=1.3,
            label="trained, warm start")
    ax.plot(d["ls_R/sigma"], d["ls_r/sigma"], "*", ms=11, color="C5", mec="k", mew=0.5, label="LS-VAE (learned sigma)")
    ax.set_xlabel(r"$R/\sigma$")
    ax.set_ylabel(r"$r/\sigma$")
    ax.set_xlim(d["ratio"][0], d["ratio"][-1])
    ax.set_ylim(d["radius"][0], d["radius"][-1])
    ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="root PRNG seed of the training runs", quick_help="quick profile (small nets, short runs)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    d = numbers(profile, args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bs20_sphere_heatmap_overlay.png"
    plot(d, path, f"D = 2: log p(x; r) per column, trained radii overlaid ({profile} profile, seed {args.seed})")
    print("cold R/sigma", np.round(d["cold_R/sigma"], 3).tolist())
    print("cold r/sigma", np.round(d["cold_r/sigma"], 3).tolist(), "r*/sigma", np.round(d["cold_r*/sigma"], 3).tolist())
    print("warm r/sigma", np.round(d["warm_r/sigma"], 3).tolist())
    print("LS (R/sigma, r/sigma)", np.round(d["ls_R/sigma"], 3).tolist(), np.round(d["ls_r/sigma"], 3).tolist())
    print(f"wrote {path}")
    return {"path": str(path), "data": d}


if __name__ == "__main__":
    main()
