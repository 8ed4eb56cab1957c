"""BS20 Table 2 (Sec. 4.3): learned per-pixel sigma vs the MSE loss on real images.

MNIST and CelebA cannot be downloaded here; the check runs on scikit-learn's bundled 8x8
digits (:mod:`toyvae.experiments.digits`, one cached run per profile) and compares the
DIRECTION of the paper's result. Our ELBOs are in nats per image with all constants and in
bits per pixel; the paper's constants are not stated, so its numbers are shown beside ours,
not compared with them.
"""

from __future__ import annotations

import math

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.experiments import digits

__all__ = ["check_t2tab"]


def _note(r: digits.DigitsResult) -> str:
    p = r.plan
    return (f"sklearn digits 8x8, {len(p.seeds)} seeds {list(p.seeds)}, {p.steps} steps, "
            f"{p.depth} blocks of {p.width}, latent {p.latent_dim}")


@claim(
    id="BS20.T2tab",
    source="Berger & Sebag 2020, Table 2, Sec. 4.3",
    statement="On images, a VAE whose decoder learns a per-pixel sigma(z) (LV-VAE, eq. 11) reaches a "
              "much higher held-out ELBO than the same VAE trained with the squared-error loss, i.e. a "
              "fixed Gaussian decoder with sigma^2 = 1/2 (paper, bits per pixel: MNIST 4.89 vs 0.06, "
              "CelebA 57.51 vs 5.52). Checked in direction on scikit-learn's 8x8 digits.",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(Tolerance("direction", 0.0, "the claim is an ordering: LV's ELBO must exceed F's for "
                          "EVERY seed and data variant; the gap is reported in bits per pixel, not "
                          "thresholded, because the paper's unit constants are unknown"),),
    finding="On sklearn digits the LV-VAE beats the MSE F-VAE by about 2-3 bits per pixel on every seed "
            "(also with dequantized pixels); with all constants F's ELBO is negative (-0.93 bit/pixel).",
)
def check_t2tab(profile: Profile) -> Outcome:
    r = digits.run(profile)
    per_variant, holds, parts = {}, {}, []
    for v in r.plan.variants:
        rows = {row["name"]: row for row in digits.table(r, v)}
        m = r.metrics[v]
        wins = m["LV"]["elbo"] > m["F"]["elbo"]
        holds[v] = bool(np.all(wins))
        gap_bpp = (m["LV"]["elbo"] - m["F"]["elbo"]) / (64 * math.log(2.0))
        gain = r.pixel_gain[v]  # (seeds, 64) nats at the posterior mean, LV - F
        const_share = gain[:, r.constant_pixels].sum(axis=1) / gain.sum(axis=1)
        per_variant[v] = {
            **{f"elbo_nats_per_image[{s}]": np.round(m[s]["elbo"], 3).tolist() for s in digits.SETTINGS},
            **{f"bits_per_pixel[{s}]": round(rows[s]["bits_per_pixel"], 4) for s in digits.SETTINGS},
            **{f"bits_per_pixel_no2pi[{s}]": round(rows[s]["bits_per_pixel_no2pi"], 4) for s in digits.SETTINGS},
            **{f"rate[{s}]": round(rows[s]["rate"], 3) for s in digits.SETTINGS},
            "gap_LV_minus_F_bits_per_pixel": np.round(gap_bpp, 3).tolist(),
            "share_of_gain_from_3_constant_pixels": np.round(const_share, 3).tolist(),
            "LV_beats_F_every_seed": holds[v],
        }
        if v == "dequantized":
            per_variant[v].update({f"discrete_bits_per_pixel[{s}]": round(rows[s]["discrete_bits_per_pixel"], 4)
                                   for s in digits.SETTINGS})
        parts.append(f"{v}: bits/pixel F {rows['F']['bits_per_pixel']:.2f}, LS {rows['LS']['bits_per_pixel']:.2f}, "
                     f"LV {rows['LV']['bits_per_pixel']:.2f} (LV > F on {int(wins.sum())}/{wins.size} seeds)")
    verdict = Verdict.CONFIRMED if all(holds.values()) else Verdict.NOT_REPRODUCED
    return Outcome(
        verdict=verdict,
        measured={"profile": _note(r), **{f"{v}.{k}": val for v, d in per_variant.items() for k, val in d.items()}},
        paper={"MNIST bits/pixel F, LV": [0.06, 4.89], "CelebA bits/pixel F, LV": [5.52, 57.51],
               "units": "bits per pixel 'accounting for the log sigma term', constants unstated"},
        summary=f"[{_note(r)}] " + "; ".join(parts) + "; paper (other units) MNIST F 0.06 vs LV 4.89",
        details={v: digits.table(r, v) for v in r.plan.variants},
    )
