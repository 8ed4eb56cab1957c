"""SL.Samples (the slides' "Aggregated Posterior": "sampling is good if q(z) ~ p(z)"): declarations only.

Across the pixel-loss beta sweep of the NL26 patch VAEs (the models of SL.AggPost, nothing retrained), the sample-
quality proxy of :mod:`toyvae.experiments.sample_quality` (Frechet distance of mean prior samples to held-out patches
in pixel-PCA features) is ranked against KL(q(z) || p(z)) per seed; seeds are the unit of evidence.
"""

from __future__ import annotations

from toyvae.claims.mb_samples import RESOLVES
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Ordering, Rules, Within
from toyvae.experiments import sample_quality as sq

__all__ = ["check_aggregate_samples", "AGG_SAMPLE_RULES"]

AGG_SAMPLE_RULES = Rules(
    controls=(Within(name="proxy separates noise from data", a="FD white noise / floor", low=RESOLVES,
                     says=f"white noise of the data's variance scores at least {RESOLVES:g}x the data-vs-data floor"),),
    core=(Ordering(name="samples track KL(q(z)||p(z))", a="rank correlation FD vs KL_agg", b=0.0,
                   says="across beta, the models whose aggregate posterior is nearer the prior (smaller "
                        "KL(q(z)||p(z))) sample better (a smaller distance): the rank correlation is positive",
                   if_false="the rank correlation at or below 0: sample quality does not follow KL(q(z)||p(z))"),),
)


@claim(
    id="SL.Samples",
    source="Lecture slides, \"Aggregated Posterior\" (sampling is good if q(z) ~ p(z)); MB Sec. 3.2",
    statement="Sampling is good when the aggregate posterior q(z) is close to the prior p(z): across a beta sweep, "
              "sample quality (a fixed proxy: the Frechet distance of decoded prior samples to held-out data in "
              "pixel-PCA features) improves as KL(q(z) || p(z)) shrinks.",
    expected=Verdict.CONFIRMED,
    kind="trained",
    rules=AGG_SAMPLE_RULES,
    full_note="not run: added after the 2026-12-06 CPU run of its family (nl26_sl_mb: about 1 h on 2 shared cores; ~1.5 H100 min by scripts/gpu_full.sh nl26_sl_mb)",
    tolerances=(
        Tolerance("resolves", RESOLVES, "MB.Samples' control: the proxy separates white noise from the data by an "
                  "order of magnitude"),
        Tolerance("n_samples", sq.N_SAMPLES, "prior draws per model; the data-vs-data floor at this size is the "
                  "proxy's stated sampling error"),
        Tolerance("alpha", 0.05, "a t over 3 seeds of the per-seed rank correlation (5 betas), two-sided at 5%"),
    ),
    finding="Confirmed in the quick profile (3 seeds, betas 0.1-3, 2000 prior draws per model, 16 PCA features, data "
            "floor 0.093 +- 0.019): the sample-quality proxy falls as KL(q(z)||p(z)) falls, with rank correlation 1 "
            "in every seed (mean distance 29.8/20.9/15.3/9.7/5.8 against KL_agg 12.7/4.3/2.0/0.9/0.4 nats for beta "
            "0.1/0.3/0.6/1.2/3). Where one seed departs from the beta order (beta 3 samples worse than beta 1.2: "
            "7.6 vs 7.3), its KL_agg departs too (0.77 vs 0.70). Beta is the only lever here, so this is an "
            "association across beta, not an intervention on q(z). New (issue 21, item 7). "
            "Scope of the proxy: a Frechet distance compares means and covariances only (here in 16 PCA directions), "
            "so a Gaussian with the data's covariance scores at the data's own floor (0.081 against 0.093): it "
            "measures how far samples are from the data's first two moments (the excess variance of noisy samples, "
            "the lost variance of blurred ones), not the finer structure a perceptual measure would see.",
)
def check_aggregate_samples(profile: Profile) -> Outcome:
    m = sq.measure_aggregate_samples(profile)
    n = m.numbers
    fmt = lambda v: "/".join(f"{t:.2f}" for t in v)  # noqa: E731
    import numpy as np

    fd, agg = np.mean(n["fd"], axis=0), np.mean(n["kl_agg"], axis=0)
    return Outcome(evidence=m.evidence, measured=n, figure_data=m.figure_data,
                   paper={"statement": "sampling would be good if q(z) ~ p(z); as beta grows the property is "
                                       "satisfied"},
                   summary=f"[{len(n['seeds'])} seeds, betas {fmt(n['betas'])}] mean distance {fmt(fd)}, mean "
                           f"KL(q(z)||p(z)) {fmt(agg)}; rank correlation per seed "
                           f"{fmt(n['rank_correlation_fd_kl_agg'])} "
                           f"(data floor {n['fd_data_floor']:.3f})")
