"""``edgecnn train``'s settings, checked once (light: no TensorFlow).

Each field is one option of ``edgecnn train`` (``batch_size`` ↔ ``--batch-size``); unset ones come from the
architecture's preset (:mod:`edgecnn.train.presets`). :meth:`TrainConfig.resolved` fills and checks them all,
and errors name the field.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from edgecnn.errors import SettingError
from edgecnn.settings import DEVICES, check_choice, check_range

from .presets import PRESETS, check_arch

PROGRESS = ("auto", "bar", "lines", "none")
STROKE_MATCH = 0.0  # share of augmented digits redrawn with the runtime's stroke matching (README: 0.35–0.6 read
# more real photos but cost MNIST 0.04–0.1 pp; the bundled model: 0.35 with --styles, scripts/build_default_model.sh)
MIN_LIMIT = 10


@dataclass
class TrainConfig:
    arch: str = "edge"
    epochs: int | None = None  # None: the preset's
    batch_size: int | None = None
    lr: float | None = None
    augment: bool | None = None
    styles: bool = False  # with augment: continental 7s, 1s and 9s (train/augment.py add_style)
    stroke_match: float = STROKE_MATCH  # with augment: share of digits redrawn with the runtime's stroke matching
    init: str | None = None  # a .keras model of the same arch whose weights start the run (fine-tuning)
    ema: float = 0.0  # momentum of a moving average of the weights, saved as the model when the run ends (0: none)
    val_split: float = 0.1
    seed: int = 0
    data: str | None = None
    out: str | None = None  # run directory; None: runs/<arch>, runs/<arch>-2, ...
    device: str = "auto"  # one of edgecnn.settings.DEVICES
    limit: int | None = None  # use only this many training images (quick runs, tests)
    progress: str = "auto"  # auto | bar | lines | none

    def resolved(self) -> "TrainConfig":
        """A copy with unset options filled from the architecture's preset, every option checked."""
        p = PRESETS[check_arch(self.arch)]
        c = TrainConfig(**asdict(self))
        c.epochs = p.epochs if c.epochs is None else c.epochs
        c.batch_size = p.batch_size if c.batch_size is None else c.batch_size
        c.lr = p.lr if c.lr is None else c.lr
        c.augment = p.augment if c.augment is None else c.augment
        check_range("epochs", c.epochs, 1)
        check_range("batch_size", c.batch_size, 1)
        check_range("lr", c.lr, 0, 10, above=True, below=True)
        check_range("val_split", c.val_split, 0, 1, below=True)
        check_range("stroke_match", c.stroke_match, 0, 1)
        check_range("ema", c.ema, 0, 1, below=True)
        if c.limit is not None:
            check_range("limit", c.limit, MIN_LIMIT)
        check_choice("device", c.device, DEVICES)
        check_choice("progress", c.progress, PROGRESS)
        if c.init is not None and not os.path.isfile(c.init):
            raise SettingError("init", f"{{setting}} {c.init}: no such file", exit_code=1)
        return c
