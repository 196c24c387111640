import numpy as np
import torch

from framestyle.tensors import (
    fit_long_side,
    resize,
    scale_ladder,
    split_iterations,
    to_rgb_uint8,
    to_tensor,
)


def test_round_trip_is_exact():
    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 9, 3), dtype=np.uint8)
    t = to_tensor(rgb)
    assert t.shape == (1, 3, 7, 9) and t.dtype == torch.float32
    assert float(t.min()) >= 0 and float(t.max()) <= 1
    assert t.is_contiguous()
    assert np.array_equal(to_rgb_uint8(t), rgb)


def test_out_of_range_values_are_clipped():
    t = torch.tensor([-0.5, 0.5, 1.5]).view(1, 3, 1, 1)
    assert to_rgb_uint8(t).tolist() == [[[0, 128, 255]]]


def test_fit_long_side():
    assert fit_long_side(1024, 640, 512) == (512, 320)
    assert fit_long_side(300, 451, 64) == (43, 64)
    assert fit_long_side(853, 480, 96, even=True) == (96, 54)
    # 64x42 would be 1.4% too wide (64x44, before, 3% too narrow): the long side moves to 66.
    assert fit_long_side(451, 300, 65, even=True) == (66, 44)
    assert fit_long_side(176 * 135 / 121, 144, 64, even=True) == (66, 48)  # display 15:11


def test_scale_ladder_halves_and_stops_at_min_side():
    assert scale_ladder(512, 384, 3) == [(128, 96), (256, 192), (512, 384)]
    assert scale_ladder(64, 48, 3) == [(64, 48)]


def test_split_iterations_favours_small_scales():
    assert split_iterations(70, 3) == [40, 20, 10]
    assert sum(split_iterations(101, 3)) == 101
    assert split_iterations(2, 3) == [1, 1, 1]  # every scale gets a step


def test_resize_keeps_range():
    x = torch.rand(1, 3, 20, 30)
    y = resize(x, (15, 10))
    assert y.shape == (1, 3, 10, 15)
    assert float(y.min()) >= 0 and float(y.max()) <= 1
