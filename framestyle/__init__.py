"""framestyle: paint images and videos in the style of an artwork."""

from .config import RuntimeConfig, StyleConfig, load_preset
from .errors import (
    ConfigError,
    DecodeError,
    EncodeError,
    FramestyleError,
    InputError,
    OutputError,
)
from .events import IterationEvent
from .stylize import Stylizer, StylizeResult, TemporalTarget

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DecodeError",
    "EncodeError",
    "FramestyleError",
    "InputError",
    "IterationEvent",
    "OutputError",
    "RuntimeConfig",
    "StyleConfig",
    "Stylizer",
    "StylizeResult",
    "TemporalTarget",
    "load_preset",
]
