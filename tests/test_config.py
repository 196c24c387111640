from pathlib import Path

import pytest

from framestyle.cli import settings
from framestyle.config import RuntimeConfig, StyleConfig, VideoConfig, load_preset
from framestyle.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["default", "fast", "quality"])
def test_shipped_presets_load(name):
    values = load_preset(CONFIGS / f"{name}.toml")
    style, _, _ = settings(CONFIGS / f"{name}.toml", {})
    assert style.size == values["size"]


def test_default_preset_spells_out_the_defaults():
    style, runtime, video = settings(CONFIGS / "default.toml", {})
    assert style == StyleConfig() and runtime == RuntimeConfig() and video == VideoConfig()


def test_flags_override_preset(tmp_path):
    style, _, _ = settings(CONFIGS / "fast.toml", {"iterations": 150, "style_blend": "0.7,0.3"})
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
        settings(p, {})
    p.write_text("size = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_preset(p)


def test_flag_checks_share_the_config_checks():
    with pytest.raises(ConfigError, match="--precision must be one of"):
        settings(None, {"precision": "fp8"})
    with pytest.raises(ConfigError, match="not a comma-separated list of numbers"):
        settings(None, {"style_blend": "a,b"})
    with pytest.raises(ConfigError, match="unknown VGG19 layer 'relu9_9'"):
        settings(None, {"style_layers": "relu1_1,relu9_9"})
    with pytest.raises(ConfigError, match="style_layer_weights has 1 values for 5"):
        settings(None, {"style_layer_weights": "1"})
