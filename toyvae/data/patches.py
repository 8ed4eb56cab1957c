"""Image-like data without a download.

* :func:`image_patches`: grey-level square patches cut at random positions from the two photographs
  that ship with scikit-learn (``sklearn.datasets.load_sample_images``: ``china.jpg`` and
  ``flower.jpg``, 427 x 640 RGB each). Grey level = ITU-R 601 luma ``0.299 R + 0.587 G + 0.114 B``,
  scaled to [0, 1]; the mean patch of the returned set is subtracted and the set is divided by one
  global standard deviation (so the *shape* of the spectrum, strongly anisotropic for natural
  images, is kept).
* :func:`power_law_gaussian`: a synthetic Gaussian source ``N(0, Sigma)`` whose covariance has the
  spectrum ``lambda_k = k^(-alpha)`` (``k = 1..n``) in a random orthonormal basis.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from toyvae import _validate

__all__ = ["GaussianSource", "image_patches", "power_law_spectrum", "power_law_gaussian", "covariance_spectrum"]


@functools.cache
def _grey_images() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_sample_images

    images = load_sample_images().images
    luma = np.array([0.299, 0.587, 0.114])
    return tuple((img.astype(np.float64) @ luma) / 255.0 for img in images)


def image_patches(n: int, size: int = 8, *, seed: int = 0, standardise: bool = True) -> np.ndarray:
    """``n`` grey-level ``size x size`` patches from scikit-learn's sample images, as rows of length ``size**2``.

    Patches are drawn uniformly over both images and all positions with ``numpy.random.default_rng(seed)``.
    With ``standardise`` the mean patch is subtracted and the whole set divided by its overall
    standard deviation. Returns float32, shape ``(n, size * size)``.
    """
    n = int(_validate.dimension("n", n, minimum=1))
    size = int(_validate.dimension("size", size, minimum=2))
    images = _grey_images()
    h, w = images[0].shape
    if size > min(h, w):
        raise ValueError(f"size must be at most {min(h, w)}, got {size}")
    rng = np.random.default_rng(seed)
    which = rng.integers(len(images), size=n)
    rows = rng.integers(h - size + 1, size=n)
    cols = rng.integers(w - size + 1, size=n)
    out = np.empty((n, size * size))
    for k, (i, r, c) in enumerate(zip(which, rows, cols)):
        out[k] = images[i][r : r + size, c : c + size].ravel()
    if standardise:
        out = out - out.mean(axis=0)
        out = out / out.std()
    return out.astype(np.float32)


def power_law_spectrum(n: int, alpha: float = 1.0) -> np.ndarray:
    """``lambda_k = k^(-alpha)`` for ``k = 1..n`` (float64, descending)."""
    n = int(_validate.dimension("n", n, minimum=1))
    alpha = float(_validate.nonnegative("alpha", alpha))
    return np.arange(1, n + 1, dtype=np.float64) ** (-alpha)


class GaussianSource(NamedTuple):
    """A zero-mean Gaussian source: its covariance, spectrum and orthonormal eigenbasis (columns)."""

    covariance: np.ndarray
    spectrum: np.ndarray
    basis: np.ndarray

    def sample(self, n: int, *, seed: int = 0) -> np.ndarray:
        """``n`` draws, shape ``(n, dim)``, float32."""
        n = int(_validate.dimension("n", n, minimum=1))
        rng = np.random.default_rng(seed)
        eps = rng.standard_normal((n, self.spectrum.size))
        return ((eps * np.sqrt(self.spectrum)) @ self.basis.T).astype(np.float32)


def power_law_gaussian(n: int, alpha: float = 1.0, *, seed: int = 0, rotate: bool = True) -> GaussianSource:
    """``N(0, U diag(k^-alpha) U^T)`` with ``U`` Haar-random (seeded) or the identity (``rotate=False``)."""
    spectrum = power_law_spectrum(n, alpha)
    if rotate:
        rng = np.random.default_rng(seed)
        Q, R = np.linalg.qr(rng.standard_normal((spectrum.size, spectrum.size)))
        U = Q * np.sign(np.diag(R))  # sign fix makes Q Haar-distributed
    else:
        U = np.eye(spectrum.size)
    return GaussianSource(covariance=(U * spectrum) @ U.T, spectrum=spectrum, basis=U)


def covariance_spectrum(x) -> np.ndarray:
    """Eigenvalues (descending) of the sample covariance of the rows of ``x``."""
    x = _validate.as_finite("x", x)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"x must be 2-D with at least 2 rows, got shape {x.shape}")
    return np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1]
