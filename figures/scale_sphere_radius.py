"""SCALE: decoder-mean radius against sigma at high D (trained linear F-VAEs on the sphere) over the theory.

One panel per (D, latents d): the radius ||W||_F / R of every trained model (control, cold and warm runs
below R/sqrt(D), cold and warm runs above R/sqrt(D-1)) against sigma / (R/sqrt(D)), over r*(sigma)
(d = D) or r_lin(d) = sqrt(d (R^2/D - sigma^2)) (d < D). Above the threshold the cold runs mark the
optimiser's noise floor at the collapsed optimum (toyvae.experiments.scale.sphere_hd).

    python figures/scale_sphere_radius.py [--out DIR] [--quick]
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toyvae.experiments.scale import sphere_hd  # noqa: E402
from toyvae.cli.figure import figure_arguments, save_figure  # noqa: E402
from toyvae.profiles import Profile  # noqa: E402


def main(argv=None) -> dict:
    args = figure_arguments(__doc__, argv, seed_help="unused (every seed of the plan is drawn)")
    profile = Profile.QUICK if args.quick else Profile.FULL
    runs = sphere_hd.run(profile)
    panels = [(D, d) for D, r in sorted(runs.items()) for d in sorted({int(k) for k in r.latents}, reverse=True)]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 4), squeeze=False)
    numbers = {"panels": []}
    pos = np.linspace(0.3, 1.4, 111)
    for ax, (D, d) in zip(axes[0], panels):
        r = runs[D]
        theory = sphere_hd.reference_radius(r.R, pos * r.R / math.sqrt(D), D, d) / r.R
        ax.plot(pos, theory, "k-", lw=1.5, label="r*(sigma)" if d >= D else f"r_lin({d})")
        panel = {"D": D, "d": d, "rows": {}}
        for name, marker in (("control", "o"), ("below cold", "s"), ("below warm", "^"), ("above cold", "x"),
                             ("above warm", "v")):
            idx = r.rows(name, d)
            ax.plot(r.position[idx], r.radius[idx] / r.R, marker, mfc="none", ms=6, label=name)
            panel["rows"][name] = {"position": r.position[idx].tolist(), "r/R": (r.radius[idx] / r.R).tolist(),
                                   "r_ref/R": (r.r_ref[idx] / r.R).tolist()}
        ax.axvline(1.0, color="gray", ls="--", lw=0.8)
        ax.set(xlabel="sigma / (R / sqrt D)", ylabel="decoder-mean radius / R", title=f"D = {D}, d = {d}")
        ax.legend(fontsize=7)
        numbers["panels"].append(panel)
    path = save_figure(fig, args.out, "scale_sphere_radius.png")
    numbers["png"] = str(path)
    print(f"wrote {path}")
    return numbers


if __name__ == "__main__":
    main()
