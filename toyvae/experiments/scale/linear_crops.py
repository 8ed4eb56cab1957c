"""NL26 eqs. 44-46, Theorem 41 and rate matching with linear-Gaussian VAEs on natural-photo crops.

**Data.** Crops of side ``size`` of the two training photos (:mod:`toyvae.data.photos`: random
position and horizontal flip, pixels k/255), flattened to n = 3 size^2 numbers and centred by their
population mean. The "source" of the closed forms is the crop distribution itself: every distinct
crop equally likely, as ``photos.draw_crops`` draws them. Its mean and covariance are computed
exactly by :func:`crop_moments`, summing over all (photo, position) pairs (53,360 crops at side 16,
840,112 at side 64, flips included by symmetry). A linear VAE's expected loss depends on the data
through these two moments only, so the closed forms below are exact for the distribution the models
train on; no Gaussian stand-in is sampled.

**Model** (one example; the linear VAE of NL26 App. D, :class:`toyvae.models.linear.LinearVAE` with
d latents): q(z|x) = N(A x, diag s), decoder mean W z, loss ``d_G(x, W z) + beta KL`` with two metrics,

* pixel: ``d(x, y) = ||x - y||^2`` (G = I);
* edge features: ``d(x, y) = ||E (x - y)||^2`` (G = E^T E), E the horizontal and vertical first
  differences of every channel scaled to spectral norm 1 (:func:`toyvae.models.conv_vae.edge_operator`):
  a fixed linear feature map with ``d_E <= d_pix`` (NL26 Cor. 28, L = 1).

G is applied as an operator (never a 12288 x 12288 matrix); a ``feature`` knob (0 or 1) selects the
metric, so both train in one program.

**Closed forms** (float64). The metric-weighted spectrum mu_i = eig(G^{1/2} Sigma G^{1/2}) (NL26's
reverse water-filling, :mod:`toyvae.theory.rate_distortion`): for the pixel metric the eigenvalues of
Sigma; for the edge metric, E^T E is diagonal in the 2-D DCT-II basis of each channel (the path
graph's Laplacian with free ends is diagonalised by the DCT-II, with eigenvalues 2 - 2 cos(pi k/size)),
so mu = eig(Lambda^{1/2} C Sigma C^T Lambda^{1/2}) with C the channel-wise 2-D DCT: one symmetric
eigenvalue problem per metric. The optimal linear VAE with d latents codes the d largest mu_i above
the water level theta = beta/2 (posterior variance s_i = theta/mu_i, the rest at the prior), with
rate sum_{i<=d, mu_i > theta} log(mu_i/theta)/2 and distortion sum_{i<=d} min(theta, mu_i) +
sum_{i>d} mu_i. The matched rate is where the edge metric's optimum codes half of the d latents
(:func:`matched_rate`); the beta of each metric with that rate is found by root finding
(:func:`toyvae.experiments.linear_vae.matched_rate_beta` on the top-d spectrum).

**Measured per trained model** (float64, from the final parameters, exact in Sigma):
c_i = (W^T G W)_ii of its own decoder, its s against eq. 46's s* = beta/(beta + 2c), Theorem 41's
inversion beta(V) of its own variance-KL V = sum_i g(s_i) against the beta it trained with, its exact
rate ``||A||_Sigma^2 / 2 + V`` and distortion, and its objective against the closed-form optimum.
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
from toyvae.engine import Program, batch_mean, fit
from toyvae.experiments.linear_vae import matched_rate_beta
from toyvae.experiments.scale.plans import LinearPlan, plan
from toyvae.models.conv_vae import edge_norm, edge_operator
from toyvae.models.linear import LinearVAE
from toyvae.profiles import Profile
from toyvae.experiments._cache import cached
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd

__all__ = ["METRICS", "crop_moments", "dct_matrix", "edge_eigenvalues", "metric_spectrum", "eigvalsh64",
           "ClosedForm", "matched_rate", "closed_form", "linear_program", "LinearCrops", "train", "run",
           "eq44_monte_carlo"]

METRICS = ("pixel", "edge")


# ------------------------------------------------------------------------------------------------
# The source: exact moments of the crop distribution
# ------------------------------------------------------------------------------------------------


def _flip_index(size: int) -> np.ndarray:
    """The permutation of a flattened (3, size, size) crop that mirrors it left-right."""
    return np.arange(3 * size * size).reshape(3, size, size)[:, :, ::-1].ravel()


@functools.partial(jax.jit, static_argnames=("size", "centred"))
def _photo_sums(image, mean, *, size: int, centred: bool):
    """(sum of x, sum of (x - mean)(x - mean)^T) over all unflipped crops of one uint8 (H, W, 3) photo.

    A loop over the rows of crop positions; each row's crops (all columns at once) give one float32
    Gram matrix at full precision, added to a float64 accumulator (call under ``jax.enable_x64``).
    """
    h, w = image.shape[:2]
    cols = w - size + 1
    n = 3 * size * size

    def row(t, carry):
        total, gram = carry

        def crop(left):
            c = jax.lax.dynamic_slice(image, (t, left, 0), (size, size, 3))
            return jnp.transpose(c, (2, 0, 1)).reshape(-1)

        x = jax.vmap(crop)(jnp.arange(cols)).astype(jnp.float32) / 255.0
        total = total + jnp.sum(x.astype(jnp.float64), axis=0)
        if centred:
            xc = x - mean.astype(jnp.float32)
            gram = gram + jnp.dot(xc.T, xc, precision=jax.lax.Precision.HIGHEST).astype(jnp.float64)
        return total, gram

    init = (jnp.zeros(n, jnp.float64), jnp.zeros((n, n) if centred else (1, 1), jnp.float64))
    return jax.lax.fori_loop(0, h - size + 1, row, init)


@functools.cache
def crop_moments(size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(mean (n,), covariance (n, n), number of crops) of the training-crop distribution, float64.

    Two passes over every (photo, position): the mean of the unflipped crops, symmetrised by the flip
    (``m = (m0 + P m0) / 2``, P the mirror permutation), then ``C0 = E0[(x - m)(x - m)^T]`` and
    ``Sigma = (C0 + P C0 P) / 2``: with the flip drawn with probability 1/2 the flipped crop P x has
    second moments P C0 P. Each crop row's Gram matrix is one float32 product at full precision
    (relative rounding ~1e-7 of entries of order 0.05); the rows are summed in float64.
    """
    images = [photos.load_photo(name, size=size) for name in photos.TRAIN_PHOTOS]
    n = 3 * size * size
    flip = _flip_index(size)
    count = sum((im.shape[0] - size + 1) * (im.shape[1] - size + 1) for im in images)
    with jax.enable_x64(True):
        total = sum(np.asarray(_photo_sums(jnp.asarray(im), jnp.zeros(n, jnp.float64), size=size, centred=False)[0])
                    for im in images)
        m0 = total / count
        mean = 0.5 * (m0 + m0[flip])
        gram = sum(np.asarray(_photo_sums(jnp.asarray(im), jnp.asarray(mean), size=size, centred=True)[1])
                   for im in images)
    c0 = gram / count
    sigma = 0.5 * (c0 + c0[np.ix_(flip, flip)])
    return mean, 0.5 * (sigma + sigma.T), count


# ------------------------------------------------------------------------------------------------
# Metric-weighted spectra
# ------------------------------------------------------------------------------------------------


def dct_matrix(size: int) -> np.ndarray:
    """Orthonormal DCT-II: rows are the basis vectors ``sqrt(2/size) cos(pi k (j + 1/2) / size)`` (row 0 x 1/sqrt 2)."""
    k = np.arange(size)[:, None]
    j = np.arange(size)[None, :]
    C = np.sqrt(2.0 / size) * np.cos(np.pi * k * (j + 0.5) / size)
    C[0] /= np.sqrt(2.0)
    return C


def edge_eigenvalues(size: int) -> np.ndarray:
    """Eigenvalues of E^T E per channel in the 2-D DCT-II basis, (size, size): ``(l_k + l_l) / edge_norm^2``
    with ``l_k = 2 - 2 cos(pi k / size)`` (the free-ends path Laplacian's spectrum)."""
    lap = 2.0 - 2.0 * np.cos(np.pi * np.arange(size) / size)
    return (lap[:, None] + lap[None, :]) / edge_norm(size) ** 2


def eigvalsh64(M: np.ndarray) -> np.ndarray:
    """Eigenvalues of a symmetric matrix in float64, descending: LAPACK (NumPy) on a CPU backend,
    cuSOLVER through JAX in float64 on an accelerator (n = 12288 takes seconds there, minutes on a CPU)."""
    if jax.default_backend() == "cpu":
        w = np.linalg.eigvalsh(M)
    else:
        with jax.enable_x64(True):
            w = np.asarray(jnp.linalg.eigvalsh(jnp.asarray(M, jnp.float64)))
    return w[::-1].copy()


def metric_spectrum(sigma: np.ndarray, metric: str, size: int) -> np.ndarray:
    """The metric-weighted spectrum of the crops (descending, clipped at 0 against rounding; module docstring)."""
    if metric == "pixel":
        return np.maximum(eigvalsh64(sigma), 0.0)
    if metric != "edge":
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    n = sigma.shape[0]
    C = dct_matrix(size)
    S = sigma.reshape(3, size, size, 3, size, size)
    S = np.einsum("ai,bj,cijdkl,ek,fl->cabdef", C, C, S, C, C, optimize=True).reshape(n, n)
    root = np.sqrt(np.tile(edge_eigenvalues(size).ravel(), 3))
    return np.maximum(eigvalsh64(root[:, None] * S * root[None, :]), 0.0)


@dataclasses.dataclass(frozen=True)
class ClosedForm:
    """The optimal linear VAE with d latents at a matched rate (module docstring), float64.

    Attributes:
        metric, d, rate: the metric, latents and the rate (nats) it is matched at.
        beta, theta: the KL weight with that rate and the water level beta / 2.
        active: components coded (mu_i > theta among the top d); s: the d posterior variances
            (descending mu); A_post: Var_i log s_i over the d latents; distortion, objective:
            its distortion and distortion + beta rate; spectrum_top: the top-d spectrum.
    """

    metric: str
    d: int
    rate: float
    beta: float
    theta: float
    active: int
    s: np.ndarray
    A_post: float
    distortion: float
    objective: float
    spectrum_top: np.ndarray


def matched_rate(edge_spectrum: np.ndarray, d: int, active_fraction: float) -> float:
    """The rate (nats) of the edge metric's d-latent optimum when its water level sits at the
    ``round(active_fraction d)``-th largest eigenvalue, i.e. when it codes that many components."""
    mu = np.sort(np.asarray(edge_spectrum, np.float64))[::-1][:d]
    k = int(round(active_fraction * d))
    if not 1 <= k < d:
        raise ValueError(f"active_fraction * d must round to 1 .. d - 1, got {k}")
    return float(rd.reverse_water_filling(mu, mu[k]).rate)


def closed_form(spectrum: np.ndarray, d: int, rate: float, metric: str = "") -> ClosedForm:
    """The d-latent optimum whose rate is ``rate`` (module docstring)."""
    mu = np.sort(np.asarray(spectrum, np.float64))[::-1]
    top = mu[:d]
    beta = matched_rate_beta(top, rate)
    theta = beta / 2.0
    point = rd.reverse_water_filling(top, theta)
    s = np.minimum(theta / np.maximum(top, 1e-300), 1.0)
    distortion = float(point.distortion) + float(mu[d:].sum())
    return ClosedForm(metric=metric, d=d, rate=float(point.rate), beta=beta, theta=theta,
                      active=int(np.sum(top > theta)), s=s, A_post=float(np.var(np.log(s))), distortion=distortion,
                      objective=distortion + beta * float(point.rate), spectrum_top=top)


# ------------------------------------------------------------------------------------------------
# Training: one Program for both metrics
# ------------------------------------------------------------------------------------------------


def _metric_distortion(residual, feature, size):
    pixel = jnp.sum(jnp.square(residual))
    edge = jnp.sum(jnp.square(edge_operator(residual.reshape(3, size, size))))
    return (1.0 - feature) * pixel + feature * edge


@functools.cache
def linear_program(size: int, d: int, steps: int, batch: int, lr: float) -> Program:
    """The Program of one linear VAE on centred crops of side ``size`` with d latents (cached).

    Knobs: ``feature`` (0: pixel metric, 1: edge metric) and ``beta``. Shared: ``stack`` (the
    training :class:`~toyvae.data.photos.PhotoStack`) and ``mean`` (the crops' mean, subtracted).
    Init: A ~ N(0, 1/n), log s = 0, W ~ N(0, 0.01/d) (decoder means of order 0.1 per pixel, the data's
    pixel standard deviation is ~0.25). Adam with a cosine decay of the step size to 1% (an annealed
    end, as ``experiments.linear_vae``). aux: ``distortion``, ``rate``.
    """
    n = 3 * size * size

    def init(knobs, *, key):
        a_key, w_key = jax.random.split(key)
        return LinearVAE(A=jax.random.normal(a_key, (d, n)) / math.sqrt(n), log_s=jnp.zeros(d),
                         W=0.1 * jax.random.normal(w_key, (n, d)) / math.sqrt(d))

    def sample(knobs, shared, *, key):
        x = photos.sample_crops(shared["stack"], batch, key=key)
        return x.reshape(batch, n) - shared["mean"]

    def example(params, x, feature, beta, *, key):
        m = params.A @ x
        s = jnp.exp(params.log_s)
        z = m + jnp.sqrt(s) * jax.random.normal(key, m.shape)
        distortion = _metric_distortion(x - params.W @ z, feature, size)
        rate = 0.5 * jnp.sum(jnp.square(m)) + 0.5 * jnp.sum(s - 1.0 - params.log_s)
        return distortion + beta * rate, {"distortion": distortion, "rate": rate}

    def loss(params, x, knobs, *, key, step):
        return batch_mean(example, params, x, knobs["feature"], knobs["beta"], key=key)

    def optimizer(knobs):
        return optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=0.01))

    return Program(name="linear_vae_crops", init=init, sample=sample, loss=loss, optimizer=optimizer,
                   identity=(size, d, steps, batch, lr))


# ------------------------------------------------------------------------------------------------
# Exact measurements of trained models
# ------------------------------------------------------------------------------------------------


def _apply_columns(M, feature: bool, size: int):
    """E applied to every column of M (n x k), or M itself for the pixel metric."""
    if not feature:
        return M
    return jax.vmap(lambda col: edge_operator(col.reshape(3, size, size)), in_axes=1, out_axes=1)(M)


def _measure(params: LinearVAE, sigma: np.ndarray, feature: bool, beta: float, size: int, trace_g_sigma: float):
    """Exact (in Sigma) rate, distortion, c and s of one trained model, float64 (module docstring)."""
    with jax.enable_x64(True):
        A = jnp.asarray(np.asarray(params.A), jnp.float64)
        W = jnp.asarray(np.asarray(params.W), jnp.float64)
        log_s = np.asarray(params.log_s, np.float64)
        S = jnp.asarray(sigma, jnp.float64)
        s = np.exp(log_s)
        B = _apply_columns(W, feature, size)  # E W (or W)
        c = np.asarray(jnp.sum(jnp.square(B), axis=0))  # (W^T G W)_ii
        Y = S @ A.T  # Sigma A^T, (n, d)
        EY = _apply_columns(Y, feature, size)
        q = A @ Y  # A Sigma A^T, (d, d)
        cross = float(jnp.sum(EY * B))  # tr(A Sigma G W)
        quad = float(jnp.sum((B.T @ B) * q))  # tr(W^T G W A Sigma A^T)
        mean_kl = 0.5 * float(jnp.trace(q))
    V = float(lg.variance_kl(s))
    distortion = trace_g_sigma - 2.0 * cross + quad + float(np.sum(c * s))
    rate = mean_kl + V
    return {"s": s, "c": c, "rate": rate, "variance_kl": V, "distortion": distortion,
            "objective": distortion + beta * rate}


@dataclasses.dataclass(frozen=True)
class LinearCrops:
    """Closed forms and trained models of both metrics (index 0: pixel, 1: edge), float64.

    Attributes:
        size, n, d: crop side, inputs, latents; count: crops in the source.
        closed: the :class:`ClosedForm` of each metric at the plan's rate.
        beta: the trained beta of each metric (= closed.beta).
        s, c: trained posterior variances and own-decoder c_i, (metrics, seeds, d).
        rate, distortion, objective, variance_kl: exact per model, (metrics, seeds).
        s_star: eq. 46 with the own decoder, (metrics, seeds, d).
        beta_inverted: Theorem 41's beta(V) from (c, V) of each model, (metrics, seeds).
        A_post: Var_i log s_i per model, (metrics, seeds).
        history: the engine's block means (``rate``, ``distortion``, ``loss``), (metrics, seeds, records).
        params: the trained parameters (float64, leading axes metrics, seeds).
        seeds, steps, batch, lr, seconds: the run.
    """

    size: int
    n: int
    d: int
    count: int
    closed: tuple[ClosedForm, ClosedForm]
    beta: np.ndarray
    s: np.ndarray
    c: np.ndarray
    rate: np.ndarray
    distortion: np.ndarray
    objective: np.ndarray
    variance_kl: np.ndarray
    s_star: np.ndarray
    beta_inverted: np.ndarray
    A_post: np.ndarray
    history: dict
    params: LinearVAE
    seeds: tuple[int, ...]
    steps: int
    batch: int
    lr: float
    seconds: float


def train(p: LinearPlan) -> LinearCrops:
    """Moments, spectra and closed forms, then both metrics x the plan's seeds as one ``fit``; measured."""
    start = time.perf_counter()
    size, d = p.size, p.latent
    mean, sigma, count = crop_moments(size)
    n = sigma.shape[0]
    spectra = [metric_spectrum(sigma, m, size) for m in METRICS]
    rate = matched_rate(spectra[1], d, p.active_fraction)
    closed = tuple(closed_form(sp, d, rate, m) for sp, m in zip(spectra, METRICS))
    betas = np.array([cf.beta for cf in closed])
    knobs = {"feature": jnp.asarray([0.0, 1.0], jnp.float32), "beta": jnp.asarray(betas, jnp.float32)}
    shared = {"stack": photos.training_stack(size=size), "mean": jnp.asarray(mean, jnp.float32)}
    result = fit(linear_program(size, d, p.steps, p.batch, p.lr), knobs, p.seeds, shared, steps=p.steps,
                 chunk=p.steps, record_every=10, names=list(METRICS), progress=False, desc="linear VAEs on crops")
    rows = []
    for i, metric in enumerate(METRICS):
        for j in range(len(p.seeds)):
            model = jax.tree_util.tree_map(lambda a: a[i, j], result.params)
            rows.append(_measure(model, sigma, bool(i), float(betas[i]), size, float(spectra[i].sum())))
    shape = (len(METRICS), len(p.seeds))
    get = lambda key: np.array([r[key] for r in rows]).reshape(shape + np.shape(rows[0][key]))  # noqa: E731
    s, c = get("s"), get("c")
    s_star = lg.optimal_posterior_variance(c, betas[:, None, None])
    V = get("variance_kl")
    beta_inv = np.array([[lg.beta_for_variance_kl(c[i, j], V[i, j]) for j in range(shape[1])] for i in range(shape[0])])
    return LinearCrops(size=size, n=n, d=d, count=count, closed=closed, beta=betas, s=s, c=c, rate=get("rate"),
                       distortion=get("distortion"), objective=get("objective"), variance_kl=V, s_star=s_star,
                       beta_inverted=beta_inv, A_post=np.var(np.log(s), axis=-1),
                       history={k: np.asarray(v) for k, v in result.history.items()},
                       params=LinearVAE(*(np.asarray(a, np.float64) for a in result.params)), seeds=tuple(p.seeds),
                       steps=p.steps, batch=p.batch, lr=p.lr, seconds=time.perf_counter() - start)


@cached
def _run(p: LinearPlan) -> LinearCrops:
    return train(p)


def run(profile: Profile = Profile.QUICK) -> LinearCrops:
    """The profile's linear-VAE runs (cached per plan)."""
    return _run(plan(profile).linear)


def eq44_monte_carlo(runs: LinearCrops, metric: int, seed_index: int, *, n_points: int = 4, draws: int = 4096,
                     seed: int = 0) -> np.ndarray:
    """|Monte Carlo mean - eq. 44| / standard error of d_G(x, W z), z ~ q(z|x), for ``n_points`` crops.

    NL26 eq. 44: E d_G(x, Z) = d_G(x, W mu) + sum_i c_i s_i for Z ~ N(mu, diag s), mu = A x, on the
    trained model (metric index, seed index) of ``runs``; crops drawn from the training distribution
    with a fixed key, ``draws`` posterior samples each, float64.
    """
    A, log_s, W = (np.asarray(a, np.float64)[metric, seed_index] for a in runs.params)
    size = runs.size
    mean, _, _ = crop_moments(size)
    key_x, key_z = jax.random.split(jax.random.PRNGKey(seed))
    x = np.asarray(photos.sample_crops(photos.training_stack(size=size), n_points, key=key_x), np.float64)
    x = x.reshape(n_points, -1) - mean
    s = np.exp(log_s)
    feature = bool(metric)
    with jax.enable_x64(True):
        Wj = jnp.asarray(W)
        c = np.asarray(jnp.sum(jnp.square(_apply_columns(Wj, feature, size)), axis=0))
        eps = jax.random.normal(key_z, (n_points, draws, s.size), jnp.float64)
        out = []
        for i in range(n_points):
            m = A @ x[i]
            z = jnp.asarray(m) + jnp.sqrt(jnp.asarray(s)) * eps[i]
            residual = jnp.asarray(x[i])[None, :] - z @ Wj.T  # (draws, n)
            d = jnp.sum(jnp.square(_apply_columns(residual.T, feature, size)), axis=0)
            exact = float(jnp.sum(jnp.square(_apply_columns(jnp.asarray(x[i] - W @ m)[:, None], feature, size)))
                          + np.sum(c * s))
            out.append(abs(float(jnp.mean(d)) - exact) / (float(jnp.std(d)) / math.sqrt(draws)))
    return np.array(out)
