"""Image loaders of toyvae.data.images on small files written here (no download, no real data)."""

from __future__ import annotations

import gzip
import struct

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from toyvae.data.images import load_digits01, load_image_folder, load_mnist_idx  # noqa: E402


def _idx_bytes(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file written by hand from the format description (independent of the loader)."""
    header = struct.pack(">HBB", 0, type_code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_digits01_range_and_shape():
    x = load_digits01()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.allclose(x * 16, np.round(x * 16))  # 17 grey levels, exactly representable


@pytest.mark.parametrize("compress", [False, True])
def test_idx_images_roundtrip(tmp_path, compress):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(5, 3, 4), dtype=np.uint8)
    raw = _idx_bytes(imgs)
    path = tmp_path / ("imgs.idx3-ubyte" + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(raw) if compress else raw)
    x = load_mnist_idx(path)
    assert x.shape == (5, 12) and x.dtype == np.float32
    np.testing.assert_array_equal(x, imgs.reshape(5, 12) / np.float32(255.0))  # exact: same float32 division
    np.testing.assert_array_equal(load_mnist_idx(str(path), scale=False), imgs)


def test_idx_labels_and_other_dtypes(tmp_path):
    labels = np.array([7, 2, 1, 0, 4], np.uint8)
    (tmp_path / "labels").write_bytes(_idx_bytes(labels))
    np.testing.assert_array_equal(load_mnist_idx(tmp_path / "labels"), labels)
    ints = np.arange(-3, 3, dtype=np.int32).reshape(2, 3)
    (tmp_path / "ints").write_bytes(_idx_bytes(ints, 0x0C))
    out = load_mnist_idx(tmp_path / "ints")
    np.testing.assert_array_equal(out, ints)
    assert out.dtype == np.int32


def test_idx_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_mnist_idx(tmp_path / "missing")
    with pytest.raises(ValueError, match="path: no such file"):  # also a ValueError naming the parameter
        load_mnist_idx(tmp_path / "missing")
    with pytest.raises(ValueError, match="folder"):
        load_mnist_idx(tmp_path)
    with pytest.raises(ValueError, match="path must be a str"):
        load_mnist_idx(3)
    (tmp_path / "short").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short"):
        load_mnist_idx(tmp_path / "short")
    (tmp_path / "png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    with pytest.raises(ValueError, match="not an IDX file"):
        load_mnist_idx(tmp_path / "png")
    good = _idx_bytes(np.zeros((2, 2, 2), np.uint8))
    (tmp_path / "truncated").write_bytes(good[:-1])
    with pytest.raises(ValueError, match="announces shape"):
        load_mnist_idx(tmp_path / "truncated")
    (tmp_path / "badgz.gz").write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(ValueError, match="gzip"):
        load_mnist_idx(tmp_path / "badgz.gz")


def test_folder_crop_resize_and_order(tmp_path):
    # a 4 x 8 image: the centred 4 x 4 square is white, the two side bands are black
    wide = np.zeros((4, 8, 3))
    wide[:, 2:6] = 1.0
    mpimg.imsave(tmp_path / "b.png", wide)
    # a grey 6 x 6 image saved through a colormap (RGBA file): value 0.5 -> grey
    mpimg.imsave(tmp_path / "a.png", np.full((6, 6), 0.5), cmap="gray", vmin=0.0, vmax=1.0)
    (tmp_path / "notes.txt").write_text("not an image")  # ignored: wrong suffix
    x = load_image_folder(tmp_path, size=2)
    assert x.shape == (2, 2, 2, 3) and x.dtype == np.float32
    # sorted order: a.png first; 8-bit grey level of 0.5 through matplotlib's gray map, 1/255 tolerance
    assert np.all(np.abs(x[0] - 0.5) <= 1.0 / 255 + 1e-6)
    np.testing.assert_array_equal(x[1], 1.0)  # only the white centre survives the crop
    assert load_image_folder(tmp_path, size=3, limit=1).shape == (1, 3, 3, 3)


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="holds no image"):
        load_image_folder(tmp_path)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="size"):
            load_image_folder(tmp_path, size=bad)
    with pytest.raises(ValueError, match="limit"):
        load_image_folder(tmp_path, limit=0)
    (tmp_path / "file.png").write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match="cannot decode image file .*file.png"):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="got a file"):
        load_image_folder(tmp_path / "file.png")
