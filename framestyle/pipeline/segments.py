"""Cutting a frame sequence into segments painted in parallel, and sewing them back.

Pure arithmetic and file work, no Ray: a segment (but the first) starts ``overlap``
frames early, from scratch, so that by its first own frame it is settled; those
lead-in frames are cross-faded with the previous segment's last frames, which hides
the seam. Ruder et al. (2016) paint a clip strictly in order; this trades a little
coherence at the seams for parallelism.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..config import VideoConfig
from ..errors import DecodeError
from ..flow import EarlierFrame, new_shot
from ..store import FrameStore
from .paint import FrameHistory


@dataclass(frozen=True)
class Segment:
    """Frames ``lead`` .. ``end`` - 1 painted in order; ``start`` .. ``end`` - 1 are its own."""

    number: int
    lead: int
    start: int
    end: int


def plan_segments(total: int, segment: int, overlap: int) -> list[Segment]:
    starts = list(range(0, total, segment))
    return [Segment(n, max(0, s - overlap), s, min(total, s + segment)) for n, s in enumerate(starts)]


def seam_weight(index: int, following: Segment) -> float:
    """How much of ``following``'s lead-in is taken for frame ``index`` (a linear cross-fade)."""
    overlap = following.start - following.lead
    return (index - following.lead + 1) / (overlap + 1)


def seam_pairs(segments: Sequence[Segment]) -> list[int]:
    """Frame pairs (i, i + 1), by i, that cross a seam's cross-fade, for measuring it."""
    pairs: list[int] = []
    for seg in segments[1:]:
        pairs.extend(range(max(0, seg.lead - 1), seg.start))
    return pairs


def compose_frames(store: FrameStore, segments: Sequence[Segment], total: int) -> None:
    """Write the clip's frames into ``store`` from the segments' frames, cross-fading the
    seams. Frames already composed are kept, so this is safe to repeat after a kill."""
    for k, seg in enumerate(segments):
        following = segments[k + 1] if k + 1 < len(segments) else None
        for index in range(seg.start, seg.end):
            if store.frame_path(index).exists():
                continue
            own = store.segment(seg.number).load(index)
            if following is not None and index >= following.lead:
                lead_in = store.segment(following.number).load(index)
                w = seam_weight(index, following)
                own = np.clip(own.astype(np.float32) * (1 - w) + lead_in.astype(np.float32) * w + 0.5, 0, 255)
                own = own.astype(np.uint8)
            store.save(index, own)
    if store.finished(limit=total) < total:
        raise DecodeError("some frames are missing after composing the segments; run the command again")


def segment_frames(frames: Iterator[np.ndarray], segments: Sequence[Segment]) -> Iterator[list[np.ndarray]]:
    """Each segment's content frames (lead-in included), decoding the clip once, in order."""
    previous: list[tuple[int, np.ndarray]] = []  # the last chunk, for the next one's lead-in
    position = 0
    for seg in segments:
        chunk = [frame for index, frame in previous if index >= seg.lead]
        while position < seg.end:
            try:
                frame = next(frames)
            except StopIteration:
                raise DecodeError(f"the source ended after {position} frames; it changed during the run") from None
            if position >= seg.lead:
                chunk.append(frame)
            position += 1
        previous = [(seg.lead + j, frame) for j, frame in enumerate(chunk)]
        yield chunk


class Lane:
    """One segment being painted: its content frames, its store and where it has got to."""

    def __init__(self, segment: Segment, frames: list[np.ndarray], store: FrameStore, video: VideoConfig) -> None:
        self.segment = segment
        self.frames = frames  # content, from segment.lead
        self.store = store
        done = store.finished(limit=segment.end - segment.lead, start=segment.lead)
        self.next = segment.lead + done
        self.history = FrameHistory(video)
        self.cut = False  # whether the frame ``next_frame`` gave last starts a new shot
        for index in range(max(segment.lead, self.next - self.history.depth), self.next):
            self.history.enter(self.frames[index - segment.lead])
            self.history.push(index - segment.lead, self.frames[index - segment.lead], store.load(index))

    @property
    def finished(self) -> bool:
        return self.next >= self.segment.end

    def next_frame(self) -> tuple[np.ndarray, list[EarlierFrame]]:
        """The next frame's content and the earlier frames it looks back to (none at the
        segment's first frame, or a shot's after a cut, which start from scratch)."""
        content = self.frames[self.next - self.segment.lead]
        self.cut = self.history.enter(content) == "cut"
        return content, self.history.earlier()

    def save(self, output: np.ndarray) -> int:
        """Store the next frame's output; returns its index."""
        index = self.next
        self.store.save(index, output)
        self.history.push(index - self.segment.lead, self.frames[index - self.segment.lead], output)
        self.next = index + 1
        if self.finished:
            self.frames = []
        return index


class ShotStarts:
    """The first frame of each shot, found as the driver decodes the clip in order, with
    the test the lanes apply (``flow.new_shot``): with preserve_color a frame's colour
    reference is its shot's first frame, as in a local run (``local.ShotColors``), also
    for a segment that starts mid-shot. One entry per shot, so memory stays flat."""

    def __init__(self, *, follow_cuts: bool) -> None:
        self.follow_cuts = follow_cuts  # frames painted alone: the clip's first frame only
        self.starts: list[int] = []

    def follow(self, frames: Iterator[np.ndarray], found: Callable[[int, np.ndarray], None]) -> Iterator[np.ndarray]:
        """``frames``, passed on; ``found(index, frame)`` for each shot's first frame."""
        previous: np.ndarray | None = None
        for index, frame in enumerate(frames):
            if previous is None or (self.follow_cuts and new_shot(previous, frame)):
                self.starts.append(index)
                found(index, frame)
            previous = frame
            yield frame

    def start_of(self, index: int) -> int:
        """The first frame of frame ``index``'s shot (a frame already decoded)."""
        return self.starts[bisect.bisect_right(self.starts, index) - 1]
