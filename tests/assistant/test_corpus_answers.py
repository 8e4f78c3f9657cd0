"""Questions a clinician would ask of real documents, answered from the right page.

The library is the session's `corpus_library` (tests/conftest.py), imported
once through the real import as `voiceassist ingest` does: three FDA drug
labels, two infection-prevention guidelines, reports, articles and the quirk
files, which the answers must not be led astray by. Each
question lists the physical pages that hold its answer, as read from the PDF
text with pypdf; the first citation must point to one of them. Questions the
library cannot answer must get the honest answer.
"""

from __future__ import annotations

import pytest

from voiceassist_desktop.assistant.service import Assistant
from voiceassist_desktop.storage.export import validate

# The library is imported by the first test that asks for it.
pytestmark = [pytest.mark.corpus, pytest.mark.slow, pytest.mark.timeout(3600)]

ELIQUIS = "fda_label_eliquis_apixaban.pdf"
OZEMPIC = "fda_label_ozempic_semaglutide.pdf"
RINVOQ = "fda_label_rinvoq_upadacitinib.pdf"
WHO_IPC = "who_ipc_core_components_guidelines_2016.pdf"
CDC_OUTPATIENT = "cdc_outpatient_infection_prevention_guide_2016.pdf"
MEASLES = "cdc_mmwr_1989_measles_prevention_acip.txt"

# (question, file, pages that hold the answer). Page 1 of a drug label is its
# Highlights, which repeats the key dosing statements.
QUESTIONS = [
    (
        "What dose of Eliquis should a patient with end-stage renal disease on "
        "dialysis take?",
        ELIQUIS,
        {19, 20},
    ),
    (
        "How long should I hold apixaban before surgery with high bleeding risk?",
        ELIQUIS,
        {5},
    ),
    (
        "When do I drop apixaban to 2.5 mg twice daily in atrial fibrillation?",
        ELIQUIS,
        # Page 25's figure note restates the two-of-three criteria.
        {1, 4, 19, 25},
    ),
    ("How do I switch a patient from warfarin to apixaban?", ELIQUIS, {1, 5}),
    (
        "Can apixaban tablets be crushed for a patient who can't swallow?",
        ELIQUIS,
        # Page 22 gives the exposure of crushed tablets in water and by tube.
        {5, 6, 22},
    ),
    ("What should a patient do after missing a dose of Eliquis?", ELIQUIS, {5, 40}),
    (
        "How long is apixaban given for DVT prophylaxis after hip replacement?",
        ELIQUIS,
        {1, 4},
    ),
    (
        "What is the starting dose of Ozempic and how is it increased?",
        OZEMPIC,
        {1, 3, 4},
    ),
    (
        "A patient forgot their weekly Ozempic injection, when should they take it?",
        OZEMPIC,
        {1, 3, 30, 32},
    ),
    (
        "How long before a planned pregnancy should a woman stop semaglutide?",
        OZEMPIC,
        {1, 11},
    ),
    ("Does semaglutide need a dose change in renal impairment?", OZEMPIC, {12, 16}),
    ("What should I do if pancreatitis is suspected on Ozempic?", OZEMPIC, {1, 5, 29}),
    # Pages 13 and 78 (the Medication Guide) also say to test for TB first.
    ("Do I need to screen for TB before starting Rinvoq?", RINVOQ, {1, 4, 7, 13, 78}),
    ("Can I give live vaccines to a patient taking Rinvoq?", RINVOQ, {2, 17, 76, 80}),
    ("What is the Rinvoq dose for rheumatoid arthritis?", RINVOQ, {1, 8}),
    ("Is Rinvoq recommended in severe hepatic impairment?", RINVOQ, {2, 7, 11, 36}),
    (
        "Should every acute care hospital have a dedicated infection prevention team?",
        WHO_IPC,
        {11, 30, 33},
    ),
    (
        "What does WHO recommend about bed occupancy and staffing to prevent "
        "health care-associated infections?",
        WHO_IPC,
        {16, 67, 68, 71},
    ),
    (
        "When should staff wash with soap and water instead of alcohol hand rub?",
        CDC_OUTPATIENT,
        {9, 25},
    ),
    (
        "How long can an opened multi-dose vial be used in an outpatient clinic?",
        CDC_OUTPATIENT,
        {33},
    ),
    (
        "Can a single-dose vial be used for more than one patient?",
        CDC_OUTPATIENT,
        {11, 26, 33},
    ),
]

# Questions on the plain-text ACIP statement, which has no pages: the first
# citation must come from it, located by its section.
TEXT_QUESTIONS = [
    "Which vaccine is recommended to prevent measles, and at what age?",
    "Should health care workers born after 1957 have proof of measles immunity?",
]

OFF_TOPIC = [
    "How do I change a car tyre?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "Who won the football world cup in 2018?",
]


@pytest.fixture(scope="module")
def corpus_assistant(corpus_library) -> Assistant:
    """The assistant over the session's corpus library."""
    return corpus_library.app.assistant


def _file_of(assistant: Assistant, document_id: str) -> str:
    from voiceassist_desktop.storage.models import KnowledgeDocument

    with assistant.db.session() as session:
        return session.get(KnowledgeDocument, document_id).file_name


@pytest.mark.parametrize(("question", "file_name", "pages"), QUESTIONS)
def test_first_citation_points_to_a_page_that_holds_the_answer(
    corpus_assistant, question, file_name, pages
):
    result = corpus_assistant.ask(question)
    meta = result.assistant_message.metadata

    assert meta["covered"], result.assistant_message.content
    first = meta["citations"][0]
    validate("Citation", first)
    assert _file_of(corpus_assistant, first["source_id"]) == file_name, first
    assert first["page_number"] in pages, (first["location"], first["snippet"])
    assert "[1]" in result.assistant_message.content


@pytest.mark.parametrize("question", TEXT_QUESTIONS)
def test_text_guideline_is_cited_by_section(corpus_assistant, question):
    result = corpus_assistant.ask(question)
    first = result.assistant_message.metadata["citations"][0]

    assert _file_of(corpus_assistant, first["source_id"]) == MEASLES
    assert "page_number" not in first
    assert "measles" in result.assistant_message.content.lower()


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_questions_the_library_does_not_cover_get_the_honest_answer(
    corpus_assistant, question
):
    result = corpus_assistant.ask(question)
    meta = result.assistant_message.metadata

    assert meta["covered"] is False
    assert meta["citations"] == []
    assert "does not cover" in result.assistant_message.content


def test_a_question_with_a_name_and_birth_date_stays_local(corpus_assistant):
    result = corpus_assistant.ask(
        "Patient Maria Lopez, DOB 14/02/1948, is on dialysis: what apixaban dose?"
    )
    meta = result.assistant_message.metadata
    assert meta["phi_detected"] is True
    assert meta["routing_decision"] == "local: phi_detected"
    assert "Lopez" not in result.session.title
