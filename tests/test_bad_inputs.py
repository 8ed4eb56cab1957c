"""Bad input to every public function of the closed-form and data modules: a clear, early error.

One table. Each row is a call with one bad argument (wrong type, NaN or infinity, a sign or range
violation, a bool or a non-integer where an integer is expected, an integer beyond int64, an empty
array, shapes that do not fit together, a missing, empty or corrupt file) and the error it must
raise: a ``ValueError`` whose message names the parameter (at its start) or the file. The generic
kinds for the theory modules (every parameter against NaN, infinity, sign) are in
``test_validation.py``; this table adds what that one cannot express, for all seven modules.
"""

from __future__ import annotations

import gzip
import struct
from typing import Any, NamedTuple

import numpy as np
import pytest

from toyvae.data import images, patches
from toyvae.theory import bessel, hypersphere, likelihoods, linear_gaussian, rate_distortion

NAN, INF = float("nan"), float("inf")
BEYOND_INT64 = 2**63


class TmpPath(NamedTuple):
    """A path under the test's tmp_path: a file with ``content``, a folder (``files`` inside), or nothing."""

    name: str
    content: bytes | None = None
    files: dict[str, bytes] | None = None


def _idx(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file written from the format description (two zero bytes, type, rank, sizes, values)."""
    header = struct.pack(">HBB", 0, type_code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _corrupt_deflate() -> bytes:
    """A gzip file with a valid header whose deflate stream is damaged (zlib.error before the fix)."""
    z = gzip.compress(_idx(np.arange(3000, dtype=np.uint8).reshape(3, 10, 100)))
    return z[:20] + bytes(b ^ 0xFF for b in z[20:60]) + z[60:]


GOOD_IDX = _idx(np.zeros((2, 3, 3), np.uint8))
W, G = np.ones((3, 2)), np.eye(3)
SIGMA = np.diag([3.0, 2.0, 1.0])
PARAMS = rate_distortion.LinearVAEParams(A=np.full((2, 3), 0.1), s=np.full(2, 0.5), W=np.full((3, 2), 0.1))
SOURCE = patches.power_law_gaussian(3)


class Row(NamedTuple):
    fn: Any
    args: tuple
    kwargs: dict
    error: type
    match: str
    id: str


ROWS: list[Row] = []


def bad(fn, *args, match: str, error: type = ValueError, why: str, **kwargs) -> None:
    ROWS.append(Row(fn, args, kwargs, error, match, f"{getattr(fn, '__qualname__', fn)}-{why}"))


# --- bessel ---------------------------------------------------------------------------------------
for fn in (bessel.log_normalised_bessel_i, bessel.log_normalised_bessel_i_step, bessel.bessel_i_ratio, bessel.log_bessel_i):
    bad(fn, -0.75, 2.0, match=r"^nu\b", why="order-below-minus-half")
    bad(fn, "1", 2.0, match=r"^nu\b", why="string-order")
    bad(fn, 1.0, None, match=r"^a\b", why="none-argument")
    bad(fn, np.ones(2), np.ones(3), match=r"^nu, a: shapes do not broadcast", why="shape-mismatch")
bad(bessel.log_bessel_i, 1.0, 0.0, match=r"^a must be > 0", why="zero-argument")
bad(bessel.bessel_i_ratio, 1.0, 1 + 2j, match=r"^a\b", why="complex-argument")

# --- hypersphere ----------------------------------------------------------------------------------
for fn in (hypersphere.log_marginal, hypersphere.log_likelihood, hypersphere.log_marginal_derivative):
    bad(fn, np.ones(2), np.ones(3), 0.3, 3, match=r"^r, R, sigma, D: shapes do not broadcast", why="shape-mismatch")
    bad(fn, 0.5, 1.0, 0.3, BEYOND_INT64, match=r"^D must be an integer in \[2, 2\*\*63 - 1\]", why="D-beyond-int64")
    bad(fn, 0.5, 1.0, 0.3, 1e300, match=r"^D\b", why="D-1e300")
    bad(fn, 0.5, 1.0, -0.3, 3, match=r"^sigma must be > 0", why="negative-sigma")
for fn in (hypersphere.sharp_threshold, hypersphere.sufficient_threshold):
    bad(fn, np.ones(2), np.array([2, 3, 4]), match=r"^R, D: shapes do not broadcast", why="shape-mismatch")
    bad(fn, 1.0, np.True_, match=r"^D must be an integer", why="numpy-bool-D")
    bad(fn, 1.0, 2.5, match=r"^D must be an integer", why="fractional-D")
bad(hypersphere.optimal_radius, np.ones(2), np.full(3, 0.3), 3, match=r"^R, sigma, D: shapes do not broadcast",
    why="shape-mismatch")
bad(hypersphere.optimal_radius, 1.0, 0.3, 3, rtol=-1.0, match=r"^rtol must be >= 0", why="negative-rtol")
bad(hypersphere.optimal_radius, 1.0, 0.3, 3, rtol=np.ones(2), match=r"^rtol must be a scalar", why="array-rtol")
bad(hypersphere.optimal_radius, 1.0, 0.3, 3, rtol=None, match=r"^rtol\b", why="none-rtol")
bad(hypersphere.optimal_radius, 1.0, 0.3, [3, BEYOND_INT64], match=r"^D\b", why="D-list-beyond-int64")

# --- likelihoods ----------------------------------------------------------------------------------
bad(likelihoods.gaussian_nll, np.zeros(2), np.zeros(3), 1.0, match=r"^x, mean, sigma: shapes do not broadcast",
    why="x-mean-mismatch")
bad(likelihoods.gaussian_nll, np.zeros(2), np.zeros(2), np.ones(3), match=r"^x, mean, sigma: shapes", why="sigma-mismatch")
bad(likelihoods.gaussian_nll, 0.0, 0.0, 1.0, match=r"^x must have the coordinates on a last axis", why="scalar-x")
bad(likelihoods.bernoulli_nll, np.zeros(2), np.zeros(3), match=r"^x, logits: shapes do not broadcast", why="mismatch")
bad(likelihoods.bernoulli_nll, np.array([0.0, 1.5]), np.zeros(2), match=r"^x must lie in \[0, 1\]", why="x-above-one")
bad(likelihoods.squared_error_weight, "0.5", match=r"^sigma\b", why="string-sigma")
bad(likelihoods.sigma_for_squared_error, weight=np.ones(2), match=r"^weight must be a scalar", why="array-weight")
bad(likelihoods.sigma_for_squared_error, reduction=None, match=r"^reduction must be 'sum' or 'mean'", why="none-reduction")
bad(likelihoods.sigma_for_squared_error, reduction="mean", D=True, match=r"^D must be an integer", why="bool-D")
bad(likelihoods.sigma_for_kl_weight, np.ones(2), np.ones(3), match=r"^sigma, lam: shapes do not broadcast", why="mismatch")
bad(likelihoods.sigma_for_kl_weight, 1e-300, 1e-300, match=r"^sigma, lam: .*below the smallest float64", why="underflow")
bad(likelihoods.optimal_scalar_sigma, np.ones(2), np.array([1, 2, 3]), match=r"^squared_error, D: shapes", why="mismatch")
bad(likelihoods.optimal_scalar_sigma, 1.0, 1e300, match=r"^D must be an integer", why="D-1e300")
bad(likelihoods.profiled_gaussian_nll, np.ones(2), np.array([1, 2, 3]), match=r"^mse, D: shapes", why="mismatch")

# --- linear_gaussian ------------------------------------------------------------------------------
bad(linear_gaussian.g, [0.5, -1.0], match=r"^s must be > 0", why="negative-element")
bad(linear_gaussian.kl_standard_normal, np.zeros(2), np.ones(3), match=r"^mu, s: shapes do not broadcast", why="mismatch")
bad(linear_gaussian.kl_standard_normal, 0.0, 1.0, match=r"^mu must have the latent dimensions on a last axis", why="scalar-mu")
bad(linear_gaussian.metric_coefficients, np.ones(3), G, match=r"^W must be a 2-D matrix", why="1d-W")
bad(linear_gaussian.metric_coefficients, W, np.eye(2), match=r"^G must be square with the row count of W", why="G-shape")
bad(linear_gaussian.expected_distortion, np.zeros(4), np.zeros(2), np.ones(2), W, G, match=r"^x must have W's row count 3",
    why="x-length")
bad(linear_gaussian.expected_distortion, np.zeros(3), np.zeros(5), np.ones(2), W, G,
    match=r"^mu must have W's column count 2", why="mu-length")
bad(linear_gaussian.expected_distortion, np.zeros(3), np.zeros(2), np.ones(5), W, G,
    match=r"^s must have W's column count 2", why="s-length")
bad(linear_gaussian.expected_distortion, np.zeros(3), np.zeros(2), np.ones(2), W, np.eye(4), match=r"^G must be square",
    why="G-shape")
bad(linear_gaussian.expected_distortion, np.zeros((4, 3)), np.zeros((5, 2)), np.ones(2), W, G,
    match=r"^x, mu, s: shapes do not broadcast", why="batch-mismatch")
bad(linear_gaussian.optimal_posterior_variance, np.ones(2), np.ones(3), match=r"^c, beta: shapes do not broadcast",
    why="mismatch")
bad(linear_gaussian.variance_kl, np.ones(2), axis="x", match=r"^axis must be an integer", why="string-axis")
bad(linear_gaussian.variance_kl, np.ones(2), axis=3, match=r"^axis must lie in \[-1, 0\]", why="axis-out-of-range")
bad(linear_gaussian.variance_kl, 1.0, match=r"^s must have the latent dimensions", why="scalar-s")
bad(linear_gaussian.optimal_variance_kl, np.ones((2, 3)), np.ones(3), match=r"^c, beta: shapes do not broadcast",
    why="mismatch")
bad(linear_gaussian.optimal_variance_kl, 1.0, 1.0, match=r"^c must have the latent dimensions", why="scalar-c")
bad(linear_gaussian.beta_for_variance_kl, np.ones(2), np.ones(2), match=r"^target must be a scalar", why="array-target")
bad(linear_gaussian.beta_for_variance_kl, np.ones(2), 1e10, match=r"^target=10000000000.0 needs beta below 2.2e-308",
    why="target-beyond-float64")  # before the fix: "beta must be > 0, got 0.0", an internal variable
bad(linear_gaussian.beta_for_variance_kl, np.array([1e300]), 1e-100, match=r"^target=1e-100 needs beta above 1.8e308",
    why="target-below-float64")
bad(linear_gaussian.beta_for_variance_kl, np.ones((2, 2)), 0.5, match=r"^c must be a non-empty 1-D array", why="2d-c")
bad(linear_gaussian.posterior_anisotropy, np.empty(0), match=r"^s must hold at least one latent dimension", why="empty")
bad(linear_gaussian.posterior_anisotropy, np.empty((0, 3)), aggregate="mean_of_variances",
    match=r"^s must hold at least one point", why="no-rows")
bad(linear_gaussian.posterior_anisotropy, np.empty((3, 0)), aggregate="variance_of_means",
    match=r"^s must hold at least one latent dimension", why="no-columns")
bad(linear_gaussian.posterior_anisotropy, 1.0, match=r"^s must have the latent dimensions", why="scalar")
bad(linear_gaussian.posterior_anisotropy, np.ones((2, 2)), aggregate=None, match=r"^aggregate must be", why="none-aggregate")

# --- rate_distortion ------------------------------------------------------------------------------
bad(rate_distortion.metric_weighted_spectrum, np.ones(3), np.eye(3), match=r"^Sigma must be a non-empty square matrix",
    why="1d-Sigma")
bad(rate_distortion.metric_weighted_spectrum, np.empty((0, 0)), np.empty((0, 0)), match=r"^Sigma must be a non-empty",
    why="empty-Sigma")
bad(rate_distortion.metric_weighted_spectrum, np.eye(2), np.eye(3), match=r"^G must have the shape of Sigma", why="G-shape")
bad(rate_distortion.metric_weighted_spectrum, np.eye(2), np.array([[1.0, 2.0], [0.0, 1.0]]), match=r"^G must be symmetric",
    why="asymmetric-G")
bad(rate_distortion.water_level, "1", match=r"^beta\b", why="string-beta")
bad(rate_distortion.reverse_water_filling, np.empty(0), 1.0, match=r"^spectrum must be a non-empty 1-D", why="empty")
bad(rate_distortion.reverse_water_filling, 1.0, 1.0, match=r"^spectrum must be a non-empty 1-D", why="scalar")
bad(rate_distortion.rate_distortion, np.ones((2, 2)), 1.0, match=r"^spectrum must be a non-empty 1-D", why="2d")
bad(rate_distortion.rate_distortion, np.empty(0), 1.0, match=r"^spectrum must be a non-empty 1-D", why="empty")
bad(rate_distortion.linear_vae_parts, "params", SIGMA, G, match=r"^params must be a LinearVAEParams", why="string-params")
bad(rate_distortion.linear_vae_parts, PARAMS._replace(A=np.ones(3)), SIGMA, G, match=r"^A must be a 2-D matrix", why="1d-A")
bad(rate_distortion.linear_vae_parts, PARAMS._replace(s=np.ones(3)), SIGMA, G, match=r"^s must have shape \(2,\)",
    why="s-length")
bad(rate_distortion.linear_vae_parts, PARAMS._replace(W=np.ones((2, 2))), SIGMA, G, match=r"^W must have shape \(3, 2\)",
    why="W-shape")
bad(rate_distortion.linear_vae_parts, PARAMS, np.eye(2), G, match=r"^Sigma must have shape \(3, 3\)", why="Sigma-shape")
bad(rate_distortion.optimal_linear_vae, SIGMA, G, np.ones(2), match=r"^beta must be a scalar", why="array-beta")
bad(rate_distortion.optimal_linear_vae, SIGMA, np.eye(2), 1.0, match=r"^G must have the shape of Sigma", why="G-shape")
bad(rate_distortion.optimal_linear_vae, SIGMA, G, 1.0, 2.5, match=r"^d must be an integer", why="fractional-d")
bad(rate_distortion.optimal_linear_vae, SIGMA, np.diag([1.0, 1.0, 0.0]), 1.0, match=r"^G must be positive definite",
    why="singular-G")
bad(rate_distortion.optimal_linear_vae, np.diag([1e300, 1.0]), np.eye(2), 1e-300, match=r"^beta=1e-300 is too small",
    why="variance-underflow")

# --- patches --------------------------------------------------------------------------------------
bad(patches.image_patches, 10, 4, seed=-1, match=r"^seed must be a non-negative integer", why="negative-seed")
bad(patches.image_patches, 10, 4, seed=2.5, match=r"^seed must be a non-negative integer", why="float-seed")
bad(patches.image_patches, 10, 4, seed=True, match=r"^seed must be a non-negative integer", why="bool-seed")
bad(patches.image_patches, 10, 4, seed=None, match=r"^seed must be a non-negative integer", why="none-seed")
bad(patches.image_patches, 1, 4, match=r"^n must be >= 2 with standardise=True", why="one-patch-standardised")
bad(patches.image_patches, 10, BEYOND_INT64, match=r"^size must be an integer", why="size-beyond-int64")
bad(patches.image_patches, 10, 1000, match=r"^size must be at most 427", why="size-above-image")
bad(patches.image_patches, 10, 4, standardise="yes", match=r"^standardise must be True or False", why="string-flag")
bad(patches.power_law_spectrum, 1e300, match=r"^n must be an integer", why="n-1e300")
bad(patches.power_law_spectrum, 10**13, match=r"^n=10000000000000 asks for", why="n-beyond-memory")
bad(patches.power_law_spectrum, 4, np.ones(2), match=r"^alpha must be a scalar", why="array-alpha")
bad(patches.power_law_gaussian, 4, 1.0, seed="x", match=r"^seed must be a non-negative integer", why="string-seed")
bad(patches.power_law_gaussian, 10**9, match=r"^n=1000000000 asks for 1000000000 x 1000000000 matrices", why="n-beyond-memory")
bad(patches.power_law_gaussian, 4, rotate=1, match=r"^rotate must be True or False", why="int-flag")
bad(SOURCE.sample, 0, match=r"^n must be an integer in \[1", why="zero-n")
bad(SOURCE.sample, 3, seed=-1, match=r"^seed must be a non-negative integer", why="negative-seed")
bad(patches.covariance_spectrum, np.ones(3), match=r"^x must be 2-D with at least 2 rows and 1 column", why="1d")
bad(patches.covariance_spectrum, np.ones((3, 0)), match=r"^x must be 2-D with at least 2 rows and 1 column", why="no-columns")
bad(patches.covariance_spectrum, np.ones((1, 3)), match=r"^x must be 2-D with at least 2 rows", why="one-row")

# --- images ---------------------------------------------------------------------------------------
bad(images.load_digits01, 3, error=TypeError, match=r"load_digits01\(\) takes 0 positional arguments", why="argument")
bad(images.load_mnist_idx, TmpPath("missing"), error=FileNotFoundError, match=r"^path: no such file or folder: .*missing",
    why="missing")
bad(images.load_mnist_idx, TmpPath("empty.idx", b""), match=r"^path .*empty\.idx: too short for an IDX header", why="empty")
bad(images.load_mnist_idx, TmpPath("header.gz", b"\x1f\x8b" + bytes(range(40))), match=r"^path .*header\.gz: corrupt gzip",
    why="bad-gzip-header")
bad(images.load_mnist_idx, TmpPath("deflate.gz", _corrupt_deflate()), match=r"^path .*deflate\.gz: corrupt gzip",
    why="corrupt-deflate")
bad(images.load_mnist_idx, TmpPath("cut.gz", gzip.compress(GOOD_IDX)[:-6]), match=r"^path .*cut\.gz: corrupt gzip",
    why="truncated-gzip")
bad(images.load_mnist_idx, TmpPath("cut.idx", GOOD_IDX[:-1]), match=r"^path .*cut\.idx: IDX header announces shape",
    why="truncated-data")
bad(images.load_mnist_idx, TmpPath("zero.idx", _idx(np.zeros((0, 28, 28), np.uint8))),
    match=r"^path .*zero\.idx: IDX header announces shape \(0, 28, 28\), i\.e\. 0 images", why="zero-images")
bad(images.load_mnist_idx, TmpPath("rank.idx", struct.pack(">HBB", 0, 8, 200) + struct.pack(">200I", *[1] * 200) + b"\0"),
    match=r"^path .*rank\.idx: IDX header announces 200 dimensions", why="absurd-rank")
bad(images.load_mnist_idx, TmpPath("head.idx", struct.pack(">HBB", 0, 8, 9) + bytes(8)),
    match=r"^path .*head\.idx: truncated IDX header", why="truncated-header")
bad(images.load_mnist_idx, TmpPath("huge.idx", struct.pack(">HBB3I", 0, 8, 3, *[2**32 - 1] * 3)),
    match=r"^path .*huge\.idx: IDX header announces shape \(4294967295, ", why="absurd-shape")
bad(images.load_mnist_idx, TmpPath("good.idx", GOOD_IDX), scale="yes", match=r"^scale must be True or False", why="scale")
bad(images.load_mnist_idx, TmpPath("folder", files={}), match=r"^path must be an IDX file, got a folder", why="folder")
bad(images.load_mnist_idx, None, match=r"^path must be a str or path-like", why="none-path")
bad(images.load_image_folder, TmpPath("none", files={}), match=r"^path .*none holds no image file", why="no-images")
bad(images.load_image_folder, TmpPath("junk", files={"x.png": b"junk"}), match=r"^cannot decode image file .*x\.png",
    why="undecodable")
bad(images.load_image_folder, TmpPath("plain.png", b"junk"), match=r"^path must be a folder of images, got a file",
    why="a-file")
bad(images.load_image_folder, TmpPath("missing"), error=FileNotFoundError, match=r"^path: no such file", why="missing")
for size in (0, 2.5, True, "x", None, NAN):
    bad(images.load_image_folder, TmpPath("one", files={}), size=size, match=r"^size\b", why=f"size={size!r}")
for limit in (0, 2.5, True, "x", NAN):
    bad(images.load_image_folder, TmpPath("one", files={}), limit=limit, match=r"^limit\b", why=f"limit={limit!r}")


def _resolve(value, tmp_path):
    if not isinstance(value, TmpPath):
        return value
    path = tmp_path / value.name
    if value.content is not None:
        path.write_bytes(value.content)
    elif value.files is not None:
        path.mkdir()
        for name, content in value.files.items():
            (path / name).write_bytes(content)
    return path


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input_raises_a_clear_error(row, tmp_path):
    args = [_resolve(a, tmp_path) for a in row.args]
    kwargs = {k: _resolve(v, tmp_path) for k, v in row.kwargs.items()}
    with pytest.raises(row.error, match=row.match):
        row.fn(*args, **kwargs)


def test_every_public_function_has_a_row():
    covered = {row.fn for row in ROWS}
    covered_names = {(getattr(f, "__module__", None), getattr(f, "__qualname__", None)) for f in covered}
    for module in (bessel, hypersphere, likelihoods, linear_gaussian, rate_distortion, images, patches):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, type):
                assert (module.__name__, obj.__qualname__) in covered_names, f"{module.__name__}.{name} has no row"
    assert ("toyvae.data.patches", "GaussianSource.sample") in covered_names


def test_missing_path_is_also_a_value_error(tmp_path):
    """The package's rule is ValueError for bad input; a missing path is both kinds."""
    with pytest.raises(ValueError, match=r"^path: no such file"):
        images.load_mnist_idx(tmp_path / "missing")
