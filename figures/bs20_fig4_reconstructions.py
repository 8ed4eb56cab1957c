"""Berger & Sebag 2020, Figs. 4, 6, 7: reconstructions and generations of every toy setting.

One row per setting (F-VAEs from sigma = 1 to 0.01, F*, F sched, LS, LV). Left: held-out data
(blue) and reconstructions mu(m(x)) (orange). Right: generations, samples of p(x|z) (green) and
their means mu(z) (orange), z ~ N(0, I). Numbers behind it, per setting: the mean distance of
reconstructions to the data, and of generated samples and means to the noiseless curve.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.profiles import Profile  # noqa: E402
from toyvae.experiments.bs20_metrics import generate, reconstruct  # noqa: E402
from toyvae.experiments import toy2d  # noqa: E402
from toyvae.cli.figure import figure_arguments  # noqa: E402

ORDER = ["F 1", "F 0.3", "F 0.1", "F 0.03", "F 0.01", "F*", "F sched", "LS", "LV"]


def distance_to_curve(data, pts: np.ndarray) -> np.ndarray:
    """Distance of each point to the noiseless curve (nearest of 4001 curve points)."""
    grid = np.asarray(data.curve(np.linspace(-1, 1, 4001)))
    d2 = ((pts[:, None, :] - grid[None, :, :]) ** 2).sum(-1)
    return np.sqrt(d2.min(axis=1))


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="index of the training seed shown", quick_help="the quick profile (else the full one)")
    result = toy2d.run(Profile.QUICK if args.quick else Profile.FULL)
    k = args.seed % len(result.plan.seeds)
    data = result.data
    x = np.asarray(data(jax.random.PRNGKey(40_000), 1000))
    numbers = {}
    fig, axes = plt.subplots(len(ORDER), 2, figsize=(8, 2.0 * len(ORDER)), sharex=True, sharey=True)
    for row, name in zip(axes, ORDER):
        res, i = result.locate(name)
        rec, _ = reconstruct(res, i, k, x)
        means, _, samples = generate(res, i, k, 1000)
        numbers[name] = {
            "recon_error": float(np.linalg.norm(rec - x, axis=1).mean()),
            "sample_to_curve": float(distance_to_curve(data, samples).mean()),
            "mean_to_curve": float(distance_to_curve(data, means).mean()),
        }
        row[0].scatter(*x.T, s=1, color="tab:blue")
        row[0].scatter(*rec.T, s=1, color="tab:orange")
        row[1].scatter(*samples.T, s=1, color="tab:green")
        row[1].scatter(*means.T, s=1, color="tab:orange")
        row[0].set_ylabel(name)
        row[0].set_title(f"reconstruction: mean |x - mu| {numbers[name]['recon_error']:.3f}", fontsize=8)
        row[1].set_title(f"generation: samples {numbers[name]['sample_to_curve']:.3f}, means "
                         f"{numbers[name]['mean_to_curve']:.3f} from curve", fontsize=8)
    for ax in axes.ravel():
        ax.set_xlim(-2.6, 2.6)
        ax.set_ylim(-1.8, 1.8)
    fig.suptitle(f"Reconstructions (left) and generations (right), seed index {k}; cf. BS20 Figs. 4, 6, 7",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "bs20_fig4_reconstructions.png", dpi=100)
    plt.close(fig)
    for name, v in numbers.items():
        print(f"{name:8s} " + " ".join(f"{key} {val:.4f}" for key, val in v.items()))
    return numbers


if __name__ == "__main__":
    main()
