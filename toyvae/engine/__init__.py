"""The training engine: ONE loop (``fit``) that trains every model of the package.

Public API (everything else is private):

* The contract (``engine.program``): :class:`Program`, one model's training as pure functions
  ``init / sample / loss / optimizer`` (+ optional ``post``, ``probe``); :func:`batch_mean` turns a
  one-example loss into a batch loss.
* The loop (``engine.fit``): ``fit(program, knobs, seeds, shared, *, steps, ...) -> Fit`` trains
  settings x seeds with common random numbers, over the devices (``layout="models"``: models
  spread over the CPU cores and vmapped in cache-sized groups; ``"data"``: one model's batch split
  over accelerators), in ``lax.scan`` chunks, with histories, probes, parameter averaging, the
  non-finite guard (:class:`NonFiniteLossError` names setting, seed and step), checkpoint/resume
  (bit-identical; :class:`CheckpointError` for an unreadable file) and a progress bar.
  :func:`stack_knobs` builds knobs; :func:`apply_models` evaluates a one-model function on every
  trained model.
* Targets as components (``engine.objectives``): :func:`distortion_target` (MB's Lagrangian) and
  :func:`rate_target` (GECO-style rule) wrap any program that reports distortion and rate.
* Layout over devices (``engine.parallel``): :func:`map_models`.

The residual-MLP VAEs of Berger & Sebag 2020 (``train``, ``VAEConfig``, ``Setting``, ``evaluate``, ...)
are a thin adapter over ``fit`` that lives beside its experiments: :mod:`toyvae.experiments.bs20_train`
and :mod:`toyvae.experiments.bs20_metrics`.

Models live in :mod:`toyvae.models` (one-example functions), data samplers in :mod:`toyvae.data`;
the engine imports them, never the experiments or claims above it.
"""

from toyvae.data.synthetic import HeteroscedasticCurve, SphereUniform
from toyvae.engine.fit import (
    CheckpointError,
    Fit,
    NonFiniteLossError,
    apply_models,
    default_cache_dir,
    fit,
    model_keys,
    stack_knobs,
)
from toyvae.engine.objectives import distortion_target, rate_target
from toyvae.engine.parallel import map_models
from toyvae.engine.program import Program, batch_mean
from toyvae.models.gaussian import Mode
from toyvae.models.mlp_vae import init_vae, negative_elbo

__all__ = [
    "Program",
    "batch_mean",
    "fit",
    "Fit",
    "stack_knobs",
    "apply_models",
    "model_keys",
    "NonFiniteLossError",
    "CheckpointError",
    "default_cache_dir",
    "distortion_target",
    "rate_target",
    "map_models",
    "HeteroscedasticCurve",
    "SphereUniform",
    "Mode",
    "init_vae",
    "negative_elbo",
]
