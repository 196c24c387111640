"""Terminal output: progress bars, summaries and the dry-run report. Only the CLI uses this."""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

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

from .events import BatchEvent, ItemEvent, IterationEvent, Reporter

if TYPE_CHECKING:
    from .backend import Backend
    from .config import StyleConfig, VideoConfig
    from .io.video import VideoInfo
    from .pipeline import BatchSummary, ImageOutcome, VideoOutcome, VideoPlan
    from .pipeline.folder import FolderPlan, SequenceOutcome
    from .pipeline.preview import PreviewSheet
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
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.total = len(budgets)
        self.work = StepBudget(budgets)
        self.progress = _progress(quiet=quiet, label_width=9, clock=clock)
        self.frames = self.progress.add_task(label, total=self.work.total, detail="", count=f"0/{self.total}")
        self.steps = self.progress.add_task("frame", total=1, detail="", visible=False)
        self.writes = self.progress.add_task(finish_label, total=self.total, detail="", visible=False)
        self.stylized_seconds: list[float] = []
        self.completed = 0  # items finish out of order with parallel workers
        self.current: int | None = None  # the item whose steps arrive (one at a time locally)

    def _show_work(self, detail: str | None = None) -> None:
        # total stays positive: a fully resumed run has no steps left, and rich divides by it.
        count = f"{self.completed}/{self.total}"
        self.progress.update(self.frames, completed=self.work.completed, total=max(1, self.work.total), count=count)
        if detail is not None:
            self.progress.update(self.frames, detail=detail)

    def iteration(self, event: IterationEvent) -> None:
        self.progress.update(self.steps, completed=event.iteration, total=event.total, detail=f"loss {event.loss:.4g}")
        if self.current is not None:
            self.work.step(self.current, event.iteration)
            self._show_work()

    def item_started(self, index: int) -> None:
        self.current = index
        self.progress.reset(self.steps, total=1, description=f"frame {index + 1}", detail="", visible=True)

    def item_done(self, event: ItemEvent) -> None:
        steps: int | None
        if isinstance(event, BatchEvent):
            if event.status == "failed":
                say(f"failed: {event.source}: {event.message}")
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
    dropped = ""
    if info.has_audio and not plan.audio:
        dropped = f" (dropped: {_no_sound(plan)})"
    return (
        f"video: {info.path} ({info.width}x{info.height})\n"
        f"frames: {info.frames} from {info.start_seconds:.2f}s, {float(info.fps):.3f} fps ({info.fps}), "
        f"{info.duration:.2f}s\n"
        f"working size: {w}x{h}\n"
        f"audio: {'yes' if plan.audio else 'no'}{dropped}\n"
        f"temporal: {video.temporal}; steps: {video.first_iterations} first, "
        f"{style.iterations} per later frame (early stop may end sooner)\n"
        f"output: {plan.output}{' (original | painted, side by side)' if plan.side_by_side else ''}\n"
        f"estimated time here: {duration(seconds)} ({seconds / info.frames:.1f}s/frame, "
        f"{backend.device.type}, {backend.autocast_dtype or 'fp32'})" + ("\n" + disk_space_text(space) if space else "")
    )


def _no_sound(plan: VideoPlan) -> str:
    """Why a clip's sound is not in the output."""
    if not plan.container_audio:
        return f"{plan.output.suffix.lower()} holds no sound"
    return "--no-audio"


def video_summary(plan: VideoPlan, outcome: VideoOutcome) -> str:
    w, h = plan.size
    if plan.side_by_side:
        w *= 2
    audio = "kept" if outcome.audio else "none"
    if not outcome.audio and plan.info.has_audio and not plan.container_audio:
        audio = f"dropped: {_no_sound(plan)}"
    fresh = outcome.frames - outcome.resumed
    resumed = f" ({outcome.resumed} resumed from an earlier run)" if outcome.resumed else ""
    per_frame = outcome.seconds / max(1, fresh)
    return (
        f"wrote {outcome.output} ({w}x{h}, {outcome.frames} frames at {float(plan.info.fps):.3f} fps, "
        f"audio {audio}) in {duration(outcome.seconds)}, "
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


def preview_commands(sheet: PreviewSheet, source: Path, styles: Sequence[Path], *, given: Mapping[str, Any]) -> str:
    """One line per cell: its values and the command that paints it at full size.

    ``given`` holds the preview's flags by name: the settings among them that were set
    (not None) are carried into every command, except the preview's own cell size and budget."""
    from .config import CONFIG_CLASSES
    from .io.video import VIDEO_EXTENSIONS

    settings = {f.name for cls in CONFIG_CLASSES for f in dataclasses.fields(cls)} - {"size", "iterations"}
    command = "video" if Path(source).suffix.lower() in VIDEO_EXTENSIONS else "image"
    lines = []
    for number, cell in enumerate(sheet.cells, start=1):
        cell_styles = [cell.values["style"]] if "style" in cell.values else list(styles)
        flags = {k: v for k, v in given.items() if k in settings and v is not None and k not in cell.values}
        if given.get("config") is not None:
            flags = {"config": given["config"], **flags}
        flags.update({k: v for k, v in cell.values.items() if k != "style"})
        words = ["framestyle", command, str(source), *map(str, cell_styles), *_as_flags(flags)]
        caption = ", ".join(f"{k.replace('_', '-')}={_shown(v)}" for k, v in cell.values.items())
        lines.append(f"cell {number} ({caption}): {shlex.join(words)}")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return Path(value).name if isinstance(value, Path) else str(value)


def _as_flags(flags: Mapping[str, Any]) -> list[str]:
    words: list[str] = []
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            words.append(flag if value else f"--no-{name.replace('_', '-')}")
        else:
            words += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return words


def toml_value(value: object) -> str:
    """A setting's value as TOML writes it, so listed presets can be copied into a file.

    >>> toml_value(True), toml_value("lbfgs"), toml_value(("relu1_1", "relu2_1")), toml_value(0.0001)
    ('true', '"lbfgs"', '["relu1_1", "relu2_1"]', '0.0001')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string uses JSON's escapes
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def presets_text(
    presets: Sequence[tuple[str, str, Mapping[str, object]]],
    user_path: Path | None,
    user_values: Mapping[str, object] | None,
) -> str:
    """`framestyle presets`: each preset (name, description, values), then the user's
    defaults file (None values: the file does not exist)."""
    lines = ["Presets (--config NAME; settings come from the defaults, your defaults file, the preset, then flags):"]
    for name, description, values in presets:
        lines += ["", f"{name}: {description}" if description else name]
        lines += [f"  {key} = {toml_value(value)}" for key, value in values.items()]
    lines.append("")
    if user_path is None:
        lines.append("Your defaults file: none (no home directory)")
    elif user_values is None:
        lines.append(f"Your defaults file: {user_path} (not present; same keys as a preset)")
    else:
        lines.append(f"Your defaults file: {user_path}")
        lines += [f"  {key} = {toml_value(value)}" for key, value in user_values.items()]
        if not user_values:
            lines.append("  (empty)")
    return "\n".join(lines)
