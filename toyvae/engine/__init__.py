"""The jitted VAE engine: residual-MLP Gaussian VAEs trained many at once, on every CPU core.

Public API (everything else is private):

* Data (``engine.data``): samplers ``sample(key, n) -> (n, D)``, hashable frozen dataclasses:
  :class:`HeteroscedasticCurve` (Berger & Sebag 2020, Fig. 3, our curve) and
  :class:`SphereUniform` (S_{D-1}(R), Thm 1). Any hashable callable of that signature works.
* Model (``engine.decoders``, ``engine.nets``): :class:`Mode` of the decoder sigma (GIVEN,
  SCALAR = LS-VAE, VECTOR = LV-VAE), :func:`negative_elbo` of one example, :func:`init_vae`.
* Training (``engine.train``): :class:`VAEConfig` (frozen: sizes, steps, lr, batch, sigma floor,
  chunk), :class:`Setting` (``Setting.fixed(sigma, kl_weight=...)``, ``.scalar()``,
  ``.vector()``, ``.scheduled(sigmas)``), and

      result = train(config, sampler, settings, seeds, checkpoint=None, progress=True)

  which trains len(settings) x len(seeds) models as ONE compiled program (a ``lax.scan`` of steps
  for one model, applied to all of them by :func:`~toyvae.engine.parallel.map_models`: the models
  spread over the CPU cores, vmapped in cache-sized groups on each) and returns a
  :class:`TrainResult` (params with leading axes (setting, seed), loss / distortion / rate / sigma
  histories). Same seed => same initial weights and batches in every setting; the same call on
  the same machine => bit-identical results; NaN/inf raises
  :class:`NonFiniteLossError` naming setting, seed and step; ``checkpoint=path.npz`` resumes.
* Parallelism (``engine.parallel``): :func:`map_models` (one-model function -> all models, over
  devices and vmapped groups); its docstring has the measurements behind the layout.
* Metrics (``engine.metrics``): :func:`evaluate` (held-out ELBO, IWAE_k, rate, distortion,
  squared error per dimension, nats per point with all constants), :func:`reconstruct`,
  :func:`generate`.

Example (issue 4, fixed-sigma VAEs on a sphere for a sigma grid)::

    cfg = VAEConfig(data_dim=8, latent_dim=8, width=64, depth=2, steps=5000)
    res = train(cfg, SphereUniform(8, 1.0), [Setting.fixed(s) for s in (0.2, 0.35, 0.5)], seeds=[0, 1])
    radius = np.linalg.norm(generate(res, 0, 0, 1000)[0], axis=-1).mean()
"""

from toyvae.engine.data import HeteroscedasticCurve, SphereUniform
from toyvae.engine.decoders import Mode, init_vae, negative_elbo
from toyvae.engine.metrics import evaluate, final_sigma, generate, reconstruct
from toyvae.engine.parallel import map_models
from toyvae.engine.train import (
    NonFiniteLossError,
    Setting,
    TrainResult,
    VAEConfig,
    default_cache_dir,
    train,
)

__all__ = [
    "HeteroscedasticCurve",
    "SphereUniform",
    "Mode",
    "init_vae",
    "negative_elbo",
    "VAEConfig",
    "Setting",
    "TrainResult",
    "NonFiniteLossError",
    "train",
    "default_cache_dir",
    "map_models",
    "evaluate",
    "final_sigma",
    "generate",
    "reconstruct",
]
