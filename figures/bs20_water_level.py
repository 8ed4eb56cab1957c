"""BS20.S32-water: a fixed decoder sigma codes only the principal directions with variance above sigma^2.

Left: the number of coded directions of a linear-Gaussian VAE against sigma^2, closed form and a brute-force
optimiser over all parameters (two rotated spectra). Right: the training digits' principal variances (pixels v/16)
with the squared-error loss's sigma^2 = 1/2 and LS-VAE's learned sigma^2, and the trained rates.

    python figures/bs20_water_level.py [--out DIR] [--quick]

``--seed`` is accepted for a uniform interface; the digits runs use their plan's seeds (those behind the verdict).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.water_level import measure_water  # noqa: E402
from toyvae.plots.gaussian_codes import plot_water  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="unused (the digits runs use their plan's seeds)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = measure_water(profile)
    path = save_figure(plot_water(m.figure_data), args.out, "bs20_water_level.png", dpi=110)
    q = m.numbers
    numbers = {"png": str(path), "figure": m.figure_data, "grid": q["grid"],
               "digits_directions_above_half": q["digits_directions_above_half"],
               "digits_gaussian_rate_half": q["digits_gaussian_rate_half"], "digits_F_rate": q["digits_F_rate"],
               "digits_LS_rate": q["digits_LS_rate"]}
    print(f"wrote {path}; digits: {q['digits_directions_above_half']} variances > 1/2, Gaussian code "
          f"{q['digits_gaussian_rate_half']:.3f} nats, F-VAE " + "/".join(f"{r:.3f}" for r in q["digits_F_rate"]))
    return numbers


if __name__ == "__main__":
    main()
