from pathlib import Path

import pytest

from framestyle.config import RayConfig, RuntimeConfig, StyleConfig, VideoConfig, load_preset, merge_settings
from framestyle.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["default", "fast", "quality"])
def test_shipped_presets_load(name):
    values = load_preset(CONFIGS / f"{name}.toml")
    style, _, _ = merge_settings(CONFIGS / f"{name}.toml", {})
    assert style.size == values["size"]


def test_default_preset_spells_out_the_defaults():
    style, runtime, video = merge_settings(CONFIGS / "default.toml", {})
    assert style == StyleConfig() and runtime == RuntimeConfig() and video == VideoConfig()


def test_flags_override_preset(tmp_path):
    style, _, _ = merge_settings(CONFIGS / "fast.toml", {"iterations": 150, "style_blend": "0.7,0.3"})
    assert style.iterations == 150 and style.size == 256
    assert style.style_blend == (0.7, 0.3)


def test_unknown_key_is_named(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("iteratons = 3\n")
    with pytest.raises(ConfigError, match="unknown key 'iteratons'"):
        load_preset(p)


def test_wrong_types_and_values_are_named(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text('iterations = "many"\n')
    with pytest.raises(ConfigError, match="iterations must be an integer"):
        load_preset(p)
    p.write_text('optimizer = "sgd"\n')
    with pytest.raises(ConfigError, match="optimizer must be one of 'lbfgs', 'adam'"):
        load_preset(p)
    p.write_text("size = 0\n")
    with pytest.raises(ConfigError, match="size must be at least 16"):
        merge_settings(p, {})
    p.write_text("size = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_preset(p)


def test_flag_checks_share_the_config_checks():
    with pytest.raises(ConfigError, match="--precision must be one of"):
        merge_settings(None, {"precision": "fp8"})
    with pytest.raises(ConfigError, match="not a comma-separated list of numbers"):
        merge_settings(None, {"style_blend": "a,b"})
    with pytest.raises(ConfigError, match="unknown VGG19 layer 'relu9_9'"):
        merge_settings(None, {"style_layers": "relu1_1,relu9_9"})
    with pytest.raises(ConfigError, match="style_layer_weights has 1 values for 5"):
        merge_settings(None, {"style_layer_weights": "1"})


def test_flags_that_are_not_settings_are_ignored_and_none_means_not_given():
    style, _, video = merge_settings(None, {"output": "x.png", "size": None, "crf": 20}, base={"iterations": 50})
    assert style == StyleConfig(iterations=50) and video.crf == 20


def test_ray_settings_are_checked():
    assert RayConfig(workers=2).workers == 2
    with pytest.raises(ConfigError, match="overlap must be from 0 to segment - 1"):
        RayConfig(segment=4, overlap=4)
