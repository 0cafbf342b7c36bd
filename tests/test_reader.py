"""The Python API: DigitReader / Reading, with a tiny test model (plumbing) and the bundled model (accuracy)."""

from __future__ import annotations

import json
import warnings

import cv2
import numpy as np
import pytest

from edgecnn.errors import EdgeCNNError
from runtime_helpers import digits_image, tiny_onnx


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    pytest.importorskip("onnx")
    return tiny_onnx(tmp_path_factory.mktemp("m") / "tiny.onnx")


@pytest.fixture(scope="module")
def bundled():
    from edgecnn.models import DEFAULT_FP32, DEFAULT_INT8

    for p in (DEFAULT_INT8, DEFAULT_FP32):
        if p.is_file():
            return p
    pytest.skip("no bundled model in edgecnn/models yet (scripts/build_default_model.sh builds it)")


def test_reading_structure(tiny):
    from edgecnn import DigitReader

    img, truth, boxes = digits_image((3, 1, 4), rows=2)
    r = DigitReader(tiny, min_confidence=0.0).read(img)
    assert len(r.digits) == 6 and [len(x) for x in r.rows] == [3, 3]
    assert r.text == "\n".join(r.rows)
    assert all(d.crop.shape == (28, 28) for d in r.digits)
    assert set(r.timings) == {"segment", "infer", "total"}
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["rows"] == r.rows and len(doc["digits"]) == 6 and doc["size"] == {"width": 480, "height": 360}


def test_min_confidence_gives_unknown(tiny):
    from edgecnn import DigitReader

    img, _, _ = digits_image((7,))
    r = DigitReader(tiny, min_confidence=1.0).read(img)
    assert [d.label for d in r.digits] == ["?"] and r.rows == ["?"]
    assert r.digits[0].best in "0123456789"


def test_blank_and_path(tiny, tmp_path):
    from edgecnn import DigitReader

    cv2.imwrite(str(tmp_path / "blank.png"), np.full((300, 400, 3), 255, np.uint8))
    r = DigitReader(tiny).read(tmp_path / "blank.png")
    assert r.digits == [] and r.rows == [] and r.text == "" and r.mean_confidence is None


def test_foreign_model_warns_once(tmp_path):
    pytest.importorskip("onnx")
    from edgecnn.onnxmodel import OnnxModel

    p = tiny_onnx(tmp_path / "foreign.onnx", metadata=False)
    with pytest.warns(UserWarning, match="no edgecnn metadata"):
        OnnxModel(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OnnxModel(p)  # once per file


def test_bad_models(tmp_path):
    pytest.importorskip("onnx")
    from edgecnn.onnxmodel import OnnxModel

    with pytest.raises(EdgeCNNError, match="no such model"):
        OnnxModel(tmp_path / "none.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model at all")
    with pytest.raises(EdgeCNNError, match="not a usable ONNX"):
        OnnxModel(tmp_path / "junk.onnx")
    good = tiny_onnx(tmp_path / "t.onnx").read_bytes()
    (tmp_path / "cut.onnx").write_bytes(good[: len(good) // 2])
    with pytest.raises(EdgeCNNError):
        OnnxModel(tmp_path / "cut.onnx")
    with pytest.raises(EdgeCNNError, match="input"):
        OnnxModel(tiny_onnx(tmp_path / "wrong_in.onnx", shape=("batch", 1, 28, 27)))
    with pytest.raises(EdgeCNNError, match="output"):
        OnnxModel(tiny_onnx(tmp_path / "wrong_out.onnx", classes=7))


def test_external_data_outside_folder_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    from edgecnn.onnxmodel import OnnxModel

    p = tiny_onnx(tmp_path / "ext.onnx")
    m = onnx.load(str(p))
    (tmp_path / "sub").mkdir()
    w = m.graph.initializer[0]
    w.ClearField("raw_data")
    w.ClearField("float_data")
    entry = w.external_data.add()
    entry.key, entry.value = "location", "../../secret.bin"
    w.data_location = onnx.TensorProto.EXTERNAL
    (tmp_path / "sub" / "ext.onnx").write_bytes(m.SerializeToString())
    with pytest.raises(EdgeCNNError, match="outside its folder"):
        OnnxModel(tmp_path / "sub" / "ext.onnx")


def test_bundled_model_reads_mnist_digits(bundled, mnist_test):
    from edgecnn import DigitReader

    reader = DigitReader(bundled)
    probs = reader.classify(mnist_test.images[:500].astype(np.float32) / 255)
    assert (probs.argmax(1) == mnist_test.labels[:500]).mean() > 0.97
    r = reader.read(mnist_test.images[0])  # one centred digit: classified directly
    assert r.rows == [str(mnist_test.labels[0])]


def test_bundled_model_reads_synthetic_photos(bundled):
    from edgecnn import DigitReader
    from edgecnn.tooling.synth import make_photo

    reader = DigitReader(bundled, min_confidence=0.0)
    right = total = 0
    for seed in range(10):
        p = make_photo(500 + seed, size=(640, 480))
        r = reader.read(p.image)
        right += sum(a == b for a, b in zip("".join(r.rows), p.digits)) if [len(x) for x in r.rows] == [len(x) for x in p.rows] else 0
        total += len(p.digits)
    assert right / total > 0.9


def test_reader_takes_any_segmenter_and_classifier():
    """The seams: a segmenter (image → Segmentation) and a classifier (predict + labels) of one's own."""
    from edgecnn import DigitReader
    from edgecnn.segment import Found, Segmentation

    class Parity:  # a two-class "classifier": is there much ink?
        labels = ["light", "dark"]

        def predict(self, crops):
            ink = crops.reshape(len(crops), -1).mean(axis=1)
            return np.stack([ink < 0.1, ink >= 0.1], axis=1).astype(np.float32)

    def one_box(image):  # the whole image as one candidate
        crop = np.zeros((28, 28), np.float32)
        crop[4:24, 10:18] = 1.0
        return Segmentation(digits=[Found((0, 0, 10, 10), 0, crop)], rows=[[0]])

    r = DigitReader(segmenter=one_box, classifier=Parity()).read(np.zeros((40, 40), np.uint8))
    assert r.rows == ["dark"] and r.digits[0].box == (0, 0, 10, 10)


def test_big_batches_run_in_chunks_with_the_same_scores(bundled, monkeypatch):
    from edgecnn import DigitReader
    from edgecnn.onnxmodel import MAX_BATCH

    reader = DigitReader(bundled)
    crops = np.random.default_rng(0).random((2 * MAX_BATCH + 5, 28, 28, 1), dtype=np.float32)
    sizes = []
    run = reader.model._run
    monkeypatch.setattr(reader.model, "_run", lambda x: sizes.append(len(x)) or run(x))
    probs = reader.classify(crops)
    assert sizes == [MAX_BATCH, MAX_BATCH, 5]  # the activation arena stays that of a batch of MAX_BATCH
    monkeypatch.undo()
    each = np.concatenate([reader.classify(crops[i: i + 1]) for i in range(len(crops))])
    np.testing.assert_allclose(probs, each, atol=1e-6)


def test_a_big_jpeg_is_decoded_reduced_and_boxes_are_in_its_full_pixels(bundled, tmp_path):
    from edgecnn import DigitReader
    from edgecnn.imageio import read_image_reduced

    reader = DigitReader(bundled)
    img, truth, boxes = digits_image((4, 7, 2), size=(480, 360))
    big = cv2.resize(img, (480 * 8, 360 * 8), interpolation=cv2.INTER_CUBIC)  # 3840×2880: 12 Mpx at 8× the page
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    small, size = read_image_reduced(path, at_least=reader.max_side)
    assert size == (3840, 2880) and small.shape[:2] == (1440, 1920)  # ½ decodes to 1920 ≥ 1280; ¼ would be 960
    reading = reader.read(path)
    assert reading.shape == (2880, 3840) and reading.rows == truth
    for d, (x, y, w, h) in zip(reading.digits, boxes):  # the full picture's pixels: 8× the page's
        assert abs(d.box[0] - 8 * x) <= 24 and abs(d.box[1] - 8 * y) <= 24
        assert abs(d.box[2] - 8 * w) <= 40 and abs(d.box[3] - 8 * h) <= 40
