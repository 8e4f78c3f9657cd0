"""A session of real use leaves an audit trail that verifies and holds no PHI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from voiceassist_desktop.app import App
from voiceassist_desktop.cli import cli
from voiceassist_desktop.core import phi
from voiceassist_desktop.storage.access import sign_in
from voiceassist_desktop.storage.models import AuditLogEntry

SECRET = "a long app password"
LEAFLET = """Apixaban in renal impairment

Apixaban is an oral anticoagulant that inhibits factor Xa.

In patients with atrial fibrillation, the recommended dose is 5 mg twice
daily. The dose is 2.5 mg twice daily in patients with at least two of the
following: age 80 years or older, body weight 60 kg or less, or serum
creatinine 1.5 mg/dL or more.

Patients with creatinine clearance below 15 mL/min were not studied.
"""


def _trail(app: App) -> list[AuditLogEntry]:
    with app.db.session() as session:
        return list(
            session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.sequence))
        )


@pytest.mark.slow
def test_a_session_of_real_use_leaves_a_trail_that_verifies(data_dir, tmp_path):
    leaflet = tmp_path / "apixaban-leaflet.txt"
    leaflet.write_text(LEAFLET, encoding="utf-8")
    runner = CliRunner()

    with App(data_dir) as app:
        report = app.library.import_paths([leaflet]).wait(300)
        assert report is not None
        conversation = app.conversations.create(mode="case_workspace")
        app.conversations.set_context(
            conversation.id,
            patient_age=78,
            patient_sex="female",
            weight_kg=62,
            height_cm=160,
            lab_values={"serum_creatinine_mg_dl": 1.4},
        )
        app.assistant.ask(
            "What dose of apixaban for patient Jane Doe, MRN 12345678?",
            session_id=conversation.id,
        )
        call = app.tools.run_from_question("calculate the CrCl", conversation.id)
        assert call.status.value == "success"
        app.conversations.export_markdown(conversation.id)
        settings = app.user_settings()
        settings.display.font_size = 14
        assert app.update_user_settings(settings) == ["display"]

    exported = runner.invoke(
        cli, ["audit", "export", "--output", str(tmp_path / "audit.jsonl")]
    )
    assert exported.exit_code == 0, exported.output
    backup = runner.invoke(cli, ["backup", str(tmp_path / "backup.vabackup")])
    assert backup.exit_code == 0, backup.output
    assert runner.invoke(cli, ["retention"]).exit_code == 0
    password = runner.invoke(cli, ["password", "set"], input=f"{SECRET}\n{SECRET}\n")
    assert password.exit_code == 0, password.output
    with App(data_dir) as app:
        assert not sign_in(app.db, app.audit, "not the password")
        assert sign_in(app.db, app.audit, SECRET)
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith("OK: ")

    with App(data_dir) as app:
        trail = _trail(app)
    actions = {entry.action for entry in trail}
    assert {
        "app.start",
        "document.import",
        "session.create",
        "context.create",
        "query.execute",
        "answer.give",
        "tool.call",
        "session.export",
        "settings.update",
        "audit.export",
        "backup.create",
        "retention.apply",
        "auth.password_set",
        "auth.sign_in",
    } <= actions
    sign_ins = [e.status.value for e in trail if e.action == "auth.sign_in"]
    assert sign_ins == ["denied", "success"]
    assert f"OK: {len(trail) - 1} entries" in verified.stdout

    for entry in trail:
        assert entry.ip_address == "127.0.0.1"
        text = json.dumps(entry.details or {}, ensure_ascii=False)
        assert not phi.contains_phi(text), (entry.action, text)
        assert "Jane Doe" not in text and "12345678" not in text
        assert SECRET not in text
    in_conversation = [e for e in trail if e.action in ("tool.call", "query.execute")]
    assert in_conversation
    assert all(e.session_id == conversation.id for e in in_conversation)
    tool_entry = next(e for e in trail if e.action == "tool.call")
    assert tool_entry.phi_accessed is True
