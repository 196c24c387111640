"""Animated outputs (.gif, .webp) and --side-by-side, through the real command.

One clip is painted once (3 frames at 64 px); the later outputs share its work folder
(same stem, same settings: encoder options are not part of them), so they only encode.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import assert_one_line_error, ffmpeg, run_cli, stream_facts

from framestyle.errors import EncodeError
from framestyle.io import ffmpeg as ffmpeg_module
from framestyle.io.ffmpeg import encoders
from framestyle.io.video import carries_audio, iter_frames, output_args, probe
from framestyle.pipeline import work_folder_for
from framestyle.store import FrameStore

TINY = ["--size", "64", "--frames", "3", "--first-iterations", "2", "-n", "2", "--keep-frames"]
SIZE = (64, 48)


def decode_rgb(path: Path) -> np.ndarray:
    """Every frame as RGB uint8 (n, h, w, 3), decoded by ffmpeg itself."""
    w, h = stream_facts(path)["size"]
    raw = subprocess.run(
        [
            ffmpeg(),
            "-v",
            "error",
            "-i",
            str(path),
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


@pytest.fixture(scope="module")
def painted(tmp_path_factory, bear, starry) -> Path:
    """o.mp4 painted from the clip; its work folder (kept) holds the 3 painted frames."""
    folder = tmp_path_factory.mktemp("anim")
    proc = run_cli("video", bear, starry, *TINY, "-o", folder / "o.mp4")
    assert proc.returncode == 0, proc.stderr
    return folder


def _stored(folder: Path) -> np.ndarray:
    store = FrameStore(work_folder_for(folder / "o.mp4"))
    return np.stack([store.load(i) for i in range(3)])


def test_gif_loops_at_the_clip_rate_with_its_colours(painted, bear, starry):
    gif = painted / "o.gif"
    proc = run_cli("video", bear, starry, *TINY, "-o", gif)
    assert proc.returncode == 0, proc.stderr
    assert "3 resumed" in proc.stderr  # an encode option: the same frames are reused
    assert "audio dropped: .gif holds no sound" in proc.stderr
    data = gif.read_bytes()
    assert data[:6] == b"GIF89a"
    assert b"NETSCAPE2.0\x03\x01\x00\x00" in data  # application extension: loop forever
    facts = stream_facts(gif)
    assert facts["frames"] == 3 and facts["size"] == SIZE and not facts["audio"]
    assert facts["fps"] == pytest.approx(30, abs=3.5)  # GIF delays are whole centiseconds
    gif_frames, mp4_frames = decode_rgb(gif), decode_rgb(painted / "o.mp4")
    stored = _stored(painted)
    # The palette keeps the painting's colours: per pixel (dithering) and on average.
    assert mad(gif_frames, mp4_frames) < 12, mad(gif_frames, mp4_frames)
    assert mad(gif_frames, stored) < 10, mad(gif_frames, stored)
    mean_gap = np.abs(gif_frames.mean(axis=(0, 1, 2)) - stored.mean(axis=(0, 1, 2)))
    assert mean_gap.max() < 3, mean_gap
    assert not list(painted.glob(".o.*"))  # no temporary left


def test_side_by_side_shows_the_original_on_the_left(painted, bear, starry):
    out = painted / "o.mkv"
    proc = run_cli("video", bear, starry, *TINY, "--side-by-side", "--crf", "0", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "3 resumed" in proc.stderr  # the work folder's manifest did not change
    facts = stream_facts(out)
    assert facts["size"] == (2 * SIZE[0], SIZE[1]) and facts["frames"] == 3
    frames = decode_rgb(out)
    originals = np.stack(list(iter_frames(probe(bear, max_frames=3), size=SIZE)))
    left, right = frames[:, :, : SIZE[0]], frames[:, :, SIZE[0] :]
    stored = _stored(painted)
    # Only chroma subsampling (yuv420p) stands between each half and its source...
    assert mad(left, originals) < 5, mad(left, originals)
    assert mad(right, stored) < 5, mad(right, stored)
    # ...and each half is much nearer its own source than the other's (not swapped, not one clip twice).
    assert mad(left, originals) < mad(left, stored) / 2
    assert mad(right, stored) < mad(right, originals) / 2


def test_webp_works_or_says_why_not(painted, bear, starry):
    out = painted / "o.webp"
    proc = run_cli("video", bear, starry, *TINY, "-o", out)
    if {"libwebp", "libwebp_anim"} & encoders():
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes()[8:12] == b"WEBP"
        assert stream_facts(out)["frames"] == 3
    else:
        assert_one_line_error(proc, "no libwebp encoder", ".webp")
        assert not out.exists()


def test_without_libwebp_webp_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(ffmpeg_module, "encoders", lambda: frozenset({"libx264", "gif"}))
    with pytest.raises(EncodeError, match=r"no libwebp encoder.*\.webp"):
        output_args(".webp", codec="libx264", crf=18)
    assert "-vf" in output_args(".gif", codec="libx264", crf=18)  # the palette filter, and
    assert not carries_audio(".gif")  # no sound in a GIF


def test_a_sequence_becomes_a_side_by_side_gif(tmp_path, bear, starry):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(iter_frames(probe(bear, max_frames=2), size=(80, 60))):
        cv2.imwrite(str(folder / f"f{i}.png"), frame[:, :, ::-1])
    out = tmp_path / "seq.gif"
    proc = run_cli(
        "images", folder, starry, "--sequence", "--to-video", out, "--side-by-side", *TINY[:2], *TINY[4:8], "-q"
    )
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(out)
    assert facts["frames"] == 2 and facts["size"] == (2 * SIZE[0], SIZE[1])
