"""Folder batches' bookkeeping: which pictures are left, the manifest of the output
folder, the tally of done, skipped and failed pictures, and what an interrupt says.

The engine only paints; everything here runs in the driver, the same for every engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import StyleConfig
from ..errors import FramestyleError, Interrupted, OutputError
from ..events import BatchEvent, BatchStatus, Reporter
from ..io.files import ensure_dir
from ..store import changed_settings, read_manifest, write_manifest
from .common import init_image, load_content
from .paint import PictureTask

BATCH_MANIFEST = ".framestyle.json"


@dataclass(frozen=True)
class BatchJob:
    """One picture of a batch that still needs painting."""

    index: int
    total: int
    source: Path
    output: Path
    animation: Path | None

    def event(self, status: BatchStatus, message: str = "", seconds: float = 0.0) -> BatchEvent:
        return BatchEvent(self.index, self.total, self.source, self.output, status, message, seconds)


@dataclass
class BatchSummary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)


class BatchBook:
    """The tally of one batch, reporting each picture's fate as it is recorded."""

    def __init__(self, total: int, reporter: Reporter) -> None:
        self.total = total
        self.reporter = reporter
        self.summary = BatchSummary()

    def record(self, event: BatchEvent) -> None:
        if event.status == "done":
            self.summary.done += 1
        elif event.status == "skipped":
            self.summary.skipped += 1
        else:
            self.summary.failed += 1
            self.summary.failures.append((event.source, event.message))
        self.reporter.item_done(event)

    def interrupted(self) -> Interrupted:
        kept = self.summary.done + self.summary.skipped
        return Interrupted(f"interrupted after {kept} of {self.total} images; run the same command again to continue")


def check_batch_manifest(output_dir: Path, settings: dict[str, object], *, overwrite: bool) -> None:
    """Existing outputs are only reused if they were made with the same settings; record ours."""
    path = output_dir / BATCH_MANIFEST
    found = (read_manifest(path) or {}).get("settings") if path.exists() else None
    if path.exists() and found != settings and not overwrite:
        raise OutputError(
            f"{output_dir} holds results made with other settings ({changed_settings(found, settings)}); "
            "pass `overwrite=True` to redo them, or choose another output folder"
        )
    if found != settings:
        ensure_dir(output_dir)
        write_manifest(path, {"settings": settings})


def pending_jobs(jobs: Sequence[BatchJob], book: BatchBook, *, overwrite: bool) -> list[BatchJob]:
    """The jobs still to paint; finished ones are recorded as skipped."""
    left = []
    for job in jobs:
        if job.output.exists() and not overwrite and (job.animation is None or job.animation.exists()):
            book.record(job.event("skipped", "already done"))
        else:
            left.append(job)
    return left


def picture_tasks(
    jobs: Iterable[BatchJob],
    config: StyleConfig,
    book: BatchBook,
    *,
    animate_every: int,
    check: Callable[[tuple[int, int]], object] | None = None,
) -> Iterator[PictureTask]:
    """Each job's picture read at the working size, lazily (an engine pulls as it has room);
    a picture that cannot be read, or that ``check`` refuses (its size), fails alone."""
    for job in jobs:
        try:
            content = load_content(job.source, config.size)
            if check is not None:
                check((content.shape[1], content.shape[0]))
            init = init_image(config, (content.shape[1], content.shape[0]))
        except FramestyleError as err:
            book.record(job.event("failed", str(err)))
            continue
        yield PictureTask(job.index, content, init, animate_every=animate_every if job.animation else 0)
