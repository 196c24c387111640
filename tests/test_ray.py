"""The Ray engine on a real local Ray (2 CPUs): same outputs as the local engine where
they must match, resume, retries, and seams that do not jump."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import (
    ROOT,
    as_in_a_terminal,
    assert_one_line_error,
    cut_clip,
    make_clip,
    paint_in_lane,
    run_cli,
    stream_facts,
)

from framestyle.config import RayConfig, RuntimeConfig, StyleConfig, VideoConfig
from framestyle.evaluate import warping_errors
from framestyle.events import FrameEvent, Reporter
from framestyle.io.video import iter_frames, probe
from framestyle.pipeline import make_stylizer, open_engine, run_sequence, stylize_sequence, work_folder_for
from framestyle.pipeline.paint import planned_paintings
from framestyle.pipeline.passes import pass_store
from framestyle.pipeline.segments import Segment, plan_segments, seam_pairs, segment_paintings
from framestyle.pipeline.video import planned_seconds
from framestyle.store import FrameStore
from framestyle.tensors import fit_long_side


@pytest.fixture(scope="module")
def ray_installed():
    return pytest.importorskip("ray")


@pytest.fixture(scope="module")
def clip(tmp_path_factory, bear) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("ray") / "bear.mp4",
        "-i",
        str(bear),
        "-frames:v",
        "16",
        "-vf",
        "scale=96:-2",
        "-c:a",
        "aac",
    )


def frames_of(work: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(work.glob("frame_*.png"))]


def test_without_ray_installed_the_error_is_one_line(tmp_path, cat, starry):
    fake = tmp_path / "fake"
    (fake / "ray").mkdir(parents=True)
    (fake / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    proc = run_cli("images", tmp_path, starry, "--engine", "ray", env_extra={"PYTHONPATH": f"{fake}{os.pathsep}{ROOT}"})
    assert_one_line_error(proc, "pip install 'framestyle[ray]'")
    assert_one_line_error(run_cli("video", cat, starry, "--engine", "spark"), "--engine must be one of")


def test_folder_on_ray_matches_local_fails_alone_and_resumes(ray_installed, tmp_path, cat, starry):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(cat, photos / "cat.png")
    bgr = cv2.imread(str(cat))
    cv2.imwrite(str(photos / "gray.jpg"), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(photos / "crop.png"), bgr[50:250, 100:400])
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    common = ("--size", "48", "-n", "4", "--threads", "1", "-q")

    local = run_cli("images", photos, starry, *common, "-o", tmp_path / "local")
    on_ray = run_cli("images", photos, starry, *common, "--engine", "ray", "--workers", "2", "-o", tmp_path / "ray")
    for proc in (local, on_ray):
        assert proc.returncode == 1, proc.stderr  # the broken picture fails alone
        assert "broken.jpg" in proc.stderr and "Traceback" not in proc.stderr
    names = sorted(p.name for p in (tmp_path / "local").glob("*.png"))
    assert names == ["cat.png", "crop.png", "gray.png"]
    for name in names:
        # One torch thread on both sides: the same arithmetic, so the same bytes.
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name

    again = run_cli("images", photos, starry, *common[:-1], "--engine", "ray", "-o", tmp_path / "ray")
    assert again.returncode == 1
    assert "0 done, 3 skipped (already done), 1 failed" in again.stderr


def test_preserve_color_follows_shots_on_ray_as_it_does_here(ray_installed, tmp_path, starry):
    """One segment, two passes: Ray's frames are the local engine's, also after the cut,
    where each engine matches the style to the new shot's first frame, and where the
    backward pass keeps a shot's last frame as the forward pass painted it."""
    clip = cut_clip(tmp_path / "cut.mp4")
    common = ("--size", "64", "--first-iterations", "4", "-n", "2", "--pass-iterations", "2", "--preserve-color")
    common += ("--threads", "1", "--keep-frames", "-q")
    local, on_ray = tmp_path / "local.mp4", tmp_path / "ray.mp4"
    assert run_cli("video", clip, starry, *common, "-o", local).returncode == 0
    proc = run_cli(
        "video",
        clip,
        starry,
        *common,
        "--engine",
        "ray",
        "--workers",
        "1",
        "--segment",
        "8",
        "--overlap",
        "0",
        "-o",
        on_ray,
    )
    assert proc.returncode == 0, proc.stderr
    assert frames_of(work_folder_for(local)) == frames_of(work_folder_for(on_ray))


def test_a_short_segment_without_an_overlap_says_which_flag_to_give(tmp_path, starry):
    proc = run_cli(
        "video",
        ROOT / "samples/bear.webm",
        starry,
        "--engine",
        "ray",
        "--segment",
        "8",
        "-o",
        tmp_path / "o.mp4",
    )
    assert_one_line_error(proc, "--overlap must be under --segment 8 (got 20)")
    assert not (tmp_path / "o.mp4").exists()


def test_segments_cover_the_clip_with_lead_ins():
    segments = plan_segments(16, 6, 3)
    assert [(s.lead, s.start, s.end) for s in segments] == [(0, 0, 6), (3, 6, 12), (9, 12, 16)]
    assert seam_pairs(segments) == [2, 3, 4, 5, 8, 9, 10, 11]
    with pytest.raises(Exception, match="overlap` must be"):
        RayConfig(segment=4, overlap=4)


def test_each_segment_is_planned_as_a_clip_of_its_own():
    video, style = VideoConfig(first_iterations=30, pass_iterations=5), StyleConfig(iterations=10)
    ray = RayConfig(segment=24, overlap=8)
    plans = segment_paintings(ray, 48, video, style, passes=2, cuts=[30])
    # Frames 0-23, then 16-47 (a lead-in of 8): the cut at 30 is the second's frame 14.
    assert plans == [
        planned_paintings(24, video, style, passes=2),
        planned_paintings(32, video, style, passes=2, cuts=[14]),
    ]
    alone = segment_paintings(ray, 3, replace(video, temporal="none"), style, passes=1)
    assert [[p.budget for p in plan] for plan in alone] == [[30], [30], [30]]
    # What a dry run times (step 1 s, carry 0.5 s). The first segment: 30 + 23 x 10 + 23 x 5
    # steps, 23 + 23 carries (its last frame is kept by the backward pass). The second,
    # with the cut at its frame 14 painted from scratch and frame 13 kept by the backward
    # pass: 2 x 30 + 30 x 10 + 30 x 5 steps, 30 + 30 carries. One at a time on shared
    # cores, side by side on two GPUs.
    local = planned_seconds([planned_paintings(48, video, style, passes=2)], (64, 48), style, step=1.0, carry=0.5)
    assert local == 30 + 47 * 15 + 47 * 2 * 0.5
    first, second = 30 + 23 * 15 + 46 * 0.5, 2 * 30 + 30 * 15 + 60 * 0.5
    assert planned_seconds(plans, (64, 48), style, step=1.0, carry=0.5) == first + second
    assert planned_seconds(plans, (64, 48), style, step=1.0, carry=0.5, workers=2) == second


def test_a_lane_paints_a_segments_passes_as_a_local_run_does_and_resumes_anywhere(tmp_path, bear, starry):
    """The Ray engine's lanes without Ray: a segment painted pass after pass through a
    ``Lane`` gives the local engine's frames, byte for byte, also when the lane is
    rebuilt from its stores mid-way (a resumed run), in either pass."""
    video = VideoConfig(first_iterations=6, passes=2, pass_iterations=2, anchor_every=4)
    info = probe(bear, max_frames=6)
    contents = list(iter_frames(info, size=fit_long_side(info.width, info.height, 64, even=True)))
    stylizer = make_stylizer([starry], StyleConfig(size=64, iterations=3, seed=0), RuntimeConfig(precision="fp32"))
    local = FrameStore.open(tmp_path / "local", {"test": True})
    stylize_sequence(iter(contents), total=6, store=local, stylizer=stylizer, video=video)

    def paint(store: FrameStore, paintings: int | None = None) -> None:
        paint_in_lane(contents, store, stylizer, video, paintings)

    def frames(store: FrameStore) -> list[bytes]:
        return [store.frame_path(index).read_bytes() for index in range(6)]

    whole = FrameStore(tmp_path / "whole")
    paint(whole)
    assert frames(whole) == frames(local)
    assert frames(pass_store(whole, 0, 2)) == frames(pass_store(local, 0, 2))
    for stop in (3, 8):  # in the first pass, then in the second
        resumed = FrameStore(tmp_path / f"resumed_{stop}")
        paint(resumed, stop)
        assert sum(resumed.frame_path(index).exists() for index in range(6)) == max(0, stop - 6)
        paint(resumed)
        assert frames(resumed) == frames(local), stop


def test_video_segments_are_complete_and_seams_do_not_jump(ray_installed, tmp_path, clip, starry):
    out = tmp_path / "o.mp4"
    proc = run_cli(
        "video",
        clip,
        starry,
        "--size",
        "64",
        "--first-iterations",
        "16",
        "-n",
        "6",
        "--engine",
        "ray",
        "--workers",
        "2",
        "--segment",
        "6",
        "--overlap",
        "3",
        "--keep-frames",
        "-o",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(out)
    assert facts["frames"] == 16 and facts["audio"]
    work = work_folder_for(out)
    assert sorted(p.name for p in work.glob("segment_*")) == ["segment_0000", "segment_0001", "segment_0002"]

    stylized = [cv2.imread(str(p))[:, :, ::-1] for p in sorted(work.glob("frame_*.png"))]
    info = probe(clip)
    original = list(iter_frames(info, size=(stylized[0].shape[1], stylized[0].shape[0])))
    report = warping_errors(stylized, original)
    segments = plan_segments(16, 6, 3)
    seams = set(seam_pairs(segments))
    at_seams = np.mean([e for i, e in enumerate(report.stylized) if i in seams])
    # Two segments paint the frames before a seam independently: cutting from one to the
    # other would jump by their whole difference. The cross-fade must spread it out.
    store = FrameStore(work)

    def cut(seg: Segment) -> float:
        before = store.segment(seg.number - 1).load(seg.start - 1).astype(np.float32) / 255.0
        after = store.segment(seg.number).load(seg.start - 1).astype(np.float32) / 255.0
        return float(np.mean(np.sum((before - after) ** 2, axis=2)))

    hard_cut = np.mean([cut(seg) for seg in segments[1:]])
    assert at_seams < 0.5 * hard_cut, (at_seams, hard_cut)

    # A local run does not pick up frames a segmented run made (other settings).
    refused = run_cli(
        "video",
        clip,
        starry,
        "--size",
        "64",
        "--first-iterations",
        "16",
        "-n",
        "6",
        "--keep-frames",
        "-o",
        out,
        "--overwrite",
    )
    assert_one_line_error(refused, "other settings", "segment")


def test_a_lost_worker_loses_no_finished_frame(ray_installed, tmp_path, clip, starry):
    style = StyleConfig(size=48, iterations=3)
    video = VideoConfig(first_iterations=6, temporal="previous")
    info = probe(clip, max_frames=8)
    on_disk_at_kill: dict[Path, bytes] = {}
    work = tmp_path / "work"
    with open_engine([starry], style, RuntimeConfig(), RayConfig(workers=2, segment=4, overlap=1)) as engine:
        import ray

        class KillWorkersOnce(Reporter):
            def item_done(self, event: FrameEvent) -> None:
                if on_disk_at_kill:
                    return
                # Some frames are finished; now every worker dies with frames in flight.
                on_disk_at_kill.update({p: p.read_bytes() for p in work.rglob("frame_*.png")})
                for worker in engine.workers:
                    ray.kill(worker, no_restart=False)

        run_sequence(
            iter_frames(info, size=(48, 36)),
            total=8,
            work_folder=work,
            settings={"clip": "bear"},
            engine=engine,
            video=video,
            finish=lambda store, reporter: None,
            keep_frames=True,
            reporter=KillWorkersOnce(),
        )
        # What a resumed run says it kept. Frames painted alone finish in any order;
        # coherent segments count their own frames' paintings over both passes.
        gaps = FrameStore(tmp_path / "gaps")
        for index in (0, 2, 5):
            gaps.save(index, np.zeros((4, 4, 3), np.uint8))
        assert engine.sequence_frames_done(gaps, 8, VideoConfig(temporal="none")) == 3
        passes = FrameStore(tmp_path / "passes")  # segments of 4 with 1 lead-in: frames 3-7 in segment 1
        for index in range(3, 8):
            passes.segment(1).stage("pass_1").save(index, np.zeros((4, 4, 3), np.uint8))
        for index in (7, 6):
            passes.segment(1).save(index, np.zeros((4, 4, 3), np.uint8))
        assert engine.sequence_frames_done(passes, 8, VideoConfig()) == (4 + 2) // 2
    assert FrameStore(work).finished() == 8
    assert on_disk_at_kill
    for path, data in on_disk_at_kill.items():
        assert path.read_bytes() == data, f"{path.name} was lost or redone"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_ray_run_says_how_to_resume_and_resumes(ray_installed, tmp_path, clip, starry, signum):
    out = tmp_path / "o.mp4"
    args = [
        sys.executable,
        "-m",
        "framestyle",
        "video",
        str(clip),
        str(starry),
        "--engine",
        "ray",
        "--size",
        "48",
        "--segment",
        "8",
        "--overlap",
        "2",
        "--first-iterations",
        "10",
        "-n",
        "6",
        "-o",
        str(out),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal
    )
    work = work_folder_for(out)
    deadline = time.time() + 120
    while not list(work.glob("segment_*/frame_*.png")):
        assert proc.poll() is None and time.time() < deadline, (
            proc.stderr.read() if proc.poll() is not None else "timeout"
        )
        time.sleep(0.05)
    proc.send_signal(signum)
    sent = time.time()
    _, err = proc.communicate(timeout=60)
    assert time.time() - sent < 10
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "run the same command again to resume" in err.strip().splitlines()[-1]
    assert not out.exists()
    if signum != signal.SIGINT:
        return  # the frames on disk are the same after either signal; resuming once is enough
    again = subprocess.run(args, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert stream_facts(out)["frames"] == 16
