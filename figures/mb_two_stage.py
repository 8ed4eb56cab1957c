"""MB Figs. 7-8 analogue: two-stage samples (8x8 patches) and the ELBO against the final distortion.

Left: mean samples of a primary patch VAE (gamma = 4) over the same samples after its secondary (gamma~ = 2).
Middle: linear-Gaussian pipelines (n = 8; primary at gamma = 0.4, secondaries at gamma~ = 0.2, 0.1, 0.05) and
single-stage models with the pipeline's total budget, over the exact ELBO of the rate-optimal code. Right: the
patch pipelines. ELBO: Gaussian decoder at its optimal scalar variance, -(n/2) log(2 pi e D/n) - R.

    python figures/mb_two_stage.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.mb_measure import measure_two_stage  # noqa: E402
from toyvae.plots.mb import plot_two_stage  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts); the samples shown are the first pipeline's")
    profile = Profile.QUICK if args.quick else Profile.FULL
    m = measure_two_stage(profile, args.seed, symbolic=False)
    fig = plot_two_stage(m.figure_data)
    path = save_figure(fig, args.out, "mb_two_stage.png", dpi=110)
    q = m.numbers
    numbers = {"png": str(path), "exact": q["exact"], "linear": q["linear"], "patches": q["patches"],
               "samples_shape": list(map(len, (m.figure_data["samples"], m.figure_data["samples"][0])))}
    print(f"wrote {path}; linear ELBO gain over the primary: "
          + ", ".join(f"{r['gamma_tilde']:g}: {sum(r['elbo2']) / len(r['elbo2']) - sum(r['elbo1']) / len(r['elbo1']):.3f}"
                      for r in q["linear"]))
    return numbers


if __name__ == "__main__":
    main()
