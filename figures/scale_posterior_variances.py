"""SCALE: trained against closed-form posterior variances over the latents (linear VAEs on photo crops).

Per metric (pixel, edge features) at the matched rate: the trained posterior variances s_i of one
seed, sorted, against eq. 46 with the model's own decoder (s*_i = beta / (beta + 2 c_i)) and against
the closed-form optimum at that rate (s_i = theta / mu_i on the coded components, 1 elsewhere), over
all d latents (2048 in the full profile; toyvae.experiments.scale.linear_crops).

    python figures/scale_posterior_variances.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.experiments.scale import linear_crops  # noqa: E402
from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="index of the training seed shown (modulo the plan's seeds)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    r = linear_crops.run(profile)
    j = args.seed % len(r.seeds)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    numbers = {"seed_index": j, "rate": r.closed[0].rate}
    for ax, (i, metric) in zip(axes, enumerate(linear_crops.METRICS)):
        order = np.argsort(r.s[i, j])
        latents = np.arange(1, r.d + 1)
        ax.plot(latents, np.sort(r.closed[i].s), "k-", lw=1.5, label="closed-form optimum at the matched rate")
        ax.plot(latents, r.s_star[i, j][order], "-", color="C1", lw=1, label="eq. 46 with its own decoder")
        ax.plot(latents, r.s[i, j][order], "o", color="C0", ms=2.5, label="trained")
        ax.set(yscale="log", xlabel="latent (sorted by trained s)", ylabel="posterior variance s_i",
               title=f"{metric} metric, beta = {r.beta[i]:.3g}, rate {r.rate[i, j]:.2f} "
                     f"(target {r.closed[i].rate:.2f})")
        ax.legend(fontsize=7)
        numbers[metric] = {"s": r.s[i, j][order].tolist(), "s_star": r.s_star[i, j][order].tolist(),
                           "closed": np.sort(r.closed[i].s).tolist(),
                           "max_abs_log_ratio": float(np.max(np.abs(np.log(r.s[i, j] / r.s_star[i, j])))),
                           "A_post": float(r.A_post[i, j]), "A_post_closed": r.closed[i].A_post}
    path = save_figure(fig, args.out, "scale_posterior_variances.png")
    numbers["png"] = str(path)
    print(f"wrote {path}")
    return numbers


if __name__ == "__main__":
    main()
