"""framestyle preview: a labelled sheet of small paintings, and the flags that redo each."""

from __future__ import annotations

import shlex

import numpy as np
import pytest
from conftest import assert_one_line_error, run_cli

from framestyle.config import StyleConfig
from framestyle.errors import ConfigError
from framestyle.events import RecordingReporter
from framestyle.io.images import read_image
from framestyle.pipeline.preview import Sweep, default_sweeps, paint_preview, parse_sweep

FAST = ("--size", "64", "-n", "4")


def test_parse_sweep_checks_names_and_values(starry):
    assert parse_sweep("style-weight=1,10,100") == Sweep("style_weight", (1.0, 10.0, 100.0))
    assert parse_sweep("preserve-color=true,false") == Sweep("preserve_color", (True, False))
    assert parse_sweep("pooling=max,avg") == Sweep("pooling", ("max", "avg"))
    assert parse_sweep(f"style={starry}").values == (starry,)
    with pytest.raises(ConfigError, match="cannot sweep 'size'"):
        parse_sweep("size=64,128")
    with pytest.raises(ConfigError, match="pooling"):
        parse_sweep("pooling=max,median")
    with pytest.raises(ConfigError, match="NAME=V1"):
        parse_sweep("style-weight")


def test_default_sweep_is_weight_by_scale_around_the_settings():
    weight, scale = default_sweeps(StyleConfig(style_weight=20, style_scale=1.5))
    assert weight.values == (2.0, 20.0, 200.0) and scale.values == (0.75, 1.5, 3.0)


def test_cells_differ_as_their_settings_do_and_share_style_targets(cat, starry):
    picture = read_image(cat)[::8, ::8].copy()  # 56x40-ish, painted as is
    recorder = RecordingReporter()
    sweeps = [Sweep("style_weight", (0.1, 100.0)), Sweep("style_scale", (0.5, 1.0))]
    config = StyleConfig(size=64, iterations=6, tolerance=0)
    sheet = paint_preview(picture, [starry], style=config, sweeps=sweeps, reporter=recorder)
    assert [c.values for c in sheet.cells] == [
        {"style_weight": 0.1, "style_scale": 0.5},
        {"style_weight": 0.1, "style_scale": 1.0},
        {"style_weight": 100.0, "style_scale": 0.5},
        {"style_weight": 100.0, "style_scale": 1.0},
    ]
    assert sheet.columns == 2 and recorder.started == [0, 1, 2, 3] and len(recorder.items) == 4
    weak, strong = sheet.cells[0].picture.astype(int), sheet.cells[2].picture.astype(int)
    # More style weight moves the painting further from the photo.
    assert np.abs(strong - picture).mean() > np.abs(weak - picture).mean()
    h, w = picture.shape[:2]
    assert sheet.sheet.shape[0] > 2 * h and sheet.sheet.shape[1] > 2 * w


def test_preview_command_writes_a_sheet_and_prints_each_cells_command(tmp_path, cat, starry, bear):
    out = tmp_path / "sheet.png"
    proc = run_cli(
        "preview",
        bear,
        starry,
        *FAST,
        "--at",
        "0.5",
        "--vary",
        "tv-weight=0,10",
        "--vary",
        "style-weight=1,30",
        "--pooling",
        "avg",
        "-o",
        out,
        "-q",
    )
    assert proc.returncode == 0, proc.stderr
    sheet = read_image(out)
    assert sheet.shape[0] > 64 and sheet.shape[1] > 2 * 64
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 4
    first = shlex.split(lines[0].split(": ", 1)[1])
    assert first[:4] == ["framestyle", "video", str(bear), str(starry)]
    assert first[4:] == ["--pooling", "avg", "--tv-weight", "0", "--style-weight", "1"]
    assert "(tv-weight=0, style-weight=1)" in lines[0]


def test_preview_refuses_bad_sweeps_and_existing_output(tmp_path, cat, starry):
    assert_one_line_error(run_cli("preview", cat, starry, "--vary", "colour=1,2"), "cannot sweep 'colour'")
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"mine")
    assert_one_line_error(run_cli("preview", cat, starry, *FAST, "-o", taken), "already exists", "--overwrite")
    assert taken.read_bytes() == b"mine"
    assert_one_line_error(run_cli("preview", cat, starry, "--at", "2", "-o", tmp_path / "x.png"), "--at")
