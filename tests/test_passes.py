"""Multi-pass sequences (Ruder et al. 2016, section 3.4): a forward pass, then passes of
alternating direction that repaint every frame from its neighbours."""

import numpy as np
import pytest
from conftest import ROOT

from framestyle.config import RuntimeConfig, StyleConfig, VideoConfig
from framestyle.errors import ConfigError
from framestyle.events import RecordingReporter
from framestyle.io.video import iter_frames, probe
from framestyle.pipeline import make_stylizer, stylize_sequence
from framestyle.pipeline.passes import content_store, frames_done, pass_order, pass_store
from framestyle.store import FrameStore
from framestyle.tensors import fit_long_side
from framestyle.ui.bars import FrameBars

STYLE = StyleConfig(size=64, iterations=4, seed=0)


def _paint(bear, folder, video, frames=4):
    info = probe(bear, max_frames=frames)
    size = fit_long_side(info.width, info.height, 64, even=True)
    stylizer = make_stylizer([ROOT / "samples/vangogh_starry_night.jpg"], STYLE, RuntimeConfig(precision="fp32"))
    store = FrameStore.open(folder, {"test": True})
    reporter = RecordingReporter()
    stylize_sequence(
        iter_frames(info, size=size), total=info.frames, store=store, stylizer=stylizer, video=video, reporter=reporter
    )
    return store, reporter, list(iter_frames(info, size=size))


def test_the_second_pass_repaints_backwards_from_the_first(tmp_path, bear):
    video = VideoConfig(first_iterations=8, passes=2, pass_iterations=3)
    store, reporter, contents = _paint(bear, tmp_path / "two", video)
    one, _, _ = _paint(bear, tmp_path / "one", VideoConfig(first_iterations=8, passes=1))
    first = pass_store(store, 0, 2)
    assert first.folder != store.folder
    for index in range(4):
        # The first pass is exactly a one-pass run; the contents are kept losslessly.
        assert np.array_equal(first.load(index), one.load(index))
        assert np.array_equal(content_store(store).load(index), contents[index])
    # The backward pass starts with the last frame as it was and repaints the others.
    assert np.array_equal(store.load(3), first.load(3))
    for index in range(3):
        assert not np.array_equal(store.load(index), first.load(index))
    done = reporter.items
    assert [e.index for e in done] == reporter.started == list(range(8))
    assert [e.iterations for e in done[4:]] == [0, 3, 3, 3]
    assert all(e.total == 8 for e in done)
    assert frames_done(store, 4, 2) == 4


def test_other_modes_paint_one_pass(tmp_path, bear):
    store, reporter, _ = _paint(bear, tmp_path / "prev", VideoConfig(temporal="previous", first_iterations=8))
    assert len(reporter.items) == 4
    assert sorted(p.name for p in store.folder.iterdir()) == [
        *[f"frame_{i:06d}.png" for i in range(1, 5)],
        "manifest.json",
    ]


def test_orders_alternate():
    assert pass_order(0, 4) == [0, 1, 2, 3]
    assert pass_order(1, 4) == [3, 2, 1, 0]
    assert pass_order(2, 4) == [0, 1, 2, 3]


def test_bars_name_the_pass():
    bars = FrameBars(quiet=True, budgets=[10, 5, 5, 0, 3, 3], frames=3)
    bars.item_started(4)
    assert bars.progress.tasks[1].description == "pass 2/2 frame 2"
    bars.item_started(1)
    assert bars.progress.tasks[1].description == "pass 1/2 frame 2"


@pytest.mark.parametrize("settings", [{"passes": 0}, {"passes": 17}, {"pass_iterations": 0}])
def test_pass_settings_are_checked(settings):
    with pytest.raises(ConfigError, match=next(iter(settings))):
        VideoConfig(**settings)
