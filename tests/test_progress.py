"""Progress that tells the truth: the step-weighted frames bar and its ETA, the encode
stage's own bar, sinks reporting each frame written, and the resume command."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import stream_facts

from framestyle.cli import resume_hint
from framestyle.errors import DecodeError
from framestyle.events import SILENT, Callbacks, FrameEvent, IterationEvent, RecordingReporter, Tee
from framestyle.pipeline.sequence import encode_store, export_store
from framestyle.store import FrameStore
from framestyle.ui import FrameBars, StepBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _step(i: int, total: int) -> IterationEvent:
    return IterationEvent(i, total, 0, 1, 64, 48, 1.0, {}, 0.0, torch.zeros(1))


def _paint(bars: FrameBars, clock: FakeClock, index: int, steps: int, *, seconds_per_step: float = 1.0) -> None:
    """Frame ``index`` painted in ``steps`` steps, the clock moving with each."""
    bars.item_started(index)
    for i in range(1, steps + 1):
        clock.now += seconds_per_step
        bars.iteration(_step(i, steps))
    bars.item_done(FrameEvent(index, len(bars.work.budgets), steps, steps * seconds_per_step, 1.0, resumed=False))


def _frames_task(bars: FrameBars):
    return bars.progress.tasks[0]


def test_step_budget_weighs_frames_by_their_budget():
    work = StepBudget([300, 50, 50, 50])
    assert (work.completed, work.total) == (0, 450)
    work.step(0, 120)
    assert work.completed == 120
    work.finish(0, 300)
    work.step(1, 20)
    assert (work.completed, work.total) == (320, 450)
    work.finish(1, 30)  # early stop: what it took replaces its budget
    assert (work.completed, work.total) == (330, 430)
    work.finish(2, 0)  # found finished (resumed): costs nothing
    assert (work.completed, work.total) == (330, 380)
    work.step(3, 10)
    work.finish(3, None)  # a failure after the steps seen
    assert (work.completed, work.total) == (340, 340)


def test_eta_after_the_long_first_frame_counts_the_later_frames_budgets():
    clock = FakeClock()
    # 300 steps for the first frame, 50 for each of 3 later ones: 1 s per step throughout.
    bars = FrameBars(quiet=True, budgets=[300, 50, 50, 50], clock=clock)
    with bars:
        _paint(bars, clock, 0, 300)
        task = _frames_task(bars)
        assert task.fields["count"] == "1/4"
        # An ETA from frames done would say 3 x 300 s; the work left is 150 steps.
        assert task.time_remaining == pytest.approx(150, abs=2)
        _paint(bars, clock, 1, 50)
        assert _frames_task(bars).time_remaining == pytest.approx(100, abs=2)
        assert _frames_task(bars).fields["count"] == "2/4"


def test_eta_within_a_frame_moves_with_its_steps():
    clock = FakeClock()
    bars = FrameBars(quiet=True, budgets=[100, 20, 20], clock=clock)
    bars.item_started(0)
    for i in range(1, 41):
        clock.now += 0.5
        bars.iteration(_step(i, 100))
    task = _frames_task(bars)
    assert task.completed == 40 and task.total == 140
    assert task.time_remaining == pytest.approx(50, abs=2)  # 100 steps left at 2 steps/s
    assert task.fields["count"] == "0/3"


def test_a_frame_after_a_cut_takes_the_first_frames_budget_in_the_eta():
    clock = FakeClock()
    bars = FrameBars(quiet=True, budgets=[100, 20, 20, 20], clock=clock)
    _paint(bars, clock, 0, 100)
    bars.item_started(1)
    clock.now += 1
    bars.iteration(_step(1, 100))  # painted from scratch: its steps say so
    task = _frames_task(bars)
    assert (task.completed, task.total) == (101, 240)  # 139 steps left, where the plan said 59


def test_resumed_frames_cost_nothing():
    clock = FakeClock()
    bars = FrameBars(quiet=True, budgets=[300, 50, 50, 50], clock=clock)
    for index in range(2):
        bars.item_done(FrameEvent(index, 4, 0, 0.0, float("nan"), resumed=True))
    task = _frames_task(bars)
    assert (task.completed, task.total) == (0, 100)
    assert task.fields["count"] == "2/4" and task.fields["detail"] == "resuming"
    _paint(bars, clock, 2, 50)
    assert _frames_task(bars).time_remaining == pytest.approx(50, abs=2)


def test_the_encode_has_its_own_bar():
    bars = FrameBars(quiet=True, budgets=[2, 1, 1])
    writes = bars.progress.tasks[2]
    assert writes.description == "encoding" and not writes.visible
    bars.finishing()
    assert writes.visible and not bars.progress.tasks[1].visible
    bars.writing(2, 3)
    assert (writes.completed, writes.total) == (2, 3)
    assert FrameBars(quiet=True, budgets=[1], finish_label="writing").progress.tasks[2].description == "writing"


def test_every_reporter_takes_writing():
    seen: list[tuple[int, int]] = []
    recording = RecordingReporter()
    Tee(recording, Callbacks(writing=lambda done, total: seen.append((done, total))), SILENT).writing(1, 2)
    Callbacks().writing(1, 2)  # nothing given: nothing done
    assert recording.written == [(1, 2)] and seen == [(1, 2)]


def _store(folder: Path, frames: list[np.ndarray]) -> FrameStore:
    store = FrameStore.open(folder, {"test": True})
    for index, frame in enumerate(frames):
        store.save(index, frame)
    return store


def _frames(n: int, value: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(value)
    return [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(n)]


def test_sinks_report_each_frame_written(tmp_path):
    store = _store(tmp_path / "work", _frames(3))
    recording = RecordingReporter()
    encode_store(tmp_path / "o.mp4", total=3, size=(64, 48), fps=Fraction(10))(store, recording)
    assert recording.written == [(1, 3), (2, 3), (3, 3)]
    recording = RecordingReporter()
    export_store([tmp_path / f"e{i}.png" for i in range(3)])(store, recording)
    assert recording.written == [(1, 3), (2, 3), (3, 3)]


def test_side_by_side_is_twice_as_wide_and_needs_every_original(tmp_path):
    store = _store(tmp_path / "work", _frames(3))
    originals = _frames(3, value=7)
    out = tmp_path / "sbs.mp4"
    encode_store(out, total=3, size=(64, 48), fps=Fraction(10), originals=lambda: iter(originals))(store, SILENT)
    facts = stream_facts(out)
    assert facts["size"] == (128, 48) and facts["frames"] == 3

    short = tmp_path / "short.gif"
    sink = encode_store(short, total=3, size=(64, 48), fps=Fraction(10), originals=lambda: iter(originals[:2]))
    with pytest.raises(DecodeError, match="only 2 of 3"):
        sink(store, SILENT)
    assert not short.exists() and not list(tmp_path.glob(".short.*"))


def test_resume_hint_is_the_command_as_run():
    line = resume_hint("interrupted after 1 of 3 frames", ["video", "a b.mp4", "s.jpg", "-o", "o.gif"])
    assert line == "interrupted after 1 of 3 frames: framestyle video 'a b.mp4' s.jpg -o o.gif"
