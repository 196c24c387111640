"""What OpenCV does not tell about a clip, read from the ffmpeg binary (there is no ffprobe):
the shape of its pixels (sample aspect ratio, SAR) and each frame's presentation time.

``ffmpeg -i`` describes the streams on stderr; decoding with the ``showinfo`` filter into
the null muxer lists every frame the decoder gives, in presentation order, with its time.
OpenCV's FFmpeg backend decodes with the same libraries, so frame i here is frame i there.
Times are seconds from the file's start, as ffmpeg's ``-ss`` counts them.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import statistics
import subprocess
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .ffmpeg import ffmpeg_exe, ffmpeg_report


@dataclass(frozen=True)
class StreamFacts:
    """The first video stream as ``ffmpeg -i`` describes it (before any rotation)."""

    coded_size: tuple[int, int] | None  # width, height as stored
    sar: Fraction = Fraction(1)  # width of a stored pixel over its height; 1 when unknown
    rotation: float = 0.0  # display rotation in degrees (metadata players apply)
    # Stored as interlaced fields: each frame weaves two half-height pictures taken a field
    # apart (1080i camcorders, DV, broadcast). "tff": the top field (the even stored rows)
    # is shown first; "bff": the bottom one. None: progressive.
    field_order: str | None = None

    @property
    def quarter_turned(self) -> bool:
        """Whether the rotation swaps width and height (90 or 270 degrees)."""
        return round(self.rotation / 90) % 2 == 1


_VIDEO_LINE = re.compile(r"^\s*Stream #\d+:\d+.*?: Video: (?P<rest>.*)$")
_SIZE = re.compile(r", (\d+)x(\d+)(?=[ ,\[]|$)")
_SAR = re.compile(r"SAR (\d+):(\d+) DAR (\d+):(\d+)")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
# "top coded first (swapped)": stored top first, shown bottom first (and the reverse).
_FIELD_ORDER = re.compile(r"\b(top|bottom) (coded first \(swapped\)|first)")
_ROTATE_TAG = re.compile(r"^\s*rotate\s*:\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_stream_facts(stderr_text: str) -> StreamFacts:
    """The first video stream's facts from ``ffmpeg -i`` output (cover art is skipped).

    >>> text = '''  Stream #0:0: Video: mjpeg (Baseline) (MJPG / 0x47504A4D), yuvj420p(pc), 176x144 [SAR 135:121 DAR 15:11], 25 fps
    ...     Side data:
    ...       Display Matrix: rotation of -90.00 degrees
    ...   Stream #0:1: Audio: aac'''
    >>> parse_stream_facts(text)
    StreamFacts(coded_size=(176, 144), sar=Fraction(135, 121), rotation=-90.0, field_order=None)
    >>> parse_stream_facts("  Stream #0:0: Video: dvvideo, yuv411p(bottom first), 720x480").field_order
    'bff'
    >>> parse_stream_facts("  Stream #0:0: Video: h264, yuv420p(top coded first (swapped)), 720x576").field_order
    'bff'
    """
    lines = stderr_text.splitlines()
    for index, line in enumerate(lines):
        match = _VIDEO_LINE.match(line)
        if match is None or "(attached pic)" in line:
            continue
        rest = match.group("rest")
        size = _SIZE.search(rest)
        sar = _SAR.search(rest)
        ratio = Fraction(int(sar.group(1)), int(sar.group(2))) if sar and int(sar.group(1)) > 0 else Fraction(1)
        rotation = 0.0
        # The stream's side data and metadata follow it, indented, until the next stream.
        for follow in lines[index + 1 :]:
            if "Stream #" in follow:
                break
            found = _ROTATION.search(follow) or _ROTATE_TAG.match(follow)
            if found:
                rotation = float(found.group(1))
        coded = (int(size.group(1)), int(size.group(2))) if size else None
        fields = _FIELD_ORDER.search(rest)
        order = None
        if fields is not None:
            top_first = (fields.group(1) == "top") != fields.group(2).startswith("coded")
            order = "tff" if top_first else "bff"
        return StreamFacts(coded_size=coded, sar=ratio, rotation=rotation, field_order=order)
    return StreamFacts(coded_size=None)


def stream_facts(path: Path) -> StreamFacts:
    return parse_stream_facts(ffmpeg_report(path))


def frame_turned(facts: StreamFacts, frame_size: tuple[int, int]) -> bool:
    """Whether the frames as OpenCV gives them (``frame_size``, width and height) were
    turned a quarter from how they are stored."""
    if facts.coded_size is None:
        return facts.quarter_turned
    coded_w, coded_h = facts.coded_size
    if coded_w != coded_h:
        # Trust what OpenCV did over what the metadata says it should have done.
        return frame_size == (coded_h, coded_w)
    return facts.quarter_turned


def first_field_lines(facts: StreamFacts, frame_size: tuple[int, int]) -> tuple[int, bool] | None:
    """Where the field shown first lies in the frames as OpenCV gives them: (0 the even
    lines, 1 the odd ones; whether those lines are columns), or None for a progressive
    clip. A quarter turn makes the stored rows columns: turned anticlockwise (rotation
    90), stored row r becomes column r; clockwise (-90 or 270), it becomes the column
    that many from the right. A half turn puts the last stored row first. Either way,
    with an even number of stored rows, counting from the other side trades the fields."""
    if facts.field_order is None:
        return None
    lines = 0 if facts.field_order == "tff" else 1
    turns = round(facts.rotation / 90) % 4
    columns = frame_turned(facts, frame_size)
    stored_rows = frame_size[0] if columns else frame_size[1]
    from_the_other_side = turns == 2 or (columns and turns == 3)
    return (1 - lines if from_the_other_side and stored_rows % 2 == 0 else lines), columns


def frame_sar(facts: StreamFacts, frame_size: tuple[int, int]) -> Fraction:
    """The SAR of the frames as OpenCV gives them. OpenCV applies rotation metadata; a
    quarter turn makes the stretched axis vertical, so the ratio inverts."""
    if facts.sar == 1 or facts.coded_size is None:
        return facts.sar
    return 1 / facts.sar if frame_turned(facts, frame_size) else facts.sar


# --- frame times --------------------------------------------------------------------------

_TIME_BASE = re.compile(r"config in time_base: (\d+)/(\d+)")
_FRAME = re.compile(r"\bn:\s*\d+\s+pts:\s*(\S+)\s+pts_time:\S+(?:\s+duration:\s*(\S+))?")


class _NoTimes(Exception):
    """The decoder gave a frame without a timestamp: times cannot be trusted."""


def decoded_frame_times(path: Path) -> Generator[tuple[Fraction, Fraction], None, None]:
    """(time, duration) in seconds of each frame ffmpeg decodes from the first video
    stream, lazily; closing the iterator stops ffmpeg. A duration of 0 means unknown."""
    command = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-i",
        str(path),
        "-map",
        "0:v:0",
        "-vf",
        "showinfo=checksum=0",  # no per-frame checksums: the times are all we want
        "-f",
        "null",
        "-",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    assert proc.stderr is not None  # stderr=PIPE
    try:
        time_base: Fraction | None = None
        for line in proc.stderr:
            if time_base is None:
                base = _TIME_BASE.search(line)
                if base and int(base.group(2)):
                    time_base = Fraction(int(base.group(1)), int(base.group(2)))
                continue
            frame = _FRAME.search(line)
            if frame is None:
                continue
            pts, duration = frame.group(1), frame.group(2) or "0"
            if not re.fullmatch(r"-?\d+", pts):
                raise _NoTimes
            length = int(duration) if re.fullmatch(r"\d+", duration) else 0
            yield int(pts) * time_base, length * time_base
    finally:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()
        proc.stderr.close()


def constant_rate(times: Sequence[Fraction], fps: Fraction) -> bool:
    """Whether every frame sits within half a frame of the grid ``first + i / fps``.

    >>> constant_rate([Fraction(i, 25) for i in range(50)], Fraction(25))
    True
    >>> constant_rate([Fraction(i, 25) + (Fraction(3, 10) if i > 10 else 0) for i in range(50)], Fraction(25))
    False
    """
    if not times:
        return True
    half = 1 / (2 * fps)
    return all(abs(t - times[0] - i / fps) <= half for i, t in enumerate(times))


@dataclass(frozen=True)
class FrameClock:
    """The times of a clip's first frames and where a read of it starts.

    ``constant``: the frames keep to the clip's average rate (or their times could not be
    read), so a writer can use that rate as it always has.
    """

    start_frame: int
    entries: tuple[tuple[Fraction, Fraction], ...]  # (time, duration) of frames 0, 1, ...
    fps: Fraction
    constant: bool = True

    def times_for(self, count: int) -> tuple[Fraction, ...] | None:
        """For a variable-rate clip, the times of ``count`` frames from ``start_frame``
        followed by the time the last one ends; None for a constant rate, or when ffmpeg
        listed fewer frames than OpenCV decoded (the two would not line up)."""
        if self.constant:
            return None
        stop = self.start_frame + count
        if count < 1 or stop > len(self.entries):
            return None
        times = [t for t, _ in self.entries[self.start_frame : stop]]
        if stop < len(self.entries):
            end = self.entries[stop][0]
        else:
            # The clip's last frame lasts as long as ffmpeg says, else a typical interval.
            last = self.entries[stop - 1][1]
            gaps = [b - a for a, b in itertools.pairwise(times)]
            end = times[-1] + (last if last > 0 else statistics.median(gaps) if gaps else 1 / self.fps)
        return (*times, end)


def read_clock(path: Path, *, fps: Fraction, start_seconds: float = 0.0, max_frames: int | None = None) -> FrameClock:
    """Frame times up to what a read from ``start_seconds`` of ``max_frames`` frames needs
    (one frame more, for the last one's end), and the frame that read starts at.

    At a constant rate the start is ``round(start_seconds * fps)``, as it always was; at a
    variable rate it is the frame whose time is nearest ``start_seconds``.
    """
    by_rate = round(start_seconds * fps)
    entries: list[tuple[Fraction, Fraction]] = []
    first_at_start: int | None = None
    frames = decoded_frame_times(path)
    try:
        for entry in frames:
            if entries and entry[0] <= entries[-1][0]:
                raise _NoTimes  # out of order or repeated: no timeline to keep
            entries.append(entry)
            if first_at_start is None and entry[0] >= start_seconds:
                first_at_start = len(entries) - 1
            # Enough once the read's last frame and the one after it (its end) are in.
            if (
                max_frames is not None
                and first_at_start is not None
                and len(entries) > max(by_rate, first_at_start) + max_frames
            ):
                break
    except _NoTimes:
        return FrameClock(by_rate, (), fps)
    finally:
        frames.close()
    times = [t for t, _ in entries]
    if constant_rate(times, fps):
        return FrameClock(by_rate, tuple(entries), fps)
    nearest = min(range(len(times)), key=lambda i: abs(times[i] - Fraction(start_seconds))) if times else 0
    if start_seconds > 0 and times and start_seconds > times[-1] + (entries[-1][1] or 1 / fps):
        nearest = len(times)  # past the end: OpenCV will find no frame there either
    return FrameClock(nearest, tuple(entries), fps, constant=False)
