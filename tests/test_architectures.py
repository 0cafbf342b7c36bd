"""Each network builds with 28×28×1 input, 10 softmax outputs and its known parameter count."""

import numpy as np
import pytest

from edgecnn.train.presets import PRESETS

# Parameter counts follow from the layer lists in the issue (conv3 ≈ 2.08M, edge ≈ 95k).
PARAMS = {"conv1": 693_962, "conv1-dropout": 1_182_730, "conv2-nopool": 203_434, "conv2": 113_386,
          "conv3": 2_076_554, "edge": 94_858}


@pytest.mark.parametrize("arch", list(PRESETS))
def test_builds(arch):
    from edgecnn.train.architectures import build

    model = build(arch)
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    assert model.count_params() == PARAMS[arch]
    probs = np.asarray(model(np.zeros((2, 28, 28, 1), np.float32)))
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_edge_is_smaller_than_conv3():
    assert PARAMS["edge"] < PARAMS["conv3"] / 10


def test_presets_carry_tutorial_defaults():
    assert PRESETS["conv1-dropout"].optimizer == "rmsprop" and PRESETS["conv1-dropout"].batch_size == 1000
    assert PRESETS["conv1-dropout"].epochs == 2 and PRESETS["conv2-nopool"].epochs == 3
    assert PRESETS["conv2"].epochs == 4 and PRESETS["conv3"].epochs == 20
