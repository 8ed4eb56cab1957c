"""Berger & Sebag 2020, Fig. 2: the D = 2 hypersphere log-likelihood over R/sigma and r/sigma.

Heat map of ``log p(x; r)`` (BS20 eq. 8, ``toyvae.theory.hypersphere.log_marginal``) with sigma = 1,
each column shifted by its maximum so that the maximiser is visible in every column; overlaid: the
optimal radius ``r*(sigma)``, the diagonal ``r = R``, and both collapse thresholds (the paper's
sufficient ``R/sigma = sqrt(D - 1) = 1`` and the sharp ``R/sigma = sqrt(D) = sqrt 2``).
The number behind it: the R/sigma at which the column-wise argmax on the grid leaves r = 0.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.theory import hypersphere as hs  # noqa: E402
from toyvae.cli.figure import figure_arguments  # noqa: E402

D = 2
TOP = 4.0  # both axes run to R/sigma = r/sigma = 4, as in the paper's figure
FLOOR = -8.0  # colour scale: nats below the column maximum


def compute(n: int) -> dict:
    """The normalised heat map on an ``n x n`` grid and the located departure of the argmax from r = 0."""
    R = np.linspace(TOP / n, TOP, n)  # R / sigma, columns
    r = np.linspace(0.0, TOP, n)  # r / sigma, rows
    values = hs.log_marginal(r[:, None], R[None, :], 1.0, D)
    normalised = values - values.max(axis=0, keepdims=True)
    argmax = r[np.argmax(values, axis=0)]
    leaves = R[np.argmax(argmax > 0)] if np.any(argmax > 0) else np.nan
    return {
        "R": R, "r": r, "normalised": normalised, "argmax": argmax,
        "argmax_leaves_zero_at": float(leaves),
        "grid_step": float(R[1] - R[0]),
        # thresholds on sigma (R = 1) turned into R / sigma: sqrt(D) and sqrt(D - 1)
        "sharp": float(1.0 / hs.sharp_threshold(1.0, D)),
        "sufficient": float(1.0 / hs.sufficient_threshold(1.0, D)),
        "optimal_radius": hs.optimal_radius(R, 1.0, D),
    }


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="unused: the figure is deterministic", quick_help="400 x 400 grid instead of 2000 x 2000")
    n = 400 if args.quick else 2000
    res = compute(n)

    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    image = ax.imshow(np.maximum(res["normalised"], FLOOR), origin="lower", aspect="auto", cmap="viridis",
                      extent=(0.0, TOP, 0.0, TOP), vmin=FLOOR, vmax=0.0)
    fig.colorbar(image, ax=ax, label="log p(x; r) - max over r   [nats]")
    ax.plot(res["R"], res["optimal_radius"], color="black", lw=2, label="optimal radius r*(sigma)")
    ax.plot([0, TOP], [0, TOP], color="white", ls=":", lw=1, label="r = R")
    ax.axvline(res["sufficient"], color="tab:orange", ls="--", lw=1.5,
               label=f"sufficient threshold (Thm 1): R/sigma = sqrt(D-1) = {res['sufficient']:.3f}")
    ax.axvline(res["sharp"], color="tab:red", ls="-", lw=1.5,
               label=f"sharp threshold: R/sigma = sqrt(D) = {res['sharp']:.3f}")
    ax.set_xlabel("R / sigma")
    ax.set_ylabel("r / sigma")
    ax.set_xlim(0, TOP)
    ax.set_ylim(0, TOP)
    ax.set_title(f"D = 2 sphere: log p(x) per column (cf. BS20 Fig. 2)\n"
                 f"grid argmax leaves r = 0 at R/sigma = {res['argmax_leaves_zero_at']:.3f} "
                 f"(grid step {res['grid_step']:.3f})", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.85)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bs20_fig2_heatmap.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    summary = {k: res[k] for k in ("argmax_leaves_zero_at", "grid_step", "sharp", "sufficient")}
    summary.update(n=n, png=str(path))
    print(summary)
    return summary


if __name__ == "__main__":
    main()
