"""Ray plumbing without framestyle's logic: importing Ray, quieting its C++ core, and a
small pool that hands tasks to workers and retries the ones a crash or a lost machine
took away."""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from ..errors import ConfigError, FramestyleError, WorkerError

MISSING_RAY = "the Ray engine needs Ray installed: pip install 'framestyle[ray]'"
RETRIES = 3  # per task, for crashes and lost workers; framestyle's own errors are not retried


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(MISSING_RAY) from None
    return ray


@contextlib.contextmanager
def stderr_to(sink: IO[bytes]) -> Iterator[None]:
    """Send file descriptor 2 to ``sink``: Ray's C++ core prints notices there, which
    would break the one-line error rule and clutter the progress bars."""
    saved = os.dup(2)
    try:
        os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return (text.splitlines()[0] if text else type(err).__name__)[:300]


@dataclass
class _Running:
    key: Any
    worker: Any
    call: Callable[[Any], Any]  # worker -> ObjectRef
    tries: int = 0


@dataclass(frozen=True)
class Done:
    """A finished task: its key, the worker that ran it, and its result, or the
    FramestyleError it raised (a WorkerError once crashes used up the retries)."""

    key: Any
    worker: Any
    value: Any


class TaskPool:
    """Workers, each taking ``slots`` tasks at a time (two keep a worker busy between
    pictures). A task whose worker crashed or vanished is sent again, to a free worker
    when there is one, up to ``retries`` times; framestyle's own errors are final, since
    a retry would fail the same way."""

    def __init__(self, ray: Any, workers: Sequence[Any], *, slots: int = 1, retries: int = RETRIES) -> None:
        self.ray = ray
        self.retries = retries
        self.free: deque[Any] = deque(w for _ in range(slots) for w in workers)
        self.running: dict[Any, _Running] = {}

    @property
    def has_room(self) -> bool:
        return bool(self.free)

    @property
    def busy(self) -> bool:
        return bool(self.running)

    def submit(self, key: Any, call: Callable[[Any], Any], worker: Any = None) -> None:
        """Run ``call(worker)`` on ``worker`` (one the caller holds) or on a free one."""
        worker = self.free.popleft() if worker is None else worker
        self.running[call(worker)] = _Running(key, worker, call)

    def release(self, worker: Any) -> None:
        self.free.append(worker)

    def next_done(self) -> Done:
        """Wait for a task to finish; retried tasks are waited for again."""
        while True:
            ready, _ = self.ray.wait(list(self.running), num_returns=1)
            task = self.running.pop(ready[0])
            try:
                return Done(task.key, task.worker, self.ray.get(ready[0]))
            except self.ray.exceptions.RayTaskError as err:
                cause = getattr(err, "cause", None)
                if isinstance(cause, FramestyleError):
                    return Done(task.key, task.worker, cause)
                failure: Exception = err
            except Exception as err:  # a lost worker or machine
                failure = err
            task.tries += 1
            if task.tries >= self.retries:
                return Done(
                    task.key, task.worker, WorkerError(f"worker failed {self.retries} times: {first_line(failure)}")
                )
            if self.free:  # another worker; the failed one goes back (Ray restarts it)
                self.free.append(task.worker)
                task.worker = self.free.popleft()
            self.running[task.call(task.worker)] = task
