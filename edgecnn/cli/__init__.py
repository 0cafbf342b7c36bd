"""The ``edgecnn`` command line: thin typer commands; heavy modules load inside each command."""

from __future__ import annotations

import typer

from .common import STATE, Command, Group


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"edgecnn {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="edgecnn",
    cls=Group,
    help="Train a digit CNN on MNIST, export it to int8 ONNX, and read digits from photos and cameras.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for errors."),
    _version: bool = typer.Option(False, "--version", "-V", help="Print the version and exit.", is_eager=True,
                                 callback=_print_version, expose_value=False),
) -> None:
    STATE["debug"] = debug


def _register() -> None:
    from . import bench, evaluate, export, predict, train, webcam

    app.command("train", cls=Command)(train.train)
    app.command("export", cls=Command)(export.export)
    app.command("predict", cls=Command)(predict.predict)
    app.command("webcam", cls=Command)(webcam.webcam)
    app.command("evaluate", cls=Command)(evaluate.evaluate)
    app.command("bench", cls=Command)(bench.bench)


_register()


def main() -> None:
    app()
