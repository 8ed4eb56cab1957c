"""Data samplers: pure JAX functions ``sample(key, n) -> x`` of shape (n, D), float32.

The engine is generic over any *hashable* callable with that signature (it is a static argument
of the compiled training program); the frozen dataclasses below are hashable by construction.
Points are drawn fresh inside the jitted training step, which is the large-sample limit of
Berger & Sebag 2020, Sec. 4.1 ("100 points sampled anew ... in each batch").
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["HeteroscedasticCurve", "SphereUniform"]


@dataclasses.dataclass(frozen=True)
class HeteroscedasticCurve:
    """The 2-D heteroscedastic toy of Berger & Sebag 2020, Sec. 4.1 and Fig. 3 (our curve).

    The paper does not publish its curve, so we choose one. A position ``t ~ U(-1, 1)`` on the
    curve

        c(t) = (scale * t, amplitude * sin(frequency * pi * t))

    is drawn, and isotropic Gaussian noise of standard deviation ``noise[r]`` is added, where
    the region ``r`` is the third of the t-range holding t: r = 0 for t < -1/3 (moderate noise),
    r = 1 for -1/3 <= t < 1/3 (small noise), r = 2 for t >= 1/3 (large noise), the order the
    paper names them. Defaults: scale 2, amplitude 1, frequency 2 (two full waves: detail that a
    large fixed sigma smooths away), noise (0.05, 0.01, 0.1).

    Why this scale: Table 1's F-VAE sigma = 1 row (ELBO -1.14 with the 2 log sigma term and, as
    its positive LV/LS values imply, without the log 2 pi constants) puts the data's total
    variance near 2.3 if that model is collapsed, i.e. about 1 per coordinate; ours is
    4/3 + 1/2 = 1.83. (A first version at a quarter of this variance, with scale 1 and amplitude
    0.5, left LS-VAE, initialised at sigma = 1 > every data variance, in the collapsed blob of
    Theorem 1 for 12000 steps: sigma settled at the blob's 0.48 and the rate stayed 0.)
    """

    scale: float = 2.0
    amplitude: float = 1.0
    frequency: float = 2.0
    noise: tuple[float, float, float] = (0.05, 0.01, 0.1)

    def __post_init__(self):
        if len(self.noise) != 3:
            raise ValueError(f"noise must hold three standard deviations, got {self.noise!r}")
        for name, v in (("scale", self.scale), ("amplitude", self.amplitude), ("frequency", self.frequency)):
            if not np.isfinite(v) or v <= 0:
                raise ValueError(f"{name} must be positive and finite, got {v!r}")
        if any((not np.isfinite(s)) or s < 0 for s in self.noise):
            raise ValueError(f"noise must be non-negative and finite, got {self.noise!r}")

    dim = 2

    def curve(self, t: jax.Array) -> jax.Array:
        """Points c(t) on the noiseless manifold, shape t.shape + (2,)."""
        t = jnp.asarray(t, jnp.float32)
        return jnp.stack([self.scale * t, self.amplitude * jnp.sin(self.frequency * jnp.pi * t)], axis=-1)

    @staticmethod
    def region(t: jax.Array) -> jax.Array:
        """Region index 0 (moderate), 1 (small), 2 (large) of curve positions t."""
        return jnp.digitize(t, jnp.array([-1.0 / 3.0, 1.0 / 3.0], jnp.float32))

    def sample_labelled(self, key: jax.Array, n: int):
        """``(x, region, t)`` for n points: the data, their region index, their curve position."""
        t_key, noise_key = jax.random.split(key)
        t = jax.random.uniform(t_key, (n,), jnp.float32, -1.0, 1.0)
        r = self.region(t)
        noise_std = jnp.asarray(self.noise, jnp.float32)[r]
        x = self.curve(t) + noise_std[:, None] * jax.random.normal(noise_key, (n, 2), jnp.float32)
        return x, r, t

    def __call__(self, key: jax.Array, n: int) -> jax.Array:
        return self.sample_labelled(key, n)[0]


@dataclasses.dataclass(frozen=True)
class SphereUniform:
    """Uniform law on the sphere S_{D-1}(R) = {x in R^D : ||x|| = R} (Berger & Sebag 2020, Thm 1).

    A standard normal vector divided by its norm is uniform on the unit sphere (rotation
    invariance); scaling by R gives S_{D-1}(R).
    """

    dim: int
    radius: float = 1.0

    def __post_init__(self):
        if int(self.dim) != self.dim or self.dim < 2:
            raise ValueError(f"dim must be an integer >= 2, got {self.dim!r}")
        if not np.isfinite(self.radius) or self.radius <= 0:
            raise ValueError(f"radius must be positive and finite, got {self.radius!r}")

    def __call__(self, key: jax.Array, n: int) -> jax.Array:
        g = jax.random.normal(key, (n, self.dim), jnp.float32)
        return self.radius * g / jnp.linalg.norm(g, axis=-1, keepdims=True)
