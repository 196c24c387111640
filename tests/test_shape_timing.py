"""Real clips' shape and timing: anamorphic pixels (SAR) and variable frame rates.

Clips are made here with ffmpeg (``setsar``, irregular ``setpts``), stylized by the real
command at a tiny size, and read back with the same ffmpeg probe: the output must be
shown at the source's shape, and keep each frame's time and the sound beside it.
"""

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import ffmpeg, make_clip, run_cli

from framestyle.io.ffmpeg import FfmpegWriter
from framestyle.io.probe import StreamFacts, decoded_frame_times, frame_sar, stream_facts
from framestyle.io.video import iter_frames, probe
from framestyle.pipeline.preview import load_preview_picture

FAST = ["--size", "64", "--first-iterations", "3", "-n", "1", "-q", "--temporal", "previous"]


def shown_aspect(path: Path) -> float:
    """Display aspect ratio of a file's video, read back: stored size times its SAR."""
    facts = stream_facts(path)
    assert facts.coded_size is not None
    w, h = facts.coded_size
    return float(w * facts.sar / h)


def video_times(path: Path) -> tuple[list[float], float]:
    """Each frame's time, and when the last one ends."""
    entries = list(decoded_frame_times(path))
    times = [float(t) for t, _ in entries]
    return times, float(entries[-1][0] + entries[-1][1])


def container_duration(path: Path) -> float:
    """The file's duration as its container states it (ffmpeg's "Duration:", 10 ms steps)."""
    report = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True, text=True
    ).stderr
    found = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", report)
    assert found, report
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def audio_end(path: Path) -> float:
    """When the first audio track's last decoded samples end, in seconds."""
    text = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0", "-af", "ashowinfo", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    last = [line for line in text.splitlines() if "nb_samples:" in line][-1]
    fields = dict(re.findall(r"(pts_time|nb_samples|rate):(\S+)", last))
    return float(fields["pts_time"]) + int(fields["nb_samples"]) / int(fields["rate"])


def anamorphic(path: Path, size: str, sar: str, *codec: str) -> Path:
    # max=1000: setsar would otherwise approximate 135/121 with terms under 100.
    return make_clip(
        path, "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25", "-frames:v", "6",
        "-vf", f"setsar=sar={sar}:max=1000", *codec,
    )  # fmt: skip


# --- the probe ----------------------------------------------------------------------------


def test_probe_reads_the_sar_and_the_shape_it_is_shown_at(tmp_path):
    clip = anamorphic(tmp_path / "dv.avi", "176x144", "135/121", "-c:v", "mjpeg", "-q:v", "3")
    info = probe(clip)
    assert (info.width, info.height) == (176, 144)  # pixels as stored
    assert info.sar == Fraction(135, 121)
    assert info.dar == Fraction(15, 11)
    assert info.display_size == pytest.approx((176 * 135 / 121, 144))
    assert info.times is None  # a constant rate: written as before
    picture = load_preview_picture(clip, 96).picture  # a preview sheet paints it at that shape too
    assert abs(picture.shape[1] / picture.shape[0] / (15 / 11) - 1) < 0.01


def test_a_quarter_turn_inverts_the_sar():
    wide = StreamFacts(coded_size=(176, 144), sar=Fraction(4, 3), rotation=90.0)
    assert frame_sar(wide, (144, 176)) == Fraction(3, 4)  # OpenCV turned the frames
    assert frame_sar(wide, (176, 144)) == Fraction(4, 3)  # it did not: the SAR stands
    square = StreamFacts(coded_size=(64, 64), sar=Fraction(2), rotation=-90.0)
    assert frame_sar(square, (64, 64)) == Fraction(1, 2)


def test_writer_keeps_given_frame_times(tmp_path):
    times = [Fraction(0), Fraction(1, 25), Fraction(2, 25), Fraction(9, 10), Fraction(47, 50), Fraction(3, 2)]
    out = tmp_path / "timed.mkv"
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 255, 255)]
    with FfmpegWriter(out, (32, 16), fps=25, output_args=["-c:v", "ffv1"], times=times) as writer:
        for colour in colours:
            writer.write(np.full((16, 32, 3), colour, np.uint8))
    read, end = video_times(out)
    assert read == pytest.approx([float(t) for t in times[:-1]], abs=0.0015)  # Matroska keeps ms
    assert end == pytest.approx(1.5, abs=0.0015)
    info = probe(out)
    frames = list(iter_frames(info))
    assert [tuple(int(v) for v in f[8, 16]) for f in frames] == colours  # RGB, in order
    assert info.times is not None and len(info.times) == 6  # read back as variable-rate


# --- the command --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size", "sar", "codec", "output"),
    [
        ("dv.avi", "176x144", "135/121", ["-c:v", "mjpeg", "-q:v", "3"], "out.mp4"),
        ("web.webm", "480x360", "45/44", ["-c:v", "libvpx-vp9", "-crf", "40", "-b:v", "0", "-deadline", "realtime"], "out.webm"),
        ("square.mp4", "852x480", "1", ["-pix_fmt", "yuv444p"], "out.mp4"),  # (testsrc2 would make 853 852)
    ],
)  # fmt: skip
def test_output_is_shown_at_the_sources_shape(tmp_path, starry, name, size, sar, codec, output):
    clip = anamorphic(tmp_path / name, size, sar, *codec)
    source = shown_aspect(clip)
    out = tmp_path / output
    proc = run_cli("video", clip, starry, *FAST, "--frames", "2", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert stream_facts(out).sar == 1  # square pixels, painted and written
    assert abs(shown_aspect(out) / source - 1) < 0.01


def test_rotated_anamorphic_clip_swaps_axes(tmp_path, starry):
    flat = anamorphic(tmp_path / "flat.mp4", "176x144", "135/121")
    turned = make_clip(tmp_path / "turned.mp4", "-display_rotation", "90", "-i", str(flat), "-c", "copy")
    info = probe(turned)
    assert (info.width, info.height) == (144, 176) and info.sar == Fraction(121, 135)
    out = tmp_path / "out.mp4"
    proc = run_cli("video", turned, starry, *FAST, "--frames", "2", "-o", out, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "SAR 121:135" in proc.stdout and "DAR 11:15" in proc.stdout
    assert run_cli("video", turned, starry, *FAST, "--frames", "2", "-o", out).returncode == 0
    assert abs(shown_aspect(out) / (11 / 15) - 1) < 0.01  # tall: 11:15 shown


def variable_rate_clip(path: Path) -> Path:
    """40 frames at 25 fps with a 0.3 s pause after frame 10 and slower frames after 25,
    and 3 s of sine sound."""
    return make_clip(
        path, "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3",
        "-frames:v", "40", "-vf", "setpts='(N/25+if(gt(N,10),0.3,0)+if(gt(N,25),(N-25)*0.045,0))/TB'",
        "-fps_mode", "passthrough", "-c:a", "aac",
    )  # fmt: skip


def test_variable_rate_clip_keeps_its_frame_times_and_sound(tmp_path, starry):
    clip = variable_rate_clip(tmp_path / "vfr.mp4")
    source, source_end = video_times(clip)
    out = tmp_path / "out.mp4"
    dry = run_cli("video", clip, starry, *FAST, "-o", out, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "variable frame rate" in dry.stdout
    proc = run_cli("video", clip, starry, *[a for a in FAST if a != "-q"], "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "timestamps kept" in proc.stdout + proc.stderr  # the summary
    times, end = video_times(out)
    interval = 1 / 25
    assert len(times) == len(source) == 40
    assert max(abs(a - b) for a, b in zip(times, source)) < interval
    # MP4 lists durations in decoding order, so with B-frames the last duration showinfo
    # reads back is some frame's, and which one depends on the encoder's frame types (the
    # source reads 0.04 s, the output 0.12 s, under ffmpeg 9): per frame, the end is known
    # to the longest late interval. The container's own duration is exact: it must match.
    late = max(b - a for a, b in zip(source[-8:], source[-7:]))
    assert abs(end - source_end) <= late + 1e-6
    assert abs(container_duration(out) - container_duration(clip)) < 0.011
    assert abs(audio_end(out) - source_end) < interval  # the sound ends with the pictures


def test_variable_rate_start_and_frames_trim_both_times_and_sound(tmp_path, starry):
    clip = variable_rate_clip(tmp_path / "vfr.mp4")
    source, _ = video_times(clip)
    out = tmp_path / "out.mkv"
    # 0.7 s falls in the pause; the nearest frame is the one shown at 0.72 s (frame 11).
    proc = run_cli("video", clip, starry, *FAST, "--start", "0.7", "--frames", "20", "-o", out)
    assert proc.returncode == 0, proc.stderr
    times, end = video_times(out)
    expected = [t - source[11] for t in source[11:31]]
    assert len(times) == 20
    assert max(abs(a - b) for a, b in zip(times, expected)) < 1 / 25
    assert abs(end - (source[31] - source[11])) < 1 / 25
    assert abs(audio_end(out) - end) < 1 / 25
