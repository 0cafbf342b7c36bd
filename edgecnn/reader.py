"""The runtime API: read the handwritten digits in a photo or camera frame.

::

    from edgecnn import DigitReader
    reader = DigitReader()                      # bundled int8 model, one CPU thread
    reading = reader.read("photo.jpg")          # a path or an image array (grey, BGR, BGRA)
    reading.rows                                # ['4207', '15'] — one string per row, top to bottom
    reading.text                                # '4207\\n15'
    for d in reading.digits:                    # reading order
        d.label, d.confidence, d.box, d.row     # '4', 0.998, (x, y, w, h), 0

All crops of an image go through the model in one batched call. ``reading.timings``
holds the milliseconds spent in segmentation (incl. normalization) and inference.
"""

from __future__ import annotations


import functools
import os
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Protocol

import cv2
import numpy as np

from . import lookagain
from .lookagain import UNSURE
from .refine import drop_marks, refine
from .segment import MAX_SIDE, Segmentation, segment, to_gray, unscale_box
from .settings import CONFIDENCE, check_range
from .upright import SURER, TILT_MIN, box_back, row_tilt, turn

UNKNOWN = "?"


class Classifier(Protocol):
    """What the reader needs of a model: the ONNX model (:class:`edgecnn.onnxmodel.OnnxModel`) is one."""

    labels: list[str]

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """N×28×28×1 float32 crops in [0, 1] → N×len(labels) probabilities."""
        ...


@dataclass
class Digit:
    label: str                      # '0'…'9', or '?' below the reader's min_confidence
    confidence: float               # the model's probability for its best class
    box: tuple[int, int, int, int]  # x, y, w, h in image pixels
    row: int                        # 0-based row index, top to bottom
    crop: np.ndarray = field(repr=False)  # the 28×28 float32 image the model saw
    best: str = ""                  # the model's best class even when label is '?'

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": round(float(self.confidence), 4),
                "box": [int(v) for v in self.box], "row": self.row}


def rows_of(digits) -> list[str]:
    """Join labels into one string per row: anything with ``.row`` and ``.label``, in reading order."""
    out: list[str] = []
    for d in digits:
        while len(out) <= d.row:
            out.append("")
        out[d.row] += d.label
    return out


@dataclass
class Reading:
    digits: list[Digit] = field(default_factory=list)
    shape: tuple[int, int] = (0, 0)   # image height, width
    timings: dict = field(default_factory=dict)  # ms: segment, infer, total

    @property
    def rows(self) -> list[str]:
        """One string per row of digits, top to bottom (unknown digits as '?')."""
        return rows_of(self.digits)

    @property
    def text(self) -> str:
        """The rows joined with newlines ('' when no digit was found)."""
        return "\n".join(self.rows)

    @property
    def mean_confidence(self) -> float | None:
        return float(np.mean([d.confidence for d in self.digits])) if self.digits else None

    def to_dict(self) -> dict:
        mc = self.mean_confidence
        return {"digits": [d.to_dict() for d in self.digits], "rows": self.rows, "text": self.text,
                "mean_confidence": None if mc is None else round(mc, 4),
                "size": {"width": int(self.shape[1]), "height": int(self.shape[0])}}


class DigitReader:
    """Segment digits with OpenCV and classify them with an ONNX model (onnxruntime).

    Args:
        model: an ``.onnx`` file; ``None`` is the bundled int8 model.
        threads: onnxruntime intra-op threads (1 keeps latency steady on small devices).
        min_confidence: below this (0–1), a digit's ``label`` is ``'?'`` (its best guess stays in ``best``).
        device: ``'cpu'``, or ``'cuda'`` for onnxruntime's CUDA provider (``onnxruntime-gpu``).
        max_side: images larger than this (pixels, longer side) are segmented shrunk to it, which bounds
            the time per image; boxes are still reported in the original image's pixels.
        segmenter: ``image → Segmentation`` in place of :func:`edgecnn.segment.segment` (then
            ``max_side`` is the segmenter's business).
        classifier: any object with ``predict(crops) → probabilities`` (N×28×28×1 float32 in, N×classes
            out) and ``labels``, in place of the ONNX model (then ``model``, ``threads``, ``device`` are unused).
        look_again: read unsure digits again, moved a little, and average (:mod:`edgecnn.lookagain`).
        upright: when the rows tilt by 5° or more, read the picture turned level too and keep the reading the
            classifier is surer of (:mod:`edgecnn.upright`).

    Raises:
        EdgeCNNError: an unusable model or option (``exit_code`` 2 for options).
    """

    def __init__(self, model: str | os.PathLike | None = None, threads: int = 1, min_confidence: float = 0.5,
                 device: str = "cpu", max_side: int = MAX_SIDE, *,
                 segmenter: Callable[[np.ndarray], Segmentation] | None = None,
                 classifier: Classifier | None = None, look_again: bool = True, upright: bool = True):
        check_range("min_confidence", float(min_confidence), *CONFIDENCE)  # the CLI's range comes from CONFIDENCE too
        if classifier is None:
            from .onnxmodel import OnnxModel

            classifier = OnnxModel(model, threads=threads, device=device)
        self.model = classifier
        self.min_confidence = float(min_confidence)
        self.max_side = max_side
        self._default_segmenter = segmenter is None
        self.segmenter = segmenter or functools.partial(segment, max_side=max_side)
        self.look_again = look_again
        self.upright = upright

    @property
    def labels(self) -> list[str]:
        return self.model.labels

    def read(self, image: str | os.PathLike | np.ndarray) -> Reading:
        """Read a path (str/PathLike) or an image array (H×W, H×W×3 BGR, H×W×4 BGRA; uint8/uint16/float).

        Raises EdgeCNNError for a file that cannot be read (missing, not an image, too large).
        """
        size = None
        if isinstance(image, (str, os.PathLike)):
            from .imageio import read_image_reduced

            # a big JPEG is decoded at a fraction of its size, as long as it stays over max_side (what the
            # segmenter analyses anyway); boxes and shape are given in the full picture's pixels
            image, size = read_image_reduced(image, at_least=self.max_side)
        timings = {"segment": 0.0, "infer": 0.0}
        seg, probs = self._read_once(image, self.segmenter, timings)
        boxes = [found.box for found in seg.digits]
        if self.upright:
            turned = self._read_upright(image, seg, probs, timings)
            if turned is not None:
                seg, probs, boxes = turned
        labels = self.labels
        digits = []
        for found, box, p in zip(seg.digits, boxes, probs):
            k = int(np.argmax(p))
            conf = float(p[k])
            best = labels[k] if k < len(labels) else str(k)
            digits.append(Digit(best if conf >= self.min_confidence else UNKNOWN, conf, box, found.row, found.crop, best))
        shape = np.asarray(image).shape[:2] if np.asarray(image).ndim >= 2 else (1, 1)
        if size is not None and (size[1], size[0]) != tuple(shape):  # boxes from a reduced decode: full pixels
            sx, sy = shape[1] / size[0], shape[0] / size[1]
            digits = [replace(d, box=unscale_box(d.box, sx, sy, *size)) for d in digits]
            shape = (size[1], size[0])
        timings["total"] = timings["segment"] + timings["infer"]
        return Reading(digits, tuple(int(v) for v in shape), timings)

    def _read_once(self, image, segmenter, timings: dict) -> tuple[Segmentation, np.ndarray]:
        """Segment ``image``, classify its digits (repaired, looked at again, marks left out); add the times."""
        t0 = time.perf_counter()
        seg = segmenter(image)
        t1 = time.perf_counter()
        probs = self.model.predict(seg.crops) if seg.digits else np.zeros((0, 10), np.float32)
        probs = refine(seg, probs, self.model.predict)
        if self.look_again:
            probs = lookagain.look_again([d.crop for d in seg.digits], probs, self.model.predict)
        probs = drop_marks(seg, probs)
        t2 = time.perf_counter()
        timings["segment"] += (t1 - t0) * 1e3
        timings["infer"] += (t2 - t1) * 1e3
        return seg, probs

    def _read_upright(self, image, seg: Segmentation, probs: np.ndarray, timings: dict):
        """When ``seg``'s rows tilt by ``TILT_MIN`` or more, read ``image`` turned level; return that reading
        (segmentation, probabilities, boxes in ``image``'s pixels) if the classifier is surer of it, else None."""
        tilt = row_tilt([d.area_box or d.box for d in seg.digits], seg.rows)
        if tilt is None or abs(tilt) < TILT_MIN:
            return None
        gray = to_gray(image)
        h0, w0 = gray.shape
        scale = 1.0
        if self._default_segmenter and max(h0, w0) > self.max_side:  # as segment() would shrink it
            scale = self.max_side / max(h0, w0)
            gray = cv2.resize(gray, (max(1, round(w0 * scale)), max(1, round(h0 * scale))), interpolation=cv2.INTER_AREA)
        turned, back = turn(gray, tilt)
        segmenter = (lambda img: segment(img, max_side=max(img.shape))) if self._default_segmenter else self.segmenter
        seg2, probs2 = self._read_once(turned, segmenter, timings)
        sure, sure2 = probs.max(axis=1), probs2.max(axis=1)
        # turned level, pieces of a digit join and nothing new appears: as many digits or fewer, none of the
        # sure ones lost (a turned grid or rule no longer erased would add marks, or join digits into rules)
        if not len(seg.digits) - int((sure < UNSURE).sum()) <= len(seg2.digits) <= len(seg.digits):
            return None
        if float(sure2.mean()) < float(sure.mean()) + SURER:  # as photographed, unless clearly surer turned
            return None
        return seg2, probs2, [box_back(d.box, back / scale, w0, h0) for d in seg2.digits]

    def classify(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities for ready-made 28×28 crops (N×28×28 or N×28×28×1 float32 in [0, 1])."""
        return self.model.predict(crops)

