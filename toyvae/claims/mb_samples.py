"""MB.Samples (MB Figs. 2, 5, 7 and Sec. 4): sample quality judged by a fixed proxy; declarations only.

The proxy is the Frechet distance of decoded prior (mean) samples to held-out patches in a pixel-PCA feature space
fitted on the training patches (:mod:`toyvae.experiments.sample_quality`: no downloaded weights, float64, its
sampling floor measured). The models are the cached patch runs of MB.2stage and MB.S5
(:mod:`toyvae.experiments.two_stage`, :mod:`toyvae.experiments.frequency`); nothing is retrained. Seeds (pipelines)
are the unit of evidence; every model is sampled at the same prior draws, so comparisons are paired.
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.mb_two_stage import TARGET_TOL
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import NonInferiority, Ordering, Rules, Within
from toyvae.experiments import frequency as fq
from toyvae.experiments import sample_quality as sq
from toyvae.experiments import two_stage as ts

__all__ = ["check_samples", "SAMPLE_RULES", "RESOLVES", "LITTLE_WORSE"]

# the proxy's controls: white noise scores >= 10x the data floor and >= 10x a Gaussian of the data's covariance
RESOLVES = 10.0
LITTLE_WORSE = 1.25  # "minimal impact": the second stage leaves the proxy within x1.25 of the primary's (or better)

_LO, _HI = min(fq.PATCH_GAMMAS), max(fq.PATCH_GAMMAS)
_GT = ts.PATCH_GAMMA_TILDES[0]


def _at_target(who: str, key: str, g: float) -> Within:
    return Within(name=f"{who} at {g:g}", a=key, low=1 - TARGET_TOL, high=1 + TARGET_TOL,
                  says=f"every {who} model's held-out distortion is within {TARGET_TOL:.0%} of {g:g} (as MB.2stage "
                       "requires: models compared 'at the same target' must sit there)")


SAMPLE_RULES = Rules(
    premises=(
        Within(name="lower target, higher rate", a=f"rate single gamma {_LO:g} - gamma {_HI:g}", low=0.0,
               says=f"in every seed the model targeted at gamma = {_LO:g} codes more nats than the one at {_HI:g} "
                    "(the two sit in the order of rate that Fig. 5 compares)"),
        _at_target("single stage", f"D single / gamma {_GT:g}", _GT),
        _at_target("two-stage", f"D two-stage / gamma~ {_GT:g}", _GT),
    ),
    controls=(
        Within(name="proxy separates noise from data", a="FD white noise / floor", low=RESOLVES, requires=(),
               says=f"white noise of the data's variance scores at least {RESOLVES:g}x the data-vs-data floor at the "
                    "same sample size"),
        Within(name="proxy ranks a data-covariance Gaussian above noise", a="FD white noise / Gaussian", low=RESOLVES,
               requires=(),
               says=f"a Gaussian with the data's covariance scores at least {RESOLVES:g}x better than white noise"),
    ),
    core=(
        Ordering(name="lower rate, better samples", a=f"log FD single gamma {_LO:g}", b=f"log FD single gamma {_HI:g}",
                 requires=("lower target, higher rate",),
                 says=f"Fig. 5: the low-rate model (gamma = {_HI:g}) has better samples (a lower distance) than the "
                      f"high-rate one (gamma = {_LO:g})"),
        Ordering(name="two stages sample better than one", a=f"log FD single gamma {_GT:g}",
                 b=f"log FD two-stage gamma~ {_GT:g}",
                 requires=(f"single stage at {_GT:g}", f"two-stage at {_GT:g}"),
                 says=f"Fig. 7: at the final target {_GT:g}, the two-stage pipeline's samples are better than those "
                      "of a single stage targeting it directly"),
        NonInferiority(name="second stage keeps the samples", a=f"log FD primary gamma {ts.PATCH_GAMMA:g}",
                       b=f"log FD two-stage gamma~ {_GT:g}", margin=float(np.log(LITTLE_WORSE)), requires=(),
                       says=f"Sec. 4: the secondary leaves the primary's sample quality nearly intact (its distance "
                            f"at most {LITTLE_WORSE:g}x the primary's)"),
    ),
)


@claim(
    id="MB.Samples",
    source="MB Figs. 2, 5, 7 and Sec. 4 (sample quality)",
    statement="Sample quality (measured by a fixed proxy: the Frechet distance of decoded prior samples to held-out "
              "data in pixel-PCA features) is better at a lower rate (a larger distortion target), better for a "
              "two-stage pipeline than for a single stage targeting the same small distortion, and barely changed by "
              "the second stage.",
    expected=Verdict.OPEN,
    kind="trained",
    rules=SAMPLE_RULES,
    full_note="not run: two_stage family (1.2-1.6 CPU-h on 2 cores; ~3 H100 min by scripts/gpu_full.sh two_stage)",
    tolerances=(
        Tolerance("target_tol", TARGET_TOL, "MB.2stage's: models compared at a target must sit within 5% of it"),
        Tolerance("resolves", RESOLVES, "ours: the proxy must separate white noise from the data, and from a Gaussian "
                  "with the data's covariance, by an order of magnitude"),
        Tolerance("little_worse", LITTLE_WORSE, "ours (MB gives no number): 'minimal impact' = the distance grows by "
                  "at most 25% (a quarter: well inside what 'barely changed' can mean, wide enough for 3 pipelines' "
                  "sampling noise of the proxy)"),
        Tolerance("pca_components", sq.PCA_COMPONENTS, "the 16 of 64 principal directions of the training patches with "
                  "the largest variance (98% of it): the proxy weighs what a patch mostly is"),
        Tolerance("n_samples", sq.N_SAMPLES, "prior draws per model; the data-vs-data floor at this size (mean and "
                  "spread over 10 draws) is the proxy's stated sampling error"),
        Tolerance("alpha", 0.05, "orderings: a t over 3 pipelines, two-sided at 5% (4.30); non-inferiority "
                  "one-sided at 5%"),
    ),
    finding="Open in the quick profile (3 pipelines, 2000 prior draws each, 16 PCA features, data floor 0.093 +- "
            "0.019): the low-rate model samples far better than the high-rate one (distance 1.95-2.18 at gamma = 4, "
            "rate 3.2 nats, against 22.7-26.8 at gamma = 2, rate 28 nats; t = 50), as Fig. 5 says, and the second "
            "stage does not worsen the primary's samples (1.90-2.59 against 2.93-3.70: better by a third). The "
            "two-stage pipeline's samples are 10x better than the direct single stage's (1.9-2.6 against 22.7-26.8), "
            "but the single stage ends 11-12% below its target gamma~ = 2 (premise: within 5%), so that comparison "
            "is untestable at this plan. Proxy controls: white noise scores 540x the data floor and 625x a Gaussian "
            "with the data's covariance. New (issue 21, item 7). "
            "Scope of the proxy: a Frechet distance compares means and covariances only (here in 16 PCA directions), "
            "so a Gaussian with the data's covariance scores at the data's own floor (0.081 against 0.093): it "
            "measures how far samples are from the data's first two moments (the excess variance of noisy samples, "
            "the lost variance of blurred ones), not the finer structure a perceptual measure would see.",
)
def check_samples(profile: Profile) -> Outcome:
    m = sq.measure_patch_samples(profile)
    n = m.numbers
    fmt = lambda v: "/".join(f"{t:.2f}" for t in v)  # noqa: E731
    shown = "; ".join(f"{k} {fmt(n[f'fd[{k}]'])}" for k in m.figure_data["kinds"])
    return Outcome(evidence=m.evidence, measured=n, figure_data=m.figure_data,
                   paper={"Fig. 5": "lower rate, better samples", "Fig. 7": "two-stage better than direct single stage",
                          "Sec. 4": "second stage has minimal impact on sample quality"},
                   summary=f"[{len(n['seeds'])} pipelines, {n['n_samples']} samples, {n['pca_components']} PCA "
                           f"features] "
                           f"Frechet distance to held-out patches: {shown} (data floor {n['fd_data_floor']:.3f} +- "
                           f"{n['fd_floor_sd']:.3f}; white noise {n['fd_white_noise']:.1f})")
