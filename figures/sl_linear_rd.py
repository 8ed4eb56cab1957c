"""SL.LinRD: the rate-distortion curve with the optimal decoder sigma is the line R = h(X) - (n/2) log(2 pi e D/n).

Left: rate against the reconstruction term at sigma^2 = D/n for the shared Gaussian source (n = 8): the
water-filling code, the line of slope -1 through h(X) (the ELBO bound), the shared sweep's beta-VAEs and the
learned-sigma linear VAEs. Right: the coded stretch against D itself, with its chord.

    python figures/sl_linear_rd.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.linear_line import measure_linrd  # noqa: E402
from toyvae.plots.gaussian_codes import plot_linrd  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = measure_linrd(profile, args.seed)
    path = save_figure(plot_linrd(m.figure_data), args.out, "sl_linear_rd.png", dpi=110)
    q = m.numbers
    numbers = {"png": str(path), "figure": m.figure_data, "entropy": q["entropy_shared_source"],
               "largest_coded_gap": q["largest_coded_gap"], "learned_excess": q["learned_excess"],
               "learned_rate": q["learned_rate"], "learned_sigma2_over_mse": q["learned_sigma2_over_mse"]}
    print(f"wrote {path}; h(X) = {q['entropy_shared_source']:.4f} nats; learned-sigma excess over the line: "
          + "; ".join(f"sigma0^2 = {s:g}: " + "/".join(f"{e:.3f}" for e in ex)
                      for s, ex in zip(q["learned_sigma_init"], q["learned_excess"])))
    return numbers


if __name__ == "__main__":
    main()
