from __future__ import annotations

import functools
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
ASSETS = Path(os.environ.get("FRAMESTYLE_ASSETS", ROOT.parent / "shared" / "assets"))


def asset(relative: str) -> Path:
    path = ASSETS / relative
    if not path.exists():
        pytest.skip(f"shared asset missing: {path}")
    return path


@functools.cache
def empty_config_home() -> Path:
    """An empty folder to use as $XDG_CONFIG_HOME, so the user's own
    ~/.config/framestyle/defaults.toml never changes what a test runs."""
    return Path(tempfile.mkdtemp(prefix="framestyle-xdg-"))


@pytest.fixture(scope="session", autouse=True)
def no_user_defaults():
    """Every test, in-process or in a subprocess, sees no user defaults file."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(empty_config_home()))
        yield
    shutil.rmtree(empty_config_home(), ignore_errors=True)


@pytest.fixture(scope="session")
def cat() -> Path:
    return SAMPLES / "chelsea_cat.png"


@pytest.fixture(scope="session")
def starry() -> Path:
    return SAMPLES / "vangogh_starry_night.jpg"


def run_cli(
    *args: str,
    timeout: float = 300,
    cwd: Path | None = None,
    preexec_fn=None,
    env_extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """The real console entry point in a subprocess: real exit codes, real stderr.
    $XDG_CONFIG_HOME is an empty folder (no user defaults file) unless ``env_extra`` sets it."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "120",
        "XDG_CONFIG_HOME": str(empty_config_home()),
        **(env_extra or {}),
    }
    env.pop("FRAMESTYLE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "framestyle", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        preexec_fn=preexec_fn,
    )


def run_cli_in_process(*args: object) -> subprocess.CompletedProcess:
    """The CLI's ``main`` in this process, so a test can patch what the machine reports
    (free disk space); returns what ``run_cli`` would: exit code, stdout, stderr."""
    import contextlib
    import io

    from framestyle.cli import main

    out, err = io.StringIO(), io.StringIO()
    terminate = signal.getsignal(signal.SIGTERM)  # main() installs its own
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        signal.signal(signal.SIGTERM, terminate)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) and its SHA-256."""
    import hashlib

    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(root).rglob("*"))
        if p.is_file() and os.access(p, os.R_OK)
    }


def assert_nothing_lost(before: dict[str, str], root: Path, *, new: set[str] = frozenset()) -> None:
    """Inputs byte-identical, and no file beyond the expected ``new`` ones (no partial output)."""
    after = snapshot(root)
    for name, digest in before.items():
        assert after.get(name) == digest, f"{name} was changed or removed"
    extra = set(after) - set(before) - set(new)
    assert not extra, f"left behind: {sorted(extra)}"


def as_in_a_terminal() -> None:
    """preexec_fn: Ctrl-C raises KeyboardInterrupt, as in a foreground shell. A suite
    started in the background (``&``, nohup) hands its children SIGINT ignored, and a
    well-behaved tool keeps ignoring it, so signal tests must reset it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str | tuple[str, ...], code: int = 2) -> None:
    """A tuple among the needles means any one of its strings will do."""
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("framestyle: error:"), err
    for needle in needles:
        choices = (needle,) if isinstance(needle, str) else needle
        assert any(choice.lower() in err.lower() for choice in choices), (needle, err)


def write_palette_png(path: Path, indices: np.ndarray, palette: np.ndarray) -> None:
    """A color-type-3 (palette) PNG, which OpenCV can read but not write."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    h, w = indices.shape
    raw = b"".join(b"\x00" + indices[y].astype(np.uint8).tobytes() for y in range(h))
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
    png += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    png += chunk(b"IDAT", zlib.compress(raw))
    png += chunk(b"IEND", b"")
    path.write_bytes(png)


@pytest.fixture(scope="session")
def bear() -> Path:
    return SAMPLES / "bear.webm"


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def stream_facts(path: Path) -> dict:
    """Frames (decoded by ffmpeg itself), frame rate and whether there is audio."""
    import re

    info = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    count = subprocess.run(
        [ffmpeg(), "-hide_banner", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"], capture_output=True, text=True
    ).stderr
    frames = int(re.findall(r"frame=\s*(\d+)", count)[-1])
    rate = re.search(r"Video:.*?, (\d+(?:\.\d+)?) fps", info)
    size = re.search(r"Video:.*?, (\d+)x(\d+)", info)
    return {
        "frames": frames,
        "fps": float(rate.group(1)) if rate else None,
        "audio": "Audio:" in info,
        "size": (int(size.group(1)), int(size.group(2))) if size else None,
    }


def make_clip(path: Path, *args: str) -> Path:
    subprocess.run([ffmpeg(), "-y", "-hide_banner", "-loglevel", "error", *args, str(path)], check=True)
    return path


def cut_clip(path):  # type: ignore[no-untyped-def]
    """Four frames of bear, then four of bunny, encoded as one clip."""
    return make_clip(
        path,
        *("-i", str(asset("video/chromium_bear_vp9_opus.webm")), "-i", str(asset("video/big_buck_bunny_720p_5s.mp4"))),
        "-filter_complex",
        "[0:v]scale=96:72,setsar=1,trim=end_frame=4[a];[1:v]scale=96:72,setsar=1,trim=end_frame=4[b];"
        "[a][b]concat=n=2:v=1[v]",
        *("-map", "[v]", "-r", "24", "-pix_fmt", "yuv420p"),
    )


def paint_in_lane(frames, store, stylizer, video, paintings=None):  # type: ignore[no-untyped-def]
    """Paint ``frames`` as one Ray segment (a ``segments.Lane``) without Ray, with the
    painting a Ray worker does; stop after ``paintings`` paintings (None: all)."""
    from framestyle.pipeline.paint import paint_frame
    from framestyle.pipeline.segments import Lane, Segment

    lane = Lane(Segment(0, 0, 0, len(frames)), list(frames), store, video, passes=video.sequence_passes)
    while not lane.finished and paintings != 0:
        job = lane.next_frame()
        if job.kept is not None:
            lane.save(job.kept)
        else:
            painted = paint_frame(stylizer, job.content, job.earlier, video=video, prior=job.prior, fade=job.fade)
            lane.save(painted[0])
        paintings = None if paintings is None else paintings - 1
