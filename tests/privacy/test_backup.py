"""Backup then restore into an empty data folder gives back the same app."""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from voiceassist_desktop.app import App
from voiceassist_desktop.cli import cli
from voiceassist_desktop.index.vector import QdrantVectorIndex
from voiceassist_desktop.storage.backup import (
    BackupError,
    WrongPassphrase,
    create_backup,
    read_manifest,
    restore_backup,
)
from voiceassist_desktop.storage.export import export_record
from voiceassist_desktop.storage.models import (
    AuditLogEntry,
    ChatMessage,
    KBChunk,
    KnowledgeDocument,
    Session,
)

LEAFLET = """Apixaban dosing

In atrial fibrillation the recommended dose of apixaban is 5 mg twice daily.
Reduce to 2.5 mg twice daily with two of: age 80 years or more, weight 60 kg
or less, serum creatinine 1.5 mg/dL or more.

Warfarin

Warfarin doses are adjusted to an INR of 2.0 to 3.0.
"""
QUERY = "apixaban dose reduction"
PASSPHRASE = "correct horse battery staple"


def _snapshot(app: App) -> dict:
    """What must survive a backup: library, conversations, trail, vectors."""
    with app.db.session() as session:
        audit = [
            export_record(e)
            for e in session.scalars(
                select(AuditLogEntry).order_by(AuditLogEntry.sequence)
            )
        ]
        counts = {
            cls.__name__: session.scalar(select(func.count()).select_from(cls))
            for cls in (KnowledgeDocument, KBChunk, Session, ChatMessage)
        }
        messages = sorted(
            (m.session_id, m.role.value, m.content)
            for m in session.scalars(select(ChatMessage))
        )
    return {
        "counts": counts,
        "messages": messages,
        "audit": audit,
        "vectors": app.vectors.count("medical_knowledge"),
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A data folder with a library, a conversation, a recording; and a backup."""
    root = tmp_path_factory.mktemp("source")
    leaflet = root.parent / "apixaban.txt"
    leaflet.write_text(LEAFLET, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICEASSIST_DATA_DIR", str(root))
        patch.delenv("VOICEASSIST_DATABASE_URL", raising=False)
        with App(root) as app:
            app.library.import_paths([leaflet]).wait(300)
            recording = app.paths.recordings / "question-1.wav"
            recording.write_bytes(b"RIFF fake audio for the copy test")
            answer = app.assistant.ask(
                "What is the apixaban dose?", audio_url=str(recording), mode="voice"
            )
            app.tools.run_from_question("BMI 80 kg 175 cm", None)
            hits = [h.chunk_id for h in app.searcher.search(QUERY, 3)]
            plain = create_backup(
                app.db,
                app.paths,
                root.parent / "plain.vabackup",
                vectors=app.vectors,
                audit=app.audit,
                user_id=app.user_id,
            )
            sealed = create_backup(
                app.db,
                app.paths,
                root.parent / "sealed.vabackup",
                vectors=app.vectors,
                audit=app.audit,
                user_id=app.user_id,
                passphrase=PASSPHRASE,
            )
            snapshot = _snapshot(app)
    return {
        "root": root,
        "plain": plain.path,
        "sealed": sealed.path,
        "hits": hits,
        "snapshot": snapshot,
        "session_id": answer.session_id if hasattr(answer, "session_id") else None,
    }


def _restore_cli(target, archive, monkeypatch, *extra, passphrase=None):
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(target))
    if passphrase is not None:
        monkeypatch.setenv("VOICEASSIST_BACKUP_PASSPHRASE", passphrase)
    return CliRunner().invoke(cli, ["restore", str(archive), *extra])


def _same_as_source(source, restored: dict, at_backup: str) -> None:
    before = source["snapshot"]
    assert restored["counts"] == before["counts"]
    assert restored["messages"] == before["messages"]
    assert restored["vectors"] == before["vectors"] > 0
    # The trail is the source's up to the backup, then the restore's entries.
    cut = next(
        i
        for i, e in enumerate(before["audit"])
        if e["action"] == "backup.create" and e["details"]["file"] == at_backup
    )
    assert restored["audit"][:cut] == before["audit"][:cut]
    added = [e["action"] for e in restored["audit"][cut:]]
    assert "backup.restore" in added
    assert "backup.create" not in added


def test_the_manifest_names_versions_and_counts(source):
    manifest = read_manifest(source["plain"])
    assert manifest["format_version"] == 1
    assert manifest["database"]["dialect"] == "sqlite"
    assert manifest["database"]["revision"]
    assert manifest["counts"]["documents"] == 1
    assert manifest["counts"]["chunks"] == source["snapshot"]["counts"]["KBChunk"]
    assert manifest["vectors"]["medical_knowledge"]["count"] > 0
    assert manifest["recordings"] == 1
    assert manifest["encrypted"] is False
    assert read_manifest(source["sealed"], PASSPHRASE)["encrypted"] is True


def test_the_backups_are_audited(source):
    creates = [e for e in source["snapshot"]["audit"] if e["action"] == "backup.create"]
    assert [e["details"]["encrypted"] for e in creates] == [False, True]
    assert creates[0]["details"]["counts"]["documents"] == 1


def test_the_encrypted_archive_holds_no_readable_text(source):
    data = source["sealed"].read_bytes()
    assert b"apixaban" not in data.lower()
    assert b"manifest" not in data


def test_restore_into_an_empty_folder_gives_the_same_app(source, tmp_path, monkeypatch):
    target = tmp_path / "restored"
    result = _restore_cli(target, source["plain"], monkeypatch)
    assert result.exit_code == 0, result.output

    with App(target) as app:
        restored = _snapshot(app)
        hits = [h.chunk_id for h in app.searcher.search(QUERY, 3)]
        with app.db.session() as session:
            verified = app.audit.verify(session)
            urls = list(
                session.scalars(
                    select(ChatMessage.audio_url).where(
                        ChatMessage.audio_url.is_not(None)
                    )
                )
            )
    assert verified.ok
    assert hits == source["hits"]
    _same_as_source(source, restored, source["plain"].name)
    # The recording came along and its message points at the new folder.
    assert urls == [str(target / "recordings" / "question-1.wav")]
    assert (target / "recordings" / "question-1.wav").read_bytes().startswith(b"RIFF")
    assert (target / "config" / "system-settings.json").exists()


def test_restore_with_the_passphrase(source, tmp_path, monkeypatch):
    target = tmp_path / "restored"
    result = _restore_cli(
        target, source["sealed"], monkeypatch, "--passphrase", passphrase=PASSPHRASE
    )
    assert result.exit_code == 0, result.output
    with App(target) as app:
        restored = _snapshot(app)
        with app.db.session() as session:
            assert app.audit.verify(session).ok
    _same_as_source(source, restored, source["sealed"].name)


def test_a_wrong_or_missing_passphrase_is_refused(source, tmp_path, monkeypatch):
    target = tmp_path / "restored"
    wrong = _restore_cli(
        target, source["sealed"], monkeypatch, "--passphrase", passphrase="wrong"
    )
    assert wrong.exit_code == 1
    assert "passphrase does not open this backup" in wrong.output
    assert not (target / "voiceassist.sqlite3").exists()

    with pytest.raises(WrongPassphrase, match="give its passphrase"):
        restore_backup(
            source["sealed"],
            App(target).paths,
            vectors_factory=lambda: QdrantVectorIndex(target / "vectors"),
        )


def test_a_damaged_archive_is_refused(source, tmp_path):
    damaged = tmp_path / "damaged.vabackup"
    data = bytearray(source["sealed"].read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError):
        read_manifest(damaged, PASSPHRASE)
    cut = tmp_path / "cut.vabackup"
    cut.write_bytes(source["sealed"].read_bytes()[:-20])
    with pytest.raises(BackupError):
        read_manifest(cut, PASSPHRASE)


def test_a_folder_in_use_is_refused_unless_forced(source, tmp_path, monkeypatch):
    target = tmp_path / "busy"
    with App(target) as app:
        app.record("test.step", "test")
    refused = _restore_cli(target, source["plain"], monkeypatch)
    assert refused.exit_code == 1
    assert "not empty" in refused.output

    forced = _restore_cli(target, source["plain"], monkeypatch, "--force")
    assert forced.exit_code == 0, forced.output
    assert list((target / "backups").glob("replaced-by-restore-*.sqlite3"))
    with App(target) as app:
        with app.db.session() as session:
            assert app.audit.verify(session).ok
            actions = [e.action for e in app.audit.entries(session)]
    assert "test.step" not in actions


def test_an_older_backup_is_migrated_forward(tmp_path, monkeypatch):
    from voiceassist_desktop.core.paths import resolve_paths
    from voiceassist_desktop.storage.database import Database
    from voiceassist_desktop.storage.migrate import head_revision, upgrade_database

    # A data folder as the first release left it: schema revision 0001.
    old_paths = resolve_paths(tmp_path / "old").ensure()
    db = Database(f"sqlite:///{old_paths.database}")
    upgrade_database(db.engine, revision="0001")
    vectors = QdrantVectorIndex(old_paths.vectors)
    try:
        report = create_backup(
            db, old_paths, tmp_path / "old.vabackup", vectors=vectors
        )
    finally:
        vectors.close()
        db.close()
    assert report.manifest["database"]["revision"] == "0001"

    target = tmp_path / "restored"
    result = _restore_cli(target, report.path, monkeypatch)
    assert result.exit_code == 0, result.output
    connection = sqlite3.connect(target / "voiceassist.sqlite3")
    try:
        (revision,) = connection.execute(
            "SELECT version_num FROM alembic_version"
        ).fetchone()
    finally:
        connection.close()
    assert revision == head_revision() != "0001"


def test_a_backup_is_not_written_inside_the_data_folder(data_dir):
    with App(data_dir) as app:
        with pytest.raises(BackupError, match="outside the data folder"):
            create_backup(
                app.db, app.paths, data_dir / "x.vabackup", vectors=app.vectors
            )


def test_backup_command_writes_an_archive(data_dir, tmp_path):
    result = CliRunner().invoke(cli, ["backup", str(tmp_path / "cli.vabackup")])
    assert result.exit_code == 0, result.output
    manifest = read_manifest(tmp_path / "cli.vabackup")
    assert json.dumps(manifest)
    assert manifest["counts"]["audit_entries"] >= 1
