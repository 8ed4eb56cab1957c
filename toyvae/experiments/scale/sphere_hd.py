"""BS20 Theorem 1 on trained VAEs in high dimension: the sphere S_{D-1}(R), R = sqrt(D), D up to 12288.

**Model: the linear-Gaussian VAE** (:class:`toyvae.models.linear.LinearVAE`: q(z|x) = N(A x, diag s),
decoder mean W z, d latents) with BS20's fixed-sigma Gaussian decoder, trained by the engine:

    loss(x) = ||x - W z||^2 / (2 sigma^2) + (D/2) log(2 pi sigma^2) + KL(q(z|x) || N(0, I)).

Why linear at this size. Theorem 1's optimal decoder spreads its means uniformly on a sphere of radius
r*(sigma). At high D the uniform sphere is, to O(1/D), the Gaussian N(0, (R^2/D) I) (the same second
moments), and for a Gaussian source the optimal Gaussian VAE is linear (probabilistic PCA: Tipping &
Bishop 1999; Lucas et al. 2019): with d latents it uses a direction iff its variance R^2/D exceeds
sigma^2, and its decoder means have root-mean-square radius

    r_lin(d) = ||W||_F = sqrt(d (R^2/D - sigma^2))   for sigma < R/sqrt(D), else 0,

exact for the best linear VAE (its ELBO depends on the data through E[x x^T] = (R^2/D) I only). With
d = D this is sqrt(R^2 - D sigma^2), Theorem 1's r*(sigma) up to O(1/D): at D = 256, r*/R = 0.8665 and
0.6011 at sigma = 0.5 and 0.8 R/sqrt(D) (the Bessel-function maximiser,
:func:`toyvae.theory.hypersphere.optimal_radius`) against sqrt(0.75) = 0.8660 and 0.6. So a linear VAE
with d = D latents tests the radius r*(sigma) itself, and one with d < D latents (D = 12288 with 2048
latents: no model of that size can span the sphere) tests the closed form r_lin(d) of its class; the
collapse threshold R/sqrt(D) is the same for both. (The residual-MLP VAEs of
:mod:`toyvae.experiments.sphere` were tried first: at D = 64 and 512 with 600 steps they stayed near
the collapsed saddle even far below the threshold, radius 0.19 R and 0.007 R against r_ref 0.87 R and
0.22 R, at 40-50 s per D on two CPU cores: their positive control failed.)

**At high D the two thresholds merge.** R/sqrt(D-1) exceeds R/sqrt(D) by a factor 1 + 1/(2D) + ...
(0.8% at D = 64, 0.024% at D = 2048): the window of BS20.T1-sharp is too thin to place a sigma in, so
the grid has points below R/sqrt(D) (0.5 and 0.8 of it) and above R/sqrt(D-1) (1.25 of it).

**Runs.** Per latent count d': the cold run far below the threshold (0.5 R/sqrt(D): the positive
control), cold and warm runs at 0.8 R/sqrt(D) (the radius below the threshold), and cold and warm runs
at 1.25 R/sqrt(D-1) (collapse). A cold run starts from small random A and W; a warm run trains its
first fifth of the steps at sigma = 0.5 R/sqrt(D), which ends on a sphere of radius near r_ref there,
then switches. All rows x 3 seeds are ONE engine ``fit`` (common random numbers: the same
initialisation and batches for every row of a seed). Adam with a cosine decay of the step size to 2%
(an annealed end; Polyak averaging is NOT used: the linear VAE is invariant under rotations of its
latent space, along which W drifts, and an average over a drifting W shrinks it: in a trial it gave
0.83 R where the final W had 0.87 R).

**The optimiser's noise floor.** A model at the collapsed optimum (W = 0) does not end at radius 0:
with Adam every entry of W keeps moving by about the step size, and ||W||_F sums D d such entries
(0.12-0.23 R at the final step size in the quick profile). The cold run above the threshold starts
where the collapsed optimum is and measures this floor under the same schedule; "collapsed" is
therefore judged against it (claims/scale.py), not against an absolute radius.

Measured in float64 from the final parameters: the radius ||W||_F, the exact ELBO per point
(:func:`exact_elbo`) and Theorem 1's bound log p(x; r*) on every ELBO (a consistency check).
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

from toyvae.data.synthetic import SphereUniform
from toyvae.engine import Program, batch_mean, fit
from toyvae.experiments.scale.plans import SpherePlan, plan
from toyvae.models.linear import LinearVAE
from toyvae.profiles import Profile
from toyvae.experiments._cache import cached
from toyvae.theory import hypersphere as hs

__all__ = ["WARM_FRACTION", "WARM_SIGMA", "BELOW", "ABOVE", "ROWS", "reference_radius", "sphere_program", "exact_elbo",
           "SphereHD", "train_dimension", "run"]

WARM_FRACTION = 1 / 5  # warm rows train the first fifth of their steps at WARM_SIGMA * R/sqrt(D)
WARM_SIGMA = 0.5  # r_lin = 0.87 sqrt(d/D) R there: the warm phase ends on a sphere, far from 0
BELOW = (0.5, 0.8)  # sigma positions below the threshold, in units of R/sqrt(D)
ABOVE = 1.25  # the sigma position above the threshold, in units of R/sqrt(D-1)
# (setting name, position, warm) per latent count; "below" positions in R/sqrt(D), "above" in R/sqrt(D-1)
ROWS = (("control", BELOW[0], False), ("below cold", BELOW[1], False), ("below warm", BELOW[1], True),
        ("above cold", ABOVE, False), ("above warm", ABOVE, True))


def reference_radius(R: float, sigma, D: int, d: int) -> np.ndarray:
    """The decoder-mean radius the theory predicts for a model with ``d`` latents (module docstring).

    ``r*(sigma)`` (BS20 eq. 8's maximiser, Theorem 1) when ``d >= D``; ``r_lin(d) = sqrt(d max(R^2/D -
    sigma^2, 0))`` when ``d < D``. Zero at and above R/sqrt(D) in both cases.
    """
    sigma = np.asarray(sigma, np.float64)
    if d >= D:
        return np.asarray(hs.optimal_radius(R, sigma, D), np.float64)
    return np.sqrt(d * np.maximum(R**2 / D - sigma**2, 0.0))


@functools.cache
def sphere_program(D: int, d: int, steps: int, batch: int, lr: float) -> Program:
    """The Program of one linear F-VAE with up to ``d`` latents on S_{D-1}(sqrt D) (cached).

    Knobs: ``sigma`` (the fixed decoder sigma), ``warm_sigma`` (the sigma of the first
    ``WARM_FRACTION`` of the steps; equal to ``sigma`` for a cold row) and ``mask`` (d,), 1 for the
    latents the model uses: a setting with ``mask.sum() = d' < d`` is the VAE with d' latents (its
    masked latents never reach the decoder or the KL, so their parameters get no gradient), which
    lets models with different latent counts train in one program. Init: A ~ N(0, 1/D) entries,
    W ~ N(0, 0.01/d) (radius ~0.1 R), log s = 0. Adam with b2 = 0.99 (a second-moment memory of ~100
    steps, so that the step sizes adapt soon after sigma switches and the warm phase's large gradients
    are forgotten; not compared alone against optax's 0.999) and a cosine decay of the step size to 2%.
    aux ``radius``: ||W diag(mask)||_F at every step (the root-mean-square
    radius of the prior-sample decoder means).
    """
    R = math.sqrt(D)
    sampler = SphereUniform(D, R)
    warm_steps = int(WARM_FRACTION * steps)

    def init(knobs, *, key):
        a_key, w_key = jax.random.split(key)
        return LinearVAE(A=jax.random.normal(a_key, (d, D)) / math.sqrt(D), log_s=jnp.zeros(d),
                         W=0.1 * jax.random.normal(w_key, (D, d)) / math.sqrt(d))

    def sample(knobs, shared, *, key):
        return sampler(key, batch)

    def example(params, x, sigma, mask, *, key):
        m = mask * (params.A @ x)
        s = jnp.exp(params.log_s)
        z = m + mask * jnp.sqrt(s) * jax.random.normal(key, m.shape)
        distortion = jnp.sum(jnp.square(x - params.W @ z)) / (2.0 * sigma**2) + D * jnp.log(sigma)
        rate = 0.5 * jnp.sum(jnp.square(m)) + 0.5 * jnp.sum(mask * (s - 1.0 - params.log_s))
        return distortion + rate, {"distortion": distortion, "rate": rate}

    def loss(params, x, knobs, *, key, step):
        sigma = jnp.where(step < warm_steps, knobs["warm_sigma"], knobs["sigma"])
        value, aux = batch_mean(example, params, x, sigma, knobs["mask"], key=key)
        return value, {**aux, "radius": jnp.sqrt(jnp.sum(jnp.square(params.W * knobs["mask"])))}

    def optimizer(knobs):
        return optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=0.02), b2=0.99)

    return Program(name="sphere_linear_vae", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(D, d, steps, batch, lr, WARM_FRACTION))


def exact_elbo(A, log_s, W, sigma, D: int) -> float:
    """E_x ELBO per point (nats, all constants) of one linear F-VAE on S_{D-1}(sqrt D), in float64.

    With E[x x^T] = I (R = sqrt D): E||x - W(A x + sqrt(s) eps)||^2 = ||I - W A||_F^2 + sum_j s_j ||W_j||^2,
    where ||I - W A||_F^2 = D - 2 tr(A W) + tr((W^T W)(A A^T)) (d x d products only), and
    E KL = ||A||_F^2 / 2 + sum_j g(s_j). Computed with JAX in float64 on the default device (D x d
    products of up to 12288 x 2048).
    """
    with jax.enable_x64(True):
        A, log_s, W = (jnp.asarray(np.asarray(a), jnp.float64) for a in (A, log_s, W))
        s = jnp.exp(log_s)
        residual = (D - 2.0 * jnp.sum(A * W.T) + jnp.sum((W.T @ W) * (A @ A.T))
                    + jnp.sum(s * jnp.sum(jnp.square(W), axis=0)))
        nll = residual / (2 * sigma**2) + D * math.log(sigma) + 0.5 * D * math.log(2 * math.pi)
        kl = 0.5 * jnp.sum(jnp.square(A)) + 0.5 * jnp.sum(s - 1.0 - log_s)
        return float(-(nll + kl))


@dataclasses.dataclass(frozen=True)
class SphereHD:
    """One data dimension's runs (rows: settings x seeds, setting-major), float64 NumPy.

    Attributes:
        D, R: data dimension and radius (sqrt D).
        name: the row's setting (``ROWS``: "control", "below cold", "below warm", "above cold",
            "above warm"); latents: the row's latent count d'; sigma: its fixed decoder sigma;
            warm: True for warm-started rows; seed: the seed.
        position: ``sigma / (R/sqrt(D))``.
        radius: ||W||_F at the end (the root-mean-square radius of the prior-sample decoder means).
        radius_path: ||W||_F averaged over blocks of ``record_every`` steps, (rows, records).
        warm_radius: the radius over the last block of the warm phase.
        r_ref: :func:`reference_radius` per row; r_star: Theorem 1's r*(sigma) per row.
        elbo: exact ELBO per point; best_loglik: log p(x; r*), Theorem 1's bound on any ELBO.
        steps, batch, lr, seeds, seconds: the run.
    """

    D: int
    R: float
    name: np.ndarray
    latents: np.ndarray
    sigma: np.ndarray
    warm: np.ndarray
    seed: np.ndarray
    position: np.ndarray
    radius: np.ndarray
    radius_path: np.ndarray
    warm_radius: np.ndarray
    r_ref: np.ndarray
    r_star: np.ndarray
    elbo: np.ndarray
    best_loglik: np.ndarray
    steps: int
    batch: int
    lr: float
    seeds: tuple[int, ...]
    seconds: float

    def rows(self, name: str, latents: int) -> np.ndarray:
        """Indices of the rows of setting ``name`` with ``latents`` latents, in seed order."""
        return np.flatnonzero((self.name == name) & (self.latents == latents))


RECORD_EVERY = 10


def train_dimension(D: int, d: int, latents: tuple[int, ...], lr: float, steps: int, batch: int,
                    seeds: tuple[int, ...] | int) -> SphereHD:
    """Train ``ROWS`` for every latent count of ``latents`` (each <= d) at one D as one ``fit``; measure.

    ``seeds``: the training seeds (an int n means seeds 0 .. n-1).
    """
    if any(not 1 <= k <= d for k in latents):
        raise ValueError(f"every latent count must lie in [1, {d}], got {latents}")
    if steps % RECORD_EVERY:
        raise ValueError(f"steps must be a multiple of {RECORD_EVERY}, got {steps}")
    start = time.perf_counter()
    R = math.sqrt(D)
    sharp, suff = R / math.sqrt(D), R / math.sqrt(D - 1)
    names, sigmas, warm, counts = [], [], [], []
    for k in latents:
        for name, pos, is_warm in ROWS:
            names.append(name)
            sigmas.append(pos * (suff if name.startswith("above") else sharp))
            warm.append(is_warm)
            counts.append(k)
    sigmas, warm, counts = np.array(sigmas), np.array(warm), np.array(counts)
    knobs = {"sigma": jnp.asarray(sigmas, jnp.float32),
             "warm_sigma": jnp.asarray(np.where(warm, WARM_SIGMA * sharp, sigmas), jnp.float32),
             "mask": jnp.asarray(np.arange(d)[None, :] < counts[:, None], jnp.float32)}
    seed_list = tuple(range(seeds)) if isinstance(seeds, int) else tuple(int(s) for s in seeds)
    result = fit(sphere_program(D, d, steps, batch, lr), knobs, seed_list, steps=steps, chunk=steps,
                 record_every=RECORD_EVERY, progress=False, desc=f"sphere D={D}",
                 names=[f"{n} d'={k}" for n, k in zip(names, counts)])
    n_set, n_seed = sigmas.size, len(seed_list)
    flat = lambda a: np.asarray(a, np.float64).reshape((n_set * n_seed,) + a.shape[2:])  # noqa: E731
    mask = np.repeat(np.asarray(knobs["mask"], np.float64), n_seed, axis=0)
    A = flat(result.params.A) * mask[:, :, None]
    log_s = flat(result.params.log_s) * mask
    W = flat(result.params.W) * mask[:, None, :]
    sigma_r, counts_r = np.repeat(sigmas, n_seed), np.repeat(counts, n_seed)
    path = flat(result.history["radius"])
    warm_block = int(round(WARM_FRACTION * steps)) // RECORD_EVERY - 1
    r_star = np.asarray(hs.optimal_radius(R, sigma_r, D), np.float64)
    return SphereHD(
        D=D, R=R, name=np.repeat(names, n_seed), latents=counts_r, sigma=sigma_r, warm=np.repeat(warm, n_seed),
        seed=np.tile(np.arange(n_seed), n_set), position=sigma_r / sharp,
        radius=np.sqrt(np.sum(np.square(W), axis=(-2, -1))), radius_path=path, warm_radius=path[:, warm_block],
        r_ref=np.array([reference_radius(R, sg, D, int(k)) for sg, k in zip(sigma_r, counts_r)]),
        r_star=r_star,
        elbo=np.array([exact_elbo(A[i], log_s[i], W[i], float(sigma_r[i]), D) for i in range(A.shape[0])]),
        best_loglik=np.asarray(hs.log_likelihood(r_star, R, sigma_r, D), np.float64),
        steps=steps, batch=batch, lr=lr, seeds=seed_list, seconds=time.perf_counter() - start)


@cached
def _run(p: SpherePlan) -> dict[int, SphereHD]:
    return {D: train_dimension(D, d, latents, lr, p.steps, p.batch, p.seeds) for D, d, latents, lr in p.dims}


def run(profile: Profile = Profile.QUICK) -> dict[int, SphereHD]:
    """Every data dimension of the profile's plan (cached per plan)."""
    return _run(plan(profile).sphere)
