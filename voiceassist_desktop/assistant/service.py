"""The assistant: a question in, a cited answer saved in its conversation.

`Assistant.ask` runs the question through the PHI guard, retrieves with the
conversation's recent turns where the question is a follow-up, composes the
answer, saves the question and the answer with their metadata, audits both
(`query.execute`, `answer.give`) and publishes `message.saved`. It holds no
Qt and may run on a worker thread.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from voiceassist_desktop.assistant.composer import (
    AnswerComposer,
    ComposeContext,
    ComposedAnswer,
    ExtractiveComposer,
)
from voiceassist_desktop.assistant.context import ContextView
from voiceassist_desktop.assistant.conversations import (
    ConversationInfo,
    Conversations,
    MessageInfo,
    conversation_info,
    expand_follow_up,
    message_info,
)
from voiceassist_desktop.assistant.routing import RoutingDecision, guard
from voiceassist_desktop.assistant.tools.registry import ToolRegistry
from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.core import phi
from voiceassist_desktop.core.errors import ValidationFailed
from voiceassist_desktop.core.events import EventBus
from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.retrieval.search import HybridSearcher, SearchFilters
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.models import ClinicalContext, MessageRole

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 4000
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class AnswerResult:
    """What `ask` saved.

    Attributes:
        session: The conversation (new or continued), after the answer.
        user_message: The question as saved.
        assistant_message: The answer as saved, citations in its metadata.
    """

    session: ConversationInfo
    user_message: MessageInfo
    assistant_message: MessageInfo

    @property
    def citations(self) -> list[dict[str, Any]]:
        return self.assistant_message.citations


class Assistant:
    """Answers questions from the library, inside conversations.

    Args:
        db: The database.
        audit: The audit trail.
        events: The event bus.
        user_id: The local user.
        searcher: The hybrid searcher.
        conversations: The conversation store.
        user_settings: Returns the user's settings.
        system_settings: Returns the system settings.
        tools: The tool registry, or None. When a question plainly asks for a
            calculation, the calculator's result is put before the library's
            answer.
        composer: The answer composer; by default the extractive one over the
            configured embedding model.
    """

    def __init__(
        self,
        db: Database,
        audit: AuditTrail,
        events: EventBus,
        user_id: str,
        searcher: HybridSearcher,
        conversations: Conversations,
        user_settings: Callable[[], Any],
        system_settings: Callable[[], Any],
        tools: ToolRegistry | None = None,
        composer: AnswerComposer | None = None,
    ) -> None:
        self.db = db
        self.audit = audit
        self.events = events
        self.user_id = user_id
        self.searcher = searcher
        self.conversations = conversations
        self.user_settings = user_settings
        self.system_settings = system_settings
        self.tools = tools
        self._composer = composer
        self._lock = threading.Lock()

    @property
    def composer(self) -> AnswerComposer:
        """The answer composer (built on first use)."""
        with self._lock:
            if self._composer is None:
                self._composer = ExtractiveComposer(self.searcher.embedder)
            return self._composer

    def route(self, question: str) -> RoutingDecision:
        """The PHI guard's decision for a question, before anything else."""
        system = self.system_settings()
        privacy = self.user_settings().privacy
        # No remote composer ships: every question is answered here whatever
        # the setting says, and one with identifiers never leaves.
        remote = bool(
            system.ai_configuration.remote_generation_enabled
            and getattr(self.composer, "remote", False)
        )
        return guard(
            question,
            remote_generation_enabled=remote,
            detection_enabled=privacy.phi_detection,
        )

    def ask(
        self,
        question: str,
        session_id: str | None = None,
        mode: str = "text",
        audio_url: str | None = None,
        filters: SearchFilters | None = None,
    ) -> AnswerResult:
        """Answer a question and save it with its answer.

        Args:
            question: What the clinician asked (typed or transcribed).
            session_id: The conversation to continue; None starts one.
            mode: The mode of a new conversation.
            audio_url: The recording of a spoken question.
            filters: Limits the search (document types, years, documents).

        Returns:
            The conversation and the two saved messages.

        Raises:
            ValidationFailed: The question is empty or too long.
            NotFound: `session_id` names no conversation.
        """
        question = (question or "").strip()
        if not question:
            raise ValidationFailed("question", "the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValidationFailed(
                "question",
                f"the question is longer than {MAX_QUESTION_CHARS} characters",
            )
        asked_at = utcnow()
        decision = self.route(question)

        settings = self.user_settings()
        history: list[str] = []
        clinical: ContextView | None = None
        if session_id:
            self.conversations.get(session_id)
            history = self.conversations.recent_questions(session_id, limit=3)
            clinical = self._clinical_view(session_id)
        # Identifiers say nothing about the library's content: retrieval reads
        # the question without them.
        retrieval_text = expand_follow_up(
            _without_identifiers(question), [_without_identifiers(q) for q in history]
        )

        k = max(settings.advanced.retrieval_top_k, settings.citations.max_citations)
        hits = self.searcher.search(retrieval_text, k=k, filters=filters)
        newer = self.searcher.newer_versions(h.document_id for h in hits[:k])
        compose_context = ComposeContext(
            clinical=clinical,
            min_relevance=settings.advanced.min_relevance,
            max_citations=settings.citations.max_citations,
            warn_older_than_years=settings.citations.warn_older_than_years,
            current_year=asked_at.year,
            newer_versions=newer,
            history=tuple(history),
        )
        answer = self.composer.compose(retrieval_text, hits, compose_context)
        if self.tools is not None and self.tools.asks_for_calculation(question):
            # A tool call belongs to a conversation: start it now if need be.
            if session_id is None:
                session_id = self.conversations.create(mode).id
            answer = self._with_tool_result(question, session_id, answer)

        sources = list(dict.fromkeys(h.title for h in hits))
        metadata = self._metadata(decision, answer, sources, retrieval_text, question)
        result = self._save(
            question,
            session_id,
            mode,
            audio_url,
            decision,
            answer,
            metadata,
            asked_at,
            hits_count=len(hits),
            best=max((h.score for h in hits), default=0.0),
            clinical=clinical is not None and not clinical.empty,
        )
        self.events.publish(
            "message.saved",
            session_id=result.session.id,
            message_id=result.user_message.id,
            role="user",
        )
        self.events.publish(
            "message.saved",
            session_id=result.session.id,
            message_id=result.assistant_message.id,
            role="assistant",
        )
        logger.info(
            "answered in %s: %s citations, covered=%s",
            result.session.id,
            len(answer.citations),
            answer.covered,
        )
        return result

    # --- steps ---------------------------------------------------------------------

    def _clinical_view(self, session_id: str) -> ContextView | None:
        with self.db.session() as session:
            row = session.scalars(
                select(ClinicalContext).where(ClinicalContext.session_id == session_id)
            ).first()
            return ContextView.of(row)

    def _with_tool_result(
        self, question: str, session_id: str | None, answer: ComposedAnswer
    ) -> ComposedAnswer:
        try:
            outcome = self.tools.run_from_question(question, session_id)
        except Exception:
            logger.exception("the calculation asked for could not run")
            return answer
        if outcome is None:
            return answer
        text, tool_citations = self.tools.format_tool_answer(outcome)
        if not text:
            return answer

        # The tool's result comes first with its markers [1]..[m]; the library's
        # answer follows, its markers moved past them.
        offset = len(tool_citations)
        library_text = _MARKER.sub(
            lambda m: f"[{int(m.group(1)) + offset}]", answer.text
        )
        citations = [*tool_citations]
        for citation in answer.citations:
            moved = dict(citation)
            if moved.get("marker") is not None:
                moved["marker"] = int(moved["marker"]) + offset
            citations.append(moved)
        flags = [
            {**flag, "marker": flag["marker"] + offset} if "marker" in flag else flag
            for flag in answer.flags
        ]
        tool_flag = {"kind": "tool", "tool_call_id": outcome.id}
        return ComposedAnswer(
            text=f"{text}\n\n{library_text}" if answer.covered else text,
            citations=citations if answer.covered else tool_citations,
            used_context=answer.used_context,
            flags=[*flags, tool_flag] if answer.covered else [tool_flag],
            covered=True,
            sentences=answer.sentences,
        )

    def _metadata(
        self,
        decision: RoutingDecision,
        answer: ComposedAnswer,
        sources: list[str],
        retrieval_text: str,
        question: str,
    ) -> dict[str, Any]:
        tokens = _count_tokens(self.searcher.embedder, answer.text)
        metadata: dict[str, Any] = {
            "citations": answer.citations,
            "sources_searched": sources,
            "model_used": self.composer.name,
            "tokens": tokens,
            "phi_detected": decision.phi_detected,
            "routing_decision": decision.route,
            "covered": answer.covered,
            "context_used": answer.used_context,
            "flags": answer.flags,
        }
        if retrieval_text != question:
            metadata["retrieval_query"] = retrieval_text
        return metadata

    def _save(
        self,
        question: str,
        session_id: str | None,
        mode: str,
        audio_url: str | None,
        decision: RoutingDecision,
        answer: ComposedAnswer,
        metadata: dict[str, Any],
        asked_at,
        *,
        hits_count: int,
        best: float,
        clinical: bool,
    ) -> AnswerResult:
        user_meta = {
            "phi_detected": decision.phi_detected,
            "routing_decision": decision.route,
        }
        if decision.phi_kinds:
            user_meta["phi_kinds"] = list(decision.phi_kinds)
        with self.db.session() as session:
            row = self.conversations.session_row(session, session_id, mode)
            user = self.conversations.add_message(
                session,
                row.id,
                MessageRole.USER,
                question,
                metadata=user_meta,
                audio_url=audio_url,
                created_at=asked_at,
            )
            reply = self.conversations.add_message(
                session,
                row.id,
                MessageRole.ASSISTANT,
                answer.text,
                metadata=metadata,
                created_at=max(utcnow(), asked_at),
            )
            self.audit.record(
                session,
                "query.execute",
                "chat_message",
                resource_id=user.id,
                user_id=self.user_id,
                session_id=row.id,
                details={**decision.audit_details(), "hits": hits_count},
                phi_accessed=decision.phi_detected or clinical,
            )
            self.audit.record(
                session,
                "answer.give",
                "chat_message",
                resource_id=reply.id,
                user_id=self.user_id,
                session_id=row.id,
                details={
                    "covered": answer.covered,
                    "citations": len(answer.citations),
                    "best_relevance": round(best, 4),
                    "model_used": metadata["model_used"],
                    "routing_decision": decision.route,
                },
                phi_accessed=decision.phi_detected or clinical,
            )
            session.flush()
            count = self.conversations.message_count(session, row.id)
            return AnswerResult(
                conversation_info(row, count), message_info(user), message_info(reply)
            )


def _without_identifiers(text: str) -> str:
    """The text with patient identifiers (and their tags) taken out."""
    redacted = phi.redact(text)
    if redacted == text:
        return text
    return re.sub(r"\s+", " ", re.sub(r"\[[A-Z]+\]", " ", redacted)).strip()


def _count_tokens(embedder: Any, text: str) -> int:
    """Word pieces of the answer in the embedding model's tokenizer."""
    try:
        tokenizer = embedder.tokenizer()
        return len(tokenizer.tokenize(text))
    except Exception:
        logger.debug("no tokenizer; counting words instead")
        return len(text.split())
