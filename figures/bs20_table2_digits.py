"""Berger & Sebag 2020, Table 2 and Fig. 5, on scikit-learn's 8x8 digits: F-VAE (MSE) vs LV-VAE.

Top: held-out digits and their reconstructions mu(m(x)) by the F-VAE (sigma^2 = 1/2, the MSE
loss) and the LV-VAE (learned per-pixel sigma, eq. 11). Middle: generations for z ~ N(0, I),
means mu(z) of p(x|z) and draws x ~ p(x|z) (clipped to [0, 1] for display only). Bottom left:
the LV-VAE's sigma_i at the posterior mean, averaged over the test images, per pixel. Bottom
right: held-out ELBO in bits per pixel (all constants; dots are seeds) of F, LS and LV, with the
paper's MNIST numbers in the title (their constants differ; compare directions).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.profiles import Profile  # noqa: E402
from toyvae.experiments.bs20_metrics import generate, reconstruct  # noqa: E402
from toyvae.experiments import digits  # noqa: E402
from toyvae.cli.figure import figure_arguments  # noqa: E402

N_SHOW = 10


def _strip(ax, images: np.ndarray, label: str):
    """One row of 8x8 images side by side, grey levels 0 (black) to 1 (white)."""
    row = np.concatenate([np.pad(im.reshape(8, 8), ((0, 0), (0, 1)), constant_values=1.0)
                          for im in np.clip(images, 0.0, 1.0)], axis=1)
    ax.imshow(row, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="index of the training seed shown", quick_help="the quick profile (else the full one)")
    result = digits.run(Profile.QUICK if args.quick else Profile.FULL)
    res = result.runs["raw"]
    k = args.seed % len(result.plan.seeds)
    x = result.test["raw"][:N_SHOW]
    f, lv = res.index("F"), res.index("LV")
    rec_f, _ = reconstruct(res, f, k, x)
    rec_lv, _ = reconstruct(res, lv, k, x)
    gen_f = generate(res, f, k, N_SHOW)
    gen_lv = generate(res, lv, k, N_SHOW)
    _, sig_test = reconstruct(res, lv, k, result.test["raw"])
    rows = {row["name"]: row for row in digits.table(result, "raw")}
    bpp = {s: digits.units(result.metrics["raw"][s]["elbo"])["bits_per_pixel"] for s in digits.SETTINGS}
    numbers = {
        "seed": int(result.plan.seeds[k]),
        "bits_per_pixel": {s: float(v.mean()) for s, v in bpp.items()},
        "recon_sq_err_per_pixel": {"F": float(np.mean((rec_f - x) ** 2)), "LV": float(np.mean((rec_lv - x) ** 2))},
        # spread of a draw around its mean: the decoder sigma that makes F's samples look like noise
        "sample_minus_mean_rms": {"F": float(np.sqrt(np.mean((gen_f[2] - gen_f[0]) ** 2))),
                                  "LV": float(np.sqrt(np.mean((gen_lv[2] - gen_lv[0]) ** 2)))},
        "lv_sigma_per_pixel": sig_test.mean(axis=0).reshape(8, 8),
        "table": list(rows.values()),
    }

    fig = plt.figure(figsize=(9.5, 8.5))
    grid = fig.add_gridspec(10, 2, height_ratios=[1] * 7 + [0.4, 3.2, 0.3], wspace=0.55)
    strips = [(x, "test images"), (rec_f, "F-VAE recon."), (rec_lv, "LV-VAE recon."),
              (gen_f[0], "F-VAE means"), (gen_f[2], "F-VAE samples"), (gen_lv[0], "LV-VAE means"),
              (gen_lv[2], "LV-VAE samples")]
    for r, (images, label) in enumerate(strips):
        _strip(fig.add_subplot(grid[r, :]), images, label)
    ax = fig.add_subplot(grid[8, 0])
    im = ax.imshow(numbers["lv_sigma_per_pixel"], cmap="viridis", norm=matplotlib.colors.LogNorm())
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title("LV-VAE sigma_i at the posterior mean\n(mean over 300 test digits)", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax = fig.add_subplot(grid[8, 1])
    for i, s in enumerate(digits.SETTINGS):
        ax.bar(i, bpp[s].mean(), color=["tab:gray", "tab:blue", "tab:orange"][i], alpha=0.7)
        ax.plot(np.full(bpp[s].size, i), bpp[s], "k.", ms=4)
        ax.text(i + 0.42, bpp[s].mean(), f"{bpp[s].mean():.2f}", ha="right",
                va="bottom" if bpp[s].mean() >= 0 else "top", fontsize=8)
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xticks(range(3), ["F (MSE)", "LS", "LV"])
    ax.set_ylabel("held-out ELBO, bits / pixel", fontsize=8)
    ax.set_title("ours: all constants; paper (MNIST, own constants):\nF 0.06 vs LV 4.89", fontsize=8)
    fig.suptitle(f"BS20 Table 2 / Fig. 5 on sklearn digits ({result.plan.steps} steps, seed {numbers['seed']})",
                 fontsize=10)
    fig.subplots_adjust(left=0.16, right=0.97, top=0.94, bottom=0.04, hspace=0.35)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "bs20_table2_digits.png", dpi=100)
    plt.close(fig)
    for row in numbers["table"]:
        print(f"{row['name']:3s} ELBO {row['nats_per_image']:9.3f} nats/image  "
              f"{row['bits_per_pixel']:7.3f} bits/pixel  rate {row['rate']:.2f}  sigma {row['sigma_mean']:.3f}")
    return numbers


if __name__ == "__main__":
    main()
