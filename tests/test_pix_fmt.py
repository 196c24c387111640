"""Colour as written: tagged, so that players show the painted colours; at full size
(``--pix-fmt yuv444p``) a written clip keeps its colour strokes; encoders and formats
that cannot store it are refused up front."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import assert_nothing_lost, assert_one_line_error, ffmpeg, run_cli, snapshot

from framestyle.errors import EncodeError
from framestyle.evaluate import warping_errors
from framestyle.io.ffmpeg import encoder_pixel_formats
from framestyle.io.playback import shown_frames
from framestyle.io.video import iter_frames, output_args, probe, write_video

TINY = ["--size", "64", "--frames", "3", "--first-iterations", "4", "-n", "2", "--pass-iterations", "2", "-q"]


def pixel_format(path: Path) -> str:
    report = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    found = re.search(r"Video: \w+.*?, (yuv\w+)", report)
    assert found, report
    return found.group(1)


def chroma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float32)


def moving_colour_texture(count: int = 12) -> list[np.ndarray]:
    """A fine random colour texture sliding 0.4 px a frame (as painted strokes do under a pan)."""
    rng = np.random.default_rng(3)
    texture = cv2.resize(rng.integers(0, 256, (40, 60, 3)).astype(np.uint8), (180, 120), interpolation=cv2.INTER_CUBIC)
    frames = []
    for index in range(count):
        shift = np.float32([[1, 0, -0.4 * index], [0, 1, -0.2 * index]])
        frames.append(cv2.warpAffine(texture, shift, (96, 64), flags=cv2.INTER_LINEAR))
    return frames


def written(frames: list[np.ndarray], path: Path, pix_fmt: str) -> list[np.ndarray]:
    write_video(path, frames, size=(96, 64), fps=Fraction(24), pix_fmt=pix_fmt)
    assert pixel_format(path) == pix_fmt
    return list(shown_frames(probe(path)))  # as a player shows them, as `eval` judges


# Saturated red, green, blue and yellow, a skin tone and grey.
PATCHES = np.array([[200, 40, 40], [40, 180, 60], [50, 60, 200], [240, 220, 40], [220, 180, 150], [128, 128, 128]])


def as_bt709(path: Path, size: tuple[int, int]) -> np.ndarray:
    """The first frame as a player that takes the clip for BT.709 shows it (most do for HD)."""
    command = [ffmpeg(), "-v", "error", "-i", str(path), "-frames:v", "1", "-vf", "scale=in_color_matrix=bt709"]
    raw = subprocess.run([*command, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(size[1], size[0], 3)


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_written_colours_are_tagged_so_players_show_them_as_painted(tmp_path, suffix):
    # Untagged, ffmpeg stored the frames with BT.601's matrix, and a player taking the
    # clip for BT.709 showed the green patch 22 levels off.
    picture = np.repeat(np.repeat(PATCHES[None].astype(np.uint8), 48, axis=0), 16, axis=1)
    path = tmp_path / f"patches{suffix}"
    write_video(path, [picture] * 2, size=(96, 48), fps=Fraction(24))
    info = probe(path)
    for shown in (as_bt709(path, (96, 48)), next(shown_frames(info)), next(iter_frames(info))):
        assert np.abs(shown[24, 8::16].astype(int) - PATCHES).max() <= 4
    report = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    # Matrix, primaries and transfer curve all tagged (ffmpeg names them once when equal).
    assert re.search(r"Video: .*yuv420p\(tv, bt709, progressive\)", report), report


def test_full_colour_keeps_the_colour_strokes(tmp_path):
    frames = moving_colour_texture()
    half = written(frames, tmp_path / "half.mp4", "yuv420p")
    full = written(frames, tmp_path / "full.mp4", "yuv444p")

    def colour_error(decoded: list[np.ndarray]) -> float:
        return float(np.mean([np.abs(chroma(d) - chroma(f)).mean() for d, f in zip(decoded, frames)]))

    assert colour_error(full) < 0.5 * colour_error(half), (colour_error(full), colour_error(half))
    # The frames come back as they were, moving as they did (their own warping error).
    assert 0.9 < warping_errors(full, frames).ratio < 1.2


def test_formats_and_encoders_that_cannot_store_full_colour_are_refused():
    assert "yuv444p" in output_args(".mkv", codec="auto", crf=18, pix_fmt="yuv444p")
    assert "yuv444p" in output_args(".webm", codec="auto", crf=18, pix_fmt="yuv444p")  # VP9 profile 1
    for suffix in (".gif", ".webp"):
        with pytest.raises(EncodeError, match="video containers"):
            output_args(suffix, codec="auto", crf=18, pix_fmt="yuv444p")
    # Encoders that store colour at half size only: ffmpeg would quietly write 4:2:0.
    half_only = [
        e for e in ("libsvtav1", "mpeg4") if encoder_pixel_formats(e) - {"yuv444p"} == encoder_pixel_formats(e)
    ]
    half_only = [e for e in half_only if encoder_pixel_formats(e)]
    assert half_only, "this ffmpeg has none of the 4:2:0-only encoders the test expects"
    for encoder in half_only:
        with pytest.raises(EncodeError, match=f"{encoder} encoder cannot store yuv444p colour; use `codec` libx264"):
            output_args(".mkv", codec=encoder, crf=18, pix_fmt="yuv444p")


def test_cli_writes_full_colour_and_refuses_it_for_a_gif(tmp_path, bear, starry):
    out = tmp_path / "bear_full.mkv"
    dry = run_cli("video", bear, starry, *TINY, "--pix-fmt", "yuv444p", "-o", out, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "(libx264, yuv444p)" in dry.stdout
    proc = run_cli("video", bear, starry, *TINY, "--pix-fmt", "yuv444p", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert pixel_format(out) == "yuv444p" and len(list(iter_frames(probe(out)))) == 3

    before = snapshot(tmp_path)
    gif = run_cli("video", bear, starry, *TINY, "--pix-fmt", "yuv444p", "-o", tmp_path / "bear.gif")
    assert_one_line_error(gif, "yuv444p", ".gif")
    odd = run_cli("video", bear, starry, *TINY, "--pix-fmt", "yuv422p", "-o", tmp_path / "bear.mp4")
    assert odd.returncode == 2 and "Traceback" not in odd.stderr and "yuv422p" in odd.stderr
    assert_nothing_lost(before, tmp_path)


def test_an_ordered_folder_is_encoded_in_full_colour(tmp_path, starry):
    shots = tmp_path / "shots"
    shots.mkdir()
    for index, frame in enumerate(moving_colour_texture(3)):
        cv2.imwrite(str(shots / f"f{index}.png"), frame[:, :, ::-1])
    out = tmp_path / "seq.mkv"
    args = ["--size", "64", "--first-iterations", "4", "-n", "2", "--pass-iterations", "2", "-q"]
    proc = run_cli("images", shots, starry, "--sequence", "--to-video", out, "--pix-fmt", "yuv444p", *args)
    assert proc.returncode == 0, proc.stderr
    assert pixel_format(out) == "yuv444p" and len(list(iter_frames(probe(out)))) == 3
