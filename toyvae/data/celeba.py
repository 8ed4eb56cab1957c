"""CelebA at 64 x 64 from a user's local copy: read once, cached as a uint8 array, sampled in the jitted step.

Nothing is downloaded. The user points the package at CelebA's aligned images, either the folder
``img_align_celeba`` of JPEGs (000001.jpg ... 202599.jpg, 178 x 218 each) or the archive
``img_align_celeba.zip``, by an explicit option or the environment variable ``TOYVAE_CELEBA``
(:func:`celeba_path`).

**Convention** (:func:`load_celeba`): convert to RGB, take the centre 148 x 148 square, resize it to
64 x 64 with Pillow's bilinear filter. This is the preprocessing of AntixK's PyTorch-VAE
(``dataset.py``: ``CenterCrop(148)`` then ``Resize(64)``), which many CelebA VAE codebases share.
The crop box follows torchvision's ``center_crop``: top = round((H - 148) / 2), left =
round((W - 148) / 2), i.e. rows 35..182 and columns 15..162 of a 178 x 218 image. torchvision's
``Resize`` calls Pillow's ``resize`` with ``BILINEAR`` for PIL images, and Pillow widens the
bilinear kernel by the reduction factor when it shrinks (an antialiased triangle filter), so the
pixels here are those of that pipeline. The standard partition (``list_eval_partition.txt``) is by
file number: images 1-162,770 train, 162,771-182,637 validation, 182,638-202,599 test;
:data:`STANDARD_SPLIT` gives these as index ranges into the full array, in file order.

**Cache.** The result is saved once as a uint8 ``.npy`` in ``cache_dir`` (default ``$TOYVAE_CACHE``,
else ``~/.cache/toyvae``), under a name keyed by the resolved path, ``size``, ``limit``, the crop
and the content of every file read (names with byte sizes and a BLAKE2b hash of the bytes for a
folder; sizes and the CRC-32 the archive stores for a zip), and read back on later calls; any
changed file (even one replaced in place by another of the same size and modification time) makes a
new cache. A cached load therefore still reads every file once (hashing is far cheaper than decoding:
about a second per GB), but decodes none.

**Pixel depth.** 16-bit greyscale images (Pillow modes ``I;16*``, and ``I`` from a PNG) are scaled to
8 bits, ``round(v / 257)`` (65535 -> 255), before the RGB conversion, which would otherwise clip every
value above 255 to white; other modes go through Pillow's ``convert("RGB")``.

**Errors** name the path: a missing path raises :class:`~toyvae.data.images.MissingPathError`
(a ``FileNotFoundError`` and a ``ValueError``); a folder or zip with no image, a file that is not a
zip, an unreadable or corrupt image (its name) and an image smaller than the crop (its name and
size) raise ``ValueError``; so does a header claiming more pixels than Pillow's decompression-bomb limit
(``PIL.Image.MAX_IMAGE_PIXELS``, raised past twice the limit; past the limit itself Pillow's warning
is repeated with the file's name). Headers and sizes of every image are checked before any is decoded.

Images come out channels-first, uint8 ``(n, 3, size, size)``, like the photo crops of
:mod:`toyvae.data.photos`; :func:`sample_images` draws a float batch inside a jitted step.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.data.images import IMAGE_SUFFIXES, MissingPathError
from toyvae.data import photos as _photos

__all__ = [
    "CROP",
    "ENV_VAR",
    "CACHE_ENV_VAR",
    "STANDARD_SPLIT",
    "celeba_path",
    "cache_directory",
    "load_celeba",
    "sample_images",
]

CROP = 148  # side of the centre square (AntixK PyTorch-VAE's CenterCrop(148))
ENV_VAR = "TOYVAE_CELEBA"
CACHE_ENV_VAR = "TOYVAE_CACHE"
STANDARD_SPLIT = {"train": (0, 162_770), "valid": (162_770, 182_637), "test": (182_637, 202_599)}
_CACHE_VERSION = 2  # bump when the preprocessing changes, so that old caches are not reused


def celeba_path(option=None) -> Path | None:
    """Where the user's CelebA is: ``option`` if given (not None or ""), else ``$TOYVAE_CELEBA`` if set and
    non-empty, else None.

    ``~`` is expanded; existence is checked by :func:`load_celeba`, not here.
    """
    value = option if option not in (None, "") else os.environ.get(ENV_VAR) or None
    return None if value is None else Path(value).expanduser()


def cache_directory(cache_dir=None) -> Path:
    """``cache_dir`` if given, else ``$TOYVAE_CACHE`` if set and non-empty, else ``~/.cache/toyvae``."""
    value = cache_dir if cache_dir is not None else os.environ.get(CACHE_ENV_VAR) or "~/.cache/toyvae"
    return Path(value).expanduser()


@contextmanager
def _image_source(path: Path):
    """(names in sorted order, read(name) -> bytes, label(name) -> str, fingerprint(names) -> list) of a folder
    or zip; the fingerprint identifies the content of the named files (module docstring, Cache)."""
    if path.is_dir():
        names = sorted(f.name for f in path.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)

        def read_file(name: str) -> bytes:
            try:
                return (path / name).read_bytes()
            except OSError as err:  # permissions, I/O errors
                raise ValueError(f"cannot read image file {path / name}: {err}") from err

        def fingerprint(selected: list) -> list:
            out = []
            for n in selected:
                data = read_file(n)
                out.append((n, len(data), hashlib.blake2b(data, digest_size=16).hexdigest()))
            return out

        yield names, read_file, lambda n: str(path / n), fingerprint
        return
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path must be a folder of JPEGs or a zip of them, got another file: {path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ValueError(f"path {path}: unreadable zip ({err})") from err
    with archive:
        infos = {i.filename: i for i in archive.infolist()
                 if not i.is_dir() and Path(i.filename).suffix.lower() in IMAGE_SUFFIXES
                 and not i.filename.startswith("__MACOSX/") and not Path(i.filename).name.startswith("._")}
        names = sorted(infos)

        def fingerprint(selected: list) -> list:  # the CRC-32 of each member's content, as the archive stores it
            return [(n, infos[n].file_size, infos[n].CRC) for n in selected]

        def read(name: str) -> bytes:
            try:
                return archive.read(name)
            except (zipfile.BadZipFile, OSError, EOFError) as err:  # bad CRC, truncated member
                raise ValueError(f"cannot read image file {path}/{name}: {err}") from err

        yield names, read, lambda n: f"{path}/{n}", fingerprint


def _check_header(data: bytes, label: str) -> None:
    """Identify the image from its header (no decoding) and check it holds the centre crop."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise ValueError(f"cannot read image file {label}: {err}") from err
    for w in caught:  # Pillow's warning does not say which file: repeat it with the name, pass the others on
        text = f"image file {label}: {w.message}" if issubclass(w.category, Image.DecompressionBombWarning) else w.message
        warnings.warn(text, w.category, stacklevel=4)
    if width < CROP or height < CROP:
        raise ValueError(f"image file {label} is {width} x {height} (width x height), smaller than "
                         f"the {CROP} x {CROP} centre crop")


def _eight_bit(im):
    """A 16-bit greyscale image as 8-bit ``L``, ``round(v / 257)``; any other image unchanged.

    Pillow opens a 16-bit greyscale PNG as ``I;16`` (``I`` in older releases) and its ``convert("RGB")``
    clips values to 0..255 instead of scaling them, which turns nearly every pixel white.
    """
    from PIL import Image

    if im.mode.startswith("I;16") or (im.mode == "I" and im.format == "PNG"):
        grey = np.rint(np.asarray(im, dtype=np.float64) / 257.0)
        return Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L")
    return im


def _preprocess(data: bytes, size: int, label: str) -> np.ndarray:
    """Decode one image and apply the convention: RGB, centre 148 x 148, bilinear resize; uint8 (3, size, size)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # already reported by _check_header
            with Image.open(io.BytesIO(data)) as im:
                rgb = _eight_bit(im).convert("RGB")  # decodes the whole file: a truncated JPEG fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise ValueError(f"cannot decode image file {label}: {err}") from err
    width, height = rgb.size
    top, left = int(round((height - CROP) / 2.0)), int(round((width - CROP) / 2.0))  # torchvision's anchor
    square = rgb.crop((left, top, left + CROP, top + CROP))
    small = square.resize((size, size), Image.BILINEAR) if size != CROP else square
    return np.asarray(small, np.uint8).transpose(2, 0, 1)


def _positive_int(name: str, value, *, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or (
            maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be a positive integer{upper}, got {value!r}")
    return int(value)


def load_celeba(path, *, size: int = 64, limit: int | None = None, cache_dir=None) -> np.ndarray:
    """CelebA's aligned images as uint8 ``(n, 3, size, size)``, preprocessed by the module's convention.

    Args:
        path: the ``img_align_celeba`` folder (not searched recursively) or ``img_align_celeba.zip``
            (members in any folder of the archive; macOS ``__MACOSX/`` entries are skipped).
        size: output side (1..148); 64 is the convention, smaller sizes give CPU-scaled runs.
        limit: read only the first ``limit`` images in sorted name order; None reads all.
        cache_dir: where the ``.npy`` cache lives (:func:`cache_directory`).

    Returns:
        uint8 ``(n, 3, size, size)``, images in sorted name order (000001.jpg first).

    Raises:
        MissingPathError: ``path`` does not exist (a FileNotFoundError and a ValueError).
        ValueError: ``path`` is neither a folder nor a zip, holds no JPEG/PNG, an image cannot be
            read or decoded, or is smaller than 148 x 148 (each message names the file); or
            ``size`` / ``limit`` is not a positive integer.
    """
    size = _positive_int("size", size, maximum=CROP)
    limit = None if limit is None else _positive_int("limit", limit)
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a str or path-like, got {type(path).__name__}")
    path = Path(path).expanduser()
    if not path.exists():
        raise MissingPathError(f"CelebA path: no such file or folder: {path}")
    path = path.resolve()
    with _image_source(path) as (names, read, label, fingerprint):
        if not names:
            raise ValueError(f"path {path} holds no image file with suffix in {IMAGE_SUFFIXES} "
                             f"(expected CelebA's img_align_celeba folder or img_align_celeba.zip)")
        if limit is not None:
            names = names[:limit]
        cache_file = _cache_file(cache_directory(cache_dir), path, size, limit, fingerprint(names))
        cached = _read_cache(cache_file, (len(names), 3, size, size))
        if cached is not None:
            return cached
        for name in names:  # cheap pass over the headers before the long decoding
            _check_header(read(name), label(name))
        out = np.empty((len(names), 3, size, size), np.uint8)
        for i, name in enumerate(names):
            out[i] = _preprocess(read(name), size, label(name))
    _write_cache(cache_file, out)
    return out


def _cache_file(folder: Path, path: Path, size: int, limit: int | None, fingerprint: list) -> Path:
    key = json.dumps({"version": _CACHE_VERSION, "path": str(path), "size": size, "limit": limit,
                      "crop": CROP, "files": fingerprint}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return folder / f"celeba_{size}px_{len(fingerprint)}_{digest}.npy"


def _read_cache(cache_file: Path, shape: tuple) -> np.ndarray | None:
    if not cache_file.is_file():
        return None
    try:
        arr = np.load(cache_file, allow_pickle=False)
    except (OSError, ValueError) as err:
        warnings.warn(f"ignoring unreadable CelebA cache {cache_file} ({err}); rebuilding it", stacklevel=3)
        return None
    if arr.dtype != np.uint8 or arr.shape != shape:
        warnings.warn(f"ignoring CelebA cache {cache_file}: {arr.dtype} {arr.shape}, expected uint8 {shape}",
                      stacklevel=3)
        return None
    return arr


def _write_cache(cache_file: Path, arr: np.ndarray) -> None:
    """Write atomically (temporary file, then rename), so that an interrupted run leaves no half cache."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f"{cache_file.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, arr, allow_pickle=False)
        os.replace(tmp, cache_file)
    except OSError as err:
        warnings.warn(f"could not write the CelebA cache {cache_file} ({err}); it will be rebuilt next time",
                      stacklevel=3)


def sample_images(images, n: int, *, key: jax.Array, flip: bool = True, dequantize: bool = False) -> jax.Array:
    """``n`` images drawn uniformly with replacement, float32 ``(n, 3, size, size)`` (jittable).

    ``images`` is a uint8 ``(N, 3, size, size)`` array passed as data to the jitted step (e.g.
    :func:`load_celeba`'s result). With ``flip`` each is mirrored left-right with probability 1/2;
    pixels are ``k / 255``, or ``(k + u) / 256`` with ``dequantize`` (:mod:`toyvae.data.photos`).
    """
    images = jnp.asarray(images)
    index_key, flip_key, noise_key = jax.random.split(key, 3)
    batch = images[jax.random.randint(index_key, (n,), 0, images.shape[0])]
    if flip:
        mirror = jax.random.bernoulli(flip_key, 0.5, (n,))
        batch = jnp.where(mirror[:, None, None, None], batch[..., ::-1], batch)
    return _photos.dequantize(batch, key=noise_key) if dequantize else _photos.to_unit_interval(batch)
