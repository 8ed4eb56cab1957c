"""Image patches from scikit-learn's sample images and the power-law Gaussian source."""

import numpy as np
import pytest

from toyvae.data import patches


def test_patches_shape_determinism_and_standardisation():
    x = patches.image_patches(500, 8, seed=1)
    assert x.shape == (500, 64) and x.dtype == np.float32
    np.testing.assert_array_equal(x, patches.image_patches(500, 8, seed=1))
    assert not np.array_equal(x, patches.image_patches(500, 8, seed=2))
    np.testing.assert_allclose(x.mean(0), 0.0, atol=1e-5)  # float32 rounding of a centred set
    assert x.std() == pytest.approx(1.0, rel=1e-4)
    raw = patches.image_patches(200, 4, seed=0, standardise=False)
    assert raw.min() >= 0.0 and raw.max() <= 1.0


def test_patch_spectrum_is_strongly_anisotropic():
    # natural images: a few (low-frequency) components carry most of the variance
    spec = patches.covariance_spectrum(patches.image_patches(5000, 8, seed=0))
    assert spec[0] / spec.sum() > 0.3
    assert spec[0] / spec[-1] > 100


def test_power_law_gaussian_covariance_and_samples():
    src = patches.power_law_gaussian(6, alpha=1.5, seed=3)
    np.testing.assert_allclose(np.linalg.eigvalsh(src.covariance)[::-1], np.arange(1, 7) ** -1.5, rtol=1e-12)
    np.testing.assert_allclose(src.basis.T @ src.basis, np.eye(6), atol=1e-12)
    x = src.sample(100_000, seed=0).astype(np.float64)
    # sample covariance entries: standard error <= sqrt(2/N) * max variance ~ 0.0045; 5 sigma
    np.testing.assert_allclose(np.cov(x, rowvar=False), src.covariance, atol=0.025)


def test_bad_inputs():
    with pytest.raises(ValueError, match="size"):
        patches.image_patches(10, 1000)
    with pytest.raises(ValueError, match="n"):
        patches.image_patches(0)
    with pytest.raises(ValueError, match="alpha"):
        patches.power_law_spectrum(4, -1.0)
