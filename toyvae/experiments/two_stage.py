"""Two-stage training (MB Sec. 4, eqs. 5-6, Figs. 7-8): a secondary conditional VAE on a trained primary.

Per seed ``k`` one *pipeline*: the primary trained to ``gamma`` for ``plan.primary_steps`` steps, then its
secondary trained to ``gamma~`` for ``plan.steps`` steps on pairs ``(x, x~)``, ``x~`` the decoder mean of the
frozen primary at a posterior sample (MB eq. 5). The single-stage model at ``gamma~`` that it is compared with
is the distortion-targeted run of :mod:`toyvae.experiments.frequency` (seed ``k``), trained for the pipeline's
whole budget, ``primary_steps + steps`` steps (checked: the plans must agree). Every model is read from its
parameters averaged over the final 20% of its own run.

Every secondary is one setting of ONE engine Program per family (no loop here), trained by
:func:`toyvae.engine.distortion_target` (MB App. B.2) like the primaries:

* the frozen primaries of all pipelines travel in ``shared["primaries"]`` (leaves stacked over pipelines),
  and the integer knob ``pipeline`` selects one inside ``sample``;
* the engine trains these settings with one base seed, so that its common random numbers would tie the
  pipelines together; the program therefore folds the pipeline's own seed (knob ``seed``) into every key it
  receives (init, batches, loss noise). Pipelines are then independent, as the unit of evidence must be.

Families (models in :mod:`toyvae.models.two_stage`):

* **linear** (:func:`linear_two_stage`): the Gaussian source of the shared sweep (``n = 8``, spectrum ``k^-2``
  in the DCT basis), primary at ``gamma = 0.4``, secondaries at ``gamma~ = 0.2, 0.1, 0.05`` (Fig. 8's sweep of
  ``gamma~``). Everything is then evaluated in closed form (:mod:`toyvae.theory.successive`).
* **patches** (:func:`patch_two_stage`): 8 x 8 image patches, primary at ``gamma = 4``, secondary at
  ``gamma~ = 2`` (per patch; a patch has total variance 64), evaluated on held-out patches
  (:func:`evaluate_patches`).

ELBO convention (that of the MB.F6 check): a Gaussian decoder at its optimal scalar variance ``sigma^2 = D/n``,
``ELBO = -(n/2) log(2 pi e D / n) - R`` per example, with ``R = R1`` for one stage and ``R = R1 + R2`` for two
(:func:`toyvae.theory.successive.gaussian_elbo`).
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

from toyvae.engine import Fit, Program, apply_models, batch_mean, distortion_target, fit
from toyvae.experiments import frequency as fq
from toyvae.models import two_stage
from toyvae.models.linear import LinearVAE
from toyvae.profiles import Profile, plan_for
from toyvae.experiments._cache import cached
from toyvae.theory import rate_distortion as rd
from toyvae.theory import successive as su

__all__ = [
    "LINEAR_GAMMA",
    "LINEAR_GAMMA_TILDES",
    "PATCH_GAMMA",
    "PATCH_GAMMA_TILDES",
    "SecondaryPlan",
    "LINEAR_PLANS",
    "PATCH_PLANS",
    "linear_primaries",
    "patch_primaries",
    "LinearTwoStage",
    "linear_two_stage",
    "PatchTwoStage",
    "patch_two_stage",
    "evaluate_patches",
]

LINEAR_GAMMA = 0.4
LINEAR_GAMMA_TILDES = (0.2, 0.1, 0.05)
PATCH_GAMMA = 4.0
PATCH_GAMMA_TILDES = (2.0,)


@dataclasses.dataclass(frozen=True)
class SecondaryPlan:
    """Steps of the primaries (``primary_steps``, otherwise the sizes of :mod:`toyvae.experiments.frequency`'s plan)
    and sizes of the secondaries' run. The multiplier starts at 0.9999 (MB App. B.2) with the step
    ``lambda_learning_rate``; parameters are averaged over the final ``average_last`` of the steps.
    """

    primary_steps: int
    steps: int
    batch: int
    learning_rate: float
    lambda_learning_rate: float
    average_last: float = 0.2
    n_samples: int = 1000  # generated samples for the sample change (patches)

    @property
    def average_from(self) -> int:
        return int(round(self.steps * (1 - self.average_last)))


# Each plan trains as many pipelines as its primaries' plan has seeds (at least three).
# primary_steps + steps = the single stage's steps (frequency's plan); the secondaries use the primaries' step sizes.
LINEAR_PLANS = {Profile.QUICK: SecondaryPlan(primary_steps=3000, steps=3000, batch=64, learning_rate=1e-2,
                                             lambda_learning_rate=1e-3),
                Profile.FULL: SecondaryPlan(primary_steps=30000, steps=30000, batch=256, learning_rate=3e-3,
                                            lambda_learning_rate=2e-4)}
PATCH_PLANS = {Profile.QUICK: SecondaryPlan(primary_steps=1000, steps=1000, batch=64, learning_rate=3e-3,
                                            lambda_learning_rate=1e-2),
               Profile.FULL: SecondaryPlan(primary_steps=20000, steps=20000, batch=128, learning_rate=1e-3,
                                           lambda_learning_rate=2e-4, n_samples=4000)}


def _check_budget(plan: SecondaryPlan, single_steps: int, family: str) -> None:
    if plan.primary_steps + plan.steps != single_steps:
        raise ValueError(f"{family}: the single stage's {single_steps} steps must equal the pipeline's "
                         f"{plan.primary_steps} + {plan.steps}")


@cached
def linear_primaries(profile: Profile = Profile.QUICK, seed0: int = 0) -> fq.LinearRun:
    """The primaries at ``LINEAR_GAMMA``: ``primary_steps`` steps of frequency's linear plan (cached)."""
    single = fq.linear_targeted(profile, seed0)
    plan = plan_for(LINEAR_PLANS, profile)
    _check_budget(plan, single.plan.steps, "linear")
    return fq.train_linear((LINEAR_GAMMA,), plan.primary_steps, single.plan)


@cached
def patch_primaries(profile: Profile = Profile.QUICK, seed0: int = 0) -> fq.PatchRun:
    """The primaries at ``PATCH_GAMMA``: ``primary_steps`` steps of frequency's patch plan (cached)."""
    single = fq.patch_targeted(profile, seed0)
    plan = plan_for(PATCH_PLANS, profile)
    _check_budget(plan, single.plan.steps, "patches")
    return fq.train_patches((PATCH_GAMMA,), plan.primary_steps, single.plan)


def _pipeline_key(key, knobs):
    """The engine's key made specific to the pipeline's own seed (module docstring)."""
    return jax.random.fold_in(key, knobs["seed"])


def _primary_of(shared, knobs):
    return jax.tree_util.tree_map(lambda a: a[knobs["pipeline"]], shared["primaries"])


def _pair_loss(example_loss):
    """``example_loss(params, x, x~, beta, key)`` as a loss of one ``(x, x~)`` example for ``batch_mean``."""

    def loss(params, pair, beta, *, key):
        return example_loss(params, pair[0], pair[1], beta, key=key)

    return loss


_LINEAR_PAIR_LOSS = _pair_loss(two_stage.conditional_linear_loss)
_MLP_PAIR_LOSS = _pair_loss(two_stage.conditional_loss)


@functools.cache
def _linear_secondary(n: int, batch: int, learning_rate: float) -> Program:
    """The linear secondary (``d2 = n``) on pairs drawn from the selected frozen primary (cached)."""

    def init(knobs, *, key):
        return two_stage.init_conditional_linear(n, n, key=_pipeline_key(key, knobs))

    def sample(knobs, shared, *, key):
        x_key, z_key = jax.random.split(_pipeline_key(key, knobs))
        x = jax.random.normal(x_key, (batch, n)) @ shared["chol"].T
        primary = _primary_of(shared, knobs)
        x_tilde = jax.vmap(lambda xi, k: two_stage.linear_reconstruction(primary, xi, key=k))(
            x, jax.random.split(z_key, batch))
        return x, x_tilde

    def loss(params, pairs, knobs, *, key, step):
        return batch_mean(_LINEAR_PAIR_LOSS, params, pairs, knobs["beta"], key=_pipeline_key(key, knobs))

    def optimizer(knobs):
        return optax.adam(learning_rate)

    return Program(name="linear_secondary", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(n, batch, learning_rate))


@functools.cache
def _mlp_secondary(n: int, latent: int, width: int, depth: int, batch: int, learning_rate: float) -> Program:
    """The MLP secondary on pairs of training patches and the selected frozen primary's reconstructions (cached)."""

    def init(knobs, *, key):
        return two_stage.init_conditional(_pipeline_key(key, knobs), n, latent, width, depth)

    def sample(knobs, shared, *, key):
        i_key, z_key = jax.random.split(_pipeline_key(key, knobs))
        data = shared["data"]
        x = data[jax.random.randint(i_key, (batch,), 0, data.shape[0])]
        primary = _primary_of(shared, knobs)
        x_tilde = jax.vmap(lambda xi, k: two_stage.reconstruction(primary, xi, key=k))(
            x, jax.random.split(z_key, batch))
        return x, x_tilde

    def loss(params, pairs, knobs, *, key, step):
        return batch_mean(_MLP_PAIR_LOSS, params, pairs, knobs["beta"], key=_pipeline_key(key, knobs))

    def optimizer(knobs):
        return optax.adam(learning_rate)

    return Program(name="mlp_secondary", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(n, latent, width, depth, batch, learning_rate))


def _secondary_knobs(gamma_tildes, seeds):
    """Settings = gamma~ (outer) x pipeline (inner)."""
    rows = [(g, i, s) for g in gamma_tildes for i, s in enumerate(seeds)]
    return ({"gamma": jnp.asarray([r[0] for r in rows], jnp.float32), "beta": jnp.ones(len(rows), jnp.float32),
             "pipeline": jnp.asarray([r[1] for r in rows], jnp.int32),
             "seed": jnp.asarray([r[2] for r in rows], jnp.int32)},
            [f"gamma~ {r[0]:g}, pipeline {r[2]}" for r in rows])


def _per_pipeline(a, n_gt: int, n_seeds: int):
    """(settings, 1, ...) -> (gamma~, pipelines, ...)."""
    a = np.asarray(a)
    return a.reshape((n_gt, n_seeds) + a.shape[2:])


# --- linear ------------------------------------------------------------------------------------------------


class LinearTwoStage(NamedTuple):
    """The linear pipelines, evaluated in closed form (float64; leading axes as stated).

    ``primary`` / ``single`` are :class:`toyvae.theory.rate_distortion.LinearVAEParams` per pipeline
    (``single``: per gamma~ and pipeline); ``secondary``: :class:`toyvae.theory.successive.SecondaryParams`
    per gamma~ and pipeline (parameters averaged over the final ``plan.average_last``).
    """

    Sigma: np.ndarray
    basis: np.ndarray
    gamma: float
    gamma_tildes: tuple[float, ...]
    seeds: tuple[int, ...]
    primary: list
    secondary: list  # [gamma~][pipeline]
    single: list  # [gamma~][pipeline]
    plan: SecondaryPlan
    primaries: fq.LinearRun
    singles: fq.LinearRun
    fit: Fit


def _linear_params(p: LinearVAE, *index) -> rd.LinearVAEParams:
    """One model of a stacked :class:`~toyvae.models.linear.LinearVAE`, as float64 closed-form parameters."""
    A, log_s, W = (np.asarray(a[index], np.float64) for a in p)
    return rd.LinearVAEParams(A=A, s=np.exp(log_s), W=W)


@cached
def linear_two_stage(profile: Profile = Profile.QUICK, seed0: int = 0) -> LinearTwoStage:
    """Primaries at ``LINEAR_GAMMA``, secondaries and single stages at ``LINEAR_GAMMA_TILDES`` (cached)."""
    plan = plan_for(LINEAR_PLANS, profile)
    run = linear_primaries(profile, seed0)
    singles = fq.linear_targeted(profile, seed0)
    seeds = run.plan.seeds
    # the primaries as trained (float32 values), frozen; the closed forms read the same values in float64
    primaries32 = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0], jnp.float32), run.averaged)
    n = run.Sigma.shape[0]
    knobs, names = _secondary_knobs(LINEAR_GAMMA_TILDES, seeds)
    program = distortion_target(_linear_secondary(n, plan.batch, plan.learning_rate),
                                lam_lr=plan.lambda_learning_rate)
    shared = {"chol": jnp.asarray(np.linalg.cholesky(run.Sigma), jnp.float32), "primaries": primaries32}
    result = fit(program, knobs, (0,), shared, steps=plan.steps, chunk=math.gcd(plan.steps, 1000), record_every=10,
                 average_from=plan.average_from, names=names, progress=False)
    sec = jax.tree_util.tree_map(lambda a: _per_pipeline(np.asarray(a, np.float64), len(LINEAR_GAMMA_TILDES),
                                                          len(seeds)), result.averaged["model"])
    primary = [_linear_params(LinearVAE(*primaries32), j) for j in range(len(seeds))]
    secondary = [[su.SecondaryParams(A2=sec.A2[g, j], B2=sec.B2[g, j], s2=np.exp(sec.log_s2[g, j]), P2=sec.P2[g, j],
                                     V2=sec.V2[g, j], W2=sec.W2[g, j]) for j in range(len(seeds))]
                 for g in range(len(LINEAR_GAMMA_TILDES))]
    single = [[_linear_params(singles.averaged, singles.gammas.index(gt), j) for j in range(len(seeds))]
              for gt in LINEAR_GAMMA_TILDES]
    return LinearTwoStage(Sigma=run.Sigma, basis=run.basis, gamma=LINEAR_GAMMA, gamma_tildes=LINEAR_GAMMA_TILDES,
                          seeds=seeds, primary=primary, secondary=secondary, single=single, plan=plan,
                          primaries=run, singles=singles, fit=result)


# --- patches -----------------------------------------------------------------------------------------------


class PatchTwoStage(NamedTuple):
    """The patch pipelines: the primaries' and single stages' runs, the secondaries' fit, the evaluation."""

    gamma: float
    gamma_tildes: tuple[float, ...]
    seeds: tuple[int, ...]
    primaries: fq.PatchRun
    singles: fq.PatchRun
    fit: Fit
    plan: SecondaryPlan
    evaluation: dict


def _eval_primary(params, knobs, shared, *, key):
    """Held-out rate and posterior-sample distortion of one one-stage model (all patches, one key per patch)."""
    model = params["model"]
    x = shared["x"]
    keys = jax.random.split(key, x.shape[0])
    m, log_s = jax.vmap(lambda xi: two_stage.encode(model, xi))(x)
    xhat = jax.vmap(lambda xi, k: two_stage.reconstruction(model, xi, key=k))(x, keys)
    rate = jax.vmap(lambda a, b: two_stage.gaussian_kl(a, b, 0.0, 0.0))(m, log_s)
    return {"rate": rate, "distortion": jnp.sum((x - xhat) ** 2, axis=1)}


@functools.cache
def _secondary_evaluator(n_samples: int):
    """``fn(params, knobs, shared, *, key)`` for ``apply_models``: :func:`_eval_secondary` with ``n_samples``
    generated samples (a cached, hence stable, function)."""
    return functools.partial(_eval_secondary, n_samples=n_samples)


def _eval_secondary(params, knobs, shared, *, key, n_samples: int):
    """Held-out R1, R2, D2 and the sample change of one pipeline's secondary (module docstring).

    Reconstruction: ``x~ = mu1(z)``, ``z ~ q1(z|x)``; ``z2 ~ q2(z2|x, x~)``; ``D2 = |x - mu~(z2, x~)|^2``.
    Generation: ``z ~ N(0, I)``, ``x~ = mu1(z)``, ``z2 ~ p(z2|x~)``, ``delta = mu~(z2, x~) - x~``; the power of
    ``x~`` and of ``delta`` per 2-D DCT coefficient.
    """
    model = params["model"]
    primary = _primary_of(shared, knobs)
    x = shared["x"]
    N = x.shape[0]
    r_key, s_key, g_key, p_key = jax.random.split(key, 4)
    x_tilde = jax.vmap(lambda xi, k: two_stage.reconstruction(primary, xi, key=k))(x, jax.random.split(r_key, N))
    m1, log_s1 = jax.vmap(lambda xi: two_stage.encode(primary, xi))(x)
    rate1 = jax.vmap(lambda a, b: two_stage.gaussian_kl(a, b, 0.0, 0.0))(m1, log_s1)

    def one(xi, xt, k):
        m, log_s = two_stage.conditional_encode(model, xi, xt)
        pm, log_ps = two_stage.conditional_prior(model, xt)
        z2 = m + jnp.exp(0.5 * log_s) * jax.random.normal(k, m.shape)
        return two_stage.gaussian_kl(m, log_s, pm, log_ps), jnp.sum((xi - two_stage.conditional_decode(model, z2, xt)) ** 2)

    rate2, distortion2 = jax.vmap(one)(x, x_tilde, jax.random.split(s_key, N))
    M = n_samples
    latent = m1.shape[1]
    z = jax.random.normal(g_key, (M, latent))
    gen = jax.vmap(lambda zi: two_stage.decode(primary, zi))(z)

    def refine(xt, k):
        pm, log_ps = two_stage.conditional_prior(model, xt)
        z2 = pm + jnp.exp(0.5 * log_ps) * jax.random.normal(k, pm.shape)
        return two_stage.conditional_decode(model, z2, xt)

    final = jax.vmap(refine)(gen, jax.random.split(p_key, M))
    basis = shared["basis"]
    return {"rate1": rate1, "rate2": rate2, "distortion2": distortion2,
            "sample_power": jnp.mean((gen @ basis) ** 2, axis=0), "change_power": jnp.mean(((final - gen) @ basis) ** 2, axis=0),
            "samples": gen[:16], "final": final[:16]}


def evaluate_patches(primaries: fq.PatchRun, singles: fq.PatchRun, secondaries: Fit, shared_primaries,
                     plan: SecondaryPlan) -> dict:
    """Per pipeline (float64): ``primary_*`` (rate, distortion; (pipelines,)), ``single_*`` ((targets, pipelines)),
    ``two_*`` (R1, R2, D2, the power spectra of samples and changes, a few samples; (gamma~, pipelines, ...)).

    Every model sees the same held-out patches, noise and prior draws (``apply_models``' common key).
    """
    x = jnp.asarray(primaries.eval_x)
    one = apply_models(_eval_primary, primaries.fit, {"x": x}, averaged=True)
    single = apply_models(_eval_primary, singles.fit, {"x": x}, averaged=True)
    two = apply_models(_secondary_evaluator(plan.n_samples), secondaries,
                       {"x": x, "primaries": shared_primaries, "basis": jnp.asarray(primaries.basis, jnp.float32)},
                       averaged=True)
    out = {f"primary_{k}": np.asarray(v, np.float64)[0].mean(axis=-1) for k, v in one.items()}
    out.update({f"single_{k}": np.asarray(v, np.float64).mean(axis=-1) for k, v in single.items()})
    n_gt = len(PATCH_GAMMA_TILDES)
    for k, v in two.items():
        v = _per_pipeline(np.asarray(v, np.float64), n_gt, len(primaries.plan.seeds))
        out[f"two_{k}"] = v if k in ("sample_power", "change_power", "samples", "final") else v.mean(axis=-1)
    return out


@cached
def patch_two_stage(profile: Profile = Profile.QUICK, seed0: int = 0) -> PatchTwoStage:
    """Primaries at ``PATCH_GAMMA``, secondaries and single stages at ``PATCH_GAMMA_TILDES``; evaluated on the
    held-out patches (cached)."""
    plan = plan_for(PATCH_PLANS, profile)
    run = patch_primaries(profile, seed0)
    singles = fq.patch_targeted(profile, seed0)
    seeds = run.plan.seeds
    primaries = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0]), run.fit.averaged["model"])
    knobs, names = _secondary_knobs(PATCH_GAMMA_TILDES, seeds)
    p = run.plan
    program = distortion_target(_mlp_secondary(fq.PATCH * fq.PATCH, p.latent, p.width, p.depth, plan.batch,
                                               plan.learning_rate), lam_lr=plan.lambda_learning_rate)
    result = fit(program, knobs, (0,), {"data": jnp.asarray(run.train_x), "primaries": primaries},
                 steps=plan.steps, chunk=math.gcd(plan.steps, 1000), record_every=10, average_from=plan.average_from,
                 names=names, progress=False)
    evaluation = evaluate_patches(run, singles, result, primaries, plan)
    return PatchTwoStage(gamma=PATCH_GAMMA, gamma_tildes=PATCH_GAMMA_TILDES, seeds=seeds, primaries=run,
                         singles=singles, fit=result, plan=plan, evaluation=evaluation)
