"""Two-stage (successive-refinement) linear-Gaussian VAEs and the frequency allocation of a code's error:
the exact side of MB Sec. 4 (eqs. 5-6, Figs. 7-8) and Sec. 5 (Figs. 9-10).

Setting and conventions (``shared/claims.md``): data ``x ~ N(0, Sigma)`` in R^n, squared error
(``G = I``, no factor 1/2), rates in nats, ``g(s) = (s - 1 - log s) / 2``.

**Primary** (a :class:`~toyvae.theory.rate_distortion.LinearVAEParams`): ``q(z|x) = N(A1 x, diag s1)``,
``p(z) = N(0, I)``, decoder mean ``mu(z) = W1 z``. MB eq. 5 takes the expectation over
``q(x, z) = p_data(x) q(z|x)``, so the secondary's conditioning input is the decoder mean at a
**posterior sample**, ``x~ = W1 z`` with ``z ~ q(z|x)`` (``convention="sample"``, the default). The
alternative reading, ``x~ = W1 A1 x`` (decoder at the posterior **mean**, ``convention="posterior_mean"``),
is offered for comparison only: it makes ``x~`` a deterministic function of ``x``, which leaks what the
latent did not carry (see :func:`two_stage_optimum`).

**Secondary** (:class:`SecondaryParams`), a conditional linear-Gaussian VAE (MB eqs. 5-6):
``q(z2 | x, x~) = N(A2 x + B2 x~, diag s2)``, conditional prior ``p(z2 | x~) = N(P2 x~, I)``, decoder
mean ``mu~(z2, x~) = (I + V2) x~ + W2 z2``. ``V2 = 0, W2 = 0`` copies ``x~``.

Successive refinement (Equitz & Cover 1991, "Successive refinement of information"; a Gaussian source under
squared error is successively refinable): describing ``x`` first at distortion ``gamma`` and then refining to
``gamma~ < gamma`` costs no more in total than describing it at ``gamma~`` at once,
``R(gamma) + R_{X|X~}(gamma~) = R(gamma~)``. :func:`two_stage_optimum` realises this with linear VAEs.

Sec. 5 (the end point of distortion-targeted training): at a fixed distortion ``gamma`` the rate is smallest
for the water-filling error spectrum ``e_i = min(theta, mu_i)``; any other allocation of the same error over
the eigen-components (for instance one that spends bits on high frequencies first) costs
:func:`rate_at_allocation` ``>= R(gamma)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import optimize

from toyvae import _validate
from toyvae.theory import likelihoods
from toyvae.theory import rate_distortion as rd
from toyvae.theory.linear_gaussian import g

__all__ = [
    "SecondaryParams",
    "ConditionalParts",
    "ConditionalSource",
    "SampleChange",
    "TwoStageOptimum",
    "ErrorSpectrum",
    "CONVENTIONS",
    "water_level_for_distortion",
    "reconstruction_covariances",
    "conditional_source",
    "conditional_linear_vae_parts",
    "optimal_secondary",
    "sample_change",
    "gaussian_elbo",
    "two_stage_optimum",
    "optimal_error_spectrum",
    "linear_vae_error_spectrum",
    "error_share_above",
    "rate_at_allocation",
    "tilted_allocation",
]

CONVENTIONS = ("sample", "posterior_mean")


class SecondaryParams(NamedTuple):
    """A conditional linear-Gaussian VAE on pairs ``(x, x~)`` (MB eqs. 5-6; ``d2`` latents, ``x`` in R^n).

    ``q(z2|x, x~) = N(A2 x + B2 x~, diag s2)``, ``p(z2|x~) = N(P2 x~, I)``, ``mu~ = (I + V2) x~ + W2 z2``.
    """

    A2: np.ndarray  # (d2, n) encoder weight on x
    B2: np.ndarray  # (d2, n) encoder weight on x~
    s2: np.ndarray  # (d2,) posterior variances
    P2: np.ndarray  # (d2, n) conditional-prior mean weight
    V2: np.ndarray  # (n, n) decoder's correction of the copy of x~
    W2: np.ndarray  # (n, d2) decoder weight on z2


class ConditionalParts(NamedTuple):
    """Closed-form averages of a secondary over ``x``, ``z ~ q(z|x)`` (hence ``x~``) and ``z2 ~ q(z2|x, x~)``."""

    rate: float  # E KL(q(z2|x, x~) || p(z2|x~)), MB eq. 5
    distortion: float  # E ||x - mu~(z2, x~)||^2, MB eq. 6
    copy_distortion: float  # E ||x - x~||^2: the distortion of the copying secondary (V2 = 0, W2 = 0)
    variance_kl: float  # sum_i g(s2_i)


class ConditionalSource(NamedTuple):
    """The Gaussian law of ``x`` given ``x~``: ``E[x | x~] = H x~``, ``Cov(x | x~) = covariance``."""

    H: np.ndarray  # (n, n)
    covariance: np.ndarray  # (n, n), Sigma - H Cov(x~, x)


class SampleChange(NamedTuple):
    """How a secondary moves a primary's mean sample: ``delta = mu~(z2, x~) - x~`` under the generative model."""

    total: float  # E ||delta||^2
    per_component: np.ndarray  # E (u_k^T delta)^2 for the columns u_k of the chosen basis
    covariance: np.ndarray  # Cov(delta), (n, n)


class TwoStageOptimum(NamedTuple):
    """The rate-optimal primary at ``gamma`` and secondary at ``gamma~`` (:func:`two_stage_optimum`)."""

    primary: rd.LinearVAEParams
    secondary: SecondaryParams
    convention: str
    basis: np.ndarray  # (n, n) orthonormal columns: the components of `spectrum` and `innovation_variance`
    spectrum: np.ndarray  # u_k^T Sigma u_k (the eigenvalues when `basis` is the eigenbasis)
    theta1: float  # primary's water level, D(theta1) = gamma
    theta2: float  # secondary's water level on the spectrum of Cov(x | x~) (inf when its rate is 0)
    rate1: float  # R(gamma)
    rate2: float  # E KL(q(z2|x, x~) || p(z2|x~))
    rate_total: float  # rate1 + rate2
    rate_single: float  # R(gamma~): one VAE trained at gamma~
    distortion1: float  # E||x - W1 z||^2, z ~ q(z|x) (= gamma)
    distortion2: float  # E||x - mu~||^2 (= gamma~ for the sample convention)
    elbo_primary: float  # gaussian_elbo(n, gamma, rate1)
    elbo_two_stage: float  # gaussian_elbo(n, distortion2, rate1 + rate2): an ELBO only for convention "sample"
    elbo_single: float  # gaussian_elbo(n, gamma~, R(gamma~))
    data_log_likelihood: float  # E log N(x; 0, Sigma), the ceiling of every ELBO
    sample_change: float  # E||mu~(z2, x~) - x~||^2 with z ~ p(z), z2 ~ p(z2|x~)
    innovation_variance: np.ndarray  # per-component share of that change, in `basis`


def _square(name: str, M, n: int | None = None) -> np.ndarray:
    M = _validate.as_finite(name, M)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or (n is not None and M.shape[0] != n):
        raise ValueError(f"{name} must be a square matrix{'' if n is None else f' of size {n}'}, got shape {M.shape}")
    return M


def _convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def _primary(primary: rd.LinearVAEParams, n: int, name: str = "primary"):
    A1 = _validate.as_finite(f"{name}.A", primary.A)
    s1 = _validate.positive(f"{name}.s", primary.s)
    W1 = _validate.as_finite(f"{name}.W", primary.W)
    d = A1.shape[0]
    if A1.shape != (d, n) or s1.shape != (d,) or W1.shape != (n, d):
        raise ValueError(f"{name} shapes do not fit n = {n}: A {A1.shape}, s {s1.shape}, W {W1.shape}")
    return A1, s1, W1


def _secondary(secondary: SecondaryParams, n: int):
    A2, B2, P2 = (_validate.as_finite(k, getattr(secondary, k)) for k in ("A2", "B2", "P2"))
    s2 = _validate.positive("s2", secondary.s2)
    V2, W2 = _validate.as_finite("V2", secondary.V2), _validate.as_finite("W2", secondary.W2)
    d2 = A2.shape[0]
    if any(M.shape != (d2, n) for M in (A2, B2, P2)) or s2.shape != (d2,) or V2.shape != (n, n) or W2.shape != (n, d2):
        raise ValueError(f"secondary shapes do not fit n = {n}: A2 {A2.shape}, B2 {B2.shape}, s2 {s2.shape}, "
                         f"P2 {P2.shape}, V2 {V2.shape}, W2 {W2.shape}")
    return A2, B2, s2, P2, V2, W2


def water_level_for_distortion(spectrum, D) -> np.ndarray:
    """The water level ``theta`` with ``sum_i min(theta, mu_i) = D`` (reverse water-filling inverted).

    Exact: on ``[mu_(k-1), mu_(k)]`` of the ascending spectrum the sum is ``sum_{j<k} mu_(j) + (n - k) theta``,
    so the root is ``(D - sum_{j<k} mu_(j)) / (n - k)`` for the first ``k`` where it does not exceed ``mu_(k)``.
    Where ``D = sum_i mu_i`` (to a relative 1e-12, the rounding of a sum of computed eigenvalues) the
    smallest level that meets ``D``, ``max_i mu_i``, is returned; where ``D`` exceeds the sum, ``inf`` (the
    zero-rate code already meets ``D`` with room to spare).
    """
    mu = np.sort(_validate.nonnegative("spectrum", spectrum))
    D = _validate.positive("D", D)
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError(f"spectrum must be a non-empty 1-D array, got shape {mu.shape}")
    n = mu.size
    below = np.concatenate([[0.0], np.cumsum(mu)[:-1]])  # sum of the k smallest, k = 0..n-1
    t = (D[..., None] - below) / (n - np.arange(n))  # candidate root on each segment
    k = np.argmax(t <= mu, axis=-1)  # first segment whose root lies in it
    theta = np.take_along_axis(t, k[..., None], axis=-1)[..., 0]
    total = mu.sum()
    theta = np.where(D > total * (1 + 1e-12), np.inf, np.where(D >= total * (1 - 1e-12), mu.max(), theta))
    return theta if theta.ndim else float(theta)


def reconstruction_covariances(primary: rd.LinearVAEParams, Sigma, convention: str = "sample"):
    """``(Cov(x, x~), Cov(x~))`` of the primary's reconstruction on ``x ~ N(0, Sigma)``.

    ``sample``: ``x~ = W1 z``, ``z = A1 x + diag(s1)^{1/2} eps`` (MB eq. 5), so
    ``Cov(x~) = W1 (A1 Sigma A1^T + diag s1) W1^T``. ``posterior_mean``: ``x~ = W1 A1 x``,
    ``Cov(x~) = W1 A1 Sigma A1^T W1^T``. Both have ``Cov(x, x~) = Sigma A1^T W1^T``.
    """
    Sigma = _square("Sigma", Sigma)
    A1, s1, W1 = _primary(primary, Sigma.shape[0])
    cross = Sigma @ A1.T @ W1.T
    latent = A1 @ Sigma @ A1.T + (np.diag(s1) if _convention(convention) == "sample" else 0.0)
    return cross, W1 @ latent @ W1.T


def _rank_of_rows(M: np.ndarray):
    """SVD of ``M`` with its non-zero rows scaled to unit length, and its rank, by a scale-free cut-off.

    Conditioning on ``M xi`` is conditioning on ``D M xi`` for any invertible diagonal ``D``: scaling the rows
    to unit length makes the cut-off independent of how large each row is (a component of variance 1e-300
    next to one of 1e300 counts as much as any other). Rows that are exactly zero carry nothing and are
    dropped; the cut-off on the singular values of the unit rows is numpy's rounding level of a matrix with
    entries of size 1, ``max(shape) * eps * s_max``. Returns ``(rows, norms, U, S, Vt, rank)`` with ``rows``
    the indices of the kept rows.
    """
    norms = np.linalg.norm(M, axis=1)
    rows = np.flatnonzero(norms > 0)
    if rows.size == 0:
        return rows, norms[rows], np.zeros((0, 0)), np.zeros(0), np.zeros((0, M.shape[1])), 0
    U, S, Vt = np.linalg.svd(M[rows] / norms[rows, None], full_matrices=True)
    rank = int(np.sum(S > max(rows.size, M.shape[1]) * np.finfo(float).eps * S[0]))
    return rows, norms[rows], U, S, Vt, rank


def _left_inverse(B: np.ndarray) -> np.ndarray:
    """``B^+ = R^{-1} Q^T`` for ``B = Q R`` of full column rank (no cut-off: rows of any scale are kept)."""
    Q, R = np.linalg.qr(B)
    return np.linalg.solve(R, Q.T)


def conditional_source(primary: rd.LinearVAEParams, Sigma, convention: str = "sample") -> ConditionalSource:
    """The conditional Gaussian ``x | x~`` that the secondary models.

    ``E[x | x~] = H x~`` with ``H = Cov(x, x~) Cov(x~)^+`` and ``Cov(x | x~) = Sigma - H Cov(x~, x)`` (Gaussian
    conditioning). For the rate-optimal primary and the ``sample`` convention, in the eigenbasis of ``Sigma``:
    ``H = I`` on the coded components and ``Cov(x | x~) = diag(min(theta1, mu_i))`` (the backward test channel
    ``x = x~ + N(0, theta1)``). For ``posterior_mean`` the coded components have conditional variance 0:
    ``x~`` then determines them.

    Computed without a cut-off relative to the largest variance and without subtracting nearly equal terms,
    so that it holds over the whole float64 range (a component 1e-8 next to 1e4, or 1e-300 next to 1e300):
    in the eigenbasis of ``Sigma``, ``x = L e`` with ``L = U diag(mu)^{1/2}`` and ``e ~ N(0, I)``;
    ``x~ = W1 z`` carries exactly the information of ``y = T z`` (``W1``'s columns scaled to unit length,
    zero columns dropped, ``T`` the row space of the result: a scale-free rank, :func:`_rank_of_rows`).
    ``sample``: ``y = C e + eta``, ``eta ~ N(0, N)`` with ``N = T diag(s1) T^T`` positive definite, and the
    information form ``Cov(e | y) = (I + C^T N^{-1} C)^{-1}`` (for a coded component ``1 / (1 + (1 - s) / s)
    = s``, to a few eps whatever ``s``; the covariance form ``mu - mu (1 - s)`` loses every digit of small
    ``s``). ``posterior_mean``: ``y = C e`` exactly, and ``Cov(e | y)`` is the projector on the complement
    of ``C``'s row space (unit rows, scale-free rank), assembled from a basis of that complement.
    """
    Sigma = _square("Sigma", Sigma)
    n = Sigma.shape[0]
    A1, s1, W1 = _primary(primary, n)
    convention = _convention(convention)
    Sigma = 0.5 * (Sigma + Sigma.T)
    mu, V = np.linalg.eigh(Sigma)
    keep = mu > 0  # directions of zero (or rounding-negative) variance: x is 0 there
    L = V[:, keep] * np.sqrt(mu[keep])  # x = L e, e ~ N(0, I_p)
    p = L.shape[1]
    # x~ = W1 z: drop the latents W1 ignores, scale its columns to unit length, keep its row space
    col = np.linalg.norm(W1, axis=0)
    used = np.flatnonzero(col > 0)
    cols, _, Uw, Sw, Vtw, r = _rank_of_rows((W1[:, used] / col[used]).T)  # rows of the transpose = columns
    if r == 0 or p == 0:
        return ConditionalSource(H=np.zeros((n, n)), covariance=Sigma.copy())
    # (W1[:, used] / col)^T restricted to its non-zero rows `cols` is Uw diag(Sw) Vtw; so
    # x~ = W1[:, used] z_u = Vtw_r^T diag(Sw_r) Uw_r^T diag(col) z_u: y = T z_u with T = Uw_r^T diag(col) (rows r),
    # and x~ = Vtw_r^T diag(Sw_r) y, y = diag(1 / Sw_r) Vtw_r x~.
    u = used[cols]
    T = Uw[:, :r].T * col[u]  # (r, len(u))
    back = Vtw[:r] / Sw[:r, None]  # y = back @ x~
    C = T @ A1[u] @ L  # (r, p): y = C e (+ T diag(s1)^{1/2} eps for the sample convention)
    if convention == "sample":
        N = (T * s1[u]) @ T.T
        Rn = np.linalg.cholesky(0.5 * (N + N.T))  # N = Rn Rn^T, positive definite (s1 > 0, T of full row rank)
        Gm = np.linalg.solve(Rn, C)  # Rn^{-1} C
        M = np.eye(p) + Gm.T @ Gm
        Rm = np.linalg.cholesky(0.5 * (M + M.T))
        Li = np.linalg.solve(Rm, np.eye(p))  # Rm^{-1}: Cov(e | y) = M^{-1} = Li^T Li
        F = L @ Li.T
        cov = F @ F.T
        # E[e | y] = M^{-1} C^T N^{-1} y = Li^T Li Gm^T Rn^{-1} y (push-through identity of the information form)
        Hy = F @ (Li @ Gm.T) @ np.linalg.solve(Rn, np.eye(r))
    else:
        rows, norms, Uc, Sc, Vtc, q = _rank_of_rows(C)
        comp = Vtc[q:].T  # orthonormal basis of the complement of C's row space, (p, p - q)
        F = L @ comp
        cov = F @ F.T
        Hy = np.zeros((n, r))
        if q > 0:
            # C^+ on its non-zero rows: C_rows = diag(norms) Uc_q Sc_q Vtc_q, so C^+ = Vtc_q^T Sc_q^{-1} (diag(norms) Uc_q)^+
            Hy[:, rows] = L @ (Vtc[:q].T / Sc[:q]) @ _left_inverse(norms[:, None] * Uc[:, :q])
    H = Hy @ back
    return ConditionalSource(H=H, covariance=0.5 * (cov + cov.T))


def conditional_linear_vae_parts(primary: rd.LinearVAEParams, secondary: SecondaryParams, Sigma,
                                 convention: str = "sample") -> ConditionalParts:
    """Rate (MB eq. 5) and distortion (MB eq. 6) of a secondary, in closed form, for any parameters.

    Everything is linear in the independent sources ``x ~ N(0, Sigma)``, ``eps1 ~ N(0, I)`` (the primary's
    posterior noise, ``z = A1 x + diag(s1)^{1/2} eps1``; absent for ``posterior_mean``) and ``eps2`` (the
    secondary's): ``x~ = W1 A1 x + W1 diag(s1)^{1/2} eps1``. With ``M = B2 - P2``, ``L2 = I + V2 + W2 B2`` and
    ``S1 = W1 diag(s1) W1^T`` (0 for ``posterior_mean``):

        rate2       = 1/2 E||A2 x + M x~||^2 + sum_i g(s2_i)
                    = 1/2 [tr(J Sigma J^T) + tr(M S1 M^T)] + sum_i g(s2_i),          J = A2 + M W1 A1,
        distortion2 = E||x - (I + V2) x~ - W2 z2||^2
                    = tr(F Sigma F^T) + tr(L2 S1 L2^T) + sum_i (W2^T W2)_ii s2_i,   F = I - W2 A2 - L2 W1 A1.

    (The KL of ``N(m, diag s2)`` to ``N(P2 x~, I)`` is ``|m - P2 x~|^2 / 2 + sum g(s2)``; the decoder error is
    NL26 eq. 44 with ``G = I``.) ``copy_distortion = tr(F0 Sigma F0^T) + tr S1``, ``F0 = I - W1 A1``, is
    ``E||x - x~||^2``: the distortion of the copying secondary, equal to the primary's distortion ``gamma``
    (MB: the copy "starts at gamma") only for ``sample``; for ``posterior_mean`` it is smaller by ``tr S1``.
    """
    Sigma = _square("Sigma", Sigma)
    n = Sigma.shape[0]
    A1, s1, W1 = _primary(primary, n)
    A2, B2, s2, P2, V2, W2 = _secondary(secondary, n)
    S1 = (W1 * s1) @ W1.T if _convention(convention) == "sample" else np.zeros((n, n))
    M = B2 - P2
    J = A2 + M @ W1 @ A1
    var_kl = float(np.sum(g(s2)))
    rate = 0.5 * (np.trace(J @ Sigma @ J.T) + np.trace(M @ S1 @ M.T)) + var_kl
    L2 = np.eye(n) + V2 + W2 @ B2
    F = np.eye(n) - W2 @ A2 - L2 @ W1 @ A1
    distortion = np.trace(F @ Sigma @ F.T) + np.trace(L2 @ S1 @ L2.T) + float(np.sum(np.sum(W2 * W2, axis=0) * s2))
    F0 = np.eye(n) - W1 @ A1
    copy = np.trace(F0 @ Sigma @ F0.T) + np.trace(S1)
    return ConditionalParts(float(rate), float(distortion), float(copy), var_kl)


def optimal_secondary(primary: rd.LinearVAEParams, Sigma, gamma_tilde: float,
                      convention: str = "sample") -> SecondaryParams:
    """The rate-optimal secondary at distortion ``gamma~``: the optimal linear VAE of the residual ``x - E[x|x~]``.

    Derivation. For any secondary, ``rate2 = I(x; z2 | x~) + E KL(q(z2|x~) || p(z2|x~)) >= I(x; z2 | x~)``, and
    the decoder output is a function of ``(z2, x~)``, so ``rate2 >= R_{X|X~}(distortion2)``, the conditional
    rate-distortion function. ``x`` given ``x~`` is Gaussian with mean ``H x~`` and a covariance ``K`` that does
    not depend on ``x~`` (:func:`conditional_source`), so ``R_{X|X~}`` is reverse water-filling on the spectrum
    ``nu`` of ``K`` (Gray 1972, conditional rate-distortion; the residual ``r = x - H x~ ~ N(0, K)`` is
    independent of ``x~``). The bound is attained: take the optimal linear VAE ``(A*, s*, W*)`` of ``r`` at the
    water level ``theta2`` with ``sum_i min(theta2, nu_i) = gamma~`` and set

        A2 = A*,  B2 = -A* H,  s2 = s*,  P2 = 0,  V2 = H - I,  W2 = W*,

    so that ``A2 x + B2 x~ = A* r`` (the aggregated posterior of ``z2`` given ``x~`` is the prior) and
    ``mu~ = H x~ + W* z2``. For ``gamma~ >= tr K`` the optimum has rate 0: the decoder ``H x~`` alone
    (``A2 = B2 = P2 = 0``, ``s2 = 1``, ``W2 = 0``), whose distortion ``tr K`` is then below ``gamma~``.
    ``d2 = n`` latents.
    """
    Sigma = _square("Sigma", Sigma)
    gamma_tilde = float(_validate.positive("gamma_tilde", gamma_tilde))
    n = Sigma.shape[0]
    src = conditional_source(primary, Sigma, convention)
    nu = np.clip(np.linalg.eigvalsh(src.covariance), 0.0, None)
    theta2 = water_level_for_distortion(nu, gamma_tilde)
    V2 = src.H - np.eye(n)
    if not np.isfinite(theta2):
        zero = np.zeros((n, n))
        return SecondaryParams(A2=zero, B2=zero, s2=np.ones(n), P2=zero, V2=V2, W2=zero)
    w, U = np.linalg.eigh(src.covariance)
    K = (U * np.clip(w, 0.0, None)) @ U.T  # rounding below 0 removed, so that rd accepts it as PSD
    best = rd.optimal_linear_vae(K, np.eye(n), 2.0 * theta2)  # beta = 2 theta (rate_distortion.water_level)
    return SecondaryParams(A2=best.A, B2=-best.A @ src.H, s2=best.s, P2=np.zeros((n, n)), V2=V2, W2=best.W)


def sample_change(primary: rd.LinearVAEParams, secondary: SecondaryParams, basis=None) -> SampleChange:
    """How much the secondary moves the primary's mean sample (MB Fig. 7), in closed form.

    Generation (MB Sec. 3.1 "mean sampling"): ``z ~ N(0, I)``, ``x~ = W1 z``, ``z2 ~ p(z2|x~) = N(P2 x~, I)``,
    final ``= mu~(z2, x~)``. Then ``delta = final - x~ = (V2 + W2 P2) x~ + W2 eps2`` and

        Cov(delta) = (V2 + W2 P2) W1 W1^T (V2 + W2 P2)^T + W2 W2^T,   E||delta||^2 = tr Cov(delta).

    ``per_component[k] = u_k^T Cov(delta) u_k`` for the columns ``u_k`` of ``basis`` (identity by default): pass
    a basis ordered by frequency to read which frequencies the secondary changes. At the sample-convention
    optimum (:func:`two_stage_optimum`) ``V2 = 0, P2 = 0``, the change is ``W2 eps2``, and
    ``E||delta||^2 = sum_i max(0, min(theta1, mu_i) - theta2) = gamma - gamma~``.
    """
    W1 = _validate.as_finite("primary.W", primary.W)
    n = W1.shape[0]
    _, _, _, P2, V2, W2 = _secondary(secondary, n)
    U = np.eye(n) if basis is None else _square("basis", basis, n)
    K = V2 + W2 @ P2
    cov = K @ W1 @ W1.T @ K.T + W2 @ W2.T
    per = np.maximum(np.einsum("ik,ij,jk->k", U, cov, U), 0.0)  # u^T Cov u >= 0; clip rounding below 0
    return SampleChange(total=float(np.trace(cov)), per_component=per, covariance=cov)


def gaussian_elbo(n: int, distortion, rate) -> np.ndarray:
    """``-(n/2) log(2 pi e D / n) - R``: the ELBO with a Gaussian decoder at its optimal scalar variance ``D / n``.

    The convention of the MB.F6 check (``toyvae.claims.mb``): ``E log N(x; mu, sigma^2 I)`` at
    ``sigma^2 = D / n`` is ``-(n/2) log(2 pi e D / n)`` (:func:`toyvae.theory.likelihoods.profiled_gaussian_nll`).
    """
    n = int(_validate.dimension("n", n, minimum=1))
    distortion = _validate.positive("distortion", distortion)
    return -likelihoods.profiled_gaussian_nll(distortion / n, n) - _validate.as_finite("rate", rate)


def _source(Sigma_or_spectrum, basis):
    arr = _validate.as_finite("Sigma_or_spectrum", Sigma_or_spectrum)
    if arr.ndim == 1:
        mu = _validate.nonnegative("spectrum", arr)
        Sigma, U = np.diag(mu), np.eye(mu.size)
    else:
        Sigma = _square("Sigma", arr)
        Sigma = 0.5 * (Sigma + Sigma.T)
        w, U = np.linalg.eigh(Sigma)
        U = U[:, np.argsort(w)[::-1]]  # eigenbasis, largest variance first
    if basis is not None:
        U = _square("basis", basis, Sigma.shape[0])
        if not np.allclose(U.T @ U, np.eye(U.shape[0]), atol=1e-10):  # orthonormal up to rounding
            raise ValueError("basis must have orthonormal columns")
    return Sigma, U


def two_stage_optimum(Sigma_or_spectrum, gamma: float, gamma_tilde: float, *, convention: str = "sample",
                      basis=None) -> TwoStageOptimum:
    """Rate-optimal primary at ``gamma`` plus rate-optimal secondary at ``gamma~`` (MB Sec. 4, eqs. 5-6).

    ``Sigma_or_spectrum``: a covariance ``(n, n)``, or a 1-D spectrum (then ``Sigma = diag(spectrum)`` and the
    components keep the given order). The primary is ``rate_distortion.optimal_linear_vae`` at ``beta = 2 theta1``,
    ``D(theta1) = gamma``; the secondary is :func:`optimal_secondary`.

    ``sample`` convention (MB eq. 5), in the eigenbasis of ``Sigma`` with ``theta2`` the water level of
    ``gamma~`` (the same as a single VAE at ``gamma~``, since ``sum_i min(theta2, min(theta1, mu_i)) = D(theta2)``):

        x | x~ ~ N(x~ on coded components, diag(min(theta1, mu_i))),
        rate2  = sum_{mu_i > theta2} 1/2 log(min(theta1, mu_i) / theta2),
        rate1 + rate2 = sum_{mu_i > theta2} 1/2 log(mu_i / theta2) = R(gamma~)     (Equitz & Cover 1991),
        E||final - x~||^2 = sum_i max(0, min(theta1, mu_i) - theta2) = gamma - gamma~.

    ELBOs (Gaussian decoder at its optimal scalar variance, :func:`gaussian_elbo`): primary
    ``gaussian_elbo(n, gamma, R(gamma))``; single stage ``gaussian_elbo(n, gamma~, R(gamma~))``; two-stage
    ``gaussian_elbo(n, gamma~, rate1 + rate2)``. The last is a valid ELBO of the joint model
    ``p(x) = int p(z) p~(x | mu(z)) dz``, ``p~(x | x~) = int p(z2 | x~) N(x; mu~(z2, x~), (gamma~/n) I) dz2``
    (the secondary's marginal replaces the primary's Gaussian observation model): with the variational
    distribution ``q(z|x) q(z2 | x, W1 z)`` over its latents ``(z, z2)``,
    ``log p(x) >= E_q[log N(x; mu~, sigma^2 I)] - KL(q(z|x) || p(z)) - E_q KL(q(z2|x, x~) || p(z2|x~))``,
    and averaged over the data this is ``-(n/2) log(2 pi e gamma~/n) - rate1 - rate2``. It needs the ``x~`` of
    training to be the ``x~ = W1 z`` of generation, i.e. the sample convention; with ``posterior_mean`` the
    same expression is reported (at the achieved ``distortion2``) but is not a bound: ``x~ = W1 A1 x``
    reveals the coded components of ``x`` exactly, so ``rate2`` and ``rate1 + rate2 < R(gamma~)`` can be
    smaller than any code allows, and the formula can exceed ``data_log_likelihood``.

    ``innovation_variance`` is ``sample_change(...).per_component`` in ``basis`` (default: the eigenbasis,
    largest variance first, or the given order of a spectrum); at the sample-convention optimum it is
    ``max(0, min(theta1, mu_i) - theta2)`` per eigen-component: ``theta1 - theta2`` on every component the
    primary codes, ``mu_i - theta2`` on those only the secondary codes.
    """
    convention = _convention(convention)
    Sigma, U = _source(Sigma_or_spectrum, basis)
    n = Sigma.shape[0]
    gamma = float(_validate.positive("gamma", gamma))
    gamma_tilde = float(_validate.positive("gamma_tilde", gamma_tilde))
    eig = np.clip(np.linalg.eigvalsh(Sigma), 0.0, None)
    if not gamma < eig.sum():
        raise ValueError(f"gamma must be below tr(Sigma) = {eig.sum():.6g} (else nothing is coded), got {gamma}")
    if gamma_tilde > gamma:
        raise ValueError(f"gamma_tilde must not exceed gamma = {gamma}, got {gamma_tilde}")
    theta1 = float(water_level_for_distortion(eig, gamma))
    primary = rd.optimal_linear_vae(Sigma, np.eye(n), 2.0 * theta1)
    secondary = optimal_secondary(primary, Sigma, gamma_tilde, convention)
    nu = np.clip(np.linalg.eigvalsh(conditional_source(primary, Sigma, convention).covariance), 0.0, None)
    theta2 = float(water_level_for_distortion(nu, gamma_tilde))
    p1 = rd.linear_vae_parts(primary, Sigma, np.eye(n))
    p2 = conditional_linear_vae_parts(primary, secondary, Sigma, convention)
    rate_single = float(rd.rate_distortion(eig, gamma_tilde))
    change = sample_change(primary, secondary, U)
    log_lik = -0.5 * (n * np.log(2 * np.pi) + np.sum(np.log(eig)) + n) if eig.min() > 0 else -np.inf
    return TwoStageOptimum(
        primary=primary, secondary=secondary, convention=convention, basis=U,
        spectrum=np.einsum("ik,ij,jk->k", U, Sigma, U), theta1=theta1, theta2=theta2,
        rate1=p1.rate, rate2=p2.rate, rate_total=p1.rate + p2.rate, rate_single=rate_single,
        distortion1=p1.distortion, distortion2=p2.distortion,
        elbo_primary=float(gaussian_elbo(n, p1.distortion, p1.rate)),
        elbo_two_stage=float(gaussian_elbo(n, p2.distortion, p1.rate + p2.rate)),
        elbo_single=float(gaussian_elbo(n, gamma_tilde, rate_single)),
        data_log_likelihood=float(log_lik), sample_change=change.total, innovation_variance=change.per_component,
    )


# --- MB Sec. 5: which components carry the error at a fixed distortion --------------------------------------


class ErrorSpectrum(NamedTuple):
    """The water-filling error spectrum at distortion ``gamma`` (:func:`optimal_error_spectrum`)."""

    theta: float  # water level, sum_i min(theta, mu_i) = gamma
    component_error: np.ndarray  # e_i = min(theta, mu_i), in the order of the given spectrum
    coded: np.ndarray  # bool, mu_i > theta: the components that carry rate
    rate: float  # R(gamma) = sum_{coded} 1/2 log(mu_i / theta)


def optimal_error_spectrum(spectrum, gamma: float) -> ErrorSpectrum:
    """Per-component error of the rate-optimal code at distortion ``gamma``: ``e_i = min(theta, mu_i)``.

    Reverse water-filling (Cover & Thomas Thm. 10.3.3): components with ``mu_i > theta`` are coded and keep the
    error ``theta``; the rest are dropped (error ``mu_i``). With an eigenbasis ordered by frequency and a
    falling spectrum, the dropped components are the high frequencies (MB Sec. 5's end point).
    """
    mu = _validate.nonnegative("spectrum", spectrum)
    theta = float(water_level_for_distortion(mu, gamma))
    e = np.minimum(theta, mu)
    coded = mu > theta
    return ErrorSpectrum(theta=theta, component_error=e, coded=coded, rate=float(rate_at_allocation(mu, e)))


def linear_vae_error_spectrum(params: rd.LinearVAEParams, Sigma, basis, convention: str = "sample") -> np.ndarray:
    """Per-component error of any linear VAE ``(A, s, W)`` in an orthonormal ``basis`` (columns ``u_k``).

    ``e_k = E (u_k^T (x - W z))^2 = u_k^T E u_k`` with the error covariance
    ``E = (I - W A) Sigma (I - W A)^T + W diag(s) W^T`` for ``z ~ q(z|x)`` (``sample``, the distortion that
    distortion-targeted training holds at ``gamma``), or without the last term for ``posterior_mean``.
    ``sum_k e_k`` is the distortion. Use it to track a trained model's error spectrum over training.
    """
    Sigma = _square("Sigma", Sigma)
    n = Sigma.shape[0]
    A, s, W = _primary(params, n, "params")
    U = _square("basis", basis, n)
    R = np.eye(n) - W @ A
    E = R @ Sigma @ R.T + ((W * s) @ W.T if _convention(convention) == "sample" else 0.0)
    return np.maximum(np.einsum("ik,ij,jk->k", U, E, U), 0.0)  # u^T E u >= 0; clip rounding below 0


def error_share_above(component_error, cutoff: int) -> np.ndarray:
    """Share of the error power in components ``k >= cutoff``: ``sum_{k >= cutoff} e_k / sum_k e_k``.

    With components ordered from low to high frequency this is the high-frequency share of the error.
    Works along the last axis (e.g. one row per training step).
    """
    e = _validate.nonnegative("component_error", component_error)
    cutoff = int(_validate.dimension("cutoff", cutoff, minimum=0))
    if cutoff > e.shape[-1]:
        raise ValueError(f"cutoff must be at most the number of components {e.shape[-1]}, got {cutoff}")
    return e[..., cutoff:].sum(-1) / e.sum(-1)


def rate_at_allocation(spectrum, component_error) -> np.ndarray:
    """``sum_{e_i < mu_i} 1/2 log(mu_i / e_i)``: the least rate of a code with per-component errors ``e_i``.

    For independent Gaussian components ``x_i ~ N(0, mu_i)`` (the eigen-coordinates of ``Sigma``) and any
    reconstruction ``xhat``, ``I(x; xhat) >= sum_i I(x_i; xhat_i) >= sum_i R_i(e_i)`` with
    ``R_i(e) = max(0, 1/2 log(mu_i / e))``; a linear VAE that is diagonal in the eigenbasis with
    ``s_i = e_i / mu_i`` and an aggregated posterior equal to the prior attains it. At fixed
    ``sum_i e_i = gamma`` it is smallest, ``= R(gamma)``, at the water-filling allocation
    (:func:`optimal_error_spectrum`); ``rate_at_allocation(mu, e) - R(sum e)`` is the rate a model with error
    spectrum ``e`` can still shed at unchanged distortion (MB Sec. 5). ``spectrum`` and ``component_error`` must
    refer to the same eigen-components (last axis).
    """
    mu = _validate.nonnegative("spectrum", spectrum)
    e = _validate.positive("component_error", component_error)
    ratio = np.maximum(mu, e) / e  # components with e_i >= mu_i carry no rate
    return 0.5 * np.sum(np.log(ratio), axis=-1)


def tilted_allocation(spectrum, gamma: float, tilt: float) -> np.ndarray:
    """A family of error allocations at total distortion ``gamma``: ``e_i = min(mu_i, t mu_i^tilt)``.

    ``t`` solves ``sum_i e_i = gamma`` (Brent on ``log t``). ``tilt = 0`` is water-filling (optimal);
    ``tilt = 1`` gives every coded component the same relative error ``e_i / mu_i``; ``tilt > 1`` leaves more
    relative error on the large (low-frequency) components, i.e. codes the high frequencies first, the
    allocation MB Sec. 5 describes early in training. Needs ``0 < gamma < sum_i mu_i`` and ``mu_i > 0``.
    """
    mu = _validate.positive("spectrum", spectrum)
    gamma = float(_validate.positive("gamma", gamma))
    tilt = float(_validate.as_finite("tilt", tilt))
    if not gamma < mu.sum():
        raise ValueError(f"gamma must be below sum(spectrum) = {mu.sum():.6g}, got {gamma}")

    def excess(log_t):
        return np.minimum(mu, np.exp(log_t + tilt * np.log(mu))).sum() - gamma

    log_mu = np.log(mu)
    lo = np.log(gamma / mu.size) - 1.0 - np.max(tilt * log_mu)  # every e_i <= gamma / (e n): sum below gamma
    hi = np.max(log_mu - tilt * log_mu) + 1.0  # every e_i = mu_i: sum above gamma
    log_t = optimize.brentq(excess, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return np.minimum(mu, np.exp(log_t + tilt * np.log(mu)))
