"""The local engine: one Stylizer in this process paints every picture and frame in turn."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..backend import Backend, resolve_backend
from ..config import VideoConfig
from ..errors import FramestyleError
from ..events import SILENT, FrameEvent, Reporter
from ..store import FrameStore
from ..stylize import Stylizer
from ..tensors import to_tensor
from .common import load_styles
from .paint import FrameHistory, PaintedPicture, PaintSettings, PictureTask, paint_frame, paint_picture
from .passes import content_store, painted_in_order, pass_order, pass_store


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

    def paint_sequence(
        self, frames: Iterable[np.ndarray], *, total: int, store: FrameStore, video: VideoConfig, reporter: Reporter
    ) -> None:
        stylize_sequence(frames, total=total, store=store, stylizer=self.stylizer, video=video, reporter=reporter)


def stylize_sequence(
    frames: Iterable[np.ndarray],
    *,
    total: int,
    store: FrameStore,
    stylizer: Stylizer,
    video: VideoConfig,
    reporter: Reporter = SILENT,
) -> None:
    """Stylize content frames in order into ``store``, continuing after finished frames;
    then, in the flow mode, the later passes (``video.passes``, see ``pipeline.passes``).

    Each frame starts from the earlier ones *as stored* (the PNGs, not the float images
    in memory), so an interrupted and resumed run makes exactly the frames an
    uninterrupted one makes. Reported items are paintings: pass ``n``'s ``k``-th frame is
    item ``n * total + k`` (one pass: the frame's index).
    """
    passes = video.sequence_passes
    first = pass_store(store, 0, passes)
    contents = content_store(store) if passes > 1 else None
    items = total * passes
    _first_pass(frames, total, items, store=first, contents=contents, stylizer=stylizer, video=video, reporter=reporter)
    if contents is None or first.finished(limit=total) < total:
        return  # one pass, or the source ended early (the driver reports that)
    for number in range(1, passes):
        _later_pass(
            number,
            passes,
            total=total,
            store=store,
            contents=contents,
            stylizer=stylizer,
            video=video,
            reporter=reporter,
        )


def _first_pass(
    frames: Iterable[np.ndarray],
    total: int,
    items: int,
    *,
    store: FrameStore,
    contents: FrameStore | None,
    stylizer: Stylizer,
    video: VideoConfig,
    reporter: Reporter,
) -> None:
    done = store.finished(limit=total)
    history = FrameHistory(video)
    for index, content in enumerate(frames):
        if index >= total:
            break
        if index == 0 and stylizer.config.preserve_color:
            # The clip's first frame, also when resuming: the same style targets as before.
            stylizer.set_color_reference(to_tensor(content))
        if index < done:
            if index >= done - history.depth:
                history.push(index, content, store.load(index))
            reporter.item_done(FrameEvent(index, items, 0, 0.0, float("nan"), resumed=True))
            continue
        reporter.item_started(index)
        start = time.perf_counter()
        output, result = paint_frame(stylizer, content, history.earlier(), video=video, reporter=reporter)
        if contents is not None:
            contents.save(index, content)  # before the frame: a painted frame has its content
        store.save(index, output)
        history.push(index, content, output)
        seconds = time.perf_counter() - start
        reporter.item_done(FrameEvent(index, items, result.iterations, seconds, result.loss, resumed=False))


def _later_pass(
    number: int,
    passes: int,
    *,
    total: int,
    store: FrameStore,
    contents: FrameStore,
    stylizer: Stylizer,
    video: VideoConfig,
    reporter: Reporter,
) -> None:
    """Pass ``number``: each frame from its previous pass's picture and the frames this
    pass painted before it (the other way along the clip); its first frame is copied."""
    prior, target = pass_store(store, number - 1, passes), pass_store(store, number, passes)
    order = pass_order(number, total)
    done = painted_in_order(target, order)
    history = FrameHistory(video)
    for position, index in enumerate(order):
        item = number * total + position
        if position < done:
            if position >= done - history.depth:
                history.push(position, contents.load(index), target.load(index))
            reporter.item_done(FrameEvent(item, total * passes, 0, 0.0, float("nan"), resumed=True))
            continue
        content = contents.load(index)
        reporter.item_started(item)
        start = time.perf_counter()
        if position == 0:
            output, iterations, loss = prior.load(index), 0, float("nan")
        else:
            output, result = paint_frame(
                stylizer, content, history.earlier(), video=video, prior=prior.load(index), reporter=reporter
            )
            iterations, loss = result.iterations, result.loss
        target.save(index, output)
        history.push(position, content, output)
        seconds = time.perf_counter() - start
        reporter.item_done(FrameEvent(item, total * passes, iterations, seconds, loss, resumed=False))
