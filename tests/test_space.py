"""The disk guard: estimates that scale with the run, and a refusal before any painting
when the disk reports too little room (patched here, so it runs anywhere)."""

from __future__ import annotations

import shutil

import cv2
import pytest
from conftest import assert_nothing_lost, assert_one_line_error, run_cli_in_process, snapshot

import framestyle.pipeline.space as space
from framestyle.pipeline.space import SpaceNeed, disk_space, image_bytes, video_bytes

FAST = ("--size", "64", "--first-iterations", "2", "-n", "2", "--temporal", "previous", "-q")


def test_estimates_scale_with_frames_size_and_quality():
    assert image_bytes((64, 48), 20) == 2 * image_bytes((64, 48), 10)
    assert image_bytes((640, 480), 1) > 90 * image_bytes((64, 48), 1) // 2
    assert image_bytes((64, 48), 0) == 0
    one = video_bytes((640, 360), 100, fps=25, crf=18)
    assert video_bytes((640, 360), 200, fps=25, crf=18) > 1.9 * one - 100_000
    assert video_bytes((1280, 720), 100, fps=25, crf=18) > 3.5 * one - 300_000
    assert video_bytes((640, 360), 100, fps=25, crf=12) > 1.9 * one - 100_000  # 6 crf: twice the bits
    assert video_bytes((640, 360), 100, fps=25, crf=18, audio=True) > one
    # A bound, not a guess: raw RGB frames are what the work folder can never exceed.
    assert image_bytes((1920, 1080), 1) >= 1920 * 1080 * 3


def test_disk_space_groups_needs_and_says_what_they_are(tmp_path, monkeypatch):
    monkeypatch.setattr(space, "free_bytes", lambda folder: 300_000_000)
    needs = [SpaceNeed("frames", tmp_path, 1_000_000_000), SpaceNeed("video", tmp_path / "new" / "x", 200_000_000)]
    [disk] = disk_space(needs)
    assert not disk.fits
    assert disk.describe() == "about 1.2 GB (frames 1.0 GB, video 200.0 MB), 300.0 MB free"
    monkeypatch.setattr(space, "free_bytes", lambda folder: 1_300_000_000)
    assert disk_space(needs)[0].fits


@pytest.mark.parametrize("kind", ["video", "sequence", "sequence-to-video"])
def test_a_run_the_disk_cannot_hold_is_refused_before_painting(tmp_path, monkeypatch, bear, starry, cat, kind):
    monkeypatch.setattr(space, "free_bytes", lambda folder: 1_100_000)  # the margin alone is 1 MiB
    shutil.copy(starry, tmp_path / starry.name)
    style = tmp_path / starry.name
    if kind == "video":
        shutil.copy(bear, tmp_path / bear.name)
        args = ["video", tmp_path / bear.name, style, *FAST, "--frames", "5", "-o", tmp_path / "o.mp4"]
        needles = ("frames", "video")
    else:
        (tmp_path / "shots").mkdir()
        picture = cv2.resize(cv2.imread(str(cat)), (64, 48))
        for i in range(3):
            cv2.imwrite(str(tmp_path / "shots" / f"{i}.png"), picture)
        args = ["images", tmp_path / "shots", style, *FAST, "--sequence", "-o", tmp_path / "styled"]
        needles = ("frames", "images")
        if kind == "sequence-to-video":
            args += ["--to-video", tmp_path / "o.mp4"]
            needles = ("frames", "video")
    before = snapshot(tmp_path)
    proc = run_cli_in_process(*args)
    assert_one_line_error(proc, "not enough disk space in", "the run needs about", *needles, "1.1 MB free")
    assert_nothing_lost(before, tmp_path)  # no work folder, manifest, lock file or output

    monkeypatch.setattr(space, "free_bytes", lambda folder: 10**12)
    assert run_cli_in_process(*args).returncode == 0
