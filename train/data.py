"""Feeding MNIST to Keras: a seeded split, and a PyDataset that shuffles and augments per epoch."""

from __future__ import annotations

import keras
import numpy as np

from edgecnn.tooling.mnist import to_input

from .augment import MATCH_P, augment_batch


def split_validation(images: np.ndarray, labels: np.ndarray, val_split: float, seed: int):
    """Seeded shuffle, then the last ``val_split`` fraction is the validation set."""
    order = np.random.default_rng([seed, 1]).permutation(len(labels))
    n_val = int(round(len(labels) * val_split))
    train_idx, val_idx = order[: len(order) - n_val], order[len(order) - n_val:]
    return (images[train_idx], labels[train_idx]), (images[val_idx], labels[val_idx])


class MnistBatches(keras.utils.PyDataset):
    """Training batches: reshuffled each epoch, optionally augmented; same seed → same batches."""

    def __init__(self, images, labels, batch_size: int, seed: int, augment: bool, styles: bool = False, epoch: int = 0,
                 stroke_match: float = MATCH_P, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels = images, labels
        self.batch_size, self.seed, self.augment, self.styles = batch_size, seed, augment, styles
        self.stroke_match = stroke_match
        self.epoch = epoch  # a resumed run starts at its next epoch: same order and augmentation as without a break
        self._order()

    def _order(self):
        self.order = np.random.default_rng([self.seed, 2, self.epoch]).permutation(len(self.labels))

    def __len__(self):
        return int(np.ceil(len(self.labels) / self.batch_size))

    def __getitem__(self, index):
        idx = self.order[index * self.batch_size: (index + 1) * self.batch_size]
        if self.augment:
            rng = np.random.default_rng([self.seed, 3, self.epoch, index])
            # styles and stroke matching draw from streams of their own: rng's draws stay those of a plain run
            match = {"match_rng": np.random.default_rng([self.seed, 5, self.epoch, index]), "match_p": self.stroke_match}
            if self.styles:
                x = augment_batch(self.images[idx], rng, labels=self.labels[idx],
                                  style_rng=np.random.default_rng([self.seed, 4, self.epoch, index]), **match)
            else:
                x = augment_batch(self.images[idx], rng, **match)
        else:
            x = to_input(self.images[idx])
        return x, self.labels[idx]

    def on_epoch_end(self):
        self.epoch += 1
        self._order()
