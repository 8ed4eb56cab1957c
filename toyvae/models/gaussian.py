"""The Gaussian VAE of Berger & Sebag 2020 for ONE example, whatever its encoder and decoder networks.

Generative model p(z) = N(0, I_d), p(x|z) = N(mu(z), diag sigma^2); inference model
q(z|x) = N(m(x), diag s(x)) with s the posterior variance. The decoder sigma is one of

* ``Mode.GIVEN``  - sigma is given from outside (a knob, possibly one value per step): a constant is
  the F-VAE (fixed sigma, Sec. 4.1 i), a recorded trajectory is the scheduled F-VAE of App. A.2;
* ``Mode.SCALAR`` - one learned scalar ``params["log_sigma"]`` (LS-VAE, eq. 10);
* ``Mode.VECTOR`` - a per-dimension sigma(z) output by the decoder network (LV-VAE, eq. 11).

Every model of a family carries the same parameter pytree (the decoder always outputs the raw
log-sigma map, the scalar is always there), so settings of different modes share shapes and train
together; parameters a mode does not use get zero gradients, and Adam leaves them unchanged.

**Sigma floor.** A learned sigma is ``sigma = sqrt(exp(2 a) + floor^2)`` with ``a`` the free
parameter (or network output): a smooth lower bound ``sigma > floor``. Without it (floor = 0)
nothing stops sigma -> 0 where the decoder fits the data exactly (zero-noise regions, overfitted
points, constant pixels): the ``D log sigma`` term of eq. 10 then rewards shrinking sigma without
limit and the loss diverges to -infinity (tests/test_engine.py shows it on noiseless data).

Negative ELBO of one example, eq. 3 with a KL weight ``lam`` (Sec. 3.2; lam = 1 is the VAE):

    loss = -log N(x; mu(z), diag sigma^2) + lam * KL(q(z|x) || N(0, I)),   z ~ q(z|x),
    -log N(x; mu, diag sigma^2) = sum_i [(x_i - mu_i)^2 / (2 sigma_i^2) + log sigma_i + log(2 pi)/2],
    KL = 1/2 ||m||^2 + sum_j g(s_j),   g(s) = 1/2 (s - 1 - log s)    (claims.md convention),

with ALL constants, so that fixed and learned sigma compare in the same nats.

A family is given by two functions of its parameters: ``encode(params, x) -> (m, s)`` and
``decode_raw(params, z) -> (mu, a)`` (``a`` the raw log-sigma map, shaped like ``mu``); images and
vectors alike (sums run over every pixel). :func:`negative_elbo` and :func:`point_bounds` take them.
"""

from __future__ import annotations

import enum
import math

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp
from jax.scipy.stats import norm

__all__ = [
    "Mode",
    "HALF_LOG_2PI",
    "floored_sigma",
    "scalar_log_sigma_init",
    "decoder_sigma",
    "gaussian_nll",
    "kl_standard_normal",
    "kl_diagonal",
    "negative_elbo",
    "point_bounds",
]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class Mode(enum.IntEnum):
    """How the decoder sigma is obtained (see the module docstring)."""

    GIVEN = 0
    SCALAR = 1
    VECTOR = 2


def floored_sigma(a: jax.Array, floor: float) -> jax.Array:
    """sqrt(exp(2 a) + floor^2): a smooth sigma > floor; floor = 0 gives exp(a) exactly."""
    return jnp.sqrt(jnp.exp(2.0 * a) + floor**2)


def scalar_log_sigma_init(sigma0, floor: float) -> jax.Array:
    """The raw scalar ``a`` with ``floored_sigma(a, floor) = sigma0`` (``sigma0 > floor``)."""
    return 0.5 * jnp.log(jnp.square(jnp.asarray(sigma0, jnp.float32)) - floor**2)


def decoder_sigma(mode, a: jax.Array, log_sigma: jax.Array, given_sigma, floor: float) -> jax.Array:
    """sigma of p(x|z), shaped like ``a``; ``mode`` may be a traced integer (vmapped settings)."""
    vector = floored_sigma(a, floor)
    scalar = floored_sigma(log_sigma, floor) * jnp.ones_like(a)
    given = given_sigma * jnp.ones_like(a)
    return jnp.where(mode == Mode.VECTOR, vector, jnp.where(mode == Mode.SCALAR, scalar, given))


def gaussian_nll(x: jax.Array, mu: jax.Array, sigma: jax.Array) -> jax.Array:
    """-log N(x; mu, diag sigma^2) in nats, all constants (eq. 11 plus (D/2) log 2 pi)."""
    return jnp.sum(0.5 * jnp.square((x - mu) / sigma) + jnp.log(sigma) + HALF_LOG_2PI)


def kl_standard_normal(m: jax.Array, s: jax.Array, log_s: jax.Array | None = None, *,
                       dot: bool = False) -> jax.Array:
    """KL(N(m, diag s) || N(0, I)) = 1/2 ||m||^2 + sum_j g(s_j), g(s) = (s - 1 - log s)/2, in nats.

    The one Gaussian KL of the models (``m``: the posterior mean of ONE example, ``s``: its
    posterior variances). Two options choose how float32 evaluates the same formula, so that
    every model keeps the exact bits its trained verdicts were computed with:

    * ``log_s``: ``log s`` when the caller has it (a model parameterised by log-variances): it is
      used as given, not recomputed as ``log(s)``.
    * ``dot``: ``||m||^2`` as the inner product ``m @ m`` (the linear models) instead of
      ``sum(square(m))``; the two round differently in the last bits. ``m`` must then be 1-D.

    A KL to ``N(p, I)`` is this KL of ``m - p`` (:func:`toyvae.models.two_stage.conditional_linear_loss`);
    a KL between two diagonal Gaussians is :func:`kl_diagonal`.
    """
    # the operations in the order every model computed them before (the same jaxpr; tests/test_conformance.py)
    mean_part = 0.5 * m @ m if dot else 0.5 * jnp.sum(jnp.square(m))  # dot: (0.5 m) @ m
    return mean_part + 0.5 * jnp.sum(s - 1.0 - (jnp.log(s) if log_s is None else log_s))


def kl_diagonal(m: jax.Array, log_s: jax.Array, pm, log_ps) -> jax.Array:
    """``KL(N(m, diag e^log_s) || N(pm, diag e^log_ps))`` in nats (the conditional prior of a secondary VAE).

    ``= 1/2 sum_i [log_ps - log_s + (e^log_s + (m - pm)^2) / e^log_ps - 1]``; with ``pm = 0, log_ps = 0`` it is
    :func:`kl_standard_normal` mathematically, evaluated in another order (the MLP two-stage models keep it).
    """
    return 0.5 * jnp.sum(log_ps - log_s + (jnp.exp(log_s) + (m - pm) ** 2) * jnp.exp(-log_ps) - 1.0)


def negative_elbo(encode, decode_raw, params: dict, x: jax.Array, key: jax.Array, mode, given_sigma,
                  kl_weight, floor: float):
    """One-sample negative ELBO of one example: (loss, aux).

    aux: ``distortion`` = -log p(x|z) at one reparameterised z = m + sqrt(s) * eps; ``rate`` = KL
    (exact); ``sigma`` = the mean decoder sigma; ``sq_err`` = ||x - mu(z)||^2 / D, the squared error
    per dimension that eq. 10's optimal scalar sigma^2 equals.
    """
    m, s = encode(params, x)
    eps = jax.random.normal(key, m.shape, m.dtype)
    z = m + jnp.sqrt(s) * eps
    mu, a = decode_raw(params, z)
    sigma = decoder_sigma(mode, a, params["log_sigma"], given_sigma, floor)
    distortion = gaussian_nll(x, mu, sigma)
    rate = kl_standard_normal(m, s)
    aux = {"distortion": distortion, "rate": rate, "sigma": jnp.mean(sigma), "sq_err": jnp.mean(jnp.square(x - mu))}
    return distortion + kl_weight * rate, aux


def point_bounds(encode, decode_raw, params, x, key, mode, sigma, floor: float, k: int):
    """(elbo, iwae, rate, distortion, sq_err_per_dim) of ONE point x with k posterior samples.

    ELBO = mean_k log p(x|z_k) - KL (exact); IWAE_k = log mean_k p(x|z_k) p(z_k) / q(z_k|x)
    (Burda et al. 2016: >= ELBO on average, -> log p(x) as k grows); sq_err per dimension is
    what eq. 10's optimal sigma^2 equals.
    """
    m, s = encode(params, x)
    z = m + jnp.sqrt(s) * jax.random.normal(key, (k,) + m.shape, m.dtype)

    def one(zk):
        mu, a = decode_raw(params, zk)
        sig = decoder_sigma(mode, a, params["log_sigma"], sigma, floor)
        return -gaussian_nll(x, mu, sig), jnp.sum(jnp.square(x - mu))

    log_px_z, sq = jax.vmap(one)(z)
    log_pz = jnp.sum(norm.logpdf(z), axis=-1)
    log_qz = jnp.sum(norm.logpdf(z, m, jnp.sqrt(s)), axis=-1)
    rate = kl_standard_normal(m, s)
    elbo = jnp.mean(log_px_z) - rate
    iwae = logsumexp(log_px_z + log_pz - log_qz) - math.log(k)
    return jnp.stack([elbo, iwae, rate, -jnp.mean(log_px_z), jnp.mean(sq) / x.size])
