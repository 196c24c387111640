"""Cutting a frame sequence into segments painted in parallel, and sewing them back.

Pure arithmetic and file work, no Ray: a segment (but the first) starts ``overlap``
frames early, from scratch, so that by its first own frame it is settled; those
lead-in frames are cross-faded with the previous segment's last frames, which hides
the seam. Ruder et al. (2016) paint a clip strictly in order; this trades a little
coherence at the seams for parallelism.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import RayConfig, StyleConfig, VideoConfig
from ..errors import DecodeError
from ..flow import EarlierFrame, fade_start
from ..store import FrameStore
from .paint import FrameHistory, NewShot, Painting, planned_paintings
from .passes import painted_in_order, pass_order, pass_store


@dataclass(frozen=True)
class Segment:
    """Frames ``lead`` .. ``end`` - 1 painted in order; ``start`` .. ``end`` - 1 are its own."""

    number: int
    lead: int
    start: int
    end: int


def segment_cut(ray: RayConfig, total: int, video: VideoConfig) -> tuple[int, int]:
    """Segment length and overlap for a clip of ``total`` frames; independent frames are
    one-frame segments, so they come out the same as a local run's."""
    if video.temporal == "none":
        return 1, 0
    return ray.segment, ray.overlap if total > ray.segment else 0


def ray_segments(ray: RayConfig, total: int, video: VideoConfig) -> list[Segment]:
    """The segments a Ray run cuts a clip of ``total`` frames into (``segment_cut``)."""
    return plan_segments(total, *segment_cut(ray, total, video))


def segment_manifest(ray: RayConfig, total: int, video: VideoConfig) -> dict[str, Any]:
    """What a Ray run adds to the work folder's manifest: how the clip is cut (frames
    painted alone do not depend on it)."""
    if video.temporal == "none":
        return {}
    segment, overlap = segment_cut(ray, total, video)
    return {"segment": min(segment, total), "overlap": overlap}


def segment_paintings(
    ray: RayConfig,
    total: int,
    video: VideoConfig,
    style: StyleConfig,
    *,
    passes: int,
    cuts: Collection[int] = (),
    fades: Collection[int] = (),
) -> list[list[Painting]]:
    """Each segment's paintings, as its lane paints them (lead-in included): a clip of its
    own, with the cuts and settled fades inside it (``paint.planned_paintings``)."""
    segments = ray_segments(ray, total, video)

    def inside(frames: Collection[int], seg: Segment) -> list[int]:
        return [frame - seg.lead for frame in frames if seg.lead < frame < seg.end]

    return [
        planned_paintings(
            seg.end - seg.lead, video, style, passes=passes, cuts=inside(cuts, seg), fades=inside(fades, seg)
        )
        for seg in segments
    ]


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


@dataclass(frozen=True)
class LaneFrame:
    """A lane's next painting: the frame's content, the earlier frames (in this pass's
    direction) it looks back to, its picture from the previous pass (None in the first),
    and how far it is into a cross-fade (None outside one; see ``paint.paint_frame``)."""

    content: np.ndarray
    earlier: list[EarlierFrame]
    prior: np.ndarray | None = None
    fade: float | None = None

    @property
    def kept(self) -> np.ndarray | None:
        """The previous pass's picture where this painting keeps it: a later pass with
        nothing to carry (the segment's first frame in this pass, a shot's last before a
        cut) keeps it as it is (``local._later_painter``); None where the frame is painted."""
        return None if self.earlier else self.prior


class Lane:
    """One segment being painted, pass after pass (``pipeline.passes``): its content
    frames, its stores and where it has got to. A pass before the last writes into a
    stage of the segment's store, as a local run's does into the work folder's; the new
    shots the first pass finds (cuts, settled cross-fades) are recorded in the segment's
    store, as a local run's are (``local.Shots``), for the later passes and a resume."""

    def __init__(
        self, segment: Segment, frames: list[np.ndarray], store: FrameStore, video: VideoConfig, passes: int = 1
    ) -> None:
        self.segment = segment
        self.frames = frames  # content, from segment.lead; kept for the later passes
        self.video = video
        self.passes = passes
        self.store = store
        self.stores = [pass_store(store, number, passes) for number in range(passes)]
        self.shots = store.shots()
        self.cut = False  # whether the frame ``next_frame`` gave last starts a new shot, at a cut
        self.fade = False  # ... where a cross-fade settled
        self.number = passes  # the pass being painted (``passes``: all done)
        for number in range(passes):
            done = painted_in_order(self.stores[number], self._order(number))
            if done < len(frames):
                self._begin(number, done)
                break
        else:
            self.frames = []

    def _order(self, number: int) -> list[int]:
        return [self.segment.lead + k for k in pass_order(number, self.segment.end - self.segment.lead)]

    def _content(self, index: int) -> np.ndarray:
        return self.frames[index - self.segment.lead]

    def _begin(self, number: int, done: int) -> None:
        """Start pass ``number`` after the ``done`` frames an earlier run finished in it,
        refilling the history from the last few, as a local run does (``local._PassRun``)."""
        self.number, self.position = number, done
        self.order = self._order(number)
        # Only the first of several passes ends a shot where a fade settles (``FrameHistory``).
        self.history = FrameHistory(self.video, fades=number == 0 and self.passes > 1)
        for position in range(max(0, done - self.history.depth), done):
            index = self.order[position]
            self.history.enter(self._content(index), fade_ended=number == 0 and self.shots.ends_fade(index))
            self.history.push(position, self._content(index), self.stores[number].load(index))

    @property
    def finished(self) -> bool:
        return self.number >= self.passes

    @property
    def next(self) -> int:
        """The frame painted next (in pass ``number``)."""
        return self.order[self.position]

    def next_frame(self) -> LaneFrame:
        """The next painting; in the first pass, a new shot it starts is recorded first."""
        index = self.next
        content = self._content(index)
        shot = self.history.enter(content)
        self.cut, self.fade = shot == "cut", shot == "fade"
        if self.number == 0:
            if shot:
                self._record(index, shot)
            return LaneFrame(content, self.history.earlier())
        prior = self.stores[self.number - 1].load(index)
        return LaneFrame(content, self.history.earlier(), prior, self.shots.fade_share(index))

    def _record(self, index: int, shot: NewShot) -> None:
        if shot == "cut":
            self.store.record_cut(index)
        else:
            first = self.shots.start_of(index - 1, first=self.segment.lead)
            self.store.record_fade(fade_start(self._content, index, first), index)
        self.shots = self.store.shots()

    def save(self, output: np.ndarray) -> int:
        """Store the next frame's output in its pass; returns its index."""
        index = self.next
        self.stores[self.number].save(index, output)
        self.history.push(self.position, self._content(index), output)
        self.position += 1
        if self.position == len(self.order):
            if self.number + 1 < self.passes:
                self._begin(self.number + 1, 0)
            else:
                self.number = self.passes
                self.frames = []
        return index


def segment_paintings_done(store: FrameStore, segments: Sequence[Segment], passes: int) -> list[tuple[int, int]]:
    """(pass, frame) of the paintings of each segment's own frames an earlier run finished
    (a segment's lead-in frames are the previous segment's own, counted there)."""
    done: list[tuple[int, int]] = []
    for seg in segments:
        stores = [pass_store(store.segment(seg.number), number, passes) for number in range(passes)]
        for number, pass_frames in enumerate(stores):
            for index in range(seg.start, seg.end):
                if store.frame_path(index).exists() or pass_frames.frame_path(index).exists():
                    done.append((number, index))
    return done


class ShotStarts:
    """The first frame of each shot, found as the driver decodes the clip in order, with
    the test the lanes apply (``FrameHistory.enter``): with preserve_color a frame's
    colour reference is its shot's first frame, as in a local run (``local.ShotColors``),
    also for a segment that starts mid-shot. One entry per shot, so memory stays flat."""

    def __init__(self, video: VideoConfig, *, fades: bool) -> None:
        # Frames painted alone (temporal "none") follow no shots: the clip's first frame only.
        self.history = FrameHistory(video, fades=fades)
        self.starts: list[int] = []

    def follow(self, frames: Iterator[np.ndarray], found: Callable[[int, np.ndarray], None]) -> Iterator[np.ndarray]:
        """``frames``, passed on; ``found(index, frame)`` for each shot's first frame."""
        for index, frame in enumerate(frames):
            if index == 0 or self.history.enter(frame):
                self.starts.append(index)
                found(index, frame)
            self.history.push(index, frame, frame)  # only the content is looked at
            yield frame

    def start_of(self, index: int) -> int:
        """The first frame of frame ``index``'s shot (a frame already decoded)."""
        return self.starts[bisect.bisect_right(self.starts, index) - 1]
