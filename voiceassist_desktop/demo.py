"""A sample conversation with a clinical context, created once."""

from __future__ import annotations

import logging

from sqlalchemy import select

from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.storage.models import (
    ChatMessage,
    ClinicalContext,
    MessageRole,
    PatientSex,
    Session,
    SessionMode,
)

logger = logging.getLogger(__name__)

DEMO_TITLE = "Sample: anticoagulation in atrial fibrillation"


def create_demo(app) -> tuple[str, bool]:
    """Adds the sample conversation unless it is already there.

    Returns:
        The conversation's id and whether it was created now.
    """
    with app.db.session() as session:
        existing = session.scalars(
            select(Session).where(Session.title == DEMO_TITLE)
        ).first()
        if existing is not None:
            return existing.id, False

        conversation = Session(
            user_id=app.user_id, title=DEMO_TITLE, mode=SessionMode.CASE_WORKSPACE
        )
        session.add(conversation)
        session.flush()

        context = ClinicalContext(
            session_id=conversation.id,
            patient_age=78,
            patient_sex=PatientSex.FEMALE,
            chief_complaint="Palpitations; newly diagnosed atrial fibrillation",
            relevant_history="Hypertension, type 2 diabetes, chronic kidney disease",
            current_medications=["metformin 500 mg twice daily", "lisinopril 10 mg"],
            allergies=["penicillin"],
            vital_signs={
                "bp_systolic": 142,
                "bp_diastolic": 86,
                "heart_rate": 112,
                "temperature": 36.8,
                "respiratory_rate": 16,
                "o2_saturation": 96,
            },
            weight_kg=62.0,
            height_cm=160.0,
            lab_values={"serum_creatinine_mg_dl": 1.4},
        )
        session.add(context)
        session.flush()
        conversation.clinical_context_id = context.id

        now = utcnow()
        session.add_all(
            [
                ChatMessage(
                    session_id=conversation.id,
                    role=MessageRole.USER,
                    content="What dose of apixaban should she take?",
                    created_at=now,
                ),
                ChatMessage(
                    session_id=conversation.id,
                    role=MessageRole.ASSISTANT,
                    content=(
                        "This sample conversation shows how answers appear. Import "
                        "the apixaban prescribing information and ask again to get "
                        "an answer cited to its pages."
                    ),
                    meta={
                        "citations": [],
                        "sources_searched": [],
                        "model_used": "sample",
                        "phi_detected": False,
                        "routing_decision": "local",
                    },
                    created_at=now,
                ),
            ]
        )
        app.audit.record(
            session,
            "session.create",
            "session",
            resource_id=conversation.id,
            user_id=app.user_id,
            session_id=conversation.id,
            details={"source": "demo"},
            phi_accessed=True,
        )
        logger.info("sample conversation created")
        return conversation.id, True
