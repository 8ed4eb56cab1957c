"""Gaussian VAE for ONE example, with the decoder-sigma variants of Berger & Sebag 2020.

Generative model p(z) = N(0, I_d), p(x|z) = N(mu(z), diag sigma^2); inference model
q(z|x) = N(m(x), diag s(x)) with s the posterior variance. The decoder sigma is one of

* ``Mode.GIVEN``  - sigma is given from outside, one value per training step: a constant is the
  F-VAE (fixed sigma, Sec. 4.1 i), a recorded trajectory is the scheduled F-VAE of App. A.2;
* ``Mode.SCALAR`` - one learned scalar, initialised at 1 (LS-VAE, eq. 10);
* ``Mode.VECTOR`` - a per-dimension sigma(z) output by the decoder network (LV-VAE, eq. 11).

Every model carries the same parameter pytree (the decoder always outputs 2D numbers, the
scalar is always there), so settings of different modes share shapes and train together under
one ``vmap``; parameters a mode does not use get zero gradients, and Adam leaves them unchanged.

**Sigma floor.** A learned sigma is ``sigma = sqrt(exp(2 a) + floor^2)`` with ``a`` the free
parameter (or network output): a smooth lower bound ``sigma > floor``. Without it (floor = 0)
nothing stops sigma -> 0 where the decoder fits the data exactly (zero-noise regions,
overfitted points): the ``D log sigma`` term of eq. 10 then rewards shrinking sigma without
limit and the loss diverges to -infinity (tests/test_engine.py shows it on noiseless data).

Negative ELBO of one example, eq. 3 with a KL weight ``lam`` (Sec. 3.2; lam = 1 is the VAE):

    loss = -log N(x; mu(z), diag sigma^2) + lam * KL(q(z|x) || N(0, I)),   z ~ q(z|x),
    -log N(x; mu, diag sigma^2) = sum_i [(x_i - mu_i)^2 / (2 sigma_i^2) + log sigma_i + log(2 pi)/2],
    KL = 1/2 ||m||^2 + sum_j g(s_j),   g(s) = 1/2 (s - 1 - log s)    (claims.md convention),

with ALL constants, so that fixed and learned sigma compare in the same nats.
"""

from __future__ import annotations

import enum
import math

import jax
import jax.numpy as jnp

from toyvae.engine.nets import init_resnet, resnet

__all__ = [
    "Mode",
    "init_vae",
    "encode",
    "decode",
    "floored_sigma",
    "gaussian_nll",
    "kl_standard_normal",
    "negative_elbo",
]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class Mode(enum.IntEnum):
    """How the decoder sigma is obtained (see the module docstring)."""

    GIVEN = 0
    SCALAR = 1
    VECTOR = 2


def init_vae(key: jax.Array, data_dim: int, latent_dim: int, width: int, depth: int,
             sigma_floor: float = 0.0) -> dict:
    """Parameters ``{"enc", "dec", "log_sigma"}`` of one VAE.

    The encoder outputs (m, log s) (2 * latent_dim numbers), the decoder (mu, a) (2 * data_dim
    numbers, ``a`` the raw log-sigma of ``Mode.VECTOR``). ``log_sigma`` is the raw scalar of
    ``Mode.SCALAR``, set so that the floored sigma starts at exactly 1 (LS-VAE, Sec. 4.1 ii).
    """
    enc_key, dec_key = jax.random.split(key)
    return {
        "enc": init_resnet(enc_key, data_dim, 2 * latent_dim, width, depth),
        "dec": init_resnet(dec_key, latent_dim, 2 * data_dim, width, depth),
        "log_sigma": jnp.asarray(0.5 * math.log1p(-(sigma_floor**2)), jnp.float32),
    }


def encode(params: dict, x: jax.Array):
    """(m, s): mean and variance of q(z|x) for one x."""
    out = resnet(params["enc"], x)
    m, log_s = jnp.split(out, 2)
    return m, jnp.exp(log_s)


def floored_sigma(a: jax.Array, floor: float) -> jax.Array:
    """sqrt(exp(2 a) + floor^2): a smooth sigma > floor; floor = 0 gives exp(a) exactly."""
    return jnp.sqrt(jnp.exp(2.0 * a) + floor**2)


def decode(params: dict, z: jax.Array, mode: jax.Array, given_sigma: jax.Array, floor: float):
    """(mu, sigma) of p(x|z) for one z; ``mode`` may be a traced integer (vmapped settings)."""
    out = resnet(params["dec"], z)
    mu, a = jnp.split(out, 2)
    sigma_vector = floored_sigma(a, floor)
    sigma_scalar = floored_sigma(params["log_sigma"], floor) * jnp.ones_like(mu)
    sigma = jnp.where(mode == Mode.VECTOR, sigma_vector,
                      jnp.where(mode == Mode.SCALAR, sigma_scalar, given_sigma * jnp.ones_like(mu)))
    return mu, sigma


def gaussian_nll(x: jax.Array, mu: jax.Array, sigma: jax.Array) -> jax.Array:
    """-log N(x; mu, diag sigma^2) in nats, all constants (eq. 11 plus (D/2) log 2 pi)."""
    return jnp.sum(0.5 * jnp.square((x - mu) / sigma) + jnp.log(sigma) + HALF_LOG_2PI)


def kl_standard_normal(m: jax.Array, s: jax.Array) -> jax.Array:
    """KL(N(m, diag s) || N(0, I)) = 1/2 ||m||^2 + sum_j g(s_j), g(s) = (s - 1 - log s)/2."""
    return 0.5 * jnp.sum(jnp.square(m)) + 0.5 * jnp.sum(s - 1.0 - jnp.log(s))


def negative_elbo(params: dict, x: jax.Array, key: jax.Array, mode: jax.Array,
                  given_sigma: jax.Array, kl_weight: jax.Array, floor: float):
    """One-sample negative ELBO of one example: (loss, (distortion, rate, mean sigma)).

    distortion = -log p(x|z) at one reparameterised z = m + sqrt(s) * eps; rate = KL (exact).
    """
    m, s = encode(params, x)
    eps = jax.random.normal(key, m.shape, m.dtype)
    z = m + jnp.sqrt(s) * eps
    mu, sigma = decode(params, z, mode, given_sigma, floor)
    distortion = gaussian_nll(x, mu, sigma)
    rate = kl_standard_normal(m, s)
    return distortion + kl_weight * rate, (distortion, rate, jnp.mean(sigma))
