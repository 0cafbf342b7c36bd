"""edgecnn.tooling.photobench: the synthetic photo benchmark, photos turned on a filled canvas too."""

from __future__ import annotations

import numpy as np

from edgecnn.tooling.photobench import main
from edgecnn.tooling.synth import make_photo, turned


def test_turned_photos_keep_their_size_and_fill_the_corners():
    image = make_photo(1000).image
    white, black, going_on = (turned(image, 10.0, fill) for fill in ("white", "black", "continue"))
    assert white.shape == black.shape == going_on.shape == image.shape
    assert (white[0, 0] == 255).all() and (black[0, 0] == 0).all()
    assert 0 < int(going_on[0, 0].max()) < 255  # the border continued: a paper or board colour


def test_the_benchmark_reads_turned_photos(capsys):
    assert main(["--count", "2", "--turn", "-12", "--fill", "white"]) == 0
    out = capsys.readouterr().out
    assert "2 photos" in out and "digit accuracy" in out
    accuracy = float(out.split("digit accuracy (edit distance): ")[1].split("%")[0])
    assert 0 <= accuracy <= 100 and not np.isnan(accuracy)
