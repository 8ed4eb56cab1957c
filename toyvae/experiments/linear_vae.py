"""A linear-Gaussian VAE trained by stochastic gradient descent (NL26 App. D, trained instead of solved).

Model for one example ``x`` in R^n (data ``x ~ N(0, Sigma)``):

* encoder ``q(z|x) = N(A x, diag s)``, ``s = exp(log_s)`` per latent dimension (not a function of x),
* decoder mean ``W z``, distortion ``d_G(x, W z) = (x - W z)^T G (x - W z)`` (no 1/2, NL26),
* loss ``d_G(x, W z) + beta * KL(q(z|x) || N(0, I))`` with one reparameterised ``z`` per example and the
  KL in closed form ``|A x|^2 / 2 + sum_i g(s_i)``.

Training draws fresh data every step (the large-sample limit), runs Adam with a cosine-decayed step
size, and is batched over configurations ``(G, beta)`` with ``jax.vmap``; the steps run inside one
``lax.scan``. At a stationary point the posterior variances satisfy NL26 eq. (46) with the *trained*
decoder: ``s_i = beta / (beta + 2 c_i)``, ``c_i = (W^T G W)_ii``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae import _validate
from toyvae.engine.parallel import map_models

__all__ = [
    "LinearVAEConfig",
    "LinearVAE",
    "init",
    "example_loss",
    "batch_loss",
    "train",
    "dct_basis",
    "difference_features",
    "lambda_metric",
    "matched_rate_beta",
    "SweepSpec",
    "sweep_spec",
    "shared_sweep",
    "Fig13Result",
    "fig13_experiment",
    "TargetedConfig",
    "train_distortion_targeted",
    "targeted_sweep",
]


@dataclasses.dataclass(frozen=True)
class LinearVAEConfig:
    """Training settings.

    Attributes:
        steps: Adam steps.
        batch: fresh data points per step.
        learning_rate: initial Adam step size, cosine-decayed to ``learning_rate * final_fraction``.
        final_fraction: see ``learning_rate``.
        train_decoder: when False the decoder stays at its initial value (``W = I`` for NL26 Fig. 13).
    """

    steps: int = 3000
    batch: int = 256
    learning_rate: float = 2e-2
    final_fraction: float = 1e-2
    train_decoder: bool = True


class LinearVAE(NamedTuple):
    """Parameters: encoder mean ``A`` (d x n), log posterior variances ``log_s`` (d), decoder ``W`` (n x d)."""

    A: jax.Array
    log_s: jax.Array
    W: jax.Array


def init(n: int, d: int, *, key: jax.Array, W: jax.Array | None = None) -> LinearVAE:
    """Small random encoder, ``s = 1``, and a random decoder (or the given ``W``)."""
    enc_key, dec_key = jax.random.split(key)
    A = 0.1 * jax.random.normal(enc_key, (d, n))
    if W is None:
        W = jax.random.normal(dec_key, (n, d)) / jnp.sqrt(d)
    return LinearVAE(A=A, log_s=jnp.zeros(d), W=jnp.asarray(W, jnp.float32))


def example_loss(params: LinearVAE, x: jax.Array, G: jax.Array, beta: jax.Array, *, key: jax.Array,
                 train_decoder: bool = True):
    """``d_G(x, W z) + beta KL`` for one example, one reparameterised sample; returns (loss, (d_G, KL))."""
    W = params.W if train_decoder else jax.lax.stop_gradient(params.W)
    mu = params.A @ x
    s = jnp.exp(params.log_s)
    z = mu + jnp.sqrt(s) * jax.random.normal(key, mu.shape)
    r = x - W @ z
    distortion = r @ G @ r
    kl = 0.5 * mu @ mu + 0.5 * jnp.sum(s - 1.0 - params.log_s)
    return distortion + beta * kl, (distortion, kl)


def batch_loss(params, xs, G, beta, *, key, train_decoder=True):
    """Mean of :func:`example_loss` over a batch (``vmap`` over examples)."""
    keys = jax.random.split(key, xs.shape[0])
    loss, aux = jax.vmap(lambda x, k: example_loss(params, x, G, beta, key=k, train_decoder=train_decoder))(xs, keys)
    return loss.mean(), jax.tree_util.tree_map(jnp.mean, aux)


@functools.partial(jax.jit, static_argnames=("config", "d"))
def _train(chol, Gs, betas, keys, W0, config: LinearVAEConfig, d: int):
    n = chol.shape[0]
    schedule = optax.cosine_decay_schedule(config.learning_rate, config.steps, alpha=config.final_fraction)
    opt = optax.adam(schedule)

    def one(G, beta, key, W_init):
        init_key, run_key = jax.random.split(key)
        params = init(n, d, key=init_key, W=W_init)
        state = opt.init(params)

        def step(carry, k):
            params, state = carry
            data_key, noise_key = jax.random.split(k)
            xs = jax.random.normal(data_key, (config.batch, n)) @ chol.T
            (loss, aux), grads = jax.value_and_grad(batch_loss, has_aux=True)(
                params, xs, G, beta, key=noise_key, train_decoder=config.train_decoder)
            updates, state = opt.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), loss

        (params, _), losses = jax.lax.scan(step, (params, state), jax.random.split(run_key, config.steps))
        return params, losses

    return map_models(lambda a: one(*a), (Gs, betas, keys, W0), group=None)


def train(Sigma, Gs, betas, config: LinearVAEConfig = LinearVAEConfig(), *, d: int | None = None, seed: int = 0,
          W_init=None) -> tuple[LinearVAE, np.ndarray]:
    """Train one linear VAE per configuration ``(Gs[k], betas[k])`` in one scanned, jitted call
    (configurations vmapped and spread over the CPU cores by ``engine.parallel.map_models``).

    Args:
        Sigma: data covariance (n x n).
        Gs: metrics, shape ``(K, n, n)``.
        betas: KL weights, shape ``(K,)``.
        d: latent dimension (default ``n``).
        seed: PRNG seed; configuration ``k`` uses ``fold_in(key, k)``.
        W_init: optional decoder initial value (n x d), shared by all configurations; with
            ``config.train_decoder=False`` it is kept fixed.

    Returns:
        The trained parameters (leading axis K, as float64 NumPy arrays) and the loss curves ``(K, steps)``.
    """
    Sigma = _validate.as_finite("Sigma", Sigma)
    Gs = _validate.as_finite("Gs", Gs)
    betas = _validate.positive("betas", betas)
    n = Sigma.shape[0]
    if Gs.ndim != 3 or Gs.shape[1:] != (n, n) or betas.shape != (Gs.shape[0],):
        raise ValueError(f"Gs must be (K, {n}, {n}) and betas (K,), got {Gs.shape} and {betas.shape}")
    d = n if d is None else int(_validate.dimension("d", d, minimum=1))
    K = Gs.shape[0]
    chol = np.linalg.cholesky(Sigma + 1e-12 * np.eye(n))
    key = jax.random.PRNGKey(seed)
    keys = jax.vmap(lambda k: jax.random.fold_in(key, k))(jnp.arange(K))
    if W_init is None:
        W0 = jax.vmap(lambda k: jax.random.normal(jax.random.fold_in(k, 7), (n, d)) / jnp.sqrt(d))(keys)
    else:
        W0 = jnp.broadcast_to(jnp.asarray(W_init, jnp.float32), (K, n, d))
    params, losses = _train(jnp.asarray(chol, jnp.float32), jnp.asarray(Gs, jnp.float32),
                            jnp.asarray(betas, jnp.float32), keys, W0, config, d)
    to_np = lambda a: np.asarray(a, np.float64)  # noqa: E731
    return LinearVAE(*map(to_np, params)), np.asarray(losses)


# ---------------------------------------------------------------------------------------------
# The shared sweep behind the NL26 / SL claims (computed once per process and profile).

def dct_basis(n: int) -> np.ndarray:
    """Orthonormal DCT-II basis, columns ordered from low to high frequency."""
    k = np.arange(n)[:, None]
    t = np.arange(n)[None, :]
    C = np.cos(np.pi * (t + 0.5) * k / n) * np.sqrt(2.0 / n)
    C[0] /= np.sqrt(2.0)
    return C.T


def difference_features(n: int) -> np.ndarray:
    """First differences ``(F x)_j = x_{j+1} - x_j`` ((n-1) x n), scaled to spectral norm 1 (an edge filter, L = 1)."""
    F = np.eye(n, k=1)[:-1] - np.eye(n)[:-1]
    return F / np.linalg.norm(F, 2)


class SweepSpec(NamedTuple):
    """Which configurations of the shared sweep serve which claim (index ranges into the K axis)."""

    Sigma: np.ndarray  # data covariance, power-law spectrum k^-2 in the DCT basis
    Gs: np.ndarray  # (K, n, n)
    betas: np.ndarray  # (K,)
    t46: slice  # 3 metrics x 3 betas (NL26.T46-trained)
    rd: slice  # beta sweep with G = I (SL.RD, SL.AggPost)
    c1: slice  # lambda sweep at fixed beta (NL26.C1a)
    c2: slice  # lambda sweep at matched rate (NL26.C2a)
    lambdas: np.ndarray
    metric_names: tuple[str, ...]


SWEEP_N = 8
SWEEP_T46_BETAS = (0.05, 0.2, 0.8)
SWEEP_RD_BETAS = tuple(np.geomspace(0.01, 1.0, 6))
SWEEP_LAMBDAS = (0.0, 0.25, 0.5, 0.75, 1.0)
SWEEP_C1_BETA = 0.05
SWEEP_C2_RATE = 3.0  # nats, the matched rate of NL26.C2a


def lambda_metric(lam: float, F: np.ndarray) -> np.ndarray:
    """``G_lambda = (1 - lambda) I + lambda F^T F``: the metric of ``lambda d_F + (1 - lambda) d_pix``."""
    n = F.shape[1]
    return (1.0 - lam) * np.eye(n) + lam * F.T @ F


def sweep_spec() -> SweepSpec:
    """The configurations (documented in the claim modules).

    Source: ``n = 8`` "signal" with covariance ``C diag(k^-2) C^T`` (``C`` the DCT basis; a 1-D
    analogue of a natural image's 1/f^2 power spectrum). Metrics for NL26.T46: the identity, a
    diagonal ``diag(geomspace(3, 0.3, 8))``, and a random ``B B^T / 8 + 0.1 I`` (``B`` standard
    normal, seed 1). NL26.C1a/C2a use ``G_lambda`` with the first-difference features of
    :func:`difference_features` (spectral norm 1, so ``d_F <= d_pix``).
    """
    from toyvae.theory import rate_distortion as rd  # local: theory is float64 NumPy

    n = SWEEP_N
    C = dct_basis(n)
    Sigma = (C * np.arange(1, n + 1, dtype=float) ** -2.0) @ C.T
    rng = np.random.default_rng(1)
    B = rng.standard_normal((n, n))
    metrics = {"identity": np.eye(n), "diagonal": np.diag(np.geomspace(3.0, 0.3, n)), "random": B @ B.T / n + 0.1 * np.eye(n)}
    Gs, betas = [], []
    for G in metrics.values():
        for b in SWEEP_T46_BETAS:
            Gs.append(G)
            betas.append(b)
    for b in SWEEP_RD_BETAS:
        Gs.append(np.eye(n))
        betas.append(b)
    F = difference_features(n)
    for lam in SWEEP_LAMBDAS:
        Gs.append(lambda_metric(lam, F))
        betas.append(SWEEP_C1_BETA)
    for lam in SWEEP_LAMBDAS:
        G = lambda_metric(lam, F)
        Gs.append(G)
        betas.append(matched_rate_beta(rd.metric_weighted_spectrum(Sigma, G), SWEEP_C2_RATE))
    k0, k1, k2, k3 = 9, 9 + len(SWEEP_RD_BETAS), 9 + len(SWEEP_RD_BETAS) + 5, 9 + len(SWEEP_RD_BETAS) + 10
    return SweepSpec(Sigma, np.array(Gs), np.array(betas), slice(0, k0), slice(k0, k1), slice(k1, k2), slice(k2, k3),
                     np.array(SWEEP_LAMBDAS), tuple(metrics))


def matched_rate_beta(spectrum, rate: float) -> float:
    """The ``beta`` at which the optimal linear-Gaussian VAE has rate ``rate`` (water level ``beta/2``)."""
    from scipy import optimize

    from toyvae.theory import rate_distortion as rd

    mu = np.asarray(spectrum, float)
    f = lambda lb: float(rd.reverse_water_filling(mu, np.exp(lb) / 2).rate) - rate  # noqa: E731
    return float(np.exp(optimize.brentq(f, np.log(mu[mu > 0].min()) - 30, np.log(2 * mu.max()), xtol=1e-13)))


@functools.cache
def shared_sweep(quick: bool = True, seed: int = 0) -> tuple[SweepSpec, LinearVAE, np.ndarray]:
    """Train every configuration of :func:`sweep_spec` in one call (cached per process)."""
    spec = sweep_spec()
    config = LinearVAEConfig(steps=3000 if quick else 12000, batch=256 if quick else 512)
    params, losses = train(spec.Sigma, spec.Gs, spec.betas, config, seed=seed)
    return spec, params, losses


FIG13_D = 16
FIG13_TARGET = 4.0  # nats of variance-KL, the common operating point
FIG13_C_ANISO = tuple(np.geomspace(4.0, 0.25, FIG13_D))  # our choice: log-uniform over a factor 16
FIG13_C_ISO = (1.0,) * FIG13_D


class Fig13Result(NamedTuple):
    """NL26 Fig. 13 at a matched variance-KL: closed-form and trained posterior variances."""

    c: np.ndarray  # (2, D): isotropic, anisotropic
    betas: np.ndarray  # (2,) from beta_for_variance_kl
    s_closed: np.ndarray  # (2, D)
    s_trained: np.ndarray  # (2, D)


@functools.cache
def fig13_experiment(quick: bool = True, seed: int = 0) -> Fig13Result:
    """``D = 16``, ``W = I`` (kept fixed), ``G = diag(c)``: isotropic ``c_i = 1`` vs anisotropic
    ``c_i`` log-uniform in ``[0.25, 4]``, each at the ``beta`` whose optimal variance-KL is 4 nats
    (NL26 Theorem 41). Data ``N(0, I)``; only the encoder is trained."""
    from toyvae.theory import linear_gaussian as lg

    c = np.array([FIG13_C_ISO, FIG13_C_ANISO])
    betas = np.array([lg.beta_for_variance_kl(ci, FIG13_TARGET) for ci in c])
    s_closed = lg.optimal_posterior_variance(c, betas[:, None])
    config = LinearVAEConfig(steps=1500 if quick else 12000, batch=128 if quick else 512, train_decoder=False)
    params, _ = train(np.eye(FIG13_D), np.array([np.diag(ci) for ci in c]), betas, config, seed=seed,
                      W_init=np.eye(FIG13_D))
    return Fig13Result(c=c, betas=betas, s_closed=s_closed, s_trained=np.exp(params.log_s))


# ---------------------------------------------------------------------------------------------
# Distortion-targeted training (MB, App. B.2; Zhao et al. 2018).

@dataclasses.dataclass(frozen=True)
class TargetedConfig:
    """MB App. B.2-B.3: lambda in [1e-4, 0.9999], initialised at 0.9999, Adam(lr 2e-4, betas (0, 0.999)).

    The model's Adam step size departs from the paper's 2e-4 (``model_learning_rate``) so that the
    linear model converges in a few thousand steps.
    """

    steps: int = 6000
    batch: int = 256
    model_learning_rate: float = 3e-3
    lambda_learning_rate: float = 2e-4
    lambda_init: float = 0.9999
    lambda_min: float = 1e-4
    lambda_max: float = 0.9999


@functools.partial(jax.jit, static_argnames=("config",))
def _train_targeted(chol, gammas, keys, config: TargetedConfig):
    n = chol.shape[0]
    G = jnp.eye(n)
    opt = optax.adam(config.model_learning_rate)
    lam_opt = optax.adam(config.lambda_learning_rate, b1=0.0, b2=0.999)

    def one(gamma, key):
        init_key, run_key = jax.random.split(key)
        params = init(n, n, key=init_key)
        state = opt.init(params)
        lam = jnp.asarray(config.lambda_init)
        lam_state = lam_opt.init(lam)

        def step(carry, k):
            params, state, lam, lam_state = carry
            data_key, noise_key = jax.random.split(k)
            xs = jax.random.normal(data_key, (config.batch, n)) @ chol.T
            keys_b = jax.random.split(noise_key, config.batch)

            def objective(p):  # eq. (9): (1 - lambda) R + lambda D
                _, (d, kl) = jax.vmap(lambda x, kk: example_loss(p, x, G, 1.0, key=kk))(xs, keys_b)
                return (1.0 - lam) * kl.mean() + lam * d.mean(), (d.mean(), kl.mean())

            (_, (D, R)), grads = jax.value_and_grad(objective, has_aux=True)(params)
            updates, state = opt.update(grads, state, params)
            params = optax.apply_updates(params, updates)
            # eq. (10): maximise lambda (D - gamma), i.e. descend on -(D - gamma); then project
            lam_updates, lam_state = lam_opt.update(-(D - gamma), lam_state, lam)
            lam = jnp.clip(optax.apply_updates(lam, lam_updates), config.lambda_min, config.lambda_max)
            return (params, state, lam, lam_state), jnp.stack([D, R, lam])

        (params, _, lam, _), trace = jax.lax.scan(step, (params, state, lam, lam_state),
                                                  jax.random.split(run_key, config.steps))
        return params, trace

    return map_models(lambda a: one(*a), (gammas, keys), group=None)


def train_distortion_targeted(Sigma, gammas, config: TargetedConfig = TargetedConfig(), *, seed: int = 0):
    """Linear-Gaussian VAEs (``G = I``, ``d = n``) trained with the MB distortion-targeted Lagrangian.

    Returns the parameters (leading axis = targets, float64) and the trace ``(K, steps, 3)`` of batch
    distortion, batch rate and lambda.
    """
    Sigma = _validate.as_finite("Sigma", Sigma)
    gammas = _validate.positive("gammas", gammas)
    chol = np.linalg.cholesky(Sigma + 1e-12 * np.eye(Sigma.shape[0]))
    key = jax.random.PRNGKey(seed)
    keys = jax.vmap(lambda k: jax.random.fold_in(key, k))(jnp.arange(gammas.size))
    params, trace = _train_targeted(jnp.asarray(chol, jnp.float32), jnp.asarray(gammas, jnp.float32), keys, config)
    return LinearVAE(*(np.asarray(a, np.float64) for a in params)), np.asarray(trace, np.float64)


MB_GAMMAS = (0.1, 0.2, 0.4, 0.8)


@functools.cache
def targeted_sweep(quick: bool = True, seed: int = 0):
    """The MB sweep: the shared-sweep source, distortion targets ``MB_GAMMAS`` (cached)."""
    spec = sweep_spec()
    config = TargetedConfig() if quick else TargetedConfig(steps=40000, batch=512)
    params, trace = train_distortion_targeted(spec.Sigma, np.array(MB_GAMMAS), config, seed=seed)
    return spec.Sigma, params, trace
