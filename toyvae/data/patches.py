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
import os
from typing import NamedTuple

import numpy as np

from toyvae import _validate

__all__ = ["GaussianSource", "image_patches", "power_law_spectrum", "power_law_gaussian", "covariance_spectrum"]


def _physical_memory() -> int | None:
    """Bytes of physical memory, or None where the platform does not say (then nothing is checked)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _fits_in_memory(name: str, value: int, nbytes: int, what: str) -> None:
    """``ValueError`` naming the parameter, before any work, when the arrays cannot fit in memory.

    NumPy alone would either fail with a ``MemoryError`` that names no parameter, or (for sizes
    below the machine's address space) start filling gigabytes for minutes before failing.
    """
    total = _physical_memory()
    if total is not None and nbytes > total:
        raise ValueError(f"{name}={value} asks for {what} ({nbytes / 2**30:.3g} GiB), more than this "
                         f"machine's memory ({total / 2**30:.3g} GiB)")


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
    standard deviation (which needs ``n >= 2``: one patch minus the mean patch is all zeros).
    Returns float32, shape ``(n, size * size)``.
    """
    n = int(_validate.scalar("n", _validate.dimension("n", n, minimum=1)))
    size = int(_validate.scalar("size", _validate.dimension("size", size, minimum=2)))
    seed = _validate.seed("seed", seed)
    standardise = _validate.flag("standardise", standardise)
    if standardise and n < 2:
        raise ValueError(f"n must be >= 2 with standardise=True (one centred patch is all zeros), got {n}")
    images = _grey_images()
    h, w = images[0].shape
    if size > min(h, w):
        raise ValueError(f"size must be at most {min(h, w)}, got {size}")
    _fits_in_memory("n", n, 8 * n * (size * size + 3), f"{n} patches of {size * size} pixels in float64")
    rng = np.random.default_rng(seed)
    which = rng.integers(len(images), size=n)
    rows = rng.integers(h - size + 1, size=n)
    cols = rng.integers(w - size + 1, size=n)
    out = np.empty((n, size * size))
    for k, (i, r, c) in enumerate(zip(which, rows, cols)):
        out[k] = images[i][r : r + size, c : c + size].ravel()
    if standardise:
        out = out - out.mean(axis=0)
        spread = out.std()
        if spread == 0:  # every patch identical (possible only for tiny n on a flat image region)
            raise ValueError(f"n={n} patches of size {size} (seed {seed}) are all identical: nothing to standardise")
        out = out / spread
    return out.astype(np.float32)


def power_law_spectrum(n: int, alpha: float = 1.0) -> np.ndarray:
    """``lambda_k = k^(-alpha)`` for ``k = 1..n`` (float64, descending).

    Values below the smallest float64 (``alpha`` above ~1000 for ``k = 2``) round to 0.
    """
    n = int(_validate.scalar("n", _validate.dimension("n", n, minimum=1)))
    alpha = _validate.scalar("alpha", _validate.nonnegative("alpha", alpha))
    _fits_in_memory("n", n, 16 * n, f"{n} eigenvalues")
    return np.arange(1, n + 1, dtype=np.float64) ** (-alpha)


class GaussianSource(NamedTuple):
    """A zero-mean Gaussian source: its covariance, spectrum and orthonormal eigenbasis (columns)."""

    covariance: np.ndarray
    spectrum: np.ndarray
    basis: np.ndarray

    def sample(self, n: int, *, seed: int = 0) -> np.ndarray:
        """``n`` draws, shape ``(n, dim)``, float32."""
        n = int(_validate.scalar("n", _validate.dimension("n", n, minimum=1)))
        _fits_in_memory("n", n, 8 * n * self.spectrum.size, f"{n} draws of dimension {self.spectrum.size}")
        rng = np.random.default_rng(_validate.seed("seed", seed))
        eps = rng.standard_normal((n, self.spectrum.size))
        return ((eps * np.sqrt(self.spectrum)) @ self.basis.T).astype(np.float32)


def power_law_gaussian(n: int, alpha: float = 1.0, *, seed: int = 0, rotate: bool = True) -> GaussianSource:
    """``N(0, U diag(k^-alpha) U^T)`` with ``U`` Haar-random (seeded) or the identity (``rotate=False``)."""
    n = int(_validate.scalar("n", _validate.dimension("n", n, minimum=1)))
    seed = _validate.seed("seed", seed)
    rotate = _validate.flag("rotate", rotate)
    # the basis, the covariance and QR's work arrays: about four n x n float64 matrices
    _fits_in_memory("n", n, 32 * n * n, f"{n} x {n} matrices")
    spectrum = power_law_spectrum(n, alpha)
    if rotate:
        rng = np.random.default_rng(seed)
        Q, R = np.linalg.qr(rng.standard_normal((spectrum.size, spectrum.size)))
        U = Q * np.sign(np.diag(R))  # sign fix makes Q Haar-distributed
    else:
        U = np.eye(spectrum.size)
    return GaussianSource(covariance=(U * spectrum) @ U.T, spectrum=spectrum, basis=U)


def covariance_spectrum(x) -> np.ndarray:
    """Eigenvalues (descending) of the sample covariance of the rows of ``x`` (n x d, ``n >= 2``, ``d >= 1``)."""
    x = _validate.as_finite("x", x)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"x must be 2-D with at least 2 rows and 1 column, got shape {x.shape}")
    return np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1]
