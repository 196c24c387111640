"""Video in (OpenCV, streamed) and out (ffmpeg from imageio-ffmpeg, audio carried over).

This is the only place where OpenCV's BGR frames become RGB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..errors import DecodeError, EncodeError
from ..letterbox import Bars, DarkEdges
from .containers import audio_args, audio_tracks, video_args
from .ffmpeg import FfmpegWriter, ffmpeg_report, gif_args, webp_args
from .files import require_file
from .images import resize_rgb
from .probe import first_field_lines, frame_sar, parse_stream_facts, read_clock
from .streams import Stream, list_streams, parse_streams

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".flv", ".gif"})
ANIMATED_EXTENSIONS = frozenset({".gif", ".webp"})  # looping animations: no sound
OUTPUT_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm"}) | ANIMATED_EXTENSIONS


BARS_SAMPLES = 16  # frames probe looks at for letterbox bars (each about 20 ms at 720p here)


def carries_audio(suffix: str) -> bool:
    """Whether a video written as ``suffix`` can hold a sound track (GIF and WebP cannot)."""
    return suffix.lower() not in ANIMATED_EXTENSIONS


@dataclass(frozen=True)
class VideoInfo:
    """What a clip holds, as far as we will read it (after --start and --frames)."""

    path: Path
    width: int  # as displayed: rotation metadata applied
    height: int
    fps: Fraction
    frames: int  # frames that actually decode
    container_frames: int  # what the container claims (not trusted)
    has_audio: bool
    start_frame: int
    streams: tuple[Stream, ...] = ()  # every stream of the file, as ffmpeg lists them
    # Width over height of one pixel of the frames as read (rotation applied): a clip
    # stored anamorphic (DVD, DV, some webcams) is shown wider or taller than its pixels.
    sar: Fraction = Fraction(1)
    # A variable-rate clip's frame times (seconds from the file's start), then the end of
    # the last frame: frames + 1 values. None: the frames keep to ``fps``.
    times: tuple[Fraction, ...] | None = None
    # Letterbox or pillarbox bars every sampled frame has, in pixels as read.
    bars: Bars = Bars()
    # Interlaced: the lines of the field shown first, as read (0 even, 1 odd), which
    # ``iter_frames`` keeps as it deinterlaces (``deinterlace``). None: progressive.
    first_field: int | None = None
    # The fields' lines are columns: an interlaced clip turned a quarter for display.
    field_columns: bool = False

    @property
    def interlaced(self) -> bool:
        return self.first_field is not None

    @property
    def display_size(self) -> tuple[float, float]:
        """(width, height) as shown: the pixels stretched by the SAR (not rounded)."""
        return self.width * float(self.sar), float(self.height)

    @property
    def dar(self) -> Fraction:
        """Display aspect ratio: shown width over shown height."""
        return self.width * self.sar / self.height

    @property
    def variable_rate(self) -> bool:
        return self.times is not None

    @property
    def duration(self) -> float:
        if self.times is not None:
            return float(self.times[-1] - self.times[0])
        return float(self.frames / self.fps)

    @property
    def start_seconds(self) -> float:
        if self.times is not None:
            return float(self.times[0])
        return float(self.start_frame / self.fps)


def _open(path: Path) -> cv2.VideoCapture:
    path = require_file(Path(path), "video")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise DecodeError(f"{path} is not a video OpenCV can open (corrupt, truncated or not a video)")
    # Rotation metadata (phones) is applied by OpenCV's FFmpeg backend; ask for it explicitly.
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def _exact_fps(cap: cv2.VideoCapture, path: Path) -> Fraction:
    fps = cap.get(cv2.CAP_PROP_FPS)
    if not fps or fps <= 0 or fps != fps or fps > 1000:
        raise DecodeError(f"{path} has no usable frame rate")
    # OpenCV gives a float; NTSC rates come back as 30000/1001 and friends.
    return Fraction(fps).limit_denominator(1001)


def probe(path: Path, *, start_seconds: float = 0.0, max_frames: int | None = None) -> VideoInfo:
    """Open a clip and count the frames that really decode (from ``start_seconds``, at most
    ``max_frames``). Memory stays flat: frames are decoded and dropped."""
    path = Path(path)
    cap = _open(path)
    try:
        fps = _exact_fps(cap, path)
        container = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        # Frame times first: on a variable-rate clip they decide where --start lands.
        clock = read_clock(path, fps=fps, start_seconds=start_seconds, max_frames=max_frames)
        start_frame = clock.start_frame
        for _ in range(start_frame):
            if not cap.grab():
                break
        ok, first = cap.read()
        if not ok or first is None:
            if start_frame:
                raise DecodeError(f"{path}: no frame decodes at or after {start_seconds:g}s")
            raise DecodeError(f"{path}: no frame could be decoded (unsupported codec or damaged file)")
        height, width = first.shape[:2]
        edges = DarkEdges()
        edges.add(first)
        # About BARS_SAMPLES frames spread over the clip (the container's count, though not
        # trusted, is good enough for the spacing); decoding each costs a few ms.
        every = max(1, (max_frames or container or BARS_SAMPLES * 30) // BARS_SAMPLES)
        count = 1
        while (max_frames is None or count < max_frames) and cap.grab():
            if count % every == 0:
                ok, frame = cap.retrieve()
                if ok and frame is not None and frame.shape[:2] == (height, width):
                    edges.add(frame)
            count += 1
    finally:
        cap.release()
    report = ffmpeg_report(path)
    streams = tuple(parse_streams(report))
    facts = parse_stream_facts(report)
    first_field, field_columns = first_field_lines(facts, (width, height)) or (None, False)
    return VideoInfo(
        path=path,
        width=width,
        height=height,
        fps=fps,
        frames=count,
        container_frames=container,
        has_audio=any(stream.kind == "audio" for stream in streams),
        start_frame=start_frame,
        streams=streams,
        sar=frame_sar(facts, (width, height)),
        times=clock.times_for(count),
        bars=edges.bars(),
        first_field=first_field,
        field_columns=field_columns,
    )


def iter_frames(info: VideoInfo, *, size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """The clip's frames as RGB uint8, resized to ``size`` (width, height), one at a time."""
    cap = _open(info.path)
    previous: np.ndarray | None = None  # the last frame as woven, for ``deinterlace``
    try:
        for _ in range(info.start_frame):
            if not cap.grab():
                return
        for _ in range(info.frames):
            ok, bgr = cap.read()
            if not ok or bgr is None:
                return
            if bgr.ndim == 2:
                bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
            rgb = np.ascontiguousarray(bgr[:, :, ::-1])
            if info.first_field is not None:
                # A quarter turn made the fields columns: deinterlaced transposed.
                woven = rgb.transpose(1, 0, 2) if info.field_columns else rgb
                picture = deinterlace(woven, keep=info.first_field, previous=previous)
                rgb = np.ascontiguousarray(picture.transpose(1, 0, 2)) if info.field_columns else picture
                previous = woven
            yield resize_rgb(rgb, size) if size is not None else rgb
    finally:
        cap.release()


# How far (8-bit levels) a line of the second field may stand outside its neighbours in
# the first, or differ from itself a frame earlier, and still count as still. On a fast
# pan (576i, 6 px a field) and on bear (30i, slow), 3 to 16 levels all came within 0.5
# levels of each other's error.
COMB_TOLERANCE = 6


def deinterlace(woven: np.ndarray, *, keep: int = 0, previous: np.ndarray | None = None) -> np.ndarray:
    """An interlaced frame as one picture at the instant of the field in rows ``keep``
    (0 the even rows, 1 the odd ones: the field shown first). Its two fields were taken
    a field's time apart, so whatever moved shows as combs of alternating lines;
    painted, they become brush strokes that flicker, and the flow between woven frames
    is that of neither field. The kept field's lines stay as they are. A line of the
    other field is replaced by the mean of the lines above and below it where it stands
    outside them (a comb) and has changed since ``previous`` (the last frame, woven):
    still detail, even a line one pixel thin, is kept. The spatial and temporal checks
    of yadif (Fiedler's deinterlacer in ffmpeg), in a light form. The first and last
    rows have one neighbour and are kept. Measured against progressive frames at the
    kept field's instants (mean absolute error, 8-bit): a fast pan at 576i 9.97 woven,
    6.91 with the kept field alone, 5.06 this way; slow bear at 30i 2.81, 4.78, 2.89."""
    rows = np.arange(1 + keep, woven.shape[0] - 1, 2)  # the other field's, with lines on both sides
    frame = woven.astype(np.int16)
    above, line, below = frame[rows - 1], frame[rows], frame[rows + 1]
    low = np.minimum(above, below) - COMB_TOLERANCE
    high = np.maximum(above, below) + COMB_TOLERANCE
    combed = ((line < low) | (line > high)).any(axis=2, keepdims=True)
    if previous is not None:
        moved = np.abs(line - previous[rows].astype(np.int16)) > COMB_TOLERANCE
        combed &= moved.any(axis=2, keepdims=True)
    out = woven.copy()
    out[rows] = np.where(combed, (above + below + 1) // 2, line).astype(np.uint8)
    return out


def output_args(suffix: str, *, codec: str, crf: int, pix_fmt: str = "yuv420p") -> list[str]:
    """ffmpeg's video arguments for a container (the sound's come from ``audio_tracks``).

    Raises EncodeError for a container we do not write, an encoder this ffmpeg lacks or
    one whose codec the container cannot hold (see ``containers.video_encoder``), a
    ``pix_fmt`` it cannot store; for .webp, when this ffmpeg cannot write it. So callers
    can refuse before any work.
    """
    suffix = suffix.lower()
    if suffix not in OUTPUT_EXTENSIONS:
        raise EncodeError(
            f"cannot write video as {suffix or 'no extension'}; use one of {', '.join(sorted(OUTPUT_EXTENSIONS))}"
        )
    if suffix in (".gif", ".webp") and pix_fmt != "yuv420p":
        # GIF keeps a palette colour per pixel; animated WebP is 4:2:0 (or lossless RGB at crf 0).
        raise EncodeError(f"`pix_fmt` {pix_fmt} is for video containers (.mp4, .mkv, .mov, .webm), not {suffix}")
    if suffix == ".gif":
        return gif_args(moving=True)
    if suffix == ".webp":
        return webp_args(crf=crf)
    return video_args(suffix, codec=codec, crf=crf, pix_fmt=pix_fmt)


def write_video(
    path: Path,
    frames: Iterable[np.ndarray],
    *,
    size: tuple[int, int],
    fps: Fraction,
    audio_from: VideoInfo | None = None,
    codec: str = "auto",
    crf: int = 18,
    times: Sequence[Fraction] | None = None,
    pix_fmt: str = "yuv420p",
) -> int:
    """Encode RGB frames (all ``size``, even sides) to ``path``; returns the frame count.

    ``pix_fmt``: yuv420p stores colour at half size, as players expect; yuv444p keeps it
    whole (see ``VideoConfig.pix_fmt``).

    ``audio_from``: carry that clip's sound tracks over, all of them, trimmed to the
    frames taken from it: copied where the container holds their codec, else re-encoded
    (dropped for containers without sound, see ``carries_audio``).
    ``times``: a variable-rate clip's frame times and end (``VideoInfo.times``), kept in
    the output; None writes every frame for 1 / ``fps``.
    """
    w, h = size
    if w % 2 or h % 2:
        raise EncodeError(f"frames are {w}x{h}; yuv420p video needs even sides")
    suffix = Path(path).suffix
    video = output_args(suffix, codec=codec, crf=crf, pix_fmt=pix_fmt)
    extra: list[str] = []
    maps = ["-map", "0:v:0"]
    if audio_from is not None and audio_from.has_audio and carries_audio(suffix):
        tracks = audio_tracks(audio_from.streams or list_streams(audio_from.path), suffix)
        duration = audio_from.duration if audio_from.variable_rate else float(Fraction(audio_from.frames) / fps)
        # Input-side -ss: a re-encoded track starts on the sample, a copied one at the
        # first whole packet after the start (AAC, Opus: about 20 ms, under a frame); in
        # sync either way (checked with a beep: tests/test_streams.py).
        extra = ["-ss", f"{audio_from.start_seconds:.6f}", "-t", f"{duration:.6f}", "-i", str(audio_from.path)]
        maps += audio_args(tracks)
    with FfmpegWriter(path, size, fps=fps, extra_inputs=extra, output_args=[*maps, *video], times=times) as writer:
        for frame in frames:
            writer.write(frame)
        count = writer.frames
    if count == 0:
        raise EncodeError("no frames to encode")
    return count
