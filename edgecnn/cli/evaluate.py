"""`edgecnn evaluate`: accuracy, per-class accuracy, confusion matrix and worst mistakes of a model."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import DEVICE_HELP, Device, guarded, print_json, require_training_stack, runtime_device, say

SHOWN_MISTAKES = 10


@guarded
def evaluate(
    model: Optional[Path] = typer.Argument(None, metavar="MODEL", show_default=False,
                                           help="An .onnx file (runtime only), or a .keras file / run directory (needs TensorFlow); default: the bundled int8 model."),
    model_option: Optional[Path] = typer.Option(None, "--model", "-m", help="The same as MODEL, spelled as in predict, webcam and bench."),
    data: Optional[Path] = typer.Option(None, "--data", help="MNIST-style test set: a folder of IDX files or an .npz (default: the MNIST test set shipped with edgecnn)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    plot: Optional[Path] = typer.Option(None, "--plot", "-o", help="Write a PNG: confusion matrix, misclassified digits (and training curves for a run directory)."),
    threads: int = typer.Option(1, "--threads", min=1, help="onnxruntime threads."),
    device: Device = typer.Option("cpu", "--device", help=DEVICE_HELP + " ONNX models only."),
    look_again: bool = typer.Option(False, "--look-again", help="Score as DigitReader reads: readings under 0.9 read again, moved a pixel and turned ±10°, averaged."),
) -> None:
    """Score a model on the MNIST test set (or --data) and show where it goes wrong."""
    from ..errors import UsageError

    if plot is not None and plot.suffix.lower() != ".png":
        raise UsageError(f"--plot {plot}: expected a path ending in .png")
    if model is not None and model_option is not None:
        raise UsageError("give the model once: MODEL or --model")
    model = model if model is not None else model_option
    if model is None:
        from ..onnxmodel import default_model_path

        model = default_model_path()
    from ..tooling import evaluate as ev
    from ..tooling.mnist import load_split
    from ..tooling.plots import GRID

    source = ev.resolve(model)
    if source.kind == "keras":
        require_training_stack(f"evaluating {source.path.name}", "tensorflow", "keras")
    split = _test_set(data, load_split)
    if source.kind == "keras":
        from .tfquiet import quiet_tensorflow

        with quiet_tensorflow():
            probs = ev.predict(source, split.images, threads=threads, look_again=look_again)
    else:
        probs = ev.predict(source, split.images, threads=threads, device=runtime_device(device), look_again=look_again)
    result = ev.score(probs, split.labels, top=GRID[0] * GRID[1])
    out = {"model": str(source.path), "kind": source.kind, "data": str(data) if data else "MNIST test",
           "look_again": look_again, **result.to_dict()}
    out["mistakes"] = out["mistakes"][:SHOWN_MISTAKES]
    if plot is not None:
        from ..tooling.plots import evaluation_figure, save_png

        history = ev.load_history(source.history)
        save_png(plot, evaluation_figure(result, split.images, history,
                                         f"{_name(source)}: accuracy {100 * result.accuracy:.2f}% on {result.count} images"
                                         + (" (second look)" if look_again else "")))
        out["plot"] = str(plot)
    if json_out:
        print_json(out)
    else:
        _report(out)
    if plot is not None:
        say(f"wrote {plot}")


WHERE_MNIST = ("pass --data DIR, a folder holding t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz "
               "(data/mnist in a clone of the repository), or --data mnist.npz (Keras' copy); EDGECNN_DATA=DIR works too")


def _test_set(data, load_split):
    """The MNIST test split; without --data and nowhere to be found, one line saying exactly what to pass."""
    from ..errors import EdgeCNNError

    if data is not None:
        return load_split("test", data)
    try:
        return load_split("test", None)
    except EdgeCNNError:
        raise EdgeCNNError(f"the MNIST test set is not installed here; {WHERE_MNIST}") from None


def _name(source) -> str:
    """What a figure calls the model: the run (runs/edge-s2d), not just model.keras."""
    if source.run_dir is not None:
        return str(source.run_dir)
    if source.path.stem.split(".")[0] in ("model", "last", "best"):
        return f"{source.path.parent.name}/{source.path.name}"
    return source.path.name


def _report(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    again = " with the second look" if r["look_again"] else ""
    console.print(f"[bold]{r['model']}[/bold] on {r['data']}{again}: accuracy [bold]{100 * r['accuracy']:.2f}%[/bold] "
                  f"({r['correct']}/{r['count']})")
    per = Table(title="per class", show_edge=False)
    per.add_column("class", justify="right")
    per.add_column("images", justify="right")
    per.add_column("accuracy", justify="right")
    for c in r["per_class"]:
        per.add_row(str(c["label"]), str(c["count"]), "—" if c["accuracy"] is None else f"{100 * c['accuracy']:.2f}%")
    console.print(per)
    cm = Table(title="confusion (rows: true, columns: predicted)", show_edge=False)
    cm.add_column("")
    for c in range(len(r["confusion"])):
        cm.add_column(str(c), justify="right")
    for t, row in enumerate(r["confusion"]):
        cm.add_row(str(t), *[(f"[bold]{v}[/bold]" if t == p else (str(v) if v else "·")) for p, v in enumerate(row)])
    console.print(cm)
    if r["mistakes"]:
        mt = Table(title="most confident mistakes", show_edge=False)
        for name in ("index", "true", "predicted", "confidence"):
            mt.add_column(name, justify="right")
        for m in r["mistakes"]:
            mt.add_row(str(m["index"]), str(m["true"]), str(m["pred"]), f"{m['confidence']:.3f}")
        console.print(mt)
