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

from toyvae.claims import _stats
from toyvae.plots._style import new_figure, seed_lines
from toyvae.claims.registry import Outcome, Profile, Tolerance, Verdict, claim, figure_numbers
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd

__all__ = ["check_t46_trained", "check_f13", "check_t11", "check_c1", "check_c2"]

T46_TOL = 0.1
E44_K = 4.0


def _parts(sweep, k: int, j: int):
    p = sweep.params
    return rd.linear_vae_parts(rd.LinearVAEParams(p.A[k, j], np.exp(p.log_s[k, j]), p.W[k, j]), sweep.spec.Sigma,
                               sweep.spec.Gs[k])


def _plot_t46(data):
    fig, (ax,) = new_figure()
    c = np.asarray(data["c"], float)
    s = np.asarray(data["s"], float)
    s_star = np.asarray(data["s_star"], float)
    ax.loglog(s_star.ravel(), s.ravel(), "o", ms=3, alpha=0.6, label="trained s_i vs beta/(beta + 2 c_i)")
    lim = [min(s_star.min(), s.min()) * 0.8, 1.05]
    ax.plot(lim, lim, "k--", lw=1, label="eq. 46")
    ax.set(xlabel="beta / (beta + 2 c_i), c_i of the trained decoder", ylabel="trained posterior variance s_i",
           title=f"NL26 eq. 46 on trained linear VAEs ({len(c)} models)")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="NL26.T46-trained",
    source="Strano et al. 2026, App. D eqs. 44-46",
    statement="A linear-Gaussian VAE trained by gradient descent has posterior variances s_i = beta/(beta + 2 c_i) "
    "with c_i = (W^T G W)_ii of its trained decoder; eq. 44 holds on the trained model.",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(
        Tolerance("max_abs_log_ratio", T46_TOL, "Adam with one reparameterised sample per point: the loss in log s has "
                  "curvature beta/2 (0.025 at beta=0.05), so gradient noise leaves a few-percent error after 3000 steps"),
        Tolerance("e44_sigmas", E44_K, "Monte Carlo with N=200000 draws per point: |mean - exact| <= 4 se "
                  "(two-sided normal tail 6e-5 per comparison)"),
    ),
    finding="Consistency check (eq. 46 holds at ANY stationary point in s, whatever W): every trained linear VAE "
    "(3 metrics x 3 betas x 3 seeds) satisfies it with its own decoder within the 10% tolerance in s, and eq. 44 holds "
    "on a trained model within Monte Carlo error. The informative gap, the objective above the exact optimum, is "
    "reported per model.",
    plot=_plot_t46,
)
def check_t46_trained(profile: Profile) -> Outcome:
    sweep = lv.shared_sweep(profile)
    spec, params = sweep.spec, sweep.params
    seeds = sweep.plan.seeds
    errs, gaps, rows, c_all, s_all, s_star_all = [], [], [], [], [], []
    for k in range(spec.t46.start, spec.t46.stop):
        pt = rd.reverse_water_filling(rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k]), spec.betas[k] / 2)
        optimum = float(pt.distortion + spec.betas[k] * pt.rate)
        for j in range(len(seeds)):
            s = np.exp(params.log_s[k, j])
            c = lg.metric_coefficients(params.W[k, j], spec.Gs[k])
            s_star = lg.optimal_posterior_variance(c, spec.betas[k])
            err = float(np.max(np.abs(np.log(s / s_star))))
            parts = _parts(sweep, k, j)
            gap = (parts.distortion + spec.betas[k] * parts.rate - optimum) / optimum
            errs.append(err)
            gaps.append(gap)
            c_all.append(c)
            s_all.append(s)
            s_star_all.append(s_star)
            rows.append((spec.metric_names[(k - spec.t46.start) // 3], float(spec.betas[k]), seeds[j], round(err, 4),
                         round(gap, 5)))
    # eq. 44 by Monte Carlo on one trained model (random metric, beta = 0.2, first seed)
    k = spec.t46.start + 7
    A, s, W, G = params.A[k, 0], np.exp(params.log_s[k, 0]), params.W[k, 0], spec.Gs[k]
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
                  "objective_gap_to_optimum_median": float(np.median(gaps)), "objective_gap_max": float(max(gaps)),
                  "e44_max_z": float(max(z_scores)), "seeds": list(seeds), "steps": sweep.plan.steps},
        summary=f"[consistency check; {len(errs)} models = 3 metrics x 3 betas x {len(seeds)} seeds] |log s - log s*| "
        f"max {max(errs):.3f} (median {np.median(errs):.3f}); objective above the exact optimum: median "
        f"{np.median(gaps):.2%}, max {max(gaps):.2%}; eq. 44 MC max |z| {max(z_scores):.2f} (N={N})",
        details={"per_model": rows, "e44_z": z_scores},
        rule=f"Consistency check: eq. 46 holds at every stationary point in s whatever the decoder, so this tests that "
        f"training reached stationarity in s: every model within {T46_TOL} in log s, and the Monte Carlo mean of eq. 44 "
        f"within {E44_K} standard errors. The objective's distance above the exact optimum is the informative number.",
        figure_data={"c": figure_numbers(c_all), "s": figure_numbers(s_all), "s_star": figure_numbers(s_star_all)},
    )


def _plot_f13(data):
    fig, (ax,) = new_figure()
    dims = np.arange(1, len(data["std_closed"][0]) + 1)
    for i, name in enumerate(("isotropic c", "anisotropic c")):
        ax.plot(dims, data["std_closed"][i], color=f"C{i}", lw=2, label=f"{name}: closed form")
        for row in data["std_trained"][i]:
            ax.plot(dims, row, "o", color=f"C{i}", ms=3, alpha=0.6)
    ax.set(xlabel="latent dimension i", ylabel="posterior std sqrt(s_i)",
           title="NL26 Fig. 13: matched variance-KL (dots: trained, one per seed)")
    ax.legend(fontsize=7)
    return fig


@claim(
    id="NL26.F13",
    source="Strano et al. 2026, Figs. 7 and 13 (App. D.2)",
    statement="D = 16, W = I: at a common variance-KL an isotropic metric gives equal per-dimension posterior std, "
    "an anisotropic metric a spread of stds (closed form and trained linear VAE).",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(
        Tolerance("iso_A_post_trained", 1e-3, "trained isotropic case: A_post should be 0; 1e-3 allows the "
                  "few-percent Adam noise in log s (variance of ~0.01 errors is 1e-4)"),
        Tolerance("rel_s", 0.05, "trained vs closed-form s, Adam noise as in NL26.T46-trained"),
    ),
    finding="At 4 nats of variance-KL the isotropic metric gives a flat posterior std (0.549 for all 16 dims) and the "
    "anisotropic c_i in [0.25, 4] a spread (0.35 to 0.83); the encoder-only trained VAE reproduces both for every seed.",
    plot=_plot_f13,
)
def check_f13(profile: Profile) -> Outcome:
    r = lv.fig13_experiment(profile)
    a_closed = np.var(np.log(r.s_closed), axis=1)
    a_trained = np.var(np.log(r.s_trained), axis=2)  # (2, seeds)
    rel = float(np.max(np.abs(r.s_trained / r.s_closed[:, None, :] - 1)))
    vkl = lg.variance_kl(r.s_closed)
    ok = bool(np.all(a_trained[0] <= 1e-3)) and a_closed[0] < 1e-20 and bool(np.all(a_trained[1] > 0.1)) and rel <= 0.05
    std = np.sqrt(r.s_closed)
    return Outcome(
        verdict=Verdict.CONFIRMED if ok else Verdict.NOT_REPRODUCED,
        measured={"beta_iso": float(r.betas[0]), "beta_aniso": float(r.betas[1]),
                  "A_post_closed": a_closed.tolist(), "A_post_trained_iso": a_trained[0].tolist(),
                  "A_post_trained_aniso": a_trained[1].tolist(), "max_rel_s": rel, "variance_kl": vkl.tolist(),
                  "seeds": list(r.seeds)},
        summary=f"[{len(r.seeds)} seeds] variance-KL {vkl[0]:.3f}/{vkl[1]:.3f} nats; std iso {std[0].min():.3f}.."
        f"{std[0].max():.3f}, aniso {std[1].min():.3f}..{std[1].max():.3f}; A_post trained iso max "
        f"{a_trained[0].max():.1e} vs aniso min {a_trained[1].min():.3f}; trained vs closed s max rel {rel:.3f}",
        details={"c_aniso": list(lv.FIG13_C_ANISO)},
        rule="Every seed: trained A_post <= 1e-3 for the isotropic metric and > 0.1 for the anisotropic one, and every "
        "trained s within 5% of the closed form; the closed form's isotropic A_post is 0.",
        figure_data={"std_closed": figure_numbers(std), "std_trained": figure_numbers(np.sqrt(r.s_trained))},
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
    trials = 200 if Profile(profile) == Profile.QUICK else 2000
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


def _rates(runs, sl) -> np.ndarray:
    """Held-out rate of every setting of a slice and every seed: (settings, seeds)."""
    return np.array([[nl.evaluate(runs, k, j)["rate"] for j in range(len(runs.seeds))]
                     for k in range(sl.start, sl.stop)])


def _plot_c1(data):
    fig, (ax1, ax2) = new_figure(2)
    lam = data["lambdas"]
    seed_lines(ax1, lam, {"trained linear": data["trained_linear"]}, xlabel="lambda", ylabel="rate [nats]",
               title="linear-Gaussian, edge metric", reference={"closed form": data["closed_form"]})
    seed_lines(ax2, lam, {"feature": data["patch_feature"], "adversarial": data["patch_adversarial"]},
               xlabel="lambda", ylabel="held-out rate [nats]", title="nonlinear VAE on 8x8 patches, beta = 0.3")
    ax2.plot([0.5, 0.75], np.mean(data["pixel_control"], axis=0), "ks", label="pixel loss, weight 1 - lambda")
    ax2.legend(fontsize=7)
    return fig


@claim(
    id="NL26.C1",
    source="Strano et al. 2026, Sec. 3 (claim 1), Figs. 3-4",
    statement="With loss lambda d_neural + (1 - lambda) d_pix + beta KL at fixed beta, the rate at convergence falls "
    "as lambda grows: (a) quadratic edge-feature metric on the linear-Gaussian model (closed form, trained); "
    "(b) nonlinear VAE on image patches with a 1-Lipschitz edge-feature network; (c) hinge adversarial term.",
    expected=Verdict.CONFIRMED,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(Tolerance("t_seed", _stats.T_LEVEL, "a rate difference between two lambdas counts when the paired "
                          "(same-seed) t statistic over the seeds exceeds the two-sided 95% Student-t quantile "
                          "(4.30 for 3 seeds): a 5% false call per comparison for normal seed noise"),),
    finding=(
    "Confirmed in the quick profile (3 seeds): exact for quadratic metrics dominated by pixel SSE (||F|| <= 1; "
    "||F|| = 2 makes the closed-form rate non-monotone); on patches the rate falls from lambda = 0 to 1 for the "
    "feature (7.31 -> 0.01, t = 32) and adversarial terms (7.31 -> 2.15, t = 7.3), and the feature loss adds "
    "rate over pixel loss with the same pixel weight only at lambda = 0.75 (t = 8.9; at 0.5 t = 2.1 < 4.30), so "
    "the fall is not shown to be the pixel weight's alone. Before: refined, on one seed."
    ),
    plot=_plot_c1,
)
def check_c1(profile: Profile) -> Outcome:
    sweep = lv.shared_sweep(profile)
    spec = sweep.spec
    F = lv.difference_features(spec.Sigma.shape[0])
    closed = _c1_closed_rates(spec, F, lv.SWEEP_C1_BETA)
    closed_L2 = _c1_closed_rates(spec, F, lv.SWEEP_C1_BETA, scale=2.0)
    trained = np.array([[_parts(sweep, k, j).rate for j in range(len(sweep.plan.seeds))]
                        for k in range(spec.c1.start, spec.c1.stop)])  # (lambdas, seeds)
    runs = nl.shared_runs(profile)
    feat = _rates(runs, runs.feature)  # (5 lambdas, seeds)
    adv = np.vstack([feat[:1], _rates(runs, runs.adversarial)])
    # controls: pixel loss only with weight (1 - lambda) = beta / (1 - lambda): 0.6 (lambda .5), 1.2 (lambda .75)
    control = _rates(runs, slice(runs.betas.start + 1, runs.betas.start + 3))  # (2, seeds)
    a_ok = _decreasing(closed) and all(_decreasing(trained[:, j]) for j in range(trained.shape[1]))
    steps = {name: [_stats.ordering(r[i], r[i + 1]) for i in range(len(r) - 1)] for name, r in
             (("feature", feat), ("adversarial", adv))}
    overall = {name: _stats.ordering(r[0], r[-1]) for name, r in (("feature", feat), ("adversarial", adv))}
    rise = any(o == "reversed" for v in steps.values() for o, _ in v) or any(o == "reversed" for o, _ in overall.values())
    falls = all(o == "holds" for o, _ in overall.values())
    monotone = all(o == "holds" for v in steps.values() for o, _ in v)
    adds = [_stats.ordering(feat[2], control[0]), _stats.ordering(feat[3], control[1])]
    neural_adds = all(o == "holds" for o, _ in adds)
    if not a_ok or rise:
        verdict = Verdict.NOT_REPRODUCED
    elif not falls:
        verdict = Verdict.OPEN
    elif neural_adds:
        verdict = Verdict.REFINED
    else:
        verdict = Verdict.CONFIRMED
    fmt = lambda v: "/".join(f"{x:.2f}" for x in v)  # noqa: E731
    tfmt = lambda v: "/".join(f"{t:.1f}" for _, t in v)  # noqa: E731
    seeds = list(runs.seeds)
    return Outcome(
        verdict=verdict,
        measured={"closed_form": closed.tolist(), "trained_linear": trained.T.tolist(), "closed_form_L2": closed_L2.tolist(),
                  "patch_feature": feat.T.tolist(), "patch_adversarial": adv.T.tolist(),
                  "pixel_only_control_lambda_.5_.75": control.T.tolist(),
                  "t_consecutive_drops": {k: [t for _, t in v] for k, v in steps.items()},
                  "t_overall_drop": {k: t for k, (_, t) in overall.items()},
                  "t_neural_adds_rate": [t for _, t in adds], "monotone": monotone, "falls": falls,
                  "neural_adds": neural_adds, "t_critical": _stats.t_critical(len(seeds)), "seeds": seeds},
        summary=f"[{len(seeds)} seeds] rate over lambda {lv.SWEEP_LAMBDAS}: linear closed {fmt(closed)}, trained (mean) "
        f"{fmt(trained.mean(1))}; ||F||=2: {fmt(closed_L2)}; patches (mean) feature {fmt(feat.mean(1))} (drop t "
        f"{tfmt(steps['feature'])}), adversarial {fmt(adv.mean(1))} (drop t {tfmt(steps['adversarial'])}); overall "
        f"drop t {overall['feature'][1]:.1f}/{overall['adversarial'][1]:.1f}; pixel-only control lam .5/.75: "
        f"{fmt(control.mean(1))} (feature - control t {adds[0][1]:.1f}/{adds[1][1]:.1f}); t crit "
        f"{_stats.t_critical(len(seeds)):.2f}",
        details={"beta_linear": lv.SWEEP_C1_BETA, "beta_patches": nl.BETA0},
        rule="Linear part: the closed-form rate and every seed's trained rate strictly decrease in lambda. Patches: a "
        "difference between two settings counts when the paired t over seeds exceeds the 95% Student-t quantile. "
        "Not reproduced: the linear part fails or any rise counts; open: no counted fall from lambda=0 to 1; "
        "refined: the fall counts for both neural terms but the feature loss has MORE rate than pixel loss with the "
        "same pixel weight (1 - lambda) at lambda = .5 and .75 (the fall is the pixel weight's); else confirmed.",
        figure_data={"lambdas": list(lv.SWEEP_LAMBDAS), "closed_form": figure_numbers(closed),
                     "trained_linear": figure_numbers(trained.T), "patch_feature": figure_numbers(feat.T),
                     "patch_adversarial": figure_numbers(adv.T), "pixel_control": figure_numbers(control.T)},
    )


C2_RATE_MATCH = 0.1  # relative


def _plot_c2(data):
    fig, (ax1, ax2) = new_figure(2)
    seed_lines(ax1, data["lambdas_linear"], {"trained linear": data["linear_trained"]}, xlabel="lambda",
               ylabel="A_post", title=f"linear-Gaussian at {data['rate_linear']:g} nats",
               reference={"closed form": data["linear_closed"]})
    seed_lines(ax2, data["lambdas_patch"], {"A_post": data["patch_A_post"]}, xlabel="lambda", ylabel="A_post",
               title=f"patches, GECO rate {data['rate_patch']:g} nats")
    return fig


@claim(
    id="NL26.C2",
    source="Strano et al. 2026, Sec. 3.2 (claim 2), Figs. 5-6",
    statement="At matched rate, a neural (here: edge-feature) distortion gives a more isotropic posterior (lower "
    "A_post) than pixel loss on anisotropic data, more so as lambda grows. A_post = Var_i log s_i; linear models: "
    "s does not depend on x; patches: mean over x of Var_i log s_i(x) ('mean_of_variances').",
    expected=Verdict.OPEN,
    expected_full=None,
    full_note="not re-run (2026-11-23, earlier code: confirmed)",
    tolerances=(Tolerance("rate_match", C2_RATE_MATCH, "relative: GECO holds the batch KL at the target by a "
                          "rule on log beta; a run whose held-out rate is off by more than 10% is not at matched rate"),
                Tolerance("t_seed", _stats.T_LEVEL, "paired (same-seed) t over seeds against the two-sided 95% "
                          "Student-t quantile, as in NL26.C1")),
    finding=(
    "Open in the quick profile: linear-Gaussian at 3 nats, A_post falls 1.10 -> 0.13 (closed form) and in every "
    "seed's trained model; on patches at a GECO-held 3 nats (3 seeds) A_post 0.76 (lambda 0) vs 0.76 (0.5) is "
    "unresolved (t = 0.12), and lambda = 1 falls to 0.07 but its rate (1.9 nats) misses the target: pure edge "
    "loss gains rate only slowly even with beta at its floor (e^-10) within the quick run. Rule history: until "
    "2026-11-29 one seed, a 5-nat target that lambda = 1 could not reach, and z scores over evaluation patches."
    ),
    plot=_plot_c2,
)
def check_c2(profile: Profile) -> Outcome:
    sweep = lv.shared_sweep(profile)
    spec = sweep.spec
    closed, trained = [], []
    for k in range(spec.c2.start, spec.c2.stop):
        mu = rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k])
        s_opt = np.minimum(spec.betas[k] / 2 / np.maximum(mu, 1e-300), 1.0)  # inactive latents stay at the prior
        closed.append(float(np.var(np.log(s_opt))))
        trained.append(np.var(sweep.params.log_s[k], axis=1))  # per seed
    trained = np.array(trained)  # (lambdas, seeds)
    runs = nl.shared_runs(profile)
    n_seed = len(runs.seeds)
    ks = range(runs.geco.start, runs.geco.stop)
    rates = np.array([[nl.evaluate(runs, k, j)["rate"] for j in range(n_seed)] for k in ks])
    a_patch = np.array([[nl.evaluate(runs, k, j)["A_post"] for j in range(n_seed)] for k in ks])
    matched = np.all(np.abs(rates / nl.GECO_RATE - 1) <= C2_RATE_MATCH, axis=1)  # per lambda, all seeds
    a_ok = _decreasing(closed) and all(_decreasing(trained[:, j]) for j in range(trained.shape[1]))
    drops = [_stats.ordering(a_patch[i], a_patch[i + 1]) for i in range(len(ks) - 1)]
    usable = [bool(matched[i] and matched[i + 1]) for i in range(len(ks) - 1)]
    if not a_ok or any(u and o == "reversed" for u, (o, _) in zip(usable, drops)):
        verdict = Verdict.NOT_REPRODUCED
    elif all(usable) and all(o == "holds" for o, _ in drops):
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.OPEN  # the mechanism holds exactly; the nonlinear evidence is unresolved or unmatched
    fmt = lambda v: "/".join(f"{x:.2f}" for x in v)  # noqa: E731
    return Outcome(
        verdict=verdict,
        measured={"linear_closed_A_post": closed, "linear_trained_A_post": trained.T.tolist(),
                  "patch_rates": rates.T.tolist(), "patch_A_post": a_patch.T.tolist(), "patch_matched": matched.tolist(),
                  "patch_drop_t": [t for _, t in drops], "patch_drop": [o for o, _ in drops],
                  "patch_final_beta": runs.final_beta[runs.geco].T.tolist(), "seeds": list(runs.seeds),
                  "t_critical": _stats.t_critical(n_seed)},
        summary=f"[{n_seed} seeds] linear @{lv.SWEEP_C2_RATE} nats, lambda {lv.SWEEP_LAMBDAS}: A_post closed "
        f"{fmt(closed)}, trained (mean) {fmt(trained.mean(1))}; patches (GECO {nl.GECO_RATE} nats) lambda "
        f"{nl.GECO_LAMBDAS}: rate (mean) {fmt(rates.mean(1))} (matched {matched.tolist()}), A_post (mean) "
        f"{fmt(a_patch.mean(1))}, drops {[o for o, _ in drops]} (paired t {fmt([t for _, t in drops])}, crit "
        f"{_stats.t_critical(n_seed):.2f}); final beta {fmt(runs.final_beta[runs.geco].mean(1))}",
        rule="Linear part: closed-form and every seed's trained A_post strictly decrease in lambda. Patches: each "
        "step lambda 0 -> 0.5 -> 1 at matched rate (every seed's held-out rate within 10% of the GECO target) must "
        "lower A_post by a paired t over seeds above the 95% Student-t quantile: all hold: confirmed; a counted rise: "
        "not reproduced; otherwise open.",
        figure_data={"lambdas_linear": list(lv.SWEEP_LAMBDAS), "linear_closed": figure_numbers(closed),
                     "linear_trained": figure_numbers(trained.T), "rate_linear": lv.SWEEP_C2_RATE,
                     "lambdas_patch": list(nl.GECO_LAMBDAS), "patch_A_post": figure_numbers(a_patch.T),
                     "rate_patch": nl.GECO_RATE},
    )
