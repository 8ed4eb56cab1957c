"""Linear-Gaussian VAEs trained by stochastic gradient descent (NL26 App. D, trained instead of solved).

The model (one example) is :mod:`toyvae.models.linear`: encoder ``q(z|x) = N(A x, diag s)``, decoder
mean ``W z``, loss ``d_G(x, W z) + beta KL``. Here it becomes an engine Program
(:func:`linear_program`): data ``x ~ N(0, Sigma)`` drawn fresh every step (the large-sample limit;
the Cholesky factor of ``Sigma`` is the program's shared data), Adam with a cosine-decayed step
size, one setting per ``(G, beta)`` knob pair, seeds shared across settings (common random numbers).
At a stationary point the posterior variances satisfy NL26 eq. (46) with the *trained* decoder:
``s_i = beta / (beta + 2 c_i)``, ``c_i = (W^T G W)_ii``.

Distortion-targeted training (MB App. B.2, :func:`train_distortion_targeted`) is the same program
wrapped by :func:`toyvae.engine.distortion_target`: no loop of its own.

Profiles: every sweep declares its sizes and seeds once, in ``SWEEP_PLANS``, ``FIG13_PLANS`` and
``TARGETED_PLANS``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae import _validate
from toyvae.engine import Fit, Program, batch_mean, distortion_target, fit
from toyvae.models.linear import LinearVAE, example_loss, init
from toyvae.profiles import Profile, plan_for
from toyvae.experiments._cache import cached

__all__ = [
    "LinearVAEConfig",
    "LinearVAE",
    "LinearFit",
    "init",
    "example_loss",
    "linear_program",
    "train",
    "dct_basis",
    "difference_features",
    "lambda_metric",
    "matched_rate_beta",
    "SweepSpec",
    "SweepPlan",
    "SWEEP_PLANS",
    "sweep_spec",
    "shared_sweep",
    "Fig13Result",
    "FIG13_PLANS",
    "fig13_experiment",
    "TargetedConfig",
    "TargetedFit",
    "TARGETED_PLANS",
    "train_distortion_targeted",
    "targeted_sweep",
]


@dataclasses.dataclass(frozen=True)
class LinearVAEConfig:
    """Training settings.

    Attributes:
        steps: Adam steps.
        batch: fresh data points per step.
        learning_rate: initial Adam step size, cosine-decayed to ``learning_rate * final_fraction``
            (``final_fraction = 1``: a constant step size).
        final_fraction: see ``learning_rate``.
        train_decoder: when False the decoder stays at its initial value (``W = I`` for NL26 Fig. 13).
        average_last: fraction of the steps at the end over which the parameters are also averaged
            (``LinearFit.averaged``); 0 keeps no average.
    """

    steps: int = 3000
    batch: int = 256
    learning_rate: float = 2e-2
    final_fraction: float = 1e-2
    train_decoder: bool = True
    average_last: float = 0.0

    def __post_init__(self):
        for name in ("steps", "batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.steps % 10:
            raise ValueError(f"steps must be a multiple of 10 (the history block), got {self.steps}")
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be positive and finite, got {self.learning_rate!r}")
        if not (np.isfinite(self.final_fraction) and 0 < self.final_fraction <= 1):
            raise ValueError(f"final_fraction must lie in (0, 1], got {self.final_fraction!r}")
        if not (np.isfinite(self.average_last) and 0 <= self.average_last < 1):
            raise ValueError(f"average_last must lie in [0, 1), got {self.average_last!r}")

    @property
    def average_from(self) -> int | None:
        return None if self.average_last == 0 else int(round(self.steps * (1 - self.average_last)))


@functools.cache
def linear_program(n: int, d: int, batch: int, steps: int, learning_rate: float, final_fraction: float,
                   train_decoder: bool) -> Program:
    """The Program of one linear-Gaussian VAE on ``N(0, Sigma)`` in R^n with d latents (cached).

    Knobs: ``G`` (n x n metric), ``beta``, and optionally ``W0`` (an initial decoder; default a
    random one drawn from the init key). Shared data: ``chol``, a Cholesky factor of ``Sigma``.
    """
    if final_fraction < 1:
        lr = optax.cosine_decay_schedule(learning_rate, steps, alpha=final_fraction)
    else:
        lr = learning_rate

    def init_params(knobs, *, key):
        return init(n, d, key=key, W=knobs.get("W0"))

    def sample(knobs, shared, *, key):
        return jax.random.normal(key, (batch, n)) @ shared["chol"].T

    def loss(params, x, knobs, *, key, step):
        return batch_mean(example_loss, params, x, knobs["G"], knobs["beta"], key=key, train_decoder=train_decoder)

    def optimizer(knobs):
        return optax.adam(lr)

    return Program(name="linear_vae", init=init_params, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(n, d, batch, steps, learning_rate, final_fraction, train_decoder))


class LinearFit(NamedTuple):
    """Trained linear VAEs: float64 parameters with leading axes (settings, seeds), and the engine's Fit."""

    params: LinearVAE
    averaged: LinearVAE | None
    fit: Fit


def _to_numpy(params) -> LinearVAE:
    return LinearVAE(*(np.asarray(a, np.float64) for a in params))


def _cholesky(Sigma: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(Sigma + 1e-12 * np.eye(Sigma.shape[0]))


def _covariance(Sigma) -> np.ndarray:
    """``Sigma`` as a float64 covariance, or a ValueError naming Sigma before any work (not a bare LinAlgError from
    the Cholesky factorisation, nor its silent use of the lower triangle)."""
    Sigma = _validate.as_finite("Sigma", Sigma)
    if Sigma.ndim != 2 or Sigma.shape[0] != Sigma.shape[1]:
        raise ValueError(f"Sigma must be a square matrix, got shape {Sigma.shape}")
    # a covariance, checked here rather than left to the Cholesky factorisation (a bare LinAlgError) or to
    # its silent use of the lower triangle: symmetric to rounding, eigenvalues above -n eps ||Sigma|| (the
    # rounding of a PSD matrix; the factorisation's 1e-12 ridge absorbs those)
    scale = max(float(np.abs(Sigma).max(initial=0.0)), np.finfo(float).tiny)
    if not np.allclose(Sigma, Sigma.T, rtol=1e-10, atol=1e-12 * scale):
        raise ValueError("Sigma must be a symmetric positive semi-definite covariance, got a non-symmetric matrix "
                         f"(largest |Sigma - Sigma^T| = {np.abs(Sigma - Sigma.T).max():.3g})")
    low = float(np.linalg.eigvalsh(0.5 * (Sigma + Sigma.T)).min()) if Sigma.size else 0.0
    if low < -max(Sigma.shape[0], 1) * np.finfo(float).eps * scale:
        raise ValueError(f"Sigma must be a symmetric positive semi-definite covariance, got smallest eigenvalue {low:.3g}")
    try:
        _cholesky(Sigma)
    except np.linalg.LinAlgError as err:  # PSD to rounding, but beyond what the 1e-12 ridge absorbs
        raise ValueError(f"Sigma must be a symmetric positive semi-definite covariance whose Cholesky factor (with a "
                         f"1e-12 ridge) exists; smallest eigenvalue {low:.3g} ({err}): add a ridge") from err
    return Sigma


def train(Sigma, Gs, betas, config: LinearVAEConfig = LinearVAEConfig(), *, d: int | None = None,
          seeds=(0,), W_init=None, progress: bool = False) -> LinearFit:
    """Train one linear VAE per configuration ``(Gs[k], betas[k])`` and seed, as one engine ``fit``.

    Args:
        Sigma: data covariance (n x n, symmetric positive semi-definite).
        Gs: metrics, shape ``(K, n, n)``; betas: KL weights, shape ``(K,)``, each > 0.
        d: latent dimension (default ``n``).
        seeds: training seeds (shared across configurations: common random numbers).
        W_init: optional decoder initial value (n x d), shared by all configurations; with
            ``config.train_decoder=False`` it is kept fixed.

    Returns:
        :class:`LinearFit`: parameters with leading axes (K, seeds), float64; the engine's Fit
        (its history holds the batch loss, distortion and rate per block of 10 steps).
    """
    Sigma = _covariance(Sigma)
    n = Sigma.shape[0]
    Gs = _validate.as_finite("Gs", Gs)
    betas = _validate.positive("betas", betas)
    if Gs.ndim != 3 or Gs.shape[1:] != (n, n) or betas.shape != (Gs.shape[0],):
        raise ValueError(f"Gs must be (K, {n}, {n}) and betas (K,), got {Gs.shape} and {betas.shape}")
    d = n if d is None else int(_validate.dimension("d", d, minimum=1))
    knobs = {"G": jnp.asarray(Gs, jnp.float32), "beta": jnp.asarray(betas, jnp.float32)}
    if W_init is not None:
        W = _validate.as_finite("W_init", W_init)
        if W.shape != (n, d):
            raise ValueError(f"W_init must have shape ({n}, {d}), got {W.shape}")
        knobs["W0"] = jnp.broadcast_to(jnp.asarray(W, jnp.float32), (Gs.shape[0], n, d))
    program = linear_program(n, d, config.batch, config.steps, config.learning_rate, config.final_fraction,
                             config.train_decoder)
    result = fit(program, knobs, seeds, {"chol": jnp.asarray(_cholesky(Sigma), jnp.float32)},
                 steps=config.steps, chunk=min(config.steps, 1000), record_every=10,
                 average_from=config.average_from, progress=progress, desc="linear VAEs")
    averaged = _to_numpy(result.averaged) if result.averaged is not None else None
    return LinearFit(_to_numpy(result.params), averaged, result)


# ---------------------------------------------------------------------------------------------
# The shared sweep behind the NL26 / SL claims (computed once per process and profile).

def dct_basis(n: int) -> np.ndarray:
    """Orthonormal DCT-II basis, columns ordered from low to high frequency."""
    k = np.arange(n)[:, None]
    t = np.arange(n)[None, :]
    C = np.cos(np.pi * (t + 0.5) * k / n) * np.sqrt(2.0 / n)
    C[0] /= np.sqrt(2.0)
    return C.T


def difference_features(n: int) -> np.ndarray:
    """First differences ``(F x)_j = x_{j+1} - x_j`` ((n-1) x n), scaled to spectral norm 1 (an edge filter, L = 1)."""
    F = np.eye(n, k=1)[:-1] - np.eye(n)[:-1]
    return F / np.linalg.norm(F, 2)


class SweepSpec(NamedTuple):
    """Which configurations of the shared sweep serve which claim (index ranges into the K axis)."""

    Sigma: np.ndarray  # data covariance, power-law spectrum k^-2 in the DCT basis
    Gs: np.ndarray  # (K, n, n)
    betas: np.ndarray  # (K,)
    t46: slice  # 3 metrics x 3 betas (NL26.T46-trained)
    rd: slice  # beta sweep with G = I (SL.RD, SL.AggPost)
    c1: slice  # lambda sweep at fixed beta (NL26.C1a)
    c2: slice  # lambda sweep at matched rate (NL26.C2a)
    lambdas: np.ndarray
    metric_names: tuple[str, ...]


SWEEP_N = 8
SWEEP_T46_BETAS = (0.05, 0.2, 0.8)
SWEEP_RD_BETAS = tuple(np.geomspace(0.01, 1.0, 6))
SWEEP_LAMBDAS = (0.0, 0.25, 0.5, 0.75, 1.0)
SWEEP_C1_BETA = 0.05
SWEEP_C2_RATE = 3.0  # nats, the matched rate of NL26.C2a


def lambda_metric(lam: float, F: np.ndarray) -> np.ndarray:
    """``G_lambda = (1 - lambda) I + lambda F^T F``: the metric of ``lambda d_F + (1 - lambda) d_pix``."""
    n = F.shape[1]
    return (1.0 - lam) * np.eye(n) + lam * F.T @ F


def sweep_spec() -> SweepSpec:
    """The configurations (documented in the claim modules).

    Source: ``n = 8`` "signal" with covariance ``C diag(k^-2) C^T`` (``C`` the DCT basis; a 1-D
    analogue of a natural image's 1/f^2 power spectrum). Metrics for NL26.T46: the identity, a
    diagonal ``diag(geomspace(3, 0.3, 8))``, and a random ``B B^T / 8 + 0.1 I`` (``B`` standard
    normal, seed 1). NL26.C1a/C2a use ``G_lambda`` with the first-difference features of
    :func:`difference_features` (spectral norm 1, so ``d_F <= d_pix``).
    """
    from toyvae.theory import rate_distortion as rd  # local: theory is float64 NumPy

    n = SWEEP_N
    C = dct_basis(n)
    Sigma = (C * np.arange(1, n + 1, dtype=float) ** -2.0) @ C.T
    rng = np.random.default_rng(1)
    B = rng.standard_normal((n, n))
    metrics = {"identity": np.eye(n), "diagonal": np.diag(np.geomspace(3.0, 0.3, n)), "random": B @ B.T / n + 0.1 * np.eye(n)}
    Gs, betas = [], []
    for G in metrics.values():
        for b in SWEEP_T46_BETAS:
            Gs.append(G)
            betas.append(b)
    for b in SWEEP_RD_BETAS:
        Gs.append(np.eye(n))
        betas.append(b)
    F = difference_features(n)
    for lam in SWEEP_LAMBDAS:
        Gs.append(lambda_metric(lam, F))
        betas.append(SWEEP_C1_BETA)
    for lam in SWEEP_LAMBDAS:
        G = lambda_metric(lam, F)
        Gs.append(G)
        betas.append(matched_rate_beta(rd.metric_weighted_spectrum(Sigma, G), SWEEP_C2_RATE))
    k0, k1, k2, k3 = 9, 9 + len(SWEEP_RD_BETAS), 9 + len(SWEEP_RD_BETAS) + 5, 9 + len(SWEEP_RD_BETAS) + 10
    return SweepSpec(Sigma, np.array(Gs), np.array(betas), slice(0, k0), slice(k0, k1), slice(k1, k2), slice(k2, k3),
                     np.array(SWEEP_LAMBDAS), tuple(metrics))


def matched_rate_beta(spectrum, rate: float) -> float:
    """The ``beta`` at which the optimal linear-Gaussian VAE has rate ``rate`` (water level ``beta/2``)."""
    from scipy import optimize

    from toyvae.theory import rate_distortion as rd

    mu = np.asarray(spectrum, float)
    f = lambda lb: float(rd.reverse_water_filling(mu, np.exp(lb) / 2).rate) - rate  # noqa: E731
    return float(np.exp(optimize.brentq(f, np.log(mu[mu > 0].min()) - 30, np.log(2 * mu.max()), xtol=1e-13)))


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """Sizes of one linear-VAE sweep in one profile: steps, batch and the training seeds."""

    steps: int
    batch: int
    seeds: tuple[int, ...]


# Three seeds at least for every trained verdict (seeds are the unit of evidence).
SWEEP_PLANS = {Profile.QUICK: SweepPlan(steps=3000, batch=256, seeds=(0, 1, 2)),
               Profile.FULL: SweepPlan(steps=12000, batch=512, seeds=(0, 1, 2, 3, 4))}


class Sweep(NamedTuple):
    """The shared sweep: its specification and the trained models (leading axes: configurations, seeds)."""

    spec: SweepSpec
    params: LinearVAE
    fit: Fit
    plan: SweepPlan


@cached
def shared_sweep(profile: Profile = Profile.QUICK, seed0: int = 0) -> Sweep:
    """Train every configuration of :func:`sweep_spec` for the profile's seeds (offset by ``seed0``), in one call (cached)."""
    plan = plan_for(SWEEP_PLANS, profile)
    plan = dataclasses.replace(plan, seeds=tuple(seed0 + s for s in plan.seeds))
    spec = sweep_spec()
    config = LinearVAEConfig(steps=plan.steps, batch=plan.batch)
    out = train(spec.Sigma, spec.Gs, spec.betas, config, seeds=plan.seeds)
    return Sweep(spec, out.params, out.fit, plan)


FIG13_D = 16
FIG13_TARGET = 4.0  # nats of variance-KL, the common operating point
FIG13_C_ANISO = tuple(np.geomspace(4.0, 0.25, FIG13_D))  # our choice: log-uniform over a factor 16
FIG13_C_ISO = (1.0,) * FIG13_D


FIG13_PLANS = {Profile.QUICK: SweepPlan(steps=1500, batch=128, seeds=(0, 1, 2)),
               Profile.FULL: SweepPlan(steps=12000, batch=512, seeds=(0, 1, 2, 3, 4))}


class Fig13Result(NamedTuple):
    """NL26 Fig. 13 at a matched variance-KL: closed-form and trained posterior variances."""

    c: np.ndarray  # (2, D): isotropic, anisotropic
    betas: np.ndarray  # (2,) from beta_for_variance_kl
    s_closed: np.ndarray  # (2, D)
    s_trained: np.ndarray  # (2, seeds, D)
    seeds: tuple[int, ...]


@cached
def fig13_experiment(profile: Profile = Profile.QUICK, seed0: int = 0) -> Fig13Result:
    """``D = 16``, ``W = I`` (kept fixed), ``G = diag(c)``: isotropic ``c_i = 1`` vs anisotropic
    ``c_i`` log-uniform in ``[0.25, 4]``, each at the ``beta`` whose optimal variance-KL is 4 nats
    (NL26 Theorem 41). Data ``N(0, I)``; only the encoder is trained."""
    from toyvae.theory import linear_gaussian as lg

    plan = plan_for(FIG13_PLANS, profile)
    plan = dataclasses.replace(plan, seeds=tuple(seed0 + s for s in plan.seeds))
    c = np.array([FIG13_C_ISO, FIG13_C_ANISO])
    betas = np.array([lg.beta_for_variance_kl(ci, FIG13_TARGET) for ci in c])
    s_closed = lg.optimal_posterior_variance(c, betas[:, None])
    config = LinearVAEConfig(steps=plan.steps, batch=plan.batch, train_decoder=False)
    out = train(np.eye(FIG13_D), np.array([np.diag(ci) for ci in c]), betas, config, seeds=plan.seeds,
                W_init=np.eye(FIG13_D))
    return Fig13Result(c=c, betas=betas, s_closed=s_closed, s_trained=np.exp(out.params.log_s), seeds=plan.seeds)


# ---------------------------------------------------------------------------------------------
# Distortion-targeted training (MB, App. B.2; Zhao et al. 2018).

@dataclasses.dataclass(frozen=True)
class TargetedConfig:
    """MB App. B.2-B.3: lambda in [1e-4, 0.9999], initialised at 0.9999, Adam(lr 2e-4, betas (0, 0.999)).

    The model's Adam step size departs from the paper's 2e-4 (``model_learning_rate``) so that the
    linear model converges in a few thousand steps. ``average_last``: the final fraction of the
    steps over which the parameters (the multiplier included) are also averaged.
    """

    steps: int = 6000
    batch: int = 256
    model_learning_rate: float = 3e-3
    lambda_learning_rate: float = 2e-4
    lambda_init: float = 0.9999
    lambda_min: float = 1e-4
    lambda_max: float = 0.9999
    average_last: float = 0.2

    def __post_init__(self):
        for name in ("steps", "batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.steps % 10:
            raise ValueError(f"steps must be a multiple of 10 (the history block), got {self.steps}")
        for name in ("model_learning_rate", "lambda_learning_rate"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be positive and finite, got {v!r}")
        if not 0 < self.lambda_min <= self.lambda_init <= self.lambda_max < 1:
            raise ValueError("need 0 < lambda_min <= lambda_init <= lambda_max < 1, got "
                             f"{self.lambda_min}, {self.lambda_init}, {self.lambda_max}")
        if not (np.isfinite(self.average_last) and 0 <= self.average_last < 1):
            raise ValueError(f"average_last must lie in [0, 1), got {self.average_last!r}")


class TargetedFit(NamedTuple):
    """Distortion-targeted linear VAEs (leading axes: targets, seeds).

    ``history`` holds block means over 10 steps of the batch ``distortion``, ``rate``,
    ``multiplier`` (lambda) and ``beta_equivalent`` ((1 - lambda)/lambda), shape (K, seeds, steps/10);
    ``averaged`` / ``averaged_lambda`` are the running means over the last ``average_last`` of the steps.
    """

    params: LinearVAE
    averaged: LinearVAE
    lam: np.ndarray
    averaged_lam: np.ndarray
    history: dict
    fit: Fit


def train_distortion_targeted(Sigma, gammas, config: TargetedConfig = TargetedConfig(), *,
                              seeds=(0,)) -> TargetedFit:
    """Linear-Gaussian VAEs (``G = I``, ``d = n``) trained with the MB distortion-targeted Lagrangian:
    the linear program of :func:`linear_program` wrapped by :func:`toyvae.engine.distortion_target`.

    ``Sigma`` is checked as :func:`train` checks it (a ValueError naming Sigma before any work)."""
    Sigma = _covariance(Sigma)
    gammas = _validate.positive("gammas", np.atleast_1d(gammas))
    n = Sigma.shape[0]
    base = linear_program(n, n, config.batch, config.steps, config.model_learning_rate, 1.0, True)
    program = distortion_target(base, lam_init=config.lambda_init, lam_min=config.lambda_min,
                                lam_max=config.lambda_max, lam_lr=config.lambda_learning_rate)
    K = gammas.size
    knobs = {"G": jnp.broadcast_to(jnp.eye(n, dtype=jnp.float32), (K, n, n)), "beta": jnp.ones(K, jnp.float32),
             "gamma": jnp.asarray(gammas, jnp.float32)}
    average_from = int(round(config.steps * (1 - config.average_last))) if config.average_last else None
    result = fit(program, knobs, seeds, {"chol": jnp.asarray(_cholesky(Sigma), jnp.float32)}, steps=config.steps,
                 chunk=min(config.steps, 2000), record_every=10, average_from=average_from, progress=False,
                 desc="distortion-targeted linear VAEs")
    avg = result.averaged if result.averaged is not None else result.params
    return TargetedFit(params=_to_numpy(result.params["model"]), averaged=_to_numpy(avg["model"]),
                       lam=np.asarray(result.params["dual"], np.float64),
                       averaged_lam=np.asarray(avg["dual"], np.float64),
                       history=result.history, fit=result)


MB_GAMMAS = (0.1, 0.2, 0.4, 0.8)
TARGETED_PLANS = {Profile.QUICK: (TargetedConfig(), (0, 1, 2)),
                  Profile.FULL: (TargetedConfig(steps=40000, batch=512), (0, 1, 2, 3, 4))}


@cached
def targeted_sweep(profile: Profile = Profile.QUICK, seed0: int = 0) -> tuple[np.ndarray, TargetedFit]:
    """The MB sweep: the shared-sweep source, distortion targets ``MB_GAMMAS``, the profile's seeds (offset by ``seed0``; cached)."""
    config, seeds = plan_for(TARGETED_PLANS, profile)
    seeds = tuple(seed0 + s for s in seeds)
    spec = sweep_spec()
    return spec.Sigma, train_distortion_targeted(spec.Sigma, np.array(MB_GAMMAS), config, seeds=seeds)
