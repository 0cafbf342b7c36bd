"""`edgecnn predict` through typer's CliRunner: human and JSON output, --save, failures in a batch."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from runtime_helpers import digits_image, tiny_onnx


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("onnx")
    return str(tiny_onnx(tmp_path_factory.mktemp("m") / "tiny.onnx"))


@pytest.fixture
def photos(tmp_path):
    img, _, _ = digits_image((4, 2, 0, 7))
    cv2.imwrite(str(tmp_path / "a.png"), img)
    cv2.imwrite(str(tmp_path / "b.jpg"), digits_image((1, 5), rows=2)[0])
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((200, 300), 250, np.uint8))
    return tmp_path


def run(*args):
    return CliRunner().invoke(app, ["predict", *map(str, args)])


def test_human_output(photos, model):
    r = run(photos / "a.png", "--model", model, "--min-confidence", "0")
    assert r.exit_code == 0, r.output
    assert "a.png" in r.stdout and "mean confidence" in r.stdout
    assert len(r.stdout.strip().splitlines()) == 1


def test_json_is_pure_and_complete(photos, model):
    r = run(photos, "--model", model, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    files = {img["file"].split("/")[-1]: img for img in doc["images"]}
    assert set(files) == {"a.png", "b.jpg", "blank.png"}
    assert len(files["a.png"]["digits"]) == 4 and [len(x) for x in files["b.jpg"]["rows"]] == [2, 2]
    d = files["a.png"]["digits"][0]
    assert set(d) == {"label", "confidence", "box", "row"}


def test_blank_image_exit_0(photos, model):
    r = run(photos / "blank.png", "--model", model, "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["images"][0]["digits"] == []


def test_bad_file_among_good(photos, model):
    (photos / "bad.png").write_bytes(b"garbage")
    r = run(photos / "a.png", photos / "bad.png", photos / "missing.png", photos / "b.jpg", "--model", model, "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    errors = {img["file"].split("/")[-1]: img.get("error") for img in doc["images"]}
    assert errors["a.png"] is None and errors["b.jpg"] is None
    assert "not an image" in errors["bad.png"] and "no such file" in errors["missing.png"]
    assert "Traceback" not in r.output


def test_glob_and_save(photos, model, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    r = run(str(photos / "*.png"), "--model", model, "--save", out, "--save-crops")
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert "a.annotated.png" in names and "a.crops.png" in names and "blank.annotated.png" in names
    assert sum(n.startswith("a.crop0") for n in names) == 4


@pytest.mark.parametrize("args, code", [
    (["--min-confidence", "1.5"], 2),
    (["--threads", "0"], 2),
    (["--save-crops"], 2),
])
def test_bad_options(photos, model, args, code):
    r = run(photos / "a.png", "--model", model, *args)
    assert r.exit_code == code and "error:" in r.output


def test_bad_model_one_line(photos, tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"nope")
    r = run(photos / "a.png", "--model", tmp_path / "m.onnx")
    assert r.exit_code == 1 and "not a usable ONNX" in r.output and "Traceback" not in r.output


def test_folder_in_natural_order(tmp_path, model):
    img = digits_image((3,))[0]
    for name in ("s00_10.png", "s00_2.png", "s00_1.png"):
        cv2.imwrite(str(tmp_path / name), img)
    r = run(tmp_path, "--model", model, "--json")
    assert r.exit_code == 0, r.output
    assert [i["file"].split("/")[-1] for i in json.loads(r.stdout)["images"]] == ["s00_1.png", "s00_2.png", "s00_10.png"]


@pytest.mark.parametrize("arg, words", [
    ("clip.mp4", "edgecnn webcam --source clip.mp4"),
    ("https://example.com/a.jpg", "only local files are read"),
    ("http://example.com/live", "webcam --source URL"),
    ("true", "take no value"),
])
def test_inputs_predict_cannot_read_say_what_to_do(arg, words, model):
    r = run(arg, "--model", model)
    assert r.exit_code == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], r.stderr


def test_jsonl_streams_one_line_per_image(photos, model, monkeypatch):
    """Each image's line is on stdout before the next image is read."""
    import sys

    from edgecnn.reader import DigitReader

    seen = []
    read = DigitReader.read

    def spy(self, image):
        seen.append(sys.stdout.buffer.getvalue().count(b"\n"))
        return read(self, image)

    monkeypatch.setattr(DigitReader, "read", spy)
    r = run(photos, "--model", model, "--jsonl", "--workers", "1")  # the spy counts in this process
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["file"].split("/")[-1] for x in lines] == ["a.png", "b.jpg", "blank.png"]
    assert seen == [0, 1, 2]
    assert "3 images, 3 read, 0 failed" in r.stderr


def test_json_and_jsonl_conflict(photos, model):
    r = run(photos, "--model", model, "--json", "--jsonl")
    assert r.exit_code == 2 and "--jsonl" in r.stderr


def test_summary_line_and_no_bar_when_piped(photos, model):
    r = run(photos, "--model", model)
    assert r.exit_code == 0
    assert r.stderr.strip().splitlines()[-1].startswith("predict: 3 images, 3 read, 0 failed")
    assert "━" not in r.stderr and "ETA" not in r.stderr


def test_progress_bar_on_a_terminal(monkeypatch):
    import io
    import sys

    from edgecnn.cli.common import progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    with progress(3) as advance:
        for _ in range(3):
            advance()
    assert "3/3" in err.getvalue() and "ETA" in err.getvalue()


def test_save_keeps_names_unique_and_the_photo_format(tmp_path, model):
    img = digits_image((5, 1))[0]
    for sub in ("a", "b"):
        (tmp_path / "in" / sub).mkdir(parents=True)
        cv2.imwrite(str(tmp_path / "in" / sub / "img.jpg"), img)
    out = tmp_path / "out"
    r = run(tmp_path / "in" / "a", tmp_path / "in" / "b" / "img.jpg", tmp_path / "in" / "b" / "img.jpg",
            "--model", model, "--save", out, "--json")
    assert r.exit_code == 0, r.output
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == ["a/img.annotated.jpg", "a/img.crops.png", "b/img-2.annotated.jpg", "b/img-2.crops.png",
                       "b/img.annotated.jpg", "b/img.crops.png"]
    assert (out / "a" / "img.annotated.jpg").read_bytes()[:2] == b"\xff\xd8"  # a JPEG, not a PNG named .jpg
    assert all(f"wrote {out / w}" in r.stderr for w in written)
    saved = [p for i in json.loads(r.stdout)["images"] for p in i["saved"]]
    assert sorted(saved) == sorted(str(out / w) for w in written)


@pytest.fixture
def folder(tmp_path):
    """Eight generated photos (one or two rows each) to read with several workers."""
    for i in range(8):
        img = digits_image((i, (i + 3) % 10, 7), rows=1 + i % 2, seed=i)[0]
        cv2.imwrite(str(tmp_path / f"p{i}.{'png' if i % 3 else 'jpg'}"), img)
    return tmp_path


@pytest.mark.parametrize("fmt", [[], ["--json"], ["--jsonl"]], ids=["plain", "json", "jsonl"])
def test_workers_give_the_same_output_in_the_same_order(folder, model, fmt):
    one = run(folder, "--model", model, "--min-confidence", "0", "--workers", "1", *fmt)
    two = run(folder, "--model", model, "--min-confidence", "0", "--workers", "2", *fmt)
    assert one.exit_code == two.exit_code == 0, two.output
    assert two.stdout_bytes == one.stdout_bytes
    assert len(one.stdout_bytes) > 100
    assert two.stderr.splitlines()[-1].startswith("predict: 8 images, 8 read, 0 failed")


def test_bad_image_among_workers_same_error_and_exit(folder, model):
    (folder / "p3.png").write_bytes(b"garbage")
    args = (folder / "p0.jpg", folder / "p1.png", folder / "p3.png", folder / "missing.png", folder / "p4.png",
            folder / "p5.png", "--model", model)
    one, two = run(*args, "--workers", "1"), run(*args, "--workers", "2")
    assert one.exit_code == two.exit_code == 1
    assert two.stdout == one.stdout and len(two.stdout.splitlines()) == 4
    errors = [line for line in two.stderr.splitlines() if line.startswith("error:")]
    assert errors == [line for line in one.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "p3.png" in errors[0] and "missing.png" in errors[1]
    assert "2 of 6 image(s) could not be read" in two.stderr and "Traceback" not in two.output


def test_tasks_of_several_files_keep_the_order_and_each_error(folder, model, monkeypatch):
    """A long list goes to the workers in runs of files (one task each): same lines, errors where they were."""
    from edgecnn.cli import predict

    (folder / "p2.png").write_bytes(b"garbage")
    monkeypatch.setattr(predict, "WINDOW", 1)  # 8 files, 2 workers: tasks of 4 files
    one = run(folder, "--model", model, "--jsonl", "--workers", "1")
    two = run(folder, "--model", model, "--jsonl", "--workers", "2")
    assert one.exit_code == two.exit_code == 1
    assert two.stdout_bytes == one.stdout_bytes and len(two.stdout.splitlines()) == 8
    assert [json.loads(line)["file"].rsplit("/", 1)[-1] for line in two.stdout.splitlines()] == \
        [f"p{i}.{'png' if i % 3 else 'jpg'}" for i in range(8)]
    assert "p2.png" in json.loads(two.stdout.splitlines()[2])["error"]


def test_bad_model_with_workers_is_one_line(folder, tmp_path_factory):
    bad = tmp_path_factory.mktemp("m") / "m.onnx"
    bad.write_bytes(b"nope")
    r = run(folder, "--model", bad, "--workers", "2")
    assert r.exit_code == 1 and r.stdout == "" and "Traceback" not in r.output
    assert [line for line in r.stderr.splitlines() if line.strip()] == \
        [line for line in run(folder, "--model", bad, "--workers", "1").stderr.splitlines() if line.strip()]
    assert len(r.stderr.strip().splitlines()) == 1 and "not a usable ONNX" in r.stderr


def test_workers_save_the_same_files(folder, model, tmp_path_factory):
    out1, out2 = tmp_path_factory.mktemp("w1"), tmp_path_factory.mktemp("w2")
    one = run(folder, "--model", model, "--save", out1, "--json", "--workers", "1")
    two = run(folder, "--model", model, "--save", out2, "--json", "--workers", "2")
    assert one.exit_code == two.exit_code == 0, two.output
    files = sorted(p.name for p in out1.iterdir())
    assert files == sorted(p.name for p in out2.iterdir()) and len(files) == 16
    assert [i["saved"] for i in json.loads(two.stdout)["images"]] == \
        [[s.replace(str(out1), str(out2)) for s in i["saved"]] for i in json.loads(one.stdout)["images"]]


def test_spawned_workers_read_too(folder, model, monkeypatch):
    """spawn (macOS, Windows, CUDA) pickles the work instead of forking: same output."""
    import multiprocessing

    from edgecnn.cli import predict

    monkeypatch.setattr(predict, "_start_method", lambda device: multiprocessing.get_context("spawn"))
    one = run(folder, "--model", model, "--jsonl", "--workers", "1")
    two = run(folder, "--model", model, "--jsonl", "--workers", "2")
    assert one.exit_code == two.exit_code == 0, two.output
    assert two.stdout_bytes == one.stdout_bytes


@pytest.mark.parametrize("value", ["0", "100000", "many"])
def test_workers_out_of_range_is_a_usage_error(photos, model, value):
    r = run(photos, "--model", model, "--workers", value)
    assert r.exit_code == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --workers"), r.stderr


def test_one_image_starts_no_pool(photos, model, monkeypatch):
    import concurrent.futures

    def no_pool(*a, **k):
        raise AssertionError("a pool for one image")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    r = run(photos / "a.png", "--model", model, "--workers", "2")
    assert r.exit_code == 0, r.output
