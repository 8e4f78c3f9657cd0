"""The `voiceassist` command: the window with no arguments, else a subcommand.

With `--json`, commands print JSON Lines on standard output (one schema-valid
record a line) and progress goes to standard error.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tarfile
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
    if data_dir is not None:
        os.environ[DATA_DIR_ENV] = str(data_dir.expanduser().resolve())
    if ctx.invoked_subcommand is None:
        from voiceassist_desktop.app import App
        from voiceassist_desktop.gui.main import run_window

        raise typer.Exit(run_window(App))


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


@cli.command()
def transcribe(
    audio: Annotated[Path, typer.Argument(help="A WAV, FLAC or OGG recording")],
    per_channel: Annotated[
        bool, typer.Option("--per-channel", help="One transcript per channel.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Speech to text with the same engine and vocabulary as push-to-talk."""
    from voiceassist_desktop.voice.transcribe import (
        transcribe_channels,
        transcribe_file,
    )

    if not audio.is_file():
        err.print(f"[red]No such file: {audio}[/red]")
        raise typer.Exit(2)
    with _open_app() as app:
        terms = app.vocabulary_terms()
        err.print("transcribing…")
        if per_channel:
            transcripts = transcribe_channels(audio, app.speech, terms)
        else:
            transcripts = [transcribe_file(audio, app.speech, terms)]
        app.record(
            "voice.transcribe",
            "recording",
            details={"seconds": round(sum(t.duration_s for t in transcripts), 1)},
        )
    for transcript in transcripts:
        if as_json:
            _emit_json(
                {
                    "text": transcript.text,
                    "language": transcript.language,
                    "duration_s": round(transcript.duration_s, 3),
                }
            )
        else:
            out.print(transcript.text, highlight=False)


# --- tools ------------------------------------------------------------------------


@cli.command("tools")
def list_tools(as_json: JsonOption = False) -> None:
    """List the tools with their arguments."""
    with _open_app() as app:
        tools = app.tools.tools()
    for tool in tools:
        if as_json:
            _emit_json(tool.describe())
            continue
        flags = " (asks first)" if tool.requires_confirmation else ""
        out.print(f"[bold]{tool.name}[/bold]  {tool.title}{flags}", highlight=False)
        out.print(f"    {tool.description}", highlight=False)
        required = set(tool.required_arguments())
        for name, prop in tool.schema.get("properties", {}).items():
            kind = "|".join(prop["enum"]) if "enum" in prop else prop.get("type", "")
            bounds = ""
            if "minimum" in prop and "maximum" in prop:
                bounds = f" {prop['minimum']:g}..{prop['maximum']:g}"
            need = "required" if name in required else "optional"
            out.print(
                f"    {name}={kind}{bounds}  ({need}) {prop.get('description', '')}",
                highlight=False,
            )


def _tool_value(prop: dict[str, Any], raw: str) -> Any:
    # Values come as text; the schema says what they should be. A value that
    # does not convert stays text, and the schema check names the field.
    kind = prop.get("type")
    try:
        if kind == "integer":
            number = float(raw)
            return int(number) if number.is_integer() else number
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "yes", "y", "1", "on"):
            return True
        if lowered in ("false", "no", "n", "0", "off"):
            return False
    return raw


@cli.command("tool")
def run_tool(
    name: Annotated[str, typer.Argument(help="The tool (see `voiceassist tools`)")],
    assignments: Annotated[
        list[str] | None, typer.Argument(help="Arguments as key=value")
    ] = None,
    session_id: Annotated[
        str | None, typer.Option("--session", help="Run in this conversation.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm without asking.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run one tool: voiceassist tool NAME key=value ..."""
    from voiceassist_desktop.core.errors import NotFound
    from voiceassist_desktop.storage.export import export_record
    from voiceassist_desktop.storage.models import ToolCallStatus

    with _open_app() as app:
        try:
            tool = app.tools.get(name)
        except NotFound as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        properties = tool.schema.get("properties", {})
        arguments: dict[str, Any] = {}
        for item in assignments or []:
            key, sep, raw = item.partition("=")
            if not sep:
                err.print(f"[red]{item!r}: write arguments as key=value[/red]")
                raise typer.Exit(2)
            arguments[key] = _tool_value(properties.get(key, {}), raw)

        def confirm(tool, _arguments) -> bool:
            if yes:
                return True
            return typer.confirm(f"Run {tool.title}?", default=False, err=True)

        try:
            call = app.tools.run(
                name, arguments, session_id=session_id, confirm=confirm
            )
        except NotFound as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        text, citations = app.tools.format_tool_answer(call)
        record = export_record(call)

    if as_json:
        _emit_json(record)
    else:
        out.print(text, highlight=False)
        for number, citation in enumerate(citations, start=1):
            authors = ", ".join(citation.get("authors", []))
            year = citation.get("publication_year", "")
            doi = f" doi:{citation['doi']}" if citation.get("doi") else ""
            out.print(
                f"[{number}] {authors}. {citation['title']}. "
                f"{citation.get('subtitle', '')} {year}.{doi}",
                highlight=False,
            )
    raise typer.Exit(0 if call.status == ToolCallStatus.SUCCESS else 1)


# --- audit trail --------------------------------------------------------------------

audit_cli = typer.Typer(help="Check and export the audit trail.", no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check that the audit trail is whole and unchanged."""
    with _open_app() as app:
        with app.db.session() as session:
            result = app.audit.verify(session)
    if result.ok:
        out.print(f"OK: {result.checked} entries, chain whole", highlight=False)
        raise typer.Exit(0)
    if result.first_bad_sequence is None:
        out.print(f"BROKEN: {result.reason}.", highlight=False)
        raise typer.Exit(1)
    where = f" (id {result.first_bad_id})" if result.first_bad_id else ""
    out.print(
        f"BROKEN at entry {result.first_bad_sequence}{where}: "
        f"{result.reason}. {result.checked} entries before it hold.",
        highlight=False,
    )
    raise typer.Exit(1)


@audit_cli.command("export")
def audit_export(
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (default) or csv")
    ] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", help="File to write (else stdout).")
    ] = None,
) -> None:
    """Write every audit entry as JSON Lines or CSV."""
    from voiceassist_desktop.audit.export import FORMATS, export_audit, write_audit

    if fmt not in FORMATS:
        err.print(f"[red]--format must be one of {', '.join(FORMATS)}[/red]")
        raise typer.Exit(2)
    with _open_app() as app:
        with app.db.session() as session:
            if output is None:
                count = write_audit(session, sys.stdout, fmt)
                sys.stdout.flush()
            else:
                count = export_audit(session, output, fmt)
        app.record(
            "audit.export",
            "audit_log",
            details={"format": fmt, "entries": count, "to_file": output is not None},
        )
    err.print(f"{count} audit entries written")


# --- privacy: backup, restore, retention, password ------------------------------------

PASSPHRASE_ENV = "VOICEASSIST_BACKUP_PASSPHRASE"


def _passphrase(wanted: bool, *, twice: bool) -> str | None:
    if not wanted:
        return None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    return typer.prompt(
        "Passphrase", hide_input=True, confirmation_prompt=twice, err=True
    )


@cli.command()
def backup(
    target: Annotated[Path, typer.Argument(help="The archive file to write")],
    passphrase: Annotated[
        bool,
        typer.Option(
            "--passphrase",
            help=f"Encrypt; asks for the passphrase (or reads {PASSPHRASE_ENV}).",
        ),
    ] = False,
) -> None:
    """Back up the database, vector index, settings and recordings."""
    from voiceassist_desktop.storage.backup import BackupError, create_backup

    secret = _passphrase(passphrase, twice=True)
    with _open_app() as app:
        try:
            report = create_backup(
                app.db,
                app.paths,
                target,
                vectors=app.vectors,
                audit=app.audit,
                user_id=app.user_id,
                passphrase=secret,
            )
        except BackupError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
    out.print(f"backup written to {report.path}: {counts}", highlight=False)


@cli.command()
def restore(
    source: Annotated[Path, typer.Argument(help="The archive file to restore")],
    passphrase: Annotated[
        bool,
        typer.Option("--passphrase", help="The backup is encrypted; asks for it."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace what the data folder holds."),
    ] = False,
) -> None:
    """Restore a backup into the (empty) data folder."""
    import filelock

    from voiceassist_desktop.app import App
    from voiceassist_desktop.core.paths import resolve_paths
    from voiceassist_desktop.index.vector import QdrantVectorIndex
    from voiceassist_desktop.storage.backup import BackupError, restore_backup
    from voiceassist_desktop.storage.engine import database_url

    paths = resolve_paths().ensure()
    secret = _passphrase(passphrase, twice=False)
    lock = filelock.FileLock(str(paths.lock_file), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        err.print("[red]VoiceAssist is running on this data folder: close it.[/red]")
        raise typer.Exit(2) from exc
    try:
        url = database_url(paths.database)
        report = restore_backup(
            source,
            paths,
            vectors_factory=lambda: QdrantVectorIndex(paths.vectors),
            passphrase=secret,
            force=force,
            database_url=None if url.startswith("sqlite") else url,
        )
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        lock.release()

    # Starting the app migrates an older database forward; the restore entry
    # is appended after the restored chain, so it still verifies.
    with App() as app:
        app.record(
            "backup.restore",
            "backup",
            details={
                "file": source.name,
                "created_at": report.manifest.get("created_at"),
                "app_version": report.manifest.get("app_version"),
                "counts": report.counts,
                "forced": force,
            },
        )
        with app.db.session() as session:
            verified = app.audit.verify(session)
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
    out.print(f"restored from {source.name}: {counts}", highlight=False)
    if not verified.ok:
        err.print(f"[yellow]audit trail does not verify: {verified.reason}[/yellow]")
        raise typer.Exit(1)


@cli.command()
def retention() -> None:
    """Delete conversations and recordings older than the settings keep."""
    from voiceassist_desktop.storage.retention import apply_retention

    with _open_app() as app:
        report = apply_retention(
            app.db,
            app.audit,
            app.paths,
            app.system_settings(),
            user_id=app.user_id,
        )
    out.print(
        f"{report.conversations_deleted} conversations "
        f"({report.messages_deleted} messages) and "
        f"{report.recordings_deleted} recordings deleted",
        highlight=False,
    )


@cli.command()
def password(
    action: Annotated[str, typer.Argument(help="set or remove")],
) -> None:
    """Set or remove the app password (asked twice, hidden)."""
    from voiceassist_desktop.storage.access import set_app_password

    if action not in ("set", "remove"):
        err.print("[red]use: voiceassist password set|remove[/red]")
        raise typer.Exit(2)
    secret = None
    if action == "set":
        secret = typer.prompt(
            "New password", hide_input=True, confirmation_prompt=True, err=True
        )
    with _open_app() as app:
        try:
            set_app_password(app.db, app.audit, secret)
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    out.print("password set" if secret else "password removed")


# --- the library: ingest, documents, delete, reindex -------------------------------


def _wait_with_progress(library, job_ids: list[str], label: str) -> None:
    """Waits for jobs, drawing a progress bar on standard error."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    latest: dict[str, Any] = {}
    remove = library.add_listener(lambda p: latest.__setitem__(p.job_id, p))
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files, {task.fields[chunks]} chunks"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task(label, total=len(job_ids), chunks=0)
            wanted = set(job_ids)
            while not library.wait_for_jobs(job_ids, 0.5):
                seen = [p for job_id, p in latest.items() if job_id in wanted]
                running = [p for p in seen if p.state == "running"]
                step = (
                    f"{running[0].file_name[:40]}: {running[0].current_step}"
                    if running
                    else label
                )
                bar.update(
                    task,
                    completed=sum(p.finished for p in seen),
                    chunks=sum(p.processed_chunks for p in seen),
                    description=step,
                )
            seen = [p for job_id, p in latest.items() if job_id in wanted]
            bar.update(
                task,
                completed=len(job_ids),
                chunks=sum(p.processed_chunks for p in seen),
                description=label,
            )
    finally:
        remove()


def _print_report(report, console: Console) -> None:
    from rich.table import Table

    labels = {
        "imported": "imported",
        "new_version": "new version",
        "unchanged": "unchanged",
        "duplicate": "duplicate",
        "superseded": "superseded",
        "failed": "failed",
    }
    table = Table(show_header=True, header_style="bold")
    table.add_column("result")
    table.add_column("file")
    table.add_column("detail")
    for item in report.files:
        colour = "red" if item.outcome.value == "failed" else "default"
        table.add_row(
            f"[{colour}]{labels[item.outcome.value]}[/{colour}]",
            item.path.name,
            item.reason or "",
        )
    console.print(table)
    counts = report.counts()
    console.print(
        ", ".join(f"{counts[key]} {label}" for key, label in labels.items()),
        highlight=False,
    )


@cli.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (read recursively)")
    ],
    doc_type: Annotated[
        str | None,
        typer.Option("--doc-type", help="textbook, journal, guideline or other."),
    ] = None,
    specialty: Annotated[
        str | None, typer.Option("--specialty", help="File the documents under it.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import files and folders into the library, with progress.

    Ends with a table: imported, unchanged, new versions, duplicates and
    failures with their reasons. Exits 1 when any file failed.
    """
    from voiceassist_desktop.core.errors import ValidationFailed
    from voiceassist_desktop.storage.export import export_record

    with _open_app() as app:
        library = app.library
        try:
            batch = library.import_paths(paths, doc_type=doc_type, specialty=specialty)
        except ValidationFailed as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        try:
            _wait_with_progress(library, batch.job_ids, "importing")
        except KeyboardInterrupt:
            err.print("interrupted: the import resumes at the next start")
            raise typer.Exit(130) from None
        report = batch.report()
        if as_json:
            for item in report.files:
                if item.job_id:
                    _emit_json(export_record(library.job(item.job_id)))
    _print_report(report, err if as_json else out)
    raise typer.Exit(0 if report.ok else 1)


@cli.command()
def documents(
    as_json: JsonOption = False,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Include superseded versions.")
    ] = False,
) -> None:
    """List the library."""
    from sqlalchemy import select

    from voiceassist_desktop.storage.export import export_record
    from voiceassist_desktop.storage.models import KnowledgeDocument

    # Read straight from the database: listing needs no workers or vectors.
    statement = select(KnowledgeDocument).order_by(KnowledgeDocument.created_at)
    if not all_versions:
        statement = statement.where(KnowledgeDocument.superseded_by.is_(None))
    with _open_app() as app, app.db.session() as session:
        rows = list(session.scalars(statement))
        records = [export_record(row) for row in rows] if as_json else []
    if as_json:
        for record in records:
            _emit_json(record)
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for column in ("id", "title", "type", "v", "status", "chunks", "pages"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.id,
            row.title[:60],
            row.document_type.value,
            str(row.version),
            row.indexing_status.value,
            str(row.chunk_count or 0),
            str(row.page_count or ""),
        )
    out.print(table)
    out.print(f"{len(rows)} documents", highlight=False)


@cli.command("delete")
def delete_document(
    document_id: Annotated[str, typer.Argument(help="A document id")],
) -> None:
    """Remove a document (every version), its chunks and vectors."""
    from voiceassist_desktop.core.errors import NotFound

    with _open_app() as app:
        try:
            versions = app.library.delete_document(document_id)
        except NotFound as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    out.print(f"deleted {document_id} ({versions} version(s))", highlight=False)


@cli.command()
def reindex(
    document_ids: Annotated[
        list[str] | None, typer.Argument(help="Documents to read again")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Re-embed the library with this model."),
    ] = None,
) -> None:
    """Read documents again, or re-embed the library with another model.

    With neither, checks that every chunk has its vector and no vector is
    left without its chunk (the check runs at every start and repairs).
    """
    from voiceassist_desktop.core.errors import NotFound, ValidationFailed

    with _open_app() as app:
        library = app.library
        if model:
            try:
                task = library.switch_embedding_model(
                    model,
                    progress=lambda done, total: err.print(
                        f"\rre-embedding {done}/{total}", end=""
                    ),
                )
                task.wait()
            except ValidationFailed as exc:
                err.print(f"[red]{exc}[/red]")
                raise typer.Exit(2) from exc
            err.print("")
            out.print(f"embedding model is now {model}", highlight=False)
        if document_ids:
            try:
                job_ids = [library.reindex(doc_id) for doc_id in document_ids]
            except NotFound as exc:
                err.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            _wait_with_progress(library, job_ids, "reindexing")
            failed = [job for job in map(library.job, job_ids) if job.error_message]
            for job in failed:
                err.print(f"[red]failed[/red] {job.document_id}: {job.error_message}")
            if failed:
                raise typer.Exit(1)
        if not model and not document_ids:
            problems = library.check_consistency()
            for name, count in problems.items():
                out.print(f"{name:>16}  {count}", highlight=False)
            raise typer.Exit(1 if any(problems.values()) else 0)


@cli.command()
def search(
    text: Annotated[str, typer.Argument(help="What to look for")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many")] = 8,
    as_json: JsonOption = False,
) -> None:
    """Ranked passages of the library, with document, page and score."""
    from voiceassist_desktop.retrieval.citations import location, make_citation

    with _open_app() as app:
        hits = app.searcher.search(text, k=k)
        app.record(
            "library.search",
            "knowledge_document",
            details={"query_length": len(text), "hits": len(hits)},
        )
    if as_json:
        for hit in hits:
            _emit_json(make_citation(hit))
        return
    if not hits:
        out.print("No passage matches.")
    for hit in hits:
        where = location(hit) or ""
        out.print(
            f"[bold]{hit.rank}.[/bold] {hit.score:.3f}  {hit.title}"
            f"{f' ({hit.publication_year})' if hit.publication_year else ''}"
            f"  {where}",
            highlight=False,
        )
        out.print(
            f"    dense {_fmt(hit.dense_score)}  lexical {_fmt(hit.lexical_score)}",
            highlight=False,
        )
        preview = hit.content if len(hit.content) <= 240 else hit.content[:237] + "..."
        out.print(f"    {preview}", highlight=False)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@cli.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question")],
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this conversation")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question from the library, with numbered references."""
    from voiceassist_desktop.retrieval.citations import reference_line
    from voiceassist_desktop.storage.export import export_record
    from voiceassist_desktop.storage.models import ChatMessage

    with _open_app() as app:
        result = app.assistant.ask(question, session_id=session)
        if as_json:
            with app.db.session() as db_session:
                row = db_session.get(ChatMessage, result.assistant_message.id)
                _emit_json(export_record(row))
            return
    out.print(result.assistant_message.content, highlight=False)
    citations = result.citations
    if citations:
        out.print("\nReferences:")
        for citation in citations:
            out.print(
                f"  [{citation.get('marker', '?')}] {reference_line(citation)}",
                highlight=False,
            )
    err.print(f"conversation {result.session.id}")


@cli.command()
def export(
    session_id: Annotated[str, typer.Argument(help="The conversation")],
    format: Annotated[str, typer.Option("--format", help="Only md for now")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here, not stdout")
    ] = None,
) -> None:
    """Write a conversation as Markdown with its numbered references."""
    if format != "md":
        err.print(f"[red]Unknown format {format!r}; use md.[/red]")
        raise typer.Exit(2)
    with _open_app() as app:
        text = app.conversations.export_markdown(session_id)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    err.print(f"written to {output}")


@cli.command()
def conversations(
    query: Annotated[
        str | None, typer.Argument(help="Words to look for in titles and messages")
    ] = None,
    archived: Annotated[
        bool, typer.Option("--archived", help="Archived conversations")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List conversations (most recent first), or search them."""
    from voiceassist_desktop.storage.export import export_record
    from voiceassist_desktop.storage.models import Session as ChatSession

    with _open_app() as app:
        store = app.conversations
        found = (
            store.search(query, archived=archived)
            if query
            else store.list(archived=archived)
        )
        if as_json:
            with app.db.session() as db_session:
                for info in found:
                    _emit_json(export_record(db_session.get(ChatSession, info.id)))
            return
    for info in found:
        out.print(
            f"{info.id}  {info.updated_at:%Y-%m-%d %H:%M}  {info.mode:<14} "
            f"{info.message_count:>3} msgs  {info.title}",
            highlight=False,
        )


def main() -> None:
    """Entry point of the `voiceassist` console script."""
    try:
        cli()
    except VoiceAssistError as exc:
        err.print(f"[red]{exc}[/red]")
        sys.exit(2)
    except BrokenPipeError:
        # The reader went away (`voiceassist audit export | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except OSError as exc:
        # A path that is missing, not a folder or not writable: say which.
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[red]{exc.strerror or exc}{where}[/red]", highlight=False)
        sys.exit(1)
    except tarfile.TarError as exc:
        err.print(f"[red]not a readable VoiceAssist backup: {exc}[/red]")
        sys.exit(1)


if __name__ == "__main__":
    main()
