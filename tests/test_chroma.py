"""Colour detail is softened before 4:2:0 encoding, so moving colour strokes do not flicker."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from framestyle.evaluate import warping_errors
from framestyle.io import video as video_io
from framestyle.io.images import read_image
from framestyle.io.video import iter_frames, probe, soften_chroma, write_video


def luma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32)


def chroma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float32)


def test_only_fine_colour_detail_is_softened(starry):
    painting = read_image(starry, max_side=256)
    soft = soften_chroma(painting)
    assert np.abs(luma(soft) - luma(painting)).mean() < 1.0  # brightness (and its detail) kept
    detail = lambda c: np.abs(c - cv2.GaussianBlur(c, (0, 0), 2)).mean()  # noqa: E731
    assert detail(chroma(soft)) < 0.7 * detail(chroma(painting))
    flat = np.full((8, 8, 3), (200, 40, 90), np.uint8)
    assert np.array_equal(soften_chroma(flat), flat)
    grey = np.repeat(painting[..., :1], 3, axis=2)
    assert np.abs(soften_chroma(grey).astype(int) - grey).max() <= 1  # no colour: nothing to soften
    framed = painting.copy()
    framed[:20] = 0  # a letterbox bar against the painting's colours
    assert soften_chroma(framed)[:20].max() <= 2  # black keeps its (lack of) colour


def _moving_colour_texture(count: int = 12) -> list[np.ndarray]:
    """A fine random colour texture sliding 0.4 px a frame (as painted strokes do under a pan)."""
    rng = np.random.default_rng(3)
    texture = cv2.resize(rng.integers(0, 256, (40, 60, 3)).astype(np.uint8), (180, 120), interpolation=cv2.INTER_CUBIC)
    frames = []
    for index in range(count):
        shift = np.float32([[1, 0, -0.4 * index], [0, 1, -0.2 * index]])
        frames.append(cv2.warpAffine(texture, shift, (96, 64), flags=cv2.INTER_LINEAR))
    return frames


def _written(frames: list[np.ndarray], path: Path) -> list[np.ndarray]:
    write_video(path, frames, size=(96, 64), fps=Fraction(24))
    return list(iter_frames(probe(path)))


def test_written_video_flickers_less_with_softened_colour(tmp_path, monkeypatch):
    frames = _moving_colour_texture()
    softened = warping_errors(_written(frames, tmp_path / "soft.mp4"), frames)
    monkeypatch.setattr(video_io, "soften_chroma", lambda rgb: rgb)
    raw = warping_errors(_written(frames, tmp_path / "raw.mp4"), frames)
    assert softened.ratio < 0.9 * raw.ratio, (softened.ratio, raw.ratio)
