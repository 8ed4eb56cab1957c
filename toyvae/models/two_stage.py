"""Two-stage VAEs of "Mind your bits and errors" (MB Sec. 4, eqs. 5-6), for ONE example.

A *primary* VAE is trained to a distortion target ``gamma``; its decoder mean at a posterior sample,
``x~ = mu(z)``, ``z ~ q(z|x)``, pairs every data point with a reconstruction. The *secondary* is a
conditional VAE on the pairs ``(x, x~)`` (MB eq. 5-6):

    rate2       = KL(q(z2 | x, x~) || p(z2 | x~))                                     (MB eq. 5)
    distortion2 = ||x - mu~(z2, x~)||^2,   z2 ~ q(z2 | x, x~)                          (MB eq. 6)

trained to a smaller target ``gamma~ < gamma``. Its decoder is ``mu~(z2, x~) = x~ + correction``, so that
a zero correction copies ``x~`` and the secondary starts at the primary's distortion (MB: it "can trivially
recover" ``gamma``).

``x~`` is the decoder mean at a **posterior sample** (MB eq. 5 averages over ``q(x, z) = p(x) q(z|x)``; the
convention ``"sample"`` of :mod:`toyvae.theory.successive`), so that generation (``z ~ p(z)``,
``x~ = mu(z)``, ``z2 ~ p(z2|x~)``) sees the same kind of ``x~`` as training.

Two families:

* **Linear** (the exact side, :mod:`toyvae.theory.successive`): primary = the linear VAE of
  :mod:`toyvae.models.linear`; secondary :class:`ConditionalLinear` with
  ``q(z2|x, x~) = N(A2 x + B2 x~, diag s2)``, ``p(z2|x~) = N(P2 x~, I)``, ``mu~ = (I + V2) x~ + W2 z2``
  (the parameters of :class:`toyvae.theory.successive.SecondaryParams`).
* **MLP** (trained on image patches): primary and single-stage models are Gaussian VAEs with
  residual-MLP encoder and decoder (:mod:`toyvae.models.mlp`); the secondary's encoder reads
  ``[x - x~, x~]`` (MB App. A.2 concatenates ``[x, x~]``; ours is an invertible linear map of it, the same
  family of encoders, with the residual available from the first step), its conditional prior is a diagonal
  Gaussian computed from ``x~``, and its decoder is ``x~ + f([z2, x~])`` (MB App. A.2 injects ``x~`` into the
  generator with a U-Net; here by concatenation and the residual copy). All KLs are in nats, the distortion
  is the summed squared error (no factor 1/2, ``shared/claims.md``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from toyvae.models.gaussian import kl_diagonal, kl_standard_normal
from toyvae.models.linear import LinearVAE
from toyvae.models.mlp import init_resnet, resnet

__all__ = [
    "ConditionalLinear",
    "init_conditional_linear",
    "linear_reconstruction",
    "conditional_linear_loss",
    "LOG_S_RANGE",
    "gaussian_kl",
    "init_mlp_vae",
    "init_vae",
    "encode",
    "decode",
    "reconstruction",
    "vae_loss",
    "init_mlp_conditional",
    "init_conditional",
    "conditional_encode",
    "conditional_prior",
    "conditional_decode",
    "conditional_loss",
]

# --- linear ------------------------------------------------------------------------------------------------


class ConditionalLinear(NamedTuple):
    """A conditional linear-Gaussian VAE on ``(x, x~)`` (module docstring); ``log_s2`` = log posterior variances."""

    A2: jax.Array  # (d2, n) encoder weight on x
    B2: jax.Array  # (d2, n) encoder weight on x~
    log_s2: jax.Array  # (d2,)
    P2: jax.Array  # (d2, n) conditional-prior mean weight
    V2: jax.Array  # (n, n) decoder's correction of the copy of x~
    W2: jax.Array  # (n, d2) decoder weight on z2


def init_conditional_linear(n: int, d2: int, *, key: jax.Array) -> ConditionalLinear:
    """A secondary that starts next to the copy of ``x~``.

    ``V2 = 0``, ``P2 = 0``, ``s2 = 1``; encoder weights ``N(0, 0.01)`` and a decoder weight ``N(0, 1e-4)``, so
    the initial distortion exceeds the copy's ``E||x - x~||^2`` by about ``1e-4 d2`` only.
    """
    a_key, b_key, w_key = jax.random.split(key, 3)
    return ConditionalLinear(A2=0.1 * jax.random.normal(a_key, (d2, n), jnp.float32),
                             B2=0.1 * jax.random.normal(b_key, (d2, n), jnp.float32), log_s2=jnp.zeros(d2, jnp.float32), P2=jnp.zeros((d2, n), jnp.float32),
                             V2=jnp.zeros((n, n), jnp.float32),
                             W2=0.01 * jax.random.normal(w_key, (n, d2), jnp.float32))


def linear_reconstruction(primary: LinearVAE, x: jax.Array, *, key: jax.Array) -> jax.Array:
    """``x~ = W1 z`` with ``z ~ q(z|x) = N(A1 x, diag s1)``: the primary's mean reconstruction at a posterior sample."""
    m = primary.A @ x
    return primary.W @ (m + jnp.exp(0.5 * primary.log_s) * jax.random.normal(key, m.shape, m.dtype))


def conditional_linear_loss(params: ConditionalLinear, x: jax.Array, x_tilde: jax.Array, beta, *, key: jax.Array):
    """``distortion2 + beta rate2`` (MB eqs. 5-6) for one pair and one reparameterised ``z2``.

    ``rate2 = |A2 x + B2 x~ - P2 x~|^2 / 2 + sum_i g(s2_i)`` (KL of ``N(m, diag s2)`` to ``N(P2 x~, I)``),
    ``distortion2 = |x - (I + V2) x~ - W2 z2|^2``. Returns ``(loss, {"distortion", "rate"})``.
    """
    m = params.A2 @ x + params.B2 @ x_tilde
    s = jnp.exp(params.log_s2)
    z2 = m + jnp.sqrt(s) * jax.random.normal(key, m.shape, m.dtype)
    r = x - x_tilde - params.V2 @ x_tilde - params.W2 @ z2
    distortion = r @ r
    # KL to N(P2 x~, I) = KL of (m - P2 x~) to N(0, I); the copy it replaced squared with ``** 2``, which lowers
    # to the same HLO as ``square``: the same bits (tests/test_conformance.py)
    rate = kl_standard_normal(m - params.P2 @ x_tilde, s, params.log_s2)
    return distortion + beta * rate, {"distortion": distortion, "rate": rate}


# --- MLP ---------------------------------------------------------------------------------------------------

LOG_S_RANGE = (-12.0, 6.0)  # log-variances are clipped here (as in models.patch_vae): s in [6e-6, 403]


gaussian_kl = kl_diagonal  # KL(N(m, diag e^log_s) || N(pm, diag e^log_ps)), moved to models.gaussian


def _split_gaussian(h):
    m, log_s = jnp.split(h, 2)
    return m, jnp.clip(log_s, *LOG_S_RANGE)


def init_mlp_vae(n: int, latent: int, width: int, depth: int, *, key: jax.Array) -> dict:
    """A Gaussian VAE: encoder ``n -> 2 latent`` and decoder ``latent -> n``, residual MLPs of ``depth`` blocks."""
    enc_key, dec_key = jax.random.split(key)
    return {"enc": init_resnet(enc_key, n, 2 * latent, width, depth),
            "dec": init_resnet(dec_key, latent, n, width, depth)}


def init_vae(key: jax.Array, n: int, latent: int, width: int, depth: int) -> dict:
    """:func:`init_mlp_vae` with the key first (the callers in ``toyvae.experiments``; new code calls
    ``init_mlp_vae(..., key=key)``)."""
    return init_mlp_vae(n, latent, width, depth, key=key)


def encode(params: dict, x: jax.Array):
    """``(m, log s)`` of ``q(z|x)`` for one ``x``."""
    return _split_gaussian(resnet(params["enc"], x))


def decode(params: dict, z: jax.Array) -> jax.Array:
    """Decoder mean ``mu(z)`` for one ``z``."""
    return resnet(params["dec"], z)


def reconstruction(params: dict, x: jax.Array, *, key: jax.Array) -> jax.Array:
    """``x~ = mu(z)``, ``z ~ q(z|x)``: the primary's mean reconstruction at a posterior sample (MB eq. 5)."""
    m, log_s = encode(params, x)
    return decode(params, m + jnp.exp(0.5 * log_s) * jax.random.normal(key, m.shape, m.dtype))


def vae_loss(params: dict, x: jax.Array, beta, *, key: jax.Array, basis: jax.Array | None = None):
    """``|x - mu(z)|^2 + beta KL(q(z|x) || N(0, I))`` for one ``x``: ``(loss, {"distortion", "rate"})``.

    With an orthonormal ``basis`` (columns), aux also holds ``error_spectrum = (basis^T (x - mu(z)))^2``, the
    error's power per basis component (it sums to the distortion).
    """
    m, log_s = encode(params, x)
    z = m + jnp.exp(0.5 * log_s) * jax.random.normal(key, m.shape, m.dtype)
    error = x - decode(params, z)
    distortion = jnp.sum(error**2)
    # kept: kl_standard_normal(m, exp(log_s), log_s) is the same KL in another order of float32 operations,
    # which would change the trained patch models' bits (and MB.S5's and MB.2stage's numbers)
    rate = kl_diagonal(m, log_s, 0.0, 0.0)
    aux = {"distortion": distortion, "rate": rate}
    if basis is not None:
        aux["error_spectrum"] = (basis.T @ error) ** 2
    return distortion + beta * rate, aux


def init_mlp_conditional(n: int, latent: int, width: int, depth: int, *, key: jax.Array) -> dict:
    """The conditional secondary: encoder ``[x, x~] -> 2 latent``, prior ``x~ -> 2 latent``,
    correction ``[z2, x~] -> n`` (residual MLPs; their read-outs start at 0.1 scale, so the copy of ``x~``
    dominates at initialisation)."""
    enc_key, prior_key, dec_key = jax.random.split(key, 3)
    return {"enc": init_resnet(enc_key, 2 * n, 2 * latent, width, depth),
            "prior": init_resnet(prior_key, n, 2 * latent, width, depth),
            "dec": init_resnet(dec_key, latent + n, n, width, depth)}


def init_conditional(key: jax.Array, n: int, latent: int, width: int, depth: int) -> dict:
    """:func:`init_mlp_conditional` with the key first (the callers in ``toyvae.experiments``; new code calls
    ``init_mlp_conditional(..., key=key)``)."""
    return init_mlp_conditional(n, latent, width, depth, key=key)


def conditional_encode(params: dict, x: jax.Array, x_tilde: jax.Array):
    """``(m, log s)`` of ``q(z2 | x, x~)``.

    MB App. A.2 feeds ``[x, x~]``; we feed ``[x - x~, x~]``, an invertible linear map of it (the same family of
    encoders), so that the residual the secondary must describe is an input from the first step.
    """
    return _split_gaussian(resnet(params["enc"], jnp.concatenate([x - x_tilde, x_tilde])))


def conditional_prior(params: dict, x_tilde: jax.Array):
    """``(mean, log variance)`` of the conditional prior ``p(z2 | x~)``."""
    return _split_gaussian(resnet(params["prior"], x_tilde))


def conditional_decode(params: dict, z2: jax.Array, x_tilde: jax.Array) -> jax.Array:
    """``mu~(z2, x~) = x~ + f([z2, x~])``: a zero correction copies ``x~``."""
    return x_tilde + resnet(params["dec"], jnp.concatenate([z2, x_tilde]))


def conditional_loss(params: dict, x: jax.Array, x_tilde: jax.Array, beta, *, key: jax.Array):
    """``distortion2 + beta rate2`` (MB eqs. 5-6) for one pair: ``(loss, {"distortion", "rate"})``."""
    m, log_s = conditional_encode(params, x, x_tilde)
    pm, log_ps = conditional_prior(params, x_tilde)
    z2 = m + jnp.exp(0.5 * log_s) * jax.random.normal(key, m.shape, m.dtype)
    distortion = jnp.sum((x - conditional_decode(params, z2, x_tilde)) ** 2)
    rate = kl_diagonal(m, log_s, pm, log_ps)
    return distortion + beta * rate, {"distortion": distortion, "rate": rate}
