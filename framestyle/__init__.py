"""framestyle: paint images and videos in the style of an artwork."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import RayConfig, RuntimeConfig, StyleConfig, VideoConfig
from .errors import (
    ConfigError,
    DecodeError,
    EncodeError,
    FramestyleError,
    InputError,
    Interrupted,
    OutOfMemory,
    OutputError,
    WorkerError,
)
from .events import BatchEvent, Callbacks, FrameEvent, IterationEvent, RecordingReporter, Reporter
from .settings import load_preset

if TYPE_CHECKING:  # type checkers and IDEs see these names; at run time __getattr__ imports them
    from .api import preview, stylize_image, stylize_video
    from .stylize import Stylizer, StylizeResult, TemporalTarget

__version__ = "0.1.0"

# Exports that need torch, by the module that defines them. They are imported on first
# use, so `import framestyle` (and so `framestyle --help`) does not load torch.
_LAZY = {
    "preview": "api",
    "stylize_image": "api",
    "stylize_video": "api",
    "Stylizer": "stylize",
    "StylizeResult": "stylize",
    "TemporalTarget": "stylize",
}


def __getattr__(name: str) -> Any:
    """Import a heavy export the first time it is asked for (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "BatchEvent",
    "Callbacks",
    "ConfigError",
    "DecodeError",
    "EncodeError",
    "FrameEvent",
    "FramestyleError",
    "InputError",
    "Interrupted",
    "IterationEvent",
    "OutOfMemory",
    "OutputError",
    "RayConfig",
    "RecordingReporter",
    "Reporter",
    "RuntimeConfig",
    "StyleConfig",
    "StylizeResult",
    "Stylizer",
    "TemporalTarget",
    "VideoConfig",
    "WorkerError",
    "load_preset",
    "preview",
    "stylize_image",
    "stylize_video",
]
