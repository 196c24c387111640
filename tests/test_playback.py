"""Frames as a player shows them (``io.playback``): what ``framestyle eval`` judges."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest
from conftest import make_clip

from framestyle.errors import DecodeError
from framestyle.io.playback import shown_frames
from framestyle.io.video import iter_frames, probe, write_video


def ycrcb(frames: list[np.ndarray]) -> np.ndarray:
    return np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2YCrCb) for f in frames]).astype(np.float32)


def test_colour_at_half_size_is_interpolated_not_repeated(tmp_path):
    rng = np.random.default_rng(5)
    texture = cv2.resize(rng.integers(0, 256, (12, 16, 3)).astype(np.uint8), (96, 64), interpolation=cv2.INTER_CUBIC)
    frames = [np.roll(texture, shift, axis=1) for shift in range(4)]
    path = tmp_path / "colour.mp4"
    write_video(path, frames, size=(96, 64), fps=Fraction(24), crf=0)  # lossless but for 4:2:0
    info = probe(path)
    repeated, shown = ycrcb(list(iter_frames(info))), ycrcb(list(shown_frames(info)))
    original = ycrcb(frames)
    assert repeated.shape == shown.shape == original.shape
    # OpenCV's colour is constant over each 2x2 block (but where RGB clips); a player's
    # varies inside it.
    block = repeated[:, ::2, ::2, 1:]
    assert np.median(np.abs(repeated[:, 1::2, 1::2, 1:] - block)) <= 1
    assert np.abs(shown[:, 1::2, 1::2, 1:] - shown[:, ::2, ::2, 1:]).mean() > 3
    miss = lambda decoded: np.abs(decoded[..., 1:] - original[..., 1:]).mean()  # noqa: E731
    assert miss(shown) < 0.8 * miss(repeated), (miss(shown), miss(repeated))
    # Brightness is the same: the luma the clip stores (BT.709's weights), whole in both.
    luma = lambda decoded: np.stack(decoded).astype(np.float32) @ np.float32([0.2126, 0.7152, 0.0722])  # noqa: E731
    assert np.abs(luma(list(shown_frames(info))) - luma(list(iter_frames(info)))).mean() < 1.5


@pytest.mark.parametrize("kind", ["variable rate", "rotated", "from a start"])
def test_the_same_frames_as_opencv_reads(tmp_path, kind):
    source = ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "30"]
    if kind == "variable rate":  # a pause after frame 10: nothing repeated to fill it
        clip = make_clip(
            tmp_path / "vfr.mp4", *source, "-vf", "setpts='(N/25+gt(N,10)*0.3)/TB'", "-fps_mode", "passthrough"
        )
        info = probe(clip)
        assert info.times is not None
    elif kind == "rotated":
        flat = make_clip(tmp_path / "flat.mp4", *source)
        clip = make_clip(tmp_path / "turned.mp4", "-display_rotation", "90", "-i", str(flat), "-c", "copy")
        info = probe(clip)
        assert (info.width, info.height) == (64, 96)
    else:
        clip = make_clip(tmp_path / "plain.mp4", *source)
        info = probe(clip, start_seconds=0.4, max_frames=6)
        assert info.start_frame == 10
    read, shown = list(iter_frames(info, size=(48, 32))), list(shown_frames(info, size=(48, 32)))
    assert len(read) == len(shown) == info.frames
    # testsrc2 moves every frame: a frame off by one would differ by far more than colour does.
    assert max(np.abs(a.astype(np.float32) - b).mean() for a, b in zip(read, shown)) < 4


def test_a_file_ffmpeg_cannot_decode_is_one_error(tmp_path):
    clip = make_clip(tmp_path / "ok.mp4", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "3")
    info = probe(clip)
    clip.write_bytes(b"not a video any more")
    with pytest.raises(DecodeError, match="could not decode it with ffmpeg"):
        list(shown_frames(info))
