"""The tool registry: named tools with argument schemas, run and recorded.

Every invocation becomes a stored `ToolCall`: the arguments are checked
against the tool's JSON Schema first, a tool that would change data asks the
user, the tool runs on a worker thread under a time limit, and the outcome
(success, error, denied or timeout) is stored with its embedded `ToolResult`
and written to the audit trail. Audit details carry the tool's name, status
and duration, never the arguments.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from sqlalchemy import select

from voiceassist_desktop.assistant.tools import parse
from voiceassist_desktop.assistant.tools.calculators import (
    CALCULATORS,
    CalculatorInputError,
    CalculatorSpec,
)
from voiceassist_desktop.core import phi
from voiceassist_desktop.core.errors import NotFound
from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.storage.models import (
    AuditStatus,
    ClinicalContext,
    Session,
    ToolCall,
    ToolCallStatus,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0

# How a tool call's status is written to the audit trail.
_AUDIT_STATUS = {
    ToolCallStatus.SUCCESS: AuditStatus.SUCCESS,
    ToolCallStatus.DENIED: AuditStatus.DENIED,
    ToolCallStatus.ERROR: AuditStatus.FAILURE,
    ToolCallStatus.TIMEOUT: AuditStatus.FAILURE,
}


class ToolArgumentError(ValueError):
    """A tool refused its arguments.

    Args:
        field: The offending argument.
        reason: A plain sentence on what is wrong.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ToolOutput:
    """What a tool's function returns: a JSON object and its citations."""

    result: dict[str, Any]
    citations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Tool:
    """A tool the assistant and the user can run.

    Attributes:
        name: Unique name, as stored in `ToolCall.tool_name`.
        title: Human title.
        description: What it does, for tool lists.
        schema: Draft-07 JSON Schema of the arguments.
        function: Called with the validated arguments as a dict.
        phi: Whether its arguments may hold patient details (free text).
        requires_confirmation: Whether it changes data, so the user confirms.
        kind: "calculator" or "search", for grouping in the window.
        timeout_s: The tool's own time limit, when it needs longer than the
            default (a first search loads the embedding model).
    """

    name: str
    title: str
    description: str
    schema: dict[str, Any]
    function: Callable[[dict[str, Any]], ToolOutput]
    phi: bool = False
    requires_confirmation: bool = False
    kind: str = "calculator"
    timeout_s: float | None = None

    def argument_names(self) -> list[str]:
        return list(self.schema.get("properties", {}))

    def required_arguments(self) -> list[str]:
        return list(self.schema.get("required", []))

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description: name, title, flags and argument schema."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "kind": self.kind,
            "phi": self.phi,
            "requires_confirmation": self.requires_confirmation,
            "arguments": self.schema,
        }


Confirm = Callable[[Tool, dict[str, Any]], bool]


# --- citations of the calculators' defining papers ---------------------------


def _citation_id(key: str) -> str:
    # The same paper gets the same id in every answer; the id is shaped as a
    # UUID v4, as the Citation schema asks.
    digest = hashlib.sha256(key.encode("utf-8")).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def paper_citation(paper: Mapping[str, Any], snippet: str | None = None) -> dict:
    """A Citation record for a paper as the calculators describe it.

    Args:
        paper: A calculator's `citation`: title, authors (one string),
            journal, year, optional doi, volume and pages.
        snippet: Text to show with the citation, such as the formula.
    """
    authors_text = str(paper.get("authors") or "").strip()
    authors = [a.strip() for a in authors_text.split(", ") if a.strip()]
    record: dict[str, Any] = {
        "id": _citation_id(str(paper.get("doi") or paper["title"])),
        "source_type": "journal",
        "title": str(paper["title"]),
    }
    if paper.get("journal"):
        record["subtitle"] = str(paper["journal"])
    if authors:
        record["authors"] = authors
    if paper.get("year"):
        record["publication_year"] = int(paper["year"])
    location = []
    if paper.get("volume"):
        location.append(f"vol. {paper['volume']}")
    if paper.get("pages"):
        location.append(f"pp. {paper['pages']}")
    if location:
        record["location"] = ", ".join(location)
    if paper.get("doi"):
        record["doi"] = str(paper["doi"])
        record["url"] = f"https://doi.org/{paper['doi']}"
    if snippet:
        record["snippet"] = snippet[:500]
    return record


def _calculator_tool(spec: CalculatorSpec) -> Tool:
    def run(arguments: dict[str, Any]) -> ToolOutput:
        try:
            result = spec.run(arguments)
        except CalculatorInputError as exc:
            raise ToolArgumentError(exc.field, exc.reason) from exc
        data = result.to_dict()
        return ToolOutput(data, [paper_citation(result.citation, result.formula)])

    return Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        schema=spec.schema,
        function=run,
        phi=spec.phi,
        requires_confirmation=False,
    )


# --- the registry ----------------------------------------------------------------


class ToolRegistry:
    """The tools of the app, and the one way to run them.

    Args:
        db: The shared database.
        audit: The audit trail.
        events: The change-event hub (`tool.called` is published).
        user_id: The local user.
        searcher_provider: Returns the library searcher (built on first use).
        conversations_provider: Returns the conversations service.
    """

    def __init__(
        self,
        db,
        audit,
        events,
        user_id: str,
        searcher_provider: Callable[[], Any],
        conversations_provider: Callable[[], Any],
    ) -> None:
        self.db = db
        self.audit = audit
        self.events = events
        self.user_id = user_id
        self._searcher_provider = searcher_provider
        self._conversations_provider = conversations_provider
        self._tools: dict[str, Tool] = {}
        for spec in CALCULATORS.values():
            self.register(_calculator_tool(spec))
        from voiceassist_desktop.assistant.tools.library_search import (
            library_search_tool,
        )

        self.register(library_search_tool(searcher_provider))

    # --- the catalogue --------------------------------------------------------------

    def register(self, tool: Tool) -> None:
        """Adds a tool; its schema is checked to be a valid draft-07 schema."""
        jsonschema.Draft7Validator.check_schema(tool.schema)
        self._tools[tool.name] = tool

    def tools(self) -> list[Tool]:
        """Every tool, calculators first, in registration order."""
        return list(self._tools.values())

    def get(self, name: str) -> Tool:
        """The tool called `name`; raises `NotFound` naming the known tools."""
        try:
            return self._tools[name]
        except KeyError:
            known = ", ".join(sorted(self._tools))
            raise NotFound(f"no tool named {name!r}; the tools are: {known}") from None

    # --- running ----------------------------------------------------------------------

    def run(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        session_id: str | None = None,
        confirm: Confirm | None = None,
        timeout_s: float | None = None,
        from_context: tuple[str, ...] = (),
    ) -> ToolCall:
        """Runs one tool and stores the call.

        Args:
            name: The tool's name.
            arguments: Its arguments, validated against its schema first.
            session_id: The conversation; None gives the call a conversation of
                its own.
            confirm: Asked before a tool that requires confirmation runs;
                without it such a tool is denied.
            timeout_s: The time limit (default: the tool's own, else 10 s); a
                slower tool is recorded as timed out.
            from_context: The argument names filled from the conversation's
                clinical context (the call then involves PHI).

        Returns:
            The stored ToolCall, its `result` holding the ToolResult.
        """
        tool = self.get(name)
        arguments = dict(arguments)
        if timeout_s is None:
            timeout_s = tool.timeout_s or DEFAULT_TIMEOUT_S
        phi_involved = bool(from_context) or _holds_phi(arguments)

        if session_id is None:
            session_id = self._own_conversation(tool)
        with self.db.session() as session:
            if session.get(Session, session_id) is None:
                raise NotFound(f"no conversation with id {session_id}")
            call = ToolCall(
                session_id=session_id,
                user_id=self.user_id,
                tool_name=tool.name,
                arguments=arguments,
                status=ToolCallStatus.PENDING,
                confirmation_required=tool.requires_confirmation,
                phi_involved=phi_involved,
                trace_id=uuid.uuid4().hex,
                timestamp=utcnow(),
            )
            session.add(call)
        logger.info("tool %s started (%s)", tool.name, call.trace_id)

        status, output, error, elapsed_ms, confirmed = self._execute(
            tool, arguments, confirm, timeout_s
        )

        result: dict[str, Any] = {"success": status == ToolCallStatus.SUCCESS}
        if output is not None:
            result["result"] = output.result
            result["citations"] = output.citations
        if error:
            result["error"] = error
        result["execution_time_ms"] = elapsed_ms
        if from_context:
            # Extra key: which inputs the clinical context supplied.
            result["from_context"] = sorted(from_context)

        with self.db.session() as session:
            call = session.get(ToolCall, call.id)
            call.status = status
            call.result = result
            call.execution_time_ms = elapsed_ms
            call.error_message = error
            if confirmed is not None:
                call.user_confirmed = confirmed
            details: dict[str, Any] = {
                "tool": tool.name,
                "status": status.value,
                "duration_ms": round(elapsed_ms, 1),
                "trace_id": call.trace_id,
            }
            if from_context:
                details["arguments_from_context"] = sorted(from_context)
            self.audit.record(
                session,
                "tool.call",
                "tool_call",
                resource_id=call.id,
                status=_AUDIT_STATUS[status],
                user_id=self.user_id,
                session_id=call.session_id,
                details=details,
                phi_accessed=phi_involved,
            )
        logger.info("tool %s %s in %.1f ms", tool.name, status.value, elapsed_ms)
        self.events.publish(
            "tool.called",
            tool_call_id=call.id,
            session_id=call.session_id,
            tool_name=tool.name,
            status=status.value,
        )
        return call

    def _execute(
        self,
        tool: Tool,
        arguments: dict[str, Any],
        confirm: Confirm | None,
        timeout_s: float,
    ) -> tuple[ToolCallStatus, ToolOutput | None, str | None, float, bool | None]:
        """Validates, asks, runs; returns status, output, error, ms, confirmed."""
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000.0, 3)

        problem = schema_problem(tool, arguments)
        if problem:
            return ToolCallStatus.ERROR, None, problem, elapsed(), None

        confirmed: bool | None = None
        if tool.requires_confirmation:
            confirmed = bool(confirm(tool, dict(arguments))) if confirm else False
            if not confirmed:
                return (
                    ToolCallStatus.DENIED,
                    None,
                    "the user did not confirm",
                    elapsed(),
                    False,
                )

        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["output"] = tool.function(dict(arguments))
            except ToolArgumentError as exc:
                outcome["error"] = f"{exc.field}: {exc.reason}"
            except Exception as exc:
                logger.exception("tool %s failed", tool.name)
                outcome["error"] = f"the tool failed: {exc}"

        # TODO(tools): a thread cannot be stopped from outside; a tool that
        # overruns is abandoned (a daemon thread) and its result discarded.
        worker = threading.Thread(target=work, name=f"tool-{tool.name}", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if worker.is_alive():
            message = f"the tool did not finish within {timeout_s:g} s"
            return ToolCallStatus.TIMEOUT, None, message, elapsed(), confirmed
        if "error" in outcome:
            return ToolCallStatus.ERROR, None, outcome["error"], elapsed(), confirmed
        return ToolCallStatus.SUCCESS, outcome["output"], None, elapsed(), confirmed

    def _own_conversation(self, tool: Tool) -> str:
        """A new conversation for a tool run outside one (a ToolCall needs one)."""
        conversations = self._conversations_provider()
        return conversations.create(mode="text", title=tool.title).id

    # --- questions and the clinical context -------------------------------------------

    def clinical_context(self, session_id: str | None) -> ClinicalContext | None:
        """The conversation's clinical context, detached, or None."""
        if not session_id:
            return None
        with self.db.session() as session:
            return session.scalars(
                select(ClinicalContext).where(ClinicalContext.session_id == session_id)
            ).first()

    def prefill(self, name: str, session_id: str | None) -> dict[str, Any]:
        """Arguments of tool `name` known from the conversation's context.

        The calculator panel shows these pre-filled; values are in the units
        the tool's schema names.
        """
        tool = self.get(name)
        context = self.clinical_context(session_id)
        filled, _ = parse.fill_from_context(tool.schema, {}, context)
        return filled

    def asks_for_calculation(self, question: str) -> bool:
        """Whether the question plainly asks for one of the calculators."""
        return parse.parse_request(question, tuple(CALCULATORS)) is not None

    def run_from_question(
        self,
        question: str,
        session_id: str | None,
        *,
        timeout_s: float | None = None,
    ) -> ToolCall | None:
        """Runs the calculator a question plainly asks for, else returns None.

        Values missing from the question are taken from the conversation's
        clinical context (age, sex, weight, height, laboratory values, vital
        signs, history).

        Args:
            question: The clinician's question, typed or transcribed.
            session_id: The conversation it was asked in.
            timeout_s: The tool's time limit.
        """
        request = parse.parse_request(question, tuple(CALCULATORS))
        if request is None:
            return None
        tool = self.get(request.tool)
        context = self.clinical_context(session_id)
        if not request.arguments and context is None:
            return None
        arguments, from_context = parse.fill_from_context(
            tool.schema, request.arguments, context
        )
        if not request.arguments and schema_problem(tool, arguments):
            # Asked with no values and the context cannot supply them all:
            # nothing to calculate, so the library answers instead.
            return None
        logger.info("question asks for %s", tool.name)
        return self.run(
            tool.name,
            arguments,
            session_id=session_id,
            timeout_s=timeout_s,
            from_context=tuple(from_context),
        )

    def format_tool_answer(self, tool_call: ToolCall) -> tuple[str, list[dict]]:
        """The text and citations to show a tool call in the conversation."""
        title = (
            self._tools[tool_call.tool_name].title
            if (tool_call.tool_name in self._tools)
            else tool_call.tool_name
        )
        return format_tool_answer(tool_call, title)


def format_tool_answer(
    tool_call: ToolCall, title: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The text and citations to show a tool call in the conversation.

    Args:
        tool_call: A stored call.
        title: The tool's title (defaults to the calculator's, else its name).

    Returns:
        A Markdown text and the Citation records it cites ([1], [2], ...).
    """
    name = tool_call.tool_name
    if title is None:
        spec = CALCULATORS.get(name)
        title = spec.title if spec else name
    result = tool_call.result or {}
    status = ToolCallStatus(tool_call.status)

    if status == ToolCallStatus.DENIED:
        return f"{title} was not run: it was not confirmed.", []
    if status == ToolCallStatus.TIMEOUT:
        return f"{title} was stopped: {result.get('error', 'it took too long')}.", []
    if status != ToolCallStatus.SUCCESS:
        reason = result.get("error") or tool_call.error_message or "unknown error"
        return f"{title} could not be calculated: {reason}.", []

    data = result.get("result") or {}
    # Numbered as the text refers to them, as the library's citations are.
    citations = [
        {**citation, "marker": number}
        for number, citation in enumerate(result.get("citations") or [], start=1)
    ]
    if name == "library_search":
        return _format_search(data, citations), citations

    lines = [f"**{title}: {_number(data.get('value'))} {data.get('unit', '')}**"]
    if data.get("category"):
        lines[0] = lines[0].rstrip("*") + f" ({data['category']})**"
    if data.get("interpretation"):
        sentence = str(data["interpretation"]).rstrip(".")
        lines.append(sentence[:1].upper() + sentence[1:] + ".")
    values = data.get("values") or {}
    if values:
        shown = [
            f"{key.replace('_', ' ')} {_number(v.get('value'))} {v.get('unit', '')}"
            for key, v in values.items()
        ]
        lines.append("Also: " + "; ".join(s.strip() for s in shown) + ".")
    inputs = data.get("inputs") or {}
    if inputs:
        shown = ", ".join(f"{k} = {_number(v)}" for k, v in inputs.items())
        lines.append(f"Inputs: {shown}.")
    if result.get("from_context"):
        names = ", ".join(result["from_context"])
        lines.append(f"From this conversation's clinical context: {names}.")
    if data.get("formula"):
        lines.append(f"Formula: {data['formula']}.")
    for note in data.get("notes") or []:
        lines.append(f"Note: {note}.")
    if citations:
        lines[0] += " [1]"
    return "\n\n".join(lines), citations


def _format_search(data: dict[str, Any], citations: list[dict[str, Any]]) -> str:
    if not citations:
        return f"No passage in the library matches “{data.get('query', '')}”."
    lines = [f"Passages in the library for “{data.get('query', '')}”:"]
    for number, citation in enumerate(citations, start=1):
        where = f", {citation['location']}" if citation.get("location") else ""
        lines.append(f"[{number}] {citation['title']}{where}")
    return "\n".join(lines)


def _number(value: Any) -> str:
    if isinstance(value, dict):
        parts = (f"{k.replace('_', ' ')} {_number(v)}" for k, v in value.items())
        return "(" + ", ".join(parts) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def schema_problem(tool: Tool, arguments: Mapping[str, Any]) -> str | None:
    """The first way `arguments` break the tool's schema, naming the field."""
    validator = jsonschema.Draft7Validator(tool.schema)
    errors = sorted(
        validator.iter_errors(dict(arguments)),
        key=lambda e: (list(e.absolute_path), e.validator != "required"),
    )
    if not errors:
        return None
    error = errors[0]
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = [f for f in error.validator_value if f not in arguments]
        path = missing[0] if missing else path
        return f"{path}: {path} is required"
    if error.validator == "additionalProperties":
        extra = sorted(set(arguments) - set(tool.schema.get("properties", {})))
        name = extra[0] if extra else "(arguments)"
        return f"{name}: {name} is not an argument of {tool.title}"
    if error.validator in ("oneOf", "allOf"):
        for group in parse.one_of_groups(tool.schema):
            given = [g for g in group if g in arguments]
            if len(given) != 1:
                return f"{group[0]}: give exactly one of {', '.join(group)}"
    return f"{path or '(arguments)'}: {error.message}"


def _holds_phi(arguments: Mapping[str, Any]) -> bool:
    texts = [v for v in arguments.values() if isinstance(v, str)]
    return any(phi.contains_phi(t) for t in texts)
