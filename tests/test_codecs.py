"""Sources in the codecs and pixel formats cameras, editors and the web write are read in
their own colours: 10-bit, 4:2:2, full range, BT.709 or BT.601, grey, RGB, with alpha.

Each clip is made here from ffmpeg's smooth colour gradients and read the way painting
reads it (OpenCV, ``iter_frames``); the truth is ffmpeg's own decode, converting to RGB
with the matrix and range the stream is tagged with and the colour interpolated. A
reader that took the wrong matrix or range would miss the truth by 6 to 15 levels on
average; colour repeated over 2x2 pixels instead of interpolated (OpenCV, 8-bit 4:2:0)
costs 2 to 3.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ffmpeg, make_clip, run_cli

from framestyle.io.ffmpeg import encoders
from framestyle.io.video import iter_frames, probe

WIDTH, HEIGHT = 128, 72
GRADIENTS = [
    "-f",
    "lavfi",
    "-i",
    f"gradients=size={WIDTH}x{HEIGHT}:rate=25:duration=0.24:speed=0.05:seed=1:nb_colors=4:c0=0xc03030:c1=0x3040c0:c2=0x30b040:c3=0xc0b030",
]
BT709 = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]

# name -> (filter, encoder arguments); every one of these is read with colour decisions
# of its own (bit depth, chroma size, range, matrix, alpha, no chroma at all).
CLIPS: dict[str, tuple[str, list[str]]] = {
    "h264 4:2:0 BT.709.mp4": ("format=yuv420p", ["-c:v", "libx264", *BT709]),
    "h264 4:2:0 10-bit.mkv": ("format=yuv420p10le", ["-c:v", "libx264"]),
    "hevc 4:2:0 10-bit BT.709.mp4": (
        "format=yuv420p10le",
        ["-c:v", "libx265", "-x265-params", "log-level=none", *BT709],
    ),
    "prores 4:2:2 10-bit.mov": ("format=yuv422p10le", ["-c:v", "prores_ks"]),
    "av1 4:2:0.mkv": ("format=yuv420p", ["-c:v", "libaom-av1", "-cpu-used", "8"]),
    "vp9 with alpha.webm": ("format=yuva420p", ["-c:v", "libvpx-vp9", "-deadline", "realtime"]),
    "mjpeg full range 4:2:2.avi": ("format=yuvj422p", ["-c:v", "mjpeg", "-q:v", "2"]),
    "mpeg-2.ts": ("format=yuv420p", ["-c:v", "mpeg2video", "-q:v", "2"]),
    "ffv1 grey.mkv": ("format=gray", ["-c:v", "ffv1"]),
    "ffv1 RGB.mkv": ("format=gbrp", ["-c:v", "ffv1"]),
    "png with alpha.mov": ("format=rgba", ["-c:v", "png"]),
}


def decoded_by_ffmpeg(path: Path, matrix: str = "auto") -> np.ndarray:
    """Every frame as ffmpeg converts it to RGB: the stream's own matrix and range (or
    ``matrix``), colour interpolated to every pixel."""
    scale = f"scale=in_color_matrix={matrix}:flags=full_chroma_int+accurate_rnd,format=rgb24"
    raw = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(path), "-vf", scale, "-f", "rawvideo", "-"], capture_output=True, check=True
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3).astype(np.float32)


def make(folder: Path, name: str) -> Path:
    pixels, encoder = CLIPS[name]
    if encoder[1] not in encoders():
        pytest.skip(f"this ffmpeg has no {encoder[1]} encoder")
    return make_clip(folder / name, *GRADIENTS, "-vf", pixels, *encoder)


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_each_source_format_is_read_in_its_own_colours(tmp_path, name):
    clip = make(tmp_path, name)
    info = probe(clip)
    assert (info.width, info.height, info.frames) == (WIDTH, HEIGHT, 6)
    read = np.stack(list(iter_frames(info))).astype(np.float32)
    truth = decoded_by_ffmpeg(clip)
    assert read.shape == truth.shape
    error = float(np.abs(read - truth).mean())
    if name.startswith("ffv1") or name.startswith("png"):
        assert error < 0.5, error  # no colour conversion to differ in
        return
    # The other matrix (BT.601 for a BT.709 clip, and the other way round) misses by far more.
    other = decoded_by_ffmpeg(clip, "bt601" if "BT.709" in name else "bt709")
    assert error < 3.5 and error < 0.5 * float(np.abs(other - truth).mean()), error


def test_a_10_bit_hevc_clip_is_painted(tmp_path, starry):
    clip = make(tmp_path, "hevc 4:2:0 10-bit BT.709.mp4")
    out = tmp_path / "painted.mp4"
    tiny = ["--size", "48", "--frames", "3", "--first-iterations", "2", "-n", "1", "--pass-iterations", "1", "-q"]
    proc = run_cli("video", str(clip), str(starry), "-o", str(out), *tiny)
    assert proc.returncode == 0, proc.stderr[-2000:]
    painted = probe(out)
    assert painted.frames == 3 and painted.width <= 48
    assert abs(painted.width / painted.height / (WIDTH / HEIGHT) - 1) < 0.01  # even sides, the shape kept
