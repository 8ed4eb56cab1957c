"""The linear-Gaussian VAE of NL26 App. D, for ONE example (trained by the engine, solved in theory).

Data ``x`` in R^n; encoder ``q(z|x) = N(A x, diag s)`` with ``s = exp(log_s)`` per latent dimension
(not a function of x); decoder mean ``W z``; distortion with metric ``G`` and no factor 1/2 (NL26):

    loss(x) = d_G(x, W z) + beta * KL(q(z|x) || N(0, I)),    z = A x + sqrt(s) * eps,
    d_G(x, y) = (x - y)^T G (x - y),    KL = |A x|^2 / 2 + sum_i g(s_i),  g(s) = (s - 1 - log s)/2.

At a stationary point in ``s`` the posterior variances satisfy NL26 eq. 46 with the model's own
decoder, ``s_i = beta / (beta + 2 c_i)``, ``c_i = (W^T G W)_ii``; the closed forms of its rate,
distortion and ELBO surgery are in :mod:`toyvae.theory.rate_distortion`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from toyvae.models.gaussian import kl_standard_normal

__all__ = ["LinearVAE", "init", "example_loss"]


class LinearVAE(NamedTuple):
    """Parameters: encoder mean ``A`` (d x n), log posterior variances ``log_s`` (d), decoder ``W`` (n x d)."""

    A: jax.Array
    log_s: jax.Array
    W: jax.Array


def init(n: int, d: int, *, key: jax.Array, W: jax.Array | None = None) -> LinearVAE:
    """Small random encoder (entries N(0, 0.01)), ``s = 1``, and a random decoder N(0, 1/d) or the given ``W``."""
    enc_key, dec_key = jax.random.split(key)
    A = 0.1 * jax.random.normal(enc_key, (d, n), jnp.float32)
    if W is None:
        W = jax.random.normal(dec_key, (n, d), jnp.float32) / jnp.sqrt(d)
    return LinearVAE(A=A, log_s=jnp.zeros(d, jnp.float32), W=jnp.asarray(W, jnp.float32))


def example_loss(params: LinearVAE, x: jax.Array, G: jax.Array, beta, *, key: jax.Array,
                 train_decoder: bool = True):
    """``d_G(x, W z) + beta KL`` for one example and one reparameterised z: (loss, {"distortion", "rate"})."""
    W = params.W if train_decoder else jax.lax.stop_gradient(params.W)
    mu = params.A @ x
    s = jnp.exp(params.log_s)
    z = mu + jnp.sqrt(s) * jax.random.normal(key, mu.shape, mu.dtype)
    r = x - W @ z
    distortion = r @ G @ r
    rate = kl_standard_normal(mu, s, params.log_s, dot=True)
    return distortion + beta * rate, {"distortion": distortion, "rate": rate}
