"""Terminal output: progress bars, summaries and the dry-run report. Only the CLI uses this."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

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

from .events import BatchEvent, ItemEvent, IterationEvent, Reporter

if TYPE_CHECKING:
    from .backend import Backend
    from .config import StyleConfig, VideoConfig
    from .io.video import VideoInfo
    from .pipeline import BatchSummary, ImageOutcome, VideoOutcome, VideoPlan
    from .pipeline.folder import FolderPlan, SequenceOutcome
    from .pipeline.space import DiskSpace

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
    """Two bars for sequences and batches: items overall (s/item, ETA) and the current item's steps."""

    def __init__(self, *, quiet: bool, total: int, label: str = "frames") -> None:
        self.total = total
        self.progress = _progress(quiet=quiet, label_width=9)
        self.frames = self.progress.add_task(label, total=total, detail="")
        self.steps = self.progress.add_task("frame", total=1, detail="", visible=False)
        self.stylized_seconds: list[float] = []
        self.completed = 0  # items finish out of order with parallel workers

    def iteration(self, event: IterationEvent) -> None:
        self.progress.update(self.steps, completed=event.iteration, total=event.total, detail=f"loss {event.loss:.4g}")

    def item_started(self, index: int) -> None:
        self.progress.reset(self.steps, total=1, description=f"frame {index + 1}", detail="", visible=True)

    def item_done(self, event: ItemEvent) -> None:
        if isinstance(event, BatchEvent):
            if event.status == "failed":
                say(f"failed: {event.source}: {event.message}")
            computed = event.status == "done"
        else:
            computed = not event.resumed
        # Resumed frames and skipped pictures cost nothing: they would skew the s/item rate.
        if computed:
            self.stylized_seconds.append(event.seconds)
        self.completed += 1
        recent = self.stylized_seconds[-10:]
        detail = f"{sum(recent) / len(recent):.1f}s/item" if recent else "resuming"
        self.progress.update(self.frames, completed=self.completed, detail=detail)

    def finishing(self) -> None:
        self.progress.update(self.steps, visible=False)
        self.progress.update(self.frames, detail="encoding")


# --- what the commands print: built here so that they only parse, call and print -----------


def image_summary(outcome: ImageOutcome) -> str:
    r = outcome.result
    w, h = outcome.size
    stop = ", stopped early" if r.stopped_early else ""
    lines = [
        f"wrote {outcome.output} ({w}x{h}) in {duration(r.seconds)}: "
        f"{r.iterations} iterations{stop}, {loss_breakdown(r.loss, r.losses)}"
    ]
    if outcome.animation is not None:
        lines.append(f"wrote {outcome.animation}")
    return "\n".join(lines)


def container_note(info: VideoInfo, *, trimmed: bool) -> str | None:
    """A note when the container's frame count is wrong (meaningless when only part is read)."""
    if info.container_frames and info.container_frames != info.frames and not trimmed:
        return f"note: the container claims {info.container_frames} frames; {info.frames} decode"
    return None


def disk_space_text(space: Sequence[DiskSpace]) -> str:
    """``disk: about 12.0 MB (frames 10.0 MB, video 2.0 MB), 3.1 GB free in out/``, one
    line per file system, saying when the run would be refused."""
    return "\n".join(
        f"disk: {disk.describe()} in {disk.folder}" + ("" if disk.fits else " -- not enough: the run would be refused")
        for disk in space
    )


def video_dry_run_text(
    plan: VideoPlan,
    style: StyleConfig,
    video: VideoConfig,
    *,
    seconds: float,
    backend: Backend,
    space: Sequence[DiskSpace] = (),
) -> str:
    info = plan.info
    w, h = plan.size
    dropped = " (dropped: --no-audio)" if info.has_audio and not plan.audio else ""
    return (
        f"video: {info.path} ({info.width}x{info.height})\n"
        f"frames: {info.frames} from {info.start_seconds:.2f}s, {float(info.fps):.3f} fps ({info.fps}), "
        f"{info.duration:.2f}s\n"
        f"working size: {w}x{h}\n"
        f"audio: {'yes' if plan.audio else 'no'}{dropped}\n"
        f"temporal: {video.temporal}; steps: {video.first_iterations} first, "
        f"{style.iterations} per later frame (early stop may end sooner)\n"
        f"output: {plan.output}\n"
        f"estimated time here: {duration(seconds)} ({seconds / info.frames:.1f}s/frame, "
        f"{backend.device.type}, {backend.autocast_dtype or 'fp32'})" + ("\n" + disk_space_text(space) if space else "")
    )


def video_summary(plan: VideoPlan, outcome: VideoOutcome) -> str:
    w, h = plan.size
    fresh = outcome.frames - outcome.resumed
    resumed = f" ({outcome.resumed} resumed from an earlier run)" if outcome.resumed else ""
    per_frame = outcome.seconds / max(1, fresh)
    return (
        f"wrote {outcome.output} ({w}x{h}, {outcome.frames} frames at {float(plan.info.fps):.3f} fps, "
        f"audio {'kept' if outcome.audio else 'none'}) in {duration(outcome.seconds)}, "
        f"{per_frame:.1f}s/frame{resumed}"
    )


def sequence_summary(outcome: SequenceOutcome) -> str:
    w, h = outcome.size
    lines = []
    if outcome.resized:
        lines.append(f"note: {outcome.resized} frames differed in size from the first and were resized to {w}x{h}")
    resumed = f" ({outcome.resumed} resumed)" if outcome.resumed else ""
    lines.append(f"wrote {outcome.frames} frames ({w}x{h}) to {outcome.output}{resumed}")
    return "\n".join(lines)


def batch_summary(plan: FolderPlan, summary: BatchSummary) -> str:
    return f"{plan.output_dir}: {summary.done} done, {summary.skipped} skipped (already done), {summary.failed} failed"
