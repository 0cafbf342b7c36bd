"""Training defaults of each network (light: no TensorFlow), from its tutorial where it gave them.

Where a tutorial named no batch size we use Keras' ``fit`` default (32), as the tutorial's own code did;
`conv1` named no epochs either: 10 is ours. `conv3`'s tutorial gave no Dropout rate, Dense width or
schedule: .5, 128 and a cosine decay are ours (with .25 and a constant rate it reached 99.11%, short of 99.39%).
"""

from __future__ import annotations

from dataclasses import dataclass

from edgecnn.errors import SettingError


@dataclass(frozen=True)
class Preset:
    optimizer: str
    lr: float
    batch_size: int
    epochs: int
    augment: bool
    cosine_lr: bool  # decay the learning rate along a cosine to 1% by the last step (ours: no tutorial named a schedule)
    reported_accuracy: float | None  # the tutorial's own test accuracy, if it gave one
    summary: str


PRESETS: dict[str, Preset] = {
    "conv1": Preset("adam", 1e-3, 32, 10, False, False, None,
                    "Conv2D(32,3×3) → MaxPool → Dense 128 → Dense 10"),
    "conv1-dropout": Preset("rmsprop", 1e-3, 1000, 2, False, False, None,
                            "Conv2D(64,5×5) → MaxPool → Dropout .5 → Dense 128 → Dropout .5 → Dense 10"),
    "conv2-nopool": Preset("adam", 1e-3, 32, 3, False, False, 0.9757,
                           "Conv2D(64,3×3) → Conv2D(32,3×3) → Dense 10"),
    "conv2": Preset("adam", 1e-3, 32, 4, False, False, 0.9902,
                    "Conv2D(32) → MaxPool → Conv2D(32) → MaxPool → Dropout .25 → Dense 128 → Dense 10"),
    "conv3": Preset("adam", 1e-3, 32, 20, False, True, 0.9939,
                    "Conv2D 32 → 64 → 128 → Dropout .5 → MaxPool → Dense 128 → Dense 10; cosine LR decay"),
    "edge": Preset("adam", 3e-3, 128, 15, True, True, None,
                   "space-to-depth 14×14×4 → 4× (Conv3×3+BN+ReLU) 32-64-64-64, 1 pool, GAP → Dense 10; camera-crop augmentation"),
}


def check_arch(arch: str) -> str:
    if arch not in PRESETS:
        raise SettingError("arch", f"unknown {{setting}} {arch!r} (choose from {', '.join(PRESETS)})")
    return arch
