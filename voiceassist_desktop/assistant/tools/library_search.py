"""The library search tool: the best passages for a query, as citations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from voiceassist_desktop.assistant.tools.registry import Tool, ToolOutput

logger = logging.getLogger(__name__)

MAX_K = 20

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Search the library",
    "type": "object",
    "properties": {
        "query": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "What to look for",
        },
        "k": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_K,
            "default": 5,
            "description": "How many passages to return",
        },
    },
    "required": ["query"],
    "additionalProperties": False,
}


def library_search_tool(searcher_provider: Callable[[], Any]) -> Tool:
    """The `library_search` tool over the app's hybrid searcher.

    Args:
        searcher_provider: Returns the searcher; called on first use, so the
            embedding model loads only when the tool runs.
    """
    from voiceassist_desktop.retrieval.citations import make_citation

    def run(arguments: dict[str, Any]) -> ToolOutput:
        query = arguments["query"].strip()
        k = int(arguments.get("k", 5))
        hits = searcher_provider().search(query, k)
        citations = [make_citation(hit, marker=n) for n, hit in enumerate(hits, 1)]
        passages = [
            {
                "rank": n,
                "document_id": hit.document_id,
                "chunk_id": hit.chunk_id,
                "title": hit.title,
                "score": round(float(hit.score), 4),
            }
            for n, hit in enumerate(hits, 1)
        ]
        logger.debug("library_search returned %s passages", len(hits))
        return ToolOutput({"query": query, "k": k, "passages": passages}, citations)

    return Tool(
        name="library_search",
        title="Search the library",
        description="The passages of the library that best match a query, with "
        "their citations (title, chapter, page and snippet).",
        schema=SCHEMA,
        function=run,
        # A query is free text and may name a patient; it never leaves the
        # machine, but the call is marked when it holds an identifier.
        phi=True,
        requires_confirmation=False,
        kind="search",
        # The first search loads the embedding model, which takes a while.
        timeout_s=120.0,
    )
