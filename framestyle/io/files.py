"""Output safety: atomic writes and checks that no input is ever overwritten."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import EncodeError, InputError, OutputError


def describe_os_error(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "no space left on device"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "read-only file system"
    return err.strerror or str(err)


def require_file(path: Path, what: str) -> Path:
    """The path of an existing, readable regular file, or an InputError that says which."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found: {path}")
    if path.is_dir():
        raise InputError(f"{what} is a directory, not a file: {path}")
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read {what} (permission denied): {path}")
    if path.stat().st_size == 0:
        raise InputError(f"{what} is empty: {path}")
    return path


def require_folder(folder: Path) -> Path:
    """The path of an existing folder, or an InputError that says why not."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"folder not found: {folder}")
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    return folder


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(output: Path, inputs: Iterable[Path], *, overwrite: bool) -> None:
    """Refuse outputs that would clobber an input, or an existing file unless asked to."""
    output = Path(output)
    for source in inputs:
        if same_file(output, Path(source)) or output.resolve() == Path(source).resolve():
            raise OutputError(f"output {output} is one of the inputs; choose another name")
    if output.is_dir():
        raise OutputError(f"output {output} is a directory; give a file name")
    if output.exists() and not overwrite:
        raise OutputError(f"output {output} already exists (pass `overwrite=True` to replace it)")


def ensure_dir(folder: Path) -> Path:
    """Create ``folder`` (and parents) if needed; a clear error if that is impossible."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"cannot create folder {folder}: a file is in the way") from None
    except OSError as err:
        raise OutputError(f"cannot create folder {folder}: {describe_os_error(err)}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to folder {folder}: permission denied")
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True


def remove_stale_parts(final: Path) -> list[Path]:
    """Delete temporaries of ``final`` left by writers that were killed (SIGKILL, power
    loss), which no ``finally`` could clean. Each temporary names its writer's PID, so a
    write still running in another process is left alone."""
    final = Path(final)
    pattern = glob.escape(str(final.parent / f".{final.stem}.")) + "*" + glob.escape(f".part{final.suffix}")
    removed = []
    for name in glob.glob(pattern):
        pid_text = name[len(str(final.parent / f".{final.stem}.")) :].split(".", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            with contextlib.suppress(OSError):
                os.unlink(name)
                removed.append(Path(name))
    return removed


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final``, renamed onto it only if the block succeeds.

    An interrupted or failed write leaves no file at ``final`` (nor a stray temporary;
    one left by a killed process is removed by the next write of the same file).
    The temporary keeps the final suffix so encoders pick the right format.
    """
    final = Path(final)
    ensure_dir(final.parent)
    remove_stale_parts(final)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{final.stem}.{os.getpid()}.", suffix=f".part{final.suffix}", dir=final.parent
        )
    except OSError as err:
        raise OutputError(f"cannot write {final}: {describe_os_error(err)}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp makes owner-only files; a finished output gets the usual umask permissions.
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, final)
    except OSError as err:
        raise OutputError(f"cannot write {final}: {describe_os_error(err)}") from None
    except EncodeError as err:
        raise EncodeError(f"cannot write {final}: {err}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomic(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
