"""Photo crops at CelebA size (toyvae.data.photos): inventory, split, exact crops, uniform draws."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from toyvae.data import photos


def test_inventory_and_split_by_photo():
    assert set(photos.TRAIN_PHOTOS) | set(photos.HELD_OUT_PHOTOS) == set(photos.PHOTOS)
    assert not set(photos.TRAIN_PHOTOS) & set(photos.HELD_OUT_PHOTOS)
    shapes = {name: photos.load_photo(name).shape for name in photos.PHOTOS}
    assert shapes == {"china": (427, 640, 3), "flower": (427, 640, 3), "grace_hopper": (600, 512, 3)}
    for name in photos.PHOTOS:
        img = photos.load_photo(name)
        assert img.dtype == np.uint8
        # colour photographs, not grey: the channels differ somewhere by more than JPEG noise
        assert np.abs(img[..., 0].astype(int) - img[..., 2]).max() > 50


def test_scaled_photos_keep_the_field_of_view():
    # size 16 shrinks every photo by 16 / 64 (round half to even: 427 / 4 = 106.75 -> 107)
    assert photos.load_photo("china", size=16).shape == (107, 160, 3)
    assert photos.load_photo("grace_hopper", size=16).shape == (150, 128, 3)
    # the same disjoint tiles at every size
    for size in (16, 32, 64):
        assert photos.held_out_crops(size=size).shape == (72, 3, size, size)


def test_crop_counts_are_the_ones_the_docstring_states():
    table = {64: (840_112, 482_226), 32: (211_548, 121_050), 16: (53_360, 30_510)}
    for size, (train, held) in table.items():
        assert photos.crop_count(size=size) == train
        assert photos.crop_count(photos.HELD_OUT_PHOTOS, size=size) == held
        assert f"{train:,}" in photos.__doc__ and f"{held:,}" in photos.__doc__
    # one photo without flips: (427 - 63) * (640 - 63) positions
    assert photos.crop_count(("china",), flips=False) == 364 * 577


def _toy_stack():
    """Two photos of different sizes with no zero pixel, so that padding would be visible."""
    rng = np.random.default_rng(0)
    a = rng.integers(1, 256, (5, 6, 3), dtype=np.uint8)
    b = rng.integers(1, 256, (4, 4, 3), dtype=np.uint8)
    return [a, b], photos.stack_photos([a, b], size=3)


def test_crops_are_exact_slices_of_the_photos_and_never_touch_padding():
    arrays, stack = _toy_stack()
    assert stack.pixels.shape == (2, 5, 6, 3) and list(stack.heights) == [5, 4] and list(stack.widths) == [6, 4]
    assert stack.size == 3
    draw = jax.jit(lambda s, k: photos.draw_crops(s, 500, key=k))(stack, jax.random.key(1))
    crops = np.asarray(jax.jit(photos.cut_crops)(stack, draw))
    draw = [np.asarray(a) for a in draw]
    assert crops.shape == (500, 3, 3, 3) and crops.dtype == np.uint8
    assert crops.min() > 0  # padding is zero: never inside a crop
    for i in range(500):
        p, t, l, f = (int(a[i]) for a in draw)
        want = arrays[p][t:t + 3, l:l + 3]
        assert want.shape == (3, 3, 3)  # position within the valid range of photo p
        want = want[:, ::-1] if f else want
        np.testing.assert_array_equal(crops[i], want.transpose(2, 0, 1))


def test_every_distinct_crop_is_equally_likely():
    # photo 0 has 3 x 4 positions, photo 1 has 2 x 2, each with 2 flips: 32 cells, uniform under
    # the sampler. Pearson chi-square with 31 degrees of freedom on N = 64,000 draws (2,000 expected
    # per cell); the threshold is exceeded with probability 1e-6 if the draws are uniform.
    _, stack = _toy_stack()
    n = 64_000
    d = jax.jit(lambda s, k: photos.draw_crops(s, n, key=k))(stack, jax.random.key(2))
    p, t, l, f = (np.asarray(a).astype(int) for a in d)
    cols = np.where(p == 0, 4, 2)
    offset = np.where(p == 0, 0, 24)
    cell = offset + 2 * (t * cols + l) + f
    assert cell.min() >= 0 and cell.max() < 32
    counts = np.bincount(cell, minlength=32)
    chi2 = ((counts - n / 32) ** 2 / (n / 32)).sum()
    assert chi2 < stats.chi2.isf(1e-6, df=31), counts


def test_sampler_is_jittable_with_the_photos_as_data():
    stack = photos.training_stack(size=16)
    assert stack.size == 16 and len(jax.tree_util.tree_leaves(stack)) == 3  # the size is static
    fn = lambda s, k: photos.sample_crops(s, 8, key=k)  # noqa: E731
    assert jax.make_jaxpr(fn)(stack, jax.random.key(0)).consts == []  # no photo baked in
    x = jax.jit(fn)(stack, jax.random.key(0))
    assert x.shape == (8, 3, 16, 16) and x.dtype == jnp.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    y = jax.jit(fn)(stack, jax.random.key(1))
    assert not np.array_equal(x, y)


def test_dequantisation_adds_one_uniform_per_value():
    _, stack = _toy_stack()
    key = jax.random.key(3)
    sample = jax.jit(photos.sample_crops, static_argnames=("n", "dequantize"))
    plain = sample(stack, n=2000, key=key)
    noisy = sample(stack, n=2000, key=key, dequantize=True)
    k = np.rint(np.asarray(plain) * 255.0)  # the same crops: the draw uses the same subkey
    u = np.asarray(noisy, np.float64) * 256.0 - k
    # u ~ U[0, 1): within [0, 1] up to float32 rounding of (k + u) / 256 (|error| <= 2^-16 * 256)
    assert u.min() >= -1e-4 and u.max() <= 1.0 + 1e-4
    # mean 1/2 within 5 standard errors, sd 1 / sqrt(12 N), N = 2000 * 27 values
    assert abs(u.mean() - 0.5) < 5 / np.sqrt(12 * u.size)


def test_held_out_set_is_a_fixed_grid_of_the_held_out_photo():
    held = photos.held_out_crops()
    assert held.shape == (72, 3, 64, 64) and held.dtype == np.uint8
    np.testing.assert_array_equal(held, photos.held_out_crops())
    img = photos.load_photo("grace_hopper")
    # 9 rows x 8 columns of 64-pixel tiles, centred: rows start at (600 - 576) / 2 = 12
    np.testing.assert_array_equal(held[0], img[12:76, 0:64].transpose(2, 0, 1))
    np.testing.assert_array_equal(held[-1], img[524:588, 448:512].transpose(2, 0, 1))
    assert photos.held_out_crops(stride=32).shape == (17 * 15, 3, 64, 64)


def test_unit_interval_conversion():
    x = photos.to_unit_interval(np.array([0, 51, 255], np.uint8))
    np.testing.assert_allclose(x, [0.0, 0.2, 1.0], rtol=1e-7)


@pytest.mark.parametrize("size", [1, 65, 16.0, True])
def test_bad_size_is_rejected(size):
    with pytest.raises(ValueError, match="size"):
        photos.load_photo("china", size=size)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="lena"):
        photos.load_photo("lena")
    with pytest.raises(ValueError, match=re.escape("photo 1 is 2 x 9")):
        photos.stack_photos([np.zeros((9, 9, 3), np.uint8), np.zeros((2, 9, 3), np.uint8)], size=4)
    with pytest.raises(ValueError, match="photo 0 must be uint8"):
        photos.stack_photos([np.zeros((9, 9, 3), np.float32)], size=4)


@pytest.mark.parametrize("fn", [photos.grid_crops, photos.crop_count])
def test_photo_name_lists_are_checked(fn):
    """Before the fix ``grid_crops([])`` failed inside np.stack ("need at least one array to stack") and a
    bare string was split into letters ("name must be one of ..., got 'g'")."""
    with pytest.raises(ValueError, match=r"^names must be a list or tuple of photo names .*got the string 'grace_hopper'"):
        fn("grace_hopper")
    with pytest.raises(ValueError, match=r"^names must name at least one photo"):
        fn([])
    with pytest.raises(ValueError, match=r"^names must be a list or tuple of photo names"):
        fn(None)
    with pytest.raises(ValueError, match="lena"):
        fn(["grace_hopper", "lena"])
