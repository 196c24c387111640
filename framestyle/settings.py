"""Settings from outside the code: TOML presets, the user's defaults file and command-line
flags, each checked against the settings dataclasses (``config.py``) and merged over their
defaults in one order (``merge_settings``)."""

from __future__ import annotations

import dataclasses
import os
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin, get_type_hints

from .config import CONFIG_CLASSES, RuntimeConfig, StyleConfig, VideoConfig
from .errors import ConfigError
from .presets import resolve_preset, user_defaults_path

if TYPE_CHECKING:
    from .presets import Traversable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib


def _known_fields() -> dict[str, tuple[type, Any]]:
    known: dict[str, tuple[type, Any]] = {}
    for cls in CONFIG_CLASSES:
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            known[f.name] = (cls, hints[f.name])
    return known


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(hint))
    if origin is tuple:
        return f"a list of {_describe(get_args(hint)[0])}s"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(hint, str(hint))


def coerce(key: str, value: Any, hint: Any) -> Any:
    """Check ``value`` against a field's type; return it in that type or raise ConfigError."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        for arg in get_args(hint):
            if arg is type(None):
                continue
            try:
                return coerce(key, value, arg)
            except ConfigError:
                pass
    elif origin is Literal:
        if value in get_args(hint):
            return value
    elif origin is tuple:
        if isinstance(value, (list, tuple)):
            item = get_args(hint)[0]
            return tuple(coerce(key, v, item) for v in value)
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str and isinstance(value, str):
        return value
    raise ConfigError(f"{key} must be {_describe(hint)} (got {value!r})")


def _read_settings(source: Path | Traversable) -> dict[str, Any]:
    """Read a TOML settings file; every key must be a known setting with a value of its type.
    Errors name the file."""
    try:
        text = source.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {source}") from None
    except IsADirectoryError:
        raise ConfigError(f"config path is a directory, not a file: {source}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read config {source}: {getattr(err, 'strerror', None) or err}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from None
    try:
        return check_settings(raw)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None


def check_settings(values: Mapping[str, Any], *, noun: str = "key") -> dict[str, Any]:
    """``values`` with each checked against its setting's type (and coerced to it); a name
    that is no setting, or a value of the wrong type, is a ConfigError naming it."""
    known = _known_fields()
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown {noun} {key!r}")
        checked[key] = coerce(key, value, known[key][1])
    return checked


def load_preset(name_or_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML preset: a shipped one by name (``"fast"``) or a file by path; every key
    must be a known setting with a value of its type."""
    return _read_settings(resolve_preset(name_or_path))


def load_user_defaults() -> dict[str, Any]:
    """The user's defaults file (``presets.user_defaults_path()``), checked like a preset;
    empty when there is none."""
    path = user_defaults_path()
    if path is None or not (path.exists() or path.is_symlink()):
        return {}
    return _read_settings(path)


def build(cls: type, *layers: Mapping[str, Any]) -> Any:
    """Make ``cls`` from its defaults overridden by each mapping in turn (later wins).

    Keys that belong to other settings classes are ignored; values of None mean "not given".
    """
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for layer in layers:
        values.update({k: v for k, v in layer.items() if k in names and v is not None})
    return cls(**values)


# Settings given on a command line as one comma-separated string, and their item type.
_LIST_FLAGS: dict[str, type] = {
    "content_layers": str,
    "style_layers": str,
    "style_layer_weights": float,
    "style_blend": float,
}


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def _split_list(name: str, text: str, kind: type) -> tuple[Any, ...]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    try:
        return tuple(kind(item) for item in items)
    except ValueError:
        raise ConfigError(f"{_flag(name)}: {text!r} is not a comma-separated list of numbers") from None


def merge_settings(
    preset: str | os.PathLike[str] | None,
    flags: Mapping[str, Any],
    *,
    base: Mapping[str, Any] | None = None,
    user_defaults: bool = False,
) -> tuple[StyleConfig, RuntimeConfig, VideoConfig]:
    """The settings of a run: dataclass defaults, then ``base`` (a command's own defaults),
    then the user's defaults file when ``user_defaults`` (the CLI asks for it; library calls
    stay independent of the machine's files), then ``preset`` (a shipped preset's name or a
    TOML file), then ``flags`` given on the command line.

    Flags of None were not given. List settings may be comma-separated strings. Flags go
    through the same checks as preset values, and errors name them as flags (``--size``).
    Keys that are not settings are ignored.
    """
    below_flags = {
        **(base or {}),
        **(load_user_defaults() if user_defaults else {}),
        **(load_preset(preset) if preset is not None else {}),
    }
    known = _known_fields()
    given: dict[str, Any] = {}
    for name, value in flags.items():
        if value is None or name not in known:
            continue
        if name in _LIST_FLAGS and isinstance(value, str):
            value = _split_list(name, value, _LIST_FLAGS[name])
        given[name] = coerce(_flag(name), value, known[name][1])
    style, runtime, video = (build(cls, below_flags, given) for cls in CONFIG_CLASSES)
    return style, runtime, video


def default_of(cls: type, name: str) -> Any:
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            return None if f.default_factory is dataclasses.MISSING else f.default_factory()
    raise KeyError(name)


__all__ = ["build", "check_settings", "coerce", "default_of", "load_preset", "load_user_defaults", "merge_settings"]
