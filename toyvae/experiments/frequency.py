"""Distortion-targeted VAEs followed over training: MB Sec. 5 (Figs. 9-10), and the primaries of MB Sec. 4.

MB Sec. 5 says that under distortion targeting (App. B.2) the distortion reaches its target quickly, and that
afterwards, at unchanged distortion, the rate keeps falling while the model trades high-frequency for
low-frequency information. Both are recorded here in the training history (block means over ``record_every``
steps: time averages, not snapshots of a noisy optimiser) of two models, each trained by
:func:`toyvae.engine.distortion_target` (MB's Lagrangian: ``lam`` from 0.9999, Adam(2e-4, betas (0, 0.999)),
projected to [1e-4, 0.9999]); no loop here.

* **Linear-Gaussian** (:func:`linear_targeted`): the shared-sweep source ``x ~ N(0, C diag(k^-2) C^T)``, ``n = 8``,
  ``C`` the DCT-II basis (:func:`toyvae.experiments.linear_vae.dct_basis`), so that eigen-component ``k`` is
  spatial frequency ``k`` and high frequency = high index. Every step also evaluates the current parameters in
  closed form: distortion ``E||x - W z||^2``, rate ``E KL(q(z|x) || N(0, I))`` and the error spectrum
  ``e_k = c_k^T [(I - W A) Sigma (I - W A)^T + W diag(s) W^T] c_k`` (``z`` a posterior sample, as in
  :func:`toyvae.theory.successive.linear_vae_error_spectrum`). The end point is known exactly: the water-filling
  spectrum ``e_k = min(theta, mu_k)`` (:func:`toyvae.theory.successive.optimal_error_spectrum`).
* **Patches** (:func:`patch_targeted`): a Gaussian VAE with residual-MLP encoder and decoder
  (:mod:`toyvae.models.two_stage`) on 8 x 8 grey patches of scikit-learn's sample images
  (:func:`toyvae.data.patches.image_patches`, standardised: the total variance of a patch is 64). Every step
  records the power of the training batch's reconstruction error (posterior-sample reconstruction, the targeted
  quantity) in each coefficient of the orthonormal 2-D DCT of the patch. "High frequencies" are the 28
  coefficients ``(u, v)`` with ``u + v >= 8`` (below the anti-diagonal of the 8 x 8 DCT square; the other 36
  are "low").

These runs are also the single-stage models (at ``gamma~``) of the two-stage experiment
(:mod:`toyvae.experiments.two_stage`), whose primaries are shorter runs of the same programs
(:func:`train_linear`, :func:`train_patches`); parameters are averaged over the final ``average_last`` of the
steps (``fit(average_from=...)``). Sizes and seeds per profile: ``LINEAR_PLANS``, ``PATCH_PLANS``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae.data import patches
from toyvae.engine import Fit, Program, batch_mean, distortion_target, fit
from toyvae.experiments.linear_vae import dct_basis, sweep_spec
from toyvae.models import linear, two_stage
from toyvae.profiles import Profile, plan_for
from toyvae.experiments._cache import cached

__all__ = [
    "LinearPlan",
    "LINEAR_PLANS",
    "LINEAR_GAMMAS",
    "LINEAR_CUTOFF",
    "LinearRun",
    "linear_program",
    "train_linear",
    "linear_targeted",
    "PatchPlan",
    "PATCH_PLANS",
    "PATCH_GAMMAS",
    "PATCH",
    "dct2_basis",
    "high_frequency_mask",
    "patch_data",
    "patch_program",
    "PatchRun",
    "train_patches",
    "patch_targeted",
]

# --- the linear-Gaussian model -----------------------------------------------------------------------------

LINEAR_GAMMAS = (0.05, 0.1, 0.2, 0.4)  # distortion targets; 0.4 is the two-stage primary, the rest its gamma~
LINEAR_CUTOFF = 4  # DCT components k >= 4 of n = 8 are "high frequency"


@dataclasses.dataclass(frozen=True)
class LinearPlan:
    """Sizes of the linear distortion-targeted runs.

    ``model_learning_rate`` departs from MB's 2e-4 (as :class:`toyvae.experiments.linear_vae.TargetedConfig`
    does) so that the linear model converges in thousands of steps; the multiplier uses Adam(betas (0, 0.999))
    with the step ``lambda_learning_rate`` (MB: 2e-4). ``average_last``: final fraction of the steps over which
    the parameters are averaged (the primaries and single-stage models of the two-stage experiment).
    """

    steps: int
    batch: int
    seeds: tuple[int, ...]
    model_learning_rate: float = 1e-2
    lambda_learning_rate: float = 2e-4
    average_last: float = 0.2

    @property
    def average_from(self) -> int:
        return int(round(self.steps * (1 - self.average_last)))


# Three seeds in the quick profile (the minimum for a trained verdict; a paired t needs 4.30), five in the full one
# (2.78); three keep the quick run of MB.2stage, MB.S5 and SL.MultiRate near a minute on two cores.
# The quick profile raises the multiplier's step to 1e-3 (linear) and 1e-2 (patches) from MB's 2e-4 so that the
# multiplier reaches its fixed point within the short runs; the full profile keeps MB's 2e-4.
LINEAR_PLANS = {Profile.QUICK: LinearPlan(steps=6000, batch=64, seeds=(0, 1, 2), lambda_learning_rate=1e-3),
                Profile.FULL: LinearPlan(steps=60000, batch=256, seeds=(0, 1, 2, 3, 4), model_learning_rate=3e-3)}


@functools.cache
def _linear_base(n: int, batch: int, learning_rate: float) -> Program:
    """The linear VAE (``G = I``, ``d = n``) whose aux also holds the exact error spectrum (cached).

    Knobs: ``beta`` (unused under distortion targeting), ``Sigma`` (n x n) and ``basis`` (n x n, orthonormal
    columns). Aux, besides the batch ``distortion`` and ``rate`` that the multiplier reads: ``exact_distortion``,
    ``exact_rate`` and ``error_spectrum`` of the current parameters in closed form (module docstring).
    """

    def init(knobs, *, key):
        return linear.init(n, n, key=key)

    def sample(knobs, shared, *, key):
        return jax.random.normal(key, (batch, n)) @ shared["chol"].T

    def loss(params, x, knobs, *, key, step):
        value, aux = batch_mean(linear.example_loss, params, x, jnp.eye(n), knobs["beta"], key=key)
        Sigma, C = knobs["Sigma"], knobs["basis"]
        p = jax.lax.stop_gradient(params)
        s = jnp.exp(p.log_s)
        R = jnp.eye(n) - p.W @ p.A
        E = R @ Sigma @ R.T + (p.W * s) @ p.W.T
        exact_rate = 0.5 * jnp.trace(p.A @ Sigma @ p.A.T) + 0.5 * jnp.sum(s - 1.0 - p.log_s)
        return value, {**aux, "exact_distortion": jnp.trace(E), "exact_rate": exact_rate,
                       "error_spectrum": jnp.einsum("ik,ij,jk->k", C, E, C)}

    def optimizer(knobs):
        return optax.adam(learning_rate)

    return Program(name="linear_vae_spectrum", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(n, batch, learning_rate))


class LinearRun(NamedTuple):
    """Distortion-targeted linear VAEs (leading axes: targets, seeds).

    ``fit.history`` holds block means (10 steps) of the batch ``distortion``/``rate``, the exact
    ``exact_distortion``/``exact_rate``/``error_spectrum`` (last axis: DCT components, low to high frequency),
    ``multiplier`` and ``beta_equivalent``; ``averaged``: parameters averaged over the final
    ``plan.average_last`` of the steps (float64 numpy :class:`~toyvae.models.linear.LinearVAE`).
    """

    Sigma: np.ndarray
    basis: np.ndarray  # DCT-II, columns from low to high frequency (the eigenbasis of Sigma)
    spectrum: np.ndarray  # mu_k = c_k^T Sigma c_k = k^-2
    gammas: tuple[float, ...]
    plan: LinearPlan
    fit: Fit
    averaged: linear.LinearVAE


def linear_program(plan: LinearPlan) -> Program:
    """The distortion-targeted linear VAE of a plan (cached through its factories)."""
    return distortion_target(_linear_base(sweep_spec().Sigma.shape[0], plan.batch, plan.model_learning_rate),
                             lam_lr=plan.lambda_learning_rate)


def train_linear(gammas, steps: int, plan: LinearPlan) -> LinearRun:
    """One ``fit``: the targets ``gammas`` x ``plan.seeds`` for ``steps`` steps on the shared-sweep source."""
    plan = dataclasses.replace(plan, steps=steps)
    Sigma = sweep_spec().Sigma
    n = Sigma.shape[0]
    C = dct_basis(n)
    K = len(gammas)
    knobs = {"beta": jnp.ones(K, jnp.float32), "gamma": jnp.asarray(gammas, jnp.float32),
             "Sigma": jnp.broadcast_to(jnp.asarray(Sigma, jnp.float32), (K, n, n)),
             "basis": jnp.broadcast_to(jnp.asarray(C, jnp.float32), (K, n, n))}
    result = fit(linear_program(plan), knobs, plan.seeds,
                 {"chol": jnp.asarray(np.linalg.cholesky(Sigma), jnp.float32)}, steps=steps, chunk=math.gcd(steps, 1000),
                 record_every=10, average_from=plan.average_from, names=[f"gamma {g:g}" for g in gammas],
                 progress=False)
    averaged = linear.LinearVAE(*(np.asarray(a, np.float64) for a in result.averaged["model"]))
    return LinearRun(Sigma=Sigma, basis=C, spectrum=np.einsum("ik,ij,jk->k", C, Sigma, C), gammas=tuple(gammas),
                     plan=plan, fit=result, averaged=averaged)


@cached
def linear_targeted(profile: Profile = Profile.QUICK, seed0: int = 0) -> LinearRun:
    """Every target of ``LINEAR_GAMMAS`` x the profile's seeds (offset by ``seed0``), one ``fit`` (cached)."""
    plan = plan_for(LINEAR_PLANS, profile)
    plan = dataclasses.replace(plan, seeds=tuple(seed0 + s for s in plan.seeds))
    return train_linear(LINEAR_GAMMAS, plan.steps, plan)


# --- patches -----------------------------------------------------------------------------------------------

PATCH = 8
PATCH_GAMMAS = (2.0, 4.0)  # per patch (total variance 64): the single stage at gamma~ = 2, the primary at gamma = 4


@dataclasses.dataclass(frozen=True)
class PatchPlan:
    """Sizes of the patch runs (residual MLPs of ``depth`` blocks of ``width``; ``latent`` latents).

    The multiplier uses Adam(betas (0, 0.999)) with the step ``lambda_learning_rate`` (MB: 2e-4); the model's
    Adam step (MB: 2e-4) is raised to ``learning_rate`` to train in thousands of steps. ``n_eval`` held-out
    patches serve the two-stage evaluation.
    """

    steps: int
    batch: int
    seeds: tuple[int, ...]
    latent: int = 16
    width: int = 64
    depth: int = 1
    learning_rate: float = 3e-3
    lambda_learning_rate: float = 2e-4
    n_train: int = 20000
    n_eval: int = 1000
    average_last: float = 0.2

    @property
    def average_from(self) -> int:
        return int(round(self.steps * (1 - self.average_last)))


PATCH_PLANS = {Profile.QUICK: PatchPlan(steps=2000, batch=64, seeds=(0, 1, 2), lambda_learning_rate=1e-2),
               Profile.FULL: PatchPlan(steps=40000, batch=128, seeds=(0, 1, 2, 3, 4), width=128, n_train=50000,
                                       n_eval=4000)}


def dct2_basis(size: int = PATCH) -> np.ndarray:
    """Orthonormal 2-D DCT-II basis of ``size x size`` patches: column ``u size + v`` is frequency ``(u, v)``."""
    C = dct_basis(size)
    return np.kron(C, C)


def high_frequency_mask(size: int = PATCH) -> np.ndarray:
    """Boolean over the columns of :func:`dct2_basis`: ``u + v >= size`` (the module docstring's high half)."""
    u, v = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return (u + v >= size).ravel()


@functools.cache
def _patch_base(n: int, latent: int, width: int, depth: int, batch: int, learning_rate: float) -> Program:
    """The MLP Gaussian VAE on patches; its aux holds the batch's error power per 2-D DCT coefficient (cached)."""
    basis = jnp.asarray(dct2_basis(int(round(np.sqrt(n)))), jnp.float32)

    def init(knobs, *, key):
        return two_stage.init_vae(key, n, latent, width, depth)

    def sample(knobs, shared, *, key):
        data = shared["data"]
        return data[jax.random.randint(key, (batch,), 0, data.shape[0])]

    def loss(params, x, knobs, *, key, step):
        return batch_mean(two_stage.vae_loss, params, x, knobs["beta"], key=key, basis=basis)

    def optimizer(knobs):
        return optax.adam(learning_rate)

    return Program(name="patch_gaussian_vae", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(n, latent, width, depth, batch, learning_rate))


def patch_program(plan: PatchPlan) -> Program:
    """The distortion-targeted patch VAE of a plan (cached through its factories)."""
    base = _patch_base(PATCH * PATCH, plan.latent, plan.width, plan.depth, plan.batch, plan.learning_rate)
    return distortion_target(base, lam_lr=plan.lambda_learning_rate)


@functools.cache
def patch_data(n_train: int, n_eval: int) -> tuple[np.ndarray, np.ndarray]:
    """Training patches (seed 0) and held-out patches (seed 1000), both standardised (float32)."""
    return patches.image_patches(n_train, PATCH, seed=0), patches.image_patches(n_eval, PATCH, seed=1000)


class PatchRun(NamedTuple):
    """Distortion-targeted patch VAEs (leading axes: targets, seeds).

    ``fit.history``: block means (10 steps) of the batch ``distortion``, ``rate``, ``error_spectrum`` (64, the
    columns of ``basis``), ``multiplier``, ``beta_equivalent``; ``fit.averaged["model"]``: parameters averaged
    over the final ``plan.average_last`` of the steps.
    """

    gammas: tuple[float, ...]
    plan: PatchPlan
    fit: Fit
    basis: np.ndarray
    high: np.ndarray
    train_x: np.ndarray
    eval_x: np.ndarray


def train_patches(gammas, steps: int, plan: PatchPlan) -> PatchRun:
    """One ``fit``: the targets ``gammas`` x ``plan.seeds`` for ``steps`` steps on the training patches."""
    plan = dataclasses.replace(plan, steps=steps)
    train_x, eval_x = patch_data(plan.n_train, plan.n_eval)
    K = len(gammas)
    knobs = {"beta": jnp.ones(K, jnp.float32), "gamma": jnp.asarray(gammas, jnp.float32)}
    result = fit(patch_program(plan), knobs, plan.seeds, {"data": jnp.asarray(train_x)}, steps=steps,
                 chunk=math.gcd(steps, 1000), record_every=10, average_from=plan.average_from,
                 names=[f"gamma {g:g}" for g in gammas], progress=False)
    return PatchRun(gammas=tuple(gammas), plan=plan, fit=result, basis=dct2_basis(), high=high_frequency_mask(),
                    train_x=train_x, eval_x=eval_x)


@cached
def patch_targeted(profile: Profile = Profile.QUICK, seed0: int = 0) -> PatchRun:
    """Every target of ``PATCH_GAMMAS`` x the profile's seeds (offset by ``seed0``), one ``fit`` (cached)."""
    plan = plan_for(PATCH_PLANS, profile)
    plan = dataclasses.replace(plan, seeds=tuple(seed0 + s for s in plan.seeds))
    return train_patches(PATCH_GAMMAS, plan.steps, plan)
