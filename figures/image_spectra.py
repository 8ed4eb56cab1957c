"""NL26.Spectrum and MB.S5-pca: principal-component spectra of the package's image patches and photo crops, and the
Gaussian rates of top-k codes against reverse water-filling.

Writes nl26_spectrum.png (cumulative variance share; principal variances) and mb_s5_pca.png (rates at each
distortion). Nothing is trained: ``--quick`` and ``--seed`` are accepted for a uniform interface (the sets are fixed:
patch seeds 0, 1, 2 and every crop of each photo).

    python figures/image_spectra.py [--out DIR] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.image_spectra import measure_spectra  # noqa: E402
from toyvae.plots.gaussian_codes import plot_pca, plot_spectrum  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="unused (the data sets are fixed)")
    m = measure_spectra(Profile.QUICK if args.quick else Profile.FULL)
    paths = [str(save_figure(plot_spectrum(m.figure_data), args.out, "nl26_spectrum.png", dpi=110)),
             str(save_figure(plot_pca(m.figure_data), args.out, "mb_s5_pca.png", dpi=110))]
    sets = m.numbers["sets"]
    print(f"wrote {', '.join(paths)}; share of the top tenth: "
          + ", ".join(f"{n} {r['share_top_tenth']:.3f}" for n, r in sets.items()))
    return {"png": paths, "sets": sets, "oracle_gap_max": m.numbers["oracle_gap_max"]}


if __name__ == "__main__":
    main()
