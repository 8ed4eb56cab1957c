"""SL.LinRD: the rate-distortion curve with the optimal decoder sigma, Alemi et al.'s line and the ELBO bound.

Closed forms (:mod:`toyvae.theory.gaussian_codes`) on five spectra, checked against the models themselves: for the
optimal linear VAE at each water level (:func:`toyvae.theory.rate_distortion.optimal_linear_vae`, its rate and
distortion computed from its matrices) the negative ELBO at ``sigma^2 = D/n``, the model's exact log-likelihood
``E log N(x; 0, W W^T + sigma^2 I)`` (log-determinants and traces), the source's entropy by a log-determinant of
``2 pi e Sigma`` (a random rotation of the spectrum), and a Monte Carlo ELBO from sampled ``x, z`` with its standard
error. Trained models: the beta-VAEs of the shared linear sweep (G = I, no extra training;
:func:`toyvae.experiments.linear_vae.shared_sweep`) placed with the plug-in optimal sigma, and linear VAEs trained
with a learned decoder variance at beta = 1 (:mod:`toyvae.models.linear_ls`) from two initial variances. Rates in
nats, distortion the total squared error. No statistics, no verdicts.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy import stats

from toyvae.engine import Fit, Program, batch_mean, fit
from toyvae.experiments import linear_vae as lv
from toyvae.experiments._cache import cached
from toyvae.experiments.measurement import Measurement
from toyvae.models import linear_ls
from toyvae.profiles import Profile, plan_for
from toyvae.theory import gaussian_codes as gc
from toyvae.theory import rate_distortion as rd

__all__ = ["LSPlan", "LS_PLANS", "LS_SIGMA2_INIT", "ls_program", "LSRun", "train_learned_sigma", "spectra",
           "exact_elbo", "monte_carlo_elbo", "measure_linrd", "CHORD_DECADES"]

LS_SIGMA2_INIT = (1.0, 1e-3)  # BS20's initial sigma = 1, and a start below every component's variance (1/64)
CHORD_DECADES = 2.0  # the coded stretch over which "linear in D" is tested: two decades of D below n min(mu)


@dataclasses.dataclass(frozen=True)
class LSPlan:
    """Learned-sigma linear VAEs: Adam steps (cosine-decayed step size), fresh points per step, seeds."""

    steps: int
    batch: int
    seeds: tuple[int, ...]
    learning_rate: float = 2e-2
    final_fraction: float = 1e-2


LS_PLANS = {Profile.QUICK: LSPlan(steps=3000, batch=256, seeds=(0, 1, 2)),
            Profile.FULL: LSPlan(steps=12000, batch=512, seeds=(0, 1, 2, 3, 4))}


@functools.cache
def ls_program(n: int, d: int, batch: int, steps: int, learning_rate: float, final_fraction: float) -> Program:
    """The Program of one learned-sigma linear VAE on ``N(0, Sigma)`` (cached). Knobs: ``beta``, ``log_sigma2_0``
    (the initial log decoder variance). Shared data: ``chol``, a Cholesky factor of ``Sigma``."""
    lr = optax.cosine_decay_schedule(learning_rate, steps, alpha=final_fraction)

    def init(knobs, *, key):
        return linear_ls.init(n, d, key=key, log_sigma2=knobs["log_sigma2_0"])

    def sample(knobs, shared, *, key):
        return jax.random.normal(key, (batch, n)) @ shared["chol"].T

    def loss(params, x, knobs, *, key, step):
        return batch_mean(linear_ls.example_loss, params, x, knobs["beta"], key=key)

    def optimizer(knobs):
        return optax.adam(lr)

    return Program(name="linear_ls_vae", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(n, d, batch, steps, learning_rate, final_fraction))


class LSRun(NamedTuple):
    """Trained learned-sigma linear VAEs: float64 parameters with leading axes (initial sigma^2, seeds)."""

    Sigma: np.ndarray
    sigma2_init: tuple[float, ...]
    params: linear_ls.LinearLS
    fit: Fit
    plan: LSPlan


@cached
def train_learned_sigma(profile: Profile = Profile.QUICK, seed0: int = 0) -> LSRun:
    """Linear VAEs with a learned decoder variance (beta = 1, the ELBO) on the shared source (n = d = 8), from each
    initial variance of :data:`LS_SIGMA2_INIT`, for the profile's seeds offset by ``seed0`` (cached)."""
    plan = plan_for(LS_PLANS, profile)
    plan = dataclasses.replace(plan, seeds=tuple(seed0 + s for s in plan.seeds))
    Sigma = lv.sweep_spec().Sigma
    n = Sigma.shape[0]
    program = ls_program(n, n, plan.batch, plan.steps, plan.learning_rate, plan.final_fraction)
    knobs = {"beta": jnp.ones(len(LS_SIGMA2_INIT), jnp.float32),
             "log_sigma2_0": jnp.log(jnp.asarray(LS_SIGMA2_INIT, jnp.float32))}
    chol = np.linalg.cholesky(Sigma + 1e-12 * np.eye(n))
    result = fit(program, knobs, plan.seeds, {"chol": jnp.asarray(chol, jnp.float32)}, steps=plan.steps,
                 chunk=min(plan.steps, 1000), record_every=10, progress=False, desc="learned-sigma linear VAEs",
                 names=[f"sigma0^2 = {s:g}" for s in LS_SIGMA2_INIT])
    params = linear_ls.LinearLS(*(np.asarray(a, np.float64) for a in result.params))
    return LSRun(Sigma, LS_SIGMA2_INIT, params, result, plan)


def spectra() -> dict[str, np.ndarray]:
    """The spectra of the closed-form check: the shared source (k^-2, n = 8) and four random ones (seed 5; n = 3, 8,
    16, 32; log-uniform over three decades), descending."""
    mu = {"shared source (k^-2, n = 8)": np.arange(1, 9, dtype=float) ** -2.0}
    rng = np.random.default_rng(5)
    for n in (3, 8, 16, 32):
        mu[f"random, n = {n}"] = np.sort(10.0 ** rng.uniform(-3, 0, n))[::-1]
    return mu


def _rotated(mu: np.ndarray, seed: int) -> np.ndarray:
    """``Q diag(mu) Q^T`` with a Haar-random rotation ``Q``: a covariance whose spectrum is ``mu``."""
    Q = stats.ortho_group.rvs(mu.size, random_state=seed) if mu.size > 1 else np.ones((1, 1))
    return (Q * mu) @ Q.T


def exact_elbo(params: rd.LinearVAEParams, Sigma) -> dict:
    """From a linear VAE's matrices: rate, distortion, the negative ELBO at ``sigma^2 = D/n`` (written out as
    ``D/(2 sigma^2) + (n/2) log 2 pi sigma^2 + R``), and the model's exact negative log-likelihood
    ``-E log N(x; 0, W W^T + sigma^2 I)`` under ``x ~ N(0, Sigma)``."""
    Sigma = np.asarray(Sigma, np.float64)
    n = Sigma.shape[0]
    p = rd.linear_vae_parts(params, Sigma, np.eye(n))
    s2 = p.distortion / n
    neg_elbo = p.distortion / (2 * s2) + 0.5 * n * np.log(2 * np.pi * s2) + p.rate
    W = np.asarray(params.W, np.float64)
    C = W @ W.T + s2 * np.eye(n)
    neg_loglik = 0.5 * (np.linalg.slogdet(2 * np.pi * C)[1] + np.trace(np.linalg.solve(C, Sigma)))
    return {"rate": p.rate, "distortion": p.distortion, "sigma2": s2, "neg_elbo": float(neg_elbo),
            "neg_loglik": float(neg_loglik)}


def monte_carlo_elbo(params: rd.LinearVAEParams, Sigma, sigma2: float, n_samples: int, seed: int):
    """Mean and standard error of ``-[log N(x; W z, sigma^2 I) + log N(z; 0, I) - log q(z|x)]`` over sampled
    ``x ~ N(0, Sigma)``, ``z ~ q(z|x)``: densities evaluated at the samples (no closed-form algebra)."""
    rng = np.random.default_rng(seed)
    A, s, W = (np.asarray(a, np.float64) for a in params)
    n = Sigma.shape[0]
    x = rng.multivariate_normal(np.zeros(n), Sigma, size=n_samples)
    m = x @ A.T
    z = m + np.sqrt(s) * rng.standard_normal(m.shape)
    log_lik = stats.norm.logpdf(x, z @ W.T, np.sqrt(sigma2)).sum(1)
    log_prior = stats.norm.logpdf(z).sum(1)
    log_post = stats.norm.logpdf(z, m, np.sqrt(s)).sum(1)
    v = -(log_lik + log_prior - log_post)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(n_samples))


def _fig(values, digits: int = 4):
    arr = np.asarray(values, dtype=np.float64)
    flat = [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in arr.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]


def measure_linrd(profile: Profile = Profile.QUICK, seed0: int = 0, n_samples: int = 100_000) -> Measurement:
    """SL.LinRD's evidence (module docstring): per spectrum and water level, the closed-form excess of the optimal
    sigma's negative ELBO over h(X) against the model's own; the trained points' excess; the chord test."""
    coded_gap, formula_gap, lik_gap, dropped, mc_z = [], [], [], [], []
    per_spectrum = {}
    for i, (name, mu) in enumerate(spectra().items()):
        Sigma = _rotated(mu, seed=11 + i)
        n = mu.size
        h = 0.5 * float(np.linalg.slogdet(2 * np.pi * np.e * Sigma)[1])  # oracle: not from the spectrum
        thetas = np.geomspace(mu.min() / 100, 3 * mu.max(), 41)
        excess = gc.elbo_line_excess(mu, thetas)
        rows = []
        for t, e in zip(thetas, excess):
            ex = exact_elbo(rd.optimal_linear_vae(Sigma, np.eye(n), 2 * t), Sigma)
            scale = abs(h) + 1.0
            formula_gap.append(abs(e - (ex["neg_elbo"] - h)) / scale)
            if t < mu.min():
                coded_gap.append(abs(ex["neg_elbo"] - h) / scale)
                lik_gap.append(abs(ex["neg_loglik"] - h) / scale)
            else:
                dropped.append(ex["neg_elbo"] - h)
            rows.append(ex)
        if i == 0:  # Monte Carlo on the shared source: all coded, the first grid level past min(mu), and far past
            past = int(np.argmax(thetas >= mu.min()))
            for j in (10, past, len(thetas) - 12):
                p = rd.optimal_linear_vae(Sigma, np.eye(n), 2 * thetas[j])
                mean, se = monte_carlo_elbo(p, Sigma, rows[j]["sigma2"], n_samples, seed=100 + j)
                mc_z.append(abs(mean - rows[j]["neg_elbo"]) / se)
        per_spectrum[name] = {"n": n, "h": h, "theta": thetas, "excess": excess,
                              "rate": np.array([r["rate"] for r in rows]),
                              "distortion": np.array([r["distortion"] for r in rows])}
    # "linear in D?": on the shared source, R(D) over the coded stretch D in [n min(mu) 10^-2, n min(mu)]
    mu0 = next(iter(spectra().values()))
    n0 = mu0.size
    D_hi = n0 * mu0.min()
    D = np.geomspace(D_hi * 10 ** -CHORD_DECADES, D_hi, 201)
    R = rd.rate_distortion(mu0, D)
    chord = R[0] + (R[-1] - R[0]) * (D - D[0]) / (D[-1] - D[0])
    chord_dev = float(np.max(np.abs(R - chord)) / (R[0] - R[-1]))  # relative to the rate spanned
    h0 = gc.gaussian_entropy(mu0)
    # trained: the shared sweep's beta-VAEs (G = I) with the plug-in optimal sigma, and the learned-sigma VAEs
    sweep = lv.shared_sweep(profile, seed0)
    spec = sweep.spec
    seeds = range(len(sweep.plan.seeds))
    sweep_pts = []
    for k in range(spec.rd.start, spec.rd.stop):
        row = []
        for j in seeds:
            pr = sweep.params
            ex = exact_elbo(rd.LinearVAEParams(pr.A[k, j], np.exp(pr.log_s[k, j]), pr.W[k, j]), spec.Sigma)
            row.append((ex["rate"], ex["distortion"], ex["neg_elbo"] - h0, ex["neg_elbo"] - ex["neg_loglik"]))
        sweep_pts.append(row)
    sweep_pts = np.array(sweep_pts)  # (betas, seeds, 3)
    ls = train_learned_sigma(profile, seed0)
    ls_pts, ls_sigma = [], []
    for c in range(len(ls.sigma2_init)):
        row, sig = [], []
        for j in range(len(ls.plan.seeds)):
            P = ls.params
            ex = exact_elbo(rd.LinearVAEParams(P.A[c, j], np.exp(P.log_s[c, j]), P.W[c, j]), ls.Sigma)
            row.append((ex["rate"], ex["distortion"], ex["neg_elbo"] - h0, ex["neg_elbo"] - ex["neg_loglik"]))
            sig.append(float(np.exp(P.log_sigma2[c, j])) / ex["sigma2"])
        ls_pts.append(row)
        ls_sigma.append(sig)
    ls_pts = np.array(ls_pts)
    evidence = {
        "line gap, every component coded": np.array(coded_gap),
        "closed form vs the model's ELBO": np.array(formula_gap),
        "model log-likelihood vs h(X), every component coded": np.array(lik_gap),
        "Monte Carlo |z| of the ELBO": np.array(mc_z),
        "excess, a component dropped": np.array(dropped),
        "trained excess over h(X)": np.concatenate([sweep_pts[..., 2].ravel(), ls_pts[..., 2].ravel()]),
        "trained -ELBO minus the model's -log-likelihood": np.concatenate([sweep_pts[..., 3].ravel(),
                                                                          ls_pts[..., 3].ravel()]),
        "R(D) chord deviation, coded stretch": chord_dev,
        **{f"relative excess, learned sigma, sigma0^2 = {s:g}": ls_pts[c, :, 2] / ls_pts[c, :, 0]
           for c, s in enumerate(ls.sigma2_init)},
        **{f"learned sigma^2 / (D/n), sigma0^2 = {s:g}": np.array(ls_sigma[c]) for c, s in enumerate(ls.sigma2_init)},
    }
    betas = [float(b) for b in spec.betas[spec.rd]]
    numbers = {
        "entropy_shared_source": h0, "n": n0, "min_mu": float(mu0.min()),
        "spectra": {k: {"n": v["n"], "h": v["h"]} for k, v in per_spectrum.items()},
        "largest_coded_gap": float(max(coded_gap)), "largest_formula_gap": float(max(formula_gap)),
        "smallest_dropped_excess": float(min(dropped)), "monte_carlo_z": mc_z, "n_samples": n_samples,
        "chord_deviation": chord_dev, "sweep_betas": betas,
        "sweep_rate": sweep_pts[..., 0].tolist(), "sweep_distortion": sweep_pts[..., 1].tolist(),
        "sweep_excess": sweep_pts[..., 2].tolist(),
        "smallest_trained_elbo_gap": float(min(sweep_pts[..., 3].min(), ls_pts[..., 3].min())),
        "learned_sigma_init": list(ls.sigma2_init), "learned_rate": ls_pts[..., 0].tolist(),
        "learned_distortion": ls_pts[..., 1].tolist(), "learned_excess": ls_pts[..., 2].tolist(),
        "learned_sigma2_over_mse": ls_sigma, "seeds": list(ls.plan.seeds), "sweep_seeds": list(sweep.plan.seeds),
        "steps": ls.plan.steps,
    }
    s0 = per_spectrum[next(iter(per_spectrum))]
    figure = {
        "n": n0, "entropy": h0, "min_mu": float(mu0.min()),
        "curve_rate": _fig(s0["rate"]), "curve_distortion": _fig(s0["distortion"]),
        "curve_excess": _fig(s0["excess"]),
        "sweep_rate": _fig(sweep_pts[..., 0]), "sweep_distortion": _fig(sweep_pts[..., 1]), "sweep_betas": betas,
        "learned_rate": _fig(ls_pts[..., 0]), "learned_distortion": _fig(ls_pts[..., 1]),
        "learned_sigma_init": list(ls.sigma2_init),
        "chord_D": _fig(D[::10]), "chord_R": _fig(R[::10]),
    }
    return Measurement(evidence=evidence, numbers=numbers, figure_data=figure)
