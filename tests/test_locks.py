"""One run per output: a second run on the same output is refused at once, naming the
first; a killed run leaves no lock behind. Real processes, as a user would start them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import pytest
from conftest import ROOT, assert_nothing_lost, assert_one_line_error, run_cli, snapshot, stream_facts

from framestyle.errors import OutputError
from framestyle.pipeline import OutputLock, work_folder_for
from framestyle.pipeline import lock as lock_module
from framestyle.pipeline.lock import lock_path_for, refuse_if_busy
from framestyle.store import FrameStore

# Run A is paused (SIGSTOP) while B and C try the same output, so however slow the machine,
# they find A mid-run; A itself can then be short. A later frame still takes long enough
# (a few tenths of a second) that A is caught before it finishes.
VIDEO = ("--size", "64", "--first-iterations", "8", "-n", "20", "--frames", "4", "--temporal", "previous")
VIDEO += ("--threads", "1")


def _start(*args: object, new_session: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FRAMESTYLE_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "framestyle", *map(str, args)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert proc.poll() is None, f"run A ended first: {proc.stderr.read() if proc.stderr else ''}"
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


@contextlib.contextmanager
def _paused(proc: subprocess.Popen) -> Iterator[None]:
    """Run A stopped (SIGSTOP) for the block, and let go (SIGCONT) however the block ends,
    so a failed check never leaves a stopped process behind."""
    proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGCONT)


def _frames(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob("frame_*.png")} | {
        p.name: p.read_bytes() for p in folder.glob("manifest.json")
    }


@pytest.fixture
def ws(tmp_path, bear, starry) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    for source in (bear, starry):
        shutil.copy(source, folder / source.name)
    return folder


def test_second_video_run_on_the_same_output_is_refused(ws):
    out = ws / "o.mp4"
    before = snapshot(ws)
    # --keep-frames: A's frames stay, to show afterwards that B touched none of them.
    args = ("video", ws / "bear.webm", ws / "vangogh_starry_night.jpg", *VIDEO, "--keep-frames", "-q", "-o", out)
    a = _start(*args)
    work = work_folder_for(out)
    _wait_for(lambda: (work / "frame_000001.png").exists(), a)
    with _paused(a):
        seen = _frames(work)
        started = time.time()
        b = run_cli(*args, timeout=120)
        assert_one_line_error(b, "another framestyle run", f"(pid {a.pid})", "o.mp4", "wait for it or stop it")
        assert time.time() - started < 60  # python and torch start-up on a busy machine; no painting

    _, err = a.communicate(timeout=300)
    assert a.returncode == 0, err
    assert stream_facts(out)["frames"] == 4
    for name, data in seen.items():  # B touched none of A's frames
        assert (work / name).read_bytes() == data, name
    kept = {f"{work.name}/{p.name}" for p in work.iterdir()}
    assert kept == {f"{work.name}/manifest.json"} | {f"{work.name}/frame_{i:06d}.png" for i in range(1, 5)}
    assert_nothing_lost(before, ws, new={"o.mp4"} | kept)  # no lock file, no temporaries


def test_second_folder_batch_on_the_same_output_is_refused(ws, cat):
    photos = ws / "photos"
    photos.mkdir()
    small = cv2.resize(cv2.imread(str(cat)), (96, 64))
    names = [f"{c}.png" for c in "abcd"]
    for name in names:
        cv2.imwrite(str(photos / name), small)
    out = ws / "styled"
    before = snapshot(ws)
    args = ("images", photos, ws / "vangogh_starry_night.jpg", "--size", "64", "-n", "10", "--threads", "1", "-q")
    a = _start(*args, "-o", out)
    _wait_for(lambda: (out / "a.png").exists(), a)
    # Both at once, while A is mid-run: another batch, and a sequence into the same folder.
    with _paused(a):
        b = _start(*args, "-o", out)
        c = _start(*args, "--sequence", "-o", out)
        for other in (b, c):
            _, err = other.communicate(timeout=120)
            assert_one_line_error(
                subprocess.CompletedProcess([], other.returncode, "", err),
                "another framestyle run",
                f"(pid {a.pid})",
                "styled",
            )
        assert a.poll() is None, "A should still be running, paused"

    _, err = a.communicate(timeout=300)
    assert a.returncode == 0, err
    assert_nothing_lost(before, ws, new={f"styled/{n}" for n in names} | {"styled/.framestyle.json"})


def test_a_killed_run_leaves_no_lock_and_the_next_run_resumes(ws):
    out = ws / "o.mp4"
    args = ("video", ws / "bear.webm", ws / "vangogh_starry_night.jpg", *VIDEO, "-o", out)
    a = _start(*args, new_session=True)
    work = work_folder_for(out)
    _wait_for(lambda: (work / "frame_000002.png").exists(), a)
    os.killpg(a.pid, signal.SIGKILL)
    a.wait()
    stale = lock_path_for(out)
    assert stale.exists() and stale.read_text().startswith(f"{a.pid}\n")  # a lock file nobody holds
    done = FrameStore(work).finished()

    b = run_cli(*args, timeout=300)
    assert b.returncode == 0, b.stderr
    assert f"{done} resumed" in b.stderr + b.stdout
    assert stream_facts(out)["frames"] == 4
    assert not stale.exists() and not work.exists()


# --- the lock itself, in this process -----------------------------------------------------


def test_lock_refuses_a_second_holder_and_cleans_up(tmp_path):
    out = tmp_path / "o.mp4"
    with OutputLock(out) as held:
        assert held.path == tmp_path / ".o.mp4.framestyle-lock"
        assert held.path.read_text().startswith(f"{os.getpid()}\n")
        with pytest.raises(OutputError, match=rf"another framestyle run \(pid {os.getpid()}\) is writing .*o\.mp4"):
            OutputLock(out).acquire()
        with pytest.raises(OutputError, match="another framestyle run"):
            refuse_if_busy(out)
    assert list(tmp_path.iterdir()) == []
    refuse_if_busy(out)  # free again, and the probe creates nothing
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(KeyboardInterrupt), OutputLock(tmp_path / "d", folder=True):
        raise KeyboardInterrupt
    assert list((tmp_path / "d").iterdir()) == []


def test_lock_takes_over_a_stale_file_and_survives_the_holder_removing_it(tmp_path, monkeypatch):
    out = tmp_path / "o.mp4"
    lock_path_for(out).write_text("999999999\nframestyle video killed.mp4\n")  # a SIGKILLed holder's
    with OutputLock(out) as held:
        assert held.path.read_text().startswith(f"{os.getpid()}\n")

    # The holder removes its file between our open() and our flock(): we must not keep a
    # lock on a file nobody else can find, but take a fresh one.
    real = lock_module._try_lock
    calls: list[int] = []

    def holder_finishes_meanwhile(fd: int) -> bool:
        if not calls:
            os.unlink(lock_path_for(out))
        calls.append(fd)
        return real(fd)

    monkeypatch.setattr(lock_module, "_try_lock", holder_finishes_meanwhile)
    with OutputLock(out) as held:
        assert len(calls) == 2
        assert os.fstat(held._fd).st_ino == held.path.stat().st_ino  # type: ignore[arg-type]
    assert not lock_path_for(out).exists()


def test_an_output_finished_by_another_run_while_waiting_is_not_replaced(tmp_path):
    """Planned while A still painted, B takes the lock only after A wrote the output: B
    must check again, not replace A's output without overwrite."""
    out = tmp_path / "o.mp4"
    out.write_bytes(b"A's video")
    with pytest.raises(OutputError, match="already exists"), OutputLock(out, overwrite=False):
        pass
    assert out.read_bytes() == b"A's video"
    assert [p.name for p in tmp_path.iterdir()] == ["o.mp4"]  # no lock file left
    with OutputLock(out, overwrite=True):
        pass
