"""framestyle: paint images and videos in the style of an artwork."""

from .config import RayConfig, RuntimeConfig, StyleConfig, VideoConfig, load_preset
from .errors import (
    ConfigError,
    DecodeError,
    EncodeError,
    FramestyleError,
    InputError,
    Interrupted,
    OutputError,
    WorkerError,
)
from .events import BatchEvent, Callbacks, FrameEvent, IterationEvent, RecordingReporter, Reporter
from .stylize import Stylizer, StylizeResult, TemporalTarget

__version__ = "0.1.0"

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
]
