"""Painting one picture or one frame in memory: the work every engine does, the same way.

Engines (this process, Ray workers) call these; the driver reads and writes the files.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from ..config import RuntimeConfig, StyleConfig, VideoConfig
from ..events import SILENT, IterationEvent, Reporter, Tee
from ..flow import (
    FADE_GAP,
    FADE_RUN,
    SHOT_SHARE,
    EarlierFrame,
    WarpedPrevious,
    carry_earlier,
    compose_flows,
    dense_flow,
    explained_share,
    new_shot,
)
from ..io.files import ensure_dir
from ..io.images import resize_rgb, write_image
from ..letterbox import Bars
from ..stylize import Stylizer, StylizeResult, TemporalTarget
from ..tensors import to_rgb_uint8, to_tensor
from .memory import is_out_of_memory, out_of_memory_error
from .passes import pass_order


@dataclass(frozen=True)
class PaintSettings:
    """What every picture of a run is painted with: the style files and the settings."""

    style_paths: tuple[Path, ...]
    style: StyleConfig
    runtime: RuntimeConfig = RuntimeConfig()


@dataclass(frozen=True)
class PictureTask:
    """One picture to paint on its own, as an engine receives it."""

    index: int
    content: np.ndarray  # rgb_uint8 at the working size
    init: torch.Tensor | None = None  # the start image when `init` names a file
    animate_every: int = 0  # keep every K-th step for an animation (0: none)


@dataclass(frozen=True)
class PaintedPicture:
    picture: np.ndarray  # rgb_uint8
    frames: list[np.ndarray]  # progress frames for an animation (may be empty)
    result: StylizeResult  # its image on the CPU


class IterateKeeper(Reporter):
    """Keeps every K-th iterate at the output size, for an animation."""

    def __init__(self, every: int, size: tuple[int, int]) -> None:
        self.every = every
        self.size = size
        self.frames: list[np.ndarray] = []

    def iteration(self, event: IterationEvent) -> None:
        if self.every and event.iteration % self.every == 0:
            # Earlier scales are smaller; frames are shown at the output size.
            self.frames.append(resize_rgb(to_rgb_uint8(event.image), self.size))


class IterateSaver(Reporter):
    """Writes every K-th iterate as a numbered PNG in ``folder``."""

    def __init__(self, every: int, folder: Path, size: tuple[int, int]) -> None:
        self.every = every
        self.folder = folder
        self.size = size
        ensure_dir(folder)

    def iteration(self, event: IterationEvent) -> None:
        if event.iteration % self.every == 0:
            frame = resize_rgb(to_rgb_uint8(event.image), self.size)
            write_image(self.folder / f"iter_{event.iteration:05d}.png", frame)


def stylize_within_memory(stylizer: Stylizer, content: torch.Tensor, **options: Any) -> StylizeResult:
    """``stylizer.stylize``, with running out of memory (GPU, or the CPU allocator) turned
    into a one-line OutOfMemory naming the largest size that fits."""
    try:
        return stylizer.stylize(content, **options)
    except (MemoryError, RuntimeError) as err:  # torch.OutOfMemoryError is a RuntimeError
        if not is_out_of_memory(err):
            raise
    # Raised here, past the except block, so that the failed step's tensors (which its
    # traceback holds) are already freed when the error travels on: a folder continues.
    styles = [(s.shape[-1], s.shape[-2]) for s in stylizer.targets.styles]
    raise out_of_memory_error((content.shape[-1], content.shape[-2]), styles, stylizer.config, stylizer.backend)


def paint_picture(stylizer: Stylizer, task: PictureTask, reporter: Reporter = SILENT) -> PaintedPicture:
    """Stylize one picture in memory, keeping every ``task.animate_every``-th step."""
    size = (task.content.shape[1], task.content.shape[0])
    keeper = IterateKeeper(task.animate_every, size)
    result = stylize_within_memory(stylizer, to_tensor(task.content), init=task.init, reporter=Tee(keeper, reporter))
    picture = to_rgb_uint8(result.image)
    frames = keeper.frames
    if task.animate_every and (not frames or not np.array_equal(frames[-1], picture)):
        frames = [*frames, picture]
    # The result tensor stays behind: it may live on a GPU, and callers only need pixels.
    return PaintedPicture(picture, frames, replace(result, image=result.image.detach().cpu()))


def starts_from_scratch(first: bool, video: VideoConfig) -> bool:
    """Whether a frame is painted from its content alone, with the first-frame budget:
    the first of a sequence (or of a Ray segment), or every frame without temporal coherence."""
    return first or video.temporal == "none"


def frame_iterations(first: bool, video: VideoConfig, style: StyleConfig) -> int:
    return video.first_iterations if starts_from_scratch(first, video) else style.iterations


@dataclass(frozen=True)
class Painting:
    """One painting of a run (a frame in one pass), as planned: its step budget and
    whether it starts from scratch (and so climbs the scale ladder)."""

    frame: int
    budget: int
    from_scratch: bool


def planned_paintings(
    total: int,
    video: VideoConfig,
    style: StyleConfig,
    *,
    passes: int = 1,
    cuts: Collection[int] = (),
    fades: Collection[int] = (),
) -> list[Painting]:
    """Every painting of a run of ``total`` frames over ``passes`` passes, in the order
    they are painted (early stop may end one sooner). ``cuts``: the frames that start a
    new shot (see ``FrameHistory.enter``): the first pass paints them from scratch, and a
    later pass copies the frame it meets first in each shot, as it does the first of the
    clip (see ``pipeline.passes``). ``fades``: where a cross-fade's new shot settled, also
    painted from scratch in the first pass; a later pass paints across them.

    >>> [p.budget for p in planned_paintings(4, VideoConfig(first_iterations=30, pass_iterations=5),
    ...                                      StyleConfig(iterations=10), passes=2, cuts=[2])]
    [30, 10, 30, 10, 0, 5, 0, 5]
    """
    follows_shots = video.temporal != "none"
    shot_starts = {0, *cuts} if follows_shots else set(range(total))
    fresh = shot_starts | set(fades)
    planned = [
        Painting(frame, frame_iterations(frame in fresh, video, style), starts_from_scratch(frame in fresh, video))
        for frame in range(total)
    ]
    for number in range(1, passes):
        order = pass_order(number, total)
        for position, frame in enumerate(order):
            # A cut lies between two neighbours in either order: it is the later frame.
            met_first = position == 0 or (follows_shots and max(frame, order[position - 1]) in shot_starts)
            planned.append(Painting(frame, 0 if met_first else video.pass_iterations, False))
    return planned


def frame_budgets(total: int, video: VideoConfig, style: StyleConfig, *, passes: int = 1) -> list[int]:
    """The step budget of each painting in a run with no cuts known ahead (see
    ``planned_paintings``): what a progress bar starts from.

    >>> frame_budgets(3, VideoConfig(first_iterations=300), StyleConfig(iterations=50))
    [300, 50, 50]
    >>> frame_budgets(3, VideoConfig(first_iterations=300, pass_iterations=10), StyleConfig(iterations=50), passes=2)
    [300, 50, 50, 0, 10, 10]
    """
    return [painting.budget for painting in planned_paintings(total, video, style, passes=passes)]


# What starts a new shot: a cut, or the end of a cross-fade (see ``FrameHistory.enter``).
NewShot = Literal["cut", "fade"]


class FrameHistory:
    """The last few frames of a sequence (content and output), as far back as the
    temporal term looks; memory stays flat in the clip's length.

    Frames are pushed with their index in the sequence (from 0, its first frame), so a
    resumed run that pushes only the last few finds the same anchors.

    ``fades``: also end a shot where a cross-fade into another has settled (the first
    pass of several: a later pass paints the fade from both sides, see
    ``pipeline.passes``). The test looks ``flow.FADE_GAP`` + ``flow.FADE_RUN`` frames
    back, so the history keeps at least that many."""

    def __init__(self, video: VideoConfig, *, fades: bool = False) -> None:
        # Only the flow mode's temporal term looks further back than the previous frame.
        flow = video.temporal == "flow"
        self.offsets = sorted(video.temporal_frames) if flow else [1]
        self.anchor_every = video.anchor_every if flow else 0
        self.follows_shots = video.temporal != "none"  # frames painted alone need no cuts
        self.follows_fades = fades and self.follows_shots
        looks_back = FADE_GAP + FADE_RUN if self.follows_fades else 1
        self.depth = max(self.offsets[-1], self.anchor_every, looks_back)
        self._frames: deque[tuple[int, np.ndarray, np.ndarray]] = deque(maxlen=self.depth)
        self._flows: deque[np.ndarray] = deque(maxlen=FADE_GAP)  # to the frame before, nearest first
        self._apart: deque[bool] = deque(maxlen=FADE_RUN)  # another shot than FADE_GAP frames before?

    def enter(self, content: np.ndarray, *, fade_ended: bool = False) -> NewShot | None:
        """Before the next frame is painted (or, on resume, pushed again): forget the frames
        before it if it starts a new shot, so that it starts from scratch like a sequence's
        first frame and later frames look back no further. A new shot starts at a cut
        (``flow.new_shot``) or, with ``fades``, where a cross-fade has settled: ``FADE_RUN``
        frames in a row were another shot than the frame ``FADE_GAP`` before them (along
        the chained flow), and this one is not. The tests read content frames only, so a
        resumed run finds the same cuts; ``fade_ended``: a fade's end an earlier run
        recorded (a resumed run refills too few frames to find it again)."""
        if not self.follows_shots or not self._frames:
            return None
        previous = self._frames[-1][1]
        backward = dense_flow(content, previous)
        if new_shot(previous, content, backward=backward):
            self._forget()
            return "cut"
        if fade_ended:
            self._forget()
            return "fade"
        if not self.follows_fades:
            return None
        self._flows.appendleft(backward)
        if len(self._flows) < FADE_GAP or len(self._frames) < FADE_GAP:
            self._apart.clear()  # too few frames in this shot to tell
            return None
        chained, inside = compose_flows(self._flows)
        apart = explained_share(self._frames[-FADE_GAP][1], content, chained, inside) < SHOT_SHARE
        if not apart and len(self._apart) == FADE_RUN and all(self._apart):
            self._forget()
            return "fade"
        self._apart.append(apart)
        return None

    def push(self, index: int, content: np.ndarray, output: np.ndarray) -> None:
        if self._frames and index != self._frames[-1][0] + 1:
            self._forget()  # not the next frame: what came before no longer leads to it
        self._frames.append((index, content, output))

    def _forget(self) -> None:
        self._frames.clear()
        self._flows.clear()
        self._apart.clear()

    def anchor_offset(self) -> int:
        """How far back the next frame's anchor is (0: none): the latest frame whose
        index is a multiple of ``anchor_every``, unless that is the previous frame."""
        if not self.anchor_every or not self._frames:
            return 0
        following = self._frames[-1][0] + 1
        offset = following - (following - 1) // self.anchor_every * self.anchor_every
        return offset if 1 < offset <= len(self._frames) else 0

    def earlier(self) -> list[EarlierFrame]:
        """The frames the next one looks back to, nearest first, then its anchor (empty at the start)."""
        anchor = self.anchor_offset()
        found = [
            EarlierFrame(offset, *self._frames[-offset][1:])
            for offset in self.offsets
            if offset <= len(self._frames) and offset != anchor
        ]
        if anchor:
            found.append(EarlierFrame(anchor, *self._frames[-anchor][1:], anchor=True))
        return found


# A later pass starts each frame halfway between the previous pass's picture and what this
# pass carries in, where the flow is trusted: Ruder et al.'s (2016) multi-pass blend with
# equal weights. Measured at 256 px, 48 frames (prototype on saved first passes): starting
# from the carried frame alone was steadier (shuttle 3.25x against 4.07x the source's
# warping error) but less stylized (pan style 1.13x against 1.07x the stills).
PRIOR_SHARE = 0.5


def blend_prior(prior: np.ndarray, carried: WarpedPrevious, prior_share: float = PRIOR_SHARE) -> np.ndarray:
    """The start of a frame in a later pass: the prior and the carried frame, mixed where
    the flow is trusted, the prior alone elsewhere (it is already painted there)."""
    mixed = prior_share * prior.astype(np.float32) + (1 - prior_share) * carried.warped.astype(np.float32)
    trusted = carried.certainty[..., None] > 0.5
    return np.where(trusted, np.clip(mixed + 0.5, 0, 255).astype(np.uint8), prior)


def paint_frame(
    stylizer: Stylizer,
    content: np.ndarray,
    earlier: Sequence[EarlierFrame],
    *,
    video: VideoConfig,
    prior: np.ndarray | None = None,
    reporter: Reporter = SILENT,
    bars: Bars = Bars(),
    fade: float | None = None,
) -> tuple[np.ndarray, StylizeResult]:
    """One frame of a sequence, started from the earlier outputs (warped along the flow,
    with the temporal term), or from scratch when there are none or temporal is "none".

    ``prior``: this frame as the previous pass painted it (a later pass of the flow mode;
    ``earlier`` then holds the frames this pass painted before it, from the other side).
    It is painted for ``video.pass_iterations`` steps from the prior blended with them.
    ``fade``: how far this frame is into a cross-fade (0 to 1, see ``FrameHistory``). The
    first pass carried the old shot's painting through the fade (the prior) and painted
    the new shot afresh where it settled; this pass carries that back, so the prior's
    share of the start falls from 1 to 0 across the fade and the pull towards what this
    pass carries (its temporal weight) grows from 0: the paintings cross-fade as the
    shots do, instead of the old one lingering as a ghost in the new one.

    ``bars``: letterbox bars, which the frame keeps as ``content`` has them; only the
    picture inside is painted. The flow is still computed on whole frames: it is the
    flow a judge computes on the clip (``framestyle eval``), and in flat regions (fog,
    sky) DIS's field depends on the frame around them (Sintel's picture, carried along
    the flow of the picture alone, judged on whole frames: 6.7x its source's error)."""
    first = not earlier
    init, temporal = None, None
    if not starts_from_scratch(first, video):
        if video.temporal == "previous":
            init = to_tensor(bars.inside(min(earlier, key=lambda frame: frame.offset).output))
        else:
            carried = _inside(carry_earlier(content, earlier, fill=video.fill), bars)
            prior_share = PRIOR_SHARE if fade is None else 1.0 - fade
            start = carried.init if prior is None else blend_prior(bars.inside(prior), carried, prior_share)
            init = to_tensor(start)
            temporal = TemporalTarget(
                warped_previous=to_tensor(carried.warped),
                certainty=torch.from_numpy(carried.certainty)[None],
                weight=video.temporal_weight * (1.0 if fade is None else fade),
            )
    iterations = video.pass_iterations if prior is not None else frame_iterations(first, video, stylizer.config)
    # A frame started from earlier outputs is painted at its own size only: a coarser
    # scale would blur the carried detail and then spend the steps restoring it.
    scales = None if init is None else 1
    result = stylize_within_memory(
        stylizer,
        to_tensor(bars.inside(content)),
        init=init,
        temporal=temporal,
        iterations=iterations,
        scales=scales,
        reporter=reporter,
        warm_start=init is not None,
    )
    return bars.around(content, to_rgb_uint8(result.image)), result


def _inside(carried: WarpedPrevious, bars: Bars) -> WarpedPrevious:
    if not bars:
        return carried
    return WarpedPrevious(bars.inside(carried.init), bars.inside(carried.warped), bars.inside(carried.certainty))
