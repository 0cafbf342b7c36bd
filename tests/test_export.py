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
    from edgecnn.export.config import ExportConfig
    from edgecnn.export.exporter import export_model

    done = export_model(run_dir, config=ExportConfig(quantize=True, calibration_size=300, seed=1))
    assert done.ok and [a.target for a in done.artifacts] == ["fp32", "int8"]
    return done.summary


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
    from edgecnn.errors import SettingError
    from edgecnn.export.config import ExportConfig
    from edgecnn.export.exporter import export_model

    blank = np.zeros((4, 28, 28), np.uint8)
    done = export_model(run_dir / "model.keras", tmp_path / "model.onnx", ExportConfig(quantize=True), calibration=blank)
    assert not done.ok and done.summary["gate"]["passed"] is False  # a status, not an exception
    (problem,) = done.problems
    assert isinstance(problem, SettingError) and problem.exit_code == 1
    assert re.fullmatch(r"int8 accuracy .* below fp32 .*\(max_drop 0.3\) — kept model.onnx, did not write model.int8.onnx", str(problem))
    assert "(--max-drop 0.3)" in problem.for_cli()  # what the CLI prints, as before
    assert [o["precision"] for o in done.summary["outputs"]] == ["fp32"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_a_new_target_is_one_function_and_one_row(run_dir, tmp_path, monkeypatch):
    """How to add an export target: a function target(model, out, settings) → Artifact, and a row in TARGETS."""
    from edgecnn.export import targets
    from edgecnn.export.exporter import export_model

    def copy_of_fp32(model, out, settings):  # builds on fp32's graph; its own check: the file is a valid model
        base = model.built["fp32"]
        proto = onnx.ModelProto()
        proto.CopyFrom(base.proto)
        proto.doc_string = "a copy, for the example"
        onnx.checker.check_model(proto)
        return targets.Artifact("copy", "fp32", out, proto, base.test_accuracy, {"quantization": None})

    monkeypatch.setitem(targets.TARGETS, "copy", targets.Target(copy_of_fp32, ".copy.onnx", needs=("fp32",)))
    done = export_model(run_dir / "model.keras", tmp_path / "m.onnx", targets=("copy",))
    assert done.ok and [a.target for a in done.artifacts] == ["fp32", "copy"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.copy.onnx", "m.onnx"]
    assert onnx.load(tmp_path / "m.copy.onnx").doc_string == "a copy, for the example"
    assert done.summary["next"][-1] == f"edgecnn bench --model {tmp_path / 'm.onnx'} --model {tmp_path / 'm.copy.onnx'}"


def test_settings_are_checked_once_in_their_own_words():
    from edgecnn.errors import SettingError
    from edgecnn.export.config import ExportConfig
    from edgecnn.export.targets import plan

    for kwargs, message in [({"opset": 9}, "opset must be between 13 and 18 (got 9)"),
                            ({"max_drop": -1}, "max_drop must be ≥ 0 (got -1)"),
                            ({"calibrate": "magic"}, "calibrate must be one of minmax, entropy, percentile (got 'magic')"),
                            ({"calibration_size": 0}, "calibration_size must be ≥ 1 (got 0)")]:
        with pytest.raises(SettingError) as e:
            ExportConfig(**kwargs)
        assert str(e.value) == message and e.value.exit_code == 2
        setting = e.value.setting
        assert e.value.for_cli() == "--" + setting.replace("_", "-") + message[len(setting):]  # the CLI's words
    assert plan(["int8"]) == ["fp32", "int8"]
    with pytest.raises(SettingError, match="unknown export target 'tflite'"):
        plan(["tflite"])


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
