from pathlib import Path

import pytest

from framestyle.config import (
    RayConfig,
    RuntimeConfig,
    StyleConfig,
    VideoConfig,
)
from framestyle.errors import ConfigError
from framestyle.presets import preset_description, resolve_preset, shipped_presets, user_defaults_path
from framestyle.settings import load_preset, load_user_defaults, merge_settings

PRESETS = Path(__file__).resolve().parents[1] / "framestyle" / "presets"


@pytest.mark.parametrize("name", ["default", "fast", "quality"])
def test_shipped_presets_load_by_name_and_by_path(name):
    values = load_preset(name)
    assert load_preset(PRESETS / f"{name}.toml") == values
    assert load_preset(str(PRESETS / f"{name}.toml")) == values
    style, _, _ = merge_settings(name, {})
    assert style.size == values["size"]
    assert preset_description(shipped_presets()[name])  # the first comment line describes it


def test_shipped_presets_are_the_toml_files_in_the_package():
    assert list(shipped_presets()) == ["default", "fast", "quality"]
    assert sorted(p.stem for p in PRESETS.glob("*.toml")) == ["default", "fast", "quality"]
    assert preset_description(shipped_presets()["fast"]).startswith("A quick preview")


def test_unknown_preset_name_lists_the_names():
    with pytest.raises(ConfigError, match=r"unknown preset 'fats'; the presets are default, fast, quality"):
        load_preset("fats")
    with pytest.raises(ConfigError, match="unknown preset"):
        merge_settings("", {})


def test_what_counts_as_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # A separator or .toml makes a path, even when missing: the message says "not found".
    for value in ("fast.toml", "./fast", "sub/fast"):
        with pytest.raises(ConfigError, match="config file not found"):
            load_preset(value)
    # An existing file wins over a preset of the same name.
    (tmp_path / "fast").write_text("size = 99\n")
    assert resolve_preset("fast") == Path("fast")
    assert load_preset("fast") == {"size": 99}


def test_default_preset_spells_out_the_defaults():
    style, runtime, video = merge_settings("default", {})
    assert style == StyleConfig() and runtime == RuntimeConfig() and video == VideoConfig()


def test_flags_override_preset(tmp_path):
    style, _, _ = merge_settings("fast", {"iterations": 150, "style_blend": "0.7,0.3"})
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
    with pytest.raises(ConfigError, match=r"`overlap` must be under `segment=4` \(got 4\)"):
        RayConfig(segment=4, overlap=4)
    # Only a cluster joined by address runs its workers on other machines.
    assert not RayConfig().elsewhere and RayConfig(address="auto").elsewhere


def _user_file(home: Path, text: str) -> Path:
    path = home / "framestyle" / "defaults.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_user_defaults_path_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_defaults_path() == tmp_path / "framestyle" / "defaults.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")  # the spec says: absolute paths only
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_defaults_path() == tmp_path / "home" / ".config" / "framestyle" / "defaults.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_defaults_path() == tmp_path / "home" / ".config" / "framestyle" / "defaults.toml"


def test_user_defaults_sit_between_the_defaults_and_the_preset(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_user_defaults() == {}
    _user_file(tmp_path, "size = 100\nstyle_weight = 5.0\ncrf = 30\n")
    style, _, video = merge_settings("fast", {"crf": 20}, base={"iterations": 50}, user_defaults=True)
    assert style.size == 256  # the preset beats the user's defaults
    assert style.style_weight == 5.0  # the user's defaults beat the built-in ones
    assert style.iterations == 120 and video.crf == 20  # flags beat everything
    style, _, _ = merge_settings(None, {}, base={"iterations": 50}, user_defaults=True)
    assert style.size == 100 and style.iterations == 50
    # Library calls do not read the machine's files unless asked.
    assert merge_settings(None, {})[0] == StyleConfig()


def test_user_defaults_are_checked_like_a_preset(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = _user_file(tmp_path, "sise = 3\n")
    with pytest.raises(ConfigError, match=f"{path}: unknown key 'sise'"):
        merge_settings(None, {}, user_defaults=True)
    _user_file(tmp_path, 'output = "/etc/passwd"\n')
    with pytest.raises(ConfigError, match="unknown key 'output'"):
        load_user_defaults()
