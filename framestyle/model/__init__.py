"""The VGG19 feature extractor and its weights."""

from .vgg import VGG19Features, load_vgg19, packaged_weights_path

__all__ = ["VGG19Features", "load_vgg19", "packaged_weights_path"]
