"""The residual-MLP Gaussian VAEs of Berger & Sebag 2020 on the engine: a thin adapter over ``fit``.

``train(config, sampler, settings, seeds)`` builds the :class:`~toyvae.engine.program.Program` of
the model of :mod:`toyvae.models.mlp_vae` for ``config`` and hands it to
:func:`toyvae.engine.fit.fit` with one knob per setting: the decoder-sigma mode, the given sigma
at every step (a constant for F-VAEs, a recorded path for the scheduled F-VAE of App. A.2) and the
KL weight. Every setting trained with the same seed starts from the same weights and sees the same
batches (the engine's common random numbers), so setting differences are not seed noise.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae.engine.fit import Fit, NonFiniteLossError, default_cache_dir, fit, model_keys
from toyvae.engine.program import Program, batch_mean
from toyvae.models import mlp_vae
from toyvae.models.gaussian import Mode

__all__ = [
    "VAEConfig",
    "Setting",
    "TrainResult",
    "NonFiniteLossError",
    "train",
    "vae_program",
    "model_keys",
    "default_cache_dir",
]


@dataclasses.dataclass(frozen=True)
class VAEConfig:
    """Static configuration shared by all models of one compiled program.

    Attributes:
        data_dim, latent_dim: sizes of x and z.
        width, depth: residual MLP of encoder and decoder (paper: 200 and 4).
        batch: fresh data points per step (paper: 100).
        steps: Adam steps; lr: Adam learning rate; adam_eps: Adam's epsilon (optax default).
        sigma_floor: lower floor of a learned sigma (models.gaussian); 0 disables it.
        chunk: steps per call of the jitted program (progress bar, guard and checkpoint
            granularity); record_every: steps averaged into one history entry.
        average_last: fraction of the steps at the end over which the parameters are averaged
            (Polyak averaging, ``TrainResult.averaged``); 0 keeps no average.
    """

    data_dim: int = 2
    latent_dim: int = 2
    width: int = 200
    depth: int = 4
    batch: int = 100
    steps: int = 10_000
    lr: float = 1e-3
    adam_eps: float = 1e-8
    sigma_floor: float = 1e-3
    chunk: int = 500
    record_every: int = 10
    average_last: float = 0.0

    def __post_init__(self):
        for name in ("data_dim", "latent_dim", "width", "batch", "steps", "chunk", "record_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if (isinstance(self.depth, bool) or not isinstance(self.depth, (int, float, np.integer, np.floating))
                or int(self.depth) != self.depth or self.depth < 0):
            raise ValueError(f"depth must be a non-negative integer, got {self.depth!r}")
        for name in ("lr", "adam_eps", "sigma_floor", "average_last"):
            if isinstance(getattr(self, name, 0.0), (bool, str, bytes)):
                raise ValueError(f"{name} must be a number, got {getattr(self, name)!r}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be positive and finite, got {self.lr!r}")
        if not (np.isfinite(self.adam_eps) and self.adam_eps > 0):
            raise ValueError(f"adam_eps must be positive and finite, got {self.adam_eps!r}")
        if not (np.isfinite(self.sigma_floor) and 0 <= self.sigma_floor < 1):
            raise ValueError(f"sigma_floor must lie in [0, 1), got {self.sigma_floor!r}")
        if not (np.isfinite(self.average_last) and 0 <= self.average_last < 1):
            raise ValueError(f"average_last must lie in [0, 1), got {self.average_last!r}")
        if self.chunk % self.record_every:
            raise ValueError(f"chunk ({self.chunk}) must be a multiple of record_every ({self.record_every})")
        if self.steps % self.record_every:
            raise ValueError(f"steps ({self.steps}) must be a multiple of record_every ({self.record_every})")

    @property
    def average_from(self) -> int | None:
        """The step from which parameters are averaged (None when ``average_last`` is 0)."""
        return None if self.average_last == 0 else int(round(self.steps * (1 - self.average_last)))


@dataclasses.dataclass(frozen=True, eq=False)
class Setting:
    """One decoder variant (a row of Table 1). Use the constructors below.

    Attributes:
        name: label used in messages and tables.
        mode: ``Mode.GIVEN`` (fixed or scheduled), ``SCALAR`` (LS-VAE) or ``VECTOR`` (LV-VAE).
        sigma: the fixed sigma of a GIVEN setting.
        schedule: optional sigma per step of a GIVEN setting (App. A.2); the last value is held.
        kl_weight: lambda in front of the KL term (Sec. 3.2); 1 for a plain VAE.
    """

    name: str
    mode: Mode
    sigma: float = 1.0
    schedule: np.ndarray | None = None
    kl_weight: float = 1.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        if int(self.mode) not in {int(m) for m in Mode}:
            raise ValueError(f"mode must be a Mode, got {self.mode!r}")
        if not (np.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(f"sigma must be positive and finite, got {self.sigma!r}")
        if not (np.isfinite(self.kl_weight) and self.kl_weight >= 0):
            raise ValueError(f"kl_weight must be non-negative and finite, got {self.kl_weight!r}")
        if self.schedule is not None:
            s = np.asarray(self.schedule, np.float64)
            if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s) & (s > 0)):
                raise ValueError("schedule must be a non-empty 1-D array of positive sigmas")

    @classmethod
    def fixed(cls, sigma: float, name: str | None = None, kl_weight: float = 1.0) -> "Setting":
        return cls(name or f"F {sigma:g}", Mode.GIVEN, float(sigma), None, float(kl_weight))

    @classmethod
    def scalar(cls, name: str = "LS") -> "Setting":
        return cls(name, Mode.SCALAR)

    @classmethod
    def vector(cls, name: str = "LV") -> "Setting":
        return cls(name, Mode.VECTOR)

    @classmethod
    def scheduled(cls, schedule, name: str = "F sched") -> "Setting":
        s = np.asarray(schedule, np.float64)
        return cls(name, Mode.GIVEN, float(s[-1]) if s.size else 1.0, s)

    def sigma_per_step(self, steps: int) -> np.ndarray:
        """The given sigma at steps 0 .. steps-1 (ones for learned modes, unused there)."""
        if self.schedule is None:
            return np.full(steps, self.sigma, np.float32)
        s = np.asarray(self.schedule, np.float32)
        return s[np.minimum(np.arange(steps), s.size - 1)]


@dataclasses.dataclass(frozen=True, eq=False)
class TrainResult:
    """The outcome of :func:`train`.

    Attributes:
        params: parameter pytree with leading axes (n_settings, n_seeds).
        averaged: the parameters averaged over the last ``config.average_last`` of the steps
            (same layout), or None.
        history: "loss", "distortion", "rate", "sigma" (mean decoder sigma), "sq_err" (squared error
            per dimension at the sampled z), each an array (n_settings, n_seeds, steps // record_every)
            of averages over record_every steps.
        seconds: wall time of the training loop (compilation included); steps_run: steps done
            in this process (0 when everything came from a checkpoint).
        fit: the engine's full result.
    """

    config: VAEConfig
    settings: tuple[Setting, ...]
    seeds: tuple[int, ...]
    params: dict
    averaged: dict | None
    history: dict[str, np.ndarray]
    seconds: float
    steps_run: int
    fit: Fit

    def model(self, setting: int, seed: int, *, averaged: bool = False) -> dict:
        """Parameters of one model (indices into settings and seeds)."""
        return self.fit.model(setting, seed, averaged=averaged)

    def index(self, name: str) -> int:
        """Index of the setting called ``name``."""
        return self.fit.index(name)


def _model_key(config: VAEConfig) -> VAEConfig:
    """The fields that shape the compiled step (steps, chunk, record_every, averaging do not)."""
    return dataclasses.replace(config, steps=config.record_every, chunk=config.record_every, average_last=0.0)


@functools.cache
def _vae_program(config: VAEConfig, sampler: Callable) -> Program:
    def init(knobs, *, key):
        return mlp_vae.init_vae(key, config.data_dim, config.latent_dim, config.width, config.depth,
                                config.sigma_floor)

    def sample(knobs, shared, *, key):
        return sampler(key, config.batch)

    def loss(params, x, knobs, *, key, step):
        path = knobs["sigma_path"]
        given = path[jnp.minimum(step, path.shape[0] - 1)]
        def example(p, xi, *, key):
            return mlp_vae.negative_elbo(p, xi, key, knobs["mode"], given, knobs["kl_weight"], config.sigma_floor)

        return batch_mean(example, params, x, key=key)

    def optimizer(knobs):
        return optax.adam(config.lr, eps=config.adam_eps)

    return Program(name="mlp_vae", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(config, sampler))


def vae_program(config: VAEConfig, sampler: Callable) -> Program:
    """The Program of ``train`` (cached: the same config and sampler give the same object)."""
    return _vae_program(_model_key(config), sampler)


def settings_knobs(settings: Sequence[Setting], steps: int) -> dict:
    """The knobs of :func:`vae_program` for a list of settings."""
    return {
        "mode": jnp.asarray([int(s.mode) for s in settings], jnp.int32),
        "sigma_path": jnp.asarray(np.stack([s.sigma_per_step(steps) for s in settings]), jnp.float32),
        "kl_weight": jnp.asarray([s.kl_weight for s in settings], jnp.float32),
    }


def train(config: VAEConfig, sampler: Callable, settings: Sequence[Setting], seeds: Sequence[int],
          *, checkpoint: str | os.PathLike | None = None, progress: bool = True,
          stop_after: int | None = None, desc: str = "train", group: int | None | str = "auto",
          layout: str = "models") -> TrainResult:
    """Train every (setting, seed) pair as one compiled program (``engine.fit``).

    Args:
        config: the shared static configuration.
        sampler: hashable ``sample(key, n) -> (n, data_dim)`` (``toyvae.data.synthetic``).
        settings: decoder variants; seeds: integer seeds. Models = settings x seeds.
        checkpoint: optional .npz path; saved after every chunk and resumed from when its
            fingerprint (config, sampler, settings, seeds) matches.
        progress: show a tqdm bar over steps.
        stop_after: stop after this many steps (a simulated interruption, for tests).
        group, layout: how models map onto devices (``engine.fit``); they change speed and
            rounding, not the function.

    Raises:
        NonFiniteLossError: a loss became NaN or infinite (message: setting, seed, step).
    """
    if not isinstance(config, VAEConfig):
        raise TypeError(f"config must be a VAEConfig, got {type(config).__name__}")
    if not callable(sampler):
        raise TypeError(f"sampler must be callable as sampler(key, n), got {sampler!r}")
    settings = tuple(settings)
    if not settings:
        raise ValueError("settings must not be empty")
    if not all(isinstance(s, Setting) for s in settings):
        raise TypeError("settings must be Setting objects (Setting.fixed, .scalar, .vector, .scheduled)")
    dim = getattr(sampler, "dim", None)
    if dim is not None and int(dim) != config.data_dim:
        raise ValueError(f"sampler draws {dim}-dimensional points but config.data_dim is {config.data_dim}")
    result = fit(vae_program(config, sampler), settings_knobs(settings, config.steps), seeds,
                 steps=config.steps, chunk=config.chunk, record_every=config.record_every,
                 average_from=config.average_from, names=[s.name for s in settings], checkpoint=checkpoint,
                 progress=progress, desc=desc, layout=layout, group=group, stop_after=stop_after)
    history = dict(result.history)
    return TrainResult(config, settings, result.seeds, result.params, result.averaged, history,
                       result.seconds, result.steps_run, result)
