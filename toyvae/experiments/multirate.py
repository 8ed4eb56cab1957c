"""One beta-conditioned VAE against one VAE per beta (SL.MultiRate; after Bae et al., ICLR 2023).

The slides trace the rate-distortion curve with one beta-VAE per beta. A Multi-Rate VAE
(:mod:`toyvae.models.multirate`) is ONE network conditioned on ``log beta``, trained with ``log beta`` drawn
per example, uniformly on ``[log BETA_RANGE[0], log BETA_RANGE[1]]``. Both are compared on the Gaussian source
of the shared sweep (``n = 8``, spectrum ``k^-2`` in the DCT basis, :func:`toyvae.experiments.linear_vae.sweep_spec`),
where the optimum at every beta is known in closed form (reverse water-filling at ``theta = beta/2``; a
component is coded only where its variance exceeds ``theta``).

* **Multi-rate**: one engine Program (:func:`multirate_program`), ``plan.steps`` Adam steps of ``plan.batch``
  examples, each with its own beta.
* **Per beta, same budget**: one linear VAE (:func:`toyvae.experiments.linear_vae.train`) per beta of
  ``IN_RANGE_BETAS`` (the betas of the SL.RD sweep), each ``plan.steps / len(IN_RANGE_BETAS)`` steps of the same
  batch size: the same number of steps and examples in all.

Both use Adam with a cosine-decayed step size (``learning_rate`` to ``learning_rate * final_fraction``), so
both are read after an annealed end of training, identically. Evaluation is exact: at each beta the network's
linear VAE ``(A(beta), s(beta), W(beta))`` goes through :func:`toyvae.theory.rate_distortion.linear_vae_parts`
in float64. The measure is the Lagrangian excess

    eps(beta) = [D + beta R](model at beta) / min over all codes [D + beta R] - 1 >= 0,

whose minimum is ``D(theta) + beta R(theta)`` at ``theta = beta/2`` (reverse water-filling). Unlike the gap of the
rate above R(D), it also counts a point of the curve that belongs to another beta. ``CONTROL_BETAS`` lie outside
the training range (the negative control).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae.engine import Fit, Program, batch_mean, fit
from toyvae.experiments import linear_vae as lv
from toyvae.models import multirate
from toyvae.profiles import Profile, plan_for
from toyvae.experiments._cache import cached
from toyvae.theory import rate_distortion as rd

__all__ = [
    "BETA_RANGE",
    "IN_RANGE_BETAS",
    "CONTROL_BETAS",
    "MultiRatePlan",
    "PLANS",
    "multirate_program",
    "MultiRateRun",
    "run",
    "lagrangian_excess",
]

BETA_RANGE = (0.01, 1.0)
IN_RANGE_BETAS = tuple(float(b) for b in lv.SWEEP_RD_BETAS)  # 0.01 .. 1, six betas (SL.RD)
CONTROL_BETAS = (0.001, 10.0)  # outside the training range: a tenth of its bottom, ten times its top


@dataclasses.dataclass(frozen=True)
class MultiRatePlan:
    """Budget (``steps`` for the multi-rate network = the sum of the per-beta models' steps), batch, Adam step
    (cosine-decayed to ``final_fraction`` of it), the hypernetwork's width, seeds."""

    steps: int
    batch: int
    seeds: tuple[int, ...]
    learning_rate: float = 1e-2
    final_fraction: float = 1e-2
    width: int = 32

    def __post_init__(self):
        if self.steps % (10 * len(IN_RANGE_BETAS)):
            raise ValueError(f"steps must split into {len(IN_RANGE_BETAS)} multiples of 10, got {self.steps}")


# Three seeds in the quick profile (the minimum for a trained verdict), five in the full one.
PLANS = {Profile.QUICK: MultiRatePlan(steps=6000, batch=64, seeds=(0, 1, 2)),
         Profile.FULL: MultiRatePlan(steps=24000, batch=256, seeds=(0, 1, 2, 3, 4))}


@functools.cache
def multirate_program(n: int, d: int, width: int, batch: int, steps: int, learning_rate: float,
                      final_fraction: float) -> Program:
    """The multi-rate network on ``N(0, Sigma)`` (shared: ``chol``); knobs ``log_beta_min``, ``log_beta_max`` (cached)."""
    lr = optax.cosine_decay_schedule(learning_rate, steps, alpha=final_fraction)

    def init(knobs, *, key):
        return multirate.init(n, d, width, key=key)

    def sample(knobs, shared, *, key):
        x_key, b_key = jax.random.split(key)
        x = jax.random.normal(x_key, (batch, n)) @ shared["chol"].T
        log_beta = jax.random.uniform(b_key, (batch,), minval=knobs["log_beta_min"], maxval=knobs["log_beta_max"])
        return x, log_beta

    def loss(params, batch_, knobs, *, key, step):
        return batch_mean(multirate.example_loss, params, batch_, key=key)

    def optimizer(knobs):
        return optax.adam(lr)

    return Program(name="multirate_linear_vae", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(n, d, width, batch, steps, learning_rate, final_fraction))


def lagrangian_excess(params: rd.LinearVAEParams, Sigma, beta: float) -> dict:
    """Exact ``D``, ``R``, ``R(D)`` and ``eps = (D + beta R) / (D* + beta R*) - 1`` of a linear VAE at ``beta``."""
    n = Sigma.shape[0]
    mu = rd.metric_weighted_spectrum(Sigma, np.eye(n))
    parts = rd.linear_vae_parts(params, Sigma, np.eye(n))
    best = rd.reverse_water_filling(mu, beta / 2.0)
    optimum = float(best.distortion + beta * best.rate)
    return {"distortion": parts.distortion, "rate": parts.rate,
            "rate_of_distortion": float(rd.rate_distortion(mu, parts.distortion)),
            "excess": (parts.distortion + beta * parts.rate) / optimum - 1.0,
            "optimal_distortion": float(best.distortion), "optimal_rate": float(best.rate)}


class MultiRateRun(NamedTuple):
    """Exact evaluations (per seed) of the multi-rate network at every beta and of the per-beta models.

    ``multi[b][j]`` / ``per_beta[b][j]``: :func:`lagrangian_excess` dicts for beta ``betas[b]`` and seed ``j``
    (``per_beta`` only for ``IN_RANGE_BETAS``); ``seconds``: wall time of each ``fit`` (compilation included).
    """

    Sigma: np.ndarray
    plan: MultiRatePlan
    betas: tuple[float, ...]  # IN_RANGE_BETAS + CONTROL_BETAS
    multi: list
    per_beta: list
    multi_fit: Fit
    per_beta_fit: Fit
    seconds: dict
    curve: dict  # the network's (D, R) along a dense grid of betas, per seed


@jax.jit
def _network_at(params, log_betas):
    """The linear VAE of every seed's network at every beta: leaves (seeds, betas, ...)."""
    return jax.vmap(lambda p: jax.vmap(lambda lb: multirate.at_beta(p, lb))(log_betas))(params)


def _as_params(A, log_s, W) -> rd.LinearVAEParams:
    return rd.LinearVAEParams(A=np.asarray(A, np.float64), s=np.exp(np.asarray(log_s, np.float64)),
                              W=np.asarray(W, np.float64))


@cached
def run(profile: Profile = Profile.QUICK, seed0: int = 0) -> MultiRateRun:
    """Train the multi-rate network and the per-beta models of the profile's plan, evaluate both (cached)."""
    plan = plan_for(PLANS, profile)
    plan = dataclasses.replace(plan, seeds=tuple(seed0 + s for s in plan.seeds))
    Sigma = lv.sweep_spec().Sigma
    n = Sigma.shape[0]
    program = multirate_program(n, n, plan.width, plan.batch, plan.steps, plan.learning_rate, plan.final_fraction)
    knobs = {"log_beta_min": jnp.log(jnp.asarray([BETA_RANGE[0]], jnp.float32)),
             "log_beta_max": jnp.log(jnp.asarray([BETA_RANGE[1]], jnp.float32))}
    chol = jnp.asarray(np.linalg.cholesky(Sigma), jnp.float32)
    multi_fit = fit(program, knobs, plan.seeds, {"chol": chol}, steps=plan.steps, chunk=min(plan.steps, 1000),
                    record_every=10, names=["multi-rate"], progress=False)
    K = len(IN_RANGE_BETAS)
    config = lv.LinearVAEConfig(steps=plan.steps // K, batch=plan.batch, learning_rate=plan.learning_rate,
                                final_fraction=plan.final_fraction)
    per = lv.train(Sigma, np.broadcast_to(np.eye(n), (K, n, n)), np.array(IN_RANGE_BETAS), config, seeds=plan.seeds)

    betas = IN_RANGE_BETAS + CONTROL_BETAS
    params = jax.tree_util.tree_map(lambda a: a[0], multi_fit.params)  # (seeds, ...)
    A, log_s, W = (np.asarray(a) for a in _network_at(params, jnp.log(jnp.asarray(betas, jnp.float32))))
    seeds = range(len(plan.seeds))
    multi = [[lagrangian_excess(_as_params(A[j, b], log_s[j, b], W[j, b]), Sigma, beta) for j in seeds]
             for b, beta in enumerate(betas)]
    p = per.params
    per_beta = [[lagrangian_excess(_as_params(p.A[b, j], p.log_s[b, j], p.W[b, j]), Sigma, beta) for j in seeds]
                for b, beta in enumerate(IN_RANGE_BETAS)]
    grid = np.geomspace(CONTROL_BETAS[0], CONTROL_BETAS[1], 41)
    Ag, log_sg, Wg = (np.asarray(a) for a in _network_at(params, jnp.log(jnp.asarray(grid, jnp.float32))))
    parts = [[rd.linear_vae_parts(_as_params(Ag[j, b], log_sg[j, b], Wg[j, b]), Sigma, np.eye(n)) for b in range(grid.size)]
             for j in seeds]
    curve = {"beta": grid, "distortion": np.array([[q.distortion for q in row] for row in parts]),
             "rate": np.array([[q.rate for q in row] for row in parts])}
    return MultiRateRun(Sigma=Sigma, plan=plan, betas=betas, multi=multi, per_beta=per_beta, multi_fit=multi_fit,
                        per_beta_fit=per.fit, seconds={"multi_rate": multi_fit.seconds, "per_beta": per.fit.seconds},
                        curve=curve)
