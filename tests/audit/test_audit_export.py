"""`voiceassist audit export`: every entry, schema-valid, and itself audited."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from voiceassist_desktop.app import App
from voiceassist_desktop.audit.trail import GENESIS_HASH
from voiceassist_desktop.cli import cli
from voiceassist_desktop.storage.export import validate


@pytest.fixture
def trail(data_dir):
    with App(data_dir) as app:
        app.record("test.step", "test", details={"step": 1})
        app.record(
            "test.step",
            "test",
            details={"note": "call 555-123-4567"},
            phi_accessed=True,
            status="denied",
        )
    return data_dir


def test_jsonl_export_holds_every_entry_schema_valid(trail, tmp_path):
    target = tmp_path / "out" / "audit.jsonl"
    result = CliRunner().invoke(cli, ["audit", "export", "--output", str(target)])
    assert result.exit_code == 0, result.output

    records = [json.loads(line) for line in target.read_text().splitlines()]
    for record in records:
        validate("AuditLogEntry", record)
    assert [r["sequence"] for r in records] == list(range(1, len(records) + 1))
    assert records[0]["prev_hash"] == GENESIS_HASH
    for before, after in zip(records, records[1:], strict=False):
        assert after["prev_hash"] == before["entry_hash"]
    denied = next(r for r in records if r["status"] == "denied")
    assert denied["phi_accessed"] is True
    assert "555-123-4567" not in json.dumps(denied)
    assert not list(target.parent.glob("*.partial"))


def test_the_export_is_audited(trail, tmp_path):
    runner = CliRunner()
    runner.invoke(cli, ["audit", "export", "--output", str(tmp_path / "a.jsonl")])
    second = tmp_path / "b.jsonl"
    runner.invoke(cli, ["audit", "export", "--output", str(second)])
    records = [json.loads(line) for line in second.read_text().splitlines()]
    exports = [r for r in records if r["action"] == "audit.export"]
    assert len(exports) == 1
    assert exports[0]["details"]["format"] == "jsonl"
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0


def test_csv_export_and_stdout(trail, tmp_path):
    runner = CliRunner()
    target = tmp_path / "audit.csv"
    result = runner.invoke(
        cli, ["audit", "export", "--format", "csv", "--output", str(target)]
    )
    assert result.exit_code == 0
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["action"] == "app.start"
    assert rows[0]["ip_address"] == "127.0.0.1"
    assert json.loads(rows[1]["details"]) == {"step": 1}
    assert {row["phi_accessed"] for row in rows} == {"true", "false"}

    printed = runner.invoke(cli, ["audit", "export"])
    lines = [json.loads(line) for line in printed.stdout.splitlines()]
    assert len(lines) >= len(rows)

    wrong = runner.invoke(cli, ["audit", "export", "--format", "xml"])
    assert wrong.exit_code == 2
