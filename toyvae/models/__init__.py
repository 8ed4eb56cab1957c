"""Models for ONE example: pure functions of (params, x, key) that the engine trains.

Each module holds one family: its parameter initialiser, encoder and decoder, and the
per-example loss that an experiment turns into an engine ``Program``. Models import only from
``toyvae.theory``, ``toyvae.profiles`` and ``toyvae.data``, never from the engine or above.

**Conventions** (checked for every module by ``tests/test_conformance.py``):

* ``init(..., *, key) -> params``: sizes and options first, the PRNG key keyword-only; params are a
  pytree of float32 arrays (a dict, a NamedTuple or an ``eqx.Module``), float32 even when JAX runs
  with x64 enabled. A module with several models names them ``init_<model>`` (``two_stage``).
* ``example_loss(params, example, ..., *, key) -> (loss, aux)`` for ONE example (no batch axis):
  ``loss`` a float32 scalar, ``aux`` a dict of float32 arrays holding at least ``"distortion"``
  and ``"rate"`` (nats; ``rate`` a KL, ``distortion`` the reconstruction term as the model defines
  it), which the engine's targets (``toyvae.engine.objectives``) read. Experiments batch it with
  ``jax.vmap`` (``toyvae.engine.batch_mean``); it must jit, vmap over examples and have a finite
  gradient. Extra arguments (beta, sigma, a metric) may be traced arrays: never branch on them in
  Python. Other losses of one module follow the same form under their own names
  (``two_stage.vae_loss``, ``two_stage.conditional_loss``).
* One Gaussian KL: :func:`toyvae.models.gaussian.kl_standard_normal` (and
  :func:`~toyvae.models.gaussian.kl_diagonal` between two diagonal Gaussians); a model does not
  write its own. Its options keep the float32 order of operations that each model's trained
  verdicts were computed with.
* Networks without a loss (``conv``, ``mlp``) follow the same ``init(..., *, key)``.

Older entry points with the key first (``mlp.init_resnet``, ``mlp_vae.init_vae`` and
``mlp_vae.negative_elbo``, ``patch_vae.init_vae``, ``two_stage.init_vae`` / ``init_conditional``)
stay for their callers and compute the same numbers; new code uses the conventional ones.

Modules: :mod:`~toyvae.models.linear` (linear-Gaussian VAE, NL26 App. D),
:mod:`~toyvae.models.multirate` (beta-conditioned linear VAE), :mod:`~toyvae.models.two_stage`
(MB's primary and conditional secondary, linear and MLP), :mod:`~toyvae.models.mlp_vae` (BS20's
residual-MLP VAE), :mod:`~toyvae.models.conv_vae` (the same family on convolutional networks, and
NL26's neural loss), :mod:`~toyvae.models.patch_vae` (NL26's patch VAE with feature and adversarial
terms); :mod:`~toyvae.models.gaussian` (BS20's decoder-sigma modes, the likelihood, the KL, the
ELBO), :mod:`~toyvae.models.mlp` and :mod:`~toyvae.models.conv` (networks).
"""
