"""CelebA loader (toyvae.data.celeba) on tiny images the tests write: convention, zip, cache, errors."""

import re
import zipfile

import jax
import numpy as np
import pytest
from PIL import Image

from toyvae.data import celeba
from toyvae.data.images import MissingPathError

W, H = 178, 218  # CelebA's aligned images


def _write_faces(folder, count=4, *, seed=0, fmt="JPEG"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    suffix = ".jpg" if fmt == "JPEG" else ".png"
    for i in range(1, count + 1):
        Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(folder / f"{i:06d}{suffix}", fmt)
    return folder


def _zip_folder(folder, zip_path, *, junk=True):
    with zipfile.ZipFile(zip_path, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"img_align_celeba/{f.name}")
        if junk:  # what macOS's archiver adds: resource forks named like JPEGs, to be skipped
            zf.writestr("__MACOSX/img_align_celeba/._000001.jpg", b"\x00\x05\x16\x07 not an image")
    return zip_path


def _oracle(file, size):
    """The convention written out with the numbers for a 178 x 218 image: rows 35..182, columns 15..162."""
    with Image.open(file) as im:
        square = im.convert("RGB").crop((15, 35, 15 + 148, 35 + 148))
    return np.asarray(square.resize((size, size), Image.BILINEAR)).transpose(2, 0, 1)


def test_folder_follows_the_convention(tmp_path):
    folder = _write_faces(tmp_path / "img_align_celeba")
    out = celeba.load_celeba(folder, cache_dir=tmp_path / "cache")
    assert out.shape == (4, 3, 64, 64) and out.dtype == np.uint8
    for i, f in enumerate(sorted(folder.iterdir())):
        np.testing.assert_array_equal(out[i], _oracle(f, 64))


def test_centre_crop_position_is_torchvisions(tmp_path):
    # a lossless image whose red channel is the row and green the column: at size 148 (no resize)
    # the output is exactly the crop, so its first pixel tells where the crop starts.
    folder = tmp_path / "png"
    folder.mkdir()
    rows, cols = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    img = np.stack([rows % 256, cols, np.zeros_like(rows)], axis=-1).astype(np.uint8)
    Image.fromarray(img).save(folder / "000001.png")
    out = celeba.load_celeba(folder, size=148, cache_dir=tmp_path / "cache")[0]
    np.testing.assert_array_equal(out[0], np.broadcast_to(np.arange(35, 183)[:, None], (148, 148)))
    np.testing.assert_array_equal(out[1], np.broadcast_to(np.arange(15, 163)[None, :], (148, 148)))


def test_zip_equals_folder_and_limit_takes_the_first_files(tmp_path):
    folder = _write_faces(tmp_path / "img_align_celeba", count=5)
    archive = _zip_folder(folder, tmp_path / "img_align_celeba.zip")
    from_folder = celeba.load_celeba(folder, size=16, cache_dir=tmp_path / "c1")
    from_zip = celeba.load_celeba(archive, size=16, cache_dir=tmp_path / "c2")
    np.testing.assert_array_equal(from_zip, from_folder)
    first = celeba.load_celeba(archive, size=16, limit=2, cache_dir=tmp_path / "c2")
    np.testing.assert_array_equal(first, from_folder[:2])


def test_cache_is_written_once_and_reused(tmp_path, monkeypatch):
    folder = _write_faces(tmp_path / "img_align_celeba", count=3)
    cache = tmp_path / "cache"
    out = celeba.load_celeba(folder, size=16, cache_dir=cache)
    files = list(cache.glob("*.npy"))
    assert len(files) == 1 and files[0].name.startswith("celeba_16px_3_")

    def fail(*args):
        raise AssertionError("decoded again although cached")

    monkeypatch.setattr(celeba, "_preprocess", fail)
    np.testing.assert_array_equal(celeba.load_celeba(folder, size=16, cache_dir=cache), out)
    monkeypatch.undo()
    # another size, another limit or another file list is another cache entry
    celeba.load_celeba(folder, size=8, cache_dir=cache)
    celeba.load_celeba(folder, size=16, limit=2, cache_dir=cache)
    _write_faces(folder, count=4, seed=1)  # rewrites 1-3 (same names, new bytes) and adds 000004
    assert celeba.load_celeba(folder, size=16, cache_dir=cache).shape[0] == 4
    assert len(list(cache.glob("*.npy"))) == 4
    assert not list(cache.glob("*.tmp*"))


def test_cache_directory_and_celeba_path_read_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(celeba.ENV_VAR, raising=False)
    monkeypatch.delenv(celeba.CACHE_ENV_VAR, raising=False)
    assert celeba.celeba_path() is None
    monkeypatch.setenv(celeba.ENV_VAR, "")
    assert celeba.celeba_path() is None
    monkeypatch.setenv(celeba.ENV_VAR, str(tmp_path / "env"))
    assert celeba.celeba_path() == tmp_path / "env"
    assert celeba.celeba_path(tmp_path / "opt") == tmp_path / "opt"  # the explicit option wins
    assert celeba.cache_directory().name == "toyvae"
    monkeypatch.setenv(celeba.CACHE_ENV_VAR, str(tmp_path / "c"))
    assert celeba.cache_directory() == tmp_path / "c"
    folder = _write_faces(tmp_path / "img_align_celeba", count=1)
    celeba.load_celeba(folder, size=8)
    assert len(list((tmp_path / "c").glob("celeba_8px_1_*.npy"))) == 1


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(MissingPathError, match=re.escape(str(tmp_path / "nowhere"))):
        celeba.load_celeba(tmp_path / "nowhere", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="no such file"):  # also a ValueError
        celeba.load_celeba(tmp_path / "nowhere", cache_dir=tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images")
    with pytest.raises(ValueError, match=f"{re.escape(str(tmp_path / 'empty'))} holds no image"):
        celeba.load_celeba(tmp_path / "empty", cache_dir=tmp_path)
    with zipfile.ZipFile(tmp_path / "nothing.zip", "w") as zf:
        zf.writestr("img_align_celeba/list.txt", "no images")
    with pytest.raises(ValueError, match="nothing.zip holds no image"):
        celeba.load_celeba(tmp_path / "nothing.zip", cache_dir=tmp_path)
    (tmp_path / "file.bin").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="file.bin"):
        celeba.load_celeba(tmp_path / "file.bin", cache_dir=tmp_path)


def test_broken_images_are_named_and_caught_before_decoding(tmp_path, monkeypatch):
    calls = []
    real = celeba._preprocess
    monkeypatch.setattr(celeba, "_preprocess", lambda *a: calls.append(a) or real(*a))

    garbage = _write_faces(tmp_path / "garbage", count=2)
    (garbage / "000003.jpg").write_bytes(b"\xff\xd8 this is not a JPEG")
    with pytest.raises(ValueError, match=re.escape(f"cannot read image file {garbage / '000003.jpg'}")):
        celeba.load_celeba(garbage, cache_dir=tmp_path)

    small = _write_faces(tmp_path / "small", count=2)
    Image.fromarray(np.zeros((120, 100, 3), np.uint8)).save(small / "000003.jpg")
    with pytest.raises(ValueError, match=re.escape(f"{small / '000003.jpg'} is 100 x 120")):
        celeba.load_celeba(small, cache_dir=tmp_path)
    assert calls == []  # both found by the header pass, before any image was decoded

    truncated = _write_faces(tmp_path / "truncated", count=2)
    data = (truncated / "000002.jpg").read_bytes()
    (truncated / "000002.jpg").write_bytes(data[: len(data) // 2])  # the header is intact
    with pytest.raises(ValueError, match=re.escape(f"cannot decode image file {truncated / '000002.jpg'}")):
        celeba.load_celeba(truncated, cache_dir=tmp_path)

    archive = _zip_folder(small, tmp_path / "small.zip", junk=False)
    with pytest.raises(ValueError, match=re.escape("small.zip/img_align_celeba/000003.jpg is 100 x 120")):
        celeba.load_celeba(archive, cache_dir=tmp_path)


@pytest.mark.parametrize("kwargs", [{"size": 0}, {"size": 149}, {"size": 16.0}, {"limit": 0}, {"limit": True}])
def test_bad_arguments(tmp_path, kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        celeba.load_celeba(tmp_path, cache_dir=tmp_path, **kwargs)


def test_sample_images_draws_whole_images_with_flips():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 3, 4, 4), dtype=np.uint8)
    fn = jax.jit(lambda im, k: celeba.sample_images(im, 64, key=k))
    assert jax.make_jaxpr(lambda im, k: celeba.sample_images(im, 64, key=k))(images, jax.random.key(0)).consts == []
    batch = np.rint(np.asarray(fn(images, jax.random.key(0))) * 255).astype(np.uint8)
    assert batch.shape == (64, 3, 4, 4)
    views = [im for im in images] + [im[..., ::-1] for im in images]
    matched = [next(j for j, v in enumerate(views) if np.array_equal(b, v)) for b in batch]
    assert any(j < 5 for j in matched) and any(j >= 5 for j in matched)  # both plain and mirrored
    plain = np.asarray(celeba.sample_images(images, 16, key=jax.random.key(1), flip=False))
    assert all(any(np.array_equal(np.rint(p * 255), im) for im in images) for p in plain)


def test_cache_sees_an_image_replaced_by_another_of_the_same_byte_size(tmp_path):
    """Before the fix the cache key held names and byte sizes only: an image replaced in place by another of the
    same size (uncompressed PNGs of equal shape, here with the old modification time put back) returned the
    old pixels from the cache."""
    import os

    folder = tmp_path / "png"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in (1, 2):
        Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(folder / f"{i:06d}.png",
                                                                                compress_level=0)
    before = celeba.load_celeba(folder, size=16, cache_dir=tmp_path / "cache")
    target = folder / "000002.png"
    stat = target.stat()
    Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(target, compress_level=0)
    assert target.stat().st_size == stat.st_size  # the same byte size: only the content differs
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same modification time
    after = celeba.load_celeba(folder, size=16, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], _oracle(target, 16))
    assert not np.array_equal(after[1], before[1])


def test_sixteen_bit_greyscale_is_scaled_to_eight_bits(tmp_path):
    """A 16-bit greyscale PNG (Pillow mode I;16): value v is the 8-bit grey round(v / 257) in every channel.
    Before the fix Pillow's RGB conversion clipped every value above 255, so the image came out near white."""
    folder = tmp_path / "grey16"
    folder.mkdir()
    rows = np.arange(H)[:, None] * np.ones((1, W))
    grey16 = (rows / (H - 1) * 65535).astype(np.uint16)  # a vertical ramp 0 .. 65535
    Image.fromarray(grey16).save(folder / "000001.png")
    out = celeba.load_celeba(folder, size=148, cache_dir=tmp_path / "cache")[0]  # 148: no resize, exact pixels
    expected = np.rint(grey16[35:183, 15:163] / 257.0).astype(np.uint8)
    for channel in out:
        np.testing.assert_array_equal(channel, expected)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk (from the PNG specification) claiming width x height, 8-bit RGB."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + chunk + end


def test_decompression_bomb_names_the_file(tmp_path):
    """A header claiming 20000 x 20000 pixels (4e8, over twice Pillow's MAX_IMAGE_PIXELS): before the fix
    Pillow's DecompressionBombError escaped without the file's name."""
    folder = _write_faces(tmp_path / "bomb", count=1)
    (folder / "000002.png").write_bytes(_png_header_only(20000, 20000))
    with pytest.raises(ValueError, match=re.escape(str(folder / "000002.png"))):
        celeba.load_celeba(folder, cache_dir=tmp_path / "cache")
    archive = _zip_folder(folder, tmp_path / "bomb.zip", junk=False)
    with pytest.raises(ValueError, match=re.escape("bomb.zip/img_align_celeba/000002.png")):
        celeba.load_celeba(archive, cache_dir=tmp_path / "cache")
