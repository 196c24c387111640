"""Disk guard: what a run will write, against what the disk can hold, known before any
painting.

Each estimate is a bound, not a guess: a run that is refused could not be sure to finish,
and one that is let through should not fill the disk halfway (a full disk mid-run is
still handled: finished frames are kept and the run resumes once space is freed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError
from ..io.files import describe_os_error

# A PNG of w x h RGB pixels is at most its raw bytes (3 per pixel) plus one filter byte per
# row and deflate/chunk framing (under 1% for incompressible data); a header and the file
# system's last partly used block add a few KiB per file.
PNG_BYTES_PER_PIXEL = 3.03
FILE_OVERHEAD = 4096

# H.264/VP9 at crf 18 on painted (busy) frames stays well under 1.5 bits per pixel; each
# 6 steps of crf halve or double the bit rate; even lossless stays under 16 (yuv420p is 12
# raw). Audio is re-encoded at 192k (aac) or 128k (opus): 256 kbit/s bounds both. A copied
# track keeps its own rate: lossy codecs stay under 1.5 Mbit/s (DTS), and lossless ones
# under 4.7 (PCM, 6 channels of 16-bit 48 kHz audio).
VIDEO_BITS_PER_PIXEL_AT_CRF18 = 1.5
VIDEO_MAX_BITS_PER_PIXEL = 16.0
AUDIO_BITS_PER_SECOND = 256_000
COPIED_AUDIO_BITS_PER_SECOND = 1_536_000
LOSSLESS_AUDIO_BITS_PER_SECOND = 4_608_000
CONTAINER_OVERHEAD = 64 * 1024

# Room left over on top of the estimate: manifests, temporaries, other writers.
MARGIN_BYTES = 1024 * 1024
MARGIN_FRACTION = 0.02


@dataclass(frozen=True)
class SpaceNeed:
    """``bytes`` that a run will write into ``folder`` (which may not exist yet)."""

    what: str  # "frames", "video", "images": the word the message uses
    folder: Path
    bytes: int


def image_bytes(size: tuple[int, int], count: int) -> int:
    """A bound on ``count`` PNG (or BMP, TIFF, JPEG, WebP) files of ``size`` pixels.

    >>> image_bytes((100, 50), 2)
    38592
    """
    w, h = size
    return max(0, count) * (int(PNG_BYTES_PER_PIXEL * w * h) + h + FILE_OVERHEAD)


def audio_bits_per_second(codec: str, *, copied: bool) -> int:
    """A bound on one sound track's rate: re-encoded at our rate, or copied at its own.

    >>> audio_bits_per_second("aac", copied=False), audio_bits_per_second("flac", copied=True)
    (256000, 4608000)
    """
    if not copied:
        return AUDIO_BITS_PER_SECOND
    lossless = codec.startswith("pcm_") or codec in ("flac", "alac", "truehd")
    return LOSSLESS_AUDIO_BITS_PER_SECOND if lossless else COPIED_AUDIO_BITS_PER_SECOND


def video_bytes(
    size: tuple[int, int],
    frames: int,
    *,
    fps: float,
    crf: int,
    audio: bool = False,
    audio_rate: int | None = None,
    pix_fmt: str = "yuv420p",
) -> int:
    """A generous bound on an encoded clip of ``frames`` frames at ``size``; ``audio_rate``:
    all its sound tracks together in bits per second (default: one re-encoded track).
    Colour at full size (yuv444p) has twice the samples of yuv420p: twice the bound.

    >>> video_bytes((640, 360), 240, fps=24, crf=18) // 1000  # 10 s: about 10 MB
    10433
    """
    w, h = size
    bits_per_pixel = min(VIDEO_MAX_BITS_PER_PIXEL, VIDEO_BITS_PER_PIXEL_AT_CRF18 * 2 ** ((18 - crf) / 6))
    if pix_fmt == "yuv444p":
        bits_per_pixel *= 2
    seconds = frames / fps if fps > 0 else 0.0
    sound = (AUDIO_BITS_PER_SECOND if audio_rate is None else audio_rate) * seconds / 8 if audio else 0
    return int(w * h * frames * bits_per_pixel / 8 + sound) + CONTAINER_OVERHEAD


def format_bytes(count: int) -> str:
    """Decimal units, as disk sizes are sold and ``df -H`` shows them.

    >>> format_bytes(1_234_567_890), format_bytes(2_500_000), format_bytes(40_960), format_bytes(12)
    ('1.2 GB', '2.5 MB', '41.0 KB', '12 bytes')
    """
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def existing_folder(folder: Path) -> Path:
    """``folder``, or its nearest ancestor that exists (where it will be created)."""
    folder = Path(folder).absolute()
    while folder.parent != folder:
        try:
            if folder.exists():
                break
        except OSError:  # behind a folder we may not search: ask its parent
            pass
        folder = folder.parent
    return folder


def _stat(folder: Path) -> os.stat_result:
    try:
        return os.stat(existing_folder(folder))
    except OSError as err:
        raise OutputError(f"cannot check the free space in {folder}: {describe_os_error(err)}") from None


def free_bytes(folder: Path) -> int:
    """Bytes an ordinary user may still write on ``folder``'s file system."""
    try:
        return shutil.disk_usage(existing_folder(folder)).free
    except OSError as err:
        raise OutputError(f"cannot check the free space in {folder}: {describe_os_error(err)}") from None


@dataclass(frozen=True)
class DiskSpace:
    """One file system: what the run writes there, and what it has free."""

    folder: Path  # the first folder named for it, as the user gave it
    needs: tuple[SpaceNeed, ...]
    free: int

    @property
    def total(self) -> int:
        return sum(n.bytes for n in self.needs)

    @property
    def fits(self) -> bool:
        return self.total + MARGIN_BYTES + int(self.total * MARGIN_FRACTION) <= self.free

    def describe(self) -> str:
        """``about 1.2 GB (frames 1.0 GB, video 0.2 GB), 0.3 GB free``"""
        parts = ", ".join(f"{n.what} {format_bytes(n.bytes)}" for n in self.needs)
        return f"about {format_bytes(self.total)} ({parts}), {format_bytes(self.free)} free"


def disk_space(needs: Sequence[SpaceNeed]) -> list[DiskSpace]:
    """The needs grouped by file system (a work folder and its output may be on two)."""
    groups: dict[int, list[SpaceNeed]] = {}
    for need in needs:
        groups.setdefault(_stat(need.folder).st_dev, []).append(need)
    return [DiskSpace(group[0].folder, tuple(group), free_bytes(group[0].folder)) for group in groups.values()]


def check_space(needs: Sequence[SpaceNeed]) -> None:
    """Refuse, in one line, a run that the disk cannot hold."""
    for disk in disk_space(needs):
        if not disk.fits:
            raise OutputError(f"not enough disk space in {disk.folder}: the run needs {disk.describe()}")
