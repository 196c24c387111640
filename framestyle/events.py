"""What the core reports while it works. The core never prints: it calls a Reporter.

A Reporter has five moments, each a no-op by default, so an implementation overrides
only what it shows: every optimizer step, an item (frame or picture) started, an item
done, the finishing stage (encoding a video, exporting a folder) beginning, and each
frame that stage has written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # for annotations only: importing events (and ui) must not load torch
    import torch


@dataclass(frozen=True)
class IterationEvent:
    """One optimizer step.

    ``image`` is the current image (RGB, [0, 1], NCHW) shared with the optimizer,
    not a copy: clone it if you keep it.
    """

    iteration: int  # 1-based, counted across all scales
    total: int  # the iteration budget across all scales (early stop may end sooner)
    scale: int  # 0-based index into the scale ladder
    scales: int
    width: int
    height: int
    loss: float
    losses: dict[str, float]
    elapsed: float  # seconds since this stylization started
    image: torch.Tensor


@dataclass(frozen=True)
class FrameEvent:
    """One painting of a sequence's frame finished (or found finished in the work folder).

    With several passes (``VideoConfig.passes``) each frame is painted once per pass:
    ``index`` and ``total`` count paintings, and ``painting_of`` gives the pass and frame."""

    index: int  # 0-based
    total: int
    iterations: int
    seconds: float
    loss: float
    resumed: bool  # True: taken from an earlier, interrupted run
    cut: bool = False  # the frame starts a new shot, painted from scratch (``flow.new_shot``)
    fade: bool = False  # the frame starts a new shot where a cross-fade settled (``FrameHistory.enter``)


def painting_of(item: int, frames: int) -> tuple[int, int]:
    """(pass, frame) of item ``item`` of a sequence of ``frames`` frames painted in
    passes: pass n's k-th painting is item ``n * frames + k``, and odd passes go backwards.

    >>> painting_of(1, 3), painting_of(3, 3), painting_of(5, 3)
    ((0, 1), (1, 2), (1, 0))
    """
    number, position = divmod(item, frames)
    return number, position if number % 2 == 0 else frames - 1 - position


BatchStatus = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class BatchEvent:
    """One picture of a folder batch painted, skipped (already done) or failed."""

    index: int
    total: int
    source: Path
    output: Path
    status: BatchStatus
    message: str = ""
    seconds: float = 0.0


ItemEvent = FrameEvent | BatchEvent


class Reporter(Protocol):
    """Receives progress; every method is optional (subclass and override)."""

    def iteration(self, event: IterationEvent) -> None:
        """One optimizer step of the picture being painted."""
        return None

    def item_started(self, index: int) -> None:
        """Painting of frame or picture ``index`` (0-based) begins."""
        return None

    def item_done(self, event: ItemEvent) -> None:
        """A frame or picture is finished, skipped, failed or found done."""
        return None

    def finishing(self) -> None:
        """Every item is done; the output is being written (encode, export)."""
        return None

    def writing(self, done: int, total: int) -> None:
        """The finishing stage has written ``done`` of its ``total`` frames."""
        return None


class Silent(Reporter):
    """Reports nothing: the default everywhere a reporter is optional."""


SILENT: Reporter = Silent()


class Callbacks(Reporter):
    """A Reporter from plain functions, for scripts and notebooks:
    ``Callbacks(iteration=lambda e: print(e.loss))``."""

    def __init__(
        self,
        *,
        iteration: Callable[[IterationEvent], object] | None = None,
        item_started: Callable[[int], object] | None = None,
        item_done: Callable[[ItemEvent], object] | None = None,
        finishing: Callable[[], object] | None = None,
        writing: Callable[[int, int], object] | None = None,
    ) -> None:
        self._iteration = iteration
        self._item_started = item_started
        self._item_done = item_done
        self._finishing = finishing
        self._writing = writing

    def iteration(self, event: IterationEvent) -> None:
        if self._iteration is not None:
            self._iteration(event)

    def item_started(self, index: int) -> None:
        if self._item_started is not None:
            self._item_started(index)

    def item_done(self, event: ItemEvent) -> None:
        if self._item_done is not None:
            self._item_done(event)

    def finishing(self) -> None:
        if self._finishing is not None:
            self._finishing()

    def writing(self, done: int, total: int) -> None:
        if self._writing is not None:
            self._writing(done, total)


class Tee(Reporter):
    """Hands every event to each of several reporters, in order."""

    def __init__(self, *reporters: Reporter) -> None:
        self.reporters = reporters

    def iteration(self, event: IterationEvent) -> None:
        for r in self.reporters:
            r.iteration(event)

    def item_started(self, index: int) -> None:
        for r in self.reporters:
            r.item_started(index)

    def item_done(self, event: ItemEvent) -> None:
        for r in self.reporters:
            r.item_done(event)

    def finishing(self) -> None:
        for r in self.reporters:
            r.finishing()

    def writing(self, done: int, total: int) -> None:
        for r in self.reporters:
            r.writing(done, total)


class RecordingReporter(Reporter):
    """Keeps every event, in order: for tests and for callers that summarise afterwards."""

    def __init__(self) -> None:
        self.iterations: list[IterationEvent] = []
        self.started: list[int] = []
        self.items: list[ItemEvent] = []
        self.finished = False
        self.written: list[tuple[int, int]] = []  # (done, total) of the finishing stage

    def iteration(self, event: IterationEvent) -> None:
        self.iterations.append(event)

    def item_started(self, index: int) -> None:
        self.started.append(index)

    def item_done(self, event: ItemEvent) -> None:
        self.items.append(event)

    def finishing(self) -> None:
        self.finished = True

    def writing(self, done: int, total: int) -> None:
        self.written.append((done, total))


__all__ = [
    "SILENT",
    "BatchEvent",
    "BatchStatus",
    "Callbacks",
    "FrameEvent",
    "ItemEvent",
    "IterationEvent",
    "RecordingReporter",
    "Reporter",
    "Silent",
    "Tee",
    "painting_of",
]
