"""The Gaussian VAE family of Berger & Sebag 2020 on the convolutional networks of :mod:`toyvae.models.conv`,
for ONE image; and the neural reconstruction loss of NL26 on it.

**Family.** Parameters ``{"net": conv.ConvVAE, "log_sigma": scalar}``. :func:`encode` returns
``(m, s)`` of q(z|x) = N(m, diag s) and :func:`decode_raw` returns ``(mu, a)``, the decoder mean and
the raw per-pixel log-sigma, both ``(C, S, S)``; with them the three decoders of BS20 come from
:mod:`toyvae.models.gaussian` unchanged: ``Mode.GIVEN`` (F-VAE; sigma^2 = 1/2 is the MSE loss,
BS20.S32-mse), ``Mode.SCALAR`` (LS-VAE, eq. 10, ``log_sigma``) and ``Mode.VECTOR`` (LV-VAE, eq. 11:
one sigma per pixel, ``sigma = sqrt(exp(2 a) + floor^2)``). :data:`FLOOR` = 1e-3 is the floor used
with dequantised pixels ``(k + u)/256``: their noise within a quantisation cell has standard
deviation ``1/(256 sqrt 12) = 1.1e-3``, so a smaller sigma describes nothing in the data and only
lets the ``log sigma`` term grow without bound on memorised pixels.

**Posterior variance.** ``s = exp(clip(log_s, -12, 6))`` (the clip of :mod:`toyvae.models.patch_vae`):
posterior standard deviations between 2.5e-3 and 20 prior units, so a runaway ``log s`` cannot turn
the KL's ``-log s`` into an overflow; inside the range nothing changes.

**Channels-last computation (why this module does not call ``conv.encode``).** The forward pass is
``conv.encode`` / ``conv.decode``'s, on the same parameters, but the activations are channels-last
``(1, S, S, C)`` and every convolution goes through :func:`conv_nhwc` (NHWC input, HWIO kernel). On
the GPU it is ``lax.conv_general_dilated`` with autodiff's transpose rules, which XLA:GPU lays out
for cuDNN itself. On the CPU (:func:`default_implementation`, chosen at trace time) it is "gemm":
every convolution as matrix products (issue 18). Why, measured on the two-core development CPU:

* XLA:CPU runs a convolution in its fast channels-last form only outside a while loop (jax issue
  12868); inside ``lax.scan``, the engine's loop, it ran a naive loop (16 x 16 crops: 0.026 s per
  step jitted alone, 0.18-0.20 s inside the scan). A custom VJP with channels-last backward
  convolutions ("canonical") fixed that for one example, but the models are vmapped over the batch,
  and ``vmap`` of that VJP turns each weight gradient into a grouped convolution with one group per
  example: at 64 x 64 (batch 64) the 8 x 8 -> 4 x 4 layer took 5x, the transposed layers 3-4x the
  time of the products below, and the whole step ran at 6% of the float32 matmul peak.
* "patches": a convolution is strided slices of the padded input, concatenated on the channel axis,
  and ONE product with the kernel reshaped to ``(kh kw in, out)``; under ``vmap`` the examples fold
  into the product's rows. A transposed convolution (input dilated by 2) is split into its 4
  sub-pixel phases: output ``2q + r`` sums only the 2 x 2 taps that meet real inputs, so each phase
  is 4 slices and one product, with none of the dilation's zeros multiplied, and the phases are
  interleaved (depth to space). Gradients are autodiff's (slices transpose to pads, products to
  products). The same sums as the convolution over its nonzero terms, in another order
  (tests/test_conv_gemm.py bounds the difference by float32 summation error).
* The 3 x 3 output layer (6 output channels) keeps the canonical convolution: its patches would be
  ``9 x 64`` numbers per pixel for 6 outputs (measured 2-3x slower as patches).
* Also tried and measured slower: "col2im" (one product of the input with all taps, then a sum of
  shifted copies): 2-8x slower than sub-pixel phases for the transposed layers and no faster for the
  output layer.

Numbers per layer and per step: ``benchmarks/profile_conv.py`` and :mod:`toyvae.bench.scale`.

**Neural loss** (NL26 Sec. 3; :func:`example_loss`): with ``xhat = mu(z)`` at one reparameterised z,

    loss = (1 - lam) * (-log N(x; mu, diag sigma^2)) + lam * ||phi(x) - phi(xhat)||^2 + beta * KL,

which for the F-VAE with sigma^2 = 1/2 is NL26's ``lam d_neural + (1 - lam) d_pix + beta KL`` up to a
constant (``-log N = ||x - mu||^2 + (D/2) log pi`` there), and for ``lam = 0, beta = 1`` the negative
ELBO of any of the three decoders. ``phi(x) = tanh(2 E x) / 2`` with ``E`` the horizontal and
vertical first differences of every channel scaled to spectral norm 1 (:func:`edge_operator`): a
fixed 1-Lipschitz feature network, so ``d_phi <= d_pix`` (NL26 Cor. 28 with L = 1), the 2-D
counterpart of :func:`toyvae.models.patch_vae.features`.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax import lax

from toyvae.models import conv, gaussian
from toyvae.models.gaussian import Mode

__all__ = [
    "Mode",
    "FLOOR",
    "LOG_S_RANGE",
    "conv_nhwc",
    "init",
    "encode",
    "decode_raw",
    "decode",
    "negative_elbo",
    "point_bounds",
    "edge_norm",
    "edge_operator",
    "neural_features",
    "example_loss",
]

FLOOR = 1e-3  # learned-sigma floor with dequantised pixels (module docstring)
LOG_S_RANGE = (-12.0, 6.0)  # clip of the encoder's log posterior variance (module docstring)
_DN = ("NHWC", "HWIO", "NHWC")


# ------------------------------------------------------------------------------------------------
# Channels-last convolution whose backward pass is channels-last too
# ------------------------------------------------------------------------------------------------


def _plain_conv(x, w, stride, lhs_dilation, padding):
    return lax.conv_general_dilated(x, w, stride, padding, lhs_dilation=lhs_dilation, dimension_numbers=_DN)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _canonical_conv(x, w, stride, lhs_dilation, padding):
    return _plain_conv(x, w, stride, lhs_dilation, padding)


def _canonical_fwd(x, w, stride, lhs_dilation, padding):
    return _plain_conv(x, w, stride, lhs_dilation, padding), (x, w)


def _canonical_bwd(stride, lhs_dilation, padding, residuals, g):
    """Both gradients as NHWC/HWIO convolutions. Per spatial axis, with input length n, kernel k,
    stride s, input dilation d, padding (lo, hi) and output length m = (d(n-1) + 1 + lo + hi - k) // s + 1:

    * dW[a] = sum_i g[i] X[s i + a] (X the dilated, padded input): a convolution of the input (its
      batch axis as features, its channels as batch) with ``g`` dilated by s, padding (lo, hi') with
      hi' = k + s(m-1) - d(n-1) - 1 - lo, so that the output has length k;
    * dx[j] = sum_{i, a: s i + a = lo + d j} g[i] w[a]: a convolution of ``g`` dilated by s with the
      flipped kernel (input and output channels swapped), stride d, padding
      (k - 1 - lo, d(n-1) + k - 1 - s(m-1) - (k - 1 - lo)).
    """
    x, w = residuals
    kernel, sizes, out_sizes = w.shape[:2], x.shape[1:3], g.shape[1:3]
    pad_w, pad_x = [], []
    for (lo, _), k, s, d, n, m in zip(padding, kernel, stride, lhs_dilation, sizes, out_sizes):
        pad_w.append((lo, k + s * (m - 1) - d * (n - 1) - 1 - lo))
        left = k - 1 - lo
        pad_x.append((left, d * (n - 1) + k - 1 - s * (m - 1) - left))
    dw = lax.conv_general_dilated(jnp.transpose(x, (3, 1, 2, 0)), jnp.transpose(g, (1, 2, 0, 3)), (1, 1), pad_w,
                                  lhs_dilation=lhs_dilation, rhs_dilation=stride, dimension_numbers=_DN)
    w_flipped = jnp.transpose(jnp.flip(w, (0, 1)), (0, 1, 3, 2))
    dx = lax.conv_general_dilated(g, w_flipped, lhs_dilation, pad_x, lhs_dilation=stride, dimension_numbers=_DN)
    return dx, jnp.transpose(dw, (1, 2, 0, 3))


_canonical_conv.defvjp(_canonical_fwd, _canonical_bwd)


def _patches_conv(x, w, stride, padding):
    """A convolution (no input dilation) as ``kh * kw`` strided slices of the padded input, concatenated on
    the channel axis in the kernel's (kh, kw, in) order, and ONE product with the kernel reshaped to
    ``(kh kw in, out)``: y[q] = sum_{a} x_pad[s q + a] w[a] (per spatial axis)."""
    (kh, kw, cin, cout), (sh, sw) = w.shape, stride
    xp = jnp.pad(x, ((0, 0), tuple(padding[0]), tuple(padding[1]), (0, 0)))
    oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
    taps = [xp[:, a: a + sh * (oh - 1) + 1: sh, b: b + sw * (ow - 1) + 1: sw, :] for a in range(kh) for b in range(kw)]
    patches = taps[0] if len(taps) == 1 else jnp.concatenate(taps, axis=-1)
    return jnp.dot(patches, w.reshape(kh * kw * cin, cout), precision=lax.Precision.HIGHEST)


def _phase_taps(k: int, s: int, lo: int, r: int) -> list[tuple[int, int]]:
    """Taps of output phase ``r`` (outputs o = s q + r) of a convolution of the input dilated by ``s`` and
    padded by ``lo`` in front: kernel tap j reads dilated position o + j, the real input i = (o + j - lo) / s
    when that is a whole number, i.e. i = q + d with d = (r + j - lo) // s. Returns [(j, d)]."""
    return [(j, (r + j - lo) // s) for j in range(k) if (r + j - lo) % s == 0]


def _subpixel_shapes(x_shape, w_shape, lhs_dilation, padding):
    """Phase lengths and taps of :func:`_subpixel_conv`, or None where it does not apply (an output length
    not divisible by the dilation, a phase without taps)."""
    out = []
    for n, k, s, (lo, hi) in zip(x_shape[1:3], w_shape[:2], lhs_dilation, padding):
        m = s * (n - 1) + 1 + lo + hi - k + 1
        if m <= 0 or m % s:
            return None
        phases = [_phase_taps(k, s, lo, r) for r in range(s)]
        if not all(phases):
            return None
        out.append((m // s, phases))
    return out


def _subpixel_conv(x, w, lhs_dilation, padding, shapes):
    """A convolution of the input dilated by ``s`` (a transposed convolution) as ``s^2`` sub-pixel phases:
    output o = s q + r sums only the taps j of :func:`_phase_taps`, which read real inputs x[q + d], so each
    phase is slices of the (un-dilated, zero-padded) input, concatenated, times the matching rows of the
    kernel: one product per phase and no multiplication by the dilation's zeros. The phases are then
    interleaved (depth to space). The same sums as ``lax.conv_general_dilated`` over its nonzero terms."""
    (q1, phases1), (q2, phases2) = shapes
    cin, cout = w.shape[2], w.shape[3]
    ds1 = [d for ph in phases1 for _, d in ph]
    ds2 = [d for ph in phases2 for _, d in ph]
    n1, n2 = x.shape[1], x.shape[2]
    p1 = (max(0, -min(ds1)), max(0, max(ds1) + q1 - n1))
    p2 = (max(0, -min(ds2)), max(0, max(ds2) + q2 - n2))
    xp = jnp.pad(x, ((0, 0), p1, p2, (0, 0)))
    rows = []
    for ph1 in phases1:
        cols = []
        for ph2 in phases2:
            taps = [xp[:, d1 + p1[0]: d1 + p1[0] + q1, d2 + p2[0]: d2 + p2[0] + q2, :]
                    for _, d1 in ph1 for _, d2 in ph2]
            kernel = jnp.stack([w[j1, j2] for j1, _ in ph1 for j2, _ in ph2]).reshape(-1, cout)
            patches = taps[0] if len(taps) == 1 else jnp.concatenate(taps, axis=-1)
            cols.append(jnp.dot(patches, kernel, precision=lax.Precision.HIGHEST))
        rows.append(jnp.stack(cols, axis=3))  # (N, q1, q2, s2, out)
    y = jnp.stack(rows, axis=2)  # (N, q1, s1, q2, s2, out)
    return y.reshape(x.shape[0], q1 * len(phases1), q2 * len(phases2), cout)


MIN_GEMM_OUT = 8  # fewer output channels: "gemm" keeps the convolution (module docstring)


IMPLEMENTATIONS = ("gemm", "patches", "canonical", "lax")


def default_implementation() -> str:
    """The convolution implementation :func:`conv_nhwc` uses when none is named: "gemm" on the CPU
    backend, "lax" elsewhere (chosen at trace time; the module docstring says why)."""
    return "gemm" if jax.default_backend() == "cpu" else "lax"


def conv_nhwc(x, w, *, stride=(1, 1), lhs_dilation=(1, 1), padding=((0, 0), (0, 0)), canonical: bool | None = None,
              implementation: str | None = None):
    """``lax.conv_general_dilated`` with NHWC input, HWIO kernel and NHWC output.

    ``implementation`` (the module docstring compares them):

    * "lax": ``lax.conv_general_dilated`` with autodiff's own transpose rules (the GPU's);
    * "canonical": the same with the custom VJP whose backward convolutions are NHWC/HWIO too;
    * "patches": matrix products and slices only, gradients by autodiff: strided slices of the input
      concatenated and one product; an input dilation (transposed convolution) as sub-pixel phases,
      one product each. Falls back to "canonical" where the sub-pixel form does not apply (negative
      padding; both a stride and a dilation; an output length not divisible by the dilation);
    * "gemm": "patches" for layers with at least :data:`MIN_GEMM_OUT` output channels, "canonical"
      for the others (the 3 x 3 output layer: its patches are 100 times its output).

    None (default): :func:`default_implementation`. ``canonical`` (older keyword): True is "canonical",
    False is "lax". All give the same function and gradients up to the order of float32 sums.
    """
    stride, lhs_dilation = tuple(stride), tuple(lhs_dilation)
    padding = tuple(tuple(p) for p in padding)
    if implementation is None:
        implementation = (default_implementation() if canonical is None
                          else "canonical" if canonical else "lax")
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, got {implementation!r}")
    if implementation == "gemm":
        implementation = "patches" if w.shape[3] >= MIN_GEMM_OUT else "canonical"
    if implementation == "patches" and min(p for pair in padding for p in pair) >= 0:
        if lhs_dilation == (1, 1):
            return _patches_conv(x, w, stride, padding)
        shapes = _subpixel_shapes(x.shape, w.shape, lhs_dilation, padding) if stride == (1, 1) else None
        if shapes is not None:
            return _subpixel_conv(x, w, lhs_dilation, padding, shapes)
    fn = _plain_conv if implementation == "lax" else _canonical_conv
    return fn(x, w, stride, lhs_dilation, padding)


def _hwio(layer) -> jax.Array:
    """Equinox's (out, in, kh, kw) kernel as (kh, kw, in, out); Equinox's transposed convolution keeps
    the (out, in, kh, kw) layout of a plain one and applies it unflipped to the dilated input."""
    return jnp.transpose(layer.weight, (2, 3, 1, 0))


def _down(layer, h, canonical):
    """Equinox ``Conv2d`` (stride 2, padding 1, or the 3 x 3 stride-1 output layer) on NHWC ``h``."""
    stride, pad = layer.stride, layer.padding
    return conv_nhwc(h, _hwio(layer), stride=stride, padding=pad, canonical=canonical) + layer.bias.reshape(-1)


def _up(layer, h, canonical):
    """Equinox ``ConvTranspose2d`` (kernel 4, stride 2, padding 1): input dilated by 2, padded by k - 1 - p."""
    pad = tuple((k - 1 - lo, k - 1 - hi) for k, (lo, hi) in zip(layer.kernel_size, layer.padding))
    out = conv_nhwc(h, _hwio(layer), lhs_dilation=layer.stride, padding=pad, canonical=canonical)
    return out + layer.bias.reshape(-1)


def _act(h):
    return jax.nn.leaky_relu(h, conv.NEGATIVE_SLOPE)


# ------------------------------------------------------------------------------------------------
# The family's one-example functions
# ------------------------------------------------------------------------------------------------


def init(config: conv.ConvConfig, *, key: jax.Array, floor: float = FLOOR) -> dict:
    """``{"net": conv.init(config), "log_sigma": a}`` with the floored scalar sigma starting at 1
    (as the LS-VAE of :func:`toyvae.models.mlp_vae.init_vae`)."""
    if not config.pixel_log_sigma:
        raise ValueError("the family needs the per-pixel log-sigma output (ConvConfig(pixel_log_sigma=True))")
    return {"net": conv.init(config, key=key),
            "log_sigma": jnp.asarray(0.5 * math.log1p(-(floor**2)), jnp.float32)}


def encode(params: dict, x: jax.Array, *, canonical: bool | None = None):
    """``(m, s)`` of q(z|x) for ONE image ``x`` of shape ``(C, S, S)`` in [0, 1] (``conv.encode``'s function)."""
    net = params["net"]
    config = net.config
    if x.shape != config.image_shape:
        raise ValueError(f"x must have shape {config.image_shape} (one image, channels first), got {x.shape}")
    h = jnp.transpose(x - 0.5, (1, 2, 0))[None]
    for layer in net.down:
        h = _act(_down(layer, h, canonical))
    h = jnp.transpose(h[0], (2, 0, 1)).reshape(-1)  # conv.encode flattens channels-first
    m, log_s = jnp.split(net.to_posterior(h), 2)
    return m, jnp.exp(jnp.clip(log_s, *LOG_S_RANGE))


def decode_raw(params: dict, z: jax.Array, *, canonical: bool | None = None):
    """``(mu, a)``, each ``(C, S, S)``, for ONE latent ``z`` (``conv.decode``'s function)."""
    net = params["net"]
    config = net.config
    if z.shape != (config.latent_dim,):
        raise ValueError(f"z must have shape ({config.latent_dim},), got {z.shape}")
    h = _act(net.from_latent(z)).reshape(config.widths[-1], config.bottom, config.bottom)
    h = jnp.transpose(h, (1, 2, 0))[None]
    for layer in net.up:
        h = _act(_up(layer, h, canonical))
    out = jnp.transpose(_down(net.to_pixels, h, canonical)[0], (2, 0, 1))
    return 0.5 + out[: config.channels], out[config.channels:]


def decode(params: dict, z: jax.Array, mode, given_sigma, floor: float = FLOOR):
    """(mu, sigma) of p(x|z) for one z; ``mode`` may be a traced integer (vmapped settings)."""
    mu, a = decode_raw(params, z)
    return mu, gaussian.decoder_sigma(mode, a, params["log_sigma"], given_sigma, floor)


negative_elbo = functools.partial(gaussian.negative_elbo, encode, decode_raw)
negative_elbo.__doc__ = "negative_elbo(params, x, key, mode, given_sigma, kl_weight, floor): see models.gaussian."
point_bounds = functools.partial(gaussian.point_bounds, encode, decode_raw)
point_bounds.__doc__ = "point_bounds(params, x, key, mode, sigma, floor, k): see models.gaussian."


# ------------------------------------------------------------------------------------------------
# The fixed feature network and the neural loss (NL26)
# ------------------------------------------------------------------------------------------------


def edge_norm(size: int) -> float:
    """Spectral norm of the unscaled first-difference operator on ``size x size`` images (per channel).

    Horizontal plus vertical differences with free ends give ``E^T E = L (x) I + I (x) L`` with ``L``
    the path-graph Laplacian, whose eigenvalues are ``2 - 2 cos(pi k / size)`` (diagonalised by the
    DCT-II); the largest eigenvalue of the sum is twice the largest of ``L``.
    """
    return math.sqrt(2.0 * (2.0 - 2.0 * math.cos(math.pi * (size - 1) / size)))


def edge_operator(x: jax.Array) -> jax.Array:
    """``E x``: horizontal and vertical first differences of every channel of ONE image ``(C, S, S)``,
    scaled to spectral norm 1 (so ``||E (x - y)||^2 <= ||x - y||^2``), flattened."""
    scale = 1.0 / edge_norm(x.shape[-1])
    horizontal = (x[:, :, 1:] - x[:, :, :-1]).reshape(-1)
    vertical = (x[:, 1:, :] - x[:, :-1, :]).reshape(-1)
    return scale * jnp.concatenate([horizontal, vertical])


def neural_features(x: jax.Array) -> jax.Array:
    """``phi(x) = tanh(2 E x) / 2``: a fixed, 1-Lipschitz feature network (module docstring)."""
    return 0.5 * jnp.tanh(2.0 * edge_operator(x))


def example_loss(params: dict, x: jax.Array, mode, sigma, lam, beta, floor: float = FLOOR, *, key: jax.Array):
    """NL26's loss on the family for ONE image (module docstring): ``(loss, aux)``.

    aux: ``distortion`` (the Gaussian NLL, all constants), ``rate`` (KL, exact), ``d_pix``
    (``||x - mu||^2``), ``d_feature`` (``||phi(x) - phi(mu)||^2``), ``sigma`` (mean decoder sigma).
    """
    m, s = encode(params, x)
    z = m + jnp.sqrt(s) * jax.random.normal(key, m.shape, m.dtype)
    mu, a = decode_raw(params, z)
    sig = gaussian.decoder_sigma(mode, a, params["log_sigma"], sigma, floor)
    nll = gaussian.gaussian_nll(x, mu, sig)
    d_feature = jnp.sum(jnp.square(neural_features(x) - neural_features(mu)))
    rate = gaussian.kl_standard_normal(m, s)
    loss = (1.0 - lam) * nll + lam * d_feature + beta * rate
    aux = {"distortion": nll, "rate": rate, "d_pix": jnp.sum(jnp.square(x - mu)), "d_feature": d_feature,
           "sigma": jnp.mean(sig)}
    return loss, aux
