"""Encoding through the ffmpeg binary that imageio-ffmpeg ships.

We drive the process ourselves rather than through ``imageio_ffmpeg.write_frames``:
that generator neither checks ffmpeg's exit status nor keeps its error output, so a
full disk or a bad codec would pass silently. Here a failed encode raises EncodeError
with ffmpeg's own last words, and the process is always reaped.
"""

from __future__ import annotations

import contextlib
import functools
import re
import subprocess
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import numpy as np

from ..errors import EncodeError
from .timed import frame_cluster, stream_header, ticks


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as err:
        raise EncodeError(f"no ffmpeg binary found ({err}); reinstall imageio-ffmpeg") from None


def ffmpeg_report(path: Path) -> str:
    """What ``ffmpeg -i`` says of a file (its stream list, on stderr): one run serves every
    parser of it (io.streams, io.probe)."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True, text=True, errors="replace"
    )
    return proc.stderr


def ffmpeg_message(stderr_text: str) -> str:
    """The most telling line of ffmpeg's complaints."""
    lines = [ln.strip() for ln in stderr_text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "No space left" in line:
            return "no space left on device"
    for line in reversed(lines):
        if any(word in line.lower() for word in ("error", "invalid", "unknown", "denied", "failed", "not")):
            return line[:300]
    return lines[-1][:300] if lines else "ffmpeg failed without a message"


class FfmpegWriter:
    """Feed RGB frames to an ffmpeg process writing ``path``.

    >>> with FfmpegWriter(path, (w, h), fps=24, output_args=[...]) as out:  # doctest: +SKIP
    ...     out.write(rgb_uint8)

    ``times``: each frame's time in seconds, then the end of the last one (frames + 1
    values, any origin), for a clip whose frames do not keep one rate; the output keeps
    them (``-fps_mode passthrough``) and ``fps`` only hints the encoder.
    """

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        *,
        fps: Fraction | float,
        output_args: Sequence[str],
        extra_inputs: Sequence[str] = (),
        times: Sequence[Fraction] | None = None,
    ) -> None:
        self.path = Path(path)
        self.size = size
        self.frames = 0
        self.times = None if times is None else [Fraction(t) - Fraction(times[0]) for t in times]
        rate = Fraction(fps).limit_denominator(100000)
        if self.times is None:
            source = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}", "-r", str(rate)]
            timing: list[str] = []
        else:
            source = ["-f", "matroska"]
            timing = ["-fps_mode", "passthrough"]  # neither drop nor repeat frames to even the rate
        self.command = [
            ffmpeg_exe(),
            "-nostdin",
            "-y",
            "-hide_banner",
            "-loglevel",
            "error",
            *source,
            "-i",
            "pipe:0",
            *extra_inputs,
            *timing,
            *output_args,
            str(self.path),
        ]
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(), with the process
        try:
            self._process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
            )
        except OSError as err:
            self._stderr.close()
            raise EncodeError(f"cannot start ffmpeg: {err.strerror or err}") from None
        assert self._process.stdin is not None  # stdin=PIPE
        self._stdin = self._process.stdin
        if self.times is not None:
            try:
                self._send(stream_header(size))
            except EncodeError:
                self._stderr.close()
                raise

    def __enter__(self) -> FfmpegWriter:
        return self

    def write(self, rgb_uint8: np.ndarray) -> None:
        h, w = rgb_uint8.shape[:2]
        if (w, h) != self.size:
            raise ValueError(f"frame is {w}x{h}, the writer expects {self.size[0]}x{self.size[1]}")
        data = np.ascontiguousarray(rgb_uint8, dtype=np.uint8).tobytes()
        if self.times is not None:
            if self.frames + 1 >= len(self.times):
                raise ValueError(f"{self.frames + 1} frames, but times for {len(self.times) - 1}")
            start, end = ticks(self.times[self.frames]), ticks(self.times[self.frames + 1])
            data = frame_cluster(data, start=start, duration=end - start)
        self._send(data)
        self.frames += 1

    def _send(self, data: bytes) -> None:
        try:
            self._stdin.write(data)
        except (BrokenPipeError, OSError):
            self._fail()

    def _read_stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def _fail(self) -> None:
        self._process.wait()
        # No file name here: the path is often a temporary the user never sees;
        # atomic_path names the real output.
        raise EncodeError(f"ffmpeg failed: {ffmpeg_message(self._read_stderr())}")

    def close(self) -> None:
        """Finish the file; raise EncodeError if ffmpeg did not succeed."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self._stdin.close()
        if self._process.wait() != 0:
            self._fail()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._process.kill()
        with contextlib.suppress(OSError, ValueError):
            self._stdin.close()
        self._process.wait()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                self.close()
            else:
                self.abort()
        finally:
            self._stderr.close()


def h264_args(*, crf: int = 18, codec: str = "libx264", preset: str = "medium") -> list[str]:
    args = ["-c:v", codec, "-pix_fmt", "yuv420p"]
    if codec == "libx264":
        args += ["-crf", str(crf), "-preset", preset]
    return args + ["-movflags", "+faststart"]


@functools.cache
def encoder_codecs() -> dict[str, str]:
    """This ffmpeg's video encoders and the codec each makes (``ffmpeg -encoders``):
    ``{"libx264": "h264", "libvpx-vp9": "vp9", "mpeg4": "mpeg4", ...}``."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-encoders"], capture_output=True, text=True, errors="replace"
    )
    found: dict[str, str] = {}
    # Lines read " V....D libx264   description (codec h264)"; the first column is six flag
    # letters. An encoder named after its codec ("mpeg4") has no "(codec ...)" at the end.
    for line in proc.stdout.splitlines():
        row = line.split()
        if len(row) >= 2 and len(row[0]) == 6 and row[0].startswith("V"):
            named = re.search(r"\(codec (\w+)\)\s*$", line)
            found[row[1]] = named.group(1) if named else row[1]
    return found


@functools.cache
def encoder_pixel_formats(encoder: str) -> frozenset[str]:
    """The pixel formats ``encoder`` takes (``ffmpeg -h encoder=NAME``); empty when this
    ffmpeg has no such encoder or does not list them."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-h", f"encoder={encoder}"],
        capture_output=True,
        text=True,
        errors="replace",
    )
    listed = re.search(r"Supported pixel formats:([^\n]*)", proc.stdout)
    return frozenset(listed.group(1).split()) if listed else frozenset()


def encoders() -> frozenset[str]:
    """The video encoders this ffmpeg binary was built with (``ffmpeg -encoders``)."""
    return frozenset(encoder_codecs())


def gif_args(*, moving: bool = False) -> list[str]:
    """A looping GIF with one palette for the whole animation, built from its own frames
    in the same pass (palettegen sees every frame before paletteuse maps the first).

    ``moving``: frames of a clip rather than an optimization's steps; only the rectangle
    that changed between frames is re-dithered, so still areas do not shimmer.
    """
    # stats_mode=full: the palette covers every frame's colours, not only what moves,
    # since a painting's colours are everywhere. Error diffusion (sierra2_4a) keeps the
    # style's gradients with little visible pattern.
    use = "paletteuse=dither=sierra2_4a" + (":diff_mode=rectangle" if moving else "")
    # A simple filter graph (-vf), so that a caller's -map still selects the one video stream.
    return ["-vf", f"split[a][b];[a]palettegen=stats_mode=full[p];[b][p]{use}", "-loop", "0"]


def webp_args(*, crf: int = 18) -> list[str]:
    """A looping animated WebP; EncodeError when this ffmpeg has no libwebp encoder."""
    available = encoders()
    codec = next((c for c in ("libwebp_anim", "libwebp") if c in available), None)
    if codec is None:
        raise EncodeError("this ffmpeg has no libwebp encoder, so it cannot write .webp; use .gif or .mp4")
    # crf 0 asks for lossless, as it does for H.264; otherwise a high fixed quality.
    quality = ["-lossless", "1"] if crf == 0 else ["-lossless", "0", "-quality", "90"]
    return ["-c:v", codec, *quality, "-loop", "0"]


def write_animation(path: Path, frames: Sequence[np.ndarray], *, fps: float, hold_last: float = 1.0) -> None:
    """Write frames (same size, RGB uint8) as a GIF or an H.264 MP4, chosen by suffix.

    The last frame is held for ``hold_last`` seconds so the animation visibly ends on it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise EncodeError(f"animations are written as .gif or .mp4, not {suffix or 'no extension'}: {path}")
    if not frames:
        raise EncodeError("no frames to animate")
    h, w = frames[0].shape[:2]
    if suffix == ".mp4":
        # yuv420p needs even sides: drop at most one edge row/column rather than rescale.
        frames = [f[: h - h % 2, : w - w % 2] for f in frames]
        h, w = h - h % 2, w - w % 2
        args = h264_args(crf=18)
    else:
        args = gif_args()
    tail = [frames[-1]] * max(0, round(hold_last * fps) - 1)
    with FfmpegWriter(path, (w, h), fps=fps, output_args=args) as writer:
        for frame in [*frames, *tail]:
            writer.write(frame)
