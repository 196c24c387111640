"""Cross-fades (dissolves): the first pass ends the old shot where the fade has settled and
paints the new one afresh; the backward pass paints the fade from both sides, so the old
shot's painting fades out with it instead of lingering as a ghost in the new shot."""

import numpy as np
import pytest
from conftest import ROOT, asset, make_clip, paint_in_lane, run_cli
from test_cuts import SIZE, STYLE, VIDEO, StopAfter, frames_of, paint

from framestyle.config import RuntimeConfig, VideoConfig
from framestyle.events import RecordingReporter
from framestyle.flow import FADE_GAP
from framestyle.pipeline import make_stylizer
from framestyle.pipeline.paint import FrameHistory, planned_paintings
from framestyle.pipeline.segments import ShotStarts
from framestyle.store import FrameStore

BEFORE, FADE, AFTER = 5, 8, 6  # bear, the cross-fade, bunny: 19 frames
SETTLED = 16  # where the test finds the new shot settled (measured at 64x48)


@pytest.fixture(scope="module")
def clips() -> tuple[list[np.ndarray], list[np.ndarray]]:
    return frames_of("chromium_bear_vp9_opus.webm", 16), frames_of("big_buck_bunny_720p_5s.mp4", 16)


def faded(bear: list[np.ndarray], bunny: list[np.ndarray]) -> list[np.ndarray]:
    """Bear, cross-faded into bunny over FADE frames (each a little more bunny), then bunny."""
    mixed = []
    for k in range(FADE):
        share = (k + 1) / (FADE + 1)
        blend = (1 - share) * bear[BEFORE + k].astype(np.float32) + share * bunny[k].astype(np.float32)
        mixed.append(np.clip(blend + 0.5, 0, 255).astype(np.uint8))
    return bear[:BEFORE] + mixed + bunny[FADE : FADE + AFTER]


def new_shots(frames: list[np.ndarray], *, fades: bool) -> list[tuple[int, str]]:
    history = FrameHistory(VideoConfig(), fades=fades)
    found = []
    for index, frame in enumerate(frames):
        shot = history.enter(frame)
        if shot:
            found.append((index, shot))
        history.push(index, frame, frame)
    return found


def test_a_fade_is_found_where_it_has_settled_and_nowhere_else(clips):
    bear, bunny = clips
    assert new_shots(bear, fades=True) == [] and new_shots(bunny, fades=True) == []
    frames = faded(bear, bunny)
    assert new_shots(frames, fades=True) == [(SETTLED, "fade")]
    # Every frame of the fade is explained by the one before it: no cut, and without
    # `fades` (one pass, a Ray lane) the shot goes on.
    assert new_shots(frames, fades=False) == []
    # The Ray driver finds the same shots for --preserve-color's colour references.
    starts = ShotStarts(VideoConfig(), fades=True)
    assert len(list(starts.follow(iter(frames), lambda index, frame: None))) == len(frames)
    assert starts.starts == [0, SETTLED]


def test_a_fade_is_painted_from_both_sides_also_when_resumed(tmp_path, clips):
    frames = faded(*clips)
    total = len(frames)
    reporter = RecordingReporter()
    whole = paint(frames, tmp_path / "whole", reporter)
    [(start, end)] = FrameStore(tmp_path / "whole").shots().fades
    assert end == SETTLED and BEFORE - FADE_GAP <= start <= BEFORE, (
        start
    )  # from the first frame that could be bear alone
    # The first pass painted the settled frame from scratch and said so.
    first_pass = reporter.items[:total]
    assert [event.index for event in first_pass if event.fade] == [SETTLED]
    assert first_pass[SETTLED].iterations == first_pass[0].iterations > first_pass[1].iterations
    # What a dry run plans for the clip (early stop may end a painting sooner).
    planned = [p.budget for p in planned_paintings(total, VIDEO, STYLE, passes=2, fades=[SETTLED])]
    steps = [event.iterations for event in reporter.items]
    assert [budget == 0 for budget in planned] == [step == 0 for step in steps]
    assert all(step <= budget for step, budget in zip(steps, planned))
    # The backward pass carried the new shot's painting back through the fade: the frame
    # before the settled one is nearer its neighbour than the first pass left it.
    first = [FrameStore(tmp_path / "whole" / "pass_1").load(i).astype(np.float32) for i in (SETTLED - 1, SETTLED)]
    last = [whole[i].astype(np.float32) for i in (SETTLED - 1, SETTLED)]
    assert np.mean((last[0] - last[1]) ** 2) < 0.5 * np.mean((first[0] - first[1]) ** 2)

    # Stopped in the first pass inside the fade (the resumed run must find where it
    # settles) and two frames after it (the refilled history starts too late for the
    # test to see the fade again: it must end at the recorded one), then resumed: the
    # same frames as the uninterrupted run.
    for stop in (SETTLED - 2, SETTLED + 2):
        folder = tmp_path / f"resumed_{stop}"
        with pytest.raises(KeyboardInterrupt):
            paint(frames, folder, StopAfter(stop))
        for index, (a, b) in enumerate(zip(paint(frames, folder), whole)):
            assert np.array_equal(a, b), (stop, index)


def test_a_ray_segment_paints_a_fade_as_the_local_engine_does(tmp_path, clips):
    """A Ray lane finds the fade in its first pass and paints it from both sides in the
    second, as a local run does: the same frames and the same record, also resumed after
    the frame where the fade settled."""
    frames = faded(*clips)
    whole = paint(frames, tmp_path / "local")
    stylizer = make_stylizer([ROOT / "samples/vangogh_starry_night.jpg"], STYLE, RuntimeConfig())
    for stop in (None, SETTLED + 2):
        store = FrameStore(tmp_path / f"lane_{stop}")
        if stop is not None:
            paint_in_lane(frames, store, stylizer, VIDEO, stop)
        paint_in_lane(frames, store, stylizer, VIDEO)
        assert store.shots() == FrameStore(tmp_path / "local").shots()
        for index, expected in enumerate(whole):
            assert np.array_equal(store.load(index), expected), (stop, index)


def test_the_video_command_says_where_it_found_a_fade(tmp_path, starry):
    clip = make_clip(
        tmp_path / "fade.mp4",
        *("-i", str(asset("video/chromium_bear_vp9_opus.webm")), "-i", str(asset("video/big_buck_bunny_720p_5s.mp4"))),
        "-filter_complex",
        f"[0:v]scale={SIZE[0]}:{SIZE[1]},setsar=1,fps=24,trim=end_frame=16,setpts=PTS-STARTPTS[a];"
        f"[1:v]scale={SIZE[0]}:{SIZE[1]},setsar=1,fps=24,trim=end_frame=16,setpts=PTS-STARTPTS[b];"
        "[a][b]xfade=transition=fade:duration=0.375:offset=0.2,format=yuv420p[v]",
        *("-map", "[v]"),
    )
    tiny = ("--size", "64", "--first-iterations", "4", "-n", "2", "--pass-iterations", "2")
    proc = run_cli("video", clip, starry, *tiny, "-o", tmp_path / "out.mp4")
    assert proc.returncode == 0, proc.stderr
    assert "1 cross-fade found (into a new shot by frame 18): the old painting fades" in proc.stderr, proc.stderr
    assert "cut" not in proc.stderr
    assert (tmp_path / "out.mp4").exists()
    dry = run_cli("video", clip, starry, *tiny, "--dry-run", "-o", tmp_path / "dry.mp4")
    assert dry.returncode == 0, dry.stderr
    assert "cuts: none found; 1 cross-fade (into a new shot by frame 18): one more first frame each" in dry.stdout


def test_one_pass_keeps_the_shot_through_a_fade(tmp_path, clips):
    """Without a backward pass to cross-fade the paintings, a new shot painted afresh
    where the fade settles would pop in: one pass carries the painting through."""
    frames = faded(*clips)
    reporter = RecordingReporter()
    paint(frames, tmp_path / "one", reporter, video=VideoConfig(first_iterations=8, passes=1))
    assert not any(event.fade or event.cut for event in reporter.items)
    assert FrameStore(tmp_path / "one").shots().fades == ()
