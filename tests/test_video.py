import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from conftest import (
    ROOT,
    assert_one_line_error,
    asset,
    make_clip,
    run_cli,
    stream_facts,
)

from framestyle.config import RuntimeConfig, StyleConfig, VideoConfig
from framestyle.evaluate import warping_errors
from framestyle.io.video import iter_frames, probe
from framestyle.pipeline import make_stylizer, stylize_sequence, work_folder_for
from framestyle.store import FrameStore
from framestyle.tensors import fit_long_side

FAST = ["--size", "64", "--first-iterations", "12", "-n", "6", "-q"]


def test_frames_fps_and_audio_are_kept(tmp_path, bear, starry):
    out = tmp_path / "bear_out.mp4"
    proc = run_cli("video", bear, starry, *FAST, "--frames", "5", "-o", out)
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(out)
    assert facts["frames"] == 5
    assert facts["fps"] == pytest.approx(29.97, abs=0.01)
    assert facts["audio"]
    assert facts["size"] == (64, 48)
    assert not work_folder_for(out).exists()  # removed after success
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bear_out.mp4"]


def test_default_output_name_and_no_audio(tmp_path, bear, starry):
    clip = tmp_path / "clip.webm"
    shutil.copy(bear, clip)
    proc = run_cli("video", clip, starry, *FAST, "--frames", "3", "--no-audio", "--temporal", "previous")
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(tmp_path / "clip_vangogh_starry_night.mp4")
    assert facts["frames"] == 3 and not facts["audio"]


def test_silent_clip_odd_size_and_start(tmp_path, starry):
    # 853x480, no audio: an odd width must neither crash nor distort.
    src = make_clip(
        tmp_path / "odd.mp4",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=853x480:rate=24",
        "-frames:v",
        "30",
        "-pix_fmt",
        "yuv444p",
    )
    out = tmp_path / "odd_out.mp4"
    proc = run_cli("video", src, starry, *FAST, "--size", "85", "--start", "0.5", "--frames", "3", "-o", out)
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(out)
    assert facts["frames"] == 3 and not facts["audio"]
    w, h = facts["size"]
    assert w % 2 == 0 and h % 2 == 0
    assert abs(w / h / (853 / 480) - 1) < 0.01  # the shape kept, even sides notwithstanding


def test_rotation_metadata_is_honoured(tmp_path, starry):
    src = make_clip(tmp_path / "flat.mp4", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-frames:v", "4")
    rotated = make_clip(tmp_path / "rotated.mp4", "-display_rotation", "90", "-i", str(src), "-c", "copy")
    info = probe(rotated)
    assert (info.width, info.height) == (64, 96)
    out = tmp_path / "r.mp4"
    assert run_cli("video", rotated, starry, *FAST, "--frames", "2", "-o", out).returncode == 0
    w, h = stream_facts(out)["size"]
    assert h > w


def test_frame_count_is_what_decodes(tmp_path):
    info = probe(asset("video/intel_asl_again_640x480.mkv"))
    assert info.container_frames == 78 and info.frames == 77
    assert sum(1 for _ in iter_frames(info, size=(32, 24))) == 77


def _sequence_error(bear, mode, tmp_path):
    # Tiny, yet far apart: flow gives about 0.02x the independent frames' error here.
    info = probe(bear, max_frames=4)
    size = fit_long_side(info.width, info.height, 64, even=True)
    style = StyleConfig(size=64, iterations=6)
    video = VideoConfig(temporal=mode, first_iterations=12)
    stylizer = make_stylizer([ROOT / "samples/vangogh_starry_night.jpg"], style, RuntimeConfig())
    store = FrameStore.open(tmp_path / mode, {"mode": mode})
    stylize_sequence(iter_frames(info, size=size), total=info.frames, store=store, stylizer=stylizer, video=video)
    return warping_errors((store.load(i) for i in range(info.frames)), iter_frames(info, size=size))


def test_flow_is_much_steadier_than_independent_frames(tmp_path, bear):
    none = _sequence_error(bear, "none", tmp_path)
    flow = _sequence_error(bear, "flow", tmp_path)
    assert flow.mean_stylized < 0.5 * none.mean_stylized, (flow.mean_stylized, none.mean_stylized)
    assert flow.mean_original == pytest.approx(none.mean_original)


def _video_cmd(bear, starry, out, *extra):
    return [
        sys.executable,
        "-m",
        "framestyle",
        "video",
        str(bear),
        str(starry),
        *FAST,
        "--frames",
        "5",
        "--keep-frames",
        "-o",
        str(out),
        *extra,
    ]


def _kill_when(cmd, env, path):
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while not path.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()
    proc.wait()


def test_kill_and_resume_gives_the_same_frames(tmp_path, bear, starry):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Enough steps in the backward pass that it is still running when it is killed.
    slow = ("--pass-iterations", "20")
    whole = tmp_path / "whole.mp4"
    subprocess.run(_video_cmd(bear, starry, whole, *slow), env=env, check=True, capture_output=True)

    resumed = tmp_path / "resumed.mp4"
    work = work_folder_for(resumed)
    first_pass = work / "pass_1"
    _kill_when(_video_cmd(bear, starry, resumed, *slow), env, first_pass / "frame_000002.png")
    assert not resumed.exists()
    done = FrameStore(first_pass).finished()
    assert 2 <= done < 5

    # Other settings on the same work folder are refused, nothing is touched.
    refused = run_cli(
        "video", bear, starry, *FAST, *slow, "--frames", "5", "--keep-frames", "-o", resumed, "--style-weight", "3"
    )
    assert_one_line_error(refused, "other settings", "style_weight", "--restart")
    assert FrameStore(first_pass).finished() == done

    # Killed again in the backward pass, which writes the last frame first.
    _kill_when(_video_cmd(bear, starry, resumed, *slow), env, work / "frame_000004.png")
    assert not resumed.exists()
    assert FrameStore(first_pass).finished() == 5
    assert (work / "frame_000005.png").exists() and not (work / "frame_000001.png").exists()

    finish = subprocess.run(_video_cmd(bear, starry, resumed, *slow), env=env, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    for i in range(5):
        a = (work_folder_for(whole) / f"frame_{i + 1:06d}.png").read_bytes()
        b = (work / f"frame_{i + 1:06d}.png").read_bytes()
        assert a == b, f"frame {i + 1} differs after resume"
    assert stream_facts(resumed)["frames"] == 5


def test_restart_discards_old_frames(tmp_path, bear, starry):
    out = tmp_path / "o.mp4"
    assert run_cli("video", bear, starry, *FAST, "--frames", "2", "--keep-frames", "-o", out).returncode == 0
    proc = run_cli(
        "video", bear, starry, *FAST, "--frames", "2", "-o", out, "--overwrite", "--restart", "--tv-weight", "5"
    )
    assert proc.returncode == 0, proc.stderr
    assert not work_folder_for(out).exists()


def test_dry_run_reports_and_writes_nothing(tmp_path, bear, starry):
    out = tmp_path / "o.mp4"
    proc = run_cli("video", bear, starry, "--size", "64", "--frames", "48", "--dry-run", "-o", out)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for needle in (
        "frames: 48",
        "29.970 fps",
        "working size: 64x48",
        "audio: #1 opus re-encoded as aac",
        "cuts: none found",
        "estimated time here:",
    ):
        assert needle in text, (needle, text)
    assert "10 per later frame, then 1 more pass of 10 per frame" in text, text
    # 48 PNG frames of 64x48 (bounded at 13452 bytes each), three times over (the first
    # pass, the content frames, the second pass), and the video, against the free space.
    assert "disk: about 2.1 MB (frames 1.9 MB, video 144.4 KB), " in text, text
    assert f"free in {tmp_path}" in text, text
    assert list(tmp_path.iterdir()) == []


def test_a_ray_dry_run_counts_the_segments_frames(tmp_path, bear, starry):
    # Ray keeps each segment's frames in every pass, lead-in included: 2 passes x (24 + 8)
    # / 24, and the clip's frames composed beside them, against the local run's 3 copies.
    # The dry run estimates that without starting Ray.
    out = tmp_path / "o.mp4"
    args = ("video", bear, starry, "--size", "160", "--frames", "48", "--dry-run", "-o", out)
    local = run_cli(*args)
    ray = run_cli(*args, "--engine", "ray", "--segment", "24", "--overlap", "8")
    assert local.returncode == 0 and ray.returncode == 0, (local.stderr, ray.stderr)

    def frames_megabytes(text: str) -> float:
        return float(re.search(r"\(frames ([0-9.]+) MB", text).group(1))

    assert frames_megabytes(ray.stdout) / frames_megabytes(local.stdout) == pytest.approx(
        (2 * 32 / 24 + 1) / 3, abs=0.02
    )
    # Its time: Ray's start and the segments' paintings, on the same cores.
    assert "estimated time here: " in ray.stdout, ray.stdout
    # A cluster's workers are elsewhere: neither its time nor its memory is known here.
    cluster = run_cli(*args, "--engine", "ray", "--address", "ray://nowhere.invalid:10001")
    assert cluster.returncode == 0, cluster.stderr
    assert "estimated time: not estimated (the Ray workers run on another machine)" in cluster.stdout, cluster.stdout
    assert list(tmp_path.iterdir()) == []


def test_eval_reports_json_and_chart(tmp_path, bear, starry):
    out = tmp_path / "o.mp4"
    assert run_cli("video", bear, starry, *FAST, "--frames", "4", "-o", out).returncode == 0
    proc = run_cli("eval", out, bear, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr
    import json

    report = json.loads(proc.stdout)
    assert report["frame_pairs"] == 3
    assert report["warping_error"] > 0 and report["original_warping_error"] > 0
    assert report["ratio_to_original"] == pytest.approx(report["warping_error"] / report["original_warping_error"])
    assert len(report["per_frame"]["stylized"]) == 3
    assert (tmp_path / "o_warping.png").stat().st_size > 1000


def test_eval_long_term_losses_and_verdict(tmp_path, bear, starry):
    out = tmp_path / "o.mp4"
    assert run_cli("video", bear, starry, *FAST, "--frames", "5", "-o", out).returncode == 0
    proc = run_cli("eval", out, bear, "--json", "--no-chart", "--long-term", "2", "--style", starry)
    assert proc.returncode == 0, proc.stderr
    import json

    report = json.loads(proc.stdout)
    assert report["long_term"]["gap"] == 2 and report["long_term"]["frame_pairs"] == 3
    assert report["long_term"]["original_warping_error"] > 0
    assert report["losses"]["frames"] == 5
    assert report["losses"]["style"] > 0 and report["losses"]["content"] > 0
    assert report["verdict"].startswith("verdict: ")
    # A clip judged against itself: exactly its own error, and the verdict says so.
    text = run_cli("eval", out, out, "--no-chart", "--long-term", "3")
    assert text.returncode == 0, text.stderr
    assert "ratio to original:        1.00x" in text.stdout
    assert "verdict: as steady as its source or steadier (1.00x its warping error; over 3 frames 1.00x)" in text.stdout


class TestBadVideoInput:
    def test_bad_container_and_numbers(self, tmp_path, bear, starry):
        assert_one_line_error(
            run_cli("video", bear, starry, "--frames", "0", "-o", tmp_path / "o.mp4"), "frames must be at least 1"
        )
        assert_one_line_error(run_cli("video", bear, starry, "--temporal", "magic"), "--temporal must be one of")
        assert_one_line_error(run_cli("video", bear, starry, "--crf", "99"), "crf must be between 0 and 51")
