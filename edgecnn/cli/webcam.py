"""`edgecnn webcam`: read handwritten digits live from a camera, a video file or a stream URL."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import UsageError
from .common import DEVICE_HELP, MAX_CONFIDENCE, MIN_CONFIDENCE, Device, check_device, guarded, runtime_device, say

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv")


@guarded
def webcam(
    source: str = typer.Option("0", "--source", "-s", help="Camera index (0, 1, ...), video file or stream URL."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="ONNX model (default: the bundled int8 model)."),
    no_show: bool = typer.Option(False, "--no-show", help="No window (also automatic when there is no display)."),
    save: Optional[Path] = typer.Option(None, "--save", "-o", help="Write the annotated video here (.mp4, .avi or .mkv)."),
    json_out: bool = typer.Option(False, "--json", help="One JSON line per frame on stdout (and nothing else)."),
    min_confidence: float = typer.Option(0.5, "--min-confidence", min=MIN_CONFIDENCE, max=MAX_CONFIDENCE, help="Below this, a digit is reported as '?'."),
    max_frames: Optional[int] = typer.Option(None, "--max-frames", min=1, help="Stop after this many frames."),
    threads: int = typer.Option(1, "--threads", min=1, help="onnxruntime intra-op threads."),
    width: Optional[int] = typer.Option(None, "--width", min=16, max=8192, help="Frame width to ask the camera for (files: resized)."),
    height: Optional[int] = typer.Option(None, "--height", min=16, max=8192, help="Frame height to ask the camera for (files: resized)."),
    device: Device = typer.Option("cpu", "--device", help=DEVICE_HELP),
) -> None:
    """Read digits live: window with boxes, readings, FPS and latency (q/Esc quits, c toggles the crops); summary on stderr."""
    if (width is None) != (height is None):
        raise UsageError("--width and --height go together")
    if not source.strip():
        raise UsageError("--source is empty (give a camera index such as 0, a video file or a URL)")
    if save is not None:
        if save.suffix.lower() not in VIDEO_SUFFIXES:
            raise UsageError(f"--save {save}: use a .mp4, .avi or .mkv file name")
        if save.is_dir():
            raise UsageError(f"--save {save}: is a folder; give a video file name")

    import warnings

    from ..reader import DigitReader
    from ..webcam import LOOK_AGAIN, Options, run

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = DigitReader(model, threads=threads, min_confidence=min_confidence, device=runtime_device(device),
                             look_again=LOOK_AGAIN)
    for w in caught:
        say(f"warning: {w.message}")
    check_device(device, reader.model.session)
    opts = Options(source=source, model=model, show=not no_show, save=save, json=json_out, min_confidence=min_confidence,
                   max_frames=max_frames, threads=threads, width=width, height=height)
    summary = run(opts, say=say, reader=reader)
    say(f"webcam: {summary.line()}")
    if summary.saved:
        say(f"wrote {summary.saved}")
