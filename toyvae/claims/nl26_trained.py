"""NL26 claims checked on *trained* models and on exact rate-distortion (Strano et al. 2026).

The NL26 source is only a review page (abstract, figure captions, eqs. 44-46, Theorem 41, Cor. 28),
so each check below says precisely what it measures. Conventions: ``shared/claims.md``
(``g(s) = (s - 1 - log s)/2``, ``d_M`` without 1/2, rates in nats). Models:

* linear-Gaussian VAEs trained by Adam (:mod:`toyvae.experiments.linear_vae`, shared sweep: data
  ``N(0, C diag(k^-2) C^T)`` in R^8, ``C`` the DCT basis);
* nonlinear VAEs on 8x8 patches of scikit-learn's sample photographs
  (:mod:`toyvae.experiments.neural_losses`: 1-Lipschitz edge-feature network, hinge discriminator,
  GECO-style rate control).
"""

from __future__ import annotations

import numpy as np

from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd

__all__ = ["check_t46_trained", "check_f13", "check_t11", "check_c1", "check_c2"]

T46_TOL = 0.1
E44_K = 4.0


def _quick(profile: Profile) -> bool:
    return Profile(profile) == Profile.QUICK


@claim(
    id="NL26.T46-trained",
    source="Strano et al. 2026, App. D eqs. 44-46",
    statement="A linear-Gaussian VAE trained by gradient descent has posterior variances s_i = beta/(beta + 2 c_i) "
    "with c_i = (W^T G W)_ii of its trained decoder; eq. 44 holds on the trained model.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(
        Tolerance("max_abs_log_ratio", T46_TOL, "Adam with one reparameterised sample per point: the loss in log s has "
                  "curvature beta/2 (0.025 at beta=0.05), so gradient noise leaves a few-percent error after 3000 steps"),
        Tolerance("e44_sigmas", E44_K, "Monte Carlo with N=200000 draws per point: |mean - exact| <= 4 se "
                  "(two-sided normal tail 6e-5 per comparison)"),
    ),
    finding="Trained linear VAEs satisfy eq. 46 with their own decoder to within a few percent in s for 3 metrics x "
    "3 betas, and eq. 44 holds on a trained model within Monte Carlo error.",
)
def check_t46_trained(profile: Profile) -> Outcome:
    spec, params, _ = lv.shared_sweep(_quick(profile))
    errs, rows = [], []
    for k in range(spec.t46.start, spec.t46.stop):
        s = np.exp(params.log_s[k])
        c = lg.metric_coefficients(params.W[k], spec.Gs[k])
        err = float(np.max(np.abs(np.log(s / lg.optimal_posterior_variance(c, spec.betas[k])))))
        errs.append(err)
        rows.append((spec.metric_names[(k - spec.t46.start) // 3], float(spec.betas[k]), round(err, 4)))
    # eq. 44 by Monte Carlo on one trained model (random metric, beta = 0.2)
    k = spec.t46.start + 7
    A, s, W, G = params.A[k], np.exp(params.log_s[k]), params.W[k], spec.Gs[k]
    rng = np.random.default_rng(0)
    xs = rng.multivariate_normal(np.zeros(spec.Sigma.shape[0]), spec.Sigma, size=5)
    N = 200_000
    z_scores = []
    for x in xs:
        mu = A @ x
        z = mu + np.sqrt(s) * rng.standard_normal((N, s.size))
        r = x - z @ W.T
        d = np.einsum("ni,ij,nj->n", r, G, r)
        exact = float(lg.expected_distortion(x, mu, s, W, G))
        z_scores.append(abs(d.mean() - exact) / (d.std() / np.sqrt(N)))
    ok = max(errs) <= T46_TOL and max(z_scores) <= E44_K
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"max_abs_log_ratio": max(errs), "median_abs_log_ratio": float(np.median(errs)),
                  "e44_max_z": float(max(z_scores))},
        summary=f"|log s - log s*| max {max(errs):.3f} (median {np.median(errs):.3f}) over 3 metrics x betas "
        f"{lv.SWEEP_T46_BETAS}; eq. 44 MC max |z| {max(z_scores):.2f} (N={N})",
        details={"per_config": rows, "e44_z": z_scores},
    )


@claim(
    id="NL26.F13",
    source="Strano et al. 2026, Figs. 7 and 13 (App. D.2)",
    statement="D = 16, W = I: at a common variance-KL an isotropic metric gives equal per-dimension posterior std, "
    "an anisotropic metric a spread of stds (closed form and trained linear VAE).",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(
        Tolerance("iso_A_post_trained", 1e-3, "trained isotropic case: A_post should be 0; 1e-3 allows the "
                  "few-percent Adam noise in log s (variance of ~0.01 errors is 1e-4)"),
        Tolerance("rel_s", 0.05, "trained vs closed-form s, Adam noise as in NL26.T46-trained"),
    ),
    finding="At 4 nats of variance-KL the isotropic metric gives a flat posterior std (0.549 for all 16 dims) and the "
    "anisotropic c_i in [0.25, 4] a spread (0.35 to 0.83); the encoder-only trained VAE reproduces both.",
)
def check_f13(profile: Profile) -> Outcome:
    r = lv.fig13_experiment(_quick(profile))
    a_closed = np.var(np.log(r.s_closed), axis=1)
    a_trained = np.var(np.log(r.s_trained), axis=1)
    rel = float(np.max(np.abs(r.s_trained / r.s_closed - 1)))
    vkl = lg.variance_kl(r.s_closed)
    ok = a_trained[0] <= 1e-3 and a_closed[0] < 1e-20 and a_trained[1] > 0.1 and rel <= 0.05
    std = np.sqrt(r.s_closed)
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"beta_iso": float(r.betas[0]), "beta_aniso": float(r.betas[1]),
                  "A_post_closed": a_closed.tolist(), "A_post_trained": a_trained.tolist(), "max_rel_s": rel,
                  "variance_kl": vkl.tolist()},
        summary=f"variance-KL {vkl[0]:.3f}/{vkl[1]:.3f} nats; std iso {std[0].min():.3f}..{std[0].max():.3f}, "
        f"aniso {std[1].min():.3f}..{std[1].max():.3f}; A_post trained {a_trained[0]:.1e} vs {a_trained[1]:.3f}; "
        f"trained vs closed s max rel {rel:.3f}",
        details={"c_aniso": list(lv.FIG13_C_ANISO), "std_closed": std.tolist(), "std_trained": np.sqrt(r.s_trained).tolist()},
    )


def _random_psd(rng, n):
    B = rng.standard_normal((n, n))
    return B @ B.T / n + 0.05 * np.eye(n)


@claim(
    id="NL26.T11",
    source="Strano et al. 2026, Theorem 11 and Corollary 28",
    statement="If d2 <= a d1 + b pointwise then R_d2(a D + b) <= R_d1(D); an L-Lipschitz feature map gives "
    "d_phi <= L^2 d_pix, hence R_phi(L^2 D) <= R_pix(D). Checked exactly on Gaussian sources with quadratic "
    "distortions (random PSD metrics; linear feature maps) and pointwise for the nonlinear edge-feature network.",
    expected=Verdict.CONFIRMED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("rate_slack", 1e-10, "water-filling in float64; rates of O(10) nats round at ~1e-14"),),
    finding="No violation of the RD ordering in 200 random Gaussian/metric pairs at 12 distortions each, with a the "
    "smallest constant with G2 <= a G1; in the equality case G2 = a G1 the bound is tight and 0.9 a violates it.",
)
def check_t11(profile: Profile) -> Outcome:
    rng = np.random.default_rng(11)
    trials = 200 if _quick(profile) else 2000
    n = 6
    worst, violations, control_violations, lipschitz_worst = np.inf, 0, 0, np.inf
    tight, control_points = 0.0, 0
    for t in range(trials):
        Sigma, G1, G2 = _random_psd(rng, n), _random_psd(rng, n), _random_psd(rng, n)
        w1, V1 = np.linalg.eigh(G1)
        G1_mhalf = (V1 / np.sqrt(w1)) @ V1.T
        a = float(np.linalg.eigvalsh(G1_mhalf @ G2 @ G1_mhalf).max())  # smallest a with G2 <= a G1
        b = 0.1 * (t % 2)
        mu1, mu2 = rd.metric_weighted_spectrum(Sigma, G1), rd.metric_weighted_spectrum(Sigma, G2)
        Ds = np.geomspace(1e-3, 1.0, 12) * mu1.sum()
        slack = rd.rate_distortion(mu1, Ds) - rd.rate_distortion(mu2, a * Ds + b)
        positive = rd.rate_distortion(mu1, Ds) > 0
        worst = min(worst, float(slack[positive].min()))
        violations += int(np.sum(slack < -1e-10))
        # control: G2 = a G1 makes the theorem an equality (tight), and 0.9 a must then violate it
        mu_eq = rd.metric_weighted_spectrum(Sigma, a * G1)
        tight = max(tight, float(np.max(np.abs(rd.rate_distortion(mu1, Ds) - rd.rate_distortion(mu_eq, a * Ds)))))
        control_violations += int(np.sum(positive & (rd.rate_distortion(mu1, Ds) - rd.rate_distortion(mu_eq, 0.9 * a * Ds) < -1e-10)))
        control_points += int(np.sum(rd.rate_distortion(mu1, Ds) > 0))
        # Cor. 28 with a linear feature map F: d_F = |F(x - xhat)|^2 <= ||F||^2 d_pix
        F = rng.standard_normal((n + 2, n))
        L2 = float(np.linalg.norm(F, 2) ** 2)
        mu_pix, mu_F = rd.metric_weighted_spectrum(Sigma, np.eye(n)), rd.metric_weighted_spectrum(Sigma, F.T @ F)
        Dp = np.geomspace(1e-3, 1.0, 12) * mu_pix.sum()
        lipschitz_worst = min(lipschitz_worst, float((rd.rate_distortion(mu_pix, Dp) - rd.rate_distortion(mu_F, L2 * Dp)).min()))
    # pointwise Lipschitz bound of the nonlinear edge features used in NL26.C1/C2 (L = 1)
    import jax
    import jax.numpy as jnp

    from toyvae.data import patches

    x = patches.image_patches(4000, nl.PATCH, seed=5)
    y = x[::-1] * 0.7 + 0.3 * patches.image_patches(4000, nl.PATCH, seed=6)
    Fj = jnp.asarray(nl.feature_matrix(), jnp.float32)
    phi = jax.vmap(lambda v: nl.features(v, Fj))
    d_phi = np.sum((np.asarray(phi(jnp.asarray(x))) - np.asarray(phi(jnp.asarray(y)))) ** 2, 1)
    d_pix = np.sum((x - y) ** 2, 1)
    ratio = float(np.max(d_phi / d_pix))
    ok = violations == 0 and lipschitz_worst >= -1e-10 and ratio <= 1.0 + 1e-5  # float32 features
    ok = ok and tight <= 1e-9 and control_violations == control_points  # the check can fail
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"violations": violations, "min_slack_nats": worst, "lipschitz_min_slack": lipschitz_worst,
                  "equality_case_max_gap": tight, "control_violations_0.9a": control_violations,
                  "control_points": control_points, "max_dphi_over_dpix": ratio},
        summary=f"{violations} violations in {trials}x12 (min slack where R>0 {worst:.2e} nats); feature maps min slack "
        f"{lipschitz_worst:.2e}; equality case G2=aG1 gap {tight:.1e}, with 0.9a {control_violations}/{control_points} "
        f"violated; edge net max d_phi/d_pix {ratio:.3f}",
    )


def _c1_closed_rates(spec, F, beta, scale=1.0):
    rates = []
    for lam in spec.lambdas:
        G = (1 - lam) * np.eye(F.shape[1]) + lam * scale**2 * F.T @ F
        rates.append(float(rd.reverse_water_filling(rd.metric_weighted_spectrum(spec.Sigma, G), beta / 2).rate))
    return np.array(rates)


def _decreasing(v, tol=0.0):
    return bool(np.all(np.diff(v) < tol))


@claim(
    id="NL26.C1",
    source="Strano et al. 2026, Sec. 3 (claim 1), Figs. 3-4",
    statement="With loss lambda d_neural + (1 - lambda) d_pix + beta KL at fixed beta, the rate at convergence falls "
    "as lambda grows: (a) quadratic edge-feature metric on the linear-Gaussian model (closed form, trained); "
    "(b) nonlinear VAE on image patches with a 1-Lipschitz edge-feature network; (c) hinge adversarial term.",
    expected=Verdict.REFINED,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("monotone", 0.0, "strict decrease between consecutive lambdas (0, .25, .5, .75, 1)"),),
    finding="Exact for quadratic metrics dominated by pixel SSE (||F|| <= 1); on patches the rate falls from lambda=0 to "
    "lambda>=0.75 but not monotonically, and the fall is carried by the shrinking pixel weight: at equal pixel weight "
    "the neural term adds rate, and a feature map with ||F|| = 2 makes the closed-form rate non-monotone. Full "
    "profile (longer training): confirmed on patches too (feature 4.24/3.73/3.15/2.00/0.00, adversarial "
    "4.24/3.72/3.28/2.91/0.01), still at or above the pixel-only controls.",
)
def check_c1(profile: Profile) -> Outcome:
    quick = _quick(profile)
    spec, params, _ = lv.shared_sweep(quick)
    F = lv.difference_features(spec.Sigma.shape[0])
    closed = _c1_closed_rates(spec, F, lv.SWEEP_C1_BETA)
    closed_L2 = _c1_closed_rates(spec, F, lv.SWEEP_C1_BETA, scale=2.0)
    trained = np.array([rd.linear_vae_parts(rd.LinearVAEParams(params.A[k], np.exp(params.log_s[k]), params.W[k]),
                                            spec.Sigma, spec.Gs[k]).rate for k in range(spec.c1.start, spec.c1.stop)])
    runs = nl.shared_runs(quick)
    rate = lambda k: nl.evaluate(runs.params, k, runs.eval_x)["rate"]  # noqa: E731
    feat = np.array([rate(k) for k in range(runs.feature.start, runs.feature.stop)])
    adv = np.array([feat[0]] + [rate(k) for k in range(runs.adversarial.start, runs.adversarial.stop)])
    # controls: pixel loss only, weight (1 - lambda): the same as beta / (1 - lambda) = 0.6 (lambda .5), 1.2 (lambda .75)
    control = {0.5: rate(runs.betas.start + 1), 0.75: rate(runs.betas.start + 2)}
    a_ok = _decreasing(closed) and _decreasing(trained)
    falls = feat[-1] < feat[0] and adv[-2] < adv[0]
    monotone = _decreasing(feat) and _decreasing(adv)
    neural_adds = feat[2] > control[0.5] and feat[3] > control[0.75]
    if a_ok and falls and monotone and not neural_adds:
        verdict = Verdict.CONFIRMED
    elif a_ok and falls:
        verdict = Verdict.REFINED
    else:
        verdict = Verdict.NOT_REPRODUCED
    fmt = lambda v: "/".join(f"{x:.2f}" for x in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"closed_form": closed.tolist(), "trained_linear": trained.tolist(), "closed_form_L2": closed_L2.tolist(),
                  "patch_feature": feat.tolist(), "patch_adversarial": adv.tolist(),
                  "pixel_only_control": {str(k): v for k, v in control.items()}},
        summary=f"rate over lambda {lv.SWEEP_LAMBDAS}: linear closed {fmt(closed)}, trained {fmt(trained)}; "
        f"||F||=2: {fmt(closed_L2)}; patches feature {fmt(feat)}, adversarial {fmt(adv)}; "
        f"pixel-only control lam .5/.75: {control[0.5]:.2f}/{control[0.75]:.2f}",
        details={"beta_linear": lv.SWEEP_C1_BETA, "beta_patches": nl.BETA0},
    )


@claim(
    id="NL26.C2",
    source="Strano et al. 2026, Sec. 3.2 (claim 2), Figs. 5-6",
    statement="At matched rate, a neural (here: edge-feature) distortion gives a more isotropic posterior (lower "
    "A_post) than pixel loss on anisotropic data, more so as lambda grows. A_post = Var_i log s_i; linear models: "
    "s does not depend on x; patches: mean over x of Var_i log s_i(x) ('mean_of_variances').",
    expected=Verdict.OPEN,
    expected_full=Verdict.CONFIRMED,  # paper-scale run on an H100, 2026-11-23 (results/)
    tolerances=(Tolerance("rate_match", 0.5, "nats: GECO holds the batch KL at 5 nats by dual ascent; 0.5 nats (10%) "
                          "is the accepted mismatch of a run at the end of training"),),
    finding="Linear-Gaussian at 3 nats: A_post falls from 1.10 (pixel) to 0.13 (edges) in closed form and in trained "
    "models; on patches at a GECO-held 5 nats the drop from lambda=0 to 0.5 is within noise (one seed) and lambda=1 "
    "misses the rate target, so the nonlinear case stays open in the quick profile. Full profile: confirmed, "
    "A_post 2.17 -> 1.73 from lambda 0 to 0.5 at 5.0/4.96 nats (z = 25); lambda = 1 still misses the rate.",
)
def check_c2(profile: Profile) -> Outcome:
    quick = _quick(profile)
    spec, params, _ = lv.shared_sweep(quick)
    closed, trained = [], []
    for k in range(spec.c2.start, spec.c2.stop):
        mu = rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k])
        s_opt = np.minimum(spec.betas[k] / 2 / np.maximum(mu, 1e-300), 1.0)  # inactive latents stay at the prior
        closed.append(float(np.var(np.log(s_opt))))
        trained.append(float(np.var(params.log_s[k])))
    runs = nl.shared_runs(quick)
    evals = [nl.evaluate(runs.params, k, runs.eval_x) for k in range(runs.geco.start, runs.geco.stop)]
    rates = np.array([e["rate"] for e in evals])
    a_patch = np.array([e["A_post"] for e in evals])
    a_se = np.array([np.std(np.var(np.log(e["s"]), axis=1)) / np.sqrt(e["s"].shape[0]) for e in evals])
    matched = np.abs(rates - nl.GECO_RATE) <= 0.5
    a_ok = _decreasing(closed) and _decreasing(trained)
    am, sm = a_patch[matched], a_se[matched]
    # a decrease counts when it exceeds 2 standard errors (over patches) of the difference; one seed only
    drops = (am[:-1] - am[1:]) / np.sqrt(sm[:-1] ** 2 + sm[1:] ** 2)
    patch_ok = matched.sum() >= 2 and bool(np.all(drops > 2.0))
    patch_against = matched.sum() >= 2 and bool(np.any(drops < -2.0))
    if a_ok and patch_ok:
        verdict = Verdict.CONFIRMED
    elif a_ok and not patch_against:
        verdict = Verdict.OPEN  # mechanism holds exactly; the nonlinear evidence is within noise
    else:
        verdict = Verdict.NOT_REPRODUCED
    fmt = lambda v: "/".join(f"{x:.2f}" for x in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"linear_closed_A_post": closed, "linear_trained_A_post": trained, "patch_rates": rates.tolist(),
                  "patch_A_post": a_patch.tolist(), "patch_A_post_se": a_se.tolist(),
                  "patch_matched": matched.tolist(), "patch_drop_z": drops.tolist(),
                  "patch_final_beta": runs.final_beta[runs.geco].tolist()},
        summary=f"linear @{lv.SWEEP_C2_RATE} nats, lambda {lv.SWEEP_LAMBDAS}: A_post closed {fmt(closed)}, trained "
        f"{fmt(trained)}; patches (GECO {nl.GECO_RATE} nats) lambda {nl.GECO_LAMBDAS}: rate {fmt(rates)}, "
        f"A_post {fmt(a_patch)} +- {fmt(a_se)} (matched {matched.tolist()}, drop z {fmt(drops)})",
    )
