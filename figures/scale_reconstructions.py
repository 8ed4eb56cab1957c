"""SCALE: held-out crops, their reconstructions and prior samples per decoder (F, LS, LV) of the conv VAE.

Rows: eight held-out tiles (the held-out photo), then for each decoder of BS20 (F: sigma^2 = 1/2, the MSE
loss; LS: a learned scalar sigma; LV: a learned per-pixel sigma) the decoder means at the posterior
means (reconstructions) and the decoder means of eight prior samples, the same z for every decoder
(64 x 64 x 3 in the full profile; toyvae.experiments.scale.conv_crops).

    python figures/scale_reconstructions.py [--out DIR] [--seed N] [--quick]
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.experiments.scale import conv_crops  # noqa: E402
from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402

DECODERS = ("F", "LS", "LV")
N_SHOWN = 8


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="index of the training seed shown (modulo the plan's seeds)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    runs = conv_crops.run(profile)
    j = args.seed % len(runs.plan.seeds)
    x = runs.held[:N_SHOWN]
    recon = {n: conv_crops.reconstructions(runs, n, j, x) for n in DECODERS}
    samples = {n: conv_crops.samples(runs, n, j, N_SHOWN) for n in DECODERS}
    rows = [("held out", x)] + [(f"{n} recon", recon[n]) for n in DECODERS] + [(f"{n} sample", samples[n])
                                                                               for n in DECODERS]
    fig, axes = plt.subplots(len(rows), N_SHOWN, figsize=(1.2 * N_SHOWN, 1.25 * len(rows)), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(N_SHOWN):
            ax = axes[r, c]
            ax.imshow(np.clip(np.transpose(images[c], (1, 2, 0)), 0.0, 1.0), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=7)
    fig.suptitle(f"conv VAE on {runs.plan.size}x{runs.plan.size}x3 crops, seed index {j}", fontsize=9)
    path = save_figure(fig, args.out, "scale_reconstructions.png")
    numbers = {"seed_index": j, "png": str(path),
               "mse": {n: float(np.mean((recon[n] - x) ** 2)) for n in DECODERS},
               "sample_mean": {n: float(np.mean(samples[n])) for n in DECODERS},
               "bits_per_dim": {n: float(runs.bits_per_dim[runs.index(n), j]) for n in DECODERS}}
    print(f"wrote {path}; reconstruction MSE " + ", ".join(f"{k} {v:.4f}" for k, v in numbers["mse"].items()))
    return numbers


if __name__ == "__main__":
    main()
