"""Hard cuts: a frame that starts a new shot is painted from scratch, and each shot as its
own clip, instead of opening as a ghost of the shot before it."""

import json

import numpy as np
import pytest
from conftest import ROOT, asset, cut_clip, run_cli

from framestyle.config import RuntimeConfig, StyleConfig, VideoConfig
from framestyle.events import RecordingReporter
from framestyle.flow import new_shot
from framestyle.io.images import resize_rgb
from framestyle.io.video import iter_frames, probe
from framestyle.pipeline import make_stylizer, stylize_sequence
from framestyle.pipeline.paint import planned_paintings
from framestyle.pipeline.shots import scan_shots
from framestyle.store import FrameStore, ShotRecord

SIZE = (64, 48)
# Anchors every 4th frame and shots of 4 frames: both passes meet each shot's first
# frame on the anchor grid, as a clip of that shot alone would.
VIDEO = VideoConfig(first_iterations=8, passes=2, pass_iterations=3, anchor_every=4)
STYLE = StyleConfig(size=64, iterations=4)


def frames_of(name: str, count: int) -> list[np.ndarray]:
    info = probe(asset(f"video/{name}"), max_frames=count)
    width = round(info.width * SIZE[1] / info.height)
    # The middle of the picture, at the shape of the other shot.
    return [resize_rgb(f, (width, SIZE[1]))[:, (width - SIZE[0]) // 2 :][:, : SIZE[0]] for f in iter_frames(info)]


@pytest.fixture(scope="module")
def shots() -> tuple[list[np.ndarray], list[np.ndarray]]:
    return frames_of("chromium_bear_vp9_opus.webm", 4), frames_of("big_buck_bunny_720p_5s.mp4", 4)


def test_a_cut_is_told_from_motion_fades_and_grain(shots):
    bear, bunny = shots
    assert not any(new_shot(a, b) for a, b in zip(bear, bear[1:]))
    assert not any(new_shot(a, b) for a, b in zip(bunny, bunny[1:]))
    assert new_shot(bear[-1], bunny[0]) and new_shot(bunny[0], bear[-1])
    fading = [(frame * (1 - 0.2 * k)).astype(np.uint8) for k, frame in enumerate(bear)]  # to black in 5 frames
    assert not any(new_shot(a, b) for a, b in zip(fading, fading[1:]))
    rng = np.random.default_rng(0)
    grain = [np.clip(f + rng.normal(0, 20, f.shape), 0, 255).astype(np.uint8) for f in bunny]
    assert not any(new_shot(a, b) for a, b in zip(grain, grain[1:]))


class StopAfter(RecordingReporter):
    def __init__(self, items: int) -> None:
        super().__init__()
        self.items_left = items

    def item_done(self, event):  # type: ignore[no-untyped-def]
        super().item_done(event)
        self.items_left -= 1
        if self.items_left == 0:
            raise KeyboardInterrupt


def paint(frames: list[np.ndarray], folder, reporter=None, video=VIDEO, style=STYLE) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    stylizer = make_stylizer([ROOT / "samples/vangogh_starry_night.jpg"], style, RuntimeConfig())
    store = FrameStore.open(folder, {"test": True})
    stylize_sequence(
        iter(frames),
        total=len(frames),
        store=store,
        stylizer=stylizer,
        video=video,
        reporter=reporter or RecordingReporter(),
    )
    return [store.load(index) for index in range(len(frames))]


def test_each_shot_is_painted_as_its_own_clip_also_when_resumed(tmp_path, shots):
    bear, bunny = shots
    reporter = RecordingReporter()
    joined = paint(bear + bunny, tmp_path / "joined", reporter)
    alone = paint(bear, tmp_path / "bear") + paint(bunny, tmp_path / "bunny")
    for index, (a, b) in enumerate(zip(joined, alone)):
        assert np.array_equal(a, b), index
    # The cut frame took the first frame's budget; the backward pass kept the last
    # frame before the cut as the forward pass painted it.
    steps = [event.iterations for event in reporter.items]
    assert steps[4] == steps[0] > steps[1]
    assert steps[8 + 4] == 0 == steps[8]
    # What a dry run plans for a clip with this cut (early stop may end a painting sooner).
    planned = [p.budget for p in planned_paintings(8, VIDEO, STYLE, passes=2, cuts=[4])]
    assert [budget == 0 for budget in planned] == [step == 0 for step in steps]
    assert all(step <= budget for step, budget in zip(steps, planned))
    assert planned[4] == planned[0] == VIDEO.first_iterations

    # Stopped two frames past the cut, then resumed: the frames it refills find the cut again.
    with pytest.raises(KeyboardInterrupt):
        paint(bear + bunny, tmp_path / "resumed", StopAfter(6))
    resumed = paint(bear + bunny, tmp_path / "resumed")
    for index, (a, b) in enumerate(zip(resumed, joined)):
        assert np.array_equal(a, b), index


def test_preserve_color_matches_each_shot_to_its_own_first_frame_also_when_resumed(tmp_path, shots):
    bear, bunny = shots
    style = StyleConfig(size=64, iterations=4, preserve_color=True)
    joined = paint(bear + bunny, tmp_path / "joined", style=style)
    alone = paint(bear, tmp_path / "bear", style=style) + paint(bunny, tmp_path / "bunny", style=style)
    for index, (a, b) in enumerate(zip(joined, alone)):
        assert np.array_equal(a, b), index
    # Stopped in the backward pass, after the cut, then resumed: both shots' references
    # come back from the cut the first pass recorded in the work folder.
    for stop in (6, 8 + 5):
        folder = tmp_path / f"resumed_{stop}"
        with pytest.raises(KeyboardInterrupt):
            paint(bear + bunny, folder, StopAfter(stop), style=style)
        assert FrameStore(folder).shots() == ShotRecord(cuts=frozenset({4}))
        for index, (a, b) in enumerate(zip(paint(bear + bunny, folder, style=style), joined)):
            assert np.array_equal(a, b), (stop, index)


def test_the_previous_mode_starts_a_new_shot_from_scratch_too(tmp_path, shots):
    bear, bunny = shots
    video = VideoConfig(temporal="previous", first_iterations=8)
    joined = paint(bear + bunny, tmp_path / "joined", video=video)
    alone = paint(bear, tmp_path / "bear", video=video) + paint(bunny, tmp_path / "bunny", video=video)
    for index, (a, b) in enumerate(zip(joined, alone)):
        assert np.array_equal(a, b), index


def test_eval_leaves_out_the_pairs_across_a_cut(tmp_path):
    clip = cut_clip(tmp_path / "cut.mp4")
    proc = run_cli("eval", clip, clip, "--json", "--no-chart", "--long-term", "2")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["frame_pairs"] == 6 and report["pairs_across_cuts"] == 1  # 3 and 4 are not judged
    assert report["long_term"]["frame_pairs"] == 4 and report["long_term"]["pairs_across_cuts"] == 2
    text = run_cli("eval", clip, clip, "--no-chart")
    assert "frame pairs:              6 at 96x72 (1 across cuts left out)" in text.stdout


def test_the_video_command_says_where_it_found_a_cut(tmp_path, starry):
    clip = cut_clip(tmp_path / "cut.mp4")
    tiny = ("--size", "64", "--first-iterations", "4", "-n", "2", "--pass-iterations", "2")
    proc = run_cli("video", clip, starry, *tiny, "-o", tmp_path / "out.mp4")
    assert proc.returncode == 0, proc.stderr
    assert "1 cut found (new shots at frame 5): each new shot was painted from scratch" in proc.stderr
    steady = run_cli(
        "video", asset("video/chromium_bear_vp9_opus.webm"), starry, *tiny, "--frames", "4", "-o", tmp_path / "b.mp4"
    )
    assert steady.returncode == 0, steady.stderr
    assert "cut" not in steady.stderr


def test_the_dry_run_reads_the_clip_for_cuts_and_counts_each_in_its_estimate(tmp_path, starry):
    clip = cut_clip(tmp_path / "cut.mp4")
    info = probe(clip)
    scan = scan_shots(iter_frames(info, size=(64, 48)), info.frames)
    assert scan.complete and scan.cuts == (4,)
    hurried = scan_shots(iter_frames(info, size=(64, 48)), info.frames, seconds=0)
    assert hurried.scanned == 1 and not hurried.complete and hurried.foreseen_cuts() == []

    tiny = ("--size", "64", "--first-iterations", "40", "-n", "2", "--dry-run")
    proc = run_cli("video", clip, starry, *tiny, "-o", tmp_path / "out.mp4")
    assert proc.returncode == 0, proc.stderr
    assert "cuts: 1 found (a new shot at frame 5): painted from scratch, counted in the estimate" in proc.stdout
    assert not (tmp_path / "out.mp4").exists()
    # The same clip painted alone: every frame from scratch, no shots to find.
    alone = run_cli("video", clip, starry, *tiny, "--temporal", "none", "-o", tmp_path / "out.mp4")
    assert alone.returncode == 0, alone.stderr
    assert "cuts" not in alone.stdout


def test_a_ray_lane_looks_back_no_further_than_the_cut(tmp_path, shots):
    from framestyle.pipeline.segments import Lane, Segment

    bear, bunny = shots
    frames = bear + bunny
    store = FrameStore.open(tmp_path / "lane", {"test": True})
    lane = Lane(Segment(0, 0, 0, 8), frames, store, VIDEO)
    looked_back, cuts = [], []
    while not lane.finished:
        job = lane.next_frame()
        looked_back.append(sorted(frame.offset for frame in job.earlier))
        cuts.append(lane.cut)  # what the Ray engine reports with the frame
        lane.save(job.content)  # the content stands in for its painting: only the history is tested
    assert looked_back[:5] == [[], [1], [1, 2], [1, 2, 3], []]
    assert looked_back[5:] == [[1], [1, 2], [1, 2, 3]]
    assert cuts == [False] * 4 + [True] + [False] * 3
    # A lane that resumes after frame 6 refills its history as far as the cut only.
    for index in (6, 7):
        (store.folder / f"frame_{index + 1:06d}.png").unlink()
    resumed = Lane(Segment(0, 0, 0, 8), frames, store, VIDEO)
    assert sorted(frame.offset for frame in resumed.next_frame().earlier) == [1, 2]
