"""NL26 Fig. 5 analogue: posterior anisotropy A_post = Var_i log s_i at a matched rate, against lambda.

Left: linear-Gaussian model with the edge-feature metric at 3 nats (closed form; trained with the matched beta).
Right: nonlinear VAEs on image patches with the rate held at 3 nats by a GECO-style multiplier; A_post is the
mean over patches of Var_i log s_i(x), error bars one standard error over patches (first seed); hollow markers:
runs that missed the rate target by more than 10%.

    python figures/nl26_anisotropy_vs_lambda.py [--out DIR] [--seed N] [--quick]
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
    closed, trained = [], []
    for k in range(spec.c2.start, spec.c2.stop):
        mu = rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k])
        closed.append(float(np.var(np.log(np.minimum(spec.betas[k] / 2 / np.maximum(mu, 1e-300), 1.0)))))
        trained.append(float(np.var(params.log_s[k])))
    runs = nl.shared_runs(profile, args.seed)
    evals = [nl.evaluate(runs, k, 0) for k in range(runs.geco.start, runs.geco.stop)]
    rates = np.array([e["rate"] for e in evals])
    a = np.array([e["A_post"] for e in evals])
    se = np.array([np.std(np.var(np.log(e["s"]), 1)) / np.sqrt(e["s"].shape[0]) for e in evals])
    matched = np.abs(rates / nl.GECO_RATE - 1) <= 0.1
    glam = np.array(nl.GECO_LAMBDAS)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(spec.lambdas, closed, "C0-o", label="closed form")
    ax1.plot(spec.lambdas, trained, "C1s", mfc="none", ms=9, label="trained linear VAE")
    ax1.set(xlabel="lambda", ylabel="A_post = Var_i log s_i", ylim=(0, None),
            title=f"linear-Gaussian, edge metric, rate {lv.SWEEP_C2_RATE:g} nats")
    ax1.legend(fontsize=7)
    ax2.errorbar(glam, a, yerr=se, fmt="C2-", capsize=3)
    ax2.plot(glam[matched], a[matched], "C2o", label="rate matched (within 10%)")
    ax2.plot(glam[~matched], a[~matched], "C2o", mfc="none", ms=9, label="rate not matched")
    for x, y, r in zip(glam, a, rates):
        ax2.annotate(f"R={r:.2f}", (x, y), textcoords="offset points", xytext=(5, 5), fontsize=7)
    ax2.set(xlabel="lambda (edge features)", ylabel="mean_x Var_i log s_i(x)", ylim=(0, None),
            title=f"nonlinear VAE, image patches, GECO rate {nl.GECO_RATE:g} nats")
    ax2.legend(fontsize=7)
    path = save_figure(fig, args.out, "nl26_anisotropy_vs_lambda.png")
    numbers = {"lambda": spec.lambdas.tolist(), "linear_closed": closed, "linear_trained": trained,
               "patch_lambda": glam.tolist(), "patch_A_post": a.tolist(), "patch_A_post_se": se.tolist(),
               "patch_rate": rates.tolist(), "png": str(path)}
    print(f"wrote {path}; linear closed {np.round(closed, 3).tolist()}; patches {a.round(3).tolist()} at {rates.round(2).tolist()}")
    return numbers


if __name__ == "__main__":
    main()
