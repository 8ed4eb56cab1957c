"""MB Figs. 9-10 analogue: distortion, rate and the error's high-frequency share over distortion-targeted training.

Top: linear-Gaussian (n = 8, spectrum k^-2 in the DCT basis; exact closed forms of the current parameters, block
means of 10 steps, mean of the seeds), with R(gamma) and the water-filling share dashed. Bottom: 8x8 patch VAEs
(training batches; high frequencies = 2-D DCT coefficients with u + v >= 8).

    python figures/mb_s5_frequency.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.claims.mb_two_stage import plot_s5, s5_measurements  # noqa: E402
from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = s5_measurements(profile, args.seed)
    fig = plot_s5(m["figure"])
    path = save_figure(fig, args.out, "mb_s5_frequency.png", dpi=110)

    def rows(family):
        return [{"gamma": r["gamma"], "settle_window": [q["settle_window"] for q in r["seeds"]],
                 **{k: [q[k] for q in r["seeds"]] for k in ("R_early", "R_late", "share_early", "share_late",
                                                             "D_late_over_gamma")},
                 **{k: r[k] for k in ("share_optimal", "R_optimal") if k in r}} for r in m[family]]

    numbers = {"png": str(path), "linear": rows("linear"), "patches": rows("patches"), "figure": m["figure"]}
    print(f"wrote {path}; linear late high-frequency share vs water-filling: "
          + ", ".join(f"{r['gamma']:g}: {sum(q['share_late'] for q in r['seeds']) / len(r['seeds']):.3f}/"
                      f"{r['share_optimal']:.3f}" for r in m["linear"]))
    return numbers


if __name__ == "__main__":
    main()
