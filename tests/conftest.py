"""Shared fixtures: isolated data folders, the corpus, and the offline guard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Nothing may reach a model hub: every model is loaded from an installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]


def _corpus_root() -> Path | None:
    configured = os.environ.get("VOICEASSIST_CORPUS")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO_ROOT.parent / "shared" / "corpus")
    for candidate in candidates:
        if (candidate / "docs").is_dir():
            return candidate
    return None


CORPUS_ROOT = _corpus_root()


def pytest_collection_modifyitems(config, items):
    skip_corpus = pytest.mark.skip(
        reason="the shared corpus is absent: place it at ../shared/corpus "
        "beside the repository or set VOICEASSIST_CORPUS"
    )
    skip_pg = pytest.mark.skip(
        reason="no PostgreSQL server: set VOICEASSIST_TEST_POSTGRES_URL "
        "(.ci/run starts one)"
    )
    for item in items:
        if "corpus" in item.keywords and CORPUS_ROOT is None:
            item.add_marker(skip_corpus)
        if "postgres" in item.keywords and not os.environ.get(
            "VOICEASSIST_TEST_POSTGRES_URL"
        ):
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The read-only shared corpus; tests using it carry the `corpus` marker."""
    if CORPUS_ROOT is None:
        pytest.skip("the shared corpus is absent")
    return CORPUS_ROOT


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private data folder, so no test touches the user's real one."""
    root = tmp_path / "voiceassist-data"
    root.mkdir()
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(root))
    monkeypatch.delenv("VOICEASSIST_DATABASE_URL", raising=False)
    monkeypatch.delenv("VOICEASSIST_QDRANT_URL", raising=False)
    return root


def _fresh_postgres_database(server_url: str) -> tuple[str, object]:
    """Creates an empty database on the test server; returns its URL and a dropper."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"va_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(
                text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
        admin.dispose()

    return url, drop


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, and (marked postgres) a PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url, drop = _fresh_postgres_database(os.environ["VOICEASSIST_TEST_POSTGRES_URL"])
    try:
        yield url
    finally:
        drop()
