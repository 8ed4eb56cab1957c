"""Berger & Sebag 2020, Table 1: held-out ELBO per setting, ours beside the paper's.

Ours are nats per point with all constants; the paper's curve and constants are not published
(its F-VAE rows add 2 log sigma): compare orderings, not values.
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


def main(argv=None) -> list[dict]:
    args = figure_arguments(__doc__, argv, seed_help="unused: the table averages over the profile's seeds", quick_help="the quick profile (else the full, paper-scale one)")
    result = toy2d.run(Profile.QUICK if args.quick else Profile.FULL)
    rows = toy2d.table(result)
    print(f"Table 1 ({len(result.plan.seeds)} seeds, {result.plan.steps} steps, "
          f"{result.plan.depth} blocks of {result.plan.width}); ELBO nats/point, all constants")
    print(f"{'setting':10s} {'sigma':>7s} {'ELBO':>8s} {'+-std':>6s} {'IWAE100':>8s} {'rate':>6s} {'paper':>7s}")
    for r in rows:
        print(f"{r['name']:10s} {r['sigma']:7.3f} {r['elbo']:8.3f} {r['elbo_std']:6.3f} {r['iwae']:8.3f} "
              f"{r['rate']:6.2f} {r['paper']:7.3f}")
    fig, ax = plt.subplots(figsize=(8, 4))
    pos = np.arange(len(rows))
    ax.bar(pos - 0.2, [r["elbo"] for r in rows], 0.4, yerr=[r["elbo_std"] for r in rows], capsize=3,
           label="ours (all constants, mean +- std over seeds)")
    ax.bar(pos + 0.2, [r["paper"] for r in rows], 0.4, label="paper, as printed (their curve, their constants)")
    ax.set_xticks(pos, [r["name"] for r in rows])
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel("held-out ELBO (nats per point)")
    ax.set_title(f"Table 1: ours ({len(result.plan.seeds)} seeds, {result.plan.steps} steps) beside Berger & Sebag")
    ax.legend(fontsize=8)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "bs20_table1.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return rows


if __name__ == "__main__":
    main()
