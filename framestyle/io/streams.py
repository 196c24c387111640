"""The streams a media file holds, read from ``ffmpeg -i``'s report (there is no ffprobe
in imageio-ffmpeg), and which of them a painted clip keeps.

A painted clip keeps one video stream (the one OpenCV decodes: the first) and the sound;
subtitles, data streams, attachments (fonts), cover pictures and other video streams are
dropped, and counted so that the run can say so.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .ffmpeg import ffmpeg_report

KINDS = ("video", "audio", "subtitle", "data", "attachment")

# "  Stream #0:1[0x2](eng): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, ..." : the
# [id] part appears for some containers (MP4, MPEG-TS), the (language) part when tagged.
_STREAM = re.compile(r"^\s*Stream #0:(\d+)(?:\[\w+\])?(?:\((\w+)\))?: (\w+): ?(\S*)(.*)$")
_TITLE = re.compile(r"^\s+title\s*: (.*)$")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")


@dataclass(frozen=True)
class Stream:
    """One stream of a file as ``ffmpeg -i`` lists it."""

    index: int  # in the file, as ``-map 0:INDEX`` counts
    kind: str  # one of KINDS
    codec: str  # ffmpeg's codec name ("h264", "aac", "subrip"; "none" when unknown)
    language: str | None = None  # ISO 639-2 as tagged ("eng"); None when untagged or "und"
    title: str | None = None
    attached_pic: bool = False  # a cover picture, stored as a one-frame video stream
    width: int = 0  # video only
    height: int = 0


def parse_streams(report: str) -> list[Stream]:
    """The first input's streams from ``ffmpeg -i``'s stderr.

    >>> text = '''Input #0, matroska,webm, from 'a.mkv':
    ...   Stream #0:0: Video: h264 (High), yuv420p(progressive), 96x64 [SAR 1:1 DAR 3:2], 25 fps
    ...   Stream #0:1(fra): Audio: aac (LC), 44100 Hz, mono, fltp
    ...     Metadata:
    ...       title           : Commentaire
    ...   Stream #0:2: Subtitle: subrip (srt)'''
    >>> [(s.index, s.kind, s.codec, s.language, s.title) for s in parse_streams(text)]
    [(0, 'video', 'h264', None, None), (1, 'audio', 'aac', 'fra', 'Commentaire'), (2, 'subtitle', 'subrip', None, None)]
    """
    streams: list[Stream] = []
    current: Stream | None = None
    for line in report.splitlines():
        if line.startswith("Input #") and not line.startswith("Input #0"):
            break  # only ever one input here
        match = _STREAM.match(line)
        if match:
            if current is not None:
                streams.append(current)
            index, language, kind, codec, rest = match.groups()
            kind = kind.lower()
            size = _SIZE.search(rest) if kind == "video" else None
            current = Stream(
                index=int(index),
                kind=kind if kind in KINDS else "data",
                codec=codec.rstrip(",") or "none",
                language=language if language and language != "und" else None,
                attached_pic="(attached pic)" in rest,
                width=int(size.group(1)) if size else 0,
                height=int(size.group(2)) if size else 0,
            )
            continue
        title = _TITLE.match(line)
        if title and current is not None and current.title is None:
            current = dataclasses.replace(current, title=title.group(1).strip())
        elif current is not None and line.strip() and not line.startswith(" " * 4):
            # Back at the input's level (Duration:, Chapters:, ...): the stream's block ended.
            streams.append(current)
            current = None
    if current is not None:
        streams.append(current)
    return streams


def list_streams(path: Path) -> list[Stream]:
    """The streams of ``path`` (empty when ffmpeg cannot read it)."""
    return parse_streams(ffmpeg_report(path))


def first_video(streams: Sequence[Stream]) -> Stream | None:
    """The video stream that is decoded: the first (OpenCV always reads that one)."""
    return next((s for s in streams if s.kind == "video"), None)


def misplaced_video(streams: Sequence[Stream]) -> tuple[Stream, Stream] | None:
    """(first, main) when the first video stream is not the clip itself: a cover picture,
    or a smaller picture before a larger video (the one ffmpeg itself would choose)."""
    videos = [s for s in streams if s.kind == "video"]
    if len(videos) < 2:
        return None
    first = videos[0]
    moving = [s for s in videos if not s.attached_pic]
    if not moving:
        return None
    main = max(moving, key=lambda s: s.width * s.height)  # max keeps the first of equals
    if first.attached_pic or main.width * main.height > first.width * first.height:
        return first, main
    return None


def dropped_streams(streams: Sequence[Stream]) -> tuple[tuple[str, int], ...]:
    """What a painted clip leaves out besides its sound, counted by kind:
    ``(("subtitle", 1), ("attachment", 2))``. Kinds: subtitle, data, attachment,
    cover picture, video (a video stream other than the one painted)."""
    painted = first_video(streams)
    counts: Counter[str] = Counter()
    for stream in streams:
        if stream.kind == "audio" or stream is painted:
            continue
        if stream.kind == "video":
            counts["cover picture" if stream.attached_pic else "video"] += 1
        else:
            counts[stream.kind] += 1
    order = ("subtitle", "data", "attachment", "cover picture", "video")
    return tuple((kind, counts[kind]) for kind in order if counts[kind])
