"""Berger & Sebag 2020, Figs. 8-10: training losses and the learned sigma over training.

Top: distortion (-log p(x|z), nats) and rate (KL) per point along training for F* (fixed sigma at
LS-VAE's final value), LS-VAE and the F-VAE following LS-VAE's sigma schedule (App. A.2).
Bottom: LS-VAE's learned sigma per seed (Fig. 10). Numbers behind it: final distortion and rate
of each, and sigma at 0, 25, 50, 75 and 100 % of training.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.profiles import Profile  # noqa: E402
from toyvae.experiments import toy2d  # noqa: E402
from toyvae.cli.figure import figure_arguments  # noqa: E402


def _smooth(v, w=20):
    return np.convolve(v, np.ones(w) / w, mode="valid") if v.size > w else v


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="index of the training seed whose losses are shown", quick_help="the quick profile (else the full one)")
    result = toy2d.run(Profile.QUICK if args.quick else Profile.FULL)
    k = args.seed % len(result.plan.seeds)
    every = result.phase1.config.record_every
    fig, axes = plt.subplots(2, 1, figsize=(8, 7))
    numbers = {}
    for name, color in (("F*", "tab:red"), ("LS", "tab:blue"), ("F sched", "tab:green")):
        res, i = result.locate(name)
        dist, rate = res.history["distortion"][i, k], res.history["rate"][i, k]
        steps = (np.arange(dist.size) + 1) * every
        s = _smooth(dist)
        axes[0].plot(steps[: s.size], s, color=color, label=f"{name}: distortion")
        s = _smooth(rate)
        axes[0].plot(steps[: s.size], s, color=color, ls="--", label=f"{name}: rate")
        numbers[name] = {"final_distortion": float(dist[-50:].mean()), "final_rate": float(rate[-50:].mean())}
    axes[0].set_ylabel("nats per point")
    axes[0].set_ylim(-6, 12)
    axes[0].legend(fontsize=7, ncol=3)
    axes[0].set_title(f"losses along training (seed index {k}); cf. BS20 Figs. 8-9")
    sig = result.phase1.history["sigma"][result.phase1.index("LS")]
    steps = (np.arange(sig.shape[1]) + 1) * every
    for j in range(sig.shape[0]):
        axes[1].plot(steps, sig[j], lw=0.8, label=f"LS-VAE seed {result.plan.seeds[j]}")
    axes[1].plot(np.arange(result.schedule.size) + 1, result.schedule, "k--", lw=1,
                 label="schedule of F sched (geometric mean)")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("training step")
    axes[1].set_ylabel("learned sigma")
    axes[1].set_title("LS-VAE's learned sigma; cf. BS20 Fig. 10")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "bs20_fig8_10_dynamics.png", dpi=110)
    plt.close(fig)
    n = sig.shape[1]
    numbers["LS_sigma_quarters"] = [float(np.exp(np.log(sig[:, min(n - 1, int(q * n))]).mean()))
                                    for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    print(numbers)
    return numbers


if __name__ == "__main__":
    main()
