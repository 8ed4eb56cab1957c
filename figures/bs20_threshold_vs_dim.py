"""The collapse threshold sigma_c / R of the hypersphere VAE against the dimension D (BS20 Theorem 1).

Three curves: the paper's sufficient condition ``1 / sqrt(D - 1)``, the sharp threshold ``1 / sqrt(D)``
(``toyvae.theory.hypersphere.sharp_threshold``), and a brute-force location that uses neither: on a
fine grid of ``t = sigma sqrt(D) / R`` the largest sigma at which the maximiser of ``log_marginal``
over a dense grid of radii ``r`` in ``[0, R]`` is not ``r = 0``. The lower panel shows how far
each lies from the sharp one, relative to it, next to the grid resolution.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.theory import hypersphere as hs  # noqa: E402
from toyvae.cli.figure import figure_arguments  # noqa: E402

R = 1.0
HALF_WIDTH = 0.02  # the sigma grid spans t = sigma sqrt(D) / R in [1 - 0.02, sqrt(D / (D - 1)) + 0.02]


def locate_threshold(D: int, n_sigma: int, n_r: int) -> dict:
    """Largest sigma on the grid whose grid-argmax over r is > 0 (brute force, no closed form)."""
    t_suff = np.sqrt(D / (D - 1.0))
    t = np.linspace(1.0 - HALF_WIDTH, t_suff + HALF_WIDTH, n_sigma)
    sigma = t * R / np.sqrt(D)
    r = np.linspace(0.0, R, n_r)
    values = hs.log_marginal(r[None, :], R, sigma[:, None], D)
    moved = np.argmax(values, axis=1) > 0
    located = float(sigma[moved].max()) if np.any(moved) else np.nan
    return {
        "D": D,
        "located": located,
        "sharp": float(hs.sharp_threshold(R, D)),
        "sufficient": float(hs.sufficient_threshold(R, D)),
        "sigma_step": float(sigma[1] - sigma[0]),
    }


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="unused: the figure is deterministic", quick_help="12 dimensions and coarser grids")
    if args.quick:
        dims = [2, 3, 5, 10, 20, 50, 100, 300, 1000, 3000, 10000]
        n_sigma, n_r = 801, 300
    else:
        dims = sorted({int(round(d)) for d in np.geomspace(2, 10000, 30)})
        n_sigma, n_r = 4001, 1000
    rows = [locate_threshold(D, n_sigma, n_r) for D in dims]
    D = np.array([row["D"] for row in rows])
    located = np.array([row["located"] for row in rows])
    sharp = np.array([row["sharp"] for row in rows])
    sufficient = np.array([row["sufficient"] for row in rows])
    step = np.array([row["sigma_step"] for row in rows])

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 6.4), sharex=True, height_ratios=(2, 1.3))
    top.plot(D, sufficient, "--", color="tab:orange", lw=1.5, label="sufficient (Thm 1): 1/sqrt(D-1)")
    top.plot(D, sharp, "-", color="tab:red", lw=1.5, label="sharp: 1/sqrt(D)")
    top.plot(D, located, "o", color="black", ms=4, mfc="none", label="located by brute force")
    top.set_xscale("log")
    top.set_yscale("log")
    top.set_ylabel("collapse threshold sigma_c / R")
    top.legend(fontsize=8)
    top.set_title("Hypersphere VAE: r* = 0 for sigma >= sigma_c (cf. BS20 Theorem 1)", fontsize=10)
    bottom.plot(D, sufficient / sharp - 1, "--", color="tab:orange", label="sufficient / sharp - 1 = sqrt(D/(D-1)) - 1")
    bottom.plot(D, np.abs(located / sharp - 1), "o", color="black", ms=4, mfc="none",
                label="|located / sharp - 1|")
    bottom.plot(D, step / sharp, ":", color="grey", label="grid step / sharp (resolution)")
    bottom.set_xscale("log")
    bottom.set_yscale("log")
    bottom.set_xlabel("dimension D")
    bottom.set_ylabel("relative gap to 1/sqrt(D)")
    bottom.legend(fontsize=8)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bs20_threshold_vs_dim.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    result = {"rows": rows, "png": str(path)}
    for row in rows:
        print(f"D = {row['D']:>5}: located {row['located']:.6f}  sharp {row['sharp']:.6f}  "
              f"sufficient {row['sufficient']:.6f}  (grid step {row['sigma_step']:.2e})")
    return result


if __name__ == "__main__":
    main()
