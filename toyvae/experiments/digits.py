"""Berger & Sebag 2020, Sec. 4.3 and Table 2, on scikit-learn's 8x8 digits (no download).

The paper compares, on MNIST and CelebA, an F-VAE trained with the mean-squared-error loss
(summed squared error = a fixed Gaussian decoder with sigma^2 = 1/2, BS20.S32-mse) and an LV-VAE
whose decoder outputs a per-pixel sigma_i(z) (eq. 11). We train the same two decoders, plus
the LS-VAE (one learned scalar sigma, eq. 10), on the 1797 digits of ``sklearn.datasets``
scaled to [0, 1] (D = 64 pixels), with the engine's residual MLPs.

Data. A fixed permutation (``numpy.random.default_rng(0)``) holds out ``N_TEST`` = 300 images;
training draws minibatches uniformly with replacement from the other 1497 (the empirical
distribution, sampled inside the jitted step by indexing a constant array). Two variants:

* ``raw``: pixels v / 16, v in {0..16}, as the paper feeds MNIST (continuous density on
  quantised values). Three digits pixels are 0 in every image, and many are 0 in almost all:
  a learned per-pixel sigma can shrink to the engine's sigma floor there, and each such pixel
  then adds up to -log(floor) - log(2 pi)/2 = 5.99 nats (floor 1e-3) to log p(x|z). The
  continuous ELBO on quantised data is unbounded above without the floor.
* ``dequantized``: x = (v + u) / 17 with u ~ U(0, 1) drawn afresh per batch (fixed for the
  test set). A density on [0, 1]^64 of such data satisfies log p(x) <= log P(v) + 64 log 17
  (Theis et al. 2016), so ``-(ELBO - 64 log 17) / (64 log 2)`` is an upper bound on the
  discrete negative log-likelihood in bits per pixel: a unit with no floor artefact.

Expect the F-VAE to encode almost nothing: in a linear VAE a latent direction is used only where
the data variance exceeds sigma^2 (Lucas et al. 2019), and only three principal variances of the
training digits (0.70, 0.64, 0.56) exceed 1/2; its rate stays below one nat per image.

Units. :func:`units` converts an ELBO in nats per image (all constants: the (D/2) log 2 pi and
sum_i log sigma_i of -log N(x; mu, diag sigma^2), as ``engine.metrics`` computes it) into nats
per pixel and bits per pixel (divide by D, then by log 2). Higher is better. Because these are
continuous densities on [0, 1]-valued pixels, the ELBO can be positive: a Gaussian's density
exceeds 1 near its mean once sigma_i < 1/sqrt(2 pi) = 0.40. The paper's Table 2 is also "bits per pixel, with the
log sigma term"; its F-VAE entries (0.06 on MNIST) are not reachable with all constants (with
sigma^2 = 1/2 a pixel's log-density is at most -log(2 pi sigma^2)/2 = -0.57 nats = -0.83 bits),
so its constants differ from ours; we also report the value without the log(2 pi)/2 per pixel.
Compare directions, not numbers.

Profiles: QUICK (~1 min on 2 shared cores: width 64, 2 blocks, 1500 steps, 3 seeds, raw data
only); FULL (width 128, 2 blocks, 8000 steps, 5 seeds, raw and dequantized, checkpointed under
``default_cache_dir()``). Cached per process.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.profiles import Profile, plan_for
from toyvae.experiments._cache import cached
from toyvae.data.images import load_digits01
from toyvae.engine import default_cache_dir
from toyvae.experiments.bs20_train import Setting, TrainResult, VAEConfig, train
from toyvae.experiments.bs20_metrics import evaluate, reconstruct
from toyvae.experiments.measurement import Measurement

__all__ = [
    "MSE_SIGMA",
    "LEVELS",
    "N_TEST",
    "PAPER_TABLE2",
    "EmpiricalSampler",
    "HeldOutRows",
    "DigitsPlan",
    "DigitsResult",
    "PLANS",
    "split",
    "units",
    "pixel_log_density",
    "run",
    "table",
    "measure_table2",
    "PAPER_GAP_BITS",
    "pixel_gradient",
    "measure_sec43",
    "EDGE_GRADIENT",
    "FLAT_GRADIENT",
]

MSE_SIGMA = math.sqrt(0.5)  # summed squared error = Gaussian NLL with sigma^2 = 1/2 (BS20 Sec. 4.3)
LEVELS = 17  # grey levels of sklearn digits: integers 0..16
N_TEST = 300
# Table 2 of the paper: ELBO "in bits per pixel, accounting for the log sigma term", higher is
# better. Their exact constants are not stated (see the module docstring).
PAPER_TABLE2 = {"MNIST": {"F": 0.06, "LV": 4.89}, "CelebA": {"F": 5.52, "LV": 57.51}}
SETTINGS = ("F", "LS", "LV")


def _dequantize(x: jax.Array, key: jax.Array, levels: int) -> jax.Array:
    """(v + u) / levels for pixels x = v / (levels - 1), v integer, u ~ U(0, 1) per pixel."""
    v = jnp.round(x * (levels - 1))
    return (v + jax.random.uniform(key, x.shape, x.dtype)) / levels


def _digest(data: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(data).tobytes() + repr(data.shape).encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True, eq=False)
class EmpiricalSampler:
    """``sample(key, n)``: n rows drawn uniformly with replacement from a fixed (N, D) array.

    The array becomes a constant of the compiled training step, so the minibatch is indexed
    inside the jit. With ``levels`` > 0 each draw is dequantized (module docstring). Hashable
    by content (a digest of the array), as the engine's static sampler argument requires.
    """

    data: np.ndarray
    levels: int = 0

    def __post_init__(self):
        arr = np.asarray(self.data, np.float32)
        if arr.ndim != 2 or arr.shape[0] < 1 or not np.all(np.isfinite(arr)):
            raise ValueError(f"data must be a finite (N, D) array with N >= 1, got shape {arr.shape}")
        if int(self.levels) != self.levels or self.levels < 0 or self.levels == 1:
            raise ValueError(f"levels must be 0 (no dequantization) or an integer >= 2, got {self.levels!r}")
        object.__setattr__(self, "data", arr)
        object.__setattr__(self, "_key", (type(self).__name__, _digest(arr), int(self.levels)))

    @property
    def dim(self) -> int:
        return self.data.shape[1]

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return type(other) is type(self) and other._key == self._key

    def __repr__(self):
        return f"{type(self).__name__}(shape={self.data.shape}, sha={self._key[1]}, levels={self.levels})"

    def __call__(self, key: jax.Array, n: int) -> jax.Array:
        idx_key, u_key = jax.random.split(key)
        x = jnp.asarray(self.data)[jax.random.randint(idx_key, (n,), 0, self.data.shape[0])]
        return _dequantize(x, u_key, self.levels) if self.levels else x


class HeldOutRows(EmpiricalSampler):
    """``sample(key, n)``: the FIRST n rows in order (each test image once), n <= N.

    With ``levels`` > 0 the rows are dequantized with noise from ``key`` (``engine.evaluate``
    passes a fixed key, so the dequantized test set is fixed too).
    """

    def __call__(self, key: jax.Array, n: int) -> jax.Array:
        if n > self.data.shape[0]:
            raise ValueError(f"n must be at most the {self.data.shape[0]} test rows, got {n}")
        x = jnp.asarray(self.data[:n])
        return _dequantize(x, jax.random.split(key)[1], self.levels) if self.levels else x


def split(n_test: int = N_TEST, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) rows of :func:`load_digits01` after a fixed permutation."""
    x = load_digits01()
    perm = np.random.default_rng(seed).permutation(x.shape[0])
    return x[perm[n_test:]], x[perm[:n_test]]


def units(elbo_nats_per_image, dim: int = 64, levels: int = 0) -> dict[str, np.ndarray]:
    """An ELBO (nats per image, all constants) in the other units reported beside Table 2.

    Returns:
        nats_per_image, nats_per_pixel = / D, bits_per_pixel = / (D log 2) (higher is better);
        bits_per_pixel_no2pi: the same without the log(2 pi)/2 nats per pixel of the Gaussian
        normaliser (one guess at the paper's constants); and, with ``levels`` > 0 (dequantized
        data), discrete_bits_per_pixel = -(ELBO - D log levels) / (D log 2), an upper bound on
        the discrete negative log-likelihood (lower is better).
    """
    e = np.asarray(elbo_nats_per_image, np.float64)
    out = {"nats_per_image": e, "nats_per_pixel": e / dim, "bits_per_pixel": e / (dim * math.log(2.0)),
           "bits_per_pixel_no2pi": (e / dim + 0.5 * math.log(2.0 * math.pi)) / math.log(2.0)}
    if levels:
        out["discrete_bits_per_pixel"] = -(e - dim * math.log(levels)) / (dim * math.log(2.0))
    return out


def pixel_log_density(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """log N(x_i; mu_i, sigma_i^2) per pixel, (n, D) in float64 (NumPy, independent of JAX)."""
    x, mu, sigma = (np.asarray(a, np.float64) for a in (x, mu, sigma))
    return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * math.log(2.0 * math.pi)


@dataclasses.dataclass(frozen=True)
class DigitsPlan:
    """What one profile trains and evaluates."""

    seeds: tuple[int, ...]
    steps: int
    width: int
    depth: int
    latent_dim: int
    variants: tuple[str, ...]  # "raw", "dequantized"
    k_iwae: int = 100
    chunk: int = 500


PLANS = {
    # Quick: ~1 min of wall time on the shared 2-core machine (25 s of CPU); raw data only.
    Profile.QUICK: DigitsPlan(seeds=(0, 1, 2), steps=1500, width=64, depth=2, latent_dim=16,
                              variants=("raw",)),
    # Full: wider network, longer training, 5 seeds, and the dequantized control.
    Profile.FULL: DigitsPlan(seeds=(0, 1, 2, 3, 4), steps=8000, width=128, depth=2, latent_dim=16,
                             variants=("raw", "dequantized"), chunk=1000),
}


@dataclasses.dataclass(frozen=True, eq=False)
class DigitsResult:
    """Trained models and held-out metrics per data variant.

    ``runs[variant]`` is the engine's TrainResult (settings F, LS, LV x plan.seeds);
    ``metrics[variant][setting][key]`` arrays over seeds for key in elbo, iwae, rate,
    distortion, sq_err, elbo_se (engine.evaluate on the 300 test images);
    ``pixel_gain[variant]``: (seeds, D) mean over test images of the per-pixel
    log-density at the posterior mean, LV minus F (nats); ``constant_pixels``: indices of the
    pixels that are 0 in every training image.
    """

    plan: DigitsPlan
    runs: dict[str, TrainResult]
    metrics: dict[str, dict[str, dict[str, np.ndarray]]]
    pixel_gain: dict[str, np.ndarray]
    constant_pixels: np.ndarray
    test: dict[str, np.ndarray]  # the test images of each variant, as evaluated


def config_for(plan: DigitsPlan) -> VAEConfig:
    return VAEConfig(data_dim=64, latent_dim=plan.latent_dim, width=plan.width, depth=plan.depth,
                     batch=100, steps=plan.steps, lr=1e-3, sigma_floor=1e-3, chunk=plan.chunk,
                     record_every=10)


def settings() -> list[Setting]:
    """F-VAE with the MSE loss (sigma^2 = 1/2), LS-VAE (eq. 10), LV-VAE (eq. 11)."""
    return [Setting.fixed(MSE_SIGMA, "F"), Setting.scalar("LS"), Setting.vector("LV")]


EVAL_SEED = 10_000  # engine.evaluate's default key for the held-out pass


@cached
def run(profile: Profile = Profile.QUICK, progress: bool = False) -> DigitsResult:
    """Train F, LS and LV on every variant of the profile and evaluate them (cached)."""
    plan = plan_for(PLANS, profile)
    config = config_for(plan)
    train_x, test_x = split()
    constant = np.flatnonzero(train_x.std(axis=0) == 0)
    runs, metrics, gains, tests = {}, {}, {}, {}
    for variant in plan.variants:
        levels = LEVELS if variant == "dequantized" else 0
        ckpt = default_cache_dir() / f"digits_{variant}_{plan.steps}.npz" if profile == Profile.FULL else None
        res = train(config, EmpiricalSampler(train_x, levels), settings(), plan.seeds, checkpoint=ckpt,
                    progress=progress, desc=f"BS20 digits ({variant}): F, LS, LV")
        rows = HeldOutRows(test_x, levels)
        m = evaluate(res, rows, n=N_TEST, k=plan.k_iwae, seed=EVAL_SEED, block=50)
        metrics[variant] = {s.name: {key: m[key][i] for key in m} for i, s in enumerate(res.settings)}
        x_eval = np.asarray(rows(jax.random.split(jax.random.PRNGKey(EVAL_SEED))[0], N_TEST))
        per_model = {}
        for name in ("F", "LV"):
            i = res.index(name)
            per_model[name] = np.stack([pixel_log_density(x_eval, *reconstruct(res, i, j, x_eval)).mean(axis=0)
                                        for j in range(len(plan.seeds))])
        runs[variant], gains[variant], tests[variant] = res, per_model["LV"] - per_model["F"], x_eval
    return DigitsResult(plan, runs, metrics, gains, constant, tests)


def table(result: DigitsResult, variant: str = "raw") -> list[dict]:
    """One row per setting: ELBO (mean and std over seeds) in every unit, rate, sigma."""
    res = result.runs[variant]
    levels = LEVELS if variant == "dequantized" else 0
    rows = []
    for s in res.settings:
        m = result.metrics[variant][s.name]
        u = units(m["elbo"], 64, levels)
        sigma = res.history["sigma"][res.index(s.name), :, -1]  # mean decoder sigma, last record
        row = {"name": s.name, "seeds": len(res.seeds), "rate": float(m["rate"].mean()),
               "iwae": float(m["iwae"].mean()), "sq_err": float(m["sq_err"].mean()),
               "sigma_mean": float(sigma.mean())}
        for k, v in u.items():
            row[k] = float(v.mean())
            row[k + "_std"] = float(v.std(ddof=1)) if v.size > 1 else 0.0
        rows.append(row)
    return rows


# The paper's LV - F gap in bits per pixel (Table 2, MNIST: 4.89 - 0.06). A difference of two Gaussian decoders'
# ELBOs under one convention does not depend on the constant the paper leaves unstated; the data set does.
PAPER_GAP_BITS = PAPER_TABLE2["MNIST"]["LV"] - PAPER_TABLE2["MNIST"]["F"]


def measure_table2(result: DigitsResult) -> Measurement:
    """Table 2's evidence per data variant ``v`` (leading axis = seed): ``v/bits_per_pixel/<F|LS|LV>`` (held-out
    ELBO, all constants, bits per pixel) and ``v/gain_on_varying_pixels_bpp``: LV's gain over F in per-pixel
    log-density at the posterior mean, summed over the pixels that vary in the training set (the three always-zero
    pixels, where a learned sigma can shrink to the floor, left out), in bits per pixel of the image."""
    evidence, numbers, figure = {}, {"plan": (f"sklearn digits 8x8, {len(result.plan.seeds)} seeds "
                                               f"{list(result.plan.seeds)}, {result.plan.steps} steps, "
                                               f"{result.plan.depth} blocks of {result.plan.width}, latent "
                                               f"{result.plan.latent_dim}"),
                                      "seeds": list(result.plan.seeds)}, {"settings": list(SETTINGS), "variants": {}}
    dim = result.test[result.plan.variants[0]].shape[1]
    varying = np.setdiff1d(np.arange(dim), result.constant_pixels)
    for v in result.plan.variants:
        levels = LEVELS if v == "dequantized" else 0
        m = result.metrics[v]
        bpp = {s: units(m[s]["elbo"], dim, levels)["bits_per_pixel"] for s in SETTINGS}
        for s in SETTINGS:
            evidence[f"{v}/bits_per_pixel/{s}"] = bpp[s]
        gain = result.pixel_gain[v]
        evidence[f"{v}/gain_on_varying_pixels_bpp"] = gain[:, varying].sum(axis=1) / (dim * math.log(2.0))
        rows = {row["name"]: row for row in table(result, v)}
        numbers[v] = {
            **{f"elbo_nats_per_image[{s}]": np.round(m[s]["elbo"], 3).tolist() for s in SETTINGS},
            **{f"bits_per_pixel[{s}]": round(rows[s]["bits_per_pixel"], 4) for s in SETTINGS},
            **{f"bits_per_pixel_no2pi[{s}]": round(rows[s]["bits_per_pixel_no2pi"], 4) for s in SETTINGS},
            **{f"rate[{s}]": round(rows[s]["rate"], 3) for s in SETTINGS},
            "gap_LV_minus_F_bits_per_pixel": np.round(bpp["LV"] - bpp["F"], 3).tolist(),
            "share_of_gain_from_constant_pixels": np.round(
                gain[:, result.constant_pixels].sum(axis=1) / gain.sum(axis=1), 3).tolist(),
        }
        if levels:
            numbers[v].update({f"discrete_bits_per_pixel[{s}]": round(rows[s]["discrete_bits_per_pixel"], 4)
                               for s in SETTINGS})
        figure["variants"][v] = {s: bpp[s].tolist() for s in SETTINGS}
    figure["paper_MNIST"] = PAPER_TABLE2["MNIST"]
    return Measurement(evidence, numbers, figure)


# Sec. 4.3's "edge" and "flat" pixels of a test digit, by the magnitude of its grey-level gradient (central
# differences on the 8x8 grid, one-sided at the border; pixel values in [0, 1]): an edge changes by more than a
# quarter of the range per pixel, a flat pixel by less than half a grey level (1/32). Fixed before the data.
EDGE_GRADIENT = 0.25
FLAT_GRADIENT = 1 / 32


def pixel_gradient(images: np.ndarray, side: int = 8) -> np.ndarray:
    """|grad x| per pixel of each (side*side)-pixel image (rows of ``images``), same shape as ``images``."""
    x = np.asarray(images, np.float64)
    im = x.reshape(-1, side, side)
    gy, gx = np.gradient(im, axis=(1, 2))
    return np.hypot(gx, gy).reshape(x.shape)


def measure_sec43(result: DigitsResult) -> Measurement:
    """Sec. 4.3 per data variant ``v`` (leading axis = seed): ``v/rate/<F|LV>`` (KL per image, nats),
    ``v/sq_err/<F|LV>`` (squared error per pixel of the reconstruction at a posterior sample, the distortion in
    pixel units, comparable across decoders), and the LV-VAE's decoder ``log sigma_i(z)`` at the posterior mean,
    averaged over the edge pixels (``v/log_sigma_edge``), the flat pixels (``v/log_sigma_flat``) and the flat
    pixels on the stroke, x >= 0.5 (``v/log_sigma_flat_on_stroke``; NaN where there are none) of the 300 test
    digits (:data:`EDGE_GRADIENT`, :data:`FLAT_GRADIENT`, on the digits' grey levels before any dequantization)."""
    _, test_raw = split()
    grad = pixel_gradient(test_raw)
    edge, flat = grad > EDGE_GRADIENT, grad < FLAT_GRADIENT
    inside = flat & (test_raw >= 0.5)  # flat pixels on the stroke (not background): reported only
    evidence, numbers = {}, {"plan": f"sklearn digits 8x8, {len(result.plan.seeds)} seeds, {result.plan.steps} steps",
                             "seeds": list(result.plan.seeds),
                             "edge_pixels_share": float(edge.mean()), "flat_pixels_share": float(flat.mean()),
                             "flat_on_stroke_pixels_share": float(inside.mean())}
    figure: dict = {"variants": {}}
    for v in result.plan.variants:
        res, m = result.runs[v], result.metrics[v]
        for s in ("F", "LV"):
            evidence[f"{v}/rate/{s}"] = m[s]["rate"]
            evidence[f"{v}/sq_err/{s}"] = m[s]["sq_err"]
        lv = res.index("LV")
        log_sig = np.stack([np.log(reconstruct(res, lv, j, result.test[v])[1]) for j in range(len(result.plan.seeds))]
                           ).astype(np.float64)
        evidence[f"{v}/log_sigma_edge"] = np.array([ls[edge].mean() for ls in log_sig])
        evidence[f"{v}/log_sigma_flat"] = np.array([ls[flat].mean() for ls in log_sig])
        evidence[f"{v}/log_sigma_flat_on_stroke"] = np.array(
            [ls[inside].mean() if inside.any() else np.nan for ls in log_sig])
        numbers[v] = {
            **{f"rate[{s}]": np.round(m[s]["rate"], 3).tolist() for s in ("F", "LV")},
            **{f"sq_err_per_pixel[{s}]": np.round(m[s]["sq_err"], 5).tolist() for s in ("F", "LV")},
            "LV sigma, geometric mean on edge pixels": np.round(np.exp(evidence[f"{v}/log_sigma_edge"]), 4).tolist(),
            "LV sigma, geometric mean on flat pixels": np.round(np.exp(evidence[f"{v}/log_sigma_flat"]), 4).tolist(),
            "LV sigma, geometric mean on flat pixels on the stroke (x >= 0.5)": np.round(
                np.exp(evidence[f"{v}/log_sigma_flat_on_stroke"]), 4).tolist(),
        }
        figure["variants"][v] = {
            "rate": {s: m[s]["rate"].tolist() for s in ("F", "LV")},
            "sq_err": {s: m[s]["sq_err"].tolist() for s in ("F", "LV")},
            "log_sigma_edge": evidence[f"{v}/log_sigma_edge"].tolist(),
            "log_sigma_flat": evidence[f"{v}/log_sigma_flat"].tolist(),
            "log_sigma_flat_on_stroke": [None if not np.isfinite(x) else float(x)
                                         for x in evidence[f"{v}/log_sigma_flat_on_stroke"]],
            "sigma_map": np.round(np.exp(log_sig.mean(axis=(0, 1))), 5).reshape(8, 8).tolist(),
        }
    figure["edge_share_map"] = np.round(edge.mean(axis=0), 3).reshape(8, 8).tolist()
    return Measurement(evidence, numbers, figure)
