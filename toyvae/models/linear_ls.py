"""The linear-Gaussian VAE with a learned scalar decoder variance (Berger & Sebag 2020, eq. 10, on the linear model
of NL26 App. D), for ONE example.

Encoder ``q(z|x) = N(A x, diag s)`` (``s = exp(log_s)``, not a function of x), decoder ``N(W z, sigma^2 I)`` with
``sigma^2 = exp(log_sigma2)`` learned; prior ``N(0, I)``. The loss is the negative ELBO with a KL weight ``beta``
(beta = 1: the ELBO), with every constant:

    loss(x) = |x - W z|^2 / (2 sigma^2) + (n/2) log(2 pi sigma^2) + beta * KL(q(z|x) || N(0, I)),   z = A x + sqrt(s) eps.

At a stationary point in ``sigma^2`` the variance is the mean squared error per coordinate, ``sigma^2 = D/n``
(SL slides "Decoupling sigma_x and beta"; ``proofs/sl_sigma.py``), where the expected loss at beta = 1 is
``R + (n/2) log(2 pi e D/n)`` (``proofs/sl_linrd.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from toyvae.models.gaussian import kl_standard_normal

__all__ = ["LinearLS", "init", "example_loss"]


class LinearLS(NamedTuple):
    """Parameters: encoder ``A`` (d x n), log posterior variances ``log_s`` (d), decoder ``W`` (n x d), and the
    decoder's log variance ``log_sigma2`` (a scalar)."""

    A: jax.Array
    log_s: jax.Array
    W: jax.Array
    log_sigma2: jax.Array


def init(n: int, d: int, *, key: jax.Array, log_sigma2=0.0) -> LinearLS:
    """Small random encoder (entries N(0, 0.01)), ``s = 1``, a random decoder N(0, 1/d), ``log sigma^2`` as given
    (default 0: BS20's initial sigma = 1)."""
    enc_key, dec_key = jax.random.split(key)
    A = 0.1 * jax.random.normal(enc_key, (d, n), jnp.float32)
    W = jax.random.normal(dec_key, (n, d), jnp.float32) / jnp.sqrt(d)
    return LinearLS(A=A, log_s=jnp.zeros(d, jnp.float32), W=W,
                    log_sigma2=jnp.asarray(log_sigma2, jnp.float32).reshape(()))


def example_loss(params: LinearLS, x: jax.Array, beta, *, key: jax.Array):
    """The negative ELBO of one example with KL weight ``beta``: (loss, {"distortion", "rate", "sigma2"})."""
    mu = params.A @ x
    s = jnp.exp(params.log_s)
    z = mu + jnp.sqrt(s) * jax.random.normal(key, mu.shape, mu.dtype)
    r = x - params.W @ z
    distortion = r @ r
    n = x.shape[0]
    sigma2 = jnp.exp(params.log_sigma2)
    nll = distortion / (2 * sigma2) + 0.5 * n * (jnp.log(2 * jnp.pi).astype(x.dtype) + params.log_sigma2)
    rate = kl_standard_normal(mu, s, params.log_s, dot=True)
    return nll + beta * rate, {"distortion": distortion, "rate": rate, "sigma2": sigma2}
