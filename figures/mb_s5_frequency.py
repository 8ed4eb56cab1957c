"""MB Figs. 9-10 analogue: distortion, rate and the error allocation's distance to water-filling over
distortion-targeted training.

Top: linear-Gaussian (n = 8, spectrum k^-2 in the DCT basis; exact closed forms of the current parameters, block
means of 10 steps, mean of the seeds), with R(gamma) dashed. Bottom: 8x8 patch VAEs (training batches; the
reference allocation is reverse water-filling on a Gaussian source with the patches' covariance).

    python figures/mb_s5_frequency.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.mb_measure import measure_s5  # noqa: E402
from toyvae.plots.mb import plot_s5  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = measure_s5(profile, args.seed)
    fig = plot_s5(m.figure_data)
    path = save_figure(fig, args.out, "mb_s5_frequency.png", dpi=110)
    numbers = {"png": str(path), "linear": m.numbers["linear"], "patches": m.numbers["patches"],
               "figure": m.figure_data, "evidence": {k: v.tolist() for k, v in m.evidence.items()}}
    print(f"wrote {path}; linear distance of the error allocation to water-filling, early -> late: "
          + ", ".join(f"{r['gamma']:g}: {sum(r['distance_early']) / len(r['distance_early']):.3g} -> "
                      f"{sum(r['distance_late']) / len(r['distance_late']):.3g}" for r in m.numbers["linear"]))
    return numbers


if __name__ == "__main__":
    main()
