"""One run per output: an OS-level lock held for the whole run.

Two runs writing the same output would share one work folder: both paint, the first to
finish encodes and removes the folder under the other. ``OutputLock`` holds an
``fcntl.flock`` on a hidden lock file beside the output (inside it for folders). The
kernel drops the lock when the process dies, so a SIGKILL leaves at most a lock file
nobody holds, which the next run takes over silently.

The holder removes the lock file when it is done (success, failure or Ctrl-C). Removing a
locked file is safe because a taker checks, once it holds the lock, that the path still
names the file it locked; if not (the holder removed it meanwhile), it starts over.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
import time
from pathlib import Path
from types import TracebackType

from ..errors import OutputError
from ..io.files import describe_os_error, ensure_dir

# A refused taker retries this long: a plan's probe (``refuse_if_busy``) holds the lock for
# an instant, and must not be mistaken for a run; a real run holds it for minutes.
PATIENCE_SECONDS = 0.5


def lock_path_for(output: Path, *, folder: bool = False) -> Path:
    """``out.mp4`` -> ``.out.mp4.framestyle-lock`` beside it; an output folder holds its
    own ``.framestyle-lock`` (a folder's parent may not be ours to write in).

    Hidden, and named so that it is taken for neither an output nor an input.
    """
    output = Path(output)
    if folder:
        return output / ".framestyle-lock"
    return output.with_name(f".{output.name}.framestyle-lock")


def _holder(path: Path) -> str:
    """``(pid N)`` from the lock file, or "" while the holder has not written it yet."""
    for _ in range(5):
        try:
            first = path.read_text().split("\n", 1)[0].strip()
        except (OSError, UnicodeDecodeError):
            first = ""
        if first.isdigit():
            return f" (pid {first})"
        time.sleep(0.02)
    return ""


def _busy(path: Path, output: Path) -> OutputError:
    return OutputError(f"another framestyle run{_holder(path)} is writing {output}; wait for it or stop it")


def _try_lock(fd: int) -> bool:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


class OutputLock:
    """``with OutputLock(output):`` -- this process is the only framestyle run writing
    ``output`` until the block ends; another one is refused with one line naming it."""

    def __init__(self, output: Path, *, folder: bool = False, overwrite: bool = True) -> None:
        self.output = Path(output)
        # A run checks its output is free when it plans, but another run may finish it
        # before this one gets the lock: with overwrite False, it is checked again here.
        self.overwrite = overwrite
        self.path = lock_path_for(self.output, folder=folder)
        self._fd: int | None = None

    def acquire(self) -> None:
        ensure_dir(self.path.parent)
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            except OSError as err:
                raise OutputError(f"cannot write {self.path}: {describe_os_error(err)}") from None
            if not _try_lock(fd):
                os.close(fd)
                raise _busy(self.path, self.output)
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the holder removed it between our open and our lock: take a fresh one
        self._fd = fd
        if not self.overwrite and self.output.exists():
            self.release()
            raise OutputError(f"output {self.output} already exists (pass `overwrite=True` to replace it)")
        note = f"{os.getpid()}\n{' '.join(sys.argv)}\n".encode(errors="replace")
        # Who holds it, for the refusal's message; a full disk only costs that detail.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, note, 0)

    def release(self) -> None:
        if self._fd is None:
            return
        # Unlink before unlocking: a taker that locks the old file sees it gone and retries.
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


def refuse_if_busy(output: Path, *, folder: bool = False) -> None:
    """Refuse early (before any slow set-up) when another run holds ``output``'s lock.

    Creates nothing: a missing lock file means nobody holds it."""
    path = lock_path_for(output, folder=folder)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS):
            return  # nothing to probe; the run's own lock reports real problems
        raise OutputError(f"cannot read {path}: {describe_os_error(err)}") from None
    try:
        if not _try_lock(fd):
            raise _busy(path, Path(output))
    finally:
        os.close(fd)  # also drops the lock we may have taken
