"""Conversations: lifecycle, search, titles, follow-ups and export."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from voiceassist_desktop.assistant.conversations import (
    Conversations,
    expand_follow_up,
    is_follow_up,
    make_title,
)
from voiceassist_desktop.core.errors import NotFound, ValidationFailed
from voiceassist_desktop.storage.export import validate
from voiceassist_desktop.storage.models import AuditLogEntry, ChatMessage, MessageRole


@pytest.fixture
def store(app) -> Conversations:
    return Conversations(app.db, app.audit, app.events, app.user_id)


def add(store: Conversations, session_id: str, role: str, text: str) -> None:
    with store.db.session() as session:
        store.add_message(session, session_id, role, text)


def test_create_list_rename_archive_delete(app, store):
    seen = []
    app.events.subscribe("*", lambda event: seen.append(event.topic))

    text = store.create("text")
    voice = store.create("voice", title="Night shift questions")
    case = store.create("case_workspace")
    with pytest.raises(ValidationFailed):
        store.create("video")

    assert {c.id for c in store.list()} == {text.id, voice.id, case.id}
    assert store.get(voice.id).title == "Night shift questions"
    assert store.get(case.id).mode == "case_workspace"

    add(store, text.id, "user", "Apixaban dose in dialysis?")
    listed = store.list()
    assert listed[0].id == text.id  # most recently updated first
    assert listed[0].updated_at >= listed[1].updated_at

    assert store.rename(text.id, "  Renal dosing  ").title == "Renal dosing"
    with pytest.raises(ValidationFailed):
        store.rename(text.id, "   ")

    store.archive(voice.id)
    assert voice.id not in {c.id for c in store.list()}
    assert [c.id for c in store.list(archived=True)] == [voice.id]
    store.unarchive(voice.id)
    assert voice.id in {c.id for c in store.list()}

    store.delete(text.id)
    with pytest.raises(NotFound):
        store.get(text.id)
    with app.db.session() as session:
        left = session.scalars(
            select(ChatMessage).where(ChatMessage.session_id == text.id)
        ).all()
        actions = session.scalars(select(AuditLogEntry.action)).all()
    assert left == []
    assert {
        "session.create",
        "session.rename",
        "session.archive",
        "session.delete",
    } <= (set(actions))
    assert {"session.created", "session.updated", "session.deleted"} <= set(seen)


def test_search_by_title_and_content(store):
    first = store.create("text")
    add(store, first.id, "user", "How long to hold apixaban before surgery?")
    add(store, first.id, "assistant", "At least 48 hours for high bleeding risk. [1]")
    second = store.create("text", title="Measles vaccination")
    add(store, second.id, "user", "Who needs a second dose?")

    assert [c.id for c in store.search("apixaban")] == [first.id]
    assert [c.id for c in store.search("48 HOURS")] == [first.id]
    assert [c.id for c in store.search("measles")] == [second.id]
    assert [c.id for c in store.search("measles second")] == [second.id]
    assert store.search("warfarin") == []
    assert [c.id for c in store.search("100%")] == []


def test_title_comes_from_the_first_question_without_identifiers(store):
    info = store.create("text")
    add(
        store,
        info.id,
        "user",
        "Patient Jane Doe, DOB 12/05/1950: what is the apixaban dose for a patient "
        "on haemodialysis with atrial fibrillation?",
    )
    add(store, info.id, "user", "A second question")

    title = store.get(info.id).title
    assert "Jane" not in title and "Doe" not in title and "1950" not in title
    assert len(title) <= 60
    assert "apixaban" in title


def test_make_title_is_short_and_clean():
    assert make_title("what is the dose of apixaban?") == "What is the dose of apixaban"
    long = make_title("word " * 40)
    assert len(long) <= 60 and long.endswith("…")
    assert make_title("   ") == "New conversation"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("and in renal impairment?", True),
        ("What about pregnancy?", True),
        ("Is it safe in children?", True),
        ("dose in dialysis?", True),
        ("How long should apixaban be held before high bleeding risk surgery?", False),
        (
            "Which vaccines are recommended for health care workers against measles?",
            False,
        ),
    ],
)
def test_follow_ups_are_recognised(question, expected):
    assert is_follow_up(question) is expected


def test_follow_up_is_expanded_with_the_previous_question():
    previous = ["What is the apixaban dose for atrial fibrillation?"]
    assert expand_follow_up("and in renal impairment?", previous) == (
        "What is the apixaban dose for atrial fibrillation? and in renal impairment?"
    )
    standalone = "Which vaccines protect against measles?"
    assert expand_follow_up(standalone, previous) == standalone
    assert (
        expand_follow_up("and in renal impairment?", []) == "and in renal impairment?"
    )


def test_follow_up_retrieves_with_the_conversation(small_library):
    assistant = small_library.assistant
    first = assistant.ask("What is the recommended dose of apixaban?")
    follow = assistant.ask("and in renal impairment?", session_id=first.session.id)

    meta = follow.assistant_message.metadata
    assert meta["retrieval_query"].startswith(
        "What is the recommended dose of apixaban?"
    )
    assert follow.session.id == first.session.id
    assert follow.session.message_count == 4
    assert meta["covered"]
    assert any(c["location"] == "p. 20" for c in meta["citations"])


def test_answer_messages_carry_the_seed_metadata_and_validate(small_library):
    result = small_library.assistant.ask(
        "How long should apixaban be held before surgery?"
    )
    meta = result.assistant_message.metadata

    assert result.user_message.role == "user"
    assert result.assistant_message.role == "assistant"
    assert meta["model_used"] == "extractive:all-MiniLM-L6-v2"
    assert isinstance(meta["tokens"], int) and meta["tokens"] > 0
    assert "ELIQUIS (apixaban) prescribing information" in meta["sources_searched"]
    assert meta["citations"][0]["location"] == "p. 5"
    assert "48 hours" in result.assistant_message.content
    assert re.search(r"\[1\]", result.assistant_message.content)

    records = small_library.assistant.conversations.export_records(result.session.id)
    validate("Session", records["session"])
    for record in records["messages"]:
        validate("ChatMessage", record)
        for citation in record.get("metadata", {}).get("citations", []):
            validate("Citation", citation)


def test_an_uncovered_question_is_answered_honestly(small_library):
    result = small_library.assistant.ask("How do I change a car tyre?")
    meta = result.assistant_message.metadata
    assert meta["covered"] is False
    assert meta["citations"] == []
    assert "does not cover" in result.assistant_message.content


def test_export_markdown_numbers_the_references(small_library):
    assistant = small_library.assistant
    first = assistant.ask("How long should apixaban be held before surgery?")
    assistant.ask("What is the starting dose of warfarin?", session_id=first.session.id)

    text = assistant.conversations.export_markdown(first.session.id)

    assert text.startswith("# ")
    assert "## How long should apixaban be held before surgery?" in text
    assert "## References" in text
    references = text.split("## References")[1]
    assert re.search(
        r"^1\. ELIQUIS \(apixaban\) prescribing information.*p\. 5.*version 1",
        references,
        re.M,
    )
    assert re.search(
        r"^2\. Warfarin dosing handbook.*p\. xii \(PDF p\. 12\)", references, re.M
    )
    assert "   > " in references
    body = text.split("## References")[0]
    assert "[2]" in body  # the second answer's [1] is renumbered

    with small_library.app.db.session() as session:
        exports = session.scalars(
            select(AuditLogEntry).where(
                AuditLogEntry.action == "session.export",
                AuditLogEntry.session_id == first.session.id,
            )
        ).all()
    assert len(exports) == 1


def test_messages_are_returned_in_order(small_library):
    result = small_library.assistant.ask("What is the recommended dose of apixaban?")
    messages = small_library.assistant.conversations.messages(result.session.id)
    assert [m.role for m in messages] == [
        MessageRole.USER.value,
        MessageRole.ASSISTANT.value,
    ]
    assert messages[1].citations == result.citations


def test_a_calculation_question_runs_the_calculator_first(small_library):
    from assistant_helpers import build_assistant

    app = small_library.app
    assistant = build_assistant(app, tools=app.tools)

    result = assistant.ask(
        "CrCl for a 78 year old woman, 62 kg, 160 cm, creatinine 1.4 mg/dL"
    )

    meta = result.assistant_message.metadata
    tool_flags = [flag for flag in meta["flags"] if flag["kind"] == "tool"]
    assert tool_flags and tool_flags[0]["tool_call_id"]
    assert "mL/min" in result.assistant_message.content
    # The calculator's reference is [1]; the library's follow it, in order.
    markers = [c["marker"] for c in meta["citations"]]
    assert markers == list(range(1, len(markers) + 1))
    assert "[1]" in result.assistant_message.content.split("\n\n")[0]
    for citation in meta["citations"]:
        validate("Citation", citation)


def test_a_calculation_asked_with_no_numbers_uses_the_patient(small_library):
    from assistant_helpers import build_assistant

    app = small_library.app
    assistant = build_assistant(app, tools=app.tools)
    conversation = app.conversations.create(mode="case_workspace")
    app.conversations.set_context(
        conversation.id,
        patient_age=78,
        patient_sex="female",
        weight_kg=62,
        height_cm=160,
        lab_values={"serum_creatinine_mg_dl": 1.4},
    )

    result = assistant.ask("What is her creatinine clearance?", conversation.id)

    tool_flags = [
        f for f in result.assistant_message.metadata["flags"] if f["kind"] == "tool"
    ]
    assert tool_flags
    # Cockcroft-Gault on ideal weight 52.4 kg: 27.4 mL/min.
    assert "27.4" in result.assistant_message.content
