"""Image data without downloads: scikit-learn's 8x8 digits, and loaders for LOCAL image files.

Berger & Sebag 2020 (Sec. 4.3, Table 2) train on MNIST and CelebA. Neither ships with a
package, so the claim BS20.T2tab runs on scikit-learn's digits (bundled with scikit-learn).
For users who have the real data sets on disk, two loaders read them without any network:

* :func:`load_mnist_idx` - the IDX format of the MNIST files (``train-images-idx3-ubyte``,
  gzip-compressed or not);
* :func:`load_image_folder` - a folder of JPEG/PNG images such as CelebA's
  ``img_align_celeba``, centre-cropped to a square and resized to ``size x size x 3``.

Every loader returns float32 pixels scaled to [0, 1]. Bad input raises ``ValueError`` (bad
argument or malformed file, message naming it), or :class:`MissingPathError` for a missing path
(both a ``FileNotFoundError`` and a ``ValueError``).
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from toyvae import _validate

__all__ = ["load_digits01", "load_mnist_idx", "load_image_folder", "IMAGE_SUFFIXES", "MissingPathError"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

# IDX type byte -> numpy big-endian dtype (the IDX specification of LeCun's MNIST page).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
# The format allows 255 dimensions; numpy arrays have at most 32 on every supported version (64 on
# NumPy 2), and real IDX files have 1 (labels) to 4.
_IDX_MAX_NDIM = 32


def load_digits01() -> np.ndarray:
    """scikit-learn's 8x8 handwritten digits as float32 in [0, 1], shape (1797, 64).

    The raw pixels are integers 0..16 (17 grey levels); we divide by 16. Rows are images in
    the order scikit-learn gives them; pixel j is row j // 8, column j % 8.
    """
    from sklearn.datasets import load_digits  # bundled data, no network

    return (load_digits().data / 16.0).astype(np.float32)


class MissingPathError(FileNotFoundError, ValueError):
    """A path argument names nothing on disk: both a ``FileNotFoundError`` and, as the package's
    bad-input rule asks, a ``ValueError`` naming the parameter."""


def _existing_file(path, name: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"{name} must be a str or path-like, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise MissingPathError(f"{name}: no such file or folder: {p}")
    return p


def load_mnist_idx(path, *, scale: bool = True) -> np.ndarray:
    """Read an IDX file (MNIST's format), gzip-compressed or not, without any download.

    IDX layout: two zero bytes, a type byte (0x08 = unsigned byte, ...), a byte giving the
    number of dimensions n, then n big-endian uint32 sizes, then the values in C order.

    Args:
        path: the file, e.g. ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``
            (gzip is recognised by its magic bytes, not by the name).
        scale: for unsigned-byte images (type 0x08 and 3 dimensions) return float32 / 255 in
            [0, 1] with shape (n, rows * cols); otherwise, or with ``scale=False``, the raw
            array with its IDX shape and dtype (a label file gives (n,) uint8).

    Raises:
        MissingPathError: ``path`` does not exist (a FileNotFoundError and a ValueError).
        ValueError: the file is not a well-formed IDX file (corrupt gzip, truncated header or data,
            a shape with a zero size, more than 32 dimensions; the message names the file and
            says what is wrong), or ``scale`` is not a bool.
    """
    scale = _validate.flag("scale", scale)
    p = _existing_file(path)
    if p.is_dir():
        raise ValueError(f"path must be an IDX file, got a folder: {p}")
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:  # bad header / truncated / corrupt deflate data
            raise ValueError(f"path {p}: corrupt gzip stream ({type(err).__name__}: {err})") from err
    if len(raw) < 4:
        raise ValueError(f"path {p}: too short for an IDX header ({len(raw)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(f"path {p}: not an IDX file (header bytes {raw[:4].hex()}; expected "
                         f"0000, a type byte in {sorted(hex(t) for t in _IDX_DTYPES)}, ndim >= 1)")
    if ndim > _IDX_MAX_NDIM:
        raise ValueError(f"path {p}: IDX header announces {ndim} dimensions; at most {_IDX_MAX_NDIM} are supported")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"path {p}: truncated IDX header ({len(raw)} bytes, {header} needed for {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    if 0 in shape:
        what = "images" if ndim == 3 and shape[0] == 0 else "values"
        raise ValueError(f"path {p}: IDX header announces shape {shape}, i.e. 0 {what}: the file holds no data")
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow for absurd shapes
    if len(raw) - header != expected:
        raise ValueError(f"path {p}: IDX header announces shape {shape} ({expected} bytes of data) "
                         f"but the file holds {len(raw) - header}")
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    if scale and type_code == 0x08 and ndim == 3:
        return (arr.reshape(shape[0], -1) / 255.0).astype(np.float32)
    return arr.astype(dtype.newbyteorder("="))


def _center_square(img: np.ndarray) -> np.ndarray:
    """The largest centred square of an (H, W, ...) array."""
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return img[top:top + s, left:left + s]


def load_image_folder(path, size: int = 64, *, limit: int | None = None) -> np.ndarray:
    """Read every PNG/JPEG file of a local folder as (n, size, size, 3) float32 in [0, 1].

    Each image is centre-cropped to its largest square, then resized to ``size x size`` with
    Pillow's area-averaging (``Image.BOX``) filter; greyscale images are repeated on three
    channels and an alpha channel is dropped. Files are read in sorted name order (for CelebA's
    ``img_align_celeba``: 000001.jpg, 000002.jpg, ...). For CelebA the usual preprocessing of
    64 x 64 VAEs (crop a central box around the face first) is left to the caller.

    Args:
        path: the folder (not searched recursively).
        size: output side length in pixels (>= 1).
        limit: read at most this many files (the first ones in sorted order); None reads all.

    Raises:
        MissingPathError: ``path`` does not exist (a FileNotFoundError and a ValueError).
        ValueError: ``path`` is not a folder, holds no PNG/JPEG file, a file cannot be decoded
            (its name is given), or ``size`` / ``limit`` is not a positive integer.
    """
    size = int(_validate.scalar("size", _validate.dimension("size", size, minimum=1)))
    if limit is not None:
        limit = int(_validate.scalar("limit", _validate.dimension("limit", limit, minimum=1)))
    folder = _existing_file(path)
    if not folder.is_dir():
        raise ValueError(f"path must be a folder of images, got a file: {folder}")
    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"path {folder} holds no image file with suffix in {IMAGE_SUFFIXES}")
    if limit is not None:
        files = files[:limit]
    from PIL import Image, UnidentifiedImageError  # installed with matplotlib

    out = np.empty((len(files), size, size, 3), np.float32)
    for i, f in enumerate(files):
        try:
            with Image.open(f) as im:
                rgb = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as err:
            raise ValueError(f"cannot decode image file {f}: {err}") from err
        square = Image.fromarray(_center_square(rgb))
        out[i] = np.asarray(square.resize((size, size), Image.BOX), np.float32) / 255.0
    return out
