"""SL.RD: the exact rate-distortion curve of the shared Gaussian source (G = I) with trained beta-VAE points.

    python figures/sl_rate_distortion.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.experiments import linear_vae as lv  # noqa: E402
from toyvae.theory import rate_distortion as rd  # noqa: E402
from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts); trained points are shown for this first seed")
    profile = Profile.QUICK if args.quick else Profile.FULL

    sweep = lv.shared_sweep(profile, args.seed)
    spec, params = sweep.spec, lv.LinearVAE(*(a[:, 0] for a in sweep.params))  # the first seed
    n = spec.Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(spec.Sigma, np.eye(n))
    curve = rd.reverse_water_filling(mu, np.geomspace(1e-4, mu.max(), 300))
    pts = []
    for k in range(spec.rd.start, spec.rd.stop):
        p = rd.linear_vae_parts(rd.LinearVAEParams(params.A[k], np.exp(params.log_s[k]), params.W[k]), spec.Sigma, np.eye(n))
        opt = rd.reverse_water_filling(mu, spec.betas[k] / 2)
        pts.append((float(spec.betas[k]), p.distortion, p.rate, float(opt.distortion), float(opt.rate),
                    float(rd.rate_distortion(mu, p.distortion))))
    pts = np.array(pts)

    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(curve.distortion, curve.rate, "k-", lw=1.5, label="exact R(D) (reverse water-filling)")
    ax.plot(pts[:, 3], pts[:, 4], "s", color="0.5", mfc="none", ms=8, label="optimum at theta = beta/2")
    sc = ax.scatter(pts[:, 1], pts[:, 2], c=np.log10(pts[:, 0]), cmap="viridis", zorder=3, label="trained linear VAE")
    fig.colorbar(sc, ax=ax, label="log10 beta")
    ax.set(xlabel="distortion E|x - xhat|^2", ylabel="rate E KL(q(z|x)||p) [nats]", xscale="log",
           title="Gaussian source, spectrum k^-2 (n=8)")
    ax.legend(fontsize=7)
    path = save_figure(fig, args.out, "sl_rate_distortion.png")
    numbers = {"beta": pts[:, 0].tolist(), "distortion": pts[:, 1].tolist(), "rate": pts[:, 2].tolist(),
               "curve_at_distortion": pts[:, 5].tolist(), "png": str(path)}
    print(f"wrote {path}; rate - R(D): {(pts[:, 2] - pts[:, 5]).round(4).tolist()}")
    return numbers


if __name__ == "__main__":
    main()
