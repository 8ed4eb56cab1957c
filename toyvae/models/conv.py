"""Convolutional VAE networks for ONE image at CelebA size (64 x 64 x 3), on Equinox layers.

**Layer library: Equinox.** An Equinox model is a pytree of arrays, and its layers act on ONE
unbatched example (``Conv2d`` takes ``(C, H, W)``), which is this package's style: ``jax.vmap`` of
:func:`init` over keys stacks many models, ``jax.vmap`` of :func:`encode` over examples (or over
the stacked models) batches them, with no apply/variables split (Flax linen) and no mutable modules
to split and merge (Flax NNX). dm-pix is not used: crops and flips are a ``dynamic_slice`` and a
reversed axis (:mod:`toyvae.data.photos`), and resizing happens once at load time with Pillow.

**Architecture** (``ConvConfig()``; channels-first, pixels in [0, 1]): the layout of DCGAN at
64 x 64 (Radford et al. 2016: 4x4 stride-2 convolutions, widths 64-128-256-512), which many
CelebA VAEs reuse in some form (AntixK's PyTorch-VAE: 3x3 stride-2 convolutions, widths 32 to
512, with batch norm):

    encoder  x - 1/2  ->  [Conv 4x4, stride 2, pad 1 -> leaky ReLU] x 4
                          (64 -> 32 -> 16 -> 8 -> 4 pixels; widths 64, 128, 256, 512)
                      ->  flatten (512 * 4 * 4 = 8192)  ->  Linear -> (m, log s), 2 * latent numbers
    decoder  z        ->  Linear -> leaky ReLU -> reshape (512, 4, 4)
                      ->  [ConvTranspose 4x4, stride 2, pad 1 -> leaky ReLU] x 4
                          (4 -> 8 -> 16 -> 32 -> 64 pixels; widths 256, 128, 64, 64)
                      ->  Conv 3x3, pad 1 -> (mu - 1/2, a): 3 channels each (``a`` only with
                          ``pixel_log_sigma``)

``s`` is the posterior variance of q(z|x) = N(m, diag s) (the claims.md convention); ``a`` is the
raw per-pixel log-sigma of the learned per-pixel decoder (the sigma(z) of BS20's LV-VAE, eq. 11,
one per pixel), to which the caller
applies the sigma floor (``toyvae.models.gaussian.floored_sigma``). The likelihood, KL, floor and
the fixed / learned-scalar sigma are not here: a fixed or scalar decoder ignores ``a``.
No normalisation layer: batch norm would couple the examples of a batch (and need state), which
one-example models avoid.

**Initialisation.** Hidden layers: Kaiming (He) normal for leaky ReLU, weight variance
``2 / ((1 + 0.2^2) fan_in)`` (He et al. 2015, Sec. 2.2), biases 0, so activations keep their scale
through the depth; for a transposed convolution fan_in is ``in_channels * (4 / 2)^2``, the inputs
each output pixel sums. The two output layers (to (m, log s) and to (mu, a)) are LeCun normal
scaled by :data:`OUTPUT_SCALE` = 0.01 with bias 0, so at initialisation m, log s, mu - 1/2 and a are
of order 0.01: q(z|x) is almost the prior, mu almost mid-grey, exp(a) almost 1, and gradients
still reach every layer from the first step.
"""

from __future__ import annotations

import dataclasses
import math

import equinox as eqx
import jax
import jax.numpy as jnp

__all__ = ["ConvConfig", "CPU_SCALED", "OUTPUT_SCALE", "ConvVAE", "init", "encode", "decode",
           "parameter_count", "flops_per_example"]

NEGATIVE_SLOPE = 0.2  # leaky ReLU (DCGAN's)
KERNEL = 4  # of the stride-2 (transposed) convolutions
OUTPUT_SCALE = 0.01  # of the output layers' weights (module docstring)


@dataclasses.dataclass(frozen=True)
class ConvConfig:
    """One convolutional VAE's shape.

    Fields:
        image_size: side of the square input (64 for CelebA; 16 or 32 for CPU-scaled runs); must be
            divisible by ``2 ** len(widths)``.
        channels: colour channels (3).
        widths: channels after each stride-2 stage of the encoder; the decoder mirrors them.
        latent_dim: dimension of z (64 to 2048 in the scaled section).
        pixel_log_sigma: the decoder also outputs a per-pixel log-sigma map ``a`` (else ``a`` is 0
            and the last layer is half as wide). Models trained together under one ``vmap`` must
            share it (equal parameter shapes).
    """

    image_size: int = 64
    channels: int = 3
    widths: tuple[int, ...] = (64, 128, 256, 512)
    latent_dim: int = 128
    pixel_log_sigma: bool = True

    def __post_init__(self):
        for name in ("image_size", "channels", "latent_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        widths = tuple(self.widths)
        if not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"widths must be a non-empty tuple of positive integers, got {self.widths!r}")
        object.__setattr__(self, "widths", widths)
        if self.image_size % 2 ** len(widths):
            raise ValueError(f"image_size {self.image_size} is not divisible by 2^{len(widths)} "
                             f"(one halving per width in {widths})")
        if not isinstance(self.pixel_log_sigma, bool):
            raise ValueError(f"pixel_log_sigma must be a bool, got {self.pixel_log_sigma!r}")

    @property
    def bottom(self) -> int:
        """Side of the smallest feature map (4 for the default)."""
        return self.image_size // 2 ** len(self.widths)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, image_size, image_size)``: one example, channels first."""
        return (self.channels, self.image_size, self.image_size)

    @property
    def out_channels(self) -> int:
        """Channels of the decoder's last layer: mu, plus ``a`` with ``pixel_log_sigma``."""
        return self.channels * (2 if self.pixel_log_sigma else 1)


# The quick-profile counterpart: 16 x 16 crops (photos.training_stack(size=16)), 4 x 4 at the bottom.
CPU_SCALED = ConvConfig(image_size=16, widths=(32, 64), latent_dim=64)


class ConvVAE(eqx.Module):
    """Parameters of one model (a pytree of arrays; ``config`` is static)."""

    down: tuple[eqx.nn.Conv2d, ...]
    to_posterior: eqx.nn.Linear
    from_latent: eqx.nn.Linear
    up: tuple[eqx.nn.ConvTranspose2d, ...]
    to_pixels: eqx.nn.Conv2d
    config: ConvConfig = eqx.field(static=True)


def _skeleton(config: ConvConfig, key: jax.Array) -> ConvVAE:
    """The layers with Equinox's own initialisation; :func:`init` uses only their shapes."""
    c, w, lat, b = config.channels, config.widths, config.latent_dim, config.bottom
    keys = iter(jax.random.split(key, 2 * len(w) + 3))
    down = tuple(eqx.nn.Conv2d(cin, cout, KERNEL, stride=2, padding=1, key=next(keys))
                 for cin, cout in zip((c,) + w[:-1], w))
    flat = w[-1] * b * b
    to_posterior = eqx.nn.Linear(flat, 2 * lat, key=next(keys))
    from_latent = eqx.nn.Linear(lat, flat, key=next(keys))
    up_widths = tuple(reversed(w)) + (w[0],)  # 512 -> 256 -> 128 -> 64 -> 64 for the default
    up = tuple(eqx.nn.ConvTranspose2d(cin, cout, KERNEL, stride=2, padding=1, key=next(keys))
               for cin, cout in zip(up_widths[:-1], up_widths[1:]))
    to_pixels = eqx.nn.Conv2d(w[0], config.out_channels, 3, padding=1, key=next(keys))
    return ConvVAE(down=down, to_posterior=to_posterior, from_latent=from_latent, up=up,
                   to_pixels=to_pixels, config=config)


def _layers(model: ConvVAE) -> list:
    return [*model.down, model.to_posterior, model.from_latent, *model.up, model.to_pixels]


def _fan_in(layer) -> int:
    """Inputs summed into one output: c_in k^2 (convolution), c_in (k / stride)^2 (transposed), n_in (linear)."""
    if isinstance(layer, eqx.nn.Linear):
        return layer.in_features
    fan_in = layer.in_channels * math.prod(layer.kernel_size)
    if isinstance(layer, eqx.nn.ConvTranspose2d):
        fan_in //= math.prod(layer.stride)
    return fan_in


def init(config: ConvConfig, *, key: jax.Array) -> ConvVAE:
    """Parameters of one model, initialised as the module docstring says.

    All weights come from ONE normal draw of ``key``, cut into the layers' shapes. One draw per
    layer would give the same distribution, but XLA compiles each random-number call separately:
    on a busy two-core CPU, 11 draws (the default config's layers) compiled in 18 s, one in 1 s.
    Equinox's own initialisation is not run at all (:func:`_skeleton` is only shape-evaluated).
    """
    skeleton = eqx.filter_eval_shape(_skeleton, config, jax.random.key(0))  # shapes only
    layers = _layers(skeleton)
    he = math.sqrt(2.0 / (1.0 + NEGATIVE_SLOPE**2))
    n_down = len(config.widths)
    gains = [he] * len(layers)
    gains[n_down] = gains[-1] = OUTPUT_SCALE  # to (m, log s), to (mu, a)
    sizes = [math.prod(layer.weight.shape) for layer in layers]
    noise = jax.random.normal(key, (sum(sizes),), jnp.float32)
    leaves, start = [], 0
    for layer, gain, size in zip(layers, gains, sizes):
        std = gain / math.sqrt(_fan_in(layer))
        leaves += [std * noise[start:start + size].reshape(layer.weight.shape),
                   jnp.zeros(layer.bias.shape, jnp.float32)]
        start += size
    return eqx.tree_at(lambda m: [x for l in _layers(m) for x in (l.weight, l.bias)], skeleton, leaves)


def _act(h: jax.Array) -> jax.Array:
    return jax.nn.leaky_relu(h, NEGATIVE_SLOPE)


def encode(params: ConvVAE, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(m, log_s)`` of q(z|x) = N(m, diag exp(log_s)) for ONE image ``x`` of shape ``(C, S, S)`` in [0, 1]."""
    config = params.config
    if x.shape != config.image_shape:
        raise ValueError(f"x must have shape {config.image_shape} (one image, channels first), got {x.shape}")
    h = x - 0.5  # centred pixels
    for layer in params.down:
        h = _act(layer(h))
    m, log_s = jnp.split(params.to_posterior(h.reshape(-1)), 2)
    return m, log_s


def decode(params: ConvVAE, z: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(mu, a)`` for ONE latent ``z`` of shape ``(latent_dim,)``: the decoder mean and the raw
    per-pixel log-sigma, each ``(C, S, S)`` (``a`` is 0 without ``pixel_log_sigma``)."""
    config = params.config
    if z.shape != (config.latent_dim,):
        raise ValueError(f"z must have shape ({config.latent_dim},), got {z.shape}")
    h = _act(params.from_latent(z)).reshape(config.widths[-1], config.bottom, config.bottom)
    for layer in params.up:
        h = _act(layer(h))
    out = params.to_pixels(h)
    mu = 0.5 + out[: config.channels]
    a = out[config.channels:] if config.pixel_log_sigma else jnp.zeros_like(mu)
    return mu, a


def parameter_count(config: ConvConfig) -> int:
    """Number of trainable numbers of one model (shapes only: nothing is allocated)."""
    shapes = jax.eval_shape(lambda k: init(config, key=k), jax.random.key(0))
    return sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes))


def _taps(n_in: int, n_out: int, kernel: int, stride: int, padding: int, transposed: bool) -> int:
    """Pairs (output position, kernel tap) along one axis whose input position is real, not padding.

    Convolution: output i reads input ``stride i - padding + j``; transposed convolution: input i
    writes output ``stride i - padding + j`` (the cropped borders of PyTorch's and Equinox's
    ``padding``), j = 0 .. kernel - 1.
    """
    if transposed:
        return sum(0 <= stride * i - padding + j < n_out for i in range(n_in) for j in range(kernel))
    return sum(0 <= stride * i - padding + j < n_in for i in range(n_out) for j in range(kernel))


def flops_per_example(config: ConvConfig) -> int:
    """Forward FLOPs of one example through :func:`encode` then :func:`decode`: 2 x multiply-adds.

    Only multiply-adds of two real numbers count: a convolution's products with its zero padding,
    and the zeros a transposed convolution is equivalent to inserting, are left out (XLA's cost
    analysis counts the same way; fvcore and ptflops include the padding: 10-12% more for the 64 x 64
    config). A linear layer does ``n_in * n_out``; biases, activations, the split and reshapes are
    not counted. A training step costs about 3x this per example (the backward pass is about twice
    the forward).
    """
    c, w, lat, s = config.channels, config.widths, config.latent_dim, config.image_size
    macs = 0
    side = s
    for cin, cout in zip((c,) + w[:-1], w):  # encoder convolutions, side -> side / 2
        macs += _taps(side, side // 2, KERNEL, 2, 1, False) ** 2 * cin * cout
        side //= 2
    flat = w[-1] * side * side
    macs += flat * 2 * lat + lat * flat  # to (m, log s); from z
    up_widths = tuple(reversed(w)) + (w[0],)
    for cin, cout in zip(up_widths[:-1], up_widths[1:]):  # transposed convolutions, side -> 2 side
        macs += _taps(side, 2 * side, KERNEL, 2, 1, True) ** 2 * cin * cout
        side *= 2
    macs += _taps(s, s, 3, 1, 1, False) ** 2 * w[0] * config.out_channels  # the 3 x 3 output convolution
    return 2 * macs
