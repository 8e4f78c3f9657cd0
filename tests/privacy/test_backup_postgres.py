"""Backup and restore on PostgreSQL: the database travels as a JSON dump."""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from voiceassist_desktop.app import App
from voiceassist_desktop.cli import cli
from voiceassist_desktop.index.vector import VectorPoint
from voiceassist_desktop.storage.backup import create_backup, read_manifest
from voiceassist_desktop.storage.export import export_record
from voiceassist_desktop.storage.models import AuditLogEntry, ToolCall

pytestmark = pytest.mark.postgres


@pytest.fixture
def fresh_database():
    """Makes empty PostgreSQL databases on the test server; drops them after."""
    server = os.environ["VOICEASSIST_TEST_POSTGRES_URL"]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    names = []

    def make() -> str:
        name = f"va_backup_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        names.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _trail(app: App) -> list[dict]:
    with app.db.session() as session:
        return [
            export_record(e)
            for e in session.scalars(
                select(AuditLogEntry).order_by(AuditLogEntry.sequence)
            )
        ]


def test_backup_and_restore_between_postgres_databases(
    fresh_database, tmp_path, monkeypatch
):
    source_url, target_url = fresh_database(), fresh_database()
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    rng = np.random.default_rng(7)
    points = [
        VectorPoint(str(uuid.uuid4()), rng.random(8, dtype=np.float32), {"n": n})
        for n in range(5)
    ]

    with App(source_dir, database_url=source_url) as app:
        conversation = app.conversations.create()
        call = app.tools.run(
            "bmi", {"weight_kg": 80, "height_cm": 175}, session_id=conversation.id
        )
        app.vectors.import_points("test_points", 8, points)
        report = create_backup(
            app.db,
            app.paths,
            tmp_path / "pg.vabackup",
            vectors=app.vectors,
            audit=app.audit,
            user_id=app.user_id,
            passphrase="pg passphrase",
        )
        before = _trail(app)
    manifest = read_manifest(report.path, "pg passphrase")
    assert manifest["database"]["dialect"] == "postgresql"
    assert manifest["vectors"]["test_points"] == {"dimension": 8, "count": 5}

    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(target_dir))
    monkeypatch.setenv("VOICEASSIST_DATABASE_URL", target_url)
    monkeypatch.setenv("VOICEASSIST_BACKUP_PASSPHRASE", "pg passphrase")
    result = CliRunner().invoke(cli, ["restore", str(report.path), "--passphrase"])
    assert result.exit_code == 0, result.output

    with App(target_dir, database_url=target_url) as app:
        after = _trail(app)
        with app.db.session() as session:
            assert app.audit.verify(session).ok
            restored = session.get(ToolCall, call.id)
            assert export_record(restored) == export_record(call)
        assert app.vectors.count("test_points") == 5
        hit = app.vectors.search("test_points", points[2].vector, 1)[0]
        assert hit.id == points[2].id and hit.payload == {"n": 2}
    cut = len(before) - 1  # the backup.create entry came after the dump
    assert after[:cut] == before[:cut]
    assert "backup.restore" in [e["action"] for e in after[cut:]]
