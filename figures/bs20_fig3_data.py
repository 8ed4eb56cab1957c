"""Berger & Sebag 2020, Fig. 3: the 2-D heteroscedastic data (our curve, engine.data).

Prints the measured noise standard deviation per region next to the configured one.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.data.synthetic import HeteroscedasticCurve  # noqa: E402
from toyvae.cli.figure import figure_arguments  # noqa: E402

REGIONS = ("moderate", "small", "large")


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, quick_help="fewer points")
    data = HeteroscedasticCurve()
    n = 3000 if args.quick else 20000
    x, region, t = (np.asarray(a) for a in data.sample_labelled(jax.random.PRNGKey(args.seed), n))
    resid = x - np.asarray(data.curve(t))
    measured = [float(resid[region == r].std()) for r in range(3)]
    fig, ax = plt.subplots(figsize=(7, 4))
    for r, color in zip(range(3), ("tab:blue", "tab:green", "tab:red")):
        ax.scatter(*x[region == r].T, s=2, color=color,
                   label=f"{REGIONS[r]} noise: sigma {data.noise[r]:g} (measured {measured[r]:.3f})")
    tt = np.linspace(-1, 1, 400)
    ax.plot(*np.asarray(data.curve(tt)).T, "k-", lw=0.7, label="curve c(t)")
    ax.set_aspect("equal")
    ax.set_title(f"2-D heteroscedastic toy ({n} points); cf. Berger & Sebag 2020, Fig. 3")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bs20_fig3_data.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    result = {"noise": list(data.noise), "measured_noise": measured, "n": n, "png": str(path)}
    print(result)
    return result


if __name__ == "__main__":
    main()
