"""The local engine: one Stylizer in this process paints every picture and frame in turn."""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import Backend, resolve_backend
from ..config import VideoConfig
from ..errors import FramestyleError
from ..events import SILENT, FrameEvent, Reporter
from ..flow import EarlierFrame, fade_start
from ..letterbox import Bars
from ..store import FrameStore
from ..stylize import Stylizer
from ..tensors import to_tensor
from .common import load_styles
from .paint import FrameHistory, NewShot, PaintedPicture, PaintSettings, PictureTask, paint_frame, paint_picture
from .passes import content_store, frames_done, painted_in_order, pass_order, pass_store


class LocalEngine:
    """Paints in this process. Opening it resolves the backend and loads the network."""

    painters = 1  # one picture at a time, in this process

    def __init__(self, settings: PaintSettings, *, backend: Backend | None = None) -> None:
        self.settings = settings
        self.backend = backend or resolve_backend(settings.runtime)
        styles = load_styles(settings.style_paths, settings.style)
        self.stylizer = Stylizer(styles, config=settings.style, runtime=settings.runtime, backend=self.backend)

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: the network is freed with the engine."""

    def paint_pictures(
        self, tasks: Iterable[PictureTask], reporter: Reporter = SILENT
    ) -> Iterator[tuple[PictureTask, PaintedPicture | FramestyleError]]:
        for task in tasks:
            reporter.item_started(task.index)
            try:
                painted: PaintedPicture | FramestyleError = paint_picture(self.stylizer, task, reporter)
            except FramestyleError as err:
                painted = err
            yield task, painted

    def sequence_passes(self, video: VideoConfig) -> int:
        return video.sequence_passes

    def sequence_manifest(self, total: int, video: VideoConfig) -> dict[str, Any]:
        """Nothing beyond the settings: frames painted here do not depend on how the work was cut."""
        return {}

    def sequence_frames_done(self, store: FrameStore, total: int, video: VideoConfig) -> int:
        return frames_done(store, total, video.sequence_passes)

    def paint_sequence(
        self,
        frames: Iterable[np.ndarray],
        *,
        total: int,
        store: FrameStore,
        video: VideoConfig,
        reporter: Reporter,
        bars: Bars = Bars(),
    ) -> None:
        stylize_sequence(
            frames, total=total, store=store, stylizer=self.stylizer, video=video, reporter=reporter, bars=bars
        )


# A painter: (position in the pass, frame index, content, earlier frames) -> (picture, steps, loss).
Painting = tuple[np.ndarray, int, float]
Painter = Callable[[int, int, np.ndarray, list[EarlierFrame]], Painting]
# A frame's content, read only when the pass needs it: a resumed later pass skips most
# finished frames without loading them.
Content = Callable[[], np.ndarray]


def stylize_sequence(
    frames: Iterable[np.ndarray],
    *,
    total: int,
    store: FrameStore,
    stylizer: Stylizer,
    video: VideoConfig,
    reporter: Reporter = SILENT,
    bars: Bars = Bars(),
) -> None:
    """Stylize content frames in order into ``store``, continuing after finished frames;
    then, in the flow mode, the later passes (``video.passes``, see ``pipeline.passes``).
    Only the picture inside ``bars`` is painted (see ``paint.paint_frame``).

    Each frame starts from the earlier ones *as stored* (the PNGs, not the float images
    in memory), so an interrupted and resumed run makes exactly the frames an
    uninterrupted one makes. Reported items are paintings: pass ``n``'s ``k``-th frame is
    item ``n * total + k`` (one pass: the frame's index).
    """
    passes = video.sequence_passes
    contents = content_store(store) if passes > 1 else None
    shots = Shots(store, contents)
    colors = ShotColors(stylizer, shots, bars) if stylizer.config.preserve_color else None
    run = _PassRun(total=total, passes=passes, store=store, video=video, reporter=reporter, shots=shots, colors=colors)
    run.paint(0, _first_frames(frames, total), _first_painter(stylizer, video, contents, reporter, bars))
    if contents is None or pass_store(store, 0, passes).finished(limit=total) < total:
        return  # one pass, or the source ended early (the driver reports that)
    for number in range(1, passes):
        in_order = ((index, functools.partial(contents.load, index)) for index in pass_order(number, total))
        painter = _later_painter(stylizer, video, pass_store(store, number - 1, passes), shots, reporter, bars)
        run.paint(number, in_order, painter)


def _first_painter(
    stylizer: Stylizer, video: VideoConfig, contents: FrameStore | None, reporter: Reporter, bars: Bars
) -> Painter:
    """The first pass: each frame from the earlier ones; keeps the content for later passes."""

    def paint(position: int, index: int, content: np.ndarray, earlier: list[EarlierFrame]) -> Painting:
        output, result = paint_frame(stylizer, content, earlier, video=video, reporter=reporter, bars=bars)
        if contents is not None:
            contents.save(index, content)  # before the frame: a painted frame has its content
        return output, result.iterations, result.loss

    return paint


def _later_painter(
    stylizer: Stylizer, video: VideoConfig, prior: FrameStore, shots: Shots, reporter: Reporter, bars: Bars
) -> Painter:
    """A later pass: each frame from its previous pass's picture (``prior``) and the frames
    this pass painted before it, the other way along the clip. The pass's first frame has
    none of those, nor has the last frame of a shot met after a cut: they keep their
    previous picture. A cross-fade's frames go over from one to the other (``paint_frame``'s
    ``fade``)."""

    def paint(position: int, index: int, content: np.ndarray, earlier: list[EarlierFrame]) -> Painting:
        if not earlier:
            return prior.load(index), 0, float("nan")
        fade = shots.record.fade_share(index)
        output, result = paint_frame(
            stylizer, content, earlier, video=video, prior=prior.load(index), reporter=reporter, bars=bars, fade=fade
        )
        return output, result.iterations, result.loss

    return paint


def _first_frames(frames: Iterable[np.ndarray], total: int) -> Iterator[tuple[int, Content]]:
    """The first pass's (index, content): the decoded frames, up to ``total``."""
    for index, content in enumerate(itertools.islice(frames, total)):
        yield index, functools.partial(_same, content)


class Shots:
    """Where the first pass finds new shots (``FrameHistory.enter``), recorded in the work
    folder before the frame is painted, so that a resumed run and the later passes read
    them back instead of testing the clip again. A fade is recorded from its first frame,
    found by looking back over the content frames kept for the later passes."""

    def __init__(self, store: FrameStore, contents: FrameStore | None) -> None:
        self.store = store
        self.contents = contents
        self.record = store.shots()

    def found(self, index: int, start: NewShot) -> None:
        """Record that frame ``index`` starts a new shot, before it is painted."""
        if start == "cut":
            self.store.record_cut(index)
        elif self.contents is not None:  # fades are followed only over several passes, which keep them
            self.store.record_fade(fade_start(self.contents.load, index, self.start_of(index - 1)), index)
        self.record = self.store.shots()

    def start_of(self, index: int) -> int:
        """The first frame of frame ``index``'s shot."""
        return self.record.start_of(index)


class ShotColors:
    """preserve_color in a sequence: the style's luminance is matched to the first frame
    of each shot (see ``Shots``). Every frame of a shot has the same style targets
    (matched frame by frame, they would flicker with the content's brightness), and a
    later shot, darker or brighter, is not painted in the first one's luminance."""

    def __init__(self, stylizer: Stylizer, shots: Shots, bars: Bars) -> None:
        self.stylizer = stylizer
        self.shots = shots
        self.bars = bars
        self.pinned: int | None = None

    def passed(self, number: int, index: int, content_of: Content) -> None:
        """A frame an earlier run finished: the first pass pins it if it starts a shot
        (later passes pin from the recorded shots when they paint again)."""
        if number == 0 and (index == 0 or index in self.shots.record.starts):
            self._pin(index, content_of())

    def entering(self, number: int, index: int, content: np.ndarray, start: NewShot | None) -> None:
        """Before frame ``index`` is painted in pass ``number``; ``start``: it starts a new
        shot in this pass's direction."""
        if number == 0:
            if index == 0 or start:
                self._pin(index, content)
            return
        first = self.shots.start_of(index)
        if first != self.pinned and self.shots.contents is not None:
            self._pin(first, self.shots.contents.load(first))

    def _pin(self, index: int, content: np.ndarray) -> None:
        self.stylizer.set_color_reference(to_tensor(self.bars.inside(content)))
        self.pinned = index


@dataclass(frozen=True)
class _PassRun:
    """What every pass over one sequence shares: where it writes and whom it tells."""

    total: int
    passes: int
    store: FrameStore
    video: VideoConfig
    reporter: Reporter
    shots: Shots
    colors: ShotColors | None = None

    def paint(self, number: int, frames: Iterable[tuple[int, Content]], painter: Painter) -> None:
        """Pass ``number`` over ``frames`` (index, content) in its order, skipping the
        frames an earlier run finished (refilling the history from the last few)."""
        target = pass_store(self.store, number, self.passes)
        done = painted_in_order(target, pass_order(number, self.total))
        items = self.total * self.passes
        # The first pass of several ends a shot after a cross-fade, which the later ones
        # paint from both sides.
        first = number == 0
        history = FrameHistory(self.video, fades=first and self.passes > 1)
        for position, (index, content_of) in enumerate(frames):
            item = number * self.total + position
            if position < done:
                if self.colors is not None:
                    self.colors.passed(number, index, content_of)
                if position >= done - history.depth:
                    finished = content_of()
                    history.enter(finished, fade_ended=first and self.shots.record.ends_fade(index))
                    history.push(position, finished, target.load(index))
                self.reporter.item_done(FrameEvent(item, items, 0, 0.0, float("nan"), resumed=True))
                continue
            self.reporter.item_started(item)
            start = time.perf_counter()
            content = content_of()
            shot = history.enter(content)
            if first and shot:
                self.shots.found(index, shot)
            if self.colors is not None:
                self.colors.entering(number, index, content, shot)
            output, steps, loss = painter(position, index, content, history.earlier())
            target.save(index, output)
            history.push(position, content, output)
            seconds = time.perf_counter() - start
            event = FrameEvent(item, items, steps, seconds, loss, resumed=False, cut=shot == "cut", fade=shot == "fade")
            self.reporter.item_done(event)


def _same(content: np.ndarray) -> np.ndarray:
    return content
