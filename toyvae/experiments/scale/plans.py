"""Sizes of the SCALE section per profile: QUICK (two shared CPU cores) and FULL (CelebA size, one H200).

One mapping, ``PLANS = {Profile.QUICK: ScalePlan(...), Profile.FULL: ScalePlan(...)}``; the
experiments read :func:`plan`. Both profiles run the same code; FULL is the section the issue asks
for (64 x 64 x 3 inputs, latents up to 2048, sphere data up to D = 12288), QUICK the same experiments
at CPU size (the conv VAE on 16 x 16 x 3 crops with 16 latents, the linear VAE on 8 x 8 x 3 crops with
32 latents, the sphere at D = 128 with 128 and 32 latents).

**Dry run.** With the environment variable ``TOYVAE_SCALE_DRY_RUN=1``, or under the dry run of every full
profile (``TOYVAE_FULL_DRY_RUN``, :mod:`toyvae.profiles`), the FULL profile runs the QUICK plan (and the
claims record ``"dry_run": true``): the FULL sizes (a 12288 x 12288 float64 eigendecomposition, 50 M-parameter
linear VAEs) are beyond a CPU even for a few steps, so this section names its own dry-run plan
(``plan_for(PLANS, profile, dry=PLANS[QUICK])``). ``scripts/gpu_scale.sh --dry-run`` uses it to check the
GPU command end to end on a CPU at a reduced size.

**FULL on one H200: the estimate** (float32 products at full precision, no TF32; H200 float32 peak
about 67 TFLOP/s by the datasheet; we assume 30 TFLOP/s achieved, to be replaced by the benchmark's
in-run measurement; a training step costs 3 x the forward FLOPs = 6 FLOPs per multiply-add):

==============================  =========================================================  =========
part                            FLOPs                                                      at 30 TF/s
==============================  =========================================================  =========
sphere D = 2048, d = 2048       15 models x 1500 steps x 64 x 6 x 8.4 M MACs = 0.07 PFLOP      2 s
sphere D = 12288, d = 2048      15 models x 1500 steps x 64 x 6 x 50.3 M MACs = 0.43 PFLOP    15 s
linear VAE 12288 -> 2048        6 models x 3000 steps x 256 x 6 x 50.3 M MACs = 1.39 PFLOP    46 s
  crop covariance               420,112 crops x 12288^2 MACs x 2 = 0.13 PFLOP                  4 s
  two float64 eigvalsh (12288)  cuSOLVER; memory-bound tridiagonalisation                    ~30 s
conv VAE 64 x 64, latent 256,   27 models x 1500 steps x 64 x 3 x 0.52 GFLOP = 4.1 PFLOP     136 s
  widths 64-128-256-512
compilation, evaluation, the benchmark                                                     ~120 s
==============================  =========================================================  =========

about 6 minutes in all (8 if the convolutions reach only 15 TFLOP/s), inside the 10 minutes of one
lease. Peak GPU memory (float32 parameters, two Adam moments and gradients: 16 bytes per parameter):
the D = 12288 sphere program 15 x 50.3 M x 16 B = 12 GB; the linear program 6 x 50.3 M x 16 B = 4.8 GB
plus the crops' covariance and its DCT transform (1.2 GB each in float64); the conv program, whose
models train one after another (``group=1``), 27 x 11.9 M x 16 B = 5.1 GB of model state plus one model's
activations (~5 MB per image for forward and backward, x 64). So under 25 GB: one H200 (139 GB)
holds every part; the claims record the measured peak (``measured["device"]``).

On the two-core development CPU the QUICK plan of all six claims took 62 s (load average 1.6-2.7) to
116 s (load 2-4), the conv VAE two thirds of it.
"""

from __future__ import annotations

import dataclasses
import os

from toyvae.profiles import Profile, full_dry_run, plan_for

__all__ = ["DRY_RUN_VAR", "SpherePlan", "LinearPlan", "ConvPlan", "ScalePlan", "PLANS", "plan", "dry_run"]

DRY_RUN_VAR = "TOYVAE_SCALE_DRY_RUN"


@dataclasses.dataclass(frozen=True)
class SpherePlan:
    """BS20 Theorem 1 in high dimension: linear F-VAEs on S_{D-1}(sqrt D) (``sphere_hd``).

    Attributes:
        dims: ``(D, d, latents, lr)`` per data dimension: one program with ``d`` latents in which each
            latent count of ``latents`` (each <= d) trains as its own settings, and Adam's peak step
            size ``lr`` (scaled as 1/sqrt(d): Adam moves every entry by about lr, and the entries of
            the optimal decoder scale as 1/sqrt(d)).
        steps, batch: Adam's steps (cosine decay of the step size to 2%) and batch.
        seeds: the training seeds (a tuple, so that ``verify --seed-offset K`` shifts them like every plan's;
            until 2026-12-06 a count, which the offset left unshifted).
    """

    dims: tuple[tuple[int, int, tuple[int, ...], float], ...]
    steps: int
    batch: int
    seeds: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class LinearPlan:
    """NL26 eqs. 44-46, Theorem 41 and rate matching: linear VAEs on flattened crops (``linear_crops``).

    Attributes:
        size: crop side (n = 3 size^2 inputs); latent: d latents.
        steps, batch, lr: Adam with a cosine decay to ``lr * 0.01`` (an annealed end).
        seeds: training seeds (common random numbers across the two metrics).
        active_fraction: fixes the matched rate: the rate at which the edge metric's closed-form
            optimum codes this fraction of the d latents (``linear_crops.matched_rate``). A rule
            rather than a number, so that each profile's rate suits its spectrum: high enough that
            many components are coded, low enough that the cap of d latents binds for neither metric.
    """

    size: int
    latent: int
    steps: int
    batch: int
    lr: float
    seeds: tuple[int, ...]
    active_fraction: float


@dataclasses.dataclass(frozen=True)
class ConvPlan:
    """The conv VAE on crops (``conv_crops``): BS20 Table 2's decoders and NL26 claims 1-2.

    Attributes:
        size, widths, latent: the ``ConvConfig`` (crop side, encoder widths, latent dimension).
        steps, batch, lr: Adam with a cosine decay to ``lr * 0.05``.
        seeds: training seeds.
        beta_c1: the KL weight of the fixed-beta lambda sweep (NL26 claim 1).
        rate_c2: the rate (nats) that the GECO rule holds in the matched-rate sweep (claim 2).
        lambdas_c1: the neural-loss weights of the fixed-beta sweep (claim 1); a pixel-only control
            with the pixel weight of ``lambdas_c1[1]`` trains beside them.
        lambdas_c2: the neural-loss weights of the matched-rate sweep (claim 2).
        n_train_eval: fixed training crops on which rates and anisotropies are evaluated.
        k_eval: posterior samples per point of the held-out ELBO.
        group: models vmapped together per device (``fit``'s ``group``). 1: one model at a time, so
            every convolution is an ordinary one; vmapping models turns a convolution into a grouped
            one (the models' kernels as feature groups), which XLA:CPU runs far more slowly.
    """

    size: int
    widths: tuple[int, ...]
    latent: int
    steps: int
    batch: int
    lr: float
    seeds: tuple[int, ...]
    beta_c1: float
    rate_c2: float
    lambdas_c1: tuple[float, ...]
    lambdas_c2: tuple[float, ...]
    n_train_eval: int
    k_eval: int
    group: int | None


@dataclasses.dataclass(frozen=True)
class ScalePlan:
    """Everything one profile of the SCALE section trains."""

    sphere: SpherePlan
    linear: LinearPlan
    conv: ConvPlan


PLANS = {
    Profile.QUICK: ScalePlan(
        sphere=SpherePlan(dims=((128, 128, (128, 32), 2e-2),), steps=900, batch=32, seeds=(0, 1, 2)),
        linear=LinearPlan(size=8, latent=32, steps=1500, batch=64, lr=1e-2, seeds=(0, 1, 2), active_fraction=0.5),
        conv=ConvPlan(size=16, widths=(8, 16), latent=16, steps=200, batch=16, lr=2e-3, seeds=(0, 1, 2),
                      beta_c1=0.02, rate_c2=30.0, lambdas_c1=(0.0, 0.5), lambdas_c2=(0.0, 0.5),
                      n_train_eval=128, k_eval=4, group=1),
    ),
    Profile.FULL: ScalePlan(
        sphere=SpherePlan(dims=((2048, 2048, (2048,), 5e-3), (12288, 2048, (2048,), 5e-3)), steps=1500, batch=64,
                          seeds=(0, 1, 2)),
        linear=LinearPlan(size=64, latent=2048, steps=3000, batch=256, lr=3e-3, seeds=(0, 1, 2),
                          active_fraction=0.5),
        conv=ConvPlan(size=64, widths=(64, 128, 256, 512), latent=256, steps=1500, batch=64, lr=5e-4,
                      seeds=(0, 1, 2), beta_c1=0.02, rate_c2=400.0, lambdas_c1=(0.0, 0.5, 1.0), lambdas_c2=(0.0, 0.5),
                      n_train_eval=256, k_eval=8, group=1),
    ),
}


def dry_run() -> bool:
    """True when ``TOYVAE_SCALE_DRY_RUN`` is set to a non-empty value other than "0", or under the dry run of
    every full profile (``TOYVAE_FULL_DRY_RUN``: :func:`toyvae.profiles.full_dry_run`)."""
    return os.environ.get(DRY_RUN_VAR, "") not in ("", "0") or full_dry_run() is not None


def plan(profile: Profile) -> ScalePlan:
    """The plan of ``profile`` (the QUICK plan for FULL under a dry run: module docstring)."""
    profile = Profile(profile)
    if profile is Profile.FULL and dry_run():
        return plan_for(PLANS, Profile.QUICK)  # its own dry-run plan (plan_for's dry=), under either variable
    return plan_for(PLANS, profile)
