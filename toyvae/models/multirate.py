"""A beta-conditioned linear-Gaussian VAE for ONE example (after Bae et al., ICLR 2023, "Multi-Rate VAE").

One network serves every KL weight beta: a small hypernetwork of ``u = log10(beta)`` gates the units of a
linear-Gaussian VAE (:mod:`toyvae.models.linear`), in the spirit of Bae et al.'s response functions, which
scale each layer's units by a function of ``log beta``:

    h(u)          = MLP(u)                          (residual MLP, :mod:`toyvae.models.mlp`; 3d outputs)
    A(beta)       = diag(2 sigmoid(h_enc)) A        (encoder rows, one gate per latent)
    W(beta)       = W diag(2 sigmoid(h_dec))        (decoder columns, one gate per latent)
    log s(beta)   = h_var                           (posterior log-variances, clipped to [-12, 6])

and the loss of one example at its own beta (drawn per example during training, ``log beta`` uniform on the
training range) is the beta-VAE loss of the slides, squared error without a factor 1/2:

    loss(x, beta) = |x - W(beta) z|^2 + beta KL(N(A(beta) x, diag s(beta)) || N(0, I)),   z ~ q(z|x).

The exact optimum at each beta (reverse water-filling at ``theta = beta/2``,
:func:`toyvae.theory.rate_distortion.optimal_linear_vae`) is ``A = diag(a) U^T``, ``W = U diag(a mu)``,
``s_i = min(theta/mu_i, 1)``, ``a_i = sqrt((1 - s_i)/mu_i)``: per-latent gains of fixed directions, which this
family represents when the gates reach ``a_i(beta)`` up to a constant per latent (it is absorbed by ``A`` and
``W``). The gates start at 1 and the variances at 1 (the MLP's read-out starts small).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from toyvae.models.gaussian import kl_standard_normal
from toyvae.models.mlp import init_resnet, resnet

__all__ = ["init", "at_beta", "example_loss", "LOG_S_RANGE"]

LOG_S_RANGE = (-12.0, 6.0)


def init(n: int, d: int, width: int, *, key: jax.Array) -> dict:
    """``{"A": (d, n) N(0, 0.01), "W": (n, d) N(0, 1/d), "hyper": residual MLP 1 -> 3d (one block of width)}``."""
    enc_key, dec_key, hyper_key = jax.random.split(key, 3)
    return {"A": 0.1 * jax.random.normal(enc_key, (d, n), jnp.float32),
            "W": jax.random.normal(dec_key, (n, d), jnp.float32) / jnp.sqrt(d),
            "hyper": init_resnet(hyper_key, 1, 3 * d, width, 1)}


def at_beta(params: dict, log_beta):
    """``(A(beta), log s(beta), W(beta))``, the linear VAE that the network is at ``beta = exp(log_beta)``."""
    d = params["A"].shape[0]
    h = resnet(params["hyper"], jnp.reshape(log_beta / jnp.log(10.0), (1,)))
    enc_gate, dec_gate, log_s = 2.0 * jax.nn.sigmoid(h[:d]), 2.0 * jax.nn.sigmoid(h[d:2 * d]), h[2 * d:]
    return enc_gate[:, None] * params["A"], jnp.clip(log_s, *LOG_S_RANGE), params["W"] * dec_gate[None, :]


def example_loss(params: dict, example, *, key: jax.Array):
    """The loss of one ``(x, log_beta)`` example (module docstring): ``(loss, {"distortion", "rate"})``."""
    x, log_beta = example
    A, log_s, W = at_beta(params, log_beta)
    m = A @ x
    s = jnp.exp(log_s)
    z = m + jnp.sqrt(s) * jax.random.normal(key, m.shape, m.dtype)
    r = x - W @ z
    distortion = r @ r
    rate = kl_standard_normal(m, s, log_s, dot=True)
    return distortion + jnp.exp(log_beta) * rate, {"distortion": distortion, "rate": rate}
