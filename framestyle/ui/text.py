"""What the commands print besides progress: summaries, dry-run reports, preview
commands, preset listings. Built here so that the commands only parse, call and print."""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..backend import Backend
    from ..config import StyleConfig, VideoConfig
    from ..io.containers import AudioTrack
    from ..io.video import VideoInfo
    from ..letterbox import Bars
    from ..pipeline import BatchSummary, ImageOutcome, VideoOutcome, VideoPlan
    from ..pipeline.folder import FolderPlan, SequenceOutcome
    from ..pipeline.memory import MemoryNeed
    from ..pipeline.preview import PreviewSheet
    from ..pipeline.shots import ShotScan
    from ..pipeline.space import DiskSpace

from .bars import duration, loss_breakdown
from .flags import as_flags


def image_summary(outcome: ImageOutcome) -> str:
    r = outcome.result
    w, h = outcome.size
    stop = ", stopped early" if r.stopped_early else ""
    lines = [
        f"wrote {outcome.output} ({w}x{h}) in {duration(r.seconds)}: "
        f"{r.iterations} iterations{stop}, {loss_breakdown(r.loss, r.losses)}"
    ]
    if outcome.animation is not None:
        lines.append(f"wrote {outcome.animation}")
    return "\n".join(lines)


def container_note(info: VideoInfo, *, trimmed: bool) -> str | None:
    """A note when the container's frame count is wrong (meaningless when only part is read)."""
    if info.container_frames and info.container_frames != info.frames and not trimmed:
        return f"note: the container claims {info.container_frames} frames; {info.frames} decode"
    return None


_STREAM_NOUNS = {
    "subtitle": "subtitle stream",
    "data": "data stream",
    "attachment": "attachment",
    "cover picture": "cover picture",
    "video": "other video stream",
}


def dropped_note(dropped: Sequence[tuple[str, int]]) -> str | None:
    """A note naming the source's streams the output leaves out (None: nothing left out).

    >>> dropped_note([("subtitle", 1), ("attachment", 2)])
    'note: dropped 1 subtitle stream and 2 attachments (the output holds the painted video and the sound)'
    """
    if not dropped:
        return None
    words = [f"{count} {_STREAM_NOUNS.get(kind, kind)}{'' if count == 1 else 's'}" for kind, count in dropped]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"note: dropped {listed} (the output holds the painted video and the sound)"


def audio_tracks_text(tracks: Sequence[AudioTrack]) -> str:
    """How each sound track goes into the output.

    >>> from ..io.containers import AudioTrack
    >>> from ..io.streams import Stream
    >>> audio_tracks_text([AudioTrack(Stream(1, "audio", "aac", "eng"), None), AudioTrack(Stream(2, "audio", "flac"), "aac")])
    '2 tracks: #1 aac (eng) copied, #2 flac re-encoded as aac'
    """
    parts = []
    for track in tracks:
        stream = track.stream
        labels = ", ".join(label for label in (stream.language, stream.title) if label)
        how = "copied" if track.encoder is None else f"re-encoded as {track.encoder.removeprefix('lib')}"
        parts.append(f"#{stream.index} {stream.codec}{f' ({labels})' if labels else ''} {how}")
    if len(parts) == 1:
        return parts[0]
    return f"{len(parts)} tracks: " + ", ".join(parts)


def disk_space_text(space: Sequence[DiskSpace]) -> str:
    """``disk: about 12.0 MB (frames 10.0 MB, video 2.0 MB), 3.1 GB free in out/``, one
    line per file system, saying when the run would be refused."""
    return "\n".join(
        f"disk: {disk.describe()} in {disk.folder}" + ("" if disk.fits else " -- not enough: the run would be refused")
        for disk in space
    )


def memory_text(need: MemoryNeed | None) -> str:
    """``memory: about 2.1 GB at its peak (cpu, bf16), 19.0 GB RAM available``, saying when
    the run would be refused and what size would fit."""
    if need is None:
        return "memory: not estimated (the Ray workers run on another machine)"
    line = f"memory: {need.describe()}"
    if not need.fits:
        line += " -- not enough: the run would be refused; " + (
            f"the largest size that fits is about --size {need.largest}"
            if need.largest is not None
            else "not even the smallest size fits"
        )
    return line


def _passes(video: VideoConfig) -> str:
    passes = video.sequence_passes
    if passes == 1:
        return ""
    return f", then {passes - 1} more pass{'es' if passes > 2 else ''} of {video.pass_iterations} per frame"


def video_dry_run_text(
    plan: VideoPlan,
    style: StyleConfig,
    video: VideoConfig,
    *,
    seconds: float | None,
    backend: Backend,
    space: Sequence[DiskSpace] = (),
    shots: ShotScan | None = None,
    elsewhere: bool = False,
) -> str:
    """``elsewhere``: the run would paint on a Ray cluster, whose time is not known here."""
    info = plan.info
    w, h = plan.size
    audio = "no"
    if plan.audio_tracks:
        audio = audio_tracks_text(plan.audio_tracks)
    elif plan.audio:
        audio = "yes"
    elif info.has_audio:
        audio = f"no (dropped: {_no_sound(plan)})"
    args = plan.video_args
    encoder = args[args.index("-c:v") + 1] if "-c:v" in args else None
    colour = args[args.index("-pix_fmt") + 1] if "-pix_fmt" in args else "yuv420p"
    named = [encoder] if encoder else []
    named += [colour] if colour != "yuv420p" else []  # the usual format goes unsaid
    video_codec = f" ({', '.join(named)})" if named else ""
    note = dropped_note(plan.dropped)
    dar = info.dar.limit_denominator(1000)
    where = f"{backend.device.type}, {backend.autocast_dtype or 'fp32'}"
    if elsewhere:
        timing = "estimated time: not estimated (the Ray workers run on another machine)"
    elif seconds is None:
        timing = f"estimated time here: not timed, the size does not fit in memory ({where})"
    else:
        timing = f"estimated time here: {duration(seconds)} ({seconds / info.frames:.1f}s/frame, {where})"
    disk = "\n" + disk_space_text(space) if space else ""
    return (
        f"video: {info.path} ({info.width}x{info.height}, SAR {info.sar.numerator}:{info.sar.denominator}, "
        f"DAR {dar.numerator}:{dar.denominator})\n"
        f"frames: {info.frames} from {info.start_seconds:.2f}s, {_rate(info)}, {info.duration:.2f}s\n"
        f"working size: {w}x{h}\n"
        + (f"letterbox bars kept from the source: {plan.bars.describe()}\n" if plan.bars else "")
        + f"audio: {audio}\n"
        + (f"{note}\n" if note else "")
        + f"temporal: {video.temporal}; steps: {video.first_iterations} first, "
        f"{style.iterations} per later frame{_passes(video)} (early stop may end sooner)\n"
        + (f"{shots_text(shots)}\n" if shots else "")
        + f"output: {plan.output}{video_codec}{' (original | painted, side by side)' if plan.side_by_side else ''}\n"
        f"{timing}{disk}\n{memory_text(plan.memory)}"
    )


def _rate(info: VideoInfo) -> str:
    """The frame rate, or for a clip without one, its average and that times are kept."""
    if info.variable_rate:
        return f"variable frame rate (about {info.frames / max(info.duration, 1e-9):.3f} fps; frame times kept)"
    return f"{float(info.fps):.3f} fps ({info.fps})"


def _no_sound(plan: VideoPlan) -> str:
    """Why a clip's sound is not in the output."""
    if not plan.container_audio:
        return f"{plan.output.suffix.lower()} holds no sound"
    return "--no-audio"


def video_summary(plan: VideoPlan, outcome: VideoOutcome) -> str:
    w, h = plan.size
    if plan.side_by_side:
        w *= 2
    audio = "kept" if outcome.audio else "none"
    if len(outcome.audio_tracks) > 1:
        audio = f"kept, {len(outcome.audio_tracks)} tracks"
    if not outcome.audio and plan.info.has_audio and not plan.container_audio:
        audio = f"dropped: {_no_sound(plan)}"
    fresh = outcome.frames - outcome.resumed
    resumed = f" ({outcome.resumed} resumed from an earlier run)" if outcome.resumed else ""
    per_frame = outcome.seconds / max(1, fresh)
    note = dropped_note(outcome.dropped)
    rate = "variable frame rate, timestamps kept" if plan.info.variable_rate else f"at {float(plan.info.fps):.3f} fps"
    lines = [
        f"wrote {outcome.output} ({w}x{h}, {outcome.frames} frames {rate}, "
        f"audio {audio}) in {duration(outcome.seconds)}, {per_frame:.1f}s/frame{resumed}"
    ]
    lines += [note] if note else []
    lines += [_bars_kept(plan.bars, "the source")] if plan.bars else []
    return "\n".join(lines)


def _bars_kept(bars: Bars, source: str) -> str:
    return f"letterbox bars kept from {source} ({bars.describe()}; --paint-bars paints them)"


def sequence_summary(outcome: SequenceOutcome) -> str:
    w, h = outcome.size
    lines = []
    if outcome.resized:
        lines.append(f"note: {outcome.resized} frames differed in size from the first and were resized to {w}x{h}")
    resumed = f" ({outcome.resumed} resumed)" if outcome.resumed else ""
    lines.append(f"wrote {outcome.frames} frames ({w}x{h}) to {outcome.output}{resumed}")
    if outcome.bars:
        lines.append(_bars_kept(outcome.bars, "the pictures"))
    return "\n".join(lines)


def cuts_found(frames: Sequence[int]) -> str:
    """The cuts a run met, as frame numbers from 1 (the first few).

    >>> cuts_found([4])
    '1 cut found (new shots at frame 5): each new shot was painted from scratch'
    >>> cuts_found([4, 30])
    '2 cuts found (new shots at frames 5, 31): each new shot was painted from scratch'
    """
    plural = "s" if len(frames) > 1 else ""
    return (
        f"{len(frames)} cut{plural} found (new shots at frame{plural} {_frame_numbers(frames)}): "
        "each new shot was painted from scratch"
    )


def _frame_numbers(frames: Sequence[int]) -> str:
    """Frame indices as numbers from 1, the first six."""
    return ", ".join(str(frame + 1) for frame in frames[:6]) + (", ..." if len(frames) > 6 else "")


def shots_text(scan: ShotScan) -> str:
    """A dry run's line on the cuts it found ahead of the run.

    >>> from framestyle.pipeline.shots import ShotScan
    >>> shots_text(ShotScan(total=40, scanned=40, cuts=()))
    'cuts: none found'
    >>> shots_text(ShotScan(total=40, scanned=40, cuts=(4,)))
    'cuts: 1 found (a new shot at frame 5): painted from scratch, counted in the estimate'
    >>> shots_text(ShotScan(total=40, scanned=40, cuts=(), fades=(25,)))
    'cuts: none found; 1 cross-fade (into a new shot by frame 26): one more first frame each, counted too'
    >>> shots_text(ShotScan(total=9000, scanned=3000, cuts=(4, 30)))
    'cuts: 2 in the first 3000 of 9000 frames read (new shots at frames 5, 31): about 6 in all, counted in the estimate'
    >>> shots_text(ShotScan(total=9000, scanned=3000, cuts=(), fades=(25,)))
    'cuts: none in the first 3000 of 9000 frames read; 1 cross-fade (into a new shot by frame 26): about 3 in all, one more first frame each, counted too'
    """
    if not scan.fades:
        return _cuts_text(scan)
    rate = "" if scan.complete else f"about {len(scan.foreseen_fades())} in all, "
    return f"{_cuts_text(scan)}; {_fades(scan.fades)}: {rate}one more first frame each, counted too"


def _cuts_text(scan: ShotScan) -> str:
    count = len(scan.cuts)
    where = (
        f"a new shot at frame {_frame_numbers(scan.cuts)}"
        if count == 1
        else f"new shots at frames {_frame_numbers(scan.cuts)}"
    )
    if scan.complete:
        return (
            f"cuts: {count} found ({where}): painted from scratch, counted in the estimate"
            if count
            else "cuts: none found"
        )
    read = f"in the first {scan.scanned} of {scan.total} frames read"
    if not count:
        return f"cuts: none {read}"
    return f"cuts: {count} {read} ({where}): about {len(scan.foreseen_cuts())} in all, counted in the estimate"


def fades_found(frames: Sequence[int]) -> str:
    """The cross-fades a run met, by the frame (from 1) where each new shot settled.

    >>> fades_found([25])
    '1 cross-fade found (into a new shot by frame 26): the old painting fades into the new one'
    """
    return f"{_fades(frames, 'found')}: the old painting fades into the new one"


def _fades(frames: Sequence[int], verb: str = "") -> str:
    """'N cross-fade(s) [verb] (into a new shot by frame(s) ...)': the dry run's and the
    run's words for the same frames."""
    plural = "s" if len(frames) > 1 else ""
    counted = " ".join(filter(None, (f"{len(frames)} cross-fade{plural}", verb)))
    return f"{counted} (into a new shot by frame{plural} {_frame_numbers(frames)})"


def batch_summary(plan: FolderPlan, summary: BatchSummary) -> str:
    return f"{plan.output_dir}: {summary.done} done, {summary.skipped} skipped (already done), {summary.failed} failed"


def preview_commands(sheet: PreviewSheet, source: Path, styles: Sequence[Path], *, given: Mapping[str, Any]) -> str:
    """One line per cell: its values and the command that paints it at full size.

    ``given`` holds the preview's flags by name: the settings among them that were set
    (not None) are carried into every command, except the preview's own cell size and budget."""
    from ..config import CONFIG_CLASSES, VideoConfig
    from ..io.video import VIDEO_EXTENSIONS

    settings = {f.name for cls in CONFIG_CLASSES for f in dataclasses.fields(cls)} - {"size", "iterations"}
    command = "video" if Path(source).suffix.lower() in VIDEO_EXTENSIONS else "image"
    if command == "image":  # `framestyle image` has no video settings (--paint-bars...)
        settings -= {f.name for f in dataclasses.fields(VideoConfig)}
    lines = []
    for number, cell in enumerate(sheet.cells, start=1):
        cell_styles = [cell.values["style"]] if "style" in cell.values else list(styles)
        flags = {k: v for k, v in given.items() if k in settings and v is not None and k not in cell.values}
        if given.get("config") is not None:
            flags = {"config": given["config"], **flags}
        flags.update({k: v for k, v in cell.values.items() if k != "style"})
        words = ["framestyle", command, str(source), *map(str, cell_styles), *as_flags(flags)]
        caption = ", ".join(f"{k.replace('_', '-')}={_shown(v)}" for k, v in cell.values.items())
        lines.append(f"cell {number} ({caption}): {shlex.join(words)}")
    return "\n".join(lines)


def preview_summary(sheet: PreviewSheet, output: Path) -> str:
    height, width = sheet.sheet.shape[:2]
    lines = [f"wrote {output} ({width}x{height}, {len(sheet.cells)} cells)"]
    if sheet.bars:
        lines.append(_bars_kept(sheet.bars, "the clip"))
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return Path(value).name if isinstance(value, Path) else str(value)


def toml_value(value: object) -> str:
    """A setting's value as TOML writes it, so listed presets can be copied into a file.

    >>> toml_value(True), toml_value("lbfgs"), toml_value(("relu1_1", "relu2_1")), toml_value(0.0001)
    ('true', '"lbfgs"', '["relu1_1", "relu2_1"]', '0.0001')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string uses JSON's escapes
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def presets_text(
    presets: Sequence[tuple[str, str, Mapping[str, object]]],
    user_path: Path | None,
    user_values: Mapping[str, object] | None,
) -> str:
    """`framestyle presets`: each preset (name, description, values), then the user's
    defaults file (None values: the file does not exist)."""
    lines = ["Presets (--config NAME; settings come from the defaults, your defaults file, the preset, then flags):"]
    for name, description, values in presets:
        lines += ["", f"{name}: {description}" if description else name]
        lines += [f"  {key} = {toml_value(value)}" for key, value in values.items()]
    lines.append("")
    if user_path is None:
        lines.append("Your defaults file: none (no home directory)")
    elif user_values is None:
        lines.append(f"Your defaults file: {user_path} (not present; same keys as a preset)")
    else:
        lines.append(f"Your defaults file: {user_path}")
        lines += [f"  {key} = {toml_value(value)}" for key, value in user_values.items()]
        if not user_values:
            lines.append("  (empty)")
    return "\n".join(lines)
