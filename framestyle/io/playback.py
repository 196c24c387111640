"""A clip's frames as a player shows them, for judging a written clip.

Video stores colour at half size (4:2:0: one Cb, Cr sample per 2x2 pixels). OpenCV's
decoder (``video.iter_frames``, what framestyle paints from) converts to RGB through
swscale's fast path, which repeats each colour sample over its 2x2 pixels; players
(browsers, mpv, VLC, QuickTime) interpolate it. The blocks sit on a fixed grid, so
colour moving under them changes block by block: judged that way, bench_video's
painted bear written at yuv420p scored 1.13x its source's warping error, and 0.76x with
the colour interpolated as here (the pan 0.69x and 0.52x). ``framestyle eval`` judges
what a viewer sees, so it decodes both clips here, through ffmpeg with the colour
interpolated to full size (``full_chroma_int``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import numpy as np

from ..errors import DecodeError
from .ffmpeg import ffmpeg_exe
from .video import VideoInfo

# area: a box filter when shrinking (as ``images.resize_rgb``); full_chroma_int: colour
# interpolated to every pixel before the RGB conversion; accurate_rnd: no 8-bit shortcuts.
SCALE_FLAGS = "area+full_chroma_int+accurate_rnd"


def shown_frames(info: VideoInfo, *, size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """The frames ``iter_frames(info, size=size)`` gives (the same count, rotation, start
    and field of an interlaced clip), RGB uint8, with their colour interpolated as a player shows it."""
    width, height = size or (info.width, info.height)
    filters = f"scale={width}:{height}:flags={SCALE_FLAGS},format=rgb24"
    if info.start_frame:
        filters = f"select=gte(n\\,{info.start_frame}),{filters}"
    if info.first_field is not None:
        # As a player deinterlaces (ffmpeg's bwdif), one frame per frame, at the instant
        # of the field shown first, as ``video.deinterlace`` reads it for painting; before
        # the start is selected, so that the first frame has the one before it.
        parity = "tff" if info.first_field == 0 else "bff"
        deinterlace = f"bwdif=mode=send_frame:parity={parity}:deint=all"
        if info.field_columns:
            # ffmpeg turns the frames before any filter, so a quarter-turned clip's fields
            # reach bwdif as columns: transposed (transpose=0) to rows and back.
            deinterlace = f"transpose=0,{deinterlace},transpose=0"
        filters = f"{deinterlace},{filters}"
    command = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(info.path), "-map", "0:v:0", "-vf", filters]
    # passthrough: every decoded frame once, as OpenCV reads them (no frames repeated or
    # dropped to fit a constant rate).
    command += ["-fps_mode", "passthrough", "-frames:v", str(info.frames), "-f", "rawvideo", "-"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    size_bytes = width * height * 3
    shown = 0
    try:
        while chunk := process.stdout.read(size_bytes):
            if len(chunk) < size_bytes:
                break
            shown += 1
            # A copy the caller may write to (torch warns about read-only arrays).
            yield np.frombuffer(chunk, np.uint8).reshape(height, width, 3).copy()
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()  # the caller stopped early: the rest is not needed
        errors = process.stderr.read().decode(errors="replace").strip()
        process.stderr.close()
        code = process.wait()
    if shown == 0 and code != 0:
        last = errors.splitlines()[-1] if errors else f"ffmpeg exited with {code}"
        raise DecodeError(f"{info.path}: could not decode it with ffmpeg ({last})")
