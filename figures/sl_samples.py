"""SL.Samples (the slides' "sampling is good if q(z) ~ p(z)"): sample quality against KL(q(z) || p(z)) across beta.

Left: the Frechet distance of 2000 mean prior samples to held-out patches (16-component pixel-PCA features of the
training patches) for the pixel-loss patch VAEs of SL.AggPost, per beta and seed, with the data-vs-data floor.
Right: the same distances against each model's KL(q(z) || p(z)) (Monte Carlo, as SL.AggPost).

    python figures/sl_samples.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.sample_quality import measure_aggregate_samples  # noqa: E402
from toyvae.plots.sample_quality import aggregate_samples  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts)")
    m = measure_aggregate_samples(Profile.QUICK if args.quick else Profile.FULL, args.seed)
    path = save_figure(aggregate_samples(m.figure_data), args.out, "sl_samples.png", dpi=110)
    numbers = {"png": str(path), "betas": m.numbers["betas"], "fd": m.numbers["fd"], "kl_agg": m.numbers["kl_agg"],
               "rank_correlation": m.numbers["rank_correlation_fd_kl_agg"], "floor": m.numbers["fd_data_floor"]}
    print(f"wrote {path}; rank correlation of distance and KL(q(z)||p(z)) per seed: "
          + ", ".join(f"{v:.2f}" for v in numbers["rank_correlation"]))
    return numbers


if __name__ == "__main__":
    main()
