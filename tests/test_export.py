"""edgecnn export: conversion, parity, metadata, int8 and its gate, bad input, CLI. One export per module."""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("tf2onnx")

from edgecnn import metadata  # noqa: E402
from edgecnn.errors import EdgeCNNError  # noqa: E402


def settle_batchnorm(model, images) -> None:
    """Set BatchNorm moving statistics to the statistics of ``images`` (a briefly trained model's are not there yet)."""
    import keras

    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        layer.momentum = 0.0
    model(images, training=True)
    for layer in layers:
        layer.momentum = 0.99


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_keras_path, mnist_train):
    """A run directory as `edgecnn train` leaves it, holding the tiny edge model."""
    import keras

    folder = tmp_path_factory.mktemp("run")
    model = keras.saving.load_model(tiny_keras_path)
    settle_batchnorm(model, mnist_train.images[:3000, :, :, None].astype("float32") / 255.0)
    model.save(folder / "model.keras")
    (folder / "config.json").write_text(json.dumps({"arch": "edge", "epochs": 2, "batch_size": 64, "lr": 0.003,
                                                    "augment": False, "val_split": 0.0, "seed": 0}))
    (folder / "metrics.json").write_text(json.dumps({"complete": True, "test_accuracy": 0.94}))
    return folder


@pytest.fixture(scope="module")
def exported(run_dir):
    from edgecnn.export.exporter import export_model

    return export_model(run_dir, quantize=True, calibration_size=300, seed=1)


def _session(path):
    from edgecnn.export.validate import session

    return session(open(path, "rb").read())


def _probs(sess, x):
    return sess.run(None, {"image": x})[0]


def test_writes_fp32_and_int8_into_the_run_dir(run_dir, exported):
    paths = {o["precision"]: o["path"] for o in exported["outputs"]}
    assert paths == {"fp32": str(run_dir / "model.onnx"), "int8": str(run_dir / "model.int8.onnx")}
    sizes = {o["precision"]: o["bytes"] for o in exported["outputs"]}
    assert sizes["int8"] <= 0.35 * sizes["fp32"]
    assert exported["gate"]["passed"]
    assert not list(run_dir.glob(".*.tmp"))


def test_graph_is_lean_and_named(exported):
    model = onnx.load(exported["outputs"][0]["path"])
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert not set(ops) & {"Shape", "Gather", "Concat", "Dropout", "BatchNormalization", "Identity"}
    # edge's space-to-depth stem is reshapes and transposes on the input; after the first conv no layout op is left
    assert "Transpose" not in ops[ops.index("Conv"):]
    (inp,), (out,) = model.graph.input, model.graph.output
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    assert (inp.name, dims(inp), inp.type.tensor_type.elem_type) == ("image", ["batch", 28, 28, 1], onnx.TensorProto.FLOAT)
    assert (out.name, dims(out)) == ("probabilities", ["batch", 10])


def test_keras_and_onnxruntime_agree(run_dir, exported, mnist_test):
    import keras

    assert exported["parity"]["max_abs_diff"] <= 1e-4 and exported["parity"]["images"] == 1000
    model = keras.saving.load_model(run_dir / "model.keras")
    x = mnist_test.images[-200:, :, :, None].astype("float32") / 255.0
    expected = np.asarray(model(x, training=False))
    got = _probs(_session(run_dir / "model.onnx"), x)
    assert np.max(np.abs(expected - got)) <= 1e-4
    assert (expected.argmax(1) == got.argmax(1)).all()
    assert exported["outputs"][0]["test_accuracy"] > 0.85  # a model that learned something, so int8 checks mean something


def test_int8_agrees_with_fp32_on_held_out_images(run_dir, exported, mnist_test):
    x = mnist_test.images[5000:7000, :, :, None].astype("float32") / 255.0
    fp32 = _probs(_session(run_dir / "model.onnx"), x).argmax(1)
    int8 = _probs(_session(run_dir / "model.int8.onnx"), x).argmax(1)
    assert np.mean(fp32 == int8) >= 0.98
    int8_ops = {n.op_type for n in onnx.load(run_dir / "model.int8.onnx").graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= int8_ops and not int8_ops & {"ConvInteger", "MatMulInteger"}


def _documented_keys():
    return re.findall(r"^(edgecnn\.\w+)\s", metadata.__doc__, flags=re.M)


def test_metadata_round_trip(run_dir, exported):
    for output in exported["outputs"]:
        props = {p.key: p.value for p in onnx.load(output["path"]).metadata_props}
        assert set(props) == set(_documented_keys()) and len(props) == 13
        info = metadata.decode(props)
        assert info.is_edgecnn and not info.missing
        assert (info.arch, info.precision, info.labels) == ("edge", output["precision"], metadata.LABELS)
        assert info.test_accuracy == pytest.approx(output["test_accuracy"], abs=1e-6)
        assert info.input == metadata.INPUT and info.normalization == metadata.NORMALIZATION
        training = json.loads(props["edgecnn.training"])
        assert training["epochs"] == 2 and training["keras_test_accuracy"] == 0.94
        assert len(props["edgecnn.source_sha256"]) == 64 and props["edgecnn.opset"] == "17"
        assert {"tensorflow", "tf2onnx", "onnx", "onnxruntime"} <= set(json.loads(props["edgecnn.tools"]))
        quant = json.loads(props["edgecnn.quantization"])
        if output["precision"] == "int8":
            assert quant["format"] == "QDQ" and quant["per_channel"] and quant["calibrate"] == "minmax"
            assert quant["calibration_size"] == 300 and quant["seed"] == 1
        else:
            assert quant is None


def test_gate_trips_on_blank_calibration_and_writes_no_int8(run_dir, tmp_path):
    from edgecnn.export.exporter import export_model
    from edgecnn.export.validate import GateTripped

    blank = np.zeros((4, 28, 28), np.uint8)
    with pytest.raises(GateTripped, match=r"int8 accuracy .* below fp32 .*--max-drop 0.3.*kept model.onnx"):
        export_model(run_dir / "model.keras", tmp_path / "model.onnx", quantize=True, calibration=blank)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


@pytest.mark.parametrize("content", [b"", b"not a zip at all", "zip"])
def test_corrupt_input_fails_clearly_and_keeps_existing_output(tmp_path, content):
    from edgecnn.export.exporter import export_model

    bad = tmp_path / "model.keras"
    if content == "zip":  # a real zip, but no Keras model inside
        with zipfile.ZipFile(bad, "w") as z:
            z.writestr("config.json", "{}")
    else:
        bad.write_bytes(content)
    existing = tmp_path / "model.onnx"
    existing.write_bytes(b"previous export")
    with pytest.raises(EdgeCNNError, match=r"model\.keras: not a loadable Keras model"):
        export_model(bad)
    assert existing.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras", "model.onnx"]


def test_interrupted_write_leaves_nothing(run_dir, tmp_path, monkeypatch):
    from edgecnn.export import exporter

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    existing = tmp_path / "model.onnx"
    existing.write_bytes(b"keep me")
    monkeypatch.setattr(onnx, "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        exporter.save(onnx.ModelProto(), existing)
    assert existing.read_bytes() == b"keep me" and [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


# --- CLI ---------------------------------------------------------------------------------------------------

def _cli(*args):
    from typer.testing import CliRunner

    from edgecnn.cli import app

    return CliRunner().invoke(app, ["export", *map(str, args)])


def test_cli_json_is_the_only_stdout(run_dir, tmp_path):
    result = _cli(run_dir / "model.keras", "--out", tmp_path / "digits.onnx", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["outputs"][0]["path"] == str(tmp_path / "digits.onnx") and doc["parity"]["max_abs_diff"] <= 1e-4
    assert any(step.startswith("edgecnn predict") for step in doc["next"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits.onnx"]


def test_cli_human_report(exported, capsys):
    from edgecnn.cli.export import report

    report(exported)
    out = capsys.readouterr().out
    for text in ("max |Δp|", "fp32:", "int8:", "gate ≤ 0.3 pp passed", "edgecnn predict", "edgecnn webcam", "edgecnn bench"):
        assert text in out


@pytest.mark.parametrize("args, code, message", [
    (["missing/run"], 1, "no such run directory or .keras file"),
    (["{run}", "--opset", "9"], 2, "--opset must be between 13 and 18"),
    (["{run}", "--calibration-size", "0"], 2, "--calibration-size must be"),
    (["{run}", "--quantize", "--calibration-size", "70000"], 2, "--calibration-size must be between 1 and 60000"),
    (["{run}", "--calibrate", "magic"], 2, "--calibrate 'magic'"),
    (["{run}", "--out", "model.txt"], 2, "--out model.txt: expected a path ending in .onnx"),
])
def test_cli_errors_are_one_line(run_dir, tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    result = _cli(*[a.format(run=run_dir) for a in args])
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and message in lines[-1] and "Traceback" not in result.output
    assert not list(tmp_path.iterdir())



def test_flatten_transpose_is_folded_for_classic_architectures(mnist_test):
    import keras

    from edgecnn.export import convert, validate
    from edgecnn.train.architectures import build

    keras.utils.set_random_seed(3)
    model = build("conv2")  # Flatten after channels-last convolutions: tf2onnx leaves a Transpose there
    proto = convert.to_onnx(model)
    assert not {n.op_type for n in proto.graph.node} & {"Transpose", "Shape", "Gather", "Concat", "Dropout"}
    x = mnist_test.images[:100, :, :, None].astype("float32") / 255.0
    assert validate.parity(model, validate.session(proto.SerializeToString()), x)["max_abs_diff"] <= 1e-4
