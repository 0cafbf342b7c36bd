"""Hostile and broken model files: each refused with one line naming it; foreign models work with a warning."""

from __future__ import annotations

import zipfile

import cv2
import numpy as np
import pytest

from edgecnn.errors import EdgeCNNError
from reliability_helpers import assert_fails_cleanly, cli
from runtime_helpers import digits_image, tiny_onnx

onnx = pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    p = tmp_path_factory.mktemp("photo") / "digits.png"
    cv2.imwrite(str(p), digits_image((2, 9))[0])
    return p


def external_model(folder, location: str):
    """tiny_onnx with its weights stored as external data at ``location`` (relative to ``folder``)."""
    from onnx.external_data_helper import set_external_data

    m = onnx.load(str(tiny_onnx(folder / "base.onnx")))
    w = next(t for t in m.graph.initializer if t.name == "W")
    target = (folder / location)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(w.raw_data or np.asarray(onnx.numpy_helper.to_array(w)).tobytes())
    set_external_data(w, location=location)
    w.data_location = onnx.TensorProto.EXTERNAL
    w.ClearField("raw_data")
    path = folder / "model" / "ext.onnx" if not location.startswith("/") else folder / "ext.onnx"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(m.SerializeToString())
    return path


def test_external_data_inside_the_folder_works(tmp_path, photo):
    (tmp_path / "model").mkdir()
    m = onnx.load(str(tiny_onnx(tmp_path / "base.onnx")))
    onnx.save(m, str(tmp_path / "model" / "ext.onnx"), save_as_external_data=True, location="w.bin", size_threshold=1024)
    r = cli("predict", photo, "--model", tmp_path / "model" / "ext.onnx")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("location", ["../secret.bin", "sub/../../secret.bin", "/etc/hostname"])
def test_external_data_outside_the_folder_refused(tmp_path, photo, location):
    if location.startswith("/"):
        from onnx.external_data_helper import set_external_data

        m = onnx.load(str(tiny_onnx(tmp_path / "base.onnx")))
        w = next(t for t in m.graph.initializer if t.name == "W")
        set_external_data(w, location=location)
        w.data_location = onnx.TensorProto.EXTERNAL
        w.ClearField("raw_data")
        path = tmp_path / "ext.onnx"
        path.write_bytes(m.SerializeToString())
    else:
        path = external_model(tmp_path, location.replace("../", "../", 1))
    r = cli("predict", photo, "--model", path)
    assert_fails_cleanly(r, 1, str(path), "outside its folder", "refused")


def broken(folder, case):
    good = tiny_onnx(folder / "good.onnx").read_bytes()
    p = folder / f"{case}.onnx"
    if case == "missing":
        return p, "no such model file"
    if case == "text":
        p.write_text("this is not a model\n")
        return p, "not a usable ONNX model"
    if case == "zero_bytes":
        p.write_bytes(b"")
        return p, "empty file"
    if case == "truncated":
        p.write_bytes(good[: len(good) // 2])
        return p, "not a usable ONNX model"
    if case == "png_bytes":
        ok, buf = cv2.imencode(".png", np.zeros((8, 8), np.uint8))
        p.write_bytes(buf.tobytes())
        return p, "not a usable ONNX model"
    if case == "folder":
        p.mkdir()
        return p, "is a folder"
    if case == "wrong_input":
        return tiny_onnx(p, shape=("batch", 32, 32, 1)), "expected [N, 28, 28, 1]"
    if case == "wrong_rank":
        return tiny_onnx(p, shape=("batch", 784)), "expected [N, 28, 28, 1]"
    if case == "wrong_output":
        return tiny_onnx(p, classes=7), "expected [N, 10]"
    if case == "keras_zip":
        p = folder / "model.keras"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("config.json", "{}")
        return p, "a Keras file, not ONNX"
    raise ValueError(case)


CASES = ["missing", "text", "zero_bytes", "truncated", "png_bytes", "folder", "wrong_input", "wrong_rank", "wrong_output",
         "keras_zip"]


@pytest.mark.parametrize("case", CASES)
def test_broken_model_predict(tmp_path, photo, case):
    path, message = broken(tmp_path, case)
    assert_fails_cleanly(cli("predict", photo, "--model", path), 1, str(path), message)


@pytest.mark.parametrize("case", ["missing", "truncated", "wrong_input", "wrong_output"])
def test_broken_model_evaluate_and_webcam(tmp_path, case):
    path, message = broken(tmp_path, case)
    assert_fails_cleanly(cli("evaluate", path), 1, str(path), "no such" if case == "missing" else message)
    assert_fails_cleanly(cli("webcam", "--model", path, "--source", tmp_path / "none.mp4", "--no-show"), 1, str(path))


def test_foreign_model_works_with_one_warning(tmp_path, photo):
    path = tiny_onnx(tmp_path / "foreign.onnx", metadata=False)
    r = cli("predict", photo, "--model", path, "--json")
    assert r.exit_code == 0, r.output
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "no edgecnn metadata" in warnings[0]


def test_model_failing_at_run_time_is_one_line(tmp_path, photo):
    """Shapes that fit on paper, but the graph fails when run (a Reshape to the wrong size)."""
    path = _reshape_matmul_model(tmp_path / "bad_run.onnx", np.zeros((783, 10), np.float32))
    r = cli("predict", photo, photo, "--model", path, "--json")
    assert r.exit_code == 1 and "Traceback" not in r.output and "unexpected" not in r.stderr
    import json

    doc = json.loads(r.stdout)  # every file reported, none aborted the batch
    assert doc["failed"] == 2 and all(str(path) in e["error"] for e in doc["images"])


def test_keras_not_a_model_export(tmp_path):
    p = tmp_path / "junk.keras"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    assert_fails_cleanly(cli("export", p), 1, str(p), "not a loadable Keras model")
    empty_zip = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("hello.txt", "hi")
    assert_fails_cleanly(cli("export", empty_zip), 1, str(empty_zip), "not a loadable Keras model")


def test_keras_safe_mode_refuses_code(tmp_path):
    """A Lambda layer carries Python bytecode: safe mode must refuse it, and the code must not run."""
    import keras

    from edgecnn.export.convert import load_keras

    canary = tmp_path / "ran.txt"
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 1.0)(inputs)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(EdgeCNNError, match="not a loadable Keras model") as e:
        load_keras(path)
    assert str(path) in str(e.value) and not canary.exists()
    assert_fails_cleanly(cli("evaluate", path), 1, str(path))


def test_non_utf8_metadata_is_a_clear_error(tmp_path, photo):
    """Found by scripts/fuzz.py: metadata bytes that are not UTF-8 raised UnicodeDecodeError."""
    path = tiny_onnx(tmp_path / "m.onnx")
    data = path.read_bytes()
    i = data.index(b"edgecnn.arch")
    value = data.index(b"tiny", i)
    path.write_bytes(data[:value] + b"\xff\xfe\xfd\xfc" + data[value + 4:])
    assert_fails_cleanly(cli("predict", photo, "--model", path), 1, str(path), "not valid UTF-8")


def _reshape_matmul_model(path, weights, metadata=None):
    """An image → Reshape(-1, rows of ``weights``) → MatMul(``weights``) → N×10 scores model."""
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(weights, "W")
    s = numpy_helper.from_array(np.array([-1, weights.shape[0]], np.int64), "shape")
    nodes = [helper.make_node("Reshape", ["image", "shape"], ["flat"]), helper.make_node("MatMul", ["flat", "W"], ["scores"])]
    g = helper.make_graph(nodes, "reshape_matmul", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28, 1])],
                          [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 10])], [w, s])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    for key, value in (metadata or {}).items():
        m.metadata_props.add(key=key, value=value)
    onnx.save(m, str(path))
    return path


def _constant_output_model(path, value):
    """Shapes that fit, but every score is ``value`` (NaN or inf): a broken or hostile model."""
    return _reshape_matmul_model(path, np.full((784, 10), value, np.float32), {"edgecnn.version": "test"})


def _strict_json(text):
    import json

    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_model_output_is_a_model_failure_and_json_stays_json(tmp_path, photo, value):
    """Issue 14 item 8: NaN scores reached --json and webcam's JSON lines as a bare NaN."""
    path = _constant_output_model(tmp_path / "nonfinite.onnx", value)
    r = cli("predict", photo, "--model", path, "--json")
    assert r.exit_code == 1 and "Traceback" not in r.output
    doc = _strict_json(r.stdout)
    assert doc["failed"] == 1 and str(path) in doc["images"][0]["error"]
    assert "NaN" in doc["images"][0]["error"] or "infinite" in doc["images"][0]["error"]
    r = cli("predict", photo, "--model", path)
    assert_fails_cleanly(r, 1, str(path), "the model failed")


def test_non_finite_model_output_in_webcam_json_lines(tmp_path):
    from webcam_helpers import make_video

    path = _constant_output_model(tmp_path / "nan.onnx", np.nan)
    video = tmp_path / "v.mp4"
    make_video(video, count=5)
    r = cli("webcam", "--model", path, "--source", video, "--no-show", "--json")
    assert_fails_cleanly(r, 1, str(path), "NaN")
    for line in r.stdout.splitlines():
        _strict_json(line)


def _with_metadata(path, **props):
    m = onnx.load(str(tiny_onnx(path)))
    for k, v in props.items():
        m.metadata_props.add(key=f"edgecnn.{k}", value=v)
    onnx.save(m, str(path))
    return path


@pytest.mark.parametrize("label", ["3\nFAKE: all good", "\x1b[2J\x1b[31m7", "\u202e9", "", "x" * 17, " 4"])
def test_hostile_labels_refused_at_load(tmp_path, photo, label):
    """Issue 14 item 9: labels come from the model file and were printed raw (forged lines, terminal escapes)."""
    import json

    labels = [str(d) for d in range(10)]
    labels[3] = label
    path = _with_metadata(tmp_path / "labels.onnx", labels=json.dumps(labels))
    r = cli("predict", photo, "--model", path)
    line = assert_fails_cleanly(r, 1, str(path), "label 3")
    assert "FAKE" not in r.stdout and "\x1b" not in r.output and "\u202e" not in r.output
    assert "\n" not in line


def test_deeply_nested_metadata_json_is_ignored_not_a_crash(tmp_path, photo):
    """Issue 14 item 11: metadata JSON nested 100,000 deep raised RecursionError ('unexpected')."""
    deep = "[" * 100_000 + "]" * 100_000
    path = _with_metadata(tmp_path / "deep.onnx", labels=deep, normalization=deep, input=deep)
    r = cli("predict", photo, "--model", path, "--json")
    assert r.exit_code == 0, r.output
    assert "unexpected" not in r.stderr


def test_metadata_text_shown_is_escaped():
    from edgecnn.metadata import decode

    info = decode({"edgecnn.arch": "conv\x1b[31m\nFAKE", "edgecnn.test_accuracy": "NaN"})
    assert info.arch.isprintable() and "\n" not in info.arch and info.test_accuracy is None


def _endless_loop_model(path):
    """Shapes that fit, plus a Loop of 2⁶² iterations feeding the scores: predict and evaluate never ended."""
    from onnx import TensorProto, helper, numpy_helper

    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Add", ["acc_in", "one"], ["acc_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [])],
        [numpy_helper.from_array(np.array(1.0, np.float32), "one")])
    inits = [numpy_helper.from_array(np.array(2**62, np.int64), "M"), numpy_helper.from_array(np.array(True), "c"),
             numpy_helper.from_array(np.array(0.0, np.float32), "z"), numpy_helper.from_array(np.zeros((784, 10), np.float32), "W"),
             numpy_helper.from_array(np.array([-1, 784], np.int64), "shape")]
    nodes = [helper.make_node("Loop", ["M", "c", "z"], ["acc"], body=body), helper.make_node("Reshape", ["image", "shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "W"], ["mm"]), helper.make_node("Add", ["mm", "acc"], ["scores"])]
    g = helper.make_graph(nodes, "loop", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28, 1])],
                          [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    m.metadata_props.add(key="edgecnn.version", value="test")
    onnx.save(m, str(path))
    return path


def test_endless_model_is_stopped_by_the_time_budget(tmp_path, photo, monkeypatch):
    """Issue 14 item 3: a Loop of 2⁶² iterations hung predict and evaluate until killed."""
    import time

    from edgecnn.onnxmodel import OnnxModel

    monkeypatch.setattr(OnnxModel, "run_budget", 0.5)
    path = _endless_loop_model(tmp_path / "loop.onnx")
    t0 = time.monotonic()
    assert_fails_cleanly(cli("predict", photo, "--model", path), 1, str(path), "stopped after 0.5 s")
    assert_fails_cleanly(cli("evaluate", path), 1, str(path), "stopped after 0.5 s")
    assert time.monotonic() - t0 < 20


def test_keras_file_whose_config_inflates_to_gigabytes_is_refused_before_loading(tmp_path):
    """Issue 14 item 6: a 4.9 MB .keras whose config.json inflated to 3.5 GB peaked at 8 GB (and exported)."""
    p = tmp_path / "bomb.keras"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", '{"keras_version": "3.0.0"}')
        z.writestr("config.json", '{"class_name": "Sequential", "pad": "' + " " * (20 * 2**20) + '"}')
    assert p.stat().st_size < 200_000
    from edgecnn.export.convert import load_keras

    with pytest.raises(EdgeCNNError, match="config.json inflates to 20 MiB") as e:
        load_keras(p)
    assert str(p) in str(e.value)


def test_bench_macs_of_a_gemm_whose_weight_shape_is_unknown(tmp_path):
    """Issue 14 item 11: `bench` on a Gemm whose weight is a graph input of unknown shape gave 'unexpected TypeError'."""
    from onnx import TensorProto, helper, numpy_helper

    from edgecnn.tooling.floor import macs_from_onnx

    s = numpy_helper.from_array(np.array([-1, 784], np.int64), "shape")
    nodes = [helper.make_node("Reshape", ["image", "shape"], ["flat"]), helper.make_node("Gemm", ["flat", "W"], ["scores"])]
    g = helper.make_graph(nodes, "gemm", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28, 1]),
                                          helper.make_tensor_value_info("W", TensorProto.FLOAT, None)],
                          [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 10])], [s])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    path = tmp_path / "gemm.onnx"
    onnx.save(m, str(path))
    assert macs_from_onnx(path) == 0


def test_model_that_builds_a_huge_tensor_is_stopped_by_the_memory_cap(tmp_path, photo):
    """A ConstantOfShape of 20000² (1.6 GB; any size a hostile file likes) ran the machine out of memory; the CPU
    arena is capped, so it is one line naming the model."""
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.array([20000, 20000], np.int64), "big"),
             numpy_helper.from_array(np.zeros((784, 10), np.float32), "W"),
             numpy_helper.from_array(np.array([-1, 784], np.int64), "shape")]
    nodes = [helper.make_node("ConstantOfShape", ["big"], ["huge"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
             helper.make_node("ReduceSum", ["huge"], ["s"], keepdims=0),
             helper.make_node("Reshape", ["image", "shape"], ["flat"]), helper.make_node("MatMul", ["flat", "W"], ["mm"]),
             helper.make_node("Add", ["mm", "s"], ["scores"])]
    g = helper.make_graph(nodes, "huge", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28, 1])],
                          [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    m.metadata_props.add(key="edgecnn.version", value="test")
    path = tmp_path / "huge.onnx"
    onnx.save(m, str(path))
    assert_fails_cleanly(cli("predict", photo, "--model", path), 1, str(path), "MiB of memory")


def test_keras_path_that_is_a_pipe_is_named_as_such(tmp_path):
    import os

    from edgecnn.export.convert import load_keras

    p = tmp_path / "m.keras"
    os.mkfifo(p)
    with pytest.raises(EdgeCNNError, match="pipe") as e:
        load_keras(p)
    assert str(p) in str(e.value)
    with pytest.raises(EdgeCNNError, match="no such model file"):
        load_keras(tmp_path / "missing.keras")
