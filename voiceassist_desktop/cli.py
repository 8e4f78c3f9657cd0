"""The `voiceassist` command: the window with no arguments, else a subcommand.

With `--json`, commands print JSON Lines on standard output (one schema-valid
record a line) and progress goes to standard error.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from voiceassist_desktop.core.errors import EnvironmentProblem, VoiceAssistError
from voiceassist_desktop.core.paths import DATA_DIR_ENV

logger = logging.getLogger(__name__)

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    help="VoiceAssist Desktop: an offline, cited medical library for clinicians.",
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON Lines.")]


def _emit_json(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    sys.stdout.flush()


def _open_app():
    from voiceassist_desktop.app import App

    try:
        return App().start()
    except EnvironmentProblem as exc:
        err.print(f"[red]{exc.message}[/red] {exc.remedy}")
        raise typer.Exit(2) from exc


@cli.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help=f"One folder for all data, settings and logs (or {DATA_DIR_ENV}).",
        ),
    ] = None,
) -> None:
    """With no command, open the window."""
    import os

    if data_dir is not None:
        os.environ[DATA_DIR_ENV] = str(data_dir.expanduser().resolve())
    if ctx.invoked_subcommand is None:
        from voiceassist_desktop.gui.main import run_window

        raise typer.Exit(run_window())


@cli.command()
def doctor(as_json: JsonOption = False) -> None:
    """Check the database, folders, vector store, models and audio."""
    from voiceassist_desktop.diagnostics import run_checks

    items = run_checks()
    failing = [item for item in items if item.severity.value == "error"]
    if as_json:
        for item in items:
            _emit_json(item.as_dict())
    else:
        colours = {"ok": "green", "warning": "yellow", "error": "red"}
        for item in items:
            colour = colours[item.severity.value]
            line = f"[{colour}]{item.severity.value:>7}[/{colour}]  {item.name}: "
            out.print(line + item.message, highlight=False)
            if item.remedy and not item.ok:
                out.print(f"          -> {item.remedy}", highlight=False)
        out.print("healthy" if not failing else "unhealthy: " + failing[0].message)
    raise typer.Exit(1 if failing else 0)


@cli.command()
def demo() -> None:
    """Add a sample conversation with a clinical context (once)."""
    from voiceassist_desktop.demo import create_demo

    with _open_app() as app:
        session_id, created = create_demo(app)
    out.print(
        f"sample conversation {'created' if created else 'already present'}: "
        f"{session_id}"
    )


@cli.command()
def dump(target: Annotated[Path, typer.Argument(help="Folder to write")]) -> None:
    """Write every entity as <Entity>.jsonl, each record schema-valid."""
    from voiceassist_desktop.storage.export import dump as dump_all

    with _open_app() as app:
        with app.db.session() as session:
            counts = dump_all(session, target)
        app.record("data.export", "database", details={"records": counts})
    for entity, count in counts.items():
        out.print(f"{entity:>18}  {count}")


def main() -> None:
    """Entry point of the `voiceassist` console script."""
    try:
        cli()
    except VoiceAssistError as exc:
        err.print(f"[red]{exc}[/red]")
        sys.exit(2)


if __name__ == "__main__":
    main()
