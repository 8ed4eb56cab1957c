"""SL.LinRD: the slides' "linear RD curve" with the optimal decoder sigma, Alemi et al.'s line and the ELBO bound
(issue 21, item 8): declaration only. Derivation: ``proofs/sl_linrd.py``; closed forms:
:mod:`toyvae.theory.gaussian_codes`; measurements: :mod:`toyvae.experiments.linear_line`; plot:
:mod:`toyvae.plots.sl_linrd`.
"""

from __future__ import annotations

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.evidence import Exact, Ordering, Rules, Within
from toyvae.experiments import linear_line as ll

__all__ = ["check_linrd", "LINRD_RULES", "ON_LINE_GAP", "SIGMA_SETTLED"]

CLOSED_TOL = 1e-10  # relative to |h| + 1 (module tolerances)
MC_K = 4.0
ON_LINE_GAP = 0.02  # relative excess above the line that counts as "on it" (SL.RD's criterion, reason below)
SIGMA_SETTLED = 0.02  # |learned sigma^2 / (D/n) - 1| below which the learned variance sits at its optimum
CHORD_MIN = 0.05  # "not linear in D": the largest deviation of R(D) from its chord, relative to the rate spanned


def _premise_name(s: float) -> str:
    return f"learned sigma at its optimum, sigma0^2 = {s:g}"


LINRD_RULES = Rules(
    core=(
        Within(name="sympy derivation", a="sympy_steps", low=1.0, requires=(),
               says="the sympy derivation (proofs/sl_linrd.py) asserts every step: -ELBO(sigma*) - h(X) = (n/2)(log AM "
                    "- log GM) of the component errors, 0 while every component is coded, slope -1 there",
               if_false="a step of the derivation fails"),
        Within(name="library matches the derivation", a="library_rel", high=CLOSED_TOL, requires=(),
               says="the lambdified derivation matches toyvae.theory.gaussian_codes within 1e-10"),
        Exact(name="on the line while every component is coded", a="line gap, every component coded", tol=CLOSED_TOL,
              requires=(),
              says="for the optimal linear VAE at every water level below the smallest variance (5 spectra, n = 3..32), "
                   "its negative ELBO at sigma^2 = D/n, computed from its matrices, equals h(X) = (1/2) log det(2 pi e "
                   "Sigma): rate + (n/2) log(2 pi e D/n) = h(X), a line of slope -1"),
        Exact(name="closed form is the model's ELBO", a="closed form vs the model's ELBO", tol=CLOSED_TOL, requires=(),
              says="the closed-form excess (n/2)(log AM - log GM) equals the model's -ELBO(sigma*) - h(X) at all 205 "
                   "levels of the 5 spectra (coded and dropped)"),
        Exact(name="the line is the log-likelihood", a="model log-likelihood vs h(X), every component coded",
              tol=CLOSED_TOL, requires=(),
              says="while every component is coded the model's exact -E log N(x; 0, W W^T + sigma^2 I) (log-determinant) "
                   "is h(X) too: on the line the ELBO is tight and the model is the source"),
        Within(name="Monte Carlo ELBO", a="Monte Carlo |z| of the ELBO", high=MC_K, requires=(),
               says=f"the negative ELBO from sampled x, z (densities at the samples) matches the closed form within "
                    f"{MC_K:g} standard errors at three levels of the shared source"),
        Within(name="no trained point below the line", a="trained excess over h(X)", low=-1e-9, requires=(),
               says="consistency check (the ELBO bound, Gibbs' inequality): every trained linear VAE (the shared "
                    "beta sweep and the learned-sigma runs) has rate + (n/2) log(2 pi e D/n) >= h(X)"),
        Within(name="the ELBO bounds the log-likelihood", a="trained -ELBO minus the model's -log-likelihood",
               low=-1e-9, requires=(),
               says="consistency check (the slides' 'evidential lower bound'): for every trained linear VAE the "
                    "negative ELBO at sigma^2 = D/n is at least its model's exact -E log p(x) (log-determinant)"),
        *(Ordering(name=f"learned sigma lands on the line, sigma0^2 = {s:g}", a=ON_LINE_GAP,
                   b=f"relative excess, learned sigma, sigma0^2 = {s:g}", requires=(_premise_name(s),),
                   says=f"linear VAEs trained with a learned decoder variance (beta = 1) from sigma0^2 = {s:g} end "
                        f"less than {ON_LINE_GAP:.0%} of their rate above the line",
                   if_false="trained learned-sigma models stay materially above the line")
          for s in ll.LS_SIGMA2_INIT),
    ),
    premises=tuple(
        Within(name=_premise_name(s), a=f"learned sigma^2 / (D/n), sigma0^2 = {s:g}", low=1 - SIGMA_SETTLED,
               high=1 + SIGMA_SETTLED,
               says=f"from sigma0^2 = {s:g} the learned variance ends at the mean squared error per coordinate "
                    f"(within {SIGMA_SETTLED:.0%}): the run reached the optimal sigma it is meant to show",
               if_false="the learned variance has not reached its optimum in the plan's steps")
        for s in ll.LS_SIGMA2_INIT),
    refinements=(
        Within(name="above the line once a component is dropped", a="excess, a component dropped", low=1e-9,
               requires=(),
               says="once the water level passes a variance the curve leaves the line upwards: -ELBO(sigma*) > h(X) "
                    "at every such level (the linearity is a property of the coded regime only)"),
        Within(name="curved in D itself", a="R(D) chord deviation, coded stretch", low=CHORD_MIN, requires=(),
               says=f"the line is in log D: against D itself R(D) = h - (n/2) log(2 pi e D/n) deviates from its chord "
                    f"by more than {CHORD_MIN:.0%} of the rate spanned over two decades of D (shared source)"),
    ),
)


@claim(
    id="SL.LinRD",
    source="SL slides 'Decoupling sigma_x and beta' (the linear RD curve); Alemi et al. 2018 (the line R + D = H)",
    statement="With the optimal decoder sigma (sigma^2 = MSE per coordinate) the toy model's rate-distortion curve is "
    "linear: for a Gaussian source the negative ELBO of the water-filling code, rate + (n/2) log(2 pi e D/n), equals "
    "the source's entropy h(X) while every principal component is coded (the ELBO bound met with equality) and exceeds "
    "it once a component is dropped; trained linear VAEs with a learned sigma land on that line.",
    expected=Verdict.OPEN,
    full_note="not run: added after the 2026-12-06 CPU run of its family (nl26_sl_mb: about 1 h on 2 shared cores; ~1.5 H100 min by scripts/gpu_full.sh nl26_sl_mb)",
    kind="trained",
    rules=LINRD_RULES,
    tolerances=(
        Tolerance("closed", CLOSED_TOL, "relative to |h| + 1: float64 eigendecompositions, inverses and log-determinants "
                  "of n <= 32 matrices with condition number <= 1e3 round to about n cond eps = 7e-12"),
        Tolerance("mc_sigmas", MC_K, "Monte Carlo (100000 draws): |estimate - closed form| <= 4 se (two-sided normal "
                  "tail 6e-5)"),
        Tolerance("below_line", 1e-9, "nats: Gibbs' inequality is exact; the closed forms of trained parameters round "
                  "to ~1e-13"),
        Tolerance("on_line", ON_LINE_GAP, "rate excess over the line below 2% of the rate, paired t over seeds: in the "
                  "coded regime the excess is the rate's gap above R(D) at that D, so this is SL.RD's criterion (the "
                  "final Adam steps of a cosine schedule leave about 1% in the rate)"),
        Tolerance("sigma_settled", SIGMA_SETTLED, "a learned sigma^2 within 2% of D/n changes the negative ELBO by "
                  "(n/4)(0.02)^2 = 8e-4 nats at n = 8: it is at its optimum; further off, training has not converged"),
        Tolerance("dropped", 1e-9, "nats: the excess past a variance is strictly positive; 1e-9 is far above its "
                  "float64 rounding (~1e-14); the smallest on the grid is 4.9e-6"),
        Tolerance("chord", CHORD_MIN, "a deviation of 5% of the rate spanned is visible on a linear plot"),
    ),
    finding=(
    "Exact (sympy, and the closed form against each optimal linear VAE's own ELBO, log-likelihood and a Monte Carlo "
    "estimate, 5 spectra): with sigma^2 = D/n, rate + (n/2) log(2 pi e D/n) - h(X) = (n/2)(log AM - log GM) of the "
    "component errors, 0 (to 3e-15) while every component is coded, so the curve is the straight line R = h(X) - "
    "(n/2) log(2 pi e D/n) of slope -1 in the reconstruction term (Alemi et al.'s boundary), and it rises above once "
    "a component is dropped (4.9e-6 to 25 nats); against D itself it is curved (46% chord deviation). So the slides' "
    "'linear' holds in log MSE and only in the coded regime. Trained: from BS20's sigma0 = 1 the learned-sigma linear "
    "VAEs land 0.17-0.26% of their rate above the line (sigma^2/MSE 1.002-1.004); from sigma0^2 = 1e-3 they have "
    "not converged in the quick plan (sigma^2/MSE 0.47-0.55, 17-26% above), so that rule is untestable and the "
    "verdict is open (the full plan's 12000 steps reach it: sigma^2/MSE within 0.5%, 0.25-0.6% above the line, at "
    "rates 5.3-5.6 against 6.0 from sigma0 = 1: other points of the same line). No trained point lies below the line "
    "(the ELBO bound)."
    ),
)
def check_linrd(profile: Profile) -> Outcome:
    import importlib

    from toyvae.proofs._derivation import evidence as derivation_evidence

    n_steps, lib, err = derivation_evidence(importlib.import_module("toyvae.proofs.sl_linrd"))
    m = ll.measure_linrd(profile)
    q = m.numbers
    ev = {**m.evidence, "sympy_steps": float("nan") if n_steps is None else float(n_steps),
          "library_rel": float("nan") if lib is None else float(lib)}
    fmt = lambda v: "/".join(f"{x:.3g}" for x in v)  # noqa: E731
    fmt4 = lambda v: "/".join(f"{x:.4f}" for x in v)  # noqa: E731
    excess = [[e / r for e, r in zip(ex, rt)] for ex, rt in zip(q["learned_excess"], q["learned_rate"])]
    return Outcome(
        evidence=ev, measured={**q, "sympy_steps": n_steps, "library_rel": lib}, figure_data=m.figure_data,
        summary=err or f"[{n_steps} sympy steps; closed form on 5 spectra, n = 8 source h(X) = "
        f"{q['entropy_shared_source']:.3f} nats] coded regime: |-ELBO(sigma*) - h| <= {q['largest_coded_gap']:.1e} "
        f"(relative); dropped: excess >= {q['smallest_dropped_excess']:.1e}; MC |z| <= {max(q['monte_carlo_z']):.2f}; "
        f"learned sigma ({len(q['seeds'])} seeds) relative excess: " + "; ".join(
            f"sigma0^2 = {s:g}: {fmt(e)} (sigma^2/MSE {fmt4(r)})"
            for s, e, r in zip(q["learned_sigma_init"], excess, q["learned_sigma2_over_mse"])),
    )
