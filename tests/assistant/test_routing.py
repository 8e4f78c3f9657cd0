"""The PHI guard: identifiers are flagged, kept local and kept out of the audit."""

from __future__ import annotations

import json

from sqlalchemy import select

from voiceassist_desktop.assistant.routing import LOCAL, LOCAL_PHI, REMOTE, guard
from voiceassist_desktop.storage.models import AuditLogEntry, ChatMessage

NAME = "John Smith"
DOB = "03/04/1961"
PHI_QUESTION = (
    f"My patient {NAME}, date of birth {DOB}, has atrial fibrillation: what "
    "apixaban dose should he take?"
)


def test_a_question_with_a_name_and_birth_date_is_flagged_and_stays_local():
    decision = guard(PHI_QUESTION, remote_generation_enabled=True)

    assert decision.phi_detected
    assert set(decision.phi_kinds) >= {"NAME", "DOB"}
    assert decision.route == LOCAL_PHI
    assert decision.stays_local
    assert NAME not in decision.redacted and DOB not in decision.redacted
    details = json.dumps(decision.audit_details())
    assert NAME not in details and DOB not in details and "Smith" not in details


def test_a_clinical_question_without_identifiers_is_not_flagged():
    decision = guard("What is the apixaban dose in a patient on dialysis?")

    assert not decision.phi_detected
    assert decision.route == LOCAL
    assert decision.redacted == "What is the apixaban dose in a patient on dialysis?"


def test_remote_only_when_enabled_and_nothing_was_found():
    question = "Which vaccines are recommended after a measles exposure?"
    assert guard(question, remote_generation_enabled=True).route == REMOTE
    assert guard(question, remote_generation_enabled=False).route == LOCAL
    assert (
        guard(question, remote_generation_enabled=True, detection_enabled=False).route
        == LOCAL
    )


def test_asking_with_phi_saves_the_flags_and_audits_no_phi(small_library):
    app = small_library.app

    result = small_library.assistant.ask(PHI_QUESTION)

    for message in (result.user_message, result.assistant_message):
        assert message.metadata["phi_detected"] is True
        assert message.metadata["routing_decision"] == LOCAL_PHI
    assert NAME not in result.session.title and DOB not in result.session.title

    with app.db.session() as session:
        entries = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.session_id == result.session.id)
        ).all()
        actions = {entry.action: entry for entry in entries}
        assert {"query.execute", "answer.give"} <= set(actions)
        assert actions["query.execute"].phi_accessed is True
        for entry in entries:
            stored = json.dumps(entry.details or {})
            assert "Smith" not in stored and DOB not in stored and "1961" not in stored
        query_details = actions["query.execute"].details
        assert query_details["phi_detected"] is True
        assert query_details["question_length"] == len(PHI_QUESTION)
        assert "[NAME]" in query_details["question_redacted"]

        # The conversation itself keeps the question as asked, on this machine.
        saved = session.get(ChatMessage, result.user_message.id)
        assert saved.content == PHI_QUESTION


def test_asking_without_phi_routes_local(small_library):
    result = small_library.assistant.ask(
        "How long should apixaban be held before surgery?"
    )
    meta = result.assistant_message.metadata
    assert meta["phi_detected"] is False
    assert meta["routing_decision"] == LOCAL
