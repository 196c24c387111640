import os

import cv2
import numpy as np
import pytest
from conftest import write_palette_png

from framestyle.errors import DecodeError, InputError, OutputError
from framestyle.io.files import atomic_path, check_output
from framestyle.io.images import read_image, write_image


def test_grayscale_rgba_16bit_and_palette_become_rgb_uint8(tmp_path):
    gray = np.arange(48, dtype=np.uint8).reshape(6, 8)
    cv2.imwrite(str(tmp_path / "gray.png"), gray)
    rgb = read_image(tmp_path / "gray.png")
    assert rgb.shape == (6, 8, 3) and rgb.dtype == np.uint8
    assert np.array_equal(rgb[:, :, 0], gray) and np.array_equal(rgb[:, :, 2], gray)

    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[..., 2] = 200  # red
    bgra[:2, :, 3] = 255  # top half opaque, bottom transparent
    cv2.imwrite(str(tmp_path / "rgba.png"), bgra)
    rgb = read_image(tmp_path / "rgba.png")
    assert rgb[0, 0].tolist() == [200, 0, 0]
    assert rgb[3, 0].tolist() == [255, 255, 255]  # transparent -> white

    deep = np.full((5, 5, 3), 65535, np.uint16)
    deep[..., 0] = 0
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    rgb = read_image(tmp_path / "deep.png")
    assert rgb.dtype == np.uint8 and rgb[0, 0].tolist() == [255, 255, 0]

    palette = np.array([[255, 0, 0], [0, 0, 255]])
    write_palette_png(tmp_path / "pal.png", np.array([[0, 1], [1, 0]]), palette)
    rgb = read_image(tmp_path / "pal.png")
    assert rgb[0, 0].tolist() == [255, 0, 0] and rgb[0, 1].tolist() == [0, 0, 255]


def test_max_side_shrinks_on_read(starry):
    rgb = read_image(starry, max_side=100)
    assert max(rgb.shape[:2]) == 100


def test_unreadable_inputs(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_image(tmp_path / "nope.jpg")
    with pytest.raises(InputError, match="directory"):
        read_image(tmp_path)
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_image(tmp_path / "empty.jpg")
    (tmp_path / "noise.jpg").write_bytes(os.urandom(2000))
    with pytest.raises(DecodeError, match="not a readable image"):
        read_image(tmp_path / "noise.jpg")


def test_write_is_atomic_and_round_trips(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, size=(9, 11, 3), dtype=np.uint8)
    out = tmp_path / "deep" / "er" / "x.png"
    write_image(out, rgb)
    assert np.array_equal(read_image(out), rgb)
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.png"]


def test_failed_write_leaves_nothing(tmp_path):
    final = tmp_path / "x.png"
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_unknown_output_format(tmp_path):
    with pytest.raises(OutputError, match=r"cannot write images as \.xyz"):
        write_image(tmp_path / "x.xyz", np.zeros((2, 2, 3), np.uint8))


def test_check_output_refuses_inputs_and_existing(tmp_path):
    a = tmp_path / "a.png"
    a.write_bytes(b"x")
    with pytest.raises(OutputError, match="is one of the inputs"):
        check_output(a, [a], overwrite=True)
    with pytest.raises(OutputError, match="already exists"):
        check_output(a, [], overwrite=False)
    check_output(a, [], overwrite=True)
