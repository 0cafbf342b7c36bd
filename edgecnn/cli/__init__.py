"""The ``edgecnn`` command line: thin typer commands; heavy modules load inside each command."""

from __future__ import annotations

import typer

from .common import STATE

app = typer.Typer(
    name="edgecnn",
    help="Train a digit CNN on MNIST, export it to int8 ONNX, and read digits from photos and cameras.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for errors."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        from .. import __version__

        typer.echo(__version__)
        raise typer.Exit()
    STATE["debug"] = debug


def _register() -> None:
    from . import bench, evaluate, export, predict, train, webcam

    app.command("train")(train.train)
    app.command("export")(export.export)
    app.command("predict")(predict.predict)
    app.command("webcam")(webcam.webcam)
    app.command("evaluate")(evaluate.evaluate)
    app.command("bench")(bench.bench)


_register()


def main() -> None:
    app()
