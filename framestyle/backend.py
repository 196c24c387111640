"""Where the network runs: device, precision and CPU threads, resolved once per run.

Resolving sets process-wide torch state (thread count, cuDNN autotuning, TF32), so it
happens in one place, when an engine opens, and never inside a constructor.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch

from .config import RuntimeConfig
from .errors import ConfigError


@dataclass(frozen=True)
class Backend:
    """A resolved device and autocast precision, and the CPU threads in use."""

    device: torch.device
    autocast_dtype: torch.dtype | None  # None: plain float32
    threads: int

    @property
    def precision(self) -> str:
        """As the work-folder manifests record it: "fp32" or an autocast dtype such as
        "torch.bfloat16" (it changes the pixels, so it decides whether frames are reused)."""
        return str(self.autocast_dtype or "fp32")

    @property
    def identity(self) -> tuple[str, str]:
        """What must match between Ray workers painting parts of one job."""
        return self.device.type, self.precision

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)


def resolve_device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' asked for, but no CUDA GPU is available")
        return torch.device("cuda")
    return torch.device("cpu")


def cpu_has_fast_bf16() -> bool:
    """True where oneDNN runs bfloat16 convolutions natively (AVX512-BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(choice: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if choice == "fp32":
        return None
    if choice == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if cpu_has_fast_bf16() else None


def configure_threads(threads: int) -> int:
    """Use every core this process may run on (torch defaults to physical cores only)."""
    if threads <= 0:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(threads)
    return threads


def resolve_backend(runtime: RuntimeConfig) -> Backend:
    """Resolve ``runtime`` and apply it to this process (threads, cuDNN, TF32)."""
    device = resolve_device(runtime.device)
    backend = Backend(device, resolve_precision(runtime.precision, device), configure_threads(runtime.threads))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return backend
