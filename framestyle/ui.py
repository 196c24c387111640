"""Terminal output: progress bars and summaries on stderr. Only the CLI uses this."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .events import BatchEvent, IterationEvent, ItemEvent, Reporter

stderr = Console(stderr=True, highlight=False)


def say(message: str) -> None:
    stderr.print(message, markup=False, highlight=False, soft_wrap=True)


def duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def loss_breakdown(loss: float, losses: dict[str, float]) -> str:
    parts = ", ".join(f"{k} {v:.4g}" for k, v in losses.items())
    return f"loss {loss:.4g}" + (f" ({parts})" if parts else "")


def _progress(*, quiet: bool, label_width: int = 0) -> Progress:
    """Label, bar, n/total, a detail field, elapsed and ETA; gone from the screen when done."""
    return Progress(
        TextColumn(f"{{task.description:>{label_width}}}" if label_width else "{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=quiet,
    )


_D = TypeVar("_D", bound="_Display")


class _Display:
    """A rich Progress shown while the ``with`` block runs."""

    progress: Progress

    def __enter__(self: _D) -> _D:
        self.progress.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.__exit__(exc_type, exc, tb)


class IterationBar(_Display, Reporter):
    """A rich bar over one image's optimizer steps: step, loss, elapsed, ETA."""

    def __init__(self, *, quiet: bool, description: str = "stylizing") -> None:
        self.quiet = quiet
        self.description = description
        self.progress = _progress(quiet=quiet)
        self.task: TaskID | None = None

    def iteration(self, event: IterationEvent) -> None:
        if self.task is None:
            self.task = self.progress.add_task(self.description, total=event.total, detail="")
        scale = f"scale {event.scale + 1}/{event.scales} " if event.scales > 1 else ""
        detail = f"{scale}{event.width}x{event.height} loss {event.loss:.4g}"
        self.progress.update(self.task, completed=event.iteration, total=event.total, detail=detail)


class FrameBars(_Display, Reporter):
    """Two bars for sequences: frames overall (s/frame, ETA) and the current frame's steps."""

    def __init__(self, *, quiet: bool, total: int, label: str = "frames") -> None:
        self.total = total
        self.progress = _progress(quiet=quiet, label_width=9)
        self.frames = self.progress.add_task(label, total=total, detail="")
        self.steps = self.progress.add_task("frame", total=1, detail="", visible=False)
        self.stylized_seconds: list[float] = []
        self.completed = 0  # items finish out of order with parallel workers

    def item_started(self, index: int) -> None:
        self.progress.reset(self.steps, total=1, description=f"frame {index + 1}", detail="", visible=True)

    def item_done(self, event: ItemEvent) -> None:
        if isinstance(event, BatchEvent):
            if event.status == "failed":
                say(f"failed: {event.source}: {event.message}")
            seconds = event.seconds if event.status == "done" else None
        else:
            seconds = None if event.resumed else event.seconds
        if seconds is not None:
            self.stylized_seconds.append(seconds)
        self.completed += 1
        recent = self.stylized_seconds[-10:]
        detail = f"{sum(recent) / len(recent):.1f}s/item" if recent else "resuming"
        self.progress.update(self.frames, completed=self.completed, detail=detail)

    def finishing(self) -> None:
        self.progress.update(self.steps, visible=False)
        self.progress.update(self.frames, detail="encoding")

    def iteration(self, event: IterationEvent) -> None:
        self.progress.update(
            self.steps, completed=event.iteration, total=event.total, detail=f"loss {event.loss:.4g}"
        )
