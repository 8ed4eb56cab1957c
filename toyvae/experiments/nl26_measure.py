"""Measurements of NL26's claims checked on trained models and exact rate-distortion (T11, T46-trained, F13, C1,
C2, C1-additive, C2-adv): per-seed evidence, numbers, figure data.

Reads the shared linear sweep (:func:`toyvae.experiments.linear_vae.shared_sweep`), the Fig. 13 runs
(:func:`~toyvae.experiments.linear_vae.fig13_experiment`) and the shared nonlinear patch runs
(:func:`toyvae.experiments.neural_losses.shared_runs`); computes per-seed quantities in float64 and no
statistics or verdicts (the claims' rules judge: :mod:`toyvae.claims.nl26_trained`). Evidence arrays have
the seed as leading axis; closed-form quantities are scalars.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.data import patches
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.experiments.measurement import Measurement
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd

__all__ = ["measure_t11", "measure_t46_trained", "measure_f13", "measure_c1", "measure_c2", "measure_additive",
           "measure_c2_adv", "closed_rates", "E44_DRAWS", "ADDITIVE_WEIGHTS"]

E44_DRAWS = 200_000


def _round(values, digits: int = 4):
    arr = np.asarray(values, dtype=np.float64)
    flat = [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]


def _parts(sweep, k: int, j: int):
    p = sweep.params
    return rd.linear_vae_parts(rd.LinearVAEParams(p.A[k, j], np.exp(p.log_s[k, j]), p.W[k, j]), sweep.spec.Sigma,
                               sweep.spec.Gs[k])


def measure_t46_trained(sweep: lv.Sweep) -> Measurement:
    """Eq. 46 with each trained model's own decoder, the objective above the exact optimum, eq. 44 by Monte Carlo.

    Evidence: ``max |log s/s*|`` and ``objective gap`` (seeds, models), ``eq44 |z|`` (5 points of one model).
    """
    spec, params = sweep.spec, sweep.params
    seeds = sweep.plan.seeds
    ks = range(spec.t46.start, spec.t46.stop)
    errs = np.zeros((len(seeds), len(ks)))
    gaps = np.zeros_like(errs)
    c_all, s_all, s_star_all, rows = [], [], [], []
    for col, k in enumerate(ks):
        pt = rd.reverse_water_filling(rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k]), spec.betas[k] / 2)
        optimum = float(pt.distortion + spec.betas[k] * pt.rate)
        for j in range(len(seeds)):
            s = np.exp(params.log_s[k, j])
            c = lg.metric_coefficients(params.W[k, j], spec.Gs[k])
            s_star = lg.optimal_posterior_variance(c, spec.betas[k])
            errs[j, col] = float(np.max(np.abs(np.log(s / s_star))))
            parts = _parts(sweep, k, j)
            gaps[j, col] = (parts.distortion + spec.betas[k] * parts.rate - optimum) / optimum
            c_all.append(c)
            s_all.append(s)
            s_star_all.append(s_star)
            rows.append((spec.metric_names[col // 3], float(spec.betas[k]), seeds[j], round(errs[j, col], 4),
                         round(gaps[j, col], 5)))
    # eq. 44 by Monte Carlo on one trained model (random metric, beta = 0.2, first seed)
    k = spec.t46.start + 7
    A, s, W, G = params.A[k, 0], np.exp(params.log_s[k, 0]), params.W[k, 0], spec.Gs[k]
    rng = np.random.default_rng(0)
    xs = rng.multivariate_normal(np.zeros(spec.Sigma.shape[0]), spec.Sigma, size=5)
    z_scores = []
    for x in xs:
        mu = A @ x
        z = mu + np.sqrt(s) * rng.standard_normal((E44_DRAWS, s.size))
        r = x - z @ W.T
        d = np.einsum("ni,ij,nj->n", r, G, r)
        exact = float(lg.expected_distortion(x, mu, s, W, G))
        z_scores.append(abs(d.mean() - exact) / (d.std() / np.sqrt(E44_DRAWS)))
    return Measurement(
        evidence={"max |log s/s*|": errs, "objective gap": gaps, "eq44 |z|": np.array(z_scores)},
        numbers={"max_abs_log_ratio": float(errs.max()), "median_abs_log_ratio": float(np.median(errs)),
                 "objective_gap_to_optimum_median": float(np.median(gaps)), "objective_gap_max": float(gaps.max()),
                 "e44_max_z": float(max(z_scores)), "e44_draws": E44_DRAWS, "models": int(errs.size),
                 "seeds": list(seeds), "steps": sweep.plan.steps, "per_model": rows},
        figure_data={"c": _round(c_all), "s": _round(s_all), "s_star": _round(s_star_all)},
    )


def measure_f13(r: lv.Fig13Result) -> Measurement:
    """Fig. 13: A_post = Var_i log s_i (closed form, trained per seed) for the isotropic and anisotropic metric."""
    a_closed = np.var(np.log(r.s_closed), axis=1)
    a_trained = np.var(np.log(r.s_trained), axis=2)  # (2, seeds)
    rel = np.max(np.abs(r.s_trained / r.s_closed[:, None, :] - 1), axis=(0, 2))  # per seed
    std = np.sqrt(r.s_closed)
    vkl = lg.variance_kl(r.s_closed)
    return Measurement(
        evidence={"A_post closed iso": float(a_closed[0]), "A_post trained iso": a_trained[0],
                  "A_post trained aniso": a_trained[1], "max rel |s - s closed|": rel},
        numbers={"beta_iso": float(r.betas[0]), "beta_aniso": float(r.betas[1]), "A_post_closed": a_closed.tolist(),
                 "A_post_trained_iso": a_trained[0].tolist(), "A_post_trained_aniso": a_trained[1].tolist(),
                 "max_rel_s": float(rel.max()), "variance_kl": vkl.tolist(), "std_iso": [float(std[0].min()),
                 float(std[0].max())], "std_aniso": [float(std[1].min()), float(std[1].max())],
                 "c_aniso": list(lv.FIG13_C_ANISO), "seeds": list(r.seeds)},
        figure_data={"std_closed": _round(std), "std_trained": _round(np.sqrt(r.s_trained))},
    )


def closed_rates(spec, F: np.ndarray, beta: float, scale: float = 1.0) -> np.ndarray:
    """Exact rate of the optimal linear VAE at each of the sweep's lambdas, metric (1 - l) I + l scale^2 F^T F."""
    rates = []
    for lam in spec.lambdas:
        G = (1 - lam) * np.eye(F.shape[1]) + lam * scale**2 * F.T @ F
        rates.append(float(rd.reverse_water_filling(rd.metric_weighted_spectrum(spec.Sigma, G), beta / 2).rate))
    return np.array(rates)


def _rates(runs: nl.Runs, ks) -> np.ndarray:
    """Held-out rate of the given settings and every seed: (seeds, settings)."""
    return np.array([[nl.evaluate(runs, k, j)["rate"] for k in ks] for j in range(len(runs.seeds))])


def measure_c1(sweep: lv.Sweep, runs: nl.Runs) -> Measurement:
    """NL26 claim 1: rates against lambda (linear closed form and trained; patches with the feature and the
    adversarial term) and the pixel-only controls at lambda = 0.5 and 0.75 (beta / (1 - lambda) = 0.6, 1.2)."""
    spec = sweep.spec
    F = lv.difference_features(spec.Sigma.shape[0])
    closed = closed_rates(spec, F, lv.SWEEP_C1_BETA)
    closed_L2 = closed_rates(spec, F, lv.SWEEP_C1_BETA, scale=2.0)
    trained = np.array([[_parts(sweep, k, j).rate for k in range(spec.c1.start, spec.c1.stop)]
                        for j in range(len(sweep.plan.seeds))])  # (seeds, lambdas)
    feat = _rates(runs, range(runs.feature.start, runs.feature.stop))  # (seeds, 5 lambdas)
    adv = np.hstack([feat[:, :1], _rates(runs, range(runs.adversarial.start, runs.adversarial.stop))])
    beta = np.asarray(runs.settings["beta"], np.float64)
    pixel = [k for k in range(runs.betas.start, runs.betas.stop)]
    control = {lam: _rates(runs, [next(k for k in pixel if np.isclose(beta[k], nl.BETA0 / (1 - lam)))])[:, 0]
               for lam in (0.5, 0.75)}
    lam_idx = {lam: list(nl.LAMBDAS).index(lam) for lam in nl.LAMBDAS}
    evidence = {
        "rate/lambda=0": feat[:, 0], "rate/feature lambda=0.5": feat[:, lam_idx[0.5]],
        "rate/pixel control lambda=0.5": control[0.5], "rate/feature lambda=1": feat[:, -1],
        "rate/adversarial lambda=1": adv[:, -1],
        "linear closed form: largest step in lambda": float(np.max(np.diff(closed))),
        "linear trained: largest step in lambda": np.max(np.diff(trained, axis=1), axis=1),
    }
    numbers = {"lambdas": list(nl.LAMBDAS), "closed_form": closed.tolist(), "closed_form_L2": closed_L2.tolist(),
               "closed_form_L2_monotone": bool(np.all(np.diff(closed_L2) < 0)), "trained_linear": trained.tolist(),
               "patch_feature": feat.tolist(), "patch_adversarial": adv.tolist(),
               "pixel_only_control_lambda_.5_.75": np.stack([control[0.5], control[0.75]], 1).tolist(),
               "feature/control_lambda_.75": (feat[:, lam_idx[0.75]] / control[0.75]).tolist(),
               "beta_linear": lv.SWEEP_C1_BETA, "beta_patches": nl.BETA0, "seeds": list(runs.seeds)}
    figure = {"lambdas": list(nl.LAMBDAS), "closed_form": _round(closed), "trained_linear": _round(trained),
              "patch_feature": _round(feat), "patch_adversarial": _round(adv),
              "pixel_control": _round(np.stack([control[0.5], control[0.75]], 1))}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


def measure_c2(sweep: lv.Sweep, runs: nl.Runs) -> Measurement:
    """NL26 claim 2: A_post against lambda at a matched rate (linear closed form and trained at 3 nats; patches
    with the rate held at ``GECO_RATE`` by the GECO rule), and each patch run's rate relative to the target."""
    spec = sweep.spec
    closed, trained = [], []
    for k in range(spec.c2.start, spec.c2.stop):
        mu = rd.metric_weighted_spectrum(spec.Sigma, spec.Gs[k])
        s_opt = np.minimum(spec.betas[k] / 2 / np.maximum(mu, 1e-300), 1.0)  # inactive latents stay at the prior
        closed.append(float(np.var(np.log(s_opt))))
        trained.append(np.var(sweep.params.log_s[k], axis=1))  # per seed
    closed, trained = np.array(closed), np.array(trained).T  # trained: (seeds, lambdas)
    n_seed = len(runs.seeds)
    ks = range(runs.geco.start, runs.geco.stop)
    rates = np.array([[nl.evaluate(runs, k, j)["rate"] for k in ks] for j in range(n_seed)])  # (seeds, lambdas)
    a_patch = np.array([[nl.evaluate(runs, k, j)["A_post"] for k in ks] for j in range(n_seed)])
    evidence = {"linear closed form: largest step in lambda": float(np.max(np.diff(closed))),
                "linear trained: largest step in lambda": np.max(np.diff(trained, axis=1), axis=1)}
    for i, lam in enumerate(nl.GECO_LAMBDAS):
        evidence[f"A_post/lambda={lam:g}"] = a_patch[:, i]
        evidence[f"rate/target - 1/lambda={lam:g}"] = rates[:, i] / nl.GECO_RATE - 1
    final_beta = np.asarray(runs.final_beta[runs.geco], np.float64).T
    numbers = {"lambdas_linear": list(lv.SWEEP_LAMBDAS), "linear_closed_A_post": closed.tolist(),
               "linear_trained_A_post": trained.tolist(), "lambdas_patch": list(nl.GECO_LAMBDAS),
               "rate_target": nl.GECO_RATE, "patch_rates": rates.tolist(), "patch_A_post": a_patch.tolist(),
               "patch_final_beta": final_beta.tolist(), "seeds": list(runs.seeds)}
    figure = {"lambdas_linear": list(lv.SWEEP_LAMBDAS), "linear_closed": _round(closed),
              "linear_trained": _round(trained), "rate_linear": lv.SWEEP_C2_RATE,
              "lambdas_patch": list(nl.GECO_LAMBDAS), "patch_A_post": _round(a_patch), "rate_patch": nl.GECO_RATE}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


def measure_c2_adv(runs: nl.MatchedRuns) -> Measurement:
    """NL26 claim 2 with the hinge adversarial term at several GECO-held rates (NL26.C2-adv).

    ``A_post`` as NL26 Fig. 6 reports it, the average per-sample posterior anisotropy: for each held-out patch x,
    the population variance over the 16 latent dimensions of log s_i(x), then the mean over the patches,
    ``A_post = (1/N) sum_n Var_i log s_i(x_n)`` (``"mean_of_variances"`` of
    :func:`toyvae.theory.linear_gaussian.posterior_anisotropy`, via :func:`~toyvae.experiments.neural_losses.evaluate`).
    The review page prints no formula for A_post; App. D only requires A_post = 0 exactly when all s_i are
    equal, and ``Var_i log s_i`` is the package's reading (shared/claims.md, NL26.Iso). The rate actually reached
    is the held-out ``E_x KL(q(z|x) || N(0, I))``.

    Evidence per seed, for each label ``L`` = ``"pixel @R nats"`` / ``"adversarial @R nats"``: ``A_post/L`` and
    ``rate/target - 1/L``.
    """
    n_seed = len(runs.seeds)
    evals = [[nl.evaluate(runs, k, j) for k in range(len(runs.names))] for j in range(n_seed)]
    rates = np.array([[e["rate"] for e in row] for row in evals])  # (seeds, settings)
    a_post = np.array([[e["A_post"] for e in row] for row in evals])
    targets = np.asarray(runs.settings["rate_target"], np.float64)
    evidence = {}
    for k, name in enumerate(runs.names):
        evidence[f"A_post/{name}"] = a_post[:, k]
        evidence[f"rate/target - 1/{name}"] = rates[:, k] / targets[k] - 1
    final_beta = np.asarray(runs.final_beta, np.float64).T  # (seeds, settings)
    pix, adv = slice(0, None, 2), slice(1, None, 2)
    numbers = {"rate_targets": list(runs.rates), "lam_adversarial": runs.lam_adversarial, "settings": list(runs.names),
               "rates": rates.tolist(), "A_post": a_post.tolist(), "final_beta": final_beta.tolist(),
               "A_post_adv/pixel": (a_post[:, adv] / a_post[:, pix]).tolist(), "seeds": list(runs.seeds),
               "steps": runs.config.steps}
    figure = {"rate_targets": list(runs.rates), "lam_adversarial": runs.lam_adversarial,
              "rate_pixel": _round(rates[:, pix]), "rate_adversarial": _round(rates[:, adv]),
              "A_post_pixel": _round(a_post[:, pix]), "A_post_adversarial": _round(a_post[:, adv])}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


ADDITIVE_WEIGHTS = (0.0, 1 / 3, 1.0, 3.0)  # w = lambda / (1 - lambda) of the convex sweep's lambdas 0 .. 0.75
ADDITIVE_TRIALS = 100


def _additive_steps(Sigma: np.ndarray, FtF: np.ndarray, beta: float, weights) -> tuple[float, float, np.ndarray]:
    """(smallest step of the sorted metric-weighted spectrum, smallest rate step, rates) along G_w = I + w F^T F."""
    n = Sigma.shape[0]
    spectra = np.array([np.sort(rd.metric_weighted_spectrum(Sigma, np.eye(n) + w * FtF)) for w in weights])
    rates = np.array([float(rd.reverse_water_filling(mu, beta / 2).rate) for mu in spectra])
    scale = float(spectra.max())
    return float(np.min(np.diff(spectra, axis=0)) / scale), float(np.min(np.diff(rates))), rates


def measure_additive(sweep: lv.Sweep, runs: nl.Runs, *, trials: int = ADDITIVE_TRIALS, seed: int = 41) -> Measurement:
    """NL26's additive reading: a neural term added at a fixed pixel weight, G_w = I + w F^T F.

    Closed form (float64): along w in :data:`ADDITIVE_WEIGHTS`, every sorted eigenvalue of G_w^{1/2} Sigma G_w^{1/2}
    and the rate at fixed beta, for the sweep's source with the edge features and for ``trials`` random
    (Sigma, F); the smallest steps (relative to the largest eigenvalue; nats) are the evidence. Trained (the
    existing patch runs, no new training): at lambda = 0.5 and 0.75 the feature run is the pixel-only control
    (pixel weight 1 - lambda, the same beta) plus the neural term lambda d_phi, i.e. w = 1 and 3.
    """
    spec = sweep.spec
    n = spec.Sigma.shape[0]
    F = lv.difference_features(n)
    eig_step, rate_step, rates = _additive_steps(spec.Sigma, F.T @ F, lv.SWEEP_C1_BETA, ADDITIVE_WEIGHTS)
    rng = np.random.default_rng(seed)
    eig_steps, rate_steps = [eig_step], [rate_step]
    for _ in range(trials):
        B = rng.standard_normal((n, n))
        Sigma = B @ B.T / n + 0.05 * np.eye(n)
        Fr = rng.standard_normal((n + 2, n)) / np.sqrt(n)
        e, r, _ = _additive_steps(Sigma, Fr.T @ Fr, float(rng.uniform(0.05, 1.0)), ADDITIVE_WEIGHTS)
        eig_steps.append(e)
        rate_steps.append(r)
    beta = np.asarray(runs.settings["beta"], np.float64)
    pixel = list(range(runs.betas.start, runs.betas.stop))
    feat = _rates(runs, range(runs.feature.start, runs.feature.stop))
    evidence, ratios = {}, {}
    for lam in (0.5, 0.75):
        k = next(k for k in pixel if np.isclose(beta[k], nl.BETA0 / (1 - lam)))
        control = _rates(runs, [k])[:, 0]
        evidence[f"rate/feature lambda={lam:g}"] = feat[:, list(nl.LAMBDAS).index(lam)]
        evidence[f"rate/pixel control lambda={lam:g}"] = control
        ratios[f"{lam:g}"] = (evidence[f"rate/feature lambda={lam:g}"] / control).tolist()
    evidence["closed form: smallest spectrum step (relative)"] = float(min(eig_steps))
    evidence["closed form: smallest rate step"] = float(min(rate_steps))
    numbers = {"weights": list(ADDITIVE_WEIGHTS), "edge_rates": rates.tolist(), "trials": trials,
               "smallest_spectrum_step_rel": float(min(eig_steps)), "smallest_rate_step": float(min(rate_steps)),
               "feature/control": ratios, "seeds": list(runs.seeds)}
    figure = {"weights": list(ADDITIVE_WEIGHTS), "edge_rates": _round(rates),
              "lambdas": [0.5, 0.75], "feature": _round(np.stack([evidence["rate/feature lambda=0.5"],
                                                                  evidence["rate/feature lambda=0.75"]], 1)),
              "control": _round(np.stack([evidence["rate/pixel control lambda=0.5"],
                                          evidence["rate/pixel control lambda=0.75"]], 1))}
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)


def _random_psd(rng, n):
    B = rng.standard_normal((n, n))
    return B @ B.T / n + 0.05 * np.eye(n)


def measure_t11(trials: int) -> Measurement:
    """Theorem 11 and Corollary 28 exactly on ``trials`` random Gaussian sources with quadratic distortions (random
    PSD metrics, a the smallest constant with G2 <= a G1; linear feature maps F with L^2 = ||F||^2), the equality
    case G2 = a G1 (tight) and its negative control 0.9 a (must violate), and the pointwise Lipschitz ratio
    d_phi / d_pix of the nonlinear edge-feature network on image patches (float32 features)."""
    rng = np.random.default_rng(11)
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
        below = rd.rate_distortion(mu1, Ds) - rd.rate_distortion(mu_eq, 0.9 * a * Ds) < -1e-10
        control_violations += int(np.sum(positive & below))
        control_points += int(np.sum(rd.rate_distortion(mu1, Ds) > 0))
        # Cor. 28 with a linear feature map F: d_F = |F(x - xhat)|^2 <= ||F||^2 d_pix
        F = rng.standard_normal((n + 2, n))
        L2 = float(np.linalg.norm(F, 2) ** 2)
        mu_pix, mu_F = rd.metric_weighted_spectrum(Sigma, np.eye(n)), rd.metric_weighted_spectrum(Sigma, F.T @ F)
        Dp = np.geomspace(1e-3, 1.0, 12) * mu_pix.sum()
        slack_F = rd.rate_distortion(mu_pix, Dp) - rd.rate_distortion(mu_F, L2 * Dp)
        lipschitz_worst = min(lipschitz_worst, float(slack_F.min()))
    # pointwise Lipschitz bound of the nonlinear edge features used in NL26.C1/C2 (L = 1)
    x = patches.image_patches(4000, nl.PATCH, seed=5)
    y = x[::-1] * 0.7 + 0.3 * patches.image_patches(4000, nl.PATCH, seed=6)
    Fj = jnp.asarray(nl.feature_matrix(), jnp.float32)
    phi = jax.vmap(lambda v: nl.features(v, Fj))
    d_phi = np.sum((np.asarray(phi(jnp.asarray(x))) - np.asarray(phi(jnp.asarray(y)))) ** 2, 1)
    d_pix = np.sum((x - y) ** 2, 1)
    ratio = float(np.max(d_phi / d_pix))
    return Measurement(
        evidence={"violations": float(violations), "min slack where R > 0": worst,
                  "feature maps: min slack": lipschitz_worst, "equality case: max gap": tight,
                  "0.9 a: share of points violated": control_violations / max(control_points, 1),
                  "edge network: max d_phi / d_pix": ratio},
        numbers={"trials": trials, "violations": violations, "min_slack_nats": worst,
                 "lipschitz_min_slack": lipschitz_worst, "equality_case_max_gap": tight,
                 "control_violations_0.9a": control_violations, "control_points": control_points,
                 "max_dphi_over_dpix": ratio})
