"""NL26 Figs. 7 and 13: per-dimension posterior std at a matched variance-KL (closed form and trained).

Left: D = 16, W = I, isotropic c_i = 1 vs anisotropic c_i log-uniform in [0.25, 4], both at 4 nats of
variance-KL (Theorem 41 picks beta). Right (Fig. 7 analogue): the linear-Gaussian model of the shared
sweep at a matched rate of 3 nats, pixel metric (lambda = 0) vs edge-feature metric (lambda = 1).

    python figures/nl26_fig13_matched_rate.py [--out DIR] [--seed N] [--quick]
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

    r = lv.fig13_experiment(profile, args.seed)
    s_trained = r.s_trained[:, 0]  # the first seed
    sweep = lv.shared_sweep(profile, args.seed)
    spec, params = sweep.spec, lv.LinearVAE(*(a[:, 0] for a in sweep.params))  # the first seed
    lam_k = {0.0: spec.c2.start, 1.0: spec.c2.stop - 1}
    fig7 = {}
    for lam, k in lam_k.items():
        mu = rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k])
        closed = np.sort(np.sqrt(np.minimum(spec.betas[k] / 2 / np.maximum(mu, 1e-300), 1.0)))
        trained = np.sort(np.exp(0.5 * params.log_s[k]))
        fig7[lam] = (closed, trained)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    dims = np.arange(1, r.c.shape[1] + 1)
    for i, (name, colour) in enumerate([("isotropic", "C0"), ("anisotropic", "C3")]):
        ax1.plot(dims, np.sqrt(r.s_closed[i]), "-", color=colour, label=f"{name}, closed form (beta={r.betas[i]:.3f})")
        ax1.plot(dims, np.sqrt(s_trained[i]), "o", color=colour, mfc="none", label=f"{name}, trained")
    ax1.set(xlabel="latent dimension i", ylabel="posterior std sqrt(s_i)", ylim=(0, 1),
            title=f"D=16, W=I, variance-KL {lv.FIG13_TARGET:g} nats")
    ax1.legend(fontsize=7)
    for lam, colour in [(0.0, "C0"), (1.0, "C3")]:
        closed, trained = fig7[lam]
        x = np.arange(1, closed.size + 1)
        ax2.plot(x, closed, "-", color=colour, label=f"lambda={lam:g} closed form")
        ax2.plot(x, trained, "o", color=colour, mfc="none", label=f"lambda={lam:g} trained")
    ax2.set(xlabel="latent (sorted)", ylabel="posterior std", ylim=(0, 1.05),
            title=f"linear-Gaussian, rate {lv.SWEEP_C2_RATE:g} nats: pixel vs edge metric")
    ax2.legend(fontsize=7)
    path = save_figure(fig, args.out, "nl26_fig13_matched_rate.png")
    numbers = {
        "betas": r.betas.tolist(),
        "std_closed": np.sqrt(r.s_closed).tolist(),
        "std_trained": np.sqrt(s_trained).tolist(),
        "fig7_std_closed": {str(k): v[0].tolist() for k, v in fig7.items()},
        "fig7_std_trained": {str(k): v[1].tolist() for k, v in fig7.items()},
        "png": str(path),
    }
    print(f"wrote {path}; betas {r.betas.round(4).tolist()}")
    return numbers


if __name__ == "__main__":
    main()
