"""Natural-photo crops at CelebA size (64 x 64 x 3) without a download, drawn inside the jitted step.

**The photos.** Every colour photograph shipped inside a package the project already depends on,
as uint8 ``(H, W, 3)``:

* ``china`` - scikit-learn ``datasets/images/china.jpg``, 427 x 640, a pagoda above a lake: train;
* ``flower`` - scikit-learn ``datasets/images/flower.jpg``, 427 x 640, a dahlia on a blurred green
  background: train;
* ``grace_hopper`` - matplotlib ``mpl-data/sample_data/grace_hopper.jpg``, 600 x 512, a portrait in
  uniform before a flag: held out.

matplotlib's other sample images are not photographs (``Minduka_Present_Blue_Pack.png`` is a
128 x 128 clip-art drawing, ``logo2.png`` the logo, ``s1045.ima.gz`` a 16-bit grey MRI slice, the
``.npz`` files elevation maps). scikit-image's photos would need a new dependency for a few more
images, which would not change the conclusion below (the data stay a handful of photos), so it is
not added.

**The split is by photo, not by crop**: crops of one photo overlap, so a held-out crop taken from
a training photo would share most of its pixels with training crops. The portrait is held out:
it is the one face among the three, the closest to CelebA, so the held-out numbers speak to the
section's domain, and it comes from another package and source than the two training photos. The
price is a shift of content (training sees no face), which every model compared on it pays alike.

**Crops.** A crop is a photo, a top-left position and a horizontal flip. With side ``s`` on a photo
of ``H x W`` pixels there are ``2 (H - s + 1)(W - s + 1)`` distinct crops (:func:`crop_count`);
"tiles" are the disjoint ``s x s`` squares of a photo:

====  =======================  =========  =================================
side  train (china + flower)   held out   disjoint tiles (train | held out)
====  =======================  =========  =================================
64    840,112 (2 x 420,056)    482,226    60 + 60 | 72
32    211,548 (2 x 105,774)    121,050    60 + 60 | 72
16    53,360 (2 x 26,680)      30,510     60 + 60 | 72
====  =======================  =========  =================================

**What this means for the checks.** The counts overstate the data: two crops one pixel apart share
63/64 of their pixels, so the training set holds about 120 disjoint 64 x 64 tiles (240 with
flips), i.e. the 2 x 427 x 640 x 3 = 1.6 million pixel values of two photos. The 64 x 64 conv VAE
at latent 2048 (``toyvae.models.conv``) has about 56 million parameters: it can memorise the
training photos, so training-set ELBOs overstate what a model has learnt, and a learned per-pixel
sigma can shrink on memorised pixels. Only numbers on the held-out photo are honest estimates, and
with 72 disjoint tiles their standard errors are those of a sample of about 72, not 482,226.

**Scaled-down runs.** ``size`` < 64 keeps the field of view of a 64-pixel crop: each photo is first
shrunk by ``size / 64`` with Pillow's area-averaging filter (``Image.BOX``), then cut into
``size x size`` crops; so the CPU-sized run sees the same scenes at a coarser resolution, with the
same disjoint tiles (the table above).

**Layout and scale.** Crops come out channels-first, ``(n, 3, size, size)``, the layout of one
example for Equinox's ``Conv2d`` (``toyvae.models.conv``). Pixels ``k`` in 0..255 map to ``k / 255``
in [0, 1] (:func:`to_unit_interval`, torchvision's ``ToTensor``), or with dequantisation to
``(k + u) / 256`` with ``u ~ U[0, 1)`` (:func:`dequantize`; float32 rounding can give exactly 1
for k = 255). A continuous density ``p`` on the dequantised pixels bounds the discrete likelihood
(Jensen over the cell of volume ``256^-D``; Theis, van den Oord & Bethge 2016, "A note on the
evaluation of generative models"): ``-log2 P(k) <= E_u[-log2 p((k + u) / 256)] + 8 D``, so
bits per dimension = ``E[-ln p] / (D ln 2) + 8``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = [
    "PHOTOS",
    "TRAIN_PHOTOS",
    "HELD_OUT_PHOTOS",
    "FIELD",
    "load_photo",
    "PhotoStack",
    "stack_photos",
    "training_stack",
    "CropDraw",
    "draw_crops",
    "cut_crops",
    "sample_crops",
    "grid_crops",
    "held_out_crops",
    "crop_count",
    "to_unit_interval",
    "dequantize",
]

PHOTOS = ("china", "flower", "grace_hopper")
TRAIN_PHOTOS = ("china", "flower")
HELD_OUT_PHOTOS = ("grace_hopper",)
FIELD = 64  # side, in pixels of the original photos, that one crop covers at every ``size``


def _check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 2 <= size <= FIELD:
        raise ValueError(f"size must be an integer in [2, {FIELD}], got {size!r}")
    return int(size)


@functools.cache
def _original(name: str) -> np.ndarray:
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image  # bundled with scikit-learn

        return np.asarray(load_sample_image(f"{name}.jpg"), np.uint8)
    from matplotlib import cbook  # bundled with matplotlib
    from PIL import Image

    with Image.open(cbook.get_sample_data(f"{name}.jpg", asfileobj=False)) as im:
        return np.asarray(im.convert("RGB"), np.uint8)


@functools.cache
def _photo(name: str, size: int) -> np.ndarray:
    img = _original(name)
    if size != FIELD:
        from PIL import Image

        h, w = img.shape[:2]
        shape = (max(size, round(w * size / FIELD)), max(size, round(h * size / FIELD)))
        img = np.asarray(Image.fromarray(img).resize(shape, Image.BOX), np.uint8)
    img = np.ascontiguousarray(img)
    img.setflags(write=False)  # shared by every caller through the cache
    return img


def _check_names(names) -> tuple[str, ...]:
    """``names`` as a non-empty tuple of :data:`PHOTOS`; a bare string is refused, not split into letters."""
    if isinstance(names, (str, bytes)):
        raise ValueError(f"names must be a list or tuple of photo names such as {HELD_OUT_PHOTOS!r}, "
                         f"got the string {names!r}")
    if isinstance(names, np.ndarray) and names.ndim == 1:
        names = names.tolist()
    if not isinstance(names, Sequence):
        raise ValueError(f"names must be a list or tuple of photo names from {PHOTOS}, got {type(names).__name__}")
    if len(names) == 0:
        raise ValueError(f"names must name at least one photo of {PHOTOS}, got an empty {type(names).__name__}")
    for name in names:
        if name not in PHOTOS:
            raise ValueError(f"names: each must be one of {PHOTOS}, got {name!r}")
    return tuple(names)


def load_photo(name: str, *, size: int = 64) -> np.ndarray:
    """One of :data:`PHOTOS` as uint8 ``(H, W, 3)``, shrunk by ``size / 64`` when ``size < 64``.

    The array is read-only (cached and shared); copy it to modify it.
    """
    if name not in PHOTOS:
        raise ValueError(f"name must be one of {PHOTOS}, got {name!r}")
    return _photo(name, _check_size(size))


@functools.partial(jax.tree_util.register_dataclass, data_fields=["pixels", "heights", "widths"],
                   meta_fields=["size"])
@dataclasses.dataclass(frozen=True, eq=False)
class PhotoStack:
    """Photos of different sizes in one array, so that a jitted sampler can take them as data.

    A pytree whose leaves are the three arrays; ``size`` is static (part of the tree structure), so
    the sampler knows the crop side it was prepared for.

    Fields:
        pixels: uint8 ``(P, H_max, W_max, 3)``; photo ``p`` fills ``[:heights[p], :widths[p]]``,
            the rest is zero padding that no crop touches.
        heights: int32 ``(P,)``, the valid height of each photo.
        widths: int32 ``(P,)``, the valid width of each photo.
        size: the side of the crops cut from it (every photo is at least ``size x size``).
    """

    pixels: np.ndarray
    heights: np.ndarray
    widths: np.ndarray
    size: int


def stack_photos(photos: Sequence[np.ndarray], *, size: int = 64) -> PhotoStack:
    """Pad uint8 ``(H, W, 3)`` photos to a common shape; each must be at least ``size x size``."""
    size = _check_size(size)
    if len(photos) == 0:
        raise ValueError("photos must hold at least one photo")
    arrays = [np.asarray(p) for p in photos]
    for i, a in enumerate(arrays):
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"photo {i} must be uint8 (H, W, 3), got {a.dtype} {a.shape}")
        if min(a.shape[:2]) < size:
            raise ValueError(f"photo {i} is {a.shape[0]} x {a.shape[1]}, smaller than the crop side {size}")
    h_max = max(a.shape[0] for a in arrays)
    w_max = max(a.shape[1] for a in arrays)
    pixels = np.zeros((len(arrays), h_max, w_max, 3), np.uint8)
    for i, a in enumerate(arrays):
        pixels[i, : a.shape[0], : a.shape[1]] = a
    return PhotoStack(pixels=pixels,
                      heights=np.array([a.shape[0] for a in arrays], np.int32),
                      widths=np.array([a.shape[1] for a in arrays], np.int32),
                      size=size)


def training_stack(*, size: int = 64) -> PhotoStack:
    """The :data:`TRAIN_PHOTOS` as a :class:`PhotoStack` for crops of side ``size``."""
    return stack_photos([load_photo(n, size=size) for n in TRAIN_PHOTOS], size=size)


class CropDraw(NamedTuple):
    """Where ``n`` crops are cut: int32 arrays ``photo``, ``top``, ``left`` and bool ``flip``, each ``(n,)``."""

    photo: jax.Array
    top: jax.Array
    left: jax.Array
    flip: jax.Array


def draw_crops(stack: PhotoStack, n: int, *, key: jax.Array) -> CropDraw:
    """Draw ``n`` crops of side ``stack.size`` uniformly over all distinct crops of the stack (jittable).

    Photo ``p`` is chosen with probability proportional to its ``(h_p - size + 1)(w_p - size + 1)``
    positions, then a position uniformly within its valid range, then a flip with probability
    1/2: every (photo, position, flip) has the same probability ``1 / crop_count``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    size = stack.size
    photo_key, top_key, left_key, flip_key = jax.random.split(key, 4)
    rows = jnp.asarray(stack.heights) - size + 1
    cols = jnp.asarray(stack.widths) - size + 1
    logits = jnp.log((rows * cols).astype(jnp.float32))
    photo = jax.random.categorical(photo_key, logits, shape=(n,)).astype(jnp.int32)
    top = jax.random.randint(top_key, (n,), 0, rows[photo], dtype=jnp.int32)
    left = jax.random.randint(left_key, (n,), 0, cols[photo], dtype=jnp.int32)
    flip = jax.random.bernoulli(flip_key, 0.5, (n,))
    return CropDraw(photo=photo, top=top, left=left, flip=flip)


def cut_crops(stack: PhotoStack, draw: CropDraw) -> jax.Array:
    """The crops of ``draw`` as uint8 ``(n, 3, size, size)`` (channels first; jittable)."""
    pixels, size = jnp.asarray(stack.pixels), stack.size

    def one(p, t, l, f):
        crop = lax.dynamic_slice(pixels, (p, t, l, 0), (1, size, size, 3))[0]
        crop = jnp.where(f, crop[:, ::-1], crop)  # horizontal flip: reverse the width axis
        return jnp.transpose(crop, (2, 0, 1))

    return jax.vmap(one)(draw.photo, draw.top, draw.left, draw.flip)


def sample_crops(stack: PhotoStack, n: int, *, key: jax.Array, dequantize: bool = False) -> jax.Array:
    """``n`` random crops with random horizontal flips, float32 ``(n, 3, stack.size, stack.size)``.

    For use inside a jitted training step: pass ``stack`` as an argument of the jitted function
    (the engine's ``shared``), so that the photos are data, not constants of the compiled program.
    Pixels are ``k / 255`` in [0, 1], or with ``dequantize`` ``(k + u) / 256`` with fresh
    uniform noise (module docstring).
    """
    draw_key, noise_key = jax.random.split(key)
    crops = cut_crops(stack, draw_crops(stack, n, key=draw_key))
    return _dequantize(crops, noise_key) if dequantize else to_unit_interval(crops)


def grid_crops(names: Sequence[str] = HELD_OUT_PHOTOS, *, size: int = 64,
               stride: int | None = None) -> np.ndarray:
    """Deterministic crops on a regular grid of each named photo, uint8 ``(m, 3, size, size)``, no flips.

    The grid has step ``stride`` (default ``size``: disjoint tiles) and is centred in the photo;
    photos in the order given, then rows, then columns.
    """
    names = _check_names(names)
    size = _check_size(size)
    stride = size if stride is None else stride
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive integer or None, got {stride!r}")
    out = []
    for name in names:
        img = load_photo(name, size=size)
        h, w = img.shape[:2]
        n_rows, n_cols = (h - size) // stride + 1, (w - size) // stride + 1
        top0 = (h - size - (n_rows - 1) * stride) // 2
        left0 = (w - size - (n_cols - 1) * stride) // 2
        for r in range(n_rows):
            for c in range(n_cols):
                t, l = top0 + r * stride, left0 + c * stride
                out.append(img[t:t + size, l:l + size].transpose(2, 0, 1))
    return np.stack(out)


def held_out_crops(*, size: int = 64, stride: int | None = None) -> np.ndarray:
    """The fixed held-out set: :func:`grid_crops` of :data:`HELD_OUT_PHOTOS` (72 disjoint tiles by default)."""
    return grid_crops(HELD_OUT_PHOTOS, size=size, stride=stride)


def crop_count(names: Sequence[str] = TRAIN_PHOTOS, *, size: int = 64, flips: bool = True) -> int:
    """Number of distinct crops ``sum_p (h_p - size + 1)(w_p - size + 1)``, times 2 with flips."""
    names = _check_names(names)
    size = _check_size(size)
    total = 0
    for name in names:
        h, w = load_photo(name, size=size).shape[:2]
        total += (h - size + 1) * (w - size + 1)
    return total * (2 if flips else 1)


def to_unit_interval(pixels) -> jax.Array:
    """uint8 pixels ``k`` as float32 ``k / 255`` in [0, 1]."""
    return jnp.asarray(pixels).astype(jnp.float32) / 255.0


def dequantize(pixels, *, key: jax.Array) -> jax.Array:
    """uint8 pixels ``k`` as float32 ``(k + u) / 256``, ``u ~ U[0, 1)`` independent per value (module docstring)."""
    return _dequantize(jnp.asarray(pixels), key)


def _dequantize(pixels: jax.Array, key: jax.Array) -> jax.Array:
    u = jax.random.uniform(key, pixels.shape, jnp.float32)
    return (pixels.astype(jnp.float32) + u) / 256.0
