"""SL.MultiRate (ours; after Bae et al., ICLR 2023, "Multi-Rate VAE"): one beta-conditioned VAE in place of the
slides' one beta-VAE per beta, on the Gaussian source of the shared sweep where every beta's optimum is exact:
declarations only. Runs: :mod:`toyvae.experiments.multirate`; measurements: :mod:`toyvae.experiments.sl_measure`.
The measure at each beta is the Lagrangian excess ``eps = (D + beta R) / min(D + beta R) - 1`` (0 at the
beta-optimal code), judged per seed as ``log(1 + eps)``, the log ratio of the objective to its optimum (eps spans
four decades and is heavy-tailed across seeds, so raw excesses are not compared).
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import NonInferiority, Ordering, Rules
from toyvae.experiments import multirate as mr
from toyvae.experiments import sl_measure as sm

__all__ = ["check_multirate", "MULTIRATE_RULES"]

EPS_MARGIN = sm.EPS_MARGIN  # ours: within 5% of the beta-optimal objective is "on the curve at that beta"


def _label(b: float) -> str:
    return sm.beta_label(b)


LOG_MARGIN = float(np.log1p(EPS_MARGIN))
_premises, _core = [], []
for _b in mr.IN_RANGE_BETAS:
    _multi, _per = f"log objective ratio multi-rate beta {_label(_b)}", f"log objective ratio per-beta beta {_label(_b)}"
    _p = Ordering(name=f"per-beta models on the curve {_label(_b)}", a=LOG_MARGIN, b=_per,
                  says=f"beta = {_label(_b)}: the per-beta models of the same budget reach the exact curve (objective "
                       f"D + beta R less than {EPS_MARGIN:.0%} above its optimum, per-seed log ratio), so the budget "
                       "allows it")
    _premises.append(_p)
    _core.append(NonInferiority(name=f"not worse than per-beta {_label(_b)}", a=_per, b=_multi, margin=LOG_MARGIN,
                                requires=(),
                                says=f"beta = {_label(_b)}: the network's objective D + beta R is at most "
                                     f"{EPS_MARGIN:.0%} above that of the per-beta model of the same budget (per-seed "
                                     "log ratio, one-sided)",
                                if_false="one network does materially worse than one model per beta"))
    _core.append(Ordering(name=f"on the curve {_label(_b)}", a=LOG_MARGIN, b=_multi, requires=(_p.name,),
                          says=f"beta = {_label(_b)}: the multi-rate network is on the exact curve (objective less "
                               f"than {EPS_MARGIN:.0%} above its optimum, per-seed log ratio)"))
_lo, _hi = mr.CONTROL_BETAS
MULTIRATE_RULES = Rules(
    premises=tuple(_premises),
    controls=(
        Ordering(name=f"control below the range {_label(_lo)}",
                 a=f"log objective ratio multi-rate beta {_label(_lo)}",
                 b=f"log objective ratio multi-rate beta {_label(mr.BETA_RANGE[0])}", requires=(),
                 says=f"negative control: at beta = {_label(_lo)} (outside the training range) the network's objective "
                      f"is further above its optimum than at the nearest trained beta {_label(mr.BETA_RANGE[0])} "
                      "(per-seed log ratios), so the measure tells a trained beta from an untrained one"),
        Ordering(name=f"control above the range {_label(_hi)}",
                 a=f"log objective ratio multi-rate beta {_label(_hi)}",
                 b=f"log objective ratio multi-rate beta {_label(mr.BETA_RANGE[1])}", requires=(),
                 says=f"negative control: at beta = {_label(_hi)} (outside the training range) the network's objective "
                      f"is further above its optimum than at the nearest trained beta {_label(mr.BETA_RANGE[1])}"),
    ),
    core=tuple(_core),
)


@claim(
    id="SL.MultiRate",
    source="ours; SL slides 'Multi-beta model', after Bae et al., ICLR 2023, 'Multi-Rate VAE'",
    statement="One network conditioned on log beta, trained with beta drawn over a range, traces the rate-distortion "
    "curve that the slides obtain with one beta-VAE per beta: checked against the exact linear-Gaussian curve, against "
    "per-beta models of the same budget, and with beta outside the training range as a negative control.",
    expected=Verdict.OPEN,
    kind="trained",
    rules=MULTIRATE_RULES,
    expected_full=Verdict.OPEN,
    full_note="full profile run on the CPU, 2026-12-06 (results/full_profile/multirate.json): open; as quick: per-beta models miss the curve at beta 0.01 (premise), non-inferiority at 0.01, 0.0251 unresolved",
    tolerances=(
        Tolerance("eps_margin", EPS_MARGIN, "ours: log(1 + eps) < log 1.05 (objective within 5% of the beta-optimal "
                  "one, per-seed log ratio, paired t) is 'on the curve at that beta'; the per-beta models of SL.RD (3000 steps each) come within 1-2% of the curve in rate, and the "
                  "network must also smooth the kinks of the exact solution where a component switches on"),
        Tolerance("noninferiority", EPS_MARGIN, "ours: the network is 'not worse' than the per-beta model when its "
                  "objective D + beta R is at most 5% above the per-beta model's (one-sided on the per-seed log ratio), "
                  "the same size as 'on the curve'"),
    ),
    finding=(
    "Open in the quick profile (3 seeds; one network 6000 steps against six per-beta VAEs of 1000 steps, the same "
    "budget; per-seed log ratios of the objective D + beta R to its optimum). The network is never shown worse "
    "than the per-beta models (within 5% of their objective, one-sided: holds at 5 of 6 betas, unresolved at beta "
    "= 0.01 where both are far off, eps 0.55 vs 1.15 geometric means) and is on the exact curve at beta = 0.4 and "
    "1 (eps 3e-4, 5e-4). Below that the per-beta models of this budget do not reach the curve (eps 1.15, 0.45, "
    "0.15 at beta = 0.01, 0.025, 0.063; unresolved at 0.16), so 'on the curve' is untestable there, although the "
    "network's own eps is 0.009 and 0.002 at 0.063 and 0.16. Negative controls: below the range (beta = 0.001, "
    "eps 7.7) it holds; above (beta = 10, eps 10, 2.5 and 2689 over the seeds) it is unresolved (t = 1.9), so no "
    "verdict but open is possible. Before: open (t-tests on raw, heavy-tailed excesses; the control against the "
    "largest in-range excess)."
    ),
)
def check_multirate(profile: Profile) -> Outcome:
    m = sm.measure_multirate(profile)
    q = m.numbers
    cost = q["cost"]
    betas = list(q["in_beta"]) + list(q["control_beta"])
    fmt = lambda v: f"{np.exp(np.mean(np.log(v))):.3g}"  # noqa: E731  (geometric mean over seeds)
    n_in = len(q["in_beta"])
    return Outcome(
        evidence=m.evidence, measured=q, figure_data=m.figure_data,
        summary=f"[{len(q['seeds'])} seeds; multi-rate {cost['steps_multi_rate']} steps ({cost['seconds_multi_rate']:.1f} s)"
        f" vs {n_in} per-beta models x {cost['steps_per_beta_each']} steps ({cost['seconds_per_beta']:.1f} s), batch "
        f"{cost['batch']}] eps (geometric mean of seeds) multi-rate/per-beta at beta "
        + ", ".join(f"{_label(b)}: {fmt(q['eps_multi'][i])}/{fmt(q['eps_per_beta'][i])}" for i, b in
                    enumerate(q["in_beta"]))
        + "; controls " + ", ".join(f"beta {_label(b)}: {fmt(q['eps_multi'][n_in + i])}"
                                    for i, b in enumerate(betas[n_in:])),
    )
