"""NL26 claim 2 with the hinge adversarial term at several matched rates (NL26.C2-adv; the paper's Fig. 6 design).

Pixel-only and adversarial (0.5 d_adv + 0.5 d_pix) patch VAEs held by a GECO multiplier at each target rate; left:
A_post = mean over held-out patches of Var_i log s_i(x) against the target, one thin line per seed; right: the
held-out rate each run reached, with the +-10% band of the matched-rate premise.

    python figures/nl26_adversarial_matched_rates.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments import neural_losses as nl  # noqa: E402
from toyvae.experiments import nl26_measure  # noqa: E402
from toyvae.plots.nl26 import plot_c2_adv  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdict)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = nl26_measure.measure_c2_adv(nl.adversarial_matched_runs(profile, args.seed))
    path = save_figure(plot_c2_adv(m.figure_data), args.out, "nl26_adversarial_matched_rates.png")
    numbers = {**m.figure_data, "png": str(path)}
    d = m.figure_data
    print(f"wrote {path}; A_post pixel {d['A_post_pixel']}, adversarial {d['A_post_adversarial']}")
    return numbers


if __name__ == "__main__":
    main()
