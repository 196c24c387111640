"""Typed errors. The CLI turns each into one line on stderr and exit code 2."""

from __future__ import annotations


class FramestyleError(Exception):
    """Something the user can fix: the message says what, in one line."""

    exit_code = 2


class InputError(FramestyleError):
    """An input file is missing, unreadable or not what it should be."""


class DecodeError(InputError):
    """A media file exists but cannot be decoded."""


class OutputError(FramestyleError):
    """An output cannot be written where asked (permissions, collisions, disk full)."""


class EncodeError(OutputError):
    """ffmpeg failed to encode a video or animation."""


class ConfigError(FramestyleError):
    """A setting has an unknown name or a bad value."""


class OutOfMemory(FramestyleError):
    """A run needs more memory (RAM or GPU) than is available; the message names a size that fits."""


class WorkerError(FramestyleError):
    """Ray workers kept failing on the same task (crashes, lost machines)."""


class Interrupted(FramestyleError):
    """The user stopped a run; the message says how to continue."""

    exit_code = 130
