"""Export and import of every entity against the JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from voiceassist_desktop.app import App
from voiceassist_desktop.core.errors import ValidationFailed
from voiceassist_desktop.demo import create_demo
from voiceassist_desktop.storage.export import (
    ENTITIES,
    dump,
    from_record,
    load,
    load_schema,
    validate,
)

SHARED_SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "schemas"


@pytest.fixture
def demo_dump(data_dir, tmp_path):
    with App(data_dir) as app:
        create_demo(app)
        create_demo(app)
        with app.db.session() as session:
            counts = dump(session, tmp_path / "dump")
    return tmp_path / "dump", counts


def _records(folder: Path, entity: str) -> list[dict]:
    lines = (folder / f"{entity}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_demo_is_idempotent_and_dumps_one_file_per_entity(demo_dump):
    folder, counts = demo_dump
    assert sorted(p.stem for p in folder.glob("*.jsonl")) == sorted(ENTITIES)
    assert counts["Session"] == 1
    assert counts["ChatMessage"] == 2
    assert counts["ClinicalContext"] == 1
    assert counts["User"] == 1


def test_every_record_validates_against_its_schema(demo_dump):
    folder, _ = demo_dump
    checked = 0
    for entity in ENTITIES:
        schema = load_schema(entity)
        for record in _records(folder, entity):
            if schema:
                jsonschema.Draft7Validator(schema).validate(record)
            validate(entity, record)
            checked += 1
    assert checked >= 8


def test_exports_omit_nulls_and_use_seed_names(demo_dump):
    folder, _ = demo_dump
    for entity in ENTITIES:
        for record in _records(folder, entity):
            assert None not in record.values()
    assistant = [r for r in _records(folder, "ChatMessage") if r["role"] == "assistant"]
    assert assistant[0]["metadata"]["routing_decision"] == "local"
    context = _records(folder, "ClinicalContext")[0]
    assert context["patient_age"] == 78
    assert context["lab_values"] == {"serum_creatinine_mg_dl": 1.4}


def test_invalid_record_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as raised:
        validate(
            "ClinicalContext",
            {
                "id": "5f0c6a8e-3a8c-4b6b-9b1e-0c7f4f3f2a11",
                "session_id": "5f0c6a8e-3a8c-4b6b-9b1e-0c7f4f3f2a12",
                "patient_age": 200,
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            },
        )
    assert raised.value.field == "ClinicalContext.patient_age"


def test_uuid_format_is_checked():
    with pytest.raises(ValidationFailed) as raised:
        from_record(
            "Session",
            {
                "id": "not-a-uuid",
                "user_id": "5f0c6a8e-3a8c-4b6b-9b1e-0c7f4f3f2a12",
                "mode": "text",
                "is_archived": False,
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            },
        )
    assert raised.value.field == "Session.id"


def test_missing_required_field_is_named():
    with pytest.raises(ValidationFailed) as raised:
        validate("User", {"id": "5f0c6a8e-3a8c-4b6b-9b1e-0c7f4f3f2a12"})
    assert raised.value.field == "User.email"


def test_dump_loads_into_an_empty_database(demo_dump, tmp_path, monkeypatch):
    folder, counts = demo_dump
    other = tmp_path / "other"
    other.mkdir()
    from voiceassist_desktop.storage.database import Database
    from voiceassist_desktop.storage.migrate import upgrade_database

    db = Database(f"sqlite:///{other / 'copy.sqlite3'}")
    upgrade_database(db.engine)
    with db.session() as session:
        loaded = load(session, folder)
    with db.session() as session:
        again = dump(session, tmp_path / "again")
    db.close()
    assert loaded == {k: v for k, v in counts.items() if v or k in loaded}
    assert again == counts
    assert _records(folder, "AuditLogEntry") == _records(
        tmp_path / "again", "AuditLogEntry"
    )


@pytest.mark.corpus
def test_packaged_schemas_match_the_canonical_ones():
    if not SHARED_SCHEMAS.is_dir():
        pytest.skip("the canonical schemas folder is absent")
    for path in SHARED_SCHEMAS.glob("*.json"):
        assert load_schema(path.stem) == json.loads(path.read_text()), path.name
