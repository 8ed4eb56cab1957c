"""SL.MultiRate: one beta-conditioned linear VAE against the exact rate-distortion curve and per-beta models.

Left: the exact R(D) of the shared Gaussian source (n = 8), the multi-rate network's (D, R) along beta (training
range 0.01..1 as lines, outside it as dots), per-beta models of the same total budget, the optimum at each beta.
Right: the Lagrangian excess eps = (D + beta R)/min(D + beta R) - 1 per seed, in and outside the training range.

    python figures/sl_multirate.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.claims.sl_multirate import multirate_measurements, plot_multirate  # noqa: E402
from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = multirate_measurements(profile, args.seed)
    fig = plot_multirate(m["figure"])
    path = save_figure(fig, args.out, "sl_multirate.png", dpi=110)
    numbers = {"png": str(path), "figure": m["figure"], "cost": m["cost"],
               "in_range": [{"beta": r["beta"], "multi": r["multi"], "per_beta": r["per_beta"]} for r in m["rows"]],
               "controls": [{"beta": c["beta"], "multi": c["multi"]} for c in m["controls"]]}
    print(f"wrote {path}; mean eps (multi-rate) per in-range beta: "
          + ", ".join(f"{r['beta']:.3g}: {sum(r['multi']) / len(r['multi']):.3f}" for r in m["rows"]))
    return numbers


if __name__ == "__main__":
    main()
