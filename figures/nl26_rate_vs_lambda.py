"""NL26 Figs. 3-4 analogue: rate at convergence against lambda in lambda d_neural + (1 - lambda) d_pix + beta KL.

Left: linear-Gaussian model with the edge-feature metric (closed form, trained; and the closed form with the
features scaled to norm 2). Right: nonlinear VAEs on 8x8 patches of scikit-learn's sample photographs with
the 1-Lipschitz edge-feature network and with a hinge discriminator, plus the pixel-only controls
(weight 1 - lambda on d_pix, no neural term).

    python figures/nl26_rate_vs_lambda.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.experiments import linear_vae as lv  # noqa: E402
from toyvae.experiments import neural_losses as nl  # noqa: E402
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
    F = lv.difference_features(n)
    lams = spec.lambdas
    fine = np.linspace(0, 1, 101)

    def closed(lam_grid, scale):
        return np.array([float(rd.reverse_water_filling(rd.metric_weighted_spectrum(
            spec.Sigma, (1 - l) * np.eye(n) + l * scale**2 * F.T @ F), lv.SWEEP_C1_BETA / 2).rate) for l in lam_grid])

    trained = np.array([rd.linear_vae_parts(rd.LinearVAEParams(params.A[k], np.exp(params.log_s[k]), params.W[k]),
                                            spec.Sigma, spec.Gs[k]).rate for k in range(spec.c1.start, spec.c1.stop)])
    runs = nl.shared_runs(profile, args.seed)
    rate = lambda k: nl.evaluate(runs, k, 0)["rate"]  # noqa: E731
    feat = np.array([rate(k) for k in range(runs.feature.start, runs.feature.stop)])
    adv = np.array([feat[0]] + [rate(k) for k in range(runs.adversarial.start, runs.adversarial.stop)])
    beta_ctrl = {float(runs.settings["beta"][k]): rate(k) for k in range(runs.betas.start, runs.betas.stop)}
    control = np.array([feat[0], np.nan, beta_ctrl[0.6], beta_ctrl[1.2], np.nan])  # beta/(1-lambda) = 0.6, 1.2

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(fine, closed(fine, 1.0), "C0-", label="closed form, ||F|| = 1")
    ax1.plot(lams, trained, "C0o", mfc="none", label="trained linear VAE")
    ax1.plot(fine, closed(fine, 2.0), "C1--", label="closed form, ||F|| = 2")
    ax1.set(xlabel="lambda", ylabel="rate [nats]", title=f"linear-Gaussian, edge metric, beta={lv.SWEEP_C1_BETA:g}")
    ax1.legend(fontsize=7)
    ax2.plot(lams, feat, "C2o-", label="edge features (L=1)")
    ax2.plot(lams, adv, "C3s-", label="hinge adversarial")
    ax2.plot(lams, control, "kx", ms=9, label="pixel-only control, weight 1-lambda")
    ax2.set(xlabel="lambda", ylabel="rate E KL [nats]", title=f"nonlinear VAE, image patches, beta={nl.BETA0:g}")
    ax2.legend(fontsize=7)
    path = save_figure(fig, args.out, "nl26_rate_vs_lambda.png")
    numbers = {"lambda": lams.tolist(), "linear_closed": closed(lams, 1.0).tolist(), "linear_closed_norm2": closed(lams, 2.0).tolist(),
               "linear_trained": trained.tolist(), "patch_feature": feat.tolist(), "patch_adversarial": adv.tolist(),
               "patch_control": control.tolist(), "png": str(path)}
    print(f"wrote {path}; patches feature {feat.round(2).tolist()} adversarial {adv.round(2).tolist()}")
    return numbers


if __name__ == "__main__":
    main()
