"""Terminal output: progress bars, summaries and the dry-run report. Only the CLI uses this."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..events import BatchEvent, ItemEvent, IterationEvent, Reporter, painting_of
from .flags import flag_spelling

if TYPE_CHECKING:
    pass

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


class _CountColumn(ProgressColumn):
    """done/total; a task whose bar measures something else (steps) shows its ``count`` field."""

    def render(self, task: Task) -> Text:
        count = task.fields.get("count")
        if count is None:
            total = "?" if task.total is None else str(int(task.total))
            count = f"{int(task.completed)}/{total}"
        return Text(count, style="progress.download")


def _progress(*, quiet: bool, label_width: int = 0, clock: Callable[[], float] | None = None) -> Progress:
    """Label, bar, n/total, a detail field, elapsed and ETA; gone from the screen when done.

    ``clock``: rich's time source, for tests; the ETA is (total - completed) / speed.
    """
    return Progress(
        TextColumn(f"{{task.description:>{label_width}}}" if label_width else "{task.description}"),
        BarColumn(),
        _CountColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=quiet,
        get_time=clock,
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


class StepBudget:
    """How much of a run's work is done, in optimizer steps rather than items.

    Items differ in cost (a sequence's first frame has a larger budget than the rest), so
    an ETA from items done is wrong after a long first frame; one from steps is not.
    Each item weighs its step budget; an item found done (resumed, skipped) weighs
    nothing, and one that ends early (early stop, failure) weighs the steps it took.
    """

    def __init__(self, budgets: Sequence[int]) -> None:
        self.budgets = list(budgets)
        self.total = sum(self.budgets)
        self.finished_steps = 0
        self.running: dict[int, int] = {}  # steps so far of items being painted

    def step(self, index: int, iteration: int) -> None:
        self.running[index] = min(iteration, self.budgets[index])

    def rebudget(self, index: int, budget: int) -> None:
        """Item ``index`` turned out to have ``budget`` steps: a frame after a cut is painted
        from scratch, with the first frame's budget, which no plan foresees."""
        self.total += budget - self.budgets[index]
        self.budgets[index] = budget

    def finish(self, index: int, steps: int | None) -> None:
        """Item ``index`` is over after ``steps`` steps (None: as many as it was seen take)."""
        seen = self.running.pop(index, 0)
        spent = seen if steps is None else steps
        # The estimate becomes the fact: what it took replaces what it might have taken.
        self.total += spent - self.budgets[index]
        self.finished_steps += spent

    @property
    def completed(self) -> int:
        return self.finished_steps + sum(self.running.values())


class FrameBars(_Display, Reporter):
    """Bars for sequences and batches: items overall (measured in steps, so the ETA knows
    the first frame's larger budget), the current item's steps, then the output being
    written ("encoding" or ``finish_label``)."""

    def __init__(
        self,
        *,
        quiet: bool,
        budgets: Sequence[int],
        label: str = "frames",
        finish_label: str = "encoding",
        frames: int = 0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # ``frames``: a sequence's frames, when painted in several passes (one item each
        # time a frame is painted; see ``events.painting_of``).
        self.passes = len(budgets) // frames if frames else 1
        self.sequence_frames = frames
        self.total = len(budgets)
        self.work = StepBudget(budgets)
        self.progress = _progress(quiet=quiet, label_width=9, clock=clock)
        self.frames = self.progress.add_task(label, total=self.work.total, detail="", count=f"0/{self.total}")
        self.steps = self.progress.add_task("frame", total=1, detail="", visible=False)
        self.writes = self.progress.add_task(finish_label, total=self.total, detail="", visible=False)
        self.stylized_seconds: list[float] = []
        self.completed = 0  # items finish out of order with parallel workers
        self.current: int | None = None  # the item whose steps arrive (one at a time locally)
        self.cuts: list[int] = []  # frames (from 0) that started a new shot in the first pass
        self.fades: list[int] = []  # frames where a cross-fade's new shot settled

    def _show_work(self, detail: str | None = None) -> None:
        # total stays positive: a fully resumed run has no steps left, and rich divides by it.
        count = f"{self.completed}/{self.total}"
        self.progress.update(self.frames, completed=self.work.completed, total=max(1, self.work.total), count=count)
        if detail is not None:
            self.progress.update(self.frames, detail=detail)

    def iteration(self, event: IterationEvent) -> None:
        self.progress.update(self.steps, completed=event.iteration, total=event.total, detail=f"loss {event.loss:.4g}")
        if self.current is not None:
            if event.total != self.work.budgets[self.current]:
                self.work.rebudget(self.current, event.total)
            self.work.step(self.current, event.iteration)
            self._show_work()

    def item_started(self, index: int) -> None:
        self.current = index
        description = f"frame {index + 1}"
        if self.passes > 1:
            number, frame = painting_of(index, self.sequence_frames)
            description = f"pass {number + 1}/{self.passes} frame {frame + 1}"
        self.progress.reset(self.steps, total=1, description=description, detail="", visible=True)

    def item_done(self, event: ItemEvent) -> None:
        steps: int | None
        if isinstance(event, BatchEvent):
            if event.status == "failed":
                say(f"failed: {event.source}: {flag_spelling(event.message)}")
            computed = event.status == "done"
            # A batch event has no step count: a picture took the steps seen of it, or
            # its whole budget when they ran where no step is reported (Ray workers).
            if event.index in self.work.running:
                steps = None
            else:
                steps = self.work.budgets[event.index] if computed else 0
        else:
            computed = not event.resumed
            steps = event.iterations if computed else 0
            if event.index < (self.sequence_frames or self.total):  # a later pass meets a cut again
                if event.cut:
                    self.cuts.append(event.index)
                if event.fade:
                    self.fades.append(event.index)
        self.work.finish(event.index, steps)
        if self.current == event.index:
            self.current = None
        # Resumed frames and skipped pictures cost nothing: they would skew the s/item rate.
        if computed:
            self.stylized_seconds.append(event.seconds)
        self.completed += 1
        recent = self.stylized_seconds[-10:]
        detail = f"{sum(recent) / len(recent):.1f}s/item" if recent else "resuming"
        self._show_work(detail=detail)

    def finishing(self) -> None:
        self.progress.update(self.steps, visible=False)
        self.progress.update(self.frames, detail="done")
        self.progress.update(self.writes, visible=True)

    def writing(self, done: int, total: int) -> None:
        self.progress.update(self.writes, completed=done, total=total)
