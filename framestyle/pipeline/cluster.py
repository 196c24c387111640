"""The Ray engine: the same folder batch and frame sequence, spread over Ray workers.

The driver (this process) decodes, decides what is left to do, and writes every file
through the same sinks and resume logic as a local run; workers only paint the pixels
they are sent. So a cluster needs no shared filesystem, and a worker that dies loses
at most the picture it was painting.

Videos are split into segments painted in parallel, each in order with temporal
coherence. A segment (but the first) starts ``overlap`` frames early, from scratch, so
that by its first own frame it is settled; those lead-in frames are then cross-faded
with the previous segment's last frames, which hides the seam.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import RuntimeConfig, StyleConfig, VideoConfig
from ..errors import ConfigError, DecodeError, FramestyleError, Interrupted, WorkerError
from ..store import FrameStore
from ..stylize import Backend
from .common import load_styles
from .folder import (
    BatchEvent,
    BatchSummary,
    FolderPlan,
    batch_jobs,
    interrupted_batch,
    load_job,
    prepare_batch,
    record,
    save_job,
)
from .image import PaintedPicture
from .sequence import FinishStore, FrameCallback, FrameEvent

MISSING_RAY = "the Ray engine needs Ray installed: pip install 'framestyle[ray]'"
RETRIES = 3  # per task, for crashes and lost workers; framestyle's own errors are not retried


from ..config import RayConfig  # noqa: E402


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(MISSING_RAY) from None
    return ray


@contextlib.contextmanager
def _stderr_to(sink: Any) -> Iterator[None]:
    """Send file descriptor 2 to ``sink``: Ray's C++ core prints notices there, which
    would break the one-line error rule and clutter the progress bars."""
    saved = os.dup(2)
    try:
        os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class PaintWorker:
    """A Ray actor: the network and style targets, loaded once, painting what it is sent."""

    def __init__(
        self,
        styles: list[torch.Tensor],
        config: StyleConfig,
        runtime: RuntimeConfig,
        color_reference: np.ndarray | None,
    ) -> None:
        import ray

        from ..stylize import Stylizer
        from ..tensors import to_tensor

        if not runtime.threads:
            cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)
            runtime = replace(runtime, threads=max(1, int(cpus)))
        self.stylizer = Stylizer(styles, config=config, runtime=runtime)
        if color_reference is not None:
            self.stylizer.set_color_reference(to_tensor(color_reference))

    def backend(self) -> Backend:
        return self.stylizer.backend

    def paint_picture(self, content: np.ndarray, init: torch.Tensor | None, animate_every: int) -> PaintedPicture:
        from .image import paint_picture

        return paint_picture(self.stylizer, content, init=init, animate_every=animate_every)

    def paint_frame(
        self,
        content: np.ndarray,
        previous_content: np.ndarray | None,
        previous_output: np.ndarray | None,
        scratch: bool,
        video: VideoConfig,
    ) -> tuple[np.ndarray, int, float, float]:
        from .sequence import paint_frame

        start = time.perf_counter()
        output, result = paint_frame(self.stylizer, content, previous_content, previous_output, scratch=scratch, video=video)
        return output, result.iterations, result.loss, time.perf_counter() - start


class RayEngine:
    """Ray started (or joined) and a pool of PaintWorkers, for the ``with`` block."""

    def __init__(
        self,
        ray_config: RayConfig,
        style_paths: Sequence[Path],
        config: StyleConfig,
        runtime: RuntimeConfig,
        *,
        color_reference: np.ndarray | None = None,
        ready_timeout: float = 300.0,
    ) -> None:
        self.ray = import_ray()
        self.ray_config = ray_config
        # Styles travel as tensors: workers on other machines cannot read our files.
        self.styles = load_styles(style_paths, config)
        self.config = config
        self.runtime = runtime
        self.color_reference = color_reference
        self.ready_timeout = ready_timeout
        self.workers: list[Any] = []
        self.backend: Backend | None = None
        self._started_ray = False

    def __enter__(self) -> "RayEngine":
        ray = self.ray
        if not ray.is_initialized():
            # ray.init replaces the SIGINT/SIGTERM handlers with ones that end the process
            # at once; ours stop cleanly and say how to resume, so they are put back.
            handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
            with tempfile.TemporaryFile() as log:
                try:
                    with _stderr_to(log):
                        ray.init(
                            address=self.ray_config.address,
                            include_dashboard=False,
                            log_to_driver=False,
                            logging_level="ERROR",
                        )
                except Exception as err:  # ConnectionError, RuntimeError, ValueError...
                    log.seek(0)
                    raise ConfigError(f"cannot start or reach Ray at {self.ray_config.address or 'a new local instance'}: "
                                      f"{_first_line(err)}") from None  # fmt: skip
                finally:
                    if threading.current_thread() is threading.main_thread():
                        for sig, handler in handlers.items():
                            if handler is not None:
                                signal.signal(sig, handler)
            self._started_ray = True
        try:
            with tempfile.TemporaryFile() as log, _stderr_to(log):
                self._start_workers()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start_workers(self) -> None:
        ray, cfg = self.ray, self.ray_config
        resources = ray.cluster_resources()
        gpus = cfg.gpus_per_worker
        if gpus is None:
            gpus = 1.0 if resources.get("GPU", 0) >= 1 else 0.0
        count = cfg.workers
        if not count:
            by_cpu = int(resources.get("CPU", 1) // cfg.cpus_per_worker)
            count = min(by_cpu, int(resources.get("GPU", 0) // gpus)) if gpus else by_cpu
        if count < 1:
            raise ConfigError(
                f"the Ray cluster has no room for a worker ({cfg.cpus_per_worker:g} CPUs, {gpus:g} GPUs each; "
                f"it has {resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs)"
            )
        actor = ray.remote(PaintWorker).options(
            num_cpus=cfg.cpus_per_worker, num_gpus=gpus, max_restarts=RETRIES, max_task_retries=RETRIES
        )
        # Kept for the engine's life: a restarted worker is built from the same object.
        self._styles_ref = styles = ray.put(self.styles)
        self.workers = [actor.remote(styles, self.config, self.runtime, self.color_reference) for _ in range(count)]
        probes = {w.backend.remote(): w for w in self.workers}
        ready, waiting = ray.wait(list(probes), num_returns=len(probes), timeout=self.ready_timeout)
        for ref in waiting:  # more workers asked for than the cluster can place
            ray.kill(probes[ref])
        self.workers = [probes[ref] for ref in ready]
        if not self.workers:
            raise ConfigError(f"no Ray worker started within {self.ready_timeout:g}s (asked for {count})")
        backends = ray.get(ready)
        self.backend = backends[0]
        if any(b != self.backend for b in backends):
            raise ConfigError(f"Ray workers differ in device or precision ({sorted(set(map(str, backends)))}); "
                              "pass --precision and --gpus-per-worker so they match")  # fmt: skip

    def __exit__(self, *exc: Any) -> None:
        for worker in self.workers:
            with contextlib.suppress(Exception):
                self.ray.kill(worker)
        self.workers = []
        if self._started_ray:
            with tempfile.TemporaryFile() as log, _stderr_to(log):
                self.ray.shutdown()
            self._started_ray = False

    def wait_one(self, refs: Iterable[Any]) -> Any:
        ready, _ = self.ray.wait(list(refs), num_returns=1)
        return ready[0]

    def result(self, ref: Any) -> Any:
        """ray.get, with a worker's FramestyleError raised as itself."""
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as err:
            cause = getattr(err, "cause", None)
            if isinstance(cause, FramestyleError):
                raise cause from None
            raise


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return (text.splitlines()[0] if text else type(err).__name__)[:300]


# -- folders --------------------------------------------------------------------------


def stylize_folder_ray(
    plan: FolderPlan,
    style_paths: Sequence[Path],
    *,
    config: StyleConfig,
    runtime: RuntimeConfig,
    ray_config: RayConfig,
    overwrite: bool = False,
    animate_dir: Path | None = None,
    animate_format: str = "gif",
    animate_every: int = 5,
    animate_fps: float = 12.0,
    on_item: Callable[[BatchEvent], None] | None = None,
    on_item_start: Callable[[int], None] | None = None,
) -> BatchSummary:
    """``stylize_folder`` with one Ray task per picture; same outputs, skips and failures."""
    with RayEngine(ray_config, style_paths, config, runtime) as engine:
        assert engine.backend is not None
        prepare_batch(plan, style_paths, config, runtime, engine.backend, overwrite=overwrite)
        summary = BatchSummary()
        jobs = deque(batch_jobs(
            plan, overwrite=overwrite, animate_dir=animate_dir, animate_format=animate_format, summary=summary,
            on_item=on_item,
        ))  # fmt: skip
        free = deque(engine.workers * 2)  # two tasks queued per worker: no idle gap between pictures
        running: dict[Any, tuple[Any, Any, Any, int]] = {}  # ref -> (job, worker, payload, tries)

        def submit(job: Any, payload: Any, tries: int) -> None:
            worker = free.popleft()
            content, init = payload
            ref = worker.paint_picture.remote(content, init, animate_every if job.animation else 0)
            running[ref] = (job, worker, payload, tries)

        try:
            while jobs or running:
                while jobs and free:
                    job = jobs.popleft()
                    try:
                        payload = load_job(job, config)
                    except FramestyleError as err:
                        record(summary, job.event("failed", str(err)), on_item)
                        continue
                    if on_item_start is not None:
                        on_item_start(job.index)
                    submit(job, payload, 0)
                if not running:
                    continue
                ref = engine.wait_one(running)
                job, worker, payload, tries = running.pop(ref)
                free.append(worker)
                try:
                    painted = engine.result(ref)
                    save_job(job, painted, animate_fps=animate_fps)
                except FramestyleError as err:
                    record(summary, job.event("failed", str(err)), on_item)
                    continue
                except Exception as err:  # a crash or a lost worker: try again elsewhere
                    if tries + 1 < RETRIES:
                        submit(job, payload, tries + 1)
                    else:
                        record(summary, job.event("failed", f"worker failed {RETRIES} times: {_first_line(err)}"), on_item)
                    continue
                record(summary, job.event("done", seconds=painted.result.seconds), on_item)
        except KeyboardInterrupt:
            raise interrupted_batch(summary, len(plan.images)) from None
    return summary


# -- frame sequences --------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """Frames ``lead`` .. ``end`` - 1 painted in order; ``start`` .. ``end`` - 1 are its own."""

    number: int
    lead: int
    start: int
    end: int


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


class _Lane:
    """One segment being painted: its content frames and where it has got to."""

    def __init__(self, segment: Segment, frames: list[np.ndarray], store: FrameStore) -> None:
        self.segment = segment
        self.frames = frames  # content, from segment.lead
        self.store = store
        done = store.finished(limit=segment.end - segment.lead, start=segment.lead)
        self.next = segment.lead + done
        self.previous_output = store.load(self.next - 1) if done else None
        self.tries = 0

    def content(self, index: int) -> np.ndarray:
        return self.frames[index - self.segment.lead]

    def call(self, video: VideoConfig) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, bool, VideoConfig]:
        i = self.next
        previous_content = self.content(i - 1) if i > self.segment.lead else None
        return self.content(i), previous_content, self.previous_output, i == self.segment.lead, video


def _segment_frames(frames: Iterator[np.ndarray], segments: Sequence[Segment]) -> Iterator[list[np.ndarray]]:
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


def run_sequence_ray(
    frames: Iterable[np.ndarray],
    *,
    total: int,
    work_folder: Path,
    settings: dict[str, Any],
    engine: RayEngine,
    video: VideoConfig,
    finish: FinishStore,
    restart: bool = False,
    keep_frames: bool = False,
    unit: str = "frames",
    on_frame: FrameCallback | None = None,
    on_finish: Callable[[], None] | None = None,
) -> int:
    """``run_sequence`` on Ray workers: segments in parallel, then the same finish (encode
    or export) from the same work folder. Returns how many frames were already done."""
    cfg = engine.ray_config
    coherent = video.temporal != "none"
    # Independent frames are one-frame segments: the same frames as a local run.
    segment, overlap = (cfg.segment, cfg.overlap) if coherent else (1, 0)
    if coherent:
        settings = {**settings, "segment": min(segment, total), "overlap": overlap if total > segment else 0}
    store = FrameStore.open(work_folder, settings, restart=restart)
    segments = plan_segments(total, segment, overlap)
    resumed = store.finished(limit=total)
    for seg in segments:
        if seg.end <= resumed:
            continue
        for index in range(max(seg.start, resumed), seg.end):
            if store.frame_path(index).exists() and on_frame is not None:
                on_frame(FrameEvent(index, total, 0, 0.0, float("nan"), resumed=True))
    pending = deque(s for s in segments if not all(store.frame_path(i).exists() for i in range(s.start, s.end)))
    decoded = _segment_frames(iter(frames), segments)
    wanted = {seg.number for seg in pending}
    chunks: dict[int, list[np.ndarray]] = {}
    decoded_count = 0
    free = deque(engine.workers)
    running: dict[Any, tuple[_Lane, Any]] = {}

    def start_next(lane: _Lane, worker: Any) -> None:
        ref = worker.paint_frame.remote(*lane.call(video))
        running[ref] = (lane, worker)

    try:
        while pending or running:
            while pending and free:
                seg = pending.popleft()
                while decoded_count <= seg.number:  # segments decode in order; finished ones are dropped
                    chunk = next(decoded)
                    if decoded_count in wanted:
                        chunks[decoded_count] = chunk
                    decoded_count += 1
                lane = _Lane(seg, chunks.pop(seg.number), store.segment(seg.number) if coherent else store)
                if lane.next >= seg.end:  # painted before an interruption, not yet composed
                    continue
                start_next(lane, free.popleft())
            if not running:
                continue
            ref = engine.wait_one(running)
            lane, worker = running.pop(ref)
            try:
                output, iterations, loss, seconds = engine.result(ref)
            except FramestyleError:
                raise  # our own errors are deterministic: a retry would fail the same way
            except Exception as err:  # a crash or a lost worker: the lane goes on from its last frame
                lane.tries += 1
                if lane.tries >= RETRIES:
                    raise WorkerError(
                        f"segment {lane.segment.number + 1} failed {RETRIES} times on Ray workers: {_first_line(err)}"
                    ) from None
                start_next(lane, worker)
                continue
            index = lane.next
            lane.store.save(index, output)
            lane.previous_output, lane.next, lane.tries = output, index + 1, 0
            if on_frame is not None and index >= lane.segment.start:
                on_frame(FrameEvent(index, total, iterations, seconds, loss, resumed=False))
            if lane.next < lane.segment.end:
                start_next(lane, worker)
            else:
                lane.frames = []
                free.append(worker)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted with {unit} kept in {store.folder}; run the same command again to resume"
        ) from None
    if coherent:
        compose_frames(store, segments, total)
    elif store.finished(limit=total) < total:
        raise DecodeError("some frames are missing; run the command again")
    if on_finish is not None:
        on_finish()
    finish(store)
    if not keep_frames:
        store.remove()
    return resumed


def stylize_video_ray(
    plan: Any,
    style_paths: Sequence[Path],
    *,
    config: StyleConfig,
    video: VideoConfig,
    runtime: RuntimeConfig,
    ray_config: RayConfig,
    restart: bool = False,
    keep_frames: bool = False,
    on_frame: FrameCallback | None = None,
    on_encode: Callable[[], None] | None = None,
) -> Any:
    """``stylize_video`` on Ray: same plan, work folder, manifest checks and encode."""
    from ..io.video import iter_frames
    from .video import VideoOutcome, video_settings, video_sink

    start = time.perf_counter()
    info = plan.info
    # preserve_color matches the style to one picture; every worker gets the same one.
    reference = next(iter_frames(info, size=plan.size)) if config.preserve_color else None
    with RayEngine(ray_config, style_paths, config, runtime, color_reference=reference) as engine:
        assert engine.backend is not None
        settings = video_settings(plan, style_paths, config=config, video=video, backend=engine.backend, runtime=runtime)
        resumed = run_sequence_ray(
            iter_frames(info, size=plan.size), total=info.frames, work_folder=plan.work_folder, settings=settings,
            engine=engine, video=video, finish=video_sink(plan, video), restart=restart, keep_frames=keep_frames,
            on_frame=on_frame, on_finish=on_encode,
        )  # fmt: skip
    return VideoOutcome(
        output=plan.output, frames=info.frames, resumed=resumed, seconds=time.perf_counter() - start,
        size=plan.size, audio=plan.audio,
    )  # fmt: skip
