"""BS20.A2-plateaus (App. A.2, Fig. 10): does LS-VAE's learned sigma fall in plateaus, with drops at ELBO rises?

Left: LS-VAE's sigma per seed over training (the 2-D toy runs of the BS20 toy claims). Middle: the fall of log
sigma per block over its average fall (a plateau sits under 1/2, a drop over 2). Right: per block, the fall of log
sigma against the rise of the training ELBO. Numbers behind it: each seed's staircase index (plateaus: above
log 2) and the coincidence excess (detrended correlation over its circular-shift null).

    python figures/bs20_sigma_plateaus.py [--out DIR] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments import sigma_plateaus as sp  # noqa: E402
from toyvae.experiments import toy2d  # noqa: E402
from toyvae.plots.sigma_plateaus import plateaus  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="unused: the plan's seeds are those of the BS20 toy claims")
    m = sp.measure_plateaus(toy2d.run(Profile.QUICK if args.quick else Profile.FULL))
    path = save_figure(plateaus(m.figure_data), args.out, "bs20_sigma_plateaus.png", dpi=110)
    numbers = {"png": str(path), "staircase_index": m.numbers["staircase_index"],
               "coincidence_excess": m.figure_data["coincidence_excess"],
               "block_noise_over_pace": m.numbers["block_noise_over_pace"]}
    print(f"wrote {path}; staircase index per seed "
          + ", ".join(f"{v:.2f}" for v in numbers["staircase_index"]) + f" (plateaus > {m.figure_data['criterion']:.2f})")
    return numbers


if __name__ == "__main__":
    main()
