"""The convolutional VAE on natural-photo crops: BS20 Table 2's decoders and NL26 claims 1-2.

Model: :mod:`toyvae.models.conv_vae` (the DCGAN-style networks of :mod:`toyvae.models.conv` with the
F / LS / LV decoders of BS20 and NL26's neural loss). Data: dequantised crops ``(k + u)/256`` of the
two training photos drawn inside the step (:func:`toyvae.data.photos.sample_crops`); held out: the 72
disjoint tiles of the held-out photo (:func:`toyvae.data.photos.held_out_crops`), dequantised once
with a fixed key.

ONE engine Program (:func:`conv_program`) trains every setting, x the plan's seeds (common random
numbers: the same initial weights and batches for every setting of a seed):

* ``F``  - fixed sigma^2 = 1/2 (the MSE loss, BS20.S32-mse), lam = 0, beta = 1;
* ``LS`` - a learned scalar sigma (eq. 10), ``LV`` - a learned per-pixel sigma (eq. 11, floor 1e-3);
* ``fixed lam=L`` for L in ``lambdas_c1`` - the F decoder with NL26's loss
  ``(1 - L) d_pix + L d_phi + beta_c1 KL`` at a fixed beta (claim 1), and ``pixel control lam=L`` for
  the middle L: the pixel term alone with the same weight, ``(1 - L) d_pix + beta_c1 KL``, i.e. beta
  ``beta_c1 / (1 - L)`` (what the neural term adds at equal pixel weight, as in NL26.C1);
* ``matched lam=L`` for L in ``lambdas_c2`` - the same loss with beta moved by the GECO-style rule of
  :func:`toyvae.engine.rate_target` so that the batch rate stays at ``rate_c2`` nats (claim 2).

The rule's step is ``eta = 0.1 / rate_c2`` per nat of rate error: a batch rate off by 10% moves
log beta by 0.01 per step, whatever the size of the target (NL26.C2's patch runs use 0.005 per nat at
3 nats, about the same relative step).

Optimiser: Adam, step size ``lr`` with a cosine decay to 5% (an annealed end, applied to every
setting alike). The LS-VAE's scalar log sigma has its own Adam with 30 x the step size: Adam moves a
parameter by about its step size per step, so with the network's step size one scalar could travel
at most 0.4 in log sigma in the quick run (200 steps of 2e-3) and 0.75 in the full one, while the
learned sigma must fall from BS20's initial 1 to about the root-mean-square error (log sigma near
-2); the network outputs (m, log s, mu and the per-pixel log sigma of LV) are sums over many weights
and need no such help. (Parameter averaging is not used: see ``sphere_hd``'s docstring on drifting
symmetries.) Evaluation (one ``apply_models`` call, the same points and noise for every model):
on the held-out tiles, the ELBO from ``k_eval`` posterior samples per tile, in nats and in bits per
dimension ``-ELBO / (D ln 2) + 8`` (the dequantisation bound of :mod:`toyvae.data.photos`); on
``n_train_eval`` fixed training crops, the rate ``E_x KL`` and the posterior anisotropy
``A_post = E_x Var_i log s_i(x)`` (NL26.C2's "mean_of_variances").
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae.data import photos
from toyvae.engine import Fit, Program, apply_models, batch_mean, fit, rate_target
from toyvae.experiments.scale.plans import ConvPlan, plan
from toyvae.models import conv, conv_vae
from toyvae.models.gaussian import Mode
from toyvae.profiles import Profile
from toyvae.experiments._cache import cached

__all__ = ["MSE_SIGMA", "GECO_STEP", "SCALAR_LR_FACTOR", "conv_config", "base_program", "conv_program",
           "settings", "ConvRuns", "train", "run", "reconstructions", "samples"]

MSE_SIGMA = math.sqrt(0.5)  # summed squared error = Gaussian NLL with sigma^2 = 1/2 (BS20 Sec. 4.3)
GECO_STEP = 0.1  # eta * rate_c2: a batch rate off by 10% moves log beta by 0.01 per step
SCALAR_LR_FACTOR = 30.0  # the LS-VAE's log sigma gets its own Adam with 30 x the step size (module docstring)


def conv_config(p: ConvPlan) -> conv.ConvConfig:
    """The plan's network (per-pixel log-sigma output always present: every decoder shares one pytree)."""
    return conv.ConvConfig(image_size=p.size, widths=tuple(p.widths), latent_dim=p.latent, pixel_log_sigma=True)


@functools.cache
def base_program(config: conv.ConvConfig, batch: int, steps: int, lr: float) -> Program:
    """The conv VAE of one setting without the GECO rule (cached): knobs ``mode``, ``sigma``, ``lam``, ``beta``;
    shared ``stack`` (the training photos); dequantised crops drawn in the step; loss
    :func:`toyvae.models.conv_vae.example_loss` averaged over the batch; optimiser as the module docstring."""

    def init(knobs, *, key):
        return conv_vae.init(config, key=key)

    def sample(knobs, shared, *, key):
        return photos.sample_crops(shared["stack"], batch, key=key, dequantize=True)

    def loss(params, x, knobs, *, key, step):
        return batch_mean(conv_vae.example_loss, params, x, knobs["mode"], knobs["sigma"], knobs["lam"],
                          knobs["beta"], key=key)

    def optimizer(knobs):
        def labels(params):  # by path: the wrapper of rate_target hands in its whole (masked) pytree
            def label(path, _):
                return "scalar" if any(getattr(k, "key", None) == "log_sigma" for k in path) else "net"

            return jax.tree_util.tree_map_with_path(label, params)

        schedule = lambda peak: optax.cosine_decay_schedule(peak, steps, alpha=0.05)  # noqa: E731
        return optax.multi_transform({"net": optax.adam(schedule(lr)),
                                      "scalar": optax.adam(schedule(SCALAR_LR_FACTOR * lr))}, labels)

    return Program(name="conv_vae_crops", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(config, batch, steps, lr, conv_vae.FLOOR))


def conv_program(config: conv.ConvConfig, batch: int, steps: int, lr: float, rate: float) -> Program:
    """The conv VAE with the GECO rule on the settings whose ``geco`` knob is 1 (cached)."""
    return rate_target(base_program(config, batch, steps, lr), target_knob="rate_target", beta_knob="beta",
                       active_knob="geco", eta=GECO_STEP / rate)


def settings(p: ConvPlan) -> list[dict]:
    """The settings of the module docstring, each a dict with its ``name`` and knobs."""
    rows = [
        {"name": "F", "mode": int(Mode.GIVEN), "sigma": MSE_SIGMA, "lam": 0.0, "beta": 1.0, "geco": 0.0},
        {"name": "LS", "mode": int(Mode.SCALAR), "sigma": MSE_SIGMA, "lam": 0.0, "beta": 1.0, "geco": 0.0},
        {"name": "LV", "mode": int(Mode.VECTOR), "sigma": MSE_SIGMA, "lam": 0.0, "beta": 1.0, "geco": 0.0},
    ]
    for lam in p.lambdas_c1:
        rows.append({"name": f"fixed lam={lam:g}", "mode": int(Mode.GIVEN), "sigma": MSE_SIGMA, "lam": lam,
                     "beta": p.beta_c1, "geco": 0.0})
    # (1 - lam) d_pix + beta KL = (1 - lam) (d_pix + beta / (1 - lam) KL): the pixel loss alone, at the
    # pixel weight of the sweep's middle lambda
    control = p.lambdas_c1[1]
    rows.append({"name": f"pixel control lam={control:g}", "mode": int(Mode.GIVEN), "sigma": MSE_SIGMA, "lam": 0.0,
                 "beta": p.beta_c1 / (1.0 - control), "geco": 0.0})
    for lam in p.lambdas_c2:
        rows.append({"name": f"matched lam={lam:g}", "mode": int(Mode.GIVEN), "sigma": MSE_SIGMA, "lam": lam,
                     "beta": p.beta_c1, "geco": 1.0})
    for row in rows:
        row["rate_target"] = p.rate_c2
    return rows


@functools.cache
def _evaluation(k: int):
    """The per-model evaluation (a stable function per k, as ``apply_models`` requires)."""

    def evaluate(params, knobs, shared, *, key):
        model = params["model"]
        held, train_x = shared["held"], shared["train"]
        keys = jax.random.split(key, held.shape[0])
        bounds = jax.vmap(lambda x, kk: conv_vae.point_bounds(model, x, kk, knobs["mode"], knobs["sigma"],
                                                              conv_vae.FLOOR, k))(held, keys)
        m, s = jax.vmap(lambda x: conv_vae.encode(model, x))(train_x)
        rate = 0.5 * jnp.sum(jnp.square(m), axis=1) + 0.5 * jnp.sum(s - 1.0 - jnp.log(s), axis=1)
        return {"elbo": bounds[:, 0], "held_rate": bounds[:, 2], "rate": rate,
                "anisotropy": jnp.var(jnp.log(s), axis=1), "beta": jnp.exp(params["dual"])}

    return evaluate


@dataclasses.dataclass(frozen=True)
class ConvRuns:
    """Trained conv VAEs and their evaluations (leading axes: settings, seeds), float64 NumPy.

    Attributes:
        fit: the engine's Fit (parameters, histories); names: the settings; plan: the sizes.
        config: the network; dim: D = 3 size^2.
        elbo: held-out ELBO per tile (nats), (settings, seeds, 72); bits_per_dim: ``-mean ELBO / (D ln 2) + 8``.
        rate, anisotropy: per fixed training crop, (settings, seeds, n_train_eval).
        beta: the final KL weight (the GECO rule's for matched settings), (settings, seeds).
        held: the dequantised held-out tiles; seconds: training and evaluation wall time.
    """

    fit: Fit
    names: tuple[str, ...]
    plan: ConvPlan
    config: conv.ConvConfig
    dim: int
    elbo: np.ndarray
    bits_per_dim: np.ndarray
    rate: np.ndarray
    anisotropy: np.ndarray
    beta: np.ndarray
    held: np.ndarray
    seconds: float

    def index(self, name: str) -> int:
        return self.names.index(name)


def train(p: ConvPlan, *, layout: str = "models") -> ConvRuns:
    """Train every setting x seed as one ``fit`` and evaluate (module docstring)."""
    start = time.perf_counter()
    config = conv_config(p)
    rows = settings(p)
    knobs = {k: jnp.asarray([r[k] for r in rows], jnp.int32 if k == "mode" else jnp.float32)
             for k in ("mode", "sigma", "lam", "beta", "geco", "rate_target")}
    names = tuple(r["name"] for r in rows)
    stack = photos.training_stack(size=p.size)
    result = fit(conv_program(config, p.batch, p.steps, p.lr, p.rate_c2), knobs, p.seeds, {"stack": stack},
                 steps=p.steps, chunk=p.steps, record_every=10, names=names, progress=False, desc="conv VAEs on crops",
                 layout=layout, group=p.group)
    held_key, train_key = jax.random.split(jax.random.PRNGKey(20_000))
    held = np.asarray(photos.dequantize(photos.held_out_crops(size=p.size), key=held_key))
    train_x = np.asarray(photos.sample_crops(stack, p.n_train_eval, key=train_key, dequantize=True))
    out = apply_models(_evaluation(p.k_eval), result, {"held": jnp.asarray(held), "train": jnp.asarray(train_x)},
                       group=p.group)
    dim = 3 * p.size * p.size
    elbo = np.asarray(out["elbo"], np.float64)
    return ConvRuns(fit=result, names=names, plan=p, config=config, dim=dim, elbo=elbo,
                    bits_per_dim=-elbo.mean(axis=-1) / (dim * math.log(2.0)) + 8.0,
                    rate=np.asarray(out["rate"], np.float64), anisotropy=np.asarray(out["anisotropy"], np.float64),
                    beta=np.asarray(out["beta"], np.float64), held=held, seconds=time.perf_counter() - start)


@cached
def _run(p: ConvPlan) -> ConvRuns:
    return train(p)


def run(profile: Profile = Profile.QUICK) -> ConvRuns:
    """The profile's conv-VAE runs (cached per plan)."""
    return _run(plan(profile).conv)


@jax.jit
def _reconstruct(model, x):
    m, _ = jax.vmap(lambda xi: conv_vae.encode(model, xi))(x)
    return jax.vmap(lambda z: conv_vae.decode_raw(model, z)[0])(m)


@jax.jit
def _sample(model, z):
    return jax.vmap(lambda zi: conv_vae.decode_raw(model, zi)[0])(z)


def reconstructions(runs: ConvRuns, name: str, seed_index: int, x: np.ndarray) -> np.ndarray:
    """Decoder means at the posterior means, ``mu(m(x))``, of one model for images ``x`` (n, 3, S, S)."""
    model = runs.fit.model(runs.index(name), seed_index)["model"]
    return np.asarray(_reconstruct(model, jnp.asarray(x)))


def samples(runs: ConvRuns, name: str, seed_index: int, n: int, *, seed: int = 0) -> np.ndarray:
    """Decoder means ``mu(z)`` of one model for ``n`` prior samples z (the same z for every model)."""
    model = runs.fit.model(runs.index(name), seed_index)["model"]
    z = jax.random.normal(jax.random.PRNGKey(seed), (n, runs.config.latent_dim))
    return np.asarray(_sample(model, z))
