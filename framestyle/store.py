"""FrameStore: the work folder that makes long runs resumable.

Finished frames are PNGs written atomically, so a frame file exists only once it is
complete; a manifest records the settings that made them. A rerun with the same
settings continues after the last finished frame; other settings are refused.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import OutputError
from .io.files import describe_os_error, ensure_dir, write_bytes_atomic
from .io.images import read_image, write_image

MANIFEST = "manifest.json"
SHOTS = "shots.json"
FORMAT = 1


@dataclass(frozen=True)
class ShotRecord:
    """Where a sequence's first pass found new shots: cuts (the frames that start them)
    and cross-fades (their first frame, and the frame the new shot is settled at)."""

    cuts: frozenset[int] = frozenset()
    fades: tuple[tuple[int, int], ...] = ()

    @property
    def starts(self) -> set[int]:
        """Frames painted from scratch in the first pass: each cut, each fade's end."""
        return set(self.cuts) | {end for _, end in self.fades}

    def start_of(self, index: int, first: int = 0) -> int:
        """The first frame of frame ``index``'s shot, in a sequence that starts at ``first``."""
        return max(start for start in {first, *self.starts} if start <= index)

    def ends_fade(self, index: int) -> bool:
        """Whether a cross-fade's new shot is settled at frame ``index``."""
        return any(end == index for _, end in self.fades)

    def fade_share(self, index: int) -> float | None:
        """How far frame ``index`` is into a cross-fade (0 at its first frame, towards 1 at
        the new shot), or None outside one.

        >>> ShotRecord(fades=((10, 26),)).fade_share(14), ShotRecord().fade_share(14)
        (0.25, None)
        """
        for start, end in self.fades:
            if start <= index < end:
                return (index - start) / (end - start)
        return None


class FrameStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def open(cls, folder: Path, settings: dict[str, Any], *, restart: bool = False) -> FrameStore:
        """Open (or create) the work folder for ``settings``.

        Raises OutputError if it holds frames made with other settings, unless ``restart``.
        """
        store = cls(folder)
        manifest_path = store.folder / MANIFEST
        wanted = {"format": FORMAT, "settings": settings}
        if store.folder.exists():
            if not store.folder.is_dir():
                raise OutputError(f"work folder {store.folder} is a file; move it away")
            if not manifest_path.exists():
                if any(store.folder.iterdir()):
                    raise OutputError(f"{store.folder} exists and is not a framestyle work folder; move it away")
            elif read_manifest(manifest_path) != wanted:
                if not restart:
                    found = read_manifest(manifest_path) or {}
                    raise OutputError(
                        f"work folder {store.folder} holds frames made with other settings "
                        f"({changed_settings(found.get('settings'), settings)}); pass `restart=True` to start over"
                    )
                store.clear()
        ensure_dir(store.folder)
        if not manifest_path.exists():
            write_manifest(manifest_path, wanted)
        return store

    @classmethod
    def reusable(cls, folder: Path, settings: dict[str, Any], *, limit: int) -> int:
        """How many finished frames ``open(folder, settings)`` would keep; touches nothing."""
        store = cls(folder)
        if read_manifest(store.folder / MANIFEST) != {"format": FORMAT, "settings": settings}:
            return 0
        return store.finished(limit=limit)

    def frame_path(self, index: int) -> Path:
        return self.folder / f"frame_{index + 1:06d}.png"

    def finished(self, limit: int | None = None, *, start: int = 0) -> int:
        """How many frames in a row, from frame ``start``, are already done."""
        count = 0
        while (limit is None or count < limit) and self.frame_path(start + count).exists():
            count += 1
        return count

    def segment(self, number: int) -> FrameStore:
        """The sub-store one Ray worker's segment fills (frames keep their clip-wide numbers)."""
        return FrameStore(self.folder / f"segment_{number:04d}")

    def stage(self, name: str) -> FrameStore:
        """A sub-store for intermediate frames (an earlier pass, the content frames)."""
        return FrameStore(self.folder / name)

    def save(self, index: int, rgb_uint8: np.ndarray) -> None:
        write_image(self.frame_path(index), rgb_uint8)

    def load(self, index: int) -> np.ndarray:
        return read_image(self.frame_path(index), what="stored frame")

    def shots(self) -> ShotRecord:
        """Where an earlier run found new shots (``record_cut``, ``record_fade``); none when
        the record is missing or damaged."""
        found = read_manifest(self.folder / SHOTS) or {}
        try:
            cuts = frozenset(int(index) for index in found.get("cuts", []))
            fades = tuple((int(start), int(end)) for start, end in found.get("fades", []))
        except (TypeError, ValueError):
            return ShotRecord()
        return ShotRecord(cuts, fades)

    def record_cut(self, index: int) -> None:
        """Record that frame ``index`` starts a new shot at a cut. Recorded before the frame
        is painted: a frame finished after a new shot always finds it here."""
        found = self.shots()
        self._write_shots(replace(found, cuts=found.cuts | {index}))

    def record_fade(self, start: int, end: int) -> None:
        """Record a cross-fade from frame ``start`` whose new shot is settled at ``end``
        (before ``end`` is painted, as ``record_cut``)."""
        found = self.shots()
        if (start, end) not in found.fades:
            self._write_shots(replace(found, fades=(*found.fades, (start, end))))

    def _write_shots(self, shots: ShotRecord) -> None:
        write_manifest(self.folder / SHOTS, {"cuts": sorted(shots.cuts), "fades": [list(f) for f in shots.fades]})

    def clear(self) -> None:
        try:
            shutil.rmtree(self.folder)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise OutputError(f"cannot clear work folder {self.folder}: {describe_os_error(err)}") from None

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def read_manifest(path: Path) -> dict[str, Any] | None:
    """A manifest's contents; None when it is missing or damaged (so it matches nothing)."""
    try:
        found = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def write_manifest(path: Path, contents: dict[str, Any]) -> None:
    write_bytes_atomic(path, json.dumps(contents, indent=1, sort_keys=True).encode())


def changed_settings(old: Any, new: dict[str, Any]) -> str:
    """The names of the settings that differ, for a message ("unknown" if none can be told)."""
    old = old if isinstance(old, dict) else {}
    keys = sorted(set(old) | set(new))
    return ", ".join(k for k in keys if old.get(k) != new.get(k)) or "unknown"
