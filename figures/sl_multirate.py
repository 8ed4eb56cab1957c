"""SL.MultiRate: one beta-conditioned linear VAE against the exact rate-distortion curve and per-beta models.

Left: the exact R(D) of the shared Gaussian source (n = 8), the multi-rate network's (D, R) along beta (training
range 0.01..1 as lines, outside it as dots), per-beta models of the same total budget, the optimum at each beta.
Right: the Lagrangian excess eps = (D + beta R)/min(D + beta R) - 1 per seed, in and outside the training range.

    python figures/sl_multirate.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.sl_measure import measure_multirate  # noqa: E402
from toyvae.plots.sl import plot_multirate  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = measure_multirate(profile, args.seed)
    fig = plot_multirate(m.figure_data)
    path = save_figure(fig, args.out, "sl_multirate.png", dpi=110)
    q = m.numbers
    n_in = len(q["in_beta"])
    numbers = {"png": str(path), "figure": m.figure_data, "cost": q["cost"],
               "in_range": [{"beta": b, "multi": q["eps_multi"][i], "per_beta": q["eps_per_beta"][i]}
                            for i, b in enumerate(q["in_beta"])],
               "controls": [{"beta": b, "multi": q["eps_multi"][n_in + i]} for i, b in enumerate(q["control_beta"])]}
    print(f"wrote {path}; mean eps (multi-rate) per in-range beta: "
          + ", ".join(f"{r['beta']:.3g}: {sum(r['multi']) / len(r['multi']):.3f}" for r in numbers["in_range"]))
    return numbers


if __name__ == "__main__":
    main()
