"""A fixed sample-quality proxy, no downloaded weights: the Frechet distance in a pixel-PCA feature space.

MB (Figs. 2, 5, 7; Sec. 4) and the slides (their FID table; "sampling is good if q(z) ~ p(z)") judge VAEs by the
quality of their samples. FID needs an Inception network; we use the same distance in a fixed feature space that
needs nothing downloaded:

* **Features** (:class:`PcaFeatures`): the top ``PCA_COMPONENTS`` = 16 principal directions of the *training*
  patches (fitted once, float64): the quarter of the 8 x 8 patch's 64 directions that carries most of its variance
  (the low spatial frequencies, the "perceptible" part in MB's PCA analogy). Fitted on training data only; samples
  and held-out data are projected on the same directions.
* **Frechet distance** (:func:`frechet_distance`) between the Gaussians fitted to two feature sets (Dowson & Landau
  1982; the formula FID uses): ``|m1 - m2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2})``, in float64 through
  symmetric eigendecompositions.
* **Sampling bias**: the plug-in distance from ``N`` samples against ``M`` held-out points is positive even
  between two sets drawn from one law; :func:`data_floor` is that distance for ``N`` *training* patches against
  the same held-out set (the value a perfect sampler would get, up to sampling error), averaged over ``FLOOR_DRAWS``
  independent draws, with their standard deviation as the proxy's stated sampling error. Models are compared at the
  same ``N`` against the same held-out set (and the same prior draws), so the bias is common to both sides.

Samples are MB's mean samples (MB Sec. 2 commits to them): ``mu(z)``, ``z ~ N(0, I)``; for a two-stage pipeline
(MB eq. 6) the secondary's mean ``mu~(z2, x~)`` at ``z2 ~ p(z2 | x~)``, ``x~ = mu1(z)``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.engine import apply_models
from toyvae.experiments import frequency as fq
from toyvae.experiments import two_stage as ts
from toyvae.experiments.measurement import Measurement
from toyvae.models import two_stage
from toyvae.profiles import Profile

__all__ = ["PCA_COMPONENTS", "N_SAMPLES", "FLOOR_DRAWS", "PcaFeatures", "gaussian_moments", "frechet_distance",
           "frechet_distance_of", "data_floor", "patch_samples", "measure_patch_samples",
           "measure_aggregate_samples"]

PCA_COMPONENTS = 16  # a quarter of the 64 patch directions: those of largest variance (module docstring)
N_SAMPLES = 2000  # prior draws per model: the plug-in covariance of 16 features has relative error ~ 1/sqrt(2000)
FLOOR_DRAWS = 10  # independent draws of N training patches for the data-vs-data floor and its spread


@dataclasses.dataclass(frozen=True, eq=False)
class PcaFeatures:
    """Projection on the top ``k`` principal directions of a training set (float64, fitted once)."""

    mean: np.ndarray
    components: np.ndarray  # (n, k), orthonormal columns, by decreasing variance
    variances: np.ndarray  # (n,) all eigenvalues, decreasing

    @classmethod
    def fit(cls, x, k: int = PCA_COMPONENTS) -> "PcaFeatures":
        x = np.asarray(x, np.float64)
        mean = x.mean(axis=0)
        evals, evecs = np.linalg.eigh(np.cov(x - mean, rowvar=False))
        order = np.argsort(evals)[::-1]
        return cls(mean, evecs[:, order[:k]], evals[order])

    def __call__(self, x) -> np.ndarray:
        return (np.asarray(x, np.float64) - self.mean) @ self.components

    @property
    def explained(self) -> float:
        """The share of the training variance the kept directions carry."""
        k = self.components.shape[1]
        return float(self.variances[:k].sum() / self.variances.sum())


def gaussian_moments(f) -> tuple[np.ndarray, np.ndarray]:
    """(mean, covariance with 1/(N-1)) of feature rows ``f``, float64."""
    f = np.asarray(f, np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh((S + S.T) / 2)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def frechet_distance(m1, S1, m2, S2) -> float:
    """``|m1 - m2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2})``: the squared 2-Wasserstein distance between
    ``N(m1, S1)`` and ``N(m2, S2)`` (float64; eigenvalues clipped at 0 against rounding)."""
    m1, m2 = np.asarray(m1, np.float64), np.asarray(m2, np.float64)
    S1, S2 = np.atleast_2d(np.asarray(S1, np.float64)), np.atleast_2d(np.asarray(S2, np.float64))
    r = _sqrt_psd(S1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(r @ S2 @ r), 0.0, None)).sum()
    return float(np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2) - 2.0 * cross)


def frechet_distance_of(features: PcaFeatures, a, b) -> float:
    """The Frechet distance between the Gaussians fitted to the features of two sample sets."""
    return frechet_distance(*gaussian_moments(features(a)), *gaussian_moments(features(b)))


def data_floor(features: PcaFeatures, train_x, held_out, n: int = N_SAMPLES, draws: int = FLOOR_DRAWS,
               seed: int = 0) -> np.ndarray:
    """The distance of ``n`` training points (drawn without replacement) to the held-out set, for ``draws``
    independent draws: what a sampler of the data law itself scores at this sample size."""
    rng = np.random.default_rng(seed)
    train_x = np.asarray(train_x)
    return np.array([frechet_distance_of(features, train_x[rng.choice(len(train_x), n, replace=False)], held_out)
                     for _ in range(draws)])


# ------------------------------------------------------------------------------------------ patch samples


def _prior_means(params, knobs, shared, *, key):
    """Mean samples ``mu(z)`` of one one-stage model at the shared prior draws."""
    return jax.vmap(lambda z: two_stage.decode(params["model"], z))(shared["z"])


def _two_stage_means(params, knobs, shared, *, key):
    """Mean samples of one pipeline: ``mu~(z2, x~)``, ``z2 ~ p(z2 | x~)``, ``x~ = mu1(z)`` at the shared draws."""
    primary = jax.tree_util.tree_map(lambda a: a[knobs["pipeline"]], shared["primaries"])
    model = params["model"]

    def one(z, eps):
        x_tilde = two_stage.decode(primary, z)
        pm, log_ps = two_stage.conditional_prior(model, x_tilde)
        return two_stage.conditional_decode(model, pm + jnp.exp(0.5 * log_ps) * eps, x_tilde)

    return jax.vmap(one)(shared["z"], shared["eps"])


@functools.cache
def _draws(latent: int, latent2: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    k1, k2 = jax.random.split(jax.random.PRNGKey(50_000))
    return (np.asarray(jax.random.normal(k1, (n, latent)), np.float32),
            np.asarray(jax.random.normal(k2, (n, latent2)), np.float32))


def patch_samples(profile: Profile = Profile.QUICK, seed0: int = 0, n: int = N_SAMPLES) -> dict[str, np.ndarray]:
    """Mean samples (float64, (seeds, n, 64)) of the cached patch runs: the distortion-targeted single stages at
    each ``fq.PATCH_GAMMAS`` ("single gamma 2", "single gamma 4"), the two-stage pipelines' primaries
    ("primary gamma 4") and their secondaries ("two-stage gamma~ 2"). Every model sees the same prior draws."""
    pts = ts.patch_two_stage(profile, seed0)
    latent = pts.primaries.plan.latent
    z, eps = _draws(latent, latent, n)
    out = {}
    single = apply_models(_prior_means, pts.singles.fit, {"z": z}, averaged=True)  # (targets, seeds, n, 64)
    for i, g in enumerate(pts.singles.gammas):
        out[f"single gamma {g:g}"] = np.asarray(single[i], np.float64)
    prim = apply_models(_prior_means, pts.primaries.fit, {"z": z}, averaged=True)
    out[f"primary gamma {pts.gamma:g}"] = np.asarray(prim[0], np.float64)
    primaries = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0]), pts.primaries.fit.averaged["model"])
    two = apply_models(_two_stage_means, pts.fit, {"z": z, "eps": eps, "primaries": primaries}, averaged=True)
    two = np.asarray(two, np.float64).reshape((len(pts.gamma_tildes), len(pts.seeds)) + two.shape[2:])
    for i, gt in enumerate(pts.gamma_tildes):
        out[f"two-stage gamma~ {gt:g}"] = two[i]
    return out


def measure_patch_samples(profile: Profile = Profile.QUICK, seed0: int = 0) -> Measurement:
    """Per model kind and seed: the Frechet distance (pixel-PCA features) of its mean samples to the held-out
    patches, its excess over the data floor, and the controls of the proxy: the floor's spread, and the distances
    of a Gaussian with the data's covariance and of white noise of the data's total variance."""
    pts = ts.patch_two_stage(profile, seed0)
    train_x, held_out = pts.primaries.train_x, pts.primaries.eval_x
    features = PcaFeatures.fit(train_x)
    samples = patch_samples(profile, seed0)
    floor = data_floor(features, train_x, held_out)
    fd = {k: np.array([frechet_distance_of(features, s, held_out) for s in v]) for k, v in samples.items()}
    rng = np.random.default_rng(1)
    mean, cov = train_x.mean(axis=0).astype(np.float64), np.cov(np.asarray(train_x, np.float64), rowvar=False)
    gauss = rng.multivariate_normal(mean, cov, size=N_SAMPLES)
    white = mean + rng.normal(size=(N_SAMPLES, mean.size)) * np.sqrt(np.trace(cov) / mean.size)
    fd_gauss = frechet_distance_of(features, gauss, held_out)
    fd_white = frechet_distance_of(features, white, held_out)
    ev = pts.evaluation
    gt = pts.gamma_tildes[0]
    k_gt = pts.singles.gammas.index(gt)
    evidence = {f"FD {k}": v for k, v in fd.items()}
    evidence |= {f"log FD {k}": np.log(v) for k, v in fd.items()}
    evidence |= {"FD data floor": float(floor.mean()), "FD floor spread": float(floor.std(ddof=1)),
                 "FD white noise / floor": fd_white / float(floor.mean()),
                 "FD white noise / Gaussian": fd_white / fd_gauss,
                 f"D single / gamma {gt:g}": np.asarray(ev["single_distortion"][k_gt]) / gt,
                 f"D two-stage / gamma~ {gt:g}": np.asarray(ev["two_distortion2"][0]) / gt}
    for i, g in enumerate(pts.singles.gammas):
        evidence[f"D single / gamma {g:g}"] = np.asarray(ev["single_distortion"][i]) / g
    lo, hi = min(pts.singles.gammas), max(pts.singles.gammas)
    evidence[f"rate single gamma {lo:g} - gamma {hi:g}"] = (np.asarray(ev["single_rate"][pts.singles.gammas.index(lo)])
                                                          - np.asarray(ev["single_rate"][pts.singles.gammas.index(hi)]))
    numbers = {"seeds": list(pts.seeds), "n_samples": N_SAMPLES, "n_held_out": int(len(held_out)),
               "pca_components": PCA_COMPONENTS, "pca_variance_share": features.explained,
               "fd_data_floor": float(floor.mean()), "fd_floor_sd": float(floor.std(ddof=1)),
               "fd_gaussian_data_cov": fd_gauss, "fd_white_noise": fd_white,
               **{f"fd[{k}]": v.tolist() for k, v in fd.items()},
               **{f"rate[single gamma {g:g}]": np.asarray(ev["single_rate"][i]).tolist()
                  for i, g in enumerate(pts.singles.gammas)},
               "rate[two-stage]": (np.asarray(ev["two_rate1"][0]) + np.asarray(ev["two_rate2"][0])).tolist()}
    figure = {"kinds": list(fd), "fd": {k: v.tolist() for k, v in fd.items()}, "floor": float(floor.mean()),
              "floor_sd": float(floor.std(ddof=1)), "gaussian": fd_gauss, "white": fd_white,
              "examples": {k: np.round(v[0, :8], 3).tolist() for k, v in samples.items()},
              "data_examples": np.round(np.asarray(held_out[:8], np.float64), 3).tolist()}
    return Measurement(evidence, numbers, figure)


# ------------------------------------------------------------------------ the slides: q(z) ~ p(z) across beta


def _nl_prior_means(params, knobs, shared, *, key):
    """Mean samples ``mu(z)`` of one NL26 patch VAE (:mod:`toyvae.models.patch_vae`) at the shared prior draws."""
    from toyvae.models import patch_vae

    return jax.vmap(lambda z: patch_vae.decode(params["model"], z))(shared["z"])


def _spearman(a, b) -> float:
    import scipy.stats

    return float(scipy.stats.spearmanr(a, b).statistic)


def measure_aggregate_samples(profile: Profile = Profile.QUICK, seed0: int = 0) -> Measurement:
    """The slides' "sampling is good if q(z) ~ p(z)", across the pixel-loss beta sweep of the NL26 patch VAEs (the
    models of SL.AggPost): per beta and seed the proxy's distance of mean samples to the held-out patches and
    KL(q(z) || p(z)) (the Monte Carlo estimate of SL.AggPost, same draws); per seed the rank correlation across beta
    of the two (evidence ``rank correlation FD vs KL_agg``) and of the distance with beta."""
    from toyvae.data import patches as patch_data
    from toyvae.experiments import neural_losses as nl
    from toyvae.models.patch_vae import LATENT

    runs = nl.shared_runs(profile, seed0)
    ks = [runs.feature.start] + list(range(runs.betas.start, runs.betas.stop))
    betas = np.array([float(runs.settings["beta"][k]) for k in ks])
    order = np.argsort(betas)
    ks, betas = [ks[i] for i in order], betas[order]
    train_x = patch_data.image_patches(runs.config.n_train, fq.PATCH, seed=0)
    held_out = np.asarray(runs.eval_x)
    features = PcaFeatures.fit(train_x)
    z, _ = _draws(LATENT, LATENT, N_SAMPLES)
    gen = apply_models(_nl_prior_means, runs.fit, {"z": z})  # (settings, seeds, n, 64): every model, same draws
    n_seeds = len(runs.seeds)
    fd = np.array([[frechet_distance_of(features, gen[k, j], held_out) for j in range(n_seeds)] for k in ks])
    agg = np.array([[nl.surgery_monte_carlo(nl.evaluate(runs, k, j)["mu"], nl.evaluate(runs, k, j)["s"],
                                            samples_per_point=2, seed=1)["aggregate_kl"] for j in range(n_seeds)]
                    for k in ks])
    floor = data_floor(features, train_x, held_out)
    rng = np.random.default_rng(1)
    mean, cov = train_x.mean(axis=0).astype(np.float64), np.cov(np.asarray(train_x, np.float64), rowvar=False)
    white = frechet_distance_of(features, mean + rng.normal(size=(N_SAMPLES, mean.size)) * np.sqrt(np.trace(cov) / 64),
                                held_out)
    rho = np.array([_spearman(fd[:, j], agg[:, j]) for j in range(n_seeds)])
    rho_beta = np.array([_spearman(fd[:, j], betas) for j in range(n_seeds)])
    evidence = {"rank correlation FD vs KL_agg": rho, "rank correlation FD vs beta": rho_beta,
                "FD white noise / floor": white / float(floor.mean()),
                **{f"FD beta {b:g}": fd[i] for i, b in enumerate(betas)},
                **{f"KL_agg beta {b:g}": agg[i] for i, b in enumerate(betas)}}
    numbers = {"seeds": list(runs.seeds), "betas": betas.tolist(), "n_samples": N_SAMPLES,
               "pca_components": PCA_COMPONENTS, "fd": fd.T.tolist(), "kl_agg": agg.T.tolist(),
               "rank_correlation_fd_kl_agg": rho.tolist(), "rank_correlation_fd_beta": rho_beta.tolist(),
               "fd_data_floor": float(floor.mean()), "fd_floor_sd": float(floor.std(ddof=1)), "fd_white_noise": white}
    figure = {"betas": betas.tolist(), "fd": fd.T.tolist(), "kl_agg": agg.T.tolist(), "floor": float(floor.mean()),
              "floor_sd": float(floor.std(ddof=1)), "white": white}
    return Measurement(evidence, numbers, figure)
