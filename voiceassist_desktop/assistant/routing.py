"""The PHI guard: find patient identifiers in a question and decide its route.

Every question passes here before it is stored, searched or sent anywhere.
Answers are composed on this machine; remote generation is optional and off
by default. When it is on, a question in which the detector finds an
identifier still stays local ("local: phi_detected") and never leaves the
machine. The audit entry of a question carries only what `audit_details`
gives: the redacted text, its length and the kinds of identifier found.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from voiceassist_desktop.core import phi

logger = logging.getLogger(__name__)

LOCAL = "local"
LOCAL_PHI = "local: phi_detected"
REMOTE = "remote"


@dataclass(frozen=True)
class RoutingDecision:
    """What the guard found in a question and where the question may go.

    Attributes:
        phi_detected: Whether a patient identifier was found.
        phi_kinds: The kinds found ("NAME", "DOB", ...), each once, in order.
        route: "local", "local: phi_detected" or "remote".
        redacted: The question with each identifier replaced by its tag.
        length: Characters in the question.
    """

    phi_detected: bool
    phi_kinds: tuple[str, ...]
    route: str
    redacted: str
    length: int

    @property
    def stays_local(self) -> bool:
        return self.route != REMOTE

    def audit_details(self) -> dict[str, Any]:
        """Details for the audit entry of the question, free of PHI."""
        return {
            "question_redacted": self.redacted,
            "question_length": self.length,
            "phi_detected": self.phi_detected,
            "phi_kinds": list(self.phi_kinds),
            "routing_decision": self.route,
        }


def guard(
    question: str,
    *,
    remote_generation_enabled: bool = False,
    detection_enabled: bool = True,
) -> RoutingDecision:
    """Detect identifiers in a question and choose where it is answered.

    Args:
        question: The question as asked (typed or transcribed).
        remote_generation_enabled: The system setting
            `ai_configuration.remote_generation_enabled`.
        detection_enabled: The user's privacy setting `phi_detection`. Even
            when it is off, a question is never sent off the machine unless
            detection ran and found nothing.

    Returns:
        The decision; the question itself is not kept in it except redacted.
    """
    findings = phi.detect(question or "")
    kinds = tuple(Counter(f.kind for f in findings))
    detected = bool(findings)

    if detected:
        route = LOCAL_PHI
    elif remote_generation_enabled and detection_enabled:
        route = REMOTE
    else:
        route = LOCAL

    if detected:
        logger.info("question holds identifiers (%s); kept local", ", ".join(kinds))
    return RoutingDecision(
        phi_detected=detected,
        phi_kinds=kinds,
        route=route,
        redacted=phi.redact(question or "") if detected else (question or ""),
        length=len(question or ""),
    )
