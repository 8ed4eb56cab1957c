"""Berger & Sebag 2020, App. A.2 and Fig. 10: does LS-VAE's learned sigma fall in plateaus, and do its drops
coincide with rises of the ELBO? Read off the recorded training histories of the 2-D toy's LS-VAE
(:func:`toyvae.experiments.toy2d.run`; nothing is trained here).

Per seed the history (records of 10-step means) is cut into ``BLOCKS`` equal blocks; ``m_k`` is the block mean of
log sigma, ``f_k = m_k - m_{k+1}`` the fall from block k to k+1 and ``p = (m_0 - m_{K-1}) / (K - 1)`` the average
fall per block (the pace).

* **Staircase index** ``Z`` (:func:`staircase_index`): the largest contrast "a plateau, then a later drop",
  ``Z = max_{k < l} min(log(p / f_k), log(f_l / p))`` with each fall clipped below at ``p / FLAT_CAP`` (a block
  that falls 8x slower than the pace, or rises, counts as flat). A staircase (drops between flat plateaus)
  gives ``Z = log FLAT_CAP``; a steady fall gives ``Z`` near 0; any fall that only slows down (an exponential
  approach, a power law) gives ``Z <= 0`` up to noise. ``Z > log 2`` reads "a plateau at under half the pace
  followed by a drop at over twice it".
* **Selection bias** (:func:`selection_bias`): ``Z`` is a maximum over pairs of blocks, so block noise raises it.
  The bound used is the largest mean excess of ``Z`` over its noise-free value log 2 on three boundary histories
  (many blocks exactly at the plateau or the drop threshold, the other side at or beyond its own) with iid block
  noise at the seed's own noise ratio (``BIAS_DRAWS`` draws, fixed seed). ``Z - bias`` is the conservative
  estimate a "plateaus" call uses, ``Z`` itself the liberal one a "no plateaus" call uses
  (:class:`toyvae.evidence.bracketed.Bracketed`).
* **Block noise ratio** (:func:`block_noise_ratio`): the robust block-to-block noise of ``m`` (1.4826 x the
  median absolute deviation of its second differences, / sqrt 6, the standard deviation of a second difference of
  independent block means) over the pace. It also absorbs curvature, so it overstates the noise of a curved
  history (conservative for the premise it feeds).
* **Coincidence** (:func:`coincidence`): per seed, the correlation (Fisher z) between the blocks' falls of log
  sigma and the blocks' rises of the ELBO (``-loss``), each detrended by a least-squares cubic in the block index
  (so a shared slow trend does not count as coincidence), minus its mean over circular shifts of the ELBO series by
  ``MIN_SHIFT`` to ``K - 1 - MIN_SHIFT`` blocks (the value expected when the two series' fluctuations are unrelated,
  with each series' own autocorrelation kept).

Seeds are the unit of evidence: each statistic is one number per seed, and the claim's rules compare them over
seeds (:mod:`toyvae.evidence`), valid whatever the autocorrelation within a history.
"""

from __future__ import annotations

import numpy as np

from toyvae.experiments.measurement import Measurement

__all__ = ["BLOCKS", "FLAT_CAP", "MIN_SHIFT", "BIAS_DRAWS", "block_means", "falls", "staircase_index",
           "selection_bias", "block_noise_ratio", "coincidence", "measure_plateaus"]

BLOCKS = 40  # blocks per history: 100 steps each in the quick profile (400 records of 10 steps), 750 in the full
FLAT_CAP = 8.0  # a block falling 8x slower than the pace (or rising) is flat: the plateau contrast is capped at log 8
BIAS_DRAWS = 400  # simulated boundary histories per selection-bias bound (its Monte Carlo s.e. ~ 0.005 at ratio 0.1)
MIN_SHIFT = 3  # circular shifts of at least 3 blocks: beyond the blocks' own correlation of a few neighbours


def block_means(history, blocks: int = BLOCKS) -> np.ndarray:
    """Means of ``blocks`` equal consecutive blocks along the last axis (a remainder at the end is dropped)."""
    h = np.asarray(history, np.float64)
    n = h.shape[-1] // blocks * blocks
    if n == 0:
        raise ValueError(f"a history of {h.shape[-1]} records cannot be cut into {blocks} blocks")
    return h[..., :n].reshape(*h.shape[:-1], blocks, n // blocks).mean(axis=-1)


def falls(m) -> tuple[np.ndarray, float]:
    """(per-block falls ``m_k - m_{k+1}``, the pace ``(m_0 - m_{K-1}) / (K - 1)``) of 1-D block means."""
    m = np.asarray(m, np.float64)
    return m[:-1] - m[1:], float((m[0] - m[-1]) / (m.size - 1))


def staircase_index(m, cap: float = FLAT_CAP) -> float:
    """``Z = max_{k < l} min(log(p / f_k), log(f_l / p))`` of 1-D block means ``m`` (module docstring).

    NaN when the history does not fall (``p <= 0``): there is no pace to compare with.
    """
    f, p = falls(m)
    if not p > 0:
        return float("nan")
    lf = np.log(np.maximum(f, p / cap) / p)  # in [-log cap, inf)
    plateau_before = np.maximum.accumulate(-lf)[:-1]  # the flattest block among 0..l-1, for l = 1..K-2
    return float(np.max(np.minimum(plateau_before, lf[1:])))


def _staircase_rows(m: np.ndarray, cap: float) -> np.ndarray:
    """:func:`staircase_index` of each row of 2-D block means (rows with a positive pace)."""
    f = m[:, :-1] - m[:, 1:]
    p = (m[:, 0] - m[:, -1])[:, None] / (m.shape[1] - 1)
    lf = np.log(np.maximum(f, p / cap) / p)
    return np.max(np.minimum(np.maximum.accumulate(-lf, axis=1)[:, :-1], lf[:, 1:]), axis=1)


def _boundary_paces(n_fall: int) -> list[np.ndarray]:
    """Per-block paces (average 1) of three histories with staircase index exactly log 2 and as many blocks at the
    threshold as possible: plateaus at 0.5 then drops at 2; plateaus at 0.5 then a few large drops; flat phases (0)
    then drops at 2."""
    n_flat = 2 * n_fall // 3
    balanced = np.concatenate([np.full(n_flat, 0.5), np.full(n_fall - n_flat, 2.0)])
    n_big = max(1, n_fall // 13)
    big = np.concatenate([np.full(n_fall - n_big, 0.5), np.full(n_big, (n_fall - 0.5 * (n_fall - n_big)) / n_big)])
    n_drop = n_fall // 2
    steep = np.concatenate([np.zeros(n_fall - n_drop), np.full(n_drop, 2.0)])
    steep[: n_fall - n_drop] = (n_fall - 2.0 * n_drop) / (n_fall - n_drop)  # average 1: flat phases at <= 1/8
    return [balanced / balanced.mean(), big / big.mean(), steep / steep.mean()]


def selection_bias(ratio: float, blocks: int = BLOCKS, cap: float = FLAT_CAP, draws: int = BIAS_DRAWS,
                   seed: int = 0) -> float:
    """How far block noise of ``ratio`` x the pace raises the staircase index on a boundary history: the largest,
    over the three histories of :func:`_boundary_paces`, of the mean index (iid block noise, ``draws`` draws with a
    fixed ``seed``) minus its noise-free value; 0 without noise."""
    noise = np.random.default_rng(seed).normal(size=(draws, blocks))
    out = 0.0
    for pace in _boundary_paces(blocks - 1):
        m = np.concatenate([[0.0], -np.cumsum(pace)])
        exact = _staircase_rows(m[None, :], cap)[0]
        out = max(out, float(np.mean(_staircase_rows(m[None, :] + float(ratio) * noise, cap))) - exact)
    return out


def block_noise_ratio(m) -> float:
    """Robust block-to-block noise of 1-D block means over their pace (module docstring); inf without a fall."""
    m = np.asarray(m, np.float64)
    _, p = falls(m)
    d2 = np.diff(m, 2)
    noise = 1.4826 * float(np.median(np.abs(d2 - np.median(d2)))) / np.sqrt(6.0)
    return noise / p if p > 0 else float("inf")


def _detrend(y: np.ndarray) -> np.ndarray:
    x = np.linspace(-1.0, 1.0, y.size)
    return y - np.polyval(np.polyfit(x, y, 3), x)


def coincidence(sigma_blocks, elbo_blocks, min_shift: int = MIN_SHIFT) -> tuple[float, float]:
    """(z_obs, z_null): Fisher z of the correlation between detrended falls of log sigma and detrended rises of the
    ELBO, and its mean over circular shifts of the ELBO series by ``min_shift .. n - min_shift`` blocks (a circular
    shift keeps a series' mean and spread, so each shifted correlation is one inner product)."""
    f, _ = falls(sigma_blocks)
    g = np.diff(np.asarray(elbo_blocks, np.float64))
    rf, rg = _detrend(f), _detrend(g)
    n = f.size
    shifts = np.arange(min_shift, n - min_shift + 1)
    if shifts.size < 1:
        raise ValueError("too few blocks for the circular-shift null")
    a = (rf - rf.mean()) / np.linalg.norm(rf - rf.mean())
    b = (rg - rg.mean()) / np.linalg.norm(rg - rg.mean())
    r_null = b[(np.arange(n)[None, :] - shifts[:, None]) % n] @ a  # corr(rf, roll(rg, u)) for each shift u
    z = lambda r: np.arctanh(np.clip(r, -0.999999, 0.999999))  # noqa: E731
    return float(z(a @ b)), float(np.mean(z(r_null)))


def measure_plateaus(r) -> Measurement:
    """App. A.2 / Fig. 10 on the LS-VAE histories of a :class:`toyvae.experiments.toy2d.Toy2DResult`, per seed:
    the staircase index, the block noise ratio, the total fall of log sigma, and the coincidence excess
    ``z_obs - z_null`` (module docstring)."""
    fit = r.phase1
    ls = fit.index("LS")
    log_sigma = np.log(np.asarray(fit.history["sigma"][ls], np.float64))  # (seeds, records)
    elbo = -np.asarray(fit.history["loss"][ls], np.float64)
    ms, me = block_means(log_sigma), block_means(elbo)
    z_stair = np.array([staircase_index(m) for m in ms])
    noise = np.array([block_noise_ratio(m) for m in ms])
    bias = np.array([selection_bias(r) if np.isfinite(r) else np.inf for r in noise])
    total = ms[:, 0] - ms[:, -1]
    co = np.array([coincidence(a, b) for a, b in zip(ms, me)])
    pace_ratio = np.array([falls(m)[0] / falls(m)[1] for m in ms])  # (seeds, blocks - 1)
    record_every = fit.config.record_every
    block_steps = log_sigma.shape[1] // BLOCKS * record_every
    keep = slice(None, None, max(1, log_sigma.shape[1] // 200))
    evidence = {"staircase index": z_stair, "staircase index - selection bias": z_stair - bias,
                "block noise / pace": noise, "log sigma total fall": total,
                "coincidence excess": co[:, 0] - co[:, 1]}
    numbers = {"seeds": list(r.plan.seeds), "blocks": BLOCKS, "block_steps": block_steps,
               "staircase_index": z_stair.tolist(), "selection_bias": bias.tolist(),
               "block_noise_over_pace": noise.tolist(),
               "log_sigma_total_fall": total.tolist(), "coincidence_z": co[:, 0].tolist(),
               "coincidence_z_null": co[:, 1].tolist(),
               "slowest_pace_ratio": pace_ratio.min(axis=1).tolist(),
               "fastest_pace_ratio": pace_ratio.max(axis=1).tolist(),
               "fastest_block_step": (np.argmax(pace_ratio, axis=1) * block_steps + block_steps).tolist()}
    figure = {"steps": (np.arange(log_sigma.shape[1])[keep] * record_every).tolist(),
              "sigma": np.exp(log_sigma[:, keep]).round(5).tolist(),
              "block_step": [(k + 1) * block_steps for k in range(BLOCKS - 1)],
              "pace_ratio": pace_ratio.round(4).tolist(),
              "elbo_rise": np.diff(me, axis=1).round(5).tolist(),
              "sigma_fall": (ms[:, :-1] - ms[:, 1:]).round(5).tolist(),
              "staircase_index": z_stair.tolist(), "criterion": float(np.log(2.0)), "cap": float(np.log(FLAT_CAP)),
              "coincidence_excess": (co[:, 0] - co[:, 1]).tolist()}
    return Measurement(evidence, numbers, figure)
