"""The Ray engine: the same pictures and frames, painted by Ray workers.

The driver (this process) decodes, decides what is left to do, and writes every file
through the same sinks and resume logic as a local run; workers only paint the pixels
they are sent. So a cluster needs no shared filesystem, and a worker that dies loses
at most the picture it was painting. Videos are cut into segments (segments.py)
painted in parallel, each in order with temporal coherence.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from ..backend import Backend, resolve_backend
from ..config import RayConfig, VideoConfig
from ..errors import ConfigError, FramestyleError, WorkerError
from ..events import SILENT, FrameEvent, Reporter
from ..letterbox import Bars
from ..store import FrameStore
from ..stylize import Stylizer
from ..tensors import to_tensor
from .common import load_styles
from .paint import PaintedPicture, PaintSettings, PictureTask, paint_frame, paint_picture
from .ray_pool import RETRIES, TaskPool, first_line, import_ray, stderr_to
from .segments import (
    Lane,
    LaneFrame,
    ShotStarts,
    compose_frames,
    ray_segments,
    segment_frames,
    segment_manifest,
    segment_paintings_done,
)


class PaintWorker:
    """A Ray actor: the network and style targets, loaded once, painting what it is sent."""

    def __init__(self, styles: list[Any], settings: PaintSettings) -> None:
        import ray

        runtime = settings.runtime
        if not runtime.threads:
            cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)
            runtime = replace(runtime, threads=max(1, int(cpus)))
        self.stylizer = Stylizer(styles, config=settings.style, runtime=runtime, backend=resolve_backend(runtime))
        self.pinned: tuple[int, int] | None = None  # the run and shot the colour reference is of

    def backend(self) -> Backend:
        return self.stylizer.backend

    def paint_picture(self, task: PictureTask) -> PaintedPicture:
        return paint_picture(self.stylizer, task)

    def paint_frame(
        self,
        frame: LaneFrame,
        video: VideoConfig,
        pin: tuple[int, int] | None,
        reference: np.ndarray | None,
        bars: Bars = Bars(),
    ) -> tuple[np.ndarray, int, float, float]:
        # The reference travels with every frame (through the object store, not copied),
        # so a worker Ray restarted mid-clip pins it again.
        if pin is not None and pin != self.pinned and reference is not None:
            self.stylizer.set_color_reference(to_tensor(reference))
            self.pinned = pin
        start = time.perf_counter()
        output, result = paint_frame(
            self.stylizer, frame.content, frame.earlier, video=video, prior=frame.prior, bars=bars, fade=frame.fade
        )
        return output, result.iterations, result.loss, time.perf_counter() - start


class RayEngine:
    """Ray started (or joined) and a pool of PaintWorkers, until closed."""

    def __init__(self, settings: PaintSettings, ray_config: RayConfig, *, ready_timeout: float = 300.0) -> None:
        self.ray = import_ray()
        self.settings = settings
        self.ray_config = ray_config
        self.ready_timeout = ready_timeout
        self.workers: list[Any] = []
        self._started_ray = False
        self._runs = 0
        self._start_ray()
        try:
            with tempfile.TemporaryFile() as log, stderr_to(log):
                self.backend: Backend = self._start_workers()
        except BaseException:
            self.close()
            raise

    @property
    def painters(self) -> int:
        """Workers painting at once in this machine's memory: all of them for a local Ray
        on CPUs, one per GPU on GPUs (each has its own), none for a cluster elsewhere."""
        if self.ray_config.elsewhere:
            return 0
        return 1 if self.backend.device.type == "cuda" else len(self.workers)

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_ray(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        # ray.init replaces the SIGINT/SIGTERM handlers with ones that end the process
        # at once; ours stop cleanly and say how to resume, so they are put back.
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        address = self.ray_config.address
        with tempfile.TemporaryFile() as log:
            try:
                with stderr_to(log):
                    ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            except Exception as err:  # ConnectionError, RuntimeError, ValueError...
                where = address or "a new local instance"
                raise ConfigError(f"cannot start or reach Ray at {where}: {first_line(err)}") from None
            finally:
                if threading.current_thread() is threading.main_thread():
                    for sig, handler in handlers.items():
                        if handler is not None:
                            signal.signal(sig, handler)
        self._started_ray = True

    def _start_workers(self) -> Backend:
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
        # Styles travel as tensors (workers elsewhere cannot read our files); the object is
        # kept for the engine's life, since a restarted worker is built from it again.
        self._styles_ref = ray.put(load_styles(self.settings.style_paths, self.settings.style))
        self.workers = [actor.remote(self._styles_ref, self.settings) for _ in range(count)]
        probes = {w.backend.remote(): w for w in self.workers}
        ready, waiting = ray.wait(list(probes), num_returns=len(probes), timeout=self.ready_timeout)
        for ref in waiting:  # more workers asked for than the cluster can place
            ray.kill(probes[ref])
        self.workers = [probes[ref] for ref in ready]
        if not self.workers:
            raise ConfigError(f"no Ray worker started within {self.ready_timeout:g}s (asked for {count})")
        backends: list[Backend] = ray.get(ready)
        if len({b.identity for b in backends}) > 1:
            seen = sorted({str(b.identity) for b in backends})
            raise ConfigError(
                f"Ray workers differ in device or precision ({seen}); "
                "set `precision` and `gpus_per_worker` so they match"
            )
        return backends[0]

    def close(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(Exception):
                self.ray.kill(worker)
        self.workers = []
        if self._started_ray:
            with tempfile.TemporaryFile() as log, stderr_to(log):
                self.ray.shutdown()
            self._started_ray = False

    # -- pictures ---------------------------------------------------------------------

    def paint_pictures(
        self, tasks: Iterable[PictureTask], reporter: Reporter = SILENT
    ) -> Iterator[tuple[PictureTask, PaintedPicture | FramestyleError]]:
        """One Ray task per picture, two queued per worker so none idles between pictures."""
        pool = TaskPool(self.ray, self.workers, slots=2)
        waiting = iter(tasks)
        more = True
        while True:
            while more and pool.has_room:
                task = next(waiting, None)
                if task is None:
                    more = False
                    break
                reporter.item_started(task.index)
                pool.submit(task, functools.partial(_remote_picture, task=task))
            if not pool.busy:
                return
            done = pool.next_done()
            pool.release(done.worker)
            yield done.key, done.value

    # -- frame sequences -----------------------------------------------------------------

    def sequence_passes(self, video: VideoConfig) -> int:
        """As many as a local run: each segment's passes run on one worker, over the
        segment's frames, lead-in included (``segments.Lane``)."""
        return video.sequence_passes

    def sequence_manifest(self, total: int, video: VideoConfig) -> dict[str, Any]:
        return segment_manifest(self.ray_config, total, video)

    def sequence_frames_done(self, store: FrameStore, total: int, video: VideoConfig) -> int:
        """Frames an earlier run finished: their paintings over all passes, divided by the
        number of passes (a segment's lead-in frames are not counted)."""
        return len(self._paintings_done(store, total, video)) // video.sequence_passes

    def _paintings_done(self, store: FrameStore, total: int, video: VideoConfig) -> list[tuple[int, int]]:
        """(pass, frame) of each painting an earlier run finished; frames painted alone
        finish out of order, so any of them may be there."""
        if video.temporal == "none":
            return [(0, index) for index in range(total) if store.frame_path(index).exists()]
        return segment_paintings_done(store, ray_segments(self.ray_config, total, video), video.sequence_passes)

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
        coherent = video.temporal != "none"
        passes = video.sequence_passes
        items = total * passes
        segments = ray_segments(self.ray_config, total, video)
        lane_store = (lambda n: store.segment(n)) if coherent else (lambda n: store)
        for number, index in self._paintings_done(store, total, video):
            reporter.item_done(FrameEvent(_item(number, index, total), items, 0, 0.0, float("nan"), resumed=True))
        frames = iter(frames)
        first = next(frames, None)
        if first is None:
            return
        self._runs += 1
        # preserve_color matches the style to each shot's first frame, on every worker.
        shots = ShotStarts(video, fades=passes > 1)
        references: dict[int, Any] = {}
        source = _chain(first, frames)
        if self.settings.style.preserve_color:
            source = shots.follow(
                source, lambda index, frame: references.update({index: self.ray.put(bars.inside(frame))})
            )
        decoded = segment_frames(source, segments)
        pending = deque(s for s in segments if not all(store.frame_path(i).exists() for i in range(s.start, s.end)))
        wanted = {seg.number for seg in pending}
        chunks: dict[int, list[np.ndarray]] = {}
        decoded_count = 0
        pool = TaskPool(self.ray, self.workers)

        def report(lane: Lane, number: int, index: int, painted: tuple[int, float, float]) -> None:
            if index >= lane.segment.start:  # a lead-in frame is the previous segment's
                iterations, loss, seconds = painted
                item = _item(number, index, total)
                event = FrameEvent(item, items, iterations, seconds, loss, resumed=False, cut=lane.cut, fade=lane.fade)
                reporter.item_done(event)

        def submit(lane: Lane, worker: Any = None) -> bool:
            """Send the lane's next frame to paint; False when the lane has finished
            instead (its last frames kept their previous pass's picture)."""
            while not lane.finished:
                number = lane.number
                frame = lane.next_frame()
                if frame.kept is not None:
                    report(lane, number, lane.save(frame.kept), (0, float("nan"), 0.0))
                    continue
                pin, reference = None, None
                if references:
                    shot = shots.start_of(lane.next)
                    pin, reference = (self._runs, shot), references[shot]
                job = (frame, video, pin, reference, bars)
                pool.submit(lane, functools.partial(_remote_frame, job=job), worker)
                return True
            return False

        while pending or pool.busy:
            while pending and pool.has_room:
                seg = pending.popleft()
                while decoded_count <= seg.number:  # segments decode in order; finished ones are dropped
                    chunk = next(decoded)
                    if decoded_count in wanted:
                        chunks[decoded_count] = chunk
                    decoded_count += 1
                # A finished lane was painted before an interruption, not yet composed.
                submit(Lane(seg, chunks.pop(seg.number), lane_store(seg.number), video, passes))
            if not pool.busy:
                continue
            done = pool.next_done()
            lane = done.key
            if isinstance(done.value, WorkerError):
                raise WorkerError(f"segment {lane.segment.number + 1}: {done.value}")
            if isinstance(done.value, FramestyleError):
                raise done.value
            output, *painted = done.value
            number = lane.number
            report(lane, number, lane.save(output), tuple(painted))
            if not submit(lane, done.worker):
                pool.release(done.worker)
        if coherent:
            compose_frames(store, segments, total)


def _item(number: int, index: int, total: int) -> int:
    """The item (``events.painting_of``) of frame ``index``'s painting in pass ``number``."""
    return number * total + (index if number % 2 == 0 else total - 1 - index)


def _remote_picture(worker: Any, *, task: PictureTask) -> Any:
    return worker.paint_picture.remote(task)


def _remote_frame(worker: Any, *, job: tuple[Any, ...]) -> Any:
    return worker.paint_frame.remote(*job)


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest
