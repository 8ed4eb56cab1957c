"""MB.Samples (MB Figs. 2, 5, 7; Sec. 4): sample quality of the patch VAEs by a fixed proxy.

Left: the Frechet distance of 2000 mean samples per model to the held-out patches, in the 16-component pixel-PCA
space of the training patches: single stages at gamma = 2 and 4, the two-stage pipelines' primaries (gamma = 4)
and their secondaries (gamma~ = 2); the data-vs-data floor at the same sample size, a Gaussian with the data's
covariance and white noise as references. Right: a few samples of each beside held-out patches.

    python figures/mb_samples.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.experiments.sample_quality import measure_patch_samples  # noqa: E402
from toyvae.plots.sample_quality import samples  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="first training seed (the plan's seeds are SEED, SEED+1, ...; "
                            "0 gives the runs behind the verdicts)")
    m = measure_patch_samples(Profile.QUICK if args.quick else Profile.FULL, args.seed)
    path = save_figure(samples(m.figure_data), args.out, "mb_samples.png", dpi=110)
    numbers = {"png": str(path), "fd": m.figure_data["fd"], "floor": m.figure_data["floor"],
               "floor_sd": m.figure_data["floor_sd"], "white": m.figure_data["white"],
               "gaussian": m.figure_data["gaussian"]}
    print(f"wrote {path}; mean distance per model: "
          + ", ".join(f"{k} {sum(v) / len(v):.2f}" for k, v in numbers["fd"].items())
          + f" (floor {numbers['floor']:.3f})")
    return numbers


if __name__ == "__main__":
    main()
